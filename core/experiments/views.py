"""What the Experiments page shows of a results file: sweep figures across scenarios and
algorithms, and a simulation's end-to-end chances per population type (the end-to-end paper's figure).

A sweep table has one row per (scenario, algorithm, seed) (core.experiments.sweep); a simulation
table one row per (algorithm, population type) with `end_to_end`, `ratio_to_uniform` and `people`
(core.experiments.simulate). `read_results` tells them apart by their columns.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from ..errors import InputError, Problem

SWEEP, SIMULATION = "sweep", "simulation"
SWEEP_COLUMNS = {"scenario", "algorithm", "seed", "status", "min probability"}
SIMULATION_COLUMNS = {"algorithm", "people", "end_to_end", "ratio_to_uniform", "uniform"}
# Figures of a sweep a person can chart, with whether higher is better.
SWEEP_FIGURES = {"min probability": True, "Gini": False, "geometric mean": True, "share below k/n": False,
                 "min / (k/n)": True, "max / (k/n)": False, "intersections mean Gini": False,
                 "intersections never filled cells": False, "seconds": False}
WITHIN = 0.10


def read_results(data: bytes, name: str) -> tuple[str, pd.DataFrame]:
    """(kind, table) of a results file written by `sweep` or `simulate` (.parquet or .csv)."""
    try:
        if name.lower().endswith(".parquet"):
            table = pd.read_parquet(io.BytesIO(data))
        else:
            table = pd.read_csv(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - any reader failure means the same to the person
        raise InputError([Problem(f"cannot be read as a results table ({type(error).__name__}).",
                                  "Choose the .parquet or .csv file that `python -m core sweep` or `simulate` wrote.",
                                  file=name)])
    columns = set(table.columns)
    if SWEEP_COLUMNS <= columns:
        return SWEEP, table
    if SIMULATION_COLUMNS <= columns:
        return SIMULATION, table
    missing = sorted(SWEEP_COLUMNS - columns) if "scenario" in columns else sorted(SIMULATION_COLUMNS - columns)
    raise InputError([Problem(f"is not a sweep or simulation results table (missing columns: {', '.join(missing)}).",
                              "Choose a file written by `python -m core sweep` or `python -m core simulate`.", file=name)])


def sweep_figure(table: pd.DataFrame, figure: str) -> pd.DataFrame:
    """Mean, lowest and highest of `figure` over seeds, per scenario and algorithm (successful runs only)."""
    ok = table[table["status"] == "ok"]
    grouped = ok.groupby(["scenario", "algorithm"], sort=False)[figure]
    out = grouped.agg(["mean", "min", "max", "count"]).reset_index()
    return out.rename(columns={"count": "runs"})


def sweep_failures(table: pd.DataFrame) -> pd.DataFrame:
    """The runs that failed, with their messages."""
    return table.loc[table["status"] != "ok", ["scenario", "algorithm", "seed", "message"]].reset_index(drop=True)


def simulation_curve(table: pd.DataFrame) -> pd.DataFrame:
    """Per algorithm, population types sorted by their ratio to k/N, with the population share
    at or below each: the end-to-end chances of the whole population at a glance (1 = fair)."""
    frames = []
    for algorithm, group in table.groupby("algorithm", sort=False):
        group = group.sort_values("ratio_to_uniform")
        share = group["people"].to_numpy(dtype=float)
        frames.append(pd.DataFrame({
            "algorithm": algorithm,
            "population share": np.cumsum(share) / share.sum(),
            "ratio to k/N": group["ratio_to_uniform"].to_numpy(dtype=float),
            "end-to-end probability": group["end_to_end"].to_numpy(dtype=float),
        }))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["algorithm", "population share", "ratio to k/N", "end-to-end probability"])


def simulation_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per algorithm: pools used and skipped, k/N, and the population share within ±10% of k/N."""
    rows = []
    for algorithm, group in table.groupby("algorithm", sort=False):
        people = group["people"].to_numpy(dtype=float)
        within = np.abs(group["ratio_to_uniform"].to_numpy(dtype=float) - 1) <= WITHIN
        rows.append({"algorithm": algorithm, "pools": int(group["pools"].iloc[0]) if "pools" in group else None,
                     "skipped": int(group["skipped"].iloc[0]) if "skipped" in group else None,
                     "k/N": float(group["uniform"].iloc[0]),
                     "population within ±10% of k/N": float(people[within].sum() / people.sum())})
    return pd.DataFrame(rows)
