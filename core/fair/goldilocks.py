"""Goldilocks (Baharav & Flanigan, EC 2024): neither too low nor too high a selection probability.

Over distributions lambda of valid panels, with x_t = (n/k) p_t the selection probability of a
member of type t relative to the average k/n,
    minimise  max_t x_t + gamma / min_t x_t       (= (n/k) max_i p_i + gamma (k/n) / min_i p_i),
the minimum taken over types some valid panel contains. The objective depends on the expected
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
"""

from __future__ import annotations

import math
import time

import cvxpy as cp
import numpy as np

from ..distribution import Distribution
from ..errors import SolverError
from ..model import Instance, TypeSpace
from ..selection import Progress, SelectionResult, no_progress
from .columns import ColumnSet, Pricer, selectable_types
from .face_walk import walk_down_faces

GAP_TOLERANCE = 1e-7  # absolute, on the objective scaled so that the uniform k/n gives 1 + gamma
MAX_ROUNDS = 500
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


def solve_master(columns: np.ndarray, types: TypeSpace, selectable: np.ndarray, gamma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The restricted master over `columns` (P x T): (lambda, alpha, beta), duals as in the module doc."""
    n = int(types.counts.sum())
    scale = n / types.k
    X = (columns[:, selectable] / types.counts[selectable]).T * scale  # S x P: relative probability per column
    lam = cp.Variable(len(columns), nonneg=True)
    x = X @ lam
    u, low = cp.Variable(), cp.Variable(pos=True)
    upper_con = x <= u
    lower_con = x >= low
    problem = cp.Problem(cp.Minimize(u + gamma * cp.inv_pos(low)), [cp.sum(lam) == 1, upper_con, lower_con])
    _solve(problem, "master problem")
    if lam.value is None:
        raise SolverError(f"the Goldilocks master problem failed (status {problem.status})")
    weights = np.clip(np.asarray(lam.value, dtype=float), 0.0, None)
    alpha, beta = _duals(upper_con, lower_con)
    return weights / weights.sum(), alpha, beta


def solve_relaxation(types: TypeSpace, selectable: np.ndarray, gamma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Goldilocks programme over the quota polytope P: (expected counts x, alpha, beta)."""
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
    _solve(cp.Problem(cp.Minimize(u + gamma * cp.inv_pos(low)), constraints), "relaxation")
    if counts.value is None:
        raise SolverError("the Goldilocks relaxation returned no point")
    alpha, beta = _duals(upper_con, lower_con)
    return np.clip(np.asarray(counts.value, dtype=float), 0.0, N * selectable), alpha, beta


def _pricing_weights(alpha: np.ndarray, beta: np.ndarray, types: TypeSpace, selectable: np.ndarray) -> np.ndarray:
    """w_t = (beta_t - alpha_t) (n/k) / N_t on selectable types (alpha rescaled to sum 1), 0 elsewhere."""
    scale = int(types.counts.sum()) / types.k
    alpha = alpha / alpha.sum() if alpha.sum() > 0 else np.full(len(alpha), 1.0 / len(alpha))
    weights = np.zeros(types.size)
    weights[selectable] = (beta - alpha) * scale / types.counts[selectable]
    return weights


def goldilocks(types: TypeSpace, gamma: float = 1.0, *, seed: int = 0, solver: str = "highs",
               max_rounds: int = MAX_ROUNDS, tolerance: float = GAP_TOLERANCE,
               progress: Progress = no_progress) -> Distribution:
    """The Goldilocks distribution over valid panels (see the module doc), with its proven gap in info.

    Deterministic: `seed` is kept for the registry's signature (the panels found do not depend on it)."""
    if gamma < 0:
        raise ValueError("gamma must be non-negative")
    started = time.perf_counter()
    pricer = Pricer(types, solver=solver)
    columns = ColumnSet(types)
    selectable = selectable_types(pricer, columns)  # raises InfeasibleQuotas when no panel exists
    covered = time.perf_counter()
    scale = int(types.counts.sum()) / types.k
    target, alpha, beta = solve_relaxation(types, selectable, gamma)
    walk = walk_down_faces(types, target, solver=solver)
    for composition in walk.compositions:
        columns.add(composition)
    progress(f"goldilocks: relaxation solved, {len(walk.compositions)} panels from the face walk")
    walked = time.perf_counter()
    # the relaxation's duals give a proven bound once the exact pricing MIP is solved with them
    weights = _pricing_weights(alpha, beta, types, selectable)
    lower_bound = 2.0 * math.sqrt(gamma * beta.sum()) - pricer.exact(weights).bound
    value, rounds = math.inf, 0
    for rounds in range(1, max_rounds + 1):
        C = columns.array
        lam, alpha, beta = solve_master(C, types, selectable, gamma)
        x = scale * (lam @ C) / types.counts
        value = goldilocks_objective(x[selectable], gamma)
        if value - lower_bound <= tolerance or rounds == max_rounds:
            break
        weights = _pricing_weights(alpha, beta, types, selectable)
        threshold = float(weights @ (lam @ C)) + IMPROVEMENT  # the master's own weight: only heavier panels help
        new = [c for c in pricer.heuristic(weights, columns, threshold=threshold) if columns.add(c)]
        if not new:
            priced = pricer.exact(weights)
            lower_bound = max(lower_bound, 2.0 * math.sqrt(gamma * beta.sum()) - priced.bound)
            if priced.value > threshold and columns.add(priced.composition):
                new = [priced.composition]
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
                 "gap": value - lower_bound, "never_selectable": int((~selectable).sum()),
                 "face_walk_panels": len(walk.compositions), "face_walk_weight_left": walk.weight_left,
                 "min_probability": float(x[selectable].min() / scale), "max_probability": float(x.max() / scale),
                 "max_over_average": float(x.max()), **pricer.stats.as_dict(),
                 "seconds": {"covering": round(covered - started, 3), "relaxation_and_walk": round(walked - covered, 3),
                             "column_generation": round(time.perf_counter() - walked, 3)}}
    return dist


def select(instance: Instance, *, seed: int, options: dict, progress: Progress = no_progress) -> SelectionResult:
    """Registry entry point. Options: "gamma" (default 1), "solver" (highs|cbc), "max_rounds", "tolerance"."""
    dist = goldilocks(instance.types, float(options.get("gamma", 1.0)), seed=seed,
                      solver=str(options.get("solver", "highs")),
                      max_rounds=int(options.get("max_rounds", MAX_ROUNDS)),
                      tolerance=float(options.get("tolerance", GAP_TOLERANCE)), progress=progress)
    return SelectionResult("goldilocks", dist.marginals(), distribution=dist, objective=dist.objective,
                           info=dict(dist.info))
