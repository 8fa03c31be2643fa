"""The restricted Nash master problem, solved without a modelling layer.

Given P columns (valid compositions, rows of C, live types only) and type sizes N_t, find

    max_lambda  f(lambda) = sum_t N_t log p_t,   p = M lambda,  M_tc = C_ct / N_t,
    s.t.        lambda >= 0,  sum_c lambda_c = 1.

f is concave; its gradient is g_c = sum_t C_ct / p_t = w . c with w_t = 1 / p_t, and
sum_c lambda_c g_c = sum_t N_t p_t / p_t = n for every lambda. So lambda is optimal iff
g_c <= n for every column (with equality on the support), and

    gap(lambda) = max_c g_c - n >= f* - f(lambda)                          (concavity)

is the restricted Frank-Wolfe gap that both solvers below drive to a tolerance.

`nnls_newton_master` (default): proximal Newton in p-space, warm-started from the previous
round's lambda. The Hessian of f is diagonal in p, so each Newton subproblem over lambda >= 0 is
a non-negative least-squares problem (see its docstring), solved by scipy's Lawson-Hanson NNLS
over the support and the CANDIDATES columns of largest gradient; exact line search follows.

`clarabel_master`: the same problem as an exponential-cone program handed to Clarabel directly
(no cvxpy canonicalisation): variables (lambda, u), maximise sum_t (N_t / n) u_t subject to
(u_t, 1, p_t) in K_exp (i.e. exp(u_t) <= p_t), lambda >= 0, sum lambda = 1. Used as the
fallback if the Newton method stalls, and as the reference in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import clarabel
import numpy as np
import scipy.optimize
import scipy.sparse as sp

from ..errors import SolverError

ZERO = 1e-15  # lambda below this (relative) after a step is set to 0: the column leaves the support
CANDIDATES = 60  # columns of largest gradient offered to each NNLS besides the current support


@dataclass
class MasterResult:
    lam: np.ndarray  # distribution over the columns (sums to 1)
    p: np.ndarray  # p = M lambda, live types
    gap: float  # max_c g_c - n over the given columns (the restricted Frank-Wolfe gap)
    iterations: int
    method: str


def gradient(C: np.ndarray, p: np.ndarray) -> np.ndarray:
    """g_c = sum_t C_ct / p_t for every column."""
    return C @ (1.0 / p)


def _scaled_line_search(p: np.ndarray, q: np.ndarray, N: np.ndarray, slope: float) -> float:
    """argmax over a in [0, 1] of sum_t N_t log(p_t + a q_t) - slope * a (concave; p + q >= 0)."""
    def d1(a: float) -> float:
        return float(N @ (q / (p + a * q))) - slope

    end = p + q
    hi = 1.0 if (end > 0).all() else 1.0 - 1e-12  # lambda' may leave a type uncovered: stop short
    if d1(hi) >= 0:
        return hi
    lo, a = 0.0, 0.5 * hi
    for _ in range(100):
        s = d1(a)
        if s > 0:
            lo = a
        else:
            hi = a
        if hi - lo <= 1e-14:
            break
        curvature = float(N @ ((q / (p + a * q)) ** 2))
        step = a + s / curvature if curvature > 0 else 0.5 * (lo + hi)
        a = step if lo < step < hi else 0.5 * (lo + hi)
    return lo


def nnls_newton_master(C: np.ndarray, N: np.ndarray, lam0: np.ndarray, tolerance: float, k: float,
                       max_iterations: int = 100) -> MasterResult | None:
    """Proximal Newton in p-space for the restricted master; None if it stalls.

    Drop the simplex: maximise F(lambda) = sum_t N_t log (M lambda)_t - n 1'lambda over lambda >= 0
    (F(s lambda) is maximal at s = 1 / 1'lambda, where F = f - n, so both share their optimum).
    The Hessian of F is diagonal in p, and every column has sum_t N_t M_tc = k, so the quadratic
    model of F at p = M lambda is maximised by the non-negative least squares problem

        lambda' = argmin_{lambda' >= 0} || diag(sqrt(N) / p) M lambda' - sqrt(N) (2 - (n / k) p) ||^2

    (scipy's Lawson-Hanson NNLS). We then move along d = lambda' - lambda by the exact line search
    of F (which keeps lambda >= 0: it is a convex combination), rescale onto the simplex, and repeat.
    """
    C = np.asarray(C, dtype=float)
    N = np.asarray(N, dtype=float)
    n = float(N.sum())
    lam = np.clip(np.asarray(lam0, dtype=float), 0.0, None)
    lam /= lam.sum()
    p = (lam @ C) / N
    if (p <= 0).any():
        return None
    root = np.sqrt(N)
    for it in range(1, max_iterations + 1):
        g = gradient(C, p)
        gap = float(g.max() - n)
        if gap <= tolerance:
            return MasterResult(lam, p, gap, it - 1, "nnls-newton")
        # candidates: the support and the columns of largest gradient (the others stay at 0)
        candidates = np.union1d(np.flatnonzero(lam > 0), np.argsort(-g)[:CANDIDATES])
        design = (C[candidates] / (root * p)).T  # T x |candidates|
        target = root * (2.0 - (n / k) * p)
        try:
            solution, _ = scipy.optimize.nnls(design, target, maxiter=50 * design.shape[1])
        except RuntimeError:
            return None
        d = -lam
        d[candidates] += solution
        q = (d @ C) / N
        slope = n * float(d.sum())
        if float(g @ d) - slope <= 0:
            return None
        a = _scaled_line_search(p, q, N, slope)
        if a <= 0:
            return None
        lam = lam + a * d
        lam[lam < ZERO * lam.sum()] = 0.0
        lam /= lam.sum()
        p = (lam @ C) / N
        if (p <= 0).any():
            return None
    return None


def clarabel_master(C: np.ndarray, N: np.ndarray, tolerance: float = 1e-10) -> MasterResult:
    """The restricted master as an exponential-cone program, solved by Clarabel directly."""
    C = np.asarray(C, dtype=float)
    N = np.asarray(N, dtype=float)
    P, T = C.shape
    n = float(N.sum())
    M = sp.csr_matrix(C.T / N[:, None])  # T x P
    # x = (lambda (P), u (T)); rows: sum lambda = 1 (zero cone), -lambda <= 0 (nonneg),
    # then per type t the exp-cone triple s = (u_t, 1, p_t) = b - A x.
    eye_t = sp.identity(T, format="csr")
    trip_u = sp.hstack([sp.csr_matrix((T, P)), -eye_t])
    trip_1 = sp.csr_matrix((T, P + T))
    trip_p = sp.hstack([-M, sp.csr_matrix((T, T))])
    triples = sp.vstack([trip_u, trip_1, trip_p]).tocsr()
    order = np.arange(3 * T).reshape(3, T).T.reshape(-1)  # interleave (u_t, 1, p_t)
    A = sp.vstack([sp.hstack([sp.csr_matrix(np.ones((1, P))), sp.csr_matrix((1, T))]),
                   sp.hstack([-sp.identity(P), sp.csr_matrix((P, T))]),
                   triples[order]]).tocsc()
    b = np.r_[1.0, np.zeros(P), np.tile([0.0, 1.0, 0.0], T)]
    q = np.r_[np.zeros(P), -N / n]
    cones = [clarabel.ZeroConeT(1), clarabel.NonnegativeConeT(P)] + [clarabel.ExponentialConeT()] * T
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = tolerance
    settings.max_iter = 500
    solution = clarabel.DefaultSolver(sp.csc_matrix((P + T, P + T)), q, A, b, cones, settings).solve()
    if str(solution.status) not in ("Solved", "AlmostSolved"):
        raise SolverError(f"the Nash master problem could not be solved (Clarabel status {solution.status})")
    lam = np.clip(np.asarray(solution.x[:P]), 0.0, None)
    lam /= lam.sum()
    p = (lam @ C) / N
    if (p <= 0).any():
        raise SolverError("the Nash master problem left a selectable type at probability 0")
    gap = float(gradient(C, p).max() - n)
    return MasterResult(lam, p, gap, int(solution.iterations), "clarabel")


def solve_master(C: np.ndarray, N: np.ndarray, lam0: np.ndarray | None, tolerance: float,
                 method: str = "nnls") -> MasterResult:
    """The restricted master to a gap of `tolerance`: proximal Newton from the warm start lam0 (uniform if
    None), Clarabel if that stalls (or if method == "clarabel")."""
    if method == "nnls":
        start = np.full(len(C), 1.0 / len(C)) if lam0 is None else lam0
        result = nnls_newton_master(C, N, start, tolerance, k=float(np.asarray(C)[0].sum()))
        if result is not None:
            return result
    fallback = clarabel_master(C, N)
    if method != "nnls" or fallback.gap <= tolerance:
        return fallback
    polished = nnls_newton_master(C, N, fallback.lam, tolerance, k=float(np.asarray(C)[0].sum()))
    return polished if polished is not None else fallback


@dataclass
class BandedMasterResult:
    lam: np.ndarray
    p: np.ndarray  # live types
    multipliers: np.ndarray  # pi_j of the band rows, in units of the welfare (Lagrangian: f + pi.(S lam - band))


def banded_master(C: np.ndarray, N: np.ndarray, seats: np.ndarray, lower: np.ndarray,
                  upper: np.ndarray) -> BandedMasterResult:
    """The restricted master with ex-ante target bands, lower <= seats^T lambda <= upper (seats: P x m,
    the band seats of each column), as a convex program (cvxpy with Clarabel, SCS as fallback).

    Its KKT conditions give multipliers pi with g_c = sum_t C_ct / p_t + pi . seats_c equal to a
    constant on the support and at most it elsewhere: the pricing weights w_t = 1/p_t + sum_j pi_j B_jt."""
    import cvxpy as cp

    C = np.asarray(C, dtype=float)
    N = np.asarray(N, dtype=float)
    lam = cp.Variable(len(C), nonneg=True)
    p = (C.T / N[:, None]) @ lam
    at_least = seats.T @ lam >= lower
    at_most = seats.T @ lam <= upper
    problem = cp.Problem(cp.Maximize(N @ cp.log(p)), [cp.sum(lam) == 1, at_least, at_most])
    try:
        problem.solve(solver="CLARABEL")
    except cp.SolverError:
        problem.solve(solver="SCS", eps=1e-10)
    if lam.value is None or problem.status not in ("optimal", "optimal_inaccurate"):
        raise SolverError(f"the Nash master problem with targets ended with status {problem.status}; the targets "
                          "may force some volunteers to probability 0, where Nash welfare is minus infinity")
    weights = np.clip(lam.value, 0.0, None)
    weights /= weights.sum()
    multipliers = np.asarray(at_least.dual_value, dtype=float) - np.asarray(at_most.dual_value, dtype=float)
    return BandedMasterResult(weights, (weights @ C) / N, multipliers)
