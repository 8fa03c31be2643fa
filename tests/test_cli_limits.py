"""Every bad argument of the CLI exits 2 with a message naming it, before any file is solved."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.cli import main
from tests.test_cli import write_tiny


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit status and stderr of the CLI (argparse usage errors exit through SystemExit)."""
    try:
        code = main(args)
    except SystemExit as stop:
        code = stop.code
    return code, capsys.readouterr().err


def select(folder: Path, algorithm: str, *extra: str) -> list[str]:
    pool, quotas = write_tiny(folder)
    return ["select", "--pool", str(pool), "--quotas", str(quotas), "--k", "4", "--algorithm", algorithm, *extra]


CASES = [
    ("maximin", ["--seed", "-1"], "--seed -1"),
    ("maximin", ["--seed", str(2**64)], "--seed"),
    ("maximin", ["--lottery", "-5"], "--lottery -5"),
    ("maximin", ["--lottery", "0"], "--lottery 0"),
    ("maximin", ["--lottery", "1e7"], "at most 100,000"),
    ("legacy", ["--legacy-runs", "-1"], "--legacy-runs -1"),
    ("legacy", ["--legacy-runs", "1e9"], "at most 1,000,000"),
    ("goldilocks", ["--gamma", "nan"], "--gamma nan"),
    ("goldilocks", ["--gamma", "inf"], "--gamma inf"),
    ("diversimax", ["--time-limit", "-5"], "--time-limit -5"),
    ("diversimax", ["--time-limit", "nan"], "--time-limit nan"),
    ("maximin", ["--draws", "2e6"], "at most 100,000"),
    ("maximin", ["--draws", "-1"], "--draws -1"),
    ("diversimax", ["--order", "0"], "--order 0"),
]


@pytest.mark.parametrize("algorithm, extra, expected", CASES)
def test_bad_numbers_exit_2_before_any_solve(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              algorithm: str, extra: list[str], expected: str) -> None:
    code, err = run(select(tmp_path, algorithm, *extra), capsys)
    assert code == 2, err
    assert expected in err
    assert "Traceback" not in err and "internal error" not in err
    assert f"{algorithm}:" not in err and "Diversimax:" not in err  # no algorithm progress: nothing was solved


def test_tickets_times_k_is_capped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas = write_tiny(tmp_path)
    code, err = run(["select", "--pool", str(pool), "--quotas", str(quotas), "--k", "40", "--algorithm", "maximin",
                     "--lottery", "60000"], capsys)
    assert code == 2 and "2,400,000 seats" in err and "at most 50,000 tickets" in err


def test_whole_numbers_may_be_written_in_scientific_notation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(select(tmp_path, "maximin", "--draws", "2e1", "--seed", "1e3"), capsys)
    assert code == 0, err
    out = capsys.readouterr()
    assert "Traceback" not in out.err


def test_a_fractional_count_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(select(tmp_path, "maximin", "--draws", "2.5"), capsys)
    assert code == 2 and "'2.5' is not a whole number" in err


def test_every_problem_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(select(tmp_path, "maximin", "--seed", "-1", "--draws", "2e6", "--lottery", "0"), capsys)
    assert code == 2 and "3 problem(s)" in err


@pytest.mark.parametrize("where", ["missing/result.json", "."])
def test_json_into_a_missing_folder_or_a_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
    target = tmp_path / where
    code, err = run(select(tmp_path, "maximin", "--json", str(target)), capsys)
    assert code == 2, err
    assert "--json" in err and ("does not exist" in err or "is a folder" in err)
    assert "maximin:" not in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["check", "select"])
def test_a_quota_bound_of_ten_to_the_thirty_exits_2_naming_file_row_and_column(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    pool, quotas = write_tiny(tmp_path)
    quotas.write_text(quotas.read_text().replace("age,young,1,4", "age,young,1," + "1" + "0" * 30))
    args = [command, "--pool", str(pool), "--quotas", str(quotas), "--k", "4"]
    code, err = run(args + (["--algorithm", "maximin"] if command == "select" else []), capsys)
    assert code == 2, err
    assert "quotas.csv, row 4, column 'max'" in err and "above 1,000,000" in err
    assert "internal error" not in err


def test_k_zero_exits_2_for_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas = write_tiny(tmp_path)
    code, err = run(["check", "--pool", str(pool), "--quotas", str(quotas), "--k", "0"], capsys)
    assert code == 2 and "--k 0" in err
