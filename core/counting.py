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
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from scipy.special import gammaln

from .distribution import Distribution
from .enumeration import TooManyPanels, valid_compositions
from .errors import InfeasibleQuotas, SolverError
from .model import Instance, TypeSpace
from .panel_model import PanelModel
from .selection import Progress, SelectionResult, no_progress

STATE_LIMIT = 300_000  # states of the dynamic programme, over all layers
EDGE_LIMIT = 4_000_000  # transitions of the dynamic programme
ENUMERATION_LIMIT = 50_000  # compositions for an explicit uniform distribution
ESTIMATE_SAMPLES = 1000


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


@dataclass
class PanelCounter:
    """The layered dynamic programme over units; exact count, type marginals and uniform sampling."""

    types: TypeSpace
    units: list[Unit]
    layers: list[dict[tuple, int]]  # per layer: state -> index
    forward: list[list[int]]  # prefix ways to reach each state
    backward: list[list[int]]  # ways to complete a panel from each state
    edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per unit: (source, option, target)

    @staticmethod
    def build(types: TypeSpace, state_limit: int = STATE_LIMIT, edge_limit: int = EDGE_LIMIT) -> "PanelCounter":
        units = units_of(types)
        U, Q, k = len(units), len(types.lower), types.k
        look = Lookahead(types, units)
        if any(look.last[q] < 0 and types.lower[q] > 0 for q in range(Q)):
            raise InfeasibleQuotas("a quota minimum is set for a value nobody in the pool has")
        active = [np.flatnonzero((look.first <= u) & (look.last > u)) for u in range(U)]  # open after unit u
        layers: list[dict[tuple, int]] = [{(0,): 0}]
        states_full = [np.zeros((1, Q), dtype=np.int64)]
        sizes_of = [np.zeros(1, dtype=np.int64)]
        edges = []
        total_states, total_edges = 1, 0
        for u, unit in enumerate(units):
            new_index: dict[tuple, int] = {}
            new_full, new_sizes, src, opt, dst = [], [], [], [], []
            for i, (seats, size) in enumerate(zip(states_full[-1], sizes_of[-1])):
                s2 = seats[None, :] + unit.deltas
                z2 = size + unit.sizes
                ok = look.ok(u, s2, z2)
                for o in np.flatnonzero(ok):
                    key = (int(z2[o]), *s2[o, active[u]].tolist())
                    j = new_index.get(key)
                    if j is None:
                        j = new_index[key] = len(new_index)
                        full = np.zeros(Q, dtype=np.int64)
                        full[active[u]] = s2[o, active[u]]
                        new_full.append(full)
                        new_sizes.append(int(z2[o]))
                    src.append(i)
                    opt.append(int(o))
                    dst.append(j)
            total_states += len(new_index)
            total_edges += len(src)
            if total_states > state_limit or total_edges > edge_limit:
                raise TooManyStates(f"more than {state_limit} states or {edge_limit} transitions")
            layers.append(new_index)
            states_full.append(np.array(new_full, dtype=np.int64).reshape(-1, Q))
            sizes_of.append(np.array(new_sizes, dtype=np.int64))
            edges.append((np.array(src, dtype=np.int64), np.array(opt, dtype=np.int64), np.array(dst, dtype=np.int64)))
        forward = [[1]]
        for u, unit in enumerate(units):
            nxt = [0] * len(layers[u + 1])
            for i, o, j in zip(*(e.tolist() for e in edges[u])):
                nxt[j] += forward[u][i] * unit.mults[o]
            forward.append(nxt)
        backward: list[list[int]] = [[1] * len(layers[U])]
        for u in range(U - 1, -1, -1):
            here = [0] * len(layers[u])
            for i, o, j in zip(*(e.tolist() for e in edges[u])):
                here[i] += units[u].mults[o] * backward[0][j]
            backward.insert(0, here)
        return PanelCounter(types, units, layers, forward, backward, edges)

    @property
    def count(self) -> int:
        """Number of quota-satisfying panels (sets of volunteers)."""
        return sum(self.forward[-1])

    @property
    def states(self) -> int:
        return sum(len(layer) for layer in self.layers)

    def expected_seats(self) -> list[Fraction]:
        """E[c_t] under the uniform distribution over valid panels, exactly."""
        total = self.count
        if total == 0:
            raise InfeasibleQuotas("no panel meets every quota")
        sums = [0] * self.types.size
        for u, unit in enumerate(self.units):
            for i, o, j in zip(*(e.tolist() for e in self.edges[u])):
                if unit.picks[o]:
                    ways = self.forward[u][i] * unit.mults[o] * self.backward[u + 1][j]
                    for t, c in unit.picks[o]:
                        sums[t] += ways * c
        return [Fraction(s, total) for s in sums]

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
    panels (of the start's connected class) is stationary."""

    def __init__(self, types: TypeSpace, start: np.ndarray):
        self.types = types
        self.start = np.asarray(start, dtype=np.int64)
        self.n = int(types.counts.sum())

    def run(self, comp: np.ndarray, steps: int, rng: np.random.Generator, record: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Run `steps` swaps from comp; returns (final composition, sum of compositions visited)."""
        types, k = self.types, self.types.k
        comp = comp.copy()
        seats = types.A @ comp
        total = np.zeros(types.size, dtype=np.float64)
        outs = rng.random((steps, 2))
        for step in range(steps):
            a = int(np.searchsorted(np.cumsum(comp), outs[step, 0] * k, side="right"))
            free = types.counts - comp
            b = int(np.searchsorted(np.cumsum(free), outs[step, 1] * (self.n - k), side="right"))
            if a != b and a < types.size and b < types.size:
                new_seats = seats - types.A[:, a] + types.A[:, b]
                if (new_seats >= types.lower).all() and (new_seats <= types.upper).all():
                    comp[a] -= 1
                    comp[b] += 1
                    if types.households and not types.is_valid(comp):
                        comp[a] += 1
                        comp[b] -= 1
                    else:
                        seats = new_seats
            if record:
                total += comp
        return comp, total


def _exact_uniform(types: TypeSpace, limit: int) -> tuple[Distribution, np.ndarray, int]:
    """Uniform over valid panels from enumerated compositions: p_c = prod_t binom(N_t, c_t) / #panels."""
    comps = valid_compositions(types, limit)
    if len(comps) == 0:
        raise InfeasibleQuotas("no panel meets every quota")
    weights = [math.prod(math.comb(int(n), int(c)) for n, c in zip(types.counts, row)) for row in comps]
    total = sum(weights)
    seats = [sum(w * int(row[t]) for w, row in zip(weights, comps)) for t in range(types.size)]
    marginals = np.array([float(Fraction(s, total * int(n))) for s, n in zip(seats, types.counts)])
    dist = Distribution(types, comps, np.array([w / total for w in weights]), info={"panels": total})
    return dist, marginals, total


def select(instance: Instance, *, seed: int, options: dict, progress: Progress = no_progress) -> SelectionResult:
    """Every quota-satisfying panel equally likely (the maximally random baseline).

    Options: "composition_limit" (explicit distribution up to this many compositions), "state_limit"
    (dynamic programme), "chain_steps" and "mixing_steps" (Markov chain when both are too large).
    """
    types = instance.types
    rng = np.random.default_rng(seed)
    limit = int(options.get("composition_limit", ENUMERATION_LIMIT))
    try:
        dist, type_marginals, total = _exact_uniform(types, limit)
        progress(f"{dist.support} compositions, {total} panels")
        return SelectionResult("uniform", type_marginals[types.of_volunteer], distribution=dist,
                               info={"exact": True, "method": "enumeration", "panels": total,
                                     "compositions": dist.support})
    except TooManyPanels:
        progress(f"more than {limit} compositions; counting by dynamic programming")
    try:
        counter = PanelCounter.build(types, int(options.get("state_limit", STATE_LIMIT)))
        if counter.count == 0:
            raise InfeasibleQuotas("no panel meets every quota")

        def exact_sampler(r: np.random.Generator) -> list[int]:
            comp = counter.sample_composition(r)
            if not types.is_valid(comp):
                raise SolverError(f"internal error: sampled panel breaks the quotas: {types.violations(comp)}")
            return types.expand(comp, r)

        return SelectionResult("uniform", counter.type_marginals()[types.of_volunteer], sampler=exact_sampler,
                               info={"exact": True, "method": "dynamic programming", "panels": counter.count,
                                     "states": counter.states})
    except TooManyStates:
        progress("too many states; estimating with a Markov chain")
    start = PanelModel(types).best(rng.random(types.size)).composition
    chain = SwapChain(types, start)
    mixing = int(options.get("mixing_steps", 20 * types.k + 2000))
    steps = int(options.get("chain_steps", 100_000))
    current, _ = chain.run(start, mixing, rng)
    _, visited = chain.run(current, steps, rng, record=True)
    estimate = visited / steps / types.counts

    def chain_sampler(r: np.random.Generator) -> list[int]:
        comp, _ = chain.run(chain.start, mixing, r)
        if not types.is_valid(comp):
            raise SolverError(f"internal error: sampled panel breaks the quotas: {types.violations(comp)}")
        return types.expand(comp, r)

    count = estimate_count(types, seed=seed)
    return SelectionResult("uniform", estimate[types.of_volunteer], sampler=chain_sampler,
                           info={"exact": False, "method": "markov chain", "chain_steps": steps,
                                 "mixing_steps": mixing, "panels_estimate": count.count,
                                 "panels_log10": count.log10, "panels_standard_error": count.standard_error})
