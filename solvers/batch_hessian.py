r"""Largest eigenvalue of sampled mini-batch Hessians with a spiked population Hessian.

Two random-matrix models of the batch Hessian ``H_B`` of a loss with ``P`` parameters:

* least squares / Gauss-Newton (``LEAST_SQUARES``): the loss (1/2B) sum_i (x_i^T w - y_i)^2
  has, at every w, the batch Hessian

      H_B = X^T X / B,   rows x_i = Sigma^{1/2} z_i,   Sigma = I + (beta - 1) e_1 e_1^T,

  z_i with i.i.d. standardised entries (Gaussian or Rademacher), so E H_B = Sigma (the
  population Hessian: top eigenvalue beta, bulk 1). ``repeat = k > 1`` breaks the i.i.d.
  sampling of the batch: it holds B/k distinct draws, each repeated k times.
* additive spiked Wigner (``WIGNER``): H_B = beta e_1 e_1^T + W with W a GOE matrix of
  off-diagonal variance sigma^2/B (diagonal 2 sigma^2/B).

Two samplers. *Explicit*: draw the rows (or the GOE matrix), form the matrix, reduce it to
tridiagonal form by Householder reflections (numba loops, no BLAS threads).
*Tridiagonal* (Gaussian entries only; exact in distribution, O(P) memory): Householder
reductions that leave e_1 fixed commute with the spike, so (Dumitriu & Edelman 2002)

* Golub-Kahan bidiagonalisation of a Gaussian Z (B x P) starting from column 1 gives an upper
  bidiagonal L with independent a_i = chi_{B-i+1} (diagonal, i = 1..min(B, P)) and
  b_i = chi_{P-i} (superdiagonal); X = Z Sigma^{1/2} has the singular values of L with a_1
  scaled by sqrt(beta), and L L^T is tridiagonal: (a_i^2 + b_i^2, b_i a_{i+1});
* Householder tridiagonalisation of W = (G + G^T)/sqrt(2) from e_1 gives the diagonal
  N(0, 2) and off-diagonal chi_{P-1}, ..., chi_1, all independent; the spike adds beta to
  entry (1, 1).

The top eigenvalue of a symmetric tridiagonal matrix is found by Sturm-count bisection.
Random numbers come from the NumPy ``Generator`` passed in (numba consumes NumPy's stream).
"""
from __future__ import annotations

import numba
import numpy as np

LEAST_SQUARES, WIGNER = 0, 1
MODELS = {"least_squares": LEAST_SQUARES, "wigner": WIGNER}
GAUSSIAN, RADEMACHER = 0, 1
DESIGNS = {"gaussian": GAUSSIAN, "rademacher": RADEMACHER}


@numba.njit(cache=True)
def gram(X: np.ndarray) -> np.ndarray:
    """X^T X if B >= P else X X^T (the smaller Gram matrix; same nonzero spectrum), by BLAS
    (about 4x faster than scalar loops at P = 80), symmetrised exactly."""
    B, P = X.shape
    M = X.T @ X if B >= P else X @ X.T
    return 0.5 * (M + M.T)


@numba.njit(cache=True)
def householder_tridiagonal(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(d, e) of Q^T A Q tridiagonal (symmetric A, Householder reflectors acting on indices
    k+1..n-1 at step k, so Q e_1 = e_1); A is not modified."""
    T = A.copy()
    n = T.shape[0]
    e = np.zeros(max(n - 1, 0))
    for k in range(n - 2):
        x = T[k + 1:, k].copy()
        nx = np.sqrt(np.sum(x * x))
        if nx == 0.0:
            continue
        alpha = -nx if x[0] >= 0 else nx
        v = x
        v[0] -= alpha
        v /= np.sqrt(np.sum(v * v))
        S = T[k + 1:, k + 1:]
        p = np.zeros(len(v))
        for i in range(len(v)):
            acc = 0.0
            for j in range(len(v)):
                acc += S[i, j] * v[j]
            p[i] = acc
        K = np.sum(v * p)
        q = p - K * v
        for i in range(len(v)):
            for j in range(len(v)):
                S[i, j] -= 2.0 * (v[i] * q[j] + q[i] * v[j])
        e[k] = alpha
    if n >= 2:
        e[n - 2] = T[n - 1, n - 2]
    return np.diag(T).copy(), e


@numba.njit(cache=True)
def gram_lambda_max(X: np.ndarray) -> float:
    """lambda_max(X^T X / B) for X of shape (B, P)."""
    d, e = householder_tridiagonal(gram(X))
    return tridiag_lambda_max(d, e) / X.shape[0]


@numba.njit(cache=True)
def spiked_design(Z: np.ndarray, beta: float, repeat: int) -> np.ndarray:
    """Batch design X (B = repeat * len(Z) rows): rows Sigma^{1/2} z_j, each repeated
    ``repeat`` times consecutively; Sigma^{1/2} = I + (sqrt(beta) - 1) e_1 e_1^T."""
    m, P = Z.shape
    X = np.empty((m * repeat, P))
    s = np.sqrt(beta)
    for j in range(m):
        for k in range(repeat):
            X[j * repeat + k] = Z[j]
            X[j * repeat + k, 0] = s * Z[j, 0]
    return X


@numba.njit(cache=True)
def wigner_batch_hessian(G: np.ndarray, beta: float, sigma: float, B: int) -> np.ndarray:
    """beta e_1 e_1^T + sigma (G + G^T) / sqrt(2B): GOE with off-diagonal variance sigma^2/B."""
    H = (G + G.T) * (sigma / np.sqrt(2.0 * B))
    H[0, 0] += beta
    return H


@numba.njit(cache=True)
def sturm_count(d: np.ndarray, e: np.ndarray, x: float) -> int:
    """Number of eigenvalues < x of the symmetric tridiagonal (d, e) (LDL^T pivots)."""
    count, q = 0, d[0] - x
    for i in range(len(d)):
        if i > 0:
            q = d[i] - x - e[i - 1] * e[i - 1] / q
        if q == 0.0:
            q = -1e-300
        if q < 0.0:
            count += 1
    return count


@numba.njit(cache=True)
def tridiag_lambda_max(d: np.ndarray, e: np.ndarray) -> float:
    """Largest eigenvalue of the symmetric tridiagonal (d, e) by bisection from the
    Gershgorin interval, to relative accuracy ~ 4 eps."""
    n = len(d)
    lo, hi = d[0], d[0]
    for i in range(n):
        r = (abs(e[i - 1]) if i > 0 else 0.0) + (abs(e[i]) if i < n - 1 else 0.0)
        lo, hi = min(lo, d[i] - r), max(hi, d[i] + r)
    scale = max(abs(lo), abs(hi), 1e-300)
    while hi - lo > 4e-16 * scale:
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if sturm_count(d, e, mid) == n:
            hi = mid
        else:
            lo = mid
    return hi


@numba.njit(cache=True)
def wishart_tridiagonal(gen: np.random.Generator, P: int, B: int, beta: float
                        ) -> tuple[np.ndarray, np.ndarray]:
    """(d, e) of L L^T / B, L the Golub-Kahan bidiagonal of Z Sigma^{1/2}, Z ~ N(0,1)^{B x P}."""
    n = min(B, P)
    a, b = np.empty(n), np.zeros(n)
    for i in range(n):
        a[i] = np.sqrt(gen.chisquare(float(B - i)))
        if P - 1 - i > 0:
            b[i] = np.sqrt(gen.chisquare(float(P - 1 - i)))
    a[0] *= np.sqrt(beta)
    d = (a * a + b * b) / B
    e = b[:n - 1] * a[1:] / B
    return d, e


@numba.njit(cache=True)
def goe_tridiagonal(gen: np.random.Generator, P: int, B: int, beta: float, sigma: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(d, e) of the Householder tridiagonal form of beta e_1 e_1^T + sigma W/sqrt(B)."""
    s = sigma / np.sqrt(B)
    d, e = np.empty(P), np.empty(max(P - 1, 0))
    for i in range(P):
        d[i] = s * np.sqrt(2.0) * gen.standard_normal()
        if i < P - 1:
            e[i] = s * np.sqrt(gen.chisquare(float(P - 1 - i)))
    d[0] += beta
    return d, e


@numba.njit(cache=True)
def sample_lambda_max(gen: np.random.Generator, P: int, B: int, beta: float, sigma: float,
                      R: int, model: int, design: int, repeat: int, tridiagonal: bool
                      ) -> np.ndarray:
    """Top eigenvalues of ``R`` independent batch Hessians (see module docstring). The
    tridiagonal sampler needs Gaussian entries and repeat = 1; ``B`` must be a multiple of
    ``repeat``."""
    out = np.empty(R)
    for r in range(R):
        if model == LEAST_SQUARES and tridiagonal:
            d, e = wishart_tridiagonal(gen, P, B, beta)
            out[r] = tridiag_lambda_max(d, e)
        elif model == LEAST_SQUARES:
            m = B // repeat
            if design == GAUSSIAN:
                Z = gen.standard_normal((m, P))
            else:
                Z = np.where(gen.random((m, P)) < 0.5, -1.0, 1.0)
            out[r] = gram_lambda_max(spiked_design(Z, beta, repeat))
        elif tridiagonal:
            d, e = goe_tridiagonal(gen, P, B, beta, sigma)
            out[r] = tridiag_lambda_max(d, e)
        else:
            d, e = householder_tridiagonal(wigner_batch_hessian(
                gen.standard_normal((P, P)), beta, sigma, B))
            out[r] = tridiag_lambda_max(d, e)
    return out


def tracy_widom_scale(model: int, P: int, B: int, sigma: float = 1.0) -> float:
    """Fluctuation scale of the top bulk eigenvalue (Tracy-Widom units): real Wishart
    (sqrt B + sqrt P)(1/sqrt B + 1/sqrt P)^{1/3}/B (Johnstone 2001, with n = B);
    GOE with entry variance sigma^2/B: sigma P^{-1/6}/sqrt B."""
    if model == LEAST_SQUARES:
        a = np.sqrt(B) + np.sqrt(P)
        return float(a * (1 / np.sqrt(B) + 1 / np.sqrt(P)) ** (1 / 3) / B)
    return float(sigma * P ** (-1 / 6) / np.sqrt(B))
