"""The population model behind synthetic pools: correlated categories and self-selection.

The process modelled is the one organisers run (Flanigan, Gölz, Gupta, Procaccia, NeurIPS 2020):

1. a *population* whose categories are correlated through a latent class mixture
   (see `class_conditional_shares`), with known population shares per value;
2. invitation *letters* sent to uniformly random members of the population;
3. each invited person joins the *pool* with probability (simple independent action)
       q_i = beta0 * prod_f beta_{f, v_i(f)},   every beta in (0, 1], the largest of each category 1.

`invite_until` sends letters in batches until n people have joined. Quotas and whole instances
built from this model, the Climate-Assembly-like population and the bundled examples are in
`core.io.generator`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class CategorySpec:
    """A category of the population: its values, their population shares and participation factors.

    `participation[j]` is beta_{f, values[j]}: how much having this value multiplies the chance of
    joining when invited (the largest is 1). `latent_weight` scales how strongly this category
    follows the latent class (0 = independent of the other categories, 1 = as strongly as the
    population's `correlation` says).
    """

    name: str
    values: tuple[str, ...]
    shares: tuple[float, ...]
    participation: tuple[float, ...]
    latent_weight: float = 1.0

    def __post_init__(self) -> None:
        if not (len(self.values) == len(self.shares) == len(self.participation)) or not self.values:
            raise ValueError(f"category {self.name}: values, shares and participation must have the same length")
        if len(set(self.values)) != len(self.values):
            raise ValueError(f"category {self.name}: duplicate values")
        if any(s < 0 for s in self.shares) or abs(sum(self.shares) - 1) > SHARE_TOLERANCE:
            raise ValueError(f"category {self.name}: shares must be non-negative and sum to 1")
        if any(not 0 < b <= 1 for b in self.participation) or abs(max(self.participation) - 1) > SHARE_TOLERANCE:
            raise ValueError(f"category {self.name}: participation factors must lie in (0, 1] with the largest 1")
        if not 0 <= self.latent_weight <= 1:
            raise ValueError(f"category {self.name}: latent_weight must lie in [0, 1]")


@dataclass(frozen=True)
class PopulationSpec:
    """A population: categories, the base participation beta0, and how the categories correlate."""

    categories: tuple[CategorySpec, ...]
    beta0: float
    latent_classes: int = 4
    correlation: float = 0.5

    def __post_init__(self) -> None:
        if not self.categories:
            raise ValueError("a population needs at least one category")
        if len({c.name for c in self.categories}) != len(self.categories):
            raise ValueError("category names must be distinct")
        if not 0 < self.beta0 <= 1:
            raise ValueError("beta0 must lie in (0, 1]")
        if self.latent_classes < 1:
            raise ValueError("latent_classes must be at least 1")
        if not 0 <= self.correlation <= 1:
            raise ValueError("correlation must lie in [0, 1]")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.categories]

    def shares(self) -> dict[tuple[str, str], float]:
        """Population share of every (category, value)."""
        return {(c.name, v): float(s) for c in self.categories for v, s in zip(c.values, c.shares)}


# --- the latent class mixture --------------------------------------------------------------------


def class_conditional_shares(category: CategorySpec, classes: int, correlation: float) -> np.ndarray:
    """L x V matrix: the distribution of the category's value within each latent class.

    Classes are equally likely. Lay the values on [0, 1] in their listed order, value v taking an
    interval of length s_v, and cut [0, 1] into L stripes; class l draws
        p_l(v) = (1 - rho) s_v + rho * L * |interval_v ∩ stripe_l|,   rho = correlation * latent_weight,
    so averaging over classes gives back s_v exactly, and with rho > 0 values listed early in two
    categories tend to occur together (list values so that this ordering is realistic).
    """
    rho = correlation * category.latent_weight
    shares = np.asarray(category.shares, dtype=float)
    upper = np.cumsum(shares)
    lower = upper - shares
    stripe_lo = np.arange(classes)[:, None] / classes
    stripe_hi = stripe_lo + 1 / classes
    overlap = np.clip(np.minimum(upper[None, :], stripe_hi) - np.maximum(lower[None, :], stripe_lo), 0, None)
    tied = classes * overlap
    return (1 - rho) * shares[None, :] + rho * tied


def _conditional_tables(spec: PopulationSpec) -> list[np.ndarray]:
    return [class_conditional_shares(c, spec.latent_classes, spec.correlation) for c in spec.categories]


def sample_codes(spec: PopulationSpec, size: int, rng: np.random.Generator) -> np.ndarray:
    """size x F matrix of value codes of persons drawn from the population (latent class, then values)."""
    classes = rng.integers(spec.latent_classes, size=size)
    codes = np.empty((size, len(spec.categories)), dtype=np.int64)
    for f, table in enumerate(_conditional_tables(spec)):
        cumulative = np.cumsum(table, axis=1)
        cumulative[:, -1] = 1.0
        u = rng.random(size)
        codes[:, f] = (u[:, None] >= cumulative[classes]).sum(axis=1)
    return codes


def codes_to_frame(spec: PopulationSpec, codes: np.ndarray) -> pd.DataFrame:
    """The value codes as a table of strings, one column per category."""
    return pd.DataFrame(
        {c.name: np.asarray(c.values, dtype=object)[codes[:, f]] for f, c in enumerate(spec.categories)}
    )


def sample_population(spec: PopulationSpec, size: int, rng: np.random.Generator) -> pd.DataFrame:
    """`size` persons drawn independently from the population: one column per category, values as text."""
    return codes_to_frame(spec, sample_codes(spec, size, rng))


# --- participation ------------------------------------------------------------------------------------


def participation_of_codes(spec: PopulationSpec, codes: np.ndarray) -> np.ndarray:
    """q_i = beta0 * prod_f beta_{f, code_i(f)} for a matrix of value codes."""
    q = np.full(len(codes), spec.beta0)
    for f, c in enumerate(spec.categories):
        q *= np.asarray(c.participation)[codes[:, f]]
    return q


def participation_probability(spec: PopulationSpec, frame: pd.DataFrame) -> np.ndarray:
    """q_i = beta0 * prod_f beta_{f, v_i(f)} for each row of a table with one column per category."""
    codes = np.empty((len(frame), len(spec.categories)), dtype=np.int64)
    for f, c in enumerate(spec.categories):
        index = {v: j for j, v in enumerate(c.values)}
        mapped = frame[c.name].astype(str).map(index)
        if mapped.isna().any():
            unknown = sorted(set(frame[c.name].astype(str)[mapped.isna()]))
            raise ValueError(f"category {c.name}: values {unknown} are not in the population spec")
        codes[:, f] = mapped.to_numpy(dtype=np.int64)
    return participation_of_codes(spec, codes)


def mean_participation(spec: PopulationSpec) -> float:
    """E[q] over the population, exactly: beta0 * (1/L) sum_l prod_f sum_v p_l(v) beta_{f,v}."""
    per_class = np.ones(spec.latent_classes)
    for c, table in zip(spec.categories, _conditional_tables(spec)):
        per_class *= table @ np.asarray(c.participation)
    return float(spec.beta0 * per_class.mean())


def with_mean_participation(spec: PopulationSpec, target: float) -> PopulationSpec:
    """The same population with beta0 chosen so that the mean participation E[q] equals `target`."""
    beta0 = target * spec.beta0 / mean_participation(spec)
    if not 0 < beta0 <= 1:
        raise ValueError(f"a mean participation of {target} needs beta0 = {beta0:.3g}, outside (0, 1]")
    return replace(spec, beta0=beta0)


# --- letters and pool --------------------------------------------------------------------------------


def draw_pool(population: pd.DataFrame, q: np.ndarray, letters: int, rng: np.random.Generator) -> np.ndarray:
    """Send `letters` letters to distinct random members of `population`; each joins with probability q_i.

    Returns the ascending row indices of the members who got a letter and joined.
    """
    if not 0 <= letters <= len(population):
        raise ValueError(f"cannot send {letters} letters to a population of {len(population)}")
    invited = rng.choice(len(population), size=letters, replace=False)
    joined = rng.random(letters) < np.asarray(q, dtype=float)[invited]
    return np.sort(invited[joined])


def invite_until(spec: PopulationSpec, n: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Send letters one by one to random persons until exactly n have joined.

    Vectorised: draw a long run of invited persons, flip their participation coins, cut at the
    n-th joiner. Returns the joiners' value codes (in order of joining) and the letters sent.
    """
    if n < 1:
        raise ValueError("the pool needs at least one volunteer")
    mean_q = mean_participation(spec)
    joined: list[np.ndarray] = []
    have, letters = 0, 0
    while have < n:
        batch = max(1_000, int(1.3 * (n - have) / mean_q))
        codes = sample_codes(spec, batch, rng)
        joins = np.flatnonzero(rng.random(batch) < participation_of_codes(spec, codes))
        need = n - have
        if len(joins) >= need:
            joined.append(codes[joins[:need]])
            letters += int(joins[need - 1]) + 1
            have = n
        else:
            joined.append(codes[joins])
            letters += batch
            have += len(joins)
    return np.concatenate(joined), letters
