"""Maximin, leximin and Nash against brute force over every valid composition of tiny pools."""

from __future__ import annotations

from pathlib import Path

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from core.algorithms.enumeration import valid_compositions
from core.errors import InfeasibleQuotas
from core.fair.leximin import leximin
from core.fair.maximin import maximin
from core.fair.nash import nash, nash_welfare
from core.fair.relaxation import relaxed_leximin, relaxed_nash
from core.io.loaders import load_instance
from core.model import Instance, Quota, TypeSpace

SHARED = Path(__file__).resolve().parents[2] / "shared"


def tiny_instance(seed: int, household: bool = False) -> Instance:
    """6-12 volunteers, 2-3 categories, k 2-5; quotas loosely around a random panel, so feasible."""
    rng = np.random.default_rng(seed)
    n, n_categories, k = int(rng.integers(6, 13)), int(rng.integers(2, 4)), int(rng.integers(2, 6))
    pool = pd.DataFrame({f"c{j}": [f"v{v}" for v in rng.integers(0, int(rng.integers(2, 4)), n)]
                         for j in range(n_categories)})
    if household:
        pool["address"] = [f"a{a}" for a in rng.integers(0, n - 2, n)]
    panel = rng.choice(n, size=k, replace=False)
    if household:  # keep the seed panel household-free so that the quotas are feasible
        panel = pool.drop_duplicates("address").index.to_numpy()[:k]
    quotas = []
    for j in range(n_categories):
        cat = f"c{j}"
        for value in sorted(pool[cat].unique()):
            seats = int((pool[cat].iloc[panel] == value).sum())
            quotas.append(Quota(cat, value, max(0, seats - int(rng.integers(0, 2))), seats + int(rng.integers(0, 2))))
    return Instance(pool=pool, categories=[f"c{j}" for j in range(n_categories)], quotas=quotas, k=k,
                    household=["address"] if household else [])


def hand_made() -> Instance:
    """A pool where one volunteer can never be chosen (their value has max 0)."""
    pool = pd.DataFrame({"g": ["f", "f", "m", "m", "m", "x"], "a": ["y", "o", "y", "o", "o", "y"]})
    quotas = [Quota("g", "f", 1, 2), Quota("g", "m", 1, 2), Quota("g", "x", 0, 0),
              Quota("a", "y", 1, 2), Quota("a", "o", 1, 2)]
    return Instance(pool=pool, categories=["g", "a"], quotas=quotas, k=3)


def columns_matrix(types: TypeSpace) -> np.ndarray:
    """P x T: the probability each composition gives a member of each type, c_t / N_t."""
    return valid_compositions(types) / types.counts


def lp_max(objective_row: np.ndarray, M: np.ndarray, floors: np.ndarray, z_rows: np.ndarray) -> tuple[float, np.ndarray]:
    """max (objective over lambda, z) s.t. M^T lambda >= floors (+ z on z_rows), sum lambda = 1."""
    P, T = M.shape
    A_ub = np.hstack([-M.T, z_rows[:, None].astype(float)])
    res = linprog(-objective_row, A_ub=A_ub, b_ub=-floors, A_eq=np.r_[np.ones(P), 0.0][None], b_eq=[1.0],
                  bounds=[(0, None)] * P + [(None, None)], method="highs")
    assert res.status == 0
    return -res.fun, res.x


def brute_maximin(types: TypeSpace) -> float:
    M = columns_matrix(types)
    value, _ = lp_max(np.r_[np.zeros(len(M)), 1.0], M, np.zeros(types.size), np.ones(types.size, dtype=bool))
    return value


def brute_leximin(types: TypeSpace) -> np.ndarray:
    """Textbook leximin over all columns: stage max z, then fix every type that cannot exceed z."""
    M = columns_matrix(types)
    P, T = M.shape
    fixed = np.zeros(T, dtype=bool)
    floors = np.zeros(T)
    while not fixed.all():
        z, _ = lp_max(np.r_[np.zeros(P), 1.0], M, floors - 1e-10, ~fixed)
        for t in np.flatnonzero(~fixed):
            lower = np.where(fixed, floors - 1e-10, z - 1e-10)
            best, _ = lp_max(np.r_[M[:, t], 0.0], M, lower, np.zeros(T, dtype=bool))
            if best <= z + 1e-8:
                fixed[t], floors[t] = True, z
    return np.sort(floors[types.of_volunteer])


def brute_nash(types: TypeSpace) -> float:
    M = columns_matrix(types)
    live = M.max(axis=0) > 0
    lam = cp.Variable(len(M), nonneg=True)
    problem = cp.Problem(cp.Maximize(types.counts[live] @ cp.log(M[:, live].T @ lam)), [cp.sum(lam) == 1])
    problem.solve(solver="CLARABEL")
    return float(problem.value)


def sorted_volunteers(distribution) -> np.ndarray:
    return np.sort(distribution.marginals())


def lex_geq(a: np.ndarray, b: np.ndarray, tol: float = 1e-7) -> bool:
    for x, y in zip(a, b):
        if x > y + tol:
            return True
        if x < y - tol:
            return False
    return True


CASES = [tiny_instance(seed) for seed in range(8)] + [hand_made(), tiny_instance(3, household=True)]


@pytest.mark.parametrize("instance", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_fair_distributions_match_brute_force(instance: Instance) -> None:
    types = instance.types
    lex, mm, nw = leximin(types), maximin(types), nash(types, gap_tolerance=1e-9)
    for d in (lex, mm, nw):
        d.verify()
        assert d.marginals().sum() == pytest.approx(instance.k, abs=1e-9)
    assert mm.objective == pytest.approx(brute_maximin(types), abs=1e-6)
    assert lex.objective == pytest.approx(mm.objective, abs=1e-6)
    np.testing.assert_allclose(sorted_volunteers(lex), brute_leximin(types), atol=1e-6)
    assert nw.objective == pytest.approx(brute_nash(types), abs=1e-6 * max(1.0, abs(nw.objective)))
    assert lex_geq(sorted_volunteers(lex), sorted_volunteers(mm))
    assert lex_geq(sorted_volunteers(lex), sorted_volunteers(nw))
    assert nash_welfare(types, nw.type_probabilities()) >= nash_welfare(types, lex.type_probabilities()) - 1e-6


def test_brute_force_cases_cover_both_leximin_paths() -> None:
    """Leximin first tries to reach the relaxation's leximin point; the brute-force cases above must
    include pools where that works and pools where it does not (the stage-by-stage path)."""
    methods = {leximin(case.types).info["method"] for case in CASES}
    assert methods == {"relaxation reached", "stages"}


def test_relaxation_bounds_leximin_from_above() -> None:
    for case in CASES:
        types = case.types
        target = relaxed_leximin(types)
        exact = leximin(types).type_probabilities()
        # the relaxation's leximin vector (over volunteers) is lexicographically >= the exact one
        assert lex_geq(np.sort(np.repeat(target, types.counts)), np.sort(np.repeat(exact, types.counts)))


def test_relaxed_nash_bounds_nash_from_above() -> None:
    """The relaxation's Nash welfare is >= the exact one, and equal where its optimum is a mixture of
    valid panels (then the distribution the face walk seeds is optimal)."""
    for case in CASES:
        types = case.types
        if types.households:
            continue
        live = columns_matrix(types).max(axis=0) > 0
        x = relaxed_nash(types, live)
        assert x.sum() == pytest.approx(types.k, abs=1e-6)
        relaxed = float(types.counts[live] @ np.log(x[live] / types.counts[live]))
        assert relaxed >= brute_nash(types) - 1e-6


def test_never_selectable_volunteer_is_reported() -> None:
    d = maximin(hand_made().types)
    assert d.objective == 0.0
    assert d.info["never_selectable_rows"] == [5]
    assert d.marginals()[5] == 0.0 and d.marginals()[:5].min() > 0


def test_draws_reproduce_marginals() -> None:
    instance = tiny_instance(5)
    d = leximin(instance.types)
    draws = d.draw_many(4000, seed=7)
    counts = np.zeros(instance.n)
    for panel in draws:
        assert instance.types.is_valid(instance.types.composition_of(panel))
        counts[panel] += 1
    frequency = counts / len(draws)
    sigma = np.sqrt(d.marginals() * (1 - d.marginals()) / len(draws))
    assert (np.abs(frequency - d.marginals()) <= 5 * sigma + 1e-12).all()
    assert d.draw_many(5, seed=7) == draws[:5]


def test_infeasible_quotas_raise() -> None:
    instance = tiny_instance(1)
    impossible = instance.with_quotas([Quota(q.category, q.value, q.max + instance.k + 1, q.max + instance.k + 1)
                                       if i == 0 else q for i, q in enumerate(instance.quotas)])
    for algorithm in (maximin, leximin, nash):
        with pytest.raises(InfeasibleQuotas):
            algorithm(impossible.types)


@pytest.mark.skipif(not (SHARED / "data").exists(), reason="shared data not available")
def test_example_small_20_reaches_ten_percent() -> None:
    folder = SHARED / "data" / "example_small_20"
    instance = load_instance(folder / "respondents.csv", folder / "categories.csv", 20)
    for algorithm in (maximin, leximin):
        d = algorithm(instance.types)
        assert d.objective == pytest.approx(0.10, abs=1e-6)
        assert d.info["upper_bound"] == pytest.approx(0.10, abs=1e-6)
