"""Time the manipulability of an algorithm on a bundled example (target: leximin on climate_300, k = 30,
over every type, under 2 minutes) and print the largest gain from one misreport and who achieves it.

    OMP_NUM_THREADS=1 python benchmarks/bench_manipulation.py [--example climate_300] [--algorithm leximin]
                                                              [--sample S] [--seed 0] [--workers W] [--full]

Without --sample every type is examined (one rerun per type and alternative value of each category).
With --sample S a seeded sample of S volunteers is examined and the time for every type is projected
from the seconds per rerun. --workers W examines in W processes (default 1). --full reruns leximin
the way `select` does, one complete `core.fair.leximin` per misreport warm-started from the latest
panels (the method before `core.fair.leximin_reruns`), for a side-by-side comparison.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.design import manipulation
from core.design.manipulation import alternatives, manipulability
from core.io.examples import load_example


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="climate_300")
    parser.add_argument("--algorithm", default="leximin")
    parser.add_argument("--sample", type=int, help="volunteers sampled (default: every type)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="processes examining the volunteers")
    parser.add_argument("--full", action="store_true", help="rerun the complete leximin per misreport")
    args = parser.parse_args()
    if args.full:
        manipulation.leximin_reruns = lambda *arguments: None
    instance, _ = load_example(args.example)
    every_rerun = sum(len(alternatives(instance, int(members[0]))) for members in instance.types.members)
    print(f"{args.example}: n={instance.n} k={instance.k} types={instance.types.size}; "
          f"{every_rerun} reruns for every type; algorithm {args.algorithm}, "
          f"{'complete reruns' if args.full else 'shared rerun machinery where supported'}, {args.workers} process(es)")
    started, cpu = time.perf_counter(), time.process_time()
    result = manipulability(instance, args.algorithm, seed=args.seed, sample=args.sample, workers=args.workers,
                            progress=lambda text: print(f"  {text}", file=sys.stderr, flush=True))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if args.workers > 1:  # the processes' CPU time: their own clocks are not ours
        import resource

        cpu += resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
    per_rerun, cpu_per_rerun = seconds / max(result.reruns, 1), cpu / max(result.reruns, 1)
    best = result.achieved_by
    print(f"examined: {'every type' if result.exhaustive else f'a sample of {result.sample_size} (seed {args.seed})'}, "
          f"{len(result.examined)} types, {result.reruns} reruns in {seconds:.1f} s wall, {cpu:.1f} s CPU "
          f"({per_rerun:.2f} s wall, {cpu_per_rerun:.2f} s CPU per rerun, truthful run included)")
    if result.paths:
        print(f"reruns by path: {result.paths}")
    if not result.exhaustive:
        print(f"projected for every type: {per_rerun * every_rerun:.0f} s wall, {cpu_per_rerun * every_rerun:.0f} s CPU "
              "(target < 120 s)")
    if best is not None and best.best is not None:
        print(f"manipulability {result.largest_gain:.4%}: volunteer {best.volunteer} ({best.truthful:.4%} as reported) "
              f"reporting {best.best.category} = {best.best.value} gets {best.best.probability:.4%}")


if __name__ == "__main__":
    main()
