"""What a loaded instance looks like, in figures a person can read: sizes and, per value,
volunteers in the pool, their share, the population share and the quota."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..model import Instance


def instance_summary(instance: Instance, extras: dict[str, Any] | None = None) -> dict[str, Any]:
    """n, k, number of categories, number of types, the fair chance k/n, and what extras are known."""
    extras = extras or {}
    background = extras.get("background")
    return {
        "n": instance.n,
        "k": instance.k,
        "categories": len(instance.categories),
        "types": instance.types.size,
        "fair": instance.k / instance.n if instance.n else math.nan,
        "population_shares": instance.population_shares is not None,
        "background_rows": None if background is None else len(background),
        "letters": extras.get("letters"),
    }


def volunteers_per_value(instance: Instance) -> np.ndarray:
    """For every quota (quota order), how many volunteers in the pool have its value."""
    types = instance.types
    return (types.A @ types.counts).astype(int)


def category_overview(instance: Instance) -> pd.DataFrame:
    """One row per value: category, value, volunteers, pool share, population share,
    proportional seats (k x population share), quota min and max."""
    counts = volunteers_per_value(instance)
    shares = instance.population_shares or {}
    rows = []
    for q, count in zip(instance.quotas, counts):
        share = shares.get((q.category, q.value))
        rows.append({
            "category": q.category,
            "value": q.value,
            "volunteers": int(count),
            "pool share": count / instance.n if instance.n else math.nan,
            "population share": math.nan if share is None else float(share),
            "proportional seats": math.nan if share is None else instance.k * float(share),
            "min": q.min,
            "max": q.max,
        })
    return pd.DataFrame(rows, columns=["category", "value", "volunteers", "pool share", "population share",
                                       "proportional seats", "min", "max"])
