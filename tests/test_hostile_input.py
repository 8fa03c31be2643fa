"""Hostile and careless input is refused before parsing, with a message naming the file and the limit;
unusual but honest files (UTF-16 without BOM, the pool on another sheet) are read or named."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

from benchmarks.bench_hostile_input import write_xlsx_bomb
from core.errors import InputError
from core.io.limits import MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, xml_allowance
from core.io.loaders import load_instance
from core.io.tables import read_table

POOL = "id,gender,age\n1,f,young\n2,m,old\n3,f,old\n4,m,young\n"
QUOTAS = "category,feature,min,max\ngender,f,1,2\ngender,m,1,2\nage,young,0,2\nage,old,0,2\n"


def refusal(data: bytes, name: str) -> str:
    with pytest.raises(InputError) as caught:
        read_table(data, name)
    return str(caught.value)


def test_a_file_above_the_size_limit_is_refused_before_parsing() -> None:
    row = b"12345,female,16-29,North East,degree\n"
    data = b"id,gender,age,region,education\n" + row * (MAX_FILE_BYTES // len(row) + 10)
    message = refusal(data, "big.csv")
    assert "big.csv" in message and f"{MAX_FILE_BYTES / 2**20:.1f} MB" in message and "more than" in message


def test_more_rows_than_any_pool_are_refused() -> None:
    data = b"id\n" + b"".join(b"%d\n" % i for i in range(MAX_ROWS + 500))
    message = refusal(data, "long.csv")
    assert "long.csv" in message and f"more than {MAX_ROWS:,} rows" in message


def test_a_pool_at_the_row_limit_is_read() -> None:
    data = b"id,gender\n" + b"".join(b"%d,%s\n" % (i, b"fm"[i % 2:i % 2 + 1]) for i in range(MAX_ROWS))
    table = read_table(data, "pool.csv")
    assert len(table.rows) == MAX_ROWS and table.rows["gender"].iloc[-1] == "m"


def test_more_columns_than_any_table_are_refused() -> None:
    header = ",".join(f"c{j}" for j in range(MAX_COLUMNS + 1))
    message = refusal(f"{header}\n{','.join('x' * (MAX_COLUMNS + 1))}\n".encode(), "wide.csv")
    assert "wide.csv, row 1" in message and f"{MAX_COLUMNS} columns" in message


def test_an_xlsx_bomb_is_refused_from_its_declared_sizes(tmp_path) -> None:
    path = tmp_path / "bomb.xlsx"
    write_xlsx_bomb(path, xml_bytes=40 * 2**20)
    data = path.read_bytes()
    assert len(data) < 2**20 and xml_allowance(len(data)) < 40 * 2**20  # a small file expanding 40 MB
    message = refusal(data, "bomb.xlsx")
    assert "bomb.xlsx" in message and "of XML" in message and "25 MB per MB" in message


def test_a_genuine_workbook_of_forty_thousand_volunteers_is_within_the_allowance() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "gender", "age", "region", "email"])
    for i in range(40_000):
        sheet.append([f"p{i}", "fm"[i % 2], f"age{i % 5}", f"region{i % 12}", f"person{i}@example.org"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    declared = sum(item.file_size for item in zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert declared > 10 * len(data)  # more than 10 MB of XML per MB: a ratio of 10 would refuse it
    assert declared <= xml_allowance(len(data))


def test_a_workbook_with_a_million_declared_rows_reads_only_its_cells() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "gender"])
    sheet.append(["1", "f"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    # claim the whole sheet in the dimension element, as a hostile file may
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="A1:B2"\s*/>', b'<dimension ref="A1:XFD1048576"/>', content)
                assert b"XFD1048576" in content
            target.writestr(item, content)
    table = read_table(out.getvalue(), "claims.xlsx")
    assert table.columns == ["id", "gender"] and len(table.rows) == 1


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read_and_named(encoding: str) -> None:
    table = read_table("id,gender\n1,fé\n2,m\n".encode(encoding), "pool.csv")
    assert table.rows["gender"].tolist() == ["fé", "m"]
    assert any("UTF-16" in p.message and "byte-order mark" in p.message for p in table.problems)


def test_an_unclosed_quote_names_its_line() -> None:
    message = refusal(b'id,gender\n1,f\n2,"m\n3,f\n4,m\n', "quotes.csv")
    assert "quotes.csv, row 3" in message and "opened on line 3 is never closed" in message


def test_a_closed_quote_spanning_lines_is_a_cell() -> None:
    table = read_table(b'id,address\n1,"High St\nLeeds"\n2,Low Rd\n', "pool.csv")
    assert table.rows["address"].tolist() == ["High St\nLeeds", "Low Rd"]


def _workbook(*sheets: tuple[str, list[list[str]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_pool_behind_an_empty_first_sheet_is_read_and_the_sheet_named() -> None:
    data = _workbook(("Instructions", []), ("Volunteers", [["id", "gender"], ["1", "f"]]))
    table = read_table(data, "pool.xlsx")
    assert table.columns == ["id", "gender"]
    assert any("'Instructions', is empty" in p.message and "'Volunteers'" in p.message for p in table.problems)


def test_a_second_sheet_with_data_is_named() -> None:
    data = _workbook(("Notes", [["read me first"]]), ("Pool", [["id", "gender"], ["1", "f"]]))
    table = read_table(data, "pool.xlsx")
    assert any("'Pool' also hold data" in p.message for p in table.problems)


def test_a_quota_bound_of_ten_to_the_thirty_names_file_row_and_column() -> None:
    quotas = QUOTAS.replace("age,young,0,2", "age,young,0,1000000000000000000000000000000")
    with pytest.raises(InputError) as caught:
        load_instance(POOL.encode(), quotas.encode(), 2, pool_name="pool.csv", quotas_name="quotas.csv")
    problem = caught.value.problems[0]
    assert (problem.file, problem.row, problem.column) == ("quotas.csv", 4, "max")
    assert "1.0e+30" in problem.message and "above 1,000,000" in problem.message


def test_an_edited_bound_of_ten_to_the_thirty_is_refused() -> None:
    from core.views.quota_editing import quota_table, quotas_from_table

    instance = load_instance(POOL.encode(), QUOTAS.encode(), 2, pool_name="pool.csv", quotas_name="quotas.csv")
    table = quota_table(instance, None)
    table["max"] = table["max"].astype(float)  # as the editor returns a number typed as 1e30
    table.loc[0, "max"] = 1e30
    with pytest.raises(InputError) as caught:
        quotas_from_table(instance, table)
    assert caught.value.problems[0].column == "max" and "above 1,000,000" in caught.value.problems[0].message


def test_a_scenario_file_with_a_bound_of_ten_to_the_thirty_is_refused() -> None:
    import json

    from core.io.scenarios import scenarios_from_json

    instance = load_instance(POOL.encode(), QUOTAS.encode(), 2, pool_name="pool.csv", quotas_name="quotas.csv")
    document = {"format": "sortition-workbench scenarios", "version": 1,
                "scenarios": [{"name": "huge", "k": 2,
                               "quotas": [{"category": "gender", "value": "f", "min": 0, "max": 10**30}]}]}
    with pytest.raises(InputError, match="from 0 to 1,000,000"):
        scenarios_from_json(json.dumps(document), "scenarios.json", instance)
