"""A swap Markov chain on valid panels: approximately uniform sampling when exact counting gives up.

A step swaps a uniformly chosen member for a uniformly chosen non-member and keeps the swap if
the panel stays valid. The proposals are symmetric, so the uniform distribution over the valid
panels of the start's connected class is stationary.
"""

from __future__ import annotations

import numpy as np

from ..model import TypeSpace
from ..selection import Progress


class SwapChain:
    """Markov chain on valid panels: swap a uniformly chosen member for a uniformly chosen non-member,
    keep the swap if the panel stays valid. Symmetric proposals: the uniform distribution on valid
    panels (of the start's connected class) is stationary.

    A step costs O(quotas touched by the two types), independent of the pool size: the panel is kept
    as the list of its members' types and the rest of the pool as the list of the others' types."""

    def __init__(self, types: TypeSpace, start: np.ndarray):
        self.types = types
        self.start = np.asarray(start, dtype=np.int64)
        self.n = int(types.counts.sum())
        self.quotas_of = [np.flatnonzero(types.A[:, t]).tolist() for t in range(types.size)]
        self.household_of = np.full(types.size, -1, dtype=np.int64)
        for h, group in enumerate(types.households):
            self.household_of[np.asarray(group, dtype=np.int64)] = h

    def run(self, comp: np.ndarray, steps: int, rng: np.random.Generator, record: bool = False,
            progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Run `steps` swaps from comp; returns (final composition, sum over the steps of the
        composition after each step: divided by steps and N_t, the estimated type probabilities)."""
        types, k = self.types, self.types.k
        comp = np.asarray(comp, dtype=np.int64).copy()
        seated_types = np.repeat(np.arange(types.size), comp)
        seated = seated_types.tolist()
        free = np.repeat(np.arange(types.size), types.counts - comp).tolist()
        seats = (types.A @ comp).tolist()
        lower, upper = types.lower.tolist(), types.upper.tolist()
        quotas_of, household_of = self.quotas_of, self.household_of.tolist()
        homes = self.household_of[seated_types]
        in_household = np.bincount(homes[homes >= 0], minlength=len(types.households)).tolist()
        total = np.zeros(types.size, dtype=np.float64)
        last = 0  # the current composition has held since step `last`
        report = max(1, steps // 10)
        out_pick = rng.integers(0, k, size=steps).tolist() if k else [0] * steps
        in_pick = rng.integers(0, max(self.n - k, 1), size=steps).tolist()
        for step in range(steps):
            if progress is not None and step and step % report == 0:
                progress(f"Markov chain: {step:,} of {steps:,} steps")
            if self.n == k:
                break
            i, j = out_pick[step], in_pick[step]
            a, b = seated[i], free[j]
            if a == b:
                continue
            qa, qb = quotas_of[a], quotas_of[b]
            if any(seats[q] - 1 < lower[q] for q in qa if q not in qb):
                continue
            if any(seats[q] + 1 > upper[q] for q in qb if q not in qa):
                continue
            ha, hb = household_of[a], household_of[b]
            if hb >= 0 and hb != ha and in_household[hb] >= 1:
                continue
            if record:
                total += comp * (step - last)
                last = step
            for q in qa:
                seats[q] -= 1
            for q in qb:
                seats[q] += 1
            if ha >= 0:
                in_household[ha] -= 1
            if hb >= 0:
                in_household[hb] += 1
            seated[i], free[j] = b, a
            comp[a] -= 1
            comp[b] += 1
        if record:
            total += comp * (steps - last)
        return comp, total


class ParallelSwapChains:
    """`chains` copies of the swap chain run side by side, one numpy step for all of them.

    Each chain keeps its members' types (chains x k) and the others' types (chains x (n - k));
    a step draws one member and one non-member per chain and applies the swaps that keep the
    panel valid. Estimates average the compositions visited by every chain after its burn-in."""

    def __init__(self, types: TypeSpace, start: np.ndarray, chains: int):
        self.types = types
        self.chains = chains
        start = np.asarray(start, dtype=np.int64)
        self.seated = np.tile(np.repeat(np.arange(types.size), start), (chains, 1))
        self.free = np.tile(np.repeat(np.arange(types.size), types.counts - start), (chains, 1))
        self.seats = np.tile((types.A @ start).astype(np.int64), (chains, 1))
        self.AT = np.ascontiguousarray(types.A.T.astype(np.int64))  # T x Q
        self.household_of = np.full(types.size, -1, dtype=np.int64)
        for h, group in enumerate(types.households):
            self.household_of[np.asarray(group, dtype=np.int64)] = h
        self.in_household = np.zeros((chains, len(types.households) + 1), dtype=np.int64)  # last column: none
        homes = self.household_of[self.seated]
        for r in range(chains):
            self.in_household[r] = np.bincount(np.where(homes[r] >= 0, homes[r], len(types.households)),
                                               minlength=len(types.households) + 1)
        self.composition_sum = start * chains  # sum over the chains of their current compositions

    def run(self, steps: int, rng: np.random.Generator, record: bool = False,
            progress: Progress | None = None) -> np.ndarray:
        """`steps` swaps of every chain; returns the sum over steps and chains of the compositions
        after each step (zeros unless `record`)."""
        types, R = self.types, self.chains
        k, rest = self.seated.shape[1], self.free.shape[1]
        total = np.zeros(types.size, dtype=np.float64)
        if k == 0 or rest == 0:
            return total + (self.composition_sum * steps if record else 0)
        rows = np.arange(R)
        none = len(types.households)
        report = max(1, steps // 10)
        for step in range(steps):
            if progress is not None and step and step % report == 0:
                progress(f"Markov chains: {step:,} of {steps:,} steps")
            i, j = rng.integers(0, k, size=R), rng.integers(0, rest, size=R)
            a, b = self.seated[rows, i], self.free[rows, j]
            seats = self.seats - self.AT[a] + self.AT[b]
            ok = (a != b) & (seats >= types.lower).all(axis=1) & (seats <= types.upper).all(axis=1)
            ha, hb = self.household_of[a], self.household_of[b]
            if none:
                ok &= ~((hb >= 0) & (hb != ha) & (self.in_household[rows, np.where(hb >= 0, hb, none)] >= 1))
            if ok.any():
                moved = np.flatnonzero(ok)
                self.seats[moved] = seats[moved]
                self.seated[moved, i[moved]] = b[moved]
                self.free[moved, j[moved]] = a[moved]
                np.add.at(self.composition_sum, a[moved], -1)
                np.add.at(self.composition_sum, b[moved], 1)
                if none:
                    np.add.at(self.in_household, (moved, np.where(ha[moved] >= 0, ha[moved], none)), -1)
                    np.add.at(self.in_household, (moved, np.where(hb[moved] >= 0, hb[moved], none)), 1)
            if record:
                total += self.composition_sum
        return total
