"""The Nash master solvers (core.fair.nash_master) and the Nash column generation built on them."""

from __future__ import annotations

import numpy as np
import pytest

from core.fair.nash import nash, nash_welfare
from core.fair.nash_master import clarabel_master, gradient, nnls_newton_master, solve_master
from tests.test_fair_exact import CASES, brute_nash


def random_columns(seed: int, T: int = 12, P: int = 40, k: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """P random compositions of k over T types (each type covered), and type sizes N_t."""
    rng = np.random.default_rng(seed)
    N = rng.integers(1, 6, T).astype(float)
    C = np.zeros((P, T))
    for c in range(P):
        for t in rng.choice(T, size=k, replace=True):
            C[c, t] += 1
    C[:T] = 0
    for t in range(T):  # the first T columns cover every type
        C[t, t] = 1
        C[t, (t + 1) % T] += k - 1
    return C, N


def welfare(C: np.ndarray, N: np.ndarray, lam: np.ndarray) -> float:
    return float(N @ np.log((lam @ C) / N))


@pytest.mark.parametrize("seed", range(6))
def test_nnls_newton_matches_clarabel(seed: int) -> None:
    C, N = random_columns(seed)
    reference = clarabel_master(C, N)
    tolerance = 1e-7 * N.sum()  # the production regime: MASTER_SHARE * GAP_TOLERANCE * n
    result = nnls_newton_master(C, N, np.full(len(C), 1 / len(C)), tolerance, k=float(C[0].sum()))
    assert result is not None
    assert result.lam.min() >= 0 and result.lam.sum() == pytest.approx(1.0, abs=1e-12)
    assert result.gap <= tolerance
    assert gradient(C, result.p).max() - N.sum() == pytest.approx(result.gap, abs=1e-12)
    assert welfare(C, N, result.lam) == pytest.approx(welfare(C, N, reference.lam), abs=1e-6)


def test_gap_bounds_the_suboptimality_of_an_inexact_master() -> None:
    C, N = random_columns(11)
    optimum = welfare(C, N, clarabel_master(C, N).lam)
    lam = np.full(len(C), 1 / len(C))
    gap = float(gradient(C, (lam @ C) / N).max() - N.sum())
    assert 0 < optimum - welfare(C, N, lam) <= gap + 1e-9


def test_warm_start_keeps_the_optimum() -> None:
    C, N = random_columns(3)
    first = solve_master(C[:-5], N, None, 1e-7)
    second = solve_master(C, N, np.r_[first.lam, np.zeros(5)], 1e-7)
    assert welfare(C, N, second.lam) >= welfare(C[:-5], N, first.lam) - 1e-9
    assert second.gap <= 1e-7


@pytest.mark.parametrize("instance", CASES[:6], ids=[f"case{i}" for i in range(6)])
def test_nash_masters_agree_with_brute_force(instance) -> None:
    types = instance.types
    expected = brute_nash(types)
    for master in ("nnls", "clarabel"):
        d = nash(types, master=master)  # default gap tolerance 1e-6 n
        d.verify()
        assert d.objective == pytest.approx(expected, abs=1e-5 * max(1.0, abs(expected)))
        if master == "nnls":  # the default path reaches the stop rule; the proven bound holds
            gap = d.info["frank_wolfe_gap"]
            assert gap <= 1e-6 * types.counts.sum()
            assert expected - 1e-6 <= d.objective + gap + 1e-7 and d.objective <= expected + 1e-6  # brute force is accurate to ~1e-7
        assert d.objective == pytest.approx(nash_welfare(types, d.type_probabilities()), abs=1e-8)  # Distribution drops lambda <= 1e-9
