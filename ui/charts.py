"""Altair charts of the workbench. Each function takes a tidy DataFrame made by `core` and returns a chart."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

POOL_COLORS = ["#2f6f73", "#d08c60"]  # pool share, population share
LABEL_LIMIT = 240  # pixels of a value label before it is cut with "…" (the longest bundled: 29 characters)
ROW_PIXELS = 28  # least height of one value's row in the expected-seats chart, whatever the number of algorithms
PALETTE = ["#2f6f73", "#d08c60", "#6c8ebf", "#b5627a", "#8a9a5b", "#7d6b9c", "#c9a227", "#5a5a5a"]


def pool_vs_population(overview: pd.DataFrame, category: str) -> alt.Chart:
    """For one category: each value's share of the pool next to its share of the population
    (the self-selection bias quotas correct)."""
    data = overview[overview["category"] == category]
    order = list(dict.fromkeys(data["value"]))
    shares = data.melt(id_vars=["category", "value"], value_vars=["pool share", "population share"],
                       var_name="group", value_name="share").dropna(subset=["share"])
    return (
        alt.Chart(shares)
        .mark_bar()
        .encode(
            y=alt.Y("value:N", title=None, sort=order, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
            x=alt.X("share:Q", title=None, axis=alt.Axis(format="%")),
            yOffset=alt.YOffset("group:N"),
            color=alt.Color("group:N", title=None, scale=alt.Scale(domain=["pool share", "population share"],
                                                                   range=POOL_COLORS), legend=None),
            tooltip=["value", "group", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(title=category, height=alt.Step(12))
    )


def algorithm_colors(algorithms: list[str]) -> alt.Scale:
    """The same colour for the same algorithm in every chart of a page."""
    return alt.Scale(domain=list(algorithms), range=PALETTE[:len(algorithms)] if len(algorithms) <= len(PALETTE) else None)


ZOOM = 3.0  # the allocation chart shows selection probabilities from 0 to ZOOM x k/n unless asked for all


def zoomed_top(fair: float) -> float:
    """Top of the allocation chart's zoomed y axis: ZOOM x k/n, at most 100%."""
    return min(1.0, ZOOM * fair)


def allocation_chart(curves: pd.DataFrame, fair: float, full_range: bool = False) -> alt.LayerChart:
    """The Nature paper's probability-allocation chart: each algorithm's selection probabilities,
    sorted, against the volunteers' position in the pool, with the fair chance k/n as a dashed line.
    The y axis runs from 0 to `zoomed_top(fair)` (lines above it are cut at the top edge) unless
    `full_range`, when it spans 0-100%: at k/n = 10%, 0-100% would squeeze every line into the bottom tenth."""
    top = 1.0 if full_range else zoomed_top(fair)
    lines = (
        alt.Chart(curves)
        .mark_line(strokeWidth=2.2, interpolate="step-after", clip=True)
        .encode(
            x=alt.X("position:Q", title="volunteers, from least to most likely to be selected",
                    axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("probability:Q", title="selection probability", axis=alt.Axis(format="~%"),
                    scale=alt.Scale(domain=[0, top])),
            color=alt.Color("algorithm:N", title="algorithm",
                            scale=algorithm_colors(list(dict.fromkeys(curves["algorithm"]))),
                            legend=alt.Legend(orient="top")),
            tooltip=["algorithm", "rank", alt.Tooltip("probability:Q", format=".2%")],
        )
    )
    rule = alt.Chart(pd.DataFrame({"fair": [fair], "label": [f"k/n = {fair:.1%}"]}))
    fair_line = rule.mark_rule(strokeDash=[6, 4], color="#444").encode(y="fair:Q")
    fair_text = rule.mark_text(align="left", dx=4, dy=-7, color="#444").encode(
        y="fair:Q", x=alt.value(4), text="label:N")
    return (lines + fair_line + fair_text).properties(height=380)


def seats_chart(seats: pd.DataFrame, category: str) -> alt.LayerChart:
    """Expected seats per value of one category, one thin row per algorithm: the quota band (grey bar),
    k x population share (dark tick) and the algorithm's expected seats (coloured dot)."""
    data = seats[seats["category"] == category]
    order = list(dict.fromkeys(data["value"]))
    algorithms = list(dict.fromkeys(seats["algorithm"]))
    base = alt.Chart(data).encode(
        y=alt.Y("value:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT, labelOverlap=False),
                scale=alt.Scale(paddingInner=0.25)),
    )
    # every layer sits in its algorithm's thin row; bandPosition 0.5 puts dots and ticks on the row's
    # middle line, where the bar is (without it they sit at the row's top edge, half a row too high)
    in_row = alt.YOffset("algorithm:N", sort=algorithms, scale=alt.Scale(type="band", paddingInner=0.2))
    centred = alt.YOffset("algorithm:N", sort=algorithms, scale=alt.Scale(type="band", paddingInner=0.2),
                          bandPosition=0.5)
    x_scale = alt.Scale(zero=False, nice=True)
    layers = [base.mark_bar(color="#d9e2df").encode(
        yOffset=in_row, x=alt.X("min:Q", title="seats", scale=x_scale), x2="max:Q",
        tooltip=["value", "min", "max", alt.Tooltip("proportional seats:Q", format=".1f")])]
    if data["proportional seats"].notna().any():
        layers.append(base.mark_tick(color="#1f2a2e", thickness=2).encode(
            yOffset=centred, x="proportional seats:Q", tooltip=["value", alt.Tooltip("proportional seats:Q", format=".1f")]))
    layers.append(base.mark_point(filled=True, size=60, opacity=0.95).encode(
        yOffset=centred, x="expected seats:Q",
        color=alt.Color("algorithm:N", scale=algorithm_colors(algorithms), legend=None),
        tooltip=["algorithm", "value", alt.Tooltip("expected seats:Q", format=".2f")],
    ))
    # one step per algorithm row; with few algorithms the rows grow so every value's label has room
    return alt.layer(*layers).properties(title=category, height=alt.Step(max(10, -(-ROW_PIXELS // len(algorithms)))))


BUILDERS = {
    "pool_vs_population": pool_vs_population,
    "allocation": allocation_chart,
    "seats": seats_chart,
}


@st.cache_resource(show_spinner=False, max_entries=64, ttl=3600)
def cached(name: str, data: pd.DataFrame, *args) -> alt.TopLevelMixin:
    """The chart BUILDERS[name](data, *args), built once per distinct data and arguments.

    Building an Altair chart costs tens of milliseconds (a page of them, a second), so reruns
    of a page after each click reuse the charts already built."""
    return BUILDERS[name](data, *args)
