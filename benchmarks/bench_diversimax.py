"""Diversimax speed on instances shaped like the Nature paper's (core.io.generator.paper_shaped).

Target (issue 4): proven optimal (gap < 0.1%) within 60 s for 300-400 volunteers with 6-8
categories and for a 1727/110/7 instance, with the default order 3 and 100-cell cap.
Prints one line per instance and solver with the final default configuration: solver status,
objective, proven lower bound (rounded up to the objective grid), gap, wall-clock seconds, the
process CPU seconds of the whole run (wall-clock is noisy on a shared machine; the solver
runs one thread, so CPU time is the fairer figure), branch-and-bound nodes (HiGHS only) and
the model size (types, tables, fillable cells, excess variables, linear cells).

The time limit is an approximate budget converted to a node limit (core.algorithms.diversimax, "Determinism").

    python benchmarks/bench_diversimax.py [--time-limit 60] [--instances sf_a sf_d obf sf_e] [--cbc sf_a sf_d]
                                          [--seeds 0 1 2 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.algorithms.diversimax import select  # noqa: E402
from core.io.generator import paper_shaped  # noqa: E402

HEADER = (f"{'name':6s} {'seed':>4s} {'n':>5s} {'k':>4s} {'C':>3s} {'solver':6s} {'types':>6s} {'tables':>6s} {'cells':>6s} "
          f"{'e_vars':>6s} {'linear':>6s} {'status':>8s} {'objective':>10s} {'bound':>10s} {'gap':>8s} "
          f"{'wall_s':>7s} {'cpu_s':>7s} {'nodes':>6s} {'gap<0.1%':>8s}")


def run_one(name: str, solver: str, time_limit: float, seed: int) -> str:
    """Solve one paper-shaped instance with the default options and format its figures."""
    instance = paper_shaped(name, seed=seed).instance
    started, cpu = time.perf_counter(), time.process_time()
    result = select(instance, seed=seed, options={"solver": solver, "time_limit": time_limit})
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    info = result.info
    proven = "yes" if info["gap"] < 1e-3 else "no"
    nodes = "-" if info["nodes"] is None else str(info["nodes"])
    return (f"{name:6s} {seed:4d} {instance.n:5d} {instance.k:4d} {len(instance.categories):3d} {solver:6s} {info['types']:6d} "
            f"{info['tables']:6d} {info['fillable_cells']:6d} {info['excess_variables']:6d} {info['linear_cells']:6d} "
            f"{info['status']:>8s} {result.objective:10.3f} {info['lower_bound']:10.3f} {100 * info['gap']:7.3f}% "
            f"{seconds:7.1f} {cpu_seconds:7.1f} {nodes:>6s} {proven:>8s}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--instances", nargs="*", default=["sf_a", "sf_d", "obf", "sf_e"])
    parser.add_argument("--cbc", nargs="*", default=["sf_a", "sf_d"], help="instances also solved with CBC")
    parser.add_argument("--seeds", type=int, nargs="*", default=[0], help="generator seeds (issue 4 uses 0 1 2 3)")
    args = parser.parse_args()
    print(HEADER, flush=True)
    for name in args.instances:
        for seed in args.seeds:
            print(run_one(name, "highs", args.time_limit, seed), flush=True)
    for name in args.cbc:
        for seed in args.seeds:
            print(run_one(name, "cbc", args.time_limit, seed), flush=True)


if __name__ == "__main__":
    main()
