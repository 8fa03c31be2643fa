"""Nash welfare: the distribution over valid panels maximising sum_i log(selection probability of i).

In type space the objective is  f(lambda) = sum_t N_t log p_t,  p_t = sum_c lambda_c c_t / N_t.
Column generation: the restricted master (lambda over the columns found so far) is a convex
program solved with cvxpy (Clarabel; SCS if Clarabel fails). Its gradient in lambda_c is
sum_t c_t / p_t, so the pricing weights are w_t = 1 / p_t; sum_c lambda_c (w . c) = n, and by
concavity  f* - f(lambda) <= max_c w . c - n  (the Frank-Wolfe gap, with the MIP's proven bound).
We stop when that gap is at most `gap_tolerance * n` and report it. Types on no valid panel
have p_t = 0 whatever we do; they are left out of the objective and reported.
"""

from __future__ import annotations

import time

import cvxpy as cp
import numpy as np

from ..distribution import Distribution
from ..errors import SolverError
from ..model import Instance, TypeSpace
from ..selection import Progress, SelectionResult, no_progress
from .columns import ColumnSet, Pricer, never_selectable_note, selectable_types, to_selection_result

GAP_TOLERANCE = 1e-6  # stop when the Frank-Wolfe gap is below this times the number of volunteers


def nash_welfare(types: TypeSpace, type_probabilities: np.ndarray) -> float:
    """sum over volunteers of log(selection probability), over the types with p_t > 0."""
    p = np.asarray(type_probabilities, dtype=float)
    live = p > 0
    return float(types.counts[live] @ np.log(p[live]))


def _master(columns: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """lambda maximising sum_t N_t log(sum_c lambda_c c_t / N_t) over the given columns (live types only)."""
    lam = cp.Variable(len(columns), nonneg=True)
    expected = columns.T.astype(float) @ lam
    share = counts / counts.sum()  # objective divided by n, for the solver's tolerances
    problem = cp.Problem(cp.Maximize(share @ cp.log(expected)), [cp.sum(lam) == 1])
    settings = {"CLARABEL": {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11},
                "SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9}}
    for solver in ("CLARABEL", "SCS"):
        try:
            problem.solve(solver=solver, **settings[solver])
        except cp.error.SolverError:
            continue
        if problem.status in ("optimal", "optimal_inaccurate") and lam.value is not None:
            values = np.clip(lam.value, 0.0, None)
            return values / values.sum()
    raise SolverError(f"the Nash master problem could not be solved (status {problem.status})")


def nash(types: TypeSpace, *, solver: str = "highs", gap_tolerance: float = GAP_TOLERANCE,
         progress: Progress = no_progress, max_rounds: int = 10_000) -> Distribution:
    """The Nash-welfare distribution of `types` (objective: sum of log selection probabilities)."""
    started = time.perf_counter()
    pricer = Pricer(types, solver=solver)
    columns = ColumnSet(types)
    live = selectable_types(pricer, columns)
    seeded = time.perf_counter()
    n_live = float(types.counts[live].sum())
    best_gap, rounds, master_seconds = np.inf, 0, 0.0
    while True:
        rounds += 1
        tick = time.perf_counter()
        compositions = columns.array
        lam = _master(compositions[:, live], types.counts[live])
        master_seconds += time.perf_counter() - tick
        p = (lam @ compositions) / types.counts
        if (p[live] <= 0).any():
            raise SolverError("the Nash master problem left a selectable type at probability 0")
        weights = np.where(live, 1.0 / np.where(live, p, 1.0), 0.0)
        new = [c for c in pricer.heuristic(weights, columns, threshold=n_live * (1 + gap_tolerance), starts=5)
               if columns.add(c)]
        gap = np.inf
        if not new:
            priced = pricer.exact(weights)
            gap = max(priced.bound - n_live, 0.0)
            if priced.value > n_live * (1 + 1e-12) and columns.add(priced.composition):
                new = [priced.composition]
        best_gap = gap if np.isfinite(gap) else best_gap
        if gap <= gap_tolerance * n_live or not new or rounds >= max_rounds:
            break
        if rounds % 10 == 0:
            progress(f"nash round {rounds}: welfare {nash_welfare(types, p):.6f}, {len(columns)} panels")
    objective = nash_welfare(types, p)
    info = {
        "rounds": rounds,
        "panels_generated": len(columns),
        "frank_wolfe_gap": float(best_gap),
        "upper_bound": objective + float(best_gap),
        "min_probability": float(p[live].min()) if live.all() else 0.0,
        "types": types.size,
        "seconds": {"covering": round(seeded - started, 3), "master": round(master_seconds, 3),
                    "total": round(time.perf_counter() - started, 3)},
        **pricer.stats.as_dict(),
        **never_selectable_note(~live, types),
    }
    return Distribution(types, compositions, lam, objective=objective, info=info)


def select(instance: Instance, *, seed: int = 0, options: dict | None = None,
           progress: Progress = no_progress) -> SelectionResult:
    """Registry entry point. Options: solver ("highs" or "cbc"), gap_tolerance (relative to n)."""
    options = options or {}
    distribution = nash(instance.types, solver=options.get("solver", "highs"),
                        gap_tolerance=float(options.get("gap_tolerance", GAP_TOLERANCE)), progress=progress)
    return to_selection_result("nash", distribution)
