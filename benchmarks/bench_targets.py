"""Time the algorithms that take ex-ante targets, with targets proportional to the population shares.

    OMP_NUM_THREADS=1 python benchmarks/bench_targets.py [--instances climate_300,large_2000]
                                                         [--algorithms goldilocks] [--before /path/to/old/checkout]

Each run is a fresh subprocess (the code under this checkout, or under --before on the next line,
side by side) on a bundled example with `core.design.targets.proportional_targets`; it prints the
algorithm's own seconds, its rounds, its gap or deviation, whether the targets are met, and the
largest deviation from them in seats.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys
sys.path.insert(0, {root!r})
from core.design.targets import proportional_targets
from core.io.examples import load_example
from core.selection import run
instance, _ = load_example({name!r})
instance = instance.with_quotas(proportional_targets(instance))
result = run({algorithm!r}, instance, seed=0)
info = result.info
print(json.dumps({{"seconds": result.seconds, "rounds": info.get("rounds"), "gap": info.get("gap"),
                  "targets_met": info.get("targets_met"), "deviation": info.get("largest_target_deviation"),
                  "objective": result.objective}}))
"""


def run_child(root: Path, name: str, algorithm: str) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(root), name=name, algorithm=algorithm)],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="climate_300,large_2000")
    parser.add_argument("--algorithms", default="goldilocks")
    parser.add_argument("--before", help="another checkout to time on the next line (e.g. main before a change)")
    args = parser.parse_args()
    roots = [("this", ROOT)] + ([("before", Path(args.before).resolve())] if args.before else [])
    print(f"{'instance':<12} {'algorithm':<11} {'code':<7} {'algo s':>8} {'rounds':>6} {'gap':>10} "
          f"{'met':>5} {'deviation':>10} {'objective':>12}")
    for name in args.instances.split(","):
        for algorithm in args.algorithms.split(","):
            for label, root in roots:
                r = run_child(root, name, algorithm)
                gap = "" if r["gap"] is None else f"{r['gap']:.1e}"
                deviation = "" if r["deviation"] is None else f"{r['deviation']:.1e}"
                print(f"{name:<12} {algorithm:<11} {label:<7} {r['seconds']:>8.2f} {str(r['rounds']):>6} {gap:>10} "
                      f"{str(r['targets_met']):>5} {deviation:>10} {r['objective']:>12.6f}", flush=True)


if __name__ == "__main__":
    main()
