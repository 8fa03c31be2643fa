"""Running selection algorithms from the app: cached, with progress shown, errors caught.

Results are cached across sessions in one `st.cache_resource` store keyed on the instance
fingerprint, the algorithm, the seed and the options. A plain `st.cache_data` function cannot be
used here: results hold samplers (closures, not picklable), and progress is written into an
`st.status` box created outside the cached function, which Streamlit's cache would record and
replay into a box that no longer exists.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import pandas as pd
import streamlit as st

from core.model import Instance
from core.selection import Progress, SelectionResult, run

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
