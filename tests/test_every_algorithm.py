"""Every algorithm of the registry on every bundled example: each panel it can return meets every quota.

This is the Compare page's "run them all" on the examples a new user starts from (seed 7 is the
seed that crashed Goldilocks on large_2000). Options are the app's where it has them, smaller where
an algorithm has a knob for its running time (legacy draws, Diversimax's time limit, the bootstrap
of end-to-end, Goldilocks' rounds, the uniform chain's steps), so the whole file stays near two
minutes on a loaded 2-core machine. The large_2000 cases are the slow part (marked `slow`).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from core.errors import InputError
from core.io.examples import load_example
from core.selection import REGISTRY, SelectionResult, run

EXAMPLES = ["classroom", "climate_300", "large_2000"]
SEED = 7
DRAWN_PANELS = 5
OPTIONS = {"legacy": {"draws": 500}, "diversimax": {"time_limit": 5}, "endtoend": {"resamples": 10}}
# large_2000: the algorithms with a running-time knob get a smaller one (they still run end to end)
LARGE_OPTIONS = {"legacy": {"draws": 200}, "diversimax": {"time_limit": 3}, "endtoend": {"resamples": 2},
                 "uniform": {"chain_steps": 5_000, "count_samples": 20}, "goldilocks": {"max_rounds": 20}}


@cache
def example(name: str):
    return load_example(name)


def cases():
    for name in EXAMPLES:
        for algorithm in REGISTRY:
            marks = [pytest.mark.slow] if name == "large_2000" else []
            yield pytest.param(name, algorithm, id=f"{name}-{algorithm}", marks=marks)


def assert_every_panel_meets_the_quotas(instance, result: SelectionResult) -> None:
    types = instance.types
    p = result.marginals
    assert p.shape == (instance.n,) and (p >= -1e-12).all() and (p <= 1 + 1e-9).all()
    assert p.sum() == pytest.approx(instance.k, abs=1e-6)
    if result.distribution is not None:
        dist = result.distribution
        assert dist.probabilities.sum() == pytest.approx(1.0)
        for composition in dist.compositions:  # every panel the distribution can return
            assert types.violations(composition) == []
        assert np.allclose(dist.marginals(), p)
    for panel in result.draw(DRAWN_PANELS, seed=SEED):
        assert len(panel) == instance.k == len(set(panel))
        assert types.violations(types.composition_of(panel)) == []


@pytest.mark.parametrize(("name", "algorithm"), list(cases()))
def test_every_algorithm_on_every_example(name: str, algorithm: str) -> None:
    instance, extras = example(name)
    options = dict((LARGE_OPTIONS if name == "large_2000" else OPTIONS).get(algorithm, {}))
    if algorithm == "endtoend":
        options.update(background=extras["background"], letters=extras["letters"])
        if extras["background"] is None:  # classroom: no background sample, so a clear message, not a crash
            with pytest.raises(InputError, match="background sample"):
                run(algorithm, instance, seed=SEED, options=options)
            return
    result = run(algorithm, instance, seed=SEED, options=options)
    assert result.algorithm == algorithm
    assert_every_panel_meets_the_quotas(instance, result)
    if algorithm == "goldilocks":  # its optimality gap is reported, and proven small on these pools
        assert 0 <= result.info["gap"] + 1e-9 and result.info["gap"] <= 1e-6
