"""Goldilocks (Baharav & Flanigan, EC 2024): neither too low nor too high a selection probability.

Over distributions lambda of valid panels, with x_t = (n/k) p_t the selection probability of a
member of type t relative to the average k/n,
    minimise  max_t x_t + gamma / min_t x_t       (= (n/k) max_i p_i + gamma (k/n) / min_i p_i),
the minimum taken over types some valid panel contains (with targets: that some point of the quota
polytope within the targets' bands reaches, `reachable_types`). The objective depends on the expected
composition only, so the same programme over the quota polytope P (expected type counts, see
`core.fair.face_walk`) is a lower bound, solved once (cvxpy, Clarabel). Like leximin, we write its
optimum as a mixture of valid panels by walking down the faces of P, then close what the walk
misses by column generation. The master convex programme over the panels found so far is
    min u + gamma inv_pos(l)  s.t.  u >= x_t >= l,  x = (n/k) sum_c lambda_c c / N,  lambda in simplex;
with alpha, beta >= 0 the duals of u >= x_t and x_t >= l (alpha rescaled to sum 1), weak duality
gives the proven lower bound
    2 sqrt(gamma sum_t beta_t) - max_c sum_t (beta_t - alpha_t) (n/k) c_t / N_t,
whose maximising panel (`PanelModel.best`) is the next column. The relaxation's own duals give the
first such bound. Stop when the best bound meets the value; `info["gap"]` is value - bound.

Ex-ante targets (`core.design.targets`): the bands lower <= B E[c] <= upper (the targets, widened
by the smallest reachable deviation delta* when they cannot all be met, `target_bands`) join the
relaxation and the master as rows R E[c] <= r (`relaxation_rows`), E[c] = sum_c lambda_c c. With
mu >= 0 their duals, the pricing weights gain -R^T mu and the bound -mu . r:
    2 sqrt(gamma sum_t beta_t) - mu . r - max_c [sum_t (beta_t - alpha_t) (n/k) c_t / N_t - (R^T mu) . c].
"""

from __future__ import annotations

import math
import time

import cvxpy as cp
import numpy as np

from ..design.targets import (
    Bands,
    quota_targets,
    reachable_types,
    relaxation_rows,
    target_bands,
    targets_report,
)
from ..distribution import Distribution
from ..errors import SolverError
from ..model import Instance, TypeSpace
from ..selection import Progress, SelectionResult, no_progress
from .columns import ColumnSet, Pricer, selectable_types
from .face_walk import walk_down_faces

GAP_TOLERANCE = 1e-7  # absolute, on the objective scaled so that the uniform k/n gives 1 + gamma
MAX_ROUNDS = 500
CONIC_TOLERANCE = 1e-10  # Clarabel's gap and feasibility tolerances for the master
IMPROVEMENT = 1e-10  # a column enters the master only if its weight beats the master's by this


def goldilocks_objective(x: np.ndarray, gamma: float) -> float:
    """max x + gamma / min x for relative probabilities x (x_t = p_t n / k)."""
    return float(x.max() + gamma / x.min())


def _solve(problem: cp.Problem, what: str) -> None:
    """Clarabel, SCS as fallback; raises SolverError when neither returns a solution."""
    for solver in (cp.CLARABEL, cp.SCS):
        try:
            problem.solve(solver=solver)
        except cp.error.SolverError:
            continue
        if problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            return
    raise SolverError(f"the Goldilocks {what} failed (status {problem.status})")


def _duals(upper_con: cp.Constraint, lower_con: cp.Constraint) -> tuple[np.ndarray, np.ndarray]:
    alpha = np.clip(np.asarray(upper_con.dual_value, dtype=float).reshape(-1), 0.0, None)
    beta = np.clip(np.asarray(lower_con.dual_value, dtype=float).reshape(-1), 0.0, None)
    return alpha, beta


def _band_duals(constraint: cp.Constraint | None, rows: int) -> np.ndarray:
    """mu >= 0, the duals of the target bands' rows R E[c] <= r (empty without bands)."""
    if constraint is None:
        return np.zeros(rows)
    return np.clip(np.asarray(constraint.dual_value, dtype=float).reshape(-1), 0.0, None)


def solve_master(columns: np.ndarray, types: TypeSpace, selectable: np.ndarray, gamma: float,
                 bands: Bands | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The restricted master over `columns` (P x T), within the target bands if any:
    (lambda, alpha, beta, mu), duals as in the module doc."""
    n = int(types.counts.sum())
    scale = n / types.k
    X = (columns[:, selectable] / types.counts[selectable]).T * scale  # S x P: relative probability per column
    R, r = relaxation_rows(types, bands)
    solved = _conic_master(X, R @ columns.T.astype(float) if len(r) else None, r, gamma)
    if solved is not None:
        return solved
    lam = cp.Variable(len(columns), nonneg=True)
    x = X @ lam
    u, low = cp.Variable(), cp.Variable(pos=True)
    upper_con = x <= u
    lower_con = x >= low
    constraints = [cp.sum(lam) == 1, upper_con, lower_con]
    band_con = None
    if len(r):
        band_con = (R @ columns.T.astype(float)) @ lam <= r  # R E[c] <= r with E[c] = columns^T lambda
        constraints.append(band_con)
    problem = cp.Problem(cp.Minimize(u + gamma * cp.inv_pos(low)), constraints)
    _solve(problem, "master problem")
    if lam.value is None:
        raise SolverError(f"the Goldilocks master problem failed (status {problem.status})")
    weights = np.clip(np.asarray(lam.value, dtype=float), 0.0, None)
    alpha, beta = _duals(upper_con, lower_con)
    return weights / weights.sum(), alpha, beta, _band_duals(band_con, len(r))


def _conic_master(X: np.ndarray, band_rows: np.ndarray | None, r: np.ndarray,
                  gamma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The restricted master written for Clarabel directly (no cvxpy problem to build and canonicalise
    every round; on large_2000 with targets, 156 s instead of 208 s): variables (lambda, u, l, s),
    minimise u + gamma s with
        sum lambda = 1,  X lambda <= u,  X lambda >= l,  band_rows lambda <= r,  lambda >= 0,
        (s + l, s - l, 2) in the second-order cone  (s l >= 1, s >= 1 / l).
    Returns (lambda, alpha, beta, mu) as `solve_master`, or None when Clarabel does not solve it (the
    cvxpy path, with SCS as its fallback, then does)."""
    import clarabel
    from scipy import sparse

    S, P = X.shape
    B = np.zeros((0, P)) if band_rows is None else np.asarray(band_rows, dtype=float)
    m = len(B)
    n_var = P + 3  # lambda, u, l, s
    u, low, slack = P, P + 1, P + 2
    X_sparse = sparse.csr_matrix(X)
    one = sparse.csr_matrix(np.ones((S, 1)))
    blank = sparse.csr_matrix((S, 1))
    rows = sparse.vstack([
        sparse.hstack([sparse.csr_matrix(np.ones((1, P))), sparse.csr_matrix((1, 3))]),  # zero cone: sum = 1
        sparse.hstack([X_sparse, -one, blank, blank]),  # X lambda - u <= 0            (alpha)
        sparse.hstack([-X_sparse, blank, one, blank]),  # l - X lambda <= 0            (beta)
        sparse.hstack([sparse.csr_matrix(B), sparse.csr_matrix((m, 3))]),  # bands         (mu)
        sparse.hstack([-sparse.identity(P, format="csr"), sparse.csr_matrix((P, 3))]),  # lambda >= 0
        sparse.csr_matrix(([-1.0, -1.0, 1.0, -1.0], ([0, 0, 1, 1], [slack, low, low, slack])), shape=(3, n_var)),
    ]).tocsc()
    b = np.r_[1.0, np.zeros(2 * S), np.asarray(r, dtype=float) if m else np.zeros(0), np.zeros(P), 0.0, 0.0, 2.0]
    q = np.zeros(n_var)
    q[u], q[slack] = 1.0, gamma
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    # tighter than the defaults (1e-8): the duals enter the proven bound, and the gap is judged at GAP_TOLERANCE
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = CONIC_TOLERANCE
    cones = [clarabel.ZeroConeT(1), clarabel.NonnegativeConeT(2 * S + m + P), clarabel.SecondOrderConeT(3)]
    solution = clarabel.DefaultSolver(sparse.csc_matrix((n_var, n_var)), q, rows, b, cones, settings).solve()
    if solution.status not in (clarabel.SolverStatus.Solved, clarabel.SolverStatus.AlmostSolved):
        return None
    x, z = np.asarray(solution.x), np.asarray(solution.z)
    lam = np.clip(x[:P], 0.0, None)
    if lam.sum() <= 0:
        return None
    alpha = np.clip(z[1:1 + S], 0.0, None)
    beta = np.clip(z[1 + S:1 + 2 * S], 0.0, None)
    mu = np.clip(z[1 + 2 * S:1 + 2 * S + m], 0.0, None)
    return lam / lam.sum(), alpha, beta, mu


def relaxation(types: TypeSpace, selectable: np.ndarray, gamma: float,
               bands: Bands | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The Goldilocks programme over the quota polytope P, within the target bands if any:
    (expected counts x, alpha, beta, mu)."""
    N = types.counts.astype(float)
    scale = N.sum() / types.k
    counts = cp.Variable(types.size, nonneg=True)
    x = cp.multiply(scale / N[selectable], counts[selectable])
    u, low = cp.Variable(), cp.Variable(pos=True)
    A = types.A.astype(float)
    upper_con, lower_con = x <= u, x >= low
    constraints = [cp.sum(counts) == types.k, A @ counts >= types.lower, A @ counts <= types.upper,
                   counts <= N * selectable, upper_con, lower_con]
    if types.households:
        constraints.append(types.household_matrix() @ counts <= 1)
    R, r = relaxation_rows(types, bands)
    band_con = None
    if len(r):
        band_con = R @ counts <= r
        constraints.append(band_con)
    _solve(cp.Problem(cp.Minimize(u + gamma * cp.inv_pos(low)), constraints), "relaxation")
    if counts.value is None:
        raise SolverError("the Goldilocks relaxation returned no point")
    alpha, beta = _duals(upper_con, lower_con)
    return (np.clip(np.asarray(counts.value, dtype=float), 0.0, N * selectable), alpha, beta,
            _band_duals(band_con, len(r)))


def solve_relaxation(types: TypeSpace, selectable: np.ndarray, gamma: float,
                     bands: Bands | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Goldilocks programme over the quota polytope P: (expected counts x, alpha, beta)."""
    counts, alpha, beta, _ = relaxation(types, selectable, gamma, bands)
    return counts, alpha, beta


def _pricing_weights(alpha: np.ndarray, beta: np.ndarray, types: TypeSpace, selectable: np.ndarray,
                     mu: np.ndarray | None = None, bands: Bands | None = None) -> np.ndarray:
    """w_t = (beta_t - alpha_t) (n/k) / N_t on selectable types (alpha rescaled to sum 1), 0 elsewhere;
    minus (R^T mu)_t for the target bands' rows R E[c] <= r."""
    scale = int(types.counts.sum()) / types.k
    alpha = alpha / alpha.sum() if alpha.sum() > 0 else np.full(len(alpha), 1.0 / len(alpha))
    weights = np.zeros(types.size)
    weights[selectable] = (beta - alpha) * scale / types.counts[selectable]
    R, _ = relaxation_rows(types, bands)
    if mu is not None and len(mu):
        weights -= R.T @ mu
    return weights


def _dual_bound(gamma: float, beta: np.ndarray, mu: np.ndarray, types: TypeSpace, bands: Bands | None,
                priced_bound: float) -> float:
    """The weak-duality bound of the module doc, from a bound on max_c w . c over valid panels."""
    _, r = relaxation_rows(types, bands)
    return 2.0 * math.sqrt(gamma * beta.sum()) - float(mu @ r) - priced_bound


def goldilocks(types: TypeSpace, gamma: float = 1.0, *, seed: int = 0, solver: str = "highs",
               max_rounds: int = MAX_ROUNDS, tolerance: float = GAP_TOLERANCE,
               progress: Progress = no_progress, targets: np.ndarray | None = None) -> Distribution:
    """The Goldilocks distribution over valid panels (see the module doc), with its proven gap in info.

    `targets`: target seats per quota (NaN = none), met in expectation (`core.design.targets`): the
    relaxation and the master gain the target bands' rows, and info the targets' report.
    Deterministic: `seed` is kept for the registry's signature (the panels found do not depend on it)."""
    if gamma < 0:
        raise ValueError("gamma must be non-negative")
    started = time.perf_counter()
    pricer = Pricer(types, solver=solver)
    columns = ColumnSet(types)
    selectable = selectable_types(pricer, columns)  # raises InfeasibleQuotas when no panel exists
    bands = None if targets is None else target_bands(types, targets, pricer, columns, solver=solver, progress=progress)
    on_panels = selectable
    # the objective's types: with targets, those the bands leave some chance (a target of 0 may leave none)
    selectable = reachable_types(types, bands, on_panels)
    covered = time.perf_counter()
    scale = int(types.counts.sum()) / types.k
    target, alpha, beta, mu = relaxation(types, selectable, gamma, bands)
    walk = walk_down_faces(types, target, solver=solver)
    for composition in walk.compositions:
        columns.add(composition)
    progress(f"goldilocks: relaxation solved, {len(walk.compositions)} panels from the face walk")
    walked = time.perf_counter()
    # the relaxation's duals give a proven bound once the exact pricing MIP is solved with them
    weights = _pricing_weights(alpha, beta, types, selectable, mu, bands)
    lower_bound = _dual_bound(gamma, beta, mu, types, bands, pricer.exact(weights).bound)
    value, previous, rounds = math.inf, math.inf, 0
    for rounds in range(1, max_rounds + 1):
        C = columns.array
        lam, alpha, beta, mu = solve_master(C, types, selectable, gamma, bands)
        x = scale * (lam @ C) / types.counts
        value = goldilocks_objective(x[selectable], gamma)
        if value - lower_bound <= tolerance or rounds == max_rounds:
            break
        weights = _pricing_weights(alpha, beta, types, selectable, mu, bands)
        threshold = float(weights @ (lam @ C)) + IMPROVEMENT  # the master's own weight: only heavier panels help
        new = [c for c in pricer.heuristic(weights, columns, threshold=threshold) if columns.add(c)]
        # with target bands the master's duals are noisy enough that the heuristic keeps finding columns
        # that do not move the value: then price exactly too, for the proven bound
        stalled = bands is not None and previous - value <= tolerance
        previous = value
        if not new or stalled:
            priced = pricer.exact(weights)
            lower_bound = max(lower_bound, _dual_bound(gamma, beta, mu, types, bands, priced.bound))
            if priced.value > threshold and columns.add(priced.composition):
                new.append(priced.composition)
        progress(f"goldilocks round {rounds}: objective {value:.9f}, lower bound {lower_bound:.9f}, "
                 f"{len(columns)} panels")
        if value - lower_bound <= tolerance or not new:
            break  # `not new`: nothing prices out, the master is optimal up to the solvers' accuracy
    # lam was solved over exactly the columns present at that round (none are added after the last solve)
    dist = Distribution(types, columns.array[:len(lam)], lam)
    dist.verify()
    x = dist.type_probabilities() * scale
    value = goldilocks_objective(x[selectable], gamma)
    dist.objective = value
    dist.info = {"gamma": gamma, "rounds": rounds, "columns": len(columns), "lower_bound": lower_bound,
                 "gap": value - lower_bound, "never_selectable": int((~on_panels).sum()),
                 "face_walk_panels": len(walk.compositions), "face_walk_weight_left": walk.weight_left,
                 "min_probability": float(x[selectable].min() / scale), "max_probability": float(x.max() / scale),
                 "max_over_average": float(x.max()), **pricer.stats.as_dict(),
                 "seconds": {"covering": round(covered - started, 3), "relaxation_and_walk": round(walked - covered, 3),
                             "column_generation": round(time.perf_counter() - walked, 3)},
                 **({} if bands is None else targets_report(bands, dist.compositions, dist.probabilities, on_panels,
                                                            selectable))}
    return dist


def select(instance: Instance, *, seed: int, options: dict, progress: Progress = no_progress) -> SelectionResult:
    """Registry entry point. Options: "gamma" (default 1), "solver" (highs|cbc), "max_rounds", "tolerance"."""
    dist = goldilocks(instance.types, float(options.get("gamma", 1.0)), seed=seed,
                      solver=str(options.get("solver", "highs")),
                      max_rounds=int(options.get("max_rounds", MAX_ROUNDS)),
                      tolerance=float(options.get("tolerance", GAP_TOLERANCE)), progress=progress,
                      targets=quota_targets(instance))
    return SelectionResult("goldilocks", dist.marginals(), distribution=dist, objective=dist.objective,
                           info=dict(dist.info))
