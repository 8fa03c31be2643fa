"""The app's core helpers: comparison figures, quota tuning, scenarios, summaries, lottery views."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from core.algorithms.enumeration import valid_compositions
from core.analysis.compare import (
    allocation_curves,
    comparison_table,
    filter_volunteers,
    panels_meeting_quotas,
    seats_table,
    volunteer_table,
)
from core.analysis.feasibility import check
from core.distribution import Distribution
from core.errors import InputError
from core.io.examples import load_example
from core.io.scenarios import Scenario, quota_file_table, scenarios_from_json, scenarios_to_json
from core.lottery import transparent_lottery
from core.selection import SelectionResult
from core.views.lottery import lottery_volunteers, selected_and_remaining, volunteer_rows
from core.views.quota_editing import proportional, quota_flags, quota_table, quotas_from_table
from core.views.summary import category_overview, instance_summary


@pytest.fixture(scope="module")
def classroom():
    return load_example("classroom")[0]


def uniform_over_valid(instance) -> SelectionResult:
    """Equal probability on every valid composition: an exact, hand-checkable distribution."""
    comps = valid_compositions(instance.types)
    dist = Distribution(instance.types, comps, np.full(len(comps), 1 / len(comps)))
    return SelectionResult("even", dist.marginals(), distribution=dist, seconds=0.5)


def test_comparison_table_figures(classroom):
    result = uniform_over_valid(classroom)
    other = SelectionResult("flat", np.full(classroom.n, classroom.k / classroom.n), seconds=1.0)
    table = comparison_table(classroom, {"even": result, "flat": other}).set_index("algorithm")
    p = result.marginals
    assert table.loc["even", "min probability"] == pytest.approx(p.min())
    assert table.loc["even", "max probability"] == pytest.approx(p.max())
    assert table.loc["even", "mean probability"] == pytest.approx(4 / 12)
    assert table.loc["even", "support (panels)"] == len(valid_compositions(classroom.types))
    assert table.loc["even", "panels meeting quotas"] == 1.0
    assert table.loc["flat", "Gini"] == pytest.approx(0.0)
    assert table.loc["flat", "share below k/n"] == 0.0
    assert np.isnan(table.loc["flat", "support (panels)"])
    # the flat allocation gives every man 1/3 of a seat: 4/3 expected seats for men, below the min of 2
    assert table.loc["flat", "expected seats within quotas"] != f"{len(classroom.quotas)} of {len(classroom.quotas)}"


def test_panels_meeting_quotas_counts_probability_of_valid_panels(classroom):
    types = classroom.types
    valid = valid_compositions(types)[0]
    women = [t for t in range(types.size) if types.A[0, t]]  # quota 0 is gender=woman
    invalid_four = np.zeros(types.size, dtype=np.int64)
    left = 4
    for t in women:
        take = min(left, int(types.counts[t]))
        invalid_four[t] = take
        left -= take
    dist = Distribution(types, np.array([valid, invalid_four]), np.array([0.75, 0.25]))
    result = SelectionResult("mixed", dist.marginals(), distribution=dist)
    assert panels_meeting_quotas(classroom, result) == pytest.approx(0.75)


def test_curves_seats_and_volunteer_table(classroom):
    result = uniform_over_valid(classroom)
    curves = allocation_curves(classroom, {"even": result})
    assert list(curves["probability"]) == sorted(result.marginals)
    assert curves["position"].between(0, 1).all()
    seats = seats_table(classroom, {"even": result})
    women = seats[(seats["category"] == "gender") & (seats["value"] == "woman")].iloc[0]
    assert women["expected seats"] == pytest.approx(2.0) and women["within quota"]
    assert seats[seats["category"] == "gender"]["expected seats"].sum() == pytest.approx(4.0)
    assert women["proportional seats"] == pytest.approx(2.0)
    volunteers = volunteer_table(classroom, {"even": result})
    assert list(volunteers["id"]) == classroom.ids
    assert np.allclose(volunteers["even"], result.marginals)
    men = filter_volunteers(volunteers, {"gender": ["man"]})
    assert len(men) == 4
    assert list(filter_volunteers(volunteers, {}, "ada")["id"]) == ["Ada"]


def test_summary_and_overview(classroom):
    summary = instance_summary(classroom, {"background": None, "letters": None})
    assert (summary["n"], summary["k"], summary["categories"]) == (12, 4, 2)
    assert summary["types"] == len({(g, a) for g, a in zip(classroom.pool["gender"], classroom.pool["age"])})
    overview = category_overview(classroom).set_index(["category", "value"])
    assert overview.loc[("gender", "woman"), "volunteers"] == 8
    assert overview.loc[("gender", "woman"), "pool share"] == pytest.approx(8 / 12)
    assert overview.loc[("gender", "woman"), "proportional seats"] == pytest.approx(2.0)


def test_flags_and_edits(classroom):
    bad = classroom.with_quotas([replace(q, min=3, max=3) if q.category == "gender" else q for q in classroom.quotas])
    flags = quota_flags(bad, check(bad))
    assert all(f.startswith("⚠") for f, q in zip(flags, bad.quotas) if q.category == "gender")
    assert all(f == "✓ ok" for f, q in zip(flags, bad.quotas) if q.category == "age")
    table = quota_table(classroom, check(classroom))
    table.loc[0, "max"] = 3
    quotas = quotas_from_table(classroom, table)
    assert quotas[0].max == 3 and quotas[1:] == classroom.quotas[1:]
    table = table.astype({"min": "object", "max": "object"})  # as an editor may return cleared or odd cells
    table.loc[1, "min"] = None
    table.loc[2, "max"] = 2.5
    with pytest.raises(InputError) as error:
        quotas_from_table(classroom, table)
    where = [(p.file, p.row, p.column) for p in error.value.problems]
    assert where == [("quota table", 2, "min"), ("quota table", 3, "max")]


def test_proportional_quotas(classroom):
    quotas = proportional(classroom, 0.0)
    by = {q.label: q for q in quotas}
    assert (by["gender=woman"].min, by["gender=woman"].max) == (2, 2)
    assert by["age=30-59"].min == 1 and by["age=30-59"].max == 2  # 4 x 0.4 = 1.6
    unknown = classroom.with_quotas(classroom.quotas)
    unknown.population_shares = None
    with pytest.raises(InputError):
        proportional(unknown, 0.1)


def test_scenarios_round_trip_and_errors(classroom):
    edited = classroom.with_quotas([replace(q, max=3) if q.value == "woman" else q for q in classroom.quotas], k=5)
    text = scenarios_to_json([Scenario.of("wider", edited), Scenario.of("loaded", classroom)])
    back = scenarios_from_json(text.encode(), "s.json", classroom)
    assert [s.name for s in back] == ["wider", "loaded"]
    assert back[0].apply(classroom).quotas == edited.quotas and back[0].k == 5
    document = json.loads(text)
    document["scenarios"][0]["quotas"][0]["value"] = "robot"
    document["scenarios"][1]["k"] = 99
    with pytest.raises(InputError) as error:
        scenarios_from_json(json.dumps(document), "s.json", classroom)
    messages = [str(p) for p in error.value.problems]
    assert len(messages) == 2 and all(m.startswith("s.json") for m in messages)
    with pytest.raises(InputError):
        scenarios_from_json(b"not json", "s.json", classroom)


def test_quota_file_table_reloads(tmp_path, classroom):
    from core.io.examples import EXAMPLES_FOLDER
    from core.io.loaders import load_instance

    path = tmp_path / "quotas.csv"
    quota_file_table(classroom).to_csv(path, index=False)
    again = load_instance(EXAMPLES_FOLDER / "classroom" / "pool.csv", path, classroom.k)
    assert again.quotas == classroom.quotas


def test_lottery_views(classroom):
    result = uniform_over_valid(classroom)
    lottery = transparent_lottery(result, M=100, seed=3)
    view = lottery_volunteers(classroom, lottery)
    assert list(view["exact probability"]) == sorted(view["exact probability"])
    assert (view["tickets"] / 100 == view["lottery probability"]).all()
    rows = volunteer_rows(classroom)
    assert list(rows.columns).count("id") == 1 and list(rows["id"]) == classroom.ids
    panel = lottery.draw_ticket(1)
    selected, remaining = selected_and_remaining(classroom, panel)
    assert len(selected) == 4 and len(remaining) == 8
    assert set(selected["id"]) == {classroom.ids[i] for i in panel}
