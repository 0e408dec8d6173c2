"""Online adaptive gradient methods (SGD, AdaGrad, Adam, AMSGrad) on a box, in the generic
framework of Reddi, Kale & Kumar (2018), Algorithm 1, with per-coordinate (diagonal) scaling.

Rounds ``t = 1..T``; ``g_t`` is the gradient revealed at round ``t`` (given in advance: online
*linear* optimisation, or any oblivious adversary whose gradients do not depend on ``x``)::

    beta1_t = beta1 * lam**(t-1)                     (lam = 1: constant beta1)
    m_t     = beta1_t m_{t-1} + (1 - beta1_t) g_t    (m_0 = 0)
    v_t     = beta2 v_{t-1} + (1 - beta2) g_t**2     (v_0 = 0)
    d_t     = sqrt(v_t)                  ADAM     (no bias correction)
              sqrt(max_{s<=t} v_s)       AMSGRAD  (vhat_t = max(vhat_{t-1}, v_t))
              sqrt(sum_{s<=t} g_s**2 / t) ADAGRAD (alpha/sqrt(t) steps give alpha g/sqrt(sum g^2))
              1                          SGD      (direction m_t; beta1 = 0 gives plain SGD)
    alpha_t = alpha / t**step_power
    x_{t+1} = clip(x_t - alpha_t m_t / (d_t + eps), lo, hi)

The projection in the weighted norm ``||.||_{sqrt(V_t)}`` onto a box is the coordinate-wise
clip, for any positive diagonal weights. A coordinate whose denominator ``d_t + eps`` is 0
(only when every gradient so far is 0 there and ``eps = 0``) is left unchanged.
"""
from __future__ import annotations

import math

import numba
import numpy as np

SGD, ADAGRAD, ADAM, AMSGRAD = 0, 1, 2, 3
METHODS = {"sgd": SGD, "adagrad": ADAGRAD, "adam": ADAM, "amsgrad": AMSGRAD}


@numba.njit(cache=True)
def adaptive_online(grads: np.ndarray, x1: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                    alpha: float, beta1: float, beta2: float, method: int,
                    step_power: float, eps: float, lam: float) -> np.ndarray:
    """Iterates of the method on gradients ``grads`` (shape ``(T, d)``, row ``t-1`` = g_t).

    Returns ``xs`` of shape ``(T + 1, d)`` with ``xs[t-1] = x_t`` (the point played at round
    ``t``) and ``xs[T] = x_{T+1}``; ``x1``, ``lo``, ``hi`` have shape ``(d,)``.
    """
    T, d = grads.shape
    xs = np.empty((T + 1, d))
    x = x1.copy()
    m = np.zeros(d)
    v = np.zeros(d)
    vhat = np.zeros(d)
    gsq = np.zeros(d)
    xs[0] = x
    for t in range(1, T + 1):
        b1 = beta1 * lam ** (t - 1)
        a_t = alpha / t ** step_power
        for i in range(d):
            g = grads[t - 1, i]
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            gsq[i] += g * g
            if v[i] > vhat[i]:
                vhat[i] = v[i]
            if method == ADAM:
                den = math.sqrt(v[i]) + eps
            elif method == AMSGRAD:
                den = math.sqrt(vhat[i]) + eps
            elif method == ADAGRAD:
                den = math.sqrt(gsq[i] / t) + eps
            else:
                den = 1.0
            if den > 0.0:
                y = x[i] - a_t * m[i] / den
                x[i] = min(hi[i], max(lo[i], y))
        xs[t] = x
    return xs


@numba.njit(cache=True)
def linear_regret(grads: np.ndarray, xs: np.ndarray, lo: np.ndarray, hi: np.ndarray
                  ) -> np.ndarray:
    """Regret of the played points against the best fixed point of the box, for linear losses
    ``f_t(x) = <g_t, x>``: ``R_t = sum_{s<=t} <g_s, x_s> - min_{lo<=x<=hi} <S_t, x>`` with
    ``S_t = sum_{s<=t} g_s`` and ``min = sum_i min(lo_i S_ti, hi_i S_ti)``.
    Returns ``R`` of shape ``(T,)`` with ``R[t-1] = R_t``."""
    T, d = grads.shape
    out = np.empty(T)
    s = np.zeros(d)
    loss = 0.0
    for t in range(T):
        best = 0.0
        for i in range(d):
            loss += grads[t, i] * xs[t, i]
            s[i] += grads[t, i]
            best += min(lo[i] * s[i], hi[i] * s[i])
        out[t] = loss - best
    return out


def periodic_linear_grads(C: float, T: int, period: int = 3) -> np.ndarray:
    """Gradients of Reddi et al.'s counterexample: ``f_t(x) = C x`` if ``t mod period == 1``
    else ``-x`` (rounds ``t = 1..T``, ``period >= 2``). Returns shape ``(T, 1)``."""
    t = np.arange(1, T + 1)
    return np.where(t % period == 1, float(C), -1.0)[:, None]
