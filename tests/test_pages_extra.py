"""The Intersections and End-to-end pages driven by Streamlit's AppTest on the bundled examples.

Pages are opened from the entry point (their sidebar links need it) with the example put into the
session exactly as Home's "Load this example" does (ui.state.set_loaded's keys).
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.io.examples import load_example

ROOT = Path(__file__).resolve().parents[1]
INTERSECTIONS = "pages/4_Intersections.py"
END_TO_END = "pages/5_End_to_end.py"
TIMEOUT = 120


def page(path: str, example: str) -> AppTest:
    """The app on `path` with `example` loaded (the keys ui.state.set_loaded writes)."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    instance, extras = load_example(example)
    at.session_state["instance"] = instance
    at.session_state["loaded_instance"] = instance
    at.session_state["extras"] = extras
    at.session_state["source"] = f"example “{example}”"
    at.session_state["results"] = {}
    at.session_state["results_for"] = instance.fingerprint()
    at.session_state["tried_default"] = True
    at.switch_page(path)
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def button(at: AppTest, key: str):
    return at.button(key=key)


# ---- Intersections -------------------------------------------------------------------------------

def test_intersections_classroom_runs_diversimax_and_the_baselines():
    at = page(INTERSECTIONS, "classroom")
    assert_clean(at)
    assert "No algorithm has been run" in texts(at.info)
    button(at, "run_diversimax").click().run()
    assert_clean(at)
    button(at, "run_missing").click().run()
    assert_clean(at)
    summary = next(d.value for d in at.dataframe if "Gini of selection probabilities" in d.value.columns)
    rows = summary.set_index("algorithm")
    assert {"diversimax", "legacy"} <= set(rows.index)
    assert rows.loc["diversimax", "volunteers with probability 0"] > 0
    fair = "leximin" if "leximin" in rows.index else "maximin"
    assert rows.loc[fair, "lowest selection probability"] > 0
    # a panel of 4 covers at most 4 of the 6 gender x age identities
    per_table = next(d.value for d in at.dataframe if "cells the pool fills" in d.value.columns)
    assert (per_table["expected empty cells"] >= 2 - 1e-6).all()
    # every drawn panel leaves out at least two identities, listed with their chance of being left out
    left_out = [d.value for d in at.dataframe if "chance left out" in d.value.columns]
    assert left_out and all(len(t) >= 2 for t in left_out)
    # one drawn panel instead of the expected members
    at.radio(key="intersection_view").set_value("one drawn panel").run()
    assert_clean(at)
    # a one-category table is refused with a message, not a traceback
    at.multiselect(key="intersection_categories").set_value(["gender"]).run()
    assert not at.exception
    assert "Choose two or three categories" in texts(at.error)


def test_intersections_climate_with_a_short_diversimax_run():
    at = page(INTERSECTIONS, "climate_300")
    at.slider(key="dmax_time_limit").set_value(3)
    at.selectbox(key="dmax_order").set_value(2)
    button(at, "run_diversimax").click().run()
    assert_clean(at)
    summary = next(d.value for d in at.dataframe if "Gini of selection probabilities" in d.value.columns)
    assert list(summary["algorithm"]) == ["diversimax"]
    assert any("Diversimax: " in c.value for c in at.caption)
    at.multiselect(key="intersection_categories").set_value(["gender", "age", "education"]).run()
    assert_clean(at)


# ---- End to end ----------------------------------------------------------------------------------

def test_end_to_end_climate_estimates_checks_and_simulates():
    at = page(END_TO_END, "climate_300")
    assert_clean(at)
    assert at.number_input(key="e2e_letters").value == 9584
    at.slider(key="e2e_resamples").set_value(10)
    button(at, "e2e_estimate").click().run()
    assert_clean(at)
    betas = next(d.value for d in at.dataframe if "β" in d.value.columns)
    assert set(betas["category"]) == {"gender", "age", "region", "education", "ethnicity", "climate_concern"}
    assert (betas["interval from"] <= betas["β"] + 1e-9).all() and (betas["β"] <= betas["interval to"] + 1e-9).all()
    checks = next(d.value for d in at.dataframe if "check" in d.value.columns)
    assert len(checks) == 3
    assert "Press **Simulate**" in texts(at.info)
    at.select_slider(key="e2e_phase_pools").set_value(500)
    at.slider(key="e2e_other_pools").set_value(1)
    at.multiselect(key="e2e_compare").set_value(["legacy"])
    button(at, "e2e_simulate").click().run()
    assert_clean(at)
    summary = next(d.value for d in at.dataframe if "population within ±10% of k/N" in d.value.columns)
    assert list(summary["algorithm"]) == ["endtoend (Phase I)", "legacy"]
    assert summary["pools"].iloc[0] + summary["pools skipped"].iloc[0] == 500


def test_end_to_end_reports_bad_letters_next_to_the_inputs():
    at = page(END_TO_END, "climate_300")
    at.number_input(key="e2e_letters").set_value(100)  # fewer letters than the 300 volunteers
    at.slider(key="e2e_resamples").set_value(0)
    button(at, "e2e_estimate").click().run()
    assert not at.exception
    assert "letters cannot have produced a pool of 300 volunteers" in texts(at.error)


def test_end_to_end_classroom_asks_for_a_background_sample():
    at = page(END_TO_END, "classroom")
    assert_clean(at)
    assert "upload one to estimate who volunteers" in texts(at.info)
    assert at.radio(key="e2e_source").options == ["upload a file"]
