"""How many quota-satisfying panels there are: exact by the dynamic programme, else estimated.

The estimate is sequential importance sampling: unit by unit (`core.counting.dynamic.units_of`),
option o is drawn with probability proportional to g_o = mult_o binom(R, left - size_o) among
the options that keep every bound reachable (R: volunteers in later units); a sample's weight
prod mult_o / P(o) (0 if the panel is invalid) has mean #panels, and its standard error is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln

from ..errors import InfeasibleQuotas
from ..model import Instance, TypeSpace
from .dynamic import STATE_LIMIT, Lookahead, PanelCounter, TooManyStates, units_of

ESTIMATE_SAMPLES = 1000


@dataclass(frozen=True)
class PanelCount:
    """The number of quota-satisfying panels: exact (an int) or an estimate with its standard error."""

    count: int | float
    exact: bool
    log10: float
    standard_error: float | None = None  # of the estimate; None when exact
    samples: int | None = None
    method: str = ""
    info: dict = field(default_factory=dict)


def _log10_int(value: int) -> float:
    return math.log10(value) if value > 0 else float("-inf")


def estimate_count(types: TypeSpace, samples: int = ESTIMATE_SAMPLES, seed: int = 0) -> PanelCount:
    """Sequential importance sampling: unit by unit, option o is drawn with probability proportional to
    g_o = mult_o binom(R, left - size_o) among options that keep every bound reachable (R: volunteers
    in later units); a sample's weight prod mult_o / P(o) (0 if the panel is invalid) has mean #panels."""
    rng = np.random.default_rng(seed)
    units = units_of(types)
    Q, k = len(types.lower), types.k
    look = Lookahead(types, units)
    seats = np.zeros((samples, Q), dtype=np.int64)
    size = np.zeros(samples, dtype=np.int64)
    log_w = np.zeros(samples)
    alive = np.ones(samples, dtype=bool)
    for u, unit in enumerate(units):
        s2 = seats[:, None, :] + unit.deltas[None, :, :]
        z2 = size[:, None] + unit.sizes[None, :]
        ok = look.ok(u, s2, z2)
        left = k - z2
        log_mult = np.array([math.log(m) for m in unit.mults])
        R = look.volunteers_after[u]
        log_g = log_mult[None, :] + gammaln(R + 1) - gammaln(np.clip(left, 0, None) + 1) - gammaln(np.clip(R - left, 0, None) + 1)
        log_g = np.where(ok, log_g, -np.inf)
        alive &= ok.any(axis=1)
        top = np.where(alive, log_g.max(axis=1), 0.0)
        g = np.where(alive[:, None], np.exp(log_g - top[:, None]), 0.0)
        g[~alive, 0] = 1.0
        total = g.sum(axis=1)
        choice = (np.cumsum(g, axis=1) < (rng.random(samples) * total)[:, None]).sum(axis=1)
        choice = np.minimum(choice, g.shape[1] - 1)
        rows = np.arange(samples)
        log_w += log_mult[choice] - (np.log(g[rows, choice]) - np.log(total))
        seats = s2[rows, choice]
        size = z2[rows, choice]
    alive &= (size == k) & (seats >= types.lower).all(axis=1) & (seats <= types.upper).all(axis=1)
    if not alive.any():
        return PanelCount(0.0, False, float("-inf"), float("nan"), samples, "sequential importance sampling",
                          {"valid_samples": 0})
    top = log_w[alive].max()
    scaled = np.where(alive, np.exp(log_w - top), 0.0)
    mean, se = scaled.mean(), scaled.std(ddof=1) / math.sqrt(samples)
    log10 = (math.log(mean) + top) / math.log(10)
    with np.errstate(over="ignore"):
        estimate = float(mean * math.exp(top)) if top < 700 else float("inf")
        error = float(se * math.exp(top)) if top < 700 else float("inf")
    return PanelCount(estimate, False, log10, error, samples, "sequential importance sampling",
                      {"relative_standard_error": float(se / mean), "valid_samples": int(alive.sum())})


def count_panels(source: Instance | TypeSpace, *, state_limit: int = STATE_LIMIT, samples: int = ESTIMATE_SAMPLES,
                 seed: int = 0) -> PanelCount:
    """Exact number of valid panels by dynamic programming, or an estimate when the DP is too large."""
    types = source.types if isinstance(source, Instance) else source
    try:
        counter = PanelCounter.build(types, state_limit)
    except TooManyStates:
        return estimate_count(types, samples, seed)
    except InfeasibleQuotas:  # a minimum on a value nobody in the pool has
        return PanelCount(0, True, float("-inf"), None, None, "dynamic programming")
    total = counter.count
    return PanelCount(total, True, _log10_int(total), None, None, "dynamic programming", {"states": counter.states})
