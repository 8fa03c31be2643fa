"""Synthetic selection problems and the bundled examples.

Built on the population model of `core.io.synthetic` (correlated categories, letters, self-selected
pool with q_i = beta0 * prod_f beta_{f, v_i(f)}), with *quotas* proportional to the population
shares with some slack, widened minimally if the biased pool cannot meet them.

`generate` returns the pool as an `Instance` with the true q of every volunteer, the number of
letters sent and a background sample of the population (what a national survey would give).
`paper_shaped` makes instances with the n, k and number of categories of the Nature paper's table;
`climate_assembly_spec` is a population like the UK's Climate Assembly's. `python -m core.io.generator
--write-examples examples/` writes the bundled examples.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..algorithms.panel_model import PanelModel
from ..analysis.feasibility import minimal_repair
from ..model import Instance, Quota
from .synthetic import (
    CategorySpec,
    PopulationSpec,
    codes_to_frame,
    invite_until,
    participation_of_codes,
    sample_population,
    with_mean_participation,
)

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
