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

from .errors import InfeasibleQuotas, SolverError
from .model import TypeSpace

SOLVERS = {"highs": "HIGHS", "cbc": "CBC"}


@dataclass(frozen=True)
class PricedPanel:
    """A panel of (near-)maximum weight and a proven upper bound on the maximum weight."""

    composition: np.ndarray
    value: float  # weight of `composition`
    bound: float  # no panel weighs more than this


class PanelModel:
    """One quota MIP, built once and re-solved with new objective weights."""

    def __init__(self, types: TypeSpace, solver: str = "highs", threads: int = 1):
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
        for q in range(len(types.lower)):
            in_q = [self.c[t] for t in np.flatnonzero(types.A[q])]
            m += mip.xsum(in_q) >= int(types.lower[q]), f"min_{q}"
            m += mip.xsum(in_q) <= int(types.upper[q]), f"max_{q}"
        for h, group in enumerate(types.households):
            m += mip.xsum(self.c[t] for t in group) <= 1, f"household_{h}"

    def best(self, weights: np.ndarray, time_limit: float | None = None) -> PricedPanel:
        """The panel maximising sum_t weights_t c_t, with the solver's proven bound."""
        w = np.asarray(weights, dtype=float)
        self.model.objective = mip.maximize(mip.xsum(float(w[t]) * self.c[t] for t in np.flatnonzero(w)))
        status = self.model.optimize(max_seconds=time_limit) if time_limit else self.model.optimize()
        if status == mip.OptimizationStatus.INFEASIBLE:
            raise InfeasibleQuotas("no panel meets every quota")
        if status not in (mip.OptimizationStatus.OPTIMAL, mip.OptimizationStatus.FEASIBLE):
            raise SolverError(f"the panel model ended with status {status.name}")
        composition = np.array([round(v.x) for v in self.c], dtype=np.int64)
        value = float(w @ composition)
        bound = max(value, float(self.model.objective_bound)) if status != mip.OptimizationStatus.OPTIMAL else value
        return PricedPanel(composition, value, bound)

    def any_panel(self) -> np.ndarray | None:
        """Some quota-satisfying composition, or None when there is none."""
        try:
            return self.best(np.zeros(self.types.size)).composition
        except InfeasibleQuotas:
            return None
