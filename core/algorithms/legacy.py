"""The Sortition Foundation's old greedy method ("legacy"), the baseline every fair algorithm is compared with.

One run fills the k seats one at a time:
  1. among values with volunteers left in the pool, take the one with the largest
     (min_q - selected_q) / remaining_q   (first in quota order on ties);
  2. pick a uniformly random remaining volunteer with that value;
  3. drop from the pool every volunteer having a value that reached its max (and, with
     households, everyone sharing the chosen volunteer's address).
A run fails when some min can no longer be met (fewer volunteers left than seats still
needed) or the pool runs dry; the method then starts again from scratch, at most `retries` times.

Members of a type are exchangeable in this process, so a run is simulated over remaining
counts per type: pick type t with probability r_t / sum of r over types having the value,
then a uniform member of t. Many runs are simulated at once as rows of arrays.

The method has no closed-form selection probabilities; `select` estimates them by Monte Carlo:
    pi_t ~ (sum over runs of seats of type t) / (runs * N_t),
unbiased because members of a type are selected with equal probability.
"""

from __future__ import annotations

from functools import cache
from math import ceil

import numpy as np

from ..analysis.feasibility import require_feasible
from ..distribution import Distribution
from ..errors import SolverError, SortitionError
from ..model import Instance, TypeSpace
from ..selection import Progress, SelectionResult, no_progress

DEFAULT_DRAWS = 10_000
DEFAULT_RETRIES = 100
Z_95 = 1.959963984540054
REJECTION_ROUNDS = 8  # rounds of rejection sampling before a run's draw falls back to the whole row
CELLS_PER_BATCH = 2_000_000  # runs x types simulated at once; bounds memory with per-person types


class LegacyFailed(SortitionError):
    """The greedy method missed a min on every one of its attempts.

    An answer about the quotas (too tight for this greedy method), not an internal error: the CLI
    exits with status 2 and the app shows the message as a quota problem (`about_the_quotas`)."""

    about_the_quotas = True


class LegacyProcess:
    """The greedy process over type counts, for a batch of independent runs at once (one row each).

    Counts are kept as floats (exact for integers below 2^53) so that matrix products use BLAS.
    A run that fails has its row emptied and is carried along, doing nothing, to the end.
    """

    def __init__(self, types: TypeSpace):
        self.types = types
        self.A = types.A.astype(float)  # Q x T
        self.AT = np.ascontiguousarray(self.A.T)  # T x Q
        self.lower = types.lower.astype(float)
        self.upper = types.upper.astype(float)
        # the original pool's volunteers grouped by value, as their types: value q's are
        # _volunteer_type[_value_offset[q] : _value_offset[q] + _value_size[q]]
        self._counts = types.counts.astype(float)
        members = [np.repeat(np.flatnonzero(row), types.counts[np.flatnonzero(row)]) for row in types.A]
        self._value_size = np.array([len(m) for m in members], dtype=np.int64)
        self._value_offset = np.r_[0, np.cumsum(self._value_size)[:-1]].astype(np.int64)
        self._volunteer_type = np.concatenate(members).astype(np.int64) if members else np.zeros(0, dtype=np.int64)
        # housemates[t]: the types (each one volunteer) sharing t's address, padded with t itself;
        # used only for types in a household (`in_household`): other types keep their other members
        self.housemates = None
        self.in_household = np.zeros(types.size, dtype=bool)
        if types.households:
            width = max(len(group) for group in types.households)
            self.housemates = np.repeat(np.arange(types.size)[:, None], width, axis=1)
            for group in types.households:
                self.housemates[group, : len(group)] = group
                self.in_household[group] = True

    def run(self, runs: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """`runs` independent attempts: their compositions (runs x T) and which succeeded.

        Only the runs still alive are carried from step to step (a run that fails is dropped at
        once), and each step's draw looks only at the types having the value served."""
        T, k = self.types.size, self.types.k
        ids = np.arange(runs)  # the attempts still alive, as rows of `composition`
        remaining = np.tile(self.types.counts.astype(float), (runs, 1))
        composition = np.zeros((runs, T), dtype=np.int64)
        selected = np.zeros((runs, len(self.lower)))
        # values whose max is already reached (max = 0) are out of the pool from the start
        full = selected >= self.upper
        remaining[:, (full[0] @ self.A) > 0] = 0
        left = remaining @ self.AT  # runs x Q: volunteers left with each value
        for _ in range(k):
            need = self.lower - selected
            value = serving_priority(need, left).argmax(axis=1)  # argmax takes the first of equal ratios
            # a min can no longer be met, or the pool ran dry: the attempt has failed
            dying = (need > left).any(axis=1) | (left[np.arange(len(ids)), value] <= 0)
            if dying.any():
                keep = ~dying
                ids, remaining, selected, left, full, value = (
                    ids[keep], remaining[keep], selected[keep], left[keep], full[keep], value[keep])
                if len(ids) == 0:
                    break
            rows = np.arange(len(ids))
            chosen = self._pick_with_value(remaining, value, rng)
            remaining[rows, chosen] -= 1
            composition[ids, chosen] += 1
            gained = self.AT[chosen]
            selected += gained
            left -= gained
            if self.housemates is not None:
                home = rows[self.in_household[chosen]]  # runs whose chosen volunteer has housemates
                mates = self.housemates[chosen[home]]  # those runs x width
                gone = remaining[home[:, None], mates]
                left[home] -= np.einsum("rw,rwq->rq", gone, self.AT[mates])
                remaining[home[:, None], mates] = 0
            now_full = selected >= self.upper
            newly = np.flatnonzero((now_full & ~full).any(axis=1))
            if len(newly):
                # drop everyone having a value that just reached its max, and recount those runs
                blocked = (now_full[newly].astype(float) @ self.A) > 0
                remaining[newly] *= ~blocked
                left[newly] = remaining[newly] @ self.AT
            full = now_full
        success = np.zeros(runs, dtype=bool)
        success[ids] = (selected >= self.lower).all(axis=1) & (composition[ids].sum(axis=1) == k)
        return composition, success

    def _pick_with_value(self, remaining: np.ndarray, value: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """For every run, a type drawn with probability r_t / (sum of r over the types having the run's
        value), by rejection: draw one of the value's N volunteers of the original pool uniformly (its
        type t with probability N_t / N) and keep it with probability r_t / N_t (a member of t still
        in the pool), so a kept draw is t with probability proportional to r_t. Each round costs
        O(runs), not O(runs x types); runs still without a type after REJECTION_ROUNDS rounds draw
        from the whole row (`pick_proportional`), which has the same distribution."""
        chosen = np.full(len(value), -1, dtype=np.int64)
        open_rows = np.arange(len(value))
        for _ in range(REJECTION_ROUNDS):
            v = value[open_rows]
            slot = self._value_offset[v] + np.floor(rng.random(len(open_rows)) * self._value_size[v]).astype(np.int64)
            t = self._volunteer_type[slot]
            kept = np.floor(rng.random(len(open_rows)) * self._counts[t]) < remaining[open_rows, t]
            chosen[open_rows[kept]] = t[kept]
            open_rows = open_rows[~kept]
            if len(open_rows) == 0:
                return chosen
        weights = remaining[open_rows] * self.A[value[open_rows]]
        chosen[open_rows] = pick_proportional(weights, rng)
        return chosen

    def attempt_until_success(self, runs: int, rng: np.random.Generator,
                              retries: int) -> tuple[np.ndarray, int]:
        """`runs` successful compositions, each retried from scratch up to `retries` attempts;
        also the number of failed attempts."""
        done: list[np.ndarray] = []
        pending, failures = runs, 0
        for _ in range(retries):
            composition, success = self.run(pending, rng)
            done.append(composition[success])
            failures += int((~success).sum())
            pending -= int(success.sum())
            if pending == 0:
                return np.concatenate(done), failures
        raise LegacyFailed(
            f"the legacy method missed a quota minimum on {retries} attempts in a row "
            f"({failures} failed attempts in all). Its greedy choices cannot meet these quotas reliably: "
            "loosen the tightest minimums or use a fair algorithm such as maximin.")


def serving_priority(need: np.ndarray, left: np.ndarray) -> np.ndarray:
    """The greedy's priority of each value: (min - selected) / (volunteers left with the value), and
    -inf for values nobody left has. The value served next is the first of largest priority."""
    return np.where(left > 0, need / np.maximum(left, 1), -np.inf)


def pick_proportional(weights: np.ndarray, rng: np.random.Generator, block: int = 48) -> np.ndarray:
    """For every row of non-negative integer weights, a column drawn with probability weight / row sum
    (column 0 for an all-zero row). Wide rows are searched block by block: a cumulative sum over
    block totals, then over the chosen block, which is far cheaper than one over the whole row."""
    runs, width = weights.shape
    rows = np.arange(runs)
    if width <= 2 * block:
        cumulative = np.cumsum(weights, axis=1)
        ticket = np.floor(rng.random(runs) * cumulative[:, -1])
        return np.minimum((cumulative <= ticket[:, None]).sum(axis=1), width - 1)
    blocks = -(-width // block)
    padded = np.zeros((runs, blocks * block))
    padded[:, :width] = weights
    padded = padded.reshape(runs, blocks, block)
    totals = padded.sum(axis=2)
    cumulative = np.cumsum(totals, axis=1)
    ticket = np.floor(rng.random(runs) * cumulative[:, -1])
    b = np.minimum((cumulative <= ticket[:, None]).sum(axis=1), blocks - 1)
    ticket -= cumulative[rows, b] - totals[rows, b]
    inside = np.cumsum(padded[rows, b], axis=1)
    j = np.minimum((inside <= ticket[:, None]).sum(axis=1), block - 1)
    return np.minimum(b * block + j, width - 1)


def verify_compositions(types: TypeSpace, compositions: np.ndarray) -> None:
    """Raise unless every composition (a row) is a panel meeting every quota."""
    seats = compositions.astype(float) @ types.A.T.astype(float)  # float: BLAS (exact below 2^53)
    bad = ((compositions.sum(axis=1) != types.k)
           | (compositions < 0).any(axis=1) | (compositions > types.counts).any(axis=1)
           | (seats < types.lower).any(axis=1) | (seats > types.upper).any(axis=1))
    for group in types.households:
        bad |= compositions[:, group].sum(axis=1) > 1
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise SolverError(f"internal error: a legacy panel breaks the quotas: {types.violations(compositions[j])}")


def select(instance: Instance, *, seed: int, options: dict, progress: Progress = no_progress) -> SelectionResult:
    """Monte Carlo estimate of the legacy method's selection probabilities, and a sampler of its panels.

    Options: `draws` (runs of the method, default 10,000), `retries` (attempts per panel, default 100).
    info: `ci_low`/`ci_high` (per volunteer 95% confidence interval), `standard_error`, `draws`,
    `failed_attempts`, `failure_rate`.
    """
    draws = _positive_int(options.get("draws", DEFAULT_DRAWS), "draws")
    retries = _positive_int(options.get("retries", DEFAULT_RETRIES), "retries")
    require_feasible(instance)
    types = instance.types
    process = LegacyProcess(types)
    rng = np.random.default_rng(seed)

    batch = max(1, min(ceil(draws / 10), CELLS_PER_BATCH // max(1, types.size + len(types.lower))))
    seat_sum = np.zeros(types.size)
    seat_sq_sum = np.zeros(types.size)
    done = failures = 0
    while done < draws:
        size = min(batch, draws - done)
        compositions, failed = process.attempt_until_success(size, rng, retries)
        verify_compositions(types, compositions)
        share = compositions / types.counts  # each run's selection frequency within each type
        seat_sum += share.sum(axis=0)
        seat_sq_sum += (share ** 2).sum(axis=0)
        done += size
        failures += failed
        progress(f"legacy: {done:,} of {draws:,} draws ({failures:,} failed attempts retried)")

    type_p = seat_sum / draws
    variance = np.maximum(seat_sq_sum / draws - type_p ** 2, 0.0) * draws / max(draws - 1, 1)
    se = np.sqrt(variance / draws)
    low = np.clip(type_p - Z_95 * se, 0.0, 1.0)
    high = np.clip(type_p + Z_95 * se, 0.0, 1.0)
    # a type never selected: 3/(draws * N_t) is the usual 95% upper bound for zero events
    never = seat_sum == 0
    high[never] = np.minimum(1.0, 3.0 / (draws * types.counts[never]))

    def sampler(generator: np.random.Generator) -> list[int]:
        composition = process.attempt_until_success(1, generator, retries)[0]
        verify_compositions(types, composition)
        panel = types.expand(composition[0], generator)
        problems = types.violations(types.composition_of(panel))
        if problems:
            raise SolverError(f"internal error: a legacy panel breaks the quotas: {problems}")
        return panel

    volunteer = types.of_volunteer
    return SelectionResult(
        algorithm="legacy",
        marginals=type_p[volunteer],
        sampler=sampler,
        info={
            "draws": draws,
            "failed_attempts": failures,
            "failure_rate": failures / (failures + draws),
            "ci_low": low[volunteer],
            "ci_high": high[volunteer],
            "standard_error": se[volunteer],
        },
    )


def _positive_int(value: object, name: str) -> int:
    """An option that must be a whole number >= 1 (given as a number or as text)."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
        raise ValueError(f"legacy option '{name}' must be a positive whole number, not {value!r}")
    return int(text)


# ---------------------------------------------------------------------------------------------
# Exact probabilities for tiny pools: exhaustive recursion over every random choice of the greedy.

def exact_legacy_distribution(instance: Instance, max_states: int = 200_000) -> tuple[Distribution, float]:
    """The exact distribution of the legacy method's panels (type compositions, conditioned on a
    successful run, as retrying until success does) and the probability that one run succeeds.

    Recursion over states (remaining per type, seats per quota):
        P(final composition = c | state) = sum_t P(pick t | state) P(c - e_t | next state).
    Tiny pools only: raises ValueError beyond `max_states` states.
    """
    types = instance.types
    A, lower, upper, k = types.A, types.lower, types.upper, types.k
    T = types.size
    process = LegacyProcess(types)
    housemates, in_household = process.housemates, process.in_household

    def drop_full(remaining: np.ndarray, selected: np.ndarray) -> None:
        blocked = (A[selected >= upper].sum(axis=0)) > 0
        remaining[blocked] = 0

    @cache
    def outcomes(remaining_key: tuple[int, ...], selected_key: tuple[int, ...], placed: int) -> dict:
        if outcomes.cache_info().currsize > max_states:
            raise ValueError(f"more than {max_states} states: the pool is too large for exact legacy probabilities")
        remaining = np.array(remaining_key)
        selected = np.array(selected_key)
        if placed == k:
            return {(0,) * T: 1.0} if (selected >= lower).all() else {}
        left = A @ remaining
        need = lower - selected
        if (need > left).any() or not (left > 0).any():
            return {}
        value = int(serving_priority(need, left).argmax())
        candidates = np.flatnonzero(A[value] * remaining)
        total = float(remaining[candidates].sum())
        result: dict = {}
        for t in candidates:
            after = remaining.copy()
            after[t] -= 1
            seats = selected + A[:, t]
            drop_full(after, seats)
            if housemates is not None and in_household[t]:
                after[housemates[t]] = 0
            for rest, p in outcomes(tuple(after.tolist()), tuple(seats.tolist()), placed + 1).items():
                key = list(rest)
                key[t] += 1
                key = tuple(key)
                result[key] = result.get(key, 0.0) + p * remaining[t] / total
        return result

    start = types.counts.astype(np.int64).copy()
    drop_full(start, np.zeros(len(lower), dtype=np.int64))
    final = outcomes(tuple(start.tolist()), (0,) * len(lower), 0)
    success = sum(final.values())
    if success <= 0:
        raise LegacyFailed("the legacy method can never meet these quotas: every run misses a minimum")
    compositions = np.array(list(final.keys()), dtype=np.int64)
    probabilities = np.array(list(final.values())) / success
    distribution = Distribution(types, compositions, probabilities, info={"success_probability": success})
    distribution.verify()
    return distribution, success


def exact_legacy_marginals(instance: Instance, max_states: int = 200_000) -> np.ndarray:
    """Each volunteer's exact selection probability under the legacy method (tiny pools only)."""
    distribution, _ = exact_legacy_distribution(instance, max_states)
    return distribution.marginals()
