"""Who joins the pool when invited: the simple independent action model, fitted by maximum likelihood.

Model. Person i, invited, joins with probability
    q_i = beta0 * prod_f beta_{f, v_i(f)},      every beta in (0, 1].
Write theta = log beta, so log q_i = z_i = theta0 + sum_f theta_{f, v_i(f)}: linear in theta.

Data (Lancaster & Imbens 1996, "contaminated controls"; as in Flanigan, Gölz, Gupta, Procaccia,
NeurIPS 2020). Cases: the n1 pool volunteers, a sample of the population's density f(x) tilted by
q: f(x) q(x) / q_bar. Controls: a background sample of n0 people from f(x) itself (joiners and
non-joiners mixed, unlabeled). The mean participation q_bar = E_f[q] = n1 / r is known from the
number of letters r. In the combined sample, a row with values x is a case with probability
    P(case | x) = n1 f q / q_bar / (n1 f q / q_bar + n0 f) = c q(x) / (1 + c q(x)),   c = n1 / (n0 q_bar) = r / n0,
(f cancels: no model of the population is needed). The conditional log-likelihood is
    l(theta) = sum_{i in pool} [log c + z_i - log(1 + c e^{z_i})] - sum_{j in background} w_j log(1 + c e^{z_j}),
a logistic regression with a known offset log c and one-hot features; log(1 + e^u) is convex, so
l is concave in theta. Survey weights w_j (scaled to sum to n0) weight the control terms.

Identifiability. l depends on theta only through z, and z is unchanged when theta_{f,.} moves up
by d and theta0 down by d. We fix theta_{f, first value} = 0 while solving, require every q <= 1
(theta0 + sum_f max_v theta_{f,v} <= 0, a convex constraint), and afterwards shift each
category so that its largest beta is exactly 1 (moving the shift into beta0), which changes no q.
The program is solved on type counts (rows with identical values share z), so its size is the
number of distinct types. First by Newton's method without the q <= 1 constraint and floors
(damped by Armijo backtracking, warm-started from the full sample's fit for the bootstrap): when
every value has volunteers and non-volunteers the Hessian X' diag(b s (1 - s)) X is positive
definite, the maximiser is unique, and when it meets the constraints it is also the constrained
optimum (stopped at a gradient below NEWTON_TOLERANCE: certified). Otherwise (a value missing on
one side, or q <= 1 binding) with cvxpy (Clarabel, SCS as fallback), as before; cvxpy is then
imported and the programme compiled on first use only.
Uncertainty: a seeded bootstrap (pool and background resampled with replacement, refitted).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit

from ..errors import SolverError
from ..model import Instance
from .background import encode_background

DEFAULT_RESAMPLES = 100
INTERVAL = (2.5, 97.5)  # percentiles of the bootstrap: a 95% interval
LOG_FLOOR = -30.0  # theta >= -30 (beta >= 1e-13): never binding when every value has volunteers
NEWTON_TOLERANCE = 1e-10  # largest |gradient| (weights scaled to sum 1) at which Newton's method stops
NEWTON_ITERATIONS = 60


@dataclass
class ParticipationFit:
    """Fitted beta0 and beta (largest per category 1), bootstrap intervals, and q of the pool."""

    categories: list[str]
    values: dict[str, list[str]]
    beta0: float
    beta: dict[str, dict[str, float]]
    beta0_interval: tuple[float, float]
    intervals: dict[str, dict[str, tuple[float, float]]]
    q: np.ndarray  # q_i of every pool volunteer, pool row order
    letters: int
    pool_size: int
    background_size: int
    log_likelihood: float
    solver: str
    resamples: int
    seed: int
    bootstrap_beta0: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def q_star(self) -> float:
        """The smallest participation probability in the pool."""
        return float(self.q.min())

    @property
    def mean_participation(self) -> float:
        """q_bar = |pool| / r."""
        return self.pool_size / self.letters

    def alpha(self, k: int) -> float:
        """alpha = q* r / k: how many times over the least likely joiners could fill the panel."""
        return self.q_star * self.letters / k

    def q_of_codes(self, codes: np.ndarray) -> np.ndarray:
        """q for rows given as value codes (rows x categories, the `values` order)."""
        q = np.full(len(codes), self.beta0)
        for c, category in enumerate(self.categories):
            table = np.array([self.beta[category][v] for v in self.values[category]])
            q *= table[np.asarray(codes)[:, c]]
        return q

    def q_of_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """q for rows of a table with one text column per category."""
        codes = np.empty((len(frame), len(self.categories)), dtype=np.int64)
        for c, category in enumerate(self.categories):
            index = {v: j for j, v in enumerate(self.values[category])}
            mapped = frame[category].astype(str).str.strip().map(index)
            if mapped.isna().any():
                raise ValueError(f"category {category}: values {sorted(set(frame[category][mapped.isna()]))} were not fitted")
            codes[:, c] = mapped.to_numpy(dtype=np.int64)
        return self.q_of_codes(codes)

    def beta_json(self) -> dict:
        """{"beta0": ..., category: {value: beta}} for the CLI's JSON."""
        return {"beta0": self.beta0, **{c: dict(self.beta[c]) for c in self.categories}}

    def table(self) -> pd.DataFrame:
        """One row per (category, value): beta and its bootstrap interval."""
        rows = [{"category": "(base)", "value": "beta0", "beta": self.beta0,
                 "low": self.beta0_interval[0], "high": self.beta0_interval[1]}]
        for c in self.categories:
            for v in self.values[c]:
                lo, hi = self.intervals[c][v]
                rows.append({"category": c, "value": v, "beta": self.beta[c][v], "low": lo, "high": hi})
        return pd.DataFrame(rows)


class LikelihoodProgram:
    """The concave log-likelihood over a fixed set of types, compiled once, re-solved for new counts.

    Types are the distinct value combinations of pool and background together; a fit needs the
    number of pool volunteers and the (weighted) number of background people of each type.
    """

    def __init__(self, type_codes: np.ndarray, sizes: list[int], letters: int, background_rows: float):
        self.sizes = sizes
        self.type_codes = type_codes
        self.log_c = float(np.log(letters / background_rows))
        columns = [np.ones((len(type_codes), 1))]
        for c, size in enumerate(sizes):
            columns.append(np.eye(size)[type_codes[:, c]])
        self.X = np.hstack(columns)  # types x (1 + sum of sizes): one-hot design
        # Newton's variables: theta0 and theta_{f,v} for every value but the first of each category
        reference = np.cumsum([1] + list(sizes[:-1])) if sizes else np.zeros(0, dtype=int)
        self._free = np.setdiff1d(np.arange(self.X.shape[1]), reference)
        self._start: np.ndarray | None = None  # the last certified Newton optimum: the next start
        self._cvx: tuple | None = None

    def _compiled(self) -> tuple:
        """The cvxpy programme (imported and compiled on first use): (problem, theta0, thetas, case, all)."""
        if self._cvx is None:
            import cvxpy as cp

            theta0 = cp.Variable()
            thetas = [cp.Variable(size) for size in self.sizes]
            theta = cp.hstack([cp.reshape(theta0, (1,), order="C"), *thetas])
            z = self.X @ theta
            case_weight = cp.Parameter(len(self.type_codes), nonneg=True)
            all_weight = cp.Parameter(len(self.type_codes), nonneg=True)
            objective = cp.Maximize(case_weight @ z - all_weight @ cp.logistic(z + self.log_c))
            constraints = [t[0] == 0 for t in thetas]
            # a floor keeps the optimum attained when a resample leaves a value without volunteers
            constraints += [t >= LOG_FLOOR for t in thetas] + [theta0 >= LOG_FLOOR]
            constraints.append(theta0 + sum(cp.max(t) for t in thetas) <= 0)
            self._cvx = (cp.Problem(objective, constraints), theta0, thetas, case_weight, all_weight)
        return self._cvx

    def _newton(self, case: np.ndarray, every: np.ndarray) -> tuple[float, list[np.ndarray]] | None:
        """The maximiser by Newton's method when it is unique, found and feasible; else None.

        A value without volunteers (case weight 0; a bootstrap resample can drop a rare one) has
        its theta at LOG_FLOOR: the likelihood only falls as that theta rises (its gradient is
        -sum b s < 0), so the floor is its constrained optimum, and the other thetas are solved with it held."""
        X = self.X[:, self._free]
        support_case, support_rest = X.T @ case, X.T @ (every - case)
        if (support_rest <= 0).any() or support_case[0] <= 0:
            return None  # a value with only volunteers, or no volunteer at all: q <= 1 binds
        floored = support_case <= 0
        floored[0] = False  # theta0
        moving = ~floored
        Xm = X[:, moving]
        offset = self.log_c + X[:, floored].sum(axis=1) * LOG_FLOOR
        beta = np.zeros(int(moving.sum()))
        if self._start is not None:
            beta = self._start[moving].copy()

        def value(b: np.ndarray) -> float:
            z = Xm @ b + offset
            return float(case @ z - every @ np.logaddexp(0.0, z))

        current = value(beta)
        for _ in range(NEWTON_ITERATIONS):
            s = expit(Xm @ beta + offset)
            gradient = Xm.T @ (case - every * s)
            if np.abs(gradient).max() <= NEWTON_TOLERANCE:
                break
            hessian = (Xm * (every * s * (1.0 - s))[:, None]).T @ Xm  # minus the Hessian: positive definite
            try:
                step = np.linalg.solve(hessian, gradient)
            except np.linalg.LinAlgError:
                return None
            t, slope = 1.0, float(gradient @ step)
            while t > 1e-12:
                trial = value(beta + t * step)
                if trial >= current + 0.25 * t * slope:
                    break
                t /= 2
            beta, current = beta + t * step, trial
        else:
            return None
        solution = np.full(len(self._free), LOG_FLOOR)
        solution[moving] = beta
        full = np.zeros(self.X.shape[1])
        full[self._free] = solution
        theta0, thetas, position = float(full[0]), [], 1
        for size in self.sizes:
            thetas.append(full[position:position + size])
            position += size
        lowest = min([theta0, *[float(t.min()) for t in thetas]])
        if theta0 + sum(float(t.max()) for t in thetas) > 0 or lowest < LOG_FLOOR:
            return None
        if not floored.any():
            self._start = solution
        return theta0, thetas

    def solve(self, pool_counts: np.ndarray, background_weights: np.ndarray,
              accept_inaccurate: bool = False) -> tuple[np.ndarray, list[np.ndarray], str]:
        """Maximum-likelihood (theta0, [theta_f]) normalised so each category's largest theta is 0.

        Newton's method first (see the module doc); else Clarabel, SCS if Clarabel fails; only a
        certified optimum is accepted unless `accept_inaccurate` (used for bootstrap resamples,
        where a reduced accuracy is harmless).
        """
        total = pool_counts.sum() + background_weights.sum()
        case, every = pool_counts / total, (pool_counts + background_weights) / total
        found = self._newton(case, every)
        if found is not None:
            theta0_value, thetas = found
            used = "Newton"
        else:
            theta0_value, thetas, used = self._solve_cvxpy(case, every, accept_inaccurate)
        shift = [float(t.max()) for t in thetas]
        theta0 = min(theta0_value + sum(shift), 0.0)
        return np.array(theta0), [t - s for t, s in zip(thetas, shift)], used

    def _solve_cvxpy(self, case: np.ndarray, every: np.ndarray,
                     accept_inaccurate: bool) -> tuple[float, list[np.ndarray], str]:
        import cvxpy as cp

        problem, theta0, theta_vars, case_weight, all_weight = self._compiled()
        case_weight.value, all_weight.value = case, every
        accepted = {cp.OPTIMAL, cp.OPTIMAL_INACCURATE} if accept_inaccurate else {cp.OPTIMAL}
        used, statuses = None, []
        for solver in ("CLARABEL", "SCS"):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    problem.solve(solver=solver)
            except cp.error.SolverError:
                statuses.append(f"{solver}: failed")
                continue
            statuses.append(f"{solver}: {problem.status}")
            if problem.status in accepted:
                used = solver if problem.status == cp.OPTIMAL else f"{solver} (inaccurate)"
                break
        if used is None:
            raise SolverError(f"the participation likelihood could not be maximised ({'; '.join(statuses)})")
        return float(theta0.value), [np.asarray(t.value, dtype=float) for t in theta_vars], used

    def log_likelihood(self, theta0: float, thetas: list[np.ndarray], pool_counts: np.ndarray,
                       background_weights: np.ndarray) -> float:
        z = theta0 + sum(t[self.type_codes[:, c]] for c, t in enumerate(thetas))
        return float(pool_counts @ (self.log_c + z) - (pool_counts + background_weights) @ np.logaddexp(0, z + self.log_c))


def fit_participation(pool_codes: np.ndarray, background_codes: np.ndarray, categories: list[str],
                      values: dict[str, list[str]], letters: int, *, background_weights: np.ndarray | None = None,
                      resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                      progress: Callable[[str], None] | None = None) -> ParticipationFit:
    """Fit beta0, beta by maximum likelihood with contaminated controls; bootstrap 95% intervals.

    `pool_codes` / `background_codes`: rows x categories value codes (index into values[category]).
    `background_weights`: survey weights (None: all 1), scaled to sum to the number of rows.
    """
    pool_codes = np.asarray(pool_codes, dtype=np.int64)
    background_codes = np.asarray(background_codes, dtype=np.int64)
    n0_rows = len(background_codes)
    w = np.ones(n0_rows) if background_weights is None else np.asarray(background_weights, dtype=float)
    w = w * n0_rows / w.sum()
    sizes = [len(values[c]) for c in categories]
    type_codes, inverse = np.unique(np.vstack([pool_codes, background_codes]), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    pool_type, background_type = inverse[: len(pool_codes)], inverse[len(pool_codes):]
    T = len(type_codes)
    pool_counts = np.bincount(pool_type, minlength=T).astype(float)
    background_counts = np.bincount(background_type, weights=w, minlength=T)

    program = LikelihoodProgram(type_codes, sizes, letters, n0_rows)
    theta0, thetas, solver = program.solve(pool_counts, background_counts)
    log_likelihood = program.log_likelihood(float(theta0), thetas, pool_counts, background_counts)

    rng = np.random.default_rng(seed)
    draws0, draws = [], []
    for b in range(resamples):
        if progress is not None and b % 10 == 0:
            progress(f"participation bootstrap {b}/{resamples}")
        boot_pool = rng.multinomial(len(pool_codes), pool_counts / pool_counts.sum()).astype(float)
        rows = rng.integers(n0_rows, size=n0_rows)
        boot_w = w[rows] * n0_rows / w[rows].sum()
        boot_background = np.bincount(background_type[rows], weights=boot_w, minlength=T)
        b0, bt, _ = program.solve(boot_pool, boot_background, accept_inaccurate=True)
        draws0.append(float(b0))
        draws.append(np.concatenate(bt))
    draws_array = np.exp(np.array(draws)) if draws else np.zeros((0, sum(sizes)))
    beta0_draws = np.exp(np.array(draws0))

    beta: dict[str, dict[str, float]] = {}
    intervals: dict[str, dict[str, tuple[float, float]]] = {}
    offset = 0
    for c, category in enumerate(categories):
        beta[category] = {v: float(np.exp(thetas[c][j])) for j, v in enumerate(values[category])}
        intervals[category] = {}
        for j, v in enumerate(values[category]):
            column = draws_array[:, offset + j]
            intervals[category][v] = _interval(column, beta[category][v])
        offset += sizes[c]
    fit = ParticipationFit(
        categories=list(categories), values={c: list(values[c]) for c in categories},
        beta0=float(np.exp(theta0)), beta=beta, beta0_interval=_interval(beta0_draws, float(np.exp(theta0))),
        intervals=intervals, q=np.zeros(len(pool_codes)), letters=int(letters), pool_size=len(pool_codes),
        background_size=n0_rows, log_likelihood=log_likelihood, solver=solver, resamples=resamples, seed=seed,
        bootstrap_beta0=beta0_draws,
    )
    fit.q = fit.q_of_codes(pool_codes)
    return fit


def _interval(draws: np.ndarray, estimate: float) -> tuple[float, float]:
    """Percentile bootstrap interval; (estimate, estimate) without resamples."""
    if len(draws) == 0:
        return (estimate, estimate)
    lo, hi = np.percentile(draws, INTERVAL)
    return (float(lo), float(hi))


def fit_instance(instance: Instance, background: pd.DataFrame, letters: int, *, weights: str | None = None,
                 resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                 progress: Callable[[str], None] | None = None) -> ParticipationFit:
    """Check the background sample against the instance (InputError on problems) and fit the model."""
    encoded = encode_background(instance, background, letters, weights)
    values = {c: instance.values(c) for c in instance.categories}
    return fit_participation(instance.codes, encoded.codes, instance.categories, values, letters,
                             background_weights=encoded.weights, resamples=resamples, seed=seed, progress=progress)
