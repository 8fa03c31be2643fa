"""The `endtoend` selection algorithm: fit participation, Phase I marginals, Phase II distribution.

1. Fit q_i (core.endtoend.participation) from the pool, the background sample and the letters r.
2. Phase I: pi_i = k a_i / sum_j a_j with a_i = 1/q_i, capped at 1 (core.endtoend.phase_one).
3. Phase II, a distribution over panels (volunteers of a type share q, hence pi):
   - mode "quotas" (default): panels meet the organiser's quotas; the marginals are the closest to
     pi possible (smallest largest deviation |p_t - pi_t|, then smallest total), reported;
   - mode "paper": the paper's rounding guarantee instead of the organiser's quotas: every panel
     has, for each value v, seats within E_v +- C (E_v = sum_{i has v} pi_i, C the number of
     categories), and the marginals equal pi (the deviation reached is reported; it is 0 up to LP
     round-off when pi lies in the hull of such panels, which the paper's dependent rounding shows).
Options: background (DataFrame, required), letters (int, required), background_weights (column
name or None), mode ("quotas" | "paper"), resamples (bootstrap, default 100), solver ("highs").
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError, Problem
from ..model import Instance, Quota
from ..selection import Progress, SelectionResult, no_progress
from .background import encode_background
from .closest import closest_distribution
from .participation import DEFAULT_RESAMPLES, ParticipationFit, fit_participation
from .phase_one import PhaseOne, phase_one

MODES = ("quotas", "paper")


def background_shares(instance: Instance, codes: np.ndarray, weights: np.ndarray) -> dict[tuple[str, str], float]:
    """Each value's (weighted) share of the background sample: the population shares it estimates."""
    shares = {}
    total = weights.sum()
    for c, category in enumerate(instance.categories):
        for j, value in enumerate(instance.values(category)):
            shares[(category, value)] = float(weights[codes[:, c] == j].sum() / total)
    return shares


def rounding_quotas(instance: Instance, marginals: np.ndarray) -> list[Quota]:
    """The paper's guarantee as quotas: seats of value v within [E_v - C, E_v + C], E_v = sum_{i has v} pi_i."""
    spread = len(instance.categories)
    quotas = []
    for quota in instance.quotas:
        c = instance.categories.index(quota.category)
        j = instance.values(quota.category).index(quota.value)
        expected = float(marginals[instance.codes[:, c] == j].sum())
        low = max(0, math.ceil(expected - spread - 1e-9))
        high = min(instance.k, math.floor(expected + spread + 1e-9))
        quotas.append(Quota(quota.category, quota.value, low, high))
    return quotas


def _options(options: dict) -> tuple:
    problems = []
    if options.get("background") is None:
        problems.append(Problem("endtoend needs a background sample of the population.",
                                "Give one (a survey sample with the pool's categories), e.g. --background BG.csv."))
    if options.get("letters") is None:
        problems.append(Problem("endtoend needs the number of invitation letters sent.", "Give it, e.g. --letters 30000."))
    mode = options.get("mode") or "quotas"
    if mode not in MODES:
        problems.append(Problem(f"unknown endtoend mode '{mode}'.", f"Choose one of: {', '.join(MODES)}."))
    if problems:
        raise InputError(problems)
    return options["background"], options["letters"], options.get("background_weights"), mode


def seats_by_value(instance: Instance, marginals: np.ndarray) -> dict[str, float]:
    """Expected seats sum_{i has v} p_i of every value, keyed 'category=value'."""
    out = {}
    for quota in instance.quotas:
        c = instance.categories.index(quota.category)
        j = instance.values(quota.category).index(quota.value)
        out[quota.label] = float(marginals[instance.codes[:, c] == j].sum())
    return out


def select(instance: Instance, *, seed: int, options: dict, progress: Progress = no_progress) -> SelectionResult:
    """End-to-end selection (see the module docstring); info holds the fit, checks and deviation."""
    background, letters, weights_column, mode = _options(options)
    encoded = encode_background(instance, background, letters, weights_column)
    values = {c: instance.values(c) for c in instance.categories}
    progress("fitting the participation model")
    fit: ParticipationFit = fit_participation(
        instance.codes, encoded.codes, instance.categories, values, letters,
        background_weights=encoded.weights, resamples=int(options.get("resamples", DEFAULT_RESAMPLES)),
        seed=seed, progress=progress)
    shares = background_shares(instance, encoded.codes, encoded.weights)
    first: PhaseOne = phase_one(fit.q, instance.k, letters, instance.codes, instance.categories, values, shares)
    solver = options.get("solver", "highs")
    if mode == "paper":
        target_instance = instance.with_quotas(rounding_quotas(instance, first.marginals))
    else:
        target_instance = instance
    types = target_instance.types
    targets = np.array([first.marginals[m[0]] for m in types.members])
    progress(f"Phase II ({mode} mode): a distribution with marginals closest to Phase I's")
    closest = closest_distribution(types, targets, solver=solver, progress=progress)
    distribution = closest.distribution
    distribution.verify()
    marginals = distribution.marginals()

    info = {
        "mode": mode,
        "letters": int(letters),
        "participation_fit": {"solver": fit.solver, "log_likelihood": fit.log_likelihood,
                              "bootstrap_resamples": fit.resamples, "seed": seed,
                              "background_rows": fit.background_size,
                              "weights": weights_column},
        "beta0": fit.beta0,
        "beta0_interval": list(fit.beta0_interval),
        "beta_intervals": {c: {v: list(iv) for v, iv in fit.intervals[c].items()} for c in fit.categories},
        "q_star": fit.q_star,
        "alpha": first.alpha,
        "mean_participation": fit.mean_participation,
        "good_pool": first.checks,
        "capped": {"volunteers": int(first.capped.sum()), "rounds": first.capping_rounds,
                   "note": (f"{int(first.capped.sum())} volunteer(s) had k a_i / sum a_j above 1: capped at 1, "
                            "the others rescaled to keep k seats" if first.was_capped else "no marginal exceeded 1")},
        "phase_one_marginals": first.marginals.tolist(),
        "deviation": closest.deviation,
        "deviation_lower_bound": closest.lower_bound,
        "column_generation": {"rounds": closest.rounds, "panels": closest.panels_generated},
        "expected_seats_phase_one": seats_by_value(instance, first.marginals),
        "expected_seats": seats_by_value(instance, marginals),
        "proportional_seats": {f"{c}={v}": instance.k * s for (c, v), s in shares.items()},
    }
    if mode == "paper":
        info["rounding_quotas"] = {q.label: [q.min, q.max] for q in target_instance.quotas}
        organiser = instance.types
        meets = np.array([organiser.is_valid(c) for c in distribution.compositions])
        info["organiser_quotas_met_probability"] = float(distribution.probabilities[meets].sum())
    distribution.info.update({"mode": mode, "deviation": closest.deviation})
    distribution.objective = closest.deviation
    return SelectionResult(
        algorithm="endtoend",
        marginals=marginals,
        distribution=distribution,
        objective=closest.deviation,
        info=info,
        extra={"participation": [float(x) for x in fit.q], "beta": fit.beta_json()},
    )
