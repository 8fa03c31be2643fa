"""What every selection algorithm returns, and the registry the CLI and the app look algorithms up in.

An algorithm is a function
    select(instance, *, seed: int, options: dict, progress: Progress) -> SelectionResult
that never returns a panel breaking a quota: `SelectionResult.check` verifies every panel in code.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from .distribution import Distribution
from .errors import SolverError
from .model import Instance

Progress = Callable[[str], None]


def no_progress(message: str) -> None:
    """A progress reporter that says nothing."""


@dataclass
class SelectionResult:
    """Selection probabilities of every volunteer, and a way to draw panels with them.

    Exact algorithms carry a `distribution`; legacy carries Monte Carlo estimates of its marginals
    and a `sampler` that runs the algorithm once per panel.
    """

    algorithm: str
    marginals: np.ndarray  # n: each volunteer's selection probability, pool row order
    distribution: Distribution | None = None
    sampler: Callable[[np.random.Generator], list[int]] | None = None
    objective: float | None = None
    seconds: float = 0.0
    info: dict = field(default_factory=dict)  # figures specific to the algorithm
    extra: dict = field(default_factory=dict)  # extra JSON fields (e.g. participation, beta)

    @property
    def support(self) -> int | None:
        return self.distribution.support if self.distribution is not None else None

    def draw(self, count: int, seed: int) -> list[list[int]]:
        """`count` panels drawn independently; the same seed gives the same panels."""
        rng = np.random.default_rng(seed)
        if self.distribution is not None:
            return [self.distribution.draw(rng) for _ in range(count)]
        if self.sampler is None:
            raise SolverError(f"{self.algorithm} cannot draw panels")
        return [self.sampler(rng) for _ in range(count)]


class Algorithm(Protocol):
    def __call__(self, instance: Instance, *, seed: int, options: dict, progress: Progress) -> SelectionResult: ...


# name -> "module:function"; modules are imported on first use so a slow import costs only its users
REGISTRY: dict[str, str] = {
    "legacy": "core.algorithms.legacy:select",
    "maximin": "core.fair.maximin:select",
    "leximin": "core.fair.leximin:select",
    "nash": "core.fair.nash:select",
    "diversimax": "core.algorithms.diversimax:select",
    "endtoend": "core.endtoend.selection:select",
    "uniform": "core.counting:select",
    "goldilocks": "core.fair.goldilocks:select",
}


def options_digest(options: dict) -> str:
    """SHA-256 of algorithm options, stable across runs: names sorted, tables (DataFrames) by their
    content and column names, every other value by its repr. Equal digests mean equal options."""
    import hashlib

    import pandas as pd

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


def algorithm(name: str) -> Algorithm:
    if name not in REGISTRY:
        raise KeyError(f"unknown algorithm '{name}'; choose one of: {', '.join(REGISTRY)}")
    module, function = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), function)


def run(name: str, instance: Instance, *, seed: int, options: dict | None = None,
        progress: Progress = no_progress) -> SelectionResult:
    """Run algorithm `name`, time it, and verify that every panel it can return meets the quotas."""
    select = algorithm(name)  # imported before the clock starts: `seconds` is the algorithm's alone
    started = time.perf_counter()
    result = select(instance, seed=seed, options=dict(options or {}), progress=progress)
    result.seconds = time.perf_counter() - started
    if result.distribution is not None:
        result.distribution.verify()
    return result
