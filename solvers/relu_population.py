r"""Population loss of a two-layer ReLU student fitting a ReLU teacher under Gaussian inputs.

Student ``f(x) = sum_i relu(w_i^T x)`` (rows ``w_i`` of ``W``, ``k x d``), teacher
``sum_j relu(v_j^T x)`` (rows of ``V``, ``m x d``), unit output weights, ``x ~ N(0, I_d)``:

    L(W) = 1/2 E[(f_W(x) - f_V(x))^2]
         = 1/2 sum_{i,j} K(w_i, w_j) - sum_{i,j} K(w_i, v_j) + 1/2 sum_{i,j} K(v_i, v_j),

with the arc-cosine kernel (Cho & Saul 2009), ``theta`` the angle between ``w`` and ``v``:

    K(w, v) = E[relu(w^T x) relu(v^T x)] = ||w|| ||v|| (sin theta + (pi - theta) cos theta)/(2 pi).

Gradient (``g(w, v) = grad_w K = (||v|| sin theta w/||w|| + (pi - theta) v) / (2 pi)``):

    grad_{w_i} L = w_i / 2 + sum_{j != i} g(w_i, w_j) - sum_j g(w_i, v_j).

Hessian blocks, with ``n_w`` the unit vector of ``v`` orthogonal to ``w`` (0 when parallel):

    d g(w, v)/dw = A(w, v) = ||v|| sin theta / (2 pi ||w||) (I - w^ w^T + n_w n_w^T)
                 = E[delta(w^T x) x x^T relu(v^T x)]   (PSD, A w = 0),
    d g(w, v)/dv = B(w, v) = ((pi - theta) I + w^ (sin theta v^ - cos theta n_v)^T
                              + v^ n_v^T) / (2 pi)
                 = E[1{w^T x > 0} 1{v^T x > 0} x x^T],
    H_ii = I/2 + sum_{j != i} A(w_i, w_j) - sum_j A(w_i, v_j),    H_ij = B(w_i, w_j).

``L`` is C^2 (not C^3) where two rows are parallel, so the Hessian exists at a split neuron.
Angles use ``atan2(||v^ - (w^.v^) w^||, w^.v^)`` so parallel rows give sin theta = 0 exactly.
``neuron_curvature(W, V, i) = H_ii - I/2`` is the curvature of ``w -> E[r(x) relu(w^T x)]`` for
the frozen residual ``r = f_W - f_V``; splitting ``w_i -> (t w_i, (1-t) w_i)`` keeps ``f_W``
and gives a critical point of the ``k+1`` problem whose Hessian is congruent to
``H(W) (+) (1/t + 1/(1-t)) neuron_curvature`` (Sylvester: same inertia).

``pair_expectation_quadrature`` is an independent check of ``K``: the Gaussian integral reduced
to the plane of ``w, v`` (rotation invariance), in polar coordinates, with Gauss-Legendre on
each smooth piece of the angle and ``scipy.integrate.quad`` for the radius.
Plain functions on float64 numpy arrays; no imports from the repository.
"""
from __future__ import annotations

from math import atan2, pi, sin, sqrt

import numba
import numpy as np
from scipy.integrate import quad


@numba.njit(cache=True)
def _geometry(w: np.ndarray, v: np.ndarray):
    """``||w||, ||v||, cos theta, theta, w^, v^, sin theta * n_w`` for nonzero ``w, v``."""
    nw, nv = sqrt(np.dot(w, w)), sqrt(np.dot(v, v))
    wh, vh = w / nw, v / nv
    c = np.dot(wh, vh)
    p = vh - c * wh
    s = sqrt(np.dot(p, p))
    return nw, nv, c, atan2(s, c), wh, vh, p


@numba.njit(cache=True)
def arccos_kernel(w: np.ndarray, v: np.ndarray) -> float:
    """``K(w, v) = ||w|| ||v|| (sin theta + (pi - theta) cos theta) / (2 pi)``."""
    nw, nv, c, th, _, _, _ = _geometry(w, v)
    return nw * nv * (sin(th) + (pi - th) * c) / (2 * pi)


@numba.njit(cache=True)
def population_loss(W: np.ndarray, V: np.ndarray) -> float:
    """``L(W) = 1/2 E[(sum_i relu(w_i^T x) - sum_j relu(v_j^T x))^2]``, ``x ~ N(0, I)``."""
    s = 0.0
    for i in range(W.shape[0]):
        for j in range(W.shape[0]):
            s += 0.5 * arccos_kernel(W[i], W[j])
        for j in range(V.shape[0]):
            s -= arccos_kernel(W[i], V[j])
    for i in range(V.shape[0]):
        for j in range(V.shape[0]):
            s += 0.5 * arccos_kernel(V[i], V[j])
    return s


@numba.njit(cache=True)
def _g(w: np.ndarray, v: np.ndarray) -> np.ndarray:
    nw, nv, c, th, wh, vh, p = _geometry(w, v)
    return (nv * sin(th) * wh + (pi - th) * v) / (2 * pi)


@numba.njit(cache=True)
def population_grad(W: np.ndarray, V: np.ndarray) -> np.ndarray:
    """``grad_{w_i} L = w_i/2 + sum_{j != i} g(w_i, w_j) - sum_j g(w_i, v_j)`` (``k x d``)."""
    G = 0.5 * W.copy()
    for i in range(W.shape[0]):
        for j in range(W.shape[0]):
            if j != i:
                G[i] += _g(W[i], W[j])
        for j in range(V.shape[0]):
            G[i] -= _g(W[i], V[j])
    return G


@numba.njit(cache=True)
def _A(w: np.ndarray, v: np.ndarray) -> np.ndarray:
    nw, nv, c, th, wh, vh, p = _geometry(w, v)
    s = sin(th)
    out = np.eye(w.shape[0]) - np.outer(wh, wh)
    if s > 0.0:
        n = p / s
        out += np.outer(n, n)
    return out * (nv * s / (2 * pi * nw))


@numba.njit(cache=True)
def _B(w: np.ndarray, v: np.ndarray) -> np.ndarray:
    nw, nv, c, th, wh, vh, p = _geometry(w, v)
    s = sin(th)
    # w^ (s v^ - c n_v)^T + v^ n_v^T = s w^ v^T + p n_v^T, p = v^ - c w^ (||p|| = s): O(s) terms
    out = (pi - th) * np.eye(w.shape[0]) + s * np.outer(wh, vh)
    q = wh - c * vh
    nq = sqrt(np.dot(q, q))
    if nq > 0.0:
        out += np.outer(p, q / nq)
    return out / (2 * pi)


@numba.njit(cache=True)
def population_hessian(W: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Hessian of ``L`` in ``vec(W)`` (row-major, ``kd x kd``): blocks ``H_ii``, ``H_ij``."""
    k, d = W.shape
    H = np.zeros((k * d, k * d))
    for i in range(k):
        D = 0.5 * np.eye(d)
        for j in range(k):
            if j != i:
                D += _A(W[i], W[j])
                H[i * d:(i + 1) * d, j * d:(j + 1) * d] = _B(W[i], W[j])
        for j in range(V.shape[0]):
            D -= _A(W[i], V[j])
        H[i * d:(i + 1) * d, i * d:(i + 1) * d] = D
    return H


def neuron_curvature(W: np.ndarray, V: np.ndarray, i: int) -> np.ndarray:
    """``H_ii - I/2 = sum_{j != i} A(w_i, w_j) - sum_j A(w_i, v_j)`` (``d x d``)."""
    d = W.shape[1]
    return population_hessian(W, V)[i * d:(i + 1) * d, i * d:(i + 1) * d] - 0.5 * np.eye(d)


@numba.njit(cache=True)
def _cross_grad(W: np.ndarray, U: np.ndarray, skip_diag: bool) -> np.ndarray:
    """``sum_j g(w_i, u_j)`` for all ``i`` from Gram matrices (angles from arccos: fast, about
    1e-8 accurate for nearly parallel rows; used only inside GD, never for certificates)."""
    nw = np.sqrt(np.sum(W * W, axis=1))
    nu = np.sqrt(np.sum(U * U, axis=1))
    C = (W @ U.T) / np.outer(nw, nu)
    C = np.minimum(1.0, np.maximum(-1.0, C))
    T = np.arccos(C)
    S = np.sqrt(1.0 - C * C) * nu[None, :]
    P = np.pi - T
    if skip_diag:
        for i in range(W.shape[0]):
            S[i, i] = 0.0
            P[i, i] = 0.0
    return ((np.sum(S, axis=1) / nw)[:, None] * W + P @ U) / (2 * np.pi)


@numba.njit(cache=True)
def gd_population(W0: np.ndarray, V: np.ndarray, lr: float, iters: int, gtol: float
                  ) -> tuple[np.ndarray, int]:
    """Gradient descent ``W <- W - lr grad L(W)`` until ``||grad L||_F < gtol`` or ``iters``
    (gradient from Gram matrices; polish with ``newton_polish`` for a certified point)."""
    W = W0.copy()
    for t in range(iters):
        G = 0.5 * W + _cross_grad(W, W, np.bool_(True)) - _cross_grad(W, V, np.bool_(False))
        if sqrt(np.sum(G * G)) < gtol:
            return W, t
        W -= lr * G
    return W, iters


def newton_polish(W: np.ndarray, V: np.ndarray, steps: int = 20, gtol: float = 1e-14
                  ) -> np.ndarray:
    """Newton steps ``W <- W - H^{-1} grad L`` (near a nondegenerate critical point)."""
    k, d = W.shape
    for _ in range(steps):
        G = population_grad(W, V)
        if np.linalg.norm(G) < gtol:
            break
        W = W - np.linalg.solve(population_hessian(W, V), G.ravel()).reshape(k, d)
    return W


def find_minimum(V: np.ndarray, k: int, gen: np.random.Generator, spurious: bool,
                 max_restarts: int = 400, lr: float = 0.5, loss_floor: float = 1e-8
                 ) -> tuple[np.ndarray, int]:
    """First GD limit (from ``W0 ~ N(0, I/d)``, Newton-polished) with ``L > loss_floor``
    (``spurious``) or ``L <= loss_floor`` (global); returns ``(W, restarts used)``.
    Raises ``RuntimeError`` when ``max_restarts`` runs find none."""
    d = V.shape[1]
    for r in range(1, max_restarts + 1):
        W, _ = gd_population(gen.standard_normal((k, d)) / np.sqrt(d), V, lr, 20_000, 1e-6)
        W = newton_polish(W, V)
        if (population_loss(W, V) > loss_floor) == spurious:
            return W, r
    raise RuntimeError(f"no {'spurious' if spurious else 'global'} minimum in "
                       f"{max_restarts} restarts")


def split_neuron(W: np.ndarray, i: int, t: float) -> np.ndarray:
    """``w_i -> (t w_i, (1-t) w_i)``: row ``i`` scaled by ``t``, ``(1-t) w_i`` appended.
    Same network function for ``0 <= t <= 1`` (ReLU is positively homogeneous)."""
    W2 = np.vstack([W, (1.0 - t) * W[i:i + 1]])
    W2[i] *= t
    return W2


_GL_X, _GL_W = np.polynomial.legendre.leggauss(24)
_RADIAL = quad(lambda r: r**3 * np.exp(-r * r / 2), 0, np.inf)[0]  # = 2, abs. error ~ 5e-9 est.


def pair_expectation_quadrature(w: np.ndarray, v: np.ndarray) -> float:
    """``E[relu(w^T x) relu(v^T x)]`` by quadrature: in an orthonormal basis of span(w, v),
    ``x = r u(phi)`` has density ``r exp(-r^2/2) dr dphi / (2 pi)``, so the expectation is
    ``(int_0^inf r^3 e^{-r^2/2} dr)/(2 pi) * int_0^{2 pi} relu(a.u) relu(b.u) dphi`` with the
    angular integral split at the zeros of ``a.u`` and ``b.u`` (Gauss-Legendre, 24 nodes)."""
    Q, _ = np.linalg.qr(np.column_stack([w, v]))
    a, b = Q.T @ w, Q.T @ v
    cuts = [(np.arctan2(z[1], z[0]) + s * pi / 2) % (2 * pi) for z in (a, b) for s in (1, -1)]
    edges = np.unique(np.concatenate([[0.0, 2 * pi], cuts]))
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        phi = 0.5 * (hi - lo) * _GL_X + 0.5 * (hi + lo)
        u = np.stack([np.cos(phi), np.sin(phi)])
        total += 0.5 * (hi - lo) * _GL_W @ (np.maximum(a @ u, 0) * np.maximum(b @ u, 0))
    return float(_RADIAL * total / (2 * pi))
