"""Fairness figures for selection probabilities, and seats per value against quotas and population shares.

For probabilities p_1..p_n of a panel of k seats the fair share is k/n (= mean p when the
probabilities add up to k). Gini = (sum_i sum_j |p_i - p_j|) / (2 n^2 mean p).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..model import Instance
from ..selection import SelectionResult

TOLERANCE = 1e-9


def probability_metrics(p: np.ndarray | list[float], k: int) -> dict[str, float]:
    """Summary of a vector of selection probabilities:

    min, max, mean; fair = k/n; gini = mean absolute difference / (2 mean);
    geometric_mean = exp(mean log p) (0 when someone has probability 0);
    share_below_fair = share of volunteers with p < k/n, share_below_half_fair with p < k/(2n)
    (both up to 1e-9); min_ratio = min/(k/n), max_ratio = max/(k/n).
    """
    p = np.asarray(p, dtype=float)
    n = len(p)
    if n == 0:
        raise ValueError("no selection probabilities given: the pool is empty")
    fair = k / n
    mean = float(p.mean())
    # sum_i sum_j |p_i - p_j| = 2 sum_i (2i - n - 1) p_(i), with p sorted ascending and i from 1
    ranks = np.arange(1, n + 1)
    total_difference = 2.0 * float(((2 * ranks - n - 1) * np.sort(p)).sum())
    gini = total_difference / (2.0 * n * n * mean) if mean > 0 else 0.0
    geometric = float(np.exp(np.log(p).mean())) if (p > 0).all() else 0.0
    return {
        "min": float(p.min()),
        "max": float(p.max()),
        "mean": mean,
        "fair": fair,
        "gini": gini,
        "geometric_mean": geometric,
        "share_below_fair": float((p < fair - TOLERANCE).mean()),
        "share_below_half_fair": float((p < fair / 2 - TOLERANCE).mean()),
        "min_ratio": float(p.min()) / fair,
        "max_ratio": float(p.max()) / fair,
    }


def panel_seats(instance: Instance, panel: list[int] | np.ndarray) -> np.ndarray:
    """Seats per quota (quota order) held by a panel given as pool row indices."""
    types = instance.types
    return types.A @ types.composition_of(panel)


def expected_seats(instance: Instance, marginals: np.ndarray) -> np.ndarray:
    """Expected seats per quota: sum of the selection probabilities of the volunteers having its value."""
    types = instance.types
    per_type = np.bincount(types.of_volunteer, weights=np.asarray(marginals, dtype=float), minlength=types.size)
    return types.A @ per_type


def seat_report(instance: Instance, seats: np.ndarray) -> pd.DataFrame:
    """One row per quota: its band, the seats (actual or expected), whether they lie in the band,
    and, where the population share is known, the proportional seats k*share and seats - k*share."""
    shares = instance.population_shares or {}
    rows = []
    for q, s in zip(instance.quotas, np.asarray(seats, dtype=float)):
        share = shares.get((q.category, q.value))
        proportional = instance.k * share if share is not None else math.nan
        rows.append({
            "category": q.category,
            "value": q.value,
            "min": q.min,
            "max": q.max,
            "seats": float(s),
            "within_quota": bool(q.min - TOLERANCE <= s <= q.max + TOLERANCE),
            "population_share": math.nan if share is None else float(share),
            "proportional_seats": proportional,
            "deviation": float(s) - proportional,
        })
    return pd.DataFrame(rows, columns=["category", "value", "min", "max", "seats", "within_quota",
                                       "population_share", "proportional_seats", "deviation"])


def metrics_for(instance: Instance, result: SelectionResult, panels: list[list[int]] | None = None,
                group_shares: dict[tuple[str, str], float] | None = None) -> dict:
    """Everything above for one selection result, JSON-ready (NaN written as None):
    {"probabilities": probability_metrics, "expected_seats": [seat_report rows],
     "intersections": core.analysis.intersections.intersection_metrics of the distribution (and of `panels`),
     "unquoted_groups": [core.design.unquoted.unquoted_groups rows] (pool columns no quota names,
     against `group_shares` of the population where given)}."""
    from ..design.unquoted import unquoted_json
    from .intersections import intersection_metrics

    report = seat_report(instance, expected_seats(instance, result.marginals))
    records = [{key: _json_value(value) for key, value in row.items()} for row in report.to_dict("records")]
    return {
        "probabilities": probability_metrics(result.marginals, instance.k),
        "expected_seats": records,
        "intersections": intersection_metrics(instance, panels=panels, marginals=result.marginals,
                                              distribution=result.distribution),
        "unquoted_groups": unquoted_json(instance, result.marginals, group_shares),
    }


def _json_value(value: object) -> object:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value
