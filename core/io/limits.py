"""Limits a real pool never reaches, checked before a file is parsed, so hostile input is refused fast.

A pool has at most MAX_ROWS volunteers and a table at most MAX_COLUMNS columns. Before any parsing:
    bytes read             <= MAX_FILE_BYTES
    CSV line breaks        <= MAX_ROWS + a few      (counted in the raw bytes, one pass in C)
    .xlsx: zip entries     <= MAX_ZIP_ENTRIES, and the sum of their declared uncompressed sizes
           <= min(MAX_XML_BYTES, max(MIN_XML_ALLOWANCE, XML_PER_BYTE * bytes uploaded))
A zip's declared sizes are binding: Python's zipfile never returns more bytes than an entry declares,
so a bomb that lies about its size is cut off, not expanded. While a workbook is read, rows beyond
MAX_ROWS and cells beyond MAX_COLUMNS stop the reading.
"""

from __future__ import annotations

import io
import zipfile

from ..errors import InputError, Problem

MAX_ROWS = 100_000
MAX_COLUMNS = 200
MAX_FILE_BYTES = 20 * 2**20  # 20 MB: twice a pool of 100,000 volunteers x 12 columns with e-mails (9.7 MB)
# A pool of 20,000 volunteers x 8 columns written by openpyxl is 0.58 MB expanding to 8.2 MB of XML
# (14x), read in 2.6 s of CPU; Excel's own files compress alike. So:
XML_PER_BYTE = 25  # a workbook may expand to 25 MB of XML per MB uploaded ...
MIN_XML_ALLOWANCE = 16 * 2**20  # ... and any workbook to 16 MB ...
MAX_XML_BYTES = 48 * 2**20  # ... but none beyond 48 MB (about 15 s of reading; larger pools: use CSV)
MAX_ZIP_ENTRIES = 1_000
MB = 2**20


def _refuse(label: str, message: str, fix: str) -> InputError:
    return InputError([Problem(message, fix, file=label)])


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


def check_file_size(data: bytes, label: str) -> None:
    """Refuse a file larger than MAX_FILE_BYTES."""
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(label, f"the file is {_mb(len(data))}, more than the {_mb(MAX_FILE_BYTES)} a pool or quota file may have.",
                      f"A pool has at most {MAX_ROWS:,} volunteers: remove columns the selection does not need, "
                      "or check that this is the right file.")


def check_line_count(data: bytes, label: str) -> None:
    """Refuse text with more than MAX_ROWS rows (header and a few blank lines allowed on top).

    Line breaks are counted in the raw bytes: b"\\n" for 8-bit text and UTF-8, and its two-byte form in
    UTF-16 (the count of b"\\n" then includes them, so it is never an undercount)."""
    lines = data.count(b"\n")
    if lines > MAX_ROWS + 100:
        raise too_many_rows(label)


def too_many_rows(label: str) -> InputError:
    return _refuse(label, f"the file has more than {MAX_ROWS:,} rows.",
                   f"A pool has at most {MAX_ROWS:,} volunteers: check that this is the right file.")


def too_many_columns(label: str, count: int, row: int) -> InputError:
    return InputError([Problem(f"this row has {count:,} cells, more than the {MAX_COLUMNS} columns a table may have.",
                               "Keep the columns the selection needs (id, categories, address) and delete the rest.",
                               file=label, row=row)])


def xml_allowance(uploaded: int) -> int:
    """Bytes of uncompressed XML a workbook of `uploaded` bytes may expand to."""
    return min(MAX_XML_BYTES, max(MIN_XML_ALLOWANCE, XML_PER_BYTE * uploaded))


def check_workbook_zip(data: bytes, label: str) -> None:
    """Refuse an .xlsx whose zip declares too many entries or too much uncompressed data (a zip bomb).

    Not-a-zip files pass: openpyxl reports them as unreadable workbooks."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _refuse(label, f"the workbook holds {len(entries):,} parts, more than {MAX_ZIP_ENTRIES:,}.",
                      "Save the table alone as a new .xlsx or as CSV (UTF-8) and load that.")
    declared = sum(entry.file_size for entry in entries)
    allowed = xml_allowance(len(data))
    if declared > allowed:
        raise _refuse(label, f"the workbook's {_mb(len(data))} expand to {_mb(declared)} of XML, more than the "
                      f"{_mb(allowed)} allowed for its size ({XML_PER_BYTE} MB per MB, at most {_mb(MAX_XML_BYTES)}).",
                      "A pool never needs that much: save the table alone as CSV (UTF-8) and load that.")
