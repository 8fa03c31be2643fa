"""The command line after the draw: `python -m core replace ...` and `select ... --alternates A`.

`replace` reads the panel as drawn (the selected file) and who declined (one id per row), draws the
replacements from the conditioned instance (core.after.replacement) and writes one JSON object:
ids, kept, declined, replacements, panel {rows, ids}, probabilities, audit (core.after.audit).
`--alternates A` adds to `select`'s JSON the optimised reserve list of A volunteers for the drawn
panel, with the greedy baseline (core.after.reserve). Exit 2 on bad input or when no completion
meets the quotas (with the smallest repair), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_BAD_INPUT = 0, 2
NEEDS_MORE_INPUT = {"endtoend"}  # needs a background sample and the letters sent, which replace does not take


def register_replace(commands: Any, instance_arguments: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the `replace` command to the CLI's subparsers."""
    from ..selection import REGISTRY

    replace = commands.add_parser("replace", help="draw replacements for panel members who declined, fairly "
                                  "(the algorithm run on the remaining pool with the kept members' seats taken)")
    instance_arguments(replace)
    replace.add_argument("--panel", required=True, help="the selected file: the panel as drawn (ids in column 'id')")
    replace.add_argument("--declined", required=True, help="who declined: one id per row (column 'id')")
    replace.add_argument("--algorithm", default="leximin", help=f"one of: {', '.join(REGISTRY)} (default leximin)")
    replace.add_argument("--seed", type=int, help="random seed (default: a fresh one, recorded in the output)")
    replace.add_argument("--json", dest="json_out", help="write the JSON here instead of stdout")
    replace.add_argument("--solver", choices=["highs", "cbc"], help="MIP solver (default highs)")


def add_alternates_arguments(select: argparse.ArgumentParser) -> None:
    """`select --alternates A [--dropout D] [--scenarios S]`."""
    select.add_argument("--alternates", type=int, metavar="A",
                        help="also choose an ordered reserve list of A volunteers for the drawn panel")
    select.add_argument("--dropout", type=float, metavar="D", default=None,
                        help="drop-out probability of each panel member (default 0.1; a 'dropout' column in the "
                             "quota file gives per-value rates, D then fills values without one)")
    select.add_argument("--scenarios", type=int, metavar="S", default=None,
                        help="drop-out scenarios sampled for the reserve list (default 200)")


def run_replace(args: argparse.Namespace) -> int:
    """The `replace` command; returns the exit status."""
    from ..cli import _json_safe, _progress, load
    from ..errors import InputError, Problem
    from ..selection import REGISTRY
    from .audit import replacement_record
    from .id_lists import read_ids
    from .replacement import ReplacementInfeasible, check_panel, draw_replacements

    if args.algorithm not in REGISTRY or args.algorithm in NEEDS_MORE_INPUT:
        offered = ", ".join(name for name in REGISTRY if name not in NEEDS_MORE_INPUT)
        raise InputError([Problem(f"replace cannot run '{args.algorithm}'. Choose one of: {offered}.")])
    instance = load(args)
    for warning in instance.warnings:
        print(str(warning), file=sys.stderr)
    panel = read_ids(args.panel, instance, args.id_column)
    declined = read_ids(args.declined, instance, args.id_column)
    check_panel(instance, panel.rows, declined.rows, panel.file, declined.file, declined.lines, declined.column)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    options = {"solver": args.solver} if args.solver else {}
    try:
        outcome = draw_replacements(instance, panel.rows, declined.rows, seed=seed, algorithm=args.algorithm,
                                    options=options, progress=_progress)
    except ReplacementInfeasible as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    ids = instance.ids
    output: dict[str, Any] = {
        "algorithm": args.algorithm,
        "n": instance.n,
        "k": instance.k,
        "seed": seed,
        "ids": ids,
        "kept": [ids[i] for i in outcome.kept_rows],
        "declined": [ids[i] for i in outcome.declined_rows],
        "replacements": [ids[i] for i in outcome.replacement_rows],
        "panel": {"rows": outcome.completed_rows, "ids": [ids[i] for i in outcome.completed_rows]},
        "probabilities": outcome.probabilities,
        "info": outcome.info,
        "audit": replacement_record(instance, outcome, options=options,
                                    files={"pool": args.pool, "quotas": args.quotas,
                                           "panel": args.panel, "declined": args.declined}),
    }
    _write(output, args.json_out, _json_safe, _progress)
    return EXIT_OK


def alternates_output(args: argparse.Namespace, instance: Any, panel: list[int], seed: int) -> dict[str, Any]:
    """The `alternates` field of `select`'s JSON for the drawn panel."""
    from ..errors import InputError, Problem
    from .reserve import (
        DEFAULT_DROPOUT,
        DEFAULT_SCENARIOS,
        member_dropout,
        optimise_reserve,
        read_dropout_rates,
    )

    problems = []
    if args.alternates < 1:
        problems.append(Problem("--alternates must be 1 or more."))
    if args.dropout is not None and not 0.0 <= args.dropout <= 1.0:
        problems.append(Problem(f"--dropout {args.dropout} is not between 0 and 1.", "Use e.g. 0.1."))
    if args.scenarios is not None and args.scenarios < 1:
        problems.append(Problem("--scenarios must be 1 or more."))
    if not panel:
        problems.append(Problem("--alternates needs a drawn panel; use --draws 1 or more."))
    if problems:
        raise InputError(problems)
    rate = DEFAULT_DROPOUT if args.dropout is None else args.dropout
    value_rates = read_dropout_rates(args.quotas)
    dropout = member_dropout(instance, panel, rate, value_rates)
    reserve = optimise_reserve(instance, panel, args.alternates, seed=seed, dropout=dropout,
                               scenarios=args.scenarios or DEFAULT_SCENARIOS)
    return reserve_json(instance, reserve, rate, bool(value_rates))


def reserve_json(instance: Any, reserve: Any, rate: float, per_value: bool) -> dict[str, Any]:
    """A ReserveList as JSON: the optimised list in reserve order and the greedy baseline."""
    def figures(listed: Any) -> dict[str, Any]:
        return {"ids": [instance.ids[i] for i in listed.rows], "rows": listed.rows,
                "expected_deviation": listed.expected_deviation,
                "expected_violations": listed.expected_violations}

    return {**figures(reserve.optimised), "greedy": figures(reserve.greedy),
            "dropout": "per value" if per_value else rate, "scenarios": reserve.scenarios,
            "member_dropout": reserve.dropout, "info": reserve.info}


def _write(output: dict[str, Any], path: str | None, json_safe: Callable, progress: Callable) -> None:
    text = json.dumps(json_safe(output))
    if path:
        Path(path).write_text(text + "\n", encoding="utf-8")
        progress(f"wrote {path}")
    else:
        sys.stdout.write(text + "\n")
