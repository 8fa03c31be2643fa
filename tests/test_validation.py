"""Every validation check: the problem is found, and it names the file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.analysis.feasibility import check
from core.errors import InputError, Problem
from core.io.loaders import load_instance
from core.io.validation import check_quotas, parse_whole_number
from core.model import Quota

QUOTAS = "category,feature,min,max\ngender,female,1,3\ngender,male,1,3\nage,young,1,3\nage,old,1,3\n"
POOL = "id,gender,age\n1,female,young\n2,male,old\n3,female,old\n4,male,young\n5,female,young\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, pool: str = POOL, quotas: str = QUOTAS, k: int = 4, **options):
    return load_instance(write(tmp_path, "pool.csv", pool), write(tmp_path, "quotas.csv", quotas), k, **options)


def problems_of(tmp_path: Path, pool: str = POOL, quotas: str = QUOTAS, k: int = 4, **options) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load(tmp_path, pool, quotas, k, **options)
    return caught.value.problems


def feasibility_problems_of(tmp_path: Path, pool: str = POOL, quotas: str = QUOTAS, k: int = 4) -> list[Problem]:
    """Quotas the pool or k cannot meet load fine; the feasibility report names them (with a repair)."""
    report = check(load(tmp_path, pool, quotas, k))
    assert not report.feasible
    return report.impossible


def only(problems: list[Problem], text: str) -> Problem:
    """The single error whose message contains `text`."""
    found = [p for p in problems if text in p.message and p.severity == "error"]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def at(problem: Problem, file: str | None, row: int | None, column: str | None) -> None:
    assert (problem.file, problem.row, problem.column) == (file, row, column), str(problem)
    assert problem.fix, "every problem says what to do"


def test_the_valid_instance_loads(tmp_path):
    instance = load(tmp_path)
    assert instance.n == 5 and instance.warnings == []


def test_missing_required_quota_column(tmp_path):
    problems = problems_of(tmp_path, quotas="category,feature,min\ngender,female,1\n")
    at(only(problems, "missing column"), "quotas.csv", 1, "max")


def test_quota_header_of_no_known_layout(tmp_path):
    problems = problems_of(tmp_path, quotas="group,level,low,high\ngender,female,1,3\n")
    at(only(problems, "no known layout"), "quotas.csv", 1, None)


def test_duplicate_pool_columns(tmp_path):
    problems = problems_of(tmp_path, pool="id,gender,age, Gender\n1,female,young,x\n")
    at(only(problems, "duplicate column"), "pool.csv", 1, "gender")


def test_duplicate_quota_columns(tmp_path):
    problems = problems_of(tmp_path, quotas="category,feature,min,max,MIN\ngender,female,1,3,1\n")
    at(only(problems, "duplicate column"), "quotas.csv", 1, "min")


def test_pool_value_without_quota_row(tmp_path):
    problems = problems_of(tmp_path, pool=POOL + "6,other,young\n7,other,old\n")
    problem = only(problems, "no quota row")
    at(problem, "pool.csv", 7, "gender")
    assert "'other'" in problem.message and "2 volunteers" in problem.message


def test_quota_row_no_volunteer_has_is_a_warning(tmp_path):
    instance = load(tmp_path, quotas=QUOTAS + "gender,other,0,1\n")
    [warning] = instance.warnings
    assert warning.severity == "warning" and "gender=other" in warning.message
    at(warning, "quotas.csv", 6, "feature")


def test_empty_cell_in_category_column(tmp_path):
    problems = problems_of(tmp_path, pool=POOL.replace("3,female,old", "3,,old"))
    problem = only(problems, "empty cell")
    at(problem, "pool.csv", 4, "gender")
    assert "gender" in problem.fix


def test_many_empty_cells_are_summarised(tmp_path):
    pool = "id,gender,age\n" + "".join(f"{i},,young\n" for i in range(30))
    problems = problems_of(tmp_path, pool=pool, k=4)
    empty = [p for p in problems if p.column == "gender" and "empty" in p.message]
    assert len(empty) == 11 and "20 more" in empty[-1].message


def test_empty_quota_value_cell(tmp_path):
    problems = problems_of(tmp_path, quotas=QUOTAS + "gender,,0,1\n")
    at(only(problems, "empty cell"), "quotas.csv", 6, "feature")


def test_non_integer_bound(tmp_path):
    problems = problems_of(tmp_path, quotas=QUOTAS.replace("gender,male,1,3", "gender,male,1,2.5"))
    problem = only(problems, "not a whole number")
    at(problem, "quotas.csv", 3, "max")
    assert "'2.5'" in problem.message


def test_empty_bound(tmp_path):
    problems = problems_of(tmp_path, quotas=QUOTAS.replace("age,old,1,3", "age,old,,3"))
    at(only(problems, "empty"), "quotas.csv", 5, "min")


def test_negative_bound(tmp_path):
    problems = problems_of(tmp_path, quotas=QUOTAS.replace("age,old,1,3", "age,old,-1,3"))
    at(only(problems, "below 0"), "quotas.csv", 5, "min")


def test_min_above_max(tmp_path):
    problems = problems_of(tmp_path, quotas=QUOTAS.replace("age,old,1,3", "age,old,3,2"))
    at(only(problems, "above max"), "quotas.csv", 5, "min")


SF_QUOTAS = "feature,value,min,max,min_flex,max_flex\ngender,female,1,3,0,4\ngender,male,1,3,,\n"


def test_min_flex_above_min(tmp_path):
    problems = problems_of(tmp_path, quotas=SF_QUOTAS.replace("1,3,0,4", "1,3,2,4"))
    at(only(problems, "min_flex 2 is above min 1"), "quotas.csv", 2, "min_flex")


def test_max_flex_below_max(tmp_path):
    problems = problems_of(tmp_path, quotas=SF_QUOTAS.replace("1,3,0,4", "1,3,0,2"))
    at(only(problems, "max_flex 2 is below max 3"), "quotas.csv", 2, "max_flex")


def test_duplicate_quota_rows(tmp_path):
    problems = problems_of(tmp_path, quotas=QUOTAS + "Gender,Female,0,2\n")
    problem = only(problems, "duplicate quota row")
    at(problem, "quotas.csv", 6, "feature")
    assert "row 2" in problem.message


def test_mins_of_a_category_above_k(tmp_path):
    quotas = QUOTAS.replace("age,young,1,3", "age,young,3,3").replace("age,old,1,3", "age,old,2,3")
    problems = feasibility_problems_of(tmp_path, quotas=quotas)
    problem = only(problems, "mins of category 'age'")
    at(problem, "quotas.csv", 4, "min")
    assert "add up to 5" in problem.message and "k=4" in problem.message


def test_maxes_of_a_category_below_k(tmp_path):
    quotas = QUOTAS.replace("gender,female,1,3", "gender,female,1,1").replace("gender,male,1,3", "gender,male,1,2")
    problems = feasibility_problems_of(tmp_path, quotas=quotas)
    problem = only(problems, "maxes of category 'gender'")
    at(problem, "quotas.csv", 2, "max")
    assert "add up to 3" in problem.message


def test_min_above_number_of_volunteers_with_the_value(tmp_path):
    problems = feasibility_problems_of(tmp_path, quotas=QUOTAS.replace("gender,male,1,3", "gender,male,3,3"))
    problem = only(problems, "needs at least 3 seats")
    at(problem, "quotas.csv", 3, "min")
    assert "only 2" in problem.message


@pytest.mark.parametrize("k", [0, -3])
def test_k_not_positive(tmp_path, k):
    problems = problems_of(tmp_path, k=k)
    assert "at least 1" in only(problems, f"k={k}").message


def test_k_above_pool_size(tmp_path):
    problem = only(problems_of(tmp_path, k=6), "larger than the pool")
    assert "5 volunteers" in problem.message and problem.fix


def test_duplicate_ids(tmp_path):
    problems = problems_of(tmp_path, pool=POOL.replace("4,male,young", "2,male,young"))
    problem = only(problems, "duplicate id")
    at(problem, "pool.csv", 5, "id")
    assert "first at row 3" in problem.message


def test_empty_id(tmp_path):
    problems = problems_of(tmp_path, pool=POOL.replace("4,male,young", ",male,young"))
    at(only(problems, "empty cell"), "pool.csv", 5, "id")


def test_empty_pool(tmp_path):
    problems = problems_of(tmp_path, pool="id,gender,age\n")
    problem = only(problems, "no volunteers")
    assert problem.file == "pool.csv" and problem.fix


@pytest.mark.parametrize(
    "content, words",
    [(b"", "empty"), (b"   \n\n", "empty"), (b"\x00\x01\x02\xff\xfe\x89PNG", "not a table"),
     (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), ".xls"), (b"PK\x03\x04junk", "not a table"),
     (b",,,\n,,\n", "not a table")],
)
def test_file_that_is_not_a_table(tmp_path, content, words):
    (tmp_path / "pool.csv").write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_instance(tmp_path / "pool.csv", write(tmp_path, "quotas.csv", QUOTAS), 4)
    [problem] = caught.value.problems
    assert problem.file == "pool.csv" and words in problem.message and problem.fix


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as caught:
        load_instance(tmp_path / "nowhere.csv", write(tmp_path, "quotas.csv", QUOTAS), 4)
    assert caught.value.problems[0].file == "nowhere.csv"


def test_quota_category_that_is_not_a_pool_column(tmp_path):
    problems = problems_of(tmp_path, quotas=QUOTAS + "region,north,0,2\n")
    problem = only(problems, "category 'region' is not a column")
    at(problem, "quotas.csv", 6, "category")
    assert "gender" in problem.fix


def test_household_column_not_in_pool(tmp_path):
    problems = problems_of(tmp_path, household=["address"])
    at(only(problems, "household column 'address'"), "pool.csv", 1, "address")


def test_empty_household_address(tmp_path):
    pool = "id,gender,age,street\n1,female,young,a\n2,male,old,\n3,female,old,b\n4,male,young,c\n"
    problems = problems_of(tmp_path, pool=pool, household=["street"])
    at(only(problems, "empty address"), "pool.csv", 3, "street")


def test_id_column_given_but_missing(tmp_path):
    problems = problems_of(tmp_path, id_column="person")
    at(only(problems, "id column 'person'"), "pool.csv", 1, "person")


def test_unused_trailing_data_column(tmp_path):
    problems = problems_of(tmp_path, pool=POOL.replace("5,female,young", "5,female,young,oops"))
    problem = only(problems, "no name")
    assert (problem.file, problem.row) == ("pool.csv", 6)


@pytest.mark.parametrize("shares, words", [(("0.5", "0.2"), "add up to 0.7"), (("half", "0.5"), "'half'"),
                                            (("0.5", ""), "empty cell"), (("-0.5", "1.5"), "0 or more")])
def test_bad_population_shares(tmp_path, shares, words):
    quotas = ("category,feature,min,max,population_share\n"
              f"gender,female,1,3,{shares[0]}\ngender,male,1,3,{shares[1]}\nage,young,1,3,\nage,old,1,3,\n")
    problem = only(problems_of(tmp_path, quotas=quotas), words)
    assert (problem.file, problem.column) == ("quotas.csv", "population_share") and problem.row in (2, 3)


def test_every_problem_is_reported_at_once(tmp_path):
    pool = POOL.replace("3,female,old", "3,,old").replace("4,male,young", "2,male,young")
    quotas = QUOTAS.replace("age,old,1,3", "age,old,x,3") + "region,north,0,2\n"
    problems = problems_of(tmp_path, pool=pool, quotas=quotas, k=9, household=["street"])
    messages = " | ".join(p.message for p in problems)
    for words in ("empty cell", "duplicate id", "not a whole number", "region", "larger than the pool", "household"):
        assert words in messages


def test_parse_whole_number():
    assert [parse_whole_number(t) for t in ["12", " 3 ", "4.0", "+2", "-1"]] == [12, 3, 4, 2, -1]
    assert [parse_whole_number(t) for t in ["", "2.5", "ten", "1e3", "3,0"]] == [None] * 5


class TestCheckQuotasOnEditedLists:
    def test_valid_quotas_give_no_problem(self, tmp_path):
        instance = load(tmp_path)
        assert check_quotas(instance, instance.quotas, instance.k) == []

    def test_edited_bounds_are_checked(self, tmp_path):
        instance = load(tmp_path)
        edited = [Quota("gender", "female", 4, 3), Quota("gender", "male", 3, 3),
                  Quota("age", "young", 0, 1), Quota("age", "old", 0, 1)]
        problems = check_quotas(instance, edited, 4)
        messages = [p.message for p in problems]
        assert any("min 4 is above max 3" in m for m in messages)
        assert any("gender=male needs at least 3" in m for m in messages)
        assert any("mins of category 'gender' add up to 7" in m for m in messages)
        assert any("maxes of category 'age' add up to 2" in m for m in messages)
        male = next(p for p in problems if "gender=male" in p.message)
        assert (male.row, male.column) == (3, "min")

    def test_edited_k(self, tmp_path):
        instance = load(tmp_path)
        assert any("larger than the pool" in p.message for p in check_quotas(instance, instance.quotas, 50))
        assert any("at least 1" in p.message for p in check_quotas(instance, instance.quotas, 0))

    def test_removed_quota_row_leaves_volunteers_uncovered(self, tmp_path):
        instance = load(tmp_path)
        problems = check_quotas(instance, instance.quotas[1:], instance.k)
        problem = next(p for p in problems if "no quota row" in p.message)
        assert (problem.file, problem.row, problem.column) == ("pool.csv", 2, "gender")

    def test_unknown_category_and_duplicates(self, tmp_path):
        instance = load(tmp_path)
        edited = instance.quotas + [Quota("region", "north", 0, 1), Quota("age", "old", 0, 1)]
        messages = [p.message for p in check_quotas(instance, edited, instance.k)]
        assert any("'region' is not a column" in m for m in messages)
        assert any("duplicate quota row for age=old" in m for m in messages)

    def test_respelled_values_are_checked_in_the_quota_spelling(self, tmp_path):
        instance = load(tmp_path, pool=POOL.replace("female", "Female"))
        assert check_quotas(instance, instance.quotas, instance.k) == []


def test_quota_file_without_rows(tmp_path):
    problem = only(problems_of(tmp_path, quotas="category,feature,min,max\n"), "no quota rows")
    assert problem.file == "quotas.csv" and problem.fix
