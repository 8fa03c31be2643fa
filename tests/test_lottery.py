"""The transparent lottery, seeded and verifiable draws, exports and audit records."""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from tiny_pools import random_instance, write_two_category_pool

from core import __version__
from core.algorithms.enumeration import TooManyPanels, valid_compositions
from core.audit.record import ReplayMismatch, audit_record, commitment, replay
from core.counting import PanelCounter
from core.distribution import Distribution
from core.errors import InputError
from core.io.loaders import load_instance
from core.io.result_tables import distribution_table, panel_tables, ticket_table, volunteer_probabilities
from core.lottery import draw_panel, seed_from_public_numbers, ticket_for_seed, transparent_lottery
from core.model import Instance, Quota
from core.selection import SelectionResult

DATA = Path(tempfile.mkdtemp(prefix="lottery_tests_"))  # a two-category pool of 200, written once
write_two_category_pool(DATA)
atexit.register(shutil.rmtree, DATA, ignore_errors=True)


def random_distribution(instance: Instance, seed: int, support: int = 200) -> Distribution:
    """Random probabilities on (up to `support`) enumerated valid compositions."""
    rng = np.random.default_rng(seed)
    try:
        comps = valid_compositions(instance.types, limit=5000)
    except TooManyPanels:  # larger pools: valid compositions drawn uniformly at random over panels
        counter = PanelCounter.build(instance.types)
        comps = np.unique([counter.sample_composition(rng) for _ in range(support)], axis=0)
    comps = comps[rng.permutation(len(comps))[:support]]
    return Distribution(instance.types, comps, rng.dirichlet(np.full(len(comps), 0.5)))


def cases() -> list[tuple[Instance, Distribution]]:
    out, seed = [], 0
    while len(out) < 6:
        instance = random_instance(seed, household=seed % 3 == 0)
        if len(valid_compositions(instance.types)):
            out.append((instance, random_distribution(instance, seed)))
        seed += 1
    medium = random_instance(100, n=80, k=10, values=(2, 3, 2))
    medium = medium.with_quotas([Quota(q.category, q.value, 2, 7) for q in medium.quotas])
    out.append((medium, random_distribution(medium, 1, support=400)))
    small = load_instance(DATA / "respondents.csv", DATA / "categories.csv", 20)
    out.append((small, random_distribution(small, 2)))
    return out


CASES = cases()


@pytest.mark.parametrize("instance,dist", CASES, ids=lambda _: "")
@pytest.mark.parametrize("M", [100, 1000])
def test_tickets_meet_quotas_and_keep_probabilities(instance, dist, M):
    lottery = transparent_lottery(dist, M=M, seed=7)
    types = instance.types
    assert len(lottery.tickets) == M and lottery.tickets_per_composition.sum() == M
    held = np.zeros(instance.n)
    for panel in lottery.tickets:
        assert len(set(panel)) == instance.k and list(panel) == sorted(panel)
        assert types.is_valid(types.composition_of(list(panel)))
        held[list(panel)] += 1
    assert np.allclose(held / M, lottery.lottery_marginals)
    assert np.allclose(lottery.exact_marginals, dist.marginals())
    for members in types.members:  # round-robin: members of a type hold equally many tickets (+-1)
        assert held[members].max() - held[members].min() <= 1
    assert lottery.max_deviation <= lottery.info["type_deviation"] + 1.0 / M + 1e-12
    assert lottery.max_deviation <= 2.0 / M
    # rounding each composition to floor/ceil at random is never better than the optimised rounding
    rng = np.random.default_rng(0)
    pi = dist.type_probabilities()
    for _ in range(5):
        m = np.floor(M * dist.probabilities).astype(int)
        fractional = np.flatnonzero(M * dist.probabilities - m > 1e-9)
        extra = rng.choice(fractional, M - m.sum(), replace=False)
        m[extra] += 1
        naive = np.abs((m @ dist.compositions) / (M * types.counts) - pi).max()
        assert lottery.info["type_deviation"] <= naive + 1e-12
    assert lottery.max_relative_deviation == pytest.approx(lottery.max_deviation * instance.n / instance.k)


def test_seeds_reproduce_the_ticket_table_and_draw():
    instance, dist = CASES[-2]
    a, b, c = (transparent_lottery(dist, 500, seed=s) for s in (3, 3, 4))
    assert a.tickets == b.tickets and a.tickets != c.tickets
    assert a.draw(11) == b.draw(11) and a.draw(11)[0] == ticket_for_seed(11, 500)
    assert a.draw_ticket(1) == list(a.tickets[0])
    with pytest.raises(ValueError):
        a.draw_ticket(501)
    assert draw_panel(dist, 5) == draw_panel(dist, 5)


def test_seed_from_public_numbers_follows_the_documented_hash():
    expected = int.from_bytes(hashlib.sha256(b"7,13,42").digest()[:8], "big")
    assert seed_from_public_numbers([7, 13, 42]) == expected
    assert seed_from_public_numbers(["07", " 13 ", "42"]) == expected
    assert seed_from_public_numbers([13, 7, 42]) != expected
    with pytest.raises(InputError):
        seed_from_public_numbers(["7", "x"])
    with pytest.raises(InputError):
        seed_from_public_numbers([])


def small_result() -> tuple[Instance, SelectionResult]:
    instance = load_instance(DATA / "respondents.csv", DATA / "categories.csv", 20)
    dist = random_distribution(instance, 3)
    return instance, SelectionResult("test", dist.marginals(), distribution=dist)


def test_audit_record_and_replay_of_a_lottery(tmp_path):
    instance, result = small_result()
    for name in ("respondents.csv", "categories.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    instance.sources = {"pool": str(tmp_path / "respondents.csv"), "quotas": str(tmp_path / "categories.csv")}
    lottery = transparent_lottery(result, M=1000, seed=9)
    published = commitment(instance, "test", {"a": 1}, lottery)
    seed = seed_from_public_numbers([3, 14, 15, 92])
    ticket, panel = lottery.draw(seed)
    record = audit_record(instance, algorithm="test", options={"a": 1}, seed=seed, panel=panel, lottery=lottery,
                          ticket=ticket, public_numbers=[3, 14, 15, 92])
    assert record["instance_sha256"] == instance.fingerprint()
    assert record["input_files"]["pool"]["sha256"] == hashlib.sha256((tmp_path / "respondents.csv").read_bytes()).hexdigest()
    assert record["input_files"]["quotas"]["sha256"] == hashlib.sha256((tmp_path / "categories.csv").read_bytes()).hexdigest()
    assert record["library_version"] == __version__ and record["seed"] == seed
    assert record["lottery"]["M"] == 1000 and record["lottery"]["ticket"] == ticket
    assert record["lottery"]["commitment"] == published
    assert record["panel_ids"] == [instance.ids[i] for i in panel] and record["created_utc"].endswith("+00:00")
    assert replay(record, instance, result) == panel
    tampered = dict(record, panel_ids=record["panel_ids"][::-1][:-1] + ["nobody"])
    with pytest.raises(ReplayMismatch):
        replay(tampered, instance, result)
    with pytest.raises(ReplayMismatch):
        replay(dict(record, seed_source={"public_numbers": ["3", "14", "15", "93"]}), instance, result)
    with pytest.raises(ReplayMismatch):
        replay(dict(record, lottery=dict(record["lottery"], seed=10)), instance, result)
    other = instance.with_quotas(instance.quotas, k=19)
    with pytest.raises(ReplayMismatch):
        replay(record, other, result)
    assert commitment(instance, "test", {"a": 2}, lottery) != published


def test_audit_record_and_replay_of_a_plain_draw():
    instance, result = small_result()
    panel = draw_panel(result, 21)
    record = audit_record(instance, algorithm="test", options={}, seed=21, panel=panel,
                          files={"pool": (DATA / "respondents.csv")})
    assert record["input_files"]["pool"]["sha256"] == hashlib.sha256(open(DATA / "respondents.csv", "rb").read()).hexdigest()
    assert "lottery" not in record
    pool_file = {"pool": DATA / "respondents.csv"}  # the recorded hash is checked against this file
    assert replay(record, instance, result, files=pool_file) == panel
    with pytest.raises(ReplayMismatch):
        replay(dict(record, seed=22), instance, result, files=pool_file)


def test_exports():
    instance, result = small_result()
    dist = result.distribution
    table = distribution_table(instance, dist)
    assert table["probability"].sum() == pytest.approx(1.0)
    assert "gender=female, leaning=liberal" in table.columns
    type_columns = table.columns[3:]
    assert (table[type_columns].sum(axis=1) == instance.k).all()
    people = volunteer_probabilities(instance, result.marginals)
    assert list(people.columns) == ["id", *instance.pool.columns, "probability"]
    assert people["probability"].sum() == pytest.approx(instance.k)
    panel = draw_panel(result, 1)
    chosen, rest = panel_tables(instance, panel)
    assert len(chosen) == instance.k and len(rest) == instance.n - instance.k
    assert set(chosen["id"]) == {instance.ids[i] for i in panel} and not set(chosen["id"]) & set(rest["id"])
    lottery = transparent_lottery(dist, M=50, seed=0)
    tickets = ticket_table(instance, lottery)
    assert list(tickets["ticket"]) == list(range(1, 51))
    assert tickets["volunteers"][0].split(", ") == [instance.ids[i] for i in lottery.tickets[0]]


@pytest.mark.parametrize("holds_ids", [True, False])
def test_exports_of_a_pool_with_an_id_column(holds_ids):
    base = random_instance(4, n=12, k=5)
    pool = base.pool.copy()
    ids = [f"P{i:02d}" for i in range(base.n)]
    pool.insert(1, "id", ids if holds_ids else [f"other {i}" for i in range(base.n)])
    pool["probability"] = "not a number"  # a pool column that clashes with the inserted probability
    instance = Instance(pool=pool, categories=base.categories, quotas=base.quotas, k=base.k, ids=ids)
    result = run_uniform(instance)
    people = volunteer_probabilities(instance, result.marginals)
    assert list(people.columns).count("id") == 1 and people.columns[0] in ("id", "volunteer id")
    id_column = "id" if holds_ids else "volunteer id"
    assert people.columns[0] == id_column and list(people[id_column]) == ids
    if not holds_ids:
        assert list(people["id"]) == list(pool["id"])  # the pool's own column is kept as it was
    assert list(people["probability"]) == ["not a number"] * instance.n
    assert people["volunteer probability"].to_numpy() == pytest.approx(result.marginals)
    panel = draw_panel(result, 3)
    chosen, rest = panel_tables(instance, panel)
    for table in (chosen, rest):
        assert list(table.columns).count("id") == 1 and table.columns[0] == id_column
    assert list(chosen[id_column]) == [ids[i] for i in panel]
    assert len(rest) == instance.n - instance.k and not set(chosen[id_column]) & set(rest[id_column])
    from core.views.lottery import selected_and_remaining, volunteer_rows
    assert volunteer_rows(instance).equals(volunteer_probabilities(instance, result.marginals).iloc[:, :-1])
    assert all(a.equals(b) for a, b in zip(selected_and_remaining(instance, panel), (chosen, rest)))


def run_uniform(instance: Instance) -> SelectionResult:
    from core.counting import select

    return select(instance, seed=0, options={})


def test_rounding_is_reproducible_and_never_worse_than_systematic_or_the_optional_ip():
    medium, dist = CASES[-2]
    from core.lottery import _systematic_rounding, _type_deviation

    lottery = transparent_lottery(dist, M=1000, seed=5)
    systematic = _systematic_rounding(dist.probabilities, 1000, np.random.default_rng(5))
    assert lottery.info["rounding"] == "exchange search"
    assert lottery.info["type_deviation"] <= _type_deviation(dist, systematic, 1000) + 1e-15
    assert lottery.info["type_deviation"] == pytest.approx(lottery.info["exchange_search_deviation"])
    again = transparent_lottery(dist, M=1000, seed=5)
    assert again.tickets == lottery.tickets  # no clock in the rounding: the table is reproducible
    small, small_dist = CASES[0]
    plain = transparent_lottery(small_dist, M=1000, seed=1)
    with_ip = transparent_lottery(small_dist, M=1000, seed=1, time_limit=5.0)
    assert with_ip.info["type_deviation"] <= plain.info["type_deviation"] + 1e-15
