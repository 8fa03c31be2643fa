"""Diversimax's objective computed without a solver, and the swap search that warm-starts the MIP.

For a composition x (seats per type) and an intersection table t with |cells(t)| cells,
    n_c = sum_{types in c} x_type,   V_t = k / |cells(t)|,   objective = sum_t sum_c |n_c - V_t|.
Every table has sum_c n_c = k, so the objective equals 2 sum_t sum_c (n_c - V_t)^+, and its values
lie on the grid (2/L)Z with L = lcm_t |cells(t)| (`objective_grain`): a solver bound can be rounded
up to the grid (`snap_up`) and best - bound < 2/L proves optimality. `cell_capacity` bounds n_c for
every valid panel. `improve_by_swaps` moves one seat at a time between types while every quota (and
household) rule still holds, taking the move that lowers 2 sum (n_c - V_t)^+ most.
See core/algorithms/diversimax.py for the MIP and the measurements.
"""

from __future__ import annotations

import math

import numpy as np

from ..analysis.intersections import IntersectionTable
from ..cancel import check as check_cancelled
from ..model import TypeSpace


def diversimax_objective(types: TypeSpace, tables: list[IntersectionTable], composition: np.ndarray) -> float:
    """sum_t sum_c |n_c - k/|cells(t)|| of a composition, computed directly (no solver)."""
    total = 0.0
    for table in tables:
        n = np.bincount(table.cell_of(types.codes), weights=np.asarray(composition, dtype=float), minlength=table.size)
        total += float(np.abs(n - types.k / table.size).sum())
    return total


def cell_capacity(types: TypeSpace, members: np.ndarray) -> int:
    """An upper bound on n_c for every valid panel, c = the cell of the types `members`:
    min(pool count of c, k, upper_q for every quota q that every type of c counts towards)."""
    cap = min(int(types.counts[members].sum()), int(types.k))
    covering = types.A[:, members].all(axis=1)
    if covering.any():
        cap = min(cap, int(types.upper[covering].min()))
    return cap


def objective_grain(tables: list[IntersectionTable]) -> float:
    """Step of the grid on which every objective value lies: 2 / lcm_t |cells(t)|.

    Per table sum_c |n_c - V| = 2 sum_{c in A} (n_c - V) with A = {c : n_c > V}, and
    2 (N_A - |A| k/m) = (2/m)(m N_A - |A| k) is a multiple of 2/m for m = |cells(t)|; summing
    over tables gives multiples of 2/L, L = lcm of the m's. So if best - bound < 2/L, best is optimal.
    """
    lcm = 1
    for table in tables:
        lcm = math.lcm(lcm, table.size)
    return 2.0 / lcm


def snap_up(bound: float, grain: float) -> float:
    """The least grid value >= bound (up to 1e-6 relative slack for the solver's rounding)."""
    if not math.isfinite(bound):
        return bound
    slack = 1e-6 * max(1.0, abs(bound))
    return math.ceil((bound - slack) / grain) * grain


def _excess(n: np.ndarray, target: float) -> np.ndarray:
    """(n - V)^+ elementwise."""
    return np.maximum(n - target, 0.0)


def improve_by_swaps(types: TypeSpace, tables: list[IntersectionTable], composition: np.ndarray,
                     max_rounds: int = 500) -> np.ndarray:
    """Local search for a warm start: move one seat from type a to type b while that keeps every rule
    and lowers the objective 2 sum_t sum_c (n_c - V_t)^+ most; stop when no move helps."""
    x = np.asarray(composition, dtype=np.int64).copy()
    cells = [table.cell_of(types.codes) for table in tables]
    targets = [types.k / table.size for table in tables]
    household = np.full(types.size, -1)
    for h, group in enumerate(types.households):
        household[group] = h
    for _ in range(max_rounds):
        check_cancelled()  # a stopped run ends between moves (core.cancel)
        panel = np.flatnonzero(x > 0)  # types that can give a seat
        delta = np.zeros((len(panel), types.size))
        for cell, target in zip(cells, targets):
            n = np.bincount(cell, weights=x.astype(float), minlength=cell.max() + 1)
            remove = _excess(n - 1, target) - _excess(n, target)  # per cell
            add = _excess(n + 1, target) - _excess(n, target)
            same = cell[panel][:, None] == cell[None, :]
            delta += np.where(same, 0.0, remove[cell[panel]][:, None] + add[cell][None, :])
        seats = types.A @ x
        after = seats[:, None, None] - types.A[:, panel][:, :, None] + types.A[:, None, :]
        allowed = ((after >= types.lower[:, None, None]) & (after <= types.upper[:, None, None])).all(axis=0)
        allowed &= (x < types.counts)[None, :]
        if types.households:
            load = np.bincount(household[household >= 0], weights=x[household >= 0], minlength=len(types.households))
            load_of = np.where(household >= 0, load[np.maximum(household, 0)], 0)
            shared = (household[panel][:, None] == household[None, :]) & (household[None, :] >= 0)
            allowed &= (load_of[None, :] == 0) | ((load_of[None, :] == 1) & shared)
        delta[~allowed] = np.inf
        a, b = np.unravel_index(np.argmin(delta), delta.shape)
        if not delta[a, b] < -1e-9:
            break
        x[panel[a]] -= 1
        x[b] += 1
    return x
