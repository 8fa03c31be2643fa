"""Fairness figures and seat reports, against values computed by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from core.analysis.metrics import expected_seats, metrics_for, panel_seats, probability_metrics, seat_report
from core.model import Instance, Quota
from core.selection import SelectionResult


def test_probability_metrics_by_hand():
    # n = 4, k = 2: fair share 0.5
    m = probability_metrics([0.2, 0.4, 0.6, 0.8], k=2)
    assert m["min"] == 0.2 and m["max"] == 0.8 and m["mean"] == pytest.approx(0.5) and m["fair"] == 0.5
    # sum_ij |p_i - p_j| = 2 * (0.2+0.4+0.6 + 0.2+0.4 + 0.2) = 4.0; gini = 4 / (2 * 16 * 0.5) = 0.25
    assert m["gini"] == pytest.approx(0.25)
    assert m["geometric_mean"] == pytest.approx((0.2 * 0.4 * 0.6 * 0.8) ** 0.25)
    assert m["share_below_fair"] == 0.5
    assert m["share_below_half_fair"] == 0.25  # only 0.2 < 0.25
    assert m["min_ratio"] == pytest.approx(0.4) and m["max_ratio"] == pytest.approx(1.6)


def test_equal_probabilities_are_perfectly_fair():
    m = probability_metrics(np.full(10, 0.3), k=3)
    assert m["gini"] == pytest.approx(0.0, abs=1e-12)
    assert m["share_below_fair"] == 0.0  # 0.3 vs 3/10 differs only by rounding, within tolerance
    assert m["min_ratio"] == pytest.approx(1.0) and m["geometric_mean"] == pytest.approx(0.3)


def test_zero_probability_gives_zero_geometric_mean_and_maximal_gini():
    m = probability_metrics([0.0, 0.0, 0.0, 1.0], k=1)
    assert m["geometric_mean"] == 0.0
    # sum_ij |p_i - p_j| = 6, mean 0.25: gini = 6 / (2 * 16 * 0.25) = 0.75 = (n-1)/n
    assert m["gini"] == pytest.approx(0.75)
    assert m["share_below_half_fair"] == 0.75


def small_instance() -> Instance:
    pool = pd.DataFrame({"gender": ["f", "f", "m", "m", "m"], "age": ["young", "old", "young", "old", "old"]})
    quotas = [Quota("gender", "f", 1, 1), Quota("gender", "m", 1, 2), Quota("age", "young", 1, 2), Quota("age", "old", 0, 1)]
    shares = {("gender", "f"): 0.5, ("gender", "m"): 0.5, ("age", "young"): 0.25}
    return Instance(pool, ["gender", "age"], quotas, k=2, population_shares=shares)


def test_panel_seats_and_report():
    instance = small_instance()
    seats = panel_seats(instance, [0, 3])  # f-young and m-old
    assert seats.tolist() == [1, 1, 1, 1]
    report = seat_report(instance, seats)
    assert report["within_quota"].all()
    young = report.set_index("value").loc["young"]
    assert young["proportional_seats"] == pytest.approx(0.5) and young["deviation"] == pytest.approx(0.5)
    assert math.isnan(report.set_index("value").loc["old", "population_share"])
    too_many_old = seat_report(instance, panel_seats(instance, [3, 4]))
    assert too_many_old["within_quota"].tolist() == [False, True, False, False]


def test_expected_seats_add_the_probabilities_of_each_value():
    instance = small_instance()
    p = np.array([0.5, 0.5, 0.4, 0.3, 0.3])
    assert expected_seats(instance, p) == pytest.approx([1.0, 1.0, 0.9, 1.1])
    assert seat_report(instance, expected_seats(instance, p))["within_quota"].tolist() == [True, True, False, False]


def test_metrics_for_is_json_ready():
    instance = small_instance()
    result = SelectionResult("legacy", marginals=np.array([0.5, 0.5, 0.4, 0.3, 0.3]))
    metrics = metrics_for(instance, result)
    text = json.dumps(metrics, allow_nan=False)
    assert json.loads(text)["probabilities"]["gini"] == pytest.approx(probability_metrics(result.marginals, 2)["gini"])
    assert metrics["expected_seats"][3]["population_share"] is None
    assert metrics["expected_seats"][0]["within_quota"] is True
