"""Reading one table (CSV or .xlsx) from a path or from uploaded bytes, as stripped text cells.

`read_table` never guesses silently: a file read in another encoding than UTF-8, rows that are
skipped and similar decisions come back as warning `Problem`s; a file that is not a table at all
raises `InputError` naming the file. Files beyond the limits of core.io.limits (size, rows, columns,
an .xlsx's uncompressed size) are refused before they are parsed. Text with NUL bytes at every other
position is read as UTF-16 even without a byte-order mark; a quote that is never closed is named
with the line it opens on; an .xlsx whose first sheet is empty is read from its first sheet with
data. Problems that concern single cells (duplicate column names, rows with more cells than the
header) are collected in `Table.problems` so that the loader can report them together with
everything else it finds.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from .limits import (
    MAX_COLUMNS,
    MAX_ROWS,
    check_file_size,
    check_line_count,
    check_workbook_zip,
    too_many_columns,
    too_many_rows,
)

# Characters that may appear in text read as cp1252 besides letters: if a file decodes to
# anything else (box drawing, superscripts, control characters...) the guess is not trusted.
_PLAUSIBLE_SYMBOLS = set("°€£¥§«»‘’‚“”„–—…·•©®™ªº¿¡½¼¾×÷±µ¢¤¦¨¯´¸¬ \u00a0")
_DELIMITERS = [",", ";", "\t", "|"]
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
# Unicode categories Cc (C0, DEL, C1 controls) except tab, CR, LF, and Cs (lone surrogates)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_ROW_SLACK = 100  # blank lines and a header allowed beyond MAX_ROWS


def normalise_header(name: str) -> str:
    """The form in which column names are compared: surrounding spaces trimmed, case folded."""
    return name.strip().casefold()


@dataclass
class Table:
    """A table as the user wrote it: every cell a stripped string, header spelling kept.

    `rows` has one column per distinct header name (original spelling, trimmed) and one row per
    non-empty data row; `row_numbers[i]` is the spreadsheet row (header = row 1 unless blank rows
    precede it) of `rows.iloc[i]`, for messages.
    """

    name: str
    rows: pd.DataFrame
    row_numbers: list[int]
    header_row: int = 1
    problems: list[Problem] = field(default_factory=list)  # errors and warnings found while reading

    @property
    def columns(self) -> list[str]:
        return list(self.rows.columns)

    def find(self, wanted: str) -> str | None:
        """The table's spelling of column `wanted` (matched case-insensitively, trimmed), or None."""
        key = normalise_header(wanted)
        for column in self.rows.columns:
            if normalise_header(column) == key:
                return column
        return None


def source_name(source: str | Path | bytes, name: str | None) -> str:
    """The file name used in messages."""
    if name:
        return name
    if isinstance(source, (bytes, bytearray)):
        return "uploaded file"
    return Path(source).name


def read_table(source: str | Path | bytes, name: str | None = None) -> Table:
    """Read a CSV or .xlsx table from a path or from bytes (`name` is then the file's name).

    Raises InputError when the file cannot be read or is not a table at all.
    """
    label = source_name(source, name)
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        suffix = Path(name).suffix.lower() if name else ""
    else:
        path = Path(source)
        suffix = path.suffix.lower()
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputError([Problem("file not found.", "Check the path.", file=label)]) from None
        except (IsADirectoryError, PermissionError, OSError) as error:
            raise InputError([Problem(f"cannot read the file ({error.strerror or error}).",
                                      "Check the path and the file's permissions.", file=label)]) from None

    check_file_size(data, label)
    if not data.strip():
        raise InputError([Problem("the file is empty.", "Choose a file with a header row and one row per line.", file=label)])
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError([Problem("this is an old Excel .xls file, which cannot be read.",
                                  "Save it as .xlsx or CSV (UTF-8) and load that.", file=label)])
    warnings: list[Problem] = []
    if data.startswith(b"PK\x03\x04") or suffix in _XLSX_SUFFIXES:
        cells = _xlsx_cells(data, label, warnings)
    else:
        check_line_count(data, label)
        text = _decode(data, label, warnings)
        cells = _csv_cells(text, label)
    return _to_table(cells, label, warnings)


def _not_a_table(label: str, what: str) -> InputError:
    return InputError([Problem(f"not a table: {what}.",
                               "Choose a CSV (UTF-8) or .xlsx file whose first row names the columns.", file=label)])


def _decode(data: bytes, label: str, warnings: list[Problem]) -> str:
    """Decode bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, else an unambiguous guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _try_decode(data, "utf-16")
        if text is None:
            raise _not_a_table(label, "the file starts like UTF-16 text but is not valid UTF-16")
        warnings.append(_encoding_warning(label, "UTF-16"))
        return _checked_text(text, label)
    text = _try_decode(data, "utf-8")
    if text is not None and "\x00" not in text:
        return _checked_text(text, label)
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        text = _try_decode(data, utf16)
        if text is None:
            raise _not_a_table(label, f"it looks like {utf16.upper()} text without a byte-order mark but is not valid UTF-16; "
                                      "save it as CSV UTF-8")
        warnings.append(_encoding_warning(label, f"{utf16.upper()} (UTF-16 without a byte-order mark)"))
        return _checked_text(text, label)
    if b"\x00" in data:
        raise _not_a_table(label, "it contains binary data")
    text = _try_decode(data, "cp1252")
    if text is not None and _plausible(text):
        warnings.append(_encoding_warning(label, "cp1252 (Windows Western European)"))
        return _checked_text(text, label)
    guess = _guess_encoding(data)
    if guess is None:
        raise InputError([Problem("cannot tell which text encoding the file uses.",
                                  "Save it as CSV UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)') and load it again.",
                                  file=label)])
    encoding, text = guess
    warnings.append(_encoding_warning(label, encoding))
    return _checked_text(text, label)


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when NUL bytes sit at (nearly) every odd / even position, as they do
    in UTF-16 text of mostly Latin letters, else None."""
    half = len(data) // 2
    if half == 0 or len(data) % 2:
        return None
    odd, even = data[1::2].count(0), data[0::2].count(0)
    if odd >= 0.3 * half and even <= 0.02 * half:
        return "utf-16-le"
    if even >= 0.3 * half and odd <= 0.02 * half:
        return "utf-16-be"
    return None


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _plausible(text: str) -> bool:
    """True when every non-ASCII character is a letter or a common symbol (not mojibake)."""
    return all(ch.isascii() or ch.isalpha() or ch in _PLAUSIBLE_SYMBOLS for ch in text)


def _guess_encoding(data: bytes) -> tuple[str, str] | None:
    # imported here: only unusual files need it
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    text = str(best)
    if not _plausible(text):
        return None
    return best.encoding, text


def _encoding_warning(label: str, encoding: str) -> Problem:
    return Problem(f"read as {encoding}, not UTF-8.",
                   "Check that accented letters look right; saving the file as UTF-8 avoids the guess.",
                   file=label, severity="warning")


def _checked_text(text: str, label: str) -> str:
    """Reject text with control characters: it is a binary file, not a table."""
    if _CONTROL.search(text):
        raise _not_a_table(label, "it contains binary data")
    return text


def _csv_cells(text: str, label: str) -> list[list[str]]:
    """The CSV's rows of cells (delimiter from the header line); refuses more than MAX_ROWS rows or
    MAX_COLUMNS cells in a row, and names the line of a quote that is never closed."""
    header_line = next((line for line in io.StringIO(text) if line.strip()), "")
    delimiter = max(_DELIMITERS, key=header_line.count) if any(d in header_line for d in _DELIMITERS) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows: list[list[str]] = []
    first_line = last_start = 1  # the line the row being read starts on, and the last row's
    shared = _shared_text()
    try:
        for row in reader:
            if len(row) > MAX_COLUMNS:
                raise too_many_columns(label, len(row), first_line)
            if len(rows) >= MAX_ROWS + _ROW_SLACK:
                raise too_many_rows(label)
            rows.append(shared(row))
            last_start, first_line = first_line, reader.line_num + 1
    except csv.Error as error:
        raise _not_a_table(label, f"the CSV text cannot be split into cells ({error})") from None
    if rows and reader.line_num > last_start and _unclosed_quote(text.splitlines()[last_start - 1:]):
        raise InputError([Problem(f"the quote (\") opened on line {last_start} is never closed, so every line after it "
                                  "was read as one cell.", "Close the quote or delete it, then load the file again.",
                                  file=label, row=last_start)])
    return rows


def _shared_text():
    """A function turning a row of cells into stripped text cells, one object per distinct text:
    a pool repeats its values (gender, age band...) on every row, and one copy each saves most of
    the memory of a large file."""
    seen: dict[str, str] = {}
    keep = seen.setdefault

    def shared(row: list[str]) -> list[str]:
        return [keep(cell, cell) for cell in map(str.strip, row)]

    return shared


def _unclosed_quote(lines: list[str]) -> bool:
    """True when the text of the last row (its lines) holds an odd number of quote characters."""
    return sum(line.count('"') for line in lines) % 2 == 1


def _xlsx_cells(data: bytes, label: str, warnings: list[Problem]) -> list[list[str]]:
    """The cells of the workbook's first sheet, or of its first sheet with data when the first is empty."""
    import openpyxl  # imported here: only .xlsx files need it

    check_workbook_zip(data, label)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds of errors on damaged workbooks
        raise _not_a_table(label, f"it is not a readable .xlsx workbook ({type(error).__name__})") from None
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise _not_a_table(label, "the workbook has no sheet")
        cells = _sheet_cells(sheets[0], label)
        others = [sheet for sheet in sheets[1:] if _sheet_cells(sheet, label, limit=5)]
        if not cells and others:
            warnings.append(Problem(f"the first sheet, '{sheets[0].title}', is empty; the table was read from sheet "
                                    f"'{others[0].title}'.", "Nothing to do if that is the pool; otherwise put the table on "
                                    "the first sheet.", file=label, severity="warning"))
            return _sheet_cells(others[0], label)
        if others:
            names = ", ".join(f"'{sheet.title}'" for sheet in others)
            warnings.append(Problem(f"the workbook has {len(sheets)} sheets; only the first, '{sheets[0].title}', was read "
                                    f"(sheet(s) {names} also hold data).",
                                    "If the table is on another sheet, move it to the first sheet or save that sheet as CSV.",
                                    file=label, severity="warning"))
        return cells
    finally:
        workbook.close()


def _sheet_cells(sheet: object, label: str, limit: int | None = None) -> list[list[str]]:
    """A sheet's rows as text cells, trailing empty cells and rows dropped; refuses more than
    MAX_ROWS rows or MAX_COLUMNS cells. The declared dimensions are ignored (they may claim a
    million rows), so only cells the sheet holds are read. `limit`: read at most that many rows."""
    sheet.reset_dimensions()
    rows: list[list[str]] = []
    shared = _shared_text()
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if limit is not None and number > limit:
            break
        if number > MAX_ROWS + _ROW_SLACK:
            raise too_many_rows(label)
        row = shared([_cell_text(value) for value in values])
        while row and not row[-1].strip():
            row.pop()
        if len(row) > MAX_COLUMNS:
            raise too_many_columns(label, len(row), number)
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees: 3 not 3.0, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _to_table(cells: list[list[str]], label: str, warnings: list[Problem]) -> Table:
    """Header + stripped cells -> Table; blank rows dropped, duplicate and unnamed columns reported."""
    cells = [list(map(str.strip, row)) for row in cells]
    numbered = [(i + 1, row) for i, row in enumerate(cells) if any(row)]
    if not numbered:
        raise _not_a_table(label, "it has no rows with content")
    header_row, header = numbered[0]
    body = numbered[1:]
    problems = list(warnings)

    # Columns named by the header; trailing unnamed columns with no data are spreadsheet leftovers.
    width = max(len(row) for _, row in numbered)
    header = header + [""] * (width - len(header))
    grid = np.array([row if len(row) == width else row + [""] * (width - len(row)) for _, row in body],
                    dtype=object).reshape(len(body), width)
    filled = grid != ""
    keep: list[int] = []
    seen: dict[str, int] = {}
    duplicates: dict[str, list[str]] = {}
    for j, name in enumerate(header):
        if not name:
            if filled[:, j].any():
                first = body[int(np.argmax(filled[:, j]))][0]
                problems.append(Problem(f"column {j + 1} has data but no name in the header.",
                                        "Give the column a name in the header row or delete its cells.",
                                        file=label, row=first))
            continue
        key = normalise_header(name)
        if key in seen:
            duplicates.setdefault(header[seen[key]], []).append(name)
            continue
        seen[key] = j
        keep.append(j)
    for first, others in duplicates.items():
        spellings = ", ".join(f"'{o}'" for o in others)
        problems.append(Problem(f"duplicate column '{first}' (also named {spellings}).",
                                "Rename or delete the extra columns so that every column name appears once.",
                                file=label, row=header_row, column=first))
    if not keep:
        raise _not_a_table(label, "its first row names no columns")

    blank_inside = [n for n in range(header_row + 1, body[-1][0]) if not any(cells[n - 1])] if body else []
    if blank_inside:
        problems.append(Problem(f"{len(blank_inside)} empty row(s) skipped (first: row {blank_inside[0]}).",
                                "Nothing to do if they were meant to be empty.", file=label, severity="warning"))
    names = [header[j] for j in keep]
    frame = pd.DataFrame({name: grid[:, j] for name, j in zip(names, keep)}, columns=names, dtype=str)
    return Table(name=label, rows=frame, row_numbers=[n for n, _ in body], header_row=header_row, problems=problems)
