"""The convex ReLU program against independent computations: Cover's count and an angular sweep
for the exact enumeration, LP feasibility of every cell, Gaussian sampling (a subset), weak
duality (NNLS multipliers) for the optimum, and the recovery identity on random feasible points."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from solvers import convex_relu as cr
from solvers.generators import rng
from solvers.relu_net import relu_objective


def _data(n, d, seed, bias=True):
    gen = rng(seed)
    Z = gen.standard_normal((n, d))
    return (np.hstack([Z, np.ones((n, 1))]) if bias else Z), gen.standard_normal(n), gen


def _columns(D):
    return {tuple(c) for c in D.T.astype(int)}


def test_count_formula_small_values():
    """n lines through 0 in R^2 cut 2n sectors; n planes in R^3 in general position: n(n-1)+2."""
    for n in range(2, 15):
        assert cr.arrangement_count(n, 2) == 2 * n
        assert cr.arrangement_count(n, 3) == n * (n - 1) + 2
        assert cr.arrangement_count(n, n) == 2**n  # r >= n: every sign pattern


@given(n=st.integers(3, 12), d=st.integers(1, 3), bias=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_enumeration_count_and_sampling_subset(n, d, bias, seed):
    X, _, gen = _data(n, d, seed, bias)
    if X.shape[1] < 2 or n < X.shape[1]:
        return
    D = cr.arrangement_patterns(X)
    assert D.shape == (n, cr.arrangement_count(n, X.shape[1]))
    assert len(_columns(D)) == D.shape[1]
    sampled = cr.sample_patterns(X, 2000, gen)
    assert _columns(sampled) <= _columns(D)  # sampling never finds a cell the enumeration missed


@settings(max_examples=10)
@given(n=st.integers(3, 7), d=st.integers(1, 2), seed=st.integers(0, 2**32 - 1))
def test_every_cell_is_open_and_nonempty(n, d, seed):
    """LP: for each pattern some g has (2d - 1) * (X g) >= 1 (an open full-dimensional cell)."""
    X, _, _ = _data(n, d, seed)
    for col in cr.arrangement_patterns(X).T:
        E = 2 * col - 1
        lp = linprog(np.zeros(X.shape[1]), A_ub=-(E[:, None] * X), b_ub=-np.ones(n),
                     bounds=[(None, None)] * X.shape[1], method="highs")
        assert lp.status == 0


@given(n=st.integers(2, 12), seed=st.integers(0, 2**32 - 1))
def test_planar_enumeration_matches_angular_sweep(n, seed):
    """r = 2: the cells are the 2n sectors between consecutive directions +-perp(x_j)."""
    X, _, _ = _data(n, 1, seed)
    ang = np.sort(np.concatenate([np.arctan2(X[:, 0], -X[:, 1]), np.arctan2(-X[:, 0], X[:, 1])]))
    mid = (ang + np.roll(ang, -1) + np.where(np.arange(2 * n) == 2 * n - 1, 2 * np.pi, 0)) / 2
    sweep = (X @ np.vstack([np.cos(mid), np.sin(mid)]) >= 0).astype(float)
    assert _columns(sweep) == _columns(cr.arrangement_patterns(X))


def test_degenerate_arrangement_raises():
    X, _, _ = _data(6, 2, 1)
    X[3] = X[1]  # duplicate row: not in general position
    with pytest.raises(ValueError):
        cr.arrangement_patterns(X)


@pytest.mark.parametrize("n,d,beta,seed", [(5, 1, 0.05, 0), (6, 2, 0.01, 1), (8, 2, 0.3, 2),
                                           (7, 3, 0.1, 3)])
def test_optimum_matches_dual_bound(n, d, beta, seed):
    """Weak duality: 0 <= P_c - dual(residual) <= 1e-6 P_c; the objective at the returned point
    equals the reported value; random feasible points and dual points bracket P_c."""
    X, y, gen = _data(n, d, seed)
    D = cr.arrangement_patterns(X)
    V, W, value = cr.solve_convex_relu(X, y, beta, D)
    Dk = D[:, D.any(axis=0)]
    assert cr.convex_objective(X, y, beta, Dk, V, W) == pytest.approx(value, rel=1e-9)
    dual = cr.dual_bound(X, y, beta, D, np.sum(Dk * (X @ (V - W)), axis=1) - y)
    assert 0.0 <= value - dual <= 1e-6 * value
    assert cr.dual_bound(X, y, beta, D, gen.standard_normal(n)) <= value
    G = _interior_directions(X, Dk)
    for _ in range(5):  # a random feasible point: v_i = c g_i with g_i inside cell i
        c1, c2 = gen.uniform(0, 0.3, Dk.shape[1]), gen.uniform(0, 0.3, Dk.shape[1])
        assert cr.convex_objective(X, y, beta, Dk, G * c1, G * c2) >= value * (1 - 1e-8)


def _interior_directions(X, D):
    """A direction inside each cell (LP), columns aligned with D."""
    out = []
    for col in D.T:
        E = 2 * col - 1
        lp = linprog(np.zeros(X.shape[1]), A_ub=-(E[:, None] * X), b_ub=-np.ones(X.shape[0]),
                     bounds=[(None, None)] * X.shape[1], method="highs")
        out.append(lp.x / np.linalg.norm(lp.x))
    return np.array(out).T


@settings(max_examples=20)
@given(n=st.integers(3, 8), d=st.integers(1, 3), beta=st.floats(0.01, 1.0),
       seed=st.integers(0, 2**32 - 1))
def test_recovery_identity_on_feasible_points(n, d, beta, seed):
    """For feasible (V, W), the recovered network's P_nc equals the convex objective exactly."""
    X, y, gen = _data(n, d, seed)
    if n < d + 1:
        return
    G = gen.standard_normal((d + 1, 6))
    D = (X @ G >= 0).astype(float)
    V, W = G * gen.uniform(0, 2, 6), G * gen.uniform(0, 2, 6) * (gen.random(6) < 0.5)
    U, a = cr.recover_network(V, W, rel_thresh=0.0)
    assert relu_objective(X, y, np.ascontiguousarray(U), a, beta) == pytest.approx(
        cr.convex_objective(X, y, beta, D, V, W), rel=1e-12, abs=1e-12)


@given(n=st.integers(1, 70), rows=st.integers(1, 40), seed=st.integers(0, 2**32 - 1))
def test_unique_patterns_is_numpy_unique_of_rows(n, rows, seed):
    """Distinct 0/1 rows in lexicographic order, as float columns: the bitmask sort (n <= 62)
    and the fallback agree with np.unique(axis=0)."""
    cells = rng(seed).integers(0, 2, (rows, n)).astype(np.int8)
    cells[-1] = cells[0]  # at least one duplicate row
    expected = np.unique(cells, axis=0).T.astype(np.float64)
    got = cr.unique_patterns(cells)
    assert got.dtype == np.float64 and np.array_equal(got, expected)
