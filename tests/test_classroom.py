"""The classroom: every panel listed, every spread of chance consistent, traces that match the algorithms."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.algorithms.legacy import exact_legacy_distribution
from core.errors import InputError
from core.io.examples import load_example
from core.views.classroom import panel_table, spread_of_chance
from core.views.classroom_pool import classroom_instance, instance_tables, participation_from_shares, quota_rows
from core.views.classroom_steps import legacy_trace, leximin_stages

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def classroom():
    return load_example("classroom")[0]


def tiny() -> object:
    """Six volunteers, two categories, a panel of 3 with tight quotas."""
    pool = pd.DataFrame({"name": ["A", "B", "C", "D", "E", "F"],
                         "gender": ["w", "w", "w", "w", "m", "m"],
                         "age": ["young", "old", "old", "old", "young", "old"]})
    quotas = pd.DataFrame({"category": ["gender", "gender", "age", "age"], "value": ["w", "m", "young", "old"],
                           "min": [1, 1, 1, 1], "max": [2, 2, 2, 2]})
    return classroom_instance(pool, quotas, 3)


def brute_force_count(instance) -> int:
    count = 0
    for panel in combinations(range(instance.n), instance.k):
        ok = True
        for q in instance.quotas:
            seats = sum(instance.pool[q.category].iloc[i] == q.value for i in panel)
            ok &= q.min <= seats <= q.max
        count += ok
    return count


@pytest.mark.parametrize("make", ["classroom", "tiny"])
def test_panel_counts_match_brute_force(make, classroom) -> None:
    instance = classroom if make == "classroom" else tiny()
    table = panel_table(instance)
    assert table.total == len(list(combinations(range(instance.n), instance.k)))
    assert table.count == brute_force_count(instance)
    assert table.share == pytest.approx(table.count / table.total)
    broken = table.frame()["breaks"]
    assert ((broken == "") == table.representative).all()


def test_classroom_example_numbers(classroom) -> None:
    table = panel_table(classroom)
    assert (table.total, table.count) == (495, 99)


def test_spreads_sum_to_one_and_reproduce_marginals(classroom) -> None:
    q = participation_from_shares(classroom)
    report = spread_of_chance(classroom, seed=3, participation=q)
    table = report.table
    assert {"pool_lottery", "uniform", "legacy", "maximin", "leximin", "diversimax", "endtoend"} <= set(report.spreads)
    for key, spread in report.spreads.items():
        p = spread.panel_probabilities
        assert p.sum() == pytest.approx(1.0, abs=1e-9), key
        assert (p >= -1e-12).all(), key
        if key != "pool_lottery":  # every panel any algorithm returns meets every quota
            assert p[~table.representative].sum() == pytest.approx(0.0, abs=1e-12), key
        again = np.zeros(classroom.n)
        for panel, mass in zip(table.panels, p):
            again[list(panel)] += mass
        assert np.allclose(again, spread.person_probabilities, atol=1e-9), key
        assert spread.person_probabilities.sum() == pytest.approx(classroom.k, abs=1e-8), key
        assert spread.reading
    # the simple lottery misses the quotas exactly as often as non-representative panels are common
    lottery = report.spreads["pool_lottery"]
    assert lottery.panel_probabilities[~table.representative].sum() == pytest.approx(1 - 99 / 495)
    assert np.allclose(lottery.person_probabilities, 4 / 12)
    # uniform over representative panels: every representative panel has 1/99
    assert np.allclose(report.spreads["uniform"].panel_probabilities[table.representative], 1 / 99)
    # legacy agrees with the legacy engineer's exact recursion
    exact, _ = exact_legacy_distribution(classroom)
    assert np.allclose(report.spreads["legacy"].person_probabilities, exact.marginals(), atol=1e-9)
    # leximin's smallest chance is at least maximin's, and above legacy's
    lex, maxi, leg = (report.spreads[k].person_probabilities.min() for k in ("leximin", "maximin", "legacy"))
    assert lex == pytest.approx(maxi, abs=1e-7) and lex > leg + 0.01


def test_end_to_end_needs_participation(classroom) -> None:
    report = spread_of_chance(classroom, ["endtoend"])
    assert "endtoend" in report.unavailable and not report.spreads


def test_legacy_trace_ends_in_a_representative_panel(classroom) -> None:
    types = classroom.types
    for seed in range(40):
        trace = legacy_trace(classroom, seed)
        assert types.is_valid(types.composition_of(trace.panel))
        picks = [s for s in trace.steps if s.kind == "pick" and s.attempt == trace.attempts]
        assert [s.picked for s in picks] and sorted(s.picked for s in picks) == trace.panel
        assert picks[-1].panel == trace.panel
        for step in picks:  # the value served had the largest ratio among values with volunteers left
            ratios = step.ratios.dropna(subset=["ratio"])
            assert ratios.loc[ratios["value"] == step.value, "ratio"].iloc[0] == ratios["ratio"].max()
            assert step.picked not in step.dropped
    again = legacy_trace(classroom, 7)
    assert again.panel == legacy_trace(classroom, 7).panel  # seeded


def test_legacy_trace_frequencies_follow_the_exact_distribution(classroom) -> None:
    exact, _ = exact_legacy_distribution(classroom)
    counts = np.zeros(classroom.n)
    runs = 500
    for seed in range(runs):
        counts[legacy_trace(classroom, seed).panel] += 1
    # 500 runs: standard error <= 0.0224, so 0.1 is more than 4.4 standard errors
    assert np.abs(counts / runs - exact.marginals()).max() < 0.1


def test_legacy_trace_restarts_when_stuck() -> None:
    instance = tiny()
    traces = [legacy_trace(instance, seed) for seed in range(60)]
    for trace in traces:
        assert instance.types.is_valid(instance.types.composition_of(trace.panel))
        assert trace.attempts == 1 + sum(s.kind == "restart" for s in trace.steps)


@pytest.mark.parametrize("make", ["classroom", "tiny"])
def test_leximin_stages_match_the_final_marginals(make, classroom) -> None:
    instance = classroom if make == "classroom" else tiny()
    stages = leximin_stages(instance)
    fixed = stages.fixed_probabilities(instance.n)
    assert not np.isnan(fixed).any()
    assert np.allclose(fixed, stages.distribution.marginals(), atol=1e-7)
    values = [s.probability for s in stages.stages]
    assert values == sorted(values) and len(set(np.round(values, 9))) == len(values)
    people = sorted(i for s in stages.stages for i in s.fixed)
    assert people == list(range(instance.n))
    # brute force: no distribution over valid panels gives a larger smallest chance
    report = spread_of_chance(instance, ["maximin"])
    assert values[0] == pytest.approx(report.spreads["maximin"].person_probabilities.min(), abs=1e-7)
    if make == "classroom":
        assert np.allclose(fixed, [0.25] * 8 + [0.5] * 4, atol=1e-7)


def test_classroom_instance_reports_every_problem() -> None:
    pool = pd.DataFrame({"name": ["A", "A", ""], "gender": ["w", None, "m"]})
    quotas = pd.DataFrame({"category": ["gender", "gender"], "value": ["w", "m"], "min": [2, "x"], "max": [1, 1]})
    with pytest.raises(InputError) as caught:
        classroom_instance(pool, quotas, 7)
    text = str(caught.value)
    for words in ("outside the classroom range", "at least 7", "no name", "more than once", "has no gender",
                  "whole numbers", "0 <= min <= max"):
        assert words in text


def test_quota_rows_follow_the_pool(classroom) -> None:
    pool, quotas = instance_tables(classroom)
    pool.loc[0, "age"] = "student"
    rows = quota_rows(pool, ["gender", "age"], quotas, 4)
    assert ("age", "student") in set(zip(rows["category"], rows["value"]))
    kept = rows[(rows["category"] == "gender") & (rows["value"] == "woman")].iloc[0]
    assert (kept["min"], kept["max"]) == (2, 2)
    new = rows[rows["value"] == "student"].iloc[0]
    assert (new["min"], new["max"]) == (0, 4)


def classroom_page():
    """The app with the classroom page selected (run from the entry point, so page links resolve)."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180)
    app.switch_page("pages/6_Classroom.py")
    return app


def test_classroom_page_runs(classroom) -> None:
    app = classroom_page()
    instance, extras = load_example("classroom")
    app.session_state["instance"] = instance
    app.session_state["loaded_instance"] = instance
    app.session_state["extras"] = extras
    app.session_state["source"] = "example “classroom”"
    app.run()
    assert not app.exception
    assert [m.value for m in app.metric][:2] == ["495", "99"]
    assert any("**99** meet every quota" in m.value for m in app.markdown)
    assert any(m.value.startswith("#### Leximin") for m in app.markdown)
    app.slider[0].set_value(1).run()
    assert not app.exception
    assert any(m.value.startswith("**Step 1 of") for m in app.markdown)


def test_classroom_page_without_a_loaded_pool_uses_the_example() -> None:
    app = classroom_page()
    app.run()
    assert not app.exception
    assert [m.value for m in app.metric][:2] == ["495", "99"]
