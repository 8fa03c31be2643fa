"""Start-up of the command line, whole process (targets: `--help` < 1 s, `check` < 1.5 s on
climate_300, 300 volunteers, k = 30), and the solver modules each command loads.

    python benchmarks/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "climate_300"
COMMANDS = {
    "--help": ["--help"],
    "check climate_300": ["check", "--pool", str(EXAMPLE / "pool.csv"), "--quotas", str(EXAMPLE / "quotas.csv"),
                          "--k", "30"],
}
TARGETS = {"--help": 1.0, "check climate_300": 1.5}
SOLVERS = ("cvxpy", "scipy.optimize", "scipy.stats", "mip", "highspy")
# runs a command in-process and lists the solver modules it loaded
PROBE = ("import runpy, sys; sys.argv = ['core'] + sys.argv[1:]\n"
         "try:\n    runpy.run_module('core', run_name='__main__')\nexcept SystemExit:\n    pass\n"
         f"print(','.join(m for m in {SOLVERS!r} if m in sys.modules), file=sys.stderr)")


def whole_process(arguments: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of `python -m core ARGUMENTS`, start to exit. On a
    loaded machine the CPU time is the steadier figure: the wall time includes waiting for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "core", *arguments], cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def solvers_loaded(arguments: list[str]) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, *arguments], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for name, arguments in COMMANDS.items():
        whole_process(arguments)  # warm the file cache
        runs = [whole_process(arguments) for _ in range(args.runs)]
        wall, cpu = [w for w, _ in runs], [c for _, c in runs]
        print(f"{name}: wall median {statistics.median(wall):.2f} s (min {min(wall):.2f}, max {max(wall):.2f}), "
              f"CPU median {statistics.median(cpu):.2f} s, over {args.runs} runs (target < {TARGETS[name]} s); "
              f"solver modules loaded: {solvers_loaded(arguments) or 'none'}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
