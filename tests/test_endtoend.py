"""End-to-end sampling: Phase I maths, capping, Phase II distributions, bad input, simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from core.algorithms.enumeration import valid_compositions
from core.endtoend.closest import closest_distribution, relaxed_closest
from core.endtoend.phase_one import capped_marginals, phase_one
from core.endtoend.simulation import PopulationModel, pool_batches, pool_counts, simulate_algorithm, simulate_phase_one
from core.errors import InputError
from core.io.generator import climate_assembly_spec, generate, proportional_quotas
from core.io.synthetic import CategorySpec, PopulationSpec
from core.model import Instance, Quota
from core.selection import run

# --- Phase I ------------------------------------------------------------------------------------------


def test_phase_one_marginals_by_hand() -> None:
    q = np.array([0.5, 0.25, 0.1, 0.1])  # a = 2, 4, 10, 10; sum 26
    pi, capped, rounds = capped_marginals(1 / q, np.ones(4), 2)
    np.testing.assert_allclose(pi[0], [4 / 26, 8 / 26, 20 / 26, 20 / 26])
    assert not capped.any() and rounds == 0


def test_capping_takes_two_rounds_by_hand() -> None:
    # a = 100, 50, 2, 2, 2, 2; k = 3: 300/158 > 1 is capped; then 2 * 50/58 > 1 is capped; then 1 seat over 4
    q = np.array([0.01, 0.02, 0.5, 0.5, 0.5, 0.5])
    pi, capped, rounds = capped_marginals(1 / q, np.ones(6), 3)
    np.testing.assert_allclose(pi[0], [1, 1, 0.25, 0.25, 0.25, 0.25])
    assert capped[0].tolist() == [True, True, False, False, False, False] and rounds == 2
    # per type with counts: the same pool written as 3 types
    pi_t, _, _ = capped_marginals(1 / np.array([0.01, 0.02, 0.5]), np.array([1, 1, 4]), 3)
    np.testing.assert_allclose(pi_t[0], [1, 1, 0.25])


def test_good_pool_checks_by_hand() -> None:
    # 40 volunteers, all q = 0.1, r = 400 letters, k = 4: alpha = 0.1 * 400 / 4 = 10, eps = 10^-0.49
    codes = np.array([[0]] * 20 + [[1]] * 20)
    result = phase_one(np.full(40, 0.1), 4, 400, codes, ["g"], {"g": ["x", "y"]}, {("g", "x"): 0.5, ("g", "y"): 0.5})
    eps = 10 ** -0.49
    assert result.alpha == pytest.approx(10) and result.checks["epsilon"] == pytest.approx(eps)
    np.testing.assert_allclose(result.marginals, 0.1)
    assert result.checks["all_marginals_at_most_1"]["ok"]
    assert result.checks["sum_of_weights"]["sum"] == pytest.approx(400)
    assert result.checks["sum_of_weights"]["bound"] == pytest.approx(400 / (1 - eps))
    assert result.checks["good_pool"]
    # a population where x is 90%: 2 expected seats against 3.6 proportional is outside (1 +- 0.32)
    skewed = phase_one(np.full(40, 0.1), 4, 400, codes, ["g"], {"g": ["x", "y"]}, {("g", "x"): 0.9, ("g", "y"): 0.1})
    assert not skewed.checks["seats_near_proportional"]["ok"] and not skewed.checks["good_pool"]
    # too few letters for the pool: sum a = 400 > 100 / (1 - eps')
    few = phase_one(np.full(40, 0.1), 4, 100, codes, ["g"], {"g": ["x", "y"]}, None)
    assert not few.checks["sum_of_weights"]["ok"]


# --- Phase II -----------------------------------------------------------------------------------------


def tiny_instance() -> Instance:
    pool = pd.DataFrame({"gender": ["f"] * 7 + ["m"] * 5,
                         "age": ["y", "y", "o", "o", "o", "m", "m", "y", "o", "m", "m", "y"]})
    quotas = [Quota("gender", "f", 2, 3), Quota("gender", "m", 2, 3),
              Quota("age", "y", 1, 2), Quota("age", "m", 1, 2), Quota("age", "o", 1, 2)]
    return Instance(pool=pool, categories=["gender", "age"], quotas=quotas, k=5)


def test_closest_distribution_is_optimal_against_brute_force() -> None:
    types = tiny_instance().types
    rng = np.random.default_rng(3)
    targets = rng.uniform(0.1, 0.9, types.size)
    found = closest_distribution(types, targets)
    found.distribution.verify()
    p = found.distribution.type_probabilities()
    assert np.abs(p - targets).max() == pytest.approx(found.deviation)
    # the same LP over every valid panel: variables lambda (one per panel), eps
    panels = valid_compositions(types)
    P, T = len(panels), types.size
    share = panels.T / types.counts[:, None]  # T x P
    A_ub = np.block([[share, -np.ones((T, 1))], [-share, -np.ones((T, 1))]])
    b_ub = np.r_[targets, -targets]
    best = linprog(np.r_[np.zeros(P), 1.0], A_ub=A_ub, b_ub=b_ub, A_eq=np.r_[np.ones(P), 0.0][None, :], b_eq=[1.0],
                   bounds=[(0, None)] * (P + 1), method="highs")
    assert found.deviation == pytest.approx(best.fun, abs=1e-7)
    assert found.lower_bound <= found.deviation + 1e-9
    # the relaxation's closest point is in the quota polytope and at least as close as any distribution
    x = relaxed_closest(types, targets)
    assert x.sum() == pytest.approx(types.k)
    assert np.all(types.A @ x >= types.lower - 1e-7) and np.all(types.A @ x <= types.upper + 1e-7)
    assert np.abs(x / types.counts - targets).max() <= best.fun + 1e-7


@pytest.fixture(scope="module")
def generated():
    return generate(climate_assembly_spec(4, coarse_regions=True), 150, 15, seed=3, background_size=2000)


def options(g, mode: str) -> dict:
    return {"background": g.background, "letters": g.letters, "mode": mode, "resamples": 4}


def test_paper_mode_has_exactly_the_phase_one_marginals(generated) -> None:
    g = generated
    result = run("endtoend", g.instance, seed=1, options=options(g, "paper"))
    target = np.array(result.info["phase_one_marginals"])
    np.testing.assert_allclose(result.marginals, target, atol=1e-7)
    assert result.marginals.sum() == pytest.approx(g.instance.k)
    # every panel keeps each value's seats within expected seats +- the number of categories
    codes, C = g.instance.codes, len(g.instance.categories)
    types = result.distribution.types
    for composition in result.distribution.compositions:
        assert composition.sum() == g.instance.k
        panel_rows = np.repeat(np.arange(types.size), composition)
        members = codes[[types.members[t][0] for t in panel_rows]]
        for c in range(C):
            for j in range(len(g.instance.values(g.instance.categories[c]))):
                expected = target[codes[:, c] == j].sum()
                assert abs((members[:, c] == j).sum() - expected) <= C + 1e-9
    assert 0 <= result.info["organiser_quotas_met_probability"] <= 1


def test_quotas_mode_keeps_the_quotas_and_reports_the_deviation(generated) -> None:
    g = generated
    result = run("endtoend", g.instance, seed=1, options=options(g, "quotas"))
    organiser = g.instance.types
    for composition in result.distribution.compositions:
        assert organiser.is_valid(composition)
    target = np.array(result.info["phase_one_marginals"])
    assert np.abs(result.marginals - target).max() == pytest.approx(result.info["deviation"], abs=1e-9)
    assert result.info["deviation_lower_bound"] <= result.info["deviation"] + 1e-9
    assert len(result.extra["participation"]) == g.instance.n
    assert set(result.extra["beta"]) == {"beta0", *g.instance.categories}
    assert result.draw(3, seed=9) == result.draw(3, seed=9)
    for panel in result.draw(5, seed=2):
        assert organiser.is_valid(organiser.composition_of(panel))


# --- bad input ----------------------------------------------------------------------------------------


def messages(error: InputError) -> str:
    return "\n".join(str(p) for p in error.problems)


def test_bad_background_reports_every_problem_at_once(generated) -> None:
    g = generated
    background = g.background.drop(columns=["age"]).copy()
    background.loc[0, "gender"] = "robot"
    background["w"] = "1"
    background.loc[3, "w"] = "-2"
    background.loc[4, "w"] = ""
    with pytest.raises(InputError) as caught:
        run("endtoend", g.instance, seed=0,
            options={"background": background, "letters": g.instance.n - 1, "background_weights": "w"})
    text = messages(caught.value)
    assert "category 'age' is not a column" in text
    assert "'robot'" in text
    assert "letters cannot have produced a pool" in text
    assert "negative weight" in text
    assert "missing or not numbers" in text


def test_values_only_one_side_has_are_errors(generated) -> None:
    g = generated
    # a value the background has and no volunteer has: quotas name 'other', nobody in the pool has it
    quotas = g.instance.quotas + [Quota("gender", "other", 0, 1)]
    instance = g.instance.with_quotas(quotas)
    background = g.background.copy()
    background.loc[0, "gender"] = "other"
    with pytest.raises(InputError) as caught:
        run("endtoend", instance, seed=0, options={"background": background, "letters": g.letters})
    assert "gender = 'other' but no volunteer does" in messages(caught.value)
    # a value volunteers have and the background lacks
    lacking = g.background[g.background["education"] != "degree"]
    with pytest.raises(InputError) as caught:
        run("endtoend", g.instance, seed=0, options={"background": lacking, "letters": g.letters})
    assert "volunteers have education = 'degree' but nobody in the background sample does" in messages(caught.value)


def test_missing_weight_column_and_options(generated) -> None:
    g = generated
    with pytest.raises(InputError) as caught:
        run("endtoend", g.instance, seed=0,
            options={"background": g.background, "letters": g.letters, "background_weights": "nope"})
    assert "weight column 'nope'" in messages(caught.value)
    with pytest.raises(InputError) as caught:
        run("endtoend", g.instance, seed=0, options={"mode": "other"})
    text = messages(caught.value)
    assert "background sample" in text and "letters" in text and "mode" in text


# --- simulation ---------------------------------------------------------------------------------------


def small_spec() -> PopulationSpec:
    return PopulationSpec(categories=(
        CategorySpec("age", ("young", "middle", "old"), (0.3, 0.4, 0.3), (0.3, 0.6, 1.0)),
        CategorySpec("education", ("low", "high"), (0.6, 0.4), (0.4, 1.0)),
    ), beta0=0.1, latent_classes=2, correlation=0.4)


def test_pools_do_not_depend_on_how_many_are_drawn() -> None:
    model = PopulationModel.from_spec(small_spec(), size=100_000)
    few = list(pool_batches(model, 2000, 5, seed=4))
    many = list(pool_batches(model, 2000, 1500, seed=4))
    np.testing.assert_array_equal(few[0][0], many[0][0][:5])
    np.testing.assert_array_equal(pool_counts(*few[0], model.types), pool_counts(*many[0], model.types)[:5])
    counts = pool_counts(*many[0], model.types)  # pools follow the model: mean counts r M_u q_u / N
    expected = 2000 * model.sizes * model.q / model.size
    np.testing.assert_allclose(counts.mean(axis=0), expected, rtol=0.05)


def test_endtoend_gives_everyone_about_k_over_n_and_uniform_does_not() -> None:
    model = PopulationModel.from_spec(small_spec(), size=100_000)
    k, letters = 20, 3000
    fair = simulate_phase_one(model, letters, k, 3000, seed=1)
    # expected seats add up to k exactly (no pool was smaller than k)
    assert fair.skipped == 0
    assert model.sizes @ fair.probability == pytest.approx(k)
    np.testing.assert_allclose(fair.ratio, 1.0, atol=0.1)
    assert fair.summary(model)["population_share_within_10pct"] == 1.0
    # selecting uniformly from the pool (the same q for all) keeps the self-selection bias
    naive = simulate_phase_one(model, letters, k, 3000, seed=1, q_selection=np.ones(model.types))
    assert naive.ratio.min() < 0.5 and naive.ratio.max() > 1.5


def test_other_algorithms_run_on_the_same_pools() -> None:
    spec = small_spec()
    model = PopulationModel.from_spec(spec, size=100_000)
    quotas = proportional_quotas(model.shares(), 10, model.categories, model.values, slack=0.3)
    legacy = simulate_algorithm(model, 1500, 10, quotas, "legacy", 3, seed=2, options={"draws": 300})
    assert legacy.pools == 3 and legacy.skipped == 0
    assert model.sizes @ legacy.probability == pytest.approx(10)
