"""Leximin and Nash welfare over the LP relaxation of the quota polytope: cheap targets for the exact ones.

The relaxation lets type counts be fractional:
    P = { x in R^T : 0 <= x_t <= N_t,  sum_t x_t = k,  min_q <= sum_{t has q} x_t <= max_q,
          sum_{t in h} x_t <= 1 for every household h }.
Every distribution over valid panels has its expected composition in P, so the leximin vector of
p_t = x_t / N_t over P is lexicographically >= the leximin over distributions of valid panels.
When some distribution of valid panels reaches it, that distribution IS leximin-optimal (and the
leximin point is unique). Computing it takes one small LP per level (T + 1 variables), no pricing:

    stage:  max z  s.t.  x_t / N_t >= z (t unfixed),  x_t / N_t >= f_t (t fixed),  x in P,
and the types `core.fair.columns.types_to_fix` picks from the duals are fixed at z
(complementary slackness, as in `core.fair.leximin`).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from ..cancel import check as check_cancelled
from ..design.targets import Bands, relaxation_rows
from ..errors import SolverError
from ..model import TypeSpace
from .columns import types_to_fix

FLOOR_SLACK = 1e-10  # fixed types are held at f_t - FLOOR_SLACK so later stages stay feasible
MAX_FLOOR_SLACK = 1e-7  # ... and at most this much lower when the LP finds a floor out of reach
LP_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


def relaxed_leximin(types: TypeSpace, selectable: np.ndarray | None = None, bands: Bands | None = None) -> np.ndarray:
    """Type probabilities p_t of the leximin point of the relaxation (types not `selectable` at 0)."""
    return relaxed_leximin_levels(types, selectable, bands)[0]


def relaxed_leximin_levels(types: TypeSpace, selectable: np.ndarray | None = None,
                           bands: Bands | None = None) -> tuple[np.ndarray, list[float]]:
    """The leximin point of the relaxation and each stage's optimum z (the first is the relaxation's
    maximin value, an upper bound on every distribution's minimum over the selectable types).
    With `bands` (ex-ante targets, `core.design.targets`) the relaxation is P within the bands."""
    T, N = types.size, types.counts.astype(float)
    selectable = np.ones(T, dtype=bool) if selectable is None else np.asarray(selectable, dtype=bool)
    Q = len(types.lower)
    quota_rows = sparse.csr_matrix(types.A.astype(float))
    household_rows = types.household_matrix()
    # variables: x_0..x_{T-1}, z.  Rows: -x_t/N_t + z [unfixed] <= -f_t [fixed]; quotas; households
    probability_rows = sparse.hstack([sparse.diags(-1.0 / N), sparse.csr_matrix((T, 1))]).tolil()
    fixed = ~selectable
    floor = np.zeros(T)
    bounds = [(0.0, float(n) if ok else 0.0) for n, ok in zip(N, selectable)] + [(0.0, None)]
    objective = np.r_[np.zeros(T), -1.0]
    equality = sparse.csr_matrix(np.r_[np.ones(T), 0.0][None, :])
    band_rows, band_bounds = relaxation_rows(types, bands)
    constant_rows = sparse.vstack([
        sparse.hstack([-quota_rows, sparse.csr_matrix((Q, 1))]),
        sparse.hstack([quota_rows, sparse.csr_matrix((Q, 1))]),
        sparse.hstack([household_rows, sparse.csr_matrix((household_rows.shape[0], 1))]),
        sparse.hstack([band_rows, sparse.csr_matrix((band_rows.shape[0], 1))]),
    ])
    constant_bounds = np.r_[-types.lower, types.upper, np.ones(household_rows.shape[0]), band_bounds]
    levels: list[float] = []
    while not fixed.all():
        check_cancelled()  # one LP per level (core.cancel)
        for t in range(T):
            probability_rows[t, T] = 0.0 if fixed[t] else 1.0
        rows = sparse.vstack([probability_rows.tocsr(), constant_rows]).tocsr()
        slack = 0.0
        while True:
            # a floor the LP reported within its tolerance may be a hair out of reach: lower it a little
            result = linprog(objective, A_ub=rows, b_ub=np.r_[-(floor - slack * fixed), constant_bounds],
                             A_eq=equality, b_eq=[types.k], bounds=bounds, method="highs", options=LP_OPTIONS)
            if result.status != 2 or slack >= MAX_FLOOR_SLACK:
                break
            slack = max(10 * slack, FLOOR_SLACK)
        if result.status != 0:
            raise SolverError(f"the relaxed leximin LP ended with status {result.status}: {result.message}")
        z = float(result.x[-1])
        levels.append(z)
        unfixed = np.flatnonzero(~fixed)
        duals = np.clip(-result.ineqlin.marginals[:T][unfixed], 0.0, None)
        if duals.sum() <= 0:
            raise SolverError("the relaxed leximin LP returned no usable dual solution")
        duals /= duals.sum()
        chosen = types_to_fix(unfixed, duals)
        fixed[chosen] = True
        floor[chosen] = z - FLOOR_SLACK
    # the last LP's point itself (not the floors): it lies in P to the LP's tolerance, where the floors
    # plus slack would overshoot sum_t x_t = k by up to n * FLOOR_SLACK
    return np.where(selectable, np.clip(result.x[:T], 0.0, N) / N, 0.0), levels


def relaxed_nash(types: TypeSpace, live: np.ndarray, bands: Bands | None = None) -> np.ndarray:
    """Expected type counts x maximising sum_t N_t log(x_t / N_t) over P (types not `live` at 0).

    Every distribution over valid panels has its expected composition in P, so this bounds the Nash
    welfare from above; when valid panels reach x, their distribution is Nash-optimal."""
    N = types.counts.astype(float)
    x = cp.Variable(types.size, nonneg=True)
    A = types.A.astype(float)
    constraints = [cp.sum(x) == types.k, A @ x >= types.lower, A @ x <= types.upper, x <= N * live]
    if types.households:
        constraints.append(types.household_matrix() @ x <= 1)
    if bands is not None:
        constraints += [bands.B @ x >= bands.lower, bands.B @ x <= bands.upper]
    problem = cp.Problem(cp.Maximize(N[live] @ cp.log(x[live])), constraints)
    try:
        problem.solve(solver="CLARABEL")
    except cp.SolverError:
        problem.solve(solver="SCS", eps=1e-9)
    if x.value is None:
        raise SolverError(f"the relaxed Nash welfare program ended with status {problem.status}")
    return np.clip(x.value, 0.0, N * live)
