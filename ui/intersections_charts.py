"""Charts and cached computations of the Intersections page (heatmaps of cells, metrics per table)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.model import Instance
from core.selection import SelectionResult
from core.views.intersections import per_table_metrics

LEGACY_DRAWS = 200  # panels drawn to estimate figures of algorithms without an explicit distribution
EMPTY_STROKE = "#c0392b"


def heatmap(frame: pd.DataFrame, label: str, columns_title: str, rows_title: str, maximum: float,
            digits: int) -> alt.LayerChart:
    """One algorithm's cells as a heatmap: colour = members, text = the number, red outline = an identity
    the pool has but the panel leaves out."""
    data = frame[frame["algorithm"] == label].rename(  # plain field names: "row", "column" and "count" are
        columns={"column": "across", "row": "down", "count": "members", "left out": "left_out"})  # Vega-Lite words
    base = alt.Chart(data).encode(
        x=alt.X("across:N", title=columns_title, sort=list(dict.fromkeys(data["across"])),
                axis=alt.Axis(labelAngle=0, labelLimit=120)),
        y=alt.Y("down:N", title=rows_title, sort=list(dict.fromkeys(data["down"])), axis=alt.Axis(labelLimit=220)),
    )
    rects = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("members:Q", title="members", scale=alt.Scale(scheme="blues", domain=[0, max(maximum, 1e-9)]),
                        legend=None),
        tooltip=[alt.Tooltip("across:N", title=columns_title), alt.Tooltip("down:N", title=rows_title),
                 alt.Tooltip("members:Q", title="members", format=f".{digits}f"),
                 alt.Tooltip("pool:Q", title="volunteers in the pool")],
    )
    outline = base.transform_filter(alt.datum.left_out).mark_rect(
        fill=None, stroke=EMPTY_STROKE, strokeWidth=2.5)
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("members:Q", format=f".{digits}f"),
        color=alt.condition(alt.datum.members > 0.6 * maximum, alt.value("white"), alt.value("#1f2a2e")),
    )
    return alt.layer(rects, outline, text).properties(title=label, height=alt.Step(28))


def _draw(result: SelectionResult, count: int, seed: int) -> list[list[int]]:
    return result.draw(count, seed)


@st.cache_resource(show_spinner=False, max_entries=64, ttl=3600)
def drawn_panels(key: str, count: int, seed: int, _result: SelectionResult) -> list[list[int]]:
    """`count` panels of a result drawn with `seed` (cached per result key)."""
    return _draw(_result, count, seed)


@st.cache_resource(show_spinner=False, max_entries=16, ttl=3600)
def table_metrics(key: str, _instance: Instance, _results: dict[str, SelectionResult],
                  _panels: dict[str, list[list[int]]], _background: pd.DataFrame | None) -> pd.DataFrame:
    """core.views.intersections.per_table_metrics for every 2- and 3-category table (cached per key)."""
    return per_table_metrics(_instance, {n: r.marginals for n, r in _results.items()},
                             {n: r.distribution for n, r in _results.items()}, _panels,
                             order=3, max_cells=None, background=_background)


def result_key(instance: Instance, name: str, result: SelectionResult) -> str:
    """A key naming one stored result of one instance (the object's identity within this process)."""
    return f"{instance.fingerprint()}|{name}|{id(result)}|{float(np.sum(result.marginals)):.9f}"
