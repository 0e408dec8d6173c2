"""solvers.perceptron against plain-python loops, the logistic GD of solvers.first_order and
closed forms on the two datasets of Tyurin (2024), Thm 4.1 and Thm 5.1."""
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from solvers import first_order as fo
from solvers import perceptron as P
from solvers.generators import separable_data

SEEDS = st.integers(0, 2**32 - 1)


def _loop(A, y, steps, method, gamma=1.0):
    """Plain-python transcription of the module docstring's four recursions."""
    n, d = A.shape
    z = [[float(y[i] * A[i, k]) for k in range(d)] for i in range(n)]
    th, out = [0.0] * d, [[0.0] * d]
    for t in range(steps):
        m = [sum(zi[k] * th[k] for k in range(d)) for zi in z]
        if method == "lr":
            w = [gamma / n / (1 + math.exp(mi)) for mi in m]
        elif method == "nlr":  # beta_t = (1/n sum sigma(-m))^{-1}; m stays small here
            s = [1 / (1 + math.exp(mi)) for mi in m]
            w = [gamma * si / sum(s) for si in s]
        else:
            S = [mi <= 0 for mi in m]
            c = 1 / sum(S) if method == "nbp" else 1 / (2 * n) if t == 0 else 1 / n
            c = c if any(S) else 0.0
            w = [c * si for si in S]
        th = [th[k] + sum(w[i] * z[i][k] for i in range(n)) for k in range(d)]
        out.append(th)
    return np.array(out)


@given(n=st.integers(2, 12), d=st.integers(1, 4), c=st.floats(0.0, 1.0), seed=SEEDS,
       gamma=st.floats(0.05, 3.0), method=st.sampled_from(["lr", "nlr", "bp", "nbp"]))
def test_paths_match_python_loop(n, d, c, seed, gamma, method):
    A, y = separable_data(n, d, c, seed)
    steps = 15
    if method in ("lr", "nlr"):
        got = P.lr_gd(A, y, gamma, steps, method == "nlr")
    else:
        got = P.batch_perceptron(A, y, steps, method == "nbp")
    ref = _loop(A, y, steps, method, gamma)
    np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-12 * (1 + np.abs(ref).max()))


@given(n=st.integers(2, 30), d=st.integers(1, 5), c=st.floats(0.05, 1.0), seed=SEEDS,
       gamma=st.floats(0.1, 100.0), normalized=st.booleans())
def test_counts_are_first_separating_index(n, d, c, seed, gamma, normalized):
    """The count functions agree with the first separating iterate of the path functions."""
    A, y = separable_data(n, d, c, seed)
    Z = A * y[:, None]
    for count, path in ((P.perceptron_count(A, y, 400, normalized),
                         P.batch_perceptron(A, y, 400, normalized)),
                        (P.lr_gd_count(A, y, gamma, 400, normalized),
                         P.lr_gd(A, y, gamma, 400, normalized))):
        sep = np.flatnonzero((path @ Z.T).min(axis=1) > 0)
        assert count == (sep[0] if sep.size else 401)


@given(n=st.integers(2, 20), d=st.integers(1, 4), seed=SEEDS, gamma=st.floats(0.1, 50.0),
       steps=st.integers(0, 20))
def test_lr_gd_matches_first_order_gd_logistic(n, d, seed, gamma, steps):
    """LR+GD is gradient descent on the mean logistic loss (an independent solver)."""
    A, y = separable_data(n, d, 0.3, seed)
    _, x = fo.gd_logistic(A, y, np.zeros(d), gamma, steps)
    np.testing.assert_allclose(P.lr_gd(A, y, gamma, steps, False)[-1], x, rtol=1e-10, atol=1e-12 * gamma)


def test_no_overflow_and_no_nan_at_huge_margins():
    A, y = separable_data(20, 3, 1.0, 7)
    for normalized in (False, True):
        path = P.lr_gd(A, y, 1e12, 30, normalized)
        assert np.all(np.isfinite(path))
    assert P.sigmoid_neg(1e308) == 0.0 and P.sigmoid_neg(-1e308) == 1.0


@pytest.mark.parametrize("gamma", [0.5, 3.0, 20.0, 100.0, 1e4])
def test_thm41_two_point_closed_form(gamma):
    """Tyurin Thm 4.1: sample (1,-1) class +1, (-1,-4) class -1; theta_1 = gamma (1/2, 3/4),
    f(theta_1) = 1/2 [log(1 + e^{gamma/4}) + log(1 + e^{-7 gamma/2})] and
    theta_2/gamma = (1/2, 3/4) + 1/2 [sigma(gamma/4) (1,-1) + sigma(-7 gamma/2) (1,4)]."""
    A, y = np.array([[1.0, -1.0], [-1.0, -4.0]]), np.array([1.0, -1.0])
    th = P.lr_gd(A, y, gamma, 2, False)
    np.testing.assert_allclose(th[1], gamma * np.array([0.5, 0.75]), rtol=1e-15)
    f1 = 0.5 * (np.logaddexp(0, gamma / 4) + np.logaddexp(0, -3.5 * gamma))
    assert math.isclose(fo.logistic_value(A, y, th[1]), f1, rel_tol=1e-13)
    sig = lambda u: math.exp(-np.logaddexp(0.0, -u))  # noqa: E731  (no overflow)
    th2 = np.array([0.5, 0.75]) + 0.5 * (sig(gamma / 4) * np.array([1, -1.0])
                                         + sig(-3.5 * gamma) * np.array([1, 4.0]))
    np.testing.assert_allclose(th[2] / gamma, th2, rtol=1e-14, atol=1e-15)
    assert P.perceptron_count(A, y, 100, False) == 2  # theta_hat_2 = (1, 1/4) separates


def _thm51(n):
    return np.array([[0.5, -1.0]] + [[-0.5, -1.0]] * (n - 1)), np.array([1.0] + [-1.0] * (n - 1))


@pytest.mark.parametrize("n", [3, 4, 5, 9, 10, 11, 17, 20, 33, 57, 100, 101, 999, 1000])
def test_thm51_batch_perceptron_count(n):
    """Thm 5.1 dataset (z_1 = (1/2,-1), z_i = (1/2,1) for i >= 2). While only z_1 is
    misclassified, theta_k = (1/4 + (k-1)/(2n), (n-2k)/(2n)), so n m_1 = 5k/4 - 3n/8 - 1/4 and
    n m_i = 5n/8 - 3k/4 - 1/4 (i >= 2). m_1 > 0 first at k = floor((3n+2)/10) + 1, where
    m_i > 0 still holds for n >= 3; hence T_BP = floor((3n+2)/10) + 1 (derived by hand here; a
    tie m_1 = 0 occurs iff 10 | 3n+2, i.e. n = 6 mod 10, excluded because float rounding can
    then break it either way). Normalized BP: theta_1 = (1/2, (n-2)/n), theta_2 = (1, -2/n),
    which separates for n >= 5."""
    A, y = _thm51(n)
    T = (3 * n + 2) // 10 + 1
    assert P.perceptron_count(A, y, 10 * n, False) == T
    path = P.batch_perceptron(A, y, T, False)
    k = np.arange(1, T + 1)
    np.testing.assert_allclose(path[1:], np.c_[0.25 + (k - 1) / (2 * n), (n - 2 * k) / (2 * n)],
                               atol=1e-14)
    if n >= 5:
        assert P.perceptron_count(A, y, 100, normalized=True) == 2


def test_thm51_count_exact_rational_arithmetic():
    """The closed-form count against an exact (Fraction) Batch Perceptron, ties included."""
    for n in range(3, 60):
        z = [(Fraction(1, 2), Fraction(-1))] + [(Fraction(1, 2), Fraction(1))] * (n - 1)
        th = [sum(v[k] for v in z) / (2 * n) for k in range(2)]
        t = 1
        while True:
            S = [v for v in z if v[0] * th[0] + v[1] * th[1] <= 0]
            if not S:
                break
            th = [th[k] + sum(v[k] for v in S) / n for k in range(2)]
            t += 1
        assert t == (3 * n + 2) // 10 + 1, n
