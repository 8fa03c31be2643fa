"""Running selection algorithms from the app: cached, with progress shown, errors caught, stoppable.

The Compare page runs its algorithms in a background thread per visitor (`CompareRun`): the page
polls it and draws progress and each result as soon as it is there, so a long run never freezes the
page; Stop, or the visitor's session ending, cancels it between solver calls (`core.cancel`).

Two kinds of result stores, both keyed on the instance fingerprint, the algorithm, the seed and the
options:
- a process-wide store (`st.cache_resource`), shared by every visitor, ONLY for the bundled
  examples (their pools are public, so "from cache" tells nobody anything about another visitor);
- a store in `st.session_state` for everything else (an uploaded pool, or a bundled pool run with an
  uploaded background sample): results of a pool someone uploaded are never given to, or announced
  as "from cache" to, another visitor, and they are freed when the visitor's session ends.
Every store is bounded by entries, by age (time to live) and by an estimate of the bytes its
results hold (numpy arrays and DataFrames reachable from a result, one level down).

A plain `st.cache_data` function cannot be used here: results hold samplers (closures, not
picklable), and progress is written into an `st.status` box created outside the cached function,
which Streamlit's cache would record and replay into a box that no longer exists.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from core.cancel import Cancelled, CancelToken, checked_progress
from core.cancel import active as cancel_scope
from core.io.examples import list_examples, load_example
from core.model import Instance
from core.selection import Progress, SelectionResult, options_digest, run
from core.views.compare_plan import algorithm_fraction, expected_seconds, run_fraction

from . import state

SHARED_ENTRIES = 32  # results of the bundled examples, for every visitor
SHARED_BYTES = 200 * 2**20
PRIVATE_ENTRIES = 8  # results of one visitor's own pool, in their session
PRIVATE_BYTES = 100 * 2**20
TTL_SECONDS = 3600.0
PRIVATE_KEY = "private_results"


def approximate_bytes(value: Any, depth: int = 2) -> int:
    """Bytes held by numpy arrays and DataFrames in `value`, its attributes and containers (to `depth`)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return int(value.memory_usage(deep=True).sum()) if isinstance(value, pd.DataFrame) else int(value.nbytes)
    if depth == 0:
        return 0
    if isinstance(value, dict):
        return sum(approximate_bytes(v, depth - 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(approximate_bytes(v, depth - 1) for v in value[:1000])
    attributes = getattr(value, "__dict__", None)
    return sum(approximate_bytes(v, depth - 1) for v in attributes.values()) if attributes else 0


class ResultStore:
    """A bounded, thread-safe map from run key to a value: at most `capacity` entries, entries older
    than `ttl` seconds dropped, least recently used dropped first while the bytes exceed `max_bytes`."""

    def __init__(self, capacity: int = SHARED_ENTRIES, ttl: float = TTL_SECONDS, max_bytes: int = SHARED_BYTES,
                 clock: Callable[[], float] = time.monotonic):
        self.capacity, self.ttl, self.max_bytes, self.clock = capacity, ttl, max_bytes, clock
        self._items: OrderedDict[str, tuple[Any, float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def _expire(self) -> None:
        now = self.clock()
        for key in [k for k, (_, stored, _) in self._items.items() if now - stored > self.ttl]:
            del self._items[key]

    def get(self, key: str) -> Any | None:
        with self._lock:
            self._expire()
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key][0]

    def put(self, key: str, value: Any) -> None:
        size = approximate_bytes(value)
        with self._lock:
            self._expire()
            self._items[key] = (value, self.clock(), size)
            self._items.move_to_end(key)
            while len(self._items) > self.capacity or (len(self._items) > 1 and self.nbytes > self.max_bytes):
                self._items.popitem(last=False)
            if self.nbytes > self.max_bytes:  # a single result larger than the whole store is not kept
                self._items.clear()

    @property
    def nbytes(self) -> int:
        return sum(size for _, _, size in self._items.values())

    def __len__(self) -> int:
        return len(self._items)


@st.cache_resource(show_spinner=False)
def result_store() -> ResultStore:
    """The process-wide store of results of the bundled examples."""
    return ResultStore(SHARED_ENTRIES, TTL_SECONDS, SHARED_BYTES)


def session_store(key: str, capacity: int, max_bytes: int) -> ResultStore:
    """A store in this visitor's session under `key` (made on first use, freed with the session)."""
    store = st.session_state.get(key)
    if not isinstance(store, ResultStore):
        store = st.session_state[key] = ResultStore(capacity, TTL_SECONDS, max_bytes)
    return store


def private_store() -> ResultStore:
    """This visitor's own store of results, for pools they uploaded."""
    return session_store(PRIVATE_KEY, PRIVATE_ENTRIES, PRIVATE_BYTES)


@st.cache_resource(show_spinner=False)
def bundled_fingerprints() -> frozenset[str]:
    """Fingerprints of the bundled examples as loaded (pool, quotas, k)."""
    return frozenset(load_example(example.name)[0].fingerprint() for example in list_examples())


def is_bundled_pool() -> bool:
    """True when the visitor's pool is a bundled example as loaded (quotas may be edited since)."""
    loaded = state.loaded_instance()
    return loaded is not None and loaded.fingerprint() in bundled_fingerprints()


def is_shared(options: dict[str, Any]) -> bool:
    """Results may be shared between visitors: a bundled pool, and no uploaded table among the options
    (a DataFrame option must be the example's own background sample)."""
    background = state.extras().get("background")
    own_tables = all(value is background for value in options.values() if isinstance(value, pd.DataFrame))
    return is_bundled_pool() and own_tables


def store_for(options: dict[str, Any]) -> ResultStore:
    return result_store() if is_shared(options) else private_store()


def options_key(options: dict[str, Any]) -> str:
    """A stable text key of algorithm options (core.selection.options_digest)."""
    return options_digest(options)


def run_key(instance: Instance, algorithm: str, seed: int, options: dict[str, Any]) -> str:
    return f"{instance.fingerprint()}|{algorithm}|{seed}|{options_key(options)}"


def run_cached(algorithm: str, instance: Instance, seed: int, options: dict[str, Any],
               progress: Progress) -> tuple[SelectionResult, bool]:
    """The result of `algorithm` on `instance` (computed, or from this visitor's or the bundled
    examples' cache) and whether it came from a cache."""
    store = store_for(options)
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
    store: ResultStore  # shared only for the bundled examples (store_for), chosen in the page's thread
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

    def __init__(self, instance: Instance, seed: int, items: list[AlgorithmRun],
                 alive: Callable[[], bool] | None = None):
        self.instance = instance
        self.fingerprint = instance.fingerprint()
        self.seed = seed
        self.items = items
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
                cached = item.store.get(item.key)
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
                    item.store.put(item.key, result)
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
    soon (results from the cache come back at once). Each result goes to the store `store_for` picks:
    shared between visitors for the bundled examples only, else this visitor's own."""
    types = instance.types.size
    items = [AlgorithmRun(name, run_key(instance, name, seed, options[name]), options[name],
                          expected_seconds(name, types, options[name].get("time_limit")), store_for(options[name]))
             for name in algorithms]
    items.sort(key=lambda item: item.expected_seconds)
    return CompareRun(instance, seed, items, session_alive()).start()
