"""Benchmark every numba entry point of ``solvers/`` that a theorem calls (issue #5).

    python benchmarks/bench_solvers.py [--json benchmarks/results.json] [--only SUBSTR ...]

For each entry point, at the sizes its theorem uses (read in ``theorems/``), it reports

* **numba**: median time per call (jitted, warm);
* **numpy loop**: the same algorithm interpreted, in a child process with ``NUMBA_DISABLE_JIT=1``
  (callees interpreted too). Where one interpreted call would take more than ~0.5 s, the
  case's loop length (steps, replicates, tasks, ...) is lowered, the time measured and scaled
  back linearly; the column ``interp. scaled`` gives the factor (1 = run at full size). Where
  the jitted code is written as scalar loops into preallocated buffers, interpreting it would
  inflate the speedup, so the case supplies the algorithm as a plain numpy per-iteration loop
  instead (``numpy_loop``; marked ``(np)`` in the table);
* **baseline**: where one exists, a library routine or numpy closed form computing the same
  result (what it computes is stated per row; ``agrees`` is the largest relative difference
  from the numba result where the two compute the same numbers);
* **cold compile**: first call in a fresh process with an empty ``NUMBA_CACHE_DIR`` minus a
  warm call; **warm load**: the same in a second fresh process reading that (now filled)
  on-disk cache. Both on the case's short probe-size arguments (same types, same machine
  code) and after numba's one-time per-process initialisation, which is timed separately on a
  trivial function and reported once.

A second table times the dense iterative solvers on a d x d quadratic at d in {50, 200, 500,
1000} against numpy's ``Q @ x`` measured in the same process (the matvec bound), and the
script ends by checking the targets: numba >= 10x the numpy loop at d <= 50, and within 1.5x
of the matvec bound at d >= 200. Medians everywhere; BLAS runs single-threaded in every child
(``--blas-threads``; multithreaded gemv on a shared 2-core machine is mostly noise); all numba
caches of the run live in a temporary directory (nothing is written under ``solvers/``).
Tables go to stdout, progress to stderr, everything to the JSON file.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

INTERP_TARGET_S = 0.5  # an interpreted call expected to be longer is run shorter and scaled
CHILD_TIMEOUT_S = 300
MATVEC_DS = (50, 200, 500, 1000)
SPEEDUP_TARGET, MATVEC_TARGET = 10.0, 1.5


@dataclass
class Case:
    """One timed entry point. ``build(f)`` returns ``(args, work)``: the arguments with the
    case's loop length scaled by ``f`` (when ``unit`` names it; else ``f`` is ignored) and the
    loop length actually used, so that ``time(f=1) ~ time(f) * work(1) / work(f)``."""
    name: str  # "module.function" (+ variant)
    theorem: str
    size: str
    fn: Callable
    build: Callable[[float], tuple[tuple, int]]
    unit: str = ""  # the scaled loop ("" = never scaled)
    probe: float = 0.02  # fraction used to estimate the interpreted cost
    baseline: Callable | None = None  # same arguments as fn
    label: str = ""  # what the baseline computes
    agree: Callable[[Any, Any], float] | None = None  # relative difference numba vs baseline
    # the algorithm as a plain numpy per-iteration loop, for jitted code written as scalar loops
    # into preallocated buffers: interpreting those element by element would inflate the speedup
    numpy_loop: Callable | None = None


def gen_for(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def scaled(full: int, f: float, lo: int = 1) -> int:
    return max(lo, int(round(full * f)))


def rel(a, b) -> float:
    """max |a - b| / max |b| over the (flattened, concatenated) outputs."""
    def flat(v):
        return np.concatenate([np.ravel(np.asarray(x, float))
                               for x in (v if isinstance(v, tuple) else (v,))])
    a, b = flat(a), flat(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


FACTORIES: dict[str, Callable[[], list[Case]]] = {}


def factory(module: str):
    def register(fn):
        FACTORIES[module] = fn
        return fn
    return register


# ------------------------------------------------------------------------------------------
# numpy replicas used by builders and baselines (builders never call a jitted function, so a
# cold-compile measurement is not shortened by callees compiled while building the inputs)
# ------------------------------------------------------------------------------------------
def _vp_lambda(t, b0, b1):
    la = -0.25 * t * t * (b1 - b0) - 0.5 * t * b0
    return la - 0.5 * math.log(-math.expm1(2.0 * la))


def _vp_t_of_lambda(lam, b0, b1):
    z = -2.0 * lam
    l1pe = z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))
    tmp = 2.0 * (b1 - b0) * l1pe
    return tmp / (math.sqrt(b0 * b0 + tmp) + b0) / (b1 - b0)


def _lambda_grid(T, t0, n, b0, b1):
    l0, l1 = _vp_lambda(T, b0, b1), _vp_lambda(t0, b0, b1)
    ts = np.array([_vp_t_of_lambda(l0 + (l1 - l0) * i / n, b0, b1) for i in range(n + 1)])
    ts[0], ts[n] = T, t0
    return ts


def _imh_np(pi, prop):
    w = pi / prop
    K = prop[None, :] * np.minimum(1.0, w[None, :] / w[:, None])
    np.fill_diagonal(K, 0.0)
    K[np.diag_indices_from(K)] = 1.0 - K.sum(axis=1)
    return K


def _mask_norms_np(A, W1, W2, masks):
    J = np.diag(A)[None] + np.einsum("ij,kj,jl->kil", W1, masks, W2)
    return float(np.linalg.norm(J, 2, axis=(1, 2)).max())


def _lsa_np(X, y):
    E = np.concatenate([X, y[..., None]], axis=2)
    G = np.einsum("mia,mib->mab", E, E) / X.shape[1]
    iu = np.triu_indices(X.shape[2] + 1)
    return G[:, iu[0], iu[1]]


def _log_normalize(z):
    m = z.max()
    return z - (m + np.log(np.sum(np.exp(z - m))))


# ------------------------------------------------------------------------------------------
# cases, per solver module (sizes from the theorem that calls the entry point)
# ------------------------------------------------------------------------------------------
@factory("first_order")
def _first_order() -> list[Case]:
    from scipy.optimize import minimize
    from scipy.special import expit
    from solvers import first_order as fo

    def quad_build(name, d, T):
        def build(f):
            g = gen_for(name)
            a = g.standard_normal((d, d))
            Q = a @ a.T / d + 0.05 * np.eye(d)
            n = scaled(T, f)
            return (Q, Q @ g.standard_normal(d), g.standard_normal(d),
                    1.0 / np.linalg.eigvalsh(Q)[-1], n), n
        return build

    def gd_closed(Q, b, x1, eta, T):
        s, V = np.linalg.eigh(Q)
        xs = V @ ((V.T @ b) / s)
        c = V.T @ (x1 - xs)
        k = np.arange(T + 1)[:, None]
        fvals = -0.5 * (b @ xs) + 0.5 * ((1 - eta * s) ** (2 * k) * s * c * c).sum(axis=1)
        return fvals, xs + V @ ((1 - eta * s) ** T * c)

    def huber(f):
        g, d = gen_for("huber"), 8
        c, w = g.standard_normal(d), g.uniform(0.5, 2.0, d)
        n = scaled(60, f)
        return (c, g.uniform(0.1, 1.0, d), w, c + 3 * g.standard_normal(d), 1 / w.max(), n), n

    def logistic_data(name):
        g = gen_for(name)
        A = g.standard_normal((100, 8))
        return A, np.sign(g.standard_normal(100))

    def logistic(f):
        A, y = logistic_data("logistic")
        n = scaled(60, f)
        return (A, y, np.zeros(8), 4 * 100 / np.linalg.norm(A, 2) ** 2, n), n

    def newton(f):
        A, y = logistic_data("newton")
        return (A, y, np.zeros(8)), 1

    def newton_scipy(A, y, w0):
        n = len(y)

        def fun(w):
            return np.mean(np.logaddexp(0.0, -y * (A @ w)))

        def jac(w):
            return -(A.T @ (y * expit(-y * (A @ w)))) / n

        def hess(w):
            s = expit(y * (A @ w))
            return (A.T * (s * (1 - s))) @ A / n
        return minimize(fun, w0, jac=jac, hess=hess, method="trust-exact",
                        options={"gtol": 1e-13}).x

    return [
        Case("first_order.gd_quadratic", "bubeck2015", "d=8 T=60", fo.gd_quadratic,
             quad_build("gdq8", 8, 60), "steps", 0.2, gd_closed,
             "closed form f(x_k), k=0..T, via eigh", lambda a, b: rel(a, b)),
        Case("first_order.gd_huber", "bubeck2015", "d=8 T=60", fo.gd_huber, huber, "steps", 0.2),
        Case("first_order.gd_logistic", "bubeck2015", "n=100 d=8 T=60", fo.gd_logistic, logistic,
             "steps", 0.2),
        Case("first_order.newton_logistic", "bubeck2015", "n=100 d=8", fo.newton_logistic, newton,
             baseline=newton_scipy, label="scipy minimize trust-exact: logistic minimiser",
             agree=rel),
    ]


@factory("adaptive")
def _adaptive() -> list[Case]:
    from solvers import adaptive as ad

    def adam(f):
        T = scaled(30_000, f)
        one = np.ones(1)
        return (ad.periodic_linear_grads(3.0, T, 3), one.copy(), -one, one, 0.3, 0.0, 0.1,
                ad.METHODS["adam"], 0.5, 0.0, 1.0), T

    def regret(f):
        T = scaled(30_000, f)
        xs = gen_for("regret").uniform(-1, 1, (T + 1, 1))
        return (ad.periodic_linear_grads(3.0, T, 3), xs, -np.ones(1), np.ones(1)), T

    def regret_np(grads, xs, lo, hi):
        S = np.cumsum(grads, axis=0)
        return (np.cumsum(np.sum(grads * xs[:len(grads)], axis=1))
                - np.minimum(lo * S, hi * S).sum(axis=1))

    return [
        Case("adaptive.adaptive_online", "reddi2018, pan2023", "Adam T=3e4 d=1",
             ad.adaptive_online, adam, "rounds", 0.01),
        Case("adaptive.linear_regret", "reddi2018", "T=3e4 d=1", ad.linear_regret, regret,
             "rounds", 0.01, regret_np, "numpy cumsum closed form", rel),
    ]


@factory("newton_schulz")
def _newton_schulz() -> list[Case]:
    from solvers import newton_schulz as ns

    def S_of(name, d=10, n=40):
        X = gen_for(name).standard_normal((n, d))
        return X.T @ X

    def nsb(f):
        S = S_of("ns")
        return (S, ns.authors_alpha(S) * S, 7), 1

    def ns_closed(S, M0, K):  # M0 = alpha S: I - S M_k = (I - alpha S^2)^(2^k)
        s, V = np.linalg.eigh(S)
        alpha = M0[0, 0] / S[0, 0]
        g = (1 - (1 - alpha * s * s)[None, :] ** (2.0 ** np.arange(K + 1))[:, None]) / s
        return np.einsum("ij,kj,lj->kil", V, g, V)

    def ns_numpy_loop(S, M0, K):
        out, M, two_eye = np.empty((K + 1,) + S.shape), M0.copy(), 2.0 * np.eye(len(S))
        out[0] = M
        for k in range(K):
            M = M @ (two_eye - S @ M)
            out[k + 1] = M
        return out

    def gdm_numpy_loop(S, eta, T):
        out, P, eye = np.zeros((T + 1,) + S.shape), np.zeros(S.shape), np.eye(len(S))
        for t in range(T):
            P = P - eta * (S @ P - eye)
            out[t + 1] = P
        return out

    def gdm(f):
        S = S_of("gdm")
        n = scaled(128, f)
        return (S, 0.5 / np.linalg.eigvalsh(S)[-1], n), n

    def gdm_closed(S, eta, T):
        s, V = np.linalg.eigh(S)
        g = (1 - (1 - eta * s)[None, :] ** np.arange(T + 1)[:, None]) / s
        return np.einsum("ij,kj,lj->kil", V, g, V)

    return [
        Case("newton_schulz.newton_schulz", "fu2023", "d=10 n=40 K=7", ns.newton_schulz, nsb,
             baseline=ns_closed, label="all iterates via eigh: V diag((1-(1-a s^2)^2^k)/s) V^T",
             agree=rel, numpy_loop=ns_numpy_loop),
        Case("newton_schulz.gd_matrix", "fu2023", "d=10 T=128", ns.gd_matrix, gdm, "steps", 0.1,
             gdm_closed, "all iterates via eigh: V diag((1-(1-eta s)^t)/s) V^T", rel,
             numpy_loop=gdm_numpy_loop),
    ]


@factory("linear_icl")
def _linear_icl() -> list[Case]:
    from solvers import linear_icl as li

    def prompt(name, n=30, d=8):
        g = gen_for(name)
        X = g.standard_normal((n, d))
        return X, X @ g.standard_normal(d) + 0.5 * g.standard_normal(n)

    def sm(f):
        X, y = prompt("sm")
        return (X, y, 0.5), 1

    def sm_np(X, y, lam):
        d = X.shape[1]
        return np.array([np.linalg.solve(X[:i].T @ X[:i] + lam * np.eye(d), X[:i].T @ y[:i])
                         for i in range(1, len(y) + 1)])

    def gdls(f):
        X, y = prompt("gdls")
        k = scaled(50, f)
        return (X, y, 0.5 / (np.sqrt(30) + np.sqrt(8)) ** 2, k), k

    def gdls_np(X, y, eta, k):
        s, V = np.linalg.eigh(X.T @ X)
        t = np.arange(k + 1)[:, None]
        g = -np.expm1(t * np.log1p(-eta * s)) / s
        return (g * (V.T @ (X.T @ y))) @ V.T

    def mix(f):
        X, y = prompt("mix")
        masks, var, lw = li.spike_slab_components(8, 1.0 / 0.3, 0.3)
        K = scaled(256, f)
        return (X, y, 0.25, masks[:K].copy(), var[:K].copy(), lw[:K].copy()), K

    def mix_np(X, y, sigma2, masks, variances, log_weights):
        n = len(y)
        C = np.einsum("ia,ka,ja->kij", X, masks, X) * variances[:, None, None] + sigma2 * np.eye(n)
        alpha = np.linalg.solve(C, np.broadcast_to(y, (len(masks), n))[..., None])[..., 0]
        logp = log_weights - 0.5 * (np.linalg.slogdet(C)[1] + alpha @ y)
        means = variances[:, None] * masks * (alpha @ X)
        w = np.exp(logp - logp.max())
        return w @ means / w.sum()

    OFFSETS, KS = np.array([1.0, 0.1, 0.5, 2.0, 10.0]), np.array([1, 4, 16])

    def tasks(f):
        g, n, d, tau, r, q = gen_for("tasks"), 20, 5, 1.0, 0.5, 0.4
        M = scaled(20_000, f)
        X = g.standard_normal((M, n, d))
        W = tau * g.standard_normal((M, d))
        E = r * tau * g.standard_normal((M, n))
        return (X, W, E, r * r * OFFSETS, 0.5 / (np.sqrt(n) + np.sqrt(d)) ** 2, KS, 0.1 * tau,
                (r * tau) ** 2, tau * tau / q, q), M

    def tasks_np(X, W, E, lams, eta, ks, theta, sigma2, v, p):
        M, n, d = X.shape
        y = np.einsum("mna,ma->mn", X, W) + E
        S = np.einsum("mna,mnc->mac", X, X)
        b = np.einsum("mna,mn->ma", X, y)
        cols, soft = [], None
        for j, lam in enumerate(lams):
            wh = np.linalg.solve(S + lam * np.eye(d), b[..., None])[..., 0]
            cols.append(((wh - W) ** 2).sum(axis=1))
            if j == 0:
                st = np.sign(wh) * np.maximum(np.abs(wh) - theta, 0.0)
                soft = ((st - W) ** 2).sum(axis=1)
        w, t = np.zeros((M, d)), 0
        for k in ks:
            while t < k:
                w = w + eta * (b - np.einsum("mac,mc->ma", S, w))
                t += 1
            cols.append(((w - W) ** 2).sum(axis=1))
        cols.append(soft)
        logps, means = [], []
        for T in range(1 << d):
            idx = [a for a in range(d) if (T >> a) & 1]
            k = len(idx)
            lp = np.full(M, k * np.log(p) + (d - k) * np.log1p(-p))
            m = np.zeros((M, d))
            if k:
                A = S[:, idx][:, :, idx] + sigma2 / v * np.eye(k)
                bT = b[:, idx]
                mT = np.linalg.solve(A, bT[..., None])[..., 0]
                lp -= 0.5 * (k * np.log(v / sigma2) + np.linalg.slogdet(A)[1]
                             - (bT * mT).sum(axis=1) / sigma2)
                m[:, idx] = mT
            logps.append(lp)
            means.append(m)
        logp = np.array(logps)
        wt = np.exp(logp - logp.max(axis=0))
        post = np.einsum("tm,tma->ma", wt, np.array(means)) / wt.sum(axis=0)[:, None]
        cols.append(((post - W) ** 2).sum(axis=1))
        return np.column_stack(cols)

    return [
        Case("linear_icl.sherman_morrison_ridge", "akyurek2022", "n=30 d=8",
             li.sherman_morrison_ridge, sm, baseline=sm_np,
             label="np.linalg.solve ridge on every prefix", agree=lambda a, b: rel(a[0], b)),
        Case("linear_icl.gd_least_squares", "akyurek2022", "n=30 d=8 k=50", li.gd_least_squares,
             gdls, "steps", 0.2, gdls_np, "spectral filter via eigh (all iterates)", rel),
        Case("linear_icl.mixture_posterior_mean_kernel", "akyurek2022",
             "spike-slab n=30 d=8 (256 comps)", li.mixture_posterior_mean_kernel, mix,
             "components", 1 / 64, mix_np, "numpy batched solve + slogdet", rel),
        Case("linear_icl.task_losses", "akyurek2022", "M=2e4 n=20 d=5", li.task_losses, tasks,
             "tasks", 0.002, tasks_np, "numpy batched solves, vectorised over tasks", rel),
    ]


@factory("relu_population")
def _relu_population() -> list[Case]:
    from solvers import relu_population as rp

    def gd(f):
        g, d = gen_for("rp_gd"), 8
        n = scaled(2000, f)
        return (g.standard_normal((d, d)) / np.sqrt(d), np.eye(d), 0.5, n, 0.0), n

    def hess(f):
        g, d = gen_for("rp_hess"), 8
        return (g.standard_normal((d + 1, d)) / np.sqrt(d), np.eye(d)), 1

    return [
        Case("relu_population.gd_population", "arjevani2022", "k=d=8 iters=2000 (of 2e4)",
             rp.gd_population, gd, "iters", 0.01),
        Case("relu_population.population_hessian", "arjevani2022", "k=9 d=8",
             rp.population_hessian, hess),
    ]


@factory("relu_net")
def _relu_net() -> list[Case]:
    from solvers import relu_net as rn

    def gd(f):
        g, n, r, m = gen_for("gd_relu"), 10, 3, 20
        X = np.hstack([g.standard_normal((n, r - 1)), np.ones((n, 1))])
        T = scaled(10_000, f)
        return (X, g.standard_normal(n), 0.5 * g.standard_normal((r, m)) / np.sqrt(r),
                0.5 * g.standard_normal(m) / np.sqrt(m), 0.1, 0.3 / np.linalg.norm(X, 2) ** 2, T), T

    return [Case("relu_net.gd_relu", "bai2022", "n=10 r=3 m=20 T=1e4", rn.gd_relu, gd, "steps",
                 0.005)]


@factory("convex_relu")
def _convex_relu() -> list[Case]:
    from solvers import convex_relu as cr

    def pats(f):
        g = gen_for("arr")
        return (np.hstack([g.standard_normal((10, 3)), np.ones((10, 1))]),), 1

    return [Case("convex_relu.arrangement_patterns (_cells_around_rays)", "bai2022",
                 "n=10 r=4 (1 912 cells)", cr.arrangement_patterns, pats)]


@factory("cca")
def _cca() -> list[Case]:
    import scipy.linalg as sl
    from solvers import cca

    def problem(name):
        g = gen_for(name)
        X, group = cca.multiview_data([5, 5, 5], 400, 1.0, g)
        A, B = cca.cca_family_gep(X, group, 0.0)
        return g, X, group, A, B

    def gd(f):
        g, X, group, A, B = problem("gd_ey")
        n = scaled(5000, f)
        U0 = 1e-3 * g.standard_normal((15, 3)) / np.sqrt(np.linalg.norm(B, 2))
        return (A, B, U0, 0.5, n, 0.0, np.zeros(0, dtype=np.int64)), n

    def eig_opt(A, B, *rest):
        lam = sl.eigh(A, B, eigvals_only=True)[::-1]
        return -np.sum(lam[:3] ** 2)

    def batches(f):
        g, X, group, A, B = problem("batch")
        G = g.standard_normal((15, 3))
        U = G / np.sqrt(np.einsum("ik,ij,jk->k", G, B, G))
        M = scaled(4000, f)
        idx = g.integers(0, 400, size=(2, M, 32))
        return (X, cca.block_mask(group), 0.0, U, idx[0], idx[1]), M

    def batches_np(X, mask, alpha, U, idx1, idx2):
        D = X.shape[1]

        def proj(idx):
            Xb = X[idx]
            Xb = Xb - Xb.mean(axis=1, keepdims=True)
            S = np.einsum("pbi,pbj->pij", Xb, Xb) / (idx.shape[1] - 1)
            Ah = S * (1.0 - mask)
            Bh = mask * (alpha * np.eye(D) + (1.0 - alpha) * S)
            return (np.einsum("ik,pij,jl->pkl", U, Ah, U, optimize=True),
                    np.einsum("ik,pij,jl->pkl", U, Bh, U, optimize=True))
        C1, V1 = proj(idx1)
        V2 = proj(idx2)[1]
        tr = np.trace(C1, axis1=1, axis2=2)
        return -2 * tr + (V1 * V2).sum(axis=(1, 2)), -2 * tr + (V1 * V1).sum(axis=(1, 2))

    return [
        Case("cca.gd_ey", "chapman2023", "D=15 K=3 5000 steps (of <= 2e6)", cca.gd_ey, gd,
             "steps", 0.01, eig_opt, "scipy.linalg.eigh(A, B): the optimum GD converges to"),
        Case("cca.batch_loss_estimates", "chapman2023", "4000 pairs b=32 D=15 K=3",
             cca.batch_loss_estimates, batches, "pairs", 0.01, batches_np,
             "numpy einsum, vectorised over pairs", rel),
    ]


@factory("two_layer_leaky")
def _two_layer_leaky() -> list[Case]:
    from solvers import two_layer_leaky as tl

    def gd(f):
        g, n, m, d = gen_for("gram"), 10, 60, 2000
        X = g.standard_normal((n, d)) / np.sqrt(d)
        G = g.standard_normal((m, d))
        om = 1e-3 / np.sqrt(np.linalg.norm(G @ G.T, 2))
        T = scaled(50, f)
        return (om * (G @ X.T), X @ X.T, om * om * (G @ G.T), g.choice([-1.0, 1.0], n),
                g.choice([-1.0, 1.0], m) / np.sqrt(m), 0.5, 0.5, 0.0, T), T

    return [Case("two_layer_leaky.gd_two_layer_gram", "frei2023", "n=10 m=60 T=50",
                 tl.gd_two_layer_gram, gd, "steps", 0.1)]


@factory("batch_hessian")
def _batch_hessian() -> list[Case]:
    from scipy.linalg import eigvalsh_tridiagonal
    from solvers import batch_hessian as bh

    def explicit(f):
        R = scaled(64, f)
        return (np.random.default_rng(1), 80, 160, 4.0, 1.0, R, bh.LEAST_SQUARES, bh.GAUSSIAN, 1,
                False), R

    def explicit_np(gen, P, B, beta, sigma, R, *rest):
        out = np.empty(R)
        for r in range(R):
            X = gen.standard_normal((B, P))
            X[:, 0] *= np.sqrt(beta)
            out[r] = np.linalg.eigvalsh(X.T @ X / B)[-1]
        return out

    def tri(f):
        R = scaled(400, f)
        return (np.random.default_rng(2), 800, 800, 4.0, 1.0, R, bh.LEAST_SQUARES, bh.GAUSSIAN, 1,
                True), R

    def tri_np(gen, P, B, beta, sigma, R, *rest):
        n, out = min(B, P), np.empty(R)
        for r in range(R):
            a = np.sqrt(gen.chisquare(B - np.arange(n, dtype=float)))
            dof = P - 1 - np.arange(n, dtype=float)
            b = np.where(dof > 0, np.sqrt(gen.chisquare(np.maximum(dof, 1.0))), 0.0)
            a[0] *= np.sqrt(beta)
            out[r] = eigvalsh_tridiagonal((a * a + b * b) / B, b[:n - 1] * a[1:] / B,
                                          select="i", select_range=(n - 1, n - 1))[0]
        return out

    return [
        Case("batch_hessian.sample_lambda_max [explicit]", "granziol2022", "P=80 B=160 R=64",
             bh.sample_lambda_max, explicit, "replicates", 1 / 64, explicit_np,
             "numpy draws + LAPACK eigvalsh (own draws, same law)"),
        Case("batch_hessian.sample_lambda_max [tridiagonal]", "granziol2022", "P=B=800 R=400",
             bh.sample_lambda_max, tri, "replicates", 1 / 400, tri_np,
             "numpy chi2 draws + scipy eigvalsh_tridiagonal (same law)"),
    ]


@factory("rnn_dynamics")
def _rnn_dynamics() -> list[Case]:
    from solvers import rnn_dynamics as rd

    def model(name, M=5, H=6):
        g = gen_for(name)
        A = g.uniform(-0.9, 0.9, M)
        W1 = g.standard_normal((M, H)) / np.sqrt(H)
        W2 = g.standard_normal((H, M)) / np.sqrt(M)
        return g, A, W1, W2, 0.1 * g.standard_normal(M), 0.5 * g.standard_normal(H)

    def orbit_np(a, b, x0, y0, n):
        out, x, y = np.empty((n, 2)), x0, y0
        for t in range(n):
            out[t] = x, y
            x, y = 1.0 + y - a * abs(x), b * x
        return out

    def gtf(f, T=1000):
        g, A, W1, W2, h1, h2 = model("gtf")
        X = orbit_np(1.7, 0.5, 0.0, 0.0, T + 501)[500:] @ g.standard_normal((2, 5))
        X = X + 0.05 * g.standard_normal(X.shape)
        N = _mask_norms_np(A, W1, W2, rd.all_masks(6))
        a_star = max(0.0, 1 - 1 / N)
        max_lag = np.minimum(8, T - np.arange(T))
        max_lag[::max(1, T // 24)] = T
        return (A, W1, W2, h1, h2, X, a_star + 0.2 * (1 - a_star), max_lag.astype(np.int64)), 1

    def gtf_np(A, W1, W2, h1, h2, X, alpha, max_lag):
        T, M = X.shape[0] - 1, X.shape[1]
        Z = np.empty_like(X)
        Z[0] = X[0]
        for t in range(1, T + 1):
            z = Z[t - 1]
            Z[t] = (1 - alpha) * (A * z + W1 @ np.maximum(W2 @ z + h2, 0.0) + h1) + alpha * X[t]
        d = (Z[:-1] @ W2.T + h2 > 0).astype(float)
        G = (1 - alpha) * (np.einsum("ij,tj,jk->tik", W1, d, W2) + np.diag(A))
        lags = np.minimum(max_lag, T - np.arange(T))
        P = np.broadcast_to(np.eye(M), (T, M, M)).copy()
        out = np.full(T, -1.0)
        for L in range(1, lags.max() + 1):
            s = np.flatnonzero(lags >= L)
            P[s] = G[s + L - 1] @ P[s]
            out[L - 1] = np.linalg.norm(P[s], 2, axis=(1, 2)).max()
        return out

    def gtf_numpy_loop(A, W1, W2, h1, h2, X, alpha, max_lag):
        Z = rd.gtf_forward(A, W1, W2, h1, h2, X, alpha)
        T, M = X.shape[0] - 1, X.shape[1]
        G = np.array([(1 - alpha) * rd.shplrnn_jacobian(A, W1, W2, h2, Z[k]) for k in range(T)])
        out = np.full(T, -1.0)
        for s in range(T):
            P, logc = np.eye(M), 0.0
            for L in range(1, min(max_lag[s], T - s) + 1):
                P = G[s + L - 1] @ P
                nrm = np.linalg.norm(P, 2)
                out[L - 1] = max(out[L - 1], math.exp(logc + math.log(nrm)) if nrm > 0 else 0.0)
                if nrm > 1e100 or 0.0 < nrm < 1e-100:
                    P, logc = P / nrm, logc + math.log(nrm)
        return out

    def masks_numpy_loop(A, W1, W2, masks):
        return max(np.linalg.norm(np.diag(A) + (W1 * m) @ W2, 2) for m in masks)

    def masks(f):
        _, A, W1, W2, _, _ = model("masks")
        return (A, W1, W2, rd.all_masks(6)), 1

    def lozi(f):
        n = scaled(1501, f)
        return (1.7, 0.5, 0.0, 0.0, n), n

    return [
        Case("rnn_dynamics.gtf_product_norms", "hess2023", "M=5 H=6 T=1000",
             rd.gtf_product_norms, gtf, baseline=gtf_np,
             label="numpy, batched over window starts (norm via batched SVD)",
             agree=lambda a, b: rel(a[b > 1e-250], b[b > 1e-250]), numpy_loop=gtf_numpy_loop),
        Case("rnn_dynamics.mask_norm_bound", "hess2023", "M=5 H=6 (64 masks)", rd.mask_norm_bound,
             masks, baseline=_mask_norms_np, label="numpy batched 2-norm (SVD) over masks",
             agree=rel, numpy_loop=masks_numpy_loop),
        Case("rnn_dynamics.lozi_orbit", "hess2023", "n=1501", rd.lozi_orbit, lozi, "points", 0.1),
    ]


@factory("min_norm")
def _min_norm() -> list[Case]:
    from solvers import min_norm as mn

    def G_build(f):
        V = gen_for("mgda").standard_normal((6, 8))
        return (V @ V.T,), 1

    def clarabel(G):
        import cvxpy as cp
        w, Vt = np.linalg.eigh(G)
        R = np.sqrt(np.maximum(w, 0.0))[:, None] * Vt.T
        lam = cp.Variable(G.shape[0])
        cp.Problem(cp.Minimize(cp.sum_squares(R @ lam)), [lam >= 0, cp.sum(lam) == 1]).solve(
            solver=cp.CLARABEL)
        lc = np.clip(lam.value, 0.0, None)
        lc /= lc.sum()
        return lc, float(lc @ G @ lc)

    label = "cvxpy + Clarabel: the min-norm QP over the simplex"
    return [
        Case("min_norm.fw_sener_koltun", "ju2023", "K=6 p=8", mn.fw_sener_koltun, G_build,
             baseline=clarabel, label=label + " (FW stops early: value gap)",
             agree=lambda a, b: abs(a[0] @ G_build(1)[0][0] @ a[0] - b[1]) / b[1]),
        Case("min_norm.min_norm_exact", "ju2023", "K=6 p=8 (63 faces)", mn.min_norm_exact,
             G_build, baseline=clarabel, label=label, agree=lambda a, b: abs(a[1] - b[1]) / b[1]),
    ]


@factory("phase_retrieval")
def _phase_retrieval() -> list[Case]:
    from solvers import phase_retrieval as pr

    def setup(name, d=4, s=1.0):
        g = gen_for(name)
        u = [v / np.linalg.norm(v) for v in g.standard_normal((3, d))]
        ws = np.sqrt(s) * u[0]
        return g, ws, 1.5 * np.sqrt(s) * u[1], ws + 0.3 * np.sqrt(s) * u[2]

    def gd(f):
        g, ws, w0, _ = setup("pr_gd")
        gamma = 4 / 6
        n = scaled(20_000, f)
        return (w0, ws, gamma, 0.5 / (6 * gamma * 1.5 ** 2), n, -1.0, 1e6), n

    def mc_args(f):
        g, ws, _, w_sgd = setup("pr_mc")
        d, s, gamma = 4, 1.0, 4 / 6
        c, sigma = 1.2 / (2 * gamma * s), 0.5
        t0 = float(np.ceil(pr.stable_offset(c, d, s, float(w_sgd @ w_sgd), sigma)))
        hor = np.unique(np.round(t0 * 4 * 16 ** (np.arange(6) / 5)).astype(np.int64))
        R = scaled(384, f)
        return (w_sgd, ws, sigma, c, t0, hor, R, 12345), R

    def mc_np(w0, ws, sigma, c, t0, report, n_rep, seed):
        g, d = np.random.default_rng(seed), w0.size
        W = np.tile(w0, (n_rep, 1))
        out, k = np.empty((n_rep, report.size)), 0
        for t in range(report[-1]):
            a = g.standard_normal((n_rep, d))
            a *= np.sqrt(d) / np.linalg.norm(a, axis=1, keepdims=True)
            v = a @ ws
            y = v * v + sigma * np.sqrt(3.0) * (2.0 * g.random(n_rep) - 1.0)
            u = np.einsum("ri,ri->r", a, W)
            W -= (c / (t + t0) * (u * u - y) * u)[:, None] * a
            while k < report.size and report[k] == t + 1:
                out[:, k] = np.minimum(((W - ws) ** 2).sum(1), ((W + ws) ** 2).sum(1))
                k += 1
        return out

    probe = mc_args(1.0)[0]
    return [
        Case("phase_retrieval.gd_population", "kale2022", "d=4 2e4 steps (cap 1e5)",
             pr.gd_population, gd, "steps", 0.005),
        Case("phase_retrieval.sgd_sphere_mc", "kale2022",
             f"d=4 384 runs x {probe[5][-1]} steps", pr.sgd_sphere_mc, mc_args, "runs", 1 / 384,
             mc_np, "numpy, vectorised over runs (own RNG, same law)"),
    ]


@factory("markov_score")
def _markov_score() -> list[Case]:
    from solvers import markov_score as ms

    def chain(name, k):
        g = gen_for(name)
        q = ms.softmax(g.standard_normal(k))
        pi = ms.softmax(np.log(q) + 0.5 * g.standard_normal(k))
        return g, q, pi, _imh_np(pi, q)

    def imh(f):
        _, q, pi, _ = chain("imh", 6)
        return (pi, q), 1

    def powers(f):
        K = chain("powers", 6)[3]
        return (K, 30), 1

    def product(f):
        g, q, pi, K = chain("product", 6)
        return (np.linalg.matrix_power(K, 5)[g.integers(0, 6, 4)], pi), 1

    def product_np(rows, target):
        P, T = rows[0], target
        for r in rows[1:]:
            P, T = np.multiply.outer(P, r), np.multiply.outer(T, target)
        return 0.5 * np.abs(P - T).sum()

    def path(f):
        g, q, pi, K = chain("path", 5)
        return (np.linalg.matrix_power(K, 3)[1], K, pi, 5), 1

    def path_np(mu1, K, target, N):
        P, T = mu1, target
        for _ in range(N - 1):
            P, T = P[..., None] * K, np.multiply.outer(T, target)
        return 0.5 * np.abs(P - T).sum()

    def jsa(f):
        g, q, pi, K = chain("jsa", 5)
        return (K, ms.score_matrix(q), 2, 5), 1

    def jsa_np(K, S, z0, N):
        P = np.array([np.linalg.matrix_power(K, n) for n in range(N + 1)])
        PS = P @ S
        mean = -PS[1:, z0].sum(axis=0) / N
        SPS = np.einsum("xj,lxj->lx", S, PS)  # S[x] . (K^l S)[x]
        var = diag = 0.0
        for a in range(1, N + 1):
            for b in range(a, N + 1):
                c = P[a][z0] @ SPS[b - a] - PS[a][z0] @ PS[b][z0]
                var += (1 if a == b else 2) * c / N**2
                diag += c / N**2 if a == b else 0.0
        return mean, var, diag

    return [
        Case("markov_score.imh_kernel", "kim2022", "k=6", ms.imh_kernel, imh, baseline=_imh_np,
             label="numpy broadcast", agree=rel),
        Case("markov_score.kernel_powers", "kim2022", "k=6 T=30", ms.kernel_powers, powers,
             baseline=lambda K, T: np.array([np.linalg.matrix_power(K, t) for t in range(T + 1)]),
             label="np.linalg.matrix_power for each t", agree=rel),
        Case("markov_score.product_tv", "kim2022", "k=6 N=4 (1296 states)", ms.product_tv,
             product, baseline=product_np, label="numpy outer-product tensors", agree=rel),
        Case("markov_score.path_tv", "kim2022", "k=5 N=5 (3125 paths)", ms.path_tv, path,
             baseline=path_np, label="numpy broadcast path tensor", agree=rel),
        Case("markov_score.jsa_moments", "kim2022", "k=5 N=5", ms.jsa_moments, jsa,
             baseline=jsa_np, label="numpy matrix powers + einsum", agree=rel),
    ]


@factory("surrogates")
def _surrogates() -> list[Case]:
    from solvers import surrogates as sg

    def data(name, K=1024, n=50, d=8, width=16):
        g = gen_for(name)
        X = g.standard_normal((n, d)) / np.sqrt(d)
        y = g.choice([-1.0, 1.0], n)
        return g, X, y, g.standard_normal((K, width * (d + 1)))

    def many(f, loss):
        g, X, y, th = data("many")
        K = scaled(1024, f)
        return ((th[:K], X, y, 16, sg.LOGISTIC, 1.0) if loss else (th[:K], X, 16)), K

    def fwd_np(thetas, X, width):
        K, (n, d) = len(thetas), X.shape
        W = thetas[:, :width * d].reshape(K, width, d)
        return np.einsum("kj,kij->ki", thetas[:, width * d:],
                         np.tanh(np.einsum("kjd,id->kij", W, X, optimize=True)))

    def losses_np(thetas, X, y, width, kind, Lh):
        return 4.0 * Lh * np.logaddexp(0.0, -y * fwd_np(thetas, X, width)).sum(axis=1)

    def mm(f):
        g, X, y, th = data("mm")
        T = scaled(20, f)
        return (th[0], X, y, 16, sg.LOGISTIC, 1.0, 1.0, T, 20, 1.0), T

    return [
        Case("surrogates.losses_many", "lavington2023", "1024 points n=50 d=8 width=16",
             sg.losses_many, lambda f: many(f, True), "points", 0.02, losses_np,
             "numpy einsum + tanh, vectorised over points", rel),
        Case("surrogates.forward_many", "lavington2023", "1024 points n=50 d=8 width=16",
             sg.forward_many, lambda f: many(f, False), "points", 0.02, fwd_np,
             "numpy einsum + tanh, vectorised over points", rel),
        Case("surrogates.mm_run", "lavington2023", "T=20 m=20 n=50 width=16", sg.mm_run, mm,
             "outer steps", 0.05),
    ]


@factory("sgd")
def _sgd() -> list[Case]:
    from solvers import sgd
    from solvers.generators import random_orthogonal

    H = np.unique(np.round(30 * 100 ** (np.arange(7) / 6)).astype(np.int64))

    def mc(f):
        g, d = gen_for("sgd"), 4
        Q, w, c = random_orthogonal(d, g), g.uniform(0.5, 2.0, d), g.standard_normal(d)
        R = scaled(400, f)
        return (Q, w, c, 0.0, c + g.standard_normal(d), np.full(d, -np.inf), np.full(d, np.inf),
                0.5 / np.sqrt(np.arange(1, H[-1] + 1.0)), H, 1.0, sgd.GAUSSIAN, R, 7), R

    def mc_np(Q, w, c, mu, x1, lo, hi, steps, report, sigma, kind, n_rep, seed):
        g = np.random.default_rng(seed)
        X = np.tile(x1, (n_rep, 1))
        out, k = np.empty((n_rep, report.size)), 0
        for t in range(steps.size):
            G = (w * np.sign((X - c) @ Q.T)) @ Q + sigma * g.standard_normal(X.shape)
            eta = steps[t]
            X = np.clip((X - eta * G + eta * mu * c) / (1 + eta * mu), lo, hi)
            while k < report.size and report[k] == t + 1:
                out[:, k] = (w * np.abs((X - c) @ Q.T)).sum(1) + 0.5 * mu * ((X - c) ** 2).sum(1)
                k += 1
        return out

    return [Case("sgd.sgd_polyhedral_mc", "liu2023", "d=4 400 runs x 3000 steps",
                 sgd.sgd_polyhedral_mc, mc, "runs", 1 / 400, mc_np,
                 "numpy, vectorised over runs (own RNG, same law)")]


@factory("diffusion_ode")
def _diffusion_ode() -> list[Case]:
    from solvers import diffusion_ode as D

    B0, B1 = 0.1, 20.0

    def problem(name, d=8):
        g = gen_for(name)
        mu, s2 = g.standard_normal(d), np.full(d, 0.5)
        aT = math.exp(-0.25 * (B1 - B0) - 0.5 * B0)
        return g, mu, s2, aT * mu + math.sqrt(aT * aT * 0.5 + 1 - aT * aT) * g.standard_normal(d)

    def sample(f):
        g, mu, s2, xT = problem("sample")
        N = scaled(256, f, 2)
        d = len(mu)
        return (xT, _lambda_grid(1.0, 3e-3, N, B0, B1), D.DPM3, 1 / 3, 2 / 3, mu, s2, np.zeros(d),
                np.full(d, np.inf), B0, B1), N

    def exact(xT, ts, method, r1, r2, mu, s2, c, m, b0, b1):
        def la(t):
            return -0.25 * t * t * (b1 - b0) - 0.5 * t * b0
        aT, at = math.exp(la(ts[0])), math.exp(la(ts[-1]))
        vT, vt = aT * aT * s2 + 1 - aT * aT, at * at * s2 + 1 - at * at
        return at * mu + np.sqrt(vt / vT) * (xT - aT * mu)

    def jump(f):
        g, mu, s2, xT = problem("jump")
        return (xT, mu, s2, 1.0, _vp_lambda(1.0, B0, B1), _vp_lambda(3e-3, B0, B1),
                g.uniform(0.3, 0.55, len(mu))), 1

    return [
        Case("diffusion_ode.sample", "lu2022", "DPM-Solver-3 d=8 N=256", D.sample, sample, "steps",
             0.05, exact, "closed-form PF-ODE solution (numpy); agrees = method error", rel),
        Case("diffusion_ode.jump_on_path", "lu2022", "d=8 (scan 2000/4000 pts)", D.jump_on_path,
             jump),
    ]


@factory("icl")
def _icl() -> list[Case]:
    from solvers import icl

    def prompts(name, M):
        g, n, d = gen_for(name), 16, 4
        X = g.standard_normal((M, n, d))
        w = g.standard_normal((M, d))
        return X, np.einsum("mnk,mk->mn", X, w) + 0.7 * g.standard_normal((M, n)), w

    def lsa(f):
        M = scaled(20_000, f)
        X, y, _ = prompts("lsa", M)
        return (X, y), M

    def ols(f):
        M = scaled(20_000, f, 100)
        X, y, w = prompts("ols", M)
        return (_lsa_np(X, y), w), M

    def ols_np(U, T):
        (M, p), k = U.shape, T.shape[1]
        A = U.T @ U
        Ainv = np.linalg.inv(A)
        C = Ainv @ (U.T @ T)
        Z = ((T - U @ C)[:, :, None] * U[:, None, :]).reshape(M, k * p)
        K = np.kron(np.eye(k), Ainv)
        V = K @ (Z.T @ Z) @ K * (M / (M - p))
        return C, 0.5 * (V + V.T)

    return [
        Case("icl.lsa_features", "mahankali2023", "M=2e4 n=16 d=4", icl.lsa_features, lsa,
             "prompts", 0.005, _lsa_np, "numpy einsum + triu indices", rel),
        Case("icl.ols_hc1 (_gram, _meat)", "mahankali2023", "M=2e4 p=15 k=4", icl.ols_hc1, ols,
             "prompts", 0.005, ols_np, "numpy BLAS: U^T U, inv, Z^T Z sandwich", rel),
    ]


@factory("preference_games")
def _preference_games() -> list[Case]:
    from scipy.optimize import root
    from solvers import preference_games as pg

    def game(name, K=8, tau=0.1):
        g = gen_for(name)
        G = g.standard_normal((K, K))
        P = 0.5 + 0.5 * np.tanh(3.0 * (G - G.T) / np.sqrt(2.0))
        return g, P, np.log(g.dirichlet(np.ones(K))), np.log(g.dirichlet(np.ones(K))), tau

    def nash(f):
        g, P, logmu, logpi0, tau = game("nash")
        T = scaled(400, f)
        return (P, logmu, logpi0, np.full(T, 0.5 / tau), tau, True), T

    def ne(f):
        g, P, logmu, _, tau = game("ne")
        return (P, logmu, tau, pg.damping(P, tau), 10_000_000), 1

    def ne_scipy(P, logmu, tau, alpha, max_iter):
        def F(z):
            return z - _log_normalize(logmu + P @ np.exp(_log_normalize(z)) / tau)
        return _log_normalize(root(F, _log_normalize(logmu), method="hybr", tol=1e-14).x)

    def klp(f):
        g, P, logmu, _, tau = game("klp")
        L = np.array([_log_normalize(z) for z in g.standard_normal((401, 8))])
        return (_log_normalize(logmu), L), 1

    return [
        Case("preference_games.nash_md", "munos2023", "K=8 T=400", pg.nash_md, nash, "steps", 0.1),
        Case("preference_games.regularized_ne", "munos2023", "K=8 tau=0.1", pg.regularized_ne, ne,
             baseline=ne_scipy, label="scipy.optimize.root (hybr) on the fixed-point equation",
             agree=lambda a, b: float(np.max(np.abs(a[0] - b)))),
        Case("preference_games.kl_path", "munos2023", "K=8 T=400", pg.kl_path, klp,
             baseline=lambda ls, L: (np.exp(ls) * (ls - L)).sum(axis=1), label="numpy broadcast",
             agree=rel),
    ]


@factory("sharpness")
def _sharpness() -> list[Case]:
    from scipy.optimize import minimize_scalar
    from solvers import sharpness as sh
    from solvers.generators import random_orthogonal

    def problem(name, k=4, m=40):
        g = gen_for(name)
        gG = g.standard_normal(m)
        gB = np.abs(gG).max() * g.uniform(1.0, 10.0, k) * g.choice([-1.0, 1.0], k)
        U = random_orthogonal(m, g)
        HG = (U * 10.0 ** -g.uniform(0, 3, m)) @ U.T
        x = g.standard_normal(k + m) / np.sqrt(k + m)
        return sh.block_spiked_quadratic(gB, gG, 5.0, HG, g.permutation(k + m), x), x

    def ls(f):
        (H, b, g), x = problem("ls")
        return (H, b, x, -g), 1

    def ls_scipy(Q, b, x, v, max_iter=400):
        def phi(e):
            y = x + e * v
            return 0.5 * y @ Q @ y - b @ y
        r = minimize_scalar(phi, bracket=(0.0, 1e-3), method="brent", options={"xtol": 1e-15})
        return r.x, phi(0.0) - r.fun

    def steps(f):
        (H, b, g), x = problem("steps")
        v = -g
        return (H, b, x, v, np.array([0.25, 0.5, 1.0, 1.5, 2.0, 3.0]) * abs(g @ v) / (v @ H @ v)), 1

    def steps_np(Q, b, x, v, etas):
        Y = x + etas[:, None] * v
        return 0.5 * np.einsum("ei,ij,ej->e", Y, Q, Y) - Y @ b - (0.5 * x @ Q @ x - b @ x)

    return [
        Case("sharpness.line_search_min", "pan2023", "p=44 golden section", sh.line_search_min,
             ls, baseline=ls_scipy, label="scipy minimize_scalar (Brent) on phi(eta)",
             agree=lambda a, b: abs(a[1] - b[1]) / b[1]),
        Case("sharpness.step_changes", "pan2023", "p=44, 6 steps", sh.step_changes, steps,
             baseline=steps_np, label="numpy einsum over the 6 steps", agree=rel),
    ]


@factory("consensus")
def _consensus() -> list[Case]:
    from solvers import consensus as cs

    def poly(f):
        return (np.array([1.0, 0.0, -2.0, 0.3, 0.0]), 0.5, 0.1, 100.0, -3.5, 3.5, 1 << 17, 1 << 16,
                60.0), 1

    def poly_np(coef, x, sigma, alpha, lo, hi, n_coarse, n_fine, cut):
        def G(a, b, n):
            y = a + np.arange(n) * ((b - a) / (n - 1))
            return y, alpha * np.polyval(coef, y) + 0.5 * ((y - x) / sigma) ** 2
        _, g = G(lo, hi, n_coarse)
        h, keep = (hi - lo) / (n_coarse - 1), np.flatnonzero(g - g.min() <= cut)
        a, b = lo + max(keep[0] - 2, 0) * h, lo + min(keep[-1] + 2, n_coarse - 1) * h
        y2, g2 = G(a, b, n_fine)
        w = np.exp(g2.min() - g2)
        w[[0, -1]] *= 0.5
        return (w @ y2) / w.sum(), min(g2[0], g2[-1]) - g2.min()

    def quad(f):
        g, d = gen_for("cbo_quad"), 3
        a = g.standard_normal((d, d))
        Q = a @ a.T
        b, x = g.standard_normal(d), g.standard_normal(d)
        sigma, alpha = math.sqrt(1.0 / 10.0), 10.0
        hw = alpha * sigma**2 * np.linalg.norm(Q @ x + b) + 12 * sigma + 1
        return (Q, b, x, sigma, alpha, hw), 1

    def prox(Q, b, x, sigma, alpha, hw):
        tau = alpha * sigma**2
        return np.linalg.solve(Q + np.eye(len(x)) / tau, x / tau - b)

    return [
        Case("consensus.consensus_point_poly1d", "riedl2023", "2^17 + 2^16 grid points",
             cs.consensus_point_poly1d, poly, baseline=poly_np,
             label="numpy vectorised, same two-pass trapezoid grids",
             agree=lambda a, b: abs(a[0] - b[0]) / abs(b[0])),
        Case("consensus.consensus_point_quadratic", "riedl2023", "d=3 (3 x 1-D quadrature)",
             cs.consensus_point_quadratic, quad, baseline=prox,
             label="closed-form prox (Q + I/tau)^-1 (x/tau - b)",
             agree=lambda a, b: rel(a[0], b)),
    ]


@factory("lp_duality")
def _lp_duality() -> list[Case]:
    from solvers import lp_duality as lp

    def data(name, T=6):
        g = gen_for(name)
        return g, g.uniform(0.5, 3.0, T), g.uniform(3.0, 8.0, T), 5.0

    def hydro(f):
        g, a, dem, v0 = data("hydro")
        return (a, dem, v0, g.uniform(2.0, 8.0, 6), 10.0, 3.0, 30.0, 300.0, 100.0, False), 1

    def jac(f):
        g, a, dem, v0 = data("jac")
        return (g.standard_normal(5 * 4 + 1), a, dem, v0, 10.0, 1.75, 5.5, 4, True), 1

    return [
        Case("lp_duality.hydro_lp", "rosemberg2024", "T=6 (18 x 42 LP)", lp.hydro_lp, hydro),
        Case("lp_duality.policy_jacobian", "rosemberg2024", "T=6 hidden=4", lp.policy_jacobian,
             jac),
    ]


@factory("perceptron")
def _perceptron() -> list[Case]:
    from scipy.optimize import linprog
    from solvers import perceptron as P
    from solvers.generators import separable_data

    def data(f, *extra):
        A, y = separable_data(150, 30, 0.01, 3)
        return (A, y, *extra), 1

    def lp_separator(A, y, *rest):
        Z = A * y[:, None]
        res = linprog(np.zeros(Z.shape[1]), A_ub=-Z, b_ub=-np.ones(len(y)),
                      bounds=(None, None), method="highs")
        return res.x

    label = "scipy linprog (HiGHS): a separating theta (the problem solved)"
    return [
        Case("perceptron.perceptron_count", "tyurin2024", "n=150 d=30 (20 iterations)",
             P.perceptron_count, lambda f: data(f, 10**7, False), baseline=lp_separator, label=label),
        Case("perceptron.batch_perceptron", "tyurin2024", "n=150 d=30 T=20", P.batch_perceptron,
             lambda f: data(f, 20, False)),
        Case("perceptron.lr_gd", "tyurin2024", "n=150 d=30 T=23", P.lr_gd,
             lambda f: data(f, 1e3, 23, False)),
        Case("perceptron.lr_gd_count", "tyurin2024", "n=150 d=30 (151 iterations)",
             P.lr_gd_count, lambda f: data(f, 1.0, 10**7, False), baseline=lp_separator, label=label),
    ]


@factory("clipped_sgd")
def _clipped_sgd() -> list[Case]:
    from scipy.optimize import minimize
    from scipy.special import expit
    from solvers import clipped_sgd as cs

    def problem(name, n=40, d=8):
        g = gen_for(name)
        A = g.standard_normal((n, d)) * np.exp(g.uniform(np.log(0.2), np.log(3.0), n))[:, None]
        return g, A, g.standard_normal(d)

    def run(f):
        g, A, xt = problem("run")
        b = A @ xt + g.standard_normal(40)
        L = np.linalg.norm(A, 2) ** 2 / 40
        n = scaled(20_000, f)
        return (A, b, cs.LEAST_SQUARES, 0.0, xt + g.standard_normal(8), 0.3 / L, 0.5, 2.0, True,
                n, -1.0), n

    def lstsq(A, b, *rest):
        return np.linalg.lstsq(A, b, rcond=None)[0]

    def newton(f):
        g, A, xt = problem("newton")
        b = np.where(g.uniform(size=40) < expit(A @ xt), 1.0, -1.0)
        return (A, b, cs.LOGISTIC, 0.25 / 9), 1

    def newton_scipy(A, b, family, lam):
        n = len(b)

        def fun(x):
            return np.mean(np.logaddexp(0.0, -b * (A @ x))) + 0.5 * lam * x @ x

        def jac(x):
            return -(A.T @ (b * expit(-b * (A @ x)))) / n + lam * x

        def hess(x):
            s = expit(b * (A @ x))
            return (A.T * (s * (1 - s))) @ A / n + lam * np.eye(len(x))
        return minimize(fun, np.zeros(A.shape[1]), jac=jac, hess=hess, method="trust-exact",
                        options={"gtol": 1e-13}).x

    return [
        Case("clipped_sgd.run_clipped", "zhang2023", "DiceSGD n=40 d=8 2e4 steps (of <= 1e6)",
             cs.run_clipped, run, "steps", 0.005, lstsq,
             "numpy lstsq: the minimiser = the fixed point", lambda a, b: rel(a[0], b)),
        Case("clipped_sgd.newton_minimiser", "zhang2023", "logistic n=40 d=8",
             cs.newton_minimiser, newton, baseline=newton_scipy,
             label="scipy minimize trust-exact: ridge-logistic minimiser", agree=rel),
    ]


@factory("zeroth_order")
def _zeroth_order() -> list[Case]:
    from itertools import combinations

    from solvers import zeroth_order as zo
    from solvers.generators import random_orthogonal

    def populations(g, n, n0, d, bbar, het):  # theorem's _populations (shift = 0)
        B = bbar + het * g.standard_normal((n, d))
        B[:n0] += bbar - B[:n0].mean(0)
        B[n0:] += bbar - B[n0:].mean(0)
        return B

    def kernel(f):  # AnsaripourHDOKernel._kernel_problem at mid-range parameters
        g, n, n0, d, L = gen_for("hdo_kernel"), 4, 2, 2, 1.0
        lam = np.exp(g.uniform(np.log(L / 10.0), np.log(L), d))
        lam[0] = L
        Q = random_orthogonal(d, g)
        A = (Q * lam) @ Q.T
        xs = g.standard_normal(d)
        B = populations(g, n, n0, d, A @ xs, 0.05)
        s = 0.05 * g.uniform(0.0, 1.0, n)
        u = g.standard_normal(d)
        X = xs + 0.1 * u / np.linalg.norm(u) + 0.03 * g.standard_normal((n, d))
        eta = 0.045 / L
        U, W = zo.gauss_hermite_rule(d)  # plain numpy (tensor Gauss-Hermite rule)
        return (X, A, B, s, np.arange(n) < n0, eta, eta / np.sqrt(d), True, U, W), 1

    def kernel_np(X, A, B, s, zm, eta, nu, common, U, W):
        n, d = X.shape
        Xi = s[:, None, None] * np.repeat(np.eye(d), 2, axis=0) * np.tile([1.0, -1.0], d)[:, None]
        means, seconds = np.empty((n, d)), np.empty((n, d, d))
        for i in range(n):
            x, b = X[i], B[i]
            F0 = 0.5 * x @ A @ x - b @ x + Xi[i] @ x  # (2d,) one value per noise outcome
            if zm[i]:
                Xp = x + nu * U
                Fp = (0.5 * np.einsum("qa,ab,qb->q", Xp, A, Xp) - Xp @ b)[:, None] + Xp @ Xi[i].T
                if common:
                    c, w = (Fp - F0) / nu, W[:, None] / (2 * d)
                else:
                    c, w = (Fp[:, :, None] - F0) / nu, W[:, None, None] / (2 * d) ** 2
                G = c[..., None] * U.reshape((U.shape[0],) + (1,) * (c.ndim - 1) + (d,))
                wG = (w[..., None] * G).reshape(-1, d)
                means[i], seconds[i] = wG.sum(0), wG.T @ G.reshape(-1, d)
            else:
                G = A @ x - b + Xi[i]
                means[i], seconds[i] = G.mean(0), G.T @ G / (2 * d)
        cov = seconds - np.einsum("ia,ib->iab", means, means)
        lam, V = np.linalg.eigh(0.5 * (cov + cov.transpose(0, 2, 1)))
        R = np.sqrt(d * np.maximum(lam, 0.0))[:, None, :] * V  # columns r: sqrt(d lam_r) v_r
        pts = np.concatenate([means[:, None] + R.transpose(0, 2, 1),
                              means[:, None] - R.transpose(0, 2, 1)], axis=1)  # (n, 2d, d)
        Emu, EG, pairs = np.zeros(d), 0.0, list(combinations(range(n), 2))
        for i, j in pairs:  # all (2d)^2 sigma-point pairs at once
            avg = 0.5 * ((X[i] - eta * pts[i])[:, None] + (X[j] - eta * pts[j])[None, :])
            Y = np.broadcast_to(X, avg.shape[:2] + X.shape).copy()
            Y[:, :, i], Y[:, :, j] = avg, avg
            mu = Y.mean(axis=2)
            EG += ((Y - mu[:, :, None]) ** 2).sum(axis=(2, 3)).mean() / n
            Emu += mu.mean(axis=(0, 1))
        return (Emu / len(pairs), EG / len(pairs), np.trace(seconds, axis1=1, axis2=2).mean(),
                means, seconds)

    def rate_problem(name, n=3, n0=1, d=2, L=2.0, ell=0.65):  # AnsaripourHDORate.measure
        g = gen_for(name)
        lam = np.exp(g.uniform(np.log(ell), np.log(L), d))
        lam[0], lam[-1] = L, ell
        bbar = g.standard_normal(d)
        B = populations(g, n, n0, d, bbar, 0.03)
        s = 0.03 * g.uniform(0.0, 1.0, n)
        xs, u = bbar / lam, g.standard_normal(d)
        K = n * (d + n) * (L + 1) * (1 / ell + 1) / ell  # the theorem's _horizons: T0, k = 3
        T0 = max(K, 3.0)
        for _ in range(200):
            T0 = K * np.log(T0)
        return lam, B, xs + u / np.linalg.norm(u), s, np.arange(n) < n0, ell, xs, 8 * math.ceil(T0)

    T_MOM = rate_problem("hdo_moments")[-1]

    def moments(f):
        lam, B, x0, s, zm, ell, xs, T_full = rate_problem("hdo_moments")
        T = scaled(T_full, f)
        eta = 4 * B.shape[0] * np.log(T_full) / (T_full * ell)
        return (lam, B, x0, s, zm, eta, eta / np.sqrt(lam.size), T, ell, xs), T

    def moments_np(lam, B, x0, s, zm, eta, nu, T, ell, xstar):
        """The same second-moment recursion as explicit matrices: P_k <- L P_k L^T (y update),
        then P_k <- mean over pairs (i, j) of M_ijk P_k M_ijk^T + noise_ijk (e_i + e_j)(..)^T."""
        d, n = lam.size, B.shape[0]
        m, iy, ic = n + 2, n, n + 1
        v = np.zeros((d, m))
        v[:, :n], v[:, ic] = x0[:, None], 1.0
        P = v[:, :, None] * v[:, None, :]
        trA, trA2 = lam.sum(), (lam * lam).sum()
        C = trA**2 + 2 * trA2 + 4 * trA * lam + 8 * lam * lam
        q = 1.0 - eta * ell / (2.0 * n)
        S = (1.0 - q**T) / (1.0 - q)
        pairs = list(combinations(range(n), 2))
        M = np.broadcast_to(np.eye(m), (len(pairs), d, m, m)).copy()
        E = np.zeros((len(pairs), 1, m, m))
        for p, (i, j) in enumerate(pairs):
            for r in (i, j):
                M[p, :, r, :] = 0.0
                M[p, :, r, i] = M[p, :, r, j] = 0.5 * (1.0 - eta * lam)
                M[p, :, r, ic] = 0.5 * eta * (B[i] + B[j])
            E[p, 0][np.ix_((i, j), (i, j))] = 1.0
        I, J = np.array(pairs).T
        Mt = M.transpose(0, 1, 3, 2)
        gam, Ly = np.empty(T + 1), np.eye(m)
        for t in range(T + 1):
            Pn = P[:, :n, :n]
            gam[t] = (np.trace(Pn, axis1=1, axis2=2) / n - Pn.sum(axis=(1, 2)) / n**2).sum()
            if t == T:
                break
            Ly[iy, :n] = q ** (T - t - 1) / S / n
            P = Ly @ P @ Ly.T
            Eg2 = (lam**2 * np.diagonal(P[:, :n, :n], axis1=1, axis2=2).T
                   - 2 * lam * B * P[:, :n, ic].T + B**2)  # (n, d): E||g_i||^2 per coordinate
            V = np.where(zm[:, None], Eg2.sum(1, keepdims=True) + Eg2
                         + (s**2 * (1 + 2.0 / d))[:, None] + nu * nu * C / 4,
                         (s**2 / d)[:, None])
            P = (M @ P @ Mt + 0.25 * eta**2 * (V[I] + V[J])[:, :, None, None] * E).mean(axis=0)
        fy = (0.5 * lam * (P[:, iy, iy] - 2 * xstar * P[:, iy, ic] + xstar**2)).sum()
        mu2 = (P[:, :n, :n].sum(axis=(1, 2)) / n**2 - 2 * xstar * P[:, :n, ic].sum(1) / n
               + xstar**2).sum()
        return fy, mu2, gam

    def each(a, b):  # largest relative difference over the returned quantities, one by one
        return max(rel(x, y) for x, y in zip(a, b))

    def moments_agree(a, b):
        """f(y_T) - f*, E||mu_T - x*||^2 and E Gamma_t are small differences (~1e-7, 1e-6,
        1e-4) of O(||x*||^2) second moments: their differences are taken relative to the size
        of the cancelling terms, x*' diag(lam) x* / 2, ||x*||^2 and ||x0||^2."""
        lam, x0, xs = (rate_problem("hdo_moments")[i] for i in (0, 2, 6))
        return max(abs(a[0] - b[0]) / (0.5 * lam @ xs**2), abs(a[1] - b[1]) / (xs @ xs),
                   float(np.max(np.abs(a[2] - b[2]))) / (x0 @ x0))

    return [
        Case("zeroth_order.interaction_expectation", "ansaripour2022", "n=4 d=2 (16 GH nodes)",
             zo.interaction_expectation, kernel, baseline=kernel_np,
             label="numpy: quadrature vectorised over nodes x noise, eigh sigma points, "
                   "all point pairs broadcast", agree=each),
        Case("zeroth_order.hdo_moments", "ansaripour2022", f"n=3 d=2 T={T_MOM} (T0 x 8)",
             zo.hdo_moments, moments, "interactions", 0.02, moments_np,
             "numpy: same recursion as explicit pair matrices M P M^T (batched matmul)",
             moments_agree),
    ]


@factory("low_rank_pgd")
def _low_rank_pgd() -> list[Case]:
    from scipy.optimize import root
    from scipy.special import expit
    from solvers import low_rank_pgd as lp
    from solvers.generators import random_orthogonal

    NU, A_XI, B_L, FRAC = 1.0, 1.2, 0.3, 0.5  # nu, xi = a nu, c lambda_max = b nu, step fraction

    def problem(name, p=6, n=10, r0=3, k=2, q=2):  # LeeSDLLowRankPGD._problem, logistic loss
        g = gen_for(name)
        U, Vm = random_orthogonal(p, g)[:, :r0], random_orthogonal(n, g)[:, :r0]
        X = (U * np.geomspace(1.0, 1e-2, r0)) @ Vm.T
        Xa = np.vstack([np.ones((1, n)), g.standard_normal((q - 1, n))])
        sc = np.sqrt(B_L * NU / 0.25) / np.linalg.norm(np.vstack([X, Xa]), 2)
        return g, sc * X, sc * Xa, (g.uniform(size=(k, n)) < 0.5) * 1.0

    def minimizer_scipy(X, Xa, Y, xi, nu, loss, tol=1e-13):
        """[A*; gamma*] row by row: root of the ridge-logistic gradient (trust-exact stops at
        ||grad|| ~ 1e-11 here: its ratio test fails once Newton is at rounding level)."""
        Phi = np.vstack((X, Xa))

        def theta(y):
            def grad(th):
                return Phi @ (expit(Phi.T @ th) - y) + nu * th

            def hess(th):
                pr = expit(Phi.T @ th)
                return (Phi * (pr * (1 - pr))) @ Phi.T + nu * np.eye(len(th))
            return root(grad, np.zeros(Phi.shape[0]), jac=hess, method="hybr", tol=1e-15).x
        Th = np.column_stack([theta(y) for y in Y])
        p = X.shape[0]
        return Th[:p], X.copy(), Th[p:]

    def mini(f):
        _, X, Xa, Y = problem("sdl_min")
        return (X, Xa, Y, A_XI * NU, NU, 1), 1

    def pgd(f):
        g, X, Xa, Y = problem("sdl_pgd")
        xi = A_XI * NU
        As, Bs, Gs = minimizer_scipy(X, Xa, Y, xi, NU, 1)  # V* (theorem: lifted_minimizer)
        mu, L = NU * min(1.0, A_XI), NU * max(A_XI, 1.0 + B_L)
        tau = 1 / (2 * mu) + FRAC * (1.5 / L - 1 / (2 * mu))
        sc = np.linalg.norm(X) / np.sqrt(X.size)
        T = scaled(30, f)
        return (*[sc * g.standard_normal(v.shape) for v in (As, Bs, Gs)], X, Xa, Y, xi, NU, 1,
                tau, 3, T, As, Bs, Gs), T

    return [
        Case("low_rank_pgd.lifted_minimizer (_ridge_logistic_newton)", "lee2023",
             "logistic p=6 n=10 k=2 q=2", lp.lifted_minimizer, mini, baseline=minimizer_scipy,
             label="scipy.optimize.root (hybr) of the gradient per label row: ridge-logistic "
                   "minimiser",
             agree=rel),
        Case("low_rank_pgd.lifted_pgd", "lee2023", "logistic p=6 n=10 k=2 q=2 r=3 T=30",
             lp.lifted_pgd, pgd, "steps", 0.2),
    ]


# Jitted functions a theorem calls that are not timed on their own: one O(n d) evaluation per
# example, negligible next to the timed loops (most are also the inner steps of a timed loop).
TRIVIAL = {
    "first_order": "quadratic_value, logistic_value, logistic_grad (one evaluation per example)",
    "cca": "ey_loss (one evaluation)",
    "diffusion_ode": "vp_log_alpha, vp_sigma, vp_lambda, lambda_grid (schedule helpers)",
    "relu_population": "population_loss, population_grad (O(k^2 d) closed forms)",
    "relu_net": "relu_objective (one evaluation)",
    "surrogates": "n_params, model_forward, loss_value, loss_grad (one evaluation each)",
    "clipped_sgd": "per_sample_grads, mean_clipped_grad, full_grad, smoothness (one evaluation)",
    "sharpness": "clip_coordinates, directional_sharpness, rounding_scale (O(p^2) one-liners)",
    "zeroth_order": "potential (one O(n d) evaluation), hdo_simulate (called with T=1: one sampled "
                    "interaction per trace step), gauss_hermite_rule (plain numpy, 4^d nodes)",
    "low_rank_pgd": "gradient (one evaluation: the stationarity check of V*)",
}


# ------------------------------------------------------------------------------------------
# timing
# ------------------------------------------------------------------------------------------
def timeit(fn: Callable, args: tuple, budget: float = 0.5, min_rep: int = 3,
           max_rep: int = 7) -> float:
    """Median of mean-per-call over batches of >= 20 ms; as many repeats as fit in ``budget``
    (at least ``min_rep``, at most ``max_rep``)."""
    t0 = time.perf_counter()
    fn(*args)
    one = max(time.perf_counter() - t0, 1e-8)
    inner = max(1, int(0.02 / one))
    reps = int(min(max_rep, max(min_rep, budget / (one * inner))))
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn(*args)
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def all_cases() -> dict[str, Case]:
    return {c.name: c for mod in FACTORIES for c in FACTORIES[mod]()}


def module_cases(module: str) -> dict[str, Case]:
    return {c.name: c for c in FACTORIES[module]()}


def child_jit(case: Case) -> dict:
    """Fresh process, NUMBA_CACHE_DIR given by the parent: numba's one-time initialisation
    (timed on a trivial function), the first-call overhead (compile, or load from the cache):
    first call minus a warm call, both on the short probe-size arguments (same types, so the
    same compiled code) to keep the difference clear of timing noise; then the warm median
    at full size and the baseline."""
    import numba
    t0 = time.perf_counter()
    numba.njit(lambda x: x + 1)(1)
    res: dict[str, Any] = {"init_s": time.perf_counter() - t0}
    small, _ = case.build(case.probe if case.unit else 1.0)
    t0 = time.perf_counter()
    case.fn(*small)
    first = time.perf_counter() - t0
    res["first_s"] = max(first - timeit(case.fn, small, budget=0.2), 0.0)
    if os.environ.get("BENCH_FIRST_ONLY"):
        return res
    args, _ = case.build(1.0)
    out = case.fn(*args)
    res["numba_s"] = timeit(case.fn, args)
    if case.baseline is not None:
        base = case.baseline(*args)
        res["baseline_s"] = timeit(case.baseline, args)
        if case.agree is not None:
            res["agree"] = float(case.agree(out, base))
    return res


def child_interp(case: Case) -> dict:
    """NUMBA_DISABLE_JIT=1: median interpreted call, scaled down when it would be long."""
    _, full = case.build(1.0)
    f = 1.0
    if case.unit:
        args, w = case.build(case.probe)
        t0 = time.perf_counter()
        (case.numpy_loop or case.fn)(*args)
        est = (time.perf_counter() - t0) * full / w
        f = 1.0 if est <= INTERP_TARGET_S else max(case.probe, INTERP_TARGET_S / est)
    args, w = case.build(f)
    fn = case.numpy_loop or case.fn
    t0 = time.perf_counter()
    fn(*args)
    one = time.perf_counter() - t0
    samples = [one] + [0.0] * (2 if one < 1.5 else 0)
    for i in range(1, len(samples)):
        t0 = time.perf_counter()
        fn(*args)
        samples[i] = time.perf_counter() - t0
    return {"interp_s": statistics.median(samples) * full / w, "scale": full / w}


def matvec_child(interpreted: bool, rounds: int = 9) -> dict:
    """Time per step of gd / heavy ball / Nesterov on a d x d quadratic, paired with numpy
    ``Q @ x``: each round times one solver call of T steps and then T * (matvecs per step)
    numpy matvecs back to back, so both see the same load from other jobs; the ratio is the
    median over rounds of (time per step / matvecs per step) / (numpy time per matvec)."""
    from solvers import first_order as fo
    steps = ({50: 2000, 200: 1000, 500: 200, 1000: 50} if interpreted else
             {50: 40_000, 200: 5000, 500: 800, 1000: 200})
    out = {}
    for d in MATVEC_DS:
        g = np.random.default_rng(d)
        a = g.standard_normal((d, d))
        Q = a @ a.T / d + 0.1 * np.eye(d)
        b, x1 = g.standard_normal(d), g.standard_normal(d)
        eta, T, x = 1.0 / np.linalg.eigvalsh(Q)[-1], steps[d], x1.copy()
        row: dict[str, Any] = {}
        mvs = []
        for name, fn, extra, k in (("gd_quadratic", fo.gd_quadratic, (), 1),
                                   ("heavy_ball_quadratic", fo.heavy_ball_quadratic, (0.5,), 1),
                                   ("nesterov_quadratic", fo.nesterov_quadratic, (0.5,), 1)):
            fn(Q, b, x1, eta, *extra, 2)  # compile / load outside the timing
            ts, tm = [], []
            for _ in range(rounds):
                t0 = time.perf_counter()
                fn(Q, b, x1, eta, *extra, T)
                t1 = time.perf_counter()
                for _ in range(T * k):
                    Q @ x
                t2 = time.perf_counter()
                ts.append((t1 - t0) / T)
                tm.append((t2 - t1) / (T * k))
            mvs += tm
            row[name] = statistics.median(ts)
            row[name + "_ratio"] = statistics.median(s / k / m for s, m in zip(ts, tm))
        row["numpy_matvec"] = statistics.median(mvs)
        out[str(d)] = row
    return out


def run_child(argv: list[str], env: dict, timeout: float = CHILD_TIMEOUT_S) -> dict:
    try:
        p = subprocess.run([sys.executable, __file__, *argv], env=dict(os.environ, **env),
                           capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {p.returncode}: {tail[:200]}"}
    return json.loads(lines[-1])


def child_main(mode: str, names: list[str]) -> None:
    if mode.startswith("matvec"):
        print(json.dumps(matvec_child(mode == "matvec-interp")))
        return
    cases: dict[str, Case] = {}
    for mod in dict.fromkeys(n.split(".")[0] for n in names):
        cases.update(module_cases(mod))
    res = {}
    for name in names:
        try:
            res[name] = (child_interp if mode == "interp" else child_jit)(cases[name])
        except Exception as e:  # noqa: BLE001 - reported in the table
            res[name] = {"error": f"{type(e).__name__}: {e}"[:200]}
    print(json.dumps(res))


# ------------------------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------------------------
def fmt_t(s: float | None) -> str:
    if s is None or not math.isfinite(s):
        return "-"
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if s >= scale or unit == "us":
            v = s / scale
            return f"{v:.3g} {unit}" if v >= 1 else f"{v:.2g} {unit}"
    return "-"


def fmt_x(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    if x >= 10:
        return f"{x:.0f}x"
    return f"{math.floor(x * 10) / 10:.1f}x" if x >= 1 else f"{x:.2g}x"


def machine() -> dict:
    import numba
    import scipy
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpu": cpu,
            "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "scipy": scipy.__version__, "numba": numba.__version__,
            "loadavg_start": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results.json"))
    ap.add_argument("--only", nargs="*", default=None, help="case-name substrings to run")
    ap.add_argument("--no-matvec", action="store_true")
    ap.add_argument("--blas-threads", default="1",
                    help="OPENBLAS/OMP/MKL_NUM_THREADS for every child ('' = leave as is)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_main(args.child[0], args.child[1:])
        return

    t_start = time.perf_counter()
    meta = machine()
    meta["blas_threads"] = args.blas_threads or "default"
    if args.blas_threads:  # inherited by every child (run_child copies os.environ)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = args.blas_threads
    run_dir = Path(tempfile.mkdtemp(prefix="claimcheck-bench-"))
    os.environ["NUMBA_CACHE_DIR"] = str(run_dir / "main")  # the parent never compiles anyway
    cases = all_cases()
    names = [n for n in cases if not args.only or any(s in n for s in args.only)]
    log = sys.stderr

    rows: list[dict] = []
    try:
        by_module: dict[str, list[str]] = {}
        for n in names:
            by_module.setdefault(n.split(".")[0], []).append(n)
        for mod, mod_names in by_module.items():
            interp = run_child(["--child", "interp", *mod_names], {"NUMBA_DISABLE_JIT": "1"},
                               timeout=CHILD_TIMEOUT_S * len(mod_names))
            for n in mod_names:
                c = cases[n]
                cache = run_dir / f"cache-{len(rows)}"
                cold = run_child(["--child", "jit", n], {"NUMBA_CACHE_DIR": str(cache)})
                cold = cold if "error" in cold else cold[n]
                warm = run_child(["--child", "jit", n], {"NUMBA_CACHE_DIR": str(cache),
                                                         "BENCH_FIRST_ONLY": "1"})
                warm = warm if "error" in warm else warm[n]
                it = interp.get(n, {}) if "error" not in interp else interp
                jit = cold.get("numba_s")
                row = dict(solver=n, theorem=c.theorem, size=c.size, numba_s=jit,
                           numba_init_s=cold.get("init_s"), warm_init_s=warm.get("init_s"),
                           cold_compile_s=cold.get("first_s"), warm_load_s=warm.get("first_s"),
                           interp_s=it.get("interp_s"), interp_scale=it.get("scale"),
                           interp_unit=c.unit, baseline_s=cold.get("baseline_s"),
                           interp_is_numpy_loop=c.numpy_loop is not None,
                           baseline=c.label or None, agree=cold.get("agree"),
                           errors="; ".join(f"{k}: {v['error']}" for k, v in
                                            (("jit", cold), ("warm", warm), ("interp", it))
                                            if "error" in v) or None)
                row["speedup"] = row["interp_s"] / jit if jit and row["interp_s"] else None
                row["vs_baseline"] = row["baseline_s"] / jit if jit and row["baseline_s"] else None
                rows.append(row)
                print(f"[{time.perf_counter() - t_start:6.0f} s] {n}: numba {fmt_t(jit)}, "
                      f"interp {fmt_t(row['interp_s'])}, cold {fmt_t(row['cold_compile_s'])}"
                      + (f"  ERROR {row['errors']}" if row["errors"] else ""), file=log, flush=True)
        mv = mvi = None
        if not args.no_matvec:
            mv = run_child(["--child", "matvec"], {"NUMBA_CACHE_DIR": str(run_dir / "matvec")})
            mvi = run_child(["--child", "matvec-interp"], {"NUMBA_DISABLE_JIT": "1"})
            print(f"[{time.perf_counter() - t_start:6.0f} s] matvec table done", file=log)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)

    report = render(rows, mv, mvi, meta, time.perf_counter() - t_start)
    print(report["text"])
    Path(args.json).write_text(json.dumps(
        {"meta": report["meta"], "per_call": rows, "matvec": report["matvec"],
         "targets": report["targets"], "not_timed": TRIVIAL}, indent=1))
    print(f"\nsaved {args.json}")


def render(rows, mv, mvi, meta, elapsed) -> dict:
    out = []
    inits = [r[k] for r in rows for k in ("numba_init_s", "warm_init_s") if r.get(k)]
    meta = dict(meta, loadavg_end=os.getloadavg()[0], elapsed_s=round(elapsed, 1),
                numba_init_s=statistics.median(inits) if inits else None)
    out.append(f"claimcheck solver benchmark, {meta['date']}: {meta['cpu']}, {meta['cores']} "
               f"cores (shared; BLAS threads: {meta['blas_threads']}), Python {meta['python']}, "
               f"numpy {meta['numpy']}, scipy "
               f"{meta['scipy']}, numba {meta['numba']}; load average {meta['loadavg_start']:.1f}"
               f" -> {meta['loadavg_end']:.1f}; {elapsed:.0f} s in all.\n")
    out.append("### Per call: numba vs the same loop interpreted vs a library baseline\n")
    out.append("| solver | theorem | size | cold compile | warm load | numba | numpy loop "
               "| interp. scaled | numba speedup | baseline | numba vs baseline "
               "| baseline computes "
               "| agrees |")
    out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for r in rows:
        sc = r["interp_scale"]
        scale = "-" if sc is None else ("1" if sc == 1 else f"1/{sc:.0f} {r['interp_unit']}")
        agree = "-" if r["agree"] is None else f"{r['agree']:.0e}"
        out.append(f"| {r['solver']} | {r['theorem']} | {r['size']} | {fmt_t(r['cold_compile_s'])} "
                   f"| {fmt_t(r['warm_load_s'])} | {fmt_t(r['numba_s'])} | {fmt_t(r['interp_s'])}"
                   f"{' (np)' if r.get('interp_is_numpy_loop') else ''} "
                   f"| {scale} | {fmt_x(r['speedup'])} | {fmt_t(r['baseline_s'])} "
                   f"| {fmt_x(r['vs_baseline'])} | {r['baseline'] or 'none'} | {agree} |")
    errs = [r for r in rows if r["errors"]]
    if errs:
        out.append("\nErrors: " + "; ".join(f"{r['solver']}: {r['errors']}" for r in errs))
    out.append("\n`numba vs baseline` > 1: numba faster. `(np)`: the numpy-loop column times a "
               "plain numpy per-iteration loop of the same algorithm (the jitted code is written "
               "as scalar loops into preallocated buffers; interpreting those would inflate the "
               "speedup). `interp. scaled` 1/N: the interpreted "
               "call ran 1/N of the loop and its time was multiplied by N. Cold compile and warm "
               "load are first call minus warm call (on probe-size arguments), so they exclude "
               "the call itself and numba's one-time per-process initialisation "
               f"(median {fmt_t(meta['numba_init_s'])}, timed on a trivial function first); a "
               "callee shared by two rows is compiled in each row's own fresh process. Not timed "
               "separately (one cheap evaluation per example): "
               + "; ".join(f"{m}: {v}" for m, v in TRIVIAL.items()) + ".")

    matvec, targets = [], {}
    if mv and "error" not in mv:
        out.append("\n### Matvec-bound: dense iterative solvers on a d x d quadratic\n")
        out.append("| solver | d | matvecs/step | time/step | GFLOP/s | numpy Q @ x "
                   "| (time/step / matvecs) / numpy matvec | numpy loop time/step | speedup |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, k in (("gd_quadratic", 1), ("heavy_ball_quadratic", 1),
                        ("nesterov_quadratic", 1)):
            for d in MATVEC_DS:
                row = mv[str(d)]
                t, ref = row[name], row["numpy_matvec"]
                ti = mvi[str(d)][name] if mvi and "error" not in mvi else None
                m = dict(solver=name, d=d, matvecs=k, step_s=t, gflops=k * 2 * d * d / t / 1e9,
                         numpy_matvec_s=ref, ratio=row[name + "_ratio"], interp_step_s=ti,
                         speedup=ti / t if ti else None)
                matvec.append(m)
                out.append(f"| {name} | {d} | {k} | {fmt_t(t)} | {m['gflops']:.2f} | {fmt_t(ref)} "
                           f"| {m['ratio']:.2f} | {fmt_t(ti)} | {fmt_x(m['speedup'])} |")
        out.append("\nRatio 1.00 = each step costs exactly its numpy matvecs (median over 9 "
                   "rounds, "
                   "each a solver call and the same number of `Q @ x` back to back); the numpy "
                   "loop is the same function interpreted (NUMBA_DISABLE_JIT=1), in its own "
                   "process.")
    elif mv:
        out.append(f"\nmatvec table failed: {mv['error']}")

    out.append("\n### Targets\n")
    small = [(r["solver"], r["speedup"]) for r in rows if r["speedup"]]
    small += [(f"{m['solver']} d={m['d']}", m["speedup"]) for m in matvec
              if m["d"] <= 50 and m["speedup"]]
    miss = [(n, s) for n, s in small if s < SPEEDUP_TARGET]
    targets["speedup_10x_small"] = {"met": not miss, "cases": len(small),
                                    "missed": {n: round(s, 2) for n, s in miss}}
    out.append(f"* numba >= {SPEEDUP_TARGET:.0f}x the numpy loop at d <= 50: "
               + ("**met**" if not miss else "**not met**")
               + f" ({len(small) - len(miss)}/{len(small)} cases)"
               + ("" if not miss else "; below: " + ", ".join(f"{n} {fmt_x(s)}" for n, s in miss)))
    big = [m for m in matvec if m["d"] >= 200]
    if big:
        bad = [m for m in big if m["ratio"] > MATVEC_TARGET]
        targets["matvec_within_1.5x"] = {"met": not bad, "cases": len(big), "missed": {
            f"{m['solver']} d={m['d']}": round(m["ratio"], 2) for m in bad}}
        out.append(f"* within {MATVEC_TARGET}x of the matvec bound at d >= 200: "
                   + ("**met**" if not bad else "**not met**")
                   + f" ({len(big) - len(bad)}/{len(big)}; worst ratio "
                   + f"{max(m['ratio'] for m in big):.2f})"
                   + ("" if not bad else "; above: " + ", ".join(
                       f"{m['solver']} d={m['d']} {m['ratio']:.2f}" for m in bad)))
    return {"text": "\n".join(out), "meta": meta, "matvec": matvec, "targets": targets}


if __name__ == "__main__":
    main()
