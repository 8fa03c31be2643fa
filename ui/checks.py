"""Quota checks for the app, cached on the instance fingerprint so reruns cost nothing."""

from __future__ import annotations

import streamlit as st

from core.analysis.feasibility import FeasibilityReport, check
from core.errors import Problem
from core.io.validation import check_quotas
from core.model import Instance
from core.views.quota_editing import edited_context


@st.cache_data(show_spinner=False, max_entries=256, ttl=3600)
def feasibility(fingerprint: str, _instance: Instance) -> FeasibilityReport:
    """Whether some panel meets every quota, and the minimal repair (cached per fingerprint)."""
    return check(_instance)


@st.cache_data(show_spinner=False, max_entries=256, ttl=3600)
def quota_problems(fingerprint: str, _instance: Instance) -> list[Problem]:
    """Problems with the instance's quotas and k, rows numbered as the quota table shows them."""
    return check_quotas(_instance, _instance.quotas, _instance.k, edited_context(len(_instance.quotas)))


def report_for(instance: Instance) -> FeasibilityReport:
    return feasibility(instance.fingerprint(), instance)


def problems_for(instance: Instance) -> list[Problem]:
    return quota_problems(instance.fingerprint(), instance)
