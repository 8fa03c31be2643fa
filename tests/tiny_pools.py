"""Small pools for tests: random tiny instances and the public instances beside the repository."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.model import Instance, Quota

# the public instances, when shared/ is beside the repository (tests that need them skip otherwise)
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def write_two_category_pool(folder: Path, seed: int = 0) -> tuple[Path, Path]:
    """respondents.csv and categories.csv shaped like the public example_small_20 (200 volunteers,
    gender x leaning, each value 9-20 of a panel of 20, a skewed pool), so that tests of files,
    audit records and exports run on a clean clone too. Returns (pool path, quotas path)."""
    rng = np.random.default_rng(seed)
    pool = pd.DataFrame({"gender": rng.choice(["female", "male"], 200, p=[0.6, 0.4]),
                         "leaning": rng.choice(["liberal", "conservative"], 200, p=[0.7, 0.3])})
    quotas = pd.DataFrame([(c, v, 9, 20) for c, values in (("gender", ("female", "male")),
                                                           ("leaning", ("liberal", "conservative"))) for v in values],
                          columns=["category", "feature", "min", "max"])
    folder = Path(folder)
    pool.to_csv(folder / "respondents.csv", index=False)
    quotas.to_csv(folder / "categories.csv", index=False)
    return folder / "respondents.csv", folder / "categories.csv"


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
