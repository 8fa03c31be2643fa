"""The legacy greedy method: panels meet the quotas, draws replay, Monte Carlo agrees with exact recursion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.algorithms.legacy import LegacyFailed, exact_legacy_distribution, exact_legacy_marginals, select
from core.errors import InfeasibleQuotas
from core.model import Instance, Quota
from core.selection import run


def make_instance(columns: dict[str, list[str]], quotas: list[tuple], k: int, household: list[str] | None = None) -> Instance:
    pool = pd.DataFrame(columns)
    categories = list(dict.fromkeys(q[0] for q in quotas))
    return Instance(pool, categories, [Quota(*q) for q in quotas], k, household=household or [])


def hand_instance() -> Instance:
    """FL x2, FC x1, MC x2, k=2, every min 1: the greedy first takes 'male' (ratio 1/2, first of the
    tie with 'liberal'), i.e. an MC, then 'liberal', i.e. an FL. So FC is never chosen."""
    return make_instance(
        {"gender": ["f", "f", "f", "m", "m"], "leaning": ["lib", "lib", "con", "con", "con"]},
        [("gender", "f", 1, 2), ("gender", "m", 1, 2), ("leaning", "lib", 1, 2), ("leaning", "con", 1, 2)],
        k=2,
    )


def often_failing_instance() -> Instance:
    """Feasible quotas on which one greedy run succeeds with probability 5/18 (exact recursion)."""
    return make_instance(
        {"G": ["b", "a", "a", "a", "a", "a", "a", "a"],
         "H": ["p", "q", "p", "q", "q", "p", "p", "q"],
         "J": ["x", "y", "x", "x", "x", "y", "x", "y"]},
        [("G", "a", 2, 3), ("G", "b", 0, 1), ("H", "p", 2, 3), ("H", "q", 2, 2), ("J", "x", 0, 1), ("J", "y", 2, 3)],
        k=4,
    )


def mixed_instance() -> Instance:
    """Six types of unequal size, quotas that bind sometimes: a non-degenerate legacy distribution."""
    return make_instance(
        {"gender": ["f"] * 6 + ["m"] * 5,
         "age": ["young", "young", "mid", "old", "old", "old", "young", "mid", "mid", "mid", "old"]},
        [("gender", "f", 2, 3), ("gender", "m", 1, 3), ("age", "young", 1, 2), ("age", "mid", 1, 2),
         ("age", "old", 1, 1)],
        k=4,
    )


def household_instance() -> Instance:
    return make_instance(
        {"gender": ["f", "f", "m", "m", "f", "m", "f", "m"],
         "age": ["young", "old", "young", "old", "young", "old", "old", "young"],
         "address": ["1", "1", "2", "2", "3", "4", "5", "5"]},
        [("gender", "f", 1, 2), ("gender", "m", 1, 2), ("age", "young", 1, 3), ("age", "old", 1, 3)],
        k=3, household=["address"],
    )


def test_hand_computed_exact_marginals():
    p = exact_legacy_marginals(hand_instance())
    assert np.allclose(p, [0.5, 0.5, 0.0, 0.5, 0.5])


def test_exact_success_probability_and_support_are_valid_panels():
    instance = often_failing_instance()
    distribution, success = exact_legacy_distribution(instance)
    assert success == pytest.approx(5 / 18)
    distribution.verify()
    assert distribution.marginals().sum() == pytest.approx(instance.k)


@pytest.mark.parametrize("make", [hand_instance, often_failing_instance, mixed_instance, household_instance])
def test_monte_carlo_marginals_within_confidence_interval_of_exact(make):
    """Exact marginals lie within the 99.9% interval (3.29 standard errors) of the estimate; the
    reported 95% interval is 1.96 standard errors wide on each side."""
    instance = make()
    exact = exact_legacy_marginals(instance)
    result = run("legacy", instance, seed=7, options={"draws": 20_000})
    se = result.info["standard_error"]
    assert (np.abs(result.marginals - exact) <= 3.29 * se + 1e-12).all()
    inside = (result.info["ci_low"] <= result.marginals) & (result.marginals <= result.info["ci_high"])
    assert inside.all()
    assert np.allclose(result.info["ci_high"] - result.marginals, np.minimum(1.96 * se, 1 - result.marginals), atol=1e-3)
    assert result.marginals.sum() == pytest.approx(instance.k)


def test_failure_rate_estimates_exact_failure_probability():
    result = run("legacy", often_failing_instance(), seed=3, options={"draws": 4000})
    assert result.info["failure_rate"] == pytest.approx(13 / 18, abs=0.02)


@pytest.mark.parametrize("make", [hand_instance, often_failing_instance, mixed_instance, household_instance])
def test_every_drawn_panel_meets_every_quota(make):
    instance = make()
    result = run("legacy", instance, seed=1, options={"draws": 200})
    for panel in result.draw(100, seed=2):
        assert len(panel) == instance.k == len(set(panel))
        assert instance.types.violations(instance.types.composition_of(panel)) == []
        if instance.household:
            addresses = instance.pool.loc[panel, "address"]
            assert addresses.is_unique


def test_large_pool_panels_meet_quotas():
    rng = np.random.default_rng(0)
    n = 600
    instance = make_instance(
        {"gender": rng.choice(["f", "m"], n, p=[0.7, 0.3]).tolist(),
         "age": rng.choice(["16-29", "30-59", "60+"], n, p=[0.1, 0.5, 0.4]).tolist(),
         "region": rng.choice(["n", "s", "e", "w"], n).tolist()},
        [("gender", "f", 24, 26), ("gender", "m", 24, 26), ("age", "16-29", 12, 15), ("age", "30-59", 20, 22),
         ("age", "60+", 14, 16), ("region", "n", 12, 13), ("region", "s", 12, 13), ("region", "e", 12, 13),
         ("region", "w", 12, 13)],
        k=50,
    )
    result = run("legacy", instance, seed=5, options={"draws": 1000})
    assert result.marginals.sum() == pytest.approx(50)
    for panel in result.draw(20, seed=6):
        assert instance.types.violations(instance.types.composition_of(panel)) == []


def test_seeded_runs_replay():
    instance = household_instance()
    a = run("legacy", instance, seed=11, options={"draws": 300})
    b = run("legacy", instance, seed=11, options={"draws": 300})
    c = run("legacy", instance, seed=12, options={"draws": 300})
    assert np.array_equal(a.marginals, b.marginals)
    assert not np.array_equal(a.marginals, c.marginals)
    assert a.draw(5, seed=4) == b.draw(5, seed=4)


def test_too_many_failures_raise_a_clear_error():
    with pytest.raises(LegacyFailed, match="missed a quota minimum on 1 attempts"):
        select(often_failing_instance(), seed=0, options={"draws": 100, "retries": 1})


def test_infeasible_quotas_are_refused_with_a_repair():
    instance = make_instance({"g": ["a", "a", "b"]}, [("g", "a", 3, 3), ("g", "b", 0, 1)], k=3)
    with pytest.raises(InfeasibleQuotas) as error:
        select(instance, seed=0, options={})
    assert "g=a: min 3 -> 2" in str(error.value)


def test_bad_draws_option_is_refused():
    with pytest.raises(ValueError, match="positive whole number"):
        select(hand_instance(), seed=0, options={"draws": 0})


@pytest.mark.parametrize("width", [4, 300])
def test_pick_proportional_follows_the_weights(width):
    from core.algorithms.legacy import pick_proportional

    weights = np.zeros((20_000, width))
    weights[:, [0, 1, width - 2, width - 1]] = [1, 0, 3, 4]
    chosen = pick_proportional(weights, np.random.default_rng(0))
    frequency = np.bincount(chosen, minlength=width)[[0, 1, width - 2, width - 1]] / len(chosen)
    assert frequency[1] == 0 and np.allclose(frequency, [0.125, 0, 0.375, 0.5], atol=0.015)
