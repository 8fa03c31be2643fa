"""Intersection tables and the intersectional metrics every selection is judged by.

An *intersection table* is a set of 1, 2 or 3 categories; its *cells* are every combination of
their values as the quotas list them (the full product, so a cell may hold no one in the pool).
A panel puts n_c of its k members in cell c (sum_c n_c = k). Per table, with m cells:

    empty fillable cells   #{c : pool_c >= 1 and n_c = 0}   (identities the pool has, the panel lacks)
    Gini                   sum_{c,d} |n_c - n_d| / (2 m sum_c n_c)     over all m cells
    L1 from uniform        sum_c |n_c - k/m|                           (what Diversimax minimises)
    L1 from population     sum_c |n_c - k s_c|, s_c = the population's joint share of cell c

For a distribution, the same figures of the *expected* counts E[n_c] = sum_{i in c} pi_i (pi =
selection probabilities) are reported, plus two facts about the number of empty fillable cells
over draws that the marginals alone determine:
    never filled           #{fillable c : E[n_c] = 0}  (empty in every panel the distribution draws)
    expected empty >=      sum_{fillable c} max(0, 1 - E[n_c])   (P(n_c = 0) >= 1 - E[n_c], n_c >= 0 integer)
and, when the distribution itself is given, the exact expected number sum_j p_j #empty(panel j).
"Over draws" means the mean of a panel's figures over a list of drawn panels.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import combinations, product

import numpy as np
import pandas as pd

from ..model import Instance

DEFAULT_ORDER = 3
DEFAULT_MAX_CELLS = 100
_ZERO = 1e-12


@dataclass(frozen=True)
class IntersectionTable:
    """The cells of some categories' value combinations; cell index = np.ravel_multi_index(values, shape)."""

    categories: tuple[str, ...]
    columns: tuple[int, ...]  # positions of the categories in Instance.categories (= columns of codes)
    shape: tuple[int, ...]  # number of values of each category

    @property
    def size(self) -> int:
        """Number of cells, m = prod of the numbers of values."""
        return int(np.prod(self.shape))

    @property
    def name(self) -> str:
        return " × ".join(self.categories)

    def cell_of(self, codes: np.ndarray) -> np.ndarray:
        """Cell index of each row of a value-code matrix (volunteers or types x all categories)."""
        return np.ravel_multi_index(tuple(codes[:, c] for c in self.columns), self.shape)

    def cell_values(self, instance: Instance) -> list[tuple[str, ...]]:
        """The value combination of each cell, in cell-index order."""
        return list(product(*(instance.values(cat) for cat in self.categories)))


def intersection_tables(instance: Instance, order: int = DEFAULT_ORDER,
                        max_cells: int | None = DEFAULT_MAX_CELLS) -> list[IntersectionTable]:
    """Every combination of 1..order categories whose table has at most max_cells cells (None: no cap)."""
    return [t for t in all_tables(instance, order) if max_cells is None or t.size <= max_cells]


def all_tables(instance: Instance, order: int = DEFAULT_ORDER) -> list[IntersectionTable]:
    """Every combination of 1..order categories, in quota-file order, without a cell cap."""
    shape_of = [len(instance.values(cat)) for cat in instance.categories]
    out = []
    for r in range(1, min(order, len(instance.categories)) + 1):
        for columns in combinations(range(len(instance.categories)), r):
            out.append(IntersectionTable(tuple(instance.categories[c] for c in columns), columns,
                                         tuple(shape_of[c] for c in columns)))
    return out


def table_of(instance: Instance, categories: list[str] | tuple[str, ...]) -> IntersectionTable:
    """The table of the given categories (in the order given)."""
    columns = tuple(instance.categories.index(cat) for cat in categories)
    return IntersectionTable(tuple(categories), columns, tuple(len(instance.values(cat)) for cat in categories))


# ----------------------------------------------------------------------------------------------
# Counts per cell


def pool_counts(instance: Instance, table: IntersectionTable) -> np.ndarray:
    """Number of volunteers in each cell."""
    return np.bincount(table.cell_of(instance.codes), minlength=table.size)


def panel_counts(instance: Instance, table: IntersectionTable, panels: np.ndarray) -> np.ndarray:
    """Members per cell of each panel: panels is P x k (pool row indices) -> P x m counts."""
    panels = np.atleast_2d(np.asarray(panels, dtype=np.int64))
    cells = table.cell_of(instance.codes)[panels]  # P x k
    offset = np.arange(len(panels))[:, None] * table.size
    return np.bincount((cells + offset).ravel(), minlength=len(panels) * table.size).reshape(len(panels), table.size)


def expected_counts(instance: Instance, table: IntersectionTable, marginals: np.ndarray) -> np.ndarray:
    """E[n_c] = sum of the selection probabilities of the volunteers in cell c."""
    return np.bincount(table.cell_of(instance.codes), weights=np.asarray(marginals, dtype=float), minlength=table.size)


def population_shares(instance: Instance, table: IntersectionTable, background: pd.DataFrame | None,
                      weight: str | None = None) -> np.ndarray | None:
    """The population's joint share of each cell, or None when unknown.

    From `background` (one row per sampled person, optional per-row `weight` column): share of
    cell c = weight of rows in c / weight of rows whose values are all listed in the quotas (rows
    with other or missing values are left out of that table). Without a background, one-category
    tables use `instance.population_shares` when it gives every value.
    """
    if background is not None:
        parts = []
        for cat in table.categories:
            index = {v: j for j, v in enumerate(instance.values(cat))}
            parts.append(background[cat].astype(str).str.strip().map(index).to_numpy(dtype=float))
        codes = np.column_stack(parts)
        known = ~np.isnan(codes).any(axis=1)
        w = np.ones(len(background)) if weight is None else background[weight].to_numpy(dtype=float)
        cells = np.ravel_multi_index(tuple(codes[known].astype(np.int64).T), table.shape)
        totals = np.bincount(cells, weights=w[known], minlength=table.size)
        return totals / totals.sum() if totals.sum() > 0 else None
    shares = instance.population_shares
    if shares and len(table.categories) == 1:
        cat = table.categories[0]
        values = instance.values(cat)
        if all((cat, v) in shares for v in values):
            s = np.array([shares[(cat, v)] for v in values], dtype=float)
            return s / s.sum()
    return None


# ----------------------------------------------------------------------------------------------
# Figures of count vectors (rows = panels or one expected-count vector)


def gini(counts: np.ndarray) -> np.ndarray:
    """Gini of each row: sum_{c,d} |x_c - x_d| / (2 m sum x) = sum_i (2i - m - 1) x_(i) / (m sum x)."""
    x = np.sort(np.atleast_2d(np.asarray(counts, dtype=float)), axis=1)
    m = x.shape[1]
    rank_weight = 2 * np.arange(1, m + 1) - m - 1
    total = x.sum(axis=1)
    return np.where(total > 0, (x @ rank_weight) / (m * np.where(total > 0, total, 1)), 0.0)


def l1_from(counts: np.ndarray, target: np.ndarray | float) -> np.ndarray:
    """sum_c |counts_c - target_c| of each row."""
    return np.abs(np.atleast_2d(np.asarray(counts, dtype=float)) - target).sum(axis=1)


def empty_fillable(counts: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """#{c : pool_c >= 1 and counts_c = 0} of each row."""
    return ((np.atleast_2d(counts) <= _ZERO) & (pool >= 1)).sum(axis=1)


# ----------------------------------------------------------------------------------------------
# The metrics of a selection


@dataclass
class _TableData:
    table: IntersectionTable
    pool: np.ndarray
    population: np.ndarray | None

    @cached_property
    def fillable(self) -> int:
        return int((self.pool >= 1).sum())


def _table_figures(data: _TableData, counts: np.ndarray, k: int) -> dict[str, np.ndarray | None]:
    """Per-row figures of count rows for one table."""
    m = data.table.size
    return {
        "empty_fillable": empty_fillable(counts, data.pool).astype(float),
        "gini": gini(counts),
        "l1_uniform": l1_from(counts, k / m),
        "l1_population": None if data.population is None else l1_from(counts, k * data.population),
    }


def _summary(rows: list[dict]) -> dict:
    """Figures over all tables: mean Gini, totals of empty cells and L1 distances."""
    with_population = [r["l1_population"] for r in rows if r["l1_population"] is not None]
    return {
        "mean_gini": float(np.mean([r["gini"] for r in rows])) if rows else 0.0,
        "max_gini": float(np.max([r["gini"] for r in rows])) if rows else 0.0,
        "empty_fillable_cells": float(sum(r["empty_fillable"] for r in rows)),
        "l1_uniform": float(sum(r["l1_uniform"] for r in rows)),
        "l1_population": float(sum(with_population)) if with_population else None,
        "tables_with_population": len(with_population),
    }


def intersection_metrics(instance: Instance, *, panels: list[list[int]] | np.ndarray | None = None,
                         marginals: np.ndarray | None = None, distribution=None,
                         background: pd.DataFrame | None = None, weight: str | None = None,
                         order: int = DEFAULT_ORDER, max_cells: int | None = DEFAULT_MAX_CELLS) -> dict:
    """Intersectional figures of panels (mean over them) and/or of selection probabilities.

    Returns a JSON-serialisable dict: "tables" (name, cells, fillable cells) and, for each input
    given, "panels" / "expected": per-table figures (lists aligned with "tables") and a "summary".
    `distribution` (a core.distribution.Distribution) adds the exact expected number of empty
    fillable cells over draws and stands in for `marginals` when those are not given.
    """
    tables = intersection_tables(instance, order, max_cells)
    data = [_TableData(t, pool_counts(instance, t), population_shares(instance, t, background, weight)) for t in tables]
    skipped = [t.name for t in all_tables(instance, order) if max_cells is not None and t.size > max_cells]
    out: dict = {
        "order": order,
        "max_cells": max_cells,
        "tables": [{"categories": list(d.table.categories), "cells": d.table.size, "fillable": d.fillable}
                   for d in data],
        "skipped_tables": skipped,
    }
    if panels is not None and len(panels) > 0:
        panel_array = np.asarray([sorted(p) for p in panels], dtype=np.int64)
        rows = []
        for d in data:
            figures = _table_figures(d, panel_counts(instance, d.table, panel_array), instance.k)
            rows.append({key: None if v is None else float(v.mean()) for key, v in figures.items()})
        out["panels"] = {"count": len(panel_array), "per_table": _columns(rows), "summary": _summary(rows)}
    if marginals is None and distribution is not None:
        marginals = distribution.marginals()
    if marginals is not None:
        rows = []
        for d in data:
            expected = expected_counts(instance, d.table, marginals)
            row = {key: None if v is None else float(v[0]) for key, v in _table_figures(d, expected, instance.k).items()}
            fillable = d.pool >= 1
            row["never_filled"] = row.pop("empty_fillable")
            row["expected_empty_lower_bound"] = float(np.clip(1 - expected[fillable], 0, None).sum())
            if distribution is not None:
                row["expected_empty"] = _exact_expected_empty(distribution, d)
            rows.append(row)
        summary = _summary([{**r, "empty_fillable": r["never_filled"]} for r in rows])
        summary["never_filled_cells"] = summary.pop("empty_fillable_cells")
        summary["expected_empty_lower_bound"] = float(sum(r["expected_empty_lower_bound"] for r in rows))
        if distribution is not None:
            summary["expected_empty_cells"] = float(sum(r["expected_empty"] for r in rows))
        out["expected"] = {"per_table": _columns(rows), "summary": summary}
    return out


def _exact_expected_empty(distribution, data: _TableData) -> float:
    """sum_j p_j #{fillable c : panel j has no one in c}; a type lies in exactly one cell."""
    types = distribution.types
    cell_of_type = data.table.cell_of(types.codes)
    in_cell = np.zeros((types.size, data.table.size))
    in_cell[np.arange(types.size), cell_of_type] = 1.0
    per_panel = distribution.compositions @ in_cell  # P x m members per cell
    return float(distribution.probabilities @ empty_fillable(per_panel, data.pool))


def _columns(rows: list[dict]) -> dict[str, list]:
    """List of per-table dicts -> dict of per-table lists (compact JSON)."""
    return {key: [r[key] for r in rows] for key in rows[0]} if rows else {}


# ----------------------------------------------------------------------------------------------
# One table, cell by cell


def cell_table(instance: Instance, categories: list[str] | tuple[str, ...], *, panel: list[int] | None = None,
               marginals: np.ndarray | None = None, background: pd.DataFrame | None = None,
               weight: str | None = None) -> pd.DataFrame:
    """One row per cell of the table: its values, pool count, panel count, expected count, population k*share."""
    table = table_of(instance, categories)
    frame = pd.DataFrame(table.cell_values(instance), columns=list(table.categories))
    frame["pool"] = pool_counts(instance, table)
    frame["target"] = instance.k / table.size
    if panel is not None:
        frame["panel"] = panel_counts(instance, table, np.asarray([panel]))[0]
    if marginals is not None:
        frame["expected"] = expected_counts(instance, table, marginals)
    shares = population_shares(instance, table, background, weight)
    if shares is not None:
        frame["population"] = instance.k * shares
    return frame


def unrepresented_identities(instance: Instance, panel: list[int], categories: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """The cells of the table the pool has (pool >= 1) but the panel leaves out (no member), with pool counts."""
    frame = cell_table(instance, categories, panel=panel)
    missing = frame[(frame["pool"] >= 1) & (frame["panel"] == 0)]
    return missing[list(categories) + ["pool"]].reset_index(drop=True)
