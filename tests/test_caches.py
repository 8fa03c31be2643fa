"""Caches of the hosted app: results are shared between visitors only for the bundled examples, an
uploaded pool's results stay in its visitor's session, every store is bounded (entries, age, bytes),
and a lottery's size is capped by tickets x panel size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.errors import InputError
from core.io.examples import load_example
from core.lottery import MAX_TICKET_SEATS, max_tickets, transparent_lottery
from core.selection import run
from tests.test_app import wait_for_run
from ui import lottery as ui_lottery
from ui import solve
from ui.solve import ResultStore, approximate_bytes

ROOT = Path(__file__).resolve().parents[1]
HOME = str(ROOT / "streamlit_app.py")
CLASSROOM = ROOT / "examples" / "classroom"
TIMEOUT = 240


# ---- the bounded store ---------------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_store_drops_least_recently_used_beyond_its_capacity():
    store = ResultStore(capacity=2, ttl=100, max_bytes=10**9)
    store.put("a", 1)
    store.put("b", 2)
    assert store.get("a") == 1  # a is now the most recently used
    store.put("c", 3)
    assert store.get("b") is None and store.get("a") == 1 and store.get("c") == 3 and len(store) == 2


def test_store_forgets_entries_older_than_its_time_to_live():
    clock = Clock()
    store = ResultStore(capacity=10, ttl=60, max_bytes=10**9, clock=clock)
    store.put("a", "x")
    clock.now = 59
    assert store.get("a") == "x"
    clock.now = 61
    assert store.get("a") is None and len(store) == 0


def test_store_keeps_its_bytes_under_the_bound():
    store = ResultStore(capacity=10, ttl=100, max_bytes=3_000)
    for name in "abcd":
        store.put(name, np.zeros(100))  # 800 bytes each
    assert store.nbytes <= 3_000 and store.get("a") is None and store.get("d") is not None
    store.put("huge", np.zeros(1_000))  # 8,000 bytes: more than the whole store, not kept
    assert store.get("huge") is None and store.nbytes <= 3_000


def test_approximate_bytes_sees_the_arrays_of_a_result():
    instance, _ = load_example("classroom")
    result = run("leximin", instance, seed=1)
    assert approximate_bytes(result) >= result.marginals.nbytes + result.distribution.compositions.nbytes


# ---- two visitors --------------------------------------------------------------------------------

def visitor() -> AppTest:
    return AppTest.from_file(HOME, default_timeout=TIMEOUT).run()


def upload_classroom(at: AppTest) -> AppTest:
    """Upload a pool that is not a bundled example (the classroom pool with one name changed)."""
    pool = (CLASSROOM / "pool.csv").read_bytes().replace(b"Ada,", b"Ana,")
    at.file_uploader(key="pool_upload").set_value(("pool.csv", pool, "text/csv"))
    at.file_uploader(key="quota_upload").set_value(("quotas.csv", (CLASSROOM / "quotas.csv").read_bytes(), "text/csv"))
    at.run()
    at.number_input[0].set_value(4)
    at.button(key="load_upload").click().run()
    assert at.session_state["instance"].n == 12 and not at.exception
    return at


def load_bundled_classroom(at: AppTest) -> AppTest:
    at.selectbox(key="example_choice").set_value("classroom").run()  # the button then offers to load it
    at.button(key="load_example").click().run()
    assert at.session_state["instance"].n == 12 and not at.exception
    return at


def run_leximin(at: AppTest) -> str:
    """Run leximin on Compare (in the background) and say how it ended: "from cache" or "computed"."""
    at.switch_page("pages/2_Compare.py").run()
    at.multiselect(key="compare_algorithms").set_value(["leximin"]).run()
    next(b for b in at.button if b.label == "Run").click().run()
    wait_for_run(at)
    assert not at.exception, [e.value for e in at.exception]
    item = next(item for item in at.session_state["compare_run"].items if item.name == "leximin")
    assert item.status in ("cached", "done"), item.status
    return "from cache" if item.status == "cached" else "computed"


@pytest.fixture
def empty_shared_caches():
    solve.result_store.clear()
    ui_lottery.shared_lotteries.clear()
    yield
    solve.result_store.clear()
    ui_lottery.shared_lotteries.clear()


def test_an_uploaded_pool_is_never_from_another_visitors_cache(empty_shared_caches):
    first = upload_classroom(visitor())
    assert "from cache" not in run_leximin(first)
    second = upload_classroom(visitor())  # the very same files, another visitor
    assert "from cache" not in run_leximin(second)
    assert len(solve.result_store()) == 0  # nothing of an upload in the shared store
    assert "from cache" in run_leximin(first)  # a visitor's own results are cached for them
    assert first.session_state["private_results"] is not second.session_state["private_results"]


def test_bundled_examples_are_shared_between_visitors(empty_shared_caches):
    first = load_bundled_classroom(visitor())
    assert "from cache" not in run_leximin(first)
    second = load_bundled_classroom(visitor())
    assert "from cache" in run_leximin(second)
    assert len(solve.result_store()) == 1


def test_lottery_of_an_upload_stays_in_its_session(empty_shared_caches):
    at = upload_classroom(visitor())
    run_leximin(at)
    at.switch_page("pages/3_Lottery.py").run()
    assert not at.exception
    assert len(ui_lottery.shared_lotteries()) == 0 and len(at.session_state["private_lotteries"]) == 1
    tickets = at.number_input[0]
    assert tickets.max == max_tickets(4) == MAX_TICKET_SEATS // 4


# ---- the lottery's size --------------------------------------------------------------------------

def test_lottery_is_capped_by_tickets_times_panel_size_and_stored_compactly():
    instance, _ = load_example("classroom")
    result = run("leximin", instance, seed=1)
    with pytest.raises(InputError, match="ticket seats"):
        transparent_lottery(result, M=max_tickets(instance.k) + 1, seed=0)
    lottery = transparent_lottery(result, M=2_000, seed=0)
    assert lottery.ticket_members.shape == (2_000, instance.k) and lottery.ticket_members.dtype == np.int32
    assert lottery.ticket_composition_index.shape == (2_000,)
    assert np.array_equal(lottery.ticket_compositions[5], result.distribution.compositions[lottery.ticket_composition_index[5]])
    assert approximate_bytes(lottery) < 200_000  # no M x T matrix, no Python tuples kept
