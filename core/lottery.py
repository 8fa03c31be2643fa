"""The lottery: drawing a panel from a distribution, transparently, verifiably and replayably.

Transparent lottery (Flanigan, Kehne, Procaccia, "Fair sortition made transparent", NeurIPS 2021):
a distribution over panels becomes M tickets, each a concrete panel, and the draw is a uniform
number from 1 to M. Composition j of probability p_j gets m_j tickets, m_j in {floor(M p_j),
ceil(M p_j)}, sum m_j = M, chosen (seeded systematic rounding, then an exchange local search with
exact evaluation; optionally a time-limited integer program) to make small
    max_t | sum_j m_j c_jt / (M N_t) - pi_t |        (pi_t: exact type probability),
then the seats of type t are dealt round-robin over a seeded permutation of its N_t members, so each
member sits on floor(S_t/N_t) or ceil(S_t/N_t) tickets, S_t = sum_j m_j c_jt. A volunteer's lottery
probability (tickets holding them / M) is therefore within (type deviation + 1/M) of the exact one.

Memory: a lottery keeps, per ticket, the index of its composition and its k members (one int32
M x k array, 4·M·k bytes), never an M x T matrix or Python tuples; M·k is capped at
MAX_TICKET_SEATS (8 MB of members), so the app's largest lottery stays small on any pool.

Verifiable draw: the seed may come from numbers of a public draw,
    seed = first 8 bytes, big-endian, of SHA-256("n1,n2,...,nr")   (integers in decimal, no spaces),
the ticket for a seed is `numpy.random.default_rng(seed).integers(1, M + 1)`, and a commitment
(SHA-256 of the instance fingerprint, algorithm, options and ticket table) is published before.
The audit record, the commitment and the replay check are in core/audit/record.py; the tables of
tickets and volunteers for download in core/io/result_tables.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import mip
import numpy as np

from .distribution import Distribution
from .errors import InputError, Problem, SolverError
from .model import TypeSpace
from .selection import SelectionResult

DEFAULT_TICKETS = 1000
MAX_TICKET_SEATS = 2_000_000  # M x k at most: the members array then holds 8 MB
# Seconds for the optional rounding integer program after the exchange search; 0 (default) skips it.
# The exchange search is bounded by counts, not by the clock, so the ticket table depends only on the
# distribution, M and the seed (replay rebuilds it); a time-limited IP would make it machine-dependent.
ROUNDING_TIME_LIMIT = 0.0
EXCHANGE_ROUNDS = 500  # exchanges at most
PAIR_BUDGET = 1_000_000  # deviations evaluated per exchange round
SEED_RULE = "SHA-256 of the numbers written in decimal, joined by ',' without spaces; first 8 bytes big-endian"
TICKET_RULE = "ticket = numpy.random.default_rng(seed).integers(1, M + 1)"


# --------------------------------------------------------------------------------------------
# Transparent lottery
# --------------------------------------------------------------------------------------------


@dataclass
class TransparentLottery:
    """M tickets, ticket number m (1..M) being the panel `ticket_members[m - 1]` (sorted pool rows)."""

    distribution: Distribution
    M: int
    seed: int
    tickets_per_composition: np.ndarray  # P: m_j, summing to M
    ticket_composition_index: np.ndarray  # M: row of distribution.compositions each ticket has
    ticket_members: np.ndarray  # M x k int32: the volunteers of each ticket, sorted pool rows
    exact_marginals: np.ndarray  # n: the distribution's selection probabilities
    lottery_marginals: np.ndarray  # n: tickets holding the volunteer / M
    info: dict = field(default_factory=dict)

    @property
    def ticket_compositions(self) -> np.ndarray:
        """M x T: the composition of each ticket (built on demand: M·T numbers)."""
        return self.distribution.compositions[self.ticket_composition_index]

    @property
    def tickets(self) -> list[tuple[int, ...]]:
        """The M panels as tuples of sorted pool rows (built on demand from ticket_members)."""
        return [tuple(panel) for panel in self.ticket_members.tolist()]

    @property
    def deviations(self) -> np.ndarray:
        """lottery - exact selection probability, per volunteer."""
        return self.lottery_marginals - self.exact_marginals

    @property
    def max_deviation(self) -> float:
        """Largest |lottery - exact| selection probability over the pool."""
        return float(np.abs(self.deviations).max())

    @property
    def max_relative_deviation(self) -> float:
        """max_deviation as a fraction of k/n (the average selection probability)."""
        types = self.distribution.types
        return self.max_deviation / (types.k / len(types.of_volunteer))

    def draw_ticket(self, number: int) -> list[int]:
        """The panel of ticket `number` (1..M)."""
        if not 1 <= int(number) <= self.M:
            raise ValueError(f"ticket numbers run from 1 to {self.M}, not {number}")
        return self.ticket_members[int(number) - 1].tolist()

    def ticket_for_seed(self, seed: int) -> int:
        """The ticket a seed draws: default_rng(seed).integers(1, M + 1)."""
        return ticket_for_seed(seed, self.M)

    def draw(self, seed: int) -> tuple[int, list[int]]:
        """(ticket number, panel) drawn with `seed`; the same seed always gives the same ticket."""
        number = self.ticket_for_seed(seed)
        return number, self.draw_ticket(number)


def max_tickets(k: int) -> int:
    """The most tickets a lottery of panels of k may have: M x k <= MAX_TICKET_SEATS."""
    return max(1, MAX_TICKET_SEATS // max(int(k), 1))


def ticket_for_seed(seed: int, M: int) -> int:
    """Uniform ticket number in 1..M from a seed (documented in TICKET_RULE)."""
    return int(np.random.default_rng(seed).integers(1, M + 1))


def _as_distribution(source: Distribution | SelectionResult) -> Distribution:
    if isinstance(source, Distribution):
        return source
    if source.distribution is None:
        raise SolverError(f"{source.algorithm} gives no distribution over panels to make a lottery of")
    return source.distribution


def _systematic_rounding(probabilities: np.ndarray, M: int, rng: np.random.Generator) -> np.ndarray:
    """Dependent rounding: m_j in {floor, ceil}(M p_j), sum M, E[m_j] = M p_j (one uniform offset)."""
    cumulative = np.concatenate([[0.0], np.cumsum(probabilities) * M])
    cumulative[-1] = M
    offset = rng.random()
    points = np.floor(cumulative - offset)  # number of points offset + i (i >= 0) below each cut
    return np.diff(points).astype(np.int64)


def _type_deviation(dist: Distribution, counts: np.ndarray, M: int) -> float:
    """max_t |sum_j m_j c_jt / (M N_t) - pi_t|."""
    seats = counts @ dist.compositions
    return float(np.abs(seats / (M * dist.types.counts) - dist.type_probabilities()).max())


def _exchange_search(D: np.ndarray, W: np.ndarray, x: np.ndarray, rounds: int = EXCHANGE_ROUNDS) -> tuple[np.ndarray, np.ndarray]:
    """Local search over the round-ups x (boolean over candidates; their number stays fixed).

    D: type deviations of x, W[j]: change of D when candidate j rounds up. One round evaluates the
    exchanges "j rounds down, i rounds up" (D' = D - W[j] + W[i]) exactly and applies the best by
    (max |D'|, sum D'^2), lexicographically, if it improves on D; that pair strictly decreases, so
    the search ends. With many candidates only the exchanges most relevant to the worst type are
    evaluated (at most PAIR_BUDGET numbers per round). Returns (x, D)."""
    x, D = x.copy(), D.copy()
    T = W.shape[1]
    side = max(2, int(np.sqrt(PAIR_BUDGET / max(T, 1))))
    for _ in range(rounds):
        ones, zeros = np.flatnonzero(x), np.flatnonzero(~x)
        if len(ones) == 0 or len(zeros) == 0:
            break
        worst, square = np.abs(D).max(), float(D @ D)
        t = int(np.abs(D).argmax())
        sign = 1.0 if D[t] > 0 else -1.0
        if len(ones) > side:  # rounding these down moves the worst type the right way most
            ones = ones[np.argsort(-sign * W[ones, t], kind="stable")[:side]]
        if len(zeros) > side:
            zeros = zeros[np.argsort(sign * W[zeros, t], kind="stable")[:side]]
        new = D[None, None, :] - W[ones][:, None, :] + W[zeros][None, :, :]
        new_max, new_square = np.abs(new).max(axis=2), (new * new).sum(axis=2)
        better = (new_max < worst * (1 - 1e-12)) | ((new_max <= worst * (1 + 1e-12)) & (new_square < square * (1 - 1e-12)))
        if not better.any():
            break
        rows, cols = np.nonzero(better)
        best = np.lexsort((new_square[rows, cols], new_max[rows, cols]))[0]
        j, i = ones[rows[best]], zeros[cols[best]]
        x[j], x[i] = False, True
        D = new[rows[best], cols[best]]
    return x, D


def round_to_tickets(dist: Distribution, M: int, rng: np.random.Generator,
                     time_limit: float = ROUNDING_TIME_LIMIT) -> tuple[np.ndarray, dict]:
    """Ticket counts m_j (sum M) minimising the largest type-probability deviation.

    m_j = floor(M p_j) + x_j, x_j in {0, 1} for the R = M - sum floor(M p_j) round-ups, and
        D_t(x) = sum_j m_j c_jt / (M N_t) - pi_t,   minimise max_t |D_t(x)|.
    (The LP relaxation is useless here: x_j = frac(M p_j) is feasible with deviation 0.)
    1. the seeded systematic rounding and "round up the R largest fractional parts" are two starts;
    2. an exchange local search (exact evaluation, see _exchange_search) improves both; 3. the
    integer program gets `time_limit` seconds (0, the default: skipped; see ROUNDING_TIME_LIMIT),
    starting from the best x, and replaces it only when it finds a better one. The result is never worse than the systematic one.
    """
    p, C, N = dist.probabilities, dist.compositions, dist.types.counts
    pi = dist.type_probabilities()
    fallback = _systematic_rounding(p, M, rng)
    fallback_dev = _type_deviation(dist, fallback, M)
    floor = np.floor(M * p + 1e-9).astype(np.int64)
    remaining = M - int(floor.sum())
    candidates = np.flatnonzero(M * p - floor > 1e-9)
    if remaining < 0 or remaining > len(candidates):
        return fallback, {"rounding": "systematic", "type_deviation": fallback_dev}
    if remaining == 0:
        return floor, {"rounding": "exact", "type_deviation": _type_deviation(dist, floor, M)}
    scale = float(M) * N  # D_t = (seats_t - M N_t pi_t) / (M N_t)
    D0 = (floor @ C) / scale - pi
    W = C[candidates] / scale[None, :]
    starts = []
    extra = fallback - floor
    if set(np.unique(extra[candidates]).tolist()) <= {0, 1} and extra.sum() == remaining and not np.delete(extra, candidates).any():
        starts.append(extra[candidates].astype(bool))
    x = np.zeros(len(candidates), dtype=bool)
    x[np.argsort(-(M * p[candidates] - floor[candidates]), kind="stable")[:remaining]] = True
    starts.append(x)
    best_x, best_dev = None, np.inf
    for x in starts:
        x, D = _exchange_search(D0 + W[x].sum(axis=0), W, x)
        if np.abs(D).max() < best_dev:
            best_x, best_dev = x, float(np.abs(D).max())
    kind = "exchange search"
    if time_limit > 0:
        ip = _integer_program(D0, W, remaining, best_x, time_limit)
        if ip is not None:
            x, optimal = ip
            dev = float(np.abs(D0 + W[x].sum(axis=0)).max())
            if dev < best_dev - 1e-15 or (optimal and dev <= best_dev + 1e-15):
                best_x, best_dev = x, dev
                kind = "integer program (optimal)" if optimal else "integer program (time limit)"
    info = {"exchange_search_deviation": best_dev}
    if best_x is not None:
        counts = floor.copy()
        counts[candidates[best_x]] += 1
        dev = _type_deviation(dist, counts, M)
        if counts.sum() == M and dev <= fallback_dev + 1e-15:
            return counts, {"rounding": kind, "type_deviation": dev, **info}
    return fallback, {"rounding": "systematic", "type_deviation": fallback_dev, **info}


def _integer_program(D0: np.ndarray, W: np.ndarray, remaining: int, start: np.ndarray | None,
                     time_limit: float) -> tuple[np.ndarray, bool] | None:
    """The exact rounding IP (HiGHS via python-mip) for `time_limit` seconds from `start`:
    min z s.t. -z <= D0_t + sum_j W_jt x_j <= z, sum x = remaining, x binary. Returns (x, optimal)."""
    J, T = W.shape
    model = mip.Model(sense=mip.MINIMIZE, solver_name="HIGHS")
    model.verbose = 0
    model.threads = 1
    x = [model.add_var(var_type=mip.BINARY) for _ in range(J)]
    z = model.add_var(lb=0.0)
    model += mip.xsum(x) == remaining
    for t in range(T):
        used = np.flatnonzero(W[:, t])
        expr = mip.xsum(float(W[j, t]) * x[j] for j in used) + float(D0[t])
        model += expr <= z
        model += -1 * expr <= z
    model.objective = mip.minimize(z)
    if start is not None:
        model.start = [(x[j], 1.0) for j in np.flatnonzero(start)] + [(z, float(np.abs(D0 + W[start].sum(axis=0)).max()))]
    status = model.optimize(max_seconds=time_limit)
    if status not in (mip.OptimizationStatus.OPTIMAL, mip.OptimizationStatus.FEASIBLE):
        return None
    chosen = np.array([v.x is not None and v.x > 0.5 for v in x], dtype=bool)
    if chosen.sum() != remaining:
        return None
    return chosen, status == mip.OptimizationStatus.OPTIMAL


def deal_round_robin(types: TypeSpace, compositions: np.ndarray, ticket_composition_index: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
    """Turn tickets (ticket i has composition compositions[ticket_composition_index[i]]) into panels:
    each type's seats go round-robin over a seeded permutation of its members, so members of a type
    sit on equally many tickets (+-1). Returns the M x k int32 array of members, sorted per ticket.

    The s-th seat of type t (counting over the tickets in order, from 0) goes to member
    permutation_t[s mod N_t]; no member sits twice on a ticket since c_jt <= N_t."""
    permutations = [rng.permutation(m) for m in types.members]
    M = len(ticket_composition_index)
    ticket_parts, member_parts = [], []
    for t in np.flatnonzero(compositions.sum(axis=0)):
        seats = compositions[ticket_composition_index, t]  # M numbers, one type at a time
        if not seats.any():
            continue
        ticket_parts.append(np.repeat(np.arange(M, dtype=np.int32), seats))
        member_parts.append(permutations[t][np.arange(int(seats.sum())) % len(permutations[t])].astype(np.int32))
    if not ticket_parts:
        return np.zeros((M, 0), dtype=np.int32)
    ticket, member = np.concatenate(ticket_parts), np.concatenate(member_parts)
    order = np.lexsort((member, ticket))
    if len(order) != M * types.k:
        raise SolverError("internal error: the tickets do not hold k seats each")
    return member[order].reshape(M, types.k)


def verify_tickets(types: TypeSpace, tickets: Iterable[Sequence[int]], compositions: Iterable[np.ndarray]) -> None:
    """Raise unless every ticket is k distinct volunteers meeting every quota, as its composition says."""
    for number, (panel, comp) in enumerate(zip(tickets, compositions), start=1):
        if len(set(panel)) != types.k or len(panel) != types.k:
            raise SolverError(f"internal error: ticket {number} does not hold {types.k} distinct volunteers")
        actual = types.composition_of(list(panel))
        if not np.array_equal(actual, comp):
            raise SolverError(f"internal error: ticket {number} does not have its composition")
        problems = types.violations(actual)
        if problems:
            raise SolverError(f"internal error: ticket {number} breaks the quotas: {problems}")


def transparent_lottery(source: Distribution | SelectionResult, M: int = DEFAULT_TICKETS, seed: int = 0,
                        time_limit: float = ROUNDING_TIME_LIMIT) -> TransparentLottery:
    """Round a distribution to a uniform lottery over M concrete panels (tickets 1..M).

    The seed fixes the fallback rounding and the permutations members are dealt in, so the same
    distribution, M and seed give the same ticket table.
    """
    if int(M) < 1:
        raise ValueError("a lottery needs at least one ticket")
    dist = _as_distribution(source)
    k = dist.types.k
    if int(M) > max_tickets(k):
        raise InputError([Problem(
            f"{int(M):,} tickets of {k} seats hold {int(M) * k:,} ticket seats, more than the "
            f"{MAX_TICKET_SEATS:,} a lottery may hold (the ticket table must fit in memory)",
            f"Use at most {max_tickets(k):,} tickets for a panel of {k}.")])
    dist.verify()
    M = int(M)
    rng = np.random.default_rng(seed)
    counts, info = round_to_tickets(dist, M, rng, time_limit)
    order = np.repeat(np.arange(len(counts)), counts)
    members = deal_round_robin(dist.types, dist.compositions, order, rng)
    verify_tickets(dist.types, members, (dist.compositions[j] for j in order))
    n = len(dist.types.of_volunteer)
    held = np.bincount(members.ravel(), minlength=n)
    return TransparentLottery(
        distribution=dist,
        M=M,
        seed=int(seed),
        tickets_per_composition=counts,
        ticket_composition_index=order,
        ticket_members=members,
        exact_marginals=dist.marginals(),
        lottery_marginals=held / M,
        info=info,
    )


# --------------------------------------------------------------------------------------------
# Seeded draws
# --------------------------------------------------------------------------------------------


def draw_panel(source: SelectionResult | Distribution, seed: int) -> list[int]:
    """One panel drawn with `seed` (numpy default_rng); the same seed and inputs give the same panel."""
    if isinstance(source, Distribution):
        return source.draw_many(1, seed)[0]
    return source.draw(1, seed)[0]


def seed_from_public_numbers(numbers: Iterable[int | str]) -> int:
    """Seed from numbers of a public draw: SHA-256 of "n1,n2,..." (decimal integers), first 8 bytes
    read big-endian. Leading zeros and spaces are ignored, order matters."""
    canonical: list[str] = []
    problems: list[Problem] = []
    for position, raw in enumerate(numbers, start=1):
        text = str(raw).strip()
        try:
            canonical.append(str(int(text)))
        except ValueError:
            problems.append(Problem(f"public number {position} ('{text}') is not a whole number",
                                    "Type the numbers exactly as published, one whole number each."))
    if not canonical and not problems:
        problems.append(Problem("no public numbers given.", "Type at least one number from the public draw."))
    if problems:
        raise InputError(problems)
    digest = hashlib.sha256(",".join(canonical).encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big")
