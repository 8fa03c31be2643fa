"""The Lottery page's audit record names the SHA-256 of the files loaded, and a published record can be
verified on the page: "reproduces", or the first difference."""

from __future__ import annotations

import hashlib
import json

from core.io.examples import EXAMPLES_FOLDER
from tests.test_app import (
    LOTTERY,
    app,
    assert_clean,
    button,
    load_classroom,
    run_compare,
    texts,
)


def drawn_record(seed: str = "2024") -> tuple[object, dict]:
    at = run_compare(load_classroom(app()), ["maximin"])
    at.switch_page(LOTTERY).run()
    at.radio[0].set_value("Enter a seed").run()
    [box for box in at.text_input if box.label == "Seed"][0].set_value(seed).run()
    button(at, "Draw the panel").click().run()
    assert_clean(at)
    return at, at.session_state["draws"][-1]["record"]


def verify(at, record: dict):
    at.text_area(key="audit_record_text").set_value(json.dumps(record)).run()
    button(at, "Verify the record").click().run()
    assert_clean(at)
    return at


def test_the_audit_record_holds_the_hashes_of_the_loaded_files() -> None:
    _, record = drawn_record()
    folder = EXAMPLES_FOLDER / "classroom"
    for role, name in (("pool", "pool.csv"), ("quotas", "quotas.csv")):
        entry = record["input_files"][role]
        assert entry["sha256"] == hashlib.sha256((folder / name).read_bytes()).hexdigest(), role


def test_a_published_record_is_verified_on_the_lottery_page() -> None:
    at, record = drawn_record()
    verify(at, record)
    assert "Reproduces: maximin with ticket" in texts(at.success)
    tampered = dict(record, input_files={**record["input_files"],
                                         "pool": {"file": "pool.csv", "sha256": "0" * 64}})
    verify(at, tampered)
    assert "Does not reproduce: the pool file" in texts(at.error)
    verify(at, dict(record, seed=record["seed"] + 1))
    assert "Does not reproduce" in texts(at.error)
