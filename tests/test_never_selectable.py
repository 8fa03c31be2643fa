"""Volunteers no valid panel contains: against brute force, with their reasons, in `check` and `select`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tiny_pools import random_instance

from core.algorithms.enumeration import all_panels
from core.analysis.never_selectable import never_selectable
from core.cli import main
from core.model import Instance, Quota, TypeSpace


def instance_of(rows: list[tuple[str, str]], quotas: list[tuple], k: int) -> Instance:
    pool = pd.DataFrame(rows, columns=["gender", "age"])
    return Instance(pool=pool, categories=["gender", "age"], quotas=[Quota(*q) for q in quotas], k=k)


@pytest.mark.parametrize("seed", range(30))
def test_matches_brute_force(seed: int) -> None:
    instance = random_instance(seed, n=9, k=3, household=seed % 3 == 0)
    panels = all_panels(TypeSpace.of(instance, per_person=True))
    found = never_selectable(instance)
    if not panels:
        assert found is None
        return
    on_some_panel = {i for panel in panels for i in panel}
    assert found.rows == [i for i in range(instance.n) if i not in on_some_panel]
    assert len(found.reasons) == found.count == len(found.ids)
    # knowing some volunteers are selectable changes nothing
    hint = np.zeros(instance.n, dtype=bool)
    hint[list(panels[0])] = True
    assert never_selectable(instance, selectable=hint).rows == found.rows


def test_each_reason() -> None:
    closed = instance_of([("female", "young"), ("male", "old"), ("other", "young")],
                         [("gender", "female", 0, 2), ("gender", "male", 0, 2), ("gender", "other", 0, 0),
                          ("age", "young", 0, 2), ("age", "old", 0, 2)], k=2)
    assert never_selectable(closed).reasons == ["gender=other has max 0"]
    forced = instance_of([("female", "young"), ("female", "old"), ("male", "young")],
                         [("gender", "female", 1, 1), ("gender", "male", 1, 1),
                          ("age", "young", 2, 2), ("age", "old", 0, 2)], k=2)
    found = never_selectable(forced)
    assert found.ids == ["2"] and "no panel meeting the quotas has anyone with age=old" in found.reasons[0]
    combination = instance_of([("female", "young"), ("male", "old"), ("female", "old")],
                              [("gender", "female", 1, 1), ("gender", "male", 1, 1),
                               ("age", "young", 1, 1), ("age", "old", 1, 1)], k=2)
    found = never_selectable(combination)
    assert found.ids == ["3"]
    assert found.reasons == ["no panel meeting the quotas has room for someone with gender=female, age=old"]
    text = found.describe()
    assert text.startswith("1 volunteer can never be selected under these quotas: 3 because no panel")


def write_closed_value(folder: Path) -> tuple[str, str]:
    pool = folder / "pool.csv"
    pool.write_text("id,gender,age\n" + "".join(f"p{i},{g},{a}\n" for i, (g, a) in enumerate(
        [("female", "young"), ("male", "old"), ("other", "young"), ("female", "old"), ("male", "young"),
         ("other", "old"), ("female", "young")])), encoding="utf-8")
    quotas = folder / "quotas.csv"
    quotas.write_text("category,feature,min,max\ngender,female,1,2\ngender,male,1,2\ngender,other,0,0\n"
                      "age,young,1,2\nage,old,1,2\n", encoding="utf-8")
    return str(pool), str(quotas)


def test_check_names_them(tmp_path: Path, capsys) -> None:
    pool, quotas = write_closed_value(tmp_path)
    assert main(["check", "--pool", pool, "--quotas", quotas, "--k", "3"]) == 0
    out = capsys.readouterr().out
    assert "2 volunteers can never be selected under these quotas: p2, p5 because gender=other has max 0." in out


@pytest.mark.parametrize("algorithm", ["leximin", "legacy"])
def test_select_json_names_them(tmp_path: Path, algorithm: str) -> None:
    pool, quotas = write_closed_value(tmp_path)
    out = tmp_path / "out.json"
    assert main(["select", "--pool", pool, "--quotas", quotas, "--k", "3", "--algorithm", algorithm,
                 "--seed", "1", "--json", str(out), "--legacy-runs", "300"]) == 0
    never = json.loads(out.read_text())["metrics"]["never_selectable"]
    assert never == {"count": 2, "ids": ["p2", "p5"], "rows": [2, 5],
                     "reasons": ["gender=other has max 0", "gender=other has max 0"]}
