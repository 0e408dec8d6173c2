"""Stochastic (proximal, projected) subgradient descent on a sharp polyhedral convex function
with additive unbounded noise, Monte Carlo over replicates, and distribution-free quantile
bounds for the results.

Objective (composite, as in stochastic mirror descent with the Euclidean mirror map)::

    F(x) = f(x) + h(x),   f(x) = sum_j w_j |q_j^T (x - c)|,   h(x) = mu/2 ||x - c||^2,
    minimised over the box X = [lo, hi] (lo = -inf, hi = +inf: X = R^d) with c in X,

so F* = F(c) = 0. ``Q`` (rows ``q_j``) is any matrix, usually orthogonal (then f is a rotated
weighted l1 norm: G-Lipschitz with G = ||w||_2, sharp with modulus min_j w_j). Oracle: a
subgradient of f plus noise, ``g_t = Q^T (w * sign(Q (x_t - c))) + sigma xi_t`` with ``xi_t``
i.i.d., zero mean, unit variance per coordinate (Gaussian, or Student-t with 3 degrees of
freedom scaled by 1/sqrt(3): finite variance, infinite third moment). Update (the proximal
step on h, then the projection; for a separable box both together are exact)::

    x_{t+1} = clip((x_t - eta_t g_t + eta_t mu c) / (1 + eta_t mu), lo, hi)
            = argmin_{x in X} <g_t, x> + h(x) + ||x - x_t||^2 / (2 eta_t).

Random numbers come from a xoshiro256** generator seeded by splitmix64 (fast in numba, and
reproducible: :func:`draw_noise` replays the exact stream one replicate consumes).
"""
from __future__ import annotations

import math

import numba
import numpy as np
from scipy.stats import binom

GAUSSIAN, STUDENT_T3 = 0, 1
NOISES = {"gaussian": GAUSSIAN, "student_t3": STUDENT_T3}


@numba.njit(cache=True)
def _rotl(x: np.uint64, k: int) -> np.uint64:
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@numba.njit(cache=True)
def rng_state(seed: int) -> np.ndarray:
    """xoshiro256** state (4 uint64 words) from ``seed`` via splitmix64."""
    s = np.zeros(4, np.uint64)
    z = np.uint64(seed)
    for i in range(4):
        z = z + np.uint64(0x9E3779B97F4A7C15)
        y = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        y = (y ^ (y >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        s[i] = y ^ (y >> np.uint64(31))
    return s


@numba.njit(cache=True)
def _next(s: np.ndarray) -> np.uint64:
    r = _rotl(s[1] * np.uint64(5), np.int64(7)) * np.uint64(9)
    t = s[1] << np.uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], np.int64(45))
    return r


@numba.njit(cache=True)
def uniform01(s: np.ndarray) -> float:
    """Uniform on the open interval (0, 1) (53-bit midpoints)."""
    return (float(_next(s) >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True)
def fill_noise(s: np.ndarray, kind: int, out: np.ndarray) -> None:
    """``out[:] <-`` i.i.d. zero-mean unit-variance draws. Gaussian: Marsaglia's polar method
    (both normals of a pair used). Student-t_3 / sqrt(3) = Z1 / sqrt(Z2^2 - 2 log U), since
    Z2^2 - 2 log U ~ chi^2_3."""
    n, i = out.size, 0
    while i < n:
        u = 2.0 * uniform01(s) - 1.0
        v = 2.0 * uniform01(s) - 1.0
        q = u * u + v * v
        if q >= 1.0:
            continue
        f = math.sqrt(-2.0 * math.log(q) / q)
        if kind == GAUSSIAN:
            out[i] = u * f
            if i + 1 < n:
                out[i + 1] = v * f
            i += 2
        else:
            out[i] = u * f / math.sqrt((v * f) ** 2 - 2.0 * math.log(uniform01(s)))
            i += 1


@numba.njit(cache=True)
def draw_noise(seed: int, n: int, d: int, kind: int) -> np.ndarray:
    """The ``(n, d)`` unit-variance noise that :func:`sgd_polyhedral_mc` uses in its first
    ``n`` steps (over replicates, in order) when called with the same ``seed``."""
    s, out = rng_state(seed), np.empty((n, d))
    for t in range(n):
        fill_noise(s, kind, out[t])
    return out


@numba.njit(cache=True)
def polyhedral_value(Q: np.ndarray, w: np.ndarray, c: np.ndarray, mu: float,
                     x: np.ndarray) -> float:
    """F(x) - F* = sum_j w_j |q_j^T (x - c)| + mu/2 ||x - c||^2."""
    v = 0.0
    for j in range(Q.shape[0]):
        a = 0.0
        for i in range(x.size):
            a += Q[j, i] * (x[i] - c[i])
        v += w[j] * abs(a)
    r = x - c
    return v + 0.5 * mu * (r @ r)


@numba.njit(cache=True)
def _step(Q, w, c, mu, x, lo, hi, eta, xi, u):
    """One proximal-projected step in place; ``xi`` is the (already scaled) noise."""
    m, d = Q.shape
    for j in range(m):
        a = 0.0
        for i in range(d):
            a += Q[j, i] * (x[i] - c[i])
        u[j] = w[j] * (1.0 if a > 0.0 else (-1.0 if a < 0.0 else 0.0))
    for i in range(d):
        g = xi[i]
        for j in range(m):
            g += Q[j, i] * u[j]
        y = (x[i] - eta * g + eta * mu * c[i]) / (1.0 + eta * mu)
        x[i] = min(hi[i], max(lo[i], y))


@numba.njit(cache=True)
def sgd_polyhedral_path(Q: np.ndarray, w: np.ndarray, c: np.ndarray, mu: float,
                        x1: np.ndarray, lo: np.ndarray, hi: np.ndarray, steps: np.ndarray,
                        noise: np.ndarray) -> np.ndarray:
    """Iterates ``xs[t-1] = x_t``, t = 1..n+1, with step ``steps[t-1] = eta_t`` and noise
    ``noise[t-1] = sigma xi_t`` (shape ``(n, d)``); returns shape ``(n + 1, d)``."""
    n, d = noise.shape
    xs = np.empty((n + 1, d))
    x, u = x1.copy(), np.empty(Q.shape[0])
    xs[0] = x
    for t in range(n):
        _step(Q, w, c, mu, x, lo, hi, steps[t], noise[t], u)
        xs[t + 1] = x
    return xs


@numba.njit(cache=True)
def sgd_polyhedral_mc(Q: np.ndarray, w: np.ndarray, c: np.ndarray, mu: float, x1: np.ndarray,
                      lo: np.ndarray, hi: np.ndarray, steps: np.ndarray, report: np.ndarray,
                      sigma: float, kind: int, n_rep: int, seed: int) -> np.ndarray:
    """``n_rep`` independent runs of ``len(steps)`` steps from ``x1``; returns the gaps
    ``F(x_{T+1}) - F*`` after ``T = report[k]`` steps (``report`` increasing, in
    ``1..len(steps)``), shape ``(n_rep, len(report))``. Noise ``sigma * xi`` of type ``kind``."""
    m, d = Q.shape
    K = report.size
    out = np.empty((n_rep, K))
    u, xi, s = np.empty(m), np.empty(d), rng_state(seed)
    for r in range(n_rep):
        x, k = x1.copy(), 0
        for t in range(steps.size):
            fill_noise(s, kind, xi)
            for i in range(d):
                xi[i] *= sigma
            _step(Q, w, c, mu, x, lo, hi, steps[t], xi, u)
            while k < K and report[k] == t + 1:
                out[r, k] = polyhedral_value(Q, w, c, mu, x)
                k += 1
    return out


def order_stat_bounds(n: int, q: float, alpha: float) -> tuple[int, int]:
    """1-based ranks ``(l, u)`` of a one-sided distribution-free confidence bound for the
    ``q``-quantile ``Q_q = inf{x: P(X <= x) >= q}`` from ``n`` i.i.d. draws (any distribution):
    ``P(X_(l) > Q_q) <= alpha`` and ``P(X_(u) < Q_q) <= alpha``, since
    ``#{X_i <= Q_q} >= Bin(n, q)`` and ``#{X_i < Q_q} <= Bin(n, q)`` stochastically.
    ``l = 0`` (no lower bound: use 0 or -inf) or ``u = n + 1`` (no upper bound: +inf) when
    ``n`` is too small for ``alpha``."""
    k = np.arange(n + 2)
    upper_ok = np.nonzero(binom.sf(k - 1, n, q) <= alpha)[0]  # P(Bin >= k) <= alpha
    lower_ok = np.nonzero(binom.cdf(k - 1, n, q) <= alpha)[0]  # P(Bin <= k - 1) <= alpha
    u = int(upper_ok[0]) if upper_ok.size else n + 1
    lo = int(lower_ok[-1]) if lower_ok.size else 0
    return max(lo, 0), min(u, n + 1)


def quantile_slope_bounds(x: np.ndarray, samples: np.ndarray, q: float, alpha: float
                          ) -> tuple[float, float, float]:
    """Least-squares slope ``b`` of ``log Q_q(column k)`` on ``x_k`` (``samples`` of shape
    ``(n, K)``, positive, i.i.d. within a column) and confidence bounds ``b_lo <= b_hi``: the
    slope is ``sum_k c_k y_k`` with ``c_k = (x_k - mean x)/sum (x - mean x)^2``, so replacing
    each ``y_k`` by the log of its one-sided order-statistic bound (:func:`order_stat_bounds`
    at level ``alpha``) in the direction that raises (lowers) the slope gives ``b_hi`` (``b_lo``).
    ``P(true slope > b_hi) <= K alpha`` and likewise for ``b_lo`` (union bound). A missing bound
    makes its side infinite."""
    n, K = samples.shape
    x = np.asarray(x, float)
    cw = (x - x.mean()) / np.sum((x - x.mean()) ** 2)
    srt, (lo_rank, up_rank) = np.sort(samples, axis=0), order_stat_bounds(n, q, alpha)
    up = srt[up_rank - 1] if up_rank <= n else np.full(K, np.inf)
    lo = srt[lo_rank - 1] if lo_rank >= 1 else np.zeros(K)
    used = cw != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        b = float(cw @ np.log(np.quantile(samples, q, axis=0)))
        y_hi = np.where(cw > 0, np.log(up), np.log(lo))[used]
        y_lo = np.where(cw > 0, np.log(lo), np.log(up))[used]
    return b, float(cw[used] @ y_lo), float(cw[used] @ y_hi)
