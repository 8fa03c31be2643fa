"""Replacement draws against brute force on tiny pools, their audit record and replay, and the CLI."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from test_fair_exact import brute_leximin, tiny_instance
from tiny_pools import write_two_category_pool

from core.after.audit import replacement_record, replay_replacement
from core.after.replacement import (
    ReplacementInfeasible,
    check_panel,
    condition,
    draw_replacements,
    merge_free_values,
)
from core.algorithms.enumeration import all_panels
from core.audit.record import ReplayMismatch
from core.cli import main
from core.errors import InputError
from core.fair.leximin import leximin
from core.model import Instance, Quota


def completions(instance: Instance, panel: list[int], declined: list[int]) -> list[tuple[int, ...]]:
    """Brute force: every valid panel of the original instance that keeps the kept members and takes
    no other panel member, as the sorted tuple of its replacements."""
    kept = set(panel) - set(declined)
    out = []
    for other in all_panels(instance.types):
        chosen = set(other)
        if kept <= chosen and not (chosen - kept) & set(panel):
            out.append(tuple(sorted(chosen - kept)))
    return sorted(out)


def cases() -> list[tuple[Instance, list[int], list[int]]]:
    """Tiny feasible instances, a valid panel of each, and one or two of its members declining."""
    out = []
    for seed, household in [(s, False) for s in range(10)] + [(s, True) for s in (3, 5, 7, 9)]:
        instance = tiny_instance(seed, household=household)
        panels = all_panels(instance.types)
        if not panels:
            continue
        rng = np.random.default_rng(seed)
        panel = list(panels[int(rng.integers(len(panels)))])
        for size in (1, 2):
            if size <= len(panel):
                declined = sorted(int(i) for i in rng.choice(panel, size=size, replace=False))
                if completions(instance, panel, declined):
                    out.append((instance, panel, declined))
    return out


CASES = cases()


def test_cases_include_households_and_several_declines() -> None:
    assert len(CASES) >= 8
    assert any(case[0].household for case in CASES) and any(len(case[2]) == 2 for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_conditioned_panels_are_exactly_the_valid_completions(case) -> None:
    instance, panel, declined = case
    conditioned = condition(instance, panel, declined)
    mapped = sorted(tuple(sorted(int(conditioned.remaining_rows[i]) for i in p))
                    for p in all_panels(conditioned.instance.types))
    assert mapped == completions(instance, panel, declined)


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_replacement_probabilities_are_the_brute_force_leximin_of_the_conditioned_instance(case) -> None:
    """Brute-force leximin over every valid panel of the conditioned instance (whose panels are exactly
    the valid completions, test above) gives the sorted replacement probabilities; leximin is unique,
    so members of a conditioned type share one probability."""
    instance, panel, declined = case
    outcome = draw_replacements(instance, panel, declined, seed=3)
    conditioned = condition(instance, panel, declined)
    types = conditioned.instance.types
    got = outcome.probabilities[conditioned.remaining_rows]
    np.testing.assert_allclose(np.sort(got), brute_leximin(types), atol=1e-6)
    for members in types.members:
        assert np.ptp(got[members]) < 1e-9
    assert outcome.probabilities[panel].sum() == 0.0
    assert outcome.probabilities.sum() == pytest.approx(len(declined), abs=1e-9)


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_every_completion_drawn_meets_the_original_quotas(case) -> None:
    instance, panel, declined = case
    valid = set(completions(instance, panel, declined))
    kept = sorted(set(panel) - set(declined))
    for seed in range(15):
        outcome = draw_replacements(instance, panel, declined, seed=seed)
        assert tuple(outcome.replacement_rows) in valid
        assert outcome.kept_rows == kept and sorted(kept + outcome.replacement_rows) == outcome.completed_rows
        assert instance.types.is_valid(instance.types.composition_of(outcome.completed_rows))


def test_merging_values_that_cannot_bind_keeps_leximin_and_nash_probabilities() -> None:
    from core.fair.nash import nash

    merged_cases = 0
    for instance, panel, declined in CASES:
        conditioned = condition(instance, panel, declined).instance
        merged = merge_free_values(conditioned)
        if merged is conditioned:
            continue
        merged_cases += 1
        assert merged.types.size <= conditioned.types.size
        np.testing.assert_allclose(leximin(merged.types).marginals(), leximin(conditioned.types).marginals(), atol=1e-7)
        np.testing.assert_allclose(nash(merged.types, gap_tolerance=1e-10).marginals(),
                                   nash(conditioned.types, gap_tolerance=1e-10).marginals(), atol=1e-4)
    assert merged_cases >= 4


def test_uniform_replacement_is_uniform_over_the_completions() -> None:
    instance, panel, declined = CASES[0]
    sets = completions(instance, panel, declined)
    outcome = draw_replacements(instance, panel, declined, seed=1, algorithm="uniform")
    for i in range(instance.n):
        assert outcome.probabilities[i] == pytest.approx(sum(i in s for s in sets) / len(sets), abs=1e-9)


@pytest.mark.parametrize("algorithm", ["maximin", "nash", "legacy", "goldilocks"])
def test_other_algorithms_draw_valid_completions(algorithm: str) -> None:
    instance, panel, declined = CASES[1]
    valid = set(completions(instance, panel, declined))
    outcome = draw_replacements(instance, panel, declined, seed=2, algorithm=algorithm,
                                options={"draws": 200} if algorithm == "legacy" else None)
    assert tuple(outcome.replacement_rows) in valid
    assert outcome.probabilities.sum() == pytest.approx(len(declined), abs=1e-6)


def test_replacements_follow_the_conditioned_leximin_when_drawn_many_times() -> None:
    instance, panel, declined = CASES[2]
    conditioned = condition(instance, panel, declined)
    distribution = leximin(conditioned.instance.types)
    outcome = draw_replacements(instance, panel, declined, seed=0)
    np.testing.assert_allclose(outcome.probabilities[conditioned.remaining_rows], distribution.marginals(), atol=1e-9)
    counts = np.zeros(instance.n)
    draws = 2000
    for seed in range(draws):
        counts[draw_replacements(instance, panel, declined, seed=seed, result=outcome.selection).replacement_rows] += 1
    sigma = np.sqrt(outcome.probabilities * (1 - outcome.probabilities) / draws)
    assert (np.abs(counts / draws - outcome.probabilities) <= 5 * sigma + 1e-12).all()


def blocked_case() -> tuple[Instance, list[int], list[int]]:
    """The only volunteer with gender x (min 1) is on the panel and declines: no completion exists."""
    pool = pd.DataFrame({"g": ["x", "f", "f", "m", "m", "f", "m"], "a": ["y", "o", "y", "o", "y", "o", "o"]})
    quotas = [Quota("g", "x", 1, 1), Quota("g", "f", 1, 2), Quota("g", "m", 1, 2), Quota("a", "y", 1, 2),
              Quota("a", "o", 1, 2)]
    return Instance(pool=pool, categories=["g", "a"], quotas=quotas, k=3), [0, 1, 3], [0]


def test_no_completion_gives_the_smallest_repair_in_original_bounds() -> None:
    instance, panel, declined = blocked_case()
    with pytest.raises(ReplacementInfeasible) as error:
        draw_replacements(instance, panel, declined, seed=0)
    repair = error.value.repair
    assert [str(c) for c in repair.changes] == ["g=x: min 1 -> 0"]
    assert "No replacement is possible" in str(error.value) and "g=x: min 1 -> 0" in str(error.value)
    repaired = repair.apply(instance)
    outcome = draw_replacements(repaired, panel, declined, seed=0)
    assert repaired.types.is_valid(repaired.types.composition_of(outcome.completed_rows))


def test_bad_panels_and_declines_are_input_errors() -> None:
    instance, panel, _ = CASES[0]
    outside = next(i for i in range(instance.n) if i not in panel)
    with pytest.raises(InputError, match="not on the panel"):
        check_panel(instance, panel, [outside])
    with pytest.raises(InputError, match="twice"):
        check_panel(instance, panel, [panel[0], panel[0]])
    with pytest.raises(InputError, match="members, not k"):
        check_panel(instance, panel[:-1], [])
    broken = next(p for p in combinations(range(instance.n), instance.k)
                  if not instance.types.is_valid(instance.types.composition_of(list(p))))
    with pytest.raises(InputError, match="breaks"):
        check_panel(instance, list(broken), [])


def test_replay_reproduces_the_draw_and_detects_a_changed_input() -> None:
    instance, panel, declined = CASES[3]
    outcome = draw_replacements(instance, panel, declined, seed=11)
    record = json.loads(json.dumps(replacement_record(instance, outcome)))
    assert replay_replacement(record, instance) == outcome.completed_rows
    assert record["replacement"]["declined_ids"] == [instance.ids[i] for i in declined]
    changed_pool = instance.pool.copy()
    changed_pool.iloc[0, 0] = changed_pool.iloc[1, 0] if changed_pool.iloc[0, 0] != changed_pool.iloc[1, 0] else "v9"
    changed = Instance(pool=changed_pool, categories=instance.categories,
                       quotas=instance.quotas + ([Quota(instance.categories[0], "v9", 0, instance.k)]
                                                 if "v9" in changed_pool.iloc[:, 0].tolist() else []),
                       k=instance.k, household=instance.household)
    with pytest.raises(ReplayMismatch, match="instance differs"):
        replay_replacement(record, changed)
    tampered = json.loads(json.dumps(record))
    others = [instance.ids[i] for i in range(instance.n) if i not in panel and i not in outcome.replacement_rows]
    tampered["replacement"]["replacement_ids"] = others[:len(declined)]
    with pytest.raises(ReplayMismatch, match="other replacements"):
        replay_replacement(tampered, instance)
    tampered = json.loads(json.dumps(record))
    tampered["replacement"]["declined_ids"] = tampered["replacement"]["kept_ids"][:1]
    with pytest.raises(ReplayMismatch):
        replay_replacement(tampered, instance)


# ---- the command line --------------------------------------------------------------------------


@pytest.fixture()
def drawn(tmp_path):
    """A two-category pool of 200, a leximin panel of 20 drawn by `select`, its selected file."""
    pool, quotas = write_two_category_pool(tmp_path)
    out = tmp_path / "select.json"
    assert main(["select", "--pool", str(pool), "--quotas", str(quotas), "--k", "20", "--algorithm", "leximin",
                 "--seed", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    ids = [result["ids"][i] for i in result["panels"][0]]
    pd.DataFrame({"id": ids}).to_csv(tmp_path / "selected.csv", index=False)
    return tmp_path, pool, quotas, ids


def replace_args(folder, pool, quotas, declined_file: str, panel_file: str = "selected.csv") -> list[str]:
    return ["replace", "--pool", str(pool), "--quotas", str(quotas), "--k", "20", "--panel",
            str(folder / panel_file), "--declined", str(folder / declined_file), "--seed", "5"]


def test_cli_replace_writes_the_documented_json(drawn) -> None:
    folder, pool, quotas, ids = drawn
    pd.DataFrame({"id": ids[:2]}).to_csv(folder / "declined.csv", index=False)
    out = folder / "replace.json"
    assert main(replace_args(folder, pool, quotas, "declined.csv") + ["--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["declined"] == ids[:2] and sorted(result["kept"]) == sorted(ids[2:])
    assert len(result["replacements"]) == 2 and not set(result["replacements"]) & set(ids)
    assert sorted(result["panel"]["ids"]) == sorted(result["kept"] + result["replacements"])
    assert [result["ids"][i] for i in result["panel"]["rows"]] == result["panel"]["ids"]
    assert len(result["probabilities"]) == len(result["ids"]) == 200
    assert sum(result["probabilities"]) == pytest.approx(2, abs=1e-9)
    audit = result["audit"]
    assert audit["kind"] == "replacement" and audit["seed"] == 5
    assert {"pool", "quotas", "panel", "declined"} <= set(audit["input_files"])
    assert all(entry["sha256"] for entry in audit["input_files"].values())
    again = folder / "again.json"
    assert main(replace_args(folder, pool, quotas, "declined.csv") + ["--json", str(again)]) == 0
    assert json.loads(again.read_text())["replacements"] == result["replacements"]


def test_cli_replay_reproduces_a_replacement_draw_and_names_a_changed_file(drawn, capsys) -> None:
    folder, pool, quotas, ids = drawn
    pd.DataFrame({"id": ids[:2]}).to_csv(folder / "declined.csv", index=False)
    out = folder / "replace.json"
    assert main(replace_args(folder, pool, quotas, "declined.csv") + ["--json", str(out)]) == 0
    files = ["--pool", str(pool), "--quotas", str(quotas), "--panel", str(folder / "selected.csv")]
    capsys.readouterr()
    assert main(["replay", "--audit", str(out), *files, "--declined", str(folder / "declined.csv")]) == 0
    assert "reproduces" in capsys.readouterr().out
    pd.DataFrame({"id": ids[1:3]}).to_csv(folder / "other_declined.csv", index=False)
    assert main(["replay", "--audit", str(out), *files, "--declined", str(folder / "other_declined.csv")]) == 2
    assert "declined" in capsys.readouterr().err
    assert main(["replay", "--audit", str(out), "--pool", str(pool), "--quotas", str(quotas)]) == 2
    assert "no such file was given" in capsys.readouterr().err


@pytest.mark.parametrize("rows, message", [
    (["nobody"], "declined.csv, row 2, column 'id': id 'nobody' is not in the pool"),
    (["PANEL0", "PANEL0"], "declined.csv, row 3, column 'id': duplicate id"),
    (["OUTSIDE"], "declined.csv, row 2, column 'id': volunteer"),
])
def test_cli_replace_rejects_bad_declined_files(drawn, capsys, rows, message) -> None:
    folder, pool, quotas, ids = drawn
    outside = next(str(i) for i in range(1, 201) if str(i) not in ids)
    written = [ids[0] if r == "PANEL0" else outside if r == "OUTSIDE" else r for r in rows]
    pd.DataFrame({"id": written}).to_csv(folder / "declined.csv", index=False)
    assert main(replace_args(folder, pool, quotas, "declined.csv")) == 2
    assert message in capsys.readouterr().err


def test_cli_replace_rejects_a_panel_that_breaks_the_quotas(drawn, capsys) -> None:
    folder, pool, quotas, _ids = drawn
    table = pd.read_csv(pool)
    women = [str(i + 1) for i in np.flatnonzero(table["gender"].to_numpy() == "female")[:20]]
    pd.DataFrame({"id": women}).to_csv(folder / "women.csv", index=False)
    pd.DataFrame({"id": women[:1]}).to_csv(folder / "declined.csv", index=False)
    assert main(replace_args(folder, pool, quotas, "declined.csv", "women.csv")) == 2
    err = capsys.readouterr().err
    assert "women.csv: the panel breaks the quota gender=male" in err and "Traceback" not in err


def test_cli_replace_without_a_completion_prints_the_repair(tmp_path, capsys) -> None:
    instance, panel, declined = blocked_case()
    instance.pool.to_csv(tmp_path / "pool.csv", index=False)
    pd.DataFrame([(q.category, q.value, q.min, q.max) for q in instance.quotas],
                 columns=["category", "feature", "min", "max"]).to_csv(tmp_path / "quotas.csv", index=False)
    pd.DataFrame({"id": [str(i + 1) for i in panel]}).to_csv(tmp_path / "selected.csv", index=False)
    pd.DataFrame({"id": [str(i + 1) for i in declined]}).to_csv(tmp_path / "declined.csv", index=False)
    code = main(["replace", "--pool", str(tmp_path / "pool.csv"), "--quotas", str(tmp_path / "quotas.csv"),
                 "--k", "3", "--panel", str(tmp_path / "selected.csv"), "--declined", str(tmp_path / "declined.csv")])
    assert code == 2
    assert "g=x: min 1 -> 0" in capsys.readouterr().err


def test_cli_select_with_alternates_reports_both_lists(drawn) -> None:
    folder, pool, quotas, _ = drawn
    out = folder / "alternates.json"
    assert main(["select", "--pool", str(pool), "--quotas", str(quotas), "--k", "20", "--algorithm", "leximin",
                 "--seed", "1", "--alternates", "4", "--dropout", "0.2", "--scenarios", "30",
                 "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    alternates = result["alternates"]
    panel = set(result["panels"][0])
    assert len(alternates["ids"]) == len(alternates["rows"]) == 4 and not set(alternates["rows"]) & panel
    assert [result["ids"][i] for i in alternates["rows"]] == alternates["ids"]
    assert alternates["dropout"] == 0.2 and alternates["scenarios"] == 30
    assert alternates["expected_deviation"] <= alternates["greedy"]["expected_deviation"] + 1e-9
    assert len(alternates["greedy"]["ids"]) == 4 and "gap" in alternates["info"]


def test_cli_select_rejects_a_bad_dropout(drawn, capsys) -> None:
    _, pool, quotas, _ = drawn
    assert main(["select", "--pool", str(pool), "--quotas", str(quotas), "--k", "20", "--algorithm", "leximin",
                 "--seed", "1", "--alternates", "4", "--dropout", "1.5"]) == 2
    assert "--dropout 1.5 is not between 0 and 1" in capsys.readouterr().err


def test_cli_select_reads_per_value_dropout_rates(drawn) -> None:
    folder, pool, quotas, _ = drawn
    table = pd.read_csv(quotas)
    table["dropout"] = ["0.3", "", "10%", ""]  # female 0.3, male default, liberal 0.1, conservative default
    table.to_csv(folder / "quotas_dropout.csv", index=False)
    out = folder / "per_value.json"
    assert main(["select", "--pool", str(pool), "--quotas", str(folder / "quotas_dropout.csv"), "--k", "20",
                 "--algorithm", "leximin", "--seed", "1", "--alternates", "3", "--dropout", "0.05",
                 "--scenarios", "20", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    alternates = result["alternates"]
    assert alternates["dropout"] == "per value"
    people = pd.read_csv(pool)
    panel = result["panels"][0]
    expected = [(0.3 if people["gender"][i] == "female" else 0.05) / 2
                + (0.1 if people["leaning"][i] == "liberal" else 0.05) / 2 for i in panel]
    np.testing.assert_allclose(alternates["member_dropout"], expected)


def test_cli_replace_refuses_an_algorithm_it_cannot_run(drawn, capsys) -> None:
    folder, pool, quotas, ids = drawn
    pd.DataFrame({"id": ids[:1]}).to_csv(folder / "declined.csv", index=False)
    assert main(replace_args(folder, pool, quotas, "declined.csv") + ["--algorithm", "endtoend"]) == 2
    assert "replace cannot run 'endtoend'" in capsys.readouterr().err
