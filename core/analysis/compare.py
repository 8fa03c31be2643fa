"""Side-by-side figures of several selection results on one instance: the comparison table,
the sorted probability curves of the Nature paper's allocation chart, expected seats per value,
and the per-volunteer table. Every function takes {algorithm name: SelectionResult}."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..model import Instance
from ..selection import SelectionResult
from .metrics import expected_seats, probability_metrics

TOLERANCE = 1e-9


def panels_meeting_quotas(instance: Instance, result: SelectionResult) -> float:
    """Probability that a panel drawn from the result meets every quota.

    Exact for results with a distribution (the probability mass of valid compositions). Results
    drawn by a sampler (legacy) verify every panel before returning it, so the figure is 1.
    """
    if result.distribution is None:
        return 1.0
    types = instance.types
    valid = np.array([types.is_valid(c) for c in result.distribution.compositions])
    return float(result.distribution.probabilities[valid].sum())


def comparison_table(instance: Instance, results: dict[str, SelectionResult]) -> pd.DataFrame:
    """One row per algorithm: min / max / mean selection probability, both tails relative to k/n, Gini, geometric mean, share of
    volunteers below k/n and below half of it, support size (distinct panels), seconds, the
    probability that a drawn panel meets every quota, and how many quotas expected seats respect."""
    rows = []
    for name, result in results.items():
        m = probability_metrics(result.marginals, instance.k)
        seats = expected_seats(instance, result.marginals)
        within = sum(q.min - TOLERANCE <= s <= q.max + TOLERANCE for q, s in zip(instance.quotas, seats))
        rows.append({
            "algorithm": name,
            "min probability": m["min"],
            "max probability": m["max"],
            "min / (k/n)": m["min_ratio"],
            "max / (k/n)": m["max_ratio"],
            "mean probability": m["mean"],
            "Gini": m["gini"],
            "geometric mean": m["geometric_mean"],
            "share below k/n": m["share_below_fair"],
            "share below half of k/n": m["share_below_half_fair"],
            "support (panels)": math.nan if result.support is None else int(result.support),
            "seconds": result.seconds,
            "panels meeting quotas": panels_meeting_quotas(instance, result),
            "expected seats within quotas": f"{within} of {len(instance.quotas)}",
        })
    return pd.DataFrame(rows)


def allocation_curves(instance: Instance, results: dict[str, SelectionResult]) -> pd.DataFrame:
    """Each algorithm's probabilities sorted ascending, against the volunteer's position as a share
    of the pool (0 = least likely, 1 = most likely): columns algorithm, position, rank, probability."""
    frames = []
    n = instance.n
    for name, result in results.items():
        p = np.sort(np.asarray(result.marginals, dtype=float))
        frames.append(pd.DataFrame({
            "algorithm": name,
            "position": (np.arange(n) + 0.5) / n,
            "rank": np.arange(1, n + 1),
            "probability": p,
        }))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["algorithm", "position", "rank", "probability"])


def seats_table(instance: Instance, results: dict[str, SelectionResult]) -> pd.DataFrame:
    """Expected seats per value and algorithm, with the quota band and k x population share:
    columns category, value, algorithm, expected seats, min, max, proportional seats, within quota."""
    shares = instance.population_shares or {}
    rows = []
    for name, result in results.items():
        for q, s in zip(instance.quotas, expected_seats(instance, result.marginals)):
            share = shares.get((q.category, q.value))
            rows.append({
                "category": q.category,
                "value": q.value,
                "algorithm": name,
                "expected seats": float(s),
                "min": q.min,
                "max": q.max,
                "proportional seats": math.nan if share is None else instance.k * float(share),
                "within quota": bool(q.min - TOLERANCE <= s <= q.max + TOLERANCE),
            })
    return pd.DataFrame(rows, columns=["category", "value", "algorithm", "expected seats", "min", "max",
                                       "proportional seats", "within quota"])


def volunteer_table(instance: Instance, results: dict[str, SelectionResult]) -> pd.DataFrame:
    """One row per volunteer: id, the category values, the type number, and each algorithm's
    selection probability (one column per algorithm, named after it)."""
    table = pd.DataFrame({"id": instance.ids})
    for category in instance.categories:
        table[category] = instance.pool[category].to_numpy()
    table["type"] = instance.types.of_volunteer + 1
    for name, result in results.items():
        table[name] = np.asarray(result.marginals, dtype=float)
    return table


def filter_volunteers(table: pd.DataFrame, chosen: dict[str, list[str]], text: str = "") -> pd.DataFrame:
    """Rows whose value in each given category is one of the chosen values (no choice: any value)
    and, when `text` is given, whose id contains it (ignoring case)."""
    keep = pd.Series(True, index=table.index)
    for category, values in chosen.items():
        if values:
            keep &= table[category].isin(values)
    if text.strip():
        keep &= table["id"].astype(str).str.contains(text.strip(), case=False, regex=False)
    return table[keep]
