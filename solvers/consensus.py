r"""Consensus points of consensus-based optimisation (CBO) by deterministic quadrature.

The CBO consensus point of a probability measure rho for an objective f and weight alpha > 0 is

    v_alpha[rho] = int y exp(-alpha f(y)) drho(y) / int exp(-alpha f(y)) drho(y)

(the Laplace-principle proxy of argmin f; empirical version: weights exp(-alpha f(Y_i)) on
particles Y_i). For rho = N(x, sigma^2 I) the integrand is exp(-G(y)) with
G(y) = alpha f(y) + |y - x|^2 / (2 sigma^2), so

* ``consensus_point_poly1d``: 1-D, f a polynomial (``numpy.polyval`` order, highest degree
  first), trapezoid rule in log-sum-exp form on a grid: a coarse pass over [lo, hi] finds the
  set {G - min G <= cut}, a fine pass integrates over that set (plus two coarse cells). The
  integrand is analytic and decays like exp(-cut) at the ends, so the rule converges
  geometrically in the number of points per standard deviation of exp(-G).
* ``consensus_point_quadratic``: f(y) = 1/2 y^T Q y + b^T y, Q symmetric: in the eigenbasis
  Q = U diag(lam) U^T the isotropic Gaussian stays isotropic and f is separable, so v is
  U times the 1-D consensus points of 1/2 lam_i z^2 + (U^T b)_i z at (U^T x)_i.
* ``consensus_point_samples``: the empirical consensus point of particles (what CBO computes).
* ``consensus_hopping_poly1d``: the consensus hopping scheme x_{k+1} = v_alpha[N(x_k, sigma^2)]
  evaluated by quadrature (the mean-field limit of sampling N particles around x_k).

Plain functions on float64 arrays; no imports from the repository.
"""
from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True)
def polyval(coef: np.ndarray, y: float) -> float:
    """Horner evaluation of ``sum_k coef[k] y^(n-1-k)`` (``numpy.polyval`` order)."""
    s = 0.0
    for k in range(coef.shape[0]):
        s = s * y + coef[k]
    return s


@numba.njit(cache=True)
def _log_integrand(coef: np.ndarray, x: float, sigma: float, alpha: float, lo: float,
                   hi: float, n: int) -> tuple[np.ndarray, float, int, float]:
    """G on the grid lo + i h, i = 0..n-1; returns (G, min G, argmin, h)."""
    h = (hi - lo) / (n - 1)
    g = np.empty(n)
    gmin, imin = np.inf, 0
    for i in range(n):
        y = lo + i * h
        u = (y - x) / sigma
        g[i] = alpha * polyval(coef, y) + 0.5 * u * u
        if g[i] < gmin:
            gmin, imin = g[i], i
    return g, gmin, imin, h


@numba.njit(cache=True)
def _trapezoid_mean(g: np.ndarray, gmin: float, imin: int, lo: float, h: float) -> float:
    """Trapezoid-rule mean of exp(-(G - min G)), accumulated relative to the grid argmin."""
    n = g.shape[0]
    s0, s1 = 0.0, 0.0
    for i in range(n):
        w = math.exp(gmin - g[i])
        if i == 0 or i == n - 1:
            w *= 0.5
        s0 += w
        s1 += w * (i - imin) * h
    return lo + imin * h + s1 / s0


@numba.njit(cache=True)
def consensus_point_poly1d(coef: np.ndarray, x: float, sigma: float, alpha: float, lo: float,
                           hi: float, n_coarse: int = 1 << 17, n_fine: int = 1 << 16,
                           cut: float = 60.0) -> tuple[float, float]:
    """v_alpha[N(x, sigma^2)] for the polynomial f = polyval(coef, .) by two-pass quadrature.

    Returns ``(v, edge)``: the consensus point and ``min(G(a), G(b)) - min G`` at the ends of
    the fine interval [a, b] (``>= cut`` unless the mass reaches lo or hi: then the caller's
    box was too small and the result is truncated)."""
    g, gmin, imin, h = _log_integrand(coef, x, sigma, alpha, lo, hi, n_coarse)
    i0, i1 = n_coarse - 1, 0
    for i in range(n_coarse):
        if g[i] - gmin <= cut:
            i0 = min(i0, i)
            i1 = max(i1, i)
    a = lo + max(i0 - 2, 0) * h
    b = lo + min(i1 + 2, n_coarse - 1) * h
    g2, gmin2, imin2, h2 = _log_integrand(coef, x, sigma, alpha, a, b, n_fine)
    v = _trapezoid_mean(g2, gmin2, imin2, a, h2)
    return v, min(g2[0], g2[n_fine - 1]) - gmin2


@numba.njit(cache=True)
def consensus_point_quadratic(Q: np.ndarray, b: np.ndarray, x: np.ndarray, sigma: float,
                              alpha: float, halfwidth: float) -> tuple[np.ndarray, float]:
    """v_alpha[N(x, sigma^2 I)] for f(y) = 1/2 y^T Q y + b^T y (Q symmetric, alpha Q +
    I/sigma^2 positive definite) via the eigenbasis of Q and 1-D quadrature on
    [(U^T x)_i - halfwidth, (U^T x)_i + halfwidth]. Returns ``(v, min edge)``."""
    lam, U = np.linalg.eigh(Q)
    z, beta = U.T @ x, U.T @ b
    out, edge = np.empty_like(z), np.inf
    for i in range(z.shape[0]):
        coef = np.array([0.5 * lam[i], beta[i], 0.0])
        # np.int64(...): a bare constant would be typed Literal and compile another copy
        out[i], e = consensus_point_poly1d(coef, z[i], sigma, alpha, z[i] - halfwidth,
                                           z[i] + halfwidth, np.int64(1 << 17),
                                           np.int64(1 << 16), 60.0)
        edge = min(edge, e)
    return U @ out, edge


@numba.njit(cache=True)
def consensus_point_samples(Y: np.ndarray, fY: np.ndarray, alpha: float) -> np.ndarray:
    """Empirical consensus point sum_i Y_i w_i / sum_i w_i, w_i = exp(-alpha (f(Y_i) - min f))
    for particles ``Y`` of shape (N, d) with values ``fY`` (shifted by min f for stability)."""
    fmin = fY.min()
    w = np.exp(-alpha * (fY - fmin))
    out = np.zeros(Y.shape[1])
    for i in range(Y.shape[0]):
        out += w[i] * Y[i]
    return out / w.sum()


@numba.njit(cache=True)
def consensus_hopping_poly1d(coef: np.ndarray, x0: float, sigma: float, alpha: float,
                             n_steps: int, lo: float, hi: float) -> np.ndarray:
    """Mean-field consensus hopping x_{k+1} = v_alpha[N(x_k, sigma^2)], k < n_steps (quadrature
    on [lo, hi]); returns the n_steps + 1 iterates."""
    xs = np.empty(n_steps + 1)
    xs[0] = x0
    for k in range(n_steps):
        xs[k + 1] = consensus_point_poly1d(coef, xs[k], sigma, alpha, lo, hi, np.int64(1 << 17),
                                           np.int64(1 << 16), 60.0)[0]
    return xs
