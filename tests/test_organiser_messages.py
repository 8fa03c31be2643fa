"""What organisers are told when a method cannot meet the quotas: legacy failing after its retries
is an answer about the quotas (CLI exit 2, a quota message in the app), not an internal error."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

import core.algorithms.legacy
from core.cli import main


def write_often_failing(folder: Path) -> tuple[str, str]:
    """Feasible quotas on which one greedy run succeeds with probability 5/18 (see tests/test_legacy.py)."""
    pool = pd.DataFrame({"G": list("baaaaaaa"), "H": list("pqpqqppq"), "J": list("xyxxxyxy")})
    quotas = pd.DataFrame([("G", "a", 2, 3), ("G", "b", 0, 1), ("H", "p", 2, 3), ("H", "q", 2, 2),
                           ("J", "x", 0, 1), ("J", "y", 2, 3)], columns=["category", "feature", "min", "max"])
    pool.to_csv(folder / "pool.csv", index=False)
    quotas.to_csv(folder / "quotas.csv", index=False)
    return str(folder / "pool.csv"), str(folder / "quotas.csv")


def test_legacy_failing_after_its_retries_exits_2_with_its_message(tmp_path, monkeypatch, capsys) -> None:
    pool, quotas = write_often_failing(tmp_path)
    monkeypatch.setattr(core.algorithms.legacy, "DEFAULT_RETRIES", 1)  # all of 300 runs succeed at once: p = (5/18)^300
    status = main(["select", "--pool", pool, "--quotas", quotas, "--k", "4", "--algorithm", "legacy",
                   "--seed", "3", "--legacy-runs", "300", "--json", str(tmp_path / "out.json")])
    err = capsys.readouterr().err
    assert status == 2
    assert "the quotas cannot be met by legacy: the legacy method missed a quota minimum on 1 attempts" in err
    assert "internal error" not in err and "Traceback" not in err
    assert not (tmp_path / "out.json").exists()


def _show_legacy_failure() -> None:
    from core.algorithms.legacy import LegacyFailed
    from ui.messages import show_error

    show_error(LegacyFailed("the legacy method missed a quota minimum on 100 attempts in a row."), "legacy")


def test_the_app_shows_legacy_failure_as_a_quota_problem() -> None:
    app = AppTest.from_function(_show_legacy_failure).run()
    (error,) = app.error
    assert "the quotas are too tight for this method" in error.value
    assert "missed a quota minimum on 100 attempts" in error.value
    assert "something went wrong" not in error.value


def test_pool_page_names_never_selectable_volunteers_and_households() -> None:
    from dataclasses import replace

    from test_app import POOL, app, assert_clean, load_classroom, texts

    at = load_classroom(app())
    loaded = at.session_state["instance"]
    closed = [replace(q, min=0, max=0) if q.label == "age=60+" else
              replace(q, max=3) if q.category == "age" else q for q in loaded.quotas]
    instance = loaded.with_quotas(closed)
    instance.pool = instance.pool.assign(street=[f"{i // 2} Mill Lane" if i < 4 else f"{i} Road"
                                                 for i in range(instance.n)])
    instance.household = ["street"]
    at.session_state["instance"] = instance
    at.switch_page(POOL).run()
    assert_clean(at)
    older = instance.pool.index[instance.pool["age"] == "60+"].tolist()
    warning = texts(at.warning)
    assert f"{len(older)} volunteers can never be selected under these quotas: " in warning
    assert "because age=60+ has max 0" in warning
    assert "2 shared by 4 volunteers (largest: 2 volunteers)" in texts(at.caption)
