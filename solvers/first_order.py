"""Reference first-order solvers: fixed-step gradient descent on three smooth convex families.

Every GD solver runs ``x_{k+1} = x_k - eta * grad f(x_k)`` for ``n_steps`` steps from ``x1``
and returns ``(fvals, x)``: ``fvals[k] = f(x after k steps)`` for ``k = 0..n_steps`` (so
``fvals`` has ``n_steps + 1`` entries and ``fvals[0] = f(x1)``; in the indexing of Bubeck's
monograph, where ``x_1`` is the start, ``fvals[t-1] = f(x_t)``) and ``x`` the final iterate.

Families (each convex; its smoothness constant is stated with it):

* quadratic ``f(x) = 1/2 x^T Q x - b^T x`` with ``Q`` symmetric PSD: beta = lambda_max(Q);
  ``grad f = Q x - b``.
* separable Huber ``f(x) = sum_i w_i H_{delta_i}(x_i - c_i)`` with
  ``H_d(u) = u^2/2`` for ``|u| <= d`` and ``d |u| - d^2/2`` otherwise: beta = max_i w_i,
  minimum 0 at ``c``. In 1-D, ``w = beta`` and ``delta = R/(2N+1)`` from ``x1 = c + R`` it is
  the Drori-Teboulle worst case of N steps of GD with step 1/beta.
* mean logistic loss ``f(w) = 1/n sum_i log(1 + exp(-y_i a_i^T w))`` with labels ``y_i`` in
  {-1, +1}: beta = ||A||_2^2 / (4 n); ``grad f = -1/n A^T (y * sigmoid(-y * A w))``.

``newton_logistic`` finds the logistic minimiser (damped Newton with backtracking).
Plain functions on float64 numpy arrays; no imports from the repository.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def quadratic_value(Q: np.ndarray, b: np.ndarray, x: np.ndarray) -> float:
    """``1/2 x^T Q x - b^T x``."""
    return 0.5 * (x @ (Q @ x)) - b @ x


@numba.njit(cache=True)
def gd_quadratic(Q: np.ndarray, b: np.ndarray, x1: np.ndarray, eta: float,
                 n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """GD on ``1/2 x^T Q x - b^T x``: ``x <- x - eta (Q x - b)``. Returns ``(fvals, x)``.

    One matrix-vector product per step serves both ``f(x_k)`` and ``grad f(x_k)``; products
    and updates go into preallocated buffers (``out=`` forms, the same numpy code interpreted),
    since at d ~ 50 a temporary costs a fifth of the step."""
    x = x1.copy()
    Qx, step = np.empty_like(x), np.empty_like(x)
    fvals = np.empty(n_steps + 1)
    np.dot(Q, x, Qx)
    for k in range(n_steps):
        fvals[k] = 0.5 * (x @ Qx) - b @ x
        np.subtract(Qx, b, step)
        step *= eta
        x -= step
        np.dot(Q, x, Qx)
    fvals[n_steps] = 0.5 * (x @ Qx) - b @ x
    return fvals, x


@numba.njit(cache=True)
def heavy_ball_quadratic(Q: np.ndarray, b: np.ndarray, x1: np.ndarray, eta: float,
                         momentum: float, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Polyak's heavy ball on ``1/2 x^T Q x - b^T x``:
    ``x_{k+1} = x_k - eta (Q x_k - b) + momentum (x_k - x_{k-1})``, ``x_0 = x_1``.
    Returns ``(fvals, x)`` as :func:`gd_quadratic` (one product per step, no temporaries)."""
    x, prev = x1.copy(), x1.copy()
    Qx, step, mom = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    fvals = np.empty(n_steps + 1)
    np.dot(Q, x, Qx)
    for k in range(n_steps):
        fvals[k] = 0.5 * (x @ Qx) - b @ x
        np.subtract(x, prev, mom)
        mom *= momentum
        prev[:] = x
        np.subtract(Qx, b, step)
        step *= eta
        x -= step
        x += mom
        np.dot(Q, x, Qx)
    fvals[n_steps] = 0.5 * (x @ Qx) - b @ x
    return fvals, x


@numba.njit(cache=True)
def nesterov_quadratic(Q: np.ndarray, b: np.ndarray, x1: np.ndarray, eta: float,
                       momentum: float, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Nesterov's accelerated gradient with constant momentum on ``1/2 x^T Q x - b^T x``:
    ``y_k = x_k + momentum (x_k - x_{k-1})``, ``x_{k+1} = y_k - eta (Q y_k - b)``.
    Returns ``(fvals, x)`` with ``fvals[k] = f(x_k)``. One matrix-vector product per step:
    ``Q y_k = Q x_k + momentum (Q x_k - Q x_{k-1})`` by linearity, and ``Q x_k`` serves
    both ``f(x_k)`` and the next ``Q y`` (buffers as in :func:`gd_quadratic`)."""
    x, prev = x1.copy(), x1.copy()
    Qx = np.empty_like(x)
    np.dot(Q, x, Qx)
    Qprev, y, Qy = Qx.copy(), np.empty_like(x), np.empty_like(x)
    fvals = np.empty(n_steps + 1)
    for k in range(n_steps):
        fvals[k] = 0.5 * (x @ Qx) - b @ x
        np.subtract(x, prev, y)
        y *= momentum
        y += x
        np.subtract(Qx, Qprev, Qy)
        Qy *= momentum
        Qy += Qx
        prev[:] = x
        Qprev[:] = Qx
        Qy -= b
        Qy *= eta
        np.subtract(y, Qy, x)
        np.dot(Q, x, Qx)
    fvals[n_steps] = 0.5 * (x @ Qx) - b @ x
    return fvals, x


@numba.njit(cache=True)
def huber_value(c: np.ndarray, delta: np.ndarray, w: np.ndarray, x: np.ndarray) -> float:
    """``sum_i w_i H_{delta_i}(x_i - c_i)``."""
    s = 0.0
    for i in range(x.shape[0]):
        u = abs(x[i] - c[i])
        if u <= delta[i]:
            s += w[i] * 0.5 * u * u
        else:
            s += w[i] * (delta[i] * u - 0.5 * delta[i] * delta[i])
    return s


@numba.njit(cache=True)
def huber_grad(c: np.ndarray, delta: np.ndarray, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``w_i * clip(x_i - c_i, -delta_i, delta_i)``."""
    g = np.empty_like(x)
    for i in range(x.shape[0]):
        u = x[i] - c[i]
        g[i] = w[i] * min(max(u, -delta[i]), delta[i])
    return g


@numba.njit(cache=True)
def gd_huber(c: np.ndarray, delta: np.ndarray, w: np.ndarray, x1: np.ndarray, eta: float,
             n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """GD on the separable Huber ``sum_i w_i H_{delta_i}(x_i - c_i)``. Returns ``(fvals, x)``."""
    x = x1.copy()
    fvals = np.empty(n_steps + 1)
    fvals[0] = huber_value(c, delta, w, x)
    for k in range(n_steps):
        x = x - eta * huber_grad(c, delta, w, x)
        fvals[k + 1] = huber_value(c, delta, w, x)
    return fvals, x


@numba.njit(cache=True)
def logistic_value(A: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Mean logistic loss; ``log(1 + e^{-z}) = max(-z, 0) + log1p(e^{-|z|})`` (no overflow)."""
    z = y * (A @ w)
    s = 0.0
    for i in range(z.shape[0]):
        s += max(-z[i], 0.0) + np.log1p(np.exp(-abs(z[i])))
    return s / z.shape[0]


@numba.njit(cache=True)
def _sigmoid(u: float) -> float:
    if u >= 0:
        return 1.0 / (1.0 + np.exp(-u))
    e = np.exp(u)
    return e / (1.0 + e)


@numba.njit(cache=True)
def logistic_grad(A: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``-1/n A^T (y * sigmoid(-y A w))``."""
    z = y * (A @ w)
    r = np.empty_like(z)
    for i in range(z.shape[0]):
        r[i] = -y[i] * _sigmoid(-z[i])
    return (A.T @ r) / z.shape[0]


@numba.njit(cache=True)
def logistic_hessian(A: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``1/n A^T diag(s (1 - s)) A`` with ``s = sigmoid(y A w)``."""
    z = y * (A @ w)
    D = np.empty_like(z)
    for i in range(z.shape[0]):
        s = _sigmoid(z[i])
        D[i] = s * (1.0 - s)
    return (A.T * D) @ A / z.shape[0]


@numba.njit(cache=True)
def gd_logistic(A: np.ndarray, y: np.ndarray, x1: np.ndarray, eta: float,
                n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """GD on the mean logistic loss. Returns ``(fvals, x)``."""
    x = x1.copy()
    fvals = np.empty(n_steps + 1)
    fvals[0] = logistic_value(A, y, x)
    for k in range(n_steps):
        x = x - eta * logistic_grad(A, y, x)
        fvals[k + 1] = logistic_value(A, y, x)
    return fvals, x


@numba.njit(cache=True)
def newton_logistic(A: np.ndarray, y: np.ndarray, w0: np.ndarray,
                    max_iter: int = 200) -> np.ndarray:
    """Minimiser of the mean logistic loss: damped Newton (Armijo backtracking) until the
    squared Newton decrement ``g^T H^{-1} g`` (about ``2 (f - f*)``) is below 1e-12, then pure
    Newton steps (quadratic convergence) while they still reduce ``||grad f||`` — line
    searches on ``f`` cannot resolve decreases below the rounding of ``f``. Assumes a
    minimiser exists and ``A`` has full column rank (positive definite Hessian)."""
    w = w0.copy()
    f = logistic_value(A, y, w)
    for _ in range(max_iter):
        g = logistic_grad(A, y, w)
        step = np.linalg.solve(logistic_hessian(A, y, w), g)
        dec = g @ step
        if dec <= 1e-12:
            break
        t = 1.0
        while t > 1e-10 and logistic_value(A, y, w - t * step) > f - 0.25 * t * dec:
            t *= 0.5
        w = w - t * step
        f = logistic_value(A, y, w)
    gnorm = np.linalg.norm(logistic_grad(A, y, w))
    for _ in range(10):
        w_new = w - np.linalg.solve(logistic_hessian(A, y, w), logistic_grad(A, y, w))
        g_new = np.linalg.norm(logistic_grad(A, y, w_new))
        if g_new >= gnorm:
            break
        w, gnorm = w_new, g_new
    return w
