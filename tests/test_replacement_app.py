"""The Lottery page's replacement draw and reserve list, driven by Streamlit's AppTest."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from core.after.reserve import read_dropout_rates
from core.after.views import DROPOUT_COLUMN, dropout_rate_table, dropout_rates_of
from core.errors import InputError
from core.io.examples import load_example
from tests.test_app import (
    LOTTERY,
    ROOT,
    app,
    assert_clean,
    button,
    load_classroom,
    run_compare,
    texts,
)
from ui.state import uploaded_extras


def drawn_panel():
    at = run_compare(load_classroom(app()), ["leximin"])
    at.switch_page(LOTTERY).run()
    at.radio[0].set_value("Enter a seed").run()
    next(box for box in at.text_input if box.label == "Seed").set_value("7").run()
    button(at, "Draw the panel").click().run()
    assert_clean(at)
    return at


def test_lottery_draws_replacements_for_who_declined():
    at = drawn_panel()
    instance = at.session_state["instance"]
    panel = at.session_state["draws"][-1]["panel"]
    declined = instance.ids[panel[0]]
    at.multiselect(key="declined_ids").set_value([declined]).run()
    at.number_input(key="replacement_seed").set_value(3).run()
    button(at, "Draw replacements").click().run()
    assert_clean(at)
    (outcome, record), = at.session_state["replacements"].values()
    assert outcome.declined_rows == [panel[0]] and len(outcome.replacement_rows) == 1
    assert instance.types.is_valid(instance.types.composition_of(outcome.completed_rows))
    assert "drew 1 replacement(s)" in texts(at.success)
    updated = next(frame.value for frame in at.dataframe if "status" in frame.value.columns)
    assert sorted(updated["status"]) == ["kept"] * 3 + ["replacement"]
    assert set(updated["id"]) == {instance.ids[i] for i in outcome.completed_rows}
    chances = next(frame.value for frame in at.dataframe if "replacement probability" in frame.value.columns)
    assert abs(chances["replacement probability"].sum() - 1.0) < 1e-9
    assert declined not in set(chances["id"])
    assert json.loads(json.dumps(record))["replacement"]["declined_ids"] == [declined]
    button(at, "Draw replacements").click().run()
    (again, _), = at.session_state["replacements"].values()
    assert again.replacement_rows == outcome.replacement_rows


def test_lottery_chooses_a_reserve_list_and_compares_it_with_greedy():
    at = drawn_panel()
    at.number_input(key="reserve_size").set_value(3).run()
    at.number_input(key="reserve_scenarios").set_value(50).run()
    button(at, "Choose the reserve list").click().run()
    assert_clean(at)
    (reserve,) = at.session_state["reserve_lists"].values()
    metrics = {m.label: float(m.value) for m in at.metric if m.label.startswith("Expected")}
    assert metrics["Expected deviation, optimised"] <= metrics["Expected deviation, greedy"]
    assert len(reserve.optimised.rows) == 3
    listed = next(frame.value for frame in at.dataframe if "position" in frame.value.columns)
    assert listed["position"].tolist() == [1, 2, 3]


def test_drop_out_rates_per_value_from_the_quota_file_shape_the_reserve_list():
    """The quota file's `dropout` column fills the page's table of rates per value; a member's
    drop-out probability is the mean over categories of their values' rates (0.1 where none)."""
    at = drawn_panel()
    instance = at.session_state["instance"]
    quota_bytes = (ROOT / "examples" / "classroom" / "quotas.csv").read_bytes()
    table = pd.read_csv(io.BytesIO(quota_bytes), dtype=str)
    table["dropout"] = ["50%" if value == "woman" else "" for value in table["feature"]]
    extras = uploaded_extras(table.to_csv(index=False).encode(), "quotas.csv")
    assert extras["dropout_rates"] == {("gender", "woman"): 0.5} and extras["dropout_error"] is None
    at.session_state["extras"] = extras
    at.run()
    assert any(e.label == "Drop-out rate per value (from the quota file)" for e in at.expander)
    at.number_input(key="reserve_size").set_value(2).run()
    at.number_input(key="reserve_scenarios").set_value(20).run()
    button(at, "Choose the reserve list").click().run()
    assert_clean(at)
    (reserve,) = at.session_state["reserve_lists"].values()
    categories = len(instance.categories)
    gender = instance.categories.index("gender")
    panel = at.session_state["draws"][-1]["panel"]
    expected = [(0.5 + 0.1 * (categories - 1)) / categories
                if instance.values("gender")[instance.codes[row, gender]] == "woman" else 0.1 for row in panel]
    assert reserve.dropout.tolist() == pytest.approx(expected)
    assert 0.1 in reserve.dropout.tolist() and max(expected) > 0.1  # the panel has women and men
    assert any("from 0.10 to" in c.value for c in at.caption)


def test_unreadable_drop_out_rates_leave_the_pool_loaded_and_are_named_where_used():
    at = drawn_panel()
    quota_bytes = (ROOT / "examples" / "classroom" / "quotas.csv").read_bytes()
    table = pd.read_csv(io.BytesIO(quota_bytes), dtype=str)
    table["dropout"] = ["often" if value == "woman" else "" for value in table["feature"]]
    extras = uploaded_extras(table.to_csv(index=False).encode(), "quotas.csv")
    assert extras["dropout_rates"] == {} and isinstance(extras["dropout_error"], InputError)
    (problem,) = extras["dropout_error"].problems
    assert (problem.file, problem.row, problem.column) == ("quotas.csv", 2, "dropout")
    at.session_state["extras"] = extras
    at.run()
    assert "drop-out rate 'often' is not a number between 0 and 1" in texts(at.error)
    assert at.session_state["instance"] is not None


def test_the_rate_table_round_trips_and_refuses_rates_outside_zero_and_one():
    instance, _ = load_example("classroom")
    rates = {("gender", "woman"): 0.25, ("age", "60+"): 0.0}
    table = dropout_rate_table(instance, rates)
    assert len(table) == sum(len(instance.values(c)) for c in instance.categories)
    assert dropout_rates_of(table) == rates
    table.loc[0, DROPOUT_COLUMN] = 1.5
    with pytest.raises(InputError, match="not between 0 and 1"):
        dropout_rates_of(table)


def test_a_dropout_column_without_category_and_value_columns_is_named():
    wide = b"category,woman,man\nmin,2,2\nmax,2,2\ndropout,0.1,0.2\n"
    with pytest.raises(InputError) as caught:
        read_dropout_rates(b"dropout,min,max\n0.1,2,2\n", "wide.csv")
    assert caught.value.problems[0].column == "dropout" and caught.value.problems[0].file == "wide.csv"
    assert uploaded_extras(wide, "wide.csv")["dropout_rates"] == {}  # a row named dropout is not a column
