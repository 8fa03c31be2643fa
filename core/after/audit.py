"""The audit record of a replacement draw, and its replay.

The record is `core.audit.record.audit_record` of the completed panel (instance fingerprint, input file
hashes, algorithm, options, seed, panel rows and ids) with `kind = "replacement"` and a
`replacement` section: the panel as drawn, the declined, the kept and the replacement ids, and the
fingerprint of the conditioned instance. Replaying conditions the same instance on the same panel
and declines, checks both fingerprints, re-runs the algorithm (deterministic for a given seed) and
re-draws with the seed; any difference raises `ReplayMismatch`.
"""

from __future__ import annotations

from pathlib import Path

from ..audit.record import ReplayMismatch, audit_record
from ..model import Instance
from ..selection import SelectionResult
from .replacement import ReplacementResult, draw_replacements

KIND = "replacement"


def replacement_record(instance: Instance, outcome: ReplacementResult, *, options: dict | None = None,
                       files: dict[str, str | Path | bytes] | None = None) -> dict:
    """JSON-ready audit record of a replacement draw (`files`: role -> path or bytes, e.g. pool,
    quotas, panel, declined; each is hashed)."""
    record = audit_record(instance, algorithm=outcome.algorithm, options=options, seed=outcome.seed,
                          panel=outcome.completed_rows, files=files)
    ids = instance.ids
    record["kind"] = KIND
    record["replacement"] = {
        "panel_ids": [ids[i] for i in outcome.panel_rows],
        "declined_ids": [ids[i] for i in outcome.declined_rows],
        "kept_ids": [ids[i] for i in outcome.kept_rows],
        "replacement_ids": [ids[i] for i in outcome.replacement_rows],
        "conditioned_instance_sha256": outcome.conditioned.instance.fingerprint(),
        "remaining": int(outcome.conditioned.instance.n),
    }
    return record


def _rows(instance: Instance, ids: list[str], what: str) -> list[int]:
    position = {volunteer: i for i, volunteer in enumerate(instance.ids)}
    missing = [v for v in ids if v not in position]
    if missing:
        raise ReplayMismatch(f"the {what} ids {missing[:5]} of the record are not in the pool")
    return [position[v] for v in ids]


def replay_replacement(record: dict, instance: Instance, result: SelectionResult | None = None,
                       options: dict | None = None) -> list[int]:
    """Re-run the replacement draw a record describes and return the completed panel (0-based rows);
    raise ReplayMismatch when the instance, the conditioned instance or the drawn replacements differ.
    `result`: the algorithm's result on the conditioned instance, to skip re-running it."""
    if record.get("kind") != KIND or "replacement" not in record:
        raise ReplayMismatch("this audit record is not of a replacement draw")
    if record["instance_sha256"] != instance.fingerprint():
        raise ReplayMismatch("the instance differs from the one in the audit record (fingerprints differ)")
    section = record["replacement"]
    panel = _rows(instance, section["panel_ids"], "panel")
    declined = _rows(instance, section["declined_ids"], "declined")
    outcome = draw_replacements(instance, panel, declined, seed=int(record["seed"]), algorithm=record["algorithm"],
                                options=record.get("options") if options is None else options, result=result)
    if outcome.conditioned.instance.fingerprint() != section["conditioned_instance_sha256"]:
        raise ReplayMismatch("the conditioned instance differs from the recorded one")
    if [instance.ids[i] for i in outcome.replacement_rows] != list(section["replacement_ids"]):
        raise ReplayMismatch("replaying the draw gives other replacements than the recorded ones")
    if [instance.ids[i] for i in outcome.completed_rows] != list(record["panel_ids"]):
        raise ReplayMismatch("replaying the draw gives another completed panel than the recorded one")
    return outcome.completed_rows
