r"""Allocation-free spectral norm of a tiny dense matrix (min side <= ~16), accurate to a few ulp.

For ``P`` of shape ``(m, n)`` and ``k = min(m, n)``::

    ||P||_2 = sigma_max(P) = sqrt(lambda_max(S)),   S = P^T P  (m >= n)   or   P P^T  (m < n),

``S`` the ``k x k`` Gram matrix of the shorter side. numba's ``np.linalg.norm(P, 2)`` calls
LAPACK's SVD, which for a 5 x 5 matrix is dominated by call overhead, workspace allocation and
computing every singular value; this kernel is ~3x faster there and allocates nothing.

**Scale.** ``P`` is multiplied by the power of two ``2^-e`` that brings its largest entry into
``[1/2, 1)`` (``e`` from ``frexp``: exact, no rounding), so the Gram entries are at most
``max(m, n)`` and cannot overflow, even for entries near 1e308 (the RNN callers keep products up
to 1e100 before renormalising). Only a product of two entries both ~1e154 below the largest
can underflow; such a term changes ``sigma_max^2 >= max|P_ij|^2`` by less than 1e-300 relative.
The result is ``2^e sqrt(lambda_max)``, again scaled exactly.

**Accuracy.** Forming ``S`` in floating point perturbs it by ``|E| <= m u |P|^T |P|``
(``u = 2^-53``), so ``lambda_max`` moves by at most ``||E||_2 <= m u ||P||_F^2 <= m k u
sigma_max^2``: a relative error of order ``m k u`` in the worst case, ~``u sqrt(m)`` typically.
Only the *largest* eigenvalue is wanted, and it is perturbed by at most ``||E||_2`` (Weyl), i.e.
well conditioned relative to itself; the small singular values, which the Gram matrix would
lose, are never used. ``sqrt`` then halves the relative error. Measured against LAPACK's SVD:
<= 1.2e-15 relative for ``m, n <= 16`` (``tests/test_solvers_small_linalg.py``).

**Eigenvalue.** Cyclic Jacobi on the upper triangle of ``S``. Each rotation uses the inner angle
(``|phi| <= pi/4``), zeroes ``S_pq`` and moves ``S_pq^2`` of off-diagonal mass onto the
diagonal, so ``off(S)^2 = sum_{p != q} S_pq^2`` never increases. A sweep rotates every pair once
in round-robin order (``k/2`` disjoint pairs per round: consecutive rotations are independent, so
their sqrt/division latencies overlap; ~15% faster than row-by-row at ``k = 5``). Cyclic Jacobi
converges globally for the row-cyclic ordering (Forsythe & Henrici 1960) and for parallel
orderings shown equivalent to it (e.g. Luk & Park 1989), quadratically in sweeps (Henrici 1958;
Hari 1991 also for multiple eigenvalues); round-robin needs the same number of sweeps here as
row-by-row. Rounding cannot stall it: a rotation changes an off-diagonal entry only
through combinations of off-diagonal entries, so its rounding error is relative to the shrinking
off-diagonal mass, not to the diagonal. Before each sweep, with ``i`` the largest diagonal
entry, ``r`` the rest of row ``i`` and ``B`` the rest of ``S``, it stops when either

* ``off(S) <= 1e-15 ||S||_F``: then ``|lambda_max - S_ii| <= off(S) <= 1e-15 sqrt(k)
  lambda_max`` (Weyl; ``||S||_F <= sqrt(k) lambda_max``), <= 4e-15 relative for ``k <= 16``;
* or ``||r||^2 <= 1e-16 g S_ii`` with the gap ``g = S_ii - max_{j != i} S_jj - off(B) > 0``:
  then ``lambda_max(B) <= S_ii - g`` (Weyl), so ``lambda_max >= S_ii > lambda_max(B)`` solves the
  secular equation ``lambda - S_ii = r^T (lambda - B)^-1 r``, and ``0 <= lambda_max - S_ii <=
  ||r||^2 / g <= 1e-16 S_ii``. This quadratic bound usually saves the last sweep.

Random Gram matrices need 3-5 sweeps at ``k = 5`` and 5-6 at ``k = 16`` (also with clustered
top eigenvalues). ``MAX_SWEEPS = 50`` is far beyond what quadratic convergence needs for
``k <= 16``; should it ever be reached, :func:`jacobi_max_eigenvalue` raises rather than return
an unconverged value.
"""
from __future__ import annotations

import math

import numba
import numpy as np

JACOBI_TOL = 1e-15  # off-diagonal Frobenius norm relative to ||S||_F at which Jacobi stops
RESIDUAL_TOL = 1e-16  # relative eigenvalue error allowed by the quadratic (gap) stopping test
MAX_SWEEPS = 50


@numba.njit(cache=True)
def _jacobi_rotate(S: np.ndarray, k: np.int64, p: np.int64, q: np.int64) -> None:
    """One Jacobi rotation in the ``(p, q)`` plane (``p < q``) zeroing ``S[p, q]``; only the
    upper triangle of the leading ``k x k`` block is read and written. Expects ``max|S_ij|``
    of order 1 (squares of the entries must neither overflow nor matter when they underflow)."""
    apq = S[p, q]
    if apq == 0.0:
        return
    d = S[q, q] - S[p, p]
    # t = tan(phi) of the inner angle, tan(2 phi) = 2 apq / d, without cancellation; one sqrt
    # and one division fewer than the textbook theta = d / (2 apq) form (latency-bound here)
    den = abs(d) + math.sqrt(d * d + 4.0 * apq * apq)
    if den == 0.0:
        # d and apq below ~1e-154 with max|S_ij| ~ 1 (the caller scales S): dropping apq moves
        # the eigenvalues by at most |apq|
        S[p, q] = 0.0
        return
    t = 2.0 * apq / den
    if d < 0.0:
        t = -t
    c = 1.0 / math.sqrt(t * t + 1.0)
    s = t * c
    h = t * apq
    S[p, p] -= h
    S[q, q] += h
    S[p, q] = 0.0
    # row/column p and q of the symmetric matrix, stored where the upper triangle keeps them
    for r in range(p):
        g, f = S[r, p], S[r, q]
        S[r, p] = c * g - s * f
        S[r, q] = s * g + c * f
    for r in range(p + 1, q):
        g, f = S[p, r], S[r, q]
        S[p, r] = c * g - s * f
        S[r, q] = s * g + c * f
    for r in range(q + 1, k):
        g, f = S[p, r], S[q, r]
        S[p, r] = c * g - s * f
        S[q, r] = s * g + c * f


@numba.njit(cache=True)
def jacobi_max_eigenvalue(S: np.ndarray, k: np.int64) -> float:
    """Largest eigenvalue of the symmetric ``k x k`` matrix held in the upper triangle of the
    leading block of ``S`` (the strict lower triangle is never read; the block is overwritten).

    Cyclic Jacobi until one of the two stopping tests of the module docstring holds (error
    <= ``JACOBI_TOL ||S||_F`` or ``RESIDUAL_TOL lambda_max``); raises ``RuntimeError`` if
    neither holds after ``MAX_SWEEPS`` sweeps. Any scale of entries is fine (the block is first
    scaled by a power of two). A zero (or empty) block gives 0.0, one with nan or +-inf nan.
    """
    mx = 0.0
    for p in range(k):
        for q in range(p, k):
            a = abs(S[p, q])
            if a > mx or a != a:
                mx = a
    if mx == 0.0:
        return 0.0
    if not mx < np.inf:
        return np.nan
    # exact power-of-two scaling to max|S_ij| in [1/2, 1): the rotation squares entries
    e = math.frexp(mx)[1]
    if e < -1022:
        e = -1022
    inv = math.ldexp(1.0, -e)
    for p in range(k):
        for q in range(p, k):
            S[p, q] *= inv
    fro2 = 0.0
    for p in range(k):
        fro2 += S[p, p] * S[p, p]
        for q in range(p + 1, k):
            fro2 += 2.0 * S[p, q] * S[p, q]
    limit = JACOBI_TOL * JACOBI_TOL * fro2
    K = k + (k & 1)  # round-robin needs an even number of players; player k (if any) sits out
    for sweep in range(MAX_SWEEPS + 1):
        off2 = 0.0
        for p in range(k):
            for q in range(p + 1, k):
                off2 += S[p, q] * S[p, q]
        top = np.int64(0)
        for p in range(1, k):
            if S[p, p] > S[top, top]:
                top = np.int64(p)
        best = S[top, top]
        if 2.0 * off2 <= limit:
            return math.ldexp(best, e)
        r2 = 0.0
        second = -np.inf
        for p in range(k):
            if p < top:
                r2 += S[p, top] * S[p, top]
            elif p > top:
                r2 += S[top, p] * S[top, p]
            if p != top and S[p, p] > second:
                second = S[p, p]
        gap = best - second - math.sqrt(2.0 * max(off2 - r2, 0.0))
        if gap > 0.0 and r2 <= RESIDUAL_TOL * gap * best:
            return math.ldexp(best, e)
        if sweep == MAX_SWEEPS:
            break
        # circle method: player K-1 fixed, the others rotate; every pair meets once per sweep
        for rnd in range(K - 1):
            for i in range(K // 2):
                a = rnd + i
                if a >= K - 1:
                    a -= K - 1
                if i == 0:
                    b = K - 1
                else:
                    b = rnd - i
                    if b < 0:
                        b += K - 1
                if a < k and b < k:
                    if a < b:
                        _jacobi_rotate(S, k, np.int64(a), np.int64(b))
                    else:
                        _jacobi_rotate(S, k, np.int64(b), np.int64(a))
    raise RuntimeError("jacobi_max_eigenvalue: no convergence in MAX_SWEEPS sweeps")


@numba.njit(cache=True)
def spectral_norm_small_ws(P: np.ndarray, S: np.ndarray) -> float:
    """``||P||_2`` (largest singular value) of a 2-D float array ``P``, using the workspace
    ``S`` (at least ``min(m, n) x min(m, n)``; overwritten) instead of allocating.

    Agrees with ``np.linalg.norm(P, 2)`` to ~1e-15 relative (module docstring). An empty or
    all-zero ``P`` gives 0.0; a ``P`` containing nan gives nan, else one containing +-inf gives
    inf (where numba's ``np.linalg.norm`` raises).
    """
    m, n = P.shape
    scale = 0.0
    has_nan = False
    for i in range(m):
        for j in range(n):
            a = abs(P[i, j])
            if a > scale:
                scale = a
            elif a != a:
                has_nan = True
    if has_nan:
        return np.nan
    if scale == 0.0 or scale == np.inf:
        return scale
    # 2^-e with 2^(e-1) <= scale < 2^e; for a tiny subnormal scale 2^-e would overflow, and
    # 2^1022 already lifts the largest entry to >= 2^-52, far from underflow
    e = math.frexp(scale)[1]
    if e < -1022:
        e = -1022
    inv = math.ldexp(1.0, -e)
    if m >= n:
        k = n
        for i in range(n):
            for j in range(i, n):
                acc = 0.0
                for r in range(m):
                    acc += (P[r, i] * inv) * (P[r, j] * inv)
                S[i, j] = acc
    else:
        k = m
        for i in range(m):
            for j in range(i, m):
                acc = 0.0
                for r in range(n):
                    acc += (P[i, r] * inv) * (P[j, r] * inv)
                S[i, j] = acc
    lam = jacobi_max_eigenvalue(S, np.int64(k))
    # a rank-deficient S can give -1e-17 for a zero eigenvalue (only when all are ~0)
    return math.ldexp(math.sqrt(max(lam, 0.0)), e)


@numba.njit(cache=True)
def spectral_norm_small(P: np.ndarray) -> float:
    """``||P||_2`` of a small 2-D float array: :func:`spectral_norm_small_ws` with a fresh
    ``k x k`` workspace (``k = min(m, n)``). Callers in a loop pass their own to
    :func:`spectral_norm_small_ws` (saves ~40 ns of ~1 us per 5 x 5 call)."""
    k = min(P.shape[0], P.shape[1])
    return spectral_norm_small_ws(P, np.empty((k, k)))
