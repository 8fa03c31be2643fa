"""Goldilocks (Baharav & Flanigan, EC 2024): neither too low nor too high a selection probability.

Over distributions lambda of valid panels, with x_t = (n/k) p_t the selection probability of a
member of type t relative to the average k/n,
    minimise  max_t x_t + gamma / min_t x_t       (= (n/k) max_i p_i + gamma (k/n) / min_i p_i),
the minimum taken over types some valid panel contains. Column generation in type space: the
master convex program (cvxpy, Clarabel; SCS as fallback)
    min u + gamma inv_pos(l)  s.t.  u >= x_t >= l,  x = (n/k) sum_c lambda_c c / N,  lambda in simplex
over the compositions found so far; with alpha, beta >= 0 the duals of u >= x_t and x_t >= l
(alpha rescaled to sum 1), weak duality gives the proven lower bound
    2 sqrt(gamma sum_t beta_t) - max_c sum_t (beta_t - alpha_t) (n/k) c_t / N_t,
whose maximising panel (`PanelModel.best`) is the next column. Stop when the bound meets the value.
"""

from __future__ import annotations

import math

import cvxpy as cp
import numpy as np

from ..distribution import Distribution
from ..errors import InfeasibleQuotas, SolverError
from ..model import Instance, TypeSpace
from ..panel_model import PanelModel
from ..selection import Progress, SelectionResult, no_progress

GAP_TOLERANCE = 1e-7  # absolute, on the objective scaled so that the uniform k/n gives 1 + gamma
MAX_ROUNDS = 500


def goldilocks_objective(x: np.ndarray, gamma: float) -> float:
    """max x + gamma / min x for relative probabilities x (x_t = p_t n / k)."""
    return float(x.max() + gamma / x.min())


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
    for solver in (cp.CLARABEL, cp.SCS):
        try:
            problem.solve(solver=solver)
        except cp.error.SolverError:
            continue
        if problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) and lam.value is not None:
            break
    else:
        raise SolverError(f"the Goldilocks master problem failed (status {problem.status})")
    weights = np.clip(np.asarray(lam.value, dtype=float), 0.0, None)
    alpha = np.clip(np.asarray(upper_con.dual_value, dtype=float).reshape(-1), 0.0, None)
    beta = np.clip(np.asarray(lower_con.dual_value, dtype=float).reshape(-1), 0.0, None)
    return weights / weights.sum(), alpha, beta


def _initial_columns(model: PanelModel, types: TypeSpace, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """Panels until every type some valid panel contains is on one of them; returns (columns, selectable)."""
    columns = [model.best(rng.random(types.size)).composition]
    covered = columns[0] > 0
    never = np.zeros(types.size, dtype=bool)
    while not (covered | never).all():
        open_types = ~(covered | never)
        priced = model.best(open_types.astype(float))
        gained = (priced.composition > 0) & open_types
        if not gained.any():  # no valid panel holds any of the open types
            never |= open_types
            break
        columns.append(priced.composition)
        covered |= priced.composition > 0
    return columns, ~never


def goldilocks(types: TypeSpace, gamma: float = 1.0, *, seed: int = 0, solver: str = "highs",
               max_rounds: int = MAX_ROUNDS, tolerance: float = GAP_TOLERANCE,
               progress: Progress = no_progress) -> Distribution:
    """The Goldilocks distribution over valid panels (see the module doc), with its proven gap in info."""
    if gamma < 0:
        raise ValueError("gamma must be non-negative")
    model = PanelModel(types, solver=solver)
    if model.any_panel() is None:
        raise InfeasibleQuotas("no panel meets every quota")
    rng = np.random.default_rng(seed)
    columns, selectable = _initial_columns(model, types, rng)
    scale = int(types.counts.sum()) / types.k
    seen = {tuple(c) for c in columns}
    lower_bound, value, rounds = -math.inf, math.inf, 0
    for rounds in range(1, max_rounds + 1):
        C = np.array(columns)
        lam, alpha, beta = solve_master(C, types, selectable, gamma)
        x = scale * (lam @ C) / types.counts
        value = goldilocks_objective(x[selectable], gamma)
        alpha = alpha / alpha.sum() if alpha.sum() > 0 else np.full(len(alpha), 1.0 / len(alpha))
        weights = np.zeros(types.size)
        weights[selectable] = (beta - alpha) * scale / types.counts[selectable]
        priced = model.best(weights)
        lower_bound = max(lower_bound, 2.0 * math.sqrt(gamma * beta.sum()) - priced.bound)
        progress(f"round {rounds}: objective {value:.9f}, lower bound {lower_bound:.9f}")
        if value - lower_bound <= tolerance:
            break
        key = tuple(priced.composition)
        if key in seen or priced.value <= float(weights @ (lam @ C)) + 1e-12:
            break  # nothing prices out: the master is optimal up to the solver's accuracy
        seen.add(key)
        columns.append(priced.composition)
    C = np.array(columns)
    dist = Distribution(types, C, lam)
    dist.verify()
    x = dist.type_probabilities() * scale
    value = goldilocks_objective(x[selectable], gamma)
    dist.objective = value
    dist.info = {"gamma": gamma, "rounds": rounds, "columns": len(columns), "lower_bound": lower_bound,
                 "gap": value - lower_bound, "never_selectable": int((~selectable).sum()),
                 "min_probability": float(x[selectable].min() / scale), "max_probability": float(x.max() / scale),
                 "max_over_average": float(x.max())}
    return dist


def select(instance: Instance, *, seed: int, options: dict, progress: Progress = no_progress) -> SelectionResult:
    """Registry entry point. Options: "gamma" (default 1), "solver" (highs|cbc), "max_rounds", "tolerance"."""
    dist = goldilocks(instance.types, float(options.get("gamma", 1.0)), seed=seed,
                      solver=str(options.get("solver", "highs")),
                      max_rounds=int(options.get("max_rounds", MAX_ROUNDS)),
                      tolerance=float(options.get("tolerance", GAP_TOLERANCE)), progress=progress)
    return SelectionResult("goldilocks", dist.marginals(), distribution=dist, objective=dist.objective,
                           info=dict(dist.info))
