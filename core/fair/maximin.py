"""Maximin: the distribution over valid panels that maximises the smallest selection probability.

    max z  s.t.  p_t = sum_c lambda_c c_t / N_t >= z  for every type t,  sum_c lambda_c = 1,  lambda >= 0,
over all valid compositions c, by column generation (`core.fair.columns`). Any dual y >= 0 with
sum_t y_t = 1 proves z* <= max_c sum_t y_t c_t / N_t (the pricing MIP's bound); we stop when that
bound meets the master value to GAP_TOLERANCE * k/n. Types on no valid panel force z* = 0: they
are reported and the others are maximised among themselves; so are, with ex-ante targets, the types
the targets leave no chance (`core.design.targets.reachable_types`).

Start: the relaxation's leximin point (`core.fair.relaxation`) has the relaxation's maximin value
as its minimum, an upper bound on z*; the panels `core.fair.face_walk` finds for that point usually
reach it, and then that bound is the proof and no pricing is needed. Otherwise column generation
goes on from those panels as above.
"""

from __future__ import annotations

import time

import numpy as np

from ..design.targets import quota_targets, reachable_types, stage_lp, target_bands, targets_report
from ..distribution import Distribution
from ..model import Instance, TypeSpace
from ..selection import Progress, SelectionResult, no_progress
from .columns import GAP_TOLERANCE, ColumnSet, Pricer, never_selectable_note, selectable_types, solve_stage, to_selection_result
from .face_walk import walk_down_faces
from .relaxation import relaxed_leximin_levels


def maximin(types: TypeSpace, *, solver: str = "highs", progress: Progress = no_progress,
            targets: np.ndarray | None = None) -> Distribution:
    """The maximin distribution of `types` (objective: the minimum selection probability).
    `targets`: target seats per quota (NaN = none), met in expectation (`core.design.targets`)."""
    started = time.perf_counter()
    pricer = Pricer(types, solver=solver)
    columns = ColumnSet(types)
    selectable = selectable_types(pricer, columns)
    bands = None if targets is None else target_bands(types, targets, pricer, columns, solver=solver, progress=progress)
    seeded = time.perf_counter()
    lp = stage_lp(types, bands=bands)
    never = ~selectable
    # with targets, the types the bands leave no chance (a target of 0 may) are held at 0 with the never
    # selectable ones, and the minimum is taken over the others (as Goldilocks does)
    reachable = reachable_types(types, bands, selectable)
    if (~reachable).any():
        lp.fix(np.flatnonzero(~reachable), np.zeros(int((~reachable).sum())))
    target, levels = relaxed_leximin_levels(types, reachable, bands)
    relaxed_bound = levels[0] * lp.scale  # scaled: the relaxation's maximin value bounds the maximin
    for composition in walk_down_faces(types, target * types.counts, solver=solver).compositions:
        columns.add(composition)
    walked = time.perf_counter()
    progress(f"maximin: {types.size} types, {len(columns)} starting panels")
    outcome = solve_stage(lp, pricer, columns, progress=progress, label="maximin ",
                          enough=relaxed_bound - GAP_TOLERANCE)
    done = time.perf_counter()
    value = outcome.value / lp.scale
    bound = min(outcome.bound, relaxed_bound)
    info = {
        "rounds": outcome.rounds,
        "panels_generated": len(columns),
        "min_probability_selectable": value,
        "upper_bound": 0.0 if never.any() else bound / lp.scale,
        "gap": max(0.0, bound - outcome.value) / lp.scale,
        "types": types.size,
        "seconds": {"covering": round(seeded - started, 3), "face_walk": round(walked - seeded, 3),
                    "column_generation": round(done - walked, 3)},
        **pricer.stats.as_dict(),
        **never_selectable_note(never, types),
        **({} if bands is None else targets_report(bands, columns.array, outcome.lam, selectable, reachable)),
    }
    return Distribution(types, columns.array, outcome.lam, objective=0.0 if never.any() else value, info=info)


def select(instance: Instance, *, seed: int = 0, options: dict | None = None,
           progress: Progress = no_progress) -> SelectionResult:
    """Registry entry point. Options: solver ("highs" or "cbc"). Deterministic: `seed` only drives draws."""
    options = options or {}
    return to_selection_result("maximin", maximin(instance.types, solver=options.get("solver", "highs"),
                                                  progress=progress, targets=quota_targets(instance)))
