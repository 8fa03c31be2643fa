"""The command line's numbers and paths, checked before any file is read or any solver starts.

Every check returns `Problem`s (empty when all is well) so the CLI reports every bad argument at
once and exits 2. Each number has a range a real selection stays inside; the maxima bound the work
and the size of the JSON a run can ask for:
    seed in [0, 2^64)              (public-draw seeds are 8 bytes of SHA-256)
    draws in [0, MAX_DRAWS]        (every drawn panel is written to the JSON)
    lottery M in [1, MAX_TICKETS], M * k <= MAX_TICKET_SEATS (every ticket's k ids are written)
    legacy runs in [1, MAX_LEGACY_RUNS]; time limit in (0, MAX_TIME_LIMIT] s; gamma in (0, MAX_GAMMA]
Whole numbers may be written as 2e6 or 1_000 (they are then checked against the range like any other).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..errors import Problem

MAX_SEED = 2**64 - 1
MAX_DRAWS = 100_000
MAX_TICKETS = 100_000
MAX_TICKET_SEATS = 2_000_000  # M * k
MAX_LEGACY_RUNS = 1_000_000
MAX_TIME_LIMIT = 86_400.0  # one day
MAX_GAMMA = 1_000.0
MAX_ORDER = 10
MAX_LETTERS = 100_000_000


def whole_number(text: str) -> int:
    """argparse type: '12', '1_000', '2e6' -> int; '2.5', 'nan', 'ten' -> a usage error (exit 2)."""
    cleaned = text.strip().replace("_", "")
    try:
        return int(cleaned)
    except ValueError:
        pass
    try:
        value = float(cleaned)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if not math.isfinite(value) or not value.is_integer():
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number")
    return int(value)


def real_number(text: str) -> float:
    """argparse type: any float text; nan and inf pass here and are refused by the range checks."""
    try:
        return float(text.strip().replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None


def _range(name: str, value: float | int | None, low: float, high: float, why: str, *, open_low: bool = False) -> list[Problem]:
    """[name must lie in [low, high] (or (low, high])], as a Problem naming the argument and the reason."""
    if value is None:
        return []
    ok = math.isfinite(value) and (value > low if open_low else value >= low) and value <= high
    if ok:
        return []
    lower = f"more than {_number(low)}" if open_low else f"at least {_number(low)}"
    return [Problem(f"{name} {value} is out of range: it must be {lower} and at most {_number(high)}.", why)]


def _number(value: float) -> str:
    """1000000 -> '1,000,000'; 0.5 -> '0.5'."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,g}"


def check_select_arguments(args: argparse.Namespace) -> list[Problem]:
    """Every problem with `select`'s numbers and output path (the files are checked by the loader)."""
    problems = check_k_argument(args.k)
    problems += _range("--seed", args.seed, 0, MAX_SEED, "A seed is a whole number from 0 to 2^64 - 1.")
    problems += _range("--draws", args.draws, 0, MAX_DRAWS,
                       f"Every drawn panel is written to the JSON; draw at most {MAX_DRAWS:,} (the selection "
                       "probabilities are in 'marginals' without drawing).")
    if args.lottery is not None:
        found = _range("--lottery", args.lottery, 1, MAX_TICKETS,
                       f"A lottery has 1 to {MAX_TICKETS:,} tickets; 1,000 already follows the exact probabilities closely.")
        if not found and isinstance(args.k, int) and args.k > 0 and args.lottery * args.k > MAX_TICKET_SEATS:
            found = [Problem(f"--lottery {args.lottery} with k = {args.k} is {args.lottery * args.k:,} seats, "
                             f"more than {MAX_TICKET_SEATS:,}.",
                             f"The JSON lists every ticket's panel: use at most {MAX_TICKET_SEATS // args.k:,} tickets.")]
        problems += found
    problems += _range("--legacy-runs", args.legacy_runs, 1, MAX_LEGACY_RUNS,
                       f"Legacy's probabilities are estimated from this many runs; 10,000 (the default) gives about "
                       f"±1 percentage point, and more than {MAX_LEGACY_RUNS:,} takes hours.")
    problems += _range("--time-limit", args.time_limit, 0, MAX_TIME_LIMIT,
                       "The time limit is a number of seconds, more than 0 and at most one day.", open_low=True)
    problems += _range("--gamma", args.gamma, 0, MAX_GAMMA,
                       "gamma weighs the lowest selection probability against the highest; 1 is the default.", open_low=True)
    problems += _range("--order", args.order, 1, MAX_ORDER, "The order is how many categories an intersection combines (default 3).")
    problems += _range("--max-cells", args.max_cells, 0, 10**9, "0 means no cap.")
    problems += _range("--letters", args.letters, 1, MAX_LETTERS, "The number of invitation letters sent.")
    problems += check_output_path("--json", args.json_out)
    return problems


def check_k_argument(k: int) -> list[Problem]:
    """k must be at least 1 (its upper bound, the pool size, is checked by the loader)."""
    return _range("--k", k, 1, 10**9, "k is the number of seats on the panel.")


def check_output_path(name: str, path: str | None) -> list[Problem]:
    """An output file whose folder exists and which is not itself a folder."""
    if not path:
        return []
    target = Path(path)
    if target.is_dir():
        return [Problem(f"{name} {path} is a folder.", "Give a file name, for example result.json.")]
    folder = target.parent
    if not folder.is_dir():
        return [Problem(f"{name} {path}: the folder {folder} does not exist.", "Create the folder first or write elsewhere.")]
    return []
