"""The number of quota-satisfying panels, exactly, by dynamic programming over type counts.

A composition c stands for prod_t binom(N_t, c_t) panels, so
    #panels = sum over valid compositions c of prod_t binom(N_t, c_t).
The programme runs over "units" (a person type, or a household: at most one of its members) with
state = (seats so far, seats of every quota still open); a quota is closed and checked after the
last unit it touches, and states that can no longer meet a bound are dropped. Forward counts F and
backward counts B give the count F_end = B_0, each type's expected seats
E[c_t] = sum_edges F(s) mult(c) c B(s') / #panels, and exact uniform sampling (edge chosen with
weight mult(c) B(s')). The work is bounded: the programme gives up (TooManyStates) before passing
its state, transition or time limits.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..algorithms.enumeration import TooManyPanels
from ..cancel import check as check_cancelled
from ..errors import InfeasibleQuotas
from ..model import TypeSpace

STATE_LIMIT = 300_000  # states of the dynamic programme, over all layers
EDGE_LIMIT = 500_000  # transitions of the dynamic programme, over all layers
PAIR_LIMIT = 4_000_000  # (state, option) pairs examined, over all layers; checked before each layer
# No clock by default: the size limits bound the work, and a clock would make the tier chosen (exact
# or Markov chain), hence the result, depend on the machine's speed. A time limit may still be given.
DP_TIME_LIMIT: float | None = None
CHUNK_ELEMENTS = 500_000  # states x options x quotas examined at once (cancellation is checked between chunks)


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
              time_limit: float | None = DP_TIME_LIMIT, pair_limit: int = PAIR_LIMIT) -> PanelCounter:
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
            options = len(unit.sizes)
            total_pairs += len(size) * options
            if total_pairs > pair_limit:
                raise TooManyStates(f"more than {pair_limit} candidate transitions (at unit {u + 1} of {U})")
            chunk = max(1, CHUNK_ELEMENTS // max(1, options * Q))
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
