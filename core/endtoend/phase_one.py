"""Phase I of end-to-end sampling: selection probabilities inversely proportional to participation.

With a_i = 1/q_i, volunteer i gets the marginal  pi_i = k a_i / sum_j a_j  (so sum_i pi_i = k).
A person of the population then reaches the panel with probability about
    (r/N) q_i pi_i = (r/N) k / sum_j a_j ~ k/N,  since E[sum_j a_j] = r,
whatever their q. When some pi_i exceed 1 they are capped at 1 and the others rescaled so the
total stays k, repeatedly until none exceeds 1 (`capped_marginals`, vectorised over many pools).

The paper's "good pool" conditions, with alpha = q* r / k and eps = alpha^-0.49:
  (1) every uncapped pi_i <= 1;
  (2) each value's expected seats sum_{i has v} pi_i lie within (1 +- eps) k s_v (s_v its population share);
  (3) sum_i a_i <= r / (1 - eps)  (only meaningful when alpha > 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CAP_TOLERANCE = 1e-12


def capped_marginals(a: np.ndarray, counts: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Marginals pi_t = min(1, s a_t) per type with sum_t counts_t pi_t = k, for one or many pools.

    `a` (T or P x T) are the weights 1/q of each type, `counts` (T or P x T) the number of
    volunteers of each type in each pool (use counts = 1 for per-volunteer weights). Iterates:
    cap every pi above 1, give the remaining seats to the uncapped in proportion to a. Returns
    (pi, capped mask, rounds); pi is that of one member of the type. Pools with fewer than k
    volunteers have no valid marginals: their rows are NaN.
    """
    a = np.asarray(a, dtype=float)
    counts = np.asarray(counts, dtype=float)
    a, counts = np.broadcast_arrays(np.atleast_2d(a), np.atleast_2d(counts))
    present = counts > 0
    capped = np.zeros(a.shape, dtype=bool)
    rounds = 0
    while True:
        free_mass = (counts * a * ~capped).sum(axis=1)
        seats_left = k - (counts * capped).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = seats_left / free_mass
        pi = np.where(capped, 1.0, scale[:, None] * a)
        grown = capped | (present & (pi > 1 + CAP_TOLERANCE))
        if (grown == capped).all():
            break
        capped = grown
        rounds += 1
    too_small = counts.sum(axis=1) < k
    pi[too_small] = np.nan
    return pi, capped, rounds


@dataclass
class PhaseOne:
    """Phase I marginals of one pool, the capping done and the good-pool checks."""

    weights: np.ndarray  # a_i = 1/q_i
    uncapped: np.ndarray  # k a_i / sum_j a_j
    marginals: np.ndarray  # after capping (equal to `uncapped` when nothing exceeded 1)
    capped: np.ndarray  # bool: volunteers whose marginal was capped at 1
    capping_rounds: int
    alpha: float
    checks: dict  # the three good-pool conditions, with their figures

    @property
    def was_capped(self) -> bool:
        return bool(self.capped.any())


def phase_one(q: np.ndarray, k: int, letters: int, value_codes: np.ndarray, categories: list[str],
              values: dict[str, list[str]], shares: dict[tuple[str, str], float] | None) -> PhaseOne:
    """Phase I marginals pi_i = k a_i / sum_j a_j (capped at 1) and the paper's three conditions.

    `value_codes` (volunteers x categories) and `shares` (population share of each value) serve
    condition (2); without shares that condition is reported as not checked.
    """
    q = np.asarray(q, dtype=float)
    a = 1.0 / q
    uncapped = k * a / a.sum()
    pi, capped, rounds = capped_marginals(a, np.ones_like(a), k)
    alpha = float(q.min() * letters / k)
    eps = alpha ** -0.49 if alpha > 0 else float("inf")
    checks: dict = {"alpha": alpha, "epsilon": eps}
    checks["all_marginals_at_most_1"] = {"ok": bool(uncapped.max() <= 1 + CAP_TOLERANCE),
                                         "largest": float(uncapped.max()),
                                         "above_1": int((uncapped > 1 + CAP_TOLERANCE).sum())}
    if shares:
        rows = []
        for c, category in enumerate(categories):
            for j, value in enumerate(values[category]):
                share = shares.get((category, value))
                if share is None:
                    continue
                expected = float(uncapped[value_codes[:, c] == j].sum())
                proportional = k * share
                rows.append({"category": category, "value": value, "expected_seats": expected,
                             "proportional_seats": proportional,
                             "ok": bool((1 - eps) * proportional <= expected <= (1 + eps) * proportional)})
        checks["seats_near_proportional"] = {"ok": all(r["ok"] for r in rows), "values": rows}
    else:
        checks["seats_near_proportional"] = {"ok": None, "values": [], "reason": "no population shares"}
    bound = letters / (1 - eps) if eps < 1 else float("inf")
    checks["sum_of_weights"] = {"ok": bool(eps < 1 and a.sum() <= bound), "sum": float(a.sum()),
                                "bound": bound, "letters": letters}
    checks["good_pool"] = bool(checks["all_marginals_at_most_1"]["ok"] and checks["sum_of_weights"]["ok"]
                               and checks["seats_near_proportional"]["ok"] is not False)
    return PhaseOne(weights=a, uncapped=uncapped, marginals=pi[0], capped=capped[0], capping_rounds=rounds,
                    alpha=alpha, checks=checks)
