r"""Perceptron-type methods and logistic regression with gradient descent on labelled data.

Data: rows ``a_i`` of ``A`` (shape ``(n, d)``), labels ``y_i`` in {-1, +1}; write
``z_i = y_i a_i`` and ``m_i(theta) = y_i a_i^T theta``. A point ``theta`` *separates* the data
(solves problem (1) of Tyurin 2024) when ``min_i m_i(theta) > 0``. Every method starts at
``theta_0 = 0`` (which never separates). With ``sigma(u) = 1/(1 + e^{-u})``:

* LR+GD: gradient descent with step ``gamma`` on ``f(theta) = 1/n sum_i log(1 + e^{-m_i})``,
  ``theta_{t+1} = theta_t + gamma/n sum_i sigma(-m_i(theta_t)) z_i``.
* Normalized LR+GD: ``theta_{t+1} = theta_t - gamma beta_t grad f(theta_t)`` with
  ``beta_t = (1/n sum_i sigma(-m_i))^{-1}``, i.e. ``theta_{t+1} = theta_t + gamma sum_i p_i z_i``
  with convex weights ``p = softmax(-softplus(m))`` (``log sigma(-m) = -softplus(m)``; computed
  in the log domain, so no 0/0 once every ``sigma(-m_i)`` underflows).
* Batch Perceptron: ``theta_1 = 1/(2n) sum_i z_i``; for ``t >= 1``,
  ``S_t = {i : m_i(theta_t) <= 0}``, ``theta_{t+1} = theta_t + 1/n sum_{i in S_t} z_i``.
* Normalized Batch Perceptron: for ``t >= 0``,
  ``theta_{t+1} = theta_t + 1/|S_t| sum_{i in S_t} z_i`` (at ``t = 0`` all margins are 0,
  so ``theta_1 = mean_i z_i``).

Both perceptrons stop (stay constant) once ``S_t`` is empty. Path functions return the
iterates ``theta_0..theta_T`` as a ``(T+1, d)`` array; count functions return the first
``t <= max_iter`` with ``theta_t`` separating, or ``max_iter + 1`` when there is none (read
"more than max_iter"). The sigmoid is evaluated without overflow for any argument.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def sigmoid_neg(u: float) -> float:
    """``sigma(-u) = 1/(1 + e^u)``, overflow-free for every float ``u``."""
    if u >= 0.0:
        e = np.exp(-u)
        return e / (1.0 + e)
    return 1.0 / (1.0 + np.exp(u))


@numba.njit(cache=True)
def _lr_direction(Z: np.ndarray, theta: np.ndarray, normalized: bool) -> np.ndarray:
    """``1/n sum_i sigma(-m_i) z_i`` (LR+GD) or ``sum_i p_i z_i``, ``p = softmax(-softplus(m))``."""
    n = Z.shape[0]
    m = Z @ theta
    w = np.empty(n)
    if normalized:
        for i in range(n):  # log sigma(-m_i) = -(max(m_i, 0) + log1p(e^{-|m_i|}))
            w[i] = -(max(m[i], 0.0) + np.log1p(np.exp(-abs(m[i]))))
        w = np.exp(w - w.max())
        w /= w.sum()
    else:
        for i in range(n):
            w[i] = sigmoid_neg(m[i]) / n
    return Z.T @ w


@numba.njit(cache=True)
def _perceptron_direction(Z: np.ndarray, theta: np.ndarray, t: int, normalized: bool
                          ) -> np.ndarray:
    """``c sum_{i in S_t} z_i`` with ``c = 1/|S_t|`` (normalized), ``1/(2n)`` at ``t = 0``
    (Batch Perceptron's half first step, where ``S_0 = [n]``) or ``1/n``; 0 if ``S_t`` empty."""
    n, d = Z.shape
    m = Z @ theta
    step = np.zeros(d)
    k = 0
    for i in range(n):
        if m[i] <= 0.0:
            step += Z[i]
            k += 1
    if k == 0:
        return step
    if normalized:
        return step / k
    if t == 0:
        return step / (2.0 * n)
    return step / n


@numba.njit(cache=True)
def _separates(Z: np.ndarray, theta: np.ndarray) -> bool:
    return (Z @ theta).min() > 0.0


@numba.njit(cache=True)
def lr_gd(A: np.ndarray, y: np.ndarray, gamma: float, n_steps: int,
          normalized: bool) -> np.ndarray:
    """Iterates ``theta_0 = 0, ..., theta_{n_steps}`` of (Normalized) LR+GD with step ``gamma``."""
    Z = A * y[:, None]
    out = np.zeros((n_steps + 1, A.shape[1]))
    for t in range(n_steps):
        out[t + 1] = out[t] + gamma * _lr_direction(Z, out[t], normalized)
    return out


@numba.njit(cache=True)
def lr_gd_count(A: np.ndarray, y: np.ndarray, gamma: float, max_iter: int,
                normalized: bool) -> int:
    """First ``t`` with ``theta_t`` of (Normalized) LR+GD separating, else ``max_iter + 1``."""
    Z = A * y[:, None]
    theta = np.zeros(A.shape[1])
    for t in range(max_iter + 1):
        if _separates(Z, theta):
            return t
        theta = theta + gamma * _lr_direction(Z, theta, normalized)
    return max_iter + 1


@numba.njit(cache=True)
def batch_perceptron(A: np.ndarray, y: np.ndarray, n_steps: int,
                     normalized: bool) -> np.ndarray:
    """Iterates ``theta_0 = 0, ..., theta_{n_steps}`` of (Normalized) Batch Perceptron
    (constant after the first separating iterate)."""
    Z = A * y[:, None]
    out = np.zeros((n_steps + 1, A.shape[1]))
    for t in range(n_steps):
        out[t + 1] = out[t] + _perceptron_direction(Z, out[t], t, normalized)
    return out


@numba.njit(cache=True)
def perceptron_count(A: np.ndarray, y: np.ndarray, max_iter: int,
                     normalized: bool) -> int:
    """First ``t`` with ``theta_t`` of (Normalized) Batch Perceptron separating, else
    ``max_iter + 1``."""
    Z = A * y[:, None]
    theta = np.zeros(A.shape[1])
    for t in range(max_iter + 1):
        if _separates(Z, theta):
            return t
        theta = theta + _perceptron_direction(Z, theta, t, normalized)
    return max_iter + 1
