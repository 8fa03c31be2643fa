"""Lists of volunteer ids in a file: the selected file the workbench exports, and a declined list.

A list is a CSV or .xlsx table whose column `id` (or the `--id-column` name) holds volunteer ids as
`select` reports them in `ids` (row numbers from 1 when the pool has no id column). A file with a
single column is read whatever its header says. Every id must be in the pool, and appear once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError, Problem
from ..io.tables import read_table
from ..model import Instance


@dataclass
class IdList:
    """Pool rows (0-based) of the ids a file lists, with the spreadsheet row of each."""

    file: str
    rows: list[int]
    lines: list[int]
    column: str = "id"


def read_ids(source, instance: Instance, id_column: str | None = None, name: str | None = None) -> IdList:
    """Read an id list (path or bytes); InputError naming file and row for an unknown or repeated id."""
    table = read_table(source, name)
    wanted = id_column or "id"
    column = table.find(wanted)
    if column is None and len(table.columns) == 1:
        column = table.columns[0]
    if column is None:
        raise InputError([Problem(f"no column '{wanted}'.", f"Put the volunteer ids in a column named '{wanted}' "
                                  f"(found: {', '.join(table.columns)}).", file=table.name, row=table.header_row)])
    position = {volunteer: i for i, volunteer in enumerate(instance.ids)}
    problems: list[Problem] = []
    rows: list[int] = []
    lines: list[int] = []
    first: dict[str, int] = {}
    for text, line in zip(table.rows[column].tolist(), table.row_numbers):
        volunteer = str(text).strip()
        if not volunteer:
            continue
        if volunteer not in position:
            problems.append(Problem(f"id '{volunteer}' is not in the pool.",
                                    "Use the ids of the pool file (row numbers from 1 when it has no id column).",
                                    file=table.name, row=line, column=column))
        elif volunteer in first:
            problems.append(Problem(f"duplicate id '{volunteer}' (first at row {first[volunteer]}).",
                                    "List each volunteer once.", file=table.name, row=line, column=column))
        else:
            first[volunteer] = line
            rows.append(position[volunteer])
            lines.append(line)
    if problems:
        raise InputError(problems)
    return IdList(table.name, rows, lines, column)
