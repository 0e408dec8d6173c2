r"""Piecewise-linear RNNs under generalized teacher forcing (GTF) and their Jacobian products.

Shallow PLRNN (shPLRNN; Hess et al. 2023, authors' code ``src/models/shallow_plrnn.jl``)::

    F(z) = A * z + W1 relu(W2 z + h2) + h1,      A diagonal (stored as a vector),
    J(z) = dF/dz = diag(A) + W1 diag(d(z)) W2,   d_i(z) = 1[(W2 z + h2)_i > 0].

GTF (authors' code ``src/tf_training/forcing.jl``, full forcing D = M): with forcing signals
``x_0, ..., x_T`` (rows of ``X``) and ``0 <= alpha <= 1``::

    z~_0 = x_0,    z~_t = (1 - alpha) F(z~_{t-1}) + alpha x_t      (t = 1..T),

so ``dz~_t/dz~_{t-1} = (1 - alpha) J(z~_{t-1})`` and the Jacobian product over a window is
``P_{t,s} = dz~_t/dz~_s = prod_{k=s+1}^{t} (1 - alpha) J(z~_{k-1})`` (later factors on the left).
Since every ``J(z)`` equals ``diag(A) + W1 diag(m) W2`` for a 0/1 mask ``m``, the maximum over a
set of masks that contains every realisable one bounds ``sup_z ||J(z)||_2``.

The Lozi map ``(x, y) -> (1 + y - a|x|, b x)`` is the shPLRNN with ``A = 0``, hidden units
``relu(+-x), relu(+-y)`` (|x| = relu(x) + relu(-x), y = relu(y) - relu(-y)): see
:func:`lozi_shplrnn`.
"""
from __future__ import annotations

import math

import numba
import numpy as np

from solvers.small_linalg import spectral_norm_small_ws


@numba.njit(cache=True)
def shplrnn_step(A: np.ndarray, W1: np.ndarray, W2: np.ndarray, h1: np.ndarray,
                 h2: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``F(z) = A * z + W1 relu(W2 z + h2) + h1``."""
    return A * z + W1 @ np.maximum(W2 @ z + h2, 0.0) + h1


@numba.njit(cache=True)
def shplrnn_jacobian(A: np.ndarray, W1: np.ndarray, W2: np.ndarray, h2: np.ndarray,
                     z: np.ndarray) -> np.ndarray:
    """``J(z) = diag(A) + W1 diag(1[W2 z + h2 > 0]) W2`` (the convention of the authors' code)."""
    out = np.empty((A.shape[0], A.shape[0]))
    _jacobian_into(A, W1, W2, h2, z, np.float64(1.0), np.empty(W2.shape[0]), out)
    return out


@numba.njit(cache=True)
def _jacobian_into(A: np.ndarray, W1: np.ndarray, W2: np.ndarray, h2: np.ndarray,
                   z: np.ndarray, factor: float, mask: np.ndarray, out: np.ndarray) -> None:
    """``out = factor * J(z)`` in place; ``mask`` (length H) is overwritten with the ReLU
    pattern ``1[W2 z + h2 > 0]``. Loops that need many Jacobians allocate nothing per step."""
    for h in range(W2.shape[0]):
        pre = 0.0
        for j in range(z.shape[0]):
            pre += W2[h, j] * z[j]
        mask[h] = 1.0 if pre + h2[h] > 0.0 else 0.0
    _masked_jacobian(A, W1, W2, mask, factor, out)


@numba.njit(cache=True)
def gtf_forward(A: np.ndarray, W1: np.ndarray, W2: np.ndarray, h1: np.ndarray,
                h2: np.ndarray, X: np.ndarray, alpha: float) -> np.ndarray:
    """GTF states ``Z[t] = z~_t`` for ``t = 0..T`` (``X`` has shape ``(T+1, M)``)."""
    n, M = X.shape
    Z = np.empty((n, M))
    Z[0] = X[0]
    for t in range(1, n):
        Z[t] = (1.0 - alpha) * shplrnn_step(A, W1, W2, h1, h2, Z[t - 1]) + alpha * X[t]
    return Z


@numba.njit(cache=True)
def _masked_jacobian(A: np.ndarray, W1: np.ndarray, W2: np.ndarray, m: np.ndarray,
                     factor: float, out: np.ndarray) -> None:
    """``out = factor * (diag(A) + W1 diag(m) W2)`` written in place (``m`` a 0/1 mask)."""
    M, H = W1.shape
    for i in range(M):
        for j in range(M):
            acc = 0.0
            for h in range(H):
                if m[h] != 0.0:  # half the units are off on average: skip their exact zeros
                    acc += (W1[i, h] * m[h]) * W2[h, j]
            if i == j:
                acc = A[i] + acc
            out[i, j] = factor * acc


@numba.njit(cache=True)
def gtf_product_norms(A: np.ndarray, W1: np.ndarray, W2: np.ndarray, h1: np.ndarray,
                      h2: np.ndarray, X: np.ndarray, alpha: float, max_lag: np.ndarray
                      ) -> np.ndarray:
    """Worst Jacobian-product norm per lag along the GTF trajectory driven by ``X``.

    ``out[L-1] = max ||P_{s+L,s}||_2`` over the start times ``s`` with ``L <= max_lag[s]``
    (``max_lag`` has length ``T``; entries with no window are -1). Products are renormalised
    (their log-scale carried separately), so only a norm beyond ~1e308 overflows (to +inf)
    and only one below ~1e-308 underflows (to 0). Norms by
    :func:`solvers.small_linalg.spectral_norm_small_ws` (within ~1e-15 of LAPACK's SVD).
    """
    Z = gtf_forward(A, W1, W2, h1, h2, X, alpha)
    T, M = X.shape[0] - 1, X.shape[1]
    H = W2.shape[0]
    G = np.empty((T, M, M))
    d = np.empty(H)
    for k in range(1, T + 1):
        _jacobian_into(A, W1, W2, h2, Z[k - 1], 1.0 - alpha, d, G[k - 1])
    # the product and its successor alternate between two buffers, and the norm kernel gets a
    # workspace: the inner loop runs ~T * max_lag times and allocates nothing
    P = np.empty((M, M))
    Q = np.empty((M, M))
    S = np.empty((M, M))
    out = np.full(T, -1.0)
    for s in range(T):
        P[:, :] = 0.0
        for i in range(M):
            P[i, i] = 1.0
        logc = 0.0
        for L in range(1, min(max_lag[s], T - s) + 1):
            Gk = G[s + L - 1]
            for i in range(M):
                for j in range(M):
                    acc = 0.0
                    for r in range(M):
                        acc += Gk[i, r] * P[r, j]
                    Q[i, j] = acc
            P, Q = Q, P
            nrm = spectral_norm_small_ws(P, S)
            val = math.exp(logc + math.log(nrm)) if nrm > 0.0 else 0.0
            if val > out[L - 1]:
                out[L - 1] = val
            if nrm > 1e100 or 0.0 < nrm < 1e-100:
                for i in range(M):
                    for j in range(M):
                        P[i, j] /= nrm
                logc += math.log(nrm)
    return out


@numba.njit(cache=True)
def mask_norm_bound(A: np.ndarray, W1: np.ndarray, W2: np.ndarray, masks: np.ndarray) -> float:
    """``max_k ||diag(A) + W1 diag(masks[k]) W2||_2`` over the rows of ``masks`` (K, H); norms
    by :func:`solvers.small_linalg.spectral_norm_small_ws` (within ~1e-15 of LAPACK's SVD)."""
    M = A.shape[0]
    J = np.empty((M, M))
    S = np.empty((M, M))
    best = 0.0
    for k in range(masks.shape[0]):
        _masked_jacobian(A, W1, W2, masks[k], np.float64(1.0), J)
        nrm = spectral_norm_small_ws(J, S)
        if nrm > best:
            best = nrm
    return best


def all_masks(H: int) -> np.ndarray:
    """All ``2**H`` 0/1 masks, shape ``(2**H, H)``."""
    return ((np.arange(2**H)[:, None] >> np.arange(H)[None, :]) & 1).astype(np.float64)


def code_norm_bound(A: np.ndarray, W1: np.ndarray, W2: np.ndarray) -> float:
    """The authors' cheap bound ``max|A| + ||W1||_2 ||W2||_2`` (``norm_upper_bound``)."""
    return float(np.max(np.abs(A)) + np.linalg.norm(W1, 2) * np.linalg.norm(W2, 2))


def lozi_shplrnn(a: float, b: float) -> tuple[np.ndarray, ...]:
    """``(A, W1, W2, h1, h2)`` of the shPLRNN equal to the Lozi map; with :data:`LOZI_MASKS`
    (one unit of each +- pair active) ``J = [[-+a, 1], [b, 0]]``."""
    W1 = np.array([[-a, -a, 1.0, -1.0], [b, -b, 0.0, 0.0]])
    W2 = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    return np.zeros(2), W1, W2, np.array([1.0, 0.0]), np.zeros(4)


LOZI_MASKS = np.array([[1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0],
                       [0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]])


@numba.njit(cache=True)
def lozi_orbit(a: float, b: float, x0: float, y0: float, n: int) -> np.ndarray:
    """``n`` points of the Lozi map orbit from ``(x0, y0)``, shape ``(n, 2)``."""
    out = np.empty((n, 2))
    x, y = x0, y0
    for t in range(n):
        out[t, 0], out[t, 1] = x, y
        x, y = 1.0 + y - a * abs(x), b * x
    return out


@numba.njit(cache=True)
def max_lyapunov(A: np.ndarray, W1: np.ndarray, W2: np.ndarray, h1: np.ndarray,
                 h2: np.ndarray, z0: np.ndarray, n: int, burn: int) -> float:
    """Largest Lyapunov exponent of the free-running shPLRNN from ``z0`` (tangent vector
    renormalised every step, ``burn`` transient steps discarded); ``nan`` if the orbit
    leaves 1e8."""
    z = z0.copy()
    v = np.ones(z.shape[0]) / math.sqrt(z.shape[0])
    acc = 0.0
    for t in range(burn + n):
        v = shplrnn_jacobian(A, W1, W2, h2, z) @ v
        z = shplrnn_step(A, W1, W2, h1, h2, z)
        nv = np.linalg.norm(v)
        if nv == 0.0 or np.max(np.abs(z)) > 1e8:
            return -np.inf if nv == 0.0 else np.nan
        v /= nv
        if t >= burn:
            acc += math.log(nv)
    return acc / n
