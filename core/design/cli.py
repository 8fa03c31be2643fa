"""`python -m core manipulation`: a volunteer's incentives to misreport, or an algorithm's manipulability.

    python -m core manipulation --pool POOL --quotas QUOTAS --k K --algorithm NAME
                                [--volunteer ID | --sample S] [--seed S] [--workers W] [--json OUT]

With --volunteer the JSON holds `volunteer`, `truthful`, `misreports` ({category, value,
probability} per alternative value of each category) and `largest_gain`; without it, the
manipulability (`core.design.manipulation.Manipulability.as_json`): every type on pools of up to
MAX_EXHAUSTIVE_TYPES types, else a seeded sample of S volunteers, examined in W processes (default 1;
the figures do not depend on W). Same exit statuses as `select`.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_manipulation_parser(commands: Any, instance_arguments: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register the `manipulation` command with the CLI's sub-parsers."""
    p = commands.add_parser("manipulation", help="selection probabilities under one misreport: one volunteer, "
                                                 "or the largest gain over the pool (manipulability)")
    instance_arguments(p)
    p.add_argument("--algorithm", required=True, help="the selection algorithm to examine")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--volunteer", help="id of the volunteer whose misreports are examined")
    who.add_argument("--sample", type=int, help="examine a seeded sample of this many volunteers (default: every "
                                                "type on pools of up to 400 types, else 30)")
    p.add_argument("--seed", type=int, help="random seed of the sample and of every run (default: fresh, recorded)")
    p.add_argument("--workers", type=int, default=1, help="processes examining the volunteers (default 1; the "
                                                          "machine's cores make a good choice)")
    p.add_argument("--json", dest="json_out", help="write the JSON here instead of stdout")
    p.add_argument("--solver", choices=["highs", "cbc"], help="MIP solver (default highs)")


def run_manipulation(args: argparse.Namespace) -> int:
    """The `manipulation` command (see the module docstring); returns the exit status."""
    from .. import cli
    from ..analysis.feasibility import require_feasible
    from ..errors import InputError, Problem
    from ..selection import REGISTRY
    from .manipulation import incentives, manipulability

    if args.algorithm not in REGISTRY:
        raise InputError([Problem(f"unknown algorithm '{args.algorithm}'. Choose one of: {', '.join(REGISTRY)}.")])
    if args.algorithm == "endtoend":
        raise InputError([Problem("manipulation does not run endtoend: its participation model is fitted on the "
                                  "pool, so a misreport also changes the model. Choose another algorithm.")])
    if args.sample is not None and args.sample < 1:
        raise InputError([Problem("--sample must be 1 or more.")])
    if not 1 <= args.workers <= 64:
        raise InputError([Problem("--workers must be between 1 and 64.")])
    instance = cli.load(args)
    for warning in instance.warnings:
        print(str(warning), file=sys.stderr)
    require_feasible(instance)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    options = {"solver": args.solver} if args.solver else {}
    if args.volunteer is not None:
        ids = [str(i) for i in instance.ids]
        if args.volunteer not in ids:
            raise InputError([Problem(f"{args.pool}: no volunteer has id '{args.volunteer}'. Give an id from the "
                                      "pool's id column (or --id-column).")])
        found = incentives(instance, ids.index(args.volunteer), args.algorithm, seed=seed, options=options,
                           progress=cli._progress)
        output: dict[str, Any] = {"algorithm": args.algorithm, "seed": seed, **found.as_json()}
    else:
        output = {**manipulability(instance, args.algorithm, seed=seed, options=options, sample=args.sample,
                                   workers=args.workers, progress=cli._progress).as_json(),
                  "n": instance.n, "k": instance.k}
    text = json.dumps(cli._json_safe(output))
    if args.json_out:
        Path(args.json_out).write_text(text + "\n", encoding="utf-8")
        cli._progress(f"wrote {args.json_out}")
    else:
        sys.stdout.write(text + "\n")
    return cli.EXIT_OK
