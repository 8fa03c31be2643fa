"""Every result is a function of the inputs and the seed: Diversimax stops at a node limit, not a clock."""

from __future__ import annotations

import pytest

from core.algorithms.diversimax import NODES_PER_SECOND, node_limit_for, safety_seconds, select
from core.errors import InputError
from core.io.generator import paper_shaped


def test_diversimax_replays_exactly_when_its_work_limit_binds() -> None:
    instance = paper_shaped("sf_a", seed=0).instance  # needs about 50 nodes to prove optimality
    options = {"time_limit": 0.25}  # about 2 nodes: the limit binds
    first = select(instance, seed=4, options=options)
    second = select(instance, seed=4, options=options)
    assert first.info["stopped_by"] == "node limit" and first.info["node_limit"] == node_limit_for(0.25) == 2
    assert first.info["gap"] > 0  # not proven optimal: the limit decided where it stopped
    assert first.info == second.info
    assert (first.distribution.compositions == second.distribution.compositions).all()
    assert first.draw(3, seed=4) == second.draw(3, seed=4)


def test_time_limits_convert_to_node_limits() -> None:
    assert node_limit_for(60) == round(60 * NODES_PER_SECOND)
    assert node_limit_for(0.001) == 1
    assert safety_seconds(60) >= 600 and safety_seconds(1) > 1


@pytest.mark.parametrize("options", [{"time_limit": -5}, {"time_limit": float("nan")}, {"node_limit": 0}])
def test_bad_limits_are_input_errors(options: dict) -> None:
    instance = paper_shaped("sf_a", seed=0).instance
    with pytest.raises(InputError):
        select(instance, seed=0, options=options)
