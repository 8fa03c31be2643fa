"""Reading one table (CSV or .xlsx) from a path or from uploaded bytes, as stripped text cells.

`read_table` never guesses silently: a file read in another encoding than UTF-8, rows that are
skipped and similar decisions come back as warning `Problem`s; a file that is not a table at all
raises `InputError` naming the file. Problems that concern single cells (duplicate column names,
rows with more cells than the header) are collected in `Table.problems` so that the loader can
report them together with everything else it finds.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from .errors import InputError, Problem

# Characters that may appear in text read as cp1252 besides letters: if a file decodes to
# anything else (box drawing, superscripts, control characters...) the guess is not trusted.
_PLAUSIBLE_SYMBOLS = set("°€£¥§«»‘’‚“”„–—…·•©®™ªº¿¡½¼¾×÷±µ¢¤¦¨¯´¸¬ \u00a0")
_DELIMITERS = [",", ";", "\t", "|"]
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}


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

    if not data.strip():
        raise InputError([Problem("the file is empty.", "Choose a file with a header row and one row per line.", file=label)])
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError([Problem("this is an old Excel .xls file, which cannot be read.",
                                  "Save it as .xlsx or CSV (UTF-8) and load that.", file=label)])
    warnings: list[Problem] = []
    if data.startswith(b"PK\x03\x04") or suffix in _XLSX_SUFFIXES:
        cells = _xlsx_cells(data, label, warnings)
    else:
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
    if text is not None:
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


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _plausible(text: str) -> bool:
    """True when every non-ASCII character is a letter or a common symbol (not mojibake)."""
    return all(ch.isascii() or ch.isalpha() or ch in _PLAUSIBLE_SYMBOLS for ch in text)


def _guess_encoding(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes  # imported here: only unusual files need it

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
    for ch in text:
        if ch not in "\t\r\n" and unicodedata.category(ch) in ("Cc", "Cs"):
            raise _not_a_table(label, "it contains binary data")
    return text


def _csv_cells(text: str, label: str) -> list[list[str]]:
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    delimiter = max(_DELIMITERS, key=header_line.count) if any(d in header_line for d in _DELIMITERS) else ","
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)]
    except csv.Error as error:
        raise _not_a_table(label, f"the CSV text cannot be split into cells ({error})") from None


def _xlsx_cells(data: bytes, label: str, warnings: list[Problem]) -> list[list[str]]:
    import openpyxl  # imported here: only .xlsx files need it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds of errors on damaged workbooks
        raise _not_a_table(label, f"it is not a readable .xlsx workbook ({type(error).__name__})") from None
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise _not_a_table(label, "the workbook has no sheet")
        if len(sheets) > 1:
            warnings.append(Problem(f"the workbook has {len(sheets)} sheets; only the first, '{sheets[0].title}', was read.",
                                    "Put the table on the first sheet if that is not it.", file=label, severity="warning"))
        return [[_cell_text(value) for value in row] for row in sheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


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
    cells = [[str(c).strip() for c in row] for row in cells]
    numbered = [(i + 1, row) for i, row in enumerate(cells) if any(row)]
    if not numbered:
        raise _not_a_table(label, "it has no rows with content")
    header_row, header = numbered[0]
    body = numbered[1:]
    problems = list(warnings)

    # Columns named by the header; trailing unnamed columns with no data are spreadsheet leftovers.
    width = max(len(row) for _, row in numbered)
    header = header + [""] * (width - len(header))
    keep: list[int] = []
    seen: dict[str, int] = {}
    duplicates: dict[str, list[str]] = {}
    for j, name in enumerate(header):
        has_data = any(j < len(row) and row[j] for _, row in body)
        if not name:
            if has_data:
                first = next(n for n, row in body if j < len(row) and row[j])
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
    data = []
    for number, row in body:
        row = row + [""] * (width - len(row))
        data.append([row[j] for j in keep])
    frame = pd.DataFrame(data, columns=names, dtype=str)
    return Table(name=label, rows=frame, row_numbers=[n for n, _ in body], header_row=header_row, problems=problems)
