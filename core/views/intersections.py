"""Tables behind the Intersections page: cell counts per algorithm, per-table metrics, identities left out.

Builds on core.analysis.intersections (tables, cells, metrics). Everything here is a plain DataFrame so a page
only has to draw it. "Expected" counts are sums of selection probabilities (the average panel of the
lottery); "panel" counts are those of one drawn panel. The chance that an identity (a cell the pool
occupies) is left out of the panel is exact for a distribution over panels,
    P(n_c = 0) = sum_j p_j [composition j has no one in cell c],
and estimated from drawn panels for algorithms that only sample (legacy).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.intersections import (
    cell_table,
    expected_counts,
    intersection_metrics,
    panel_counts,
    pool_counts,
    table_of,
)
from ..analysis.metrics import probability_metrics
from ..distribution import Distribution
from ..errors import InputError, Problem
from ..model import Instance

CELL_SEPARATOR = " · "


def check_table_choice(instance: Instance, categories: list[str]) -> None:
    """InputError unless `categories` are two or three distinct categories of the instance."""
    problems = []
    unknown = [c for c in categories if c not in instance.categories]
    if unknown:
        problems.append(Problem(f"unknown category(ies): {', '.join(unknown)}.",
                                f"Choose among: {', '.join(instance.categories)}."))
    if len(set(categories)) != len(categories):
        problems.append(Problem("a category is chosen twice.", "Choose each category once."))
    if not 2 <= len(categories) <= 3:
        problems.append(Problem(f"{len(categories)} categor{'y' if len(categories) == 1 else 'ies'} chosen.",
                                "Choose two or three categories to see their intersections."))
    if problems:
        raise InputError(problems)


def heatmap_frame(instance: Instance, categories: list[str], counts: dict[str, np.ndarray]) -> pd.DataFrame:
    """Tidy rows (algorithm, row, column, count, pool, left out) for heatmaps of one table.

    `counts` maps a label (an algorithm, or "pool") to a count per cell in cell-index order. The
    first category gives the columns; the others, joined with " · ", give the rows. `left out` marks
    cells the pool occupies but the counts leave (at 0).
    """
    check_table_choice(instance, categories)
    table = table_of(instance, categories)
    cells = table.cell_values(instance)
    pool = pool_counts(instance, table)
    frames = []
    for label, values in counts.items():
        values = np.asarray(values, dtype=float)
        frames.append(pd.DataFrame({
            "algorithm": label,
            "column": [c[0] for c in cells],
            "row": [CELL_SEPARATOR.join(c[1:]) for c in cells],
            "count": values,
            "pool": pool,
            "left out": (pool >= 1) & (values <= 1e-9),
        }))
    return pd.concat(frames, ignore_index=True)


def cell_counts(instance: Instance, categories: list[str], *, marginals: np.ndarray | None = None,
                panel: list[int] | None = None) -> np.ndarray:
    """Expected members per cell (from selection probabilities) or members of one drawn panel."""
    table = table_of(instance, categories)
    if panel is not None:
        return panel_counts(instance, table, np.asarray([panel]))[0].astype(float)
    if marginals is None:
        raise ValueError("give marginals or a panel")
    return expected_counts(instance, table, marginals)


def left_out_probability(instance: Instance, categories: list[str], *, distribution: Distribution | None = None,
                         panels: list[list[int]] | None = None) -> np.ndarray:
    """Per cell, the chance that the panel has no one in it: exact from `distribution`, else the share
    of `panels` (drawn panels) without anyone in it."""
    table = table_of(instance, categories)
    if distribution is not None:
        cell_of_type = table.cell_of(distribution.types.codes)
        in_cell = np.zeros((distribution.types.size, table.size))
        in_cell[np.arange(distribution.types.size), cell_of_type] = 1.0
        members = distribution.compositions @ in_cell  # panels x cells
        return distribution.probabilities @ (members <= 0.5).astype(float)
    if not panels:
        raise ValueError("give a distribution or drawn panels")
    counts = panel_counts(instance, table, np.asarray([sorted(p) for p in panels]))
    return (counts == 0).mean(axis=0)


def identities_left_out(instance: Instance, categories: list[str], panel: list[int],
                        probability: np.ndarray | None = None) -> pd.DataFrame:
    """Identities (cells) the pool has but `panel` leaves out, with their pool count and, when given,
    the chance over draws that the panel leaves them out (`probability`, per cell)."""
    frame = cell_table(instance, categories, panel=panel)
    if probability is not None:
        frame["chance left out"] = np.asarray(probability, dtype=float)
    missing = frame[(frame["pool"] >= 1) & (frame["panel"] == 0)]
    columns = list(categories) + ["pool"] + (["chance left out"] if probability is not None else [])
    return missing[columns].sort_values("pool", ascending=False).reset_index(drop=True)


def per_table_metrics(instance: Instance, marginals: dict[str, np.ndarray],
                      distributions: dict[str, Distribution | None], panels: dict[str, list[list[int]]],
                      *, order: int = 3, max_cells: int | None = None, background: pd.DataFrame | None = None
                      ) -> pd.DataFrame:
    """One row per (algorithm, intersection table of 2..order categories): Gini of the expected counts
    and the expected number of empty cells the pool could fill (exact with a distribution, else the
    mean over `panels`), plus the cells never filled by any panel of the lottery."""
    rows = []
    for name, p in marginals.items():
        figures = intersection_metrics(instance, marginals=p, distribution=distributions.get(name),
                                       panels=None if distributions.get(name) is not None else panels.get(name),
                                       background=background, order=order, max_cells=max_cells)
        expected = figures["expected"]["per_table"]
        drawn = figures.get("panels", {}).get("per_table")
        for t, table in enumerate(figures["tables"]):
            if len(table["categories"]) < 2:
                continue
            empty = expected["expected_empty"][t] if "expected_empty" in expected else (
                drawn["empty_fillable"][t] if drawn else np.nan)
            rows.append({"algorithm": name, "table": " × ".join(table["categories"]),
                         "cells": table["cells"], "cells the pool fills": table["fillable"],
                         "Gini": expected["gini"][t], "expected empty cells": empty,
                         "never filled": expected["never_filled"][t]})
    return pd.DataFrame(rows)


def summary_table(instance: Instance, marginals: dict[str, np.ndarray], per_table: pd.DataFrame) -> pd.DataFrame:
    """One row per algorithm: the intersectional figures summed or averaged over the tables, next to
    the individual-fairness figures (lowest selection probability, Gini of selection probabilities)."""
    rows = []
    for name, p in marginals.items():
        mine = per_table[per_table["algorithm"] == name]
        fairness = probability_metrics(p, instance.k)
        rows.append({"algorithm": name,
                     "mean Gini over tables": float(mine["Gini"].mean()) if len(mine) else np.nan,
                     "expected empty cells": float(mine["expected empty cells"].sum()) if len(mine) else np.nan,
                     "cells never filled": float(mine["never filled"].sum()) if len(mine) else np.nan,
                     "lowest selection probability": fairness["min"],
                     "volunteers with probability 0": int((np.asarray(p) <= 1e-9).sum()),
                     "Gini of selection probabilities": fairness["gini"]})
    return pd.DataFrame(rows)
