"""Tables behind the End-to-end page: the fitted participation, who is boosted or damped, expected
seats against the population, and simulated end-to-end chances summarised per value.

Builds on core.endtoend (participation fit, Phase I, simulation). Every function returns a plain
DataFrame (or a PopulationModel) so the page only draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..endtoend.background import EncodedBackground
from ..endtoend.participation import ParticipationFit
from ..endtoend.simulation import EndToEnd, PopulationModel
from ..model import Instance


def beta_frame(fit: ParticipationFit) -> pd.DataFrame:
    """One row per (category, value): beta with its interval and the label "category: value" (no beta0)."""
    table = fit.table()
    table = table[table["category"] != "(base)"].reset_index(drop=True)
    table["label"] = table["category"] + ": " + table["value"]
    return table


def value_masks(instance: Instance):
    """Yield (category, value, boolean mask of the volunteers having it) in quota-file order."""
    for c, category in enumerate(instance.categories):
        for j, value in enumerate(instance.values(category)):
            yield category, value, instance.codes[:, c] == j


def boost_by_value(instance: Instance, marginals: np.ndarray, q: np.ndarray) -> pd.DataFrame:
    """Per value: volunteers, their mean participation q, their mean selection probability and its
    ratio to the equal chance k/n (above 1: boosted, below 1: damped)."""
    fair = instance.k / instance.n
    rows = []
    for category, value, mask in value_masks(instance):
        if not mask.any():
            continue
        p = float(np.asarray(marginals)[mask].mean())
        rows.append({"category": category, "value": value, "volunteers": int(mask.sum()),
                     "mean participation": float(np.asarray(q)[mask].mean()),
                     "mean selection probability": p, "ratio to k/n": p / fair})
    return pd.DataFrame(rows)


def seats_against_population(instance: Instance, marginals: dict[str, np.ndarray],
                             shares: dict[tuple[str, str], float]) -> pd.DataFrame:
    """Expected seats per value for each labelled set of selection probabilities, with the quota
    (min, max) and k x population share; the columns core.analysis.compare.seats_table uses."""
    quotas = {(q.category, q.value): q for q in instance.quotas}
    rows = []
    for label, p in marginals.items():
        p = np.asarray(p, dtype=float)
        for category, value, mask in value_masks(instance):
            quota = quotas.get((category, value))
            share = shares.get((category, value))
            rows.append({"algorithm": label, "category": category, "value": value,
                         "min": quota.min if quota else np.nan, "max": quota.max if quota else np.nan,
                         "proportional seats": instance.k * share if share is not None else np.nan,
                         "expected seats": float(p[mask].sum())})
    return pd.DataFrame(rows)


def population_model(instance: Instance, fit: ParticipationFit, encoded: EncodedBackground) -> PopulationModel:
    """The population as the background sample describes it (weighted), each type with its fitted q."""
    return population_with(instance, encoded, fit.q_of_codes(encoded.codes))


def population_with(instance: Instance, encoded: EncodedBackground, q: np.ndarray) -> PopulationModel:
    """The population as the background sample describes it (weighted), person i joining with q[i]."""
    values = {c: instance.values(c) for c in instance.categories}
    frame = pd.DataFrame({c: np.asarray(values[c], dtype=object)[encoded.codes[:, f]]
                          for f, c in enumerate(instance.categories)})
    return PopulationModel.from_people(frame, q, list(instance.categories), values, weights=encoded.weights)


def simulation_summary(model: PopulationModel, runs: list[EndToEnd]) -> pd.DataFrame:
    """One row per algorithm: pools used and skipped, the population share within +-10% of k/N, and
    the lowest and highest ratio to k/N over types estimated precisely enough."""
    rows = []
    for run in runs:
        s = run.summary(model)
        rows.append({"algorithm": run.algorithm, "pools": s["pools"], "pools skipped": s["skipped"],
                     "population within ±10% of k/N": s["population_share_within_10pct"],
                     "lowest ratio": s["min_ratio"], "highest ratio": s["max_ratio"],
                     "population estimated precisely": s["precise_population_share"],
                     "seconds": s["seconds"]})
    return pd.DataFrame(rows)


def ratio_by_value(model: PopulationModel, runs: list[EndToEnd]) -> pd.DataFrame:
    """Per algorithm and value: the population-weighted mean end-to-end chance relative to k/N
    (1 = the same chance as everyone else in the population)."""
    rows = []
    for run in runs:
        ratio = run.ratio
        for f, category in enumerate(model.categories):
            for j, value in enumerate(model.values[category]):
                mask = model.codes[:, f] == j
                people = model.sizes[mask].sum()
                if people <= 0:
                    continue
                rows.append({"algorithm": run.algorithm, "category": category, "value": value,
                             "ratio to k/N": float(model.sizes[mask] @ ratio[mask] / people)})
    return pd.DataFrame(rows)


def ratio_by_type(model: PopulationModel, runs: list[EndToEnd]) -> pd.DataFrame:
    """Per algorithm and population type: people, participation q and end-to-end chance relative to k/N."""
    frames = []
    for run in runs:
        frame = run.frame(model)
        frame.insert(0, "algorithm", run.algorithm)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
