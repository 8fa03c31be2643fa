"""Column generation over panel compositions: the machinery maximin, leximin and Nash share.

A *column* is a valid composition c (type counts of a quota-satisfying panel). A distribution
lambda over columns gives each member of type t the selection probability
    p_t = sum_c lambda_c c_t / N_t.
The fair objectives are optimised over all valid compositions by keeping a restricted set of
columns and adding the composition of maximum weight sum_t w_t c_t whenever it improves the
restricted optimum (*pricing*). Here:

- `ColumnSet`: the columns found so far, without duplicates.
- `Pricer`: pricing. Cheap first (swap local search from the best known columns), exact when
  the cheap step finds nothing (the quota MIP of `core.algorithms.panel_model`, with its proven bound).
- `StageLP`: the restricted master LP of maximin and of every leximin stage, in HiGHS, kept
  warm across rounds and stages:
      max z  s.t.  p_t >= z (t unfixed),  p_t >= f_t (t fixed),  sum_c lambda_c = 1,  lambda >= 0.
- `selectable_types`: which types some valid panel contains (the others have p_t = 0 always).
- `solve_stage`: column generation for one `StageLP` problem until a proven bound meets it.

Probabilities inside the LP are scaled by n/k (so the uniform k/n is 1): every tolerance below
is therefore relative to k/n.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import highspy
import numpy as np

from ..algorithms.panel_model import PanelModel, PricedPanel
from ..cancel import check as check_cancelled
from ..errors import InfeasibleQuotas, SolverError
from ..model import TypeSpace, code_keys
from ..selection import Progress, no_progress

if TYPE_CHECKING:
    from ..distribution import Distribution
    from ..selection import SelectionResult

GAP_TOLERANCE = 1e-9  # a stage stops when its proven upper bound is within this of its value
IMPROVEMENT = 1e-9  # a column enters the master only if it raises the dual bound by more than this
LP_TOLERANCE = 1e-10  # HiGHS primal and dual feasibility tolerances for the master LPs
METHOD = "simplex"  # master LP algorithm (dual simplex, warm-started)
CANDIDATE_TYPES = 24  # local search first tries the swaps bringing in one of this many heaviest types


class ColumnSet:
    """The distinct valid compositions found so far (rows of `array`)."""

    def __init__(self, types: TypeSpace):
        self.types = types
        self._rows: list[np.ndarray] = []
        self._seen: set[bytes] = set()
        self._array: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, composition: np.ndarray) -> bool:
        """Add a composition; False if it was already there. Raises if it breaks a quota."""
        c = np.asarray(composition, dtype=np.int64)
        key = c.tobytes()
        if key in self._seen:
            return False
        problems = self.types.violations(c)
        if problems:
            raise SolverError(f"internal error: a generated panel breaks the quotas: {problems}")
        self._seen.add(key)
        self._rows.append(c)
        self._array = None
        return True

    @property
    def array(self) -> np.ndarray:
        """P x T matrix of all columns, in the order they were added."""
        if self._array is None:
            self._array = np.array(self._rows, dtype=np.int64).reshape(-1, self.types.size)
        return self._array


@dataclass
class PricingStats:
    exact_calls: int = 0
    exact_seconds: float = 0.0
    heuristic_calls: int = 0
    heuristic_columns: int = 0
    heuristic_seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"pricing_calls": self.exact_calls, "pricing_seconds": round(self.exact_seconds, 3),
                "heuristic_calls": self.heuristic_calls, "heuristic_columns": self.heuristic_columns,
                "heuristic_seconds": round(self.heuristic_seconds, 3)}


class Pricer:
    """Panels of large weight sum_t w_t c_t: swap local search, and the exact quota MIP."""

    def __init__(self, types: TypeSpace, solver: str = "highs"):
        self.types = types
        self.solver = solver
        self.model = PanelModel(types, solver=solver)
        self.A = types.A.astype(float)
        self.stats = PricingStats()
        # households make one-for-one swaps interact with household constraints: check those explicitly
        self.codes = types.value_quotas()  # T x C quota indices, aligned by category
        self._household_of = np.full(types.size, -1, dtype=np.int64)
        for h, group in enumerate(types.households):
            self._household_of[group] = h

    def exact(self, weights: np.ndarray) -> PricedPanel:
        """The panel of maximum weight and the MIP's proven bound on that maximum."""
        started = time.perf_counter()
        priced = self.model.best(weights)
        self.stats.exact_calls += 1
        self.stats.exact_seconds += time.perf_counter() - started
        return priced

    def local_search(self, weights: np.ndarray, start: np.ndarray, max_moves: int = 10_000) -> np.ndarray:
        """Improving swaps (one member of type a out, one of type b in) that keep every quota.

        Swapping a for b only moves seats in the categories where a and b differ; there it breaks a
        quota if a's value is at its min or b's value at its max. Entering types are scanned in
        blocks of CANDIDATE_TYPES, heaviest first (only those heavier than the lightest member
        could gain); each move takes the best swap of the first block that has one. With
        households, every pair is checked against the household rule as well.
        """
        types = self.types
        c = np.asarray(start, dtype=np.int64).copy()
        seats = types.A @ c
        w = np.asarray(weights, dtype=float)
        threshold = 1e-12 * max(float(np.abs(w).max()), 1e-300)
        for _ in range(max_moves):
            out = np.flatnonzero(c > 0)
            into = np.flatnonzero(c < types.counts)
            if len(out) == 0 or len(into) == 0 or w[into].max() - w[out].min() <= threshold:
                break
            full, empty = seats >= types.upper, seats <= types.lower
            if types.households:
                move = self._best_swap(w[into][None, :] - w[out][:, None], out, into, c, full, empty, threshold)
            else:
                move = self._first_block_swap(w, out, into, full, empty, threshold)
            if move is None:
                break
            a, b = move
            c[a] -= 1
            c[b] += 1
            seats += types.A[:, b] - types.A[:, a]
        return c

    def _first_block_swap(self, w: np.ndarray, out: np.ndarray, into: np.ndarray, full: np.ndarray,
                          empty: np.ndarray, threshold: float) -> tuple[int, int] | None:
        """The best quota-keeping swap in the first block of entering types (heaviest first) that has
        one, or None when no swap gains."""
        lightest = float(w[out].min())
        into = into[w[into] > lightest + threshold]
        into = into[np.argsort(-w[into], kind="stable")]
        codes_out = self.codes[out]  # |out| x C quota indices
        leave_blocked = empty[codes_out]  # a's value in category f is at its min
        for start in range(0, len(into), CANDIDATE_TYPES):
            block = into[start:start + CANDIDATE_TYPES]
            codes_in = self.codes[block]
            enter_blocked = full[codes_in]  # b's value in category f is at its max
            differ = codes_out[:, None, :] != codes_in[None, :, :]
            blocked = (differ & (leave_blocked[:, None, :] | enter_blocked[None, :, :])).any(axis=2)
            move = _best_allowed(w[block][None, :] - w[out][:, None], blocked, out, block, threshold)
            if move is not None:
                return move
        return None

    def _best_swap(self, gain: np.ndarray, out: np.ndarray, into: np.ndarray, c: np.ndarray, full: np.ndarray,
                   empty: np.ndarray, threshold: float) -> tuple[int, int] | None:
        """The best quota- (and household-) keeping swap over all pairs, or None when none gains."""
        types, A = self.types, self.A
        at_max = A * full[:, None]  # Q x T
        at_min = A * empty[:, None]
        # b raises a full quota that a is not in / a lowers an empty-at-min quota that b is not in
        blocked = (at_max[:, into].sum(0)[None, :] - A[:, out].T @ at_max[:, into]) > 0.5
        blocked |= (at_min[:, out].sum(0)[:, None] - at_min[:, out].T @ A[:, into]) > 0.5
        if types.households:
            h_out, h_in = self._household_of[out], self._household_of[into]
            occupied = np.zeros(len(types.households) + 1, dtype=bool)
            for h, group in enumerate(types.households):
                occupied[h] = c[group].sum() >= 1
            blocked |= (occupied[h_in][None, :] & (h_in[None, :] >= 0)) & (h_in[None, :] != h_out[:, None])
        return _best_allowed(gain, blocked, out, into, threshold)

    def heuristic(self, weights: np.ndarray, columns: ColumnSet, threshold: float, starts: int = 3) -> list[np.ndarray]:
        """Distinct compositions of weight > threshold, by local search from the `starts` best columns."""
        check_cancelled()  # called once per column-generation round (core.cancel)
        started = time.perf_counter()
        self.stats.heuristic_calls += 1
        w = np.asarray(weights, dtype=float)
        values = columns.array @ w
        found: dict[bytes, np.ndarray] = {}
        for j in np.argsort(-values)[:starts]:
            c = self.local_search(w, columns.array[j])
            if float(w @ c) > threshold:
                found.setdefault(c.tobytes(), c)
        self.stats.heuristic_columns += len(found)
        self.stats.heuristic_seconds += time.perf_counter() - started
        return list(found.values())


def _best_allowed(gain: np.ndarray, blocked: np.ndarray, out: np.ndarray, into: np.ndarray,
                  threshold: float) -> tuple[int, int] | None:
    """The (leaving, entering) types of the largest gain above `threshold` among unblocked pairs."""
    gain = np.where(blocked, -np.inf, gain)
    i, j = divmod(int(np.argmax(gain)), gain.shape[1])
    if gain[i, j] <= threshold:
        return None
    return int(out[i]), int(into[j])


DUAL_THRESHOLD = 1e-6  # duals (normalised to sum 1 over unfixed types) above this fix their type


def types_to_fix(unfixed: np.ndarray, duals: np.ndarray) -> np.ndarray:
    """The unfixed types a leximin stage fixes: those whose normalised dual exceeds DUAL_THRESHOLD
    (complementary slackness: they sit at the stage value in every optimum), or the largest one.

    `unfixed` holds type indices and `duals` their duals, normalised to sum 1."""
    chosen = unfixed[duals > DUAL_THRESHOLD]
    return chosen if len(chosen) else unfixed[[int(np.argmax(duals))]]


def selectable_types(pricer: Pricer, columns: ColumnSet) -> np.ndarray:
    """Boolean mask of the types that sit on at least one valid panel; adds covering panels to `columns`.

    Repeatedly looks for a panel containing a type no column has covered yet (weight 1 on the
    uncovered types): local search first, the MIP when that fails. A MIP bound below 1 proves
    that the remaining types are on no valid panel. Raises InfeasibleQuotas if no panel exists.
    """
    if len(columns) == 0:
        first = pricer.model.any_panel()
        if first is None:
            raise InfeasibleQuotas("no panel meets every quota")
        columns.add(first)
    covered = (columns.array > 0).any(axis=0)
    while not covered.all():
        w = (~covered).astype(float)
        new = [c for c in pricer.heuristic(w, columns, threshold=0.5) if columns.add(c)]
        if not new:
            priced = pricer.exact(w)
            if priced.bound < 0.5:
                break
            columns.add(priced.composition)
            new = [priced.composition]
        for c in new:
            covered |= c > 0
    return covered


class StageLP:
    """The restricted master LP of a maximin / leximin stage, kept in one warm HiGHS instance.

    Variables: z (column 0) and lambda_c (one per column). Rows t < T:
        sum_c a_tc lambda_c - z [t unfixed] >= g_t,   a_tc = c_t / N_t * n / k
    (g_t = 0 for unfixed types, the fixed floor for fixed ones); row T: sum_c lambda_c = 1.
    With a `target` probability per type, a_tc = c_t / (N_t target_t) instead: z is then the
    smallest share of its target that any type reaches (types with target 0 are left out).
    Columns are added to a basis that stays primal feasible, so the primal simplex re-solves.
    """

    def __init__(self, types: TypeSpace, target: np.ndarray | None = None):
        self.types = types
        self.T = types.size
        self.scale = types.counts.sum() / types.k
        if target is None:
            self.coefficient = self.scale / types.counts  # a_tc = coefficient_t * c_t
        else:
            reached = np.asarray(target) > 0
            self.coefficient = np.where(reached, 1.0 / (types.counts * np.where(reached, target, 1.0)), 0.0)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("simplex_strategy", 4)  # primal simplex
        h.setOptionValue("primal_feasibility_tolerance", LP_TOLERANCE)
        h.setOptionValue("dual_feasibility_tolerance", LP_TOLERANCE)
        inf = highspy.kHighsInf
        empty_i, empty_f = np.array([], dtype=np.int32), np.array([], dtype=float)
        h.addCol(1.0, 0.0, inf, 0, empty_i, empty_f)
        h.addRows(self.T + 1, np.r_[np.zeros(self.T), 1.0], np.r_[np.full(self.T, inf), 1.0], 0,
                  empty_i, empty_i, empty_f)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.h = h
        self.unfixed = np.ones(self.T, dtype=bool)
        self.floor = np.zeros(self.T)
        for t in range(self.T):
            h.changeCoeff(t, 0, -1.0)
        self.n_columns = 0

    def add_columns(self, compositions: np.ndarray) -> None:
        comps = np.asarray(compositions, dtype=np.int64).reshape(-1, self.T)
        if len(comps) == 0:
            return
        starts, index, value = [], [], []
        for c in comps:
            nz = np.flatnonzero(c)
            starts.append(len(index))
            index.extend(nz.tolist() + [self.T])
            value.extend((c[nz] * self.coefficient[nz]).tolist() + [1.0])
        m = len(comps)
        self.h.addCols(m, np.zeros(m), np.zeros(m), np.full(m, highspy.kHighsInf), len(index),
                       np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32), np.array(value))
        self.n_columns += m

    def fix(self, fixed: np.ndarray, floors: np.ndarray) -> None:
        """Hold types `fixed` at p_t >= floors (scaled) and take them out of the z rows."""
        for t, f in zip(np.asarray(fixed).tolist(), np.asarray(floors).tolist()):
            if self.unfixed[t]:
                self.h.changeCoeff(t, 0, 0.0)
            self.unfixed[t] = False
            self.floor[t] = f
            self.h.changeRowBounds(t, f, highspy.kHighsInf)

    def solve(self, method: str = "simplex") -> tuple[np.ndarray, np.ndarray]:
        """Solve; returns (lambda, y) with y_t >= 0 the duals of the type rows."""
        h = self.h
        if method != "simplex":
            h.setOptionValue("solver", "ipm")
            h.setOptionValue("run_crossover", "off")
            h.setOptionValue("primal_feasibility_tolerance", 1e-8)
            h.setOptionValue("dual_feasibility_tolerance", 1e-8)
        h.run()
        if method != "simplex":
            h.setOptionValue("solver", "simplex")
            h.setOptionValue("run_crossover", "on")
            h.setOptionValue("primal_feasibility_tolerance", LP_TOLERANCE)
            h.setOptionValue("dual_feasibility_tolerance", LP_TOLERANCE)
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"the master LP ended with status {h.modelStatusToString(status)}")
        solution = h.getSolution()
        lam = np.clip(np.asarray(solution.col_value)[1:], 0.0, None)
        lam /= lam.sum()
        y = np.clip(-np.asarray(solution.row_dual)[: self.T], 0.0, None)
        return lam, y

    def final_distribution(self, columns: ColumnSet, lift: np.ndarray, tolerance: float) -> np.ndarray:
        """Once every type is fixed: lambda over all columns with p_t >= f_t for every type, lifting the
        types `lift` by z <= tolerance above their floors (f_t - tolerance) as far as the columns allow.
        Leaves the LP unusable for further stages."""
        if self.n_columns < len(columns):
            self.add_columns(columns.array[self.n_columns:])
        for t in np.flatnonzero(lift).tolist():
            self.h.changeCoeff(t, 0, -1.0)
        self.h.changeColBounds(0, 0.0, tolerance)
        lam, _ = self.solve()
        return lam

    def probabilities(self, lam: np.ndarray, columns: ColumnSet) -> np.ndarray:
        """Scaled type probabilities p_t n/k of a distribution over the columns."""
        return (lam @ columns.array) * self.coefficient

    def pricing_weights(self, y: np.ndarray, y_sum: float) -> np.ndarray:
        """Pricing weights w (sum_t w_t c_t = sum_t a_tc y_t) for duals y normalised to sum 1 (from y_sum);
        `core.design.targets` adds the duals of its target rows."""
        return y * self.coefficient

    def dual_bound(self, y: np.ndarray, y_sum: float, priced_bound: float) -> float:
        """The proven bound on the stage optimum from normalised duals y and the pricing bound."""
        return stage_bound(self, y, priced_bound)


@dataclass
class StageOutcome:
    value: float  # min over unfixed types of the scaled probability, achieved by `lam`
    bound: float  # proven upper bound on the stage optimum (scaled)
    lam: np.ndarray
    y: np.ndarray  # duals of the final master LP, normalised to sum 1 over unfixed types
    rounds: int
    history: list = field(default_factory=list)


def stage_bound(lp: StageLP, y: np.ndarray, priced_bound: float) -> float:
    """Weak duality: any y >= 0 with sum over unfixed y_t = 1 bounds the stage optimum by
    max_c sum_t a_tc y_t - sum_{t fixed} f_t y_t."""
    return priced_bound - float(y[~lp.unfixed] @ lp.floor[~lp.unfixed])


def solve_stage(lp: StageLP, pricer: Pricer, columns: ColumnSet, *, progress: Progress = no_progress,
                label: str = "", max_rounds: int = 100_000, enough: float = np.inf) -> StageOutcome:
    """Column generation for the stage LP until master value and proven bound agree to GAP_TOLERANCE,
    or the value reaches `enough` (a value known to be optimal to within the caller's tolerance)."""
    best_bound = np.inf
    rounds = 0
    while True:
        rounds += 1
        if lp.n_columns < len(columns):
            lp.add_columns(columns.array[lp.n_columns:])
        lam, y = lp.solve(METHOD)
        p = lp.probabilities(lam, columns)
        value = float(p[lp.unfixed].min())
        if value >= enough:
            return StageOutcome(value, best_bound, lam, y, rounds)
        y_sum = y[lp.unfixed].sum()
        if y_sum <= 0:
            raise SolverError("the master LP returned no usable dual solution")
        y = y / y_sum
        weights = lp.pricing_weights(y, y_sum)  # sum_t w_t c_t = sum_t a_tc y_t (+ target rows' duals)
        mu = float((columns.array @ weights).max())
        new = [c for c in pricer.heuristic(weights, columns, threshold=mu + IMPROVEMENT) if columns.add(c)]
        if not new:
            priced = pricer.exact(weights)
            best_bound = min(best_bound, lp.dual_bound(y, y_sum, priced.bound))
            if priced.value > mu + IMPROVEMENT:
                columns.add(priced.composition)
                new = [priced.composition]
        # `not new`: no panel beats the master by IMPROVEMENT, so the gap left is LP round-off
        if best_bound - value <= GAP_TOLERANCE or not new or rounds >= max_rounds:
            return StageOutcome(value, best_bound, lam, y, rounds)
        if rounds % 20 == 0:
            progress(f"{label}round {rounds}: value {value:.6f}, bound {best_bound:.6f}, {len(columns)} panels")


def never_selectable_note(never: np.ndarray, types: TypeSpace) -> dict:
    """Info entries for types that no valid panel contains (their members have probability 0)."""
    if not never.any():
        return {}
    volunteers = int(types.counts[never].sum())
    return {"never_selectable_volunteers": volunteers,
            "never_selectable_rows": sorted(int(i) for t in np.flatnonzero(never) for i in types.members[t]),
            "note": f"{volunteers} volunteer(s) sit on no panel that meets the quotas, so their selection "
                    "probability is 0 under every distribution; the others are optimised among themselves."}


def to_selection_result(algorithm: str, distribution: "Distribution") -> "SelectionResult":
    """Wrap a fair distribution for the algorithm registry."""
    from ..selection import SelectionResult

    distribution.verify()
    return SelectionResult(algorithm=algorithm, marginals=distribution.marginals(), distribution=distribution,
                           objective=distribution.objective, info=dict(distribution.info))


def carry_columns(source_codes: np.ndarray, compositions: np.ndarray, types: TypeSpace) -> list[np.ndarray]:
    """Compositions of another pool's type space (types given by their value codes) written over
    `types`, keeping those that are valid panels here: a warm start for a rerun on a changed pool.
    Types missing here must be absent from a kept composition; with per-person types nothing carries."""
    if types.per_person or len(compositions) == 0:
        return []
    index = {key: t for t, key in enumerate(code_keys(types.codes))}
    mapped = np.array([index.get(key, -1) for key in code_keys(source_codes)])
    comps = np.asarray(compositions, dtype=np.int64).reshape(-1, len(mapped))
    usable = (comps[:, mapped < 0] == 0).all(axis=1)
    carried = np.zeros((int(usable.sum()), types.size), dtype=np.int64)
    carried[:, mapped[mapped >= 0]] = comps[usable][:, mapped >= 0]
    seats = carried @ types.A.T  # no households here (per-person types carry nothing): these are all the rules
    valid = ((carried <= types.counts).all(axis=1) & (carried.sum(axis=1) == types.k)
             & (seats >= types.lower).all(axis=1) & (seats <= types.upper).all(axis=1))
    return list(carried[valid])


def warm_columns(options: dict, types: TypeSpace) -> list[np.ndarray]:
    """The valid compositions carried from `options["warm_start"]` = (value codes, compositions) of
    another pool's run, or a list of such pairs; none when the option is absent."""
    if options.get("warm_start") is None:
        return []
    sources = options["warm_start"]
    if isinstance(sources, tuple):
        sources = [sources]
    return [c for codes, compositions in sources for c in carry_columns(codes, compositions, types)]
