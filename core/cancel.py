"""Stopping a selection run between solver calls: a cancellation token and the checks that honour it.

A run that someone may stop (the app's Stop button, a visitor who closes the tab) executes inside
`with active(token):`. Every algorithm reaches, between any two solver calls, at least one of
    `check()`            called by the pricing MIP (`PanelModel.best`), the pricing heuristic and the
                         dynamic programme's loops, and
    `progress(message)`  the progress callback each algorithm calls between its steps, wrapped by
                         `checked_progress` so that it calls `check()` first,
and `check()` raises `Cancelled` once the token is set (or its `alive` test fails, e.g. the visitor's
session is gone). A single long MIP (Diversimax) is interrupted inside the solver by
`interrupt_solver`, which asks HiGHS to stop at its next node. Outside `active(...)` every check is
a no-op, so the command line and the tests run unchanged.

The rule, stated once: a stopped run ends at the next check, i.e. after the solver call under way
(at most one pricing MIP, one master LP or one batch of legacy draws), never in the middle of
writing a result; what it had computed is discarded, and results of algorithms that had already
finished are kept.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Progress = Callable[[str], None]


class Cancelled(Exception):
    """The run was stopped (by the person, or because nobody is waiting for it any more)."""


class CancelToken:
    """A thread-safe flag set once to stop a run; `alive()` returning False counts as set."""

    def __init__(self, alive: Callable[[], bool] | None = None):
        self._event = threading.Event()
        self._alive = alive
        self.reason = ""

    def cancel(self, reason: str = "stopped") -> None:
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        if self._event.is_set():
            return True
        if self._alive is not None and not self._alive():
            self.cancel("nobody is waiting for the result any more")
            return True
        return False

    def check(self) -> None:
        """Raise `Cancelled` if the run should stop."""
        if self.cancelled:
            raise Cancelled(self.reason)


_current: contextvars.ContextVar[CancelToken | None] = contextvars.ContextVar("cancel_token", default=None)


@contextmanager
def active(token: CancelToken) -> Iterator[CancelToken]:
    """Make `token` the one `check()` consults in this thread (context) while the block runs."""
    reset = _current.set(token)
    try:
        yield token
    finally:
        _current.reset(reset)


def current() -> CancelToken | None:
    """The token of the run under way in this context, if any."""
    return _current.get()


def check() -> None:
    """Raise `Cancelled` when the run under way has been stopped; a no-op outside `active(...)`."""
    token = _current.get()
    if token is not None:
        token.check()


def checked_progress(progress: Progress) -> Progress:
    """`progress` that first checks for cancellation (every algorithm calls it between steps)."""

    def report(message: str) -> None:
        check()
        progress(message)

    return report


@contextmanager
def interrupt_solver(model: Any) -> Iterator[None]:
    """While the block runs, ask a python-mip HiGHS model to stop at its next MIP node once the
    current token is cancelled. The caller must `check()` after the solve: an interrupted solve
    returns like one that ran out of time. No-op without a token or for other solvers."""
    token = _current.get()
    solver = getattr(model, "solver", None)
    lib = getattr(solver, "_lib", None)
    handle = getattr(solver, "_model", None)
    if token is None or lib is None or handle is None or not hasattr(lib, "Highs_setCallback"):
        yield
        return
    from mip.highs import ffi

    def on_interrupt_check(kind, message, data_out, data_in, user_data):
        if data_in != ffi.NULL and token.cancelled:
            data_in.user_interrupt = 1

    callback = ffi.callback("HighsCCallbackType", on_interrupt_check)
    lib.Highs_setCallback(handle, callback, ffi.NULL)
    lib.Highs_startCallback(handle, lib.kHighsCallbackMipInterrupt)
    try:
        yield
    except Exception:
        # python-mip has no status for HiGHS's "interrupted" (it raises KeyError reading it)
        if token.cancelled:
            raise Cancelled(token.reason) from None
        raise
    finally:
        lib.Highs_stopCallback(handle, lib.kHighsCallbackMipInterrupt)
