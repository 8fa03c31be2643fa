"""The optimised reserve list against brute force over every list on tiny pools, and against greedy."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from test_fair_exact import tiny_instance

from core.after.reserve import (
    candidates,
    member_dropout,
    optimise_reserve,
    read_dropout_rates,
)
from core.algorithms.enumeration import all_panels
from core.errors import InputError
from core.model import Instance, Quota
from core.work_limits import SafetyClockStop


def deviation(instance: Instance, rows: list[int]) -> float:
    """Total distance of the seats of `rows` from [min, max], over every quota."""
    types = instance.types
    seats = types.A @ types.composition_of(rows) if rows else np.zeros(len(types.lower), dtype=np.int64)
    return float((np.maximum(types.lower - seats, 0) + np.maximum(seats - types.upper, 0)).sum())


def best_calls(instance: Instance, kept: list[int], reserve: list[int], fill: int) -> float:
    """Brute force: the smallest deviation over every choice of `fill` reserves of the list."""
    return min(deviation(instance, kept + list(chosen)) for chosen in combinations(reserve, fill))


def expected(instance: Instance, panel: list[int], drops: np.ndarray, reserve: list[int]) -> float:
    """Expected deviation of a list when each scenario calls in its best min(m, A) reserves."""
    total = 0.0
    for dropped in drops:
        kept = [p for p, d in zip(panel, dropped) if not d]
        total += best_calls(instance, kept, reserve, min(int(dropped.sum()), len(reserve)))
    return total / len(drops)


def panel_of(instance: Instance, seed: int) -> list[int]:
    panels = all_panels(instance.types)
    return list(panels[int(np.random.default_rng(seed).integers(len(panels)))])


TINY = [s for s in range(12) if all_panels(tiny_instance(s).types) and tiny_instance(s).k >= 3][:5]


@pytest.mark.parametrize("seed", TINY)
def test_optimised_list_is_the_best_of_every_list(seed: int) -> None:
    instance = tiny_instance(seed)
    panel = panel_of(instance, seed)
    size = 2
    result = optimise_reserve(instance, panel, size, seed=seed, dropout=0.3, scenarios=12)
    assert result.info["status"] == "OPTIMAL"
    pool = candidates(instance, panel).tolist()
    brute = min(expected(instance, panel, result.drops, list(r)) for r in combinations(pool, size))
    assert result.optimised.expected_deviation == pytest.approx(brute, abs=1e-9)
    assert expected(instance, panel, result.drops, result.optimised.rows) == pytest.approx(brute, abs=1e-9)
    assert len(result.optimised.rows) == size and not set(result.optimised.rows) & set(panel)
    # the greedy policy is one way of calling in reserves of its list, so it is never better than the best way
    assert result.greedy.expected_deviation >= expected(instance, panel, result.drops, result.greedy.rows) - 1e-9
    assert result.optimised.expected_deviation <= result.greedy.expected_deviation + 1e-9


def medium_instance(seed: int) -> Instance:
    """40 volunteers, 3 categories, k = 8, tight quotas around a random panel (so drop-outs hurt)."""
    rng = np.random.default_rng(seed)
    pool = pd.DataFrame({f"c{j}": [f"v{v}" for v in rng.integers(0, 3, 40)] for j in range(3)})
    panel = rng.choice(40, size=8, replace=False)
    quotas = [Quota(f"c{j}", value, int((pool[f"c{j}"].iloc[panel] == value).sum()),
                    int((pool[f"c{j}"].iloc[panel] == value).sum()) + int(rng.integers(0, 2)))
              for j in range(3) for value in sorted(pool[f"c{j}"].unique())]
    return Instance(pool=pool, categories=["c0", "c1", "c2"], quotas=quotas, k=8), sorted(int(i) for i in panel)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_optimised_list_is_never_worse_than_greedy(seed: int) -> None:
    instance, panel = medium_instance(seed)
    result = optimise_reserve(instance, panel, 4, seed=seed, dropout=0.15, scenarios=60)
    assert result.optimised.expected_deviation <= result.greedy.expected_deviation + 1e-9
    assert result.optimised.expected_deviation == pytest.approx(
        expected(instance, panel, result.drops, result.optimised.rows), abs=1e-9)
    assert 0 <= result.optimised.expected_violations <= result.optimised.expected_deviation + 1e-9
    assert len(set(result.optimised.rows)) == 4 and len(set(result.greedy.rows)) == 4
    assert result.info["objective_bound"] <= result.optimised.expected_deviation + 1e-9
    again = optimise_reserve(instance, panel, 4, seed=seed, dropout=0.15, scenarios=60)
    assert np.array_equal(again.drops, result.drops) and again.greedy.rows == result.greedy.rows


def test_same_inputs_and_seed_give_the_same_list_and_info() -> None:
    """Issue #17: the list is a function of the inputs and the seed alone; the work limits bind here
    (small batches, one node each) and are recorded in info."""
    instance, panel = medium_instance(1)
    limits = {"batch_scenarios": 7, "max_batches": 3, "node_limit": 1}
    runs = [optimise_reserve(instance, panel, 4, seed=5, dropout=0.2, scenarios=40, **limits) for _ in range(2)]
    first, second = ({k: v for k, v in r.info.items() if k != "seconds"} for r in runs)
    assert first == second and runs[0].optimised.rows == runs[1].optimised.rows
    assert first["node_limit"] == 1 and first["batch_scenarios"] == 7 and first["max_batches"] == 3
    assert first["batches"] == 6 and first["batches_solved"] == 3 and "time_limit" not in first
    assert first["objective_bound"] <= runs[0].optimised.expected_deviation + 1e-9
    assert runs[0].optimised.expected_deviation <= runs[0].greedy.expected_deviation + 1e-9


def test_safety_clock_raises_instead_of_returning_a_list() -> None:
    instance, panel = medium_instance(0)
    with pytest.raises(SafetyClockStop):
        optimise_reserve(instance, panel, 4, seed=0, dropout=0.15, scenarios=60, safety_limit=1e-9)


def test_reserves_share_no_household_with_the_panel() -> None:
    instance = tiny_instance(3, household=True)
    panel = panel_of(instance, 3)
    address = instance.pool["address"]
    result = optimise_reserve(instance, panel, 2, seed=0, dropout=0.3, scenarios=10)
    for row in result.optimised.rows + result.greedy.rows:
        assert address.iloc[row] not in set(address.iloc[panel])


def test_member_dropout_is_the_mean_of_the_value_rates() -> None:
    instance = tiny_instance(0)
    row = 0
    values = [instance.pool[c].iloc[row] for c in instance.categories]
    rates = {(instance.categories[0].casefold(), values[0].casefold()): 0.4}
    got = member_dropout(instance, [row], 0.1, rates)
    assert got[0] == pytest.approx((0.4 + 0.1 * (len(values) - 1)) / len(values))
    assert member_dropout(instance, [row, 1], 0.2, None).tolist() == [0.2, 0.2]


def test_dropout_column_is_read_and_checked(tmp_path) -> None:
    path = tmp_path / "quotas.csv"
    path.write_text("category,feature,min,max,dropout\nG,f,1,2,0.2\ng,M,1,2,15%\na,y,1,2,\n", encoding="utf-8")
    assert read_dropout_rates(path) == {("g", "f"): 0.2, ("g", "m"): 0.15}
    path.write_text("feature,value,min,max,dropout\ng,f,1,2,lots\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_dropout_rates(path)
    assert "quotas.csv, row 2, column 'dropout'" in str(error.value)
