"""Running selection algorithms from the app: cached, with progress shown, errors caught, stoppable.

The Compare page runs its algorithms in a background thread per visitor (`CompareRun`): the page
polls it and draws progress and each result as soon as it is there, so a long run never freezes the
page; Stop, or the visitor's session ending, cancels it between solver calls (`core.cancel`).

Results are cached across sessions in one `st.cache_resource` store keyed on the instance
fingerprint, the algorithm, the seed and the options. A plain `st.cache_data` function cannot be
used here: results hold samplers (closures, not picklable), and progress is written into an
`st.status` box created outside the cached function, which Streamlit's cache would record and
replay into a box that no longer exists.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from core.cancel import Cancelled, CancelToken, checked_progress
from core.cancel import active as cancel_scope
from core.model import Instance
from core.selection import Progress, SelectionResult, run
from core.views.compare_plan import algorithm_fraction, expected_seconds, run_fraction

MAX_CACHED_RESULTS = 64


class ResultStore:
    """A bounded, thread-safe map from run key to SelectionResult (oldest dropped first)."""

    def __init__(self, capacity: int = MAX_CACHED_RESULTS):
        self.capacity = capacity
        self._items: OrderedDict[str, SelectionResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> SelectionResult | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: str, result: SelectionResult) -> None:
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)


@st.cache_resource(show_spinner=False)
def result_store() -> ResultStore:
    """The process-wide store of computed results."""
    return ResultStore()


def options_key(options: dict[str, Any]) -> str:
    """A stable text key of algorithm options (DataFrames hashed by content)."""
    h = hashlib.sha256()
    for name in sorted(options):
        value = options[name]
        h.update(name.encode())
        if isinstance(value, pd.DataFrame):
            h.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
            h.update(repr(list(value.columns)).encode())
        else:
            h.update(repr(value).encode())
    return h.hexdigest()


def run_key(instance: Instance, algorithm: str, seed: int, options: dict[str, Any]) -> str:
    return f"{instance.fingerprint()}|{algorithm}|{seed}|{options_key(options)}"


def run_cached(algorithm: str, instance: Instance, seed: int, options: dict[str, Any],
               progress: Progress) -> tuple[SelectionResult, bool]:
    """The result of `algorithm` on `instance` (computed, or from the cache) and whether it was cached."""
    store = result_store()
    key = run_key(instance, algorithm, seed, options)
    cached = store.get(key)
    if cached is not None:
        return cached, True
    result = run(algorithm, instance, seed=seed, options=options, progress=progress)
    store.put(key, result)
    return result, False


# ---- runs in the background ----------------------------------------------------------------------

@dataclass
class AlgorithmRun:
    """One algorithm of a Compare run: what it is doing, and what it gave."""

    name: str
    key: str  # run_key: instance fingerprint | algorithm | seed | options
    options: dict[str, Any]
    expected_seconds: float
    status: str = "waiting"  # waiting | running | done | cached | failed | stopped
    message: str = ""
    started: float | None = None  # time.monotonic()
    finished: float | None = None
    result: SelectionResult | None = None
    error: Exception | None = None

    def say(self, message: str) -> None:
        self.message = message

    @property
    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    @property
    def fraction(self) -> float:
        """Share of this algorithm done (core.views.compare_plan.algorithm_fraction)."""
        if self.status in ("done", "cached", "failed", "stopped"):
            return 1.0
        if self.status == "waiting":
            return 0.0
        return algorithm_fraction(self.message, self.elapsed, self.expected_seconds)


class CompareRun:
    """Algorithms run one after the other in a background thread of the visitor's session.

    The page only reads this object (each poll draws its state); the thread only writes it. A
    `CancelToken` stops the run between solver calls (core.cancel): the Stop button sets it, and so
    does the session ending (`alive` false), so nothing computes for a visitor who has gone.
    """

    def __init__(self, instance: Instance, seed: int, items: list[AlgorithmRun], store: ResultStore,
                 alive: Callable[[], bool] | None = None):
        self.instance = instance
        self.fingerprint = instance.fingerprint()
        self.seed = seed
        self.items = items
        self.store = store
        self.token = CancelToken(alive)
        self.started = time.monotonic()
        self.finished: float | None = None
        self.thread = threading.Thread(target=self._work, name=f"compare-{self.fingerprint[:8]}", daemon=True)

    def start(self) -> CompareRun:
        self.thread.start()
        return self

    def stop(self, reason: str = "stopped") -> None:
        """Ask the run to end at its next check; the page shows it as stopped at once."""
        self.token.cancel(reason)

    @property
    def running(self) -> bool:
        return self.finished is None

    @property
    def stopping(self) -> bool:
        """Stop was pressed and the solver call under way has not returned yet."""
        return self.running and self.token.cancelled

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def count(self, *statuses: str) -> int:
        return sum(item.status in statuses for item in self.items)

    @property
    def fraction(self) -> float:
        ended = self.count("done", "cached", "failed", "stopped")
        current = next((item.fraction for item in self.items if item.status == "running"), 0.0)
        return run_fraction(ended, len(self.items), current)

    def _work(self) -> None:
        try:
            for item in self.items:
                if self.token.cancelled:
                    item.status = "stopped"
                    continue
                cached = self.store.get(item.key)
                if cached is not None:
                    item.result, item.status = cached, "cached"
                    continue
                item.status, item.started = "running", time.monotonic()
                try:
                    with cancel_scope(self.token):
                        result = run(item.name, self.instance, seed=self.seed, options=item.options,
                                     progress=checked_progress(item.say))
                except Cancelled:
                    item.status = "stopped"
                except Exception as error:  # noqa: BLE001 - every failure is shown next to its algorithm
                    item.error, item.status = error, "failed"
                else:
                    self.store.put(item.key, result)
                    item.result, item.status = result, "done"
                finally:
                    item.finished = time.monotonic()
        finally:
            self.finished = time.monotonic()


def session_alive() -> Callable[[], bool]:
    """A test that is true while the visitor's browser session is connected (always true under
    AppTest, which has no server runtime)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    session_id = context.session_id if context is not None else None

    def alive() -> bool:
        if session_id is None or not Runtime.exists():
            return True
        return Runtime.instance().is_active_session(session_id)

    return alive


def start_compare_run(instance: Instance, algorithms: list[str], seed: int,
                      options: dict[str, dict[str, Any]]) -> CompareRun:
    """Start running `algorithms` in the background, quickest expected first so that results come
    soon (results from the cache come back at once)."""
    types = instance.types.size
    items = [AlgorithmRun(name, run_key(instance, name, seed, options[name]), options[name],
                          expected_seconds(name, types, options[name].get("time_limit")))
             for name in algorithms]
    items.sort(key=lambda item: item.expected_seconds)
    return CompareRun(instance, seed, items, result_store(), session_alive()).start()
