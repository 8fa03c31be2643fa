"""The command line: `python -m core check ...`, `python -m core select ...` and `python -m core replay ...`.

The contract (documented in the README) is stable: `select` writes one JSON object, exit status
0 when the quotas can be met and the result was written, 2 on bad input or infeasible quotas with
a readable message on stderr, never a Python traceback and never partial JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from . import __version__
from .after.cli_replace import (
    add_alternates_arguments,
    alternates_output,
    register_replace,
    run_replace,
)
from .design.cli import add_manipulation_parser, run_manipulation
from .errors import InfeasibleQuotas, InputError, SortitionError
from .io.arguments import (
    check_k_argument,
    check_select_arguments,
    real_number,
    whole_number,
)
from .selection import REGISTRY

if TYPE_CHECKING:
    from .model import Instance

# Solvers (mip, cvxpy, scipy.optimize) and the lottery are imported inside the commands that use
# them, so `--help` and `check` start fast (tests/test_startup.py checks which modules load).

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _columns(text: str | None) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()] if text else []


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Fair selection of citizens' panels by sortition.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    def instance_arguments(p: argparse.ArgumentParser) -> None:
        p.add_argument("--pool", required=True, help="pool file (CSV or .xlsx), one row per volunteer")
        p.add_argument("--quotas", required=True, help="quota file (CSV or .xlsx): category,feature,min,max or feature,value,min,max")
        p.add_argument("--k", required=True, type=whole_number, help="panel size")
        p.add_argument("--household", help="comma-separated pool columns that identify a household (at most one member per household)")
        p.add_argument("--id-column", help="pool column holding volunteer ids (default: 'id' when present)")

    check = commands.add_parser("check", help="validate the input and say whether the quotas can be met (with a minimal repair if not)")
    instance_arguments(check)

    select = commands.add_parser("select", help="run a selection algorithm and write its result as JSON")
    instance_arguments(select)
    select.add_argument("--algorithm", required=True, help=f"one of: {', '.join(REGISTRY)}")
    select.add_argument("--seed", type=whole_number, help="random seed (default: a fresh one, recorded in the output)")
    select.add_argument("--draws", type=whole_number, default=1, help="number of panels drawn from the distribution (default 1)")
    select.add_argument("--json", dest="json_out", help="write the JSON here instead of stdout")
    select.add_argument("--lottery", type=whole_number, metavar="M", help="add a transparent lottery of M tickets to the JSON")
    select.add_argument("--solver", choices=["highs", "cbc"], help="MIP solver (default highs)")
    select.add_argument("--legacy-runs", type=whole_number,
                        help="legacy: Monte Carlo runs to estimate selection probabilities (default 10000)")
    select.add_argument("--background", help="endtoend: background sample of the population (CSV or .xlsx)")
    select.add_argument("--letters", type=whole_number, help="endtoend: number of invitation letters sent")
    select.add_argument("--background-weights", help="endtoend: column of survey weights in the background sample")
    select.add_argument("--mode", choices=["quotas", "paper"], help="endtoend: keep the quotas (default) or the paper's rounding")
    select.add_argument("--order", type=whole_number, help="diversimax: largest intersection order (default 3)")
    select.add_argument("--max-cells", type=whole_number, help="diversimax: skip tables with more cells (default 100; 0 = no cap)")
    select.add_argument("--time-limit", type=real_number,
                        help="diversimax: approximate work budget in seconds, converted to a node limit (default 60)")
    select.add_argument("--gamma", type=real_number, help="goldilocks: weight of the low-probability term (default 1)")
    select.add_argument("--group-shares", help="population shares of pool columns no quota names: CSV "
                                               "category,value,population_share (for metrics.unquoted_groups)")
    add_manipulation_parser(commands, instance_arguments)

    from .experiments.commands import add_commands as add_experiment_commands

    add_experiment_commands(commands, {"pool": "pool file (CSV or .xlsx), one row per volunteer",
                                       "household": "comma-separated pool columns that identify a household",
                                       "id_column": "pool column holding volunteer ids (default: 'id' when present)"})
    add_alternates_arguments(select)
    register_replace(commands, instance_arguments)

    replay = commands.add_parser("replay", help="re-run the draw an audit record describes; exit 0 when it reproduces exactly")
    replay.add_argument("--audit", required=True, help="the audit record (JSON), or the JSON written by select")
    replay.add_argument("--pool", required=True, help="the pool file the draw was made from")
    replay.add_argument("--quotas", required=True, help="the quota file the draw was made from")
    replay.add_argument("--k", type=whole_number, help="panel size (default: as recorded)")
    replay.add_argument("--household", help="household columns (default: as recorded)")
    replay.add_argument("--id-column", help="pool column holding volunteer ids (default: as recorded)")
    replay.add_argument("--background", help="endtoend: the background sample the draw used")
    replay.add_argument("--background-weights", help="endtoend: column of survey weights in the background sample")
    replay.add_argument("--panel", help="replacement draws: the panel file the replacement started from")
    replay.add_argument("--declined", help="replacement draws: the file of those who declined")
    return parser


def load(args: argparse.Namespace) -> Instance:
    from .io.loaders import load_instance

    return load_instance(args.pool, args.quotas, args.k, id_column=args.id_column, household=_columns(args.household) or None)


def algorithm_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of `select` that the chosen algorithm understands, without the unset ones."""
    options: dict[str, Any] = {}
    if args.solver:
        options["solver"] = args.solver
    if args.algorithm == "legacy" and args.legacy_runs:
        options["draws"] = args.legacy_runs
    if args.algorithm == "diversimax":
        for key in ("order", "time_limit"):
            if getattr(args, key) is not None:
                options[key] = getattr(args, key)
        if args.max_cells is not None:
            options["max_cells"] = None if args.max_cells == 0 else args.max_cells
    if args.algorithm == "goldilocks" and args.gamma is not None:
        options["gamma"] = args.gamma
    if args.algorithm == "endtoend":
        from .endtoend.background import load_background

        if not args.background or args.letters is None:
            raise InputError([_problem("endtoend needs --background BG.csv and --letters R (the number of invitation letters sent).")])
        options["background"] = load_background(args.background, weights=args.background_weights)
        options["letters"] = args.letters
        if args.background_weights:
            options["background_weights"] = args.background_weights
        if args.mode:
            options["mode"] = args.mode
    return options


def _problem(message: str):
    from .errors import Problem

    return Problem(message)


def _json_safe(value: Any) -> Any:
    """Numbers and containers as plain JSON (numpy scalars and arrays, NaN/inf as null)."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def run_check(args: argparse.Namespace) -> int:
    from .analysis.feasibility import check
    from .analysis.households import household_summary
    from .analysis.never_selectable import never_selectable

    if problems := check_k_argument(args.k):
        raise InputError(problems)
    instance = load(args)
    for warning in instance.warnings:
        print(str(warning), file=sys.stderr)
    report = check(instance)
    types = instance.types
    print(f"pool: {instance.n} volunteers, {types.size} types; panel size k = {instance.k}")
    print(f"categories: {', '.join(f'{c} ({len(instance.values(c))} values)' for c in instance.categories)}")
    households = household_summary(instance.pool, instance.household)
    if households is not None:
        print(households.describe())
    if report.feasible:
        print("feasible: some panel meets every quota")
        never = never_selectable(instance)
        if never is not None and never.count:
            print(never.describe())
        return EXIT_OK
    _print_infeasible(report.impossible, report.repair)
    return EXIT_BAD_INPUT


def _print_infeasible(impossible: Sequence, repair: Any) -> None:
    print("infeasible: no panel meets every quota", file=sys.stderr)
    for problem in impossible:
        print(f"  - {problem}", file=sys.stderr)
    if repair is not None and getattr(repair, "changes", None):
        print(f"smallest repair (total change {repair.total}):", file=sys.stderr)
        for change in repair.changes:
            print(f"  {change}", file=sys.stderr)
    elif repair is None:
        print("no change of quota bounds within their flex limits makes a panel possible", file=sys.stderr)


def run_select(args: argparse.Namespace) -> int:
    from .analysis.feasibility import require_feasible
    from .analysis.metrics import metrics_for
    from .audit.record import audit_record
    from .selection import run

    if args.algorithm not in REGISTRY:
        raise InputError([_problem(f"unknown algorithm '{args.algorithm}'. Choose one of: {', '.join(REGISTRY)}.")])
    if problems := check_select_arguments(args):
        raise InputError(problems)
    instance = load(args)
    for warning in instance.warnings:
        print(str(warning), file=sys.stderr)
    require_feasible(instance)
    _warn_if_targets_ignored(instance, args.algorithm)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    options = algorithm_options(args)
    group_shares = _group_shares(args)  # read before the run: a bad file fails fast
    result = run(args.algorithm, instance, seed=seed, options=options, progress=_progress)
    panels = result.draw(args.draws, seed)
    for panel in panels:
        problems = instance.types.violations(instance.types.composition_of(panel))
        if problems:
            raise SortitionError(f"internal error: a drawn panel breaks the quotas: {problems}")
    output: dict[str, Any] = {
        "algorithm": args.algorithm,
        "n": instance.n,
        "k": instance.k,
        "seed": seed,
        "seconds": result.seconds,
        "marginals": result.marginals,
        "panels": panels,
        "support": result.support,
        "objective": result.objective,
        "metrics": metrics_for(instance, result, panels, group_shares=group_shares),
        "ids": instance.ids,
        "info": result.info,
        "version": __version__,
    }
    output["metrics"]["never_selectable"] = _never_selectable_json(instance, result)
    output.update(result.extra)
    # the audit record describes the selection: the lottery's drawn ticket when there is a lottery,
    # else the first panel drawn
    lottery, ticket, selected = None, None, panels[0] if panels else []
    if args.lottery:
        lottery = _lottery(result, args.lottery, seed)
        output["lottery"] = _lottery_json(lottery, seed)
        ticket = output["lottery"]["drawn_ticket"]
        selected = output["lottery"]["drawn_panel"]
    if args.alternates is not None:
        output["alternates"] = alternates_output(args, instance, list(selected), seed)
    output["audit"] = audit_record(instance, algorithm=args.algorithm, options=_recordable(options, args, result),
                                   seed=seed, panel=selected, lottery=lottery, ticket=ticket, id_column=args.id_column,
                                   files={"pool": args.pool, "quotas": args.quotas,
                                          **({"background": args.background} if options.get("background") is not None else {})})
    text = json.dumps(_json_safe(output))
    if args.json_out:
        try:
            Path(args.json_out).write_text(text + "\n", encoding="utf-8")
        except OSError as error:
            raise InputError([_problem(f"cannot write --json {args.json_out} ({error.strerror or error}).")]) from None
        _progress(f"wrote {args.json_out}")
    else:
        sys.stdout.write(text + "\n")
    return EXIT_OK


def _warn_if_targets_ignored(instance: Instance, algorithm: str) -> None:
    from .design.targets import targets_ignored

    note = targets_ignored(instance, algorithm)
    if note:
        print(note, file=sys.stderr)


def _group_shares(args: argparse.Namespace) -> dict | None:
    from .design.unquoted import load_group_shares

    return load_group_shares(args.group_shares) if args.group_shares else None


def _never_selectable_json(instance: Instance, result: Any) -> dict[str, Any]:
    """{"count", "ids", "rows", "reasons"} of the volunteers no valid panel contains. A positive
    probability (exact, or a Monte Carlo frequency: every panel counted was verified) proves a
    volunteer sits on some valid panel, so the solver only looks at the others."""
    from .analysis.never_selectable import never_selectable

    never = never_selectable(instance, selectable=result.marginals > 1e-12)
    return never.as_json() if never is not None else {"count": 0, "ids": [], "rows": [], "reasons": []}


def run_replay(args: argparse.Namespace) -> int:
    """Replay an audit record (core.audit.replay): exit 0 and say so when it reproduces, else exit 2
    with the first difference on stderr."""
    from .audit.replay import read_record_file, replay_files

    if args.k is not None and (problems := check_k_argument(args.k)):
        raise InputError(problems)
    record = read_record_file(args.audit)
    outcome = replay_files(record, args.pool, args.quotas, k=args.k, id_column=args.id_column,
                           household=_columns(args.household) or None, background=args.background,
                           background_weights=args.background_weights, panel=args.panel, declined=args.declined,
                           progress=_progress)
    if outcome.reproduced:
        print(outcome.message)
        return EXIT_OK
    print(f"does not reproduce: {outcome.message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _lottery(result: Any, tickets: int, seed: int) -> Any:
    from .lottery import transparent_lottery

    if result.distribution is None:
        raise InputError([_problem(f"--lottery needs an algorithm with an exact distribution; {result.algorithm} has none.")])
    return transparent_lottery(result.distribution, M=tickets, seed=seed)


def _lottery_json(lottery: Any, seed: int) -> dict[str, Any]:
    """The transparent lottery: M tickets (each a panel), the ticket the seed draws, and how far
    each volunteer's lottery probability is from the exact one."""
    ticket = lottery.ticket_for_seed(seed)
    return {
        "M": lottery.M,
        "tickets": lottery.tickets,
        "drawn_ticket": ticket,
        "drawn_panel": lottery.draw_ticket(ticket),
        "marginals": lottery.lottery_marginals,
        "max_deviation": lottery.max_deviation,
        "max_relative_deviation": lottery.max_relative_deviation,
    }


def _recordable(options: dict[str, Any], args: argparse.Namespace, result: Any) -> dict[str, Any]:
    """The options as they can be written to the audit record (the background as its file name); a
    work limit the algorithm derived from its options (Diversimax's node limit) is recorded too, so a
    replay uses it even if a later version converts time limits differently."""
    record = {key: value for key, value in options.items() if key != "background"}
    if "background" in options:
        record["background_file"] = args.background
    if "node_limit" in result.info:
        record["node_limit"] = result.info["node_limit"]
    return record


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return run_check(args)
        if args.command == "manipulation":
            return run_manipulation(args)
        if args.command in ("sweep", "simulate"):
            from .experiments.commands import run_simulate_command, run_sweep_command

            return run_sweep_command(args) if args.command == "sweep" else run_simulate_command(args)
        if args.command == "replace":
            return run_replace(args)
        if args.command == "replay":
            return run_replay(args)
        return run_select(args)
    except InputError as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except InfeasibleQuotas as error:
        _print_infeasible(error.impossible, error.repair)
        return EXIT_BAD_INPUT
    except SortitionError as error:
        if getattr(error, "about_the_quotas", False):  # e.g. legacy missing a min on every retry
            print(f"the quotas cannot be met by {getattr(args, 'algorithm', 'this method')}: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the CLI never shows a traceback; say what failed and how to report it
        print(f"internal error ({type(error).__name__}): {error}. Please report it with the input files.", file=sys.stderr)
        return EXIT_INTERNAL
