"""Experiments on Dask: pools per second of a leximin end-to-end simulation on 1 and on 2 local
workers (the scaling ratio), and a sweep of 3 scenarios x 8 algorithms x 3 seeds on climate_300.

    OMP_NUM_THREADS=1 python benchmarks/bench_experiments.py [--pools 40] [--seeds 3] [--skip-sweep]

Scenarios of the sweep: the bundled quotas, the same widened by one seat each way, and narrowed by
one seat each way (where that keeps min <= max). Options: legacy 2,000 runs, diversimax 10 s, as
the app runs them; endtoend with the example's background sample and letters.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from core.endtoend.background import encode_background, load_background  # noqa: E402
from core.endtoend.participation import fit_instance  # noqa: E402
from core.experiments.cluster import open_client  # noqa: E402
from core.experiments.simulate import Simulation, simulate  # noqa: E402
from core.experiments.sweep import run_sweep  # noqa: E402
from core.io.examples import EXAMPLES_FOLDER, load_example  # noqa: E402
from core.selection import REGISTRY  # noqa: E402
from core.views.endtoend import population_model  # noqa: E402

EXAMPLE = "climate_300"


def simulation_rate(simulation: Simulation, pools: int, workers: int) -> tuple[float, float]:
    """(pools per second, seconds) of a leximin simulation of `pools` pools on `workers` local workers
    (cluster start-up excluded: it is timed from the first task's submission)."""
    with open_client(workers=workers) as client:
        client.wait_for_workers(workers)
        client.run(lambda: __import__("core.fair.leximin"))  # imports are not what we measure
        started = time.perf_counter()
        simulate(simulation, ["leximin"], pools, client=client)
        seconds = time.perf_counter() - started
    return pools / seconds, seconds


def scenarios(instance) -> dict:
    from dataclasses import replace

    wide = [replace(q, min=max(0, q.min - 1), max=q.max + 1) for q in instance.quotas]
    narrow = [replace(q, min=q.min + 1, max=q.max - 1) if q.max - q.min >= 2 else q for q in instance.quotas]
    return {"bundled": instance, "wider by 1": instance.with_quotas(wide), "narrower by 1": instance.with_quotas(narrow)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, default=40, help="pools per leximin simulation")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--skip-sweep", action="store_true")
    args = parser.parse_args()
    instance, extras = load_example(EXAMPLE)
    meta = json.loads((EXAMPLES_FOLDER / EXAMPLE / "example.json").read_text())
    background = load_background(EXAMPLES_FOLDER / EXAMPLE / "background.csv")
    fit = fit_instance(instance, background, meta["letters"], resamples=0)
    model = population_model(instance, fit, encode_background(instance, background, meta["letters"]))
    simulation = Simulation(model, meta["letters"], instance.k, list(instance.quotas), seed=0)
    print(f"{EXAMPLE}: leximin end-to-end simulation, {args.pools} pools of about "
          f"{meta['letters'] * model.mean_participation:.0f} volunteers, {model.types} population types")
    rates = {}
    for workers in (1, 2):
        rates[workers], seconds = simulation_rate(simulation, args.pools, workers)
        print(f"  {workers} worker(s): {rates[workers]:.2f} pools/s ({seconds:.1f} s)")
    print(f"  scaling 1 -> 2 workers: {rates[2] / rates[1]:.2f}x")
    if args.skip_sweep:
        return
    options = {"legacy": {"draws": 2000}, "diversimax": {"time_limit": 10},
               "endtoend": {"background": extras["background"], "letters": extras["letters"]}}
    algorithms = list(REGISTRY)
    grid = scenarios(instance)
    total = len(grid) * len(algorithms) * args.seeds
    with open_client(workers=2) as client:
        client.wait_for_workers(2)
        started = time.perf_counter()
        table = run_sweep(grid, algorithms, list(range(args.seeds)), options=options, client=client)
        seconds = time.perf_counter() - started
    print(f"sweep on {EXAMPLE}: {len(grid)} scenarios x {len(algorithms)} algorithms x {args.seeds} seeds = {total} runs "
          f"on 2 workers in {seconds:.1f} s ({(table['status'] == 'ok').sum()} ok)")
    per_algorithm = table.groupby("algorithm", sort=False).agg(seconds=("seconds", "median"),
                                                               min_probability=("min probability", "median"))
    print(per_algorithm.to_string(float_format=lambda x: f"{x:.4f}"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sweep.parquet"
        table.to_parquet(path)
        print(f"results table: {len(pd.read_parquet(path))} rows, {path.stat().st_size:,} bytes as Parquet")


if __name__ == "__main__":
    main()
