"""The uniform distribution over quota-satisfying panels: the maximally random baseline ("uniform").

Every valid panel is equally likely, so a composition c is drawn with probability
prod_t binom(N_t, c_t) / #panels. Tiers, each with bounded work: the dynamic programme of
`core.counting.dynamic` (exact marginals; an explicit distribution when the compositions are few,
else exact sampling from the programme), and when it gives up, swap Markov chains
(`core.counting.chain`) whose visits estimate the marginals (info["exact"] = False).
"""

from __future__ import annotations

import numpy as np

from ..algorithms.enumeration import TooManyPanels
from ..distribution import Distribution
from ..errors import InfeasibleQuotas, SolverError
from ..fair.face_mip import FaceMIP
from ..model import Instance, TypeSpace
from ..selection import Progress, SelectionResult, no_progress
from .chain import ParallelSwapChains, SwapChain
from .dynamic import (
    DP_TIME_LIMIT,
    EDGE_LIMIT,
    PAIR_LIMIT,
    STATE_LIMIT,
    PanelCounter,
    TooManyStates,
)
from .estimate import estimate_count

ENUMERATION_LIMIT = 50_000  # compositions for an explicit uniform distribution
CHAIN_STEPS = 100_000  # recorded steps of the Markov chains together, by default
CHAINS = 32  # Markov chains run side by side
CHAIN_STEP_LIMIT = 2_000_000  # burn-in plus recorded steps, whatever the options say
CHAIN_COUNT_SAMPLES = 200  # importance samples for the panel-count estimate of the chain tier


def _exact_uniform(counter: PanelCounter, limit: int) -> tuple[Distribution, int]:
    """Uniform over valid panels from the compositions the DP enumerates:
    p_c = prod_t binom(N_t, c_t) / #panels (TooManyPanels when there are more than `limit`)."""
    comps, weights = counter.compositions(limit)
    total = counter.count
    probabilities = np.array([int(w) / total for w in weights])
    return Distribution(counter.types, comps, probabilities, info={"panels": total}), total


def _checked(types: TypeSpace, comp: np.ndarray, rng: np.random.Generator) -> list[int]:
    """The panel of a sampled composition, after checking it against every quota."""
    if not types.is_valid(comp):
        raise SolverError(f"internal error: sampled panel breaks the quotas: {types.violations(comp)}")
    return types.expand(comp, rng)


def _optional_seconds(value: object) -> float | None:
    return None if value is None else float(value)


def select(instance: Instance, *, seed: int, options: dict, progress: Progress = no_progress) -> SelectionResult:
    """Every quota-satisfying panel equally likely (the maximally random baseline).

    Tiers, each with bounded work: (1) dynamic programming (bounded by "state_limit", "edge_limit",
    "pair_limit", and "dp_time_limit" seconds only when given: by default no clock decides, so the
    result depends on the inputs and the seed alone; it gives up before passing them) gives the exact count
    and marginals; (2) when the valid compositions number at most "composition_limit" they are listed
    from the DP's graph into an explicit distribution, else panels are sampled exactly from the DP;
    (3) when the DP gives up, a swap Markov chain of "mixing_steps" burn-in plus "chain_steps" recorded
    steps (together at most CHAIN_STEP_LIMIT) estimates the marginals (info["exact"] = False), each
    drawn panel is the end of a fresh chain of "mixing_steps", and "count_samples" importance
    samples estimate the number of panels.
    """
    types = instance.types
    rng = np.random.default_rng(seed)
    limit = int(options.get("composition_limit", ENUMERATION_LIMIT))
    state_limit = int(options.get("state_limit", STATE_LIMIT))
    try:
        counter = PanelCounter.build(types, state_limit, int(options.get("edge_limit", EDGE_LIMIT)),
                                     _optional_seconds(options.get("dp_time_limit", DP_TIME_LIMIT)),
                                     int(options.get("pair_limit", PAIR_LIMIT)))
    except TooManyStates as reason:
        progress(f"dynamic programming gave up ({reason}); sampling with a Markov chain")
        return _chain_select(types, rng, seed, options, progress)
    if counter.count == 0:
        raise InfeasibleQuotas("no panel meets every quota")
    progress(f"{counter.count} panels counted exactly ({counter.states} states)")
    marginals = counter.type_marginals()[types.of_volunteer]
    try:
        dist, total = _exact_uniform(counter, limit)
        dist.verify()
        progress(f"{dist.support} compositions, {total} panels")
        return SelectionResult("uniform", marginals, distribution=dist,
                               info={"exact": True, "method": "enumeration", "panels": total,
                                     "compositions": dist.support, "states": counter.states})
    except TooManyPanels:
        progress(f"more than {limit} compositions; sampling exactly from the dynamic programme")
    return SelectionResult("uniform", marginals, sampler=lambda r: _checked(types, counter.sample_composition(r), r),
                           info={"exact": True, "method": "dynamic programming", "panels": counter.count,
                                 "states": counter.states})


def _chain_select(types: TypeSpace, rng: np.random.Generator, seed: int, options: dict,
                  progress: Progress) -> SelectionResult:
    """The Markov-chain tier of `select`: "chains" chains side by side (`ParallelSwapChains`), each with
    "mixing_steps" of burn-in and its share of "chain_steps" recorded steps; estimated marginals =
    average composition over the recorded steps / N_t. At most CHAIN_STEP_LIMIT steps in all."""
    start = FaceMIP(types).best(rng.random(types.size), np.zeros(types.size), types.counts.astype(float),
                                types.lower, types.upper)
    chains = max(1, int(options.get("chains", CHAINS)))
    mixing = min(int(options.get("mixing_steps", 20 * types.k + 2000)), CHAIN_STEP_LIMIT // (2 * chains))
    wanted = int(options.get("chain_steps", CHAIN_STEPS))
    per_chain = max(1, min(-(-wanted // chains), CHAIN_STEP_LIMIT // chains - mixing))
    steps = per_chain * chains
    progress(f"Markov chains: {chains} chains, each {mixing:,} burn-in steps, then {per_chain:,} recorded steps")
    parallel = ParallelSwapChains(types, start, chains)
    parallel.run(mixing, rng)
    visited = parallel.run(per_chain, rng, record=True, progress=progress)
    estimate = visited / steps / types.counts
    samples = int(options.get("count_samples", CHAIN_COUNT_SAMPLES))
    count = estimate_count(types, samples, seed=seed)
    found = count.info.get("valid_samples", 0) > 0  # else the estimate says nothing (not "0 panels")
    size = f"about 10^{count.log10:.1f} panels" if found else "too many panels to estimate their number"
    progress(f"Markov chains done: {steps:,} recorded steps; {size}")
    chain = SwapChain(types, start)  # each drawn panel: the end of a fresh chain of `mixing` steps
    return SelectionResult("uniform", estimate[types.of_volunteer],
                           sampler=lambda r: _checked(types, chain.run(chain.start, mixing, r)[0], r),
                           info={"exact": False, "method": "markov chain", "chains": chains,
                                 "chain_steps": chains * (mixing + per_chain),
                                 "chain_step_limit": CHAIN_STEP_LIMIT, "mixing_steps": mixing,
                                 "sample_size": steps, "panels_estimate": float(count.count) if found else None,
                                 "panels_log10": float(count.log10) if found else None,
                                 "panels_standard_error": float(count.standard_error) if found else None,
                                 "count_samples": samples})
