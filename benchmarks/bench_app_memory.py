"""Peak memory of the app after one visitor uses every page at the largest settings it allows, printed.

The app's scripts run in this one process through Streamlit's AppTest (exactly the code
`streamlit run` executes per visitor, minus the web server), so the process's peak resident set
size is the app's. On `large_2000` (2,000 volunteers, k = 150) the visitor:
  Home: loads the example;  Pool and quotas;  Compare: runs every algorithm offered;
  Lottery: the largest M the page allows (tickets x k <= 2,000,000), for every distribution, then draws;
  Intersections: Diversimax with the largest table order, no cell limit and the longest time limit,
  the fair baseline and legacy; End to end: 200 bootstrap resamples, endtoend's lottery with the
  quotas, and the largest simulation of endtoend (100,000 pools; the other methods on --other-pools
  pools, default 2: their memory does not grow with the count, their time does);  Classroom.
After each step the current and peak RSS are printed; the target is a peak under 700 MB.
`--tracemalloc` also prints the largest Python allocations alive at the end (slower).

    OMP_NUM_THREADS=1 python benchmarks/bench_app_memory.py [--example large_2000] [--algorithms a,b]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere
TARGET_MB = 700


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB (Linux /proc and getrusage)."""
    current = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Visit:
    """One visitor's session, printing time and memory after every step."""

    def __init__(self) -> None:
        self.at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=3 * 3600)
        self.rows: list[tuple[str, float, float, float]] = []

    def step(self, label: str) -> AppTest:
        started = time.perf_counter()
        self.at.run()
        seconds = time.perf_counter() - started
        if self.at.exception:
            raise SystemExit(f"{label}: the page raised {[e.value for e in self.at.exception]}")
        current, peak = rss_mb()
        self.rows.append((label, seconds, current, peak))
        errors = " ".join(e.value.split("\n")[0][:100] for e in self.at.error)
        print(f"{label:<62} {seconds:8.1f} s  RSS {current:6.0f} MB  peak {peak:6.0f} MB"
              + (f"  [shown error: {errors}]" if errors else ""), flush=True)
        return self.at

    def button(self, label: str):
        return next(b for b in self.at.button if b.label == label)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="large_2000")
    parser.add_argument("--algorithms", default="", help="comma-separated; default: every algorithm the page offers")
    parser.add_argument("--other-pools", type=int, default=2,
                        help="simulated pools for the methods other than endtoend on the End to end page")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    if args.tracemalloc:
        tracemalloc.start(10)
    visit = Visit()
    at = visit.at
    visit.step("Home (cold start, default example)")
    at.selectbox(key="example_choice").set_value(args.example).run()  # the button then offers to load it
    at.button(key="load_example").click()
    visit.step(f"Home: load {args.example}")
    at.switch_page("pages/1_Pool_and_quotas.py")
    visit.step("Pool and quotas")

    at.switch_page("pages/2_Compare.py")
    visit.step("Compare")
    offered = at.multiselect(key="compare_algorithms").options
    chosen = [a for a in args.algorithms.split(",") if a in offered] if args.algorithms else list(offered)
    at.multiselect(key="compare_algorithms").set_value(chosen)
    visit.step(f"Compare: choose {len(chosen)} algorithms")
    visit.button("Run").click()
    visit.step("Compare: start the run (it goes on in the background)")
    while at.session_state["compare_run"].running:
        time.sleep(0.5)
    visit.step(f"Compare: run {', '.join(chosen)}")

    at.switch_page("pages/3_Lottery.py")
    visit.step("Lottery")
    distributions = list(at.selectbox[0].options)
    tickets = at.number_input[0]
    most = int(tickets.max)
    for name in distributions:
        at.selectbox[0].set_value(name)
        at.number_input[0].set_value(most)
        visit.step(f"Lottery: {name}, M = {most:,}")
    visit.button("Draw the panel").click()
    visit.step("Lottery: draw")

    at.switch_page("pages/4_Intersections.py")
    visit.step("Intersections")
    at.selectbox(key="dmax_order").set_value(3)
    at.number_input(key="dmax_max_cells").set_value(100_000)
    at.slider(key="dmax_time_limit").set_value(120)
    at.button(key="run_diversimax").click()
    visit.step("Intersections: Diversimax, order 3, no cell limit, 120 s")
    if not at.button(key="run_missing").disabled:
        at.button(key="run_missing").click()
        visit.step("Intersections: fair baseline and legacy")
    at.multiselect(key="intersection_categories").set_value(list(at.multiselect(key="intersection_categories").options)[:3])
    visit.step("Intersections: a three-category table")

    at.switch_page("pages/5_End_to_end.py")
    visit.step("End to end")
    at.slider(key="e2e_resamples").set_value(200)
    at.button(key="e2e_estimate").click()
    visit.step("End to end: estimate, 200 resamples")
    at.button(key="e2e_build").click()
    visit.step("End to end: build endtoend's lottery with the quotas")
    at.select_slider(key="e2e_phase_pools").set_value(100_000)
    at.slider(key="e2e_other_pools").set_value(args.other_pools)
    at.button(key="e2e_simulate").click()
    visit.step(f"End to end: simulate (100,000 pools; others {args.other_pools})")

    at.switch_page("pages/6_Classroom.py")
    visit.step("Classroom")

    peak = max(row[3] for row in visit.rows)
    print(f"\nPeak RSS of the app process: {peak:.0f} MB (target < {TARGET_MB} MB): "
          + ("met" if peak < TARGET_MB else "NOT met"))
    if args.tracemalloc:
        current, traced_peak = tracemalloc.get_traced_memory()
        print(f"tracemalloc: {current / 2**20:.0f} MB alive, {traced_peak / 2**20:.0f} MB at the peak; largest now:")
        for stat in tracemalloc.take_snapshot().statistics("traceback")[:12]:
            print(f"  {stat.size / 2**20:7.1f} MB  {stat.traceback.format()[-1].strip()}")


if __name__ == "__main__":
    main()
