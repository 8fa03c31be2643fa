"""Groups no quota names: expected seats of the values of pool columns that are not quota categories.

A simple lottery represents every group in proportion to the pool, even groups no one thought
of; quotas only protect the groups they name. For a pool column g that is not a quota category
(an attitude question, a yes/no) and each of its values v, an algorithm with selection
probabilities p_i gives the group

    expected seats  E_v = sum_{i : g_i = v} p_i,

to be read against its share of the pool, k * |{i : g_i = v}| / n (what a simple lottery over the
pool gives it), and, when known, against its share of the population, k * s_v.

Which columns count (`unquoted_columns`): every pool column that is not a quota category, not the
id column, not a household column, and holds between 2 and MAX_VALUES distinct non-empty values,
at most half as many as there are volunteers (a column with a different value for almost everyone,
such as a name or an email address, describes people, not groups).

Population shares of such columns come from an optional CSV file, `category,value,population_share`
(fractions summing to 1 per column, or percentages summing to 100), read by `load_group_shares`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from ..model import Instance

MAX_VALUES = 20  # a column with more distinct values is not treated as a group
SHARE_TOLERANCE = 0.011  # shares of one column may add up to 1 +- this (rounded percentages)

COLUMNS = ["column", "value", "volunteers", "pool_share", "pool_seats", "expected_seats", "population_share",
           "population_seats", "deviation_from_pool", "deviation_from_population"]


def unquoted_columns(instance: Instance) -> list[str]:
    """The pool columns that describe groups no quota names (see the module docstring for the rule)."""
    ids = [str(i) for i in instance.ids]
    found = []
    for column in instance.pool.columns:
        if column in instance.categories or column in instance.household:
            continue
        values = instance.pool[column].astype(str).str.strip()
        if values.tolist() == ids:
            continue
        distinct = values[values != ""].nunique()
        if 2 <= distinct <= MAX_VALUES and distinct <= instance.n / 2:
            found.append(column)
    return found


def unquoted_groups(instance: Instance, marginals: np.ndarray, shares: dict[tuple[str, str], float] | None = None,
                    columns: list[str] | None = None) -> pd.DataFrame:
    """One row per (column, value) of the unquoted columns: volunteers, pool share, k x pool share,
    expected seats under `marginals`, population share and k x population share (NaN when unknown),
    and the expected seats minus each of the two proportional figures."""
    marginals = np.asarray(marginals, dtype=float)
    shares = shares or {}
    rows = []
    for column in unquoted_columns(instance) if columns is None else columns:
        values = instance.pool[column].astype(str).str.strip().to_numpy()
        for value in sorted(set(values) - {""}):
            members = values == value
            pool_share = float(members.mean())
            share = shares.get((column, value))
            population_seats = instance.k * share if share is not None else math.nan
            expected = float(marginals[members].sum())
            rows.append({
                "column": column, "value": value, "volunteers": int(members.sum()), "pool_share": pool_share,
                "pool_seats": instance.k * pool_share, "expected_seats": expected,
                "population_share": math.nan if share is None else float(share),
                "population_seats": population_seats,
                "deviation_from_pool": expected - instance.k * pool_share,
                "deviation_from_population": expected - population_seats,
            })
    return pd.DataFrame(rows, columns=COLUMNS)


def unquoted_table(instance: Instance, results: dict, shares: dict[tuple[str, str], float] | None = None,
                   columns: list[str] | None = None) -> pd.DataFrame:
    """`unquoted_groups` for several selection results, stacked with an `algorithm` column."""
    frames = [unquoted_groups(instance, result.marginals, shares, columns).assign(algorithm=name)
              for name, result in results.items()]
    if not frames:
        return pd.DataFrame(columns=["algorithm", *COLUMNS])
    table = pd.concat(frames, ignore_index=True)
    return table[["algorithm", *COLUMNS]]


def largest_deviation(table: pd.DataFrame) -> pd.DataFrame:
    """Per algorithm and column: the largest |expected seats - k x pool share| over the column's values
    (0 for a simple lottery over the pool), and the same against the population where known."""
    grouped = table.assign(from_pool=table["deviation_from_pool"].abs(),
                           from_population=table["deviation_from_population"].abs())
    return grouped.groupby(["algorithm", "column"], sort=False)[["from_pool", "from_population"]].max(
        min_count=1).reset_index()


def load_group_shares(path: str | Path | IO[bytes], name: str | None = None) -> dict[tuple[str, str], float]:
    """Population shares of unquoted columns from a CSV `category,value,population_share`; fractions
    summing to 1 per category, or percentages summing to 100 (converted to fractions). `path` may be an
    open file (an upload), named in messages by `name`."""
    name = name or Path(str(path)).name
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputError([Problem(f"{name}: cannot be read as CSV ({error}).")]) from error
    table.columns = [str(c).strip().lower() for c in table.columns]
    missing = [c for c in ("category", "value", "population_share") if c not in table.columns]
    if missing:
        raise InputError([Problem(f"{name}: missing column(s) {', '.join(missing)}. The file needs the header "
                                  "category,value,population_share.")])
    problems, shares = [], {}
    for i, row in table.iterrows():
        text = row["population_share"].strip().rstrip("%")
        try:
            share = float(text)
        except ValueError:
            problems.append(Problem(f"{name}, row {i + 2}, column 'population_share': '{row['population_share']}' "
                                    "is not a number. Write a fraction (0.25) or a percentage (25)."))
            continue
        if share < 0 or not math.isfinite(share):
            problems.append(Problem(f"{name}, row {i + 2}, column 'population_share': {share} must be 0 or more."))
            continue
        shares[(row["category"].strip(), row["value"].strip())] = share
    if problems:
        raise InputError(problems)
    totals: dict[str, float] = {}
    for (category, _), share in shares.items():
        totals[category] = totals.get(category, 0.0) + share
    for category, total in totals.items():
        scale = 100.0 if abs(total - 100.0) <= 100 * SHARE_TOLERANCE else 1.0
        if abs(total / scale - 1.0) > SHARE_TOLERANCE:
            problems.append(Problem(f"{name}, column 'population_share': the shares of '{category}' add up to "
                                    f"{total:g}, not 1 (or 100). Correct them so each category sums to 1."))
        for key in [key for key in shares if key[0] == category]:
            shares[key] /= scale
    if problems:
        raise InputError(problems)
    return shares


def unquoted_json(instance: Instance, marginals: np.ndarray,
                  shares: dict[tuple[str, str], float] | None = None) -> list[dict]:
    """`unquoted_groups` as JSON records (NaN as None), for `select`'s metrics."""
    frame = unquoted_groups(instance, marginals, shares)
    return [{key: (None if isinstance(value, float) and math.isnan(value) else
                   value.item() if isinstance(value, np.generic) else value) for key, value in row.items()}
            for row in frame.to_dict("records")]
