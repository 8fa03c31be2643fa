"""How many quota-satisfying panels there are, and the uniform distribution over them.

A composition c stands for prod_t binom(N_t, c_t) panels, so
    #panels = sum over valid compositions c of prod_t binom(N_t, c_t).
Exactly, by dynamic programming over "units" (a person type, or a household: at most one of its
members) with state = (seats so far, seats of every quota still open); a quota is closed and checked
after the last unit it touches, and states that can no longer meet a bound are dropped. Forward
counts F and backward counts B give the count F_end = B_0, each type's expected seats
E[c_t] = sum_edges F(s) mult(c) c B(s') / #panels, and exact uniform sampling (edge chosen with
weight mult(c) B(s')). When the state space is too large: a sequential importance sampling estimate
with its standard error, and a swap Markov chain (a member for a non-member, kept when the panel
stays valid; symmetric, so uniform over valid panels it reaches) for approximate sampling.

`select` ("uniform" in the registry) is the maximally random baseline: every valid panel equally likely.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from scipy.special import gammaln

from .cancel import check as check_cancelled
from .distribution import Distribution
from .enumeration import TooManyPanels
from .errors import InfeasibleQuotas, SolverError
from .model import Instance, TypeSpace
from .panel_model import PanelModel
from .selection import Progress, SelectionResult, no_progress

STATE_LIMIT = 300_000  # states of the dynamic programme, over all layers
EDGE_LIMIT = 500_000  # transitions of the dynamic programme, over all layers
PAIR_LIMIT = 4_000_000  # (state, option) pairs examined, over all layers; checked before each layer
# No clock by default: the size limits bound the work, and a clock would make the tier chosen (exact
# or Markov chain), hence the result, depend on the machine's speed. A time limit may still be given.
DP_TIME_LIMIT: float | None = None
CHUNK_ELEMENTS = 2_000_000  # states x options x quotas examined at once
ENUMERATION_LIMIT = 50_000  # compositions for an explicit uniform distribution
ESTIMATE_SAMPLES = 1000
CHAIN_STEPS = 100_000  # recorded steps of the Markov chain, by default
CHAIN_STEP_LIMIT = 2_000_000  # burn-in plus recorded steps, whatever the options say
CHAIN_COUNT_SAMPLES = 300  # importance samples for the panel-count estimate of the chain tier


class TooManyStates(Exception):
    """The dynamic programme would exceed its state or edge limit."""


@dataclass(frozen=True)
class Unit:
    """One step of the dynamic programme: a type (take 0..N_t of it) or a household (0 or 1 member).

    Option o puts `sizes[o]` volunteers on the panel, adds `deltas[o]` (Q) to the quota seats,
    can be done in `mults[o]` ways, and takes `picks[o]` = [(type, count)] of the types.
    """

    sizes: np.ndarray
    deltas: np.ndarray
    mults: list[int]
    picks: list[list[tuple[int, int]]]
    volunteers: int  # volunteers the unit holds


def units_of(types: TypeSpace) -> list[Unit]:
    """Types (binom(N_t, c) ways to seat c of them) and households (one member or none), in code order."""
    Q = len(types.lower)
    grouped: dict[int, np.ndarray] = {}
    for group in types.households:
        for t in group:
            grouped[int(t)] = group
    units: list[tuple[tuple, Unit]] = []
    seen: set[int] = set()
    for t in range(types.size):
        if t in seen:
            continue
        if t in grouped:
            group = [int(x) for x in grouped[t]]
            seen.update(group)
            sizes = np.array([0] + [1] * len(group))
            deltas = np.vstack([np.zeros(Q, dtype=np.int64)] + [types.A[:, j] for j in group]).reshape(-1, Q)
            units.append((tuple(types.codes[t]), Unit(sizes, deltas, [1] * (len(group) + 1), [[]] + [[(j, 1)] for j in group], len(group))))
            continue
        top = min(int(types.counts[t]), types.k)
        c = np.arange(top + 1)
        units.append((tuple(types.codes[t]), Unit(c, np.outer(c, types.A[:, t]).reshape(-1, Q),
                                                  [math.comb(int(types.counts[t]), int(x)) for x in c],
                                                  [[(t, int(x))] if x else [] for x in c], int(types.counts[t]))))
    units.sort(key=lambda pair: pair[0])
    return [u for _, u in units]


class Lookahead:
    """Bounds a partial panel must keep reachable after unit u, with left = k - size seats to fill:
        size <= k, left <= capacity of later units;  seats_q <= max_q;
        seats_q + min(later capacity in q, left) >= min_q;  seats_q + max(0, left - later capacity
        outside q) <= max_q  for quotas still open; min_q <= seats_q for quotas closing at u."""

    def __init__(self, types: TypeSpace, units: list[Unit]):
        U, Q = len(units), len(types.lower)
        self.types = types
        touches = np.array([[bool(u.deltas[:, q].any()) for q in range(Q)] for u in units], dtype=bool).reshape(U, Q)
        self.first = np.array([np.flatnonzero(touches[:, q]).min() if touches[:, q].any() else -1 for q in range(Q)])
        self.last = np.array([np.flatnonzero(touches[:, q]).max() if touches[:, q].any() else -1 for q in range(Q)])
        max_size = np.array([u.sizes.max() for u in units])
        max_delta = np.array([u.deltas.max(axis=0) for u in units]).reshape(U, Q)
        outside = np.array([[u.sizes[u.deltas[:, q] == 0].max(initial=0) for q in range(Q)] for u in units]).reshape(U, Q)
        volunteers = np.array([u.volunteers for u in units])
        self.cap_after = self._after(max_size[:, None])[:, 0]
        self.qcap_after = self._after(max_delta)
        self.out_after = self._after(outside)
        self.volunteers_after = self._after(volunteers[:, None])[:, 0]

    @staticmethod
    def _after(per_unit: np.ndarray) -> np.ndarray:
        """Row u: the sum over units after u."""
        suffix = np.cumsum(per_unit[::-1], axis=0)[::-1]
        return np.vstack([suffix[1:], np.zeros((1, per_unit.shape[1]), dtype=suffix.dtype)])

    def ok(self, u: int, seats: np.ndarray, size: np.ndarray) -> np.ndarray:
        """Mask over the leading axes of seats (..., Q) / size (...): can still become a valid panel."""
        types = self.types
        left = types.k - size
        good = (left >= 0) & (left <= self.cap_after[u]) & (seats <= types.upper).all(axis=-1)
        open_ = self.last > u
        closing = self.last == u
        reach = seats[..., open_] + np.minimum(self.qcap_after[u][open_], left[..., None])
        forced = seats[..., open_] + np.maximum(0, left[..., None] - self.out_after[u][open_])
        good &= (reach >= types.lower[open_]).all(axis=-1) & (forced <= types.upper[open_]).all(axis=-1)
        return good & (seats[..., closing] >= types.lower[closing]).all(axis=-1)


def _unique_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows, inverse) like np.unique(axis=0), fast: each row is packed into mixed-radix int64
    codes over the columns' observed ranges (one code when the ranges allow, else a lexsort of a few)."""
    lo = keys.min(axis=0).astype(np.int64)
    span = keys.max(axis=0).astype(np.int64) - lo + 1
    codes: list[np.ndarray] = []
    code, radix = np.zeros(len(keys), dtype=np.int64), 1
    for c in range(keys.shape[1]):
        if radix * int(span[c]) >= 2 ** 62:
            codes.append(code)
            code, radix = np.zeros(len(keys), dtype=np.int64), 1
        code = code * span[c] + (keys[:, c] - lo[c])
        radix *= int(span[c])
    codes.append(code)
    if len(codes) == 1:
        _, first, inverse = np.unique(codes[0], return_index=True, return_inverse=True)
        return keys[first], inverse.reshape(-1)
    order = np.lexsort(codes[::-1])
    changed = np.zeros(len(keys), dtype=bool)
    changed[0] = True
    for part in codes:
        ordered = part[order]
        changed[1:] |= ordered[1:] != ordered[:-1]
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = np.cumsum(changed) - 1
    return keys[order[changed]], inverse


def _scatter_sum(values: np.ndarray, index: np.ndarray, size: int) -> np.ndarray:
    """out[i] = sum of values[e] over e with index[e] = i (object arrays: exact Python integers)."""
    out = np.zeros(size, dtype=object)
    if len(index) == 0:
        return out
    order = np.argsort(index, kind="stable")
    idx = index[order]
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    out[idx[starts]] = np.add.reduceat(values[order], starts)
    return out


@dataclass
class PanelCounter:
    """The layered dynamic programme over units; exact count, type marginals and uniform sampling.

    Layer u holds the distinct states (seats so far, seats of the quotas still open) reachable after
    u units; forward[u][s] counts the ways to reach s, backward[u][s] the ways to complete a panel
    from s (Python integers, exact)."""

    types: TypeSpace
    units: list[Unit]
    layer_sizes: list[int]  # states per layer
    forward: list[np.ndarray]  # object arrays: prefix ways to reach each state
    backward: list[np.ndarray]  # object arrays: ways to complete a panel from each state
    edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per unit: (source, option, target)

    @staticmethod
    def build(types: TypeSpace, state_limit: int = STATE_LIMIT, edge_limit: int = EDGE_LIMIT,
              time_limit: float | None = DP_TIME_LIMIT, pair_limit: int = PAIR_LIMIT) -> "PanelCounter":
        """Build the layers, giving up with TooManyStates as soon as a bound would be passed.

        Before a layer is expanded, its (states x options) candidate transitions are counted against
        `pair_limit`; while it is expanded, transitions are counted against `edge_limit` chunk by chunk
        and the clock against `time_limit` (only when one is given), and its distinct states against `state_limit` - so the
        work done before giving up is bounded by the limits, whatever the instance."""
        units = units_of(types)
        U, Q = len(units), len(types.lower)
        look = Lookahead(types, units)
        if any(look.last[q] < 0 and types.lower[q] > 0 for q in range(Q)):
            raise InfeasibleQuotas("a quota minimum is set for a value nobody in the pool has")
        deadline = None if time_limit is None else time.monotonic() + time_limit
        active = [np.flatnonzero((look.first <= u) & (look.last > u)) for u in range(U)]  # open after unit u
        full = np.zeros((1, Q), dtype=np.int64)  # seats of the open quotas (0 elsewhere), per state
        size = np.zeros(1, dtype=np.int64)
        layer_sizes, edges = [1], []
        total_states, total_edges, total_pairs = 1, 0, 0
        if total_states > state_limit:
            raise TooManyStates(f"more than {state_limit} states")
        for u, unit in enumerate(units):
            O = len(unit.sizes)
            total_pairs += len(size) * O
            if total_pairs > pair_limit:
                raise TooManyStates(f"more than {pair_limit} candidate transitions (at unit {u + 1} of {U})")
            chunk = max(1, CHUNK_ELEMENTS // max(1, O * Q))
            src_parts, opt_parts, key_parts = [], [], []
            layer_edges = 0
            for lo in range(0, len(size), chunk):
                check_cancelled()
                if deadline is not None and time.monotonic() > deadline:
                    raise TooManyStates(f"the dynamic programme took more than {time_limit:g} s (at unit {u + 1} of {U})")
                s2 = full[lo:lo + chunk, None, :] + unit.deltas[None, :, :]
                z2 = size[lo:lo + chunk, None] + unit.sizes[None, :]
                rows, opts = np.nonzero(look.ok(u, s2, z2))
                layer_edges += len(rows)
                if total_edges + layer_edges > edge_limit:
                    raise TooManyStates(f"more than {edge_limit} transitions (at unit {u + 1} of {U})")
                src_parts.append(rows + lo)
                opt_parts.append(opts)
                key_parts.append(np.column_stack([z2[rows, opts], s2[rows, opts][:, active[u]]]).astype(np.int32))
            src = np.concatenate(src_parts) if src_parts else np.zeros(0, dtype=np.int64)
            opt = np.concatenate(opt_parts) if opt_parts else np.zeros(0, dtype=np.int64)
            keys = np.concatenate(key_parts) if key_parts else np.zeros((0, 1 + len(active[u])), dtype=np.int32)
            if len(keys) == 0:
                raise InfeasibleQuotas("no panel meets every quota")
            distinct, dst = _unique_rows(keys)
            total_states += len(distinct)
            total_edges += len(src)
            if total_states > state_limit:
                raise TooManyStates(f"more than {state_limit} states (at unit {u + 1} of {U})")
            full = np.zeros((len(distinct), Q), dtype=np.int64)
            full[:, active[u]] = distinct[:, 1:]
            size = distinct[:, 0].astype(np.int64)
            layer_sizes.append(len(distinct))
            edges.append((src.astype(np.int64), opt.astype(np.int64), dst.reshape(-1).astype(np.int64)))
        mults = [np.array(unit.mults, dtype=object) for unit in units]
        forward = [np.ones(1, dtype=object)]
        for u in range(U):
            src, opt, dst = edges[u]
            forward.append(_scatter_sum(forward[u][src] * mults[u][opt], dst, layer_sizes[u + 1]))
        backward = [np.ones(layer_sizes[U], dtype=object)]
        for u in range(U - 1, -1, -1):
            src, opt, dst = edges[u]
            backward.insert(0, _scatter_sum(mults[u][opt] * backward[0][dst], src, layer_sizes[u]))
        return PanelCounter(types, units, layer_sizes, forward, backward, edges)

    @property
    def count(self) -> int:
        """Number of quota-satisfying panels (sets of volunteers)."""
        return int(sum(self.forward[-1]))

    @property
    def states(self) -> int:
        return int(sum(self.layer_sizes))

    def composition_count(self) -> int:
        """Number of valid compositions: paths from the first to the last layer (every way 1)."""
        ways = np.ones(1, dtype=object)
        for u, (src, opt, dst) in enumerate(self.edges):
            ways = _scatter_sum(ways[src], dst, self.layer_sizes[u + 1])
        return int(sum(ways))

    def compositions(self, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Every valid composition (rows) and the number of panels it stands for (object ints).

        Paths are extended layer by layer along edges that can still be completed (backward > 0), so
        every partial path is the prefix of at least one composition and the work is O(#compositions x
        #units). Raises TooManyPanels when there are more than `limit`."""
        if self.composition_count() > limit:
            raise TooManyPanels(f"more than {limit} valid compositions")
        state = np.zeros(1, dtype=np.int64)
        comps = np.zeros((1, self.types.size), dtype=np.int64)
        ways = np.ones(1, dtype=object)
        for u, unit in enumerate(self.units):
            src, opt, dst = self.edges[u]
            alive = np.array([b != 0 for b in self.backward[u + 1][dst]], dtype=bool)
            src, opt, dst = src[alive], opt[alive], dst[alive]
            order = np.argsort(src, kind="stable")
            src, opt, dst = src[order], opt[order], dst[order]
            first = np.searchsorted(src, state, side="left")
            degree = np.searchsorted(src, state, side="right") - first
            path = np.repeat(np.arange(len(state)), degree)
            edge = np.repeat(first, degree) + (np.arange(len(path)) - np.repeat(np.cumsum(degree) - degree, degree))
            comps, ways, state = comps[path], ways[path] * np.array(unit.mults, dtype=object)[opt[edge]], dst[edge]
            pick_type, pick_count = _picks(unit)
            chosen = opt[edge]
            has = pick_type[chosen] >= 0
            comps[np.flatnonzero(has), pick_type[chosen][has]] += pick_count[chosen][has]
        return comps, ways

    def expected_seats(self) -> list[Fraction]:
        """E[c_t] under the uniform distribution over valid panels, exactly:
        sum over edges (s, o, s') of F(s) mult(o) B(s') c_t(o) / #panels."""
        total = self.count
        if total == 0:
            raise InfeasibleQuotas("no panel meets every quota")
        sums = np.zeros(self.types.size, dtype=object)
        for u, unit in enumerate(self.units):
            src, opt, dst = self.edges[u]
            pick_type, pick_count = _picks(unit)
            keep = pick_type[opt] >= 0
            ways = self.forward[u][src[keep]] * np.array(unit.mults, dtype=object)[opt[keep]] * self.backward[u + 1][dst[keep]]
            sums += _scatter_sum(ways * pick_count[opt[keep]].astype(object), pick_type[opt[keep]], self.types.size)
        return [Fraction(int(s), total) for s in sums]

    def type_marginals(self) -> np.ndarray:
        """Selection probability of a member of each type: E[c_t] / N_t."""
        return np.array([float(e / int(n)) for e, n in zip(self.expected_seats(), self.types.counts)])

    def sample_composition(self, rng: np.random.Generator) -> np.ndarray:
        """A composition drawn with probability (its number of panels) / (all panels)."""
        if self.count == 0:
            raise InfeasibleQuotas("no panel meets every quota")
        comp = np.zeros(self.types.size, dtype=np.int64)
        state = 0
        for u, unit in enumerate(self.units):
            src, opt, dst = self.edges[u]
            out = np.flatnonzero(src == state)
            weights = [unit.mults[int(opt[e])] * self.backward[u + 1][int(dst[e])] for e in out]
            total = sum(weights)
            p = np.array([w / total for w in weights])
            e = out[rng.choice(len(out), p=p / p.sum())]
            for t, c in unit.picks[int(opt[e])]:
                comp[t] += c
            state = int(dst[e])
        return comp


def _picks(unit: Unit) -> tuple[np.ndarray, np.ndarray]:
    """Per option: the one type it seats volunteers of (-1: none) and how many."""
    pick_type = np.full(len(unit.picks), -1, dtype=np.int64)
    pick_count = np.zeros(len(unit.picks), dtype=np.int64)
    for o, picks in enumerate(unit.picks):
        if len(picks) > 1:
            raise ValueError("an option of a unit seats more than one type")
        for t, c in picks:
            pick_type[o], pick_count[o] = t, c
    return pick_type, pick_count


@dataclass(frozen=True)
class PanelCount:
    """The number of quota-satisfying panels: exact (an int) or an estimate with its standard error."""

    count: int | float
    exact: bool
    log10: float
    standard_error: float | None = None  # of the estimate; None when exact
    samples: int | None = None
    method: str = ""
    info: dict = field(default_factory=dict)


def _log10_int(value: int) -> float:
    return math.log10(value) if value > 0 else float("-inf")


def estimate_count(types: TypeSpace, samples: int = ESTIMATE_SAMPLES, seed: int = 0) -> PanelCount:
    """Sequential importance sampling: unit by unit, option o is drawn with probability proportional to
    g_o = mult_o binom(R, left - size_o) among options that keep every bound reachable (R: volunteers
    in later units); a sample's weight prod mult_o / P(o) (0 if the panel is invalid) has mean #panels."""
    rng = np.random.default_rng(seed)
    units = units_of(types)
    Q, k = len(types.lower), types.k
    look = Lookahead(types, units)
    seats = np.zeros((samples, Q), dtype=np.int64)
    size = np.zeros(samples, dtype=np.int64)
    log_w = np.zeros(samples)
    alive = np.ones(samples, dtype=bool)
    for u, unit in enumerate(units):
        s2 = seats[:, None, :] + unit.deltas[None, :, :]
        z2 = size[:, None] + unit.sizes[None, :]
        ok = look.ok(u, s2, z2)
        left = k - z2
        log_mult = np.array([math.log(m) for m in unit.mults])
        R = look.volunteers_after[u]
        log_g = log_mult[None, :] + gammaln(R + 1) - gammaln(np.clip(left, 0, None) + 1) - gammaln(np.clip(R - left, 0, None) + 1)
        log_g = np.where(ok, log_g, -np.inf)
        alive &= ok.any(axis=1)
        top = np.where(alive, log_g.max(axis=1), 0.0)
        g = np.where(alive[:, None], np.exp(log_g - top[:, None]), 0.0)
        g[~alive, 0] = 1.0
        total = g.sum(axis=1)
        choice = (np.cumsum(g, axis=1) < (rng.random(samples) * total)[:, None]).sum(axis=1)
        choice = np.minimum(choice, g.shape[1] - 1)
        rows = np.arange(samples)
        log_w += log_mult[choice] - (np.log(g[rows, choice]) - np.log(total))
        seats = s2[rows, choice]
        size = z2[rows, choice]
    alive &= (size == k) & (seats >= types.lower).all(axis=1) & (seats <= types.upper).all(axis=1)
    if not alive.any():
        return PanelCount(0.0, False, float("-inf"), float("nan"), samples, "sequential importance sampling",
                          {"valid_samples": 0})
    top = log_w[alive].max()
    scaled = np.where(alive, np.exp(log_w - top), 0.0)
    mean, se = scaled.mean(), scaled.std(ddof=1) / math.sqrt(samples)
    log10 = (math.log(mean) + top) / math.log(10)
    with np.errstate(over="ignore"):
        estimate = float(mean * math.exp(top)) if top < 700 else float("inf")
        error = float(se * math.exp(top)) if top < 700 else float("inf")
    return PanelCount(estimate, False, log10, error, samples, "sequential importance sampling",
                      {"relative_standard_error": float(se / mean), "valid_samples": int(alive.sum())})


def count_panels(source: Instance | TypeSpace, *, state_limit: int = STATE_LIMIT, samples: int = ESTIMATE_SAMPLES,
                 seed: int = 0) -> PanelCount:
    """Exact number of valid panels by dynamic programming, or an estimate when the DP is too large."""
    types = source.types if isinstance(source, Instance) else source
    try:
        counter = PanelCounter.build(types, state_limit)
    except TooManyStates:
        return estimate_count(types, samples, seed)
    except InfeasibleQuotas:  # a minimum on a value nobody in the pool has
        return PanelCount(0, True, float("-inf"), None, None, "dynamic programming")
    total = counter.count
    return PanelCount(total, True, _log10_int(total), None, None, "dynamic programming", {"states": counter.states})


# --------------------------------------------------------------------------------------------
# Uniform over representative panels
# --------------------------------------------------------------------------------------------


class SwapChain:
    """Markov chain on valid panels: swap a uniformly chosen member for a uniformly chosen non-member,
    keep the swap if the panel stays valid. Symmetric proposals: the uniform distribution on valid
    panels (of the start's connected class) is stationary.

    A step costs O(quotas touched by the two types), independent of the pool size: the panel is kept
    as the list of its members' types and the rest of the pool as the list of the others' types."""

    def __init__(self, types: TypeSpace, start: np.ndarray):
        self.types = types
        self.start = np.asarray(start, dtype=np.int64)
        self.n = int(types.counts.sum())
        self.quotas_of = [np.flatnonzero(types.A[:, t]).tolist() for t in range(types.size)]
        self.household_of = np.full(types.size, -1, dtype=np.int64)
        for h, group in enumerate(types.households):
            self.household_of[np.asarray(group, dtype=np.int64)] = h

    def run(self, comp: np.ndarray, steps: int, rng: np.random.Generator, record: bool = False,
            progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Run `steps` swaps from comp; returns (final composition, sum over the steps of the
        composition after each step: divided by steps and N_t, the estimated type probabilities)."""
        types, k = self.types, self.types.k
        comp = np.asarray(comp, dtype=np.int64).copy()
        seated_types = np.repeat(np.arange(types.size), comp)
        seated = seated_types.tolist()
        free = np.repeat(np.arange(types.size), types.counts - comp).tolist()
        seats = (types.A @ comp).tolist()
        lower, upper = types.lower.tolist(), types.upper.tolist()
        quotas_of, household_of = self.quotas_of, self.household_of.tolist()
        homes = self.household_of[seated_types]
        in_household = np.bincount(homes[homes >= 0], minlength=len(types.households)).tolist()
        total = np.zeros(types.size, dtype=np.float64)
        last = 0  # the current composition has held since step `last`
        report = max(1, steps // 10)
        out_pick = rng.integers(0, k, size=steps).tolist() if k else [0] * steps
        in_pick = rng.integers(0, max(self.n - k, 1), size=steps).tolist()
        for step in range(steps):
            if progress is not None and step and step % report == 0:
                progress(f"Markov chain: {step:,} of {steps:,} steps")
            if self.n == k:
                break
            i, j = out_pick[step], in_pick[step]
            a, b = seated[i], free[j]
            if a == b:
                continue
            qa, qb = quotas_of[a], quotas_of[b]
            if any(seats[q] - 1 < lower[q] for q in qa if q not in qb):
                continue
            if any(seats[q] + 1 > upper[q] for q in qb if q not in qa):
                continue
            ha, hb = household_of[a], household_of[b]
            if hb >= 0 and hb != ha and in_household[hb] >= 1:
                continue
            if record:
                total += comp * (step - last)
                last = step
            for q in qa:
                seats[q] -= 1
            for q in qb:
                seats[q] += 1
            if ha >= 0:
                in_household[ha] -= 1
            if hb >= 0:
                in_household[hb] += 1
            seated[i], free[j] = b, a
            comp[a] -= 1
            comp[b] += 1
        if record:
            total += comp * (steps - last)
        return comp, total


def _exact_uniform(counter: PanelCounter, limit: int) -> tuple[Distribution, int]:
    """Uniform over valid panels from the compositions the DP enumerates:
    p_c = prod_t binom(N_t, c_t) / #panels (TooManyPanels when there are more than `limit`)."""
    comps, weights = counter.compositions(limit)
    total = counter.count
    probabilities = np.array([int(w) / total for w in weights])
    return Distribution(counter.types, comps, probabilities, info={"panels": total}), total


def _checked(types: TypeSpace, comp: np.ndarray, rng: np.random.Generator) -> list[int]:
    """The panel of a sampled composition, after checking it against every quota."""
    if not types.is_valid(comp):
        raise SolverError(f"internal error: sampled panel breaks the quotas: {types.violations(comp)}")
    return types.expand(comp, rng)


def _optional_seconds(value: object) -> float | None:
    return None if value is None else float(value)


def select(instance: Instance, *, seed: int, options: dict, progress: Progress = no_progress) -> SelectionResult:
    """Every quota-satisfying panel equally likely (the maximally random baseline).

    Tiers, each with bounded work: (1) dynamic programming (bounded by "state_limit", "edge_limit",
    "pair_limit", and "dp_time_limit" seconds only when given: by default no clock decides, so the
    result depends on the inputs and the seed alone; it gives up before passing them) gives the exact count
    and marginals; (2) when the valid compositions number at most "composition_limit" they are listed
    from the DP's graph into an explicit distribution, else panels are sampled exactly from the DP;
    (3) when the DP gives up, a swap Markov chain of "mixing_steps" burn-in plus "chain_steps" recorded
    steps (together at most CHAIN_STEP_LIMIT) estimates the marginals (info["exact"] = False), each
    drawn panel is the end of a fresh chain of "mixing_steps", and "count_samples" importance
    samples estimate the number of panels.
    """
    types = instance.types
    rng = np.random.default_rng(seed)
    limit = int(options.get("composition_limit", ENUMERATION_LIMIT))
    state_limit = int(options.get("state_limit", STATE_LIMIT))
    try:
        counter = PanelCounter.build(types, state_limit, int(options.get("edge_limit", EDGE_LIMIT)),
                                     _optional_seconds(options.get("dp_time_limit", DP_TIME_LIMIT)),
                                     int(options.get("pair_limit", PAIR_LIMIT)))
    except TooManyStates as reason:
        progress(f"dynamic programming gave up ({reason}); sampling with a Markov chain")
        return _chain_select(types, rng, seed, options, progress)
    if counter.count == 0:
        raise InfeasibleQuotas("no panel meets every quota")
    progress(f"{counter.count} panels counted exactly ({counter.states} states)")
    marginals = counter.type_marginals()[types.of_volunteer]
    try:
        dist, total = _exact_uniform(counter, limit)
        dist.verify()
        progress(f"{dist.support} compositions, {total} panels")
        return SelectionResult("uniform", marginals, distribution=dist,
                               info={"exact": True, "method": "enumeration", "panels": total,
                                     "compositions": dist.support, "states": counter.states})
    except TooManyPanels:
        progress(f"more than {limit} compositions; sampling exactly from the dynamic programme")
    return SelectionResult("uniform", marginals, sampler=lambda r: _checked(types, counter.sample_composition(r), r),
                           info={"exact": True, "method": "dynamic programming", "panels": counter.count,
                                 "states": counter.states})


def _chain_select(types: TypeSpace, rng: np.random.Generator, seed: int, options: dict,
                  progress: Progress) -> SelectionResult:
    """The Markov-chain tier of `select`: estimated marginals = average composition over the recorded
    steps / N_t; at most CHAIN_STEP_LIMIT steps in all."""
    start = PanelModel(types).best(rng.random(types.size)).composition
    chain = SwapChain(types, start)
    mixing = min(int(options.get("mixing_steps", 20 * types.k + 2000)), CHAIN_STEP_LIMIT // 2)
    steps = max(1, min(int(options.get("chain_steps", CHAIN_STEPS)), CHAIN_STEP_LIMIT - mixing))
    progress(f"Markov chain: {mixing:,} burn-in steps, then {steps:,} recorded steps")
    current, _ = chain.run(start, mixing, rng)
    _, visited = chain.run(current, steps, rng, record=True, progress=progress)
    estimate = visited / steps / types.counts
    samples = int(options.get("count_samples", CHAIN_COUNT_SAMPLES))
    count = estimate_count(types, samples, seed=seed)
    found = count.info.get("valid_samples", 0) > 0  # else the estimate says nothing (not "0 panels")
    size = f"about 10^{count.log10:.1f} panels" if found else "too many panels to estimate their number"
    progress(f"Markov chain done: {steps:,} recorded steps; {size}")
    return SelectionResult("uniform", estimate[types.of_volunteer],
                           sampler=lambda r: _checked(types, chain.run(chain.start, mixing, r)[0], r),
                           info={"exact": False, "method": "markov chain", "chain_steps": mixing + steps,
                                 "chain_step_limit": CHAIN_STEP_LIMIT, "mixing_steps": mixing,
                                 "sample_size": steps, "panels_estimate": float(count.count) if found else None,
                                 "panels_log10": float(count.log10) if found else None,
                                 "panels_standard_error": float(count.standard_error) if found else None,
                                 "count_samples": samples})
