"""Small pools for tests: random tiny instances and the public instances beside the repository."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.model import Instance, Quota

# CI clones the repository with shared/ beside it
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def random_instance(seed: int, n: int = 12, k: int = 4, values: tuple[int, ...] = (2, 3), household: bool = False) -> Instance:
    """A tiny random pool with random (not necessarily feasible) quotas: len(values) categories,
    values[c] values in category c, and with `household` an address column shared by some volunteers."""
    rng = np.random.default_rng(seed)
    columns, quotas = {}, []
    for c, count in enumerate(values):
        names = [f"v{j}" for j in range(count)]
        columns[f"c{c}"] = [names[x] for x in rng.integers(0, count, n)]
        for name in names:
            low = int(rng.integers(0, 2))
            quotas.append(Quota(f"c{c}", name, low, int(rng.integers(low + 1, k + 1))))
    pool = pd.DataFrame(columns)
    extra = []
    if household:
        pool["address"] = [str(x) for x in rng.integers(0, n // 2 + 2, n)]
        extra = ["address"]
    return Instance(pool=pool, categories=list(columns), quotas=quotas, k=k, household=extra)
