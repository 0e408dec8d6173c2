"""shPLRNN / GTF solvers against independent computations: finite differences of plain-python
maps, the Lozi map written directly, explicit per-region Jacobians, and numpy products."""
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers import rnn_dynamics as rd
from solvers.generators import rng

SEEDS = st.integers(0, 2**32 - 1)


def _model(M, H, seed, gain=1.0):
    gen = rng(seed)
    return (gen.uniform(-0.9, 0.9, M), gain * gen.standard_normal((M, H)) / math.sqrt(H),
            gen.standard_normal((H, M)) / math.sqrt(M), 0.1 * gen.standard_normal(M),
            0.5 * gen.standard_normal(H)), gen


def _step(A, W1, W2, h1, h2, z):  # plain python F
    r = [max(0.0, sum(W2[i, j] * z[j] for j in range(len(z))) + h2[i]) for i in range(len(h2))]
    return np.array([A[m] * z[m] + sum(W1[m, i] * r[i] for i in range(len(r))) + h1[m]
                     for m in range(len(z))])


def _gtf(params, X, alpha, s, zs):  # plain-python GTF from time s with state zs
    z = zs.copy()
    out = [z]
    for t in range(s + 1, len(X)):
        z = (1 - alpha) * _step(*params, z) + alpha * X[t]
        out.append(z)
    return out


@given(M=st.integers(1, 5), H=st.integers(1, 6), seed=SEEDS)
def test_jacobian_matches_finite_differences(M, H, seed):
    (A, W1, W2, h1, h2), gen = _model(M, H, seed)
    z, eps = gen.standard_normal(M), 1e-7
    fd = np.column_stack([(_step(A, W1, W2, h1, h2, z + eps * e) -
                           _step(A, W1, W2, h1, h2, z - eps * e)) / (2 * eps) for e in np.eye(M)])
    pre = W2 @ z + h2
    if np.min(np.abs(pre)) < 1e-5 * (1 + np.linalg.norm(W2, 2)):
        return  # a kink within the stencil (probability ~1e-5)
    np.testing.assert_allclose(rd.shplrnn_jacobian(A, W1, W2, h2, z), fd, atol=1e-6)
    np.testing.assert_allclose(rd.shplrnn_step(A, W1, W2, h1, h2, z),
                               _step(A, W1, W2, h1, h2, z), rtol=1e-12, atol=1e-12)


@settings(max_examples=25)
@given(M=st.integers(1, 4), H=st.integers(1, 5), T=st.integers(1, 10),
       alpha=st.floats(0.0, 1.0), seed=SEEDS)
def test_product_norms_match_finite_differences_of_gtf(M, H, T, alpha, seed):
    """out[L-1] = max_s ||d z~_{s+L} / d z~_s||_2, the derivative by central differences of
    the plain-python GTF recursion restarted at s (all windows: max_lag = T - s)."""
    params, gen = _model(M, H, seed, gain=2.0)
    X = gen.standard_normal((T + 1, M))
    Z = _gtf(params, X, alpha, 0, X[0])
    np.testing.assert_allclose(rd.gtf_forward(*params, X, alpha), np.array(Z), rtol=1e-12,
                               atol=1e-12)
    out = rd.gtf_product_norms(*params, X, alpha, (T - np.arange(T)).astype(np.int64))
    eps, best = 1e-7, np.full(T, -1.0)
    pre = np.array(Z) @ params[2].T + params[4]
    if np.min(np.abs(pre)) < 10 * eps * max(1.0, out.max()) * np.linalg.norm(params[2], 2):
        return  # a perturbed trajectory could cross a kink: differences would not be exact
    for s in range(T):
        cols = [(np.array(_gtf(params, X, alpha, s, Z[s] + eps * e)) -
                 np.array(_gtf(params, X, alpha, s, Z[s] - eps * e))) / (2 * eps)
                for e in np.eye(M)]
        for L in range(1, T - s + 1):
            best[L - 1] = max(best[L - 1], np.linalg.norm(np.column_stack([c[L] for c in cols]), 2))
    np.testing.assert_allclose(out, best, rtol=1e-5, atol=1e-6)


@settings(max_examples=25)
@given(M=st.integers(1, 5), H=st.integers(1, 6), T=st.integers(1, 60), alpha=st.floats(0.0, 1.0),
       gain=st.sampled_from([0.5, 2.0, 100.0]), seed=SEEDS)
def test_product_norms_and_mask_bound_match_numpy_products_and_svd(M, H, T, alpha, gain, seed):
    """The scalar loops and the Jacobi norm kernel (solvers.small_linalg) against numpy
    products and LAPACK's SVD, with random window lengths; gain 100 pushes products past the
    1e100 renormalisation (the reference renormalises every step)."""
    params, gen = _model(M, H, seed, gain=gain)
    A, W1, W2, h1, h2 = params
    X = gen.standard_normal((T + 1, M))
    max_lag = np.array([gen.integers(1, T - s + 1) for s in range(T)], dtype=np.int64)
    out = rd.gtf_product_norms(*params, X, alpha, max_lag)
    Z = rd.gtf_forward(*params, X, alpha)
    G = [(1 - alpha) * rd.shplrnn_jacobian(A, W1, W2, h2, Z[k]) for k in range(T)]
    ref = np.full(T, -1.0)
    for s in range(T):
        P, logc = np.eye(M), 0.0
        for L in range(1, max_lag[s] + 1):
            P = G[s + L - 1] @ P
            n = np.linalg.norm(P, 2)
            ref[L - 1] = max(ref[L - 1], math.exp(logc + math.log(n)) if n > 0 else 0.0)
            if n > 0:
                P, logc = P / n, logc + math.log(n)
    # rounding of the products (cancellation when ||P|| << prod ||G||) and of the carried
    # log-scale (~1e-16 |log val| per step): observed <= 4e-14 max(1, |log val|) in 3000 runs
    assert np.array_equal(out > 0, ref > 0)
    pos = ref > 0
    assert np.all(np.abs(out[pos] - ref[pos]) <=
                  1e-12 * np.maximum(1.0, np.abs(np.log(ref[pos]))) * ref[pos])
    masks = rd.all_masks(H)
    best = max(np.linalg.norm(np.diag(A) + (W1 * m) @ W2, 2) for m in masks)
    assert abs(rd.mask_norm_bound(A, W1, W2, masks) - best) <= 1e-14 * best


@given(M=st.integers(2, 5), seed=SEEDS)
def test_mask_bound_equals_max_over_realised_regions(M, seed):
    """H <= M, W2 full rank: every mask is realised at z solving W2 z + h2 = +-1, so the mask
    maximum equals the largest ||J(z)|| over those points; the code's bound dominates it."""
    H = M - int(rng(seed).integers(0, M - 1))
    (A, W1, W2, h1, h2), _ = _model(M, H, seed)
    masks = rd.all_masks(H)
    norms = [np.linalg.norm(rd.shplrnn_jacobian(A, W1, W2, h2, np.linalg.lstsq(
        W2, 2 * m - 1 - h2, rcond=None)[0]), 2) for m in masks]
    bound = rd.mask_norm_bound(A, W1, W2, masks)
    assert abs(bound - max(norms)) <= 1e-12 * bound
    assert rd.code_norm_bound(A, W1, W2) >= bound * (1 - 1e-12)
    assert masks.shape == (2**H, H) and len({tuple(m) for m in masks}) == 2**H


@given(a=st.floats(1.6, 1.72), b=st.floats(0.3, 0.5))
def test_lozi_shplrnn_is_the_lozi_map(a, b):
    A, W1, W2, h1, h2 = rd.lozi_shplrnn(a, b)
    orbit = rd.lozi_orbit(a, b, 0.1, -0.2, 50)
    x, y = 0.1, -0.2
    for t in range(50):
        np.testing.assert_allclose(orbit[t], [x, y], rtol=1e-12, atol=1e-12)
        z = np.array([x, y])
        np.testing.assert_allclose(rd.shplrnn_step(A, W1, W2, h1, h2, z), orbit[t + 1]
                                   if t < 49 else [1 + y - a * abs(x), b * x], atol=1e-12)
        np.testing.assert_allclose(rd.shplrnn_jacobian(A, W1, W2, h2, z),
                                   [[-a * np.sign(x), 1.0], [b, 0.0]], atol=0)
        x, y = 1 + y - a * abs(x), b * x
    n = np.linalg.norm([[a, 1.0], [b, 0.0]], 2)
    assert abs(rd.mask_norm_bound(A, W1, W2, rd.LOZI_MASKS) - n) <= 1e-14 * n


def test_lyapunov_and_renormalised_products_on_lozi():
    """lambda_1 of Lozi(1.7, 0.5) by a numpy QR loop (~0.47); log ||P_{T,0}|| at alpha = 0
    (growing past 1e200) against numpy products renormalised every step."""
    a, b, T = 1.7, 0.5, 1200
    params = rd.lozi_shplrnn(a, b)
    X = rd.lozi_orbit(a, b, 0.0, 0.0, T + 501)[500:]
    Q, acc, long = np.eye(2), 0.0, rd.lozi_orbit(a, b, X[0, 0], X[0, 1], 4000)
    for t in range(4000):
        Q, R = np.linalg.qr(np.array([[-a * np.sign(long[t, 0]), 1.0], [b, 0.0]]) @ Q)
        acc += math.log(abs(R[0, 0]))
    lam_free = rd.max_lyapunov(*params, X[0], 20000, 100)
    assert abs(lam_free - 0.47) < 0.03 and abs(acc / 4000 - 0.47) < 0.05
    max_lag = np.zeros(T, dtype=np.int64)
    max_lag[0] = T
    out = rd.gtf_product_norms(*params, X, 0.0, max_lag)
    Z = rd.gtf_forward(*params, X, 0.0)  # chaos: rounding makes Z leave X after ~100 steps
    P, logc = np.eye(2), 0.0
    for k in range(1, T + 1):
        P = np.array([[-a * np.sign(Z[k - 1, 0]), 1.0], [b, 0.0]]) @ P
        n = np.linalg.norm(P, 2)
        logc, P = logc + math.log(n), P / n
        assert abs(math.log(out[k - 1]) - logc) < 1e-9 * max(1.0, logc) if np.isfinite(out[k - 1]) \
            else logc > 709
    assert np.nanmax(out[np.isfinite(out)]) > 1e200
