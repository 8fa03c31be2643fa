"""What the Pool page tells organisers about their pool beyond feasibility: households found in the
address columns, and volunteers no valid panel can contain (cached on the instance fingerprint)."""

from __future__ import annotations

import streamlit as st

from core.analysis.households import HouseholdSummary, household_summary
from core.analysis.never_selectable import NeverSelectable, never_selectable
from core.model import Instance
from ui.escape import md


@st.cache_data(show_spinner=False, max_entries=256)
def _households(fingerprint: str, _instance: Instance) -> HouseholdSummary | None:
    return household_summary(_instance.pool, _instance.household)


@st.cache_data(show_spinner=False, max_entries=256)
def _never(fingerprint: str, _instance: Instance) -> NeverSelectable | None:
    return never_selectable(_instance)


def show_pool_notes(instance: Instance, feasible: bool) -> None:
    """The households caption and, when the quotas can be met, the never-selectable warning."""
    fingerprint = instance.fingerprint()
    households = _households(fingerprint, instance)
    if households is not None:
        text = households.describe()  # names household columns: the person's own text
        st.caption(md(text[0].upper() + text[1:]))
    if not feasible:
        return
    never = _never(fingerprint, instance)
    if never is not None and never.count:
        st.warning(md(never.describe()) + " Their selection probability is 0 under every algorithm; "
                   "loosen the quotas named if they should have a chance.", icon=":material/person_off:")
