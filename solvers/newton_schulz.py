"""Iterative Newton (Newton-Schulz) inversion and gradient descent for least squares.

For in-context linear regression with data ``X`` (n x d), labels ``y`` and ``S = X^T X``:

* Iterative Newton (Newton-Schulz) for ``S^{-1}``: ``M_{k+1} = M_k (2I - S M_k)`` from a
  given ``M_0``; the predictor after k steps is ``w_k = M_k X^T y``. Fu, Chen, Jia & Sharan's
  code (``LeastSquaresModelNewtonMethod.newton_inv``) starts from ``M_0 = alpha S`` with
  ``alpha = 1 / ||S S^T||_F`` (:func:`authors_alpha`). For every ``M_0`` (commuting with S or
  not) the residual squares: ``I - S M_{k+1} = (I - S M_k)^2``.
* Gradient descent on ``1/2 ||X w - y||^2`` with step ``eta`` from ``w_0 = 0``:
  ``w_{t+1} = w_t - eta (S w_t - X^T y)`` (the authors' ``LeastSquaresModelGradientDescent``).
  It is linear in ``X^T y``: ``w_t = P_t X^T y``, and :func:`gd_matrix` runs the same
  recursion on all right-hand sides at once, ``P_{t+1} = P_t - eta (S P_t - I)``, ``P_0 = 0``.

Plain functions on float64 numpy arrays; no imports from the repository.
"""
from __future__ import annotations

import numba
import numpy as np


def authors_alpha(S: np.ndarray) -> float:
    """``1 / ||S S^T||_F``: the authors' initial scale (``torch.linalg.norm`` of a matrix is
    the Frobenius norm), so ``M_0 = alpha S^T`` has ``alpha lambda_max(S)^2 <= 1``."""
    return 1.0 / float(np.linalg.norm(S @ S.T, "fro"))


@numba.njit(cache=True)
def newton_schulz(S: np.ndarray, M0: np.ndarray, n_steps: int) -> np.ndarray:
    """All iterates ``M_0..M_{n_steps}`` of ``M <- M (2I - S M) = 2M - M (S M)``: shape
    (n_steps+1, d, d)."""
    d = S.shape[0]
    out = np.empty((n_steps + 1, d, d))
    out[0] = M0
    # products into preallocated buffers: at d ~ 10 a temporary costs as much as the product
    SM, MSM = np.empty((d, d)), np.empty((d, d))
    for k in range(n_steps):
        M, nxt = out[k], out[k + 1]
        np.dot(S, M, SM)
        np.dot(M, SM, MSM)
        for i in range(d):
            for j in range(d):
                nxt[i, j] = 2.0 * M[i, j] - MSM[i, j]
    return out


@numba.njit(cache=True)
def gd_matrix(S: np.ndarray, eta: float, n_steps: int) -> np.ndarray:
    """All iterates ``P_0..P_{n_steps}`` of ``P <- P - eta (S P - I)`` from ``P_0 = 0``, i.e.
    GD on least squares for every right-hand side ``X^T y = e_j``: shape (n_steps+1, d, d)."""
    d = S.shape[0]
    out = np.zeros((n_steps + 1, d, d))
    SP = np.empty((d, d))
    for t in range(n_steps):
        P, nxt = out[t], out[t + 1]
        np.dot(S, P, SP)
        for i in range(d):
            for j in range(d):
                nxt[i, j] = P[i, j] - eta * (SP[i, j] - (1.0 if i == j else 0.0))
    return out


@numba.njit(cache=True)
def gd_least_squares(X: np.ndarray, y: np.ndarray, eta: float, n_steps: int) -> np.ndarray:
    """GD iterates ``w_0 = 0, .., w_{n_steps}`` of ``w <- w - eta X^T (X w - y)``: shape
    (n_steps+1, d)."""
    d = X.shape[1]
    out = np.zeros((n_steps + 1, d))
    w = np.zeros(d)
    for t in range(n_steps):
        w = w - eta * (X.T @ (X @ w - y))
        out[t + 1] = w
    return out
