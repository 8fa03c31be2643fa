"""The classroom: a pool small enough to list every possible panel, and how each algorithm spreads chance over them.

A pool of n <= 14 volunteers and a panel of k (2 to 5) has C(n, k) possible panels; a panel is
*representative* when it meets every quota. An algorithm is a probability distribution over the
panels; volunteer i's selection probability is the sum of the probabilities of the panels holding i:
    pi_i = sum_{P contains i} Pr[P].
Algorithms that work on type compositions give composition c probability p_c; each of the
prod_t binom(N_t, c_t) panels with that composition then gets p_c / prod_t binom(N_t, c_t)
(members of a type are chosen uniformly), so the per-panel view is exact.

Also here: step-by-step traces of the legacy greedy draw (`legacy_trace`) and of leximin's stages
(`leximin_stages`, computed with a small exact LP over every representative composition), and the
plain-language reading of each spread of chance. Nothing here imports Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from math import comb

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from ..distribution import Distribution
from ..algorithms.enumeration import panels_per_composition, valid_compositions
from ..errors import InputError, Problem, SortitionError
from ..algorithms.legacy import serving_priority
from ..model import Instance, Quota
from ..selection import run

MAX_VOLUNTEERS = 14
MIN_K, MAX_K = 2, 5
MAX_PANELS = 5_000  # C(14, 5) = 2002; the page refuses anything above this
LP_TOLERANCE = 1e-9
LEGACY_RETRIES = 100

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
# Building a tiny instance from two editable tables

def quota_rows(pool: pd.DataFrame, categories: list[str], quotas: pd.DataFrame | None, k: int) -> pd.DataFrame:
    """The quota table (category, value, min, max) with one row per value present in the pool.

    Rows of `quotas` for values still present keep their min and max; new values get 0..k;
    values nobody in the pool has any more are dropped.
    """
    kept: dict[tuple[str, str], tuple[object, object]] = {}
    if quotas is not None and len(quotas):
        for _, row in quotas.iterrows():
            kept[(str(row["category"]), str(row["value"]))] = (row["min"], row["max"])
    rows = []
    for category in categories:
        values = [str(v).strip() for v in pool[category].tolist() if str(v).strip() and not pd.isna(v)]
        for value in dict.fromkeys(values):
            low, high = kept.get((category, value), (0, k))
            rows.append({"category": category, "value": value, "min": low, "max": high})
    return pd.DataFrame(rows, columns=["category", "value", "min", "max"])


def classroom_instance(pool: pd.DataFrame, quotas: pd.DataFrame, k: int, name_column: str = "name") -> Instance:
    """An Instance from an edited pool (a name column plus category columns) and quota table.

    Raises InputError listing every problem: missing or repeated names, empty values, more than
    MAX_VOLUNTEERS volunteers, k outside MIN_K..MAX_K or above n, quotas that are not whole
    numbers with 0 <= min <= max.
    """
    problems: list[Problem] = []
    pool = pool.dropna(how="all").reset_index(drop=True)
    categories = [c for c in pool.columns if c != name_column]
    names = [str(x).strip() if not pd.isna(x) else "" for x in pool[name_column]] if name_column in pool else []
    n = len(pool)
    if name_column not in pool.columns:
        problems.append(Problem(f"the pool has no '{name_column}' column", "Add a column with each volunteer's name."))
    if not categories:
        problems.append(Problem("the pool has no category column", "Add a column such as gender or age."))
    if n > MAX_VOLUNTEERS:
        problems.append(Problem(f"the classroom pool has {n} volunteers; at most {MAX_VOLUNTEERS} keep every panel visible",
                                "Delete some rows."))
    if not MIN_K <= int(k) <= MAX_K:
        problems.append(Problem(f"a panel of {k} is outside the classroom range {MIN_K} to {MAX_K}", "Change the panel size."))
    if int(k) > n:
        problems.append(Problem(f"a panel of {k} needs at least {k} volunteers; the pool has {n}", "Add volunteers or lower k."))
    for i, name in enumerate(names):
        if not name:
            problems.append(Problem("a volunteer has no name", "Type a name.", row=i + 1, column=name_column))
    for name in sorted({x for x in names if x and names.count(x) > 1}):
        problems.append(Problem(f"the name '{name}' appears more than once", "Give every volunteer a different name."))
    text = pool[categories].astype(object).where(~pool[categories].isna(), "").astype(str).apply(lambda s: s.str.strip()) \
        if categories else pd.DataFrame(index=pool.index)
    for category in categories:
        for i in np.flatnonzero((text[category] == "").to_numpy()):
            problems.append(Problem(f"{names[i] if i < len(names) and names[i] else 'a volunteer'} has no {category}",
                                    "Fill in the cell.", row=int(i) + 1, column=category))
    quota_list: list[Quota] = []
    for _, row in quotas.iterrows():
        label = f"{row['category']}={row['value']}"
        try:
            low, high = int(float(row["min"])), int(float(row["max"]))
        except (TypeError, ValueError):
            problems.append(Problem(f"quota {label}: min and max must be whole numbers", "Type a number in both."))
            continue
        if low < 0 or high < low:
            problems.append(Problem(f"quota {label}: min {low} and max {high} need 0 <= min <= max", "Fix the bounds."))
            continue
        quota_list.append(Quota(str(row["category"]), str(row["value"]), low, high))
    if problems:
        raise InputError(problems)
    frame = text.copy()
    frame.insert(0, "name", names)
    return Instance(pool=frame, categories=categories, quotas=quota_list, k=int(k), ids=names)


def instance_tables(instance: Instance) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (pool, quotas) tables `classroom_instance` reads, for an existing instance."""
    pool = pd.DataFrame({"name": list(instance.ids)})
    for category in instance.categories:
        pool[category] = instance.pool[category].astype(str).to_numpy()
    quotas = pd.DataFrame([{"category": q.category, "value": q.value, "min": q.min, "max": q.max}
                           for q in instance.quotas], columns=["category", "value", "min", "max"])
    return pool, quotas


def fits_classroom(instance: Instance) -> bool:
    """True when every panel of the instance can be listed (n <= 14, k in 2..5, no households)."""
    return (instance.n <= MAX_VOLUNTEERS and MIN_K <= instance.k <= MAX_K and not instance.household
            and comb(instance.n, instance.k) <= MAX_PANELS)


def participation_from_shares(instance: Instance, mean: float = 0.05) -> np.ndarray | None:
    """A simple participation model when population shares are known: each value's pull is
    (its share of the pool) / (its share of the population), and q_i is proportional to the product
    of the pulls of volunteer i's values, scaled so that the mean q is `mean`. None without shares."""
    shares = instance.population_shares or {}
    pull = np.ones(instance.n)
    for category in instance.categories:
        column = instance.pool[category].astype(str)
        for value, count in column.value_counts().items():
            share = shares.get((category, value))
            if not share:
                return None
            pull[(column == value).to_numpy()] *= (count / instance.n) / share
    q = pull * mean / pull.mean()
    return np.clip(q, 1e-6, 1.0)


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


def _names(instance: Instance, rows: np.ndarray, limit: int = 3) -> str:
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
        parts.append(f"{_names(instance, lowest)} {'have' if len(lowest) > 1 else 'has'} the smallest chance, "
                     f"{low:.0%}; {_names(instance, highest)} {'have' if len(highest) > 1 else 'has'} the largest, "
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


# ---------------------------------------------------------------------------------------------
# Step-through: one legacy greedy draw

@dataclass
class LegacyStep:
    """One seat filled (kind "pick") or one failed attempt started again (kind "restart")."""

    attempt: int
    kind: str
    ratios: pd.DataFrame  # value, min, selected, remaining, ratio (values with volunteers left)
    value: str | None  # the value served (largest ratio)
    picked: int | None  # pool row of the volunteer picked
    filled: list[str]  # values that reached their max with this pick
    dropped: list[int]  # pool rows dropped from the pool because a value is full
    panel: list[int]  # pool rows on the panel so far (this attempt)
    text: str


@dataclass
class LegacyTrace:
    """Every step of one legacy draw (restarts included) and the panel it ends with."""

    seed: int
    steps: list[LegacyStep]
    panel: list[int]
    attempts: int


def pool_status(instance: Instance, trace: LegacyTrace, upto: int) -> pd.DataFrame:
    """Every volunteer after step `upto` (0 = before the first step): on the panel, in the pool, or dropped."""
    status = ["in the pool"] * instance.n
    if upto > 0:
        step = trace.steps[upto - 1]
        attempt_steps = [s for s in trace.steps[:upto] if s.attempt == step.attempt and s.kind == "pick"]
        if step.kind == "restart":
            status = ["in the pool"] * instance.n
        else:
            for s in attempt_steps:
                for i in s.dropped:
                    status[i] = "left the pool (value full)"
            for i in step.panel:
                status[i] = "on the panel"
    frame = pd.DataFrame({"name": list(instance.ids)})
    for category in instance.categories:
        frame[category] = instance.pool[category].astype(str).to_numpy()
    frame["status"] = status
    return frame


def legacy_trace(instance: Instance, seed: int, retries: int = LEGACY_RETRIES) -> LegacyTrace:
    """One run of the legacy greedy, step by step, with the same rule as core.algorithms.legacy:

    serve the value with the largest (min_q - selected_q) / remaining_q among values with volunteers
    left (first in quota order on ties), pick a uniform random remaining volunteer with it, drop
    everyone with a value that reached its max; start again when a min can no longer be met.
    """
    types = instance.types
    A, lower, upper = types.A, types.lower, types.upper
    has = A[:, types.of_volunteer].astype(bool)  # Q x n: volunteer i has value q
    labels = [q.label for q in instance.quotas]
    rng = np.random.default_rng(seed)
    steps: list[LegacyStep] = []
    for attempt in range(1, retries + 1):
        remaining = np.ones(instance.n, dtype=bool)
        selected = np.zeros(len(lower), dtype=np.int64)
        panel: list[int] = []
        full0 = np.flatnonzero(selected >= upper)
        for q in full0:
            remaining &= ~has[q]
        failed = None
        for _ in range(instance.k):
            left = has[:, remaining].sum(axis=1)
            need = lower - selected
            priority = serving_priority(need, left)
            ratios = pd.DataFrame({"value": labels, "min": lower, "selected": selected.copy(), "remaining": left,
                                   "ratio": np.where(left > 0, priority, np.nan)})
            short = np.flatnonzero(need > left)
            if len(short):
                q = short[0]
                failed = (f"{labels[q]} still needs {need[q]} seat(s) but only {left[q]} volunteer(s) with it are left",
                          ratios)
                break
            if not (left > 0).any():
                failed = ("no volunteer is left in the pool", ratios)
                break
            value = int(priority.argmax())
            candidates = np.flatnonzero(remaining & has[value])
            picked = int(rng.choice(candidates))
            panel.append(picked)
            remaining[picked] = False
            before = selected >= upper
            selected += has[:, picked]
            filled = np.flatnonzero((selected >= upper) & ~before)
            dropped: list[int] = []
            for q in filled:
                out = np.flatnonzero(remaining & has[q])
                dropped.extend(int(i) for i in out)
                remaining[out] = False
            dropped = sorted(set(dropped))
            text = (f"{labels[value]} is furthest from its minimum (ratio {ratios['ratio'][value]:.2f}); "
                    f"{instance.ids[picked]} is drawn from the {len(candidates)} volunteer(s) with it.")
            if len(filled):
                text += f" {', '.join(labels[q] for q in filled)} reached its max"
                text += f", so {_names(instance, np.array(dropped), 6)} leave the pool." if dropped else "."
            steps.append(LegacyStep(attempt, "pick", ratios, labels[value], picked,
                                    [labels[q] for q in filled], dropped, sorted(panel), text))
        else:
            if (selected >= lower).all():
                return LegacyTrace(seed, steps, sorted(panel), attempt)
            failed = ("the panel is full but misses a minimum", None)
        reason, ratios = failed
        steps.append(LegacyStep(attempt, "restart", ratios if ratios is not None else pd.DataFrame(), None, None, [],
                                [], sorted(panel), f"Stuck: {reason}. The method throws this attempt away and starts again."))
    raise SortitionError(f"the legacy method missed a quota minimum on {retries} attempts in a row")


# ---------------------------------------------------------------------------------------------
# Step-through: leximin's stages

@dataclass
class LeximinStage:
    """Stage s: the largest z such that every unfixed volunteer can get at least z; those who cannot get more are fixed at z."""

    number: int
    probability: float
    fixed: list[int]  # pool rows fixed at `probability` in this stage


@dataclass
class LeximinStages:
    stages: list[LeximinStage]
    distribution: Distribution

    def fixed_probabilities(self, n: int) -> np.ndarray:
        """Each volunteer's probability as fixed by the stages (pool row order)."""
        out = np.full(n, np.nan)
        for stage in self.stages:
            out[stage.fixed] = stage.probability
        return out


def _stage_lp(P: np.ndarray, fixed: dict[int, float], free: list[int], objective: np.ndarray,
              floor: float | None) -> tuple[float, np.ndarray]:
    """max objective.(lambda, z) over lambda >= 0, sum lambda = 1, P_t.lambda >= f_t (t fixed), P_t.lambda >= z (t free)
    (z fixed at `floor` when given). Returns (value, lambda)."""
    C = P.shape[1]
    rows, rhs = [], []
    for t, value in fixed.items():
        rows.append(np.r_[-P[t], 0.0])
        rhs.append(-(value - LP_TOLERANCE))
    for t in free:
        if floor is None:
            rows.append(np.r_[-P[t], 1.0])
            rhs.append(0.0)
        else:
            rows.append(np.r_[-P[t], 0.0])
            rhs.append(-(floor - LP_TOLERANCE))
    solution = linprog(-objective, A_ub=np.array(rows) if rows else None, b_ub=np.array(rhs) if rows else None,
                       A_eq=np.r_[np.ones(C), 0.0][None, :], b_eq=[1.0],
                       bounds=[(0, None)] * C + [(0, 1)], method="highs")
    if solution.status != 0:
        raise SortitionError(f"the leximin stage LP failed: {solution.message}")
    return float(-solution.fun), solution.x[:C]


def leximin_stages(instance: Instance) -> LeximinStages:
    """Leximin by stages, exactly, over every representative composition (tiny pools only).

    Stage s: z_s = max min over unfixed types t of p_t, keeping fixed types at their values;
    a type is fixed at z_s when no distribution meeting those floors gives it more than z_s.
    p_t = sum_c lambda_c c_t / N_t, and all members of a type share p_t.
    """
    types = instance.types
    compositions = valid_compositions(types)
    if len(compositions) == 0:
        raise SortitionError("no panel meets every quota")
    P = (compositions / types.counts).T  # T x C: p_t = P_t . lambda
    C = P.shape[1]
    fixed: dict[int, float] = {}
    stages: list[LeximinStage] = []
    lam = np.full(C, 1.0 / C)
    while len(fixed) < types.size:
        free = [t for t in range(types.size) if t not in fixed]
        z, lam = _stage_lp(P, fixed, free, np.r_[np.zeros(C), 1.0], None)
        stuck = []
        for t in free:
            best, _ = _stage_lp(P, fixed, free, np.r_[P[t], 0.0], z)
            if best <= z + 1e-7:
                stuck.append(t)
        if not stuck:  # numerically every type can exceed z: fix the smallest in the last solution
            values = P[free] @ lam
            stuck = [free[int(np.argmin(values))]]
        for t in stuck:
            fixed[t] = z
        people = sorted(int(i) for t in stuck for i in types.members[t])
        stages.append(LeximinStage(len(stages) + 1, z, people))
    # the last LP's lambda meets every floor; its marginals sum to k, as do the floors, so they are equal
    distribution = Distribution(types, compositions, lam, info={"stages": len(stages)})
    distribution.verify()
    return LeximinStages(stages, distribution)


def stage_text(instance: Instance, stage: LeximinStage, previous: list[LeximinStage]) -> str:
    """A sentence explaining one leximin stage."""
    who = _names(instance, np.array(stage.fixed), 6)
    done = sum(len(s.fixed) for s in previous)
    if not previous:
        head = "Stage 1: leximin first makes the smallest chance as large as the quotas allow"
    else:
        head = (f"Stage {stage.number}: keeping the {done} volunteer(s) already fixed at their chances, it raises "
                "the smallest chance among the rest as far as possible")
    return (f"{head}: {stage.probability:.1%}. {who} cannot get more than that without lowering someone "
            f"fixed earlier, so {'they are' if len(stage.fixed) > 1 else 'this volunteer is'} fixed at "
            f"{stage.probability:.1%}.")
