"""Intersections: how each algorithm's panels cover combinations of values (e.g. young women in the North)."""

from __future__ import annotations

import streamlit as st

from core.errors import InputError
from core.io.export import csv_safe
from core.views.intersections import (
    cell_counts,
    check_table_choice,
    heatmap_frame,
    identities_left_out,
    left_out_probability,
    summary_table,
)
from ui import state
from ui.algorithms import APP_OPTIONS, available
from ui.checks import report_for
from ui.escape import md_join
from ui.intersections_charts import (
    LEGACY_DRAWS,
    drawn_panels,
    heatmap,
    result_key,
    table_metrics,
)
from ui.layout import page_setup, percent_table, table_height
from ui.messages import show_error
from ui.solve import run_cached

page_setup("Intersections", ":material/grid_view:")
st.title("Intersections")
instance = state.require_instance()
extras = state.extras()
st.markdown(
    "Quotas look at one category at a time: enough women, enough young people. They say nothing about "
    "**combinations of values** — young women, older people without a degree in the North. Each such combination "
    "is an **identity**; a table of two or three categories lists them all. Here you see how many panel members "
    "each algorithm puts in each identity, and which identities the pool has but the panel leaves out."
)
if len(instance.categories) < 2:
    st.info("This pool has a single category, so there are no combinations of values to look at.")
    st.stop()

with st.expander("Diversimax's trade-off, in plain words", expanded=False):
    st.markdown(
        "**Diversimax** (Matar 2025) picks the panel whose members are spread most evenly over every identity, "
        "so fewer identities go unrepresented. The price is paid by individual volunteers: Diversimax fixes how "
        "many members of each **type** (volunteers with identical values) sit on the panel, so within a type "
        "everyone has the same chance, but types it leaves out have **probability 0** and small types it takes "
        "have a very high chance. Fair algorithms such as **leximin** give everyone a real chance, at the cost of "
        "panels that sometimes miss an identity. The table *Coverage against fairness* below puts both sides next "
        "to each other."
    )

# ---- algorithms ----------------------------------------------------------------------------------
names = available()
fair_name = "leximin" if "leximin" in names else ("maximin" if "maximin" in names else None)
results = state.results()
st.subheader("Algorithms")
st.caption("Results computed on the **Compare** page appear here. Run Diversimax with your own options, and the "
           "fair baseline and legacy if they are missing.")
controls = st.columns([1, 1, 1, 1, 1.3], vertical_alignment="bottom")
order = int(controls[0].selectbox("Largest table", [1, 2, 3], index=2, key="dmax_order",
                                  help="Diversimax balances every table of up to this many categories."))
max_cells = int(controls[1].number_input("Skip tables over (cells)", min_value=2, max_value=100_000, value=100,
                                         step=10, key="dmax_max_cells",
                                         help="Tables with more cells are left out of Diversimax's objective "
                                              "(the published method skips tables over 100 cells)."))
time_limit = int(controls[2].slider("Work budget (≈ s)", min_value=2, max_value=120,
                                    value=int(APP_OPTIONS.get("diversimax", {}).get("time_limit", 30)),
                                    key="dmax_time_limit",
                                    help="About this many seconds of solver work, counted in branch-and-bound "
                                         "nodes rather than on the clock, so the same seed always gives the same "
                                         "panel; the gap from optimal is reported."))
seed = int(controls[3].number_input("Random seed", min_value=0, max_value=2**31 - 1, value=2021, step=1,
                                    key="intersections_seed",
                                    help="Used to run the algorithms and to draw panels; recorded with the results."))
run_dmax = controls[4].button("Run Diversimax", type="primary", width="stretch", key="run_diversimax")
missing = [n for n in (fair_name, "legacy") if n and n in names and n not in results]
run_missing = st.button(f"Run {' and '.join(missing)}" if missing else "Fair baseline and legacy already computed",
                        disabled=not missing, key="run_missing")

jobs: list[tuple[str, dict]] = []
if run_dmax:
    jobs.append(("diversimax", {"order": order, "max_cells": max_cells, "time_limit": time_limit}))
if run_missing:
    jobs += [(n, dict(APP_OPTIONS.get(n, {}))) for n in missing]
errors: dict[str, Exception] = st.session_state.setdefault("intersections_errors", {})
if jobs:
    errors.clear()
    if not report_for(instance).feasible:
        st.error("No panel meets every quota. Fix the quotas on the Pool and quotas page first.", icon=":material/block:")
        st.stop()
    with st.status(f"Running {', '.join(n for n, _ in jobs)}…", expanded=True) as status:
        bar = st.progress(0.0)
        line = st.empty()
        for i, (name, options) in enumerate(jobs):
            bar.progress(i / len(jobs), text=f"{name} ({i + 1} of {len(jobs)})")
            try:
                result, cached = run_cached(name, instance, seed, options, progress=lambda m: line.caption(m))
                state.store_result(result, seed)
                st.write(f"✓ {name}: {'from cache' if cached else f'{result.seconds:.1f} s'}")
            except Exception as error:  # noqa: BLE001 - shown below, next to the buttons
                errors[name] = error
                st.write(f"✗ {name}: failed (see below)")
        bar.progress(1.0, text="done")
        line.empty()
        status.update(label="Done" + (f", {len(errors)} failed" if errors else ""),
                      state="error" if errors else "complete", expanded=False)
for name, error in errors.items():
    show_error(error, name)

results = state.results()
if "diversimax" in results:
    info = results["diversimax"].info
    gap = info.get("gap")
    st.caption(f"Diversimax: {info.get('tables', '?')} tables (up to {info.get('order', '?')} categories, "
               f"skipping tables over {info.get('max_cells', 'no')} cells); "
               + ("proven optimal" if gap is not None and gap < 1e-3 else
                  f"at most {100 * gap:.1f}% from the best possible (time limit reached)" if gap is not None else "")
               + f"; seed {state.result_seed('diversimax')}.")
if not results:
    st.info("No algorithm has been run on this pool yet: press **Run Diversimax** or run the fair baseline above "
            "(or use the Compare page).")
    st.stop()

# ---- the table -----------------------------------------------------------------------------------
st.subheader("One table")
pick = st.columns([3, 2, 1], vertical_alignment="bottom")
categories = pick[0].multiselect("Categories (two or three)", instance.categories,
                                 default=instance.categories[:2], max_selections=3, key="intersection_categories")
view = pick[1].radio("Show", ["expected members", "one drawn panel"], horizontal=True, key="intersection_view",
                     help="Expected members: the average over the lottery (sum of selection probabilities). "
                          "One drawn panel: a panel drawn with the seed on the right.")
draw_seed = int(pick[2].number_input("Draw seed", min_value=0, max_value=2**31 - 1, value=1, step=1,
                                     key="intersection_draw_seed"))
try:
    check_table_choice(instance, categories)
except InputError as error:
    show_error(error, "The table")
    st.stop()

shown = dict(results)
panel_of = {name: drawn_panels(result_key(instance, name, r) + "|one", 1, draw_seed, r)[0] for name, r in shown.items()}
POOL = "volunteers in the pool"
counts = {POOL: cell_counts(instance, categories, marginals=[1.0] * instance.n)}
for name, r in shown.items():
    counts[name] = (cell_counts(instance, categories, panel=panel_of[name]) if view == "one drawn panel"
                    else cell_counts(instance, categories, marginals=r.marginals))
frame = heatmap_frame(instance, categories, counts)
rows_title = " · ".join(categories[1:])
panel_max = max(frame.loc[frame["algorithm"] != POOL, "count"].max(), 1.0)
st.caption("Each square is one identity; the number is how many panel members have it"
           + (" on average over the lottery" if view == "expected members" else f" in a panel drawn with seed {draw_seed}")
           + ". A **red outline** marks an identity the pool has but the panel leaves out"
           + (" in every panel the lottery can draw." if view == "expected members" else ".")
           + " The first chart shows how many volunteers of the pool have each identity.")
labels = list(counts)
per_row = 3
for start in range(0, len(labels), per_row):
    cols = st.columns(per_row)
    for col, label in zip(cols, labels[start:start + per_row]):
        maximum = frame.loc[frame["algorithm"] == POOL, "count"].max() if label == POOL else panel_max
        digits = 0 if label == POOL or view == "one drawn panel" else 1
        chart = heatmap(frame, label, categories[0], rows_title, float(maximum), digits)
        col.altair_chart(chart, width="stretch")

# ---- identities left out -------------------------------------------------------------------------
st.subheader("Identities the pool has but the panel leaves out")
st.caption(f"For each algorithm, a panel drawn with seed {draw_seed}, and the identities of this table it leaves "
           "out. *Chance left out* is the probability, over the lottery, that a drawn panel has no one with that "
           "identity" + f" (exact for lotteries over listed panels; estimated from {LEGACY_DRAWS} draws for legacy).")
many = {name: (None if r.distribution is not None else
               drawn_panels(result_key(instance, name, r) + "|many", LEGACY_DRAWS, seed, r))
        for name, r in shown.items()}
tabs = st.tabs(list(shown))
for tab, (name, r) in zip(tabs, shown.items()):
    chance = left_out_probability(instance, categories, distribution=r.distribution, panels=many[name])
    missing_cells = identities_left_out(instance, categories, panel_of[name], chance)
    with tab:
        if missing_cells.empty:
            st.success(f"The drawn {name} panel has at least one member of every identity the pool has.")
        else:
            st.markdown(f"The drawn **{name}** panel leaves out **{len(missing_cells)}** identit"
                        f"{'y' if len(missing_cells) == 1 else 'ies'} of this table.")
            display, config = percent_table(missing_cells, ["chance left out"])
            config["pool"] = st.column_config.NumberColumn("volunteers in the pool")
            st.dataframe(display, hide_index=True, width="stretch", height=table_height(len(display), 360),
                         column_config=config)

# ---- metrics -------------------------------------------------------------------------------------
st.subheader("Coverage against fairness")
metrics_key = "|".join(result_key(instance, n, r) for n, r in shown.items()) + f"|{seed}"
per_table = table_metrics(metrics_key, instance, shown, {n: p for n, p in many.items() if p is not None},
                          extras.get("background"))
summary = summary_table(instance, {n: r.marginals for n, r in shown.items()}, per_table)
st.caption("Over every table of two or three categories. **Gini** of the expected members per identity: 0 = spread "
           "evenly, 1 = all in one identity. **Expected empty cells**: identities the pool has that a drawn panel "
           "leaves out, on average. Then the individual side: the **lowest selection probability** of any volunteer "
           "and the **Gini of selection probabilities** (0 = everyone has the same chance).")
summary_shown, summary_config = percent_table(summary, ["lowest selection probability"], digits=2)
summary_config.update({  # short headers (the caption above says what each is) so the table fits 1400 px
    "algorithm": st.column_config.TextColumn("algorithm", pinned=True),
    "mean Gini over tables": st.column_config.NumberColumn("Gini of members", format="%.3f",
                                                           help="Mean over the tables of the Gini of expected members per identity."),
    "expected empty cells": st.column_config.NumberColumn("empty cells", format="%.1f",
                                                          help="Identities the pool has that a drawn panel leaves out, on average."),
    "cells never filled": st.column_config.NumberColumn("never filled", format="%d",
                                                        help="Identities no panel of the lottery ever includes."),
    "lowest selection probability": {**summary_config["lowest selection probability"], "label": "lowest probability"},
    "volunteers with probability 0": st.column_config.NumberColumn("probability 0", format="%d",
                                                                   help="Volunteers who can never be selected."),
    "Gini of selection probabilities": st.column_config.NumberColumn("Gini of probabilities", format="%.3f",
                                                                     help="0 = everyone has the same chance."),
})
st.dataframe(summary_shown, hide_index=True, width="stretch", column_config=summary_config)

st.markdown("**Per table**")
chosen_name = " × ".join(categories)
this = per_table[per_table["table"] == chosen_name]
if this.empty:  # the categories were picked in another order than the tables list them
    this = per_table[per_table["table"].map(lambda t: set(t.split(" × ")) == set(categories))]
st.caption(f"The table above ({md_join(categories, ' × ')}) for every algorithm; every table in the expander below.")
number_config = {"Gini": st.column_config.NumberColumn(format="%.3f"),
                 "expected empty cells": st.column_config.NumberColumn(format="%.2f"),
                 "never filled": st.column_config.NumberColumn(format="%d")}
st.dataframe(this, hide_index=True, width="stretch", column_config=number_config)
with st.expander(f"Every table ({per_table['table'].nunique()} tables)"):
    wide = per_table.pivot_table(index=["table", "cells", "cells the pool fills"], columns="algorithm",
                                 values=["Gini", "expected empty cells"], sort=False)
    wide.columns = [f"{algorithm}: {figure}" for figure, algorithm in wide.columns]
    st.dataframe(wide.reset_index().round(3), hide_index=True, width="stretch",
                 height=table_height(len(wide), 480))
downloads = st.columns(2)
downloads[0].download_button("Metrics per table (CSV)", csv_safe(per_table), "intersections.csv", "text/csv",
                             on_click="ignore")
downloads[1].download_button("Cells of this table (CSV)", csv_safe(frame), "cells.csv", "text/csv", on_click="ignore")
