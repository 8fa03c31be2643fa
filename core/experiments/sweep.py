"""A sweep: one pool under several quota scenarios × algorithms × seeds, one tidy row per run.

A *case* is (scenario, algorithm, seed). `run_sweep` checks once per scenario that some panel
meets its quotas; every case of a scenario that none meets becomes a failed row with the reason and
the smallest repair. `run_case` is the task for the others: it runs the algorithm
(core.selection.run, which verifies every panel) and returns a flat record: the fairness figures
of the Compare page (core.analysis.compare.comparison_table), quota compliance, intersectional
figures (core.analysis.intersections, order 2 and 3 tables), the time and `input hash` = SHA-256 of
(instance fingerprint, algorithm, options, seed), so two rows with the same hash are the same
computation. A run that fails (no panel meets the quotas, a solver gives
up) becomes a row with `status` = "failed" and its message; it never stops the sweep.

`run_sweep` sends every case to a Dask client as one task (the scenario's instance is held once on
the cluster, core.experiments.cluster.shared) and collects the rows as they finish; without a client the same function runs serially,
which is what the tests compare the distributed rows with.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from ..errors import InputError, Problem
from ..model import Instance

QUOTA_SUFFIXES = (".csv", ".xlsx", ".xlsm")
SCENARIO_SUFFIX = ".json"
# Columns every row has, in this order (then the figures, in comparison_table's order).
KEY_COLUMNS = ["scenario", "algorithm", "seed", "status", "message", "n", "k"]
TAIL_COLUMNS = ["intersections mean Gini", "intersections never filled cells", "intersections L1 to even",
                "seconds", "input hash"]
OK, FAILED = "ok", "failed"


@dataclass(frozen=True)
class Case:
    """One run of a sweep."""

    scenario: str
    algorithm: str
    seed: int


def input_hash(instance: Instance, algorithm: str, options: dict[str, Any], seed: int) -> str:
    """SHA-256 of everything a run's result depends on: the instance, the algorithm, its options
    (core.selection.options_digest: tables by content) and the seed."""
    from ..selection import options_digest

    text = json.dumps([instance.fingerprint(), algorithm, options_digest(options), int(seed)])
    return hashlib.sha256(text.encode()).hexdigest()


def _row(instance: Instance, case: Case, options: dict[str, Any], failure: str | None = None) -> dict[str, Any]:
    """The key columns of a case's row (failed, with its message, when `failure` is given)."""
    return {"scenario": case.scenario, "algorithm": case.algorithm, "seed": case.seed,
            "status": OK if failure is None else FAILED, "message": failure or "", "n": instance.n, "k": instance.k,
            "input hash": input_hash(instance, case.algorithm, options, case.seed)}


def infeasibility(instance: Instance) -> str | None:
    """Why no panel meets the scenario's quotas (with the smallest repair), or None when some panel does.
    Checked once per scenario, not once per algorithm and seed."""
    from ..analysis.feasibility import require_feasible

    try:
        require_feasible(instance)
    except Exception as error:  # noqa: BLE001 - every reason is a message of the failed rows
        return _message(error)
    return None


def run_case(instance: Instance, case: Case, options: dict[str, Any]) -> dict[str, Any]:
    """The task: run one case of a scenario whose quotas some panel meets and return its row (never
    raises for a failed run)."""
    from ..analysis.compare import comparison_table
    from ..analysis.intersections import intersection_metrics
    from ..selection import run

    row = _row(instance, case, options)
    try:
        result = run(case.algorithm, instance, seed=case.seed, options=options)
    except Exception as error:  # noqa: BLE001 - a failed run is a row of the table, whatever failed
        return _row(instance, case, options, _message(error))
    figures = comparison_table(instance, {case.algorithm: result}).iloc[0].to_dict()
    figures.pop("algorithm")
    within = figures.pop("expected seats within quotas")
    row.update(figures)
    row["quotas met in expectation"] = int(str(within).split(" of ")[0])
    row["quotas"] = len(instance.quotas)
    summary = intersection_metrics(instance, marginals=result.marginals)["expected"]["summary"]
    row["intersections mean Gini"] = summary["mean_gini"]
    row["intersections never filled cells"] = summary["never_filled_cells"]
    row["intersections L1 to even"] = summary["l1_uniform"]
    row["seconds"] = result.seconds
    return row


def _message(error: Exception) -> str:
    """What failed, in one line: the library's own message, or the exception's type and text."""
    from ..errors import InfeasibleQuotas, SortitionError

    if isinstance(error, InfeasibleQuotas):
        repair = getattr(error, "repair", None)
        changes = "; ".join(str(c) for c in getattr(repair, "changes", [])) if repair is not None else ""
        return f"no panel meets every quota{': smallest repair ' + changes if changes else ''}"
    if isinstance(error, SortitionError):
        return " ".join(str(error).split())
    return f"{type(error).__name__}: {error}"


def cases(scenarios: Sequence[str], algorithms: Sequence[str], seeds: Sequence[int]) -> list[Case]:
    """The grid, scenario-major."""
    return [Case(s, a, int(seed)) for s in scenarios for a in algorithms for seed in seeds]


def run_sweep(instances: dict[str, Instance], algorithms: Sequence[str], seeds: Sequence[int], *,
              options: dict[str, dict[str, Any]] | None = None, client=None,
              on_row: Callable[[int, int, dict], None] | None = None) -> pd.DataFrame:
    """Every (scenario, algorithm, seed) of the grid, as a table in grid order.

    `instances`: scenario name → instance; `options`: algorithm → its options. With a Dask
    `client` each case is one task; without one the cases run here, one after another.
    `on_row(done, total, row)` is called as each row arrives (progress).
    """
    options = options or {}
    grid = cases(list(instances), algorithms, seeds)
    infeasible = {name: reason for name, instance in instances.items() if (reason := infeasibility(instance))}
    rows: dict[Case, dict] = {}
    for case in grid:
        if case.scenario in infeasible:
            rows[case] = _row(instances[case.scenario], case, options.get(case.algorithm, {}), infeasible[case.scenario])
            if on_row:
                on_row(len(rows), len(grid), rows[case])
    runnable = [case for case in grid if case.scenario not in infeasible]
    if client is None:
        for case in runnable:
            rows[case] = run_case(instances[case.scenario], case, options.get(case.algorithm, {}))
            if on_row:
                on_row(len(rows), len(grid), rows[case])
    else:
        from distributed import as_completed

        from .cluster import shared as held_once

        shared = {name: held_once(client, instance, f"instance-{i}") for i, (name, instance) in enumerate(instances.items())
                  if name not in infeasible}
        futures = {client.submit(run_case, shared[case.scenario], case, options.get(case.algorithm, {}),
                                 key=f"sweep-{case.algorithm}-{case.seed}-{uuid.uuid4().hex}", pure=False): case
                   for case in runnable}
        for future in as_completed(futures):
            case = futures[future]
            try:
                rows[case] = future.result()
            except Exception as error:  # noqa: BLE001 - e.g. a task lost more workers than Dask retries
                rows[case] = {"scenario": case.scenario, "algorithm": case.algorithm, "seed": case.seed,
                              "status": FAILED, "message": f"the task failed on the cluster: {_message(error)}"}
            if on_row:
                on_row(len(rows), len(grid), rows[case])
    return tidy([rows[case] for case in grid])


def tidy(rows: list[dict]) -> pd.DataFrame:
    """Rows as one table with the key columns first and the hash last."""
    table = pd.DataFrame(rows)
    for column in KEY_COLUMNS + TAIL_COLUMNS:
        if column not in table.columns:
            table[column] = None
    middle = [c for c in table.columns if c not in KEY_COLUMNS + TAIL_COLUMNS]
    return table[KEY_COLUMNS + middle + TAIL_COLUMNS]


def write_results(table: pd.DataFrame, out: str | Path) -> list[Path]:
    """Write the table as Parquet and CSV: OUT.parquet and OUT.csv (whichever suffix OUT has)."""
    out = Path(out)
    parquet, text = out.with_suffix(".parquet"), out.with_suffix(".csv")
    parquet.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(parquet, index=False)
    table.to_csv(text, index=False)
    return [parquet, text]


def scenario_files(paths: Sequence[str | Path]) -> list[Path]:
    """The quota files (.csv, .xlsx) and scenario files (.json) named, folders expanded (sorted)."""
    found: list[Path] = []
    problems: list[Problem] = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix.lower() in QUOTA_SUFFIXES + (SCENARIO_SUFFIX,))
            if not inside:
                problems.append(Problem("holds no quota file (.csv, .xlsx) or scenario file (.json).",
                                        "Name a folder of quota files, or the files themselves.", file=str(path)))
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem("does not exist.", "Check the path.", file=str(path)))
    if problems:
        raise InputError(problems)
    return found


def load_scenarios(pool: str | Path, paths: Sequence[str | Path], k: int, *, id_column: str | None = None,
                   household: list[str] | None = None, base_quotas: str | Path | None = None) -> dict[str, Instance]:
    """Scenario name → instance. A quota file is a scenario named by its file name (with `k`); a
    scenario file (.json, exported by the Pool and quotas page) adds each of its named scenarios
    (with their own k), read against `base_quotas` or else the first quota file given."""
    from ..io.loaders import load_instance
    from ..io.scenarios import scenarios_from_json

    files = scenario_files(paths)
    quota_files = [f for f in files if f.suffix.lower() in QUOTA_SUFFIXES]
    instances: dict[str, Instance] = {}
    for file in quota_files:
        instances[_unique(file.name, instances)] = load_instance(pool, file, k, id_column=id_column, household=household)
    json_files = [f for f in files if f.suffix.lower() == SCENARIO_SUFFIX]
    if json_files:
        base_file = Path(base_quotas) if base_quotas else (quota_files[0] if quota_files else None)
        if base_file is None:
            raise InputError([Problem("scenario files need a quota file to read them against.",
                                      "Add --quotas QUOTAS (the pool's quota file) or a quota file among the scenarios.",
                                      file=str(json_files[0]))])
        base = load_instance(pool, base_file, k, id_column=id_column, household=household)
        for file in json_files:
            for scenario in scenarios_from_json(file.read_bytes(), file.name, base):
                instances[_unique(scenario.name, instances)] = scenario.apply(base)
    return instances


def _unique(name: str, taken: dict) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name} ({number})", number + 1
    return candidate
