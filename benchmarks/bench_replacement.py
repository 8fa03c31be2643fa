"""Benchmark of the work after the draw: a replacement draw and an optimised reserve list.

    OMP_NUM_THREADS=1 python benchmarks/bench_replacement.py [--seeds 0 1 2] [--declines 10]
                                                          [--alternates 20] [--scenarios 200]

1. Replacement draw (target < 10 s): a 1,727/110/7 pool (`core.io.generator.paper_shaped("sf_e")`),
   a leximin panel drawn with the seed, `--declines` of its members declining; the time is
   `draw_replacements` alone (conditioning, the feasibility check, leximin on the conditioned
   instance, the draw and the check of the completed panel).
2. Reserve list (target < 60 s, gap reported): climate_300 (k = 30), a leximin panel drawn with the
   seed, `--alternates` reserves over `--scenarios` drop-out scenarios (rate 0.1); the time is
   `optimise_reserve` alone (it stops at work limits, not at a clock: they are printed), with the
   expected deviation and broken quotas of the optimised list and of the greedy baseline on the same
   scenarios.
Prints one line per run and the medians; wall time, and the CPU time of this process (HiGHS runs
single-threaded in it), which is what an unloaded machine would take.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.after.replacement import draw_replacements
from core.after.reserve import optimise_reserve
from core.io.examples import load_example
from core.io.generator import paper_shaped
from core.selection import run


def bench_replacement(seeds: list[int], declines: int) -> None:
    instance = paper_shaped("sf_e", seed=0).instance
    started, cpu = time.perf_counter(), time.process_time()
    result = run("leximin", instance, seed=0)
    print(f"sf_e-shaped pool {instance.n}/{instance.k}/{len(instance.categories)}: leximin for the panel "
          f"{time.perf_counter() - started:.1f} s (CPU {time.process_time() - cpu:.1f} s; README, quiet machine: 19.7 s)")
    times, cpus = [], []
    for seed in seeds:
        panel = result.draw(1, seed)[0]
        declined = sorted(int(i) for i in np.random.default_rng(seed).choice(panel, size=declines, replace=False))
        started, cpu = time.perf_counter(), time.process_time()
        outcome = draw_replacements(instance, panel, declined, seed=seed)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        times.append(seconds)
        cpus.append(cpu)
        chances = outcome.probabilities[outcome.probabilities > 0]
        print(f"  seed {seed}: {declines} declines -> {len(outcome.replacement_rows)} replacements in {seconds:.2f} s "
              f"(CPU {cpu:.2f} s) "
              f"(leximin on the conditioned {outcome.conditioned.instance.n}/{outcome.conditioned.instance.k}: "
              f"{outcome.info['algorithm_seconds']:.2f} s, support {outcome.info['support']}; "
              f"replacement probabilities {chances.min():.4f}..{chances.max():.4f})")
    print(f"replacement draw: median {statistics.median(times):.2f} s wall, {statistics.median(cpus):.2f} s CPU "
          "(target < 10 s)")


def bench_reserve(seeds: list[int], alternates: int, scenarios: int) -> None:
    instance, _ = load_example("climate_300")
    result = run("leximin", instance, seed=0)
    times = []
    for seed in seeds:
        panel = result.draw(1, seed)[0]
        started, cpu = time.perf_counter(), time.process_time()
        reserve = optimise_reserve(instance, panel, alternates, seed=seed, scenarios=scenarios)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        times.append(seconds)
        info = reserve.info
        print(f"  seed {seed}: {alternates} reserves, {scenarios} scenarios in {seconds:.1f} s (CPU {cpu:.1f} s; {info['status']}, "
              f"{info['scenario_classes']} scenario classes, {info['candidate_types']} candidate types; work limits: "
              f"{info['batches_solved']}/{info['batches']} batches of {info['batch_scenarios']} scenarios, "
              f"node limit {info['node_limit']} per program, {info['nodes']} nodes used; polish {info['polish']}): "
              f"optimised deviation {reserve.optimised.expected_deviation:.3f} "
              f"(broken quotas {reserve.optimised.expected_violations:.3f}, lower bound {info['objective_bound']:.3f}, "
              f"gap {info['absolute_gap']:.3f}); greedy {reserve.greedy.expected_deviation:.3f} "
              f"(broken {reserve.greedy.expected_violations:.3f})")
    print(f"reserve list on climate_300: median {statistics.median(times):.1f} s (target < 60 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--declines", type=int, default=10)
    parser.add_argument("--alternates", type=int, default=20)
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--only", choices=["replacement", "reserve"])
    args = parser.parse_args()
    if args.only != "reserve":
        bench_replacement(args.seeds, args.declines)
    if args.only != "replacement":
        bench_reserve(args.seeds, args.alternates, args.scenarios)


if __name__ == "__main__":
    main()
