"""Reserve list ("alternates"): volunteers chosen alongside the panel to fill the seats of drop-outs.

After Assos, Baharav, Flanigan and Procaccia, "Alternates, Assemble! Selecting optimal alternates
for citizens' assemblies" (EC 2025): sample drop-out scenarios, choose the reserves that minimise
the expected misrepresentation after replacing, by an integer program over the scenarios.

*Drop-out model.* Panel member i declines independently with probability d_i: one rate d for
everyone (default 0.1), or per value (a `dropout` column in the quota file): d_i is the **mean**
over categories of the rates of i's values (a value without a rate gets d). The mean keeps d_i = d
when every value has rate d (1 − Π(1 − d_v) would compound 6 categories of 0.1 into 0.47).
S scenarios (default 200) are sampled with the seed; scenario s drops the set D_s, m_s = |D_s|.

*What is optimised.* Candidates: volunteers not on the panel who share no household with a panel
member, grouped in types t (N_t each). A reserve list of A holds x_t members of type t. In scenario
s the min(m_s, A) reserves called in are the best ones *of the list* for that scenario (y_st of type
t, y_st ≤ x_t). With kept seats K_sq = panel seats of quota q minus those of D_s:

    minimise (1/S) Σ_s Σ_q u_sq    (expected total quota deviation)
    s.t.     Σ_t x_t = A,  0 ≤ y_st ≤ x_t ≤ N_t integer,  Σ_t y_st = min(m_s, A)
             u_sq ≥ min_q − (K_sq + Σ_t a_qt y_st),  u_sq ≥ (K_sq + Σ_t a_qt y_st) − max_q,  u_sq ≥ 0

(scenarios with the same kept seats and m_s are merged with their weight; m_s = 0 costs nothing).

*How it is solved: work limits, never a clock* (issue #17: the list is a function of the inputs and
the seed alone). The program over all scenarios is slow at its root (climate_300, k = 30, 20
reserves, 200 scenarios: 183 classes x 130 candidate types, HiGHS still in the root node after
34 s), so a node limit alone could not bound it. Instead (sample average approximation):
1. The S scenarios, in sample order, form batches of `batch_scenarios` (40). For each of the first
   `max_batches` (5) batches, HiGHS solves the program on that batch's scenarios alone (a program of
   bounded size, at most 40 classes), started from the best list so far, stopped at `node_limit`
   (2000) branch-and-bound nodes; on climate_300 each is proven optimal within 1-3 nodes.
2. Each batch's list is evaluated exactly on all S scenarios: the program with x fixed (it only
   finds the best calls of that list in every class; decomposes per class, solved to optimality
   under the same node limit). The best of the greedy list and these lists is kept (the first on
   ties, in batch order), so it is never worse than greedy on the same scenarios.
3. Polish (only when the best list does not meet the bound of 4): the program over all S scenarios
   with its types restricted to those of the POLISH_LISTS (2) best lists, if it has at most
   POLISH_MAX_VARIABLES (6000) call variables (classes x types; else skipped, recorded in info),
   started from the best list, under the same node limit; its list is evaluated as in 2 and kept
   if better. On climate_300 it has 20-28 types and is proven optimal at its root (0.5-7 s).
4. Proven lower bound: min_x Σ_b f_b(x) ≥ Σ_b min_x f_b(x) for the batch objectives f_b (the mean
   deviation weighted by batch size), so the batches' proven bounds, weighted by their share of the
   scenarios (0 for batches beyond `max_batches`), bound the optimum over all S; `gap` is measured
   against it and `status` is OPTIMAL when the gap is 0. On climate_300 (seeds 0-2) this bound
   equalled the bound HiGHS reached on the full program in 40 s of wall clock (the previous design).
Every solve is single-threaded with a node limit, so its result does not depend on the machine's
speed; a safety clock (`safety_limit`, 600 s for the whole run) is passed to HiGHS only so that a
run cannot hang: when it stops a solve, `SafetyClockStop` is raised rather than a list. The limits
(batch_scenarios, max_batches, node_limit, safety_limit, polish_max_variables), the batches, their
statuses, the polish and the nodes used are recorded in `info` (and so in `select`'s JSON `alternates`).

The list is then *ordered* by how often each reserve is called in: the j-th member of type t is used
in the scenarios with y_st ≥ j; the most used comes first. Which members of a type are listed is
drawn with the seed.

*Greedy baseline.* The list: for each panel member in order of decreasing drop-out probability
(ties in a seeded order), the unlisted candidate differing from them in the fewest categories
(ties in a seeded order), cycling until A are listed. The policy: each dropped member (panel
order) is replaced by the first unused reserve whose swap keeps every quota met (the dropped not
yet replaced counted as seated), else by the first unused reserve. Both lists are reported with the
expected deviation and the expected number of broken quotas on the same scenarios.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import mip
import numpy as np

from ..cancel import check as check_cancelled
from ..cancel import interrupt_solver
from ..errors import InputError, Problem
from ..io.tables import read_table
from ..model import Instance
from ..work_limits import SafetyClockStop, node_count, stopped_by_clock

DEFAULT_DROPOUT = 0.1
DEFAULT_SCENARIOS = 200
BATCH_SCENARIOS = 40  # scenarios per batch: the integer program of one batch is small enough to solve
MAX_BATCHES = 5  # batches whose integer program proposes a list (and bounds the optimum)
NODE_LIMIT = 2000  # branch-and-bound nodes per integer program (the work limit)
POLISH_LISTS = 2  # the polishing program chooses among the types of this many best lists ...
POLISH_MAX_VARIABLES = 6000  # ... when it has at most this many call variables (classes x types)
SAFETY_SECONDS = 600.0  # wall clock after which the run stops with an error (never decides the list)


@dataclass
class ListFigures:
    """How a reserve list does on the scenarios."""

    rows: list[int]  # reserve order, 0-based pool rows
    expected_deviation: float  # mean over scenarios of Σ_q distance of seats from [min, max]
    expected_violations: float  # mean over scenarios of the number of quotas outside [min, max]


@dataclass
class ReserveList:
    """The optimised reserve list, the greedy baseline, and how the integer program ended."""

    optimised: ListFigures
    greedy: ListFigures
    scenarios: int
    dropout: np.ndarray  # k: drop-out probability of each panel member (panel order)
    info: dict = field(default_factory=dict)
    drops: np.ndarray | None = None  # S x k: who dropped out in each scenario sampled


def read_dropout_rates(source, name: str | None = None) -> dict[tuple[str, str], float]:
    """(category, value), both casefolded -> drop-out rate from the quota file's `dropout` column."""
    table = read_table(source, name)
    column = table.find("dropout")
    if column is None:
        return {}
    category = table.find("category") or table.find("feature")
    value = table.find("feature") if table.find("category") else table.find("value")
    if category is None or value is None:
        raise InputError([Problem(f"the '{column}' column gives rates, but there is no category and value column "
                                  "to say which values they belong to.",
                                  "Put the rates in a quota file with one row per value (columns category, value, "
                                  "min, max, dropout), or give one rate for everyone.", file=table.name, column=column)])
    rates: dict[tuple[str, str], float] = {}
    problems: list[Problem] = []
    for i, line in enumerate(table.row_numbers):
        text = str(table.rows.at[i, column]).strip()
        if not text:
            continue
        try:
            rate = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
        except ValueError:
            rate = -1.0
        if not 0.0 <= rate <= 1.0:
            problems.append(Problem(f"drop-out rate '{text}' is not a number between 0 and 1.",
                                    "Write it as 0.1 or 10%, or leave it empty for the default.",
                                    file=table.name, row=line, column=column))
            continue
        rates[(str(table.rows.at[i, category]).strip().casefold(), str(table.rows.at[i, value]).strip().casefold())] = rate
    if problems:
        raise InputError(problems)
    return rates


def member_dropout(instance: Instance, panel: Sequence[int], rate: float = DEFAULT_DROPOUT,
                   value_rates: dict[tuple[str, str], float] | None = None) -> np.ndarray:
    """Drop-out probability of each panel member: the mean over categories of their values' rates."""
    if not 0.0 <= rate <= 1.0:
        raise InputError([Problem(f"the drop-out rate {rate} is not between 0 and 1.", "Use e.g. 0.1.")])
    if not value_rates:
        return np.full(len(panel), float(rate))
    out = np.empty(len(panel))
    for j, row in enumerate(panel):
        rates = [value_rates.get((c.casefold(), instance.values(c)[int(instance.codes[row, ci])].casefold()), rate)
                 for ci, c in enumerate(instance.categories)]
        out[j] = float(np.mean(rates))
    return out


def sample_scenarios(dropout: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """count x k booleans: who drops out in each scenario (independent, probabilities `dropout`)."""
    return rng.random((int(count), len(dropout))) < dropout[None, :]


def candidates(instance: Instance, panel: Sequence[int]) -> np.ndarray:
    """Pool rows that may be reserves: off the panel and sharing no household with a panel member."""
    blocked = np.zeros(instance.n, dtype=bool)
    blocked[list(panel)] = True
    if instance.household:
        address = instance.pool.groupby(instance.household, sort=False).ngroup().to_numpy()
        blocked |= np.isin(address, address[list(panel)])
    return np.flatnonzero(~blocked)


def _deviation(seats: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of seats (… x Q): total distance from [lower, upper], and the number of quotas broken."""
    gap = np.maximum(lower - seats, 0) + np.maximum(seats - upper, 0)
    return gap.sum(axis=-1), (gap > 0).sum(axis=-1)


def greedy_list(instance: Instance, panel: Sequence[int], pool_rows: np.ndarray, dropout: np.ndarray,
                size: int, rng: np.random.Generator) -> list[int]:
    """The baseline list: nearest unlisted candidate (fewest differing categories) to each panel member
    in order of decreasing drop-out probability, cycling until `size` are listed."""
    codes = instance.codes
    order = np.lexsort((rng.permutation(len(panel)), -dropout))
    shuffled = rng.permutation(pool_rows)
    free = np.ones(len(shuffled), dtype=bool)
    chosen: list[int] = []
    while len(chosen) < min(size, len(shuffled)):
        for j in order:
            if len(chosen) >= min(size, len(shuffled)):
                break
            distance = (codes[shuffled] != codes[panel[j]]).sum(axis=1) + np.where(free, 0, 10**6)
            best = int(np.argmin(distance))  # first of the nearest, in the seeded order
            free[best] = False
            chosen.append(int(shuffled[best]))
    return chosen


def greedy_replace(instance: Instance, panel: Sequence[int], dropped: np.ndarray, reserve: Sequence[int]) -> np.ndarray:
    """Seats per quota after the greedy policy (module docstring) replaces the dropped (booleans over panel)."""
    types = instance.types
    kept = [p for p, gone in zip(panel, dropped) if not gone]
    return types.A @ types.composition_of(kept + _greedy_calls(instance, list(panel), dropped, list(reserve)))


def optimise_reserve(instance: Instance, panel: Sequence[int], size: int, *, seed: int,
                     dropout: float | np.ndarray = DEFAULT_DROPOUT, scenarios: int = DEFAULT_SCENARIOS,
                     batch_scenarios: int = BATCH_SCENARIOS, max_batches: int = MAX_BATCHES,
                     node_limit: int = NODE_LIMIT, safety_limit: float = SAFETY_SECONDS) -> ReserveList:
    """The optimised reserve list of `size` for the panel (0-based rows) and the greedy baseline.

    Work limits (module docstring): integer programs on at most `max_batches` batches of
    `batch_scenarios` scenarios, each stopped at `node_limit` branch-and-bound nodes; `safety_limit`
    seconds of wall clock in all raise SafetyClockStop instead of returning a machine-dependent list."""
    started = time.perf_counter()
    if batch_scenarios < 1 or max_batches < 1 or node_limit < 1:
        raise InputError([Problem("batch_scenarios, max_batches and node_limit must be 1 or more.")])
    panel = [int(i) for i in panel]
    rates = np.full(len(panel), float(dropout)) if np.isscalar(dropout) else np.asarray(dropout, dtype=float)
    rng = np.random.default_rng(seed)
    drops = sample_scenarios(rates, scenarios, rng)
    types = instance.types
    pool_rows = candidates(instance, panel)
    size = min(int(size), len(pool_rows))
    limits = {"batch_scenarios": int(batch_scenarios), "max_batches": int(max_batches),
              "node_limit": int(node_limit), "safety_limit": float(safety_limit)}
    # greedy baseline on the same scenarios
    greedy_rows = greedy_list(instance, panel, pool_rows, rates, size, rng)
    greedy_seats = np.array([greedy_replace(instance, panel, d, greedy_rows) for d in drops]).reshape(len(drops), -1)
    greedy_dev, greedy_broken = _deviation(greedy_seats, types.lower, types.upper)
    greedy = ListFigures(greedy_rows, float(greedy_dev.mean()), float(greedy_broken.mean()))
    if size == 0:
        return ReserveList(greedy, greedy, len(drops), rates, {"status": "no candidates", **limits, "seconds": 0.0}, drops)
    # scenario classes: same kept seats and number of drops
    panel_columns = types.A[:, types.of_volunteer[panel]]  # Q x k
    kept = panel_columns.sum(axis=1)[None, :] - drops.astype(np.int64) @ panel_columns.T  # S x Q
    fill = np.minimum(drops.sum(axis=1), size)
    keys, inverse, weight = np.unique(np.column_stack([kept, fill]), axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    live = np.flatnonzero(keys[:, -1] > 0)
    cand_types, cand_of = np.unique(types.of_volunteer[pool_rows], return_inverse=True)
    cand_of = cand_of.reshape(-1)
    available = np.bincount(cand_of, minlength=len(cand_types))
    a = types.A[:, cand_types]  # Q x T'
    bounds = (types.lower, types.upper)
    clock = _Clock(started, float(safety_limit))

    def evaluate(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """The best calls of the list `counts` in every scenario class (a small program, solved exactly)."""
        fixed = _Program(keys, weight, live, a, available, size, bounds, fixed=counts)
        got, use, status = fixed.solve(node_limit, clock)
        return (got, use) if got is not None and status == "OPTIMAL" else None

    # candidate lists: greedy, then the optimum of the program on each batch of scenarios (sample average
    # approximation of bounded size), each evaluated exactly on every scenario; the best is kept.
    best = _greedy_start(instance, panel, drops, inverse, live, greedy_rows, cand_types)
    best_value = _expected(keys, inverse, best[1], a, bounds)[0]
    lists = [(best_value, best)]  # every list evaluated, with its expected deviation
    batches = [np.arange(b, min(b + batch_scenarios, len(drops))) for b in range(0, len(drops), batch_scenarios)]
    solved, bound_sum, statuses, nodes = 0, 0.0, [], 0
    for batch in batches[:max_batches]:
        batch_weight = np.bincount(inverse[batch], minlength=len(keys))
        batch_live = live[batch_weight[live] > 0]
        if len(batch_live) == 0:  # nobody drops out in this batch: it costs nothing whatever the list
            solved += 1
            statuses.append("OPTIMAL")
            continue
        program = _Program(keys, batch_weight, batch_live, a, available, size, bounds)
        program.start(best)  # the best list so far, with its best calls (a valid start)
        counts, _, status = program.solve(node_limit, clock)
        nodes += program.nodes or 0
        statuses.append(status)
        solved += 1
        bound_sum += len(batch) * program.bound  # the batch's proven bound on its mean deviation
        if counts is None:
            continue
        found = evaluate(counts)
        if found is not None:
            value = _expected(keys, inverse, found[1], a, bounds)[0]
            lists.append((value, found))
            if value < best_value - 1e-12:
                best, best_value = found, value
    # polish: the program over all scenarios, its types restricted to those of the two best lists (a
    # program of bounded size, POLISH_MAX_VARIABLES call variables at most), under the same node limit
    polish = "not needed (the best list meets the bound)"
    if best_value - bound_sum / len(drops) > 1e-9:
        ranked = [found for _, found in sorted(lists, key=lambda listed: listed[0])[:POLISH_LISTS]]
        support = available * np.any([found[0] > 0 for found in ranked], axis=0)
        variables = len(live) * int((support > 0).sum())
        polish = f"skipped ({variables} call variables > {POLISH_MAX_VARIABLES})"
        if variables <= POLISH_MAX_VARIABLES:
            program = _Program(keys, weight, live, a, support, size, bounds)
            program.start(best)
            counts, _, status = program.solve(node_limit, clock)
            nodes += program.nodes or 0
            polish = f"{status} over {int((support > 0).sum())} types"
            found = evaluate(counts) if counts is not None else None
            if found is not None:
                value = _expected(keys, inverse, found[1], a, bounds)[0]
                if value < best_value - 1e-12:
                    best, best_value = found, value
    counts, use = best
    dev, broken = _expected(keys, inverse, use, a, bounds)
    # min over lists of a sum over batches >= the sum over batches of their minima: a proven bound;
    # batches not solved add their least possible deviation, 0.
    bound = min(bound_sum / len(drops), float(dev))
    value = float(dev)
    gap = max(0.0, value - bound)
    info = {"status": "OPTIMAL" if gap <= 1e-9 else "FEASIBLE", "scenario_classes": len(live),
            "candidate_types": len(cand_types), **limits, "batches": len(batches), "batches_solved": solved,
            "batch_status": statuses, "polish": polish, "polish_max_variables": POLISH_MAX_VARIABLES, "nodes": nodes,
            "objective_bound": bound, "absolute_gap": gap,
            "gap": gap / value if value > 1e-12 else 0.0}
    if value > greedy.expected_deviation + 1e-9:
        info["fallback"] = "the integer program found nothing better than the greedy list"
        info["seconds"] = time.perf_counter() - started
        return ReserveList(greedy, greedy, len(drops), rates, info, drops)
    rows = _ordered_members(instance, pool_rows, cand_of, counts, use, weight, rng)
    info["seconds"] = time.perf_counter() - started
    return ReserveList(ListFigures(rows, value, float(broken)), greedy, len(drops), rates, info, drops)


class _Clock:
    """The safety clock shared by every solve of one run."""

    def __init__(self, started: float, limit: float) -> None:
        self.started, self.limit = started, limit

    def remaining(self) -> float:
        left = self.limit - (time.perf_counter() - self.started)
        if left <= 0:
            raise self.stop()
        return left

    def stop(self) -> SafetyClockStop:
        return SafetyClockStop(f"the reserve list's integer programs ran past their safety time limit of {self.limit:g} s "
                               "before their work limits, so the list would depend on this machine's speed; use fewer "
                               "scenarios or reserves, or run it on a faster machine")


def _greedy_start(instance: Instance, panel: list[int], drops: np.ndarray, inverse: np.ndarray, live: np.ndarray,
                  greedy_rows: list[int], cand_types: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(type counts, calls per scenario class): the greedy list, and the reserves greedy calls in."""
    types = instance.types
    index = {int(t): i for i, t in enumerate(cand_types)}
    listed = np.bincount([index[int(types.of_volunteer[r])] for r in greedy_rows], minlength=len(cand_types))
    use = np.zeros((int(inverse.max()) + 1, len(cand_types)), dtype=np.int64)
    first = {int(c): s for s, c in reversed(list(enumerate(inverse)))}
    for c in live:
        used = _greedy_calls(instance, panel, drops[first[int(c)]], greedy_rows)
        use[int(c)] = np.bincount([index[int(types.of_volunteer[r])] for r in used], minlength=len(cand_types))
    return listed, use


def _expected(keys: np.ndarray, inverse: np.ndarray, use: np.ndarray, a: np.ndarray,
              bounds: tuple[np.ndarray, np.ndarray]) -> tuple[float, float]:
    """Expected deviation and expected number of broken quotas when class c calls in use[c] per type."""
    seats = keys[inverse, :-1] + use[inverse] @ a.T
    deviation, broken = _deviation(seats, *bounds)
    return float(deviation.mean()), float(broken.mean())


class _Program:
    """The integer program of the module docstring over the scenario classes `live` (x fixed to
    `fixed` when given: then it only finds the best calls of that list in every class)."""

    def __init__(self, keys: np.ndarray, weight: np.ndarray, live: np.ndarray, a: np.ndarray,
                 available: np.ndarray, size: int, bounds: tuple[np.ndarray, np.ndarray],
                 fixed: np.ndarray | None = None) -> None:
        lower, upper = bounds
        self.keys, self.live, self.types = keys, live, len(available)
        model = mip.Model(sense=mip.MINIMIZE, solver_name="HIGHS")
        model.verbose, model.threads = 0, 1
        if fixed is None:
            self.x = [model.add_var(var_type=mip.INTEGER, lb=0, ub=int(min(n, size))) for n in available]
        else:
            self.x = [model.add_var(lb=float(v), ub=float(v)) for v in fixed]
        model += mip.xsum(self.x) == size
        self.y: dict[tuple[int, int], mip.Var] = {}
        share = weight / weight.sum()  # a class's weight: its share of all scenarios
        objective = []
        for s in live:
            fill = int(keys[s, -1])
            calls = []
            for t in range(self.types):
                if (fixed is not None and fixed[t] == 0) or available[t] == 0:
                    continue
                self.y[s, t] = model.add_var(var_type=mip.INTEGER, lb=0, ub=int(min(available[t], fill)))
                model += self.y[s, t] <= self.x[t]
                calls.append(self.y[s, t])
            model += mip.xsum(calls) == fill
            for q in range(len(lower)):
                seats = mip.xsum(self.y[s, t] for t in np.flatnonzero(a[q]) if (s, t) in self.y) + int(keys[s, q])
                u = model.add_var(lb=0)
                model += u >= int(lower[q]) - seats
                model += u >= seats - int(upper[q])
                objective.append(float(share[s]) * u)
        model.objective = mip.minimize(mip.xsum(objective))
        self.model = model
        self.bound = 0.0
        self.nodes: int | None = None

    def start(self, start: tuple[np.ndarray, np.ndarray]) -> None:
        counts, use = start
        values = [(self.x[t], float(counts[t])) for t in range(self.types)]
        values += [(var, float(use[s, t])) for (s, t), var in self.y.items()]
        self.model.start = values

    def solve(self, node_limit: int, clock: _Clock) -> tuple[np.ndarray | None, np.ndarray | None, str]:
        """(type counts, calls per class, status) of the best list found within `node_limit` nodes."""
        with interrupt_solver(self.model):  # the app's Stop ends the solve at its next node (core.cancel)
            status = self.model.optimize(max_seconds=clock.remaining(), max_nodes=int(node_limit))
        check_cancelled()
        if stopped_by_clock(self.model):
            raise clock.stop()
        self.nodes = node_count(self.model)
        bound = self.model.objective_bound
        if bound is not None and np.isfinite(bound):  # a proven bound, even when no list was found
            self.bound = max(0.0, float(bound))
        if status not in (mip.OptimizationStatus.OPTIMAL, mip.OptimizationStatus.FEASIBLE):
            return None, None, status.name
        counts = np.array([round(v.x) for v in self.x], dtype=np.int64)
        use = np.zeros((len(self.keys), self.types), dtype=np.int64)
        for (s, t), var in self.y.items():
            use[s, t] = round(var.x)
        return counts, use, status.name


def _greedy_calls(instance: Instance, panel: list[int], dropped: np.ndarray, reserve: list[int]) -> list[int]:
    """The reserves the greedy policy calls in for one scenario (the same rule as greedy_replace)."""
    types = instance.types
    seats = types.A[:, types.of_volunteer[panel]].sum(axis=1)
    used: list[int] = []
    for j in np.flatnonzero(dropped):
        seats = seats - types.A[:, types.of_volunteer[panel[j]]]
        unused = [r for r in reserve if r not in used]
        if not unused:
            continue
        fits = [r for r in unused if ((seats + types.A[:, types.of_volunteer[r]] >= types.lower)
                                      & (seats + types.A[:, types.of_volunteer[r]] <= types.upper)).all()]
        pick = fits[0] if fits else unused[0]
        used.append(pick)
        seats = seats + types.A[:, types.of_volunteer[pick]]
    return used


def _ordered_members(instance: Instance, pool_rows: np.ndarray, cand_of: np.ndarray, counts: np.ndarray,
                     use: np.ndarray, weight: np.ndarray, rng: np.random.Generator) -> list[int]:
    """Members for the chosen type counts (drawn with the seed), most-called first."""
    slots = []
    for t in np.flatnonzero(counts):
        members = rng.permutation(pool_rows[cand_of == t])[: counts[t]]
        for j, row in enumerate(members, start=1):
            slots.append((-float(weight @ (use[:, t] >= j)), int(t), j, int(row)))
    return [row for *_, row in sorted(slots)]
