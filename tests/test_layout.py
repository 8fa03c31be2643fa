"""The README's import paths keep working after core/ was grouped into packages."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_import_paths_are_the_moved_objects():
    from core.analysis import feasibility, metrics
    from core.examples import load_example
    from core.feasibility import check
    from core.io import examples
    from core.metrics import probability_metrics
    from core.selection import run

    assert load_example is examples.load_example
    assert check is feasibility.check
    assert probability_metrics is metrics.probability_metrics
    assert callable(run)


def test_python_m_core_generator_still_runs():
    completed = subprocess.run([sys.executable, "-m", "core.generator", "--help"], cwd=ROOT,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert "--write-examples" in completed.stdout
