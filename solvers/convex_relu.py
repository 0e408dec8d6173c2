r"""The convex program of a two-layer ReLU network (Pilanci & Ergen 2020), exactly enumerated.

Data ``X`` (``n x r``, a bias is a column of ones) and ``y`` (``n``). A hyperplane-arrangement
pattern is ``D = diag(1[X g >= 0])`` for some ``g`` in R^r (stored as the 0/1 column ``d``);
``E = 2 D - I``. Over a set of patterns ``D_1 .. D_P`` the convex program is

    P_c = min_{v_i, w_i} 1/2 ||sum_i D_i X (v_i - w_i) - y||^2 + beta sum_i (||v_i|| + ||w_i||)
          s.t.  E_i X v_i >= 0,  E_i X w_i >= 0          (v_i, w_i stay in the cell of D_i)

(as in Bai-YT/Convex-NN-Training, mosek_convex_training.py). Its weights map to a ReLU network
by ``u = v_i / sqrt||v_i||, alpha = +sqrt||v_i||`` and ``u = w_i / sqrt||w_i||,
alpha = -sqrt||w_i||`` (``recover_network``).

Exact enumeration (``arrangement_patterns``): if ``X`` has rank ``r`` and its rows are in
general position (every ``r`` rows independent), the central arrangement ``{x_j^T g = 0}`` has
``2 sum_{k<r} C(n-1, k)`` cells (Cover 1965), each a pointed cone with an extreme ray lying on
exactly ``r - 1`` hyperplanes ``S``. Around the ray ``+-g0`` (``X_S g0 = 0``) every sign vector
on ``S`` is realised (``X_S`` has full row rank), and the rows outside ``S`` keep the sign of
``+-X g0``. So the cells are exactly the patterns ``d_S = 1[s > 0]``, ``d_rest = 1[+-X_rest g0 > 0]``
over all ``(r-1)``-subsets ``S``, both signs and all ``s in {+-1}^{r-1}``: no sampling, no ties.

``dual_bound`` gives a certified lower bound on ``P_c`` from any residual (weak duality, NNLS
for the cone multipliers). Plain functions on numpy arrays; no imports from the repository.
"""
from __future__ import annotations

import itertools
from math import comb

import cvxpy as cp
import numba
import numpy as np
from scipy.optimize import nnls

GENERAL_POSITION_TOL = 1e-9  # |x_j^T g0| / ||x_j|| below this counts as a degenerate arrangement


def arrangement_count(n: int, r: int) -> int:
    """Cells of a central arrangement of ``n`` hyperplanes in general position in R^r."""
    return 2 * sum(comb(n - 1, k) for k in range(r))


@numba.njit(cache=True)
def _cells_around_rays(X: np.ndarray, subsets: np.ndarray, tol: float
                       ) -> tuple[np.ndarray, bool]:
    """Patterns of the cells adjacent to the ray ``+-g0`` of each ``(r-1)``-subset of rows;
    the flag is False when the rows are not in general position."""
    n, r = X.shape
    k = r - 1
    n_signs = 2 ** k
    out = np.zeros((subsets.shape[0] * 2 * n_signs, n), dtype=np.int8)
    row = 0
    for t in range(subsets.shape[0]):
        S = subsets[t]
        XS = np.empty((k, r))
        for a in range(k):
            XS[a] = X[S[a]]
        _, sv, Vt = np.linalg.svd(XS)
        if sv[k - 1] <= tol * sv[0]:
            return out[:row], False
        g0 = Vt[r - 1].copy()
        base = X @ g0
        inS = np.zeros(n, dtype=np.bool_)
        for a in range(k):
            inS[S[a]] = True
        for j in range(n):
            if not inS[j] and abs(base[j]) <= tol * np.sqrt(np.sum(X[j] ** 2)):
                return out[:row], False
        for sign0 in (1.0, -1.0):
            for code in range(n_signs):
                for j in range(n):
                    if inS[j]:
                        continue
                    out[row, j] = 1 if sign0 * base[j] > 0.0 else 0
                for a in range(k):
                    out[row, S[a]] = (code >> a) & 1
                row += 1
    return out, True


def arrangement_patterns(X: np.ndarray) -> np.ndarray:
    """All patterns ``1[X g >= 0]`` (0/1 columns, ``n x P``, lexicographically sorted) of
    ``X`` with rank ``r >= 2`` and rows in general position; ``ValueError`` otherwise."""
    n, r = X.shape
    if r < 2 or n < r:
        raise ValueError(f"need n >= r >= 2, got X of shape {X.shape}")
    subsets = np.array(list(itertools.combinations(range(n), r - 1)), dtype=np.int64)
    cells, ok = _cells_around_rays(np.ascontiguousarray(X, dtype=np.float64), subsets,
                                   GENERAL_POSITION_TOL)
    if not ok:
        raise ValueError("rows of X are not in general position (degenerate arrangement)")
    return unique_patterns(cells)


def unique_patterns(cells: np.ndarray) -> np.ndarray:
    """The distinct 0/1 rows of ``cells`` in lexicographic order, as columns (float64).

    For ``n <= 62`` columns each row is read as a binary number (column 0 the most significant
    bit), whose numeric order is the rows' lexicographic order: one integer sort instead of
    ``np.unique(axis=0)``'s row-wise comparisons, 15x faster at n = 10."""
    n = cells.shape[1]
    if n > 62:
        return np.unique(cells, axis=0).T.astype(np.float64)
    bits = np.arange(n - 1, -1, -1, dtype=np.int64)
    codes = np.unique(cells.astype(np.int64) @ (np.int64(1) << bits))
    return ((codes[:, None] >> bits) & 1).T.astype(np.float64)


def sample_patterns(X: np.ndarray, k: int, gen: np.random.Generator) -> np.ndarray:
    """Distinct patterns of ``k`` Gaussian directions ``g`` (the authors' ``generate_D``)."""
    G = gen.standard_normal((X.shape[1], k))
    return np.unique((X @ G >= 0).astype(np.float64), axis=1)


def solve_convex_relu(X: np.ndarray, y: np.ndarray, beta: float, D: np.ndarray,
                      tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray, float]:
    """Solve the convex program over the pattern columns of ``D`` (cvxpy + Clarabel, gap and
    feasibility tolerances ``tol``); the pattern ``D = 0`` is dropped (it contributes nothing).
    Returns ``(V, W, P_c)`` with ``V, W`` of shape ``(r, P)`` aligned with ``D``'s kept columns
    ``D[:, D.any(0)]``. ``RuntimeError`` unless Clarabel reports ``optimal``."""
    D = D[:, D.any(axis=0)]
    r, P = X.shape[1], D.shape[1]
    if P == 0:  # only the zero pattern: the empty network
        return np.zeros((r, 0)), np.zeros((r, 0)), float(0.5 * y @ y)
    V, W = cp.Variable((r, P)), cp.Variable((r, P))
    yhat = cp.sum(cp.multiply(D, X @ (V - W)), axis=1)
    obj = 0.5 * cp.sum_squares(yhat - y) + beta * (cp.sum(cp.norm(V, 2, axis=0))
                                                   + cp.sum(cp.norm(W, 2, axis=0)))
    E = 2.0 * D - 1.0
    prob = cp.Problem(cp.Minimize(obj), [cp.multiply(E, X @ V) >= 0, cp.multiply(E, X @ W) >= 0])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol,
               tol_ktratio=min(1e-6, tol))
    if prob.status != cp.OPTIMAL:
        raise RuntimeError(f"Clarabel status {prob.status}")
    return np.asarray(V.value), np.asarray(W.value), float(prob.value)


def convex_objective(X: np.ndarray, y: np.ndarray, beta: float, D: np.ndarray, V: np.ndarray,
                     W: np.ndarray) -> float:
    """The convex objective at ``(V, W)`` (columns aligned with those of ``D``)."""
    e = np.sum(D * (X @ (V - W)), axis=1) - y
    return 0.5 * e @ e + beta * (np.linalg.norm(V, axis=0).sum() + np.linalg.norm(W, axis=0).sum())


def recover_network(V: np.ndarray, W: np.ndarray, rel_thresh: float = 1e-7
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``(U, alpha)``: one neuron per block with norm above ``rel_thresh`` times the largest
    (interior-point solutions leave every block at ~1e-9), ``u = v/sqrt||v||``,
    ``alpha = +sqrt||v||`` and ``u = w/sqrt||w||``, ``alpha = -sqrt||w||``."""
    nv, nw = np.linalg.norm(V, axis=0), np.linalg.norm(W, axis=0)
    top = max(nv.max(initial=0.0), nw.max(initial=0.0))
    kv, kw = nv > rel_thresh * top, nw > rel_thresh * top
    if top == 0.0:
        return np.zeros((V.shape[0], 0)), np.zeros(0)
    U = np.hstack([V[:, kv] / np.sqrt(nv[kv]), W[:, kw] / np.sqrt(nw[kw])])
    return U, np.concatenate([np.sqrt(nv[kv]), -np.sqrt(nw[kw])])


def dual_bound(X: np.ndarray, y: np.ndarray, beta: float, D: np.ndarray, z: np.ndarray) -> float:
    """A lower bound on ``P_c`` over the patterns ``D`` from a dual point ``z`` (at the optimum
    ``z`` is the residual ``yhat - y``). Weak duality: for ``lambda_i, mu_i >= 0`` with
    ``||X^T(D_i z - E_i lambda_i)|| <= beta`` and ``||X^T(D_i z + E_i mu_i)|| <= beta``,
    ``P_c >= -1/2 ||z||^2 - z^T y``. The multipliers come from NNLS; ``z`` is shrunk by
    ``s = min(1, beta / worst norm)`` to make the point feasible."""
    worst = 0.0
    for d in D.T:
        A, b = X.T * (2.0 * d - 1.0), X.T @ (d * z)
        for rhs in (b, -b):
            lam, _ = nnls(A, rhs)
            worst = max(worst, float(np.linalg.norm(A @ lam - rhs)))
    s = min(1.0, beta / worst) if worst > 0 else 1.0
    return float(-0.5 * s * s * (z @ z) - s * (z @ y))
