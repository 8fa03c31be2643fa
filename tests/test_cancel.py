"""Stopping a run (core.cancel): every algorithm of the registry ends at a check in the middle of its
work once its token is set, the Diversimax MIP is interrupted inside HiGHS, and nothing changes
outside a cancellable run."""

from __future__ import annotations

import threading

import pytest

from core.cancel import Cancelled, CancelToken, active, check, checked_progress, current
from core.io.examples import load_example
from core.selection import REGISTRY, no_progress, run
from ui.compare_run import compare_options


@pytest.fixture(scope="module")
def climate():
    return load_example("climate_300")


class CancelAt:
    """An `alive` test that turns false at the `at`-th check: the run is stopped mid-way."""

    def __init__(self, at: int):
        self.at = at
        self.checks = 0

    def __call__(self) -> bool:
        self.checks += 1
        return self.checks < self.at


def test_checks_do_nothing_outside_a_cancellable_run():
    assert current() is None
    check()  # no token: no effect
    said = []
    checked_progress(said.append)("hello")
    assert said == ["hello"]


def test_a_set_token_raises_at_the_next_check_and_says_why():
    token = CancelToken()
    with active(token):
        check()
        token.cancel("stopped by you")
        with pytest.raises(Cancelled, match="stopped by you"):
            checked_progress(no_progress)("step")
    assert current() is None  # the scope ends with the block
    assert token.cancelled and token.reason == "stopped by you"


def test_a_session_that_has_gone_cancels_the_run():
    alive = [True]
    token = CancelToken(alive=lambda: alive[0])
    assert not token.cancelled
    alive[0] = False
    assert token.cancelled
    assert token.reason == "nobody is waiting for the result any more"


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_algorithm_stops_at_a_check_in_the_middle_of_its_work(climate, name):
    """Stopped at its 3rd check, every algorithm raises Cancelled instead of returning a result:
    its checks come between its solver calls, not only before the first."""
    instance, extras = climate
    options = compare_options(name, extras, time_limit=5)
    stop = CancelAt(3)
    with active(CancelToken(alive=stop)), pytest.raises(Cancelled):
        run(name, instance, seed=1, options=options, progress=checked_progress(no_progress))
    assert stop.checks == 3


def test_stop_interrupts_the_diversimax_solver_inside_its_time_limit(climate):
    """The Diversimax MIP on climate_300 does not prove optimality within 60 s on this machine;
    Stop, pressed once the solver runs, ends it at its next node (HiGHS interrupt callback)."""
    instance, extras = climate
    token = CancelToken()
    solving = threading.Event()
    outcome: dict[str, object] = {}

    def say(message: str) -> None:
        if "solving" in message:
            solving.set()

    def work() -> None:
        try:
            with active(token):
                outcome["result"] = run("diversimax", instance, seed=1,
                                        options=compare_options("diversimax", extras, time_limit=120),
                                        progress=checked_progress(say))
        except Cancelled as error:
            outcome["cancelled"] = error

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    assert solving.wait(120), "Diversimax never reached its solve"
    token.cancel("stopped by you")
    worker.join(60)  # far below the 120 s limit the solver would otherwise run to
    assert not worker.is_alive()
    assert "cancelled" in outcome and "result" not in outcome
