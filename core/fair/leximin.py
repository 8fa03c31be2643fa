"""Leximin (Flanigan et al., Nature 2021): maximise the lowest selection probability, then the next, ...

Stage s, with the types fixed so far (F, at floors f_t) and the others unfixed (U):
    max z  s.t.  p_t >= z (t in U),  p_t >= f_t - tol (t in F),  sum_c lambda_c = 1,  lambda >= 0,
solved by column generation to a proven bound (`core.fair.columns.solve_stage`). Its dual is
    min mu - sum_{t in F} (f_t - tol) y_t  s.t.  sum_t y_t c_t / N_t <= mu (all valid c),  sum_U y_t = 1,  y >= 0.
Complementary slackness: a type with y_t > 0 in an optimal dual is at z in every optimal primal,
so it is fixed at f_t = z; at least one type has y_t >= 1/|U|. (With a duality gap g the fixed
type could rise by at most (g + tol)/y_t, hence the threshold on y_t.) Types with tiny duals stay
unfixed and are settled by a later stage at the same value. Columns are kept across stages.

Numerical guarantee: no stage lowers a fixed probability by more than tol = FIX_TOLERANCE * k/n
(1e-7 * k/n, below the 1e-6 * k/n the product promises); the final distribution is checked
against every floor and `info["max_shortfall"]` reports the largest shortfall.

Shortcut (`core.fair.relaxation`): the leximin point of the LP relaxation of the quota polytope is
an upper bound, cheap to compute, and on real pools usually reachable by valid panels. So we
first try to reach it: `core.fair.face_walk` writes the point as a mixture of valid panels (about
one panel per step, a hundred or two in all), and the master LP  max z  s.t.  p_t >= z * target_t
(all t) over those panels, with column generation if it falls short, certifies how far it got.
If z reaches 1 (to within the tolerance above), that distribution is the leximin distribution and
no stage is needed; a proven z < 1 means the relaxation is not tight, and the stages run as above,
starting from every panel generated so far.

Warm start (`warm_start`, reruns on a slightly changed pool such as a misreport): the panels given
are priced from towards the relaxed leximin point first (up to WARM_ROUNDS rounds); the face walk
runs only when that stalls. Targets (`targets`, `core.design.targets`): the relaxation, the master
LPs and the pricing all carry the target bands; the leximin point within them is still unique.
"""

from __future__ import annotations

import time

import numpy as np

from ..design.targets import Bands, quota_targets, reachable_types, stage_lp, target_bands, targets_report
from ..distribution import Distribution
from ..errors import SolverError
from ..model import Instance, TypeSpace
from ..selection import Progress, SelectionResult, no_progress
from .columns import (
    ColumnSet,
    Pricer,
    never_selectable_note,
    selectable_types,
    solve_stage,
    to_selection_result,
    types_to_fix,
    warm_columns,
)
from .face_walk import walk_down_faces
from .relaxation import relaxed_leximin_levels

FIX_TOLERANCE = 1e-7  # relative to k/n: how far below its fixed value a later stage may push a type
PROMISED_TOLERANCE = 1e-6  # relative to k/n: the shortfall beyond which we raise
WARM_ROUNDS = 300  # warm-started: pricing rounds from the carried panels before the face walk is tried


def leximin(types: TypeSpace, *, solver: str = "highs", progress: Progress = no_progress,
            warm_start: list[np.ndarray] | None = None, targets: np.ndarray | None = None) -> Distribution:
    """The leximin distribution of `types` (objective: the minimum selection probability).
    `warm_start`: valid compositions to start from (e.g. another run's panels, `carry_columns`).
    `targets`: target seats per quota (NaN = none), met in expectation (`core.design.targets`)."""
    started = time.perf_counter()
    pricer = Pricer(types, solver=solver)
    columns = ColumnSet(types)
    for composition in warm_start or []:
        columns.add(composition)
    selectable = selectable_types(pricer, columns)
    bands = None if targets is None else target_bands(types, targets, pricer, columns, solver=solver, progress=progress)
    seeded = time.perf_counter()
    never = ~selectable
    # the objective (the lowest probability) is taken over the types the targets leave some chance, as maximin's
    counted = reachable_types(types, bands, selectable)
    reached = _reach_relaxed_leximin(types, selectable, pricer, columns, progress, bands, warm=bool(warm_start))
    if reached is not None:
        lam, info = reached
        info.update({"types": types.size, **pricer.stats.as_dict(), **never_selectable_note(never, types),
                     "seconds": {"covering": round(seeded - started, 3), **info["seconds"]}})
        if bands is not None:
            info.update(targets_report(bands, columns.array, lam, selectable, counted))
        p = (lam @ columns.array) / types.counts
        return Distribution(types, columns.array, lam, objective=0.0 if never.any() else float(p[counted].min()),
                            info=info)
    lp = stage_lp(types, bands=bands)
    fixed_value = np.zeros(types.size)  # scaled probability each type was fixed at
    if never.any():
        lp.fix(np.flatnonzero(never), np.zeros(int(never.sum())))
    stages = []
    while lp.unfixed.any():
        outcome = solve_stage(lp, pricer, columns, progress=progress, label=f"leximin stage {len(stages) + 1} ")
        unfixed = np.flatnonzero(lp.unfixed)
        chosen = types_to_fix(unfixed, outcome.y[unfixed])
        fixed_value[chosen] = outcome.value
        lp.fix(chosen, np.full(len(chosen), outcome.value - FIX_TOLERANCE))
        stages.append({"value": outcome.value / lp.scale, "bound": outcome.bound / lp.scale,
                       "fixed_types": len(chosen), "rounds": outcome.rounds})
        progress(f"leximin stage {len(stages)}: probability {outcome.value / lp.scale:.6f} fixed for "
                 f"{int(types.counts[chosen].sum())} volunteers, {int(lp.unfixed.sum())} types left")
    stage_seconds = time.perf_counter() - seeded
    lam = lp.final_distribution(columns, lift=selectable, tolerance=FIX_TOLERANCE)
    p = lp.probabilities(lam, columns)
    shortfall = float(np.max(fixed_value - p)) if types.size else 0.0
    if shortfall > PROMISED_TOLERANCE:
        raise SolverError(f"leximin: a probability fell {shortfall:.2e} * k/n below its fixed value")
    objective = 0.0 if never.any() else float(p[counted].min()) / lp.scale
    info = {
        "method": "stages",
        "stages": len(stages),
        "stage_log": stages,
        "rounds": sum(s["rounds"] for s in stages),
        "panels_generated": len(columns),
        "fix_tolerance": FIX_TOLERANCE * types.k / types.counts.sum(),
        "max_shortfall": max(shortfall, 0.0) * types.k / types.counts.sum(),
        "upper_bound": 0.0 if never.any() else (stages[0]["bound"] if stages else objective),
        "types": types.size,
        "seconds": {"covering": round(seeded - started, 3), "stages": round(stage_seconds, 3),
                    "final_lp": round(time.perf_counter() - started - (seeded - started) - stage_seconds, 3)},
        **pricer.stats.as_dict(),
        **never_selectable_note(never, types),
    }
    if bands is not None:
        info.update(targets_report(bands, columns.array, lam, selectable, counted))
    return Distribution(types, columns.array, lam, objective=objective, info=info)


def _reach_relaxed_leximin(types: TypeSpace, selectable: np.ndarray, pricer: Pricer, columns: ColumnSet,
                           progress: Progress, bands: Bands | None = None,
                           warm: bool = False) -> tuple[np.ndarray, dict] | None:
    """A distribution reaching the relaxation's leximin point (then leximin-optimal), or None."""
    started = time.perf_counter()
    target, levels = relaxed_leximin_levels(types, selectable, bands)
    relaxed = time.perf_counter()
    progress(f"leximin: relaxation solved ({types.size} types), reaching its leximin point with valid panels")
    lp = stage_lp(types, target=target, bands=bands)
    unreachable = np.flatnonzero(target <= 0)
    if len(unreachable):
        lp.fix(unreachable, np.zeros(len(unreachable)))
    fair = types.k / types.counts.sum()
    # z >= enough puts every type within FIX_TOLERANCE * k/n of its target: no need to go further
    enough = 1.0 - FIX_TOLERANCE * fair / float(target.max())
    outcome = None
    if warm:  # warm-started (a rerun on a changed pool): the panels carried over may reach the point already
        outcome = solve_stage(lp, pricer, columns, progress=progress, label="leximin (warm) ", enough=enough,
                              max_rounds=WARM_ROUNDS)
    walk = None
    if outcome is None or outcome.value < enough:
        walk = walk_down_faces(types, target * types.counts, solver=pricer.solver)
        for composition in walk.compositions:
            columns.add(composition)
        progress(f"leximin: {len(walk.compositions)} panels from the face walk (weight left {walk.weight_left:.1e})")
    walked = time.perf_counter()
    if walk is not None:
        outcome = solve_stage(lp, pricer, columns, progress=progress, label="leximin (target) ", enough=enough)
    p = (outcome.lam @ columns.array) / types.counts
    shortfall = float(np.max(target - p))
    if shortfall > FIX_TOLERANCE * fair:
        progress(f"leximin: the relaxation is not tight (reached {outcome.value:.6f} of it); solving stage by stage")
        return None
    info = {
        "method": "relaxation reached",
        "stages": 0,
        "levels": len(np.unique(np.round(levels, 10))),  # distinct probabilities in the leximin vector
        "rounds": outcome.rounds,
        "panels_generated": len(columns),
        "fix_tolerance": FIX_TOLERANCE * fair,
        "max_shortfall": max(shortfall, 0.0),
        "upper_bound": levels[0] if selectable.any() else 0.0,
        "seconds": {"relaxation": round(relaxed - started, 3), "face_walk": round(walked - relaxed, 3),
                    "column_generation": round(time.perf_counter() - walked, 3)},
    }
    if walk is not None:
        info.update({"face_walk_panels": len(walk.compositions), "face_walk_weight_left": walk.weight_left})
    else:
        info["warm_start_reached"] = True
    return outcome.lam, info


def select(instance: Instance, *, seed: int = 0, options: dict | None = None,
           progress: Progress = no_progress) -> SelectionResult:
    """Registry entry point. Options: solver ("highs" or "cbc"), warm_start (value codes and compositions of
    another pool's panels, carried over by `carry_columns`). Deterministic: `seed` only drives draws."""
    options = options or {}
    return to_selection_result("leximin", leximin(instance.types, solver=options.get("solver", "highs"),
                                                  progress=progress, warm_start=warm_columns(options, instance.types),
                                                  targets=quota_targets(instance)))
