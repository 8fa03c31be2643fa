"""Replacement draw: refill the seats of panel members who declined, fairly and with known chances.

The *conditioned instance*: the kept members K (the panel minus the declined) stay; the
replacements come from the remaining pool R = pool − panel − {volunteers sharing a household with a
kept member}. For every quota q with s_q = seats of K holding q's value,

    min'_q = max(0, min_q − s_q),   max'_q = max_q − s_q,   k' = k − |K|,

(flex limits shifted the same way). A set S ⊆ R is a valid completion iff K ∪ S meets every
original quota and has k members, iff S is a valid panel of the conditioned instance. The chosen
algorithm (leximin by default; any algorithm of `core.selection.REGISTRY`) runs on the conditioned
instance, so the replacement distribution *is* that algorithm's distribution there, and a
volunteer's replacement probability is their selection probability in it (0 outside R). The
replacements are drawn from it with the seed (`SelectionResult.draw(1, seed)`), and the completed
panel is checked against the original quotas in code.

Speed-up, exact for leximin and Nash (`MERGE_EXACT`): a value whose conditioned quota cannot bind
(min' = 0 and max' ≥ k') constrains nothing, so the values of a category that cannot bind are
merged into one before the algorithm runs (fewer types). Volunteers who differ only in such values
are interchangeable for every rule, and the leximin and Nash selection probabilities are unique,
hence the same for interchangeable volunteers: merging changes no probability, only how many
types the solver sees.

When no valid completion exists, `ReplacementInfeasible` carries the smallest repair of the
conditioned quotas (`core.analysis.feasibility.minimal_repair`), written back as changes of the original
bounds (a conditioned bound moved by d is the original bound moved by d).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..analysis.feasibility import BoundChange, Repair, check
from ..errors import InfeasibleQuotas, InputError, Problem, SolverError
from ..model import Instance, Quota
from ..selection import Progress, SelectionResult, no_progress, run

DEFAULT_ALGORITHM = "leximin"
MERGE_EXACT = {"leximin", "nash"}  # algorithms whose selection probabilities merging cannot change


class ReplacementInfeasible(InfeasibleQuotas):
    """No set of remaining volunteers completes the kept members to a panel meeting every quota."""


@dataclass
class Conditioned:
    """The conditioned instance and how its rows map back to the original pool."""

    instance: Instance  # remaining volunteers only, quotas reduced by the kept members' seats
    remaining_rows: np.ndarray  # original pool row of each conditioned row
    kept_rows: list[int]
    declined_rows: list[int]
    household_excluded_rows: list[int]  # not on the panel, but sharing a household with a kept member
    kept_seats: np.ndarray  # Q: seats of the kept members per quota (original quota order)


@dataclass
class ReplacementResult:
    """The completed panel, the replacements drawn, and every volunteer's replacement probability."""

    panel_rows: list[int]  # the panel as drawn before the declines
    kept_rows: list[int]
    declined_rows: list[int]
    replacement_rows: list[int]
    completed_rows: list[int]  # kept + replacements, sorted
    probabilities: np.ndarray  # n: replacement probability, pool row order (0 on the panel and outside R)
    algorithm: str
    seed: int
    conditioned: Conditioned
    selection: SelectionResult | None
    info: dict = field(default_factory=dict)


def quota_seats(instance: Instance, rows: Sequence[int]) -> np.ndarray:
    """Seats per quota (original quota order) held by the volunteers at `rows`."""
    types = instance.types
    return types.A @ types.composition_of(list(rows)) if len(rows) else np.zeros(len(instance.quotas), dtype=np.int64)


def check_panel(instance: Instance, panel_rows: Sequence[int], declined_rows: Sequence[int],
                panel_file: str | None = None, declined_file: str | None = None,
                declined_lines: Sequence[int] | None = None, column: str | None = None) -> None:
    """Raise InputError unless the panel is k distinct volunteers meeting every quota and the declined
    are distinct members of it (rows: 0-based pool rows; messages name the files, and the declined
    file's rows when `declined_lines` gives them)."""
    problems: list[Problem] = []
    panel = list(panel_rows)
    if len(set(panel)) != len(panel):
        problems.append(Problem("the panel lists a volunteer twice.", "List each panel member once.", file=panel_file))
    if len(panel) != instance.k:
        problems.append(Problem(f"the panel has {len(set(panel))} members, not k = {instance.k}.",
                                "Give the panel exactly as drawn, or the k it was drawn with.", file=panel_file))
    elif not problems:
        broken = instance.types.violations(instance.types.composition_of(panel))
        seats = quota_seats(instance, panel)
        for q, quota in enumerate(instance.quotas):
            if not quota.min <= seats[q] <= quota.max:
                problems.append(Problem(f"the panel breaks the quota {quota.label}: {int(seats[q])} seats, "
                                        f"quota {quota.min}–{quota.max}.",
                                        "Give the panel as drawn with these quotas.", file=panel_file))
        if broken and not problems:
            problems.append(Problem(f"the panel breaks the rules: {'; '.join(broken)}.",
                                    "Give the panel as drawn with these households.", file=panel_file))
    on_panel = set(panel)
    if len(set(declined_rows)) != len(list(declined_rows)):
        problems.append(Problem("a volunteer is listed twice as declined.", "List each one once.", file=declined_file))
    for position, row in enumerate(declined_rows):
        if row not in on_panel:
            problems.append(Problem(f"volunteer '{instance.ids[row]}' declined but is not on the panel.",
                                    "Only panel members can decline; check the id.", file=declined_file,
                                    row=declined_lines[position] if declined_lines is not None else None,
                                    column=column if declined_lines is not None else None))
    if problems:
        raise InputError(problems)


def condition(instance: Instance, panel_rows: Sequence[int], declined_rows: Sequence[int]) -> Conditioned:
    """The conditioned instance of the module docstring (panel and declined: 0-based pool rows)."""
    declined = sorted({int(i) for i in declined_rows})
    kept = sorted({int(i) for i in panel_rows} - set(declined))
    blocked = np.zeros(instance.n, dtype=bool)
    blocked[list(panel_rows)] = True
    excluded: list[int] = []
    if instance.household and kept:
        address = instance.pool.groupby(instance.household, sort=False).ngroup().to_numpy()
        sharing = np.isin(address, address[kept]) & ~blocked
        excluded = np.flatnonzero(sharing).tolist()
        blocked |= sharing
    remaining = np.flatnonzero(~blocked)
    seats = quota_seats(instance, kept)
    quotas = [Quota(q.category, q.value, max(0, q.min - int(s)), q.max - int(s),
                    None if q.min_flex is None else max(0, q.min_flex - int(s)),
                    None if q.max_flex is None else q.max_flex - int(s))
              for q, s in zip(instance.quotas, seats)]
    conditioned = Instance(
        pool=instance.pool.iloc[remaining].reset_index(drop=True),
        categories=instance.categories,
        quotas=quotas,
        k=instance.k - len(kept),
        ids=[instance.ids[i] for i in remaining],
        household=instance.household,
        population_shares=instance.population_shares,
        sources={role: f"{name} (reduced by the kept members' seats)" if role == "quotas" else name
                 for role, name in instance.sources.items()},
        category_values=(instance.category_values.iloc[remaining].reset_index(drop=True)
                         if instance.category_values is not None else None),
        quota_rows=instance.quota_rows,
    )
    return Conditioned(conditioned, remaining, kept, declined, excluded, seats)


def merge_free_values(instance: Instance) -> Instance:
    """The instance with the values that cannot bind (min 0, max >= k) of each category merged into
    one value (quota 0..k); the instance itself when no category has two such values."""
    values = instance.category_values if instance.category_values is not None else instance.pool[instance.categories]
    merged = values[instance.categories].copy()
    quotas: list[Quota] = []
    changed = False
    for category in instance.categories:
        rows = [q for q in instance.quotas if q.category == category]
        free = [q.value for q in rows if q.min == 0 and q.max >= instance.k]
        if len(free) < 2:
            quotas += rows
            continue
        changed = True
        label = " | ".join(free)
        merged[category] = merged[category].where(~merged[category].isin(free), label)
        quotas += [q for q in rows if q.value not in free] + [Quota(category, label, 0, instance.k)]
    if not changed:
        return instance
    return Instance(pool=instance.pool, categories=instance.categories, quotas=quotas, k=instance.k, ids=instance.ids,
                    household=instance.household, sources=instance.sources, category_values=merged)


def original_repair(conditioned: Conditioned, repair: Repair | None, instance: Instance) -> Repair | None:
    """A repair of the conditioned quotas written as changes of the original bounds."""
    if repair is None:
        return None
    originals = {(q.category, q.value): q for q in instance.quotas}
    changes = []
    for change in repair.changes:
        quota = originals[(change.category, change.value)]
        old = quota.min if change.bound == "min" else quota.max
        changes.append(BoundChange(change.category, change.value, change.bound, old, old + change.new - change.old))
    return Repair(changes)


def require_completion(instance: Instance, conditioned: Conditioned) -> None:
    """Raise ReplacementInfeasible (with the smallest repair, in original bounds) when no valid completion exists."""
    report = check(conditioned.instance)
    if report.feasible:
        return
    repair = original_repair(conditioned, report.repair, instance)
    kept, free = len(conditioned.kept_rows), conditioned.instance.k
    lines = [(f"No replacement is possible: no {free} of the {conditioned.instance.n} remaining volunteers "
             f"complete the {kept} kept members to a panel meeting every quota.")]
    if repair is not None:
        lines.append("Quotas that break, with the smallest change of bounds that makes a completion possible:")
        lines += [f"  {c}" for c in repair.changes]
    else:
        lines.append(report.message)
    raise ReplacementInfeasible("\n".join(lines), repair, report.impossible)


def draw_replacements(instance: Instance, panel_rows: Sequence[int], declined_rows: Sequence[int], *,
                      seed: int, algorithm: str = DEFAULT_ALGORITHM, options: dict | None = None,
                      progress: Progress = no_progress, result: SelectionResult | None = None) -> ReplacementResult:
    """Draw replacements for the declined members (see the module docstring). `result`: the algorithm's
    result on the conditioned instance when already computed (replay passes it)."""
    check_panel(instance, panel_rows, declined_rows)
    conditioned = condition(instance, panel_rows, declined_rows)
    probabilities = np.zeros(instance.n)
    drawn: list[int] = []
    if conditioned.declined_rows:
        if result is None:  # a given result is a distribution over completions: one exists
            require_completion(instance, conditioned)
            solved = merge_free_values(conditioned.instance) if algorithm in MERGE_EXACT else conditioned.instance
            result = run(algorithm, solved, seed=seed, options=options, progress=progress)
        drawn = sorted(int(conditioned.remaining_rows[i]) for i in result.draw(1, seed)[0])
        probabilities[conditioned.remaining_rows] = result.marginals
    completed = sorted(conditioned.kept_rows + drawn)
    problems = instance.types.violations(instance.types.composition_of(completed))
    if problems or len(set(completed)) != instance.k:
        raise SolverError(f"internal error: the completed panel breaks the quotas: {problems}")
    info = {"remaining": int(conditioned.instance.n), "seats_to_fill": int(conditioned.instance.k),
            "household_excluded": len(conditioned.household_excluded_rows)}
    if result is not None:
        info.update({"algorithm_seconds": result.seconds, "support": result.support})
    return ReplacementResult(panel_rows=sorted(int(i) for i in panel_rows), kept_rows=conditioned.kept_rows,
                             declined_rows=conditioned.declined_rows, replacement_rows=drawn, completed_rows=completed,
                             probabilities=probabilities, algorithm=algorithm, seed=int(seed), conditioned=conditioned,
                             selection=result, info=info)
