"""Time of the Pool and quotas page's "how fair can it be?" figure per quota edit, printed.

For each example, a series of edits (each quota's max raised by one seat in turn, every edit a new
set of quotas, so no cache helps) and for each: the what-if LP alone (core.views.what_if) and the
what-if LP together with the feasibility check the page already ran on every edit
(core.analysis.feasibility.check). Medians and maxima over the edits. "large_2000+h" is large_2000 with a
household column (every volunteer a type of their own). Target: < 1 s per edit for pools up
to 2,000 volunteers. Not a test: figures depend on the machine.

    OMP_NUM_THREADS=1 python benchmarks/bench_what_if.py [--examples climate_300 large_2000] [--edits 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere


def with_households(instance):
    """The same pool with an address column (1,500 addresses drawn with seed 0): every volunteer
    becomes a type of their own and households add rows, the what-if LP's largest shape."""
    import numpy as np

    from core.model import Instance

    pool = instance.pool.copy()
    pool["address"] = [str(a) for a in np.random.default_rng(0).integers(0, 1500, len(pool))]
    return Instance(pool=pool, categories=instance.categories, quotas=instance.quotas, k=instance.k,
                    household=["address"], population_shares=instance.population_shares)


def main() -> None:
    from core.analysis.feasibility import check
    from core.io.examples import load_example
    from core.views.what_if import what_if

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", nargs="+", default=["climate_300", "large_2000"])
    parser.add_argument("--edits", type=int, default=10)
    args = parser.parse_args()
    what_if(load_example("classroom")[0])  # imports and solver start-up, paid once per process
    print(f"{'example':<13} {'n':>6} {'types':>6} {'edits':>6} {'what-if median':>15} {'max':>7} "
          f"{'with feasibility median':>24} {'max':>7} {'lowest probability (first)':>27}")
    cases = [(name, load_example(name)[0]) for name in args.examples]
    if "large_2000" in args.examples:
        cases.append(("large_2000+h", with_households(load_example("large_2000")[0])))
    for name, instance in cases:
        alone, together, first = [], [], None
        for i in range(args.edits):
            q = i % len(instance.quotas)
            edited = instance.with_quotas([replace(quota, max=quota.max + 1 + i // len(instance.quotas))
                                           if j == q else quota for j, quota in enumerate(instance.quotas)])
            started = time.perf_counter()
            view = what_if(edited)
            middle = time.perf_counter()
            check(edited)
            ended = time.perf_counter()
            alone.append(middle - started)
            together.append(ended - started)
            first = view.best_minimum if first is None else first
        print(f"{name:<13} {instance.n:>6,} {instance.types.size:>6} {args.edits:>6} "
              f"{statistics.median(alone):>14.3f}s {max(alone):>6.3f}s "
              f"{statistics.median(together):>23.3f}s {max(together):>6.3f}s {first:>26.2%}")


if __name__ == "__main__":
    main()
