"""Time the legacy greedy method's Monte Carlo estimate (target: 10,000 draws on example_large_200 in
under 60 s) and print its fairness figures next to the Nature paper's (legacy min probability <= 0.25%).

    python benchmarks/bench_legacy.py [--draws 10000] [--seed 0] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.algorithms.legacy import exact_legacy_marginals  # noqa: E402
from core.analysis.metrics import probability_metrics  # noqa: E402
from core.io.loaders import load_instance  # noqa: E402
from core.selection import run  # noqa: E402

EXAMPLES = {"example_small_20": (20, "<= 1.21%"), "example_large_200": (200, "<= 0.25%")}  # k, paper's legacy min


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    args = parser.parse_args()
    for name, (k, paper) in EXAMPLES.items():
        folder = Path(args.data) / name
        instance = load_instance(folder / "respondents.csv", folder / "categories.csv", k)
        started = time.perf_counter()
        result = run("legacy", instance, seed=args.seed, options={"draws": args.draws})
        seconds = time.perf_counter() - started
        m = probability_metrics(result.marginals, k)
        lowest = result.marginals.argmin()
        print(f"{name}: n={instance.n} k={k} types={instance.types.size} draws={args.draws} "
              f"seconds={seconds:.2f} (algorithm {result.seconds:.2f})")
        print(f"  min probability {m['min']:.4%} (95% CI {result.info['ci_low'][lowest]:.4%}"
              f"-{result.info['ci_high'][lowest]:.4%}), max {m['max']:.2%}, gini {m['gini']:.2%}, "
              f"below k/n {m['share_below_fair']:.1%}, below k/(2n) {m['share_below_half_fair']:.1%}, "
              f"failed attempts {result.info['failed_attempts']}")
        try:  # the exact recursion is quick when few greedy paths exist, as on these two pools
            exact = exact_legacy_marginals(instance, max_states=50_000)
            print(f"  exact legacy min probability {exact.min():.4%} (Nature paper: {paper})")
        except ValueError:
            print("  exact legacy probabilities: too many states to enumerate")


if __name__ == "__main__":
    main()
