"""The command line loads only what a command uses: `--help` no solver, `check` only the quota MIP
(mip with HiGHS). A test of imports, not of time (benchmarks/bench_startup.py prints the times)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "climate_300"
HEAVY = ("cvxpy", "scipy.optimize", "scipy.stats", "mip", "highspy", "streamlit", "altair")
PROBE = ("import runpy, sys\nsys.argv = ['core'] + sys.argv[1:]\n"
         "try:\n    runpy.run_module('core', run_name='__main__')\nexcept SystemExit as done:\n    code = done.code\n"
         f"print('LOADED=' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
         "print('STATUS=' + str(code), file=sys.stderr)")


def loaded_by(*arguments: str) -> tuple[set[str], str]:
    """The heavy modules `python -m core ARGUMENTS` imports, and its exit status."""
    done = subprocess.run([sys.executable, "-c", PROBE, *arguments], cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    lines = {line.split("=", 1)[0]: line.split("=", 1)[1] for line in done.stderr.splitlines()
             if line.startswith(("LOADED=", "STATUS="))}
    return set(filter(None, lines["LOADED"].split(","))), lines["STATUS"]


@pytest.mark.parametrize("arguments", [["--help"], ["select", "--help"], ["check", "--help"]])
def test_help_imports_no_solver(arguments: list[str]) -> None:
    loaded, status = loaded_by(*arguments)
    assert status == "0"
    assert loaded == set()


def test_check_imports_only_the_quota_mip() -> None:
    loaded, status = loaded_by("check", "--pool", str(EXAMPLE / "pool.csv"), "--quotas", str(EXAMPLE / "quotas.csv"),
                               "--k", "30")
    assert status == "0"
    assert loaded == {"mip", "highspy"}
