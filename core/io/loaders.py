"""Loading a pool and its quotas from CSV or .xlsx files (paths or uploaded bytes) into an Instance.

The quota table's layouts and columns are read by core.io.quota_file (`read_quota_table`).
Category names in the quota file are matched to pool columns, and to each other, ignoring case.
The pool has one column per category; other columns are kept as they are. A pool column `id` is
the id column unless `id_column` names another; without one, ids are row numbers.

Every problem is collected and raised together as one InputError; warnings (a guessed encoding,
values matched ignoring case, quota rows no volunteer has, note rows) land in Instance.warnings.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..errors import InputError, Problem
from ..model import Instance, Quota
from .quota_file import LAYOUTS, OPTIONAL, QuotaFile, detect_format, read_quota_table
from .tables import Table, normalise_header, read_table
from .validation import (
    QuotaContext,
    check_bounds,
    check_coverage,
    check_duplicate_quotas,
    check_empty_cells,
    check_households,
    check_ids,
    check_k,
    check_unused_quotas,
)

Source = str | Path | bytes


def load_instance(pool: Source, quotas: Source, k: int, *, id_column: str | None = None,
                  household: list[str] | str | None = None, pool_name: str | None = None,
                  quotas_name: str | None = None) -> Instance:
    """Read, check and assemble an Instance; raise InputError listing every problem found."""
    problems: list[Problem] = []
    if isinstance(k, numbers.Integral) and not isinstance(k, bool):
        k = int(k)  # numpy integers from an app widget are as good as ints
    pool_table = _read(pool, pool_name, problems)
    quota_table = _read(quotas, quotas_name, problems, _ignore_extra_columns)
    if _looks_swapped(pool_table, quota_table):
        raise InputError([Problem(
            f"the files look swapped: '{pool_table.name}' has the columns of a quota file and "
            f"'{quota_table.name}' does not.",
            f"Load '{quota_table.name}' as the pool and '{pool_table.name}' as the quotas.")])
    # k against the pool size is said last: with a broken or wrong pool file the size is a symptom
    k_problems = check_k(k, len(pool_table.rows) if pool_table is not None else 0)
    quota_file = read_quota_table(quota_table, problems) if quota_table is not None else None
    if pool_table is None or quota_file is None:
        raise _input_error(problems + k_problems)

    pool_file = pool_table.name
    pool_frame = pool_table.rows
    rows = pool_table.row_numbers
    if pool_frame.empty:
        problems.append(Problem("the pool has no volunteers.", "Load a pool file with one row per volunteer.", file=pool_file))

    categories = _resolve_categories(quota_file, pool_table, quota_table.name, problems)
    quota_list = [Quota(categories.get(q.category, q.category), q.value, q.min, q.max, q.min_flex, q.max_flex,
                        q.target) for q in quota_file.quotas]
    values: dict[str, list[str]] = {}
    for cat, names in quota_file.values.items():
        if cat in categories:
            values.setdefault(categories[cat], []).extend(names)
    problems += check_empty_cells(pool_frame, list(values), pool_file, rows)
    canonical, spelled = _canonical_values(pool_frame, values, pool_file, rows, problems)

    context = QuotaContext(file=quota_table.name, rows=quota_file.rows, columns=quota_file.columns,
                           pool_file=pool_file, pool_rows=rows)
    problems += check_bounds(quota_list, context)
    problems += check_duplicate_quotas(quota_list, context)
    problems += check_coverage(canonical, values, context)
    problems += check_unused_quotas(quota_list, canonical, context)
    # Quotas that the pool or k cannot meet (mins above k, a min above the volunteers having the
    # value, ...) are not errors of the files: core.analysis.feasibility reports them with the smallest repair.

    ids = _ids(pool_table, id_column, problems)
    household_columns = _household_columns(pool_table, household, problems)

    problems += k_problems
    if any(p.severity == "error" for p in problems):
        raise _input_error(problems)
    shares = None
    if quota_file.shares is not None:
        shares = {(categories[c], v): s for (c, v), s in quota_file.shares.items()}
    return Instance(
        pool=pool_frame,
        categories=[c for c in dict.fromkeys(q.category for q in quota_list)],
        quotas=quota_list,
        k=k,
        ids=ids,
        household=household_columns,
        population_shares=shares,
        sources={"pool": pool_file, "quotas": quota_table.name},
        warnings=problems,
        category_values=pd.DataFrame(canonical) if spelled else None,
        quota_rows=list(quota_file.rows),
    )


def _input_error(problems: list[Problem]) -> InputError:
    """One error listing every problem, errors before warnings (otherwise in the order found)."""
    return InputError(sorted(problems, key=lambda p: p.severity != "error"))


def _read(source: Source, name: str | None, problems: list[Problem],
          adjust: Callable[[Problem], Problem] | None = None) -> Table | None:
    try:
        table = read_table(source, name)
    except InputError as error:
        problems.extend(error.problems)
        return None
    problems.extend(adjust(p) if adjust else p for p in table.problems)
    return table


def _ignore_extra_columns(problem: Problem) -> Problem:
    """In a quota file, an unnamed column with data or a repeated name other than a layout's
    columns is an extra column (notes, counts): `read_table` already left it out, so say so as a
    warning rather than stopping."""
    known = {normalise_header(name) for layout in [*LAYOUTS.values(), OPTIONAL] for name in layout.values()}
    unnamed = problem.column is None and "has data but no name" in problem.message
    repeated = (problem.message.startswith("duplicate column") and problem.column is not None
                and normalise_header(problem.column) not in known)
    if problem.severity != "error" or not (unnamed or repeated):
        return problem
    return replace(problem, severity="warning", fix="It is ignored, like every column that is not a quota column.")


def _looks_swapped(pool: Table | None, quotas: Table | None) -> bool:
    """True when the pool file has a quota file's header and the quota file has not (files given the wrong way round)."""
    return (pool is not None and quotas is not None and detect_format(pool) is not None
            and pool.find("min") is not None and detect_format(quotas) is None)


def _resolve_categories(quota_file: QuotaFile, pool: Table, quotas_name: str,
                        problems: list[Problem]) -> dict[str, str]:
    """Quota category name -> the pool column it names (matched like headers: ignoring case)."""
    resolved = {}
    for cat, row in quota_file.first_row.items():
        column = pool.find(cat)
        if column is None:
            problems.append(Problem(f"category '{cat}' is not a column of {pool.name}.",
                                    f"Add the column to the pool or fix the name (pool columns: {', '.join(pool.columns)}).",
                                    file=quotas_name, row=row, column=quota_file.columns["category"]))
        else:
            resolved[cat] = column
    return resolved


def _canonical_values(pool: pd.DataFrame, values: dict[str, list[str]], file: str, rows: list[int],
                      problems: list[Problem]) -> tuple[dict[str, pd.Series], bool]:
    """Each category column in the quota file's spelling, and whether any cell was spelled differently.

    A pool value that differs from exactly one quota value only by case is read as that value (and
    reported); when two quota values differ only by case, only exact matches count.
    """
    columns: dict[str, pd.Series] = {}
    respelled = False
    for cat, names in values.items():
        by_fold: dict[str, list[str]] = {}
        for name in dict.fromkeys(names):
            by_fold.setdefault(name.casefold(), []).append(name)
        exact = set(names)
        mapping = {}
        for value in pool[cat].unique().tolist():
            if not value or value in exact:
                continue
            candidates = by_fold.get(value.casefold(), [])
            if len(candidates) == 1:
                mapping[value] = candidates[0]
                first = rows[pool[cat].tolist().index(value)]
                problems.append(Problem(f"'{value}' read as '{candidates[0]}', the quota file's spelling.",
                                        "Nothing to do if they mean the same.", file=file, row=first,
                                        column=cat, severity="warning"))
        if mapping:
            respelled = True
            columns[cat] = pool[cat].map(lambda v: mapping.get(v, v))
        else:
            columns[cat] = pool[cat]
    return columns, respelled


def _ids(pool: Table, id_column: str | None, problems: list[Problem]) -> list[str]:
    """The ids from the id column (`id_column`, else a column named 'id'), else [] for row numbers."""
    column = pool.find(id_column or "id")
    if column is None:
        if id_column is not None:
            problems.append(Problem(f"id column '{id_column}' is not in the pool.",
                                    f"Name one of the pool's columns: {', '.join(pool.columns)}.",
                                    file=pool.name, row=pool.header_row, column=id_column))
        return []
    ids = pool.rows[column].tolist()
    problems.extend(check_ids(ids, pool.name, pool.row_numbers, column))
    return ids


def _household_columns(pool: Table, household: list[str] | str | None, problems: list[Problem]) -> list[str]:
    """The pool's spelling of each household column; missing ones are reported."""
    if not household:
        return []
    names = [h.strip() for h in household.split(",")] if isinstance(household, str) else list(household)
    found = []
    for name in names:
        column = pool.find(name)
        if column is None:
            problems.append(Problem(f"household column '{name}' is not in the pool.",
                                    f"Name one of the pool's columns: {', '.join(pool.columns)}.",
                                    file=pool.name, row=pool.header_row, column=name))
        else:
            found.append(column)
    if found and len(found) == len(names):
        problems.extend(check_households(pool.rows, found, pool.name, pool.row_numbers))
    return found
