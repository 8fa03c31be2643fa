"""A distribution over valid panels whose selection probabilities are as close as possible to targets.

Given target probabilities pi_t per type (Phase I's marginals), find lambda over valid compositions
c (quota-satisfying panels) minimising the largest deviation, then the total deviation:
    stage 1:  min eps        s.t.  p_t = sum_c lambda_c c_t / N_t,  |p_t - pi_t| <= eps,  sum lambda = 1, lambda >= 0
    stage 2:  min sum_t N_t |p_t - pi_t|   with eps held at its stage-1 optimum.
Both are LPs with one column per valid panel, solved by column generation: the restricted master
(HiGHS, warm) over the panels found so far, and pricing max_c sum_t w_t c_t with w_t = y_t / N_t
from the duals y of the rows p_t - d+_t + d-_t = pi_t (core.fair.columns.Pricer: swap local search,
then the exact quota MIP with its proven bound). A stage ends when no panel improves the master,
so eps is optimal over all valid panels (the bound is reported).
Probabilities are scaled by n/k inside the LP (so k/n is 1) and tolerances are relative to k/n.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from ..distribution import Distribution
from ..errors import InfeasibleQuotas, SolverError
from ..fair.columns import ColumnSet, Pricer
from ..model import TypeSpace
from ..selection import Progress, no_progress

IMPROVEMENT = 1e-9  # a panel enters the master only if its reduced cost is below -IMPROVEMENT (scaled)
LP_TOLERANCE = 1e-10
STAGE_SLACK = 1e-9  # stage 2 keeps eps <= eps* + STAGE_SLACK (scaled)


@dataclass
class ClosestDistribution:
    """The distribution found, its largest deviation from the targets, and how it was found."""

    distribution: Distribution
    deviation: float  # max_t |p_t - pi_t| of the distribution (probability units)
    lower_bound: float  # no distribution over valid panels has a smaller largest deviation
    rounds: int
    panels_generated: int


class DeviationLP:
    """The restricted master: columns eps, d+ (T), d- (T), then one lambda per panel."""

    def __init__(self, types: TypeSpace, targets: np.ndarray):
        self.T = types.size
        self.scale = types.counts.sum() / types.k
        self.coefficient = self.scale / types.counts  # scaled p_t = sum_c lambda_c coefficient_t c_t
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("primal_feasibility_tolerance", LP_TOLERANCE)
        h.setOptionValue("dual_feasibility_tolerance", LP_TOLERANCE)
        inf = highspy.kHighsInf
        T = self.T
        none_i, none_f = np.array([], dtype=np.int32), np.array([], dtype=float)
        target = np.asarray(targets, dtype=float) * self.scale
        # rows 0..T-1: p_t - d+_t + d-_t = target_t;  rows T..2T-1: d+_t + d-_t - eps <= 0;  row 2T: sum lambda = 1
        h.addRows(2 * T + 1, np.r_[target, np.full(T, -inf), 1.0], np.r_[target, np.zeros(T), 1.0],
                  0, none_i, none_i, none_f)
        h.addCol(1.0, 0.0, inf, T, np.arange(T, 2 * T, dtype=np.int32), np.full(T, -1.0))  # eps
        for sign in (-1.0, 1.0):  # d+ then d-
            for t in range(T):
                h.addCol(0.0, 0.0, inf, 2, np.array([t, T + t], dtype=np.int32), np.array([sign, 1.0]))
        self.h = h
        self.first_panel = 1 + 2 * T
        self.n_columns = 0
        self.counts = types.counts.astype(float)

    def add_columns(self, compositions: np.ndarray) -> None:
        comps = np.asarray(compositions, dtype=np.int64).reshape(-1, self.T)
        for c in comps:
            nz = np.flatnonzero(c)
            index = np.r_[nz, 2 * self.T].astype(np.int32)
            value = np.r_[c[nz] * self.coefficient[nz], 1.0]
            self.h.addCol(0.0, 0.0, highspy.kHighsInf, len(index), index, value)
        self.n_columns += len(comps)

    def second_stage(self, eps: float) -> None:
        """Hold eps at most its optimum and minimise sum_t N_t (d+_t + d-_t) / n instead."""
        h = self.h
        h.changeColBounds(0, 0.0, eps + STAGE_SLACK)
        h.changeColCost(0, 0.0)
        total = self.counts.sum()
        for t in range(self.T):
            weight = self.counts[t] / total
            h.changeColCost(1 + t, weight)
            h.changeColCost(1 + self.T + t, weight)

    def solve(self) -> tuple[float, np.ndarray, np.ndarray, float]:
        """(objective, lambda, y, mu): y the duals of the target rows, mu minus that of sum lambda = 1.

        HiGHS's duals give reduced costs  cost - A^T y, so panel c has reduced cost
        mu - sum_t y_t coefficient_t c_t: it improves the master iff its weight exceeds mu."""
        h = self.h
        h.run()
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"the master LP ended with status {h.modelStatusToString(status)}")
        solution = h.getSolution()
        lam = np.clip(np.asarray(solution.col_value)[self.first_panel:], 0.0, None)
        lam = lam / lam.sum()
        y = np.asarray(solution.row_dual)[: self.T]
        mu = -float(solution.row_dual[2 * self.T])
        return float(h.getInfo().objective_function_value), lam, y, mu

    def eps(self) -> float:
        return float(self.h.getSolution().col_value[0])


def closest_distribution(types: TypeSpace, targets: np.ndarray, *, solver: str = "highs",
                         progress: Progress = no_progress, max_rounds: int = 20_000) -> ClosestDistribution:
    """Column generation for the distribution over valid panels closest to per-type `targets`."""
    targets = np.asarray(targets, dtype=float)
    pricer = Pricer(types, solver=solver)
    columns = ColumnSet(types)
    first = pricer.model.any_panel()
    if first is None:
        raise InfeasibleQuotas("no panel meets every quota")
    columns.add(first)
    lp = DeviationLP(types, targets)
    rounds = 0
    lower_bound = 0.0
    for stage in (1, 2):
        while True:
            rounds += 1
            if lp.n_columns < len(columns):
                lp.add_columns(columns.array[lp.n_columns:])
            value, lam, y, in_use = lp.solve()
            weights = y * lp.coefficient
            new = [c for c in pricer.heuristic(weights, columns, threshold=in_use + IMPROVEMENT) if columns.add(c)]
            if not new:
                priced = pricer.exact(weights)
                if stage == 1:  # Lagrangian bound: value + min reduced cost (sum lambda = 1)
                    lower_bound = max(lower_bound, value - (priced.bound - in_use))
                if priced.value > in_use + IMPROVEMENT and columns.add(priced.composition):
                    new = [priced.composition]
            if not new or rounds >= max_rounds:
                break
            if rounds % 25 == 0:
                progress(f"marginals closest to the targets: stage {stage}, round {rounds}, "
                         f"largest deviation {lp.eps() / lp.scale:.2e}, {len(columns)} panels")
        if stage == 1:
            eps_star = lp.eps()
            lower_bound = max(0.0, min(lower_bound, eps_star))
            if eps_star <= STAGE_SLACK:
                break
            lp.second_stage(eps_star)
    distribution = Distribution(types, columns.array, lam)
    deviation = float(np.abs(distribution.type_probabilities() - targets).max())
    return ClosestDistribution(distribution=distribution, deviation=deviation,
                               lower_bound=lower_bound / lp.scale, rounds=rounds, panels_generated=len(columns))

