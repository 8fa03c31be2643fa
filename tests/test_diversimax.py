"""Diversimax against brute force on tiny pools: the MIP's optimum is the best of all valid panels."""

import numpy as np
import pandas as pd
import pytest

from core.algorithms.diversimax import DiversimaxModel, select
from core.algorithms.diversimax_objective import cell_capacity, diversimax_objective, objective_grain, snap_up
from core.algorithms.enumeration import valid_compositions
from core.analysis.intersections import intersection_tables
from core.errors import InfeasibleQuotas, InputError
from core.model import Instance, Quota
from core.selection import run

VALUES = {"gender": ["f", "m"], "age": ["young", "mid", "old"], "area": ["urban", "rural"]}


def random_instance(seed: int, n: int = 11, k: int = 4, households: bool = False) -> Instance:
    """A tiny pool with skewed random values and loose random quotas (feasible by construction)."""
    rng = np.random.default_rng(seed)
    pool = pd.DataFrame({cat: rng.choice(values, size=n, p=rng.dirichlet(np.ones(len(values))))
                         for cat, values in VALUES.items()})
    panel = rng.choice(n, size=k, replace=False)  # the quotas admit this panel
    quotas = []
    for cat, values in VALUES.items():
        for v in values:
            seats = int((pool[cat].iloc[panel] == v).sum())
            quotas.append(Quota(cat, v, max(0, seats - int(rng.integers(0, 2))), seats + int(rng.integers(0, 3))))
    household = []
    if households:
        address = [f"h{i}" for i in range(n)]
        for i in rng.choice(np.setdiff1d(np.arange(n), panel), size=2, replace=False):
            address[i] = address[int(rng.choice(panel))]  # shares an address with a panel member
        pool["address"] = address
        household = ["address"]
    return Instance(pool=pool, categories=list(VALUES), quotas=quotas, k=k, household=household)


def brute_force_optimum(instance: Instance, order: int = 3, max_cells: int | None = 100) -> tuple[float, np.ndarray, list[float]]:
    tables = intersection_tables(instance, order, max_cells)
    compositions = valid_compositions(instance.types)
    objectives = [diversimax_objective(instance.types, tables, c) for c in compositions]
    return min(objectives), compositions, objectives


@pytest.mark.parametrize("seed", range(8))
def test_optimum_equals_brute_force(seed):
    instance = random_instance(seed)
    best, _, _ = brute_force_optimum(instance)
    result = run("diversimax", instance, seed=seed)
    assert result.objective == pytest.approx(best, abs=1e-6)
    assert result.info["status"] == "optimal" and result.info["gap"] < 1e-4
    (composition,) = result.distribution.compositions
    assert instance.types.is_valid(composition)


@pytest.mark.parametrize("order, max_cells", [(1, 100), (2, 100), (3, 6), (3, None)])
def test_order_and_cell_cap_change_the_objective_as_brute_force_says(order, max_cells):
    instance = random_instance(11, n=12, k=5)
    best, _, _ = brute_force_optimum(instance, order, max_cells)
    result = select(instance, seed=0, options={"order": order, "max_cells": max_cells})
    assert result.objective == pytest.approx(best, abs=1e-6)
    assert result.info["tables"] == len(intersection_tables(instance, order, max_cells))


@pytest.mark.parametrize("seed", range(3))
def test_households_split_only_shared_addresses(seed):
    instance = random_instance(seed, households=True)
    assert instance.types.households and not instance.types.per_person
    best, _, _ = brute_force_optimum(instance)
    result = select(instance, seed=seed, options={"solver": "cbc" if seed == 0 else "highs"})
    assert result.objective == pytest.approx(best, abs=1e-6)
    for panel in result.draw(20, seed=seed):
        assert instance.types.is_valid(instance.types.composition_of(panel))


def test_selection_probabilities_are_count_chosen_over_count_in_type():
    instance = random_instance(2, n=12, k=5)
    result = select(instance, seed=0)
    types = instance.types
    (composition,) = result.distribution.compositions
    expected = composition[types.of_volunteer] / types.counts[types.of_volunteer]
    np.testing.assert_allclose(result.marginals, expected)
    assert result.marginals.sum() == pytest.approx(instance.k)
    # drawn panels: each volunteer's frequency approaches its probability
    draws = result.draw(4000, seed=1)
    frequency = np.bincount(np.concatenate(draws), minlength=instance.n) / len(draws)
    np.testing.assert_allclose(frequency, result.marginals, atol=0.03)


@pytest.mark.parametrize("seed", [3, 6])
def test_tolerance_collects_every_composition_within_the_bound(seed):
    instance = random_instance(seed)
    best, compositions, objectives = brute_force_optimum(instance)
    tolerance = 0.25
    near = {tuple(c) for c, z in zip(compositions, objectives) if z <= best * (1 + tolerance) + 1e-7}
    result = select(instance, seed=0, options={"tolerance": tolerance, "max_compositions": 1000})
    found = {tuple(c) for c in result.distribution.compositions}
    assert result.info["compositions_complete"] is True
    assert found == near and len(near) > 1
    np.testing.assert_allclose(result.distribution.probabilities, 1 / len(near))
    types = instance.types
    expected = np.mean([np.array(c) for c in near], axis=0) / types.counts
    np.testing.assert_allclose(result.marginals, expected[types.of_volunteer])


def test_max_compositions_caps_the_search():
    instance = random_instance(6)
    assert len(valid_compositions(instance.types)) > 3
    result = select(instance, seed=0, options={"tolerance": 10.0, "max_compositions": 3})
    assert result.distribution.support == 3
    assert result.info["compositions_complete"] is False
    assert result.info["composition_objectives"] == sorted(result.info["composition_objectives"])


def test_infeasible_quotas_and_unknown_options_are_reported():
    instance = random_instance(1)
    impossible = instance.with_quotas([Quota(q.category, q.value, 0 if q.value != "f" else instance.k + 1, instance.k)
                                       for q in instance.quotas])
    with pytest.raises(InfeasibleQuotas):
        select(impossible, seed=0)
    with pytest.raises(InputError):
        select(instance, seed=0, options={"ordr": 2})


# --- exact model reductions (core.algorithms.diversimax.cell_capacity, objective_grain): valid on every panel ---


def _reduction_instances():
    return [random_instance(seed, n=12, k=5) for seed in range(4)] + [random_instance(2, households=True)]


@pytest.mark.parametrize("index", range(5))
def test_cell_capacity_bounds_every_valid_panel(index):
    instance = _reduction_instances()[index]
    types = instance.types
    compositions = valid_compositions(types)
    tight = 0
    for table in intersection_tables(instance, 3, None):
        cell = table.cell_of(types.codes)
        counts = np.array([np.bincount(cell, weights=c, minlength=table.size) for c in compositions])
        for c in np.unique(cell):
            cap = cell_capacity(types, np.flatnonzero(cell == c))
            assert counts[:, c].max() <= cap
            tight += int(counts[:, c].max() == cap)
    assert tight > 0  # the bound is attained somewhere, so an off-by-one would show


@pytest.mark.parametrize("index", range(5))
def test_reduced_model_prices_every_valid_panel_exactly(index):
    """With x fixed to any valid composition the reduced MIP's optimum is that panel's L1 sum,
    so dropping (cap <= floor V) and linearising (V < 1, cap <= 1) excess terms loses nothing."""
    instance = _reduction_instances()[index]
    types = instance.types
    tables = intersection_tables(instance, 3, 100)
    model = DiversimaxModel(types, tables)
    assert model.linear_cells > 0 and model.cells < sum(len(np.unique(t.cell_of(types.codes))) for t in tables)
    rng = np.random.default_rng(index)
    compositions = valid_compositions(types)
    for composition in compositions[rng.permutation(len(compositions))[:25]]:
        for var, value in zip(model.x, composition):
            var.lb = var.ub = float(value)
        model.model.optimize()
        assert model.model.objective_value == pytest.approx(diversimax_objective(types, tables, composition), abs=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_every_objective_lies_on_the_grain_grid(seed):
    instance = random_instance(seed, n=12, k=5)
    tables = intersection_tables(instance, 3, None)
    grain = objective_grain(tables)
    _, compositions, objectives = brute_force_optimum(instance, 3, None)
    steps = np.array(objectives) / grain
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-6)
    best = min(objectives)
    assert snap_up(best - 0.9 * grain, grain) == pytest.approx(best)  # a bound within a step proves optimality
    assert snap_up(best, grain) == pytest.approx(best)


def test_highs_branches_on_pseudocosts_from_the_first_node():
    """The HiGHS option set through python-mip's private interface really reaches the solver
    (if python-mip renames that interface, this fails instead of Diversimax silently slowing down)."""
    from mip.highs import ffi

    from core.algorithms.diversimax import HIGHS_MIN_RELIABLE

    instance = random_instance(0)
    model = DiversimaxModel(instance.types, intersection_tables(instance, 3, 100))
    value = ffi.new("int*")
    solver = model.model.solver
    assert solver._lib.Highs_getIntOptionValue(solver._model, b"mip_pscost_minreliable", value) == 0
    assert value[0] == HIGHS_MIN_RELIABLE != 8  # 8 is HiGHS's default
