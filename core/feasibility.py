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
Among repairs of smallest total, the one whose largest single change is smallest is preferred
(objective M * sum d + max d, with M larger than any single change), so a repair spreads
"lower four mins by 5" rather than "lower one min by 20".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mip
import numpy as np

from .errors import InfeasibleQuotas, Problem, SolverError
from .model import Instance, Quota

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
    """Quotas (and panel sizes) that no panel could meet, whatever the other quotas say."""
    file = instance.sources.get("quotas")
    k, n = instance.k, instance.n
    problems: list[Problem] = []
    if k <= 0:
        problems.append(Problem(f"the panel size k={k} must be positive.", "Choose k of at least 1."))
    if k > n:
        problems.append(Problem(f"the panel size k={k} is larger than the pool ({n} volunteers).",
                                f"Choose k of at most {n} or recruit more volunteers."))
    households = _household_count(instance)
    if households is not None and 0 < households < k <= n:
        problems.append(Problem(
            f"the pool has only {households} distinct households, fewer than k={k} seats, "
            "and a panel takes at most one volunteer per household.",
            f"Choose k of at most {households} or recruit more households."))
    having = _volunteers_per_quota(instance)
    for q, count in zip(instance.quotas, having):
        if q.min > q.max:
            problems.append(Problem(f"quota {q.label} has min {q.min} above max {q.max}.",
                                    "Make min at most max.", file=file, column="min"))
        if q.min > k:
            problems.append(Problem(f"quota {q.label} asks for at least {q.min} seats on a panel of {k}.",
                                    f"Lower the min to at most {k}.", file=file, column="min"))
        elif q.min > count:
            problems.append(Problem(
                f"quota {q.label} asks for at least {q.min} seats but only {count} volunteers "
                "in the pool have this value.",
                f"Lower the min to at most {count} or recruit more such volunteers.", file=file, column="min"))
    for category in instance.categories:
        quotas = [(q, c) for q, c in zip(instance.quotas, having) if q.category == category]
        mins = sum(q.min for q, _ in quotas)
        # a value can never hold more seats than the volunteers who have it
        reachable = sum(min(q.max, c) for q, c in quotas)
        if mins > k:
            problems.append(Problem(f"the mins of category '{category}' add up to {mins}, more than k={k}.",
                                    f"Lower the mins of '{category}' so they add up to at most {k}.",
                                    file=file, column="min"))
        if reachable < k <= n:
            problems.append(Problem(
                f"category '{category}' can fill at most {reachable} of the {k} seats "
                "(each value's max, or the number of volunteers having it if smaller).",
                f"Raise maxes of '{category}' so they add up to at least {k} where volunteers allow.",
                file=file, column="max"))
    return problems


def minimal_repair(instance: Instance, solver: str = "highs") -> tuple[Repair | None, str]:
    """The smallest repair (None when the quotas can already be met or no repair within flex exists)
    and a sentence saying which of these it is."""
    types = instance.types
    k = instance.k
    if k <= 0 or k > instance.n:
        return None, (f"No panel of {k} can be drawn from a pool of {instance.n} volunteers, "
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
    largest = model.add_var(lb=0)
    for d in down + up:
        model += largest >= d
    weight = 1 + max([int(d.ub) for d in down + up] + [0])
    model.objective = mip.minimize(weight * (mip.xsum(down) + mip.xsum(up)) + largest)
    model += mip.xsum(c) == k
    for j, q in enumerate(instance.quotas):
        seats = mip.xsum(c[t] for t in np.flatnonzero(types.A[j]))
        model += seats >= q.min - down[j]
        model += seats <= q.max + up[j]
    for group in types.households:
        model += mip.xsum(c[t] for t in group) <= 1
    status = model.optimize()
    if status == mip.OptimizationStatus.INFEASIBLE:
        flex = any(q.min_flex is not None or q.max_flex is not None for q in instance.quotas)
        reason = ("even moving every bound as far as min_flex/max_flex allow" if flex
                  else "even with every min at 0 and every max at k")
        extra = " or the households" if types.households else ""
        return None, (f"No panel of {k} meets the quotas, {reason}; change k{extra}"
                      + (", or widen min_flex/max_flex" if flex else "") + ".")
    if status != mip.OptimizationStatus.OPTIMAL:
        raise SolverError(f"the repair model ended with status {status.name}")
    changes = []
    for q, d_min, d_max in zip(instance.quotas, down, up):
        if round(d_min.x) > 0:
            changes.append(BoundChange(q.category, q.value, "min", q.min, q.min - round(d_min.x)))
        if round(d_max.x) > 0:
            changes.append(BoundChange(q.category, q.value, "max", q.max, q.max + round(d_max.x)))
    if not changes:
        return None, f"Some panel of {k} meets every quota."
    return Repair(changes), f"No panel of {k} meets every quota."


def check(instance: Instance, solver: str = "highs") -> FeasibilityReport:
    """Whether some panel meets every quota, the quotas impossible on their own, and the minimal repair."""
    impossible = impossible_quotas(instance)
    repair, message = minimal_repair(instance, solver)
    feasible = repair is None and not impossible and message.startswith("Some panel")
    return FeasibilityReport(feasible=feasible, impossible=impossible, repair=repair, message=message)


def require_feasible(instance: Instance, solver: str = "highs") -> FeasibilityReport:
    """The feasibility report when some panel meets every quota; otherwise raise `InfeasibleQuotas`
    whose message lists the impossible quotas and the repair, one changed bound a line."""
    report = check(instance, solver)
    if not report.feasible:
        raise InfeasibleQuotas(report.describe(), report.repair, report.impossible)
    return report


def _volunteers_per_quota(instance: Instance) -> list[int]:
    """For every quota, how many volunteers in the pool have its value."""
    types = instance.types
    return [int(x) for x in types.A @ types.counts]


def _household_count(instance: Instance) -> int | None:
    """Number of distinct addresses when household columns are given, else None."""
    if not instance.household:
        return None
    return int(instance.pool[instance.household].astype(str).drop_duplicates().shape[0])
