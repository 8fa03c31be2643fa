"""What-if tuning: how fair can a panel be under the quotas being edited, and which quotas cost fairness.

The maximin value of the quota polytope's LP relaxation (core.fair.relaxation),
    z* = max z   s.t.  x_t >= z * N_t  (every type t that some quota does not shut out),
                       x in P = { 0 <= x_t <= N_t, sum_t x_t = k, min_q <= sum_{t has q} x_t <= max_q,
                                  sum_{t in h} x_t <= 1 for every household h },
bounds from above the lowest selection probability any distribution over valid panels can give
(its expected composition lies in P). On real pools the face walk shows valid panels reach it, so
it is the figure leximin and maximin then return; the page says "at most" until such a run confirms it.
Types holding a value whose max is 0 are shut out (their chance is 0 whatever happens) and left out
of the minimum, as the fair algorithms leave out volunteers no valid panel can hold.

One LP of T + 1 variables (HiGHS), well under a second for 2,000 volunteers. Its duals say why z*
is not higher (LP sensitivity; "about", as duals of a degenerate LP need not be unique):
    the dual y_q of a quota bound is dz*/d(bound): one more seat of max (one fewer of min) raises
    z* by about |y_q|, its *price*;
    the duals w_t >= 0 of the rows z N_t - x_t <= 0 satisfy sum_t w_t N_t = 1 (stationarity in z):
    w_t N_t weighs the types whose chance is held at z*, and a value carrying at least half of that
    weight, and at least 1.25 times its share of the pool, is one "whose volunteers hold it down"
    (on climate_300: education=degree, all of the weight against 53% of the pool).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from ..errors import SolverError
from ..model import Instance

PRICE_FLOOR = 1e-9  # a dual below this (probability per seat) is no price
HOLDING_SHARE = 0.5  # a value holds the minimum down when its volunteers carry this share of the weight ...
HOLDING_LIFT = 1.25  # ... and this many times their share of the pool (else they are merely the majority)


@dataclass(frozen=True)
class QuotaPrice:
    """A quota bound that limits the fairness, and what moving it one seat would gain."""

    label: str  # "category=value"
    bound: str  # "min" or "max"
    value: int  # the bound as set
    gain: float  # about this much more lowest probability per seat moved (max up, min down)


@dataclass(frozen=True)
class WhatIf:
    """How fair a panel can be under these quotas (see the module docstring)."""

    feasible: bool  # False: not even the relaxation meets the quotas
    best_minimum: float  # z*: the lowest selection probability cannot exceed this
    fair_share: float  # k / n
    holding_down: list[tuple[str, float]]  # ("category=value", share of the bottleneck weight), largest first
    prices: list[QuotaPrice]  # quota bounds with a positive price, largest gain first
    shut_out: int  # volunteers with a value whose max is 0 (chance 0, left out of the minimum)

    def summary(self) -> str:
        """One sentence for a person."""
        if not self.feasible:
            return "No panel meets these quotas, so there is no fairness to speak of."
        values = ", ".join(label for label, _ in self.holding_down) or "no single value"
        return (f"The lowest selection probability can be at most {self.best_minimum:.2%} "
                f"(k/n = {self.fair_share:.2%}); held down by {values}.")


def what_if(instance: Instance) -> WhatIf:
    """The relaxation's maximin value under `instance`'s quotas, with the quotas and values that limit it."""
    types = instance.types
    T, Q = types.size, len(types.lower)
    N = types.counts.astype(float)
    A = types.A.astype(float)
    shut = (A[types.upper == 0] > 0).any(axis=0) if (types.upper == 0).any() else np.zeros(T, dtype=bool)
    open_types = np.flatnonzero(~shut)
    households = types.household_matrix()
    H = households.shape[0]
    # variables x_0..x_{T-1}, z; rows: z N_t - x_t <= 0 (open t); -A x <= -min; A x <= max; households
    probability_rows = sparse.hstack([-sparse.eye(T, format="csr")[open_types],
                                      sparse.csr_matrix(N[open_types][:, None])])
    quota = sparse.csr_matrix(A)
    rows = sparse.vstack([
        probability_rows,
        sparse.hstack([-quota, sparse.csr_matrix((Q, 1))]),
        sparse.hstack([quota, sparse.csr_matrix((Q, 1))]),
        sparse.hstack([households, sparse.csr_matrix((H, 1))]),
    ]).tocsr()
    rhs = np.r_[np.zeros(len(open_types)), -types.lower.astype(float), types.upper.astype(float), np.ones(H)]
    equality = sparse.csr_matrix(np.r_[np.ones(T), 0.0][None, :])
    bounds = [(0.0, float(n)) for n in N] + [(0.0, None)]
    result = linprog(np.r_[np.zeros(T), -1.0], A_ub=rows, b_ub=rhs, A_eq=equality, b_eq=[types.k],
                     bounds=bounds, method="highs")
    fair_share = instance.k / instance.n
    shut_out = int(N[shut].sum())
    if result.status == 2:
        return WhatIf(False, 0.0, fair_share, [], [], shut_out)
    if result.status != 0:
        raise SolverError(f"the what-if LP ended with status {result.status}: {result.message}")
    best = float(result.x[-1]) if len(open_types) else 0.0
    duals = -np.asarray(result.ineqlin.marginals)  # >= 0: gain in z per unit of right-hand side
    weight = np.clip(duals[:len(open_types)], 0.0, None) * N[open_types]  # sums to 1 (stationarity in z)
    min_price = duals[len(open_types):len(open_types) + Q]  # raising -min by 1 = lowering min by 1
    max_price = duals[len(open_types) + Q:len(open_types) + 2 * Q]
    return WhatIf(True, best, fair_share, _holding_down(instance, open_types, weight),
                  _prices(instance, min_price, max_price), shut_out)


def _holding_down(instance: Instance, open_types: np.ndarray, weight: np.ndarray) -> list[tuple[str, float]]:
    """Values whose types carry at least HOLDING_SHARE of the bottleneck weight and HOLDING_LIFT
    times their pool share, largest lift first."""
    total = weight.sum()
    if total <= 0:
        return []
    types = instance.types
    share = (types.A[:, open_types] @ weight) / total
    pool_share = (types.A @ types.counts) / max(instance.n, 1)
    held = [(quota.label, float(share[q]), float(share[q] / pool_share[q])) for q, quota in enumerate(instance.quotas)
            if share[q] >= HOLDING_SHARE - 1e-9 and pool_share[q] > 0 and share[q] >= HOLDING_LIFT * pool_share[q]]
    return [(label, value_share) for label, value_share, _ in sorted(held, key=lambda item: -item[2])]


def _prices(instance: Instance, min_price: np.ndarray, max_price: np.ndarray) -> list[QuotaPrice]:
    """Quota bounds whose dual is positive: moving them one seat would raise the best minimum."""
    prices = []
    for q, quota in enumerate(instance.quotas):
        if min_price[q] > PRICE_FLOOR:
            prices.append(QuotaPrice(quota.label, "min", quota.min, float(min_price[q])))
        if max_price[q] > PRICE_FLOOR:
            prices.append(QuotaPrice(quota.label, "max", quota.max, float(max_price[q])))
    return sorted(prices, key=lambda price: -price.gain)


def change_note(previous: float | None, current: float) -> str:
    """The change since the last edit, in percentage points ("" for the first figure)."""
    if previous is None:
        return ""
    delta = current - previous
    if abs(delta) < 5e-7:
        return "unchanged by the last edit"
    return f"{100 * delta:+.2f} points since the last edit"
