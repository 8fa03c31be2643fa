"""The relaxed panel polytope R, and writing a point of it as a lottery over valid panels.

    R = { x in R^T : 0 <= x_t <= N_t,  sum_t x_t = k,  min_q <= sum_{t in q} x_t <= max_q }
(no household constraints: households are per-person and handled by column generation alone).
Every distribution over valid compositions has its expected composition x = sum_c lambda_c c in
the convex hull H of the integer points of R, and H is a subset of R. So a fair objective
optimised over R is an upper bound for the same objective over H; if the R-optimum x* can be
written as a convex combination of valid compositions, it is optimal over H as well.

`decompose` does that by walking down faces (Caratheodory): take an integer point v of the
smallest face of R containing x (an LP vertex of the face if integral, else the face MIP), move
x away from v until a new constraint becomes tight, x = (1 - a) x' + a v, and repeat on x'
(a face of lower dimension). It gives up (returns None) when a face holds no integer point or
the walk exceeds T + 1 steps, which happens only when R is not the integer hull near x*.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from ..model import TypeSpace

TIGHT = 1e-9  # a constraint is tight at x when within this many seats of its bound


@dataclass
class Decomposition:
    compositions: np.ndarray  # P x T valid compositions
    weights: np.ndarray  # P, summing to 1
    steps: int
    face_mips: int


class RelaxedPolytope:
    """R as one HiGHS model whose bounds are tightened to faces and whose objective changes."""

    def __init__(self, types: TypeSpace):
        self.types = types
        T = types.size
        self.T = T
        self.rows = np.vstack([np.ones((1, T)), types.A.astype(float)])  # panel size, then quotas
        self.row_lower = np.r_[float(types.k), types.lower.astype(float)]
        self.row_upper = np.r_[float(types.k), types.upper.astype(float)]
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = T, len(self.row_lower)
        lp.col_cost_ = np.zeros(T)
        lp.col_lower_ = np.zeros(T)
        lp.col_upper_ = types.counts.astype(float)
        lp.row_lower_, lp.row_upper_ = self.row_lower, self.row_upper
        matrix = self.rows.T  # column-wise
        starts, index, value = [], [], []
        for t in range(T):
            nz = np.flatnonzero(matrix[t])
            starts.append(len(index))
            index.extend(nz.tolist())
            value.extend(matrix[t, nz].tolist())
        starts.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(value)
        h.passModel(lp)
        self.h = h
        self.all_cols = np.arange(T, dtype=np.int32)
        self.all_rows = np.arange(len(self.row_lower), dtype=np.int32)

    def restrict_to_face(self, x: np.ndarray) -> None:
        """Turn every constraint tight at x into an equality (the smallest face containing x)."""
        counts = self.types.counts.astype(float)
        col_lo, col_up = np.zeros(self.T), counts.copy()
        col_up[x <= TIGHT] = 0.0
        col_lo[x >= counts - TIGHT] = counts[x >= counts - TIGHT]
        activity = self.rows @ x
        row_lo, row_up = self.row_lower.copy(), self.row_upper.copy()
        at_lo, at_up = activity <= self.row_lower + TIGHT, activity >= self.row_upper - TIGHT
        row_up[at_lo] = self.row_lower[at_lo]
        row_lo[at_up] = self.row_upper[at_up]
        self.h.changeColsBounds(self.T, self.all_cols, col_lo, col_up)
        self.h.changeRowsBounds(len(row_lo), self.all_rows, row_lo, row_up)

    def point(self, objective: np.ndarray, integer: bool) -> np.ndarray | None:
        """A maximiser of objective . x over the current face (an integer one if asked); None if none."""
        h = self.h
        h.changeColsCost(self.T, self.all_cols, np.asarray(objective, dtype=float))
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
        h.changeColsIntegrality(self.T, self.all_cols, np.array([kind] * self.T))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(h.getSolution().col_value)

    def step_length(self, x: np.ndarray, d: np.ndarray) -> float:
        """Largest theta with x + theta d in R."""
        counts = self.types.counts.astype(float)
        theta = np.inf
        for value, direction, lo, up in ((x, d, np.zeros(self.T), counts),
                                         (self.rows @ x, self.rows @ d, self.row_lower, self.row_upper)):
            up_move = direction > TIGHT
            down_move = direction < -TIGHT
            if up_move.any():
                theta = min(theta, float(((up - value)[up_move] / direction[up_move]).min()))
            if down_move.any():
                theta = min(theta, float(((lo - value)[down_move] / direction[down_move]).min()))
        return max(theta, 0.0)


def decompose(types: TypeSpace, target: np.ndarray, seed: int = 0) -> Decomposition | None:
    """Valid compositions and weights whose mixture is `target` (a point of R), or None."""
    polytope = RelaxedPolytope(types)
    rng = np.random.default_rng(seed)
    x = np.clip(np.asarray(target, dtype=float), 0.0, types.counts)
    remaining = 1.0
    found: list[np.ndarray] = []
    weights: list[float] = []
    face_mips = 0
    for step in range(types.size + 2):
        rounded = np.round(x)
        if np.abs(x - rounded).max() <= 1e-7 and types.is_valid(rounded.astype(np.int64)):
            found.append(rounded.astype(np.int64))
            weights.append(remaining)
            return Decomposition(np.array(found), np.array(weights), step + 1, face_mips)
        polytope.restrict_to_face(x)
        objective = rng.standard_normal(types.size)
        v = polytope.point(objective, integer=False)
        if v is None or np.abs(v - np.round(v)).max() > 1e-7:
            face_mips += 1
            v = polytope.point(objective, integer=True)
            if v is None:
                return None
        v = np.round(v).astype(np.int64)
        if not types.is_valid(v):
            return None
        d = x - v
        if np.abs(d).max() <= 1e-9:
            continue
        theta = polytope.step_length(x, d)
        if theta <= 1e-12:
            return None
        a = theta / (1.0 + theta)  # x = (1 - a) x' + a v with x' = x + theta d
        found.append(v)
        weights.append(remaining * a)
        remaining *= 1.0 - a
        x = np.clip(x + theta * d, 0.0, types.counts)
        x[np.abs(x - np.round(x)) <= TIGHT] = np.round(x[np.abs(x - np.round(x)) <= TIGHT])
    return None
