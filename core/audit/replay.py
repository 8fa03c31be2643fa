"""Replaying an audit record: the same files, algorithm, options and seed must give the same panel.

A record (core.audit.record.audit_record) names the SHA-256 of every input file, the instance fingerprint,
the algorithm with its options, the seed the algorithm ran with, the draw's seed (and its public
numbers), the lottery's M, seed, commitment and ticket, and the panel. Replaying checks them in that
order and stops at the first difference:
    file hashes -> instance fingerprint -> re-run the algorithm -> seed rule -> ticket table
    commitment -> ticket -> panel ids.
Every algorithm's result is a function of its inputs, options and seed (Diversimax stops at a node
limit, not a clock), so an unchanged record replays on any machine with the same library version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError, Problem
from ..model import Instance
from ..selection import REGISTRY, Progress, SelectionResult, no_progress, run
from .record import ReplayMismatch, check_file_hashes, replay

REQUIRED = ("instance_sha256", "algorithm", "options", "seed", "panel_ids", "k")


@dataclass
class ReplayOutcome:
    """Whether the record reproduced, and in words what matched or the first difference."""

    reproduced: bool
    message: str
    panel_ids: list[str] | None = None


def read_record(data: bytes | str, name: str) -> dict:
    """An audit record from JSON text; InputError naming the file when it is not one."""
    try:
        record = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError([Problem(f"is not a JSON file ({error}).", "Give the audit record saved with the draw.",
                                  file=name)]) from None
    if isinstance(record, dict) and "audit" in record and isinstance(record["audit"], dict):
        record = record["audit"]  # the JSON written by `python -m core select` holds the record under "audit"
    missing = [key for key in REQUIRED if not isinstance(record, dict) or key not in record]
    if missing:
        raise InputError([Problem(f"is not an audit record (missing {', '.join(missing)}).",
                                  "Give the audit record saved with the draw, or the JSON written by select.", file=name)])
    if record["algorithm"] not in REGISTRY:
        raise InputError([Problem(f"names algorithm '{record['algorithm']}', which this version does not have.",
                                  f"Algorithms: {', '.join(REGISTRY)}.", file=name)])
    return record


def read_record_file(path: str | Path) -> dict:
    """The audit record in a file (see read_record); InputError when it cannot be read."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InputError([Problem(f"cannot read the audit record ({error.strerror or error}).", "Check the path.",
                                  file=str(path))]) from None
    return read_record(data, Path(path).name)


def sha256_entry(name: str, data: bytes) -> dict[str, str]:
    """The {"file", "sha256"} entry an audit record holds for a file."""
    return {"file": name, "sha256": hashlib.sha256(data).hexdigest()}


def algorithm_seed(record: dict) -> int:
    """The seed the algorithm ran with: recorded, else the lottery's seed, else the draw's seed."""
    if "algorithm_seed" in record:
        return int(record["algorithm_seed"])
    lottery = record.get("lottery")
    return int(lottery["seed"]) if lottery else int(record["seed"])


def algorithm_options(record: dict, background: Any | None = None) -> dict[str, Any]:
    """The recorded options as the algorithm takes them (a recorded background file becomes the table)."""
    options = dict(record.get("options") or {})
    options.pop("background_file", None)
    if background is not None:
        options["background"] = background
    return options


def replay_record(record: dict, instance: Instance, hashes: dict[str, dict[str, str | None]],
                  result_for: Callable[[str, int, dict], SelectionResult]) -> ReplayOutcome:
    """Replay `record` on an instance whose input files have `hashes`; `result_for(algorithm, seed,
    options)` gives the algorithm's result (run afresh, or one kept from the same run)."""
    try:
        check_file_hashes(record, hashes)
        if record["instance_sha256"] != instance.fingerprint():
            raise ReplayMismatch(_instance_difference(record, instance))
        result = result_for(record["algorithm"], algorithm_seed(record), algorithm_options(record))
        panel = replay(record, instance, result, hashes=hashes)
    except ReplayMismatch as mismatch:
        return ReplayOutcome(False, str(mismatch))
    ids = [instance.ids[i] for i in panel]
    ticket = record.get("lottery", {}).get("ticket")
    how = f"ticket {ticket} of {record['lottery']['M']:,}" if ticket is not None else f"seed {record['seed']}"
    return ReplayOutcome(True, f"reproduces: {record['algorithm']} with {how} gives the recorded panel of "
                               f"{len(ids)} volunteers, and every recorded file hash matches", ids)


def _instance_difference(record: dict, instance: Instance) -> str:
    """The first recorded figure the instance does not have, else a generic fingerprint message."""
    if int(record.get("n", instance.n)) != instance.n:
        return f"the pool has {instance.n} volunteers, the record {record['n']}"
    if int(record["k"]) != instance.k:
        return f"the panel size is k = {instance.k}, the record's is {record['k']}"
    if "household" in record and list(record["household"]) != list(instance.household):
        return f"the household columns are {instance.household or 'none'}, the record's {record['household'] or 'none'}"
    return ("the pool or quotas differ from those in the record (instance fingerprints differ): were the quotas "
            "edited after loading, or another id column chosen?")


def replay_files(record: dict, pool: str | Path, quotas: str | Path, *, k: int | None = None,
                 id_column: str | None = None, household: list[str] | None = None,
                 background: str | Path | None = None, background_weights: str | None = None,
                 panel: str | Path | None = None, declined: str | Path | None = None,
                 progress: Progress = no_progress) -> ReplayOutcome:
    """Load the files as the record describes (k, id column, households as recorded unless given),
    check their hashes, re-run the algorithm with the recorded options and seed, and compare. A
    replacement draw's record (kind "replacement") also names the panel and declined files."""
    from ..io.loaders import load_instance

    files = {"pool": Path(pool), "quotas": Path(quotas)}
    for role, path in (("background", background), ("panel", panel), ("declined", declined)):
        if path is not None:
            files[role] = Path(path)
    data: dict[str, bytes] = {}
    for role, path in files.items():
        try:
            data[role] = path.read_bytes()
        except OSError as error:
            raise InputError([Problem(f"cannot read the file ({error.strerror or error}).", "Check the path.",
                                      file=str(path))]) from None
    hashes = {role: sha256_entry(files[role].name, content) for role, content in data.items()}
    # the hashes come first: a changed file is named as such before it is even parsed
    try:
        check_file_hashes(record, hashes)
    except ReplayMismatch as mismatch:
        return ReplayOutcome(False, str(mismatch))
    instance = load_instance(data["pool"], data["quotas"], int(k if k is not None else record["k"]),
                             id_column=id_column or record.get("id_column"),
                             household=household if household is not None else (record.get("household") or None),
                             pool_name=files["pool"].name, quotas_name=files["quotas"].name)
    table = None
    if "background_file" in (record.get("options") or {}):
        if background is None:
            raise InputError([Problem(f"the record's algorithm used the background sample "
                                      f"'{record['options']['background_file']}'.", "Give it with --background.")])
        from ..endtoend.background import load_background

        table = load_background(str(background), weights=background_weights or record["options"].get("background_weights"))

    if record.get("kind") == "replacement":
        return _replay_replacement(record, instance, algorithm_options(record, table))

    def result_for(algorithm: str, seed: int, options: dict) -> SelectionResult:
        progress(f"replaying {algorithm} with seed {seed} and options {json.dumps(record.get('options') or {})}")
        return run(algorithm, instance, seed=seed, options=algorithm_options(record, table), progress=progress)

    return replay_record(record, instance, hashes, result_for)


def _replay_replacement(record: dict, instance: Instance, options: dict) -> ReplayOutcome:
    """Replay a replacement draw (core.after.audit): the same conditioned instance, algorithm and
    seed must give the recorded replacements."""
    from ..after.audit import replay_replacement

    try:
        completed = replay_replacement(record, instance, options=options)
    except ReplayMismatch as mismatch:
        return ReplayOutcome(False, str(mismatch))
    ids = [instance.ids[i] for i in completed]
    replaced = len(record["replacement"]["replacement_ids"])
    return ReplayOutcome(True, f"reproduces: {record['algorithm']} with seed {record['seed']} draws the recorded "
                               f"{replaced} replacement(s), and every recorded file hash matches", ids)
