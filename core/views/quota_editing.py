"""What-if quota tuning: the quota table a person edits, per-quota flags, reading edits back,
proportional quotas from population shares, and quotas rescaled to a new panel size.

Rescaling from k to k' multiplies every bound by r = k'/k, the min rounded down and the max up:
min' = floor(r * min), max' = ceil(r * max), capped at k'. The band keeps its place relative to
the proportional seats and its relative width (the slack), and a category whose mins added up to
at most k and maxes to at least k still does for k' (sum floor(r * min) <= r * sum min <= k').

The table has one row per quota (quota order) with the columns of `summary.category_overview`
plus "check": a short flag per quota ("ok", "min above max", "repair: min 12 -> 9", ...).
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd

from ..analysis.feasibility import FeasibilityReport
from ..errors import InputError, Problem
from ..io.generator import proportional_quotas
from ..io.validation import MAX_QUOTA_BOUND, QuotaContext
from ..model import Instance, Quota
from .summary import category_overview, volunteers_per_value

EDITED_TABLE = "quota table"
OK = "ok"


def edited_context(count: int) -> QuotaContext:
    """Where problems in the edited quota table are: rows numbered from 1 as the table shows them."""
    return QuotaContext(file=EDITED_TABLE, rows=list(range(1, count + 1)))


def quota_flags(instance: Instance, report: FeasibilityReport | None) -> list[str]:
    """One flag per quota: what is wrong with it on its own, or what the minimal repair changes, or "ok"."""
    have = volunteers_per_value(instance)
    changes: dict[tuple[str, str], list[str]] = {}
    if report is not None and report.repair is not None:
        for c in report.repair.changes:
            changes.setdefault((c.category, c.value), []).append(f"{c.bound} {c.old} → {c.new}")
    flags = []
    for q, count in zip(instance.quotas, have):
        own = []
        if q.min > q.max:
            own.append("min above max")
        if q.min > instance.k:
            own.append(f"min above k={instance.k}")
        elif q.min > count:
            own.append(f"min above the {count} volunteers who have it")
        if q.min < 0 or q.max < 0:
            own.append("negative bound")
        repair = changes.get((q.category, q.value))
        if own:
            flags.append("⚠ " + "; ".join(own))
        elif repair:
            flags.append("⚠ repair: " + ", ".join(repair))
        else:
            flags.append("✓ " + OK)
    return flags


def quota_table(instance: Instance, report: FeasibilityReport | None) -> pd.DataFrame:
    """The editable quota table: category overview plus the per-quota flag."""
    table = category_overview(instance)
    table["check"] = quota_flags(instance, report)
    return table


def quotas_from_table(instance: Instance, table: pd.DataFrame) -> list[Quota]:
    """The instance's quotas with min and max read from an edited table (same rows, same order).

    Raises InputError naming the row and column of every empty or non-whole cell; flex limits are kept.
    """
    if len(table) != len(instance.quotas):
        raise InputError([Problem(f"the quota table has {len(table)} rows but the pool has {len(instance.quotas)} quotas.",
                                  "Do not add or delete rows; change min and max only.", file=EDITED_TABLE)])
    problems: list[Problem] = []
    quotas: list[Quota] = []
    for i, (q, (_, row)) in enumerate(zip(instance.quotas, table.iterrows())):
        bounds = {}
        for column in ("min", "max"):
            value = row[column]
            number = _whole(value)
            if number is not None and number > MAX_QUOTA_BOUND:
                problems.append(Problem(f"{q.label}: {column} {value!r} is above {MAX_QUOTA_BOUND:,}.",
                                        f"Enter at most the panel size (the loaded value was {getattr(q, column)}).",
                                        file=EDITED_TABLE, row=i + 1, column=column))
                number = None
            elif number is None:
                problems.append(Problem(f"{q.label}: {column} is {'empty' if _blank(value) else repr(value)}, not a whole number.",
                                        f"Enter a whole number of seats (the loaded value was {getattr(q, column)}).",
                                        file=EDITED_TABLE, row=i + 1, column=column))
            bounds[column] = number
        if bounds["min"] is not None and bounds["max"] is not None:
            quotas.append(replace(q, min=bounds["min"], max=bounds["max"]))
    if problems:
        raise InputError(problems)
    return quotas


def proportional(instance: Instance, slack: float) -> list[Quota]:
    """Quotas around k x population share (min rounded down after -slack, max up after +slack).

    Flex limits are kept. Raises InputError when population shares are not known for every value.
    """
    shares = instance.population_shares or {}
    missing = [q.label for q in instance.quotas if (q.category, q.value) not in shares]
    if missing:
        raise InputError([Problem(
            f"population shares are not known for {', '.join(missing[:5])}{' and others' if len(missing) > 5 else ''}.",
            "Add a population_share column to the quota file (fractions or percentages per category) and load it again.",
            file=instance.sources.get("quotas"), column="population_share")])
    if not 0 <= slack <= 1:
        raise InputError([Problem(f"the slack {slack} must lie between 0 and 1.", "Choose a slack between 0% and 100%.")])
    values = {cat: instance.values(cat) for cat in instance.categories}
    new = proportional_quotas(shares, instance.k, instance.categories, values, slack)
    by_label = {q.label: q for q in new}
    return [replace(q, min=by_label[q.label].min, max=by_label[q.label].max) for q in instance.quotas]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip())


def _whole(value: object) -> int | None:
    if _blank(value) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def rescaled(quotas: list[Quota], old_k: int, new_k: int) -> list[Quota]:
    """The quotas sized for a panel of `old_k` rescaled to `new_k` (see the module docstring); flex limits kept."""
    if old_k <= 0 or new_k <= 0:
        raise InputError([Problem(f"cannot rescale quotas from k={old_k} to k={new_k}.",
                                  "Both panel sizes must be at least 1.")])
    result = []
    for q in quotas:
        low = min(new_k, q.min * new_k // old_k)
        high = min(new_k, -(-q.max * new_k // old_k))
        result.append(replace(q, min=low, max=max(low, high)))
    return result
