"""Showing problems from `core` as readable messages, never as tracebacks."""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from core.errors import InfeasibleQuotas, InputError, Problem, SolverError

from .escape import md


def show_problems(problems: Iterable[Problem], title: str | None = None) -> None:
    """Errors in one red box and warnings in one yellow box, one problem a line."""
    problems = list(problems)
    errors = [p for p in problems if p.severity != "warning"]
    warnings = [p for p in problems if p.severity == "warning"]
    if errors:
        head = f"**{md(title)}**\n\n" if title else ""
        st.error(head + "\n".join(f"- {md(str(p))}" for p in errors), icon=":material/error:")
    if warnings:
        st.warning("\n".join(f"- {md(str(p).removeprefix('warning: '))}" for p in warnings),
                   icon=":material/warning:")


def show_error(error: Exception, context: str = "") -> None:
    """Any exception from core (or elsewhere) as a short message saying what happened and what to do."""
    if isinstance(error, InputError):  # show_problems escapes the title
        show_problems(error.problems, title=(f"{context}: " if context else "") + "the input cannot be used")
        return
    prefix = f"{md(context)}: " if context else ""  # contexts name uploaded files
    if isinstance(error, InfeasibleQuotas):
        lines = [f"**{prefix}no panel meets every quota.**"]
        lines += [f"- {md(str(p))}" for p in error.impossible]
        repair = getattr(error, "repair", None)
        if repair is not None:
            lines.append("Smallest change of quotas that makes a panel possible "
                         "(apply it on the *Pool and quotas* page):")
            lines += [f"- {md(str(c))}" for c in repair.changes]
        st.error("\n".join(lines), icon=":material/block:")
    elif getattr(error, "about_the_quotas", False):  # e.g. legacy missing a min on every retry
        st.error(f"**{prefix}the quotas are too tight for this method.** {md(str(error))}",
                 icon=":material/block:")
    elif isinstance(error, SolverError):
        st.error(f"{prefix}the solver failed: {md(str(error))}. Try again with another seed, "
                 "or report it together with the pool and quota files.", icon=":material/error:")
    else:
        st.error(f"{prefix}something went wrong ({type(error).__name__}: {md(str(error))}). "
                 "Nothing you loaded was changed. Please report it together with the input files.",
                 icon=":material/error:")

