"""The tiny-matrix spectral norm (Gram matrix + cyclic Jacobi) against LAPACK's SVD
(``np.linalg.norm(P, 2)``) and ``np.linalg.eigvalsh``: random, ill-conditioned, rank-deficient,
zero, 1 x n, huge, tiny and mixed-magnitude matrices, and the non-finite conventions."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from solvers import small_linalg as sl
from solvers.generators import random_orthogonal, rng

SEEDS = st.integers(0, 2**32 - 1)
RTOL = 1e-14  # measured: <= 1.2e-15 over 2e4 matrices up to 16 x 16 of these kinds
KINDS = ["gaussian", "ill-conditioned", "rank-deficient", "huge", "tiny", "mixed magnitudes",
         "clustered top"]


def _matrix(kind, m, n, gen):
    k = min(m, n)
    if kind == "gaussian":
        return gen.standard_normal((m, n))
    if kind in ("ill-conditioned", "clustered top"):
        s = np.logspace(0, -gen.uniform(0, 16), k)
        if kind == "clustered top":  # sigma_1 = sigma_2 (to rounding): no gap for Jacobi
            s[: max(1, k // 2)] = 1.0 + 1e-15 * gen.standard_normal(max(1, k // 2))
        return (random_orthogonal(m, gen)[:, :k] * s) @ random_orthogonal(n, gen)[:k]
    if kind == "rank-deficient":
        r = int(gen.integers(0, k + 1))
        return gen.standard_normal((m, r)) @ gen.standard_normal((r, n))
    if kind == "huge":  # squares overflow without scaling
        return gen.standard_normal((m, n)) * 10.0 ** gen.uniform(100, 300)
    if kind == "tiny":  # squares underflow without scaling
        return gen.standard_normal((m, n)) * 10.0 ** -gen.uniform(100, 300)
    return gen.standard_normal((m, n)) * 10.0 ** gen.uniform(-150, 150, (m, n))


@given(m=st.integers(1, 16), n=st.integers(1, 16), kind=st.sampled_from(KINDS), seed=SEEDS)
def test_spectral_norm_matches_lapack_svd(m, n, kind, seed):
    P = np.ascontiguousarray(_matrix(kind, m, n, rng(seed)))
    ref = np.linalg.norm(P, 2)
    got = sl.spectral_norm_small(P)
    assert abs(got - ref) <= RTOL * ref, (got, ref)
    assert sl.spectral_norm_small(np.ascontiguousarray(P.T)) == pytest.approx(ref, rel=RTOL)


@given(m=st.integers(1, 6), n=st.integers(1, 6), seed=SEEDS)
def test_workspace_variant_reads_only_p_and_the_leading_block(m, n, seed):
    """A larger workspace full of nan (only its leading k x k block may be used) and the
    caller's P left unchanged; the allocating wrapper gives the same bits."""
    P = rng(seed).standard_normal((m, n))
    before = P.copy()
    S = np.full((7, 7), np.nan)
    got = sl.spectral_norm_small_ws(P, S)
    assert np.array_equal(P, before)
    assert np.isnan(S[min(m, n):]).all() and np.isnan(S[:, min(m, n):]).all()
    assert got == sl.spectral_norm_small(P)
    assert abs(got - np.linalg.norm(P, 2)) <= RTOL * got


@given(k=st.integers(1, 12), psd=st.booleans(), seed=SEEDS)
def test_jacobi_max_eigenvalue_matches_eigvalsh_reading_the_upper_triangle_only(k, psd, seed):
    gen = rng(seed)
    B = gen.standard_normal((k, k))
    S = B @ B.T if psd else B + B.T
    ref = np.linalg.eigvalsh(S)
    work = np.triu(S) + np.tril(np.full((k, k), np.nan), -1)  # strict lower: never read
    got = sl.jacobi_max_eigenvalue(work, np.int64(k))
    # absolute in ||S||: an indefinite S may have lambda_max near 0
    assert abs(got - ref[-1]) <= 1e-14 * np.abs(ref).max()


@pytest.mark.parametrize("x", [3.0, -7.25, 1e-310, 5e-324, 1.7e308, -1e-200, math.pi])
def test_one_by_one_is_the_absolute_value_exactly(x):
    assert sl.spectral_norm_small(np.array([[x]])) == abs(x)


def test_vectors_zero_empty_and_special_matrices():
    v = np.array([[3.0, 4.0, 12.0]])
    assert sl.spectral_norm_small(v) == pytest.approx(13.0, rel=1e-16)
    assert sl.spectral_norm_small(np.ascontiguousarray(v.T)) == pytest.approx(13.0, rel=1e-16)
    assert sl.spectral_norm_small(np.zeros((4, 3))) == 0.0
    assert sl.spectral_norm_small(np.zeros((0, 3))) == 0.0
    assert sl.spectral_norm_small(np.zeros((2, 0))) == 0.0
    for k in (1, 2, 5, 16):  # every singular value equal: the gap-free stopping rule
        assert sl.spectral_norm_small(np.eye(k)) == pytest.approx(1.0, rel=1e-15)
        Q = random_orthogonal(k, rng(k))
        assert sl.spectral_norm_small(1e200 * Q) == pytest.approx(1e200, rel=1e-15)
    assert sl.spectral_norm_small(np.ones((5, 5))) == pytest.approx(5.0, rel=1e-15)
    assert sl.spectral_norm_small(np.full((3, 3), 1e307)) == pytest.approx(3e307, rel=1e-15)
    # subnormal entries (squares underflow to 0): exact power-of-two scaling loses nothing
    sub = np.array([[3e-320, 4e-320], [0.0, 0.0]])
    assert sl.spectral_norm_small(sub) == pytest.approx(math.hypot(3e-320, 4e-320), rel=1e-15)
    # the true norm exceeds the largest double: overflows to inf, not nan
    assert sl.spectral_norm_small(np.full((2, 2), 1.5e308)) == np.inf


def test_non_finite_inputs():
    """nan anywhere gives nan; otherwise an infinite entry gives inf (numba's np.linalg.norm
    raises on both)."""
    P = np.ones((3, 4))
    P[1, 2] = np.nan
    assert np.isnan(sl.spectral_norm_small(P))
    P[0, 0] = np.inf
    assert np.isnan(sl.spectral_norm_small(P))
    P[1, 2] = -np.inf
    assert sl.spectral_norm_small(P) == np.inf
    S = np.ones((2, 2))
    S[0, 1] = np.nan
    assert np.isnan(sl.jacobi_max_eigenvalue(S, np.int64(2)))


def test_jacobi_raises_instead_of_returning_an_unconverged_value(monkeypatch):
    """The interpreted function reads MAX_SWEEPS at call time: with one sweep allowed, a
    5 x 5 Gram matrix (4-5 sweeps needed) must raise, not return its diagonal maximum."""
    S = rng(0).standard_normal((5, 5))
    S = S @ S.T
    monkeypatch.setattr(sl, "MAX_SWEEPS", 1)
    with pytest.raises(RuntimeError, match="no convergence"):
        sl.jacobi_max_eigenvalue.py_func(S.copy(), np.int64(5))
    monkeypatch.setattr(sl, "MAX_SWEEPS", 50)
    got = sl.jacobi_max_eigenvalue.py_func(S.copy(), np.int64(5))
    assert got == pytest.approx(np.linalg.eigvalsh(S)[-1], rel=1e-15)
