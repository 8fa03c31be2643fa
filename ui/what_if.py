"""The "how fair can it be?" box of the Pool and quotas page (core.views.what_if, cached per quotas)."""

from __future__ import annotations

import streamlit as st

from core.model import Instance
from core.views.what_if import WhatIf, change_note, what_if
from ui import state
from ui.escape import md

CONFIRMING = ("leximin", "maximin")  # exact runs whose lowest probability confirms the bound


@st.cache_data(show_spinner=False, max_entries=256)
def cached_what_if(fingerprint: str, _instance: Instance) -> WhatIf:
    return what_if(_instance)


def previous_value(fingerprint: str, value: float) -> float | None:
    """The figure before the last edit: remembered per session, moved on when the quotas change."""
    memory = st.session_state.setdefault("what_if_memory", {"fingerprint": None, "value": None, "previous": None})
    if memory["fingerprint"] != fingerprint:
        memory.update(previous=memory["value"], fingerprint=fingerprint, value=value)
    return memory["previous"]


def confirmation(best: float) -> str:
    """What an exact run of these quotas says about the bound, or '' when none has run."""
    for name in CONFIRMING:
        result = state.results().get(name)
        if result is None or result.objective is None:
            continue
        exact = float(result.objective)
        if abs(exact - best) <= 1e-6:
            return f"Confirmed by {name}: valid panels reach exactly {exact:.2%}."
        return f"{name} reached {exact:.2%} with valid panels (the bound {best:.2%} is not reached)."
    return ""


def show_what_if(instance: Instance) -> None:
    """Draw the box: the best lowest probability (at most / confirmed), its change, what holds it down."""
    view = cached_what_if(instance.fingerprint(), instance)
    if not view.feasible:
        return
    confirmed = confirmation(view.best_minimum)
    previous = previous_value(instance.fingerprint(), view.best_minimum)
    with st.container(border=True):
        st.markdown("**How fair can it be?**")
        left, right = st.columns([1, 2], vertical_alignment="top")
        label = "exactly" if confirmed.startswith("Confirmed") else "at most"
        delta = None if previous is None else f"{100 * (view.best_minimum - previous):+.2f} points"
        left.metric("Lowest selection probability", f"{label} {view.best_minimum:.2%}", delta=delta,
                    help="The best any lottery over panels meeting these quotas can give its least likely "
                         "volunteer: the LP relaxation's maximin value. 'At most' until leximin or maximin "
                         "runs on these quotas and confirms it.")
        lines = [f"The fair chance is k/n = {view.fair_share:.2%}."
                 + (f" {change_note(previous, view.best_minimum).capitalize()}." if previous is not None else "")]
        if view.holding_down:
            lines.append("Held down by the volunteers with "
                         + ", ".join(f"**{md(value)}**" for value, _ in view.holding_down) + ".")
        for price in view.prices[:3]:
            move = f"max {price.value} → {price.value + 1}" if price.bound == "max" else f"min {price.value} → {price.value - 1}"
            lines.append(f"{md(price.label)}: {move} would raise it by about {100 * price.gain:.2f} points.")
        if view.shut_out:
            lines.append(f"{view.shut_out} volunteer(s) hold a value whose max is 0: their chance is 0, "
                         "left out of this figure.")
        if confirmed:
            lines.append(confirmed)
        right.markdown("  \n".join(lines))
