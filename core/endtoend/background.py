"""The background sample (a survey of the population, no participation labels), read and checked.

The participation model compares who joined the pool with who lives in the population, so the
background sample must describe people with the same categories and the same values as the pool.
`encode_background` checks that (and the number of letters and the survey weights) and returns the
background rows as value codes in the instance's value order; every problem found is raised at once
as an `InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from ..io.tables import normalise_header, read_table
from ..model import Instance

ROW_NUMBERS = "row_numbers"  # key in DataFrame.attrs: spreadsheet row of each background row
SOURCE = "source"  # key in DataFrame.attrs: the file name


def load_background(source: str | Path | bytes, *, weights: str | None = None, name: str | None = None) -> pd.DataFrame:
    """Read a background sample (CSV or .xlsx) as text cells; file name and row numbers go in `attrs`.

    `weights` names the survey-weight column; it is only checked here for presence, its numbers are
    checked by `encode_background`.
    """
    table = read_table(source, name)
    errors = [p for p in table.problems if p.severity == "error"]
    if weights is not None and table.find(weights) is None:
        errors.append(Problem(f"the weight column '{weights}' is not in the background sample.",
                              f"Name one of its columns: {', '.join(table.columns)}.",
                              file=table.name, row=table.header_row, column=weights))
    if errors:
        raise InputError(errors)
    frame = table.rows.copy()
    frame.attrs[SOURCE] = table.name
    frame.attrs[ROW_NUMBERS] = list(table.row_numbers)
    return frame


@dataclass(frozen=True)
class EncodedBackground:
    """Background rows as value codes (rows x categories, the instance's value order) and weights."""

    codes: np.ndarray
    weights: np.ndarray  # survey weight of each row (all 1 without a weight column)


def find_column(frame: pd.DataFrame, wanted: str) -> str | None:
    """The frame's spelling of column `wanted` (trimmed, case-insensitive), or None."""
    key = normalise_header(str(wanted))
    for column in frame.columns:
        if normalise_header(str(column)) == key:
            return column
    return None


def _pool_column(instance: Instance, category: str) -> pd.Series:
    if instance.category_values is not None:
        return instance.category_values[category]
    return instance.pool[category]


def encode_background(instance: Instance, background: pd.DataFrame, letters: int,
                      weights: str | None = None) -> EncodedBackground:
    """Check the background sample, the letters and the weights against the pool; encode the rows.

    Problems reported (all at once): a category missing from the background; background values no
    quota names; values the background has that no volunteer has, or the reverse (the model could
    then only fit a participation of 0 or of 1); empty cells; fewer letters than volunteers; a weight
    column that is missing, not numeric, negative, empty or all zero.
    """
    if not isinstance(background, pd.DataFrame):
        raise InputError([Problem("the background sample is not a table.",
                                  "Give a table with one row per person and one column per category.")])
    source = background.attrs.get(SOURCE, "background sample")
    rows = background.attrs.get(ROW_NUMBERS) or [i + 2 for i in range(len(background))]
    problems: list[Problem] = []
    if len(background) == 0:
        problems.append(Problem("the background sample has no rows.",
                                "Give a sample of the population, one row per person.", file=source))
    if isinstance(letters, bool) or not isinstance(letters, (int, np.integer)) or letters < instance.n:
        problems.append(Problem(f"{letters} letters cannot have produced a pool of {instance.n} volunteers.",
                                "Enter the number of invitation letters sent (people written to); "
                                "it is at least the number of volunteers."))
    codes = np.zeros((len(background), len(instance.categories)), dtype=np.int64)
    for c, category in enumerate(instance.categories):
        column = find_column(background, category)
        if column is None:
            problems.append(Problem(f"category '{category}' is not a column of the background sample.",
                                    f"Add it, or rename a column (background columns: "
                                    f"{', '.join(map(str, background.columns))}).", file=source, column=category))
            continue
        values = instance.values(category)
        exact = {v: j for j, v in enumerate(values)}
        folded = {v.casefold(): j for j, v in enumerate(values)}
        cells = background[column].map(lambda x: "" if pd.isna(x) else str(x).strip())
        empty = np.flatnonzero((cells == "").to_numpy())
        if len(empty):
            problems.append(Problem(f"{len(empty)} empty cell(s) in category '{category}'.",
                                    "Every background row needs a value in every category; drop incomplete rows.",
                                    file=source, row=rows[empty[0]], column=column))
        mapped = cells.map(lambda v: exact.get(v, folded.get(v.casefold(), -1)) if v else -1).to_numpy()
        unknown = sorted(set(cells[(mapped < 0) & (cells != "").to_numpy()]))
        if unknown:
            first = int(np.flatnonzero(cells.isin(unknown).to_numpy())[0])
            problems.append(Problem(f"value(s) {', '.join(repr(u) for u in unknown)} of category '{category}' "
                                    "are not values of the quotas.",
                                    f"Use the quota file's values ({', '.join(values)}) or merge these rows into them.",
                                    file=source, row=rows[first], column=column))
        codes[:, c] = np.maximum(mapped, 0)
        in_pool = set(instance.codes[:, c].tolist())
        in_background = set(mapped[mapped >= 0].tolist())
        missing_in_pool = sorted(in_background - in_pool)
        missing_in_background = sorted(in_pool - in_background)
        if missing_in_pool:
            names = ", ".join(repr(values[j]) for j in missing_in_pool)
            problems.append(Problem(f"the background sample has {category} = {names} but no volunteer does.",
                                    "Their participation cannot be estimated (it would be 0): merge the value "
                                    "with a neighbouring one in both files.", file=source, column=column))
        if missing_in_background:
            names = ", ".join(repr(values[j]) for j in missing_in_background)
            problems.append(Problem(f"volunteers have {category} = {names} but nobody in the background sample does.",
                                    "The background sample must cover every value of the pool: use a larger "
                                    "sample or merge the value with a neighbouring one.", file=source, column=column))
    row_weights = np.ones(len(background))
    if weights is not None:
        column = find_column(background, weights)
        if column is None:
            problems.append(Problem(f"the weight column '{weights}' is not in the background sample.",
                                    f"Name one of its columns: {', '.join(map(str, background.columns))}.",
                                    file=source, column=weights))
        else:
            text = background[column].map(lambda x: "" if pd.isna(x) else str(x).strip())
            numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
            bad = np.flatnonzero(~np.isfinite(numbers))
            if len(bad):
                problems.append(Problem(f"{len(bad)} weight(s) missing or not numbers (first: '{text.iloc[bad[0]]}').",
                                        "Every row needs a survey weight of 0 or more.",
                                        file=source, row=rows[bad[0]], column=column))
            negative = np.flatnonzero(numbers < 0)
            if len(negative):
                problems.append(Problem(f"{len(negative)} negative weight(s) (first: {numbers[negative[0]]:g}).",
                                        "Survey weights are 0 or more.", file=source, row=rows[negative[0]], column=column))
            if not len(bad) and not len(negative) and numbers.sum() <= 0:
                problems.append(Problem("all weights are 0.", "Give positive survey weights.", file=source, column=column))
            row_weights = numbers
    if problems:
        raise InputError(problems)
    return EncodedBackground(codes=codes, weights=row_weights)
