"""The face walk's per-step integer programme, in one warm HiGHS instance: the LP first, the MIP only when needed.

Each step of `core.fair.face_walk` asks for an integer point v of a face of the quota polytope,
within a box lo <= v <= hi (the rounding box [floor x, ceil x] first, the whole face second):
    max  sum_t w_t v_t   s.t.  lo_t <= v_t <= hi_t,  sum_t v_t = k,
                               smin_q <= sum_{t has q} v_t <= smax_q,  hmin_h <= sum_{t in h} v_t <= 1.
The LP relaxation, warm-started from the previous step (only bounds and costs change), is
solved first; when its optimal vertex is integral it is the MIP's optimum and no branching is
needed. Otherwise up to PERTURBED_LPS more LPs move the weights of the fractional coordinates
by growing random amounts, looking for a nearby integral vertex (on the 8-category obf-shaped pool
and the 1727/110/7 pool every step ended there, 91 and 115 steps). Only otherwise are
the variables made integer for one branch-and-bound solve (any panel on the face serves the
walk, so a relative gap of 1e-4 is enough), and made continuous again afterwards.
"""

from __future__ import annotations

import highspy
import numpy as np

from ..errors import InfeasibleQuotas, SolverError
from ..model import TypeSpace

INTEGRAL = 1e-9  # an LP vertex within this of integers is taken as integral
MIP_GAP = 1e-4
PERTURBED_LPS = 30  # LPs with perturbed weights tried for an integral vertex before the MIP


class FaceMIP:
    """max w.v over integer v in a box, on a face of the quota polytope (see the module doc)."""

    def __init__(self, types: TypeSpace):
        self.types = types
        T = types.size
        rows = [np.ones(T)] + [row.astype(float) for row in types.A]
        household = types.household_matrix().toarray() if types.households else np.zeros((0, T))
        matrix = np.vstack(rows + [household]) if len(household) else np.vstack(rows)
        self.Q = len(types.lower)
        self.H = len(types.households)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("mip_rel_gap", MIP_GAP)
        h.setOptionValue("mip_heuristic_effort", 0.0)  # the LP already tried for an integral vertex
        h.setOptionValue("simplex_strategy", 1)  # dual simplex: new bounds keep the basis dual feasible
        h.setOptionValue("presolve", "off")  # the LPs are small and warm-started; presolve is for the MIP only
        h.addVars(T, np.zeros(T), types.counts.astype(float))
        sparse_rows = [np.flatnonzero(r) for r in matrix]
        starts = np.cumsum([0] + [len(r) for r in sparse_rows[:-1]]).astype(np.int32)
        index = np.concatenate(sparse_rows).astype(np.int32)
        value = np.concatenate([matrix[i, r] for i, r in enumerate(sparse_rows)])
        row_lower = np.r_[types.k, types.lower.astype(float), np.zeros(self.H)]
        row_upper = np.r_[types.k, types.upper.astype(float), np.ones(self.H)]
        h.addRows(len(matrix), row_lower, row_upper, len(index), starts, index, value)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.h = h
        self._all = np.arange(T, dtype=np.int32)
        self._quota_rows = np.arange(1, 1 + self.Q, dtype=np.int32)
        self._household_rows = np.arange(1 + self.Q, 1 + self.Q + self.H, dtype=np.int32)
        self._rng = np.random.default_rng(0)  # perturbations only: the walk stays deterministic
        self.lp_answers = 0
        self.mip_answers = 0

    def best(self, weights: np.ndarray, lower: np.ndarray, upper: np.ndarray, seats_min: np.ndarray,
             seats_max: np.ndarray, household_min: np.ndarray | None = None) -> np.ndarray:
        """An integer v maximising weights.v in the box and seat ranges given (see the module doc).
        Raises InfeasibleQuotas when no integer point exists there, SolverError when HiGHS fails."""
        h, T = self.h, self.types.size
        h.changeColsBounds(T, self._all, np.asarray(lower, dtype=float), np.asarray(upper, dtype=float))
        h.changeRowsBounds(self.Q, self._quota_rows, np.asarray(seats_min, dtype=float),
                           np.asarray(seats_max, dtype=float))
        if self.H:
            hmin = np.zeros(self.H) if household_min is None else np.asarray(household_min, dtype=float)
            h.changeRowsBounds(self.H, self._household_rows, hmin, np.ones(self.H))
        h.changeColsCost(T, self._all, np.asarray(weights, dtype=float))
        v = self._run()
        if v is None:
            raise InfeasibleQuotas("no panel on this face of the quota polytope")
        w = np.asarray(weights, dtype=float)
        spread = max(float(np.abs(w).max()), 1.0)
        for attempt in range(PERTURBED_LPS + 1):
            rounded = np.round(v)
            if np.abs(v - rounded).max() <= INTEGRAL:
                self.lp_answers += 1
                return rounded.astype(np.int64)
            if attempt == PERTURBED_LPS:
                break
            # another vertex of the same box, any integer point serves the walk: noise on the weights of
            # the fractional coordinates only, so the vertex moves little (and the step stays long)
            noise = spread * (0.2 + attempt / 4) * self._rng.uniform(-1.0, 1.0, T)
            h.changeColsCost(T, self._all, w + np.where(np.abs(v - rounded) > INTEGRAL, noise, 0.0))
            v = self._run()
        h.changeColsCost(T, self._all, w)
        h.changeColsIntegrality(T, self._all, np.full(T, highspy.HighsVarType.kInteger))
        h.setOptionValue("presolve", "on")
        try:
            v = self._run()
        finally:
            h.changeColsIntegrality(T, self._all, np.full(T, highspy.HighsVarType.kContinuous))
            h.setOptionValue("presolve", "off")
        if v is None:
            raise InfeasibleQuotas("no panel on this face of the quota polytope")
        self.mip_answers += 1
        return np.round(v).astype(np.int64)

    def _run(self) -> np.ndarray | None:
        """Solve; the primal point, or None when infeasible."""
        h = self.h
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"the face walk's panel model ended with status {h.modelStatusToString(status)}")
        return np.asarray(h.getSolution().col_value, dtype=float)
