"""Every quota-satisfying panel of a small pool, and the number of them.

Brute force over type compositions: c_t in {0..N_t}, sum c_t = k, all quotas met (and at most
one member per household). A composition c stands for prod_t binom(N_t, c_t) distinct panels.
Used by the classroom page and by tests that check the algorithms against exhaustive search.
"""

from __future__ import annotations

from math import comb

import numpy as np

from ..model import TypeSpace

DEFAULT_LIMIT = 200_000


class TooManyPanels(Exception):
    """Raised when enumeration would exceed the given limit."""


def valid_compositions(types: TypeSpace, limit: int = DEFAULT_LIMIT) -> np.ndarray:
    """All compositions (rows) that are valid panels, in lexicographic order."""
    T, k = types.size, types.k
    counts = types.counts
    # remaining capacity after type t, to prune branches that cannot reach k
    capacity_after = np.concatenate([np.cumsum(counts[::-1])[::-1][1:], [0]])
    found: list[np.ndarray] = []
    current = np.zeros(T, dtype=np.int64)
    seats = np.zeros(len(types.lower), dtype=np.int64)

    def extend(t: int, left: int) -> None:
        if t == T:
            if left == 0 and (seats >= types.lower).all() and types.is_valid(current):
                if len(found) >= limit:
                    raise TooManyPanels(f"more than {limit} valid compositions")
                found.append(current.copy())
            return
        low = max(0, left - int(capacity_after[t]))
        for c in range(low, min(int(counts[t]), left) + 1):
            current[t] = c
            seats[:] += types.A[:, t] * c
            if (seats <= types.upper).all():
                extend(t + 1, left - c)
            seats[:] -= types.A[:, t] * c
        current[t] = 0

    extend(0, k)
    return np.array(found, dtype=np.int64).reshape(-1, T)


def panels_per_composition(types: TypeSpace, compositions: np.ndarray) -> np.ndarray:
    """Number of distinct panels (sets of volunteers) each composition stands for."""
    return np.array([np.prod([comb(int(n), int(c)) for n, c in zip(types.counts, row)], dtype=object)
                     for row in compositions], dtype=object)


def all_panels(types: TypeSpace, limit: int = DEFAULT_LIMIT) -> list[tuple[int, ...]]:
    """Every valid panel as a sorted tuple of pool row indices (small pools only)."""
    from itertools import combinations, product

    panels: list[tuple[int, ...]] = []
    for comp in valid_compositions(types, limit):
        parts = [list(combinations(types.members[t].tolist(), int(c))) for t, c in enumerate(comp)]
        for choice in product(*parts):
            panels.append(tuple(sorted(i for part in choice for i in part)))
            if len(panels) > limit:
                raise TooManyPanels(f"more than {limit} valid panels")
    return sorted(panels)
