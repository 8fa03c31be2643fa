"""Can the quotas be met? If not, which quotas are impossible on their own, and what is the
smallest change of quota bounds that makes some panel possible?

Minimal repair, an integer program over type counts c_t (see `TypeSpace`):

    minimise   sum_q (d_q^- + d_q^+)
    subject to sum_t c_t = k,   0 <= c_t <= N_t integer
               min_q - d_q^- <= sum_{t has value q} c_t <= max_q + d_q^+     for every quota q
               0 <= d_q^- <= min_q - floor_q,   0 <= d_q^+ <= ceiling_q - max_q,  d integer
               sum_{t in h} c_t <= 1                                         for every household h

floor_q is min_flex (0 when not given) and ceiling_q is max_flex (k when not given): a repair
never moves a bound past its flex. The optimum is 0 exactly when the quotas can be met.
Among repairs of smallest total the choice is lexicographic, one re-solve per rule with the
earlier objectives held at their optimum:
  1. move the offending bounds only, as far as possible: minimise the change of bounds that are
     not wrong on their own (a bound is offending when min > max, min > k, min above the volunteers
     who have the value, or its category's mins add up to more than k / maxes to less than k);
  2. stay closest to the population shares, where known: minimise sum |new bound - k * share|
     over the bounds (unmoved bounds add a constant);
  3. the largest single change smallest, so a repair spreads "lower four mins by 5" rather than
     "lower one min by 20".
So min 512, max 8 for age 16-29 at k = 30 is repaired to "min 512 -> 8" (total 504), not to
"min 512 -> 11, max 8 -> 11" (also 504, but moving a max nothing was wrong with).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mip
import numpy as np

from ..errors import InfeasibleQuotas, Problem, SolverError
from ..io.validation import (
    QuotaContext,
    category_columns,
    check_bounds,
    check_category_sums,
    check_k,
    check_value_counts,
)
from ..model import Instance, Quota
from .households import address_keys

SOLVERS = {"highs": "HIGHS", "cbc": "CBC"}


@dataclass(frozen=True)
class BoundChange:
    """One quota bound moved by a repair."""

    category: str
    value: str
    bound: str  # "min" or "max"
    old: int
    new: int

    def __str__(self) -> str:
        return f"{self.category}={self.value}: {self.bound} {self.old} -> {self.new}"


@dataclass(frozen=True)
class Repair:
    """The smallest total change of quota bounds after which some panel meets every quota."""

    changes: list[BoundChange]

    @property
    def total(self) -> int:
        """Sum over changed bounds of |new - old|."""
        return sum(abs(c.new - c.old) for c in self.changes)

    def apply(self, instance: Instance) -> Instance:
        """The instance with the repaired bounds (flex limits kept as they were)."""
        moved = {(c.category, c.value, c.bound): c.new for c in self.changes}
        quotas = [
            Quota(q.category, q.value,
                  moved.get((q.category, q.value, "min"), q.min),
                  moved.get((q.category, q.value, "max"), q.max),
                  q.min_flex, q.max_flex)
            for q in instance.quotas
        ]
        return instance.with_quotas(quotas)

    def __str__(self) -> str:
        return "\n".join(str(c) for c in self.changes)


@dataclass
class FeasibilityReport:
    """Whether some panel meets every quota; if not, why and how to repair it."""

    feasible: bool
    impossible: list[Problem] = field(default_factory=list)
    repair: Repair | None = None
    message: str = ""

    def describe(self) -> str:
        """The whole report in words, one line per problem and per changed bound."""
        if self.feasible:
            return self.message
        lines = [self.message]
        if self.impossible:
            lines.append("Quotas that cannot be met on their own:")
            lines += [f"  - {p}" for p in self.impossible]
        if self.repair is not None:
            lines.append(f"Smallest repair (total change {self.repair.total}):")
            lines += [f"  {c}" for c in self.repair.changes]
        return "\n".join(lines)


def impossible_quotas(instance: Instance) -> list[Problem]:
    """Quotas (and panel sizes) that no panel could meet, whatever the other quotas say.

    The per-quota checks are the validation module's (so the loader, the app's quota editor and
    this report say the same thing); two checks only make sense here: a category that cannot fill
    k seats because some values have too few volunteers, and too few households for k seats.
    """
    k, n = instance.k, instance.n
    context = QuotaContext(file=instance.sources.get("quotas"), rows=instance.quota_rows,
                           pool_file=instance.sources.get("pool"))
    problems = check_k(k, n) + check_bounds(instance.quotas, context)
    problems += check_category_sums(instance.quotas, k, context)
    problems += check_value_counts(instance.quotas, category_columns(instance), context)
    households = _household_count(instance)
    if households is not None and 0 < households < k <= n:
        problems.append(Problem(
            f"the pool has only {households} distinct households, fewer than k={k} seats, "
            "and a panel takes at most one volunteer per household.",
            f"Choose k of at most {households} or recruit more households."))
    having = _volunteers_per_quota(instance)
    for category in instance.categories:
        rows = [(i, q, c) for i, (q, c) in enumerate(zip(instance.quotas, having)) if q.category == category]
        maxes = sum(q.max for _, q, _ in rows)
        # a value can never hold more seats than the volunteers who have it
        reachable = sum(min(q.max, c) for _, q, c in rows)
        if reachable < k <= n and maxes >= k:
            problems.append(Problem(
                f"category '{category}' can fill at most {reachable} of the {k} seats: some values have "
                "fewer volunteers than their max.",
                f"Raise the maxes of other values of '{category}' so the volunteers available can fill {k} seats.",
                file=context.file, row=context.row(rows[0][0]), column="max"))
    return [p for p in problems if p.severity == "error"]


def minimal_repair(instance: Instance, solver: str = "highs") -> tuple[bool, Repair | None, str]:
    """Whether the quotas can be met as they are, the smallest repair (None when they can, or when
    no repair within flex exists), and a sentence saying which of these it is."""
    types = instance.types
    k = instance.k
    if k <= 0 or k > instance.n:
        return False, None, (f"No panel of {k} can be drawn from a pool of {instance.n} volunteers, "
                      "whatever the quotas; change k or the pool.")
    model = mip.Model(sense=mip.MINIMIZE, solver_name=SOLVERS[solver])
    model.verbose = 0
    model.threads = 1
    c = [model.add_var(var_type=mip.INTEGER, lb=0, ub=int(n)) for n in types.counts]
    down, up = [], []
    for q in instance.quotas:
        floor = 0 if q.min_flex is None else q.min_flex
        ceiling = k if q.max_flex is None else q.max_flex
        down.append(model.add_var(var_type=mip.INTEGER, lb=0, ub=max(0, q.min - max(0, floor))))
        up.append(model.add_var(var_type=mip.INTEGER, lb=0, ub=max(0, ceiling - q.max)))
    model += mip.xsum(c) == k
    for j, q in enumerate(instance.quotas):
        seats = mip.xsum(c[t] for t in np.flatnonzero(types.A[j]))
        model += seats >= q.min - down[j]
        model += seats <= q.max + up[j]
    for group in types.households:
        model += mip.xsum(c[t] for t in group) <= 1
    total = mip.xsum(down) + mip.xsum(up)
    status = _solve(model, total)
    if status == mip.OptimizationStatus.INFEASIBLE:
        flex = any(q.min_flex is not None or q.max_flex is not None for q in instance.quotas)
        reason = ("even moving every bound as far as min_flex/max_flex allow" if flex
                  else "even with every min at 0 and every max at k")
        extra = " or the households" if types.households else ""
        return False, None, (f"No panel of {k} meets the quotas, {reason}; change k{extra}"
                      + (", or widen min_flex/max_flex" if flex else "") + ".")
    if round(model.objective_value) > 0:
        _prefer_among_equal_repairs(instance, model, total, down, up)
    changes = []
    for q, d_min, d_max in zip(instance.quotas, down, up):
        if round(d_min.x) > 0:
            changes.append(BoundChange(q.category, q.value, "min", q.min, q.min - round(d_min.x)))
        if round(d_max.x) > 0:
            changes.append(BoundChange(q.category, q.value, "max", q.max, q.max + round(d_max.x)))
    if not changes:
        return True, None, f"Some panel of {k} meets every quota."
    return False, Repair(changes), f"No panel of {k} meets every quota."


def check(instance: Instance, solver: str = "highs") -> FeasibilityReport:
    """Whether some panel meets every quota, the quotas impossible on their own, and the minimal repair."""
    impossible = impossible_quotas(instance)
    feasible, repair, message = minimal_repair(instance, solver)
    feasible = feasible and not impossible
    return FeasibilityReport(feasible=feasible, impossible=impossible, repair=repair, message=message)


def require_feasible(instance: Instance, solver: str = "highs") -> FeasibilityReport:
    """The feasibility report when some panel meets every quota; otherwise raise `InfeasibleQuotas`
    whose message lists the impossible quotas and the repair, one changed bound a line."""
    report = check(instance, solver)
    if not report.feasible:
        raise InfeasibleQuotas(report.describe(), report.repair, report.impossible)
    return report


def _solve(model: mip.Model, objective: mip.LinExpr) -> mip.OptimizationStatus:
    """Minimise `objective`; INFEASIBLE or OPTIMAL, anything else is a solver failure."""
    model.objective = mip.minimize(objective)
    status = model.optimize()
    if status not in (mip.OptimizationStatus.INFEASIBLE, mip.OptimizationStatus.OPTIMAL):
        raise SolverError(f"the repair model ended with status {status.name}")
    return status


def _hold(model: mip.Model, objective: mip.LinExpr, integral: bool) -> None:
    """Keep `objective` at the optimum just found while the next rule is optimised."""
    best = model.objective_value
    model += objective <= (round(best) if integral else best + 1e-6 * (1 + abs(best)))


def _prefer_among_equal_repairs(instance: Instance, model: mip.Model, total: mip.LinExpr,
                                down: list[mip.Var], up: list[mip.Var]) -> None:
    """Re-solve `model` (optimal for the smallest total change) by the module's rules 1-3."""
    _hold(model, total, integral=True)
    min_offends, max_offends = _offending_bounds(instance)
    innocent = mip.xsum(d for d, bad in zip(down, min_offends) if not bad) + \
        mip.xsum(d for d, bad in zip(up, max_offends) if not bad)
    if innocent.expr and (any(min_offends) or any(max_offends)):
        _solve(model, innocent)
        _hold(model, innocent, integral=True)
    shares = instance.population_shares or {}
    distances = []
    for q, d_min, d_max in zip(instance.quotas, down, up):
        share = shares.get((q.category, q.value))
        if share is None:
            continue
        target = instance.k * float(share)
        for new in (q.min - d_min, q.max + d_max):
            gap = model.add_var(lb=0)
            model += gap >= new - target
            model += gap >= target - new
            distances.append(gap)
    if distances:
        _solve(model, mip.xsum(distances))
        _hold(model, mip.xsum(distances), integral=False)
    largest = model.add_var(lb=0)
    for d in down + up:
        model += largest >= d
    _solve(model, largest + 0)


def _offending_bounds(instance: Instance) -> tuple[list[bool], list[bool]]:
    """For every quota, whether its min and whether its max is wrong on its own (see the module docstring)."""
    k = instance.k
    having = _volunteers_per_quota(instance)
    min_offends = [q.min > q.max or q.min > k or q.min > count for q, count in zip(instance.quotas, having)]
    max_offends = [False] * len(instance.quotas)
    for category in instance.categories:
        rows = [j for j, q in enumerate(instance.quotas) if q.category == category]
        if sum(instance.quotas[j].min for j in rows) > k:
            for j in rows:
                min_offends[j] = True
        if sum(instance.quotas[j].max for j in rows) < k:
            for j in rows:
                max_offends[j] = True
    return min_offends, max_offends


def _volunteers_per_quota(instance: Instance) -> list[int]:
    """For every quota, how many volunteers in the pool have its value."""
    types = instance.types
    return [int(x) for x in types.A @ types.counts]


def _household_count(instance: Instance) -> int | None:
    """Number of distinct addresses (as matched in core.analysis.households) when household columns
    are given, else None."""
    if not instance.household:
        return None
    return int(len(np.unique(address_keys(instance.pool, instance.household))))
