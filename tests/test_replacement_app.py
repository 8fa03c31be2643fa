"""The Lottery page's replacement draw and reserve list, driven by Streamlit's AppTest."""

from __future__ import annotations

import json

from tests.test_app import (
    LOTTERY,
    app,
    assert_clean,
    button,
    load_classroom,
    run_compare,
    texts,
)


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
