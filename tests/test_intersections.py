"""Intersection tables and metrics, checked against values computed by hand on a six-person pool."""

import json
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from core.analysis.intersections import (
    cell_table,
    gini,
    intersection_metrics,
    intersection_tables,
    unrepresented_identities,
)
from core.distribution import Distribution
from core.model import Instance, Quota

# Six volunteers; age value "mid" is listed in the quotas but nobody in the pool has it.
POOL = pd.DataFrame({
    "gender": ["f", "f", "f", "m", "m", "m"],
    "age": ["young", "young", "old", "old", "old", "young"],
})
QUOTAS = [
    Quota("gender", "f", 1, 3), Quota("gender", "m", 0, 3),
    Quota("age", "young", 0, 3), Quota("age", "mid", 0, 3), Quota("age", "old", 0, 3),
]
PANEL = [0, 2, 3]  # f young, f old, m old


@pytest.fixture
def instance() -> Instance:
    return Instance(pool=POOL, categories=["gender", "age"], quotas=QUOTAS, k=3)


def per_table(metrics: dict, section: str, key: str) -> list:
    return metrics[section]["per_table"][key]


def test_tables_cover_every_combination_and_respect_the_cell_cap():
    pool = pd.DataFrame({c: ["a"] for c in "wxyz"})
    quotas = [Quota(c, v, 0, 1) for c in "wxyz" for v in ("a", "b", "c")]
    inst = Instance(pool=pool, categories=list("wxyz"), quotas=quotas, k=1)
    tables = intersection_tables(inst, order=3, max_cells=None)
    assert [t.categories for t in tables] == [c for r in (1, 2, 3) for c in combinations("wxyz", r)]
    assert [t.size for t in tables] == [3] * 4 + [9] * 6 + [27] * 4
    assert len(intersection_tables(inst, order=3, max_cells=9)) == 10
    assert len(intersection_tables(inst, order=2, max_cells=None)) == 10


def test_panel_metrics_match_hand_computation(instance):
    m = intersection_metrics(instance, panels=[PANEL], order=2)
    assert [t["categories"] for t in m["tables"]] == [["gender"], ["age"], ["gender", "age"]]
    assert [t["fillable"] for t in m["tables"]] == [2, 2, 4]
    # counts: gender [2, 1]; age [1, 0, 2]; gender x age [1, 0, 1, 0, 0, 1]
    assert per_table(m, "panels", "empty_fillable") == [0, 0, 1]  # (m, young) is in the pool, not on the panel
    assert per_table(m, "panels", "gini") == pytest.approx([2 / 12, 8 / 18, 18 / 36])
    assert per_table(m, "panels", "l1_uniform") == pytest.approx([1.0, 2.0, 3.0])
    assert per_table(m, "panels", "l1_population") == [None, None, None]
    summary = m["panels"]["summary"]
    assert summary["empty_fillable_cells"] == 1
    assert summary["l1_uniform"] == pytest.approx(6.0)
    assert summary["mean_gini"] == pytest.approx((1 / 6 + 4 / 9 + 1 / 2) / 3)
    json.dumps(m)


def test_population_distance_uses_weighted_background_and_drops_unlisted_values(instance):
    background = pd.DataFrame({
        "gender": ["f", "f", "m", "x"],
        "age": ["young", "old", "old", "young"],
        "w": ["1", "1", "2", "4"],
    })
    m = intersection_metrics(instance, panels=[PANEL], background=background, weight="w", order=2)
    # gender: f, m 1/2 each -> targets 1.5, 1.5.  age: young 5/8, old 3/8 -> 1.875, 0, 1.125.
    # gender x age (row "x" dropped): (f,young) 1/4, (f,old) 1/4, (m,old) 1/2 -> 0.75, 0.75, 1.5.
    assert per_table(m, "panels", "l1_population") == pytest.approx([1.0, 1.75, 1.0])
    assert m["panels"]["summary"]["l1_population"] == pytest.approx(3.75)


def test_population_shares_of_the_instance_serve_one_category_tables(instance):
    instance.population_shares = {("gender", "f"): 0.6, ("gender", "m"): 0.4}
    m = intersection_metrics(instance, panels=[PANEL], order=2)
    assert per_table(m, "panels", "l1_population") == [pytest.approx(0.4), None, None]  # |2 - 1.8| + |1 - 1.2|


def test_expected_metrics_and_exact_expected_empty_cells(instance):
    types = instance.types  # types in code order: (f,young) x2, (f,old), (m,young), (m,old) x2
    assert types.counts.tolist() == [2, 1, 1, 2]
    with_m_old = [1, 1, 0, 1]
    with_m_young = [1, 1, 1, 0]
    distribution = Distribution(types, [with_m_old, with_m_young], [0.5, 0.5])
    m = intersection_metrics(instance, distribution=distribution, order=2)
    # expected gender x age counts: (f,y) 1, (f,o) 1, (m,y) 0.5, (m,o) 0.5
    assert per_table(m, "expected", "never_filled") == [0, 0, 0]
    assert per_table(m, "expected", "expected_empty_lower_bound") == pytest.approx([0, 0, 1.0])
    assert per_table(m, "expected", "expected_empty") == pytest.approx([0, 0, 1.0])
    assert per_table(m, "expected", "l1_uniform") == pytest.approx([0.5 + 0.5, 0.5 + 1 + 0.5, 0.5 * 4])  # zero terms: (m,y), (m,o)
    # over the two panels of the distribution, each leaves one fillable cell empty
    panels = [types.expand(np.array(c), np.random.default_rng(0)) for c in (with_m_old, with_m_young)]
    over_draws = intersection_metrics(instance, panels=panels, order=2)
    assert per_table(over_draws, "panels", "empty_fillable") == [0, 0, 1.0]
    assert over_draws["panels"]["count"] == 2


def test_marginals_alone_give_never_filled_cells(instance):
    marginals = np.array([0.5, 0.5, 1.0, 0.5, 0.5, 0.0])  # volunteer 5 (m, young) never selected
    m = intersection_metrics(instance, marginals=marginals, order=2)
    assert per_table(m, "expected", "never_filled") == [0, 0, 1]
    assert m["expected"]["summary"]["never_filled_cells"] == 1
    assert "expected_empty" not in m["expected"]["per_table"]


def test_gini_equals_the_pairwise_definition():
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.integers(0, 5, size=rng.integers(1, 12)).astype(float)
        pairwise = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) * x.sum()) if x.sum() else 0.0
        assert gini(x)[0] == pytest.approx(pairwise)


def test_unrepresented_identities_and_cell_table(instance):
    missing = unrepresented_identities(instance, PANEL, ["gender", "age"])
    assert missing.to_dict("records") == [{"gender": "m", "age": "young", "pool": 1}]
    table = cell_table(instance, ["age", "gender"], panel=PANEL)
    assert table["pool"].tolist() == [2, 1, 0, 0, 1, 2]  # (young,f) (young,m) (mid,f) (mid,m) (old,f) (old,m)
    assert table["panel"].tolist() == [1, 0, 0, 0, 1, 1]
