"""End-to-end simulation speed: Phase-I marginals over many pools of a Climate-Assembly-sized instance.

Population: core.io.generator.climate_assembly_spec(7) (7 categories, 4,608 value combinations,
mean participation 2.9%), N = 1,000,000 people; r = 60,000 letters; k = 110. Target (issue 5):
100,000 pools in under 2 minutes on this machine. Also times the participation fit on a
generated pool of 1,727 with a background sample of 2,000.

    python benchmarks/bench_endtoend.py [--pools 100000] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.endtoend.participation import fit_instance  # noqa: E402
from core.endtoend.simulation import PopulationModel, simulate_phase_one  # noqa: E402
from core.io.generator import climate_assembly_spec, generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pools", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resamples", type=int, default=20)
    args = parser.parse_args()

    spec = climate_assembly_spec(7)
    model = PopulationModel.from_spec(spec, size=1_000_000)
    print(f"population: {model.types} types, N = {model.size:,.0f}, mean participation {model.mean_participation:.4f}")
    started = time.perf_counter()
    result = simulate_phase_one(model, 60_000, 110, args.pools, seed=args.seed)
    seconds = time.perf_counter() - started
    summary = result.summary(model)
    print(f"Phase I end to end: {result.pools:,} pools (r = 60,000, k = 110) in {seconds:.1f} s "
          f"({'within' if seconds < 120 else 'OVER'} the 120 s target); {result.info['pools_with_capping']} pools needed capping")
    print(f"  population share within +-10% of k/N: {summary['population_share_within_10pct']:.4f}")
    print(f"  ratio to k/N over the {summary['precise_types']} precisely estimated types "
          f"({summary['precise_population_share']:.1%} of people): {summary['min_ratio']:.3f} .. {summary['max_ratio']:.3f}")

    g = generate(spec, 1727, 110, seed=args.seed, background_size=2000)
    started = time.perf_counter()
    fit = fit_instance(g.instance, g.background, g.letters, resamples=args.resamples, seed=args.seed)
    print(f"participation fit, pool 1,727, background 2,000, {args.resamples} bootstrap resamples: "
          f"{time.perf_counter() - started:.1f} s ({fit.solver}); q* = {fit.q_star:.4f}, alpha = {fit.alpha(110):.2f}")


if __name__ == "__main__":
    main()
