"""Benchmark of the fair algorithms (maximin, leximin, nash) and, optionally, of the peer library.

    python benchmarks/bench_fair.py [--instances example_small_20,sf_a,...] [--algorithms leximin,nash]
                                    [--peer /path/to/venv/bin/python] [--peer-algorithms maximin,nash]
                                    [--timeout 900]

Instances: the public example_small_20 / example_large_200 (../shared/data) and the paper-shaped
instances of core.io.generator (sf_a, sf_d, cca, sf_e, scale). Every run is a fresh subprocess, so
wall time includes imports and the peak memory (ru_maxrss of the child) is that run's alone.
Prints one line per instance and algorithm, then the ratios to the peer when --peer is given.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED_DATA = ROOT.parent / "shared" / "data"
PUBLIC = {"example_small_20": 20, "example_large_200": 200}
DEFAULT_INSTANCES = ["example_small_20", "example_large_200", "sf_a", "sf_d", "cca", "sf_e", "scale"]

OURS = """
import json, resource, sys, time, numpy as np
sys.path.insert(0, {root!r})
from benchmarks.bench_fair import load
from core.selection import run
instance = load({name!r})
result = run({algorithm!r}, instance, seed=0)
p = result.marginals
print(json.dumps({{"seconds": result.seconds, "mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "objective": result.objective, "min": float(p.min()),
                  "nash": float(np.log(p[p > 0]).sum()), "support": result.support, "types": instance.types.size,
                  "info": {{k: v for k, v in result.info.items() if k in ("rounds", "stages", "pricing_calls", "gap",
                            "frank_wolfe_gap", "panels_generated")}}}}, default=float))
"""

PEER = """
import csv, json, math, resource, sys, time
from sortition_algorithms.features import read_in_features
from sortition_algorithms.people import read_in_people
from sortition_algorithms.settings import Settings
from sortition_algorithms.committee_generation.maximin import find_distribution_maximin
from sortition_algorithms.committee_generation.nash import find_distribution_nash
folder, k, algorithm = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(folder + "/quotas.csv") as f:
    rows = list(csv.DictReader(f))
features, _, _ = read_in_features(["feature", "value", "min", "max"],
    [{{"feature": r["category"], "value": r["feature"], "min": r["min"], "max": r["max"]}} for r in rows], k)
with open(folder + "/pool.csv") as f:
    reader = csv.DictReader(f); body = list(reader); head = reader.fieldnames
settings = Settings(id_column="id", columns_to_keep=[])
people, _ = read_in_people(head, body, features, settings)
find = find_distribution_maximin if algorithm == "maximin" else find_distribution_nash
started = time.perf_counter()
committees, probabilities, _ = find(features, people, k, [])
seconds = time.perf_counter() - started
marginal = {{row["id"]: 0.0 for row in body}}
for committee, p in zip(committees, probabilities):
    for person in committee:
        marginal[person] += p
values = list(marginal.values())
print(json.dumps({{"seconds": seconds, "mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "min": min(values),
                  "nash": sum(math.log(v) for v in values if v > 0)}}))
"""


def load(name: str):
    """The instance called `name`: a public example or a paper-shaped generated instance."""
    if name in PUBLIC:
        from core.io.loaders import load_instance

        folder = SHARED_DATA / name
        return load_instance(folder / "respondents.csv", folder / "categories.csv", PUBLIC[name])
    from core.io.generator import paper_shaped

    return paper_shaped(name, seed=0).instance


def run_child(argv: list[str], timeout: float) -> tuple[dict | None, float]:
    """Run a subprocess; returns (its JSON output or None, wall seconds including imports).

    The child reports its own algorithm seconds and peak resident memory (ru_maxrss)."""
    started = time.perf_counter()
    try:
        out = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - started
    wall = time.perf_counter() - started
    if out.returncode != 0:
        print(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed", file=sys.stderr)
        return None, wall
    return json.loads(out.stdout.strip().splitlines()[-1]), wall


def export_for_peer(name: str, folder: Path) -> int:
    instance = load(name)
    pool = instance.pool[instance.categories].copy()
    pool.insert(0, "id", instance.ids)
    pool.to_csv(folder / "pool.csv", index=False)
    with open(folder / "quotas.csv", "w") as f:
        f.write("category,feature,min,max\n")
        f.writelines(f"{q.category},{q.value},{q.min},{q.max}\n" for q in instance.quotas)
    return instance.k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", default=",".join(DEFAULT_INSTANCES))
    parser.add_argument("--algorithms", default="maximin,leximin,nash")
    parser.add_argument("--peer", help="python of a virtualenv with sortition-algorithms installed")
    parser.add_argument("--peer-algorithms", default="maximin,nash", help="the peer's algorithms to run")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    args = parser.parse_args()
    print(f"{'instance':18} {'algorithm':8} {'wall s':>8} {'algo s':>8} {'MiB':>7} {'objective':>14} {'min prob':>9} "
          f"{'log-welfare':>12}  info")
    for name in args.instances.split(","):
        ours: dict[str, tuple[dict | None, float]] = {}
        for algorithm in args.algorithms.split(","):
            code = OURS.format(root=str(ROOT), name=name, algorithm=algorithm)
            result, wall = run_child([sys.executable, "-c", code], args.timeout)
            ours[algorithm] = (result, wall)
            if result is None:
                print(f"{name:18} {algorithm:8} {wall:8.2f}  did not finish")
                continue
            print(f"{name:18} {algorithm:8} {wall:8.2f} {result['seconds']:8.2f} {result['mib']:7.0f} "
                  f"{result['objective']:14.6f} {result['min']:9.5f} "
                  f"{result['nash']:12.4f}  types={result['types']} support={result['support']} {result['info']}")
        if not args.peer:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            k = export_for_peer(name, Path(tmp))
            for algorithm in args.peer_algorithms.split(","):
                result, wall = run_child([args.peer, "-c", PEER.format(), tmp, str(k), algorithm], args.timeout)
                if result is None:
                    print(f"{name:18} peer-{algorithm:3} {wall:8.2f}  did not finish in {args.timeout:.0f} s")
                    continue
                print(f"{name:18} peer-{algorithm:3} {wall:8.2f} {result['seconds']:8.2f} {result['mib']:7.0f} {'':14} "
                      f"{result['min']:9.5f} {result['nash']:12.4f}")
                mine = ours.get("leximin" if algorithm == "maximin" else "nash", (None, 0))
                if mine[0] is not None:  # algorithm time, without interpreter start and imports
                    ratio = result["seconds"] / max(mine[0]["seconds"], 1e-9)
                    extra = f", welfare ours - peer = {mine[0]['nash'] - result['nash']:+.4f}" if algorithm == "nash" else ""
                    which = "leximin" if algorithm == "maximin" else "nash"
                    print(f"{'':18} ratio peer-{algorithm} / our {which}: {ratio:.1f}x{extra}")


if __name__ == "__main__":
    main()
