"""Time to first render of every workbench page on the realistic example (climate_300), printed.

Each page's script is run by Streamlit's AppTest in one session, as a person would click through:
Home (loads the example), Pool and quotas, Compare (before and after running the algorithms),
Lottery. "first render" is the first run of the page's script with cold caches; "again" is the next
run of the same page (cached feasibility, results and lottery). Not a test: figures depend on the machine.

    python benchmarks/bench_app.py [--algorithms leximin,legacy] [--example climate_300]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere
PAGES = [("Pool and quotas", "pages/1_Pool_and_quotas.py"), ("Compare", "pages/2_Compare.py"),
         ("Lottery", "pages/3_Lottery.py")]


def timed(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"the page raised: {[e.value for e in at.exception]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="climate_300")
    parser.add_argument("--algorithms", default="leximin,legacy",
                        help="comma-separated algorithms run on the Compare page before timing the Lottery page")
    args = parser.parse_args()
    from ui.algorithms import available

    algorithms = [a for a in args.algorithms.split(",") if a in available()]
    rows: list[tuple[str, float, float | None]] = []
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=3600)
    first = timed(at)  # loads the default example
    rows.append(("Home (cold start, imports + default example)", first, None))
    at.selectbox(key="example_choice").set_value(args.example)
    timed(at)
    if not at.button(key="load_example").disabled:  # the default example is loaded already
        at.button(key="load_example").click()
        loaded = timed(at)
        rows.append((f"Home (load {args.example})", loaded, timed(at)))
    for label, page in PAGES[:2]:
        at.switch_page(page)
        rows.append((label, timed(at), timed(at)))
    at.multiselect(key="compare_algorithms").set_value(algorithms)
    timed(at)
    next(b for b in at.button if b.label == "Run").click()
    started = time.perf_counter()
    timed(at)  # starts the run in the background
    while at.session_state["compare_run"].running:
        time.sleep(0.1)
    finished = time.perf_counter() - started
    rows.append((f"Compare: run {', '.join(algorithms)} (click to last result)", finished + timed(at), timed(at)))
    at.switch_page(PAGES[2][1])
    rows.append(("Lottery (1,000 tickets)", timed(at), timed(at)))

    instance = at.session_state["instance"]
    print(f"{args.example}: n={instance.n}, k={instance.k}, {len(instance.categories)} categories")
    print(f"{'page':<50} {'first render':>13} {'again':>8}")
    for label, seconds, again in rows:
        print(f"{label:<50} {seconds:>12.2f}s {('' if again is None else f'{again:.2f}s'):>8}")


if __name__ == "__main__":
    main()
