"""Volunteers whom no quota-satisfying panel can contain, and why.

A type t is selectable iff  max { c_t : c a valid panel composition } >= 1  (see `TypeSpace`).
Rather than one integer program per type, types are covered by panels: start from any valid
panel, then repeatedly solve
    max  sum_{t uncovered} c_t   over the panel model (`core.algorithms.panel_model.PanelModel`),
trying the LP relaxation first (an LP optimum below 1 already proves that no uncovered type fits
on any panel; an integral LP optimum is a panel) and the integer program only when needed. Each
panel found covers at least one new type; a proven optimum below 1 means every type still
uncovered is never selectable. Members of such types have selection probability 0 under every
algorithm, which is why organisers are told their names rather than left to spot a minimum of 0.

Reasons, per never-selectable type, first that applies:
  - one of its values has quota max 0;
  - no valid panel has anyone with one of its values (max seats of that quota, by the same model, < 1);
  - otherwise the combination of its values fits on no valid panel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model import Instance

LP_PROOF = 1 - 1e-6  # an LP optimum below this proves the integer optimum is 0


@dataclass(frozen=True)
class NeverSelectable:
    """The volunteers no valid panel contains: pool rows, ids and a reason for each."""

    rows: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # one per volunteer, same order as rows

    @property
    def count(self) -> int:
        return len(self.rows)

    def as_json(self) -> dict:
        return {"count": self.count, "ids": list(self.ids), "rows": list(self.rows), "reasons": list(self.reasons)}

    def describe(self, shown: int = 10) -> str:
        """"3 volunteers can never be selected under these quotas: 12, 15 (because ...); 40 (because ...)."
        or an empty string when there are none."""
        if not self.rows:
            return ""
        by_reason: dict[str, list[str]] = {}
        for volunteer, reason in zip(self.ids, self.reasons):
            by_reason.setdefault(reason, []).append(volunteer)
        parts = []
        for reason, ids in by_reason.items():
            listed = ", ".join(ids[:shown]) + (f" and {len(ids) - shown} more" if len(ids) > shown else "")
            parts.append(f"{listed} because {reason}")
        noun = "volunteer" if self.count == 1 else "volunteers"
        return f"{self.count} {noun} can never be selected under these quotas: " + "; ".join(parts) + "."


def never_selectable(instance: Instance, selectable: np.ndarray | None = None,
                     solver: str = "highs") -> NeverSelectable | None:
    """The never-selectable volunteers of `instance`; None when no panel meets the quotas at all.

    `selectable` (n booleans, optional) marks volunteers already known to sit on some valid panel
    (e.g. a positive probability under an exact algorithm), which spares the solver work."""
    # imported here: mip is loaded only when the question is asked
    from ..algorithms.panel_model import PanelModel

    types = instance.types
    covered = types.counts == 0
    if selectable is not None:
        covered[types.of_volunteer[np.asarray(selectable, dtype=bool)]] = True
        if covered.all():  # every type sits on some panel: no solver needed
            return NeverSelectable()
    model = PanelModel(types, solver=solver)
    first = model.any_panel()
    if first is None:
        return None
    covered |= first > 0
    while not covered.all():
        weights = (~covered).astype(float)
        panel = model.best(weights, relax_first=True)
        if panel.bound < LP_PROOF or not (panel.composition[~covered] > 0).any():
            break
        covered |= panel.composition > 0
    never = np.flatnonzero(~covered)
    if len(never) == 0:
        return NeverSelectable()
    reason_of_type = _reasons(instance, model, never)
    rows = sorted(int(i) for t in never for i in types.members[t])
    return NeverSelectable(rows=rows, ids=[str(instance.ids[i]) for i in rows],
                           reasons=[reason_of_type[int(types.of_volunteer[i])] for i in rows])


def _reasons(instance: Instance, model, never: np.ndarray) -> dict[int, str]:
    """A sentence per never-selectable type (see the module docstring for the order tried)."""
    types = instance.types
    quotas = instance.quotas
    empty_quota: dict[int, bool] = {}  # quota -> no valid panel has anyone with its value

    def unreachable(q: int) -> bool:
        if q not in empty_quota:
            empty_quota[q] = model.best(types.A[q].astype(float), relax_first=True).bound < LP_PROOF
        return empty_quota[q]

    out = {}
    for t in never.tolist():
        held = np.flatnonzero(types.A[:, t]).tolist()
        closed = [q for q in held if quotas[q].max == 0]
        if closed:
            out[t] = " and ".join(f"{quotas[q].label} has max 0" for q in closed)
            continue
        empty = [q for q in held if unreachable(q)]
        if empty:
            out[t] = " and ".join(f"no panel meeting the quotas has anyone with {quotas[q].label} "
                                  "(the other quotas' minimums take the seats)" for q in empty)
            continue
        out[t] = ("no panel meeting the quotas has room for someone with "
                  + ", ".join(quotas[q].label for q in held))
    return out
