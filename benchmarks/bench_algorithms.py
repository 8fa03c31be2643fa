"""The issue-15 table rows for goldilocks, endtoend (Phase II, quota mode), uniform and legacy: seconds per run.

    python benchmarks/bench_algorithms.py [--rows goldilocks,endtoend,uniform,legacy]
                                          [--instances climate_300,sf_e] [--before /path/to/old/checkout]

Instances: the bundled climate_300 example (with its background sample and letters) and the
paper-shaped 1,727/110/7 pool `core.io.generator.paper_shaped("sf_e")` (its generated background and
letters). Every run is a fresh subprocess with OMP_NUM_THREADS=1; "algo s" is the algorithm's own
time (`SelectionResult.seconds`, imports excluded), "wall s" includes the interpreter and imports.
With --before, the same runs use the code at that path (e.g. a checkout of main) on the next
line, side by side. Targets (issue 15): goldilocks < 2 s / < 60 s with gap <= 1e-6, endtoend
< 3 s / < 20 s, uniform < 3 s on climate_300, legacy 10,000 runs on sf_e < 30 s.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_fair import run_child  # noqa: E402

ROWS = {  # algorithm -> (instances it is measured on, options)
    "goldilocks": (["climate_300", "sf_e"], {}),
    "endtoend": (["climate_300", "sf_e"], {"mode": "quotas"}),
    "uniform": (["climate_300"], {}),
    "legacy": (["sf_e"], {"draws": 10_000}),
}
INFO = ("gap", "rounds", "exact", "method", "failed_attempts", "deviation", "face_walk_panels")

CHILD = """
import json, resource, sys
sys.path.insert(0, {root!r})
from core.selection import run
name, algorithm, options = {name!r}, {algorithm!r}, {options!r}
if name == "sf_e":
    from core.io.generator import paper_shaped
    generated = paper_shaped("sf_e", seed=0)
    instance, background, letters = generated.instance, generated.background, generated.letters
else:
    from core.io.examples import load_example
    instance, extras = load_example(name)
    background, letters = extras["background"], extras["letters"]
if algorithm == "endtoend":
    options.update(background=background, letters=letters)
result = run(algorithm, instance, seed=0, options=options)
info = {{k: result.info[k] for k in {info!r} if k in result.info}}
print(json.dumps({{"seconds": result.seconds, "mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "min": float(result.marginals.min()), "info": info}}, default=str))
"""


def measure(root: Path, name: str, algorithm: str, options: dict, timeout: float) -> str:
    code = CHILD.format(root=str(root), name=name, algorithm=algorithm, options=options, info=INFO)
    result, wall = run_child([sys.executable, "-c", code], timeout)
    if result is None:
        return f"{wall:8.2f} {'':>8}  did not finish (or failed) within {timeout:.0f} s"
    return f"{wall:8.2f} {result['seconds']:8.2f} {result['mib']:7.0f} {result['min']:9.5f}  {result['info']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default=",".join(ROWS))
    parser.add_argument("--instances", default="climate_300,sf_e")
    parser.add_argument("--before", help="a checkout of the old code, measured on the line below each row")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"
    wanted = set(args.instances.split(","))
    print(f"{'algorithm':11} {'instance':12} {'code':6} {'wall s':>8} {'algo s':>8} {'MiB':>7} {'min prob':>9}  info")
    for algorithm in args.rows.split(","):
        names, options = ROWS[algorithm]
        for name in [n for n in names if n in wanted]:
            shown = "1727/110/7" if name == "sf_e" else name
            print(f"{algorithm:11} {shown:12} {'now':6} {measure(ROOT, name, algorithm, dict(options), args.timeout)}",
                  flush=True)
            if args.before:
                print(f"{'':11} {'':12} {'before':6} "
                      f"{measure(Path(args.before), name, algorithm, dict(options), args.timeout)}", flush=True)


if __name__ == "__main__":
    main()
