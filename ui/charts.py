"""Altair charts of the workbench. Each function takes a tidy DataFrame made by `core` and returns a chart."""

from __future__ import annotations

import altair as alt
import pandas as pd

PALETTE = ["#2f6f73", "#d08c60", "#6c8ebf", "#b5627a", "#8a9a5b", "#7d6b9c", "#c9a227", "#5a5a5a"]


def pool_vs_population(overview: pd.DataFrame) -> alt.Chart:
    """Per category and value: share of the pool against share of the population (self-selection bias)."""
    shares = overview.melt(id_vars=["category", "value"], value_vars=["pool share", "population share"],
                           var_name="group", value_name="share").dropna(subset=["share"])
    return (
        alt.Chart(shares)
        .mark_bar()
        .encode(
            y=alt.Y("value:N", title=None, sort=None),
            x=alt.X("share:Q", title="share", axis=alt.Axis(format="%")),
            yOffset=alt.YOffset("group:N"),
            color=alt.Color("group:N", title=None, scale=alt.Scale(range=PALETTE[:2]),
                            legend=alt.Legend(orient="top")),
            tooltip=["category", "value", "group", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(width=260, height=alt.Step(11))
        .facet(facet=alt.Facet("category:N", title=None, sort=list(dict.fromkeys(overview["category"]))), columns=3)
        .resolve_scale(y="independent")
    )


def allocation_chart(curves: pd.DataFrame, fair: float) -> alt.LayerChart:
    """The Nature paper's probability-allocation chart: each algorithm's selection probabilities,
    sorted, against the volunteers' position in the pool, with the fair chance k/n as a dashed line."""
    lines = (
        alt.Chart(curves)
        .mark_line(strokeWidth=2.2, interpolate="step-after")
        .encode(
            x=alt.X("position:Q", title="volunteers, from least to most likely to be selected",
                    axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("probability:Q", title="selection probability", axis=alt.Axis(format="%")),
            color=alt.Color("algorithm:N", title="algorithm", scale=alt.Scale(range=PALETTE),
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
    """Expected seats per value of one category: the quota band (grey bar), k x population share
    (black tick) and each algorithm's expected seats (coloured dots)."""
    data = seats[seats["category"] == category]
    order = list(dict.fromkeys(data["value"]))
    bands = data.drop_duplicates("value")
    base = alt.Chart(bands).encode(y=alt.Y("value:N", sort=order, title=None))
    band = base.mark_bar(color="#d9e2df", height=16).encode(
        x=alt.X("min:Q", title="seats"), x2="max:Q",
        tooltip=["value", "min", "max", alt.Tooltip("proportional seats:Q", format=".1f")])
    layers = [band]
    if bands["proportional seats"].notna().any():
        layers.append(base.mark_tick(color="#1f2a2e", thickness=2, size=20).encode(
            x="proportional seats:Q", tooltip=["value", alt.Tooltip("proportional seats:Q", format=".1f")]))
    dots = alt.Chart(data).mark_point(filled=True, size=70, opacity=0.9).encode(
        y=alt.Y("value:N", sort=order, title=None),
        x="expected seats:Q",
        yOffset=alt.YOffset("algorithm:N"),
        color=alt.Color("algorithm:N", scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="top")),
        tooltip=["algorithm", "value", alt.Tooltip("expected seats:Q", format=".2f")],
    )
    layers.append(dots)
    return alt.layer(*layers).properties(title=category, height=alt.Step(26))
