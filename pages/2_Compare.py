"""Compare: run several selection algorithms on the current pool and quotas and see them side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.compare import allocation_curves, comparison_table, filter_volunteers, seats_table, volunteer_table
from core.io.export import csv_safe
from ui import state
from ui.algorithms import DESCRIPTIONS, available, options_for, runnable
from ui import charts
from ui.checks import report_for
from ui.escape import md
from ui.layout import page_setup, percent_table, table_height
from ui.messages import show_error
from ui.solve import run_cached

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

controls = st.columns([4, 1, 1], vertical_alignment="bottom")
chosen = controls[0].multiselect("Algorithms", offered, default=offered, key="compare_algorithms")
seed = int(controls[1].number_input("Random seed", min_value=0, max_value=2**31 - 1, value=2021, step=1,
                                    help="Recorded with the results: the same seed gives the same results."))
run_clicked = controls[2].button("Run", type="primary", disabled=not chosen, width="stretch")

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
    with st.status(f"Running {len(chosen)} algorithm(s)…", expanded=True) as status:
        bar = st.progress(0.0)
        line = st.empty()
        for i, name in enumerate(chosen):
            bar.progress(i / len(chosen), text=f"{name} ({i + 1} of {len(chosen)})")
            line.caption(f"{name}: starting")
            try:
                result, cached = run_cached(name, instance, seed, options_for(name, extras),
                                            progress=lambda message: line.caption(message))
                state.store_result(result, seed)
                st.write(f"✓ {name}: {'from cache' if cached else f'{result.seconds:.1f} s'}")
            except Exception as error:  # noqa: BLE001 - every failure becomes a message below
                errors[name] = error
                st.write(f"✗ {name}: failed (see below)")
        bar.progress(1.0, text="done")
        line.empty()
        status.update(label=f"Ran {len(chosen)} algorithm(s)" + (f", {len(errors)} failed" if errors else ""),
                      state="error" if errors else "complete", expanded=False)

for name, error in errors.items():
    show_error(error, name)

shown = {name: result for name, result in state.results().items() if name in chosen}
if not shown:
    st.info("Press **Run** to compute the selection probabilities of the chosen algorithms.")
    st.stop()

# ---- the comparison table ------------------------------------------------------------------------
st.subheader("Side by side")
table = comparison_table(instance, shown)
display, _ = percent_table(
    table, ["min probability", "max probability", "mean probability", "geometric mean", "share below k/n",
            "share below half of k/n", "panels meeting quotas"], digits=2)
display["support (panels)"] = [("one per run" if pd.isna(x) else f"{int(x):,}") for x in table["support (panels)"]]
labels = {  # short headers; the help text says what each column means
    "min probability": ("lowest", "The smallest selection probability of any volunteer."),
    "max probability": ("highest", "The largest selection probability of any volunteer."),
    "mean probability": ("mean", "Always k/n: the panel has k seats."),
    "geometric mean": ("geo. mean", "Low when anyone has a very small chance."),
    "share below k/n": ("below k/n", "Share of volunteers with less than the fair chance k/n."),
    "share below half of k/n": ("below ½·k/n", "Share of volunteers with less than half the fair chance."),
    "panels meeting quotas": ("quotas met", "Chance that a drawn panel meets every quota."),
}
config = {name: st.column_config.NumberColumn(short, format="%.2f%%", help=text) for name, (short, text) in labels.items()}
config.update({
    "Gini": st.column_config.NumberColumn("Gini", format="%.3f", help="0 = everyone has the same chance; higher = more unequal."),
    "min / (k/n)": st.column_config.NumberColumn("lowest ÷ k/n", format="%.2f",
                                                  help="The smallest chance as a multiple of the fair chance k/n (1 = fair)."),
    "max / (k/n)": st.column_config.NumberColumn("highest ÷ k/n", format="%.2f",
                                                  help="The largest chance as a multiple of k/n: far above 1 invites envy and manipulation."),
    "support (panels)": st.column_config.TextColumn("panels", help="Number of different panels the lottery can pick."),
    "seconds": st.column_config.NumberColumn("seconds", format="%.1f", help="Time to compute the probabilities."),
    "expected seats within quotas": st.column_config.TextColumn("seats in quota", help="Values whose average seats lie within the quota."),
})
st.dataframe(display, hide_index=True, width="stretch", column_config=config)
seeds = {name: state.result_seed(name) for name in shown}
st.caption("Seeds: " + ", ".join(f"{name} {s}" for name, s in seeds.items())
           + (". Legacy's probabilities are estimated from repeated runs (2,000 in the app)." if "legacy" in shown else "."))

# ---- the allocation chart ------------------------------------------------------------------------
st.subheader("Who gets which chance")
st.caption("Each line sorts the volunteers from least to most likely to be selected. A fair algorithm keeps the "
           "line close to the dashed k/n line; a line starting near 0 means some volunteers almost never get a seat.")
st.altair_chart(charts.cached("allocation", allocation_curves(instance, shown), instance.k / instance.n), width="stretch")

# ---- expected seats ------------------------------------------------------------------------------
st.subheader("Expected seats per value")
st.caption("One thin row per algorithm (" + ", ".join(shown) + ", colours as above). Grey bar: the quota "
           "(min to max). Dark tick: seats proportional to the population, where known. Dot: the average number "
           "of seats the algorithm gives the value.")
seats = seats_table(instance, shown)
grid = st.columns(2)
for i, category in enumerate(instance.categories):
    grid[i % 2].altair_chart(charts.cached("seats", seats, category), width="stretch")

# ---- per volunteer -------------------------------------------------------------------------------
st.subheader("Every volunteer")
volunteers = volunteer_table(instance, shown)
filters = st.columns(len(instance.categories) + 1)
search = filters[0].text_input("Id contains")
chosen_values = {cat: filters[i + 1].multiselect(md(cat), instance.values(cat), key=f"filter_{cat}")
                 for i, cat in enumerate(instance.categories)}
visible = filter_volunteers(volunteers, chosen_values, search)
st.caption(f"{len(visible):,} of {len(volunteers):,} volunteers.")
visible_shown, visible_config = percent_table(visible, list(shown), digits=2)
st.dataframe(visible_shown, hide_index=True, width="stretch", height=table_height(len(visible), 420),
             column_config=visible_config)

downloads = st.columns(4)
downloads[0].download_button("Comparison table (CSV)", csv_safe(table), "comparison.csv", "text/csv")
downloads[1].download_button("Sorted probabilities (CSV)", csv_safe(allocation_curves(instance, shown)),
                             "allocation_curves.csv", "text/csv")
downloads[2].download_button("Expected seats (CSV)", csv_safe(seats), "expected_seats.csv", "text/csv")
downloads[3].download_button("Volunteers (CSV)", csv_safe(volunteers), "volunteers.csv", "text/csv")
