"""The Compare page while it works (AppTest): progress of each algorithm with the elapsed time,
results as each algorithm finishes, Stop, the choice remembered across pages, results of other
quotas never shown as current, the quick default set on large pools.

Leximin is made slow here on purpose (it waits for the test to release it, reporting "i of 10"
as it goes), so every state of a run can be looked at; the other algorithms run for real.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest
from test_pages_extra import page

from core.io.examples import load_example
from core.views.compare_plan import (
    QUICK_SET_ABOVE_TYPES,
    RATE,
    algorithm_fraction,
    default_choice,
    expected_seconds,
    format_seconds,
    message_fraction,
    slow_note,
)

COMPARE = "pages/2_Compare.py"
POOL = "pages/1_Pool_and_quotas.py"
TIMEOUT = 240


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button '{label}' among {[b.label for b in at.button]}"
    return matches[0]


def until(at: AppTest, condition, timeout: float = 60) -> AppTest:
    """Rerun the page (as its poll does) until `condition(at)` holds."""
    deadline = time.monotonic() + timeout
    while not condition(at):
        assert time.monotonic() < deadline, "the page never reached the expected state"
        time.sleep(0.1)
        at.run()
    return at


def compare_page(example: str = "classroom") -> AppTest:
    """The Compare page with `example` loaded (as Home's "Load this example" does)."""
    return page(COMPARE, example)


@pytest.fixture
def gated_leximin(monkeypatch):
    """Leximin waits for `release` (reporting "i of 10"); everything else runs as usual."""
    import ui.solve

    release = threading.Event()
    real_run = ui.solve.run

    def gated(name, instance, *, seed, options, progress):
        if name == "leximin":
            step = 0
            while not release.is_set():
                step = min(step + 1, 9)
                progress(f"leximin: step {step} of 10")  # raises Cancelled once Stop is pressed
                time.sleep(0.05)
        return real_run(name, instance, seed=seed, options=options, progress=progress)

    monkeypatch.setattr(ui.solve, "run", gated)
    yield release
    release.set()


def start(at: AppTest, algorithms: list[str], seed: int) -> AppTest:
    at.multiselect(key="compare_algorithms").set_value(algorithms).run()
    at.number_input(key="compare_seed").set_value(seed).run()
    return button(at, "Run").click().run()


def compare_rows(at: AppTest) -> list[str]:
    tables = [d.value for d in at.dataframe if "algorithm" in d.value.columns]
    return list(tables[0]["algorithm"]) if tables else []


def running(at: AppTest) -> bool:
    return at.session_state["compare_run"].running


def test_results_appear_as_each_algorithm_finishes_with_progress_and_elapsed_time(gated_leximin):
    at = start(compare_page(), ["legacy", "leximin"], seed=424242)
    until(at, lambda a: "▶ **leximin**: running" in texts(a.markdown) and "of 10" in texts(a.markdown))
    page = texts(at.markdown)
    assert "Running 2 algorithm(s): 1 of 2 finished" in page and "elapsed" in page
    assert "✓ legacy: done in" in page
    assert compare_rows(at) == ["legacy"]  # legacy's result is on the page while leximin still runs
    bar = at.progress[0]
    assert 50 <= bar.value < 100 and bar.text.startswith("leximin:")  # 1 of 2 done, plus leximin's share
    gated_leximin.set()
    until(at, lambda a: not running(a))
    at.run()
    assert "Ran 2 algorithm(s) in" in texts(at.markdown)
    assert compare_rows(at) == ["legacy", "leximin"]
    assert not at.exception


def test_the_bar_moves_for_a_single_algorithm(gated_leximin):
    at = start(compare_page(), ["leximin"], seed=434343)
    until(at, lambda a: a.progress and a.progress[0].value > 0)
    first = at.progress[0].value
    assert 0 < first < 100
    assert "of 10" in at.progress[0].text or "leximin" in at.progress[0].text


def test_stop_ends_the_run_and_keeps_what_finished(gated_leximin):
    at = start(compare_page(), ["legacy", "leximin"], seed=444444)
    until(at, lambda a: "▶ **leximin**: running" in texts(a.markdown))
    at.button(key="compare_stop").click().run()
    assert "Stopped (stopped by you)" in texts(at.markdown)  # at once, on the rerun Stop causes
    until(at, lambda a: not running(a), timeout=10)
    at.run()
    page = texts(at.markdown)
    assert "■ leximin: stopped" in page and "✓ legacy: done" in page
    assert compare_rows(at) == ["legacy"]
    assert not button(at, "Run").disabled
    assert not at.exception


def test_leaving_the_page_keeps_the_run_and_the_choice(gated_leximin):
    at = start(compare_page(), ["legacy", "leximin"], seed=454545)
    at.multiselect(key="compare_algorithms").set_value(["leximin", "legacy"]).run()  # the person's choice
    at.switch_page(POOL).run()
    assert running(at)  # the run goes on while the person is elsewhere
    gated_leximin.set()
    until(at, lambda a: not running(a))
    at.switch_page(COMPARE).run()
    assert at.multiselect(key="compare_algorithms").value == ["leximin", "legacy"]
    assert at.number_input(key="compare_seed").value == 454545
    assert set(compare_rows(at)) == {"legacy", "leximin"}
    assert not at.exception


def test_results_of_earlier_quotas_are_never_shown_as_current():
    at = start(compare_page(), ["legacy"], seed=464646)
    until(at, lambda a: not running(a))
    at.run()
    assert compare_rows(at) == ["legacy"]
    instance = at.session_state["instance"]
    first = instance.quotas[0]
    at.session_state["instance"] = instance.with_quotas(
        [replace(first, max=first.max - 1), *instance.quotas[1:]])  # an edit on the Pool page
    at.run()
    assert compare_rows(at) == []
    assert "Not shown as current: legacy were computed for earlier quotas" in texts(at.caption)


def test_a_run_started_for_other_quotas_is_marked_and_not_taken_as_current(gated_leximin):
    at = start(compare_page(), ["leximin"], seed=474747)
    until(at, lambda a: "▶ **leximin**: running" in texts(a.markdown))
    instance = at.session_state["instance"]
    first = instance.quotas[0]
    at.session_state["instance"] = instance.with_quotas([replace(first, max=first.max - 1), *instance.quotas[1:]])
    at.run()
    assert "This run was started for other quotas" in texts(at.warning)
    gated_leximin.set()
    until(at, lambda a: not running(a))
    at.run()
    assert compare_rows(at) == []
    assert "leximin" not in at.session_state["results"]


def test_large_pools_start_with_the_quick_set_and_say_how_long_the_others_take():
    at = compare_page("large_2000")
    instance = at.session_state["instance"]
    assert instance.types.size > QUICK_SET_ABOVE_TYPES
    chosen = at.multiselect(key="compare_algorithms").value
    offered = at.multiselect(key="compare_algorithms").options
    assert "leximin" in chosen and "legacy" in chosen and len(chosen) < len(offered)
    note = texts(at.caption)
    assert "only the quicker algorithms are chosen at first" in note
    left_out = [a for a in offered if a not in chosen]
    assert all(f"{a} about" in note for a in left_out)


# ---- the plan, without the app ------------------------------------------------------------------

def test_expected_times_follow_the_documented_rule():
    a, b = RATE["leximin"]
    assert expected_seconds("leximin", 200) == pytest.approx(a * 2 ** b)
    assert expected_seconds("leximin", 146) == pytest.approx(3.7, rel=0.02)  # the climate_300 run it was fitted on
    assert expected_seconds("diversimax", 500, time_limit=10) == 10
    offered = ["legacy", "maximin", "leximin", "nash", "diversimax", "uniform", "goldilocks"]
    assert default_choice(offered, QUICK_SET_ABOVE_TYPES) == offered
    quick = default_choice(offered, 2000, time_limit=10)
    assert {"leximin", "legacy", "diversimax"} <= set(quick) and "maximin" not in quick
    assert slow_note(offered, 100) == ""
    assert format_seconds(5) == "5.0 s" and format_seconds(100) == "1 min 40 s" and format_seconds(720) == "12 min"


def test_progress_fraction_from_messages_or_elapsed_time():
    assert message_fraction("legacy: 1,000 of 2,000 draws (3 failed attempts retried)") == 0.5
    assert message_fraction("participation bootstrap 10/20") == 0.5
    assert message_fraction("maximin round 20: value 0.06") is None
    assert algorithm_fraction("no count here", elapsed=5, expected=10) == 0.5
    assert algorithm_fraction("no count here", elapsed=50, expected=10) < 1  # never done before it is


def test_diversimax_runs_with_the_limit_the_person_sets_and_shows_its_gap():
    at = compare_page()
    at.number_input(key="compare_time_limit").set_value(3).run()
    at = start(at, ["diversimax"], seed=484848)
    until(at, lambda a: not running(a))
    at.run()
    assert at.session_state["compare_run"].items[0].options["time_limit"] == 3.0
    assert compare_rows(at) == ["diversimax"]
    assert "Diversimax: panel proven within" in texts(at.caption) or "the gap" in texts(at.caption)
    # another limit: the result computed with 3 s is no longer shown as current
    at.number_input(key="compare_time_limit").set_value(4).run()
    assert compare_rows(at) == []
    assert "diversimax with other options" in texts(at.caption)


def test_a_run_whose_visitor_has_gone_stops_by_itself(monkeypatch):
    """The session test (ui.solve.session_alive) turning false cancels the run at its next check."""
    import ui.solve

    def endless(name, instance, *, seed, options, progress):
        while True:
            progress("working")
            time.sleep(0.01)

    monkeypatch.setattr(ui.solve, "run", endless)
    instance = load_example("classroom")[0]
    visitor_here = [True]
    item = ui.solve.AlgorithmRun("maximin", "key-not-cached", {}, 1.0, ui.solve.ResultStore())
    compare_run = ui.solve.CompareRun(instance, 1, [item], alive=lambda: visitor_here[0]).start()
    until_true = time.monotonic() + 30
    while item.status != "running":
        assert time.monotonic() < until_true
        time.sleep(0.01)
    visitor_here[0] = False
    compare_run.thread.join(10)
    assert not compare_run.thread.is_alive() and not compare_run.running
    assert item.status == "stopped" and compare_run.token.reason == "nobody is waiting for the result any more"
