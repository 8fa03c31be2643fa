"""What-if tuning (core.views.what_if): the best lowest selection probability under edited quotas,
checked against brute force on tiny pools, its quota prices against re-solving, and the Pool and
quotas page showing it (AppTest)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.optimize import linprog
from streamlit.testing.v1 import AppTest
from test_pages_extra import page
from tiny_pools import random_instance

from core.algorithms.enumeration import valid_compositions
from core.analysis.feasibility import check
from core.io.examples import load_example
from core.selection import run
from core.views.what_if import change_note, what_if

POOL = "pages/1_Pool_and_quotas.py"


def brute_force_maximin(instance, open_types: np.ndarray) -> float:
    """max over distributions of valid compositions (all enumerated) of the lowest p_t over `open_types`."""
    types = instance.types
    C = valid_compositions(types).astype(float)
    m = len(C)
    P = (C[:, open_types] / types.counts[open_types]).T  # open types x compositions
    # variables lambda_1..m, z: max z s.t. z - P lambda <= 0, sum lambda = 1
    result = linprog(np.r_[np.zeros(m), -1.0], A_ub=np.c_[-P, np.ones(len(open_types))], b_ub=np.zeros(len(open_types)),
                     A_eq=np.r_[np.ones(m), 0.0][None, :], b_eq=[1.0], bounds=[(0, None)] * m + [(0, None)],
                     method="highs")
    assert result.status == 0
    return float(result.x[-1])


def open_types_of(instance) -> np.ndarray:
    types = instance.types
    shut = (types.A[types.upper == 0] > 0).any(axis=0)
    return np.flatnonzero(~shut)


feasible_seeds = [s for s in range(60) if check(random_instance(s, n=12, k=4, values=(2, 3))).feasible][:15]


@pytest.mark.parametrize("seed", feasible_seeds)
def test_two_categories_the_bound_is_exactly_the_best_any_lottery_reaches(seed):
    """With two categories the quota polytope is integral (a flow problem), so the relaxation's
    maximin value is what the best distribution over valid panels reaches."""
    instance = random_instance(seed, n=12, k=4, values=(2, 3))
    view = what_if(instance)
    assert view.feasible
    assert view.best_minimum == pytest.approx(brute_force_maximin(instance, open_types_of(instance)), abs=1e-7)


@pytest.mark.parametrize("seed", range(12))
def test_three_categories_the_bound_is_never_below_the_best_lottery(seed):
    instance = random_instance(seed, n=12, k=4, values=(2, 2, 3))
    view = what_if(instance)
    if not check(instance).feasible:
        return  # nothing to bound (the relaxation may still be feasible)
    assert view.feasible
    assert view.best_minimum >= brute_force_maximin(instance, open_types_of(instance)) - 1e-9


def test_quotas_no_lp_can_meet_are_reported_as_infeasible():
    instance = random_instance(3, n=12, k=4, values=(2, 3))
    quotas = [replace(q, min=5, max=5) if i == 0 else q for i, q in enumerate(instance.quotas)]
    view = what_if(instance.with_quotas(quotas))
    assert not view.feasible and "No panel meets these quotas" in view.summary()


def test_a_value_shut_out_by_max_zero_is_left_out_and_counted():
    """Setting a value's max to 0 gives its volunteers chance 0: they are counted, and the minimum
    is that of the others (brute force over the valid panels)."""
    checked = 0
    for seed in feasible_seeds:
        instance = random_instance(seed, n=12, k=4, values=(2, 3))
        q = len(instance.quotas) - 1  # a value of the three-valued category
        edited = instance.with_quotas([replace(quota, min=0, max=0) if i == q else quota
                                       for i, quota in enumerate(instance.quotas)])
        if not check(edited).feasible:
            continue
        view = what_if(edited)
        assert view.shut_out == int(edited.types.counts[edited.types.A[q] > 0].sum()) > 0
        assert view.best_minimum == pytest.approx(brute_force_maximin(edited, open_types_of(edited)), abs=1e-7)
        checked += 1
    assert checked >= 3


@pytest.fixture(scope="module")
def climate():
    return load_example("climate_300")[0]


def test_climate_300_names_the_quota_that_costs_fairness_and_its_price(climate):
    view = what_if(climate)
    assert 0 < view.best_minimum < view.fair_share
    assert [label for label, _ in view.holding_down] == ["education=degree"]
    top = view.prices[0]
    assert (top.label, top.bound) == ("education=degree", "max")
    # the price is what moving the bound one seat really gains
    moved = climate.with_quotas([replace(q, max=q.max + 1) if q.label == top.label else q for q in climate.quotas])
    assert what_if(moved).best_minimum - view.best_minimum == pytest.approx(top.gain, rel=1e-6)


def test_prices_never_promise_less_than_re_solving_gives_back(climate):
    """z* is concave in each bound, so a dual over-estimates (never under-estimates) a one-seat move."""
    view = what_if(climate)
    for price in view.prices:
        quotas = [replace(q, max=q.max + 1) if price.bound == "max" and q.label == price.label else
                  replace(q, min=q.min - 1) if price.bound == "min" and q.label == price.label else q
                  for q in climate.quotas]
        assert what_if(climate.with_quotas(quotas)).best_minimum - view.best_minimum <= price.gain + 1e-9


def test_change_note():
    assert change_note(None, 0.05) == ""
    assert change_note(0.05, 0.05) == "unchanged by the last edit"
    assert change_note(0.05, 0.0563) == "+0.63 points since the last edit"


# ---- the Pool and quotas page -------------------------------------------------------------------

def pool_page(example: str) -> AppTest:
    """The Pool and quotas page with `example` loaded (as Home's "Load this example" does)."""
    return page(POOL, example)


def what_if_metric(at: AppTest):
    return next(m for m in at.metric if m.label == "Lowest selection probability")


def test_the_pool_page_shows_how_fair_it_can_be_and_the_change_of_each_edit(climate):
    at = pool_page("climate_300")
    assert not at.exception
    view = what_if(climate)
    metric = what_if_metric(at)
    assert metric.value == f"at most {view.best_minimum:.2%}" and not metric.delta
    page = "\n".join(str(m.value) for m in at.markdown)
    assert "Held down by the volunteers with **education=degree**" in page
    assert "education=degree: max 11 → 12 would raise it by about 0.63 points" in page
    # an edit (as the quota table stores it): the figure and its change since the last edit
    edited = climate.with_quotas([replace(q, max=q.max + 1) if q.label == "education=degree" else q
                                  for q in climate.quotas])
    at.session_state["instance"] = edited
    at.run()
    after = what_if(edited).best_minimum
    metric = what_if_metric(at)
    assert metric.value == f"at most {after:.2%}"
    assert metric.delta == f"{100 * (after - view.best_minimum):+.2f} points"


def test_an_exact_run_of_the_same_quotas_confirms_or_corrects_the_bound():
    at = pool_page("classroom")
    instance = at.session_state["instance"]
    result = run("leximin", instance, seed=1)
    at.session_state["results"] = {"leximin": result}
    at.session_state["results_for"] = instance.fingerprint()
    at.run()
    best = what_if(instance).best_minimum
    page = "\n".join(str(m.value) for m in at.markdown)
    if abs(result.objective - best) <= 1e-6:
        assert what_if_metric(at).value == f"exactly {best:.2%}"
        assert "Confirmed by leximin" in page
    else:
        assert what_if_metric(at).value == f"at most {best:.2%}"
        assert f"leximin reached {result.objective:.2%} with valid panels" in page
