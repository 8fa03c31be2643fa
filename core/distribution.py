"""A distribution over quota-satisfying panels, written as type compositions with probabilities.

Drawing: pick composition j with probability p_j, then for each type t pick c_jt of its N_t
members uniformly at random. Volunteer i of type t is then selected with probability
    pi_i = sum_j p_j c_jt / N_t,
exactly, which is what `marginals()` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import SolverError
from .model import TypeSpace

PROBABILITY_TOLERANCE = 1e-9


@dataclass
class Distribution:
    """Compositions (P x T integer counts) with probabilities (P, summing to 1)."""

    types: TypeSpace
    compositions: np.ndarray
    probabilities: np.ndarray
    objective: float | None = None  # the algorithm's own objective value, where it has one
    info: dict = field(default_factory=dict)  # algorithm-specific figures (rounds, bounds, stages)

    def __post_init__(self) -> None:
        self.compositions = np.asarray(self.compositions, dtype=np.int64).reshape(-1, self.types.size)
        p = np.clip(np.asarray(self.probabilities, dtype=float), 0.0, None)
        keep = p > PROBABILITY_TOLERANCE
        self.compositions, p = self.compositions[keep], p[keep]
        if len(p) == 0:
            raise SolverError("the distribution has no panel with positive probability")
        self.probabilities = p / p.sum()

    @property
    def support(self) -> int:
        """Number of distinct compositions with positive probability."""
        return len(self.probabilities)

    def type_probabilities(self) -> np.ndarray:
        """Selection probability of one member of each type: sum_j p_j c_jt / N_t."""
        return (self.probabilities @ self.compositions) / self.types.counts

    def marginals(self) -> np.ndarray:
        """Selection probability of each volunteer, in pool row order."""
        return self.type_probabilities()[self.types.of_volunteer]

    def verify(self) -> None:
        """Raise unless every composition with positive probability meets every quota."""
        for j, comp in enumerate(self.compositions):
            problems = self.types.violations(comp)
            if problems:
                raise SolverError(f"internal error: panel {j} of the distribution breaks the quotas: {problems}")

    def draw(self, rng: np.random.Generator) -> list[int]:
        """One panel (sorted pool row indices) drawn from the distribution."""
        j = rng.choice(len(self.probabilities), p=self.probabilities)
        return self.types.expand(self.compositions[j], rng)

    def draw_many(self, count: int, seed: int) -> list[list[int]]:
        rng = np.random.default_rng(seed)
        return [self.draw(rng) for _ in range(count)]
