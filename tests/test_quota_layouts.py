"""Every quota layout in use, as organisers' tools write them: extra columns, note rows, any case.

The example files are written here (CSV and .xlsx) in the shapes the Sortition Foundation's desktop
app, OpenDLP's documentation and the Diversimax example data use.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from core.cli import main
from core.errors import InputError
from core.io.loaders import load_instance
from core.model import Quota

# a lower-cased pool: headers and values differ in case from the quota files below
POOL = ("nationbuilder_id,gender,age band,primary_address1,primary_zip\n"
        "11,female,16-29,1 high st,ab1\n12,male,30+,2 high st,ab1\n13,female,30+,3 high st,ab2\n"
        "14,male,16-29,4 high st,ab2\n15,female,30+,5 high st,ab3\n")

EXPECTED = [Quota("Gender", "Female", 1, 2), Quota("Gender", "Male", 1, 2),
            Quota("Age band", "16-29", 1, 2), Quota("Age band", "30+", 1, 3)]

# header, then rows; "" cells are empty; the layouts' own columns plus what real files carry
LAYOUT_ROWS = {
    "replication": [["category", "feature", "min", "max"],
                    ["Gender", "Female", 1, 2], ["Gender", "Male", 1, 2],
                    ["Age band", "16-29", 1, 2], ["Age band", "30+", 1, 3]],
    "sortition_foundation": [["feature", "value", "min", "max", "min_flex", "max_flex", "Notes"],
                             ["Gender", "Female", 1, 2, 0, 3, "census 2021"], ["Gender", "Male", 1, 2, "", "", ""],
                             ["Age band", "16-29", 1, 2, "", "", ""], ["Age band", "30+", 1, 3, "", "", ""]],
    "older_sortition_foundation": [
        ["category", "name", "min", "max", "min_flex", "max_flex", "", "suggest min", "suggest max", "Current #", "Notes"],
        ["Gender", "Female", 1, 2, 0, 3, "", 1, 2, 3, ""],
        ["gender ", "Male", 1, 2, "", "", "", 1, 2, 2, "same category, other case"],
        ["", "", "", "", "", "", "", "", "", "", "Age: bands from the census"],
        ["Age band", "16-29", 1, 2, "", "", "", 1, 2, 2, ""],
        ["Age band", "30+", 1, 3, "", "", "", 2, 3, 3, ""],
        ["", "Total", "", "", "", "", "", "", "", 10, "a totals row"]],
}


def write_layout(folder: Path, layout: str, suffix: str) -> Path:
    """The example quota file of a layout as CSV or .xlsx (numbers stored as numbers)."""
    rows = LAYOUT_ROWS[layout]
    path = folder / f"{layout}.{suffix}"
    if suffix == "csv":
        path.write_text("\n".join(",".join(str(c) for c in row) for row in rows) + "\n", encoding="utf-8")
    else:
        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append([None if c == "" else c for c in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        path.write_bytes(buffer.getvalue())
    return path


def pool_file(folder: Path) -> Path:
    path = folder / "pool.csv"
    path.write_text(POOL, encoding="utf-8")
    return path


def refused(folder: Path, quotas: str) -> list:
    """The problems reported when the quota file `quotas` (CSV text) is loaded with the pool above."""
    path = folder / "quotas.csv"
    path.write_text(quotas, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_instance(pool_file(folder), path, 3)
    return caught.value.problems


def bounds(instance) -> list[tuple]:
    return [(q.category.casefold(), q.value, q.min, q.max) for q in instance.quotas]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
@pytest.mark.parametrize("layout", list(LAYOUT_ROWS))
def test_every_layout_loads_unedited(tmp_path: Path, layout: str, suffix: str) -> None:
    instance = load_instance(pool_file(tmp_path), write_layout(tmp_path, layout, suffix), 3,
                             id_column="nationbuilder_id")
    assert bounds(instance) == [(q.category.casefold(), q.value, q.min, q.max) for q in EXPECTED]
    assert instance.categories == ["gender", "age band"]  # the pool's spelling of the columns
    assert instance.codes.tolist() == [[0, 0], [1, 1], [0, 1], [1, 0], [0, 1]]  # lower-cased pool values
    assert instance.ids[0] == "11"
    if layout != "replication":
        assert (instance.quotas[0].min_flex, instance.quotas[0].max_flex) == (0, 3)
    notes = [w for w in instance.warnings if "skipped as notes" in str(w)]
    if layout == "older_sortition_foundation":
        assert len(notes) == 1 and "rows 4, 7" in str(notes[0])
    else:
        assert notes == []


def test_unnamed_column_with_data_and_repeated_note_columns_are_ignored(tmp_path: Path) -> None:
    quotas = ("category,name,min,max,,Notes,Notes\nGender,Female,1,2,x,a,b\nGender,Male,1,2,,,\n"
              "Age band,16-29,1,2,,,\nAge band,30+,1,3,,,\n")
    path = tmp_path / "quotas.csv"
    path.write_text(quotas, encoding="utf-8")
    instance = load_instance(pool_file(tmp_path), path, 3)
    assert bounds(instance)[0] == ("gender", "Female", 1, 2)
    assert sum("ignored" in str(w) for w in instance.warnings) == 2


def test_only_exact_bound_columns_are_bounds(tmp_path: Path) -> None:
    """`suggest min` and `Current #` are not bounds: without `min` the file is refused, naming it."""
    (problem,) = refused(tmp_path, "category,name,suggest min,max,Current #\nGender,Female,1,2,3\n")
    assert problem.column == "min" and "Add a column 'min'" in str(problem)


def test_a_row_with_a_category_but_no_bounds_is_an_error(tmp_path: Path) -> None:
    problems = refused(tmp_path, "category,name,min,max\nGender,Female,1,2\nGender,Male,,2\n,,,\n,note,,\n")
    assert [(p.row, p.column) for p in problems if p.severity == "error"] == [(3, "min")]
    assert any("row(s) with an empty category cell skipped" in str(p) for p in problems)


def test_missing_value_column_names_every_layout_that_fits(tmp_path: Path) -> None:
    assert "Add a column 'feature' (or 'name')" in str(refused(tmp_path, "category,min,max\nGender,1,2\n")[0])
    text = str(refused(tmp_path, "kind,label,min,max\nGender,Female,1,2\n")[0])
    assert "'category,name,min,max'" in text and "'feature,value,min,max'" in text


def test_a_file_of_only_note_rows_has_no_quotas(tmp_path: Path) -> None:
    problems = refused(tmp_path, "category,name,min,max,Notes\n,,,,to be filled in\n")
    assert any("no quota rows" in str(p) for p in problems)


@pytest.mark.parametrize("layout", list(LAYOUT_ROWS))
def test_cli_check_reads_every_layout(tmp_path: Path, layout: str, capsys) -> None:
    status = main(["check", "--pool", str(pool_file(tmp_path)), "--quotas", str(write_layout(tmp_path, layout, "xlsx")),
                   "--k", "3", "--id-column", "nationbuilder_id", "--household", "primary_address1,primary_zip"])
    out = capsys.readouterr().out
    assert status == 0 and "feasible" in out
    assert "5 distinct addresses, none shared" in out


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_uploaded_bytes_load_as_the_app_reads_them(tmp_path: Path, suffix: str) -> None:
    """The app passes uploaded files as bytes with their names."""
    quotas = write_layout(tmp_path, "older_sortition_foundation", suffix)
    instance = load_instance(POOL.encode(), quotas.read_bytes(), 3, pool_name="pool.csv",
                             quotas_name=f"categories.{suffix}", household="primary_address1,primary_zip")
    assert bounds(instance) == [(q.category.casefold(), q.value, q.min, q.max) for q in EXPECTED]
    assert instance.sources == {"pool": "pool.csv", "quotas": f"categories.{suffix}"}
    assert not instance.types.households
