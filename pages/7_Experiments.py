"""Experiments: results of sweeps (scenarios x algorithms x seeds) and end-to-end simulations
run with `python -m core sweep` / `simulate` on Dask, or a small sweep run here."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core.experiments.views import (
    SWEEP,
    SWEEP_FIGURES,
    read_results,
    simulation_curve,
    simulation_summary,
    sweep_failures,
    sweep_figure,
)
from core.io.export import csv_safe
from ui import state
from ui.algorithms import available, options_for, runnable
from ui.escape import md
from ui.layout import page_setup, percent_table, table_height
from ui.messages import show_error

MAX_RUNS = 24  # a sweep run inside the app; larger ones belong to the command line and a cluster
MAX_VOLUNTEERS = 2000
QUICK = ["leximin", "maximin", "legacy"]

page_setup("Experiments", ":material/science:")
st.title("Experiments")
st.markdown(
    "One run shows one design. To compare designs you run the same pool under several **quota scenarios**, "
    "with several **algorithms** and **seeds** (a *sweep*), or simulate the whole process — letters, pool, panel — "
    "thousands of times (a *simulation*). Large experiments run from the command line on a Dask cluster "
    "(`python -m core sweep …`, `python -m core simulate …`, see the README); load their results file here. "
    f"A small sweep (up to {MAX_RUNS} runs) also runs here, on the loaded pool."
)

load_tab, run_tab = st.tabs(["Load a results file", "Run a small sweep here"])

with load_tab:
    upload = st.file_uploader("Results file (.parquet or .csv, written by `sweep` or `simulate`)",
                              type=["parquet", "csv"], key="experiments_upload")
    if upload is not None:
        try:
            kind, table = read_results(upload.getvalue(), upload.name)
            st.session_state["experiment"] = {"kind": kind, "table": table, "name": upload.name}
        except Exception as error:  # noqa: BLE001 - shown as a message, never a traceback
            show_error(error, "The results file")

with run_tab:
    instance = state.current_instance()
    if instance is None:
        st.info("Load a pool on the Home page to run a sweep on it here.")
    elif instance.n > MAX_VOLUNTEERS:
        st.info(f"The app runs sweeps on pools of up to {MAX_VOLUNTEERS:,} volunteers; this one has {instance.n:,}. "
                "Use `python -m core sweep` for it.")
    else:
        extras = state.extras()
        saved = state.scenarios()
        scenario_names = ["current quotas"] + list(saved)
        columns = st.columns([3, 3, 1, 1], vertical_alignment="bottom")
        picked_scenarios = columns[0].multiselect("Scenarios", scenario_names, default=scenario_names[: 3],
                                                  key="experiments_scenarios",
                                                  help="Save quota sets as scenarios on the Pool and quotas page.")
        offered = [a for a in available() if runnable(a, extras)]
        picked_algorithms = columns[1].multiselect("Algorithms", offered, default=[a for a in QUICK if a in offered],
                                                   key="experiments_algorithms")
        seeds = int(columns[2].number_input("Seeds", min_value=1, max_value=5, value=2, step=1, key="experiments_seeds"))
        runs = len(picked_scenarios) * len(picked_algorithms) * seeds
        go = columns[3].button("Run", type="primary", disabled=not runs or runs > MAX_RUNS, key="experiments_run")
        st.caption(f"{runs} run(s)" + (f": more than {MAX_RUNS}; use the command line." if runs > MAX_RUNS else "."))
        if go:
            from core.experiments.cluster import open_client
            from core.experiments.sweep import run_sweep

            instances = {name: (instance if name == "current quotas" else saved[name].apply(instance))
                         for name in picked_scenarios}
            bar = st.progress(0.0, text="starting a local Dask cluster in this process")
            try:
                with open_client(workers=1, processes=False) as client:
                    table = run_sweep(instances, picked_algorithms, list(range(seeds)),
                                      options={a: options_for(a, extras) for a in picked_algorithms}, client=client,
                                      on_row=lambda done, total, row: bar.progress(
                                          done / total, text=f"{done}/{total}: {row['scenario']} / {row['algorithm']}"))
                st.session_state["experiment"] = {"kind": SWEEP, "table": table, "name": "sweep run here"}
            except Exception as error:  # noqa: BLE001 - shown as a message, never a traceback
                show_error(error, "The sweep")
            bar.empty()

experiment = st.session_state.get("experiment")
if experiment is None:
    st.stop()
table: pd.DataFrame = experiment["table"]
st.subheader(f"Results: {md(experiment['name'])}")

if experiment["kind"] == SWEEP:
    present = [f for f in SWEEP_FIGURES if f in table.columns]
    figure = st.selectbox("Figure", present, index=0, key="experiments_figure",
                          help="Mean over seeds; the bar spans the lowest to the highest seed.")
    summary = sweep_figure(table, figure)
    better = "higher is better" if SWEEP_FIGURES[figure] else "lower is better"
    base = alt.Chart(summary).encode(
        y=alt.Y("algorithm:N", title=None),
        color=alt.Color("algorithm:N", legend=None),
    )
    chart = (base.mark_rule().encode(x=alt.X("min:Q", title=f"{figure} ({better})"), x2="max:Q")
             + base.mark_point(filled=True, size=80).encode(
                 x="mean:Q", tooltip=["scenario", "algorithm", alt.Tooltip("mean:Q", format=".4f"), "runs"]))
    st.altair_chart(chart.properties(height=30 * summary["algorithm"].nunique() + 20)
                    .facet(row=alt.Row("scenario:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left"))),
                    width="stretch")
    failures = sweep_failures(table)
    if len(failures):
        st.warning(f"{len(failures)} run(s) failed; the table says why.", icon=":material/warning:")
        st.dataframe(failures, hide_index=True, width="stretch", height=table_height(len(failures), 300))
    st.dataframe(table, hide_index=True, width="stretch", height=table_height(len(table), 420))
else:
    summary = simulation_summary(table)
    shown, config = percent_table(summary, ["k/N", "population within ±10% of k/N"], digits=2)
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
    curve = simulation_curve(table)
    st.markdown("Each line sorts the population by its chance of a seat relative to k/N, the chance under a "
                "lottery over the whole population (1 = fair; the band is ±10%). The flatter and closer to 1, "
                "the fairer the whole process is to the population, not only to the volunteers.")
    band = alt.Chart(pd.DataFrame({"low": [0.9], "high": [1.1]})).mark_rect(opacity=0.15).encode(y="low:Q", y2="high:Q")
    lines = alt.Chart(curve).mark_line(interpolate="step-after").encode(
        x=alt.X("population share:Q", axis=alt.Axis(format="%"), title="population, sorted by chance"),
        y=alt.Y("ratio to k/N:Q", title="end-to-end chance / (k/N)"),
        color="algorithm:N",
        tooltip=["algorithm", alt.Tooltip("ratio to k/N:Q", format=".2f"),
                 alt.Tooltip("population share:Q", format=".1%")])
    st.altair_chart(band + lines, width="stretch")

st.download_button("Download the table (CSV)", csv_safe(table), file_name="experiment.csv", mime="text/csv",
                   on_click="ignore")
