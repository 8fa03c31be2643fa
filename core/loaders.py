"""Reading pools and quotas from files (minimal reader of the replication format; extended by the loaders work)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .model import Instance, Quota


def load_instance(pool_path: str | Path, quotas_path: str | Path, k: int) -> Instance:
    """Load a pool and its quotas (replication format: category,feature,min,max)."""
    pool = pd.read_csv(pool_path, dtype=str, keep_default_na=False)
    table = pd.read_csv(quotas_path, dtype=str, keep_default_na=False)
    quotas = [Quota(r["category"].strip(), r["feature"].strip(), int(r["min"]), int(r["max"])) for _, r in table.iterrows()]
    categories = list(dict.fromkeys(q.category for q in quotas))
    return Instance(pool=pool, categories=categories, quotas=quotas, k=k,
                    sources={"pool": str(pool_path), "quotas": str(quotas_path)})
