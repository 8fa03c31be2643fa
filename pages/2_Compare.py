"""Compare: run several selection algorithms on the current pool and quotas and see them side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.analysis.compare import (
    allocation_curves,
    comparison_table,
    filter_volunteers,
    seats_table,
    volunteer_table,
)
from core.io.export import csv_safe
from core.views.compare_plan import default_choice, slow_note
from ui import charts, design, state
from ui.algorithms import DESCRIPTIONS, available, runnable
from ui.checks import report_for
from ui.compare_run import (
    DIVERSIMAX_DEFAULT_SECONDS,
    POLL_SECONDS,
    compare_options,
    diversimax_note,
    run_view,
)
from ui.escape import md
from ui.layout import page_setup, percent_table, table_height
from ui.messages import show_error
from ui.solve import options_key, start_compare_run

page_setup("Compare algorithms", ":material/compare_arrows:")
st.title("Compare algorithms")
instance = state.require_instance()
extras = state.extras()
st.markdown(
    "Every algorithm here picks panels that meet the quotas, but they give volunteers very different "
    f"chances. With {instance.n:,} volunteers and {instance.k} seats, the fair chance is "
    f"**k/n = {instance.k / instance.n:.1%}**. Choose algorithms, run them, and see who gets which chance."
)

names = available()
offered = [a for a in names if runnable(a, extras)]
with st.expander("What the algorithms do"):
    st.markdown("\n".join(f"- **{a}**: {DESCRIPTIONS.get(a, '')}" for a in names))
    missing = [a for a in names if a not in offered]
    if missing:
        st.caption(f"Not offered for this pool: {', '.join(missing)} (needs a background sample of the "
                   "population and the number of invitation letters sent).")

if "compare_algorithms" not in st.session_state:  # widget state is dropped on other pages: restore it
    remembered = state.compare_choice()
    default = default_choice(offered, instance.types.size, DIVERSIMAX_DEFAULT_SECONDS)
    st.session_state["compare_algorithms"] = [a for a in remembered if a in offered] if remembered is not None else default
state.restore_widget("compare_seed", 2021)
state.restore_widget("compare_time_limit", DIVERSIMAX_DEFAULT_SECONDS)
# the picker has the full width so the name of every chosen algorithm stays visible
chosen = st.multiselect("Algorithms", offered, key="compare_algorithms",
                        on_change=lambda: state.remember_compare_choice(st.session_state["compare_algorithms"]))
controls = st.columns([1, 1, 1, 3], vertical_alignment="bottom")
seed = int(controls[0].number_input("Random seed", min_value=0, max_value=2**31 - 1, step=1, key="compare_seed",
                                    help="Recorded with the results: the same seed gives the same results."))
time_limit = float(controls[1].number_input(
    "Diversimax limit (s)", min_value=1, max_value=600, step=1, key="compare_time_limit",
    disabled="diversimax" not in chosen,
    help="Diversimax's approximate work budget, converted to a number of branch-and-bound nodes so that the "
         "same seed always gives the same panel (it stops sooner when its panel is proven within 0.1% of the best); "
         "the gap it reached is shown with its result."))
state.keep_widget("compare_seed")
state.keep_widget("compare_time_limit")
note = slow_note(offered, instance.types.size, time_limit)
if note:
    st.caption(note)
options = {name: compare_options(name, extras, time_limit) for name in offered}
current_run = state.compare_run()
running = current_run is not None and current_run.running and not current_run.token.cancelled
run_clicked = controls[2].button("Run", type="primary", disabled=not chosen or running, width="stretch",
                                 help="Runs in the background: you may keep reading, or visit other pages.")

# failures of the last run, kept (per quotas) so they stay next to the algorithm that caused them
errors: dict[str, Exception] = st.session_state.setdefault("compare_errors", {}).setdefault(instance.fingerprint(), {})
if run_clicked:
    report = report_for(instance)
    errors.clear()
    if not report.feasible:
        st.error("No panel meets every quota, so there is nothing to compare. Fix the quotas on the "
                 "Pool and quotas page (it proposes the smallest repair).", icon=":material/block:")
        st.page_link("pages/1_Pool_and_quotas.py", label="Go to Pool and quotas", icon=":material/tune:")
        st.stop()
    state.set_compare_run(start_compare_run(instance, chosen, seed, options))
    st.session_state["compare_harvested"] = 0
    st.rerun()  # draw the page again with the run under way (Run disabled, Stop shown)

# results of the run (as each algorithm finishes), kept only when they belong to the quotas shown
current_run = state.compare_run()
if current_run is not None and current_run.fingerprint == instance.fingerprint():
    for item in current_run.items:
        if item.status in ("done", "cached") and state.results().get(item.name) is not item.result:
            state.store_result(item.result, current_run.seed, options_key(item.options))
        elif item.status == "failed":
            errors[item.name] = item.error
st.session_state["compare_harvested"] = current_run.count("done", "cached", "failed") if current_run else 0


@st.fragment(run_every=POLL_SECONDS if current_run is not None and current_run.running else None)
def run_status() -> None:
    """The run's progress, redrawn every POLL_SECONDS while it goes; the whole page is redrawn when
    an algorithm finishes (so its result appears at once) and when the run ends."""
    compare_run = state.compare_run()
    if compare_run is None:
        return
    ended = compare_run.count("done", "cached", "failed")
    if ended != st.session_state.get("compare_harvested", 0) or (
            not compare_run.running and st.session_state.get("compare_drawn_running")):
        st.session_state["compare_drawn_running"] = compare_run.running
        st.rerun()
    st.session_state["compare_drawn_running"] = compare_run.running
    draw_run(compare_run, instance.fingerprint())


def stop_run() -> None:
    compare_run = state.compare_run()
    if compare_run is not None:
        compare_run.stop("stopped by you")


def draw_run(compare_run, fingerprint: str) -> None:
    view = run_view(compare_run, fingerprint)
    box = st.container(border=True)
    head = box.columns([5, 1], vertical_alignment="center")
    head[0].markdown(f"**{view.title}**")
    if compare_run.running and not compare_run.token.cancelled:
        head[1].button("Stop", on_click=stop_run, icon=":material/stop_circle:", width="stretch", key="compare_stop",
                       help="Ends the run after the solver call under way; finished results are kept.")
    if view.note:
        box.warning(view.note, icon=":material/history:")
    lines = "\n".join(f"- {line}" for line in view.lines)
    if compare_run.running or compare_run.token.cancelled or compare_run.count("failed"):
        if compare_run.running and not compare_run.token.cancelled:
            box.progress(view.fraction, text=view.bar_text)
        box.markdown(lines)
    else:  # a run that went as planned folds away, leaving the results in view
        box.expander("Each algorithm's time").markdown(lines)


run_status()
for name, error in errors.items():
    show_error(error, name)

stale = [name for name in state.stale_results() if name in chosen]
outdated = [name for name, result in state.results().items()
            if name in chosen and state.result_options_key(name) not in (None, options_key(options[name]))]
if stale or outdated:
    parts = []
    if stale:
        parts.append(f"{', '.join(stale)} were computed for earlier quotas")
    if outdated:
        parts.append(f"{', '.join(outdated)} with other options (e.g. another Diversimax time limit)")
    st.caption(f"Not shown as current: {'; '.join(parts)}. Press **Run** to compute them for what is shown.")
current_results = state.results()
shown = {name: current_results[name] for name in chosen if name in current_results and name not in outdated}
if not shown:
    if current_run is None or not current_run.running:
        st.info("Press **Run** to compute the selection probabilities of the chosen algorithms.")
    st.stop()

# ---- the comparison table ------------------------------------------------------------------------
st.subheader("Side by side")
table = design.with_largest_gain(comparison_table(instance, shown), instance, seed)  # when computed below
display, _ = percent_table(
    table, ["min probability", "max probability", "mean probability", "geometric mean", "share below k/n",
            "share below half of k/n", "panels meeting quotas"], digits=2)
display["support (panels)"] = [("one per run" if pd.isna(x) else f"{int(x):,}") for x in table["support (panels)"]]
labels = {  # short headers and fixed widths so every column fits 1400 px; the help text says what each means
    "min probability": ("lowest", 62, "The smallest selection probability of any volunteer."),
    "max probability": ("highest", 66, "The largest selection probability of any volunteer."),
    "geometric mean": ("geo. mean", 76, "Low when anyone has a very small chance."),
    "share below k/n": ("below k/n", 72, "Share of volunteers with less than the fair chance k/n."),
    "share below half of k/n": ("below ½·k/n", 84, "Share of volunteers with less than half the fair chance."),
    "panels meeting quotas": ("quotas met", 82, "Chance that a drawn panel meets every quota."),
}
config = {name: st.column_config.NumberColumn(short, format="%.2f%%", width=width, help=text)
          for name, (short, width, text) in labels.items()}
config.update({
    "algorithm": st.column_config.TextColumn("algorithm", width=92, pinned=True),
    "Gini": st.column_config.NumberColumn("Gini", format="%.3f", width=52,
                                          help="0 = everyone has the same chance; higher = more unequal."),
    "min / (k/n)": st.column_config.NumberColumn("low ÷ k/n", format="%.2f", width=72,
                                                  help="The smallest chance as a multiple of the fair chance k/n (1 = fair)."),
    "max / (k/n)": st.column_config.NumberColumn("high ÷ k/n", format="%.2f", width=76,
                                                  help="The largest chance as a multiple of k/n: far above 1 invites envy "
                                                       "and manipulation."),
    "support (panels)": st.column_config.TextColumn("panels", width=62, help="Number of different panels the lottery can pick."),
    "seconds": st.column_config.NumberColumn("seconds", format="%.1f", width=64, help="Time to compute the probabilities."),
    "expected seats within quotas": st.column_config.TextColumn("in quota", width=66,
                                                                help="Values whose average seats lie within the quota."),
})
config.update(design.GAIN_CONFIG)
# the mean is always k/n (stated above), so it is left out of the view; the CSV download keeps it
st.dataframe(display, hide_index=True, width="stretch", column_config=config,
             column_order=[c for c in display.columns if c != "mean probability"])
seeds = {name: state.result_seed(name) for name in shown}
st.caption("Seeds: " + ", ".join(f"{name} {s}" for name, s in seeds.items())
           + (". Legacy's probabilities are estimated from repeated runs (2,000 in the app)." if "legacy" in shown else "."))
if "diversimax" in shown:
    st.caption(diversimax_note(shown["diversimax"].info))

# ---- the allocation chart ------------------------------------------------------------------------
st.subheader("Who gets which chance")
st.caption("Each line sorts the volunteers from least to most likely to be selected. A fair algorithm keeps the "
           "line close to the dashed k/n line; a line starting near 0 means some volunteers almost never get a seat.")
full_range = st.toggle("Full range 0–100%", key="allocation_full_range",
                       help=f"Off: the axis runs from 0 to {charts.zoomed_top(instance.k / instance.n):.0%} "
                            f"({charts.ZOOM:g} × k/n) so the lines can be told apart; higher chances are cut at the top.")
st.altair_chart(charts.cached("allocation", allocation_curves(instance, shown), instance.k / instance.n, full_range),
                width="stretch")

# ---- expected seats ------------------------------------------------------------------------------
st.subheader("Expected seats per value")
st.caption("One thin row per algorithm (" + ", ".join(shown) + ", colours as above). Grey bar: the quota "
           "(min to max). Dark tick: seats proportional to the population, where known. Dot: the average number "
           "of seats the algorithm gives the value.")
seats = seats_table(instance, shown)
grid = st.columns(2)
for i, category in enumerate(instance.categories):
    grid[i % 2].altair_chart(charts.cached("seats", seats, category), width="stretch")

# ---- targets, groups no quota names, incentives to misreport (ui/design.py) ----------------------
design.targets_section(instance, shown, seed)
design.unquoted_section(instance, shown)
design.misreport_section(instance, shown, seed)

# ---- per volunteer -------------------------------------------------------------------------------
st.subheader("Every volunteer")
volunteers = volunteer_table(instance, shown)
filters = st.columns(len(instance.categories) + 1)
search = filters[0].text_input("Id contains")
chosen_values = {cat: filters[i + 1].multiselect(md(cat), instance.values(cat), key=f"filter_{cat}", placeholder="all")
                 for i, cat in enumerate(instance.categories)}
visible = filter_volunteers(volunteers, chosen_values, search)
st.caption(f"{len(visible):,} of {len(volunteers):,} volunteers. The id stays in view when the table scrolls sideways.")
visible_shown, visible_config = percent_table(visible, list(shown), digits=2)
visible_config = {name: st.column_config.NumberColumn(name, format="%.2f%%", width=max(64, 8 * len(name) + 16))
                  for name in shown}  # each algorithm's column narrow enough that eight fit next to the id
visible_config["id"] = st.column_config.TextColumn("id", pinned=True)
st.dataframe(visible_shown, hide_index=True, width="stretch", height=table_height(len(visible), 420),
             column_config=visible_config,
             column_order=["id", *shown, *[c for c in visible_shown.columns if c != "id" and c not in shown]])

downloads = st.columns(4)
downloads[0].download_button("Comparison table (CSV)", csv_safe(table), "comparison.csv", "text/csv", on_click="ignore")
downloads[1].download_button("Sorted probabilities (CSV)", csv_safe(allocation_curves(instance, shown)),
                             "allocation_curves.csv", "text/csv", on_click="ignore")
downloads[2].download_button("Expected seats (CSV)", csv_safe(seats), "expected_seats.csv", "text/csv",
                             on_click="ignore")
downloads[3].download_button("Volunteers (CSV)", csv_safe(volunteers), "volunteers.csv", "text/csv", on_click="ignore")
