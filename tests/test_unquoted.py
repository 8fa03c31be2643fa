"""Groups no quota names: expected seats of unquoted pool columns, by brute force on tiny pools."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.algorithms.enumeration import all_panels
from core.cli import main
from core.design.unquoted import (
    largest_deviation,
    load_group_shares,
    unquoted_columns,
    unquoted_groups,
    unquoted_table,
)
from core.errors import InputError
from core.model import Instance, Quota
from core.selection import run


def tiny() -> Instance:
    """8 volunteers; quotas on gender only; 'concern' (yes/no) and 'email' are not quota categories."""
    pool = pd.DataFrame({
        "id": [f"p{i}" for i in range(8)],
        "gender": ["f", "f", "f", "m", "m", "m", "m", "m"],
        "concern": ["yes", "yes", "no", "no", "no", "no", "yes", "no"],
        "email": [f"p{i}@example.org" for i in range(8)],
        "address": ["a", "b", "c", "d", "e", "f", "g", "h"],
    })
    quotas = [Quota("gender", "f", 1, 2), Quota("gender", "m", 1, 2)]
    return Instance(pool=pool, categories=["gender"], quotas=quotas, k=3, ids=list(pool["id"]), household=["address"])


def test_columns_rule_keeps_groups_and_drops_identifiers() -> None:
    assert unquoted_columns(tiny()) == ["concern"]


def test_expected_seats_by_brute_force() -> None:
    instance = tiny()
    result = run("uniform", instance, seed=0)
    panels = all_panels(instance.types)
    # uniform over every valid panel: expected seats of 'yes' = average count of 'yes' members
    yes = instance.pool["concern"].to_numpy() == "yes"
    brute = np.mean([yes[list(panel)].sum() for panel in panels])
    table = unquoted_groups(instance, result.marginals, {("concern", "yes"): 0.3, ("concern", "no"): 0.7})
    row = table[table["value"] == "yes"].iloc[0]
    assert row["expected_seats"] == pytest.approx(brute, abs=1e-9)
    assert row["pool_seats"] == pytest.approx(3 * 3 / 8)
    assert row["population_seats"] == pytest.approx(0.9)
    assert row["deviation_from_pool"] == pytest.approx(brute - 9 / 8)
    assert table["expected_seats"].sum() == pytest.approx(instance.k)


def test_table_and_largest_deviation() -> None:
    instance = tiny()
    results = {name: run(name, instance, seed=0) for name in ("leximin", "uniform")}
    table = unquoted_table(instance, results)
    assert list(table["algorithm"].unique()) == ["leximin", "uniform"]
    worst = largest_deviation(table)
    for name in results:
        part = table[table["algorithm"] == name]
        largest = part["deviation_from_pool"].abs().max()
        assert worst[worst["algorithm"] == name]["from_pool"].iloc[0] == pytest.approx(largest)
    assert worst["from_population"].isna().all()


def test_shares_file(tmp_path: Path) -> None:
    path = tmp_path / "shares.csv"
    path.write_text("category,value,population_share\nconcern,yes,40\nconcern,no,60\n")
    assert load_group_shares(path) == {("concern", "yes"): pytest.approx(0.4), ("concern", "no"): pytest.approx(0.6)}
    path.write_text("category,value,population_share\nconcern,yes,0.4\nconcern,no,abc\n")
    with pytest.raises(InputError, match="row 3, column 'population_share'"):
        load_group_shares(path)
    path.write_text("category,value,population_share\nconcern,yes,0.4\nconcern,no,0.4\n")
    with pytest.raises(InputError, match="add up to 0.8"):
        load_group_shares(path)
    path.write_text("category,value\nconcern,yes\n")
    with pytest.raises(InputError, match="missing column"):
        load_group_shares(path)


def test_select_json_has_unquoted_groups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    instance = tiny()
    instance.pool.drop(columns=["address"]).to_csv(tmp_path / "pool.csv", index=False)
    pd.DataFrame([("gender", "f", 1, 2), ("gender", "m", 1, 2)], columns=["category", "feature", "min", "max"]).to_csv(
        tmp_path / "quotas.csv", index=False)
    (tmp_path / "shares.csv").write_text("category,value,population_share\nconcern,yes,0.5\nconcern,no,0.5\n")
    args = ["select", "--pool", str(tmp_path / "pool.csv"), "--quotas", str(tmp_path / "quotas.csv"), "--k", "3",
            "--algorithm", "leximin", "--seed", "1"]
    assert main(args + ["--group-shares", str(tmp_path / "shares.csv")]) == 0
    data = json.loads(capsys.readouterr().out)
    groups = data["metrics"]["unquoted_groups"]
    assert {g["value"] for g in groups} == {"yes", "no"} and {g["column"] for g in groups} == {"concern"}
    yes = next(g for g in groups if g["value"] == "yes")
    concern = instance.pool["concern"].to_numpy()
    assert yes["expected_seats"] == pytest.approx(float(np.asarray(data["marginals"])[concern == "yes"].sum()))
    assert yes["population_seats"] == pytest.approx(1.5)
    (tmp_path / "bad.csv").write_text("category,value,population_share\nconcern,yes,x\n")
    assert main(args + ["--group-shares", str(tmp_path / "bad.csv")]) == 2
    assert "bad.csv, row 2" in capsys.readouterr().err


def test_compare_page_shows_groups_no_quota_names() -> None:
    from core.io.examples import load_example
    from tests.test_app import app, assert_clean, run_compare

    at = app().run()
    classroom, _ = load_example("classroom")
    gender_only = Instance(pool=classroom.pool, categories=["gender"],
                           quotas=[q for q in classroom.quotas if q.category == "gender"], k=classroom.k,
                           ids=classroom.ids)
    at.session_state["instance"] = gender_only
    at.session_state["loaded_instance"] = gender_only
    at = run_compare(at, ["leximin", "uniform"])
    assert "Groups no quota names" in [s.value for s in at.subheader]
    assert at.multiselect(key="design_unquoted_columns").value == ["age"]
    worst = next(d.value for d in at.dataframe if "column" in d.value.columns and "algorithm" in d.value.columns)
    assert set(worst["column"]) == {"age"}
    assert_clean(at)
