"""Reading a quota table: which of the known layouts it is, and each row into a Quota.

Three quota layouts are recognised from their headers (case-insensitive, spaces trimmed), in the
order of `LAYOUTS`: the first whose category and value columns are both present is used.
  - replication:                      category, feature, min, max
  - Sortition Foundation:             feature, value, min, max [, min_flex, max_flex]
  - older Sortition Foundation:       category, name, min, max [, min_flex, max_flex]
    ("feature"/"category" is the category's name, "value"/"name" the value).
Any layout may have the optional columns of `OPTIONAL` (min_flex, max_flex, population_share:
fractions summing to 1 or percentages summing to 100 per category, within SHARE_TOLERANCE; target:
expected seats). Only those exact names are read: every other column (`Notes`, `suggest min`,
`Current #`, unnamed ones) is ignored. A quota row whose category cell is empty is a note row:
skipped, with one warning naming the rows. Problems are appended to the caller's list, never raised
here; `core.io.loaders.load_instance` raises them together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Problem
from ..model import Quota
from .tables import Table
from .validation import parse_whole_number

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
