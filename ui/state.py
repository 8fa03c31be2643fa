"""What the workbench keeps in `st.session_state`, and the accessors every page uses.

Keys (all set through the functions below, never written directly by pages):
    "instance"          the current Instance (quotas and k as the person has edited them)
    "loaded_instance"   the Instance exactly as loaded; never changed, so edits can be undone
    "extras"            {"background": DataFrame | None, "letters": int | None, "description": str}, and for
                        uploaded files "dropout_rates" {(category, value) casefolded: rate} from the quota
                        file's `dropout` column and "dropout_error" (the InputError reading it, or None)
    "source"            a short description of where the pool came from
    "example"           the name of the bundled example loaded, or None for uploaded files
    "results"           {algorithm name: SelectionResult} computed for the current instance
    "results_for"       the fingerprint of the instance those results belong to
    "result_seeds"      {algorithm name: seed the stored result was computed with}
    "result_options"    {algorithm name: options key (ui.solve.options_key) of the stored result}
    "stale_results"     algorithm names whose results belonged to earlier quotas (no longer shown)
    "compare_run"       the Compare page's latest ui.solve.CompareRun (running or finished)
    "compare_choice"    the algorithms last chosen on the Compare page (kept across pages)
    "kept_widgets"      {widget key: value} of widgets whose value outlives a visit to another page
    "scenarios"         {name: Scenario} named quota sets
    "draws"             list of lottery draw records (dicts), newest last
    "input_files"       {"pool"/"quotas": {"file", "sha256"}} of the bytes loaded, for audit records
    "quotas_sized_for"  the k the quotas were made for, while only k has changed since (else absent)

A new page starts with `instance = require_instance()`: it stops the page with a link to Home
when no pool is loaded yet.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.model import Instance
from core.selection import SelectionResult

HOME_PAGE = "streamlit_app.py"


def current_instance() -> Instance | None:
    """The instance the pages work on, or None when nothing is loaded."""
    return st.session_state.get("instance")


def loaded_instance() -> Instance | None:
    """The instance exactly as it was loaded (before any quota edit)."""
    return st.session_state.get("loaded_instance")


def extras() -> dict[str, Any]:
    """Background sample, letters sent and description of the loaded pool (empty values when unknown)."""
    return st.session_state.get("extras") or no_extras()


def no_extras() -> dict[str, Any]:
    """The extras of a pool that has none: no background sample, letters or description."""
    return {"background": None, "letters": None, "description": ""}


def uploaded_extras(quota_bytes: bytes, quota_name: str) -> dict[str, Any]:
    """The extras of an uploaded pool: no background sample, and the quota file's drop-out rates per
    value (its optional `dropout` column) for the reserve list. Rates that cannot be read do not stop
    the pool from loading: their error is kept and shown where the rates are used."""
    from core.after.reserve import read_dropout_rates  # the reserve list's module is not needed at start-up
    from core.errors import InputError

    extra: dict[str, Any] = {**no_extras(), "dropout_rates": {}, "dropout_error": None}
    try:
        extra["dropout_rates"] = read_dropout_rates(quota_bytes, quota_name)
    except InputError as error:
        extra["dropout_error"] = error
    return extra


def source() -> str:
    return st.session_state.get("source", "")


def loaded_example() -> str | None:
    """The name of the bundled example that is loaded, or None (nothing loaded, or uploaded files)."""
    return st.session_state.get("example")


def set_loaded(instance: Instance, extra: dict[str, Any] | None, source_label: str,
               files: dict[str, dict[str, str]] | None = None, example: str | None = None) -> None:
    """Make a freshly loaded instance current; results and draws of the previous pool are dropped,
    and a Compare run still going for it is stopped. `files`: the SHA-256 of the files loaded
    (ui.audit.upload_hashes / example_hashes); `example` names the bundled example loaded (None for
    uploaded files)."""
    previous_run = st.session_state.get("compare_run")
    if previous_run is not None and previous_run.running:
        previous_run.stop("another pool was loaded")
    st.session_state["example"] = example
    st.session_state.pop("quotas_sized_for", None)
    st.session_state["instance"] = instance
    st.session_state["loaded_instance"] = instance
    st.session_state["extras"] = dict(extra or no_extras())
    st.session_state["source"] = source_label
    st.session_state["results"] = {}
    st.session_state["result_options"] = {}
    st.session_state["stale_results"] = []
    st.session_state["results_for"] = instance.fingerprint()
    st.session_state["draws"] = []
    st.session_state["input_files"] = dict(files or {})


def input_files() -> dict[str, dict[str, str]]:
    """The SHA-256 of the files the current pool was loaded from (empty when unknown)."""
    return st.session_state.get("input_files") or {}


def set_instance(instance: Instance) -> None:
    """Replace the current instance (edited quotas or k); results of other quotas stop being shown.
    A change of k alone remembers the k the quotas were made for (see `quotas_sized_for`)."""
    current = current_instance()
    if current is not None and list(instance.quotas) != list(current.quotas):
        st.session_state.pop("quotas_sized_for", None)
    elif current is not None and instance.k != current.k:
        st.session_state.setdefault("quotas_sized_for", current.k)
    st.session_state["instance"] = instance


def quotas_sized_for() -> int | None:
    """The panel size the current quotas were made for when only k has changed since, else None."""
    return st.session_state.get("quotas_sized_for")


def require_instance() -> Instance:
    """The current instance; without one, say so, link to Home and stop the page."""
    instance = current_instance()
    if instance is None:
        st.info("No pool is loaded yet. Start on the Home page: pick a bundled example or upload "
                "your own pool and quotas.")
        st.page_link(HOME_PAGE, label="Go to Home", icon=":material/home:")
        st.stop()
    return instance


def results() -> dict[str, SelectionResult]:
    """Results computed for the current instance, by algorithm name (empty after quotas change)."""
    instance = current_instance()
    if instance is None:
        return {}
    if st.session_state.get("results_for") != instance.fingerprint():
        dropped = set(st.session_state.get("results") or {})
        st.session_state["stale_results"] = sorted(dropped | set(st.session_state.get("stale_results", [])))
        st.session_state["results"] = {}
        st.session_state["result_options"] = {}
        st.session_state["results_for"] = instance.fingerprint()
    return st.session_state.setdefault("results", {})


def store_result(result: SelectionResult, seed: int, options_key: str | None = None) -> None:
    """Keep a result of the current instance under its algorithm name, with the seed (and options
    key) it was run with; it is no longer counted as stale."""
    results()[result.algorithm] = result
    st.session_state.setdefault("result_seeds", {})[result.algorithm] = seed
    st.session_state.setdefault("result_options", {})[result.algorithm] = options_key
    stale = st.session_state.get("stale_results", [])
    if result.algorithm in stale:
        st.session_state["stale_results"] = [name for name in stale if name != result.algorithm]


def result_options_key(algorithm: str) -> str | None:
    """The options key the stored result of `algorithm` was computed with (None when not recorded)."""
    return st.session_state.get("result_options", {}).get(algorithm)


def stale_results() -> list[str]:
    """Algorithms whose results were computed for quotas that have since changed (so not shown)."""
    results()  # notices a change of quotas
    return list(st.session_state.get("stale_results", []))


def compare_run():
    """The Compare page's latest run (a ui.solve.CompareRun), or None."""
    return st.session_state.get("compare_run")


def set_compare_run(run) -> None:
    """Make `run` the Compare page's run; a run still going is stopped first (one run per visitor)."""
    previous = st.session_state.get("compare_run")
    if previous is not None and previous is not run and previous.running:
        previous.stop("replaced by a new run")
    st.session_state["compare_run"] = run


def compare_choice() -> list[str] | None:
    """The algorithms the person last chose on the Compare page (None: not chosen yet)."""
    return st.session_state.get("compare_choice")


def remember_compare_choice(algorithms: list[str]) -> None:
    st.session_state["compare_choice"] = list(algorithms)


def restore_widget(key: str, default: Any) -> None:
    """Give widget `key` its last value (or `default`): Streamlit drops a widget's state while the
    person is on another page, so pages call this before drawing it and `keep_widget` after."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get("kept_widgets", {}).get(key, default)


def keep_widget(key: str) -> None:
    st.session_state.setdefault("kept_widgets", {})[key] = st.session_state[key]


def result_seed(algorithm: str) -> int | None:
    """The seed the stored result of `algorithm` was computed with."""
    return st.session_state.get("result_seeds", {}).get(algorithm)


def scenarios() -> dict:
    """Named quota sets of this session."""
    return st.session_state.setdefault("scenarios", {})


def draws() -> list[dict]:
    """Lottery draws made in this session, newest last."""
    return st.session_state.setdefault("draws", [])
