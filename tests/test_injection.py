"""Hostile input: Markdown and HTML in every id, value, category name and file name is shown
literally on every page (no image, link or tag renders), and every CSV download neutralises
spreadsheet formulas (OWASP's CSV-injection rule) while keeping numbers as numbers."""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.io.export import csv_safe
from core.io.loaders import load_instance
from core.io.result_tables import panel_tables, ticket_table
from core.lottery import transparent_lottery
from core.selection import run
from tests.hostile_files import (
    AGE,
    BOLD,
    FORMULA,
    GENDER,
    HTML,
    IMAGE,
    PAYLOADS,
    PEOPLE,
    POOL_NAME,
    QUOTAS_NAME,
    VALUES,
    K,
    hostile_files,
    hostile_id,
)
from tests.test_app import wait_for_run
from ui.escape import WORD_JOINER, md, md_join, unescape

ROOT = Path(__file__).resolve().parents[1]
HOME = str(ROOT / "streamlit_app.py")
TIMEOUT = 240
# Elements whose `.value` Streamlit renders as Markdown; every element's label and help are Markdown too.
MARKDOWN_VALUES = {"title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success",
                   "toast"}
RAW_MARKUP = re.compile(r"(?<!\\)!\[|(?<!\\)\]\(|(?<!\\)<(?!/?span\b)[a-zA-Z/]|https?://|www\.")  # our legend: <span>


# ---- the helper ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [*PAYLOADS, FORMULA, POOL_NAME, "www.example.org", "mail me: a@b.co",
                                  ":red[colour] $x^2$ `code` # heading", "1. list\n- item\ttab", "Zoë – 30-44 ✓"])
def test_md_escapes_every_markdown_construct_and_reads_back(text):
    escaped = md(text)
    assert unescape(escaped) == " ".join(text.split("\n")).replace("\t", " ")
    # every character that opens inline Markdown is backslash-escaped (then it stands for itself)
    assert not re.search(r"(?<!\\)[`*_~\[\]<>&$|#]", re.sub(r"\\[!-/:-@\[-`{-~]", "", escaped))
    assert "\n" not in escaped and "\t" not in escaped
    assert not RAW_MARKUP.search(escaped)


@pytest.mark.parametrize("text,expected", [("-mid", "\\-mid"), ("+1", "\\+1"), ("=A1", "\\=A1"),
                                           ("12. x", "12\\. x"), ("3) y", "3\\) y"), ("a-b 1. c", "a-b 1. c")])
def test_md_keeps_a_value_at_the_start_of_a_line_from_becoming_a_list(text, expected):
    assert md(text) == expected


def test_md_breaks_literal_autolinks_with_an_invisible_word_joiner():
    assert md("http://x.org") == "http:" + WORD_JOINER + "//x.org"
    assert md("see WWW.x.org").endswith("WWW" + WORD_JOINER + ".x.org")
    assert md("a@b.co") == "a@" + WORD_JOINER + "b.co"
    assert md("met: ok, k=4.") == "met: ok, k=4."  # ordinary punctuation is left as typed
    assert md_join(["a*", "b_"], " × ") == "a\\* × b\\_"


# ---- the pages -----------------------------------------------------------------------------------

def walk(node):
    yield node
    for child in (getattr(node, "children", None) or {}).values():
        yield from walk(child)


def shown_markdown(at: AppTest) -> list[str]:
    """Every string of the page Streamlit renders as Markdown: Markdown-like element values, and every
    element's label and help text (sidebar included)."""
    out = []
    for node in walk(at._tree):
        kind = getattr(node, "type", "")
        if kind in MARKDOWN_VALUES and isinstance(getattr(node, "value", None), str):
            out.append(node.value)
        for attribute in ("label", "help"):
            try:
                value = getattr(node, attribute, None)
            except Exception:  # noqa: BLE001 - some elements have no such proto field
                value = None
            if isinstance(value, str):
                out.append(value)
    return out


def assert_nothing_renders(at: AppTest, page: str) -> list[str]:
    assert not at.exception, (page, [e.value for e in at.exception])
    texts = shown_markdown(at)
    for text in texts:
        for payload in (*PAYLOADS, FORMULA):
            assert payload not in text, f"{page}: raw {payload!r} in {text!r}"
        assert not RAW_MARKUP.search(text), f"{page}: unescaped markup in {text!r}"
    return texts


def load_hostile(gender_min: int = 2) -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    pool, quotas = hostile_files(gender_min)
    at.file_uploader(key="pool_upload").set_value((POOL_NAME, pool, "text/csv"))
    at.file_uploader(key="quota_upload").set_value((QUOTAS_NAME, quotas, "text/csv"))
    at.run()
    at.number_input[0].set_value(K)
    at.button(key="load_upload").click().run()
    assert at.session_state["instance"].n == len(PEOPLE), [e.value for e in at.error]
    return at


def joined(texts: list[str]) -> str:
    return "\n".join(texts)


def test_every_page_shows_hostile_names_literally():
    at = load_hostile()
    home = assert_nothing_renders(at, "Home")
    assert f"Loaded: {md(POOL_NAME)} + {md(QUOTAS_NAME)}" in home
    assert unescape(f"{md(POOL_NAME)} + {md(QUOTAS_NAME)}") == f"{POOL_NAME} + {QUOTAS_NAME}"

    at.switch_page("pages/1_Pool_and_quotas.py").run()
    sidebar = assert_nothing_renders(at, "Pool and quotas")
    assert any(md(POOL_NAME) in t for t in sidebar)  # the loaded-file line in the sidebar

    at.switch_page("pages/2_Compare.py").run()
    at.multiselect(key="compare_algorithms").set_value(["leximin", "legacy"]).run()
    next(b for b in at.button if b.label == "Run").click().run()
    wait_for_run(at)  # the Compare page runs in the background
    compare = assert_nothing_renders(at, "Compare")
    assert md(GENDER) in compare and md(AGE) in compare  # the volunteer filters' labels

    at.switch_page("pages/3_Lottery.py").run()
    assert_nothing_renders(at, "Lottery")
    next(b for b in at.button if b.label == "Draw the panel").click().run()
    assert_nothing_renders(at, "Lottery after a draw")

    at.switch_page("pages/4_Intersections.py").run()
    intersections = assert_nothing_renders(at, "Intersections")
    assert any(f"{md(GENDER)} × {md(AGE)}" in t for t in intersections)

    at.switch_page("pages/5_End_to_end.py").run()
    at.radio(key="e2e_source").set_value("upload a file").run()
    background = io.StringIO()
    writer = csv.writer(background)
    writer.writerow([GENDER, AGE, f"weight{HTML}"])
    for _, gender, age in PEOPLE:
        writer.writerow([VALUES[gender], VALUES[age], 1])
    at.file_uploader(key="e2e_upload").set_value((f"background{IMAGE}.csv", background.getvalue().encode(), "text/csv"))
    at.run()
    endtoend = assert_nothing_renders(at, "End to end")
    assert any(md(f"weight{HTML}") in t for t in endtoend) or any(md(f"background{IMAGE}.csv") in t for t in endtoend)

    at.switch_page("pages/6_Classroom.py").run()
    classroom = joined(assert_nothing_renders(at, "Classroom"))
    assert "the loaded pool" in classroom
    names = [hostile_id(i, name) for i, (name, _, _) in enumerate(PEOPLE)]
    assert any(md(name) in classroom for name in names), "the readings name volunteers, escaped"
    step = next(s for s in at.slider if s.label == "Step")  # the greedy steps start at the first one
    step.set_value(step.max).run()
    classroom = joined(assert_nothing_renders(at, "Classroom, last step"))
    assert "Final panel after" in classroom and unescape(classroom).count(BOLD) >= 1


def test_repair_list_and_problems_show_hostile_values_literally():
    at = load_hostile(gender_min=3)  # both genders need 3 of 4 seats: impossible, a repair is proposed
    at.switch_page("pages/1_Pool_and_quotas.py").run()
    texts = joined(assert_nothing_renders(at, "Pool and quotas, impossible quotas"))
    assert "Smallest repair" in texts
    assert md(f"{GENDER}={VALUES['woman']}") in texts  # the repair line names the category and the value
    assert f"{GENDER}={VALUES['woman']}" in unescape(texts)


def test_a_bad_upload_names_the_hostile_file_literally():
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    at.file_uploader(key="pool_upload").set_value((POOL_NAME, f"id,{GENDER}\na,{IMAGE}\nb,\n".encode(), "text/csv"))
    at.file_uploader(key="quota_upload").set_value((QUOTAS_NAME, b"category,feature,min,max\nx,y,1,1\n", "text/csv"))
    at.run()
    at.button(key="load_upload").click().run()
    errors = [e.value for e in at.error]
    assert errors
    assert_nothing_renders(at, "Home after a bad upload")
    assert md(POOL_NAME) in joined(errors)


# ---- downloads -----------------------------------------------------------------------------------

def cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_safe_prefixes_formula_cells_and_keeps_numbers():
    table = pd.DataFrame({"=name": ["=1+1", "+1", "-5", "@x", "\tt", "\rr", "ok", None],
                          "probability": [-0.5, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
                          "seats": [-1, 0, 1, 2, 3, 4, 5, 6], "ok": [True] * 8})
    rows = cells(csv_safe(table))
    assert rows[0] == ["'=name", "probability", "seats", "ok"]
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+1", "'-5", "'@x", "'\tt", "'\rr", "ok", ""]
    assert rows[1][1:3] == ["-0.5", "-1"]  # numbers the workbench computed stay numbers
    assert table.iloc[0, 0] == "=1+1"  # the table itself is not changed
    embedded = cells(csv_safe(pd.DataFrame({"note": ["ok\r=cmd|' /C calc'!A0", "a\n@b"]})))
    assert [row[0] for row in embedded] == ["note", "ok\r=cmd|' /C calc'!A0", "a\n@b"]  # quoted: no new row


def test_hostile_panel_and_ticket_tables_download_without_formulas():
    pool, quotas = hostile_files()
    instance = load_instance(pool, quotas, K, pool_name=POOL_NAME, quotas_name=QUOTAS_NAME)
    result = run("leximin", instance, seed=1)
    lottery = transparent_lottery(result, M=50, seed=1)
    selected, remaining = panel_tables(instance, lottery.draw(3)[1])
    for table in (selected, remaining, ticket_table(instance, lottery)):
        for row in cells(csv_safe(table)):
            assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
    volunteers = cells(csv_safe(pd.concat([selected, remaining])))
    assert ["'" + hostile_id(0, PEOPLE[0][0])] == [r[0] for r in volunteers if r[0].startswith("'=")]
    assert any(cell == "'" + VALUES["30-59"] for row in volunteers for cell in row)  # "-mid**b**"


def test_every_csv_download_of_every_page_goes_through_csv_safe():
    pages = [ROOT / "streamlit_app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
    found = 0
    for path in pages:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "download_button":
                source = ast.unparse(node)
                if "csv" not in source.lower():
                    continue
                found += 1
                data = node.args[1] if len(node.args) > 1 else next(k.value for k in node.keywords if k.arg == "data")
                data = data.body if isinstance(data, ast.Lambda) else data  # deferred: built when clicked
                assert isinstance(data, ast.Call) and getattr(data.func, "id", "") == "csv_safe", \
                    f"{path.name}: {source[:120]} does not pass its CSV through csv_safe"
    assert found >= 10
