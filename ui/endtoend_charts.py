"""Altair charts of the End-to-end page; each takes a DataFrame made by core.views.endtoend."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd

from .charts import algorithm_colors

BAND = "#e4efe9"


def beta_chart(betas: pd.DataFrame) -> alt.LayerChart:
    """Each value's beta (dot) with its bootstrap interval (bar), one block per category."""
    order = list(betas["label"])
    base = alt.Chart(betas).encode(y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)))
    bars = base.mark_errorbar(ticks=True, color="#6c8ebf").encode(
        x=alt.X("low:Q", title="β: willingness to volunteer (most willing = 1)",
                scale=alt.Scale(domain=[0, 1.05])), x2="high:Q")
    dots = base.mark_point(filled=True, size=60, color="#2f6f73").encode(
        x="beta:Q", tooltip=["category", "value", alt.Tooltip("beta:Q", format=".3f"),
                             alt.Tooltip("low:Q", title="interval from", format=".3f"),
                             alt.Tooltip("high:Q", title="interval to", format=".3f")])
    return alt.layer(bars, dots).properties(height=alt.Step(16))


def q_histogram(q: pd.DataFrame, mean: float) -> alt.LayerChart:
    """How many volunteers have each participation probability q, with the mean participation marked."""
    bars = alt.Chart(q).mark_bar(color="#2f6f73").encode(
        x=alt.X("q:Q", bin=alt.Bin(maxbins=40), title="participation probability q (chance of joining when invited)",
                axis=alt.Axis(format=".1%")),
        y=alt.Y("count():Q", title="volunteers"),
        tooltip=[alt.Tooltip("count():Q", title="volunteers")])
    rule = alt.Chart(pd.DataFrame({"mean": [mean], "label": [f"mean participation {mean:.2%}"]}))
    line = rule.mark_rule(strokeDash=[6, 4], color="#444").encode(x="mean:Q")
    text = rule.mark_text(align="left", dx=4, dy=-4, color="#444").encode(x="mean:Q", y=alt.value(8), text="label:N")
    return alt.layer(bars, line, text).properties(height=260)


def ratio_dots(frame: pd.DataFrame, value_column: str, title: str, reference: float = 1.0) -> alt.LayerChart:
    """Per value (rows, grouped by category) a dot per algorithm at its ratio, a line at `reference`
    and a band of +-10% around it."""
    order = list(dict.fromkeys(frame["category"] + ": " + frame["value"]))
    data = frame.assign(label=frame["category"] + ": " + frame["value"])
    algorithms = list(dict.fromkeys(data["algorithm"]))
    band = alt.Chart(pd.DataFrame({"low": [0.9 * reference], "high": [1.1 * reference]})).mark_rect(
        color=BAND).encode(x="low:Q", x2="high:Q")
    line = alt.Chart(pd.DataFrame({"ref": [reference]})).mark_rule(color="#444", strokeDash=[6, 4]).encode(x="ref:Q")
    dots = alt.Chart(data).mark_point(filled=True, size=60, opacity=0.9).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X(f"{value_column}:Q", title=title, scale=alt.Scale(zero=False)),
        color=alt.Color("algorithm:N", scale=algorithm_colors(algorithms), legend=alt.Legend(orient="top", title=None)),
        tooltip=["algorithm", "category", "value", alt.Tooltip(f"{value_column}:Q", format=".2f")])
    return alt.layer(band, line, dots).properties(height=alt.Step(16))


def type_scatter(frame: pd.DataFrame) -> alt.LayerChart:
    """Every population type: its participation q (x, log scale) against its end-to-end chance relative to k/N."""
    algorithms = list(dict.fromkeys(frame["algorithm"]))
    band = alt.Chart(pd.DataFrame({"low": [0.9], "high": [1.1]})).mark_rect(color=BAND).encode(y="low:Q", y2="high:Q")
    dots = alt.Chart(frame).mark_circle(opacity=0.55).encode(
        x=alt.X("q:Q", scale=alt.Scale(type="log"), title="participation q of the type (log scale)",
                axis=alt.Axis(format=".1%")),
        y=alt.Y("ratio_to_uniform:Q", title="end-to-end chance ÷ k/N (cut at 3)",
                scale=alt.Scale(domain=[0, 3], clamp=True)),
        size=alt.Size("people:Q", legend=None, scale=alt.Scale(range=[8, 160])),
        color=alt.Color("algorithm:N", scale=algorithm_colors(algorithms), legend=alt.Legend(orient="top", title=None)),
        tooltip=["algorithm", alt.Tooltip("q:Q", format=".3%"), alt.Tooltip("ratio_to_uniform:Q", format=".2f"),
                 alt.Tooltip("people:Q", format=",.0f")])
    return alt.layer(band, dots).properties(height=340)


def progress_fraction(message: str) -> float | None:
    """The fraction done in a progress message like 'legacy end to end: 3/10 pools' (None if absent)."""
    match = re.search(r"([\d,]+)\s*/\s*([\d,]+)", message)
    if not match:
        return None
    done, total = (int(x.replace(",", "")) for x in match.groups())
    return min(done / total, 1.0) if total else None
