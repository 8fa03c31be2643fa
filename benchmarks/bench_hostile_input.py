"""Hostile and oversized input: how long reading takes and how much memory it peaks at.

Cases (each read by core.io.tables.read_table in a fresh process, so peak memory is its own):
  csv_50mb      a 50 MB CSV (about 510,000 volunteers): refused by size before parsing
  csv_limit     the largest CSV accepted: 100,000 volunteers x 12 columns
  xlsx_bomb     a 0.3-1 MB .xlsx whose sheet expands to 300 MB of XML: refused from the zip's sizes
  xlsx_20k      a real workbook of 20,000 volunteers x 8 columns (read normally)
Each case prints: wall seconds, CPU seconds of the reading (imports excluded), peak resident memory of its
process (MB, including Python and pandas, about 100 MB), and the outcome (rows read, or the first line of the refusal).

    OMP_NUM_THREADS=1 python -m benchmarks.bench_hostile_input [--timeout 200] [--cases csv_50mb,xlsx_bomb]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = "id,gender,age,region,education,ethnicity,urban,concern,email,phone,street,town\n"


def _csv_row(i: int) -> str:
    return (f"p{i},{'fm'[i % 2]},age{i % 5},region{i % 12},edu{i % 3},eth{i % 4},{'ur'[i % 2]},c{i % 5},"
            f"person{i}@example.org,+44 7700 {i % 1000000:06d},{i % 997} High Street,Town {i % 311}\n")


def write_csv(path: Path, *, target_bytes: int | None = None, rows: int | None = None) -> None:
    """A pool CSV of `rows` volunteers, or of about `target_bytes` bytes."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        size, i = len(HEADER), 0
        while (rows is not None and i < rows) or (target_bytes is not None and size < target_bytes):
            line = _csv_row(i)
            out.write(line)
            size += len(line)
            i += 1


_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  '<Default Extension="xml" ContentType="application/xml"/>'
                  '<Override PartName="/xl/workbook.xml" '
                  'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                  '<Override PartName="/xl/worksheets/sheet1.xml" '
                  'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                  '</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" '
         'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
         '</Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
             '<sheet name="pool" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                  'Target="worksheets/sheet1.xml"/>'
                  '</Relationships>')


def write_xlsx_bomb(path: Path, xml_bytes: int = 300 * 2**20) -> None:
    """A minimal .xlsx whose one sheet is `xml_bytes` of repetitive rows (compresses about 300-1000x)."""
    row = "".join('<c t="inlineStr"><is><t>x</t></is></c>' for _ in range(20))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            head = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                    'spreadsheetml/2006/main"><sheetData>').encode()
            sheet.write(head)
            written = len(head)
            chunk = ("".join(f"<row>{row}</row>" for _ in range(1000))).encode()
            while written < xml_bytes:
                sheet.write(chunk)
                written += len(chunk)
            sheet.write(b"</sheetData></worksheet>")


def write_xlsx(path: Path, rows: int) -> None:
    """A genuine workbook written by openpyxl: `rows` volunteers, 8 columns."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("pool")
    sheet.append(HEADER.strip().split(",")[:8])
    for i in range(rows):
        sheet.append(_csv_row(i).strip().split(",")[:8])
    workbook.save(path)


_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from core.errors import InputError
from core.io.tables import read_table
started, cpu = time.perf_counter(), time.process_time()
try:
    table = read_table({path!r})
    outcome = f"read {{len(table.rows):,}} rows x {{len(table.columns)}} columns"
except InputError as error:
    outcome = "refused: " + str(error.problems[0])
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({{"seconds": seconds, "cpu": cpu, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "outcome": outcome}}))
"""


def measure(path: Path, timeout: float) -> dict:
    """Read `path` in a fresh Python process; its time, peak memory and outcome (or the timeout)."""
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD.format(root=str(ROOT), path=str(path))],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"seconds": time.perf_counter() - started, "cpu": float("nan"), "peak_mb": float("nan"),
                "outcome": f"still reading after {timeout:g} s"}
    if done.returncode != 0:
        return {"seconds": time.perf_counter() - started, "cpu": float("nan"), "peak_mb": float("nan"),
                "outcome": "crashed: " + done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


CASES = {
    "csv_50mb": ("pool_50mb.csv", lambda p: write_csv(p, target_bytes=50 * 2**20)),
    "csv_limit": ("pool_100k.csv", lambda p: write_csv(p, rows=100_000)),
    "xlsx_bomb": ("bomb.xlsx", write_xlsx_bomb),
    "xlsx_20k": ("pool_20k.xlsx", lambda p: write_xlsx(p, 20_000)),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=200.0, help="seconds before a case counts as hung")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of " + ", ".join(CASES))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        for name in args.cases.split(","):
            file_name, write = CASES[name]
            path = Path(folder) / file_name
            write(path)
            figures = measure(path, args.timeout)
            print(f"{name:10s} {path.stat().st_size / 2**20:7.1f} MB file  {figures['seconds']:7.2f} s  "
                  f"cpu {figures.get('cpu', float('nan')):6.2f} s  "
                  f"peak {figures['peak_mb']:6.0f} MB  {figures['outcome'][:110]}", flush=True)


if __name__ == "__main__":
    main()
