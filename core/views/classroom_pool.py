"""The classroom's tiny instance, built from two tables a person edits: a pool (a name column plus
category columns, at most MAX_VOLUNTEERS rows) and a quota table (category, value, min, max), with
a panel of MIN_K to MAX_K. Every panel of such a pool can be listed: C(14, 5) = 2002 <= MAX_PANELS.

Also here: a simple participation model from population shares for the end-to-end spread, where
volunteer i's answering probability is proportional to prod over i's values v of
(share of v in the pool) / (share of v in the population).
"""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from ..model import Instance, Quota

MAX_VOLUNTEERS = 14
MIN_K, MAX_K = 2, 5
MAX_PANELS = 5_000  # C(14, 5) = 2002; the page refuses anything above this


def quota_rows(pool: pd.DataFrame, categories: list[str], quotas: pd.DataFrame | None, k: int) -> pd.DataFrame:
    """The quota table (category, value, min, max) with one row per value present in the pool.

    Rows of `quotas` for values still present keep their min and max; new values get 0..k;
    values nobody in the pool has any more are dropped.
    """
    kept: dict[tuple[str, str], tuple[object, object]] = {}
    if quotas is not None and len(quotas):
        for _, row in quotas.iterrows():
            kept[(str(row["category"]), str(row["value"]))] = (row["min"], row["max"])
    rows = []
    for category in categories:
        values = [str(v).strip() for v in pool[category].tolist() if str(v).strip() and not pd.isna(v)]
        for value in dict.fromkeys(values):
            low, high = kept.get((category, value), (0, k))
            rows.append({"category": category, "value": value, "min": low, "max": high})
    return pd.DataFrame(rows, columns=["category", "value", "min", "max"])


def classroom_instance(pool: pd.DataFrame, quotas: pd.DataFrame, k: int, name_column: str = "name") -> Instance:
    """An Instance from an edited pool (a name column plus category columns) and quota table.

    Raises InputError listing every problem: missing or repeated names, empty values, more than
    MAX_VOLUNTEERS volunteers, k outside MIN_K..MAX_K or above n, quotas that are not whole
    numbers with 0 <= min <= max.
    """
    problems: list[Problem] = []
    pool = pool.dropna(how="all").reset_index(drop=True)
    categories = [c for c in pool.columns if c != name_column]
    names = [str(x).strip() if not pd.isna(x) else "" for x in pool[name_column]] if name_column in pool else []
    n = len(pool)
    if name_column not in pool.columns:
        problems.append(Problem(f"the pool has no '{name_column}' column", "Add a column with each volunteer's name."))
    if not categories:
        problems.append(Problem("the pool has no category column", "Add a column such as gender or age."))
    if n > MAX_VOLUNTEERS:
        problems.append(Problem(f"the classroom pool has {n} volunteers; at most {MAX_VOLUNTEERS} keep every panel visible",
                                "Delete some rows."))
    if not MIN_K <= int(k) <= MAX_K:
        problems.append(Problem(f"a panel of {k} is outside the classroom range {MIN_K} to {MAX_K}", "Change the panel size."))
    if int(k) > n:
        problems.append(Problem(f"a panel of {k} needs at least {k} volunteers; the pool has {n}", "Add volunteers or lower k."))
    for i, name in enumerate(names):
        if not name:
            problems.append(Problem("a volunteer has no name", "Type a name.", row=i + 1, column=name_column))
    for name in sorted({x for x in names if x and names.count(x) > 1}):
        problems.append(Problem(f"the name '{name}' appears more than once", "Give every volunteer a different name."))
    text = pool[categories].astype(object).where(~pool[categories].isna(), "").astype(str).apply(lambda s: s.str.strip()) \
        if categories else pd.DataFrame(index=pool.index)
    for category in categories:
        for i in np.flatnonzero((text[category] == "").to_numpy()):
            problems.append(Problem(f"{names[i] if i < len(names) and names[i] else 'a volunteer'} has no {category}",
                                    "Fill in the cell.", row=int(i) + 1, column=category))
    quota_list: list[Quota] = []
    for _, row in quotas.iterrows():
        label = f"{row['category']}={row['value']}"
        try:
            low, high = int(float(row["min"])), int(float(row["max"]))
        except (TypeError, ValueError):
            problems.append(Problem(f"quota {label}: min and max must be whole numbers", "Type a number in both."))
            continue
        if low < 0 or high < low:
            problems.append(Problem(f"quota {label}: min {low} and max {high} need 0 <= min <= max", "Fix the bounds."))
            continue
        quota_list.append(Quota(str(row["category"]), str(row["value"]), low, high))
    if problems:
        raise InputError(problems)
    frame = text.copy()
    frame.insert(0, "name", names)
    return Instance(pool=frame, categories=categories, quotas=quota_list, k=int(k), ids=names)


def instance_tables(instance: Instance) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (pool, quotas) tables `classroom_instance` reads, for an existing instance."""
    pool = pd.DataFrame({"name": list(instance.ids)})
    for category in instance.categories:
        pool[category] = instance.pool[category].astype(str).to_numpy()
    quotas = pd.DataFrame([{"category": q.category, "value": q.value, "min": q.min, "max": q.max}
                           for q in instance.quotas], columns=["category", "value", "min", "max"])
    return pool, quotas


def fits_classroom(instance: Instance) -> bool:
    """True when every panel of the instance can be listed (n <= 14, k in 2..5, no households)."""
    return (instance.n <= MAX_VOLUNTEERS and MIN_K <= instance.k <= MAX_K and not instance.household
            and comb(instance.n, instance.k) <= MAX_PANELS)


def participation_from_shares(instance: Instance, mean: float = 0.05) -> np.ndarray | None:
    """A simple participation model when population shares are known: each value's pull is
    (its share of the pool) / (its share of the population), and q_i is proportional to the product
    of the pulls of volunteer i's values, scaled so that the mean q is `mean`. None without shares."""
    shares = instance.population_shares or {}
    pull = np.ones(instance.n)
    for category in instance.categories:
        column = instance.pool[category].astype(str)
        for value, count in column.value_counts().items():
            share = shares.get((category, value))
            if not share:
                return None
            pull[(column == value).to_numpy()] *= (count / instance.n) / share
    q = pull * mean / pull.mean()
    return np.clip(q, 1e-6, 1.0)
