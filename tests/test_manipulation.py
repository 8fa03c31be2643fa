"""Incentives to misreport: every probability is `select`'s on the pool with that one report changed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.design.manipulation import (
    alternatives,
    examined_rows,
    incentives,
    manipulability,
    misreported,
)
from core.io.examples import load_example
from core.io.loaders import load_instance
from core.model import Instance, Quota
from core.selection import run
from tests.test_fair_exact import brute_leximin, tiny_instance


def write_files(instance, folder: Path) -> tuple[Path, Path]:
    """The instance as pool and quota CSV files (the pool with an id column)."""
    pool = instance.pool.copy()
    pool.insert(0, "id", instance.ids)
    quotas = pd.DataFrame([(q.category, q.value, q.min, q.max) for q in instance.quotas],
                          columns=["category", "feature", "min", "max"])
    pool.to_csv(folder / "pool.csv", index=False)
    quotas.to_csv(folder / "quotas.csv", index=False)
    return folder / "pool.csv", folder / "quotas.csv"


CASES = [tiny_instance(seed) for seed in (0, 2, 5)]


@pytest.mark.parametrize("algorithm", ["leximin", "nash", "maximin", "uniform"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_misreport_probability_is_select_on_the_changed_pool(algorithm: str, case: int, tmp_path: Path) -> None:
    instance = CASES[case]
    row = 1
    found = incentives(instance, row, algorithm, seed=3)
    assert [(m.category, m.value) for m in found.misreports] == alternatives(instance, row)
    assert len(found.misreports) == sum(len(instance.values(c)) - 1 for c in instance.categories)
    truthful = run(algorithm, instance, seed=3).marginals[row]
    assert found.truthful == pytest.approx(truthful, abs=1e-7)
    for misreport in found.misreports:
        # the changed pool written to a file and loaded again: an independent path to the same instance
        changed = instance.pool.copy()
        changed.loc[row, misreport.category] = misreport.value
        folder = tmp_path / f"{misreport.category}_{misreport.value}"
        folder.mkdir()
        pool_file, quota_file = write_files(instance.with_quotas(instance.quotas), folder)
        pd.concat([pd.Series(instance.ids, name="id"), changed], axis=1).to_csv(pool_file, index=False)
        cold = run(algorithm, load_instance(pool_file, quota_file, instance.k), seed=3)
        assert misreport.probability == pytest.approx(cold.marginals[row], abs=1e-6)
        if algorithm == "leximin":  # and that is the leximin of the changed pool, by brute force
            changed_instance = misreported(instance, row, misreport.category, misreport.value)
            marginals = run("leximin", changed_instance, seed=3).marginals
            np.testing.assert_allclose(np.sort(marginals), brute_leximin(changed_instance.types), atol=1e-6)
    best = max(m.probability for m in found.misreports)
    assert found.largest_gain == pytest.approx(max(0.0, best - found.truthful), abs=1e-7)


def test_misreports_with_households() -> None:
    instance = tiny_instance(3, household=True)  # every volunteer a type of their own: nothing is carried over
    found = incentives(instance, 0, "leximin")
    for misreport in found.misreports:
        changed = misreported(instance, 0, misreport.category, misreport.value)
        assert changed.household == instance.household
        assert misreport.probability == pytest.approx(run("leximin", changed, seed=0).marginals[0], abs=1e-6)


def test_misreport_can_make_a_type_of_ones_own() -> None:
    pool = pd.DataFrame({"g": ["f", "f", "m", "m"], "a": ["y", "y", "o", "o"]})
    quotas = [Quota("g", "f", 1, 1), Quota("g", "m", 1, 1), Quota("a", "y", 0, 2), Quota("a", "o", 0, 2)]
    instance = Instance(pool=pool, categories=["g", "a"], quotas=quotas, k=2)
    changed = misreported(instance, 0, "a", "o")
    assert (instance.types.size, changed.types.size) == (2, 3)  # (f, o) is a new type of volunteer 0's own
    assert instance.pool.loc[0, "a"] == "y"  # the original pool is untouched
    found = incentives(instance, 0, "leximin")
    assert found.truthful == pytest.approx(0.5)
    assert [m.probability for m in found.misreports] == pytest.approx(
        [run("leximin", misreported(instance, 0, c, v), seed=0).marginals[0] for c, v in alternatives(instance, 0)])


def test_manipulability_is_the_largest_gain_over_every_type() -> None:
    instance, _ = load_example("classroom")
    result = manipulability(instance, "leximin", seed=1)
    assert result.exhaustive and result.sample_size is None
    assert len(result.examined) == instance.types.size
    assert {instance.types.of_volunteer[e.row] for e in result.examined} == set(range(instance.types.size))
    assert result.largest_gain == pytest.approx(max(e.largest_gain for e in result.examined))
    assert result.largest_gain > 0.05  # leximin on the classroom pool is manipulable (checked by hand: 15%)
    best = result.achieved_by.best
    changed = misreported(instance, result.achieved_by.row, best.category, best.value)
    again = run("leximin", changed, seed=1).marginals[result.achieved_by.row]
    assert again - result.achieved_by.truthful == pytest.approx(result.largest_gain, abs=1e-6)


def test_sample_is_seeded_and_recorded() -> None:
    instance, _ = load_example("climate_300")
    rows, exhaustive, size = examined_rows(instance, 5, seed=7)
    assert (rows, exhaustive, size) == examined_rows(instance, 5, seed=7)
    assert size == 5 and not exhaustive and 1 <= len(rows) <= 5
    assert len({instance.types.of_volunteer[r] for r in rows}) == len(rows)
    assert examined_rows(instance, 5, seed=8)[0] != rows or examined_rows(instance, 5, seed=9)[0] != rows


def test_cli_volunteer_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    instance = CASES[0]
    pool_file, quota_file = write_files(instance, tmp_path)
    out = tmp_path / "out.json"
    code = main(["manipulation", "--pool", str(pool_file), "--quotas", str(quota_file), "--k", str(instance.k),
                 "--algorithm", "leximin", "--volunteer", instance.ids[2], "--seed", "4", "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    assert {"volunteer", "truthful", "misreports", "largest_gain"} <= set(data)
    assert data["volunteer"] == instance.ids[2]
    for entry in data["misreports"]:
        assert set(entry) == {"category", "value", "probability"}
        changed = instance.pool.copy()
        changed.loc[2, entry["category"]] = entry["value"]
        pd.concat([pd.Series(instance.ids, name="id"), changed], axis=1).to_csv(tmp_path / "changed.csv", index=False)
        assert main(["select", "--pool", str(tmp_path / "changed.csv"), "--quotas", str(quota_file), "--k",
                     str(instance.k), "--algorithm", "leximin", "--seed", "4", "--json", str(tmp_path / "s.json")]) == 0
        selected = json.loads((tmp_path / "s.json").read_text())
        assert entry["probability"] == pytest.approx(selected["marginals"][2], abs=1e-6)
    capsys.readouterr()


def test_cli_manipulability_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    instance = CASES[1]
    pool_file, quota_file = write_files(instance, tmp_path)
    base = ["manipulation", "--pool", str(pool_file), "--quotas", str(quota_file), "--k", str(instance.k)]
    assert main(base + ["--algorithm", "nash", "--sample", "4", "--seed", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sample_size"] == 4 and data["seed"] == 2
    assert data["manipulability"] == pytest.approx(max(v["largest_gain"] for v in data["volunteers"]))
    assert main(base + ["--algorithm", "leximin", "--volunteer", "nobody"]) == 2
    assert "no volunteer has id 'nobody'" in capsys.readouterr().err
    assert main(base + ["--algorithm", "nosuch"]) == 2
    assert main(base + ["--algorithm", "leximin", "--sample", "0"]) == 2


def test_compare_and_classroom_pages_show_incentives_to_misreport() -> None:
    from tests.test_app import app, assert_clean, button, load_classroom, run_compare

    at = run_compare(load_classroom(app()), ["leximin", "uniform"])
    assert "Incentives to misreport" in [s.value for s in at.subheader]
    button(at, "Compute largest gain").click().run()
    assert_clean(at)
    table = next(d.value for d in at.dataframe if "examined" in d.value.columns)
    assert list(table["algorithm"]) == ["leximin", "uniform"]
    assert table.set_index("algorithm").loc["leximin", "largest gain from one misreport"] == pytest.approx(15.0, abs=1e-4)
    side_by_side = next(d.value for d in at.dataframe if "Gini" in d.value.columns)
    assert side_by_side.set_index("algorithm").loc["leximin", "largest gain from one misreport"] == pytest.approx(0.15)
    at.switch_page("pages/6_Classroom.py").run()
    button(at, "Compute every misreport").click().run()
    assert_clean(at)
    every = next(d.value for d in at.dataframe if "misreport" in d.value.columns and "gain" in d.value.columns)
    assert set(every["volunteer"]) == set(at.session_state["instance"].ids)
    assert every[every["algorithm"] == "leximin"]["gain"].max() == pytest.approx(0.15, abs=1e-6)


def test_leximin_reruns_are_the_full_leximin_on_each_changed_pool() -> None:
    """The shared rerun machinery (the truthful mixture with one swap, or relaxation + face walk; no
    pricing) gives what `select` gives, and is the path taken: no rerun fell back to the full leximin."""
    from core.fair.leximin_reruns import LeximinReruns

    taken = {"swaps": 0, "face_walks": 0}
    for instance in [CASES[1], load_example("climate_300")[0]]:  # tight relaxations (CASES 0 and 2: some p = 0)
        truthful = run("leximin", instance, seed=0)
        reruns = LeximinReruns(instance, truthful=truthful)
        rows = [int(members[0]) for members in instance.types.members][:3]
        for row in rows:
            for category, value in alternatives(instance, row)[:4]:
                full = run("leximin", misreported(instance, row, category, value), seed=0).marginals[row]
                assert reruns.probability(row, category, value) == pytest.approx(full, abs=1e-7)
        assert reruns.stats["swaps"] + reruns.stats["face_walks"] == reruns.stats["reruns"]
        assert reruns.stats["full_runs"] == 0
        taken = {path: taken[path] + reruns.stats[path] for path in taken}
    assert taken["swaps"] > 0 and taken["face_walks"] > 0  # both shortcuts were checked against the full leximin


def test_leximin_reruns_fall_back_to_the_full_leximin_with_households_or_targets() -> None:
    from core.fair.leximin_reruns import LeximinReruns

    households = tiny_instance(3, household=True)
    reruns = LeximinReruns(households)
    category, value = alternatives(households, 0)[0]
    assert reruns.probability(0, category, value) == pytest.approx(
        run("leximin", misreported(households, 0, category, value), seed=0).marginals[0], abs=1e-7)
    assert reruns.stats["full_runs"] == 1
    instance = CASES[0]
    quota = instance.quotas[0]
    targeted = instance.with_quotas([replace(quota, target=(quota.min + quota.max) / 2), *instance.quotas[1:]])
    reruns = LeximinReruns(targeted)
    category, value = alternatives(targeted, 1)[0]
    assert reruns.probability(1, category, value) == pytest.approx(
        run("leximin", misreported(targeted, 1, category, value), seed=0).marginals[1], abs=1e-7)
    assert reruns.stats["full_runs"] == 1


def test_manipulability_is_the_same_in_any_number_of_processes() -> None:
    instance, _ = load_example("classroom")
    alone = manipulability(instance, "leximin", seed=1)
    shared = manipulability(instance, "leximin", seed=1, workers=2)
    assert [(e.row, e.truthful, [(m.category, m.value, m.probability) for m in e.misreports]) for e in alone.examined] == \
        [(e.row, e.truthful, [(m.category, m.value, m.probability) for m in e.misreports]) for e in shared.examined]
    assert shared.largest_gain == alone.largest_gain and shared.reruns == alone.reruns
    assert shared.paths == alone.paths and sum(alone.paths.values()) == alone.reruns


def test_cli_refuses_a_bad_number_of_workers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    instance = CASES[1]
    pool_file, quota_file = write_files(instance, tmp_path)
    base = ["manipulation", "--pool", str(pool_file), "--quotas", str(quota_file), "--k", str(instance.k),
            "--algorithm", "leximin"]
    assert main(base + ["--workers", "0"]) == 2
    assert "--workers must be between 1 and 64" in capsys.readouterr().err
    assert main(base + ["--workers", "2", "--seed", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["exhaustive"] is True


def test_leximin_reruns_fall_back_when_a_solver_fails_on_the_shortcut(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.errors import SolverError
    from core.fair import leximin_reruns

    def failing(types):
        raise SolverError("the relaxed leximin LP ended with status Unknown")

    instance = CASES[1]
    monkeypatch.setattr(leximin_reruns, "relaxed_leximin", failing)
    reruns = leximin_reruns.LeximinReruns(instance)
    category, value = alternatives(instance, 1)[0]
    assert reruns.probability(1, category, value) == pytest.approx(
        run("leximin", misreported(instance, 1, category, value), seed=0).marginals[1], abs=1e-7)
    assert reruns.stats["full_runs"] == 1
