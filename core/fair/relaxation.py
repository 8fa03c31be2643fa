"""Leximin and Nash welfare over the LP relaxation of the quota polytope: cheap targets for the exact ones.

The relaxation lets type counts be fractional:
    P = { x in R^T : 0 <= x_t <= N_t,  sum_t x_t = k,  min_q <= sum_{t has q} x_t <= max_q,
          sum_{t in h} x_t <= 1 for every household h }.
Every distribution over valid panels has its expected composition in P, so the leximin vector of
p_t = x_t / N_t over P is lexicographically >= the leximin over distributions of valid panels.
When some distribution of valid panels reaches it, that distribution IS leximin-optimal (and the
leximin point is unique). Computing it takes one small LP per level (T + 1 variables, one HiGHS
instance re-solved warm from level to level), no pricing:

    stage:  max z  s.t.  x_t / N_t >= z (t unfixed),  x_t / N_t >= f_t (t fixed),  x in P,
and the types `core.fair.columns.types_to_fix` picks from the duals are fixed at z
(complementary slackness, as in `core.fair.leximin`).
"""

from __future__ import annotations

import cvxpy as cp
import highspy
import numpy as np
from scipy import sparse

from ..cancel import check as check_cancelled
from ..design.targets import Bands
from ..errors import SolverError
from ..model import TypeSpace
from .columns import types_to_fix

FLOOR_SLACK = 1e-10  # fixed types are held at f_t - FLOOR_SLACK so later stages stay feasible
MAX_FLOOR_SLACK = 1e-7  # ... and at most this much lower when the LP finds a floor out of reach
LP_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}  # HiGHS


def relaxed_leximin(types: TypeSpace, selectable: np.ndarray | None = None, bands: Bands | None = None) -> np.ndarray:
    """Type probabilities p_t of the leximin point of the relaxation (types not `selectable` at 0)."""
    return relaxed_leximin_levels(types, selectable, bands)[0]


def relaxed_leximin_levels(types: TypeSpace, selectable: np.ndarray | None = None,
                           bands: Bands | None = None) -> tuple[np.ndarray, list[float]]:
    """The leximin point of the relaxation and each stage's optimum z (the first is the relaxation's
    maximin value, an upper bound on every distribution's minimum over the selectable types).
    With `bands` (ex-ante targets, `core.design.targets`) the relaxation is P within the bands.

    One HiGHS LP, re-solved stage by stage (only a bound and a coefficient change per fixed type).
    Columns: z, then x_t. Rows: sum_t x_t = k, the quota rows, the household rows, the bands' rows,
    then x_t - N_t z >= 0 per unfixed type (the stage rows above, scaled by N_t) and x_t >= N_t f_t
    once fixed at f_t. Raises SolverError when P is empty."""
    T = types.size
    N = types.counts.astype(float)
    selectable = np.ones(T, dtype=bool) if selectable is None else np.asarray(selectable, dtype=bool)
    households = types.household_matrix().toarray()
    band_rows = np.zeros((0, T)) if bands is None else np.asarray(bands.B, dtype=float)
    constant = [np.ones((1, T)), types.A.astype(float), households, band_rows]
    constant_lower = np.r_[float(types.k), types.lower.astype(float), np.zeros(len(households)),
                           np.zeros(0) if bands is None else bands.lower]
    constant_upper = np.r_[float(types.k), types.upper.astype(float), np.ones(len(households)),
                           np.zeros(0) if bands is None else bands.upper]
    first_row = len(constant_lower)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    for option, value in LP_OPTIONS.items():
        h.setOptionValue(option, value)
    h.addCol(1.0, 0.0, highspy.kHighsInf, 0, np.array([], dtype=np.int32), np.array([], dtype=float))
    h.addCols(T, np.zeros(T), np.zeros(T), np.where(selectable, N, 0.0), 0, np.array([], dtype=np.int32),
              np.array([], dtype=np.int32), np.array([], dtype=float))
    # column z: -N_t in the row of each selectable type (x_t - N_t z >= 0 while unfixed); the others stay at 0
    z_column = sparse.csr_matrix(np.r_[np.zeros(first_row), np.where(selectable, -N, 0.0)][:, None])
    x_columns = sparse.vstack([sparse.csr_matrix(rows) for rows in constant] + [sparse.identity(T, format="csr")])
    matrix = sparse.hstack([z_column, x_columns]).tocsr()
    h.addRows(first_row + T, np.r_[constant_lower, np.zeros(T)], np.r_[constant_upper, np.full(T, highspy.kHighsInf)],
              matrix.nnz, matrix.indptr[:-1].astype(np.int32), matrix.indices.astype(np.int32), matrix.data)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    unfixed = selectable.copy()
    fixed_at: dict[int, float] = {}
    slack = FLOOR_SLACK
    levels: list[float] = []
    while unfixed.any():
        check_cancelled()  # one LP per level (core.cancel)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible and fixed_at and slack < MAX_FLOOR_SLACK:
            slack *= 10  # a floor reported within the LP's tolerance may be a hair out of reach: lower it a little
            _set_floors(h, first_row, fixed_at, N, slack)
            continue
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"the relaxed leximin LP ended with status {h.modelStatusToString(status)}")
        solution = h.getSolution()
        z = float(solution.col_value[0])
        levels.append(z)
        live = np.flatnonzero(unfixed)
        # the rows are the stage rows scaled by N_t: scale their duals back before the threshold
        duals = np.clip(-np.asarray(solution.row_dual)[first_row + live], 0.0, None) * N[live]
        if duals.sum() <= 0:
            raise SolverError("the relaxed leximin LP returned no usable dual solution")
        chosen = types_to_fix(live, duals / duals.sum())
        for t in chosen.tolist():
            h.changeCoeff(first_row + t, 0, 0.0)
            fixed_at[t] = z
        unfixed[chosen] = False
        _set_floors(h, first_row, {t: fixed_at[t] for t in chosen.tolist()}, N, slack)
    if not levels:  # nothing selectable: still check that P is not empty
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"the relaxed leximin LP ended with status {h.modelStatusToString(h.getModelStatus())}")
    x = np.asarray(h.getSolution().col_value)[1:]
    # the last LP's point itself (not the floors): it lies in P to the LP's tolerance
    return np.where(selectable, np.clip(x, 0.0, N) / N, 0.0), levels


def _set_floors(h: highspy.Highs, first_row: int, fixed_at: dict[int, float], N: np.ndarray, slack: float) -> None:
    """Rows x_t >= N_t (f_t - slack) for the types fixed at f_t."""
    fixed = np.array(list(fixed_at), dtype=np.int64)
    floors = np.array([N[t] * (fixed_at[t] - slack) for t in fixed.tolist()])
    h.changeRowsBounds(len(fixed), (first_row + fixed).astype(np.int32), floors, np.full(len(fixed), highspy.kHighsInf))


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
