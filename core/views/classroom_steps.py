"""Step-throughs for the classroom: one run of the legacy greedy draw seat by seat (`legacy_trace`,
the same rule as core.algorithms.legacy) and leximin stage by stage (`leximin_stages`).

Leximin's stages are computed exactly by a small LP over every representative composition c
(tiny pools only): with lambda a distribution over compositions, type t's selection probability is
    p_t = sum_c lambda_c c_t / N_t.
Stage s maximises z = min over unfixed types of p_t keeping the fixed types at their values; a type
is fixed at z when no distribution meeting those floors gives it more than z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from ..algorithms.enumeration import valid_compositions
from ..algorithms.legacy import serving_priority
from ..distribution import Distribution
from ..errors import SortitionError
from ..model import Instance
from .classroom import LP_TOLERANCE, names_in_words

LEGACY_RETRIES = 100


@dataclass
class LegacyStep:
    """One seat filled (kind "pick") or one failed attempt started again (kind "restart")."""

    attempt: int
    kind: str
    ratios: pd.DataFrame  # value, min, selected, remaining, ratio (values with volunteers left)
    value: str | None  # the value served (largest ratio)
    picked: int | None  # pool row of the volunteer picked
    filled: list[str]  # values that reached their max with this pick
    dropped: list[int]  # pool rows dropped from the pool because a value is full
    panel: list[int]  # pool rows on the panel so far (this attempt)
    text: str


@dataclass
class LegacyTrace:
    """Every step of one legacy draw (restarts included) and the panel it ends with."""

    seed: int
    steps: list[LegacyStep]
    panel: list[int]
    attempts: int


def pool_status(instance: Instance, trace: LegacyTrace, upto: int) -> pd.DataFrame:
    """Every volunteer after step `upto` (0 = before the first step): on the panel, in the pool, or dropped."""
    status = ["in the pool"] * instance.n
    if upto > 0:
        step = trace.steps[upto - 1]
        attempt_steps = [s for s in trace.steps[:upto] if s.attempt == step.attempt and s.kind == "pick"]
        if step.kind == "restart":
            status = ["in the pool"] * instance.n
        else:
            for s in attempt_steps:
                for i in s.dropped:
                    status[i] = "left the pool (value full)"
            for i in step.panel:
                status[i] = "on the panel"
    frame = pd.DataFrame({"name": list(instance.ids)})
    for category in instance.categories:
        frame[category] = instance.pool[category].astype(str).to_numpy()
    frame["status"] = status
    return frame


def legacy_trace(instance: Instance, seed: int, retries: int = LEGACY_RETRIES) -> LegacyTrace:
    """One run of the legacy greedy, step by step, with the same rule as core.algorithms.legacy:

    serve the value with the largest (min_q - selected_q) / remaining_q among values with volunteers
    left (first in quota order on ties), pick a uniform random remaining volunteer with it, drop
    everyone with a value that reached its max; start again when a min can no longer be met.
    """
    types = instance.types
    A, lower, upper = types.A, types.lower, types.upper
    has = A[:, types.of_volunteer].astype(bool)  # Q x n: volunteer i has value q
    labels = [q.label for q in instance.quotas]
    rng = np.random.default_rng(seed)
    steps: list[LegacyStep] = []
    for attempt in range(1, retries + 1):
        remaining = np.ones(instance.n, dtype=bool)
        selected = np.zeros(len(lower), dtype=np.int64)
        panel: list[int] = []
        full0 = np.flatnonzero(selected >= upper)
        for q in full0:
            remaining &= ~has[q]
        failed = None
        for _ in range(instance.k):
            left = has[:, remaining].sum(axis=1)
            need = lower - selected
            priority = serving_priority(need, left)
            ratios = pd.DataFrame({"value": labels, "min": lower, "selected": selected.copy(), "remaining": left,
                                   "ratio": np.where(left > 0, priority, np.nan)})
            short = np.flatnonzero(need > left)
            if len(short):
                q = short[0]
                failed = (f"{labels[q]} still needs {need[q]} seat(s) but only {left[q]} volunteer(s) with it are left",
                          ratios)
                break
            if not (left > 0).any():
                failed = ("no volunteer is left in the pool", ratios)
                break
            value = int(priority.argmax())
            candidates = np.flatnonzero(remaining & has[value])
            picked = int(rng.choice(candidates))
            panel.append(picked)
            remaining[picked] = False
            before = selected >= upper
            selected += has[:, picked]
            filled = np.flatnonzero((selected >= upper) & ~before)
            dropped: list[int] = []
            for q in filled:
                out = np.flatnonzero(remaining & has[q])
                dropped.extend(int(i) for i in out)
                remaining[out] = False
            dropped = sorted(set(dropped))
            text = (f"{labels[value]} is furthest from its minimum (ratio {ratios['ratio'][value]:.2f}); "
                    f"{instance.ids[picked]} is drawn from the {len(candidates)} volunteer(s) with it.")
            if len(filled):
                text += f" {', '.join(labels[q] for q in filled)} reached its max"
                text += f", so {names_in_words(instance, np.array(dropped), 6)} leave the pool." if dropped else "."
            steps.append(LegacyStep(attempt, "pick", ratios, labels[value], picked,
                                    [labels[q] for q in filled], dropped, sorted(panel), text))
        else:
            if (selected >= lower).all():
                return LegacyTrace(seed, steps, sorted(panel), attempt)
            failed = ("the panel is full but misses a minimum", None)
        reason, ratios = failed
        steps.append(LegacyStep(attempt, "restart", ratios if ratios is not None else pd.DataFrame(), None, None, [],
                                [], sorted(panel), f"Stuck: {reason}. The method throws this attempt away and starts again."))
    raise SortitionError(f"the legacy method missed a quota minimum on {retries} attempts in a row")


# ---------------------------------------------------------------------------------------------
# Step-through: leximin's stages

@dataclass
class LeximinStage:
    """Stage s: the largest z such that every unfixed volunteer can get at least z; those who cannot get more are fixed at z."""

    number: int
    probability: float
    fixed: list[int]  # pool rows fixed at `probability` in this stage


@dataclass
class LeximinStages:
    stages: list[LeximinStage]
    distribution: Distribution

    def fixed_probabilities(self, n: int) -> np.ndarray:
        """Each volunteer's probability as fixed by the stages (pool row order)."""
        out = np.full(n, np.nan)
        for stage in self.stages:
            out[stage.fixed] = stage.probability
        return out


def _stage_lp(P: np.ndarray, fixed: dict[int, float], free: list[int], objective: np.ndarray,
              floor: float | None) -> tuple[float, np.ndarray]:
    """max objective.(lambda, z) over lambda >= 0, sum lambda = 1, P_t.lambda >= f_t (t fixed), P_t.lambda >= z (t free)
    (z fixed at `floor` when given). Returns (value, lambda)."""
    C = P.shape[1]
    rows, rhs = [], []
    for t, value in fixed.items():
        rows.append(np.r_[-P[t], 0.0])
        rhs.append(-(value - LP_TOLERANCE))
    for t in free:
        if floor is None:
            rows.append(np.r_[-P[t], 1.0])
            rhs.append(0.0)
        else:
            rows.append(np.r_[-P[t], 0.0])
            rhs.append(-(floor - LP_TOLERANCE))
    solution = linprog(-objective, A_ub=np.array(rows) if rows else None, b_ub=np.array(rhs) if rows else None,
                       A_eq=np.r_[np.ones(C), 0.0][None, :], b_eq=[1.0],
                       bounds=[(0, None)] * C + [(0, 1)], method="highs")
    if solution.status != 0:
        raise SortitionError(f"the leximin stage LP failed: {solution.message}")
    return float(-solution.fun), solution.x[:C]


def leximin_stages(instance: Instance) -> LeximinStages:
    """Leximin by stages, exactly, over every representative composition (tiny pools only).

    Stage s: z_s = max min over unfixed types t of p_t, keeping fixed types at their values;
    a type is fixed at z_s when no distribution meeting those floors gives it more than z_s.
    p_t = sum_c lambda_c c_t / N_t, and all members of a type share p_t.
    """
    types = instance.types
    compositions = valid_compositions(types)
    if len(compositions) == 0:
        raise SortitionError("no panel meets every quota")
    P = (compositions / types.counts).T  # T x C: p_t = P_t . lambda
    C = P.shape[1]
    fixed: dict[int, float] = {}
    stages: list[LeximinStage] = []
    lam = np.full(C, 1.0 / C)
    while len(fixed) < types.size:
        free = [t for t in range(types.size) if t not in fixed]
        z, lam = _stage_lp(P, fixed, free, np.r_[np.zeros(C), 1.0], None)
        stuck = []
        for t in free:
            best, _ = _stage_lp(P, fixed, free, np.r_[P[t], 0.0], z)
            if best <= z + 1e-7:
                stuck.append(t)
        if not stuck:  # numerically every type can exceed z: fix the smallest in the last solution
            values = P[free] @ lam
            stuck = [free[int(np.argmin(values))]]
        for t in stuck:
            fixed[t] = z
        people = sorted(int(i) for t in stuck for i in types.members[t])
        stages.append(LeximinStage(len(stages) + 1, z, people))
    # the last LP's lambda meets every floor; its marginals sum to k, as do the floors, so they are equal
    distribution = Distribution(types, compositions, lam, info={"stages": len(stages)})
    distribution.verify()
    return LeximinStages(stages, distribution)


def stage_text(instance: Instance, stage: LeximinStage, previous: list[LeximinStage]) -> str:
    """A sentence explaining one leximin stage."""
    who = names_in_words(instance, np.array(stage.fixed), 6)
    done = sum(len(s.fixed) for s in previous)
    if not previous:
        head = "Stage 1: leximin first makes the smallest chance as large as the quotas allow"
    else:
        head = (f"Stage {stage.number}: keeping the {done} volunteer(s) already fixed at their chances, it raises "
                "the smallest chance among the rest as far as possible")
    return (f"{head}: {stage.probability:.1%}. {who} cannot get more than that without lowering someone "
            f"fixed earlier, so {'they are' if len(stage.fixed) > 1 else 'this volunteer is'} fixed at "
            f"{stage.probability:.1%}.")
