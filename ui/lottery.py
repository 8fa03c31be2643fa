"""The transparent lottery of a stored result, cached per result, ticket count and seed."""

from __future__ import annotations

import streamlit as st

from core.lottery import TransparentLottery, transparent_lottery
from core.selection import SelectionResult


@st.cache_resource(show_spinner=False, max_entries=32)
def _lottery(result_key: str, M: int, seed: int, _result: SelectionResult) -> TransparentLottery:
    return transparent_lottery(_result, M=M, seed=seed)


def lottery_for(result_key: str, result: SelectionResult, M: int, seed: int) -> TransparentLottery:
    """The lottery of M tickets for `result` (identified by `result_key`), built once per key."""
    return _lottery(result_key, int(M), int(seed), result)
