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
Start: the same two stages over the LP relaxation of the quota polytope (`relaxed_closest`) give a
point that `core.fair.face_walk` turns into valid panels; column generation then goes on from them
with the stop rule above. Since the relaxation bounds both stages from below, a stage also stops
as soon as the master reaches the relaxed point's value to within REACHED * k/n: on the 1727/110/7
pool the walk's panels do, and no pricing round is needed (it was 76-98 s of degenerate rounds).
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from ..distribution import Distribution
from ..errors import InfeasibleQuotas, SolverError
from ..fair.columns import ColumnSet, Pricer
from ..fair.face_walk import walk_down_faces
from ..model import TypeSpace
from ..selection import Progress, no_progress

IMPROVEMENT = 1e-9  # a panel enters the master only if its reduced cost is below -IMPROVEMENT (scaled)
LP_TOLERANCE = 1e-10
STAGE_SLACK = 1e-9  # stage 2 keeps eps <= eps* + STAGE_SLACK (scaled)
REACHED = 1e-8  # (scaled, i.e. 1e-8 * k/n) a largest deviation this small counts as reaching the targets:
# stage 1 stops there instead of chasing LP round-off one panel at a time, and stage 2 is not needed


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
        h.setOptionValue("simplex_strategy", 4)  # primal simplex: added panels and new costs keep the basis feasible
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


def relaxed_closest(types: TypeSpace, targets: np.ndarray) -> np.ndarray:
    """Expected type counts x in the quota polytope P (the LP relaxation) solving both stages above
    with p_t = x_t / N_t: min eps, then min sum_t N_t |p_t - pi_t| with eps held. No distribution over
    valid panels does better (its expected composition is in P), so panels reaching x are optimal."""
    T, N = types.size, types.counts.astype(float)
    A = sparse.csr_matrix(types.A.astype(float))
    H = types.household_matrix()
    eye, zeros = sparse.identity(T, format="csr"), sparse.csr_matrix((T, T))
    # variables: x (T), u (T) with |x_t / N_t - pi_t| <= u_t, eps >= u_t
    scaled = sparse.diags(1.0 / N)
    rows = sparse.vstack([
        sparse.hstack([scaled, -eye, sparse.csr_matrix((T, 1))]),
        sparse.hstack([-scaled, -eye, sparse.csr_matrix((T, 1))]),
        sparse.hstack([zeros, eye, -np.ones((T, 1))]),
        sparse.hstack([-A, sparse.csr_matrix((A.shape[0], T + 1))]),
        sparse.hstack([A, sparse.csr_matrix((A.shape[0], T + 1))]),
        sparse.hstack([H, sparse.csr_matrix((H.shape[0], T + 1))]),
    ]).tocsr()
    bounds_rhs = np.r_[targets, -targets, np.zeros(T), -types.lower, types.upper, np.ones(H.shape[0])]
    equality = sparse.csr_matrix(np.r_[np.ones(T), np.zeros(T + 1)][None, :])
    bounds = [(0.0, float(n)) for n in N] + [(0.0, None)] * (T + 1)
    first = linprog(np.r_[np.zeros(2 * T), 1.0], A_ub=rows, b_ub=bounds_rhs, A_eq=equality, b_eq=[types.k],
                    bounds=bounds, method="highs")
    if first.status != 0:
        raise SolverError(f"the relaxed closest-marginals LP ended with status {first.status}: {first.message}")
    bounds[-1] = (0.0, float(first.x[-1]) + STAGE_SLACK / types.counts.sum() * types.k)
    second = linprog(np.r_[np.zeros(T), N, 0.0], A_ub=rows, b_ub=bounds_rhs, A_eq=equality, b_eq=[types.k],
                     bounds=bounds, method="highs")
    result = second if second.status == 0 else first
    return np.clip(result.x[:T], 0.0, N)


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
    # panels reaching the relaxation's closest point, when they can
    relaxed = relaxed_closest(types, targets)
    for composition in walk_down_faces(types, relaxed, solver=solver).compositions:
        columns.add(composition)
    lp = DeviationLP(types, targets)
    # the relaxed point's objectives (master units): no distribution over valid panels does better,
    # so a master reaching them (to REACHED) is optimal without pricing every panel out
    deviation = np.abs(relaxed / types.counts - targets) * lp.scale
    relaxed_values = {1: float(deviation.max()), 2: float(types.counts @ deviation / types.counts.sum())}
    rounds = 0
    lower_bound = max(0.0, relaxed_values[1] - STAGE_SLACK)  # the point was solved with eps <= eps* + slack
    for stage in (1, 2):
        while True:
            rounds += 1
            if lp.n_columns < len(columns):
                lp.add_columns(columns.array[lp.n_columns:])
            value, lam, y, in_use = lp.solve()
            if (lp.eps() if stage == 1 else value) <= relaxed_values[stage] + REACHED:
                break  # the relaxation's optimum is reached (to REACHED): optimal
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
            if eps_star <= REACHED:
                break
            lp.second_stage(eps_star)
    distribution = Distribution(types, columns.array, lam)
    deviation = float(np.abs(distribution.type_probabilities() - targets).max())
    return ClosestDistribution(distribution=distribution, deviation=deviation,
                               lower_bound=lower_bound / lp.scale, rounds=rounds, panels_generated=len(columns))

