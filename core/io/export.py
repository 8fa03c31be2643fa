"""CSV files for download that a spreadsheet opens as data, never as formulas.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula ("CSV injection": `=HYPERLINK(...)`, `=cmd|...`). Ids,
values and category names come from uploaded files, so every CSV the workbench offers for download
goes through `csv_safe`, which applies OWASP's rule: such a cell gets a leading apostrophe `'`
(spreadsheets show the text; the apostrophe is visible in a text editor). Column names are cells of
the header row and get the same treatment. Rows end in CRLF (RFC 4180), so a cell holding a carriage
return or a line feed is quoted and cannot start a new row whose first cell would be a formula.

Numbers are left alone: a column of numbers (integer, float or boolean dtype) holds values the
workbench computed, written by pandas as plain numbers, so `-0.5` stays a number a spreadsheet can
sum. Only text cells (object or string dtype) are neutralised, including text that looks like a
negative number ("-5" typed as a value of a category). JSON downloads keep the raw values.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(cell: object) -> object:
    """`cell` with a leading apostrophe if it is text a spreadsheet would read as a formula."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return QUOTE + cell
    return cell


def safe_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of `table` whose text cells and column names cannot start a formula (numbers untouched)."""
    safe = table.copy()
    for position, column in enumerate(table.columns):
        values = table.iloc[:, position]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            safe.isetitem(position, values.map(neutralise, na_action="ignore"))
    safe.columns = [neutralise(str(c)) if isinstance(c, str) else c for c in table.columns]
    return safe


def csv_safe(table: pd.DataFrame, index: bool = False) -> bytes:
    """`table` as UTF-8 CSV bytes for a download, formulas neutralised (see the module docstring)."""
    return safe_frame(table).to_csv(index=index, lineterminator="\r\n").encode("utf-8")
