"""The quota integer program over type counts, with python-mip (HiGHS by default, CBC selectable).

    c_t in {0, ..., N_t}                       how many volunteers of type t sit on the panel
    sum_t c_t = k                              panel size
    min_q <= sum_{t has value q} c_t <= max_q  every quota
    sum_{t in h} c_t <= 1                      every household h (per-person types only)

`PanelModel.best(w)` solves  max_c  sum_t w_t c_t  over that set: the pricing step that every
column-generation algorithm in this library shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import mip
import numpy as np

from ..cancel import check as check_cancelled
from ..errors import InfeasibleQuotas, SolverError
from ..model import TypeSpace

SOLVERS = {"highs": "HIGHS", "cbc": "CBC"}


@dataclass(frozen=True)
class PricedPanel:
    """A panel of (near-)maximum weight and a proven upper bound on the maximum weight."""

    composition: np.ndarray
    value: float  # weight of `composition`
    bound: float  # no panel weighs more than this


class PanelModel:
    """One quota MIP, built once and re-solved with new objective weights."""

    def __init__(self, types: TypeSpace, solver: str = "highs", threads: int = 1, household_minimums: bool = False):
        if solver not in SOLVERS:
            raise ValueError(f"unknown solver '{solver}'; choose one of {sorted(SOLVERS)}")
        self.types = types
        self.model = mip.Model(sense=mip.MAXIMIZE, solver_name=SOLVERS[solver])
        self.model.verbose = 0
        self.model.threads = threads
        self.model.max_mip_gap = 1e-9
        self.model.max_mip_gap_abs = 1e-9
        m = self.model
        self.c = [m.add_var(name=f"c_{t}", var_type=mip.INTEGER, lb=0, ub=int(n)) for t, n in enumerate(types.counts)]
        m += mip.xsum(self.c) == types.k, "panel_size"
        self._quota_rows: tuple[list[mip.Constr], list[mip.Constr]] = ([], [])
        for q in range(len(types.lower)):
            in_q = [self.c[t] for t in np.flatnonzero(types.A[q])]
            self._quota_rows[0].append(m.add_constr(mip.xsum(in_q) >= int(types.lower[q]), f"min_{q}"))
            self._quota_rows[1].append(m.add_constr(mip.xsum(in_q) <= int(types.upper[q]), f"max_{q}"))
        self._household_rows: list[mip.Constr] = []  # sum_{t in h} c_t >= 0, raised to 1 by `restrict`
        for h, group in enumerate(types.households):
            m += mip.xsum(self.c[t] for t in group) <= 1, f"household_{h}"
            if household_minimums:
                self._household_rows.append(m.add_constr(mip.xsum(self.c[t] for t in group) >= 0, f"household_min_{h}"))
        self._household_min = np.zeros(len(self._household_rows))
        self._bounds: tuple[np.ndarray, np.ndarray] | None = None  # as last set by `restrict`
        self._rhs: tuple[np.ndarray, np.ndarray] | None = None

    def best(self, weights: np.ndarray, time_limit: float | None = None, relax_first: bool = False) -> PricedPanel:
        """The panel maximising sum_t weights_t c_t, with the solver's proven bound. With `relax_first`,
        the LP relaxation is solved first and its optimum kept when it is integral (then it is the MIP's)."""
        check_cancelled()  # a stopped run ends here, between solver calls (core.cancel)
        w = np.asarray(weights, dtype=float)
        self.model.objective = mip.maximize(mip.xsum(float(w[t]) * self.c[t] for t in np.flatnonzero(w)))
        if relax_first and self.model.optimize(relax=True) == mip.OptimizationStatus.OPTIMAL:
            x = np.array([v.x for v in self.c])
            composition = np.round(x).astype(np.int64)
            if np.abs(x - composition).max() <= 1e-9:
                value = float(w @ composition)
                return PricedPanel(composition, value, value)
        status = self.model.optimize(max_seconds=time_limit) if time_limit else self.model.optimize()
        if status == mip.OptimizationStatus.INFEASIBLE:
            raise InfeasibleQuotas("no panel meets every quota")
        if status not in (mip.OptimizationStatus.OPTIMAL, mip.OptimizationStatus.FEASIBLE):
            raise SolverError(f"the panel model ended with status {status.name}")
        composition = np.array([round(v.x) for v in self.c], dtype=np.int64)
        value = float(w @ composition)
        bound = max(value, float(self.model.objective_bound)) if status != mip.OptimizationStatus.OPTIMAL else value
        return PricedPanel(composition, value, bound)

    def restrict(self, lower: np.ndarray, upper: np.ndarray, seats_min: np.ndarray, seats_max: np.ndarray,
                 household_min: np.ndarray | None = None) -> None:
        """Solve from now on with lower_t <= c_t <= upper_t and seats_min_q <= seats_q <= seats_max_q
        (seats_q = sum over the types with quota q's value), and with `household_min` (0 or 1 per
        household; needs household_minimums=True) members of each household. Pass the counts,
        the quotas and zeros to undo."""
        if household_min is not None:
            wanted = np.asarray(household_min, dtype=float)
            for h in np.flatnonzero(wanted != self._household_min).tolist():
                self._household_rows[h].rhs = float(wanted[h])
            self._household_min = wanted
        bounds = (np.asarray(lower, dtype=float), np.asarray(upper, dtype=float))
        rhs = (np.asarray(seats_min, dtype=float), np.asarray(seats_max, dtype=float))
        if self._bounds is None:  # first call: fetch the model's own bounds once
            self._bounds = (np.array([v.lb for v in self.c]), np.array([v.ub for v in self.c]))
            self._rhs = (self.types.lower.astype(float), self.types.upper.astype(float))
        for t in np.flatnonzero(bounds[0] != self._bounds[0]).tolist():
            self.c[t].lb = float(bounds[0][t])
        for t in np.flatnonzero(bounds[1] != self._bounds[1]).tolist():
            self.c[t].ub = float(bounds[1][t])
        for q in np.flatnonzero(rhs[0] != self._rhs[0]).tolist():
            self._quota_rows[0][q].rhs = float(rhs[0][q])
        for q in np.flatnonzero(rhs[1] != self._rhs[1]).tolist():
            self._quota_rows[1][q].rhs = float(rhs[1][q])
        self._bounds, self._rhs = bounds, rhs

    def any_panel(self) -> np.ndarray | None:
        """Some quota-satisfying composition, or None when there is none."""
        try:
            return self.best(np.zeros(self.types.size)).composition
        except InfeasibleQuotas:
            return None
