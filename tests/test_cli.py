"""The command-line contract: exit codes, JSON fields, readable errors, replayable seeds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SMALL = SHARED / "example_small_20"


def write_tiny(folder: Path, *, min_young: int = 1) -> tuple[Path, Path]:
    """Eight volunteers, two categories, k = 4."""
    pool = folder / "pool.csv"
    pool.write_text(
        "id,gender,age,email\n"
        "a,f,young,a@x\nb,f,old,b@x\nc,m,young,c@x\nd,m,old,d@x\n"
        "e,f,old,e@x\nf,m,old,f@x\ng,f,young,g@x\nh,m,old,h@x\n",
        encoding="utf-8",
    )
    quotas = folder / "quotas.csv"
    quotas.write_text(
        "category,feature,min,max\n"
        f"gender,f,2,2\ngender,m,2,2\nage,young,{min_young},4\nage,old,0,4\n",
        encoding="utf-8",
    )
    return pool, quotas


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_feasible(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas = write_tiny(tmp_path)
    code, out, err = run_cli(["check", "--pool", str(pool), "--quotas", str(quotas), "--k", "4"], capsys)
    assert code == 0
    assert "feasible" in out and "8 volunteers" in out


def test_check_infeasible_prints_repair(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # only 3 young volunteers exist but min 4 young with k = 4 and gender 2/2: impossible
    pool, quotas = write_tiny(tmp_path, min_young=4)
    code, out, err = run_cli(["check", "--pool", str(pool), "--quotas", str(quotas), "--k", "4"], capsys)
    assert code == 2
    assert "->" in err and "age=young: min 4 -> 3" in err
    assert "Traceback" not in err


def test_select_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas = write_tiny(tmp_path)
    args = ["select", "--pool", str(pool), "--quotas", str(quotas), "--k", "4", "--algorithm", "leximin", "--seed", "7", "--draws", "5"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    result = json.loads(out)
    for key in ("algorithm", "n", "k", "seed", "seconds", "marginals", "panels", "support", "objective", "metrics"):
        assert key in result
    assert result["algorithm"] == "leximin" and result["n"] == 8 and result["k"] == 4 and result["seed"] == 7
    assert len(result["marginals"]) == 8
    assert abs(sum(result["marginals"]) - 4) < 1e-6
    assert len(result["panels"]) == 5
    for panel in result["panels"]:
        assert panel == sorted(panel) and len(panel) == 4
        genders = [["f", "f", "m", "m", "f", "m", "f", "m"][i] for i in panel]
        assert genders.count("f") == 2
    # same seed, same panels
    code2, out2, _ = run_cli(args, capsys)
    assert json.loads(out2)["panels"] == result["panels"]


def test_select_legacy_writes_json_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas = write_tiny(tmp_path)
    target = tmp_path / "out.json"
    code, out, err = run_cli(["select", "--pool", str(pool), "--quotas", str(quotas), "--k", "4", "--algorithm", "legacy",
                              "--seed", "3", "--legacy-runs", "500", "--json", str(target)], capsys)
    assert code == 0, err
    result = json.loads(target.read_text())
    assert result["support"] is None and len(result["panels"]) == 1
    assert abs(sum(result["marginals"]) - 4) < 1e-9


def test_infeasible_select_writes_no_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas = write_tiny(tmp_path, min_young=4)
    target = tmp_path / "out.json"
    code, out, err = run_cli(["select", "--pool", str(pool), "--quotas", str(quotas), "--k", "4", "--algorithm", "maximin",
                              "--json", str(target)], capsys)
    assert code == 2
    assert not target.exists() and out == ""
    assert "min 4 -> 3" in err


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--pool", "missing.csv"], "missing.csv"),
        (["--k", "0"], "k"),
        (["--algorithm", "magic"], "unknown algorithm"),
    ],
)
def test_bad_input_is_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str) -> None:
    pool, quotas = write_tiny(tmp_path)
    base = {"--pool": str(pool), "--quotas": str(quotas), "--k": "4", "--algorithm": "maximin"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    argv = ["select"] + [item for pair in base.items() for item in pair]
    code, out, err = run_cli(argv, capsys)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err and out == ""


def test_module_entry_point_has_no_traceback(tmp_path: Path) -> None:
    pool, quotas = write_tiny(tmp_path)
    bad = tmp_path / "junk.csv"
    bad.write_bytes(b"\x00\x01\x02binary\xff\xfe")
    completed = subprocess.run([sys.executable, "-m", "core", "select", "--pool", str(bad), "--quotas", str(quotas),
                                "--k", "4", "--algorithm", "legacy"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr and "junk.csv" in completed.stderr
    assert completed.stdout == ""


@pytest.mark.skipif(not SMALL.exists(), reason="shared/ data not beside the repository")
def test_example_small_20_maximin(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["select", "--pool", str(SMALL / "respondents.csv"), "--quotas", str(SMALL / "categories.csv"),
                              "--k", "20", "--algorithm", "maximin", "--seed", "1"], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert abs(min(result["marginals"]) - 0.10) < 1e-6


@pytest.mark.parametrize("algorithm", ["maximin", "nash", "goldilocks", "uniform", "diversimax"])
def test_every_exact_algorithm_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], algorithm: str) -> None:
    pool, quotas = write_tiny(tmp_path)
    code, out, err = run_cli(["select", "--pool", str(pool), "--quotas", str(quotas), "--k", "4", "--algorithm", algorithm,
                              "--seed", "11", "--draws", "3"], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert abs(sum(result["marginals"]) - 4) < 1e-6 and result["support"] >= 1
    assert all(len(panel) == 4 for panel in result["panels"])


def test_lottery_tickets_and_audit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas = write_tiny(tmp_path)
    code, out, err = run_cli(["select", "--pool", str(pool), "--quotas", str(quotas), "--k", "4", "--algorithm", "leximin",
                              "--seed", "5", "--lottery", "50"], capsys)
    assert code == 0, err
    result = json.loads(out)
    lottery = result["lottery"]
    assert lottery["M"] == 50 and len(lottery["tickets"]) == 50
    assert lottery["drawn_panel"] == lottery["tickets"][lottery["drawn_ticket"] - 1]
    # every volunteer's lottery probability stays close to the exact one
    assert max(abs(a - b) for a, b in zip(lottery["marginals"], result["marginals"])) <= lottery["max_deviation"] + 1e-12
    assert lottery["max_deviation"] <= 2 / 50
    audit = result["audit"]
    assert audit["seed"] == 5 and audit["algorithm"] == "leximin"
    assert audit["input_files"]["pool"]["sha256"] and audit["lottery"]["ticket"] == lottery["drawn_ticket"]
    assert audit["panel_rows"] == lottery["drawn_panel"]
