"""Loading a pool and its quotas from CSV or .xlsx files (paths or uploaded bytes) into an Instance.

Three quota layouts are recognised from their headers (case-insensitive, spaces trimmed), in the
order of `LAYOUTS`: the first whose category and value columns are both present is used.
  - replication:                      category, feature, min, max
  - Sortition Foundation:             feature, value, min, max [, min_flex, max_flex]
  - older Sortition Foundation:       category, name, min, max [, min_flex, max_flex]
    ("feature"/"category" is the category's name, "value"/"name" the value).
Any layout may have the optional columns of `OPTIONAL` (min_flex, max_flex, population_share:
fractions summing to 1 or percentages summing to 100 per category). Only those exact names are
read: every other column (`Notes`, `suggest min`, `Current #`, unnamed ones) is ignored. A quota
row whose category cell is empty is a note row: skipped, with one warning naming the rows.
Category names in the quota file are matched to pool columns, and to each other, ignoring case.
The pool has one column per category; other columns are kept as they are. A pool column `id` is
the id column unless `id_column` names another; without one, ids are row numbers.

Every problem is collected and raised together as one InputError; warnings (a guessed encoding,
values matched ignoring case, quota rows no volunteer has, note rows) land in Instance.warnings.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ..errors import InputError, Problem
from ..model import Instance, Quota
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
    parse_whole_number,
)

Source = str | Path | bytes

# role -> header name, per layout (every role required); detected in this order
REPLICATION = {"category": "category", "value": "feature", "min": "min", "max": "max"}
SORTITION_FOUNDATION = {"category": "feature", "value": "value", "min": "min", "max": "max"}
OLDER_SORTITION_FOUNDATION = {"category": "category", "value": "name", "min": "min", "max": "max"}
LAYOUTS = {"replication": REPLICATION, "Sortition Foundation": SORTITION_FOUNDATION,
           "older Sortition Foundation": OLDER_SORTITION_FOUNDATION}
# optional roles, read in any layout when their exact header is present
OPTIONAL = {"min_flex": "min_flex", "max_flex": "max_flex", "population_share": "population_share", "target": "target"}
SHARE_TOLERANCE = 0.02  # relative: shares summing to 0.98..1.02 (or 98..102 %) are accepted


@dataclass
class QuotaFile:
    """The quota table read into Quotas, with where each came from."""

    quotas: list[Quota] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # file row of each quota
    columns: dict[str, str] = field(default_factory=dict)  # role -> the file's column name
    values: dict[str, list[str]] = field(default_factory=dict)  # category -> every value named, even with bad bounds
    first_row: dict[str, int] = field(default_factory=dict)  # category -> its first row
    shares: dict[tuple[str, str], float] | None = None
    complete: bool = True  # False when some row could not be read into a Quota


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


def detect_format(table: Table) -> dict[str, str] | None:
    """The quota layout's role -> header mapping: the first of `LAYOUTS` whose category and value
    columns are both present; else the first whose category column is (its other columns are then
    reported missing); None when the header names no layout's category column."""
    complete = [layout for layout in LAYOUTS.values()
                if table.find(layout["category"]) is not None and table.find(layout["value"]) is not None]
    partial = [layout for layout in LAYOUTS.values() if table.find(layout["category"]) is not None]
    return (complete or partial or [None])[0]


def _layout_headers() -> str:
    return " or ".join(f"'{','.join(layout.values())}'" for layout in LAYOUTS.values())


def read_quota_table(table: Table, problems: list[Problem]) -> QuotaFile | None:
    """Quota rows -> Quotas; problems with columns and cells are appended to `problems`."""
    layout = detect_format(table)
    if layout is None:
        problems.append(Problem(
            "the quota file's header names no known layout.",
            f"The first row must be {_layout_headers()} "
            f"(found: {', '.join(table.columns)}).", file=table.name, row=table.header_row))
        return None
    columns = {role: table.find(name) for role, name in layout.items()}
    missing = [layout[role] for role, found in columns.items() if found is None]
    for name in missing:
        others = [f"'{other['value']}'" for other in LAYOUTS.values()
                  if other["category"] == layout["category"] and other is not layout]
        alternatives = f" (or {' or '.join(others)})" if name == layout["value"] and others else ""
        problems.append(Problem("missing column.", f"Add a column '{name}'{alternatives} to the header row "
                                f"(the layout needs {', '.join(layout.values())}).",
                                file=table.name, row=table.header_row, column=name))
    if missing:
        return None
    columns.update({role: table.find(name) for role, name in OPTIONAL.items() if table.find(name) is not None})
    result = QuotaFile(columns=columns)
    frame = table.rows
    if frame.empty:
        problems.append(Problem("the quota file has no quota rows.",
                                "Add one row per category and value with its min and max.", file=table.name))
    raw_shares: dict[tuple[str, str], tuple[str, int]] = {}
    spelling: dict[str, str] = {}  # casefolded category -> its first spelling in the file
    notes: list[int] = []
    for i in range(len(frame)):
        row = table.row_numbers[i]
        cell = {role: frame.at[i, column] for role, column in columns.items()}
        if not cell["category"]:
            notes.append(row)  # a note row (as the Sortition Foundation's tools write them)
            continue
        cell["category"] = spelling.setdefault(cell["category"].casefold(), cell["category"])
        ok = True
        for role in ("category", "value"):
            if not cell[role]:
                ok = False
                problems.append(Problem("empty cell.", f"Write the {layout[role]} of this quota row, or delete the row.",
                                        file=table.name, row=row, column=columns[role]))
        if cell["category"]:
            result.first_row.setdefault(cell["category"], row)
            if cell["value"]:
                result.values.setdefault(cell["category"], []).append(cell["value"])
        bounds: dict[str, int | None] = {}
        for role in ("min", "max", "min_flex", "max_flex"):
            text = cell.get(role, "")
            optional = role in ("min_flex", "max_flex")
            if optional and not text:
                bounds[role] = None
                continue
            number = parse_whole_number(text)
            if number is None:
                ok = False
                what = "empty" if not text else f"'{text}' is not a whole number"
                problems.append(Problem(f"{what}.", f"Write the {role} as a whole number such as 3"
                                        + (", or leave it empty." if optional else "."),
                                        file=table.name, row=row, column=columns[role]))
            bounds[role] = number
        if "population_share" in columns and cell["category"] and cell["value"]:
            raw_shares[(cell["category"], cell["value"])] = (cell["population_share"], row)
        target = _target(cell.get("target", ""), table.name, row, columns.get("target"), problems)
        ok = ok and target is not False
        if ok:
            result.quotas.append(Quota(cell["category"], cell["value"], bounds["min"], bounds["max"],
                                       bounds["min_flex"], bounds["max_flex"], target))
            result.rows.append(row)
        else:
            result.complete = False
    if notes:
        problems.append(Problem(f"{len(notes)} row(s) with an empty {layout['category']} cell skipped as notes "
                                f"(rows {_row_list(notes)}).",
                                f"Nothing to do if they are notes; otherwise write the {layout['category']}.",
                                file=table.name, column=columns["category"], severity="warning"))
        if not result.quotas and result.complete and not result.values:
            problems.append(Problem("the quota file has no quota rows.",
                                    "Add one row per category and value with its min and max.", file=table.name))
    if raw_shares:
        result.shares = _population_shares(raw_shares, table.name, columns["population_share"], problems)
    return result


def _target(text: str, file: str, row: int, column: str | None, problems: list[Problem]) -> float | None | bool:
    """The optional `target` cell (expected seats, decimals allowed): None when empty, False when bad."""
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        problems.append(Problem(f"'{text}' is not a target.", "Write the expected seats as a number of 0 or more "
                                "such as 4.5, or leave the cell empty for no target.", file=file, row=row, column=column))
        return False
    return value
def _row_list(rows: list[int], shown: int = 10) -> str:
    """'3, 7, 9' or '3, 7, ... and 12 more'."""
    text = ", ".join(str(r) for r in rows[:shown])
    return text + (f" and {len(rows) - shown} more" if len(rows) > shown else "")


def _population_shares(raw: dict[tuple[str, str], tuple[str, int]], file: str, column: str,
                       problems: list[Problem]) -> dict[tuple[str, str], float] | None:
    """Per category: all cells empty (no shares), fractions summing to 1, or percentages summing to 100."""
    shares: dict[tuple[str, str], float] = {}
    by_category: dict[str, list[tuple[str, str, int]]] = {}
    for (cat, value), (text, row) in raw.items():
        by_category.setdefault(cat, []).append((value, text, row))
    for cat, entries in by_category.items():
        if not any(text for _, text, _ in entries):
            continue
        parsed: dict[str, float] = {}
        percent_sign = False
        for value, text, row in entries:
            number = _share_number(text)
            if number is None or number < 0:
                problems.append(Problem(f"population share '{text}' is not a number of 0 or more." if text else "empty cell.",
                                        f"Write the share of {cat}={value} in the population (e.g. 0.25 or 25%), "
                                        f"or leave the whole category's shares empty.", file=file, row=row, column=column))
                continue
            percent_sign |= text.endswith("%")
            parsed[value] = number
        if len(parsed) < len(entries):
            continue
        total = sum(parsed.values())
        if abs(total - 1) <= SHARE_TOLERANCE and not percent_sign:
            scale = 1.0
        elif abs(total - 100) <= 100 * SHARE_TOLERANCE:
            scale = 100.0
        else:
            problems.append(Problem(f"the population shares of category '{cat}' add up to {total:g}.",
                                    "Make them add up to 1 (fractions) or 100 (percentages).",
                                    file=file, row=entries[0][2], column=column))
            continue
        shares.update({(cat, value): number / scale for value, number in parsed.items()})
    return shares or None


def _share_number(text: str) -> float | None:
    try:
        number = float(text.strip().removesuffix("%").strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


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
