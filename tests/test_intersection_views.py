"""The Intersections page's tables: checked by hand and by brute force on the classroom example."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from core.errors import InputError
from core.io.examples import load_example
from core.selection import run
from core.views.intersections import (
    check_table_choice,
    heatmap_frame,
    identities_left_out,
    left_out_probability,
    per_table_metrics,
    summary_table,
)

TABLE = ["gender", "age"]


@pytest.fixture(scope="module")
def classroom():
    return load_example("classroom")[0]


def valid_panels(instance) -> list[tuple[int, ...]]:
    panels = []
    for panel in combinations(range(instance.n), instance.k):
        if all(q.min <= sum(instance.pool[q.category].iloc[i] == q.value for i in panel) <= q.max
               for q in instance.quotas):
            panels.append(panel)
    return panels


def test_table_choice_needs_two_or_three_distinct_categories(classroom) -> None:
    check_table_choice(classroom, TABLE)
    for bad in (["gender"], ["gender", "gender"], ["gender", "height"]):
        with pytest.raises(InputError):
            check_table_choice(classroom, bad)


def test_identities_left_out_by_a_hand_picked_panel(classroom) -> None:
    ids = list(classroom.pool["id"])
    panel = [ids.index(name) for name in ("Ada", "Bea", "Ivan", "Kai")]
    missing = identities_left_out(classroom, TABLE, panel)
    assert [tuple(r) for r in missing[["gender", "age", "pool"]].itertuples(index=False)] == [
        ("woman", "60+", 3), ("man", "60+", 1)]


def test_left_out_chance_of_the_uniform_lottery_matches_brute_force(classroom) -> None:
    panels = valid_panels(classroom)
    result = run("uniform", classroom, seed=1)
    exact = left_out_probability(classroom, TABLE, distribution=result.distribution)
    genders, ages = classroom.values("gender"), classroom.values("age")
    for c, (g, a) in enumerate([(g, a) for g in genders for a in ages]):
        without = sum(not any(classroom.pool["gender"].iloc[i] == g and classroom.pool["age"].iloc[i] == a
                              for i in panel) for panel in panels)
        assert exact[c] == pytest.approx(without / len(panels))
    # the estimate from drawn panels agrees within sampling error
    drawn = result.draw(4000, seed=7)
    estimate = left_out_probability(classroom, TABLE, panels=drawn)
    assert np.abs(estimate - exact).max() < 0.04


def test_heatmap_frame_marks_cells_left_out(classroom) -> None:
    ids = list(classroom.pool["id"])
    panel = [ids.index(name) for name in ("Ada", "Bea", "Ivan", "Kai")]
    from core.views.intersections import cell_counts
    frame = heatmap_frame(classroom, TABLE, {"drawn": cell_counts(classroom, TABLE, panel=panel)})
    left = frame[frame["left out"]]
    assert sorted(zip(left["column"], left["row"])) == [("man", "60+"), ("woman", "60+")]
    assert frame["count"].sum() == classroom.k and frame["pool"].sum() == classroom.n


def test_metrics_tables_show_diversimax_trade_off(classroom) -> None:
    results = {name: run(name, classroom, seed=3) for name in ("diversimax", "maximin")}
    marginals = {name: r.marginals for name, r in results.items()}
    per_table = per_table_metrics(classroom, marginals, {n: r.distribution for n, r in results.items()}, {})
    assert list(per_table["table"]) == ["gender × age", "gender × age"]
    # a panel of 4 can cover at most 4 of the 6 identities: at least 2 are always left out
    assert (per_table["expected empty cells"] >= 2 - 1e-9).all()
    summary = summary_table(classroom, marginals, per_table).set_index("algorithm")
    assert summary.loc["diversimax", "volunteers with probability 0"] > 0
    assert summary.loc["maximin", "lowest selection probability"] > 0
    assert summary.loc["diversimax", "Gini of selection probabilities"] > summary.loc["maximin", "Gini of selection probabilities"]
