"""The transparent lottery of a stored result, cached per result, ticket count and seed.

Lotteries of the bundled examples are kept in one process-wide store shared by every visitor;
a lottery of an uploaded pool is kept in the visitor's own session (ui/solve.py explains why). Both
stores are bounded by entries, age and bytes; M x k is capped by core.lottery.MAX_TICKET_SEATS, so
one lottery holds at most 8 MB of ticket members.
"""

from __future__ import annotations

import streamlit as st

from core.lottery import TransparentLottery, transparent_lottery
from core.selection import SelectionResult

from .solve import TTL_SECONDS, ResultStore, is_bundled_pool, session_store

SHARED_LOTTERIES = 8
PRIVATE_LOTTERIES = 2
LOTTERY_BYTES = 64 * 2**20
PRIVATE_KEY = "private_lotteries"


@st.cache_resource(show_spinner=False)
def shared_lotteries() -> ResultStore:
    """Lotteries of the bundled examples, for every visitor."""
    return ResultStore(SHARED_LOTTERIES, TTL_SECONDS, LOTTERY_BYTES)


def private_lotteries() -> ResultStore:
    """This visitor's lotteries of their own pool (freed with their session)."""
    return session_store(PRIVATE_KEY, PRIVATE_LOTTERIES, LOTTERY_BYTES)


def lottery_for(result_key: str, result: SelectionResult, M: int, seed: int) -> TransparentLottery:
    """The lottery of M tickets for `result` (identified by `result_key`), built once per key."""
    store = shared_lotteries() if is_bundled_pool() else private_lotteries()
    key = f"{result_key}|M={int(M)}|seed={int(seed)}"
    lottery = store.get(key)
    if lottery is None:
        lottery = transparent_lottery(result, M=int(M), seed=int(seed))
        store.put(key, lottery)
    return lottery
