"""Valid panels whose mixture reaches a given point of the quota polytope: a walk down its faces.

The quota polytope (the LP relaxation of the panel model, in expected type counts) is
    P = { x : 0 <= x_t <= N_t,  sum_t x_t = k,  min_q <= sum_{t has q} x_t <= max_q,
          sum_{t in h} x_t <= 1 for every household h (per-person types) }.
Given x in P, each step writes x as a mixture of one valid panel v and a rest x':
    v  = an integer point of the smallest face of P containing x: the types at 0 or N_t and the
         quotas (and households) at their min or max stay there; within it v_t in [floor x_t, ceil x_t], and v
         maximises sum_t (x_t - floor x_t) v_t (rounding up where x_t is most of the way there),
    x  = lam v + (1 - lam) x',  lam the largest step keeping x' in P (a ratio test),
and continues from x'. Each x' lies on a face of P of lower dimension, or the remaining weight
prod (1 - lam) shrinks geometrically; the walk stops when that weight is negligible, or when a
face holds no integer point (P is not integral with three or more categories), which can happen.

The panels found are only candidates: the caller solves its master LP over them (and prices
further panels if the LP falls short), so the walk never decides a probability on its own.
Carathéodory's theorem is why it is fast: on the paper-shaped pools, 60-220 panels
suffice where column generation needs thousands of rounds to find them one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..algorithms.panel_model import PanelModel
from ..errors import InfeasibleQuotas, SolverError
from ..model import TypeSpace
from .face_mip import FaceMIP

TIGHT = 1e-9  # a coordinate or quota within this (in seats) of its bound counts as at the bound ...
ROUND_OFF = 1e-12  # ... plus this / (weight left), the round-off of the rest x' = (x - explained) / left
NEGLIGIBLE = 1e-9  # the walk stops once the weight left for the rest x' is below this ...
MIN_STEP = 1e-12  # ... or when a step would move x by less than this share


@dataclass
class FaceWalk:
    """The panels of the walk, their mixture weights, and the weight left unexplained."""

    compositions: list[np.ndarray]
    weights: list[float]
    weight_left: float
    steps: int


def walk_down_faces(types: TypeSpace, x: np.ndarray, *, solver: str = "highs", max_steps: int | None = None) -> FaceWalk:
    """Valid compositions v_1, v_2, ... and weights with x ~ sum_i w_i v_i (see the module docstring)."""
    counts = types.counts.astype(float)
    # quota rows, then one row per household (0 <= members chosen <= 1) as extra "quotas"
    A = np.vstack([types.A.astype(float), types.household_matrix().toarray()])
    lower = np.r_[types.lower.astype(float), np.zeros(len(types.households))]
    upper = np.r_[types.upper.astype(float), np.ones(len(types.households))]
    if solver == "highs":  # one warm HiGHS instance, LP first (`core.fair.face_mip`)
        model: PanelModel | FaceMIP = FaceMIP(types)
    else:
        model = PanelModel(types, solver=solver, household_minimums=bool(types.households))
        model.model.max_mip_gap = 1e-4  # any panel on the face will do; a good rounding only lengthens the step
    x = np.clip(np.asarray(x, dtype=float), 0.0, counts)
    current, explained = x.copy(), np.zeros_like(x)
    left = 1.0
    compositions: list[np.ndarray] = []
    weights: list[float] = []
    steps = 0
    limit = max_steps if max_steps is not None else 4 * types.size + 10
    while left > NEGLIGIBLE and steps < limit:
        steps += 1
        # x' is recomputed from x each step; its round-off grows like 1/left, and so does `tight`
        tight = TIGHT + ROUND_OFF / left
        v = _panel_on_face(model, types, current, counts, A, lower, upper, tight)
        if v is None:
            break
        lam = _largest_step(current, v, counts, A, lower, upper, tight)
        if lam <= MIN_STEP:  # x' would equal x: the walk has stalled (round-off at a bound)
            break
        compositions.append(v)
        weights.append(lam * left)
        if lam >= 1.0 - 1e-12:
            left = 0.0
            break
        explained += lam * left * v
        left *= 1.0 - lam
        current = np.clip((x - explained) / left, 0.0, counts)
    return FaceWalk(compositions, weights, left, steps)


def _panel_on_face(model: PanelModel | FaceMIP, types: TypeSpace, x: np.ndarray, counts: np.ndarray, A: np.ndarray,
                   lower: np.ndarray, upper: np.ndarray, tight: float) -> np.ndarray | None:
    """A valid composition on the smallest face of P containing x, rounding x type by type; if no
    rounding fits, any composition on that face; None when the face holds none."""
    seats = A @ x
    at_zero, at_full = x <= tight, x >= counts - tight
    seats_min = np.where(seats >= upper - tight, upper, lower)
    seats_max = np.where(seats <= lower + tight, lower, upper)
    face_lower = np.where(at_full, counts, 0.0)
    face_upper = np.where(at_zero, 0.0, counts)
    rounded_lower = np.maximum(face_lower, np.floor(x + tight))
    rounded_upper = np.minimum(face_upper, np.ceil(x - tight))
    weights = x - np.floor(x + tight)
    Q = len(types.lower)  # rows past Q are households: at 1 (tight) they must stay at 1
    household_min = seats_min[Q:] if types.households else None
    for lo, hi in ((rounded_lower, np.maximum(rounded_upper, rounded_lower)), (face_lower, face_upper)):
        try:
            if isinstance(model, FaceMIP):
                composition = model.best(weights, lo, hi, seats_min[:Q], seats_max[:Q], household_min)
            else:
                model.restrict(lo, hi, seats_min[:Q], seats_max[:Q], household_min)
                composition = model.best(weights, relax_first=True).composition
        except InfeasibleQuotas:
            continue
        except SolverError:
            return None
        if types.violations(composition):  # the face is a subset of the valid panels: guard anyway
            return None
        return composition
    return None


def _largest_step(x: np.ndarray, v: np.ndarray, counts: np.ndarray, A: np.ndarray, lower: np.ndarray,
                  upper: np.ndarray, tight: float) -> float:
    """max lam in [0, 1] with x' = (x - lam v) / (1 - lam) in P: each bound b that x' moves towards
    limits lam to (x - b) / (v - b) (coordinates and quota seats alike)."""
    lam = 1.0
    seats, panel_seats = A @ x, A @ v
    for value, panel, low, high in ((x, v.astype(float), np.zeros_like(x), counts), (seats, panel_seats, lower, upper)):
        rises = (panel < value - 1e-12) & (value < high - tight)  # x' moves up, towards high
        falls = (panel > value + 1e-12) & (value > low + tight)  # x' moves down, towards low
        if rises.any():
            lam = min(lam, float(np.min((high[rises] - value[rises]) / (high[rises] - panel[rises]))))
        if falls.any():
            lam = min(lam, float(np.min((value[falls] - low[falls]) / (panel[falls] - low[falls]))))
    return max(lam, 0.0)
