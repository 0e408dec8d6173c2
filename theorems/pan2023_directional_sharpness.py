r"""Directional sharpness and coordinate-wise clipping (Pan & Li 2023), on spiked quadratics.

Setting (paper §3, local geometry): one update x -> x + eta v from x with gradient g and Hessian
H. Directional sharpness of v is S(v) = v^T H v / ||v||^2; clip(g, tau)_i = sign(g_i) min(|g_i|,
tau), with tau the (k+1)-th largest |g_i| (the k largest coordinates are clipped).

(1) Taylor decomposition (exact for quadratics): f(x + eta v) - f(x) = eta g^T v
    + eta^2/2 ||v||^2 S(v); for S(v) > 0 the best step gives the one-step decrease
    Delta*(v) = (g^T v)^2 / (2 v^T H v) = ||g||^2 cos^2(g, v) / (2 S(v)): gradient correlation
    over directional sharpness. Checked for SGD (-g), clipped SGD and Adam's first step.
(2) Clipping (derived theorem): let H = blockdiag(L I_k, H_G) with the spike L I_k on the k
    clipped coordinates and 0 <= H_G <= ell I on the others. With A = ||g_G||^2, q = ||g_B||^2,
    a = ||g_B||_1, K = (A + tau a)^2 q - (A + q)^2 k tau^2 > 0 and
    L >= L_c = ell A ((A+q)^2 - (A+tau a)^2) / K, clipping does not lower the optimal decrease:
    Delta*(clip) >= Delta*(g), and S(clip) <= cos^2(g, clip) S(g) <= S(g). For H_G = ell I both
    conditions are also necessary (ratio < 1 if L < L_c or K <= 0).
    Proof: Delta*(clip)/Delta*(g) = (A + tau a)^2 (C + L q) / ((A + q)^2 (C + L k tau^2)) with
    C = g_G^T H_G g_G <= ell A; it is nondecreasing in L (q >= k tau^2), nonincreasing in C,
    and equals 1 at L = L_c, C = ell A (sympy certificate).

Provenance: the paper's text beyond its abstract and introduction was not reachable. The
definitions are read in the authors' code (github.com/panyan7/adam-vs-sgd: README "directional
sharpness in the direction v for some unit vector v is <v, nabla^2 f(x_t) v>";
landscape_utils.compute_sharpness divides v^T H v by ||v||^2; clip_threshold and
_get_top_coordinates_threshold give the clipping rule). The abstract's claims ("SGD has much
worse directional sharpness", "clipping improves the local loss reduction when only a small
fraction of the coordinates has bad sharpness") are EMPIRICAL (transformer experiments); (1) is
the standard second-order decomposition the introduction announces, and (2) is DERIVED here as
the exact deterministic version of the second claim on spiked quadratics.
Negative control: isotropic H (no spike), or the worst case H_G = ell I below the threshold L_c:
clipping then strictly lowers the optimal decrease.
"""
from fractions import Fraction

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from checks import Certificate, Evidence, Paper, Theorem, Trace, combine, compare_bound
from checks.strategies import instance, log_uniform, seeds, uniform
from solvers import sharpness as sh
from solvers.adaptive import ADAM, adaptive_online
from solvers.generators import random_orthogonal, rng

A, Q, AL, TAU, K_, ELL, L, C = sp.symbols("A q a tau k ell L C", positive=True)
N_CLIP, N_SGD = A + TAU * AL, A + Q                   # g^T v for v = clip(g), v = g
RATIO = N_CLIP**2 * (C + L * Q) / (N_SGD**2 * (C + L * K_ * TAU**2))  # Delta*(clip)/Delta*(g)
L_C = ELL * A * (N_SGD**2 - N_CLIP**2) / (N_CLIP**2 * Q - N_SGD**2 * K_ * TAU**2)
_L_C = sp.lambdify((A, Q, AL, TAU, K_, ELL), L_C, "math")  # exact on Fractions
ROUND = 16 * np.finfo(float).eps  # x (p + 2): float64 rounding bound of a p-term quadratic form
T_GRID = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 3.0])  # steps eta = t |g^T v| / v^T H v


def _within(m, p, tol, what):
    err = np.atleast_1d(np.abs(np.asarray(m) - np.asarray(p)) / tol)
    i = int(np.argmax(err))
    return Evidence(bool(err[i] <= 1), float(1 - err[i]), float(np.ravel(m)[i]),
                    float(np.ravel(p)[i]), f"{what}: max error {err[i]:.2e} x rounding bound")


class PanDirectionalSharpness(Theorem):
    """One-step loss change = eta g^T v + eta^2/2 ||v||^2 S(v) with S(v) the directional sharpness;
    on spiked quadratics coordinate-wise clipping lowers S and does not lower the optimally tuned
    one-step decrease once the spike curvature L is at least the explicit threshold L_c."""

    id = "pan2023.directional_sharpness"
    paper = Paper("Toward Understanding Why Adam Converges Faster Than SGD for Transformers",
                  "Yan Pan, Yuanzhi Li", 2023, "2306.00204", "000_66109534921eab67.txt")
    source = "§3 decomposition; clipping claim of the abstract (derived theorem)"
    provenance = "derived"
    statement = (
        r"Let $f$ be a quadratic with Hessian $H$, gradient $g$ at $x$, and "
        r"$S(v)=v^\top Hv/\|v\|^2$ the directional sharpness of an update direction $v$ "
        r"(definition from the authors' code). Then $f(x+\eta v)-f(x)=\eta g^\top v+"
        r"\tfrac{\eta^2}{2}\|v\|^2S(v)$ and the best step decreases $f$ by "
        r"$\Delta^*(v)=\|g\|^2\cos^2(g,v)/(2S(v))$. If $H=\mathrm{diag}(LI_k,H_G)$, "
        r"$0\preceq H_G\preceq\ell I$, the spike sits on the $k$ coordinates clipped by "
        r"$\mathrm{clip}(g,\tau)$, $K=(A+\tau a)^2q-(A+q)^2k\tau^2>0$ and $L\ge L_c=\ell A((A+q)^2-"
        r"(A+\tau a)^2)/K$ ($A=\|g_G\|^2$, $q=\|g_B\|^2$, $a=\|g_B\|_1$), then "
        r"$\Delta^*(\mathrm{clip})\ge\Delta^*(g)$ and $S(\mathrm{clip})\le S(g)$. The paper's own "
        r"claims (Adam/clipping reduce directional sharpness and improve the local loss reduction) "
        r"are empirical; the decomposition is standard and the clipping theorem is derived here.")
    kind = "comparison"
    sense = "lower"
    assumptions = {
        "quadratic": "f = 1/2 y^T H y - b^T y with b = H x - g (Taylor model exact)",
        "spike on clipped coordinates": "H = blockdiag(L I_k, H_G), the k spiked coordinates are "
                                        "the k largest |g_i| (|g_i| in tau [1, rho]), L >= L_c",
        "bounded good block": "H_G = U diag(lambda) U^T, lambda in [ell/kappa, ell], max = ell "
                              "(or H_G = ell I: the worst case)",
        "enough good gradient": "K > 0 (8-40 good coordinates, N(0,1) gradients; k <= 4)",
    }
    violated = "spike on clipped coordinates"
    formula = sp.Tuple(sp.Eq(sp.Function("Delta^*")(sp.Symbol("v")), sp.Symbol(
        r"\langle g, v\rangle") ** 2 / (2 * sp.Symbol(r"\langle v, H v\rangle"))),
        sp.Eq(sp.Symbol("L_c"), L_C), sp.Ge(RATIO, 1))
    atol = 0.0  # per-example rounding bounds are computed in measure(); see ROUND

    def _draw(self, L_over, iso, worst):
        return instance(k=st.integers(1, 4), m=st.integers(8, 40), rho=log_uniform(1.05, 30.0),
                        ell=log_uniform(1e-2, 1e2), kappa=log_uniform(1.0, 1e4), worst=worst,
                        isotropic=iso, L_over=L_over, x_scale=uniform(0.0, 2.0), seed=seeds())

    def instances(self):
        return self._draw(log_uniform(1.0, 30.0), st.just(False), st.booleans()).filter(
            lambda inst: self._problem(inst)["K"] > 0)

    def violations(self):  # isotropic H (L = ell, H_G = ell I), or H_G = ell I with L < L_c
        return self._draw(log_uniform(0.05, 0.95), st.booleans(), st.just(True)).filter(
            lambda inst: self._problem(inst)["K"] > 0)

    def _problem(self, inst, L_over=None):
        gen, k, m, ell = rng(inst["seed"]), inst["k"], inst["m"], inst["ell"]
        gG = gen.standard_normal(m)
        tau = float(np.max(np.abs(gG)))
        c = gen.uniform(1.0, inst["rho"], k)
        c[0] = inst["rho"]
        gB = tau * c * gen.choice([-1.0, 1.0], k)
        lam = ell * inst["kappa"] ** -gen.uniform(0.0, 1.0, m)
        lam[0] = ell
        U, perm, z = random_orthogonal(m, gen), gen.permutation(k + m), gen.standard_normal(k + m)
        Fg, Fq = (sum(Fraction(float(t)) ** 2 for t in u) for u in (gG, gB))  # exact rationals
        Fa, Ft = sum(Fraction(abs(float(t))) for t in gB), Fraction(tau)
        K = (Fg + Ft * Fa) ** 2 * Fq - (Fg + Fq) ** 2 * k * Ft ** 2
        if K <= 0:
            return {"K": K}
        Lc = float(_L_C(Fg, Fq, Fa, Ft, k, Fraction(ell)))
        iso = inst["isotropic"]
        Lval = ell if iso else (inst["L_over"] if L_over is None else L_over) * Lc
        HG = ell * np.eye(m) if inst["worst"] or iso else (U * lam) @ U.T
        x = inst["x_scale"] * z / np.linalg.norm(z) / np.sqrt(max(Lval, ell))
        H, b, g = sh.block_spiked_quadratic(gB, gG, Lval, HG, perm, x)
        return {"H": H, "b": b, "g": g, "x": x, "k": k, "K": K, "L_c": Lc, "L": Lval}

    def _directions(self, P):
        g, p = P["g"], len(P["g"])
        tau = sh.top_k_threshold(g, P["k"])
        # one Adam step (beta1 = 0): -sign(g)/sqrt(1e-3); every argument passed, so the solver
        # keeps the one compiled signature reddi2018 uses
        adam = adaptive_online(g[None, :], P["x"], np.full(p, -np.inf), np.full(p, np.inf), 1.0,
                               0.0, 0.999, ADAM, 0.5, 0.0, 1.0)
        return {"sgd": -g, "clip": -sh.clip_coordinates(g, tau), "adam": adam[1] - adam[0]}

    def predict(self, inst):
        P = self._problem(inst)
        g, H, out = P["g"], P["H"], {"L_c": P["L_c"], "ratio": 1.0}
        for name, v in self._directions(P).items():
            gv, S = g @ v, sh.directional_sharpness(H, v)
            eta = T_GRID * abs(gv) / (v @ H @ v)
            out[name] = eta * gv + 0.5 * eta**2 * (v @ v) * S              # Taylor decomposition
            out[name + "*"] = (g @ g) * (gv**2 / ((g @ g) * (v @ v))) / (2 * S)  # |g|^2 cos^2/(2S)
        return out

    def measure(self, inst):
        P = self._problem(inst)
        H, b, g, x, p = P["H"], P["b"], P["g"], P["x"], len(P["g"])
        tol, out, s0 = ROUND * (p + 2), {}, sh.rounding_scale(H, b, x)
        for name, v in self._directions(P).items():
            eta = T_GRID * abs(g @ v) / (v @ H @ v)
            out[name] = sh.step_changes(H, b, x, v, eta)
            out[name + "_tol"] = tol * np.array([s0 + sh.rounding_scale(H, b, x + e * v) + abs(e * (
                g @ v)) + 0.5 * e**2 * (np.abs(v) @ np.abs(H) @ np.abs(v)) for e in eta])
            e_hat, dec = sh.line_search_min(H, b, x, v)
            out[name + "*"], out[name + "S"] = dec, sh.directional_sharpness(H, v)
            out[name + "*_tol"] = tol * (s0 + sh.rounding_scale(H, b, x + e_hat * v) + dec)
        out["ratio"] = out["clip*"] / out["sgd*"]
        out["ratio_tol"] = out["clip*_tol"] / out["clip*"] + out["sgd*_tol"] / out["sgd*"]
        return out

    def compare(self, p, m):
        parts = [(f"Taylor {d}", _within(m[d], p[d], m[d + "_tol"], f"f(x+eta v)-f(x), {d}"))
                 for d in ("sgd", "clip", "adam")]
        parts += [(f"Delta* {d}", _within(m[d + "*"], p[d + "*"], m[d + "*_tol"],
                                          f"line-search decrease vs |g|^2cos^2/(2S), {d}"))
                  for d in ("sgd", "clip", "adam")]
        ratio = compare_bound(1.0, m["ratio"], 0.0, m["ratio_tol"], "lower")
        sharp = compare_bound(m["sgdS"], m["clipS"], ROUND * 64, 0.0, "upper")
        return combine(*parts, ("Delta*(clip)/Delta*(g) >= 1", ratio), ("S(clip) <= S(g)", sharp))

    def trace(self, inst, p, m):
        """Measured Delta*(clip)/Delta*(g) as the spike L sweeps 0.1..10 L_c (same g, H_G)."""
        xs, obs, pred = np.geomspace(0.1, 10.0, 25), [], []
        for r in xs:
            P = self._problem(dict(inst, isotropic=False), L_over=r)
            d = self._directions(P)
            obs.append(sh.line_search_min(P["H"], P["b"], P["x"], d["clip"])[1]
                       / sh.line_search_min(P["H"], P["b"], P["x"], d["sgd"])[1])
            g, H = P["g"], P["H"]
            pred.append(float(((g @ d["clip"]) ** 2 / (d["clip"] @ H @ d["clip"]))
                              / ((g @ g) ** 2 / (g @ H @ g))))
        return Trace(x=xs.tolist(), observed=obs, predicted=pred, logx=True, logy=True,
                     xlabel="L / L_c (claim: ratio >= 1 for L/L_c >= 1)",
                     ylabel="Delta*(clip)/Delta*(g); dashed: closed form")

    def certificate(self):
        """sympy: the decomposition, Delta*, and the clipping theorem's three algebraic steps."""
        eta, n = sp.symbols("eta"), 3
        Hs = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"h{min(i, j)}{max(i, j)}"))
        xs, vs, bs = (sp.Matrix(sp.symbols(f"{c}0:{n}")) for c in "xvb")
        f = lambda y: (y.T * Hs * y / 2 - bs.T * y)[0]  # noqa: E731
        gs, vHv = Hs * xs - bs, (vs.T * Hs * vs)[0]
        taylor = sp.expand(f(xs + eta * vs) - f(xs) - eta * (gs.T * vs)[0] - eta**2 / 2 * vHv)
        phi = eta * (gs.T * vs)[0] + eta**2 / 2 * vHv
        best = sp.simplify(phi.subs(eta, sp.solve(sp.diff(phi, eta), eta)[0]) + (gs.T * vs)[0]**2
                           / (2 * vHv))
        at_lc = sp.simplify(RATIO.subs({C: ELL * A, L: L_C}) - 1)
        dL = sp.factor(sp.diff(RATIO, L) * (C + L * K_ * TAU**2) ** 2 * N_SGD**2 / N_CLIP**2)
        dC = sp.factor(sp.diff(RATIO, C) * (C + L * K_ * TAU**2) ** 2 * N_SGD**2 / N_CLIP**2)
        checks = {"Taylor remainder = 0": taylor == 0, "min_eta = -(g'v)^2/(2v'Hv)": best == 0,
                  "ratio(L_c, C = ell A) = 1": at_lc == 0,
                  "dratio/dL ~ C (q - k tau^2) >= 0": sp.simplify(dL - C * (Q - K_ * TAU**2)) == 0,
                  "dratio/dC ~ L (k tau^2 - q) <= 0": sp.simplify(dC - L * (K_ * TAU**2 - Q)) == 0}
        bad = [k for k, ok in checks.items() if not ok]
        return Certificate(holds=not bad, value=float(len(bad)), bound=1.0,
                           detail="sympy: " + "; ".join(f"{k}: {ok}" for k, ok in checks.items())
                           + ". With q >= k tau^2 (clipped |g_i| >= tau) and C <= ell A these "
                           "give ratio >= 1 for L >= L_c.")
