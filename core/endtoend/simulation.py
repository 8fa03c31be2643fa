"""Population -> letters -> pool -> panel: each population type's end-to-end chance of a seat.

A population model is a set of population types u (distinct value combinations) with M_u people
each (N in all) and participation q_u. Letters go to r people drawn uniformly at random (with
replacement: for N much larger than r the same as without); each joins with probability q_u. So a
pool is one multinomial draw of type counts
    (n_u)_u ~ Multinomial(r; M_u q_u / N, ..., 1 - sum_u M_u q_u / N  [did not join]).
A selection algorithm then gives each pool member a marginal; by symmetry inside a type, a given
person of type u reaches the panel with probability E[seats_u] / M_u, seats_u = sum of the marginals
of the pool's type-u members. We average seats_u over many pools (a Rao-Blackwellised estimate)
and compare with k/N, the chance under a uniform lottery over the whole population.

For endtoend, Phase I's marginals are closed-form given the pool's counts (pi_u = min(1, s a_u),
a_u = 1/q_u; core.endtoend.phase_one.capped_marginals), so many pools are handled at once. The
other algorithms run through core.selection.run, one pool at a time, on the same pools (the pool
stream depends on the seed only).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError, SortitionError
from ..model import Instance, Quota
from ..selection import Progress, no_progress, run
from .phase_one import CAP_TOLERANCE, capped_marginals

WITHIN = 0.10  # the paper's yardstick: end-to-end probability within +-10% of k/N


@dataclass
class PopulationModel:
    """Population types: value codes (U x C, index into values[category]), sizes M_u, participation q_u."""

    categories: list[str]
    values: dict[str, list[str]]
    codes: np.ndarray
    sizes: np.ndarray
    q: np.ndarray

    @property
    def size(self) -> float:
        """N, the number of people."""
        return float(self.sizes.sum())

    @property
    def types(self) -> int:
        return len(self.sizes)

    @property
    def mean_participation(self) -> float:
        return float(self.sizes @ self.q / self.size)

    def shares(self) -> dict[tuple[str, str], float]:
        """Population share of every (category, value)."""
        return {(c, v): float(self.sizes[self.codes[:, f] == j].sum() / self.size)
                for f, c in enumerate(self.categories) for j, v in enumerate(self.values[c])}

    def frame(self) -> pd.DataFrame:
        """One row per population type: its values, size M_u and q_u."""
        data = {c: np.asarray(self.values[c], dtype=object)[self.codes[:, f]] for f, c in enumerate(self.categories)}
        return pd.DataFrame({**data, "people": self.sizes, "q": self.q})

    def with_q(self, q: np.ndarray) -> "PopulationModel":
        return PopulationModel(self.categories, self.values, self.codes, self.sizes, np.asarray(q, dtype=float))

    @staticmethod
    def from_people(frame: pd.DataFrame, q: np.ndarray, categories: list[str], values: dict[str, list[str]],
                    *, weights: np.ndarray | None = None, size: float | None = None) -> "PopulationModel":
        """Group people (rows; e.g. a background sample, weighted) into types; scale to `size` people.

        q must depend on the values only (as in the participation model); a type takes its rows' mean.
        """
        codes = np.empty((len(frame), len(categories)), dtype=np.int64)
        for f, c in enumerate(categories):
            index = {v: j for j, v in enumerate(values[c])}
            codes[:, f] = frame[c].astype(str).str.strip().map(index).to_numpy(dtype=np.int64)
        w = np.ones(len(frame)) if weights is None else np.asarray(weights, dtype=float)
        type_codes, inverse = np.unique(codes, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        sizes = np.bincount(inverse, weights=w, minlength=len(type_codes))
        q_type = np.bincount(inverse, weights=np.asarray(q, dtype=float), minlength=len(type_codes)) / np.bincount(inverse)
        keep = sizes > 0
        total = sizes.sum() if size is None else size
        return PopulationModel(list(categories), {c: list(values[c]) for c in categories}, type_codes[keep],
                               sizes[keep] * total / sizes.sum(), q_type[keep])

    @staticmethod
    def from_spec(spec, size: float = 1_000_000) -> "PopulationModel":
        """Every value combination of a core.io.synthetic.PopulationSpec with its exact share and true q.

        Share of a combination: (1/L) sum_l prod_f p_l(v_f) (the spec's latent class mixture).
        """
        from ..io.synthetic import class_conditional_shares, participation_of_codes

        tables = [class_conditional_shares(c, spec.latent_classes, spec.correlation) for c in spec.categories]
        codes = np.array(list(itertools.product(*[range(len(c.values)) for c in spec.categories])), dtype=np.int64)
        share = np.zeros(len(codes))
        for latent in range(spec.latent_classes):
            share += np.prod([tables[f][latent, codes[:, f]] for f in range(len(tables))], axis=0)
        share /= spec.latent_classes
        keep = share > 0
        return PopulationModel([c.name for c in spec.categories], {c.name: list(c.values) for c in spec.categories},
                               codes[keep], share[keep] * size, participation_of_codes(spec, codes[keep]))


@dataclass
class EndToEnd:
    """Estimated end-to-end probability of each population type, against the uniform k/N."""

    algorithm: str
    probability: np.ndarray  # U: chance that a given person of type u ends on the panel
    standard_error: np.ndarray  # U: Monte Carlo standard error of `probability`
    uniform: float  # k / N
    pools: int  # pools used
    skipped: int  # pools with fewer than k volunteers or no panel meeting the quotas
    seconds: float
    info: dict = field(default_factory=dict)

    @property
    def ratio(self) -> np.ndarray:
        """probability / (k/N): 1 is perfectly fair."""
        return self.probability / self.uniform

    def summary(self, model: PopulationModel, precision: float = 0.05) -> dict:
        """The population share whose ratio lies within 1 +- 10%, and min / max ratio over the
        types estimated precisely enough (standard error of the ratio <= `precision`): rare types
        seen in few pools have noisy estimates and would dominate a plain min / max."""
        ratio = self.ratio
        within = np.abs(ratio - 1) <= WITHIN
        precise = self.standard_error / self.uniform <= precision
        return {"algorithm": self.algorithm, "pools": self.pools, "skipped": self.skipped,
                "population_share_within_10pct": float(model.sizes[within].sum() / model.size),
                "precise_types": int(precise.sum()),
                "precise_population_share": float(model.sizes[precise].sum() / model.size),
                "min_ratio": float(ratio[precise].min()) if precise.any() else float("nan"),
                "max_ratio": float(ratio[precise].max()) if precise.any() else float("nan"),
                "seconds": self.seconds}

    def frame(self, model: PopulationModel) -> pd.DataFrame:
        out = model.frame()
        out["end_to_end"] = self.probability
        out["standard_error"] = self.standard_error
        out["ratio_to_uniform"] = self.ratio
        return out


POOL_BATCH = 1000  # pools are drawn in batches of this size; pool i is the same whatever the total


def joiner_distribution(model: PopulationModel) -> tuple[float, np.ndarray]:
    """(q_bar, p): a letter produces a volunteer with probability q_bar = sum_u M_u q_u / N, of type u
    with probability p_u = M_u q_u / (N q_bar)."""
    joined = model.sizes * model.q / model.size
    return float(joined.sum()), joined / joined.sum()


def alias_table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table (Vose's construction): draw j uniform in 0..U-1, keep j with
    probability keep_j, else take alias_j; the result has distribution p. O(1) per draw."""
    U = len(p)
    keep = np.asarray(p, dtype=float) * U
    alias = np.arange(U)
    small = [i for i in range(U) if keep[i] < 1]
    large = [i for i in range(U) if keep[i] >= 1]
    while small and large:
        low, high = small.pop(), large.pop()
        alias[low] = high
        keep[high] -= 1 - keep[low]
        (small if keep[high] < 1 else large).append(high)
    keep[small + large] = 1.0
    return keep, alias


def pool_batches(model: PopulationModel, letters: int, pools: int, seed: int):
    """Yield (sizes, types) per batch of up to POOL_BATCH pools: sizes[p] volunteers in pool p, and
    `types` the population type of every volunteer, pool after pool.

    Pool size ~ Binomial(r, q_bar), each volunteer's type ~ p (`joiner_distribution`): the same
    law as Multinomial(r; M_u q_u / N, ..., did not join). Batch b uses the random stream
    SeedSequence(seed, spawn_key=(b,)) and always draws POOL_BATCH pools, so pool i does not depend
    on how many pools are asked for.
    """
    for b, start in enumerate(range(0, pools, POOL_BATCH)):
        yield pool_batch(model, letters, seed, b, min(POOL_BATCH, pools - start))


def pool_batch(model: PopulationModel, letters: int, seed: int, b: int, m: int = POOL_BATCH):
    """Batch b of `pool_batches` alone: the first m of its POOL_BATCH pools as (sizes, types)."""
    q_bar, p = joiner_distribution(model)
    keep, alias = alias_table(p)
    U = len(p)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b,)))
    sizes = rng.binomial(letters, q_bar, size=POOL_BATCH)
    v = rng.random(int(sizes.sum())) * U
    j = np.minimum(v.astype(np.int64), U - 1)
    types = np.where(v - j < keep[j], j, alias[j])
    return sizes[:m], types[: int(sizes[:m].sum())]


def pool_counts(sizes: np.ndarray, types: np.ndarray, U: int) -> np.ndarray:
    """pools x U matrix of type counts from a batch of `pool_batches`."""
    pool = np.repeat(np.arange(len(sizes)), sizes)
    return np.bincount(pool * U + types, minlength=len(sizes) * U).reshape(len(sizes), U)


class _Accumulator:
    """Running sums of seats per type over pools, for mean and standard error."""

    def __init__(self, types: int):
        self.total = np.zeros(types)
        self.squares = np.zeros(types)
        self.pools = 0

    def add(self, seats: np.ndarray, pools: int | None = None) -> None:
        """Add pools x U seats; `pools` counts the rows that are real pools (zero rows stand for skipped ones)."""
        seats = np.atleast_2d(seats)
        self.total += seats.sum(axis=0)
        self.squares += np.einsum("pu,pu->u", seats, seats)
        self.pools += len(seats) if pools is None else pools

    def result(self, model: PopulationModel, algorithm: str, k: int, skipped: int, seconds: float,
               info: dict | None = None) -> EndToEnd:
        P = max(self.pools, 1)
        mean = self.total / P
        variance = np.clip(self.squares / P - mean ** 2, 0, None)
        se = np.sqrt(variance / max(P - 1, 1))
        return EndToEnd(algorithm, mean / model.sizes, se / model.sizes, k / model.size, self.pools, skipped,
                        seconds, info or {})


def phase_one_seats(a: np.ndarray, k: int, sizes: np.ndarray, types: np.ndarray, U: int) -> tuple[np.ndarray, int, int]:
    """Phase I seats per type in each pool of a batch (pools x U; zero rows for pools smaller than k),
    the number of pools of at least k volunteers, and how many of those needed capping.

    pi_i = k a_i / (sum of a over i's pool) for every volunteer at once; exact capping only in the
    (rare) pools where some pi_i exceeds 1.
    """
    m = len(sizes)
    pool = np.repeat(np.arange(m), sizes)
    weight = a[types]
    total = np.bincount(pool, weights=weight, minlength=m)
    with np.errstate(divide="ignore", invalid="ignore"):
        pi = k * weight / total[pool]  # k a_i / sum_j a_j for every volunteer
    over = np.unique(pool[pi > 1 + CAP_TOLERANCE])
    ends = np.cumsum(sizes)
    for p in over:  # rare: cap and rescale this pool exactly
        members = slice(ends[p] - sizes[p], ends[p])
        capped, _, _ = capped_marginals(a, np.bincount(types[members], minlength=U), k)
        pi[members] = np.nan_to_num(capped[0][types[members]])
    valid = sizes >= k
    seats = np.bincount(pool * U + types, weights=pi * valid[pool], minlength=m * U).reshape(m, U)
    return seats, int(valid.sum()), int(valid[over].sum()) if len(over) else 0


def simulate_phase_one(model: PopulationModel, letters: int, k: int, pools: int, *, seed: int,
                       q_selection: np.ndarray | None = None,
                       progress: Progress = no_progress) -> EndToEnd:
    """End-to-end probabilities under endtoend's Phase I marginals, over `pools` simulated pools.

    Pools are drawn with the model's (true) q; the selection uses `q_selection` per population
    type (e.g. an estimate; default: the true q). Pools with fewer than k volunteers are skipped.
    Vectorised over a batch of pools: pi_i = k a_i / (sum of a over i's pool), exact capping only
    in the (rare) pools where some pi_i exceeds 1.
    """
    started = time.perf_counter()
    a = 1.0 / (model.q if q_selection is None else np.asarray(q_selection, dtype=float))
    U = model.types
    acc = _Accumulator(U)
    skipped, capped_pools, done = 0, 0, 0
    for sizes, types in pool_batches(model, letters, pools, seed):
        m = len(sizes)
        seats, valid, capped = phase_one_seats(a, k, sizes, types, U)
        acc.add(seats, pools=valid)
        skipped += m - valid
        capped_pools += capped
        done += m
        progress(f"Phase I end to end: {done:,}/{pools:,} pools")
    return acc.result(model, "endtoend (Phase I)", k, skipped, time.perf_counter() - started,
                      {"pools_with_capping": capped_pools, "seed": seed, "letters": letters})


def pool_instance(model: PopulationModel, counts: np.ndarray, k: int, quotas: list[Quota]) -> tuple[Instance, np.ndarray]:
    """The pool with these type counts as an Instance (one row per volunteer), and each row's type."""
    rows = np.repeat(np.arange(model.types), counts)
    pool = pd.DataFrame({c: np.asarray(model.values[c], dtype=object)[model.codes[rows, f]]
                         for f, c in enumerate(model.categories)})
    instance = Instance(pool=pool, categories=list(model.categories), quotas=list(quotas), k=k,
                        population_shares=model.shares())
    return instance, rows


def run_seed(seed: int, pool: int) -> int:
    """The seed of the algorithm's run on pool `pool` (0-based) of the stream with this seed."""
    return int(np.random.SeedSequence(seed, spawn_key=(pool,)).generate_state(1)[0])


def algorithm_seats(model: PopulationModel, counts: np.ndarray, k: int, quotas: list[Quota], algorithm: str,
                    seed: int, options: dict | None = None) -> tuple[np.ndarray | None, str | None]:
    """Seats per population type that `algorithm` gives one pool (type counts), in expectation:
    (U-vector, None); or (None, reason) for a pool smaller than k, without a panel meeting the
    quotas, or on which the algorithm gives up. Bad options (InputError) are raised."""
    if counts.sum() < k:
        return None, "fewer volunteers than k"
    instance, rows = pool_instance(model, counts, k, quotas)
    try:
        result = run(algorithm, instance, seed=seed, options=options)
    except InputError:
        raise
    except SortitionError as error:  # no panel meets the quotas, or the algorithm gave up
        return None, type(error).__name__
    return np.bincount(rows, weights=result.marginals, minlength=model.types), None


def simulate_algorithm(model: PopulationModel, letters: int, k: int, quotas: list[Quota], algorithm: str,
                       pools: int, *, seed: int, options: dict | None = None,
                       progress: Progress = no_progress) -> EndToEnd:
    """End-to-end probabilities when each simulated pool is selected from by `algorithm` (core.selection.run).

    Uses the same pool stream as `simulate_phase_one` with the same seed; the run on pool p gets
    `run_seed(seed, p)`. Pools smaller than k, without a panel meeting the quotas, or on which the
    algorithm gives up are skipped (counted in `skipped`; reasons in info, pools smaller than k
    apart).
    """
    started = time.perf_counter()
    acc = _Accumulator(model.types)
    skipped, p = 0, 0
    reasons: dict[str, int] = {}
    for sizes, types in pool_batches(model, letters, pools, seed):
        for counts in pool_counts(sizes, types, model.types):
            seats, reason = algorithm_seats(model, counts, k, quotas, algorithm, run_seed(seed, p), options)
            p += 1
            if seats is None:
                skipped += 1
                if reason != "fewer volunteers than k":
                    reasons[reason] = reasons.get(reason, 0) + 1
                continue
            acc.add(seats)
            progress(f"{algorithm} end to end: {p}/{pools} pools")
    return acc.result(model, algorithm, k, skipped, time.perf_counter() - started,
                      {"seed": seed, "letters": letters, "skipped_because": reasons})
