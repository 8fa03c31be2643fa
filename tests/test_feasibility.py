"""Feasibility, impossible quotas and the minimal repair, checked against brute force on tiny pools."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest

from core.algorithms.enumeration import valid_compositions
from core.analysis.feasibility import BoundChange, Repair, check, require_feasible
from core.errors import InfeasibleQuotas
from core.model import Instance, Quota, TypeSpace


def make_instance(columns: dict[str, list[str]], quotas: list[tuple], k: int, household: list[str] | None = None) -> Instance:
    pool = pd.DataFrame(columns)
    categories = list(dict.fromkeys(q[0] for q in quotas))
    return Instance(pool, categories, [Quota(*q) for q in quotas], k, household=household or [])


def has_panel(instance: Instance) -> bool:
    return len(valid_compositions(instance.types)) > 0


def brute_force_repair_total(instance: Instance) -> int | None:
    """Smallest total bound change over every composition c (sum c = k, c <= N):
    a composition needs sum_q max(0, min_q - seats_q) + max(0, seats_q - max_q), within flex."""
    types = instance.types
    best = None
    for c in product(*(range(int(n) + 1) for n in types.counts)):
        c = np.array(c)
        if c.sum() != instance.k:
            continue
        seats = types.A @ c
        total = 0
        for q, s in zip(instance.quotas, seats):
            new_min, new_max = min(q.min, s), max(q.max, s)
            if new_min < q.min and new_min < (q.min_flex if q.min_flex is not None else 0):
                break
            if new_max > q.max and new_max > (q.max_flex if q.max_flex is not None else instance.k):
                break
            total += (q.min - new_min) + (new_max - q.max)
        else:
            best = total if best is None else min(best, total)
    return best


def random_instance(rng: np.random.Generator) -> Instance:
    n = int(rng.integers(5, 11))
    k = int(rng.integers(2, 6))
    columns = {"gender": rng.choice(["f", "m"], n).tolist(), "age": rng.choice(["young", "mid", "old"], n).tolist()}
    quotas = []
    for category, values in (("gender", ["f", "m"]), ("age", ["young", "mid", "old"])):
        for value in values:
            low = int(rng.integers(0, 4))
            quotas.append((category, value, low, low + int(rng.integers(0, 3))))
    return make_instance(columns, quotas, k)


GENDER_AGE = {"gender": ["f", "f", "f", "m", "m", "m"], "age": ["young", "old", "old", "young", "old", "old"]}


def test_feasible_instance_has_no_repair():
    instance = make_instance(GENDER_AGE, [("gender", "f", 1, 2), ("gender", "m", 1, 2),
                                          ("age", "young", 1, 2), ("age", "old", 1, 3)], k=3)
    report = check(instance)
    assert report.feasible and report.repair is None and report.impossible == []
    assert require_feasible(instance) is not None


def test_min_above_volunteers_is_impossible_and_repaired():
    instance = make_instance(GENDER_AGE, [("gender", "f", 1, 3), ("gender", "m", 1, 3),
                                          ("age", "young", 3, 3), ("age", "old", 0, 4)], k=4)
    report = check(instance)
    assert not report.feasible
    assert any("age=young needs at least 3 seats but only 2 volunteer(s)" in str(p) for p in report.impossible)
    assert report.repair.changes == [BoundChange("age", "young", "min", 3, 2)]
    assert str(report.repair.changes[0]) == "age=young: min 3 -> 2"
    assert report.repair.total == 1
    assert check(report.repair.apply(instance)).feasible


def test_category_sums_are_reported():
    instance = make_instance(GENDER_AGE, [("gender", "f", 3, 3), ("gender", "m", 2, 3),
                                          ("age", "young", 0, 1), ("age", "old", 0, 1)], k=4)
    messages = " ".join(str(p) for p in check(instance).impossible)
    assert "mins of category 'gender' add up to 5, more than the panel size k=4" in messages
    assert "maxes of category 'age' add up to 2, less than the panel size k=4" in messages


def test_values_with_too_few_volunteers_can_leave_seats_unfillable():
    # the maxes of age add up to k = 4, but only 2 volunteers are young, so age fills at most 3 seats
    instance = make_instance(GENDER_AGE, [("gender", "f", 0, 4), ("gender", "m", 0, 4),
                                          ("age", "young", 0, 3), ("age", "old", 0, 1)], k=4)
    messages = " ".join(str(p) for p in check(instance).impossible)
    assert "category 'age' can fill at most 3 of the 4 seats" in messages


def test_interacting_quotas_have_no_impossible_quota_but_a_repair():
    # every young volunteer is a man: 2 young seats force 2 men, yet men may hold at most 1 seat
    columns = {"gender": ["f", "f", "f", "m", "m"], "age": ["old", "old", "old", "young", "young"]}
    instance = make_instance(columns, [("gender", "f", 0, 3), ("gender", "m", 0, 1),
                                       ("age", "young", 2, 2), ("age", "old", 0, 3)], k=3)
    report = check(instance)
    assert not report.feasible and report.impossible == []
    assert report.repair.total == 1
    assert check(report.repair.apply(instance)).feasible


@pytest.mark.parametrize("seed", range(40))
def test_random_repairs_are_feasible_and_minimal(seed):
    instance = random_instance(np.random.default_rng(seed))
    report = check(instance)
    expected = brute_force_repair_total(instance)
    assert report.feasible == has_panel(instance)
    if report.feasible:
        assert expected == 0 and report.repair is None
    else:
        assert report.repair.total == expected
        repaired = report.repair.apply(instance)
        assert has_panel(repaired) and check(repaired).feasible


def test_flex_limits_are_respected():
    quotas = [Quota("gender", "f", 1, 3), Quota("gender", "m", 1, 3),
              Quota("age", "young", 3, 3, min_flex=2), Quota("age", "old", 0, 1, max_flex=4)]
    instance = Instance(pd.DataFrame(GENDER_AGE), ["gender", "age"], quotas, k=4)
    report = check(instance)
    assert report.repair.total == brute_force_repair_total(instance) == 2
    for change in report.repair.changes:
        quota = instance.quota(change.category, change.value)
        if change.bound == "min":
            assert change.new >= quota.min_flex
        else:
            assert change.new <= quota.max_flex


def test_flex_that_forbids_every_repair_says_so():
    quotas = [Quota("gender", "f", 1, 3), Quota("gender", "m", 1, 3),
              Quota("age", "young", 3, 3, min_flex=3), Quota("age", "old", 0, 4)]
    instance = Instance(pd.DataFrame(GENDER_AGE), ["gender", "age"], quotas, k=4)
    report = check(instance)
    assert not report.feasible and report.repair is None
    assert "min_flex/max_flex" in report.message


def test_panel_larger_than_pool_is_unrepairable():
    instance = make_instance(GENDER_AGE, [("gender", "f", 0, 9), ("gender", "m", 0, 9),
                                          ("age", "young", 0, 9), ("age", "old", 0, 9)], k=7)
    report = check(instance)
    assert not report.feasible and report.repair is None
    assert any("larger than the pool" in str(p) for p in report.impossible)
    with pytest.raises(InfeasibleQuotas, match="larger than the pool"):
        require_feasible(instance)


def test_households_limit_the_panel():
    columns = dict(GENDER_AGE, address=["1", "1", "2", "2", "3", "3"])
    quotas = [("gender", "f", 0, 4), ("gender", "m", 0, 4), ("age", "young", 0, 4), ("age", "old", 0, 4)]
    too_big = make_instance(columns, quotas, k=4, household=["address"])
    report = check(too_big)
    assert not report.feasible and report.repair is None
    assert any("only 3 distinct households" in str(p) for p in report.impossible)
    # two young seats need volunteers 0 and 3, who live apart: feasible; with 3 young seats it is not
    young = [("gender", "f", 0, 3), ("gender", "m", 0, 3), ("age", "young", 2, 3), ("age", "old", 0, 3)]
    assert check(make_instance(columns, young, k=3, household=["address"])).feasible
    columns["address"] = ["1", "2", "3", "1", "4", "5"]
    report = check(make_instance(columns, young, k=3, household=["address"]))
    assert not report.feasible
    assert [str(c) for c in report.repair.changes] == ["age=young: min 2 -> 1"]


def test_require_feasible_message_lists_repair_lines():
    instance = make_instance(GENDER_AGE, [("gender", "f", 1, 3), ("gender", "m", 1, 3),
                                          ("age", "young", 3, 3), ("age", "old", 0, 4)], k=4)
    with pytest.raises(InfeasibleQuotas) as error:
        require_feasible(instance)
    assert isinstance(error.value.repair, Repair)
    assert "age=young: min 3 -> 2" in str(error.value)
    assert error.value.impossible


def test_repair_is_fast_on_two_thousand_types():
    # per-person types give 2,000 types (unique addresses alone no longer split types: asked for here)
    rng = np.random.default_rng(1)
    n = 2000
    columns = {"g": rng.choice(["a", "b"], n).tolist(), "r": rng.choice(list("nsewc"), n).tolist(),
               "address": [str(i) for i in range(n)]}
    quotas = [("g", "a", 120, 130), ("g", "b", 100, 110)] + [("r", v, 40, 60) for v in "nsewc"]
    instance = make_instance(columns, quotas, k=200, household=["address"])
    instance.__dict__["types"] = TypeSpace.of(instance, per_person=True)
    assert instance.types.size == n
    report = check(instance)
    assert not report.feasible and report.repair.total == 20
    # among repairs of total 20, the largest single change is as small as possible
    assert [str(c) for c in report.repair.changes] == ["g=a: min 120 -> 110", "g=b: min 100 -> 90"]
    assert check(report.repair.apply(instance)).feasible
