"""Replay checks every recorded file hash, and `python -m core replay` reproduces a draw exactly (exit 0)
or names the first difference (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.audit.record import ReplayMismatch, audit_record, check_file_hashes, replay
from core.cli import main
from core.errors import InputError
from core.io.loaders import load_instance
from core.lottery import draw_panel
from core.selection import run
from tests.test_cli import write_tiny


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(args)
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def selected(folder: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[Path, Path, Path]:
    """Run select on the tiny pool and return (pool, quotas, result JSON)."""
    pool, quotas = write_tiny(folder)
    result = folder / "result.json"
    code, _, err = cli(["select", "--pool", str(pool), "--quotas", str(quotas), "--k", "4", "--seed", "11",
                        "--json", str(result), *extra], capsys)
    assert code == 0, err
    return pool, quotas, result


def replay_cli(audit: Path, pool: Path, quotas: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return cli(["replay", "--audit", str(audit), "--pool", str(pool), "--quotas", str(quotas)], capsys)


@pytest.mark.parametrize("extra", [["--algorithm", "maximin", "--lottery", "200"], ["--algorithm", "leximin"],
                                   ["--algorithm", "diversimax"], ["--algorithm", "legacy", "--legacy-runs", "50"]])
def test_replay_reproduces_a_recorded_draw(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str]) -> None:
    pool, quotas, result = selected(tmp_path, capsys, *extra)
    code, out, err = replay_cli(result, pool, quotas, capsys)
    assert code == 0, err
    assert out.startswith("reproduces:") and "every recorded file hash matches" in out
    # the audit record alone (as published) replays too
    audit = tmp_path / "audit.json"
    audit.write_text(json.dumps(json.loads(result.read_text())["audit"]))
    assert replay_cli(audit, pool, quotas, capsys)[0] == 0


def test_a_resaved_pool_file_fails_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas, result = selected(tmp_path, capsys, "--algorithm", "maximin", "--lottery", "200")
    resaved = tmp_path / "pool_resaved.csv"
    resaved.write_bytes(pool.read_bytes().replace(b"\n", b"\r\n"))  # same table, other bytes
    code, out, err = replay_cli(result, resaved, quotas, capsys)
    assert code == 2 and out == ""
    assert "does not reproduce: the pool file 'pool_resaved.csv' differs from the recorded 'pool.csv'" in err
    assert "saved again" in err and "Traceback" not in err


def test_a_changed_quota_file_fails_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas, result = selected(tmp_path, capsys, "--algorithm", "maximin")
    quotas.write_text(quotas.read_text().replace("age,old,0,4", "age,old,0,3"))
    code, _, err = replay_cli(result, pool, quotas, capsys)
    assert code == 2 and "the quota file 'quotas.csv' differs" in err


def test_a_tampered_panel_names_the_first_different_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas, result = selected(tmp_path, capsys, "--algorithm", "maximin", "--lottery", "200")
    document = json.loads(result.read_text())
    outside = next(i for i in "abcdefgh" if i not in document["audit"]["panel_ids"])
    document["audit"]["panel_ids"][0] = outside
    result.write_text(json.dumps(document))
    code, _, err = replay_cli(result, pool, quotas, capsys)
    assert code == 2 and f"the record has id '{outside}'" in err


def test_another_seed_in_the_record_does_not_reproduce(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas, result = selected(tmp_path, capsys, "--algorithm", "maximin", "--lottery", "200")
    document = json.loads(result.read_text())
    document["audit"]["seed"] += 1
    result.write_text(json.dumps(document))
    code, _, err = replay_cli(result, pool, quotas, capsys)
    assert code == 2 and "does not reproduce" in err


def test_replay_refuses_a_file_that_is_not_a_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool, quotas = write_tiny(tmp_path)
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": 1}')
    code, _, err = replay_cli(bad, pool, quotas, capsys)
    assert code == 2 and "notes.json: is not an audit record" in err
    bad.write_text("not json")
    assert replay_cli(bad, pool, quotas, capsys)[0] == 2


def test_core_replay_checks_the_recorded_hashes(tmp_path: Path) -> None:
    pool, quotas = write_tiny(tmp_path)
    instance = load_instance(pool, quotas, 4)
    result = run("maximin", instance, seed=3)
    panel = draw_panel(result, 3)
    record = audit_record(instance, algorithm="maximin", options={}, seed=3, panel=panel,
                          files={"pool": pool, "quotas": quotas})
    assert replay(record, instance, result, files={"pool": pool, "quotas": quotas}) == panel
    changed = tmp_path / "changed.csv"
    changed.write_bytes(pool.read_bytes() + b"\n")
    with pytest.raises(ReplayMismatch, match="the pool file 'changed.csv' differs"):
        replay(record, instance, result, files={"pool": changed, "quotas": quotas})


def test_a_recorded_hash_without_a_file_to_check_is_a_mismatch() -> None:
    record = {"input_files": {"pool": {"file": "pool.csv", "sha256": "ab" * 32}}}
    with pytest.raises(ReplayMismatch, match="no such file was given"):
        check_file_hashes(record, {})
    check_file_hashes({"input_files": {"pool": {"file": "pool.csv", "sha256": None}}}, {})  # nothing recorded


def test_read_record_names_an_unknown_algorithm() -> None:
    from core.audit.replay import read_record

    with pytest.raises(InputError, match="names algorithm 'magic'"):
        read_record(json.dumps({"instance_sha256": "x", "algorithm": "magic", "options": {}, "seed": 1,
                                "panel_ids": [], "k": 1}), "record.json")
