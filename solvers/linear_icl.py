r"""Learning algorithms for in-context linear regression (Akyürek et al. 2022) and their risks.

A prompt holds ``n`` examples ``(x_i, y_i)``, ``X`` (n, d), ``y`` (n,); ``S = X^T X``,
``b = X^T y``.  The algorithms a transformer can run on it:

* ridge by online Sherman–Morrison updates (:func:`sherman_morrison_ridge`)::

      P_0 = I/lam,  P_i = P_{i-1} - P_{i-1} x_i x_i^T P_{i-1} / (1 + x_i^T P_{i-1} x_i),
      b_i = b_{i-1} + y_i x_i,  w_i = P_i b_i   (so P_i = (X_{1:i}^T X_{1:i} + lam I)^{-1});

* full-batch gradient descent on ``L(w) = 1/2 ||X w - y||^2`` from ``w_0 = 0``
  (:func:`gd_least_squares`): ``w_{t+1} = w_t - eta X^T (X w_t - y)``;

* the Bayes posterior mean of ``w`` under a Gaussian-mixture prior ``w ~ sum_K pi_K N(0,
  v_K diag(mask_K))`` and noise ``y = X w + N(0, sigma^2 I)``, in the n x n "kernel" form
  (:func:`mixture_posterior_mean_kernel`)::

      C_K = sigma^2 I_n + v_K X_K X_K^T,  m_K = v_K X_K^T C_K^{-1} y,
      pi_K(y) ∝ pi_K N(y; 0, C_K),        E[w | X, y] = sum_K pi_K(y) m_K,

  and, for the spike-and-slab prior ``w_j = b_j g_j``, ``b_j ~ Bernoulli(p)``,
  ``g_j ~ N(0, v)`` (2^d supports T), in the d x d form (:func:`spike_slab_posterior_mean`)::

      A_T = S_TT + (sigma^2/v) I,  m_T = A_T^{-1} b_T,
      log pi_T(y) = |T| log p + (d-|T|) log(1-p) - 1/2 [|T| log(v/sigma^2) + log det A_T
                    - b_T^T A_T^{-1} b_T / sigma^2] + const.

:func:`task_losses` draws nothing: it evaluates, on given tasks ``(X_m, w_m, eps_m)``, the
query loss of a fixed set of predictors with the query integrated out, ``E_{x_q ~ N(0, I)}
(x_q^T (w_hat - w))^2 = ||w_hat - w||^2``.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _chol_into(A: np.ndarray, k: int, L: np.ndarray) -> float:
    """Lower Cholesky factor of the leading k x k block of SPD ``A`` into ``L`` (plain loops);
    returns ``log det`` of that block."""
    logdet = 0.0
    for j in range(k):
        s = A[j, j]
        for m in range(j):
            s -= L[j, m] * L[j, m]
        L[j, j] = np.sqrt(s)
        logdet += 2.0 * np.log(L[j, j])
        for i in range(j + 1, k):
            t = A[i, j]
            for m in range(j):
                t -= L[i, m] * L[j, m]
            L[i, j] = t / L[j, j]
    return logdet


@numba.njit(cache=True)
def _tri_solve_into(L: np.ndarray, k: int, b: np.ndarray, x: np.ndarray) -> None:
    """Solve ``L L^T x = b`` on the leading k entries (forward, then back substitution)."""
    for i in range(k):
        s = b[i]
        for m in range(i):
            s -= L[i, m] * x[m]
        x[i] = s / L[i, i]
    for i in range(k - 1, -1, -1):
        s = x[i]
        for m in range(i + 1, k):
            s -= L[m, i] * x[m]
        x[i] = s / L[i, i]


@numba.njit(cache=True)
def _chol(A: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of an SPD matrix."""
    L = np.zeros(A.shape)
    _chol_into(A, A.shape[0], L)
    return L


@numba.njit(cache=True)
def _chol_solve(L: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``L L^T x = b``."""
    x = np.empty(L.shape[0])
    _tri_solve_into(L, L.shape[0], b, x)
    return x


@numba.njit(cache=True)
def sherman_morrison_ridge(X: np.ndarray, y: np.ndarray, lam: float
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Online ridge by rank-one Sherman–Morrison updates of ``P = (X^T X + lam I)^{-1}``.

    Returns ``W`` (n, d) with ``W[i]`` the ridge solution on the first ``i + 1`` examples and
    the final ``P``."""
    n, d = X.shape
    P = np.eye(d) / lam
    b = np.zeros(d)
    W = np.empty((n, d))
    u = np.empty(d)
    for i in range(n):
        denom = 1.0
        for a in range(d):
            s = 0.0
            for c in range(d):
                s += P[a, c] * X[i, c]
            u[a] = s
            denom += X[i, a] * s
        for a in range(d):
            for c in range(d):
                P[a, c] -= u[a] * u[c] / denom
            b[a] += y[i] * X[i, a]
        for a in range(d):
            s = 0.0
            for c in range(d):
                s += P[a, c] * b[c]
            W[i, a] = s
    return W, P


@numba.njit(cache=True)
def gd_least_squares(X: np.ndarray, y: np.ndarray, eta: float, k: int) -> np.ndarray:
    """Iterates ``w_0 = 0, ..., w_k`` (shape (k+1, d)) of ``w <- w - eta X^T (X w - y)``."""
    n, d = X.shape
    W = np.zeros((k + 1, d))
    r = np.empty(n)
    for t in range(k):
        for i in range(n):
            s = -y[i]
            for a in range(d):
                s += X[i, a] * W[t, a]
            r[i] = s
        for a in range(d):
            g = 0.0
            for i in range(n):
                g += X[i, a] * r[i]
            W[t + 1, a] = W[t, a] - eta * g
    return W


@numba.njit(cache=True)
def mixture_posterior_mean_kernel(X: np.ndarray, y: np.ndarray, sigma2: float,
                                  masks: np.ndarray, variances: np.ndarray,
                                  log_weights: np.ndarray) -> np.ndarray:
    """``E[w | X, y]`` for the prior ``sum_K pi_K N(0, v_K diag(mask_K))`` (n x n form)."""
    n, d = X.shape
    K = masks.shape[0]
    means = np.zeros((K, d))
    logp = np.empty(K)
    C = np.empty((n, n))
    for k in range(K):
        v = variances[k]
        for i in range(n):
            for j in range(n):
                s = 0.0
                for a in range(d):
                    s += X[i, a] * masks[k, a] * X[j, a]
                C[i, j] = v * s + (sigma2 if i == j else 0.0)
        L = _chol(C)
        alpha = _chol_solve(L, y)
        logdet, quad = 0.0, 0.0
        for i in range(n):
            logdet += 2.0 * np.log(L[i, i])
            quad += y[i] * alpha[i]
        logp[k] = log_weights[k] - 0.5 * (logdet + quad)
        for a in range(d):
            s = 0.0
            for i in range(n):
                s += X[i, a] * alpha[i]
            means[k, a] = v * masks[k, a] * s
    top = logp.max()
    wsum = 0.0
    out = np.zeros(d)
    for k in range(K):
        wk = np.exp(logp[k] - top)
        wsum += wk
        for a in range(d):
            out[a] += wk * means[k, a]
    return out / wsum


def spike_slab_components(d: int, v: float, p: float
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(masks, variances, log_weights)`` of the 2^d supports of the spike-and-slab prior
    (``p = 1``: the single Gaussian component ``N(0, v I)``)."""
    if p >= 1.0:
        return np.ones((1, d)), np.array([v]), np.zeros(1)
    masks = ((np.arange(2**d)[:, None] >> np.arange(d)[None, :]) & 1).astype(np.float64)
    k = masks.sum(axis=1)
    return masks, np.full(2**d, v), k * np.log(p) + (d - k) * np.log1p(-p)


@numba.njit(cache=True)
def _chol_solve_k(A: np.ndarray, k: int, b: np.ndarray, L: np.ndarray, x: np.ndarray) -> float:
    """In place on the leading k x k blocks: ``L`` = Cholesky factor of ``A``, ``x = A^{-1} b``;
    returns ``log det A``."""
    logdet = _chol_into(A, k, L)
    _tri_solve_into(L, k, b, x)
    return logdet


@numba.njit(cache=True)
def spike_slab_posterior_mean(S: np.ndarray, b: np.ndarray, sigma2: float, v: float,
                              p: float) -> np.ndarray:
    """``E[w | X, y]`` under the spike-and-slab prior, d x d form, from ``S = X^T X``,
    ``b = X^T y`` (enumerates the 2^d supports; ``0 < p < 1``)."""
    d = S.shape[0]
    nT = 1 << d
    logp = np.empty(nT)
    means = np.zeros((nT, d))
    idx = np.empty(d, dtype=np.int64)
    A, L = np.empty((d, d)), np.empty((d, d))
    bT, m = np.empty(d), np.empty(d)
    for T in range(nT):
        k = np.int64(0)  # a bare 0 makes numba also compile the callees for Literal[int](0)
        for a in range(d):
            if (T >> a) & 1:
                idx[k] = a
                k += 1
        lp = k * np.log(p) + (d - k) * np.log1p(-p)
        if k > 0:
            for i in range(k):
                bT[i] = b[idx[i]]
                for j in range(k):
                    A[i, j] = S[idx[i], idx[j]]
                A[i, i] += sigma2 / v
            logdet = _chol_solve_k(A, k, bT, L, m)
            quad = 0.0
            for i in range(k):
                quad += bT[i] * m[i]
                means[T, idx[i]] = m[i]
            lp -= 0.5 * (k * np.log(v / sigma2) + logdet - quad / sigma2)
        logp[T] = lp
    top = logp.max()
    wsum = 0.0
    out = np.zeros(d)
    for T in range(nT):
        wk = np.exp(logp[T] - top)
        wsum += wk
        for a in range(d):
            out[a] += wk * means[T, a]
    return out / wsum


@numba.njit(cache=True)
def _gram(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``S = X^T X`` and ``b = X^T y`` by plain loops."""
    n, d = X.shape
    S = np.zeros((d, d))
    b = np.zeros(d)
    for i in range(n):
        for a in range(d):
            b[a] += X[i, a] * y[i]
            for c in range(d):
                S[a, c] += X[i, a] * X[i, c]
    return S, b


@numba.njit(cache=True)
def task_losses(X: np.ndarray, W: np.ndarray, E: np.ndarray, lams: np.ndarray, eta: float,
                ks: np.ndarray, theta: float, sigma2: float, v: float, p: float) -> np.ndarray:
    """Losses ``||w_hat_c - w_m||^2`` (M, C) of the predictors, per task ``m``:
    ridge(lams[j]) for each j; GD from 0 with step eta after ks[j] steps (ks increasing);
    soft-threshold at theta of ridge(lams[0]); spike-and-slab(v, p) posterior mean.
    Tasks: ``X[m]`` (n, d), ``y = X[m] W[m] + E[m]``."""
    M, n, d = X.shape
    nl, nk = lams.shape[0], ks.shape[0]
    out = np.empty((M, nl + nk + 2))
    y = np.empty(n)
    A, L, wh = np.empty((d, d)), np.empty((d, d)), np.empty(d)
    for m in range(M):
        Xm = X[m]
        for i in range(n):
            s = E[m, i]
            for a in range(d):
                s += Xm[i, a] * W[m, a]
            y[i] = s
        S, b = _gram(Xm, y)
        for j in range(nl):
            A[:, :] = S
            for a in range(d):
                A[a, a] += lams[j]
            _chol_solve_k(A, d, b, L, wh)
            out[m, j] = np.sum((wh - W[m]) ** 2)
            if j == 0:
                st = np.sign(wh) * np.maximum(np.abs(wh) - theta, 0.0)
                out[m, nl + nk] = np.sum((st - W[m]) ** 2)
        w = np.zeros(d)
        t = 0
        for j in range(nk):
            while t < ks[j]:
                g = b.copy()
                for a in range(d):
                    for c in range(d):
                        g[a] -= S[a, c] * w[c]
                w = w + eta * g
                t += 1
            out[m, nl + j] = np.sum((w - W[m]) ** 2)
        out[m, nl + nk + 1] = np.sum((spike_slab_posterior_mean(S, b, sigma2, v, p) - W[m]) ** 2)
    return out


def mean_excess_test(D: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    """One-sided test of ``E D_c >= 0`` for each column of the paired differences ``D`` (M, C).

    Studentised mean ``T_c = mean/se``, ``se = sd/sqrt(M)``; the claim is rejected for column c
    when ``T_c < -z_c`` with ``z = Phi^{-1}(1 - alpha/C)`` (Bonferroni) plus the second-order
    Cornish–Fisher term of the studentised mean, ``max(0, g_c)(2 z^2 + 1)/(6 sqrt M)``
    (Hall 1992, Sec. 2.6: positive skewness g of D makes the left tail of T heavier)."""
    from scipy import stats

    M, C = D.shape
    mean = D.mean(axis=0)
    sd = D.std(axis=0, ddof=1)
    g = stats.skew(D, axis=0, bias=False)
    z = float(stats.norm.isf(alpha / C))
    z_eff = z + np.maximum(0.0, g) * (2 * z * z + 1) / (6 * np.sqrt(M))
    se = sd / np.sqrt(M) + 1e-300  # D identically 0 gives T = 0, not NaN
    return {"mean": mean, "se": se, "T": mean / se, "skew": g, "z": z_eff}
