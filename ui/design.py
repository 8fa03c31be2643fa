"""The rest of the design space on the pages: incentives to misreport, groups no quota names, ex-ante targets.

Each function draws one section and is called from a page with a line or two; the maths is in
`core.design`. Expensive work (reruns for misreports, runs without targets) starts on a button.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.analysis.metrics import expected_seats, probability_metrics
from core.design.manipulation import (
    MAX_EXHAUSTIVE_TYPES,
    every_misreport,
    incentives,
    manipulability,
)
from core.design.targets import (
    TARGET_ALGORITHMS,
    proportional_targets,
    quota_targets,
    targets_from_column,
    without_targets,
)
from core.design.unquoted import (
    largest_deviation,
    load_group_shares,
    unquoted_columns,
    unquoted_table,
)
from core.errors import InputError
from core.io.export import csv_safe
from core.model import Instance
from core.selection import SelectionResult
from ui.algorithms import options_for
from ui.charts import algorithm_colors
from ui.escape import md
from ui.messages import show_error, show_problems
from ui.solve import run_cached

MANIPULABLE = ["leximin", "maximin", "nash", "goldilocks", "uniform"]  # exact, and quick enough to rerun
CLASSROOM_ALGORITHMS = ["leximin", "maximin", "nash", "uniform"]
WITH_TARGETS = list(TARGET_ALGORITHMS)  # maximin, leximin, Nash, Goldilocks
EVERY_TYPE_IN_APP = 40  # the app examines every type without asking up to this many types


# ---- incentives to misreport ---------------------------------------------------------------------
def misreport_section(instance: Instance, shown: dict[str, SelectionResult], seed: int) -> None:
    """Compare: per algorithm, the largest gain from one misreport, computed on demand; and one volunteer's
    probability under each of their misreports (table and chart)."""
    st.subheader("Incentives to misreport")
    st.caption("Volunteers report their own values. If reporting another value (say, another age band) raises a "
               "volunteer's chance, the algorithm invites misreports. The largest gain from one misreport reruns "
               "the algorithm once per examined volunteer and alternative value, so it is computed on demand.")
    eligible = [name for name in shown if name in MANIPULABLE]
    if not eligible:
        st.info(f"Run one of {', '.join(MANIPULABLE)} to measure its incentives to misreport.")
        return
    few_types = instance.types.size <= EVERY_TYPE_IN_APP
    controls = st.columns([2, 1, 1], vertical_alignment="bottom")
    every = controls[0].checkbox("Every type (exact manipulability)", value=few_types,
                                 disabled=instance.types.size > MAX_EXHAUSTIVE_TYPES,
                                 help=f"{instance.types.size} types: one rerun per type and alternative value.")
    sample = None if every else int(controls[1].number_input("Volunteers sampled", 1, instance.n, min(3, instance.n),
                                                             help="A seeded sample (the page's seed)."))
    store = st.session_state.setdefault("design_manipulability", {})
    key = (instance.fingerprint(), seed, sample)
    if controls[2].button("Compute largest gain", width="stretch"):
        failed = False
        with st.status("Rerunning the algorithms with one report changed…", expanded=True) as status:
            line = st.empty()
            for name in eligible:
                try:
                    store[(key, name)] = manipulability(instance, name, seed=seed, options=options_for(name, {}),
                                                        sample=sample, progress=lambda text: line.caption(text))
                except Exception as error:  # noqa: BLE001 - shown next to the algorithm
                    show_error(error, f"{name}: incentives to misreport")
                    failed = True
            status.update(label="Incentives to misreport computed", state="complete", expanded=False)
        if not failed:
            st.rerun()  # the side-by-side table above shows the new column
    rows = [_manipulability_row(instance, name, store[(key, name)]) for name in eligible if (key, name) in store]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
            "largest gain from one misreport": st.column_config.NumberColumn(format="%.2f%%"),
            "truthful": st.column_config.NumberColumn(format="%.2f%%"),
            "misreported": st.column_config.NumberColumn(format="%.2f%%")})
    with st.expander("One volunteer's misreports"):
        pick = st.columns([2, 2, 1], vertical_alignment="bottom")
        volunteer = pick[0].selectbox("Volunteer", list(instance.ids), key="design_volunteer")
        algorithm = pick[1].selectbox("Algorithm", eligible, key="design_volunteer_algorithm")
        if pick[2].button("Compute", key="design_volunteer_go"):
            row = list(instance.ids).index(volunteer)
            with st.spinner(f"Rerunning {algorithm} once per alternative value…"):
                try:
                    store[("volunteer", key, volunteer, algorithm)] = incentives(
                        instance, row, algorithm, seed=seed, options=options_for(algorithm, {}),
                        truthful=shown.get(algorithm))
                except Exception as error:  # noqa: BLE001
                    show_error(error, f"{algorithm}: misreports of {volunteer}")
        found = store.get(("volunteer", key, volunteer, algorithm))
        if found is not None:
            frame = pd.DataFrame([{"misreport": f"{m.category} = {m.value}", "probability": m.probability,
                                   "gain": m.probability - found.truthful} for m in found.misreports])
            st.markdown(f"**{md(volunteer)}** as reported: {found.truthful:.2%}; largest gain from one misreport "
                        f"{found.largest_gain:.2%}.")
            bars = alt.Chart(frame).mark_bar(color="#6c8ebf").encode(
                y=alt.Y("misreport:N", title=None, sort=None), x=alt.X("probability:Q", axis=alt.Axis(format="%"),
                                                                    title="selection probability"),
                tooltip=["misreport", alt.Tooltip("probability:Q", format=".2%"), alt.Tooltip("gain:Q", format="+.2%")])
            truth = alt.Chart(pd.DataFrame({"truthful": [found.truthful]})).mark_rule(
                color="#b5627a", strokeDash=[4, 3]).encode(x="truthful:Q")
            st.altair_chart((bars + truth).properties(height=alt.Step(18)), width="stretch")
            st.caption("Dashed line: the probability as reported.")
            st.dataframe(frame, hide_index=True, width="stretch", column_config={
                "probability": st.column_config.NumberColumn(format="%.3f"),
                "gain": st.column_config.NumberColumn(format="%+.3f")})


GAIN_COLUMN = "largest gain from one misreport"
GAIN_CONFIG = {GAIN_COLUMN: st.column_config.NumberColumn(
    "gain from a misreport", format="percent",
    help="The largest rise in a volunteer's selection probability from reporting one other value (computed on "
         "demand below, under Incentives to misreport; empty until then).")}


def with_largest_gain(table: pd.DataFrame, instance: Instance, seed: int) -> pd.DataFrame:
    """The comparison table (one row per `algorithm`) with the largest gain from one misreport, for the
    algorithms whose gain was computed on this pool with this seed (the table unchanged when none was)."""
    found = {name: result.largest_gain for key, result in st.session_state.get("design_manipulability", {}).items()
             if len(key) == 2 and key[0][:2] == (instance.fingerprint(), seed) for name in [key[1]]}
    if not found:
        return table
    return table.assign(**{GAIN_COLUMN: [found.get(name) for name in table["algorithm"]]})


def _manipulability_row(instance: Instance, name: str, result) -> dict:
    best = result.achieved_by
    misreport = best.best if best is not None else None
    return {
        "algorithm": name,
        "largest gain from one misreport": 100 * result.largest_gain,
        "volunteer": best.volunteer if best is not None and result.largest_gain > 0 else "—",
        "misreport": f"{misreport.category} = {misreport.value}" if misreport and result.largest_gain > 0 else "—",
        "truthful": 100 * best.truthful if best is not None else None,
        "misreported": 100 * misreport.probability if misreport is not None else None,
        "examined": "every type" if result.exhaustive else f"sample of {result.sample_size} (seed {result.seed})",
        "reruns": result.reruns,
    }


def classroom_misreports(instance: Instance, seed: int) -> None:
    """Classroom: every volunteer, every misreport, every chosen algorithm, exactly."""
    st.subheader("Incentives to misreport")
    st.markdown("Each volunteer could report another value in one category. Below, every such misreport of every "
                "volunteer, and the chance it would bring them: a positive **gain** means the algorithm rewards "
                "the lie.")
    chosen = st.multiselect("Algorithms", CLASSROOM_ALGORITHMS, default=["leximin", "uniform"],
                            key="classroom_misreport_algorithms")
    store = st.session_state.setdefault("classroom_misreports", {})
    key = (instance.fingerprint(), tuple(chosen), seed)
    if st.button("Compute every misreport", disabled=not chosen):
        with st.spinner("Rerunning each algorithm once per type and alternative value…"):
            try:
                store.clear()
                store[key] = every_misreport(instance, chosen, seed=seed)
            except Exception as error:  # noqa: BLE001
                show_error(error, "Incentives to misreport")
    table = store.get(key)
    if table is None:
        return
    best = table.loc[table.groupby(["algorithm", "volunteer"], sort=False)["gain"].idxmax()]
    chart = alt.Chart(best.assign(gain=best["gain"].clip(lower=0))).mark_bar().encode(
        x=alt.X("volunteer:N", title=None, sort=list(instance.ids)),
        xOffset="algorithm:N",
        y=alt.Y("gain:Q", title="largest gain from one misreport", axis=alt.Axis(format="%")),
        color=alt.Color("algorithm:N", scale=algorithm_colors(chosen), legend=alt.Legend(orient="top")),
        tooltip=["volunteer", "algorithm", "category", "reported", "misreport", alt.Tooltip("gain:Q", format="+.1%")],
    ).properties(height=220)
    st.altair_chart(chart, width="stretch")
    summary = table.groupby("algorithm", sort=False)["gain"].max().clip(lower=0)
    st.markdown(" · ".join(f"**{name}**: largest gain {gain:.1%}" for name, gain in summary.items()))
    st.dataframe(table, hide_index=True, width="stretch", height=260, column_config={
        name: st.column_config.NumberColumn(format="%.3f") for name in ("truthful", "probability", "gain")})


# ---- groups no quota names -----------------------------------------------------------------------
def unquoted_section(instance: Instance, shown: dict[str, SelectionResult]) -> None:
    """Compare: expected seats of the values of pool columns no quota names, against pool and population."""
    st.subheader("Groups no quota names")
    columns = unquoted_columns(instance)
    if not columns:
        st.caption("Every pool column is a quota category, an id, or has a different value for almost everyone: "
                   "there is no unnamed group to look at.")
        return
    st.caption("A simple lottery gives every group its share of the pool (grey tick), even groups no quota names. "
               "Dots: the seats each algorithm gives the group on average; dark tick: the population's share, where "
               "a shares file gives it.")
    top = st.columns([2, 2])
    picked = top[0].multiselect("Pool columns", columns, default=columns[:2], key="design_unquoted_columns")
    upload = top[1].file_uploader("Population shares (optional CSV: category,value,population_share)", type=["csv"],
                                  key="design_unquoted_shares")
    shares = None
    if upload is not None:
        try:
            shares = load_group_shares(upload, name=upload.name)
        except InputError as error:
            show_problems(error.problems, title=f"Could not use {upload.name}:")
    if not picked:
        return
    table = unquoted_table(instance, shown, shares, picked)
    grid = st.columns(2)
    for i, column in enumerate(picked):
        grid[i % 2].altair_chart(unquoted_chart(table[table["column"] == column], column, list(shown)),
                                 width="stretch")
    worst = largest_deviation(table)
    st.dataframe(worst.rename(columns={"from_pool": "largest |seats − pool share × k|",
                                       "from_population": "largest |seats − population share × k|"}),
                 hide_index=True, width="stretch", column_config={
                     "largest |seats − pool share × k|": st.column_config.NumberColumn(format="%.2f"),
                     "largest |seats − population share × k|": st.column_config.NumberColumn(format="%.2f")})
    st.download_button("Groups no quota names (CSV)", csv_safe(table), "unquoted_groups.csv", "text/csv",
                       on_click="ignore")


def unquoted_chart(table: pd.DataFrame, column: str, algorithms: list[str]) -> alt.LayerChart:
    """Per value: a dot per algorithm at its expected seats, ticks at k x pool share and k x population share."""
    order = list(dict.fromkeys(table["value"]))
    base = alt.Chart(table).encode(y=alt.Y("value:N", title=None, sort=order))
    dots = base.mark_point(filled=True, size=70).encode(
        x=alt.X("expected_seats:Q", title="seats"), yOffset="algorithm:N",
        color=alt.Color("algorithm:N", scale=algorithm_colors(algorithms), legend=alt.Legend(orient="top")),
        tooltip=["algorithm", "value", alt.Tooltip("expected_seats:Q", format=".2f"),
                 alt.Tooltip("pool_seats:Q", format=".2f"), alt.Tooltip("population_seats:Q", format=".2f")])
    pool = base.mark_tick(color="#9a9a9a", thickness=3).encode(x="pool_seats:Q")
    population = base.transform_filter("isValid(datum.population_seats)").mark_tick(
        color="#333", thickness=2).encode(x="population_seats:Q")
    return (pool + population + dots).properties(title=column, height=alt.Step(24))


# ---- ex-ante targets -----------------------------------------------------------------------------
def target_column(table: pd.DataFrame, instance: Instance) -> pd.DataFrame:
    """The quota table with an editable `target` column right after max (expected seats; empty = none)."""
    out = table.copy()
    position = list(out.columns).index("max") + 1 if "max" in out.columns else len(out.columns)
    out.insert(position, "target", [q.target for q in instance.quotas])
    out["target"] = pd.to_numeric(out["target"], errors="coerce")
    return out


TARGET_CONFIG = {"target": st.column_config.NumberColumn(
    min_value=0.0, step=0.1, format="%.2f",
    help="Ex-ante target: the seats this value should hold on average over the lottery (maximin, leximin, "
         "Nash and Goldilocks meet it in expectation; each panel still meets min and max). Empty = no target.")}


def apply_targets(quotas: list, edited: pd.DataFrame) -> list:
    """The quotas with the edited table's targets (unchanged when the table has no target column)."""
    return targets_from_column(quotas, edited["target"]) if "target" in edited.columns else quotas


def proportional_targets_button(instance: Instance) -> Instance | None:
    """A button setting every target to k x population share; the new instance when pressed."""
    if not instance.population_shares:
        return None
    buttons = st.columns([1, 1, 2])
    if buttons[0].button("Targets = proportional to population shares",
                         help="Set every value's target to k × its population share (expected seats)."):
        return instance.with_quotas(proportional_targets(instance))
    if quota_targets(instance) is not None and buttons[1].button("Remove every target"):
        return without_targets(instance)
    return None


def targets_section(instance: Instance, shown: dict[str, SelectionResult], seed: int) -> None:
    """Compare: the same algorithm with and without the targets, side by side (the price of the targets)."""
    targets = quota_targets(instance)
    if targets is None:
        return
    st.subheader("With and without the targets")
    with_targets = {name: result for name, result in shown.items() if name in WITH_TARGETS}
    if not with_targets:
        st.caption("Targets apply to maximin, leximin, Nash and Goldilocks: run one of them to see what the targets cost.")
        return
    st.caption("The quotas carry ex-ante targets, which the fair algorithms meet on average. Here each of them "
               "again without the targets: the difference in chances is the price of the targets.")
    store = st.session_state.setdefault("design_without_targets", {})
    plain = without_targets(instance)
    key = (instance.fingerprint(), seed)
    if st.button("Run them without the targets"):
        for name in with_targets:
            try:
                store[(key, name)] = run_cached(name, plain, seed, options_for(name, {}), progress=lambda _: None)[0]
            except Exception as error:  # noqa: BLE001
                show_error(error, f"{name} without targets")
    rows, seats = [], []
    has_target = np.flatnonzero(np.isfinite(targets)).tolist()
    for name, result in with_targets.items():
        pairs = [("with targets", result)] + ([("without", store[(key, name)])] if (key, name) in store else [])
        for label, outcome in pairs:
            figures = probability_metrics(outcome.marginals, instance.k)
            expected = expected_seats(instance, outcome.marginals)
            deviation = max(abs(expected[j] - targets[j]) for j in has_target)
            rows.append({"algorithm": name, "targets": label, "min probability": figures["min"],
                         "Gini": figures["gini"], "largest |seats − target|": deviation,
                         "smallest reachable deviation": result.info.get("target_deviation")})
            seats += [{"algorithm": f"{name} ({label})", "quota": instance.quotas[j].label, "seats": expected[j],
                       "target": targets[j]} for j in has_target]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "min probability": st.column_config.NumberColumn(format="%.4f"),
        "Gini": st.column_config.NumberColumn(format="%.3f"),
        "largest |seats − target|": st.column_config.NumberColumn(format="%.4f"),
        "smallest reachable deviation": st.column_config.NumberColumn(format="%.4f")})
    frame = pd.DataFrame(seats)
    base = alt.Chart(frame).encode(y=alt.Y("quota:N", title=None, sort=None))
    dots = base.mark_point(filled=True, size=60).encode(
        x=alt.X("seats:Q", title="expected seats"), yOffset="algorithm:N", color=alt.Color("algorithm:N", title=None,
                                                                                          legend=alt.Legend(orient="top")),
        tooltip=["algorithm", "quota", alt.Tooltip("seats:Q", format=".3f"), alt.Tooltip("target:Q", format=".3f")])
    ticks = base.mark_tick(color="#333", thickness=2).encode(x="target:Q")
    st.altair_chart((ticks + dots).properties(height=alt.Step(26)), width="stretch")
    st.caption("Dark tick: the target. Dots: the expected seats with and without the targets.")
