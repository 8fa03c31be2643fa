"""Reading pools and quotas: both formats, CSV and xlsx, encodings, headers, and malformed input."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import InputError
from core.io.loaders import load_instance
from core.io.tables import read_table
from core.model import Instance, Quota

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

REPLICATION_QUOTAS = "category,feature,min,max\ngender,female,1,2\ngender,male,1,2\nage,young,1,2\nage,old,1,2\n"
SF_QUOTAS = "feature,value,min,max,min_flex,max_flex\ngender,female,1,2,0,3\ngender,male,1,2,,\nage,young,1,2,0,\nage,old,1,2,,4\n"
POOL = "id,gender,age,email\nA7,female,young,a@x.org\nB2,male,old,b@x.org\nC3,female,old,c@x.org\nD4,male,young,d@x.org\n"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def xlsx_bytes(text: str, sheets: int = 1) -> bytes:
    """A workbook with the CSV `text` on its first sheet, numbers stored as numbers."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in text.strip().splitlines():
        sheet.append([int(c) if c.lstrip("-").isdigit() else (c or None) for c in line.split(",")])
    for i in range(1, sheets):
        workbook.create_sheet(f"notes {i}").append(["nothing", "here"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_replication_format_csv(tmp_path):
    instance = load_instance(write(tmp_path, "pool.csv", POOL), write(tmp_path, "quotas.csv", REPLICATION_QUOTAS), 2)
    assert instance.categories == ["gender", "age"]
    assert instance.quotas[0] == Quota("gender", "female", 1, 2)
    assert instance.ids == ["A7", "B2", "C3", "D4"]
    assert instance.sources == {"pool": "pool.csv", "quotas": "quotas.csv"}
    assert instance.codes.tolist() == [[0, 0], [1, 1], [0, 1], [1, 0]]
    assert instance.warnings == []


def test_extra_pool_columns_are_carried(tmp_path):
    instance = load_instance(write(tmp_path, "pool.csv", POOL), write(tmp_path, "quotas.csv", REPLICATION_QUOTAS), 2)
    assert list(instance.pool.columns) == ["id", "gender", "age", "email"]
    assert instance.pool["email"].tolist() == ["a@x.org", "b@x.org", "c@x.org", "d@x.org"]


def test_sortition_foundation_format_with_flex(tmp_path):
    instance = load_instance(write(tmp_path, "pool.csv", POOL), write(tmp_path, "quotas.csv", SF_QUOTAS), 2)
    assert instance.categories == ["gender", "age"]
    assert instance.quotas == [Quota("gender", "female", 1, 2, 0, 3), Quota("gender", "male", 1, 2, None, None),
                               Quota("age", "young", 1, 2, 0, None), Quota("age", "old", 1, 2, None, 4)]
    assert instance.ids[0] == "A7"


def test_ids_are_row_numbers_without_id_column(tmp_path):
    pool = "gender,age\nfemale,young\nmale,old\n"
    instance = load_instance(write(tmp_path, "pool.csv", pool), write(tmp_path, "quotas.csv", REPLICATION_QUOTAS), 2)
    assert instance.ids == ["1", "2"]


def test_id_column_option_picks_another_column(tmp_path):
    instance = load_instance(write(tmp_path, "pool.csv", POOL), write(tmp_path, "quotas.csv", REPLICATION_QUOTAS), 2,
                             id_column="EMAIL")
    assert instance.ids[1] == "b@x.org"


def test_headers_match_ignoring_case_and_spaces(tmp_path):
    quotas = " Category ,FEATURE, Min,MAX \nGender,female,1,2\nGender,male,1,2\nage,young,1,2\nage,old,1,2\n"
    pool = " ID ,gender, Age \nA7,female,young\nB2,male,old\n"
    instance = load_instance(write(tmp_path, "pool.csv", pool), write(tmp_path, "quotas.csv", quotas), 2)
    # the pool's own spelling of its columns is kept, so outputs show what the user wrote
    assert instance.categories == ["gender", "Age"]
    assert list(instance.pool.columns) == ["ID", "gender", "Age"]
    assert instance.ids == ["A7", "B2"]


def test_values_match_ignoring_case_with_a_warning(tmp_path):
    pool = POOL.replace("A7,female", "A7,FEMALE").replace("B2,male", "B2,Male")
    instance = load_instance(write(tmp_path, "pool.csv", pool), write(tmp_path, "quotas.csv", REPLICATION_QUOTAS), 2)
    assert instance.codes.tolist() == [[0, 0], [1, 1], [0, 1], [1, 0]]
    assert instance.pool["gender"].tolist()[:2] == ["FEMALE", "Male"]  # the user's data is not changed
    assert instance.values("gender") == ["female", "male"]
    warnings = {(w.row, w.column) for w in instance.warnings}
    assert warnings == {(2, "gender"), (3, "gender")}
    assert all("quota file's spelling" in w.message for w in instance.warnings)


def test_ambiguous_case_matching_is_refused(tmp_path):
    quotas = REPLICATION_QUOTAS + "gender,Male,0,1\n"  # duplicate ignoring case
    with pytest.raises(InputError) as caught:
        load_instance(write(tmp_path, "pool.csv", POOL), write(tmp_path, "quotas.csv", quotas), 2)
    assert any("duplicate quota row" in p.message for p in caught.value.problems)


def test_cells_are_trimmed(tmp_path):
    pool = "id, gender ,age\n A7 , female ,young\nB2,male,  old\n"
    instance = load_instance(write(tmp_path, "pool.csv", pool), write(tmp_path, "quotas.csv", REPLICATION_QUOTAS), 2)
    assert instance.pool.iloc[0].tolist() == ["A7", "female", "young"]
    assert instance.codes.tolist() == [[0, 0], [1, 1]]


def test_utf8_with_bom(tmp_path):
    pool = write(tmp_path, "pool.csv", "\ufeff" + POOL)
    quotas = write(tmp_path, "quotas.csv", "\ufeff" + REPLICATION_QUOTAS)
    instance = load_instance(pool, quotas, 2)
    assert instance.ids[0] == "A7" and instance.warnings == []


def test_cp1252_is_read_and_reported(tmp_path):
    quotas = "category,feature,min,max\nrégion,Île-de-France,0,2\nrégion,Côte d’Azur,0,2\n"
    pool = "id,région\n1,Île-de-France\n2,Côte d’Azur\n3,Île-de-France\n"
    instance = load_instance(write(tmp_path, "pool.csv", pool, "cp1252"), write(tmp_path, "quotas.csv", quotas, "cp1252"), 2)
    assert instance.values("région") == ["Île-de-France", "Côte d’Azur"]
    assert instance.codes[:, 0].tolist() == [0, 1, 0]
    encodings = [w for w in instance.warnings if "cp1252" in w.message]
    assert {w.file for w in encodings} == {"pool.csv", "quotas.csv"}


def test_utf16_with_bom_is_read(tmp_path):
    instance = load_instance(write(tmp_path, "pool.csv", POOL.replace(",", "\t"), "utf-16"),
                             write(tmp_path, "quotas.csv", REPLICATION_QUOTAS), 2)
    assert instance.n == 4 and any("UTF-16" in w.message for w in instance.warnings)


def test_semicolon_separated_csv(tmp_path):
    instance = load_instance(write(tmp_path, "pool.csv", POOL.replace(",", ";")),
                             write(tmp_path, "quotas.csv", REPLICATION_QUOTAS.replace(",", ";")), 2)
    assert instance.n == 4 and instance.quotas[0].max == 2


def test_quoted_cells_keep_commas(tmp_path):
    pool = 'id,gender,age,address\n1,female,young,"1 High St, Leeds"\n2,male,old,"2 Low Rd, York"\n'
    instance = load_instance(write(tmp_path, "pool.csv", pool), write(tmp_path, "quotas.csv", REPLICATION_QUOTAS), 2)
    assert instance.pool["address"].tolist() == ["1 High St, Leeds", "2 Low Rd, York"]


def test_blank_rows_are_skipped_and_rows_keep_their_numbers(tmp_path):
    pool = "id,gender,age\n1,female,young\n\n2,male,old\n3,female,\n\n\n"
    with pytest.raises(InputError) as caught:
        load_instance(write(tmp_path, "pool.csv", pool), write(tmp_path, "quotas.csv", REPLICATION_QUOTAS), 2)
    empty = next(p for p in caught.value.problems if p.message == "empty cell.")
    assert (empty.row, empty.column) == (5, "age")
    skipped = next(p for p in caught.value.problems if "skipped" in p.message)
    assert skipped.severity == "warning" and "row 3" in skipped.message


@pytest.mark.parametrize("quotas", [REPLICATION_QUOTAS, SF_QUOTAS])
def test_xlsx_from_path_and_from_bytes(tmp_path, quotas):
    (tmp_path / "pool.xlsx").write_bytes(xlsx_bytes(POOL))
    (tmp_path / "quotas.xlsx").write_bytes(xlsx_bytes(quotas))
    from_path = load_instance(tmp_path / "pool.xlsx", tmp_path / "quotas.xlsx", 2)
    from_bytes = load_instance(xlsx_bytes(POOL), xlsx_bytes(quotas), 2, pool_name="pool.xlsx", quotas_name="quotas.xlsx")
    for instance in (from_path, from_bytes):
        assert instance.quotas[0].min == 1 and instance.quotas[0].max == 2
        assert instance.ids == ["A7", "B2", "C3", "D4"]
        assert instance.sources == {"pool": "pool.xlsx", "quotas": "quotas.xlsx"}
    assert from_path.fingerprint() == from_bytes.fingerprint()


def test_xlsx_is_detected_from_content_whatever_the_name(tmp_path):
    instance = load_instance(xlsx_bytes(POOL), REPLICATION_QUOTAS.encode(), 2, pool_name="upload", quotas_name="q.csv")
    assert instance.n == 4


def test_xlsx_numbers_read_as_written():
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "min", "share", "when"])
    workbook.active.append([7, 3.0, 0.25, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), "t.xlsx")
    assert table.rows.iloc[0].tolist() == ["7", "3", "0.25", ""]


def test_xlsx_with_several_sheets_warns():
    table = read_table(xlsx_bytes(POOL, sheets=2), "pool.xlsx")
    assert len(table.rows) == 4 and any("2 sheets" in p.message for p in table.problems)


def test_bytes_without_a_name_are_called_uploaded_file():
    with pytest.raises(InputError) as caught:
        load_instance(b"", REPLICATION_QUOTAS.encode(), 2)
    assert caught.value.problems[0].file == "uploaded file"


@pytest.mark.parametrize("shares, expected", [(("0.5", "0.5"), 0.5), (("51", "49"), 0.51), (("51%", "49%"), 0.51),
                                              (("0.333", "0.667"), 0.333)])
def test_population_shares_as_fractions_or_percentages(tmp_path, shares, expected):
    quotas = ("category,feature,min,max,population_share\n"
              f"gender,female,1,2,{shares[0]}\ngender,male,1,2,{shares[1]}\nage,young,1,2,\nage,old,1,2,\n")
    instance = load_instance(write(tmp_path, "pool.csv", POOL), write(tmp_path, "quotas.csv", quotas), 2)
    assert instance.population_shares[("gender", "female")] == pytest.approx(expected)
    assert ("age", "young") not in instance.population_shares


def test_no_population_share_column_means_none(tmp_path):
    instance = load_instance(write(tmp_path, "pool.csv", POOL), write(tmp_path, "quotas.csv", REPLICATION_QUOTAS), 2)
    assert instance.population_shares is None


def test_household_columns_resolved_to_pool_spelling(tmp_path):
    pool = "id,gender,age,Street,Town\n1,female,young,a,x\n2,male,old,a,x\n3,female,old,a,y\n4,male,young,b,y\n"
    instance = load_instance(write(tmp_path, "pool.csv", pool), write(tmp_path, "quotas.csv", REPLICATION_QUOTAS), 2,
                             household=["street", "TOWN"])
    assert instance.household == ["Street", "Town"]
    types = instance.types
    assert [sorted(int(types.members[t][0]) for t in group) for group in types.households] == [[0, 1]]
    assert types.counts[np.concatenate(types.households)].tolist() == [1, 1]  # only they are split off


def test_example_small_20():
    folder = SHARED / "example_small_20"
    if not folder.exists():
        pytest.skip("shared data not present")
    instance = load_instance(folder / "respondents.csv", folder / "categories.csv", 20)
    assert (instance.n, instance.k, len(instance.categories)) == (200, 20, 2)
    assert instance.warnings == []
    assert instance.types.counts.sum() == 200


# ---- property tests: malformed input only ever gives an Instance or an InputError ----

VALID_QUOTAS = REPLICATION_QUOTAS.encode()
VALID_POOL = POOL.encode()
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load_or_input_error(pool: bytes, quotas: bytes, k: int = 2, **names) -> None:
    try:
        result = load_instance(pool, quotas, k, **names)
    except InputError as error:
        assert error.problems and any(p.severity == "error" for p in error.problems)
        assert all(str(p) for p in error.problems)
        return
    assert isinstance(result, Instance)
    assert (result.codes >= 0).all()  # every volunteer's value has a quota


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_as_pool_or_quotas(data):
    load_or_input_error(data, VALID_QUOTAS, pool_name="pool.csv")
    load_or_input_error(VALID_POOL, data, quotas_name="quotas.xlsx")


CSV_ALPHABET = st.sampled_from(list("abc,;\"\n\r\t -1.5%") + ["gender", "age", "female", "min", "max", "category",
                                                                "feature", "value", "id", "é", "\ufeff"])


@FAST
@given(st.lists(CSV_ALPHABET, max_size=60).map("".join), st.lists(CSV_ALPHABET, max_size=60).map("".join))
def test_random_csv_text(pool_text, quota_text):
    load_or_input_error(pool_text.encode(), VALID_QUOTAS, pool_name="pool.csv")
    load_or_input_error(VALID_POOL, quota_text.encode(), quotas_name="quotas.csv")
    load_or_input_error(pool_text.encode("utf-8"), quota_text.encode("utf-16"))


CELL = st.one_of(st.sampled_from(["", " ", "female", "Male", "young", "OLD", "0", "1", "2", "-1", "2.5", "x", "1e9",
                                  "99999999999999999999", "nan", "50%", "\"", ","]), st.text(max_size=5))


@FAST
@given(st.lists(st.tuples(CELL, CELL, CELL, CELL), max_size=6), st.lists(st.tuples(CELL, CELL, CELL), max_size=6),
       st.integers(min_value=-2, max_value=8))
def test_random_cells_under_valid_headers(quota_rows, pool_rows, k):
    def csv_text(header: str, rows) -> bytes:
        def quote(cell: str) -> str:
            return '"' + cell.replace('"', '""') + '"'

        return (header + "\n" + "".join(",".join(quote(c) for c in row) + "\n" for row in rows)).encode()

    quotas = csv_text("category,feature,min,max", [("gender", *r[1:]) if i % 2 else ("age", *r[1:]) for i, r in enumerate(quota_rows)])
    pool = csv_text("id,gender,age", pool_rows)
    load_or_input_error(pool, quotas, k)
    sf_quotas = csv_text("feature,value,min,max,min_flex,max_flex,population_share", [r + r[2:] for r in quota_rows])
    load_or_input_error(pool, sf_quotas, k)


def test_numpy_integer_k_is_accepted(tmp_path):
    import numpy as np

    instance = load_instance(write(tmp_path, "pool.csv", POOL), write(tmp_path, "quotas.csv", REPLICATION_QUOTAS), np.int64(2))
    assert instance.k == 2 and type(instance.k) is int
