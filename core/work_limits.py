"""Deterministic work limits for HiGHS (via python-mip), shared by Diversimax and the reserve list.

Issue #17: a result must be a function of the inputs and the seed alone, so a solver is stopped by a
work limit (branch-and-bound nodes) and never by a wall-clock time. A generous *safety clock* is
still passed to the solver so that a run cannot hang; when it is what stopped the solver, the
caller raises `SafetyClockStop` instead of returning an answer that would depend on the machine.
"""

from __future__ import annotations

import mip

from .errors import SolverError

HIGHS_TIME_LIMIT_STATUS = 13  # HighsModelStatus.kTimeLimit


class SafetyClockStop(SolverError):
    """The safety clock stopped the solver before its work limit (the result would depend on the machine)."""


def highs_option(model: mip.Model, name: str, value: int) -> None:
    """Set an integer HiGHS option python-mip has no property for (through its HiGHS interface)."""
    setter = getattr(model.solver, "_set_int_option_value", None)
    if setter is not None:
        setter(name, value)


def stopped_by_clock(model: mip.Model) -> bool:
    """True when HiGHS stopped at its time limit (model status kTimeLimit); CBC: never reported."""
    solver = model.solver
    try:
        return int(solver._lib.Highs_getModelStatus(solver._model)) == HIGHS_TIME_LIMIT_STATUS
    except AttributeError:
        return False


def node_count(model: mip.Model) -> int | None:
    """Branch-and-bound nodes of the last solve (HiGHS only; None when the solver does not say)."""
    try:
        from mip.highs import ffi
        value = ffi.new("int64_t*")
        solver = model.solver
        if solver._lib.Highs_getInt64InfoValue(solver._model, b"mip_node_count", value) == 0:
            return int(value[0])
    except (ImportError, AttributeError):
        pass
    return None
