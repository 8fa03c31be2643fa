"""End to end: estimate who volunteers, correct for it, and check that everyone in the population gets an equal chance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.endtoend.background import encode_background, load_background
from core.endtoend.participation import fit_instance
from core.endtoend.phase_one import phase_one
from core.endtoend.selection import background_shares
from core.endtoend.simulation import simulate_algorithm, simulate_phase_one
from core.io.export import csv_safe
from core.views.endtoend import (
    beta_frame,
    boost_by_value,
    population_model,
    ratio_by_type,
    ratio_by_value,
    seats_against_population,
    simulation_summary,
)
from ui import charts, state
from ui.algorithms import available
from ui.endtoend_charts import (
    beta_chart,
    progress_fraction,
    q_histogram,
    ratio_dots,
    type_scatter,
)
from ui.escape import md_join
from ui.layout import page_setup, percent, percent_table, table_height
from ui.messages import show_error
from ui.solve import options_key, run_cached

page_setup("End to end", ":material/public:")
st.title("End to end: correcting who volunteers")
instance = state.require_instance()
extras = state.extras()
st.markdown(
    "Invitations go to random households, but not everyone answers: older, more educated or more concerned people "
    "volunteer more often. Quotas fix the numbers per value, yet inside each quota the keen volunteers still get "
    "more seats than their share of the population. **End-to-end sampling** (Flanigan, Gölz, Gupta and Procaccia, "
    "2020) estimates each volunteer's chance of having joined the pool, *q*, and gives volunteers with a small *q* "
    "a larger selection probability (proportional to 1/*q*). Then every person in the population — not only every "
    "volunteer — has about the same chance *k/N* of ending up on the panel."
)

# ---- 1. inputs -----------------------------------------------------------------------------------
st.subheader("1. Background sample and letters sent")
st.caption("The background sample describes the population (e.g. a national survey): one row per person, one "
           "column per category, the same values as the pool, optionally a column of survey weights. The number "
           "of letters sent tells how many were invited, so how rare volunteering is.")
left, right = st.columns([3, 2], gap="large")
with left:
    sources = (["the example's background sample"] if extras.get("background") is not None else []) + ["upload a file"]
    source = st.radio("Background sample", sources, horizontal=True, key="e2e_source")
    background: pd.DataFrame | None = None
    if source == "upload a file":
        upload = st.file_uploader("Background sample (CSV or .xlsx)", type=["csv", "xlsx"], key="e2e_upload")
        if upload is not None:
            try:
                background = load_background(upload.getvalue(), name=upload.name)
            except Exception as error:  # noqa: BLE001 - shown next to the upload
                show_error(error, f"Reading {upload.name}")
    else:
        background = extras["background"]
    if background is not None:
        st.caption(f"{len(background):,} people; columns: {md_join(background.columns)}.")
    weight_choice = st.selectbox("Survey weights", ["(none: every row counts once)"]
                                 + ([str(c) for c in background.columns] if background is not None else []),
                                 key="e2e_weights")
    weights = None if weight_choice.startswith("(none") else weight_choice
with right:
    letters = st.number_input("Letters sent", min_value=1, value=extras.get("letters"), step=100, key="e2e_letters",
                              placeholder="number of people invited",
                              help="The number of people the invitations went to (at least the pool size).")
    settings = st.columns(2)
    resamples = int(settings[0].slider("Bootstrap resamples", 0, 200, 20, step=10, key="e2e_resamples",
                                       help="Refits on resampled data give the uncertainty intervals of β. "
                                            "More are slower and steadier."))
    seed = int(settings[1].number_input("Random seed", min_value=0, max_value=2**31 - 1, value=2020, step=1,
                                        key="e2e_seed", help="Recorded: the same seed gives the same results."))
    estimate = st.button("Estimate", type="primary", disabled=background is None or not letters, key="e2e_estimate")

if background is None:
    st.info("This pool came without a background sample: upload one to estimate who volunteers.")
    st.stop()

inputs_key = (instance.fingerprint(), options_key({"background": background}), weights, int(letters or 0), resamples, seed)
stored = st.session_state.get("endtoend_fit")
if estimate:
    try:
        with st.spinner("Fitting the participation model…"):
            encoded = encode_background(instance, background, int(letters), weights)
            fit = fit_instance(instance, background, int(letters), weights=weights, resamples=resamples, seed=seed)
        stored = {"key": inputs_key, "fit": fit, "encoded": encoded}
        st.session_state["endtoend_fit"] = stored
        st.session_state.pop("endtoend_simulation", None)
    except Exception as error:  # noqa: BLE001 - bad background, letters or weights: a message by the inputs
        st.session_state.pop("endtoend_fit", None)
        show_error(error, "Estimating participation")
        st.stop()
if stored is None or stored["key"] != inputs_key:
    st.info("Press **Estimate** to fit who volunteers from the pool, the background sample and the letters sent.")
    st.stop()

fit, encoded = stored["fit"], stored["encoded"]
letters = int(letters)
values = {c: instance.values(c) for c in instance.categories}
shares = background_shares(instance, encoded.codes, encoded.weights)
first = phase_one(fit.q, instance.k, letters, instance.codes, instance.categories, values, shares)

# ---- 2. the participation model ------------------------------------------------------------------
st.subheader("2. Who volunteers")
st.markdown(
    "The model: a person invited joins with probability *q* = β₀ × β(gender) × β(age) × … — one factor per "
    "category. Within a category the most willing value has β = 1; a value with β = 0.5 volunteers half as often, "
    "other things equal.")
figures = st.columns(4)
figures[0].metric("β₀", f"{fit.beta0:.4f}", help=f"95% interval {fit.beta0_interval[0]:.4f} – {fit.beta0_interval[1]:.4f}: "
                  "the chance of joining for someone with the most willing value in every category.")
figures[1].metric("Mean participation", percent(fit.mean_participation, 2), help="Volunteers ÷ letters sent.")
figures[2].metric("Lowest q in the pool (q*)", percent(fit.q_star, 3))
figures[3].metric("α = q*·r/k", f"{fit.alpha(instance.k):.2f}",
                  help="How many times over the least willing volunteers' group could fill the panel; the paper's "
                       "guarantees need α well above 1.")
betas = beta_frame(fit)
chart_col, table_col = st.columns(2)  # half the width: the β table shows full value names
chart_col.altair_chart(beta_chart(betas), width="stretch")
beta_display = betas[["category", "value", "beta", "low", "high"]].rename(
    columns={"beta": "β", "low": "interval from", "high": "interval to"})
table_col.dataframe(beta_display, hide_index=True, width="stretch", height=table_height(len(beta_display), 520),
                    column_config={"category": st.column_config.TextColumn(width=100),
                                   "value": st.column_config.TextColumn(width=180),
                                   # short labels (the caption below says these are the 95% interval)
                                   **{c: st.column_config.NumberColumn(label, format="%.3f", width=54)
                                      for c, label in (("β", "β"), ("interval from", "from"), ("interval to", "to"))}})
st.caption(f"Intervals: 95% bootstrap intervals from {fit.resamples} resamples (seed {fit.seed})"
           + (" — with 0 resamples there are no intervals." if fit.resamples == 0 else ".")
           + f" Fitted by maximum likelihood ({fit.solver}).")

st.markdown("**How likely each volunteer was to join**")
st.altair_chart(q_histogram(pd.DataFrame({"q": fit.q}), fit.mean_participation), width="stretch")

# ---- 3. boosted or damped ------------------------------------------------------------------------
st.subheader("3. Who gets boosted or damped")
fair = instance.k / instance.n
st.markdown(
    f"End-to-end sampling gives volunteer *i* the selection probability k·(1/qᵢ) / Σⱼ(1/qⱼ). Compared with the equal "
    f"chance k/n = {percent(fair)}, volunteers from groups that rarely volunteer are boosted (ratio above 1) and "
    "those from keen groups damped (below 1). Average per value:")
if first.was_capped:
    st.warning(f"{int(first.capped.sum())} volunteer(s) would get a probability above 100%: they are capped at 100% "
               "and the other volunteers' probabilities scaled up to keep k seats.", icon=":material/warning:")
boost = boost_by_value(instance, first.marginals, fit.q)
st.altair_chart(ratio_dots(boost.assign(algorithm="endtoend (Phase I)"), "ratio to k/n",
                           "mean selection probability ÷ k/n"), width="stretch")

# ---- 4. good-pool checks -------------------------------------------------------------------------
st.subheader("4. Is this a good pool?")
checks = first.checks
one, two, three = checks["all_marginals_at_most_1"], checks["seats_near_proportional"], checks["sum_of_weights"]


def verdict(ok: bool | None) -> str:
    return "yes" if ok else ("not checked" if ok is None else "no")


check_rows = pd.DataFrame([
    {"check": "Every selection probability is at most 100% before capping", "met": verdict(one["ok"]),
     "figures": f"largest {one['largest']:.3f}; {one['above_1']} above 1"},
    {"check": f"Each value's expected seats within ±{checks['epsilon']:.0%} of proportional (ε = α^−0.49)",
     "met": verdict(two["ok"]),
     "figures": (f"{sum(not r['ok'] for r in two['values'])} of {len(two['values'])} values outside"
                 if two["values"] else two.get("reason", ""))},
    {"check": "Σ 1/qᵢ at most r / (1 − ε)", "met": verdict(three["ok"]),
     "figures": f"Σ 1/qᵢ = {three['sum']:,.0f}; "
                + (f"bound = {three['bound']:,.0f}" if np.isfinite(three["bound"]) else "no bound while α ≤ 1")},
])
st.dataframe(check_rows, hide_index=True, width="stretch")
st.caption("The paper proves its equal-chance guarantee for pools meeting all three conditions. They need α well "
           f"above 1 (here α = {checks['alpha']:.2f}); with a smaller α the method still corrects most of the bias, "
           "as the simulation below shows, but without the guarantee.")

# ---- 5. expected seats against the population ----------------------------------------------------
st.subheader("5. Seats per value against the population")
result = state.results().get("endtoend")
if result is not None and (result.info.get("letters") != letters
                           or result.info.get("participation_fit", {}).get("background_rows") != len(background)):
    result = None  # computed for another background or number of letters
build = st.button("Build endtoend's lottery with your quotas", key="e2e_build",
                  help="Phase II: a lottery over panels meeting every quota whose probabilities are as close as "
                       "possible to the ones above (takes a few seconds).")
if build:
    try:
        with st.spinner("Building the lottery over panels…"):
            result, _ = run_cached("endtoend", instance, seed, {"background": background, "letters": letters,
                                                                 "background_weights": weights, "resamples": resamples},
                                   progress=lambda m: None)
        state.store_result(result, seed)
    except Exception as error:  # noqa: BLE001 - shown next to the button
        show_error(error, "endtoend")
        result = None
marginals = {"uniform from the pool": np.full(instance.n, fair), "endtoend (Phase I)": first.marginals}
if result is not None:
    marginals["endtoend with your quotas"] = result.marginals
seats = seats_against_population(instance, marginals, shares)
colours = ["teal", "orange", "blue"]
st.caption("One thin row per method (" + ", ".join(f"{c}: {m}" for c, m in zip(colours, marginals))
           + "). Grey bar: the quota. Dark tick: k × the value's share of the population "
           "(from the background sample). Dot: expected seats. Uniform from the pool reflects who volunteered; "
           "endtoend moves the seats toward the population's shares"
           + (f", and with your quotas it stays within them (largest change of a probability: {result.objective:.3f})."
              if result is not None else ". Build the lottery to see it with your quotas."))
grid = st.columns(2)
for i, category in enumerate(instance.categories):
    grid[i % 2].altair_chart(charts.seats_chart(seats, category), width="stretch")

# ---- 6. simulation -------------------------------------------------------------------------------
st.subheader("6. Everyone's chance, from letter to seat")
st.markdown(
    "Does everyone in the population get the same chance? We simulate the whole process many times: send the "
    f"{letters:,} letters to a population like the background sample, let people join with the fitted *q*, and "
    "select the panel from each simulated pool. For each type of person (identical values) we estimate the chance "
    "of ending up on the panel, divided by the equal chance *k/N*: **1 is fair**; the shaded band is ±10%.")
names = available()
offered = [n for n in ("legacy", "maximin", "leximin") if n in names]
default = [n for n in ("legacy", "maximin") if n in offered]  # leximin: up to a minute per pool of a few hundred
sim = st.columns([2, 2, 3, 1], vertical_alignment="bottom")
phase_pools = int(sim[0].select_slider("Pools for endtoend", [500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000],
                                       value=2000, key="e2e_phase_pools",
                                       help="endtoend's probabilities have a formula, so many pools are quick."))
other_pools = int(sim[1].slider("Pools for the others", 1, 100, 2, key="e2e_other_pools",
                                help="The other methods are run on each simulated pool, one after the other."))
compared = sim[2].multiselect("Compare with", offered, default=default, key="e2e_compare",
                              help="Leximin solves a large optimisation on every simulated pool: up to a minute "
                                   "per pool of a few hundred volunteers. Maximin is its quick cousin (it raises "
                                   "the lowest chance only).")
simulate = sim[3].button("Simulate", type="primary", key="e2e_simulate")
sim_key = (inputs_key, phase_pools, other_pools, tuple(compared))
if simulate:
    model = population_model(instance, fit, encoded)
    bar = st.progress(0.0, text="endtoend")
    runs = []
    try:
        runs.append(simulate_phase_one(model, letters, instance.k, phase_pools, seed=seed,
                                       progress=lambda m: bar.progress((progress_fraction(m) or 0) / (1 + len(compared)),
                                                                       text=m)))
        for i, name in enumerate(compared):
            start = (1 + i) / (1 + len(compared))

            def report(message: str, start: float = start) -> None:
                bar.progress(min(1.0, start + (progress_fraction(message) or 0) / (1 + len(compared))), text=message)

            runs.append(simulate_algorithm(model, letters, instance.k, list(instance.quotas), name, other_pools,
                                           seed=seed, options={"draws": 200} if name == "legacy" else None,
                                           progress=report))
        st.session_state["endtoend_simulation"] = {"key": sim_key, "model": model, "runs": runs}
    except Exception as error:  # noqa: BLE001 - shown next to the button
        show_error(error, "The simulation")
    bar.empty()
simulation = st.session_state.get("endtoend_simulation")
if simulation is None or simulation["key"] != sim_key:
    st.info("Press **Simulate** to run the population → letters → pool → panel process.")
    st.stop()

model, runs = simulation["model"], simulation["runs"]
summary = simulation_summary(model, runs)
display, config = percent_table(summary, ["population within ±10% of k/N", "population estimated precisely"])
config.update({"lowest ratio": st.column_config.NumberColumn(format="%.2f", help="Over types estimated precisely enough."),
               "highest ratio": st.column_config.NumberColumn(format="%.2f", help="Over types estimated precisely enough."),
               "seconds": st.column_config.NumberColumn(format="%.1f")})
st.dataframe(display, hide_index=True, width="stretch", column_config=config)
st.caption(f"Seed {seed}; the same simulated pools for every method. Legacy is run with 200 draws per pool. With few "
           "pools the estimates for the other methods are noisy; raise the slider for steadier figures.")
by_value = ratio_by_value(model, runs)
st.altair_chart(ratio_dots(by_value, "ratio to k/N", "end-to-end chance ÷ k/N (population average per value)"),
                width="stretch")
with st.expander("Every population type"):
    st.altair_chart(type_scatter(ratio_by_type(model, runs)), width="stretch")
    st.caption("Each dot is a type of person; its size is how many people have it. endtoend keeps the dots near 1 "
               "whatever their participation q; the others give rare volunteers (small q) less than their share.")
st.download_button("End-to-end chances per type (CSV)", csv_safe(ratio_by_type(model, runs)),
                   "end_to_end.csv", "text/csv", on_click="ignore")
