"""Ex-ante targets: the expected panel holds a chosen number of seats per value, single panels the quotas.

A quota row may carry a target tau_q (expected seats, decimals allowed). A distribution lambda over
valid compositions meets it when its expected composition E[c] = sum_c lambda_c c does:

    sum_t A[q, t] E[c_t] = tau_q          for every quota q with a target.

Maximin, leximin, Nash and Goldilocks add these as linear constraints of their relaxations and master
LPs / programs; their pricing weights then gain the constraints' duals, sum_q pi_q A[q, t].

Targets may be out of reach of every distribution over valid panels (a target outside [min, max],
or targets of one category not adding up to k, or targets the quotas of other categories forbid).
Then we first find the smallest largest deviation

    delta* = min over distributions  max_q |A_q E[c] - tau_q|,

bounded from below by the same LP over the quota polytope P (the relaxation, `relaxed_deviation`)
and confirmed with valid panels by column generation (`smallest_deviation`): the master LP
min delta over the panels found, priced with its duals (w_t = sum_q (u_q - v_q) A[q, t]); the
Lagrangian bound delta_master - (max_c w.c + sigma) proves how far from delta* it is. The
algorithm then optimises its own objective within the *bands*

    tau_q - delta* - SLACK <= A_q E[c] <= tau_q + delta* + SLACK,

and reports delta* (`Bands.deviation`, 0 when every target is met).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from ..errors import InputError, Problem, SolverError
from ..model import Instance, Quota, TypeSpace
from ..selection import Progress, no_progress

TARGET_ALGORITHMS = ("maximin", "leximin", "nash", "goldilocks")  # the algorithms that meet targets
SLACK = 1e-8  # seats: the bands' room beyond the smallest deviation (LP round-off)
DEVIATION_TOLERANCE = 1e-8  # seats: column generation for delta* stops within this of its lower bound
MAX_ROUNDS = 2_000


@dataclass(frozen=True)
class Bands:
    """Linear bands on the expected composition: lower_j <= B_j . E[c] <= upper_j, one per target."""

    B: np.ndarray  # m x T (rows of A of the quotas with a target)
    lower: np.ndarray
    upper: np.ndarray
    targets: np.ndarray  # m target seats
    quotas: np.ndarray  # m indices of the quotas with a target
    deviation: float  # delta*: the smallest largest deviation any distribution over valid panels reaches
    info: dict = field(default_factory=dict)


def quota_targets(instance: Instance) -> np.ndarray | None:
    """Target seats per quota (NaN where none), or None when no quota has a target."""
    targets = np.array([np.nan if q.target is None else float(q.target) for q in instance.quotas])
    return targets if np.isfinite(targets).any() else None


def targets_ignored(instance: Instance, algorithm: str) -> str | None:
    """A warning when the quotas carry targets that `algorithm` does not take into account, else None."""
    if quota_targets(instance) is None or algorithm in TARGET_ALGORITHMS:
        return None
    return (f"warning: the quota file sets targets, which {algorithm} does not take into account (only "
            f"{', '.join(TARGET_ALGORITHMS)} do); its panels meet the quotas only.")


def without_targets(instance: Instance) -> Instance:
    """The same instance with every target removed (to show the price of the targets)."""
    return instance.with_quotas([replace(q, target=None) for q in instance.quotas])


def relaxed_deviation(types: TypeSpace, B: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """min delta over x in P with |B x - targets| <= delta: a lower bound on delta*, and its point x."""
    T, m = types.size, len(targets)
    A = types.A.astype(float)
    H = types.household_matrix()
    zero = sparse.csr_matrix((A.shape[0], 1))
    rows = sparse.vstack([
        sparse.hstack([sparse.csr_matrix(B), -np.ones((m, 1))]),
        sparse.hstack([sparse.csr_matrix(-B), -np.ones((m, 1))]),
        sparse.hstack([sparse.csr_matrix(-A), zero]),
        sparse.hstack([sparse.csr_matrix(A), zero]),
        sparse.hstack([H, sparse.csr_matrix((H.shape[0], 1))]),
    ]).tocsr()
    bounds = np.r_[targets, -targets, -types.lower, types.upper, np.ones(H.shape[0])]
    result = linprog(np.r_[np.zeros(T), 1.0], A_ub=rows, b_ub=bounds, A_eq=np.r_[np.ones(T), 0.0][None, :],
                     b_eq=[types.k], bounds=[(0.0, float(n)) for n in types.counts] + [(0.0, None)], method="highs")
    if result.status != 0:
        raise SolverError(f"the targets' deviation LP ended with status {result.status}: {result.message}")
    return float(result.x[-1]), np.clip(result.x[:T], 0.0, types.counts)


def smallest_deviation(types: TypeSpace, B: np.ndarray, targets: np.ndarray, pricer, columns, *,
                       solver: str = "highs", progress: Progress = no_progress) -> tuple[float, float, int]:
    """delta* over distributions of valid panels, by column generation from the face walk to the
    relaxation's point; adds the panels it finds to `columns`. Returns (delta*, relaxed delta, rounds)."""
    from ..fair.face_walk import walk_down_faces

    relaxed, x = relaxed_deviation(types, B, targets)
    for composition in walk_down_faces(types, x, solver=solver).compositions:
        columns.add(composition)
    m = len(targets)
    value, rounds = np.inf, 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        seats = columns.array @ B.T  # P x m
        P = len(seats)
        result = linprog(np.r_[np.zeros(P), 1.0],
                         A_ub=np.vstack([np.c_[seats.T, -np.ones(m)], np.c_[-seats.T, -np.ones(m)]]),
                         b_ub=np.r_[targets, -targets], A_eq=np.r_[np.ones(P), 0.0][None, :], b_eq=[1.0],
                         bounds=[(0.0, None)] * (P + 1), method="highs")
        if result.status != 0:
            raise SolverError(f"the targets' master LP ended with status {result.status}: {result.message}")
        value = float(result.x[-1])
        if value <= relaxed + DEVIATION_TOLERANCE:
            break
        u = np.asarray(result.ineqlin.marginals)
        sigma = float(result.eqlin.marginals[0])
        weights = (u[:m] - u[m:]) @ B  # reduced cost of column c: -(w.c + sigma)
        priced = pricer.exact(weights)
        lower_bound = value - (priced.bound + sigma)
        if value - lower_bound <= DEVIATION_TOLERANCE or priced.value + sigma <= 1e-12 or not columns.add(
                priced.composition):
            break
        if rounds % 20 == 0:
            progress(f"targets: round {rounds}, largest deviation {value:.6f} (at least {max(relaxed, lower_bound):.6f})")
    return max(value, relaxed), relaxed, rounds


def target_bands(types: TypeSpace, targets: np.ndarray, pricer, columns, *, solver: str = "highs",
                 progress: Progress = no_progress) -> Bands:
    """The bands the algorithms optimise within: the targets, widened by delta* when out of reach."""
    quotas = np.flatnonzero(np.isfinite(targets))
    B = types.A[quotas].astype(float)
    tau = np.asarray(targets, dtype=float)[quotas]
    deviation, relaxed, rounds = smallest_deviation(types, B, tau, pricer, columns, solver=solver, progress=progress)
    if deviation > DEVIATION_TOLERANCE:
        progress(f"targets: no distribution over valid panels meets every target; the smallest largest "
                 f"deviation is {deviation:.4f} seats")
    else:
        deviation = 0.0
    info = {"targets": len(quotas), "target_deviation": deviation, "relaxed_deviation": relaxed,
            "targets_met": deviation == 0.0, "deviation_rounds": rounds}
    return Bands(B, tau - deviation - SLACK, tau + deviation + SLACK, tau, quotas, deviation, info)


def targets_report(bands: Bands, compositions: np.ndarray, probabilities: np.ndarray, on_panels: np.ndarray,
                   reachable: np.ndarray) -> dict:
    """Info entries: every target and the expected seats the distribution gives it, and how many types on
    some valid panel the targets leave no chance (`on_panels` & ~`reachable`, see `reachable_types`)."""
    seats = (np.asarray(probabilities) @ np.asarray(compositions)) @ bands.B.T
    return {**bands.info, "target_seats": bands.targets.tolist(), "expected_seats_at_targets": seats.tolist(),
            "largest_target_deviation": float(np.abs(seats - bands.targets).max()) if len(seats) else 0.0,
            "unreachable_within_targets": int((np.asarray(on_panels) & ~np.asarray(reachable)).sum())}


class BandedStageLP:
    """Mixin for `core.fair.columns.StageLP`: rows lower_j <= sum_c (B_j c) lambda_c <= upper_j after the
    type rows and the convexity row; pricing weights and the dual bound gain their duals pi_j:
        w_t += sum_j pi_j B[j, t] / y_sum,   bound -= sum_j (pi_j^+ lower_j - pi_j^- upper_j) / y_sum."""

    bands: Bands

    def attach(self, bands: Bands) -> None:
        self.bands = bands
        empty_i, empty_f = np.array([], dtype=np.int32), np.array([], dtype=float)
        self.h.addRows(len(bands.lower), bands.lower, bands.upper, 0, empty_i, empty_i, empty_f)
        self.pi = np.zeros(len(bands.lower))

    def add_columns(self, compositions: np.ndarray) -> None:
        first = self.n_columns
        super().add_columns(compositions)  # type: ignore[misc]
        comps = np.asarray(compositions, dtype=np.int64).reshape(-1, self.T)
        seats = comps @ self.bands.B.T  # columns x m
        for j, column in enumerate(range(first + 1, first + 1 + len(comps))):  # column 0 is z
            for row in np.flatnonzero(seats[j]).tolist():
                self.h.changeCoeff(self.T + 1 + row, column, float(seats[j, row]))

    def solve(self, method: str = "simplex") -> tuple[np.ndarray, np.ndarray]:
        lam, y = super().solve(method)  # type: ignore[misc]
        self.pi = -np.asarray(self.h.getSolution().row_dual)[self.T + 1:]
        return lam, y

    def pricing_weights(self, y: np.ndarray, y_sum: float) -> np.ndarray:
        return super().pricing_weights(y, y_sum) + (self.pi / y_sum) @ self.bands.B  # type: ignore[misc]

    def dual_bound(self, y: np.ndarray, y_sum: float, priced_bound: float) -> float:
        pi = self.pi / y_sum
        shift = float(np.clip(pi, 0, None) @ self.bands.lower - np.clip(-pi, 0, None) @ self.bands.upper)
        return super().dual_bound(y, y_sum, priced_bound) - shift  # type: ignore[misc]


def stage_lp(types: TypeSpace, target: np.ndarray | None = None, bands: Bands | None = None):
    """A `StageLP` (maximin / leximin master), with the target bands when there are any."""
    from ..fair.columns import StageLP

    if bands is None:
        return StageLP(types, target=target)

    class Banded(BandedStageLP, StageLP):
        pass

    lp = Banded(types, target=target)
    lp.attach(bands)
    return lp


def relaxation_rows(types: TypeSpace, bands: Bands | None) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The bands as rows R x <= r of the relaxation's LPs (over x in R^T): B x <= upper, -B x <= -lower."""
    if bands is None:
        return sparse.csr_matrix((0, types.size)), np.zeros(0)
    return sparse.csr_matrix(np.vstack([bands.B, -bands.B])), np.r_[bands.upper, -bands.lower]



REACH_SCALE = 1e6  # `reachable_types`: a type counts as reachable when some point gives it >= 1/REACH_SCALE seats


def reachable_types(types: TypeSpace, bands: Bands | None, selectable: np.ndarray) -> np.ndarray:
    """The selectable types some point of the quota polytope P within the bands gives a positive expected
    count (all of them without bands). Targets at the edge of what panels reach (a target of 0, or out of
    reach so that the bands sit at delta*) can force a type's probability to 0; objectives taken over
    every selectable type (Goldilocks' 1 / min p) then leave them out. One LP over the cone of P:
        max sum_t z_t  s.t.  z_t <= y_t, 0 <= z <= 1, y in s P within the bands, 0 <= s <= REACH_SCALE;
    at the optimum z_t = 1 exactly for the types some x in P reaches with x_t >= 1 / REACH_SCALE.
    (A relaxation: a type P reaches may still be out of reach of every distribution over valid panels.)"""
    selectable = np.asarray(selectable, dtype=bool)
    if bands is None:
        return selectable.copy()
    T = types.size
    A = sparse.csr_matrix(types.A.astype(float))
    H = types.household_matrix()
    B = sparse.csr_matrix(bands.B)
    eye = sparse.identity(T, format="csr")

    def column(values: np.ndarray) -> sparse.csr_matrix:
        return sparse.csr_matrix(np.asarray(values, dtype=float).reshape(-1, 1))

    def block(y_part, s_part, z_part=None) -> sparse.csr_matrix:  # rows over (y, s, z)
        rows = y_part.shape[0]
        return sparse.hstack([y_part, s_part, z_part if z_part is not None else sparse.csr_matrix((rows, T))])

    rows = sparse.vstack([
        block(-A, column(types.lower)), block(A, column(-types.upper)),
        block(H, column(-np.ones(H.shape[0]))),
        block(B, column(-bands.upper)), block(-B, column(bands.lower)),
        block(-eye, sparse.csr_matrix((T, 1)), eye),
    ]).tocsr()
    equality = sparse.hstack([sparse.csr_matrix(np.ones((1, T))), column([-types.k]),
                              sparse.csr_matrix((1, T))]).tocsr()
    counts = np.where(selectable, types.counts, 0).astype(float)
    bounds = [(0.0, None)] * T + [(0.0, REACH_SCALE)] + [(0.0, 1.0 if live else 0.0) for live in selectable]
    # y_t <= N_t s: a bound on y_t / s; written as y_t - N_t s <= 0
    cap = block(eye, column(-counts))
    result = linprog(np.r_[np.zeros(T + 1), -np.ones(T)], A_ub=sparse.vstack([rows, cap]).tocsr(),
                     b_ub=np.zeros(rows.shape[0] + T), A_eq=equality, b_eq=[0.0], bounds=bounds, method="highs")
    if result.status != 0:
        raise SolverError(f"the targets' reachability LP ended with status {result.status}: {result.message}")
    return selectable & (result.x[T + 1:] > 0.5)


def proportional_targets(instance: Instance) -> list[Quota]:
    """The quotas with target = k x population share for every value whose share is known."""
    shares = instance.population_shares or {}
    return [replace(q, target=round(instance.k * shares[(q.category, q.value)], 6))
            if (q.category, q.value) in shares else q for q in instance.quotas]


def targets_from_column(quotas: list[Quota], column: Iterable[object]) -> list[Quota]:
    """The quotas with targets read from an edited column (same order; empty or NaN = no target).
    Raises InputError naming the row of a negative or non-numeric target."""
    updated, problems = [], []
    for row, (q, value) in enumerate(zip(quotas, list(column)), start=1):
        if value is None or (isinstance(value, str) and not value.strip()) or (
                isinstance(value, float) and math.isnan(value)):
            updated.append(replace(q, target=None))
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not (number >= 0 and math.isfinite(number)):
            problems.append(Problem(f"{q.label}: target {value!r} is not a number of seats of 0 or more.",
                                    "Enter the expected seats (decimals allowed), or clear the cell for no target.",
                                    file="the quota table", row=row, column="target"))
            updated.append(q)
            continue
        updated.append(replace(q, target=number))
    if problems:
        raise InputError(problems)
    return updated
