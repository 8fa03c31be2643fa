"""The End-to-end page's tables on the climate_300 example: sums that must hold, and hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from core.endtoend.background import encode_background
from core.endtoend.participation import fit_instance
from core.endtoend.phase_one import phase_one
from core.endtoend.simulation import EndToEnd, simulate_phase_one
from core.io.examples import load_example
from core.views.endtoend import (
    beta_frame,
    boost_by_value,
    population_model,
    ratio_by_type,
    ratio_by_value,
    seats_against_population,
    simulation_summary,
)


@pytest.fixture(scope="module")
def climate():
    instance, extras = load_example("climate_300")
    fit = fit_instance(instance, extras["background"], extras["letters"], resamples=0, seed=1)
    encoded = encode_background(instance, extras["background"], extras["letters"])
    return instance, extras, fit, encoded


def test_beta_frame_has_one_row_per_value(climate) -> None:
    instance, _, fit, _ = climate
    frame = beta_frame(fit)
    assert len(frame) == sum(len(instance.values(c)) for c in instance.categories)
    assert (frame["beta"] <= 1 + 1e-9).all()
    assert frame.groupby("category")["beta"].max().to_numpy() == pytest.approx(1.0)


def test_boost_by_value_is_one_for_equal_chances_and_follows_phase_one(climate) -> None:
    instance, extras, fit, _ = climate
    equal = boost_by_value(instance, np.full(instance.n, instance.k / instance.n), fit.q)
    assert equal["ratio to k/n"].to_numpy() == pytest.approx(1.0)
    values = {c: instance.values(c) for c in instance.categories}
    first = phase_one(fit.q, instance.k, extras["letters"], instance.codes, instance.categories, values, None)
    boost = boost_by_value(instance, first.marginals, fit.q)
    # each category's values share the k seats
    seats = (boost["volunteers"] * boost["mean selection probability"]).groupby(boost["category"]).sum()
    assert seats.to_numpy() == pytest.approx(instance.k)
    # the least willing value of each category is boosted more than the most willing one
    for _, group in boost.groupby("category"):
        low, high = group["mean participation"].idxmin(), group["mean participation"].idxmax()
        assert group.loc[low, "ratio to k/n"] > group.loc[high, "ratio to k/n"]


def test_seats_against_population_sum_to_k(climate) -> None:
    instance, _, _, _ = climate
    shares = dict(instance.population_shares)
    seats = seats_against_population(instance, {"equal": np.full(instance.n, instance.k / instance.n)}, shares)
    assert seats.groupby("category")["expected seats"].sum().to_numpy() == pytest.approx(instance.k)
    assert seats.groupby("category")["proportional seats"].sum().to_numpy() == pytest.approx(instance.k, rel=1e-3)
    assert {"min", "max", "algorithm", "value"} <= set(seats.columns)


def test_population_model_and_simulation_tables(climate) -> None:
    instance, extras, fit, encoded = climate
    model = population_model(instance, fit, encoded)
    assert model.size == pytest.approx(len(extras["background"]))
    gender = instance.categories.index("gender")
    share = (encoded.codes[:, gender] == 0).mean()
    assert model.shares()[("gender", instance.values("gender")[0])] == pytest.approx(share)
    # a made-up run where everyone has exactly k/N: every ratio is 1
    flat = EndToEnd("flat", np.full(model.types, 0.001), np.zeros(model.types), 0.001, 10, 0, 0.0)
    assert ratio_by_value(model, [flat])["ratio to k/N"].to_numpy() == pytest.approx(1.0)
    real = simulate_phase_one(model, extras["letters"], instance.k, 300, seed=5)
    summary = simulation_summary(model, [flat, real]).set_index("algorithm")
    assert summary.loc["flat", "population within ±10% of k/N"] == pytest.approx(1.0)
    assert summary.loc[real.algorithm, "pools"] + summary.loc[real.algorithm, "pools skipped"] == 300
    by_type = ratio_by_type(model, [real])
    assert len(by_type) == model.types and "ratio_to_uniform" in by_type.columns
