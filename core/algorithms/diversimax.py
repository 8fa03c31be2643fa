"""Diversimax (Matar 2025): among the panels meeting every quota, the one spreading its seats most
evenly over every intersection of categories (see core.analysis.intersections for tables and cells).

    minimise  sum_t sum_{c in cells(t)} |n_c - V_t|      V_t = k / |cells(t)|,  n_c = sum_{types in c} x_type
    subject to the quota model of core.algorithms.panel_model (x = type counts; per person with households).

Speed-ups used here (all exact: the optimum and every panel's objective are unchanged):
1. Every table has sum_c n_c = k = |cells(t)| V_t, so  sum_c |n_c - V_t| = 2 sum_c (n_c - V_t)^+ .
   Cells no one in the pool occupies have n_c = 0 and add nothing; a fillable cell gets
       e_c >= n_c - V,   e_c >= (ceil V - V)(n_c - floor V),   e_c >= 0,
   which on integers n_c is the convex hull of (n_c - V)^+. Writing the deficit side (V - n_c)^+
   instead, or both sides with the equality, gives the same LP (they differ by the linear n_c - V
   and the tables' sums are fixed), so one side suffices. With the hull, the LP already attains
   every table's own least L1 (a separable convex function with integer breakpoints minimised
   over sum_c n_c = k, 0 <= n_c <= cap_c has an integral LP optimum), so per-table lower bounds
   such as k(1 - V) + (|C| - k)V for V < 1 are implied and add nothing as constraints; on obf the
   exact optimum of every 3- or 4-category projection of the problem did not lift the LP either.
2. Cell capacity cap_c = min(pool count, k, the quota maxima covering c) (cell_capacity, in
   core/algorithms/diversimax_objective.py, with the objective and the warm-start swap search) bounds n_c:
   a cell with cap_c <= floor V always has (n_c - V)^+ = 0 and gets no variable; a cell with
   V < 1 and cap_c <= 1 has (n_c - V)^+ = (1 - V) n_c exactly, a linear objective term; a cell with
   cap_c <= ceil V needs only the hull line (it dominates n_c - V there). 10-20% fewer variables.
3. Objective values lie on the grid (2/L)Z, L = lcm of the tables' cell counts (objective_grain),
   so the solver stops as soon as best - bound < 2/L (proven optimal) and the reported bound is
   rounded up to the grid.
4. HiGHS branches on pseudocosts from the first node (mip_pscost_minreliable = 0; its default
   strong-branches each variable 8 times first, which took 60% of its LP iterations on sf_e).
   Branching hardly lifts the bound here, so the nodes saved go to finding panels: at 60 s, seeds
   0-3, sf_e's gap fell from 0.3-0.6% to 0.05-0.26% and obf's from 2.5-4.0% to 2.4-3.3%; sf_a and
   sf_d are still proven optimal in 0.4-8.5 s.

Measured and not kept (paper-shaped instances, 60 s, same runs): starting from the optimum of the
order-2 model (sf_e start 3875 instead of 4064 but the same end within noise, obf no better);
a MIP restricted to the types in the LP optimum's support (sf_e: no panel in 15 s); iterated swap
search with random kicks (sf_e 3883 after 20 s CPU, HiGHS's own sub-MIPs reach about 3795);
HiGHS mip_heuristic_effort 0.3. CBC (solver="cbc") used about 35% less CPU than HiGHS to prove
optimality on sf_a/sf_d shapes (seeds 0-3) and ended with similar gaps on obf and sf_e.
OR-Tools CP-SAT 9.15 on the same model in integers (excess scaled by L = lcm of the cell counts,
so every coefficient and its bound are exact), swap-search hint, 60 s, seeds 0-3: 1 worker ended at
obf 1863.6/1860.2/1843.5/1860.9 (bounds 1785.0/1786.3/1778.2/1801.2, below HiGHS's) and sf_e
3783.5/3796.6/3791.4/3795.8 (HiGHS 3802.3/3801.8/3796.9/3808.4; CP-SAT's bounds 3778.7/3783.6/
3778.8/3782.2, below HiGHS's 3781.2/3789.7/3779.0/3785.1); its panels come only after its LP
converges (35-40 s on sf_e). 2 workers (or 8 interleaved in one thread) did worse in 60 s on the
shared 2-core machine (obf s0 1891/1922, sf_e s0 4038), and it took 18 s on sf_a s0 and 26 s on
sf_d s0 against HiGHS's 6.5 s and 1.7 s. Not added: it proves no gap < 0.1% where HiGHS cannot,
and its wheel bundles libhighs.so.1 of HiGHS 1.12, which clashes with highspy's in one process.
On obf what remains hard is the bound, not the panels. The LP spreads x over 120+ types so that
nearly every order-3 cell holds n_c <= ceil V; on obf s0, 76 of the 86 points an incumbent loses
to the LP are in order-3 tables with V = k/|cells| around 0.5-1.25, i.e. pairs of members sharing
three values (a packing/design structure no per-table or per-projection cut sees). obf's bound
(about 1787-1789 against panels of about 1840-1865) moves only slowly under branching: obf s0
with 300 s (241 s CPU, 5469 nodes) ended at 1839.96 with bound 1808.49 (60 s: 1862.17 / 1792.72),
a 1.7% gap; and sf_e's bound (3781.21) did not move in 298 nodes / 118 s of CPU while the best
panel fell to 3791.
SCIP 10 (pyscipopt 6.3, Apache-2.0, same model read from MPS, 60 s, one thread): obf s0 1839.06 with
bound 1797.78 (2.3%), sf_e s0 3788.21 / 3781.21 (0.19%), s1 3800.46 / 3789.71 (0.28%), sf_a s0 proven
in 6 s; after 600 s obf s0 was still at 1834.67 / 1818.33 (0.9%). Not added: no smaller gap at 60 s
than HiGHS with point 4, for a second solver stack. Longer runs show what limits each shape: on sf_e
the LP bound is tight (SCIP 300 s: s0 3782.38 against 3781.21; 600 s: s1 3790.29 against 3789.71;
HiGHS 300 s: s1 3790.83), so there the 60 s target waits on the panel search, about 5x too slow;
on obf the bound is what is missing. HiGHS 1.15 runs its MIP search in one worker ("Using 1 max
workers" with threads = 2), so the second core does not help.

Determinism: a work limit, not a clock. The solver stops at a number of branch-and-bound nodes (per
solve; the further solves of `tolerance` share the same budget), never at a wall-clock time, so the
panel is a function of the pool, quotas, options and seed alone and replays on any machine with the
same solver version. The
option `time_limit` (seconds) is an approximate budget converted to
    node_limit = max(MIN_NODES, round(NODES_PER_SECOND * time_limit));
`node_limit` given directly takes precedence; both are recorded in info (and the CLI writes the node
limit into the audit record's options, so a replay uses it whatever a later version's conversion).
Calibration (2026-12-01, this project's 2-core machine shared by 8 jobs, HiGHS 1.15, one thread; CPU
seconds of the whole solve including the root node; paper-shaped instances, seed 0): obf 100 nodes
12.1 s, 480 nodes 45.4 s (10.6 nodes/s); sf_e 30 nodes 8.4 s, 355 nodes 62.8 s (5.7 nodes/s); sf_a
proven optimal at 49 nodes (4.4 s), sf_d at the root (1.6 s). NODES_PER_SECOND = 8 lies between:
the default 60 s becomes 480 nodes, about 45 s of CPU on obf and 85 s on sf_e (gap 0.16% at 355
nodes, as the 60 s wall-clock runs gave). Wall-clock time was up to 8x the CPU time on the loaded
machine, which is exactly why a clock must not decide the panel. The root node is not counted in
nodes, so its time is not bounded by the limit: a safety clock of max(SAFETY_FACTOR * time_limit,
time_limit + SAFETY_EXTRA) seconds stops a run whose root alone is that slow, and then an error is
raised rather than a panel that would depend on the machine's speed.

Randomness and selection probabilities. The MIP fixes a composition x (how many of each type);
the panel takes x_t of the N_t members of type t uniformly at random, so volunteer i of type t is
selected with probability exactly x_t / N_t. With option `tolerance` = tau > 0 the MIP is solved
again with the objective capped at (1 + tau) * (best objective) and a no-good cut per composition
found, collecting the set S of the best distinct compositions within that bound (at most
`max_compositions`); the panel's composition is then uniform on S and
    pi_i = (1/|S|) sum_{s in S} x_{s,t} / N_t     exactly.
S is complete (every composition within the bound) when info["compositions_complete"] is True.
"""

from __future__ import annotations

import math

import mip
import numpy as np

from ..analysis.intersections import (
    DEFAULT_MAX_CELLS,
    DEFAULT_ORDER,
    IntersectionTable,
    intersection_tables,
)
from ..cancel import check as check_cancelled
from ..cancel import interrupt_solver
from ..distribution import Distribution
from ..errors import InfeasibleQuotas, InputError, Problem, SolverError
from ..model import Instance, TypeSpace
from ..selection import Progress, SelectionResult, no_progress
from ..work_limits import SafetyClockStop, node_count, stopped_by_clock
from ..work_limits import highs_option as _highs_option
from .diversimax_objective import (
    cell_capacity,
    diversimax_objective,
    improve_by_swaps,
    objective_grain,
    snap_up,
)
from .panel_model import PanelModel

DEFAULT_TIME_LIMIT = 60.0  # seconds of approximate budget, converted to a node limit
NODES_PER_SECOND = 8.0  # branch-and-bound nodes per CPU second (calibration in the module docstring)
MIN_NODES = 1
SAFETY_FACTOR = 20.0  # the safety clock: this many times the budget ...
SAFETY_EXTRA = 300.0  # ... and at least the budget plus this many seconds
DEFAULT_MAX_COMPOSITIONS = 20
DEFAULT_GAP = 1e-5  # relative optimality gap at which the solver stops
# HiGHS branches on pseudocosts from the start instead of strong branching each variable 8 times first
# (its default): the bound barely moves under branching here, and the nodes saved go to finding panels.
HIGHS_MIN_RELIABLE = 0
OPTIONS = {"warm_start", "order", "max_cells", "time_limit", "node_limit", "solver", "tolerance", "max_compositions", "gap"}


def node_limit_for(time_limit: float) -> int:
    """Branch-and-bound nodes standing for about `time_limit` seconds (NODES_PER_SECOND)."""
    return max(MIN_NODES, int(round(NODES_PER_SECOND * time_limit)))


def safety_seconds(time_limit: float) -> float:
    """Wall-clock seconds after which a run is stopped with an error (see the module docstring)."""
    return max(SAFETY_FACTOR * time_limit, time_limit + SAFETY_EXTRA)




class DiversimaxModel:
    """The quota MIP of core.algorithms.panel_model plus one excess variable e_c per fillable cell whose
    excess is neither identically 0 nor linear in n_c (module docstring, points 1-2)."""

    def __init__(self, types: TypeSpace, tables: list[IntersectionTable], solver: str = "highs", gap: float = DEFAULT_GAP):
        self.types = types
        self.tables = tables
        self.quota_model = PanelModel(types, solver=solver)
        m = self.model = self.quota_model.model
        m.max_mip_gap = gap
        # Objective values lie on the grid (2/L)Z (see objective_grain): a gap below one grid step proves optimality.
        self.grain = objective_grain(tables)
        m.max_mip_gap_abs = max(0.99 * self.grain, 1e-6)
        if solver == "highs":
            _highs_option(m, "mip_pscost_minreliable", HIGHS_MIN_RELIABLE)
        x = self.x = self.quota_model.c
        self.excess: list[mip.Var] = []
        self._excess_of: dict[tuple, mip.Var] = {}
        self._cells_of: dict[tuple, np.ndarray] = {}
        linear_terms = []  # (coefficient, n_c) of cells whose excess is exactly linear in n_c
        self.fillable_cells = 0
        self.cuts = 0
        for t, table in enumerate(tables):
            check_cancelled()  # building the model takes seconds on large pools (core.cancel)
            target = types.k / table.size
            floor, ceil = math.floor(target), math.ceil(target)
            cell_of_type = table.cell_of(types.codes)
            with_var = []
            for cell in np.unique(cell_of_type):
                self.fillable_cells += 1
                members = np.flatnonzero(cell_of_type == cell)
                cap = cell_capacity(types, members)
                if cap <= floor:
                    continue  # n_c <= floor V: (n_c - V)^+ = 0 for every panel
                n_c = mip.xsum(x[i] for i in members)
                if ceil > floor and cap <= ceil and floor == 0:
                    linear_terms.append((ceil - target, n_c))  # n_c in {0, 1}: (n_c - V)^+ = (1 - V) n_c
                    continue
                e = m.add_var(name=f"e_{t}_{cell}", lb=0.0)
                if not (ceil > floor and cap <= ceil):  # on n_c <= ceil V the hull line below dominates it
                    m += e >= n_c - target, f"over_{t}_{cell}"
                if ceil > floor:
                    m += e >= (ceil - target) * (n_c - floor), f"hull_{t}_{cell}"
                self.excess.append(e)
                self._excess_of[(table.categories, cell)] = e
                with_var.append(cell)
            self._cells_of[table.categories] = np.array(with_var, dtype=np.int64)
        self.linear_cells = len(linear_terms)
        self.nodes_used = 0  # branch-and-bound nodes over every solve so far
        self.total = 2 * (mip.xsum(self.excess) + mip.xsum(coef * n_c for coef, n_c in linear_terms))
        m.objective = mip.minimize(self.total)

    @property
    def cells(self) -> int:
        """Number of excess variables (fillable cells whose excess is not identically 0 or linear)."""
        return len(self.excess)

    def solve(self, node_limit: int, safety_limit: float) -> tuple[np.ndarray, mip.OptimizationStatus]:
        """The best composition found within `node_limit` branch-and-bound nodes, and the solver's status.

        Raises SolverError when the safety clock (`safety_limit` seconds) stopped the solver first:
        where it stopped would depend on the machine's speed."""
        with interrupt_solver(self.model):  # Stop ends the solve at its next node (core.cancel)
            status = self.model.optimize(max_seconds=safety_limit, max_nodes=max(int(node_limit), 1))
        check_cancelled()
        self.nodes_used += self.nodes or 0
        if self._stopped_by_clock():
            raise SafetyClockStop(f"Diversimax stopped at its safety time limit of {safety_limit:g} s before its work "
                              f"limit of {node_limit} nodes, so the panel would depend on this machine's speed; "
                              "lower the order or max_cells, or run it on a faster machine")
        if status == mip.OptimizationStatus.INFEASIBLE:
            raise InfeasibleQuotas("no panel meets every quota")
        if status not in (mip.OptimizationStatus.OPTIMAL, mip.OptimizationStatus.FEASIBLE):
            raise SolverError(f"Diversimax found no panel (solver status {status.name}); raise the time limit")
        composition = np.array([round(v.x) for v in self.x], dtype=np.int64)
        problems = self.types.violations(composition)
        if problems:
            raise SolverError(f"internal error: the Diversimax panel breaks the rules: {problems}")
        return composition, status

    def warm_start(self, composition: np.ndarray) -> None:
        """Give the solver a starting panel (its excess variables set to their least feasible values)."""
        start = [(v, float(c)) for v, c in zip(self.x, composition)]
        for table in self.tables:
            target = self.types.k / table.size
            n = np.bincount(table.cell_of(self.types.codes), weights=np.asarray(composition, dtype=float), minlength=table.size)
            start.extend((self._excess_of[(table.categories, cell)], float(max(n[cell] - target, 0.0)))
                         for cell in self._cells_of[table.categories])
        self.model.start = start

    @property
    def bound(self) -> float:
        """The solver's proven lower bound on the objective, rounded up to the objective grid."""
        return snap_up(float(self.model.objective_bound), self.grain)

    def _stopped_by_clock(self) -> bool:
        """True when HiGHS stopped at its time limit (model status kTimeLimit); CBC: never reported."""
        return stopped_by_clock(self.model)

    @property
    def nodes(self) -> int | None:
        """Branch-and-bound nodes of the last solve (HiGHS only; None when the solver does not say)."""
        return node_count(self.model)

    def cap_objective(self, value: float) -> None:
        """Allow only compositions whose objective is at most value."""
        self.model += self.total <= value + 1e-7, "objective_cap"

    def exclude(self, composition: np.ndarray) -> None:
        """No-good cut: x != composition. As both sum to k, x differs iff some x_t >= composition_t + 1:
        y_t = 1 forces that, and some y_t must be 1 (a 0/1 type uses x_t itself as its y_t)."""
        m, self.cuts = self.model, self.cuts + 1
        rises = []
        for t in np.flatnonzero(composition < self.types.counts):
            if self.types.counts[t] == 1:
                rises.append(self.x[t])
            else:
                y = m.add_var(var_type=mip.BINARY, name=f"rise_{self.cuts}_{t}")
                m += self.x[t] >= (int(composition[t]) + 1) * y
                rises.append(y)
        m += mip.xsum(rises) >= 1, f"nogood_{self.cuts}"


def _options(options: dict) -> dict:
    unknown = set(options) - OPTIONS
    if unknown:
        raise InputError([Problem(f"unknown Diversimax option(s): {', '.join(sorted(unknown))}.",
                                  f"Use only: {', '.join(sorted(OPTIONS))}.")])
    max_cells = options.get("max_cells", DEFAULT_MAX_CELLS)
    if isinstance(max_cells, str) and max_cells.strip().lower() in ("none", ""):
        max_cells = None
    return {
        "order": int(options.get("order", DEFAULT_ORDER)),
        "max_cells": None if max_cells is None else int(max_cells),
        "time_limit": float(options.get("time_limit", DEFAULT_TIME_LIMIT)),
        "node_limit": None if options.get("node_limit") is None else int(options["node_limit"]),
        "solver": str(options.get("solver", "highs")),
        "tolerance": float(options.get("tolerance", 0.0)),
        "max_compositions": int(options.get("max_compositions", DEFAULT_MAX_COMPOSITIONS)),
        "gap": float(options.get("gap", DEFAULT_GAP)),
        "warm_start": bool(options.get("warm_start", True)),
    }


def select(instance: Instance, *, seed: int = 0, options: dict | None = None,
           progress: Progress = no_progress) -> SelectionResult:
    """Diversimax composition(s) with exact selection probabilities (see the module docstring).

    Options: order (3), max_cells (100; None = every table), time_limit (about 60 s, for all solves;
    converted to node_limit, which may be given instead: see "Determinism" in the module docstring),
    solver ("highs" | "cbc"), tolerance (0 = one optimal composition), max_compositions (20), gap,
    warm_start (True: start the solver from a swap local search, kept if the solver finds nothing better).
    The solver is deterministic; `seed` only matters when panels are drawn from the result.
    """
    opts = _options(options or {})
    if not (math.isfinite(opts["time_limit"]) and opts["time_limit"] > 0):
        raise InputError([Problem(f"the Diversimax time limit {opts['time_limit']} must be a number of seconds above 0.",
                                  "Give a time limit such as 60.")])
    node_limit = opts["node_limit"] if opts["node_limit"] is not None else node_limit_for(opts["time_limit"])
    if node_limit < 1:
        raise InputError([Problem(f"the Diversimax node limit {node_limit} must be at least 1.", "Give a node limit such as 480.")])
    safety = safety_seconds(opts["time_limit"])
    types = instance.types
    tables = intersection_tables(instance, opts["order"], opts["max_cells"])
    progress(f"Diversimax: {len(tables)} intersection tables over {types.size} types")
    model = DiversimaxModel(types, tables, solver=opts["solver"], gap=opts["gap"])
    start = model.quota_model.any_panel()
    if start is None:
        raise InfeasibleQuotas("no panel meets every quota")
    model.model.objective = mip.minimize(model.total)  # any_panel replaced it
    if opts["warm_start"]:
        start = improve_by_swaps(types, tables, start)
        model.warm_start(start)
        progress(f"Diversimax: local search start with objective {diversimax_objective(types, tables, start):.3f}")
    progress(f"Diversimax: {model.cells} fillable cells; solving")
    try:
        best, status = model.solve(node_limit, safety)
    except SafetyClockStop:
        raise
    except SolverError:
        if not opts["warm_start"]:
            raise
        best, status = start, mip.OptimizationStatus.FEASIBLE  # time ran out: keep the local-search panel
    objective = diversimax_objective(types, tables, best)
    bound = model.bound if math.isfinite(model.bound) else 0.0
    bound = min(max(bound, 0.0), objective)
    gap = max((objective - bound) / objective, 0.0) if objective > 1e-9 else 0.0
    stopped_by = "optimal" if status == mip.OptimizationStatus.OPTIMAL else "node limit"
    progress(f"Diversimax: objective {objective:.3f}, gap {100 * gap:.3g}% ({status.name})")

    found, complete = [best], None  # None: no search for further compositions
    if opts["tolerance"] > 0:
        model.cap_objective(objective * (1 + opts["tolerance"]))
        complete = False
        while len(found) < opts["max_compositions"]:
            left = node_limit - model.nodes_used
            if left <= 0:
                break
            model.exclude(found[-1])
            try:
                composition, _ = model.solve(left, safety)
            except InfeasibleQuotas:
                complete = True  # no other composition within the bound
                break
            except SafetyClockStop:
                raise
            except SolverError:
                break  # the node budget ran out before another composition was found
            found.append(composition)
        progress(f"Diversimax: {len(found)} composition(s) within {100 * opts['tolerance']:.3g}% of the best")

    objectives = [diversimax_objective(types, tables, c) for c in found]
    distribution = Distribution(types, np.array(found), np.full(len(found), 1.0 / len(found)),
                                objective=objective, info={})
    info = {
        "status": status.name.lower(),
        "gap": gap,
        "lower_bound": bound,
        "solver": opts["solver"],
        "stopped_by": stopped_by,
        "time_limit": opts["time_limit"],
        "node_limit": node_limit,
        "nodes_per_second": NODES_PER_SECOND,
        "order": opts["order"],
        "max_cells": opts["max_cells"],
        "tables": len(tables),
        "cells": int(sum(t.size for t in tables)),
        "fillable_cells": model.fillable_cells,
        "excess_variables": model.cells,
        "linear_cells": model.linear_cells,
        "nodes": model.nodes,
        "nodes_used": model.nodes_used,
        "types": int(types.size),
        "compositions": len(found),
        "composition_objectives": objectives,
        "compositions_complete": complete,
        "tolerance": opts["tolerance"],
    }
    distribution.info = info
    return SelectionResult(algorithm="diversimax", marginals=distribution.marginals(), distribution=distribution,
                           objective=objective, info=info)
