"""Checks on a pool, its quotas and k, each returning `Problem`s a person can act on.

Every check returns a list (empty when all is well) so that the loader can report every problem
at once. `check_quotas` re-runs the quota checks on an edited quota list without any file, as the
app does after a person changes a bound or k.

Rows follow spreadsheet numbering: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import numbers
import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from ..errors import Problem
from ..model import Instance, Quota

MAX_CELL_PROBLEMS = 10  # per column; more empty cells are summarised in one problem
# A quota bound above this cannot be meant (a pool has at most core.io.limits.MAX_ROWS volunteers);
# refusing it here keeps 10^30 out of the integer arrays the solvers use.
MAX_QUOTA_BOUND = 1_000_000

_WHOLE_NUMBER = re.compile(r"^[+-]?\d+(\.0*)?$")


def parse_whole_number(text: str) -> int | None:
    """'12', '12.0', '+3', '-1' -> the integer; anything else (empty, '2.5', 'ten') -> None."""
    text = text.strip()
    if not _WHOLE_NUMBER.match(text):
        return None
    return int(text.split(".")[0])


@dataclass
class QuotaContext:
    """Where quotas and volunteers come from, for messages.

    `rows[i]` is the row of quota i in `file`; `columns` maps a role (category, value, min, max,
    min_flex, max_flex) to the column's name as the file spells it; `pool_rows[i]` is the row of
    volunteer i in `pool_file`. Defaults describe an edited quota list (no file, rows 2, 3, ...).
    """

    file: str | None = None
    rows: list[int] | None = None
    columns: dict[str, str] = field(default_factory=dict)
    pool_file: str | None = None
    pool_rows: list[int] | None = None

    def row(self, i: int) -> int:
        return self.rows[i] if self.rows is not None else i + 2

    def pool_row(self, i: int) -> int:
        return self.pool_rows[i] if self.pool_rows is not None else i + 2

    def column(self, role: str) -> str:
        return self.columns.get(role, role)


def check_quotas(instance: Instance, quotas: list[Quota], k: int, context: QuotaContext | None = None) -> list[Problem]:
    """Every problem with `quotas` and `k` for the instance's pool (works on edited quota lists)."""
    context = context or QuotaContext(file=None, pool_file=instance.sources.get("pool"))
    problems = check_k(k, instance.n)
    problems += check_bounds(quotas, context)
    problems += check_duplicate_quotas(quotas, context)
    problems += check_quota_categories(quotas, instance.categories, context)
    columns = category_columns(instance)
    values = {cat: [q.value for q in quotas if q.category == cat] for cat in instance.categories}
    problems += check_coverage(columns, values, context)
    problems += check_unused_quotas(quotas, columns, context)
    problems += check_category_sums(quotas, k, context)
    problems += check_value_counts(quotas, columns, context)
    return problems


def category_columns(instance: Instance) -> dict[str, pd.Series]:
    """Each category's column in the quota file's spelling of values."""
    source = instance.category_values if instance.category_values is not None else instance.pool
    return {cat: source[cat] for cat in instance.categories}


def check_k(k: object, n: int) -> list[Problem]:
    """k must be a whole number between 1 and the pool size."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        return [Problem(f"the panel size k={k!r} is not a whole number.", "Give k as a whole number such as 20.")]
    if k <= 0:
        return [Problem(f"the panel size k={k} must be at least 1.", "Choose how many seats the panel has.")]
    if n > 0 and k > n:
        return [Problem(f"the panel size k={k} is larger than the pool ({n} volunteers).",
                        "Choose a smaller panel or load a larger pool.")]
    return []


def check_bounds(quotas: list[Quota], context: QuotaContext) -> list[Problem]:
    """Negative bounds, bounds above MAX_QUOTA_BOUND, min > max, min_flex above min, max_flex below max."""
    problems = []
    for i, q in enumerate(quotas):
        where = dict(file=context.file, row=context.row(i))
        for role, bound in (("min", q.min), ("max", q.max), ("min_flex", q.min_flex), ("max_flex", q.max_flex)):
            if bound is not None and bound < 0:
                problems.append(Problem(f"{q.label}: {role} is {bound}, below 0.", f"Make the {role} 0 or more.",
                                        column=context.column(role), **where))
            elif bound is not None and bound > MAX_QUOTA_BOUND:
                problems.append(Problem(f"{q.label}: {role} is {_short_number(bound)}, above {MAX_QUOTA_BOUND:,}.",
                                        f"No panel has that many seats: make the {role} at most the panel size k "
                                        "(a max of k means no upper limit).", column=context.column(role), **where))
        if q.min > q.max:
            problems.append(Problem(f"{q.label}: min {q.min} is above max {q.max}.",
                                    "Make the min at most the max.", column=context.column("min"), **where))
        if q.min_flex is not None and q.min_flex > q.min:
            problems.append(Problem(f"{q.label}: min_flex {q.min_flex} is above min {q.min}.",
                                    f"min_flex is how low a repair may move the min: make it at most {q.min}, or leave it empty.",
                                    column=context.column("min_flex"), **where))
        if q.max_flex is not None and q.max_flex < q.max:
            problems.append(Problem(f"{q.label}: max_flex {q.max_flex} is below max {q.max}.",
                                    f"max_flex is how high a repair may move the max: make it at least {q.max}, or leave it empty.",
                                    column=context.column("max_flex"), **where))
    return problems


def _short_number(value: int) -> str:
    """A whole number as written, or as 1.0e+30 when it is longer than 15 digits."""
    text = str(value)
    return text if len(text) <= 15 else f"{float(value):.1e}"


def check_duplicate_quotas(quotas: list[Quota], context: QuotaContext) -> list[Problem]:
    """Two quota rows for the same category and value (compared trimmed, ignoring case)."""
    problems = []
    first: dict[tuple[str, str], int] = {}
    for i, q in enumerate(quotas):
        key = (q.category.strip().casefold(), q.value.strip().casefold())
        if key in first:
            problems.append(Problem(f"duplicate quota row for {q.label} (first at row {context.row(first[key])}).",
                                    "Delete one of the two rows.", file=context.file, row=context.row(i),
                                    column=context.column("value")))
        else:
            first[key] = i
    return problems


def check_quota_categories(quotas: list[Quota], categories: list[str], context: QuotaContext) -> list[Problem]:
    """Quotas (typically edited ones) on a category the pool does not have."""
    problems = []
    reported = set()
    for i, q in enumerate(quotas):
        if q.category not in categories and q.category not in reported:
            reported.add(q.category)
            problems.append(Problem(f"category '{q.category}' is not a column of the pool.",
                                    f"Use one of: {', '.join(categories)}.", file=context.file, row=context.row(i),
                                    column=context.column("category")))
    return problems


def check_coverage(columns: dict[str, pd.Series], values: dict[str, list[str]], context: QuotaContext) -> list[Problem]:
    """A pool value with no quota row: the volunteers who have it could never be placed."""
    problems = []
    for cat, column in columns.items():
        known = set(values.get(cat, []))
        missing = [(i, v) for i, v in enumerate(column.tolist()) if v and v not in known]
        by_value: dict[str, list[int]] = {}
        for i, v in missing:
            by_value.setdefault(v, []).append(i)
        for value, rows in by_value.items():
            count = f"{len(rows)} volunteers, first at row {context.pool_row(rows[0])}" if len(rows) > 1 else "1 volunteer"
            problems.append(Problem(f"value '{value}' ({count}) has no quota row in category '{cat}'.",
                                    f"Add a quota row for {cat}={value} or correct the cell.",
                                    file=context.pool_file, row=context.pool_row(rows[0]), column=cat))
    return problems


def check_unused_quotas(quotas: list[Quota], columns: dict[str, pd.Series], context: QuotaContext) -> list[Problem]:
    """Quota rows no volunteer has (a warning: harmless when the min is 0)."""
    present = {cat: set(column.tolist()) for cat, column in columns.items()}
    problems = []
    for i, q in enumerate(quotas):
        if q.category in present and q.value not in present[q.category]:
            problems.append(Problem(f"no volunteer in the pool has {q.label}.",
                                    "Check the spelling in both files; nothing to do if the min is 0.",
                                    file=context.file, row=context.row(i), column=context.column("value"),
                                    severity="warning"))
    return problems


def check_category_sums(quotas: list[Quota], k: object, context: QuotaContext) -> list[Problem]:
    """Per category, the mins must leave room for k seats and the maxes must reach k."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k <= 0:
        return []
    problems = []
    rows_of: dict[str, list[int]] = {}
    for i, q in enumerate(quotas):
        rows_of.setdefault(q.category, []).append(i)
    for cat, indices in rows_of.items():
        mins = sum(quotas[i].min for i in indices)
        maxes = sum(quotas[i].max for i in indices)
        where = dict(file=context.file, row=context.row(indices[0]))
        if mins > k:
            problems.append(Problem(f"the mins of category '{cat}' add up to {mins}, more than the panel size k={k}.",
                                    f"Lower some mins of {cat} so that they add up to at most {k}.",
                                    column=context.column("min"), **where))
        if maxes < k:
            problems.append(Problem(f"the maxes of category '{cat}' add up to {maxes}, less than the panel size k={k}.",
                                    f"Raise some maxes of {cat} so that they add up to at least {k}.",
                                    column=context.column("max"), **where))
    return problems


def check_value_counts(quotas: list[Quota], columns: dict[str, pd.Series], context: QuotaContext) -> list[Problem]:
    """A min above the number of volunteers who have the value can never be met."""
    counts = {cat: Counter(column.tolist()) for cat, column in columns.items()}
    problems = []
    for i, q in enumerate(quotas):
        if q.category not in counts:
            continue
        have = counts[q.category][q.value]
        if q.min > have:
            problems.append(Problem(f"{q.label} needs at least {q.min} seats but only {have} volunteer(s) in the pool have it.",
                                    f"Lower the min to at most {have} or recruit more such volunteers.",
                                    file=context.file, row=context.row(i), column=context.column("min")))
    return problems


def check_empty_cells(pool: pd.DataFrame, columns: list[str], file: str | None, rows: list[int]) -> list[Problem]:
    """Empty cells in the given pool columns; after MAX_CELL_PROBLEMS per column, one summary."""
    problems = []
    for column in columns:
        empty = [i for i, v in enumerate(pool[column].tolist()) if not v]
        for i in empty[:MAX_CELL_PROBLEMS]:
            problems.append(Problem("empty cell.", f"Fill in the volunteer's {column} or remove the row.",
                                    file=file, row=rows[i], column=column))
        if len(empty) > MAX_CELL_PROBLEMS:
            rest = empty[MAX_CELL_PROBLEMS:]
            problems.append(Problem(f"{len(rest)} more empty cells (rows {rows[rest[0]]} to {rows[rest[-1]]}).",
                                    f"Fill in every volunteer's {column} or remove those rows.",
                                    file=file, row=rows[rest[0]], column=column))
    return problems


def check_ids(ids: list[str], file: str | None, rows: list[int], column: str) -> list[Problem]:
    """Every volunteer needs an id, and no two the same."""
    problems = check_empty_cells(pd.DataFrame({column: ids}), [column], file, rows)
    first: dict[str, int] = {}
    for i, value in enumerate(ids):
        if not value:
            continue
        if value in first:
            problems.append(Problem(f"duplicate id '{value}' (first at row {rows[first[value]]}).",
                                    "Give every volunteer a different id, or remove the repeated row.",
                                    file=file, row=rows[i], column=column))
        else:
            first[value] = i
    return problems


def check_households(pool: pd.DataFrame, columns: list[str], file: str | None, rows: list[int]) -> list[Problem]:
    """A volunteer with every household cell empty would share a 'household' with all such volunteers."""
    problems = []
    cells = pool[columns].to_numpy()
    empty = [i for i in range(len(pool)) if not any(cells[i])]
    for i in empty[:MAX_CELL_PROBLEMS]:
        problems.append(Problem("empty address: volunteers with no address would all count as one household.",
                                f"Fill in {', '.join(columns)} for this volunteer.", file=file, row=rows[i], column=columns[0]))
    if len(empty) > MAX_CELL_PROBLEMS:
        problems.append(Problem(f"{len(empty) - MAX_CELL_PROBLEMS} more volunteers with an empty address.",
                                f"Fill in {', '.join(columns)} for every volunteer.", file=file,
                                row=rows[empty[MAX_CELL_PROBLEMS]], column=columns[0]))
    return problems
