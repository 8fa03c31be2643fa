"""The classroom: a pool small enough to list every possible panel, and how each algorithm spreads chance over them.

A pool of n <= 14 volunteers and a panel of k (2 to 5) has C(n, k) possible panels; a panel is
*representative* when it meets every quota. An algorithm is a probability distribution over the
panels; volunteer i's selection probability is the sum of the probabilities of the panels holding i:
    pi_i = sum_{P contains i} Pr[P].
Algorithms that work on type compositions give composition c probability p_c; each of the
prod_t binom(N_t, c_t) panels with that composition then gets p_c / prod_t binom(N_t, c_t)
(members of a type are chosen uniformly), so the per-panel view is exact.

Also here: the plain-language reading of each spread of chance and the tables the page draws.
The tiny instance itself is built in `classroom_pool`; the step-throughs of the legacy draw and of
leximin's stages are in `classroom_steps`. Nothing here imports Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from math import comb

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from ..algorithms.enumeration import panels_per_composition
from ..distribution import Distribution
from ..errors import InputError, Problem, SortitionError
from ..model import Instance
from ..selection import run
from .classroom_pool import MAX_PANELS

LP_TOLERANCE = 1e-9

# (key, label shown to people, one-line description), in the order the page shows them
ALGORITHMS: list[tuple[str, str, str]] = [
    ("pool_lottery", "Simple lottery (ignores quotas)",
     "every group of k volunteers is equally likely, whether it meets the quotas or not"),
    ("uniform", "Uniform over representative panels",
     "every panel that meets the quotas is equally likely"),
    ("legacy", "Legacy greedy",
     "fills seats one at a time, always serving the value furthest from its minimum"),
    ("maximin", "Maximin", "makes the smallest selection probability as large as possible"),
    ("leximin", "Leximin",
     "makes the smallest probability as large as possible, then the next smallest, and so on"),
    ("nash", "Nash welfare", "maximises the product of everyone's selection probabilities"),
    ("diversimax", "Diversimax", "picks the panel(s) whose intersections of values are most varied"),
    ("endtoend", "End-to-end",
     "gives volunteers who rarely answer invitations more chance, so everyone in the population "
     "ends up with the same chance"),
]
LABELS = {key: label for key, label, _ in ALGORITHMS}
DESCRIPTIONS = {key: text for key, _, text in ALGORITHMS}


# ---------------------------------------------------------------------------------------------
# Every possible panel

@dataclass
class PanelTable:
    """All C(n, k) panels (sorted tuples of pool rows, lexicographic order), marked representative or not."""

    instance: Instance
    panels: list[tuple[int, ...]]
    representative: np.ndarray  # bool per panel: meets every quota
    compositions: np.ndarray  # panels x types
    broken: list[str]  # per panel: the quotas it breaks, in words ("" when representative)

    @property
    def total(self) -> int:
        return len(self.panels)

    @property
    def count(self) -> int:
        """Number of representative panels."""
        return int(self.representative.sum())

    @property
    def share(self) -> float:
        """Share of all panels that are representative."""
        return self.count / self.total

    def label(self, j: int) -> str:
        return ", ".join(self.instance.ids[i] for i in self.panels[j])

    def frame(self) -> pd.DataFrame:
        """One row per panel: number, members, representative, quotas broken."""
        return pd.DataFrame({
            "panel": np.arange(1, self.total + 1),
            "members": [self.label(j) for j in range(self.total)],
            "representative": self.representative,
            "breaks": self.broken,
        })


def panel_table(instance: Instance) -> PanelTable:
    """Every subset of k volunteers, with its composition and the quotas it breaks.

    A panel P is representative iff min_q <= |{i in P with value q}| <= max_q for every quota q.
    """
    total = comb(instance.n, instance.k)
    if total > MAX_PANELS:
        raise InputError([Problem(f"{total:,} possible panels are too many to list (at most {MAX_PANELS:,})",
                                  "Use fewer volunteers or a smaller panel.")])
    types = instance.types
    panels = list(combinations(range(instance.n), instance.k))
    member = np.zeros((total, instance.n), dtype=np.int64)
    for j, panel in enumerate(panels):
        member[j, list(panel)] = 1
    type_matrix = np.zeros((instance.n, types.size), dtype=np.int64)
    type_matrix[np.arange(instance.n), types.of_volunteer] = 1
    compositions = member @ type_matrix
    seats = compositions @ types.A.T
    low, high = seats < types.lower, seats > types.upper
    representative = ~(low | high).any(axis=1)
    broken = []
    for j in range(total):
        words = [f"{seats[j, q]} {instance.quotas[q].value} (min {types.lower[q]})" for q in np.flatnonzero(low[j])]
        words += [f"{seats[j, q]} {instance.quotas[q].value} (max {types.upper[q]})" for q in np.flatnonzero(high[j])]
        broken.append("; ".join(words))
    return PanelTable(instance, panels, representative, compositions, broken)


# ---------------------------------------------------------------------------------------------
# How each algorithm spreads chance over the panels

@dataclass
class Spread:
    """One algorithm's probability on every panel (PanelTable order) and each volunteer's selection probability."""

    key: str
    label: str
    panel_probabilities: np.ndarray
    person_probabilities: np.ndarray
    exact: bool
    note: str = ""
    reading: str = ""

    @property
    def support(self) -> int:
        """Number of panels with positive probability."""
        return int((self.panel_probabilities > LP_TOLERANCE).sum())


@dataclass
class ChanceReport:
    """Spreads of the algorithms that ran, and why the others did not."""

    table: PanelTable
    seed: int
    spreads: dict[str, Spread] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


def spread_of_distribution(table: PanelTable, distribution: Distribution) -> np.ndarray:
    """Per-panel probabilities: p_c / prod_t binom(N_t, c_t) for every panel with composition c."""
    out = np.zeros(table.total)
    index: dict[tuple, list[int]] = {}
    for j, row in enumerate(table.compositions.tolist()):
        index.setdefault(tuple(row), []).append(j)
    ways = panels_per_composition(distribution.types, distribution.compositions)
    for comp, p, w in zip(distribution.compositions.tolist(), distribution.probabilities, ways):
        rows = index.get(tuple(comp), [])
        if len(rows) != int(w):
            raise SortitionError(f"internal error: composition {comp} stands for {int(w)} panels, {len(rows)} listed")
        out[rows] = p / int(w)
    return out


def person_probabilities(table: PanelTable, panel_probabilities: np.ndarray) -> np.ndarray:
    """pi_i = sum of the probabilities of the panels holding volunteer i."""
    out = np.zeros(table.instance.n)
    for panel, p in zip(table.panels, panel_probabilities):
        out[list(panel)] += p
    return out


def spread_of_chance(instance: Instance, algorithms: list[str] | None = None, seed: int = 0,
                     participation: np.ndarray | None = None, table: PanelTable | None = None) -> ChanceReport:
    """Each algorithm's probability on every panel and each volunteer's selection probability, with a reading.

    `algorithms`: keys of ALGORITHMS (default all). "endtoend" needs `participation`, the chance
    q_i that volunteer i would answer an invitation. Every spread is exact: legacy by exhaustive
    recursion over its random choices, the others from their exact distributions. An algorithm
    that cannot run (missing module, no representative panel) is listed in `unavailable`.
    """
    table = table or panel_table(instance)
    report = ChanceReport(table, seed)
    for key in algorithms or [key for key, _, _ in ALGORITHMS]:
        if key not in LABELS:
            raise KeyError(f"unknown classroom algorithm '{key}'")
        if key != "pool_lottery" and table.count == 0:
            report.unavailable[key] = "no panel meets every quota, so there is nothing to spread chance over"
            continue
        try:
            spread = _spread(key, table, seed, participation)
        except ModuleNotFoundError:
            report.unavailable[key] = "this algorithm is not part of this version of the workbench yet"
            continue
        except (SortitionError, ValueError) as error:
            report.unavailable[key] = str(error)
            continue
        spread.reading = reading(spread, table)
        report.spreads[key] = spread
    return report


def _spread(key: str, table: PanelTable, seed: int, participation: np.ndarray | None) -> Spread:
    instance = table.instance
    label = LABELS[key]
    if key == "pool_lottery":
        p = np.full(table.total, 1.0 / table.total)
        return Spread(key, label, p, person_probabilities(table, p), True)
    if key == "legacy":
        from ..algorithms.legacy import exact_legacy_distribution

        distribution, success = exact_legacy_distribution(instance)
        p = spread_of_distribution(table, distribution)
        note = "" if success > 1 - 1e-12 else (f"one greedy run fails {1 - success:.0%} of the time and is "
                                               "started again; the chart counts finished runs only")
        return Spread(key, label, p, person_probabilities(table, p), True, note)
    if key == "endtoend":
        if participation is None:
            raise ValueError("end-to-end needs each volunteer's participation probability q (how likely they "
                             "are to answer an invitation)")
        return _end_to_end(table, np.asarray(participation, dtype=float))
    result = run(key, instance, seed=seed)
    if result.distribution is None:
        raise ValueError(f"{label} gave no exact distribution")
    p = spread_of_distribution(table, result.distribution)
    return Spread(key, label, p, person_probabilities(table, p), True)


def _end_to_end(table: PanelTable, q: np.ndarray) -> Spread:
    """Targets pi*_i = min(1, s / q_i) with sum pi*_i = k (phase I), then the distribution over
    representative panels whose selection probabilities come closest: minimise max_i |pi_i - pi*_i|."""
    from ..endtoend.phase_one import capped_marginals

    instance = table.instance
    if q.shape != (instance.n,) or not np.isfinite(q).all() or (q <= 0).any() or (q > 1).any():
        raise ValueError("every participation probability q must be a number in (0, 1]")
    target = capped_marginals(1.0 / q, np.ones(instance.n), instance.k)[0][0]
    reps = np.flatnonzero(table.representative)
    R, n = len(reps), instance.n
    member = np.zeros((n, R))
    for col, j in enumerate(reps):
        member[list(table.panels[j]), col] = 1.0
    # variables: R panel probabilities, then d = max deviation; minimise d
    cost = np.r_[np.zeros(R), 1.0]
    a_ub = np.vstack([np.hstack([member, -np.ones((n, 1))]), np.hstack([-member, -np.ones((n, 1))])])
    b_ub = np.r_[target, -target]
    a_eq = np.r_[np.ones(R), 0.0][None, :]
    solution = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0], bounds=[(0, None)] * (R + 1), method="highs")
    if solution.status != 0:
        raise SortitionError(f"the end-to-end LP failed: {solution.message}")
    p = np.zeros(table.total)
    p[reps] = np.clip(solution.x[:R], 0, None)
    # volunteers of one type with the same q are interchangeable: average over swapping them, which
    # keeps every deviation within the optimum (it is convex) and gives them equal chances
    _, group = np.unique(np.c_[instance.types.of_volunteer, q], axis=0, return_inverse=True)
    keys = [tuple(np.bincount(group.reshape(-1)[list(panel)], minlength=group.max() + 1)) for panel in table.panels]
    mass: dict[tuple, list[int]] = {}
    for j, key in enumerate(keys):
        mass.setdefault(key, []).append(j)
    for rows in mass.values():
        p[rows] = p[rows].sum() / len(rows)
    p /= p.sum()
    gap = float(solution.x[R])
    note = ("targets pi_i proportional to 1/q_i (capped at 1); "
            + ("every target met exactly" if gap < 1e-7 else f"the quotas keep some volunteers up to {gap:.1%} from their target"))
    return Spread("endtoend", LABELS["endtoend"], p, person_probabilities(table, p), True, note)


def names_in_words(instance: Instance, rows: np.ndarray, limit: int = 3) -> str:
    names = [instance.ids[i] for i in rows]
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]


def reading(spread: Spread, table: PanelTable) -> str:
    """A plain-language paragraph saying what the numbers show: where the chance goes and who gains or loses."""
    instance = table.instance
    p, pi = spread.panel_probabilities, spread.person_probabilities
    fair = instance.k / instance.n
    on_bad = float(p[~table.representative].sum())
    used_good = int((p[table.representative] > LP_TOLERANCE).sum())
    parts = [f"{spread.label}: {DESCRIPTIONS[spread.key]}."]
    if on_bad > LP_TOLERANCE:
        parts.append(f"It spreads chance over all {table.total:,} possible panels, so {on_bad:.0%} of its draws "
                     f"break a quota (only {table.count:,} panels are representative).")
    elif used_good == table.count:
        parts.append(f"It gives some chance to every one of the {table.count:,} representative panels.")
    elif used_good == 1:
        parts.append(f"It puts all its chance on a single panel out of {table.count:,} representative ones: "
                     f"{table.label(int(np.argmax(p)))}.")
    else:
        top = float(np.sort(p)[::-1][:1].sum())
        parts.append(f"It puts all its chance on {used_good:,} of the {table.count:,} representative panels "
                     f"(the likeliest has {top:.1%}).")
    low, high = float(pi.min()), float(pi.max())
    lowest, highest = np.flatnonzero(pi <= low + 1e-9), np.flatnonzero(pi >= high - 1e-9)
    if high - low < 1e-6:
        parts.append(f"Everyone has the same chance, {low:.0%} (k/n = {fair:.0%}).")
    else:
        parts.append(f"{names_in_words(instance, lowest)} {'have' if len(lowest) > 1 else 'has'} the smallest chance, "
                     f"{low:.0%}; {names_in_words(instance, highest)} {'have' if len(highest) > 1 else 'has'} the largest, "
                     f"{high:.0%} (an equal share would be k/n = {fair:.0%}).")
        if low < 1e-9:
            parts.append(f"{int((pi < 1e-9).sum())} volunteer(s) can never be chosen.")
    if spread.note:
        parts.append(f"Note: {spread.note}.")
    return " ".join(parts)


def panel_frame(table: PanelTable, spread: Spread) -> pd.DataFrame:
    """One row per panel: number, members, representative, probability (for a bar chart)."""
    frame = table.frame()
    frame["probability"] = spread.panel_probabilities
    frame["algorithm"] = spread.label
    return frame


def person_frame(instance: Instance, spreads: list[Spread]) -> pd.DataFrame:
    """One row per volunteer and algorithm: name, values, selection probability."""
    rows = []
    for spread in spreads:
        for i, name in enumerate(instance.ids):
            row = {"name": name, "algorithm": spread.label, "probability": float(spread.person_probabilities[i])}
            row.update({c: str(instance.pool[c].iloc[i]) for c in instance.categories})
            rows.append(row)
    return pd.DataFrame(rows)


def summary_frame(report: ChanceReport) -> pd.DataFrame:
    """One row per algorithm: panels it can pick, chance of a panel breaking a quota, smallest and largest chance."""
    table = report.table
    fair = table.instance.k / table.instance.n
    rows = []
    for spread in report.spreads.values():
        pi = spread.person_probabilities
        rows.append({
            "algorithm": spread.label,
            "panels it can pick": spread.support,
            "chance of breaking a quota": float(spread.panel_probabilities[~table.representative].sum()),
            "smallest chance": float(pi.min()),
            "largest chance": float(pi.max()),
            "largest / (k/n)": float(pi.max()) / fair,
        })
    return pd.DataFrame(rows)
