"""The `sweep` and `simulate` commands of `python -m core` (registered by core.cli).

    python -m core sweep --pool POOL --scenarios DIR_OR_FILES... --k K --algorithms A,B,... --seeds N
                         [--scheduler ADDR] [--workers W] --out OUT.parquet
    python -m core simulate --population BG.csv --pool POOL --quotas QUOTAS --letters R --k K
                            --algorithms endtoend,leximin,legacy --pools N [--seed S]
                            [--scheduler ADDR] [--workers W] --out OUT.parquet

Both write OUT.parquet and OUT.csv and print progress on stderr. Arguments are checked before any
cluster starts; bad input exits 2 like every other command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem

MAX_SEEDS = 1000
MAX_POOLS = 10_000_000
MAX_WORKERS = 1024


def add_commands(commands: argparse._SubParsersAction, instance_help: dict[str, str]) -> None:
    """Add `sweep` and `simulate` to the CLI's subcommands."""
    sweep = commands.add_parser("sweep", help="run scenarios x algorithms x seeds on one pool (Dask) into one table")
    sweep.add_argument("--pool", required=True, help=instance_help["pool"])
    sweep.add_argument("--scenarios", required=True, nargs="+", metavar="DIR_OR_FILE",
                       help="quota files (.csv/.xlsx, one scenario each) and/or scenario files (.json) or folders of them")
    sweep.add_argument("--quotas", help="quota file that .json scenario files are read against (default: the first quota file)")
    sweep.add_argument("--k", required=True, type=int,
                       help="panel size for quota-file scenarios (.json scenarios carry their own)")
    sweep.add_argument("--algorithms", required=True, help="comma-separated algorithm names, or 'all'")
    sweep.add_argument("--seeds", required=True, type=int,
                       help="number of seeds per case: seeds 0..N-1 (shifted by --first-seed)")
    sweep.add_argument("--first-seed", type=int, default=0, help="first seed (default 0)")
    sweep.add_argument("--household", help=instance_help["household"])
    sweep.add_argument("--id-column", help=instance_help["id_column"])
    _options_arguments(sweep)
    _cluster_arguments(sweep)

    simulate = commands.add_parser(
        "simulate", help="end-to-end simulation (population -> letters -> pool -> panel) with any algorithm (Dask)")
    simulate.add_argument("--population", required=True,
                          help="background sample of the population (CSV or .xlsx), one row per person")
    simulate.add_argument("--pool", required=True,
                          help="the real pool, to fit participation from (and to read the quotas against)")
    simulate.add_argument("--quotas", required=True, help="the quotas every simulated pool is selected with")
    simulate.add_argument("--letters", required=True, type=int, help="number of invitation letters per simulated pool")
    simulate.add_argument("--k", required=True, type=int, help="panel size")
    simulate.add_argument("--algorithms", required=True,
                          help="comma-separated: endtoend (Phase I, closed form) and/or any algorithm")
    simulate.add_argument("--pools", required=True, type=int, help="number of simulated pools per algorithm")
    simulate.add_argument("--seed", type=int, default=0, help="seed of the pool stream and of every run (default 0)")
    simulate.add_argument("--participation", metavar="COLUMN",
                          help="column of the population file holding each person's participation probability "
                               "(default: fitted from the pool, the population sample and the letters)")
    simulate.add_argument("--population-weights", metavar="COLUMN", help="column of survey weights in the population file")
    simulate.add_argument("--legacy-runs", type=int, help="legacy: Monte Carlo runs per pool (default 200 here)")
    _cluster_arguments(simulate)


def _options_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--legacy-runs", type=int, help="legacy: Monte Carlo runs (default 10000)")
    p.add_argument("--time-limit", type=float, help="diversimax: solver budget in seconds (default 60)")
    p.add_argument("--background", help="endtoend: background sample of the population")
    p.add_argument("--letters", type=int, help="endtoend: number of invitation letters sent")
    p.add_argument("--background-weights", help="endtoend: column of survey weights in the background sample")


def _cluster_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://HOST:8786 "
                                       "(default: $DASK_SCHEDULER_ADDRESS, else a local cluster)")
    p.add_argument("--workers", type=int, help="local cluster: worker processes (default: the machine's cores)")
    p.add_argument("--out", required=True, help="results file: OUT.parquet and OUT.csv are written")


def _problem(message: str, fix: str = "") -> Problem:
    return Problem(message, fix)


def _algorithms(text: str, allowed: list[str]) -> list[str]:
    from ..selection import REGISTRY

    names = list(REGISTRY) if text.strip().lower() == "all" else [a.strip() for a in text.split(",") if a.strip()]
    unknown = [a for a in names if a not in allowed]
    if not names or unknown:
        raise InputError([_problem(f"unknown algorithm(s): {', '.join(unknown) or '(none given)'}.",
                                   f"Choose from: {', '.join(allowed)}.")])
    return list(dict.fromkeys(names))


def _check_common(args: argparse.Namespace) -> None:
    problems = []
    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        problems.append(_problem(f"--workers {args.workers} is out of range.", f"Use 1 to {MAX_WORKERS}."))
    out = Path(args.out)
    if out.parent and not out.parent.exists():
        problems.append(_problem(f"--out {args.out}: the folder {out.parent} does not exist.",
                                 "Create it or choose another path."))
    if problems:
        raise InputError(problems)


def run_sweep_command(args: argparse.Namespace, progress_stream=None) -> int:
    """`python -m core sweep`: check, load every scenario, run the grid, write the table."""
    from ..selection import REGISTRY
    from .cluster import ProgressLine, open_client
    from .sweep import run_sweep, write_results

    _check_common(args)
    algorithms = _algorithms(args.algorithms, list(REGISTRY))
    if not 1 <= args.seeds <= MAX_SEEDS:
        raise InputError([_problem(f"--seeds {args.seeds} is out of range.", f"Use 1 to {MAX_SEEDS}.")])
    if args.first_seed < 0:
        raise InputError([_problem("--first-seed must be 0 or more.")])
    instances = _sweep_instances(args)
    options = _sweep_options(args, algorithms)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    total = len(instances) * len(algorithms) * len(seeds)
    stream = progress_stream or sys.stderr
    print(f"sweep: {len(instances)} scenario(s) x {len(algorithms)} algorithm(s) x {len(seeds)} seed(s) = {total} runs",
          file=stream, flush=True)
    line = ProgressLine(total, "sweep", stream=stream)
    with open_client(args.scheduler, args.workers) as client:
        table = run_sweep(instances, algorithms, seeds, options=options, client=client,
                          on_row=lambda done, _total, row: line.update(done, f"last: {row['scenario']} / {row['algorithm']}"))
    line.update(total, force=True)
    written = write_results(table, args.out)
    failed = int((table["status"] != "ok").sum())
    print(f"wrote {', '.join(map(str, written))} ({total} rows, {failed} failed)", file=stream, flush=True)
    return 0


def _sweep_instances(args: argparse.Namespace) -> dict:
    from .sweep import load_scenarios

    household = [c.strip() for c in args.household.split(",") if c.strip()] if args.household else None
    return load_scenarios(args.pool, args.scenarios, args.k, id_column=args.id_column, household=household,
                          base_quotas=args.quotas)


def _sweep_options(args: argparse.Namespace, algorithms: list[str]) -> dict[str, dict[str, Any]]:
    options: dict[str, dict[str, Any]] = {}
    if args.legacy_runs is not None:
        if not 1 <= args.legacy_runs <= 1_000_000:
            raise InputError([_problem(f"--legacy-runs {args.legacy_runs} is out of range.", "Use 1 to 1,000,000.")])
        options["legacy"] = {"draws": args.legacy_runs}
    if args.time_limit is not None:
        if not 0 < args.time_limit <= 3600:
            raise InputError([_problem(f"--time-limit {args.time_limit} is out of range.",
                                       "Use more than 0 and at most 3600 seconds.")])
        options["diversimax"] = {"time_limit": args.time_limit}
    if "endtoend" in algorithms and args.background:
        from ..endtoend.background import load_background

        if args.letters is None or args.letters < 1:
            raise InputError([_problem("endtoend needs --letters R (the number of invitation letters sent) with --background.")])
        options["endtoend"] = {"background": load_background(args.background, weights=args.background_weights),
                               "letters": args.letters}
        if args.background_weights:
            options["endtoend"]["background_weights"] = args.background_weights
    return options


def run_simulate_command(args: argparse.Namespace, progress_stream=None) -> int:
    """`python -m core simulate`: build the population model, simulate every algorithm, write the table."""
    from ..selection import REGISTRY
    from .cluster import ProgressLine, open_client
    from .simulate import results_table, running_note, simulate
    from .sweep import write_results

    _check_common(args)
    algorithms = _algorithms(args.algorithms, list(REGISTRY))
    problems = []
    if not 1 <= args.pools <= MAX_POOLS:
        problems.append(_problem(f"--pools {args.pools} is out of range.", f"Use 1 to {MAX_POOLS:,}."))
    if args.letters < 1:
        problems.append(_problem("--letters must be at least 1."))
    if args.seed < 0:
        problems.append(_problem("--seed must be 0 or more."))
    if args.legacy_runs is not None and not 1 <= args.legacy_runs <= 1_000_000:
        problems.append(_problem(f"--legacy-runs {args.legacy_runs} is out of range.", "Use 1 to 1,000,000."))
    if problems:
        raise InputError(problems)
    simulation, manifest = build_simulation(args, algorithms)
    stream = progress_stream or sys.stderr
    print(f"simulate: {len(algorithms)} algorithm(s) x {args.pools} pools; population of {simulation.model.types} types",
          file=stream, flush=True)
    line = ProgressLine(args.pools * len(algorithms), "simulate", stream=stream, every=2.0)
    with open_client(args.scheduler, args.workers) as client:
        runs = simulate(simulation, algorithms, args.pools, client=client, out=args.out, manifest=manifest,
                        on_progress=lambda done, _total, note: line.update(done, note))
    for run in runs:
        print(f"{running_note(simulation, run)}; {run.skipped} pools skipped", file=stream, flush=True)
    written = write_results(results_table(simulation, runs), args.out)
    print(f"wrote {', '.join(map(str, written))}", file=stream, flush=True)
    return 0


def build_simulation(args: argparse.Namespace, algorithms: list[str]):
    """The Simulation and the manifest (input hashes) of a `simulate` call."""
    import hashlib

    import numpy as np
    import pandas as pd

    from ..endtoend.background import encode_background, find_column, load_background
    from ..endtoend.participation import fit_instance
    from ..io.loaders import load_instance
    from ..views.endtoend import population_model, population_with
    from .simulate import Simulation

    instance = load_instance(args.pool, args.quotas, args.k)
    background = load_background(args.population, weights=args.population_weights)
    encoded = encode_background(instance, background, args.letters, args.population_weights)
    if args.participation:
        column = find_column(background, args.participation)
        if column is None:
            raise InputError([Problem(f"has no column '{args.participation}'.", "Name the column of participation probabilities.",
                                      file=str(args.population))])
        q = pd.to_numeric(background[column], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~((q > 0) & (q <= 1)))
        if len(bad):
            found = background[column].iloc[bad[0]]
            raise InputError([Problem(f"participation must be a probability in (0, 1]; found {found!r}.", "Fix the cell.",
                                      file=str(args.population), row=int(bad[0]) + 2, column=column)])
        model = population_with(instance, encoded, q)
        how = f"column {column}"
    else:
        fit = fit_instance(instance, background, args.letters, weights=args.population_weights, resamples=0, seed=args.seed)
        model = population_model(instance, fit, encoded)
        how = "fitted"
    options = {"legacy": {"draws": args.legacy_runs or 200}}
    simulation = Simulation(model, args.letters, args.k, list(instance.quotas), args.seed,
                            options={a: o for a, o in options.items() if a in algorithms})
    manifest = {"population_sha256": hashlib.sha256(Path(args.population).read_bytes()).hexdigest(),
                "instance": instance.fingerprint(), "participation": how, "seed": args.seed,
                "letters": args.letters, "k": args.k}
    return simulation, manifest
