"""Every page of the workbench driven by Streamlit's AppTest: load an example, run, read the results.

Data-editor cell edits are not simulated by AppTest, so edited quotas are set through
st.session_state["instance"], exactly what the page itself stores after an edit.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.analysis.feasibility import check
from core.views.quota_editing import proportional

ROOT = Path(__file__).resolve().parents[1]
HOME = str(ROOT / "streamlit_app.py")
POOL = "pages/1_Pool_and_quotas.py"
COMPARE = "pages/2_Compare.py"
LOTTERY = "pages/3_Lottery.py"
TIMEOUT = 240


def app() -> AppTest:
    return AppTest.from_file(HOME, default_timeout=TIMEOUT)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def load_classroom(at: AppTest) -> AppTest:
    """Run Home (which loads the default example), then load the classroom example."""
    at.run()
    at.selectbox[0].set_value("classroom").run()  # the button reads "Load classroom" after the pick
    at.button(key="load_example").click().run()
    assert_clean(at)
    assert at.session_state["instance"].n == 12
    return at


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button '{label}' among {[b.label for b in at.button]}"
    return matches[0]


def wait_for_run(at: AppTest, timeout: float = TIMEOUT) -> AppTest:
    """The Compare page runs its algorithms in the background: rerun the page until the run ended."""
    if "compare_run" not in at.session_state:
        return at  # nothing started (e.g. the quotas cannot be met): keep the page as it is
    deadline = time.monotonic() + timeout
    while at.session_state["compare_run"].running:
        assert time.monotonic() < deadline, "the Compare run did not end in time"
        time.sleep(0.2)
    return at.run()


def run_compare(at: AppTest, algorithms: list[str]) -> AppTest:
    at.switch_page(COMPARE).run()
    at.multiselect(key="compare_algorithms").set_value(algorithms).run()
    button(at, "Run").click().run()
    wait_for_run(at)
    assert_clean(at)
    return at


# ---- Home ----------------------------------------------------------------------------------------

def test_home_loads_the_realistic_example_by_default():
    at = app().run()
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Volunteers (n)"] == "300"
    assert metrics["Panel size (k)"] == "30"
    assert metrics["Categories"] == "6"
    assert metrics["Fair chance k/n"] == "10.0%"
    overview = at.dataframe[0].value
    assert set(overview["category"]) == {"gender", "age", "region", "education", "ethnicity", "climate_concern"}


def test_home_switches_to_another_example_and_drops_old_results():
    at = load_classroom(app())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Volunteers (n)"] == "12" and metrics["Panel size (k)"] == "4"
    assert at.session_state["results"] == {}
    assert at.session_state["instance"] is at.session_state["loaded_instance"]


def test_pages_without_a_pool_send_the_person_home():
    for page in (POOL, COMPARE, LOTTERY):
        at = app()
        at.switch_page(page).run()
        assert_clean(at)
        assert "No pool is loaded yet" in texts(at.info)


# ---- Pool and quotas -----------------------------------------------------------------------------

def test_pool_page_flags_infeasible_quotas_and_applies_the_repair():
    at = load_classroom(app())
    loaded = at.session_state["instance"]
    # both genders need 3 of the 4 seats: impossible; the repair lowers mins by 2 in total
    bad = loaded.with_quotas([replace(q, min=3, max=3) if q.category == "gender" else q for q in loaded.quotas])
    at.session_state["instance"] = bad
    at.switch_page(POOL).run()
    assert_clean(at)
    assert not at.success
    assert "add up to 6, more than the panel size k=4" in texts(at.error)
    quota_table = at.dataframe[0].value  # the data editor
    flagged = quota_table[quota_table["check"].str.startswith("⚠")]
    assert set(flagged["category"]) == {"gender"}
    assert at.session_state["instance"] is bad  # nothing changes until the repair is applied
    button(at, "Apply this repair").click().run()
    assert_clean(at)
    repaired = at.session_state["instance"]
    assert check(repaired).feasible
    assert "meets every quota" in texts(at.success)
    assert sum(abs(a.min - b.min) + abs(a.max - b.max) for a, b in zip(repaired.quotas, bad.quotas)) == 2
    assert at.session_state["loaded_instance"] is loaded  # what was loaded is kept


def test_pool_page_changes_k_makes_proportional_quotas_and_keeps_scenarios():
    at = load_classroom(app())
    at.switch_page(POOL).run()
    assert_clean(at)
    at.number_input[0].set_value(6).run()
    assert at.session_state["instance"].k == 6
    button(at, "Set proportional quotas").click().run()
    assert_clean(at)
    instance = at.session_state["instance"]
    assert instance.quotas == proportional(instance, 0.10)
    at.text_input[0].set_value("six seats").run()
    button(at, "Save").click().run()
    assert list(at.session_state["scenarios"]) == ["six seats"]
    button(at, "Back to the loaded quotas").click().run()
    assert at.session_state["instance"].k == 4
    button(at, "Use").click().run()
    assert at.session_state["instance"].k == 6
    assert at.session_state["instance"].quotas == instance.quotas


# ---- Compare -------------------------------------------------------------------------------------

def test_compare_runs_algorithms_and_shows_them_side_by_side():
    at = run_compare(load_classroom(app()), ["legacy", "maximin"])
    table = at.dataframe[0].value
    assert list(table["algorithm"]) == ["legacy", "maximin"]
    maximin = table.set_index("algorithm").loc["maximin"]
    assert maximin["min probability"] > 0  # shown as percent: every classroom volunteer has a chance
    results = at.session_state["results"]
    assert set(results) == {"legacy", "maximin"}
    assert abs(results["maximin"].marginals.sum() - 4) < 1e-6
    # one allocation chart and one seats chart per category
    assert len(at.get("vega_lite_chart")) == 1 + 2
    volunteers = at.dataframe[-1].value
    assert len(volunteers) == 12 and {"legacy", "maximin"} <= set(volunteers.columns)


def test_compare_filters_the_volunteer_table():
    at = run_compare(load_classroom(app()), ["maximin"])
    at.multiselect(key="filter_gender").set_value(["man"]).run()
    assert_clean(at)
    assert len(at.dataframe[-1].value) == 4


def test_compare_refuses_infeasible_quotas_with_a_message():
    at = load_classroom(app())
    loaded = at.session_state["instance"]
    at.session_state["instance"] = loaded.with_quotas(
        [replace(q, min=3, max=3) if q.category == "gender" else q for q in loaded.quotas])
    at = run_compare(at, ["maximin"])
    assert "No panel meets every quota" in texts(at.error)
    assert at.session_state["results"] == {}


# ---- Lottery -------------------------------------------------------------------------------------

def test_lottery_asks_for_a_distribution_first():
    at = load_classroom(app())
    at.switch_page(LOTTERY).run()
    assert_clean(at)
    assert "No distribution computed yet" in texts(at.info)


def test_lottery_draws_a_replayable_panel():
    at = run_compare(load_classroom(app()), ["maximin"])
    at.switch_page(LOTTERY).run()
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Tickets"] == "1,000"
    at.radio[0].set_value("Enter a seed").run()
    [box for box in at.text_input if box.label == "Seed"][0].set_value("12345").run()
    button(at, "Draw the panel").click().run()
    assert_clean(at)
    first = at.session_state["draws"][-1]
    assert first["seed"] == 12345
    assert "drew ticket" in texts(at.success)
    frames = [frame.value for frame in at.dataframe]
    at_seats = next(i for i, frame in enumerate(frames) if "within quota" in frame.columns)
    selected, seats = frames[at_seats - 1], frames[at_seats]  # the panel, then its seats per value
    assert seats["within quota"].all()
    assert len(selected) == 4
    assert set(selected["id"]) == {at.session_state["instance"].ids[i] for i in first["panel"]}
    record = first["record"]
    assert record["seed"] == 12345 and record["lottery"]["ticket"] == first["ticket"]
    button(at, "Draw the panel").click().run()
    again = at.session_state["draws"][-1]
    assert (again["ticket"], again["panel"]) == (first["ticket"], first["panel"])


def test_lottery_rejects_a_seed_that_is_not_a_number():
    at = run_compare(load_classroom(app()), ["maximin"])
    at.switch_page(LOTTERY).run()
    at.radio[0].set_value("Enter a seed").run()
    [box for box in at.text_input if box.label == "Seed"][0].set_value("12a").run()
    button(at, "Draw the panel").click().run()
    assert_clean(at)
    assert "is not a whole number of 0 or more" in texts(at.error)
    assert at.session_state["draws"] == []


def test_lottery_seed_from_public_numbers_rejects_words():
    at = run_compare(load_classroom(app()), ["maximin"])
    at.switch_page(LOTTERY).run()
    at.radio[0].set_value("Numbers from a public draw").run()
    at.text_input[0].set_value("7, nine, 23").run()
    button(at, "Draw the panel").click().run()
    assert_clean(at)
    assert "not a whole number" in texts(at.error)
    assert at.session_state["draws"] == []


def test_compare_shows_a_failing_algorithm_as_a_message(monkeypatch):
    from core.errors import SolverError

    def failing_run(name, instance, **kwargs):
        raise SolverError(f"{name} ran out of patience")

    monkeypatch.setattr("ui.solve.run", failing_run)  # the app runs in this process: patch what it calls
    at = load_classroom(app())
    at.switch_page(COMPARE).run()
    at.number_input[0].set_value(987654).run()  # a seed no other test used: nothing comes from the cache
    at.multiselect(key="compare_algorithms").set_value(["maximin"]).run()
    button(at, "Run").click().run()
    wait_for_run(at)
    assert_clean(at)
    assert "the solver failed" in texts(at.error) and "ran out of patience" in texts(at.error)
    assert at.session_state["results"] == {}
