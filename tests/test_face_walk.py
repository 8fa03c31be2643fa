"""The face walk: valid panels whose mixture reproduces a point of the quota polytope."""

from __future__ import annotations

import numpy as np
import pytest

from core.algorithms.enumeration import valid_compositions
from core.fair.face_walk import walk_down_faces
from core.fair.leximin import leximin
from core.fair.maximin import maximin
from core.fair.relaxation import relaxed_leximin
from core.io.generator import paper_shaped
from tests.test_fair_exact import tiny_instance


def mixture_error(walk, x: np.ndarray) -> float:
    """Largest |sum_i w_i v_i - x| over types, after removing the part left unexplained."""
    explained = sum(w * v for w, v in zip(walk.weights, walk.compositions))
    return float(np.abs(explained - x).max())


@pytest.mark.parametrize("seed", range(8))
def test_walk_reproduces_a_mixture_of_valid_panels(seed: int) -> None:
    """x = a random mixture of enumerated valid panels lies in the integer hull: the walk explains it
    with valid panels, up to the weight it leaves (each panel has at most k members per type)."""
    instance = tiny_instance(seed)
    types = instance.types
    panels = valid_compositions(types)
    rng = np.random.default_rng(seed)
    x = rng.dirichlet(np.ones(len(panels))) @ panels
    walk = walk_down_faces(types, x)
    assert walk.compositions
    assert all(types.is_valid(v) for v in walk.compositions)
    assert sum(walk.weights) + walk.weight_left == pytest.approx(1.0, abs=1e-12)
    assert mixture_error(walk, x) <= walk.weight_left * types.k + 1e-9


def test_walk_from_a_valid_panel_is_that_panel() -> None:
    types = tiny_instance(2).types
    panel = valid_compositions(types)[0].astype(float)
    walk = walk_down_faces(types, panel)
    assert len(walk.compositions) == 1 and walk.weight_left == 0.0
    np.testing.assert_array_equal(walk.compositions[0], panel)


def test_walk_reaches_the_relaxed_leximin_point_of_a_paper_shaped_pool() -> None:
    """On a 312/35/6 pool the walk explains all but a negligible weight of the relaxation's point."""
    types = paper_shaped("sf_a", seed=1).instance.types
    x = relaxed_leximin(types) * types.counts
    walk = walk_down_faces(types, x)
    assert walk.weight_left < 1e-8
    assert mixture_error(walk, x) < 1e-6
    assert len(walk.compositions) < types.size  # far fewer panels than types


def test_leximin_uses_the_walk_and_certifies_it() -> None:
    types = paper_shaped("sf_d", seed=2).instance.types
    d = leximin(types)
    d.verify()
    assert d.info["method"] == "relaxation reached"
    assert d.info["face_walk_panels"] > 0
    assert d.info["max_shortfall"] <= d.info["fix_tolerance"]
    np.testing.assert_allclose(d.type_probabilities().min(), d.info["upper_bound"], rtol=1e-6)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_walk_keeps_households(seed: int) -> None:
    """With households (volunteers sharing an address are types of one, at most one per household),
    the walk's panels are valid and explain a mixture of valid panels as well."""
    types = tiny_instance(seed, household=True).types
    assert types.households
    panels = valid_compositions(types)
    x = np.random.default_rng(seed).dirichlet(np.ones(len(panels))) @ panels
    walk = walk_down_faces(types, x)
    assert walk.compositions and all(types.is_valid(v) for v in walk.compositions)
    assert mixture_error(walk, x) <= walk.weight_left * types.k + 1e-9


def test_maximin_is_proven_by_the_relaxation_bound() -> None:
    """The panels of the walk reach the relaxation's maximin value, which bounds every distribution:
    maximin needs no pricing to prove optimality, and its bound is never below its value."""
    types = paper_shaped("sf_a", seed=3).instance.types
    d = maximin(types)
    d.verify()
    assert d.info["upper_bound"] >= d.objective
    assert d.info["gap"] <= 1e-9
    assert d.objective == pytest.approx(leximin(types).objective, abs=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_face_mip_answers_within_its_box(seed: int) -> None:
    """The per-step programme (LP first, perturbed LPs, MIP last) returns a valid panel inside the box
    it is given: the whole polytope, a box holding exactly one valid panel, and no panel at all."""
    from core.errors import InfeasibleQuotas
    from core.fair.face_mip import FaceMIP

    instance = tiny_instance(seed)
    types = instance.types
    panels = valid_compositions(types)
    if not len(panels):
        pytest.skip("no valid panel")
    model = FaceMIP(types)
    counts = types.counts.astype(float)
    rng = np.random.default_rng(seed)
    for _ in range(5):
        v = model.best(rng.random(types.size), np.zeros(types.size), counts, types.lower, types.upper)
        assert types.violations(v) == []
        panel = panels[rng.integers(len(panels))].astype(float)
        assert np.array_equal(model.best(rng.random(types.size), panel, panel, types.lower, types.upper), panel)
    with pytest.raises(InfeasibleQuotas):
        model.best(np.ones(types.size), np.zeros(types.size), np.zeros(types.size), types.lower, types.upper)
