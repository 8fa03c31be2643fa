"""Scenarios: named quota sets (with their panel size) a person keeps to compare quota designs,
saved to and read back from a JSON file.

File format (version 1):
    {"format": "sortition-workbench scenarios", "version": 1,
     "scenarios": [{"name": ..., "k": 30, "quotas": [{"category", "value", "min", "max"}, ...]}]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import pandas as pd

from ..errors import InputError, Problem
from ..model import Instance, Quota
from .validation import MAX_QUOTA_BOUND

FORMAT = "sortition-workbench scenarios"
VERSION = 1


@dataclass(frozen=True)
class Scenario:
    """A named set of quotas and a panel size for the same pool."""

    name: str
    k: int
    quotas: tuple[Quota, ...]

    @staticmethod
    def of(name: str, instance: Instance) -> "Scenario":
        return Scenario(name, instance.k, tuple(instance.quotas))

    def apply(self, instance: Instance) -> Instance:
        """The instance with this scenario's quotas and k."""
        return instance.with_quotas(list(self.quotas), self.k)


def scenarios_to_json(scenarios: list[Scenario]) -> str:
    """The scenarios as a JSON document (see the module docstring)."""
    return json.dumps({
        "format": FORMAT,
        "version": VERSION,
        "scenarios": [
            {"name": s.name, "k": s.k,
             "quotas": [{"category": q.category, "value": q.value, "min": q.min, "max": q.max} for q in s.quotas]}
            for s in scenarios
        ],
    }, indent=2, ensure_ascii=False)


def scenarios_from_json(data: bytes | str, file_name: str, instance: Instance) -> list[Scenario]:
    """Scenarios read from a file written by `scenarios_to_json`, checked against the instance's
    categories and values. Quotas of the instance missing from a scenario keep the instance's bounds.
    Raises InputError listing every problem."""

    def problem(message: str, fix: str, row: int | None = None, column: str | None = None) -> Problem:
        return Problem(message, fix, file=file_name, row=row, column=column)

    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError([problem(f"is not a JSON file ({error}).", "Choose a scenario file saved by this workbench.")])
    if not isinstance(document, dict) or document.get("format") != FORMAT or not isinstance(document.get("scenarios"), list):
        raise InputError([problem("is not a scenario file of this workbench.", "Choose a file saved with 'Download scenarios'.")])
    known = {(q.category, q.value): q for q in instance.quotas}
    problems: list[Problem] = []
    scenarios: list[Scenario] = []
    for number, entry in enumerate(document["scenarios"], start=1):
        where = f"scenario {number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("quotas"), list):
            problems.append(problem(f"{where} has no quota list.", "Save the scenarios again from the workbench."))
            continue
        name = str(entry.get("name") or f"scenario {number}")
        k = entry.get("k")
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= instance.n:
            problems.append(problem(f"{where} ('{name}') has panel size k={k!r}.",
                                    f"Use a whole number between 1 and {instance.n}.", column="k"))
            continue
        bounds: dict[tuple[str, str], tuple[int, int]] = {}
        for quota in entry["quotas"]:
            key = (str(quota.get("category")), str(quota.get("value"))) if isinstance(quota, dict) else None
            if key is None or key not in known:
                problems.append(problem(f"{where} ('{name}') has a quota for {key and '='.join(key)}, "
                                        "which the loaded pool does not have.",
                                        "Load the pool the scenarios were made for, or remove that quota."))
                continue
            low, high = quota.get("min"), quota.get("max")
            if not all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= MAX_QUOTA_BOUND for b in (low, high)):
                problems.append(problem(f"{where} ('{name}'): {'='.join(key)} has min {low!r} and max {high!r}.",
                                        f"Use whole numbers from 0 to {MAX_QUOTA_BOUND:,} for min and max."))
                continue
            bounds[key] = (low, high)
        quotas = tuple(replace(q, min=bounds[key][0], max=bounds[key][1]) if key in bounds else q
                       for key, q in known.items())
        scenarios.append(Scenario(name, k, quotas))
    if problems:
        raise InputError(problems)
    return scenarios


def quota_file_table(instance: Instance) -> pd.DataFrame:
    """The current quotas as a quota file the Home page can load again: the replication format
    (category, feature, min, max), or the Sortition Foundation format (feature, value, min, max,
    min_flex, max_flex) when some quota has flex limits; population_share added when known."""
    shares = instance.population_shares or {}
    flex = any(q.min_flex is not None or q.max_flex is not None for q in instance.quotas)
    rows = []
    for q in instance.quotas:
        if flex:
            row = {"feature": q.category, "value": q.value, "min": q.min, "max": q.max,
                   "min_flex": q.min_flex, "max_flex": q.max_flex}
        else:
            row = {"category": q.category, "feature": q.value, "min": q.min, "max": q.max}
        if shares:
            row["population_share"] = shares.get((q.category, q.value))
        rows.append(row)
    return pd.DataFrame(rows)
