"""Issue #18: the workbench as a newcomer meets it. One test (or more) per finding: what the page
says is true (the sidebar and Home name the pool actually loaded), repairs and k behave as a person
expects, charts and messages are readable. The browser test (tests/test_browser.py) covers what only
a real browser shows: screenshots of every page at 1400 px and tables that fit."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.analysis.feasibility import BoundChange, check
from core.errors import InputError, Problem
from core.io.examples import EXAMPLES_FOLDER, load_example
from core.io.loaders import load_instance
from core.io.validation import check_quotas
from core.model import Instance, Quota
from core.views.quota_editing import rescaled
from tests.test_app import COMPARE, LOTTERY, POOL, ROOT, app, assert_clean, texts, wait_for_run
from ui import charts
from ui.escape import unescape

CLASSROOM = "pages/6_Classroom.py"


def sidebar(at: AppTest) -> str:
    """The sidebar's text as the visitor reads it (names are Markdown-escaped on the page: ui.escape)."""
    return unescape(texts(at.sidebar.caption) + texts(at.sidebar.markdown))


def maximin_on_classroom() -> AppTest:
    """The app with the classroom example loaded and maximin run on the Compare page."""
    at = app().run()
    instance, _ = load_example("classroom")
    with_loaded(at, instance, "example “classroom”", "classroom")
    at.switch_page(COMPARE).run()
    at.multiselect(key="compare_algorithms").set_value(["maximin"]).run()
    next(b for b in at.button if b.label == "Run").click().run()
    wait_for_run(at)  # the Compare page runs in the background
    assert_clean(at)
    return at


def with_loaded(at: AppTest, instance: Instance, source: str, example: str | None = None) -> AppTest:
    """Put `instance` into the session exactly as ui.state.set_loaded does."""
    at.session_state["instance"] = instance
    at.session_state["loaded_instance"] = instance
    at.session_state["extras"] = {"background": None, "letters": None, "description": ""}
    at.session_state["source"] = source
    at.session_state["example"] = example
    at.session_state["results"] = {}
    at.session_state["results_for"] = instance.fingerprint()
    at.session_state["tried_default"] = True
    return at


# ---- the sidebar and Home name the pool actually loaded ------------------------------------------

def test_first_visit_sidebar_names_the_default_example():
    at = app().run()
    assert_clean(at)
    assert "climate_300" in sidebar(at)
    assert "No pool loaded yet" not in sidebar(at)


def test_sidebar_follows_a_newly_loaded_example_in_the_same_run():
    at = app().run()
    at.selectbox(key="example_choice").set_value("large_2000").run()
    at.button(key="load_example").click().run()
    assert_clean(at)
    assert at.session_state["instance"].n == 2000
    assert "large_2000" in sidebar(at) and "climate_300" not in sidebar(at)
    assert "2,000 volunteers" in sidebar(at)


def test_home_shows_what_is_loaded_and_the_next_steps_before_the_loading_controls():
    at = app().run()
    headers = [unescape(h.value) for h in at.subheader]
    assert headers.index("Loaded: example “climate_300”") < headers.index("Load another pool")
    assert "**Next:**" in texts(at.markdown)
    first_metric = at.metric[0].label
    assert first_metric == "Volunteers (n)"


def test_home_button_does_not_offer_to_load_the_example_already_loaded():
    at = app().run()
    loaded = at.button(key="load_example")
    assert loaded.label != "Load this example" and "is loaded" in loaded.label and loaded.disabled
    at.selectbox(key="example_choice").set_value("classroom").run()
    assert at.button(key="load_example").label == "Load classroom"
    assert not at.button(key="load_example").disabled


# ---- unsurprising repairs and k ------------------------------------------------------------------

def test_repair_moves_the_offending_bound_only():
    """Issue #18's example: age 16-29 min 512, max 8, k = 30. "min -> 8" and "min -> 11, max -> 11"
    cost the same total (504); only the first leaves the max alone."""
    instance, _ = load_example("climate_300")
    quotas = [replace(q, min=512, max=8) if (q.category, q.value) == ("age", "16-29") else q
              for q in instance.quotas]
    report = check(instance.with_quotas(quotas))
    assert report.repair.total == 504
    assert report.repair.changes == [BoundChange("age", "16-29", "min", 512, 8)]
    assert check(report.repair.apply(instance.with_quotas(quotas))).feasible


def _two_values(shares: dict | None) -> Instance:
    pool = pd.DataFrame({"gender": ["f"] * 4 + ["m"] * 4})
    quotas = [Quota("gender", "f", 3, 4), Quota("gender", "m", 3, 4)]
    return Instance(pool, ["gender"], quotas, k=4, population_shares=shares)


def test_repair_of_equal_total_stays_closest_to_the_population_shares():
    # mins add up to 6 > k = 4: lower them by 2 in total; with shares 70/30 the women's min stays
    # near 2.8 seats and the men's drops towards 1.2
    report = check(_two_values({("gender", "f"): 0.7, ("gender", "m"): 0.3}))
    assert report.repair.changes == [BoundChange("gender", "m", "min", 3, 1)]
    report = check(_two_values({("gender", "f"): 0.3, ("gender", "m"): 0.7}))
    assert report.repair.changes == [BoundChange("gender", "f", "min", 3, 1)]
    # without shares, the largest single change is as small as possible: both mins lowered by 1
    report = check(_two_values(None))
    assert [(c.value, c.new) for c in report.repair.changes] == [("f", 2), ("m", 2)]


def test_rescaled_quotas_keep_proportions_and_meet_the_category_sums():
    instance, _ = load_example("climate_300")
    assert check_quotas(instance, instance.quotas, 45, None)  # six errors and more: sized for k = 30
    quotas = rescaled(list(instance.quotas), 30, 45)
    for old, new in zip(instance.quotas, quotas):
        assert new.min == old.min * 45 // 30 and new.max == -(-old.max * 45 // 30)
    assert check(instance.with_quotas(quotas, 45)).feasible
    assert rescaled(list(instance.quotas), 30, 30) == list(instance.quotas)
    with pytest.raises(InputError):
        rescaled(list(instance.quotas), 0, 30)


def test_pool_page_offers_to_rescale_the_quotas_next_to_k():
    at = app().run()
    at.switch_page(POOL).run()
    assert not [b for b in at.button if b.key == "rescale_quotas"]
    at.number_input[0].set_value(45).run()
    assert_clean(at)
    assert at.error  # quotas sized for 30 seats do not fit 45
    rescale = at.button(key="rescale_quotas")
    assert rescale.label == "Rescale quotas to k = 45"
    rescale.click().run()
    assert_clean(at)
    instance = at.session_state["instance"]
    assert instance.k == 45 and check(instance).feasible
    assert "Some panel of 45 meets every quota." in texts(at.success)
    assert not [b for b in at.button if b.key == "rescale_quotas"]


# ---- readable charts -----------------------------------------------------------------------------

def test_allocation_chart_zooms_around_k_over_n_unless_asked_for_the_full_range():
    curves = pd.DataFrame({"algorithm": ["a", "a"], "position": [0.0, 1.0], "rank": [1, 2],
                           "probability": [0.05, 0.9]})
    zoomed = charts.allocation_chart(curves, 0.1).to_dict()
    full = charts.allocation_chart(curves, 0.1, full_range=True).to_dict()
    assert zoomed["layer"][0]["encoding"]["y"]["scale"]["domain"] == [0, pytest.approx(0.3)]
    assert full["layer"][0]["encoding"]["y"]["scale"]["domain"] == [0, 1.0]
    assert charts.zoomed_top(0.5) == 1.0


def test_expected_seats_dots_sit_on_their_bars_and_labels_have_room():
    seats = pd.DataFrame({"category": ["region"] * 2, "value": ["North", "Scotland and Northern Ireland"],
                          "algorithm": ["leximin"] * 2, "expected seats": [3.0, 4.0], "min": [2, 3], "max": [4, 5],
                          "proportional seats": [3.1, 3.9], "within quota": [True, True]})
    spec = charts.seats_chart(seats, "region").to_dict()
    layers = {layer["mark"]["type"]: layer["encoding"] for layer in spec["layer"]}
    assert layers["point"]["yOffset"]["bandPosition"] == 0.5
    assert layers["tick"]["yOffset"]["bandPosition"] == 0.5
    assert "bandPosition" not in layers["bar"]["yOffset"]
    assert spec["height"]["step"] >= charts.ROW_PIXELS  # one algorithm: its row is a whole value's height
    label_limit = spec["layer"][0]["encoding"]["y"]["axis"]["labelLimit"]
    assert label_limit >= 7 * len("Scotland and Northern Ireland")


def test_compare_toggles_the_full_range_of_the_allocation_chart():
    at = maximin_on_classroom()
    assert at.toggle(key="allocation_full_range").value is False
    at.toggle(key="allocation_full_range").set_value(True).run()
    assert_clean(at)


# ---- Classroom -----------------------------------------------------------------------------------

def test_classroom_starts_the_step_slider_at_the_first_step_and_shows_one_box_per_reason():
    at = app().run()
    at.switch_page(CLASSROOM).run()
    assert_clean(at)
    step = next(s for s in at.slider if s.label == "Step")
    assert step.value == 0
    assert "Before the first pick" in texts(at.markdown)
    # no panel meets the quotas: the algorithms that need one are listed in one box, not seven
    room = at.session_state["classroom"]
    quotas = room["quotas"].copy()
    quotas.loc[quotas["category"] == "gender", ["min", "max"]] = 3  # 3 + 3 seats of 4
    at.session_state["classroom"] = {**room, "quotas": quotas, "version": room["version"] + 1}
    at.run()
    assert_clean(at)
    not_shown = [str(box.value) for box in at.info if "not shown" in str(box.value)]
    assert len(not_shown) == 1, not_shown
    assert "**Maximin**" in not_shown[0] and "**Leximin**" in not_shown[0] and "are not shown" in not_shown[0]


def test_classroom_panel_axis_ticks_are_distinct():
    source = (ROOT / CLASSROOM).read_text()
    assert 'title="probability of the panel", axis=alt.Axis(format="~%")' in source


# ---- unknown population shares -------------------------------------------------------------------

def _without_shares() -> Instance:
    folder = EXAMPLES_FOLDER / "classroom"
    quotas = pd.read_csv(folder / "quotas.csv").drop(columns=["population_share"], errors="ignore")
    return load_instance((folder / "pool.csv").read_bytes(), quotas.to_csv(index=False).encode(), 4,
                         pool_name="pool.csv", quotas_name="quotas.csv")


@pytest.mark.parametrize("path", [None, POOL])
def test_unknown_population_shares_show_a_dash_and_say_so(path):
    instance = _without_shares()
    assert instance.population_shares is None
    at = with_loaded(app(), instance, "pool.csv + quotas.csv")
    if path:
        at.switch_page(path)
    at.run()
    assert_clean(at)
    table = at.dataframe[0].value
    for column in ("population share", "proportional seats"):
        assert set(table[column]) == {"–"}, table[column]
    assert "Population shares are unknown" in texts(at.caption)


# ---- messages ------------------------------------------------------------------------------------

def test_a_message_and_its_fix_read_as_two_sentences():
    text = str(Problem("no public numbers given", "Type at least one number from the public draw."))
    assert text == "no public numbers given. Type at least one number from the public draw."
    assert str(Problem("done.", "Next.")) == "done. Next."


def test_swapped_pool_and_quota_files_are_named_as_such_first():
    folder = EXAMPLES_FOLDER / "climate_300"
    with pytest.raises(InputError) as error:
        load_instance((folder / "quotas.csv").read_bytes(), (folder / "pool.csv").read_bytes(), 30,
                      pool_name="quotas.csv", quotas_name="pool.csv")
    first = str(error.value.problems[0])
    assert "look swapped" in first and "k=" not in first
    assert "Load 'pool.csv' as the pool and 'quotas.csv' as the quotas." in first


def test_lottery_seed_error_names_the_seed_box_not_a_column():
    at = maximin_on_classroom()
    at.switch_page(LOTTERY).run()
    at.radio[0].set_value("Enter a seed").run()
    next(box for box in at.text_input if box.label == "Seed").set_value("12a").run()
    next(b for b in at.button if b.label == "Draw the panel").click().run()
    assert_clean(at)
    message = texts(at.error)
    assert "Seed box" in message and "column" not in message
    at.radio[0].set_value("Numbers from a public draw").run()
    next(b for b in at.button if b.label == "Draw the panel").click().run()
    assert "no public numbers given. Type at least one number" in texts(at.error)


def test_a_broken_pool_file_is_named_before_k():
    """k against the pool size comes last: with a broken pool the size is a symptom, not the cause."""
    with pytest.raises(InputError) as error:
        load_instance(b"id,gender\na,f\nb,\nc,m\n", b"category,feature,min,max\ngender,f,1,1\ngender,m,1,1\n", 30,
                      pool_name="broken_pool.csv", quotas_name="quotas.csv")
    problems = [str(p) for p in error.value.problems]
    assert problems[0].startswith("broken_pool.csv, row 3, column 'gender': empty cell")
    assert "k=30" in problems[-1]


def test_downloading_a_file_never_reruns_the_page():
    """A download changes nothing on the page, so no download button reruns it: a rerun after a click
    would rebuild the page under the visitor's cursor and re-register a deferred file mid-click."""
    import ast

    sources = [ROOT / "streamlit_app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
    buttons = 0
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "download_button":
                buttons += 1
                on_click = next((k.value for k in node.keywords if k.arg == "on_click"), None)
                assert isinstance(on_click, ast.Constant) and on_click.value == "ignore", \
                    f"{path.name}:{node.lineno}: a download button without on_click='ignore'"
    assert buttons >= 15
