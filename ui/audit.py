"""Audit records in the app: the SHA-256 of the files actually loaded, and verifying a published record.

The hashes are taken from the bytes uploaded (or the bundled example's files) when the pool is loaded
and kept in the session (ui.state.input_files), so the Lottery page's audit record names them. The
verify section takes a record (uploaded or pasted), checks it against the files loaded now and
replays it with core.audit.replay: "reproduces", or the first difference.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from core.audit.record import ReplayMismatch
from core.audit.replay import ReplayOutcome, read_record, replay_record, sha256_entry
from core.io.examples import EXAMPLES_FOLDER
from core.model import Instance
from core.selection import SelectionResult, run
from ui import state
from ui.algorithms import options_for, options_record
from ui.escape import md
from ui.messages import show_error


def upload_hashes(pool_name: str, pool_bytes: bytes, quotas_name: str, quota_bytes: bytes) -> dict[str, dict[str, str]]:
    """{"pool": {"file", "sha256"}, "quotas": {...}} of two uploaded files."""
    return {"pool": sha256_entry(pool_name, pool_bytes), "quotas": sha256_entry(quotas_name, quota_bytes)}


def example_hashes(name: str, root: Path = EXAMPLES_FOLDER) -> dict[str, dict[str, str]]:
    """The same for a bundled example's pool and quota files (as named in its example.json)."""
    folder = Path(root) / name
    files = json.loads((folder / "example.json").read_text()).get("files", {})
    paths = {"pool": folder / files.get("pool", "pool.csv"), "quotas": folder / files.get("quotas", "quotas.csv")}
    return {role: sha256_entry(path.name, path.read_bytes()) for role, path in paths.items() if path.is_file()}


def verify_record(text: bytes | str, name: str, instance: Instance) -> ReplayOutcome:
    """Replay a record against the loaded files and instance; reuses the session's result of the
    recorded algorithm when it was computed with the recorded seed, else runs the algorithm."""
    record = read_record(text, name)

    def result_for(algorithm: str, seed: int, recorded: dict) -> SelectionResult:
        options = options_for(algorithm, state.extras())
        ours = json.loads(json.dumps(options_record(options), sort_keys=True, default=str))
        if ours != recorded:
            raise ReplayMismatch(f"the record ran {algorithm} with options {json.dumps(recorded, sort_keys=True)}, "
                                 f"this app runs it with {json.dumps(ours, sort_keys=True)}")
        stored = state.results().get(algorithm)
        if stored is not None and state.result_seed(algorithm) == seed:
            return stored
        with st.spinner(f"Running {algorithm} with seed {seed} to replay the record…"):
            return run(algorithm, instance, seed=seed, options=options)

    return replay_record(record, instance, state.input_files(), result_for)


def verify_section(instance: Instance) -> None:
    """Upload or paste a published audit record and see whether it reproduces with the files loaded now."""
    st.subheader("Verify a published draw")
    st.caption("Load the pool and quota files the draw was made from (Home page), then give its audit record: "
               "the files' SHA-256, the algorithm, its options and seed, the ticket and the panel are checked, "
               "in that order, and the first difference is named.")
    upload = st.file_uploader("Audit record (JSON)", type=["json"], key="audit_record_upload")
    pasted = st.text_area("… or paste the record here", key="audit_record_text", height=110)
    if not st.button("Verify the record", key="verify_audit_record"):
        return
    text, name = (upload.getvalue(), upload.name) if upload is not None else (pasted or "", "the pasted record")
    if not str(text).strip():
        st.error("Upload or paste an audit record first.", icon=":material/error:")
        return
    try:
        outcome = verify_record(text, name, instance)
    except Exception as error:  # noqa: BLE001 - every failure is shown as a message
        show_error(error, "Verifying the record")
        return
    if outcome.reproduced:
        st.success(md(outcome.message[:1].upper() + outcome.message[1:]) + ".", icon=":material/verified:")
    else:
        st.error(f"Does not reproduce: {md(outcome.message)}.", icon=":material/block:")
