"""Households at full speed: address columns cost nothing when no one shares an address, and little
when a few do. Whole-process times of `python -m core select` on files written here.

  (a) 150 volunteers in the Sortition Foundation's fixture shape (4 categories, k = 22, address
      columns primary_address1, primary_zip, every address unique, quotas in the older
      `category,name,min,max,min_flex,max_flex` layout): leximin with and without --household,
      runs interleaved, medians side by side (target: the same).
  (b) a generated 1,727/110/7 pool (`core.io.generator.paper_shaped("sf_e")`) where 5% of volunteers
      share an address with one other (spelled differently: case, punctuation): leximin and legacy
      (10,000 runs) with --household (targets: each < 60 s).

    OMP_NUM_THREADS=1 python benchmarks/bench_households.py [--runs 5] [--skip-large]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.io.generator import climate_assembly_spec, generate, paper_shaped  # noqa: E402
from core.io.loaders import load_instance  # noqa: E402

ADDRESS = "primary_address1,primary_zip"


def write_files(instance, folder: Path, addresses: list[str], zips: list[str]) -> tuple[Path, Path]:
    """pool.csv with the two address columns, quotas.csv in the older Sortition Foundation layout."""
    folder.mkdir(parents=True, exist_ok=True)
    pool = instance.pool.assign(primary_address1=addresses, primary_zip=zips)
    pool.to_csv(folder / "pool.csv", index=False)
    quotas = pd.DataFrame([{"category": q.category, "name": q.value, "min": q.min, "max": q.max,
                            "min_flex": 0, "max_flex": instance.k} for q in instance.quotas])
    quotas.to_csv(folder / "quotas.csv", index=False)
    return folder / "pool.csv", folder / "quotas.csv"


def select(pool: Path, quotas: Path, k: int, algorithm: str, household: bool,
           extra: list[str] | None = None) -> tuple[float, float]:
    """Wall and CPU time (user + system) of one whole `python -m core select` process; raises if it
    fails. On a loaded machine the CPU time is the steadier figure."""
    command = [sys.executable, "-m", "core", "select", "--pool", str(pool), "--quotas", str(quotas), "--k", str(k),
               "--algorithm", algorithm, "--seed", "1", "--json", os.devnull, *(extra or [])]
    if household:
        command += ["--household", ADDRESS]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def fixture_shape(folder: Path, runs: int) -> None:
    generated = generate(climate_assembly_spec(4, coarse_regions=True), 150, 22, seed=5)
    n = generated.instance.n
    pool, quotas = write_files(generated.instance, folder / "sf_fixture", [f"{i + 1} Acacia Avenue" for i in range(n)],
                               [f"AB{i % 9} {i // 9}XY" for i in range(n)])
    loaded = load_instance(pool, quotas, 22, household=ADDRESS)
    plain = load_instance(pool, quotas, 22)
    times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for _ in range(runs):
        for household in (False, True):
            times[household].append(select(pool, quotas, 22, "leximin", household))
    print(f"(a) Sortition Foundation fixture shape: n={n} k=22, 4 categories, types {plain.types.size} without "
          f"and {loaded.types.size} with --household ({len(loaded.types.households)} shared addresses)")
    for household in (False, True):
        wall, cpu = [w for w, _ in times[household]], [c for _, c in times[household]]
        print(f"    leximin {'with' if household else 'without'} --household: wall median "
              f"{statistics.median(wall):.2f} s (min {min(wall):.2f}, max {max(wall):.2f}), CPU median "
              f"{statistics.median(cpu):.2f} s, over {runs} whole-process runs")


def large_pool(folder: Path) -> None:
    generated = paper_shaped("sf_e", seed=0)
    instance = generated.instance
    n, k = instance.n, instance.k
    rng = np.random.default_rng(0)
    sharing = rng.choice(n, size=2 * round(0.025 * n), replace=False)  # 5% of volunteers, in pairs
    addresses = [f"{i + 1} Station Road" for i in range(n)]
    zips = [f"ZZ{i}" for i in range(n)]
    for a, b in sharing.reshape(-1, 2):
        addresses[b] = addresses[a].upper() + "."  # the same address, spelled differently
        zips[b] = zips[a].lower()
    pool, quotas = write_files(instance, folder / "sf_e_households", addresses, zips)
    loaded = load_instance(pool, quotas, k, household=ADDRESS)
    print(f"(b) generated 1727/110/7 pool: n={n} k={k}, {len(sharing)} volunteers ({len(sharing) / n:.1%}) share an "
          f"address with one other; types {instance.types.size} without and {loaded.types.size} with --household")
    for algorithm, extra in (("leximin", []), ("legacy", ["--legacy-runs", "10000"])):
        for household in (True, False):
            wall, cpu = select(pool, quotas, k, algorithm, household, extra)
            print(f"    {algorithm} {'with' if household else 'without'} --household: wall {wall:.1f} s, CPU {cpu:.1f} s, "
                  f"whole process" + (" (target < 60 s)" if household else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-large", action="store_true", help="only part (a)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        fixture_shape(Path(folder), args.runs)
        if not args.skip_large:
            large_pool(Path(folder))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
