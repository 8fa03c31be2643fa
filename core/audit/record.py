"""The audit record of a draw and its replay: what a person publishes so anyone can check the panel.

The record names the SHA-256 of every input file, the instance fingerprint, the algorithm with its
options, the seed the algorithm ran with, the draw's seed (and the public numbers it came from), the
lottery's M, seed, commitment and ticket, and the panel. The commitment, published before the draw, is
    SHA-256(canonical JSON of {instance fingerprint, algorithm, options, M, ticket table})
(keys sorted, no spaces). `replay` re-runs the draw and raises ReplayMismatch at the first
difference: file hashes -> instance -> algorithm -> seed rule -> commitment -> ticket -> panel.
The command `python -m core replay` (core/audit/replay.py) re-runs the algorithm first.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from .. import __version__
from ..distribution import Distribution
from ..errors import SortitionError
from ..io.result_tables import ticket_rows
from ..lottery import (
    SEED_RULE,
    TICKET_RULE,
    TransparentLottery,
    draw_panel,
    seed_from_public_numbers,
    transparent_lottery,
)
from ..model import Instance
from ..selection import SelectionResult


class ReplayMismatch(SortitionError):
    """Replaying an audit record did not give the recorded panel (or the inputs differ)."""



def _canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def file_hashes(instance: Instance, files: dict[str, str | Path | bytes] | None = None) -> dict[str, dict[str, str | None]]:
    """SHA-256 of each input file: from `files` (role -> path or the file's bytes) when given, else
    from the file named in instance.sources if it is readable there, else None."""
    files = files or {}
    out: dict[str, dict[str, str | None]] = {}
    for role in dict.fromkeys([*instance.sources, *files]):
        given = files.get(role, instance.sources.get(role))
        data: bytes | None = None
        if isinstance(given, (bytes, bytearray)):
            data = bytes(given)
        elif given is not None and Path(given).is_file():
            data = Path(given).read_bytes()
        name = Path(given).name if isinstance(given, (str, Path)) else instance.sources.get(role)
        out[role] = {"file": name, "sha256": hashlib.sha256(data).hexdigest() if data is not None else None}
    return out


def commitment(instance: Instance, algorithm: str, options: dict | None = None,
               lottery: TransparentLottery | None = None) -> str:
    """SHA-256 of the canonical JSON of {instance fingerprint, algorithm, options, M, ticket table},
    to publish before the draw so anyone can check afterwards that nothing was changed."""
    payload = {"instance_sha256": instance.fingerprint(), "algorithm": algorithm, "options": options or {}}
    if lottery is not None:
        payload["M"] = lottery.M
        payload["tickets"] = ticket_rows(instance, lottery)
    return hashlib.sha256(_canonical_json(payload).encode()).hexdigest()


def audit_record(instance: Instance, *, algorithm: str, options: dict | None, seed: int, panel: Sequence[int],
                 lottery: TransparentLottery | None = None, ticket: int | None = None,
                 public_numbers: Sequence[int | str] | None = None,
                 files: dict[str, str | Path | bytes] | None = None,
                 hashes: dict[str, dict[str, str | None]] | None = None,
                 algorithm_seed: int | None = None, id_column: str | None = None) -> dict:
    """Everything needed to check and replay a draw, as a JSON-ready dict.

    `files`: see file_hashes; `hashes`: entries {"file", "sha256"} already computed (the app keeps the
    hashes of the bytes uploaded), which take precedence. `algorithm_seed`: the seed the algorithm ran
    with (default: the lottery's seed, else `seed`)."""
    if algorithm_seed is None:
        algorithm_seed = lottery.seed if lottery is not None else seed
    record: dict = {
        "library_version": __version__,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "instance_sha256": instance.fingerprint(),
        "input_files": {**file_hashes(instance, files), **(hashes or {})},
        "n": instance.n,
        "k": instance.k,
        "household": list(instance.household),
        "algorithm": algorithm,
        "options": json.loads(_canonical_json(options or {})),
        "algorithm_seed": int(algorithm_seed),
        "seed": int(seed),
        "panel_rows": [int(i) for i in panel],
        "panel_ids": [instance.ids[int(i)] for i in panel],
    }
    if id_column:
        record["id_column"] = id_column
    if public_numbers is not None:
        record["seed_source"] = {"public_numbers": [str(x).strip() for x in public_numbers], "rule": SEED_RULE}
    if lottery is not None:
        record["lottery"] = {
            "M": lottery.M,
            "seed": lottery.seed,
            "ticket": int(ticket) if ticket is not None else lottery.ticket_for_seed(seed),
            "ticket_rule": TICKET_RULE,
            "commitment": commitment(instance, algorithm, options, lottery),
            "max_deviation": lottery.max_deviation,
        }
    return record


ROLE_NAMES = {"pool": "pool file", "quotas": "quota file", "background": "background file"}


def check_file_hashes(record: dict, actual: dict[str, dict[str, str | None]]) -> None:
    """Raise ReplayMismatch at the first input file whose recorded SHA-256 differs from `actual`'s
    (or cannot be compared because the file was not given). Roles recorded without a hash are skipped."""
    for role, entry in (record.get("input_files") or {}).items():
        expected = (entry or {}).get("sha256")
        if not expected:
            continue
        what = ROLE_NAMES.get(role, f"{role} file")
        found = (actual.get(role) or {}).get("sha256")
        if found is None:
            raise ReplayMismatch(f"the {what} '{entry.get('file')}' is recorded with SHA-256 {expected[:12]}…, "
                                 "but no such file was given to check it against")
        if found != expected:
            name = (actual.get(role) or {}).get("file") or "given"
            raise ReplayMismatch(f"the {what} '{name}' differs from the recorded '{entry.get('file')}' (SHA-256 "
                                 f"{found[:12]}… instead of {expected[:12]}…): it was changed or saved again")


def first_panel_difference(recorded: Sequence[str], replayed: Sequence[str]) -> str:
    """Where two panels (lists of ids) first differ, in words."""
    missing = [i for i in recorded if i not in set(replayed)]
    extra = [i for i in replayed if i not in set(recorded)]
    if missing or extra:
        return (f"replaying the draw gives another panel: the record has id '{missing[0] if missing else '-'}', "
                f"the replay has id '{extra[0] if extra else '-'}' instead ({len(missing)} of {len(recorded)} differ)")
    return "replaying the draw gives the same volunteers in another order"


def replay(record: dict, instance: Instance, result: SelectionResult | Distribution,
           files: dict[str, str | Path | bytes] | None = None,
           hashes: dict[str, dict[str, str | None]] | None = None) -> list[int]:
    """Re-run the draw an audit record describes and return its panel; raise ReplayMismatch naming the
    first difference: an input file's hash (from `hashes`, else computed from `files` or the files named
    in instance.sources), the instance, the algorithm, the seed from public numbers, the ticket table,
    the ticket, or the panel."""
    check_file_hashes(record, {**file_hashes(instance, files), **(hashes or {})})
    if record["instance_sha256"] != instance.fingerprint():
        raise ReplayMismatch("the pool, quotas, k or households differ from those in the audit record "
                             "(instance fingerprints differ)")
    algorithm = getattr(result, "algorithm", record["algorithm"])
    if algorithm != record["algorithm"]:
        raise ReplayMismatch(f"the record is of algorithm '{record['algorithm']}', the result of '{algorithm}'")
    seed = int(record["seed"])
    source = record.get("seed_source")
    if source and seed_from_public_numbers(source["public_numbers"]) != seed:
        raise ReplayMismatch("the seed does not follow from the recorded public numbers")
    lot = record.get("lottery")
    if lot:
        lottery = transparent_lottery(result, M=int(lot["M"]), seed=int(lot["seed"]))
        if commitment(instance, record["algorithm"], record.get("options"), lottery) != lot["commitment"]:
            raise ReplayMismatch("the rebuilt ticket table does not match the published commitment")
        if lottery.ticket_for_seed(seed) != int(lot["ticket"]):
            raise ReplayMismatch("the seed does not draw the recorded ticket")
        panel = lottery.draw_ticket(int(lot["ticket"]))
    else:
        panel = draw_panel(result, seed)
    replayed = [instance.ids[i] for i in panel]
    if replayed != list(record["panel_ids"]):
        raise ReplayMismatch(first_panel_difference(list(record["panel_ids"]), replayed))
    return panel
