"""Nash welfare: the distribution over valid panels maximising sum_i log(selection probability of i).

In type space the objective is  f(lambda) = sum_t N_t log p_t,  p_t = sum_c lambda_c c_t / N_t.
Column generation: the restricted master (lambda over the columns found so far) is a smooth concave
program solved by `nash_master` (proximal Newton with NNLS subproblems, warm-started; Clarabel
as fallback). Its gradient in lambda_c is
sum_t c_t / p_t, so the pricing weights are w_t = 1 / p_t; sum_c lambda_c (w . c) = n, and by
concavity  f* - f(lambda) <= max_c w . c - n  (the Frank-Wolfe gap, with the MIP's proven bound).
We stop when that gap is at most `gap_tolerance * n` and report it. Types on no valid panel
have p_t = 0 whatever we do; they are left out of the objective and reported, and so are, with
ex-ante targets, the types the targets leave no chance (`core.design.targets.reachable_types`).

Start: the optimum x of the same objective over the LP relaxation of the quota polytope
(`core.fair.relaxation.relaxed_nash`, one small convex program) bounds the welfare from above, and
`core.fair.face_walk` finds valid panels whose mixture reaches it; when it does, the first rounds
already close the gap. The stop test above is unchanged, so the result is exact either way.
"""

from __future__ import annotations

import time

import numpy as np

from ..design.targets import quota_targets, reachable_types, target_bands, targets_report
from ..distribution import Distribution
from ..model import Instance, TypeSpace
from ..selection import Progress, SelectionResult, no_progress
from .columns import ColumnSet, Pricer, never_selectable_note, selectable_types, to_selection_result, warm_columns
from .face_walk import walk_down_faces
from .nash_master import banded_master, solve_master
from .relaxation import relaxed_nash

GAP_TOLERANCE = 1e-6  # stop when the Frank-Wolfe gap is below this times the number of volunteers
MASTER_SHARE = 0.1  # each restricted master is solved to this fraction of the final gap tolerance
COLUMNS_PER_ROUND = 2  # local-search starts per pricing round, besides the MIP's column


def nash_welfare(types: TypeSpace, type_probabilities: np.ndarray) -> float:
    """sum over volunteers of log(selection probability), over the types with p_t > 0."""
    p = np.asarray(type_probabilities, dtype=float)
    live = p > 0
    return float(types.counts[live] @ np.log(p[live]))


def nash(types: TypeSpace, *, solver: str = "highs", gap_tolerance: float = GAP_TOLERANCE,
         progress: Progress = no_progress, max_rounds: int = 10_000,
         columns_per_round: int = COLUMNS_PER_ROUND, master: str = "nnls",
         warm_start: list[np.ndarray] | None = None, targets: np.ndarray | None = None) -> Distribution:
    """The Nash-welfare distribution of `types` (objective: sum of log selection probabilities).

    Each round solves the restricted master to a gap of MASTER_SHARE * gap_tolerance * n (warm
    proximal Newton, `nash_master`; master="clarabel" for the interior-point reference), then prices
    with w = 1/p: the exact MIP (whose proven bound is the stop test), plus local search from the
    `columns_per_round` best columns for further improving columns. `warm_start`: valid compositions
    to start from (e.g. another run's panels, `carry_columns`). `targets`: target seats per quota (NaN =
    none), met in expectation (`core.design.targets`); the master then is `banded_master` and the gap is
    that of the Lagrangian, max_c g_c - sum_c lambda_c g_c with g_c = sum_t c_t / p_t + pi . B c."""
    started = time.perf_counter()
    pricer = Pricer(types, solver=solver)
    columns = ColumnSet(types)
    for composition in warm_start or []:
        columns.add(composition)
    on_panels = selectable_types(pricer, columns)
    bands = None if targets is None else target_bands(types, targets, pricer, columns, solver=solver, progress=progress)
    # the objective's types: with targets, those the bands leave some chance (a target of 0 may leave none)
    live = reachable_types(types, bands, on_panels)
    covered = time.perf_counter()
    # start from panels reaching the relaxation's optimum, when they can
    for composition in walk_down_faces(types, relaxed_nash(types, live, bands), solver=solver).compositions:
        columns.add(composition)
    seeded = time.perf_counter()
    N = types.counts[live].astype(float)
    n_live = float(N.sum())
    best_gap, rounds, master_seconds, master_iterations = np.inf, 0, 0.0, 0
    methods: dict[str, int] = {}
    lam = None
    while True:
        rounds += 1
        tick = time.perf_counter()
        compositions = columns.array
        warm = None if lam is None else np.r_[lam, np.zeros(len(compositions) - len(lam))]
        if bands is not None:
            result = banded_master(compositions[:, live], N, compositions @ bands.B.T, bands.lower, bands.upper)
        else:
            result = solve_master(compositions[:, live], N, warm, MASTER_SHARE * gap_tolerance * n_live, master)
        lam = result.lam
        master_seconds += time.perf_counter() - tick
        master_iterations += getattr(result, "iterations", 0)
        method = getattr(result, "method", "banded")
        methods[method] = methods.get(method, 0) + 1
        p = np.zeros(types.size)
        p[live] = result.p
        weights = np.where(live, 1.0 / np.where(live, p, 1.0), 0.0)
        baseline = n_live
        if bands is not None:  # the Lagrangian's gradient: the band rows' multipliers join the weights
            weights = weights + result.multipliers @ bands.B
            baseline = float(lam @ (compositions @ weights))
        # the exact MIP every round (it is cheaper than the local search here): its bound is the stop test
        priced = pricer.exact(weights)
        gap = max(priced.bound - baseline, 0.0)
        if gap <= gap_tolerance * n_live:
            best_gap = gap
            break
        new = [priced.composition] if priced.value > baseline + n_live * 1e-12 and columns.add(priced.composition) else []
        if columns_per_round > 0:
            new += [c for c in pricer.heuristic(weights, columns, threshold=baseline + n_live * gap_tolerance,
                                                starts=columns_per_round) if columns.add(c)]
        best_gap = gap
        if not new or rounds >= max_rounds:
            break
        if rounds % 10 == 0:
            progress(f"nash round {rounds}: welfare {nash_welfare(types, p):.6f}, {len(columns)} panels")
    p = (lam @ compositions) / types.counts
    objective = nash_welfare(types, np.where(live, p, 0.0))  # over the types with a chance
    info = {
        "rounds": rounds,
        "panels_generated": len(columns),
        "frank_wolfe_gap": float(best_gap),
        "upper_bound": objective + float(best_gap),
        "min_probability": float(p[live].min()) if live.all() else 0.0,
        "types": types.size,
        "master_iterations": master_iterations,
        "master_methods": methods,
        "seconds": {"covering": round(covered - started, 3), "face_walk": round(seeded - covered, 3),
                    "master": round(master_seconds, 3),
                    "total": round(time.perf_counter() - started, 3)},
        **pricer.stats.as_dict(),
        **never_selectable_note(~on_panels, types),
        **({} if bands is None else targets_report(bands, compositions, lam, on_panels, live)),
    }
    return Distribution(types, compositions, lam, objective=objective, info=info)


def select(instance: Instance, *, seed: int = 0, options: dict | None = None,
           progress: Progress = no_progress) -> SelectionResult:
    """Registry entry point. Options: solver ("highs" or "cbc"), gap_tolerance (relative to n), warm_start
    (value codes and compositions of another pool's panels, carried over by `carry_columns`)."""
    options = options or {}
    distribution = nash(instance.types, solver=options.get("solver", "highs"),
                        gap_tolerance=float(options.get("gap_tolerance", GAP_TOLERANCE)), progress=progress,
                        warm_start=warm_columns(options, instance.types), targets=quota_targets(instance))
    return to_selection_result("nash", distribution)
