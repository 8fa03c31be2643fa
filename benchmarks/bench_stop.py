"""How soon Stop takes effect: for every algorithm of the registry, the longest stretch between two
cancellation checks (core.cancel) and the time from Stop to the run's end, printed.

Each algorithm runs once to the end with a token that records when it was checked (count of checks,
longest gap between two, and from the last check to the end), then again with Stop pressed halfway
through that run's time (the seconds from Stop until `Cancelled` reached the caller). App options
(legacy 2,000 runs, Diversimax with a 10 s limit). Each algorithm's module is imported before its
clock starts: the first use of an algorithm in a process also pays its imports (and the solver's
start-up), which no check can interrupt. Not a test: figures depend on the machine.

    OMP_NUM_THREADS=1 python benchmarks/bench_stop.py [--example climate_300] [--algorithms a,b]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere


def checked_run(name: str, instance, options: dict) -> tuple[float, list[float], float]:
    """Run `name` to the end under a token that records its checks: (start, check times, end)."""
    from core.cancel import CancelToken, active, checked_progress
    from core.selection import no_progress, run

    checks: list[float] = []

    def record() -> bool:
        checks.append(time.perf_counter())
        return True

    started = time.perf_counter()
    with active(CancelToken(alive=record)):
        run(name, instance, seed=1, options=options, progress=checked_progress(no_progress))
    return started, checks, time.perf_counter()


def stop_latency(name: str, instance, options: dict, after: float) -> float | None:
    """Seconds from Stop (pressed `after` seconds into the run) until the run ended; None if it
    finished first."""
    from core.cancel import Cancelled, CancelToken, active, checked_progress
    from core.selection import no_progress, run

    token = CancelToken()
    outcome: dict[str, float] = {}

    def work() -> None:
        try:
            with active(token):
                run(name, instance, seed=1, options=options, progress=checked_progress(no_progress))
        except Cancelled:
            outcome["ended"] = time.perf_counter()

    worker = threading.Thread(target=work)
    worker.start()
    time.sleep(after)
    pressed = time.perf_counter()
    token.cancel()
    worker.join()
    return outcome["ended"] - pressed if "ended" in outcome else None


def main() -> None:
    from core.io.examples import load_example
    from core.selection import REGISTRY, algorithm
    from ui.compare_run import DIVERSIMAX_DEFAULT_SECONDS, compare_options

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="climate_300")
    parser.add_argument("--algorithms", default=",".join(REGISTRY))
    args = parser.parse_args()
    instance, extras = load_example(args.example)
    print(f"{args.example}: n={instance.n}, {instance.types.size} types, k={instance.k}")
    print(f"{'algorithm':<12} {'run':>8} {'checks':>7} {'longest gap':>12} {'last to end':>12} {'Stop to end':>12}")
    for name in args.algorithms.split(","):
        algorithm(name)  # its module imported first: an import (once per process) cannot be stopped
        options = compare_options(name, extras, DIVERSIMAX_DEFAULT_SECONDS)
        started, checks, ended = checked_run(name, instance, options)
        marks = [started, *checks]
        gap = max(b - a for a, b in itertools.pairwise(marks)) if checks else ended - started
        tail = ended - (checks[-1] if checks else started)
        latency = stop_latency(name, instance, options, (ended - started) / 2)
        shown = f"{latency:.2f}s" if latency is not None else "finished"
        print(f"{name:<12} {ended - started:>7.2f}s {len(checks):>7} {gap:>11.2f}s {tail:>11.2f}s {shown:>12}")


if __name__ == "__main__":
    main()
