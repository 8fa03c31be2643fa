"""Synthetic pools of volunteers with realistic self-selection bias, and the bundled examples.

The process modelled is the one organisers run (Flanigan, Gölz, Gupta, Procaccia, NeurIPS 2020):

1. a *population* whose categories are correlated through a latent class mixture
   (see `class_conditional_shares`), with known population shares per value;
2. invitation *letters* sent to uniformly random members of the population;
3. each invited person joins the *pool* with probability (simple independent action)
       q_i = beta0 * prod_f beta_{f, v_i(f)},   every beta in (0, 1], the largest of each category 1;
4. *quotas* proportional to the population shares with some slack, widened minimally if the
   biased pool cannot meet them.

`generate` returns the pool as an `Instance` with the true q of every volunteer, the number of
letters sent and a background sample of the population (what a national survey would give).
`paper_shaped` makes instances with the n, k and number of categories of the Nature paper's table;
`climate_assembly_spec` is a population like the UK's Climate Assembly's.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.feasibility import minimal_repair
from ..model import Instance, Quota
from ..algorithms.panel_model import PanelModel

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


# --- quotas ----------------------------------------------------------------------------------------------


def proportional_quotas(
    shares: dict[tuple[str, str], float],
    k: int,
    categories: list[str],
    values: dict[str, list[str]],
    slack: float = 0.1,
) -> list[Quota]:
    """Quotas around each value's proportional seats k*s: min = floor(k s (1-slack)), max = ceil(k s (1+slack)).

    Then, per category, mins are lowered (largest first) until they add up to at most k and maxes
    raised (largest share first) until they add up to at least k, so each category alone is satisfiable.
    """
    quotas: list[Quota] = []
    for cat in categories:
        vals = values[cat]
        s = np.array([shares.get((cat, v), 0.0) for v in vals], dtype=float)
        lo = np.floor(k * s * (1 - slack) + 1e-9).astype(int).clip(0, k)
        hi = np.ceil(k * s * (1 + slack) - 1e-9).astype(int).clip(0, k)
        hi = np.maximum(hi, lo)
        while lo.sum() > k:
            lo[int(np.argmax(lo))] -= 1
        while hi.sum() < k:
            j = int(np.argmax(np.where(hi < k, s, -1)))
            hi[j] += 1
        quotas.extend(Quota(cat, v, int(a), int(b)) for v, a, b in zip(vals, lo, hi))
    return quotas


def widen_to_feasible(instance: Instance) -> list[Quota]:
    """The instance's quotas after the smallest total widening of bounds that lets some panel meet them.

    This is `core.analysis.feasibility.minimal_repair`: min sum_q (d_q^- + d_q^+) over panels with
    min_q - d_q^- <= seats_q <= max_q + d_q^+; the quotas come back unchanged when already feasible.
    """
    _, repair, message = minimal_repair(instance)
    quotas = repair.apply(instance).quotas if repair is not None else list(instance.quotas)
    if PanelModel(instance.with_quotas(quotas).types).any_panel() is None:
        raise ValueError(f"the generated quotas cannot be made feasible: {message}")
    return quotas


# --- whole instances --------------------------------------------------------------------------------------


@dataclass
class GeneratedInstance:
    """A generated selection problem and the ground truth behind it."""

    instance: Instance  # pool (with an `id` column), quotas, k, population_shares
    background: pd.DataFrame  # a sample of the population, without participation labels
    letters: int  # r, the number of invitation letters sent
    true_q: np.ndarray  # the true participation probability of each pool volunteer
    spec: PopulationSpec
    seed: int
    widened: list[str] = field(default_factory=list)  # quotas widened to make the pool feasible


def generate(
    spec: PopulationSpec, n: int, k: int, *, seed: int, background_size: int = 2000, slack: float = 0.1
) -> GeneratedInstance:
    """A pool of exactly n volunteers, proportional quotas for a panel of k (feasible), and a background sample.

    The pool and the background sample use independent streams spawned from `seed`.
    """
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    pool_stream, background_stream = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    codes, letters = invite_until(spec, n, pool_stream)
    volunteers = codes_to_frame(spec, codes)
    width = len(str(n))
    pool = pd.concat([pd.Series([f"V{i + 1:0{width}d}" for i in range(n)], name="id"), volunteers], axis=1)
    shares = spec.shares()
    names = spec.names
    values = {c.name: list(c.values) for c in spec.categories}
    instance = Instance(
        pool=pool,
        categories=names,
        quotas=proportional_quotas(shares, k, names, values, slack),
        k=k,
        ids=list(pool["id"]),
        population_shares=shares,
    )
    feasible = widen_to_feasible(instance)
    widened = [f"{a.label}: [{a.min}, {a.max}] -> [{b.min}, {b.max}]" for a, b in zip(instance.quotas, feasible) if a != b]
    instance = instance.with_quotas(feasible)
    return GeneratedInstance(
        instance=instance,
        background=sample_population(spec, background_size, background_stream),
        letters=letters,
        true_q=participation_of_codes(spec, codes),
        spec=spec,
        seed=seed,
        widened=widened,
    )


# --- a Climate-Assembly-like population -------------------------------------------------------------------
# Values are listed so that the latent classes tie realistic groups together: earlier values go with
# younger, more urban, more educated, more climate-concerned, renting people.

GENDER = CategorySpec("gender", ("female", "male"), (0.51, 0.49), (1.0, 0.92), latent_weight=0.0)
AGE = CategorySpec("age", ("16-29", "30-44", "45-59", "60+"), (0.22, 0.25, 0.25, 0.28), (0.45, 0.65, 0.85, 1.0))
REGION = CategorySpec(
    "region",
    ("London", "South East", "East of England", "North West", "West Midlands", "Yorkshire and the Humber",
     "East Midlands", "Scotland", "North East", "Wales", "South West", "Northern Ireland"),
    (0.13, 0.14, 0.09, 0.11, 0.09, 0.08, 0.07, 0.08, 0.04, 0.05, 0.09, 0.03),
    (0.85, 1.0, 0.95, 0.8, 0.8, 0.8, 0.85, 0.9, 0.75, 0.85, 1.0, 0.7),
    latent_weight=0.5,
)
EDUCATION = CategorySpec("education", ("degree", "A-level or equivalent", "GCSE or none"), (0.33, 0.30, 0.37), (1.0, 0.6, 0.35))
ETHNICITY = CategorySpec("ethnicity", ("ethnic minority", "white"), (0.14, 0.86), (0.7, 1.0))
URBAN_RURAL = CategorySpec("urban_rural", ("urban", "rural"), (0.82, 0.18), (0.95, 1.0))
CLIMATE_CONCERN = CategorySpec(
    "climate_concern",
    ("very concerned", "fairly concerned", "not very concerned", "not at all concerned"),
    (0.48, 0.35, 0.11, 0.06),
    (1.0, 0.6, 0.35, 0.2),
)
HOUSING = CategorySpec("housing", ("private renter", "social renter", "owner"), (0.19, 0.17, 0.64), (0.65, 0.55, 1.0))

COARSE_REGIONS = {
    "London and South": ["London", "South East", "East of England", "South West"],
    "North": ["North West", "Yorkshire and the Humber", "North East"],
    "Midlands and Wales": ["West Midlands", "East Midlands", "Wales"],
    "Scotland and Northern Ireland": ["Scotland", "Northern Ireland"],
}

CLIMATE_MEAN_PARTICIPATION = 0.029  # 1,715 volunteers from about 60,000 people written to


def coarsen(category: CategorySpec, groups: dict[str, list[str]]) -> CategorySpec:
    """Merge values into groups: shares add up, participation is the share-weighted mean (rescaled to max 1)."""
    share = dict(zip(category.values, category.shares))
    beta = dict(zip(category.values, category.participation))
    if sorted(v for g in groups.values() for v in g) != sorted(category.values):
        raise ValueError(f"groups must partition the values of {category.name}")
    shares = [sum(share[v] for v in g) for g in groups.values()]
    betas = [sum(share[v] * beta[v] for v in g) / s for g, s in zip(groups.values(), shares)]
    top = max(betas)
    return replace(category, values=tuple(groups), shares=tuple(shares), participation=tuple(b / top for b in betas))


def climate_assembly_spec(categories: int = 7, coarse_regions: bool = False) -> PopulationSpec:
    """A UK-like population with Climate Assembly UK's categories, calibrated to a mean participation of 2.9%.

    The first `categories` of: gender, age, region, education, ethnicity, urban/rural, climate
    concern, housing tenure (8 needs housing, beyond the Assembly's 7). Older, more educated and
    more concerned people volunteer more. `coarse_regions` merges the 12 regions into 4.
    """
    region = coarsen(REGION, COARSE_REGIONS) if coarse_regions else REGION
    library = [GENDER, AGE, region, EDUCATION, ETHNICITY, URBAN_RURAL, CLIMATE_CONCERN, HOUSING]
    if not 1 <= categories <= len(library):
        raise ValueError(f"categories must be between 1 and {len(library)}")
    spec = PopulationSpec(categories=tuple(library[:categories]), beta0=1.0, latent_classes=4, correlation=0.5)
    return with_mean_participation(spec, CLIMATE_MEAN_PARTICIPATION)


# --- instances shaped like the Nature paper's ---------------------------------------------------------------

SHAPES: dict[str, tuple[int, int, int]] = {
    "sf_a": (312, 35, 6),
    "sf_b": (250, 20, 6),
    "sf_c": (161, 44, 7),
    "sf_d": (404, 40, 6),
    "sf_e": (1727, 110, 7),
    "cca": (825, 75, 4),
    "hd": (239, 30, 7),
    "mass": (70, 24, 5),
    "nexus": (342, 170, 5),
    "obf": (321, 30, 8),
    "scale": (5000, 150, 6),
}

FINE_REGIONS_FROM = (800, 70)  # 12 regions only when n >= 800 and k >= 70; else 4 (quotas stay meaningful)


def paper_shaped(name: str, seed: int = 0) -> GeneratedInstance:
    """An instance with the n, k and number of categories of the paper's instance `name` (see SHAPES)."""
    if name not in SHAPES:
        raise KeyError(f"unknown shape '{name}'; choose one of {sorted(SHAPES)}")
    n, k, categories = SHAPES[name]
    coarse = not (n >= FINE_REGIONS_FROM[0] and k >= FINE_REGIONS_FROM[1])
    return generate(climate_assembly_spec(categories, coarse_regions=coarse), n, k, seed=seed)


# --- writing instances ------------------------------------------------------------------------------------------


def write_instance(generated: GeneratedInstance, folder: Path, description: str = "") -> None:
    """Write pool.csv, quotas.csv (with population_share), background.csv and example.json to `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    instance = generated.instance
    instance.pool.to_csv(folder / "pool.csv", index=False)
    shares = instance.population_shares or {}
    quotas = pd.DataFrame(
        [
            {"category": q.category, "feature": q.value, "min": q.min, "max": q.max,
             "population_share": round(shares[(q.category, q.value)], 6) if (q.category, q.value) in shares else ""}
            for q in instance.quotas
        ]
    )
    quotas.to_csv(folder / "quotas.csv", index=False)
    generated.background.to_csv(folder / "background.csv", index=False)
    meta = {
        "name": folder.name,
        "description": description,
        "k": instance.k,
        "letters": generated.letters,
        "seed": generated.seed,
        "n": instance.n,
        "categories": instance.categories,
        "files": {"pool": "pool.csv", "quotas": "quotas.csv", "background": "background.csv"},
    }
    (folder / "example.json").write_text(json.dumps(meta, indent=2) + "\n")


# --- the bundled examples ---------------------------------------------------------------------------------------

CLASSROOM_POOL = [  # 12 volunteers: 8 women, 4 men; the panel of 4 must have 2 of each
    ("Ada", "woman", "under 30"), ("Bea", "woman", "30-59"), ("Cleo", "woman", "30-59"),
    ("Dora", "woman", "30-59"), ("Eve", "woman", "30-59"), ("Fay", "woman", "60+"),
    ("Gina", "woman", "60+"), ("Hana", "woman", "60+"), ("Ivan", "man", "under 30"),
    ("Jon", "man", "under 30"), ("Kai", "man", "30-59"), ("Leo", "man", "60+"),
]
CLASSROOM_QUOTAS = [  # category, value, min, max, population share
    ("gender", "woman", 2, 2, 0.5), ("gender", "man", 2, 2, 0.5),
    ("age", "under 30", 1, 2, 0.3), ("age", "30-59", 1, 2, 0.4), ("age", "60+", 1, 2, 0.3),
]
CLASSROOM_K = 4


def write_classroom(folder: Path) -> None:
    """The hand-written classroom example: 12 volunteers, gender x age, k = 4.

    A uniform lottery of 4 from these 12 gets exactly 2 men only with probability
    C(4,2) C(8,2) / C(12,4) = 168/495 (about 34%), so it usually breaks the quotas.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(CLASSROOM_POOL, columns=["id", "gender", "age"]).to_csv(folder / "pool.csv", index=False)
    pd.DataFrame(CLASSROOM_QUOTAS, columns=["category", "feature", "min", "max", "population_share"]).to_csv(
        folder / "quotas.csv", index=False
    )
    meta = {
        "name": folder.name,
        "description": "A classroom-sized pool of 12 volunteers (8 women, 4 men) and a panel of 4 with "
        "2 women, 2 men and every age group: small enough to follow by hand; a uniform lottery "
        "usually breaks the quotas.",
        "k": CLASSROOM_K,
        "letters": None,
        "seed": None,
        "n": len(CLASSROOM_POOL),
        "categories": ["gender", "age"],
        "files": {"pool": "pool.csv", "quotas": "quotas.csv"},
    }
    (folder / "example.json").write_text(json.dumps(meta, indent=2) + "\n")


BUNDLED = {  # name -> (categories of climate_assembly_spec, coarse regions, n, k, seed)
    "climate_300": (6, True, 300, 30, 2021),
    "large_2000": (6, False, 2000, 150, 2000),
}
BUNDLED_CATEGORIES = {  # the category subsets, by name (a sensible choice of 6)
    "climate_300": ["gender", "age", "region", "education", "ethnicity", "climate_concern"],
    "large_2000": ["gender", "age", "region", "education", "ethnicity", "urban_rural"],
}


def bundled_spec(name: str) -> PopulationSpec:
    """The population of a generated bundled example: the Climate-Assembly-like spec restricted to its categories."""
    _, coarse, _, _, _ = BUNDLED[name]
    full = climate_assembly_spec(8, coarse_regions=coarse)
    keep = tuple(c for c in full.categories if c.name in BUNDLED_CATEGORIES[name])
    return with_mean_participation(replace(full, categories=keep), CLIMATE_MEAN_PARTICIPATION)


def write_bundled_examples(folder: Path) -> list[Path]:
    """Write classroom, climate_300 and large_2000 under `folder` (deterministic); returns their folders."""
    folder = Path(folder)
    write_classroom(folder / "classroom")
    written = [folder / "classroom"]
    descriptions = {
        "climate_300": "A synthetic Climate-Assembly-like pool of 300 volunteers (6 categories) for a panel of 30: "
        "older, more educated and more concerned people volunteered more. With population shares, the "
        "number of letters sent and a background sample of 2,000 people.",
        "large_2000": "A synthetic pool of 2,000 volunteers, 6 categories (12 regions), panel of 150.",
    }
    for name, (_, _, n, k, seed) in BUNDLED.items():
        generated = generate(bundled_spec(name), n, k, seed=seed)
        write_instance(generated, folder / name, descriptions[name])
        written.append(folder / name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.io.generator", description=__doc__.splitlines()[0])
    parser.add_argument("--write-examples", metavar="FOLDER", type=Path, help="write the bundled examples here")
    parser.add_argument("--shape", choices=sorted(SHAPES), help="write an instance shaped like a paper instance")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="folder for --shape")
    args = parser.parse_args(argv)
    if args.write_examples:
        for path in write_bundled_examples(args.write_examples):
            print(path)
    if args.shape:
        if args.out is None:
            parser.error("--shape needs --out")
        n, k, c = SHAPES[args.shape]
        write_instance(paper_shaped(args.shape, args.seed), args.out,
                       f"Synthetic instance shaped like {args.shape}: n={n}, k={k}, {c} categories.")
        print(args.out)
    if not (args.write_examples or args.shape):
        parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
