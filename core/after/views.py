"""Tables of a replacement draw and of a reserve list, for the app's downloads and the CLI's users.

The updated selected file is the completed panel (kept members and replacements) with a `status`
column; the updated remaining file is everyone else except the declined (so selected + remaining is
the pool for a further round of replacements, in which the declined are no longer candidates).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from ..io.result_tables import free_column_name, volunteer_table
from ..model import Instance
from .replacement import ReplacementResult
from .reserve import ReserveList


def updated_files(instance: Instance, outcome: ReplacementResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(updated selected: the completed panel with status 'kept' or 'replacement', pool order;
    updated remaining: every volunteer neither on it nor declined), each with every pool column."""
    table = volunteer_table(instance)
    status = np.full(instance.n, "", dtype=object)
    status[outcome.kept_rows] = "kept"
    status[outcome.replacement_rows] = "replacement"
    selected = table.iloc[outcome.completed_rows].copy()
    selected.insert(1, free_column_name(table.columns, "status"), status[outcome.completed_rows])
    outside = np.ones(instance.n, dtype=bool)
    outside[outcome.completed_rows] = False
    outside[outcome.declined_rows] = False
    return selected.reset_index(drop=True), table[outside].reset_index(drop=True)


def replacement_probabilities(instance: Instance, outcome: ReplacementResult) -> pd.DataFrame:
    """id, category values and replacement probability of every remaining volunteer, largest first
    (volunteers sharing a household with a kept member are listed with 0)."""
    rows = np.sort(np.concatenate([outcome.conditioned.remaining_rows,
                                   np.asarray(outcome.conditioned.household_excluded_rows, dtype=np.int64)]))
    table = pd.DataFrame({"id": [instance.ids[i] for i in rows]})
    for category in instance.categories:
        table[category] = instance.pool[category].to_numpy()[rows]
    table["replacement probability"] = outcome.probabilities[rows]
    table["drawn"] = np.isin(rows, outcome.replacement_rows)
    return table.sort_values("replacement probability", ascending=False, kind="stable").reset_index(drop=True)


def reserve_table(instance: Instance, rows: list[int]) -> pd.DataFrame:
    """The reserve list in order: position (1 = called first), id and every pool column."""
    table = volunteer_table(instance).iloc[rows].reset_index(drop=True)
    table.insert(0, free_column_name(table.columns, "position"), np.arange(1, len(rows) + 1))
    return table


def reserve_summary(reserve: ReserveList) -> pd.DataFrame:
    """Expected deviation and broken quotas after drop-outs, for the optimised list and for greedy."""
    return pd.DataFrame({
        "reserve list": ["optimised", "greedy baseline"],
        "expected quota deviation": [reserve.optimised.expected_deviation, reserve.greedy.expected_deviation],
        "expected quotas broken": [reserve.optimised.expected_violations, reserve.greedy.expected_violations],
    })


DROPOUT_COLUMN = "drop-out rate"


def dropout_rate_table(instance: Instance, value_rates: dict[tuple[str, str], float] | None = None) -> pd.DataFrame:
    """One row per (category, value) of the quotas with its drop-out rate, empty (NaN) where the
    value has none and the single rate applies; `value_rates` is keyed by casefolded names, as
    `core.after.reserve.read_dropout_rates` returns them."""
    value_rates = value_rates or {}
    rows = [(category, value, value_rates.get((category.casefold(), value.casefold()), np.nan))
            for category in instance.categories for value in instance.values(category)]
    return pd.DataFrame(rows, columns=["category", "value", DROPOUT_COLUMN])


def dropout_rates_of(table: pd.DataFrame) -> dict[tuple[str, str], float]:
    """The per-value drop-out rates of a `dropout_rate_table` (possibly edited): empty cells are left
    out, so those values get the single rate in `core.after.reserve.member_dropout`."""
    rates = pd.to_numeric(table[DROPOUT_COLUMN], errors="coerce")
    outside = [f"{category} = {value}" for category, value, rate in zip(table["category"], table["value"], rates)
               if not np.isnan(rate) and not 0.0 <= rate <= 1.0]
    if outside:
        raise InputError([Problem(f"the drop-out rate of {', '.join(outside)} is not between 0 and 1.",
                                  "Write it as 0.1 for 10%, or leave the cell empty for the single rate.")])
    return {(str(category).casefold(), str(value).casefold()): float(rate)
            for category, value, rate in zip(table["category"], table["value"], rates) if not np.isnan(rate)}
