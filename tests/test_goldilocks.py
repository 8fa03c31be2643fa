"""Goldilocks against the same objective solved over every valid composition of tiny pools."""

from __future__ import annotations

import cvxpy as cp
import pytest
from tiny_pools import random_instance

from core.algorithms.enumeration import valid_compositions
from core.fair.goldilocks import goldilocks
from core.model import Instance, TypeSpace
from core.selection import run


def feasible_instances(count: int) -> list[Instance]:
    found, seed = [], 0
    while len(found) < count:
        instance = random_instance(seed, household=seed % 4 == 0)
        if len(valid_compositions(instance.types)):
            found.append(instance)
        seed += 1
    return found


def brute_force_objective(types: TypeSpace, gamma: float) -> float:
    """min max x + gamma / min x over all distributions of all valid compositions (x = p n / k)."""
    comps = valid_compositions(types)
    X = (comps / types.counts).T * (types.counts.sum() / types.k)
    selectable = X.max(axis=1) > 0
    lam = cp.Variable(len(comps), nonneg=True)
    x = X[selectable] @ lam
    problem = cp.Problem(cp.Minimize(cp.max(x) + gamma * cp.inv_pos(cp.min(x))), [cp.sum(lam) == 1])
    problem.solve(solver=cp.CLARABEL)
    return float(problem.value)


@pytest.mark.parametrize("instance", feasible_instances(6), ids=lambda _: "")
@pytest.mark.parametrize("gamma", [0.5, 1.0, 3.0])
def test_goldilocks_matches_brute_force(instance, gamma):
    dist = goldilocks(instance.types, gamma, seed=1)
    dist.verify()
    assert abs(dist.objective - brute_force_objective(instance.types, gamma)) < 1e-5
    assert dist.info["gap"] < 1e-5
    assert abs(dist.marginals().sum() - instance.k) < 1e-9
    p = dist.marginals()
    scale = instance.n / instance.k
    assert abs(scale * p.max() + gamma / (scale * p[p > 0].min()) - dist.objective) < 1e-9


def test_larger_gamma_raises_the_minimum():
    raised = 0
    for instance in feasible_instances(6):
        low = goldilocks(instance.types, 0.05, seed=0).info["min_probability"]
        high = goldilocks(instance.types, 20.0, seed=0).info["min_probability"]
        assert high >= low - 1e-7
        raised += high > low + 1e-4
    assert raised >= 1


def test_registry_runs_goldilocks_with_gamma_option():
    instance = feasible_instances(1)[0]
    result = run("goldilocks", instance, seed=0, options={"gamma": 2.0})
    assert result.algorithm == "goldilocks" and result.info["gamma"] == 2.0
    assert abs(result.objective - brute_force_objective(instance.types, 2.0)) < 1e-5


@pytest.mark.parametrize("instance", feasible_instances(4), ids=lambda _: "")
def test_round_limit_keeps_weights_and_panels_aligned(instance):
    """Regression (Compare page, large_2000, seed 7): when the round limit ended the loop, a column priced
    after the last master solve was kept, so the panels outnumbered their weights by one and building
    the distribution failed with "boolean index did not match". A negative tolerance forces the limit."""
    dist = goldilocks(instance.types, 1.0, seed=7, max_rounds=2, tolerance=-1.0)
    dist.verify()
    assert dist.info["rounds"] <= 2
    assert len(dist.compositions) == len(dist.probabilities)
    assert dist.info["gap"] >= -1e-7  # the reported bound is a bound: never above the value reached
    assert abs(dist.marginals().sum() - instance.k) < 1e-9


def test_relaxation_bounds_every_distribution():
    """The Goldilocks value over the quota polytope is at most the value over valid panels (it is the
    first lower bound), and the face walk from its optimum reaches the brute-force optimum."""
    from core.fair.goldilocks import solve_relaxation

    for instance in feasible_instances(6):
        types = instance.types
        best = brute_force_objective(types, 1.0)
        comps = valid_compositions(types)
        selectable = comps.max(axis=0) > 0
        counts, _, _ = solve_relaxation(types, selectable, 1.0)
        x = counts[selectable] / types.counts[selectable] * (types.counts.sum() / types.k)
        assert x.max() + 1.0 / x.min() <= best + 1e-6
        assert abs(goldilocks(types, 1.0).objective - best) < 1e-5
