"""Counting quota-satisfying panels and the uniform distribution over them, against brute force."""

from __future__ import annotations

import numpy as np
import pytest
import tiny_pools
from tiny_pools import write_two_category_pool

from core import counting
from core.algorithms.enumeration import TooManyPanels, all_panels, valid_compositions
from core.counting import (
    PanelCounter,
    TooManyStates,
    count_panels,
    estimate_count,
    select,
)
from core.errors import InfeasibleQuotas
from core.io.examples import load_example
from core.io.loaders import load_instance
from core.model import Instance
from core.selection import run


def random_instance(seed: int, n: int = 10, **options) -> Instance:
    """A tiny random pool (10 volunteers unless told) with random quotas."""
    return tiny_pools.random_instance(seed, n=n, **options)


def brute_marginals(instance: Instance) -> tuple[int, np.ndarray]:
    panels = all_panels(instance.types)
    seats = np.zeros(instance.n)
    for panel in panels:
        seats[list(panel)] += 1
    return len(panels), seats / max(len(panels), 1)


@pytest.mark.parametrize("seed", range(24))
def test_count_and_uniform_marginals_match_brute_force(seed):
    instance = random_instance(seed, household=seed % 3 == 0)
    total, marginals = brute_marginals(instance)
    counted = count_panels(instance)
    assert counted.exact and counted.count == total
    if total == 0:
        with pytest.raises(InfeasibleQuotas):
            select(instance, seed=0, options={})
        return
    counter = PanelCounter.build(instance.types)
    assert counter.count == total
    listed, ways = counter.compositions(10_000)  # the DP's compositions are exactly the valid ones
    assert sorted(map(tuple, listed.tolist())) == sorted(map(tuple, valid_compositions(instance.types).tolist()))
    assert counter.composition_count() == len(listed) and sum(ways) == total
    if len(listed) > 1:
        with pytest.raises(TooManyPanels):
            counter.compositions(len(listed) - 1)
    assert np.allclose(counter.type_marginals()[instance.types.of_volunteer], marginals, atol=1e-12)
    enumerated = select(instance, seed=0, options={})
    assert enumerated.info["exact"] and enumerated.info["panels"] == total
    assert np.allclose(enumerated.marginals, marginals, atol=1e-12)
    assert np.allclose(enumerated.distribution.marginals(), marginals, atol=1e-9)
    by_dp = select(instance, seed=0, options={"composition_limit": 0})
    assert by_dp.info["method"] == "dynamic programming"
    assert np.allclose(by_dp.marginals, marginals, atol=1e-12)


def test_uniform_samplers_return_valid_panels_and_reproduce():
    instance = random_instance(4, n=12, k=5)
    total, marginals = brute_marginals(instance)
    assert total > 0
    valid = set(all_panels(instance.types))
    exact = select(instance, seed=3, options={"composition_limit": 0})
    panels = exact.draw(3000, seed=11)
    assert all(tuple(p) in valid for p in panels)
    frequency = np.bincount(np.concatenate(panels), minlength=instance.n) / len(panels)
    assert np.abs(frequency - marginals).max() < 0.04
    assert exact.draw(5, seed=2) == exact.draw(5, seed=2)
    chain = select(instance, seed=3, options={"composition_limit": 0, "state_limit": 0,
                                              "chain_steps": 40_000, "mixing_steps": 200})
    assert chain.info["exact"] is False
    assert np.abs(chain.marginals - marginals).max() < 0.04
    chain_panels = chain.draw(50, seed=1)
    assert all(tuple(p) in valid for p in chain_panels)
    assert chain.draw(3, seed=2) == chain.draw(3, seed=2)


def test_estimate_agrees_with_exact_count(tmp_path):
    pool, quotas = write_two_category_pool(tmp_path)
    instance = load_instance(pool, quotas, 20)
    exact = count_panels(instance)
    estimate = estimate_count(instance.types, samples=2000, seed=5)
    assert exact.exact and not estimate.exact
    assert abs(estimate.count - exact.count) <= 4 * estimate.standard_error
    assert abs(estimate.log10 - exact.log10) < 0.01
    forced = count_panels(instance, state_limit=0, samples=500, seed=1)
    assert not forced.exact and forced.standard_error > 0


def test_registry_runs_uniform():
    instance = random_instance(1)
    result = run("uniform", instance, seed=0)
    assert abs(result.marginals.sum() - instance.k) < 1e-9


CLIMATE, _ = load_example("climate_300")


@pytest.mark.parametrize("limits", [{"state_limit": 2_000}, {"edge_limit": 5_000}, {"pair_limit": 5_000},
                                    {"time_limit": 0.0}])
def test_dynamic_programme_gives_up_within_its_bounds(limits):
    with pytest.raises(TooManyStates) as caught:
        PanelCounter.build(CLIMATE.types, **limits)
    word = {"state_limit": "states", "edge_limit": "transitions", "pair_limit": "candidate", "time_limit": "took more"}
    assert word[next(iter(limits))] in str(caught.value)


def test_uniform_on_a_large_pool_is_a_bounded_markov_chain():
    messages: list[str] = []
    result = select(CLIMATE, seed=2, options={"chain_steps": 3_000, "mixing_steps": 400, "count_samples": 50,
                                              "chains": 10}, progress=messages.append)
    info = result.info
    assert info["exact"] is False and info["method"] == "markov chain"
    assert info["sample_size"] == 3_000 and info["mixing_steps"] == 400 and info["chains"] == 10
    assert info["chain_steps"] == 10 * (400 + 300) <= info["chain_step_limit"]  # each chain: burn-in + its share
    assert any("dynamic programming gave up" in m for m in messages)
    assert sum("of 300 steps" in m for m in messages) == 9  # a progress message every tenth of the run
    assert abs(result.marginals.sum() - CLIMATE.k) < 1e-9 and (result.marginals >= 0).all()
    panels = result.draw(3, seed=4)
    types = CLIMATE.types
    assert all(len(set(p)) == CLIMATE.k and types.is_valid(types.composition_of(p)) for p in panels)
    assert panels == result.draw(3, seed=4)


def test_chain_steps_are_capped_whatever_the_options(monkeypatch):
    monkeypatch.setattr(counting.uniform, "CHAIN_STEP_LIMIT", 2_000)
    instance = random_instance(4, n=12, k=5)
    result = select(instance, seed=0, options={"state_limit": 0, "chain_steps": 10**9, "mixing_steps": 10**9,
                                               "count_samples": 20, "chains": 1})
    assert result.info["exact"] is False
    assert result.info["chain_steps"] == 2_000 and result.info["mixing_steps"] == 1_000
    many = select(instance, seed=0, options={"state_limit": 0, "chain_steps": 10**9, "mixing_steps": 10**9,
                                             "count_samples": 20})
    assert many.info["chains"] > 1 and many.info["chain_steps"] <= 2_000
