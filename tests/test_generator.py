"""The synthetic instance generator and the bundled examples."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.algorithms.panel_model import PanelModel
from core.io.examples import list_examples, load_example
from core.io.generator import (
    CLASSROOM_K,
    SHAPES,
    bundled_spec,
    climate_assembly_spec,
    generate,
    paper_shaped,
    proportional_quotas,
    widen_to_feasible,
    write_bundled_examples,
    write_instance,
)
from core.io.loaders import load_instance
from core.io.synthetic import (
    CategorySpec,
    PopulationSpec,
    class_conditional_shares,
    draw_pool,
    mean_participation,
    participation_probability,
    sample_population,
)
from core.model import Instance

ROOT = Path(__file__).resolve().parents[1]


def cramers_v(a: pd.Series, b: pd.Series) -> float:
    """Cramér's V of two categorical columns: sqrt(chi^2 / (N (min(rows, cols) - 1)))."""
    table = pd.crosstab(a, b).to_numpy(dtype=float)
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    chi2 = ((table - expected) ** 2 / expected).sum()
    return math.sqrt(chi2 / (table.sum() * (min(table.shape) - 1)))


def two_category_spec(correlation: float) -> PopulationSpec:
    return PopulationSpec(
        categories=(
            CategorySpec("age", ("young", "middle", "old"), (0.3, 0.4, 0.3), (0.4, 0.7, 1.0)),
            CategorySpec("education", ("high", "low"), (0.4, 0.6), (1.0, 0.5)),
        ),
        beta0=0.1,
        latent_classes=4,
        correlation=correlation,
    )


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_paper_shapes_have_exact_size_and_feasible_quotas(name: str) -> None:
    n, k, categories = SHAPES[name]
    generated = paper_shaped(name, seed=7)
    instance = generated.instance
    assert (instance.n, instance.k, len(instance.categories)) == (n, k, categories)
    assert list(instance.pool.columns) == ["id"] + instance.categories
    assert instance.ids == list(instance.pool["id"]) and len(set(instance.ids)) == n
    assert PanelModel(instance.types).any_panel() is not None
    assert generated.letters >= n and len(generated.true_q) == n
    assert len(generated.background) == 2000
    # every quota's band contains some seat count and the population shares are the spec's
    assert all(0 <= q.min <= q.max <= k for q in instance.quotas)
    assert set(instance.population_shares) == {(q.category, q.value) for q in instance.quotas}


def test_participation_in_range_and_mean_matches_target() -> None:
    spec = climate_assembly_spec()
    assert mean_participation(spec) == pytest.approx(0.029, rel=1e-9)
    population = sample_population(spec, 200_000, np.random.default_rng(1))
    q = participation_probability(spec, population)
    assert ((q > 0) & (q <= 1)).all()
    assert q.mean() == pytest.approx(0.029, rel=0.02)
    # Climate-Assembly-sized: about 60,000 letters for about 1,700 volunteers
    generated = paper_shaped("sf_e", seed=3)
    assert 50_000 <= generated.letters <= 70_000
    assert ((generated.true_q > 0) & (generated.true_q <= 1)).all()
    assert np.allclose(generated.true_q, participation_probability(spec, generated.instance.pool))


def test_pool_is_biased_towards_high_participation_values() -> None:
    generated = generate(climate_assembly_spec(), 1500, 100, seed=5)
    pool = generated.instance.pool
    # education: degree beta 1.0 vs GCSE-or-none 0.35; population shares 0.33 vs 0.37
    assert (pool["education"] == "degree").mean() > 0.45
    assert (pool["education"] == "GCSE or none").mean() < 0.27
    # letters ~ n / mean participation
    assert generated.letters == pytest.approx(1500 / 0.029, rel=0.1)


def test_population_marginals_are_the_shares() -> None:
    spec = two_category_spec(0.9)
    for category in spec.categories:
        table = class_conditional_shares(category, spec.latent_classes, spec.correlation)
        assert np.allclose(table.mean(axis=0), category.shares)
        assert np.allclose(table.sum(axis=1), 1)
    population = sample_population(spec, 50_000, np.random.default_rng(2))
    assert (population["age"] == "young").mean() == pytest.approx(0.3, abs=0.01)
    assert (population["education"] == "high").mean() == pytest.approx(0.4, abs=0.01)


def test_categories_are_correlated_only_when_asked() -> None:
    rng = np.random.default_rng(3)
    tied = sample_population(two_category_spec(0.8), 20_000, rng)
    free = sample_population(two_category_spec(0.0), 20_000, rng)
    assert cramers_v(tied["age"], tied["education"]) > 0.3
    assert cramers_v(free["age"], free["education"]) < 0.03
    # listed order ties early values together: young people hold degrees more often
    assert (tied.loc[tied["age"] == "young", "education"] == "high").mean() > 0.6


def test_generation_is_reproducible_with_the_seed() -> None:
    spec = two_category_spec(0.5)
    a = generate(spec, 120, 12, seed=11, background_size=300)
    b = generate(spec, 120, 12, seed=11, background_size=300)
    c = generate(spec, 120, 12, seed=12, background_size=300)
    assert a.instance.pool.equals(b.instance.pool) and a.background.equals(b.background)
    assert a.letters == b.letters and a.instance.quotas == b.instance.quotas
    assert not (a.instance.pool.equals(c.instance.pool) and a.letters == c.letters)


def test_draw_pool_sends_letters_to_distinct_people() -> None:
    spec = two_category_spec(0.5)
    rng = np.random.default_rng(4)
    population = sample_population(spec, 40_000, rng)
    q = participation_probability(spec, population)
    joined = draw_pool(population, q, 30_000, rng)
    assert len(np.unique(joined)) == len(joined) and (np.diff(joined) > 0).all()
    assert len(joined) == pytest.approx(30_000 * q.mean(), rel=0.05)
    assert len(draw_pool(population, np.ones(len(population)), 500, rng)) == 500
    with pytest.raises(ValueError):
        draw_pool(population, q, 50_000, rng)


def test_proportional_quotas_bounds() -> None:
    shares = {("g", "a"): 0.51, ("g", "b"): 0.49, ("r", "x"): 0.05, ("r", "y"): 0.95}
    quotas = proportional_quotas(shares, 20, ["g", "r"], {"g": ["a", "b"], "r": ["x", "y"]}, slack=0.1)
    bounds = {q.label: (q.min, q.max) for q in quotas}
    # 20*0.51 = 10.2 -> [floor 9.18, ceil 11.22]; 20*0.05 = 1 -> [floor 0.9, ceil 1.1]
    assert bounds == {"g=a": (9, 12), "g=b": (8, 11), "r=x": (0, 2), "r=y": (17, 20)}
    # shares that do not add up to 1 still give a satisfiable category
    partial = proportional_quotas({("g", "a"): 0.3}, 10, ["g"], {"g": ["a", "b"]}, slack=0.0)
    assert sum(q.min for q in partial) <= 10 <= sum(q.max for q in partial)


def test_widening_makes_infeasible_quotas_feasible_minimally() -> None:
    pool = pd.DataFrame({"gender": ["f"] * 3 + ["m"] * 7, "age": ["y", "o"] * 5})
    quotas = proportional_quotas({("gender", "f"): 0.5, ("gender", "m"): 0.5, ("age", "y"): 0.5, ("age", "o"): 0.5},
                                 8, ["gender", "age"], {"gender": ["f", "m"], "age": ["y", "o"]}, slack=0.0)
    instance = Instance(pool=pool, categories=["gender", "age"], quotas=quotas, k=8)
    assert PanelModel(instance.types).any_panel() is None  # 4 women needed, 3 in the pool
    widened = widen_to_feasible(instance)
    assert PanelModel(instance.with_quotas(widened).types).any_panel() is not None
    changes = sum(abs(a.min - b.min) + abs(a.max - b.max) for a, b in zip(quotas, widened))
    assert changes == 2  # women's min 4 -> 3, men's max 4 -> 5
    assert {(q.label, q.min, q.max) for q in widened} >= {("gender=f", 3, 4), ("gender=m", 4, 5)}


def test_write_instance_round_trip(tmp_path: Path) -> None:
    generated = generate(two_category_spec(0.5), 80, 10, seed=1, background_size=150)
    write_instance(generated, tmp_path / "tiny", "a tiny test instance")
    loaded = load_instance(tmp_path / "tiny" / "pool.csv", tmp_path / "tiny" / "quotas.csv", 10)
    assert loaded.quotas == generated.instance.quotas
    assert loaded.categories == generated.instance.categories
    assert loaded.pool[loaded.categories].equals(generated.instance.pool[loaded.categories])
    quotas_table = pd.read_csv(tmp_path / "tiny" / "quotas.csv")
    assert list(quotas_table.columns) == ["category", "feature", "min", "max", "population_share"]
    assert pd.read_csv(tmp_path / "tiny" / "background.csv", dtype=str).equals(generated.background)
    instance, extras = load_example("tiny", root=tmp_path)
    assert instance.population_shares == pytest.approx(generated.instance.population_shares, abs=1e-6)
    assert instance.ids == generated.instance.ids
    assert extras["letters"] == generated.letters and extras["description"] == "a tiny test instance"


def test_bundled_examples_load_and_are_feasible() -> None:
    examples = {e.name: e for e in list_examples()}
    assert {"classroom", "climate_300", "large_2000"} <= set(examples)
    for name, info in examples.items():
        instance, extras = load_example(name)
        assert (instance.n, instance.k) == (info.n, info.k)
        assert PanelModel(instance.types).any_panel() is not None, name
        assert instance.population_shares and extras["description"]
    climate, extras = load_example("climate_300")
    assert (climate.n, climate.k, len(climate.categories)) == (300, 30, 6)
    assert len(extras["background"]) == 2000 and extras["letters"] > 300
    large, _ = load_example("large_2000")
    assert (large.n, large.k, len(large.categories)) == (2000, 150, 6)
    with pytest.raises(KeyError):
        load_example("no_such_example")


def test_bundled_examples_are_what_the_generator_writes(tmp_path: Path) -> None:
    write_bundled_examples(tmp_path)
    for name in ["classroom", "climate_300", "large_2000"]:
        for file in sorted((ROOT / "examples" / name).glob("*")):
            assert (tmp_path / name / file.name).read_bytes() == file.read_bytes(), f"{name}/{file.name}"


def test_classroom_uniform_lottery_usually_fails() -> None:
    instance, _ = load_example("classroom")
    types = instance.types
    rng = np.random.default_rng(0)
    draws = [types.is_valid(types.composition_of(rng.choice(instance.n, CLASSROOM_K, replace=False)))
             for _ in range(2000)]
    assert 0.05 < np.mean(draws) < 0.5


def test_bundled_spec_keeps_the_mean_participation() -> None:
    assert mean_participation(bundled_spec("climate_300")) == pytest.approx(0.029)
