r"""Logistic regression with huge steps is the Batch Perceptron; perceptron iteration counts.

Tyurin (2024), "From Logistic Regression to the Perceptron Algorithm: Exploring Gradient Descent
with Large Step Sizes" (AAAI-25; arXiv 2412.08424), main text §§3-6.

Setting: data a_i in R^d with labels y_i in {-1, +1}, z_i = y_i a_i, m_i(theta) = z_i^T theta.
Assumption 1.1: mu := max_{||theta||=1} min_i y_i a_i^T theta > 0 (separable through the origin);
R := max_i ||a_i||. Problem (1): find theta with y_i a_i^T theta > 0 for all i. All methods start
at 0. LR+GD is GD with step gamma on f(theta) = 1/n sum_i log(1 + exp(-m_i(theta))).
Batch Perceptron (§3): theta^_1 = 1/(2n) sum_i z_i; for t >= 1, S_t = {i : m_i(theta^_t) <= 0},
theta^_{t+1} = theta^_t + 1/n sum_{i in S_t} z_i while S_t is non-empty.
Normalized Batch Perceptron (Thm 5.3): the same with 1/|S_t| instead of 1/n, from t = 0.
Normalized LR+GD (§6): theta_{t+1} = theta_t - gamma beta_t grad f(theta_t), with
beta_t = (1/n sum_i (1 + exp(m_i(theta_t)))^{-1})^{-1}.

Claims (quoted from the main text):
  * Thm 3.2: under Assumption 1.1 and the non-degeneracy Assumption 3.1, theta_t/gamma ->
    theta^_t for all t >= 0 as gamma -> inf. Assumption 3.1 says no hyperplane
    {x : sum_i x_i <z_i, z_j> = 0} meets the half-integer lattice (1/2 + N_0)^n; its proof uses
    only its consequence that no Batch Perceptron margin m_i(theta^_t) is 0, which we enforce.
  * Thm 3.3 [Novikoff 1962]: Batch Perceptron solves (1) after at most n R^2/mu^2 iterations.
  * Thm 5.3: Normalized Batch Perceptron solves (1) after at most R^2/mu^2 iterations.
  * Thm 6.1: Normalized LR+GD solves (1) after at most R^2/mu^2 + 2 log(2n-1)/(gamma mu^2)
    iterations, for every gamma > 0.
  * Datasets used as instance families: Thm 5.1's one point (0.5, -1) with label +1 and n-1
    points (-0.5, -1) with label -1 (mu = 1/2, R^2 = 5/4; Batch Perceptron needs Omega(n)
    iterations), in both checks; Thm 4.1's (1, -1) label +1, (-1, -4) label -1, in Thm 3.2.

Derived here (not in the paper): a certified finite-gamma bound for Thm 3.2. With m_min =
min_{1<=t<=H, i} |m_i(theta^_t)| and e_t = ||theta_t/gamma - theta^_t||: if
e gamma R^2 (H-1) exp(-gamma m_min) <= 1 then e_t <= e (t-1) R exp(-gamma m_min) for t <= H
(induction on e_{t+1} <= e_t + 1/n sum_i ||a_i|| sigma(-gamma(|m_i(theta^_t)| - ||a_i|| e_t))).
At gamma m_min >= 40 this is < 1.2e-17 (t-1) R, below float64 rounding, so the limit identity
can be checked at finite gamma. The count convention (T = first t with theta_t separating;
theta^_1 is iteration 1) and the closed-form Thm 5.1 count floor((3n+2)/10)+1 are derived too.

Provenance: paper. Read in the main text (arXiv v1 = AAAI version): Assumption 1.1 (§1), the
Batch Perceptron, Assumption 3.1 and Thms 3.2-3.3 (§3), Thm 4.1 (§4), Thms 5.1 and 5.3 (§5),
Normalized LR+GD and Thm 6.1 (§6). The appendix with the proofs (Sections B, D) was not
available. (The Thm 5.1 proof says the class -1 sample is misclassified; it is the class +1
one, a typo that does not affect the claim.) mu comes from a hard-margin SVM (cvxpy+Clarabel)
as a certified bracket mu_lo <= mu <= mu_hi; the bounds use mu_lo (relative gap <= 1e-4).
Negative controls: gamma = 1 (gamma m_min << 40) for Thm 3.2; un-normalised steps (1/n, beta_t
= 1) against the normalised bounds on the Thm 5.1 dataset (n >= 17: the Batch Perceptron needs
floor((3n+2)/10)+1 >= 6 > R^2/mu^2 = 5 iterations).
"""
import math

import numpy as np
import sympy as sp
from hypothesis import assume
from hypothesis import strategies as st

from checks import Certificate, ClaimError, Evidence, Paper, Theorem, Trace, compare_bound
from checks.strategies import instance, log_uniform, seeds
from solvers import perceptron as P
from solvers.generators import separable_data
from solvers.margin import hard_margin

PAPER = Paper("From Logistic Regression to the Perceptron Algorithm: Exploring Gradient Descent "
              "with Large Step Sizes", "Alexander Tyurin", 2024, "2412.08424",
              "000_66109534921eab67.txt")
N, R, MU, GAMMA, T = sp.symbols("n R mu gamma t", positive=True)
M = sp.Symbol(r"m_{i,t}", real=True)  # y_i a_i^T \hat\theta_t
I = sp.Symbol("i", integer=True, positive=True)
Y, A, TH = sp.IndexedBase("y"), sp.IndexedBase("a"), sp.IndexedBase(r"\hat{\theta}")
WEIGHT = sp.Piecewise((1, M <= 0), (0, True))  # [i in S_t]
FIRST, STEP = 1 / (2 * N), 1 / N  # Batch Perceptron step factors at t = 0 and t >= 1
CAP = 10**7  # iteration cap of the counters; every bound in the instance ranges is below it


def _data(inst):
    """(A, y) of an instance: seeded Gaussian data or the paper's Thm 4.1 / Thm 5.1 datasets."""
    n = inst["n"]
    if inst["family"] == "thm5.1":
        return np.array([[0.5, -1.0]] + [[-0.5, -1.0]] * (n - 1)), np.r_[1.0, -np.ones(n - 1)]
    if inst["family"] == "thm4.1":
        return np.array([[1.0, -1.0], [-1.0, -4.0]]), np.array([1.0, -1.0])
    return separable_data(n, inst["d"], inst["c"], inst["seed"])


def _dataset(families=("gaussian", "thm5.1", "thm4.1"), thm51_n=(10, 400), c_min=0.01):
    """Strategy of dataset descriptions (one_of keeps the families balanced under hypothesis)."""
    parts = {
        "gaussian": instance(family=st.just("gaussian"), n=st.integers(2, 150),
                             d=st.integers(2, 30), c=log_uniform(c_min, 1.0), seed=seeds()),
        "thm5.1": instance(family=st.just("thm5.1"), n=st.integers(*thm51_n), d=st.just(2),
                           c=st.just(0.0), seed=st.just(0)),
        "thm4.1": st.just(dict(family="thm4.1", n=2, d=2, c=0.0, seed=0)),
    }
    return st.one_of(*(parts[f] for f in families))


class TyurinLRToPerceptron(Theorem):
    """As gamma -> inf, LR+GD started at 0 satisfies theta_t/gamma -> theta^_t (Batch Perceptron
    from theta^_0 = 0) for every t, on separable data whose Batch Perceptron margins are nonzero;
    checked at finite gamma with gamma m_min >= 40, where the derived bound is below rounding."""

    id = "tyurin2024.lr_to_perceptron"
    paper = PAPER
    source = "Theorem 3.2 (§3); finite-gamma error bound derived"
    provenance = "paper"
    statement = (
        r"For separable data ($\mu>0$) whose Batch Perceptron margins $m_{i,t}=y_ia_i^\top"
        r"\hat\theta_t$ never vanish (Assumption 3.1), gradient descent with step $\gamma$ on "
        r"the logistic loss from $\theta_0=0$ satisfies $\theta_t/\gamma\to\hat\theta_t$ for all "
        r"$t$ as $\gamma\to\infty$, where $\hat\theta_1=\frac1{2n}\sum_i y_ia_i$, "
        r"$\hat\theta_{t+1}=\hat\theta_t+\frac1n\sum_{i:m_{i,t}\le0}y_ia_i$ (paper, Thm 3.2 and "
        r"the Batch Perceptron of §3). Checked at finite $\gamma=g/m_{\min}$, $g\in[40,10^4]$, "
        r"$m_{\min}=\min_{t\le H,i}|m_{i,t}|$: a bound derived here gives "
        r"$\|\theta_t/\gamma-\hat\theta_t\|\le e(t-1)Re^{-\gamma m_{\min}}$, below float64 "
        r"rounding, so $\theta_t/\gamma$ must equal $\hat\theta_t$ to rounding for $t=0..H$"
        r" ($H$ = separating index + 3).")
    kind = "identity"
    assumptions = {
        "separable": "mu > 0: Gaussian data shifted by c >= 0.01 along a unit u (mu >= c), or the "
                     "paper's Thm 4.1 / Thm 5.1 datasets",
        "non-degenerate (Assumption 3.1)": "m_min > 1e-9 R (max_t ||theta^_t|| + R): no Batch "
                                           "Perceptron margin is 0 (or within rounding of 0)",
        "gamma m_min >= 40": "gamma = g/m_min, g log-uniform in [40, 1e4], and e gamma R^2 (H-1) "
                             "e^{-g} <= 1: the certified gap e(t-1)R e^{-g} < 1.2e-17 (t-1) R",
        "theta_0 = 0": "both methods start at 0",
    }
    violated = "gamma m_min >= 40"
    formula = sp.Tuple(sp.Eq(TH[1], sp.Sum(Y[I] * A[I], (I, 1, N)) * FIRST),
                       sp.Eq(TH[T + 1], TH[T] + sp.Sum(WEIGHT * Y[I] * A[I], (I, 1, N)) * STEP))
    rtol = 1e-13  # per step and per unit of ||theta^_t|| + R: float64 rounding (eps = 2.2e-16)
    # accumulated over t+1 steps; observed at most 8e-16 in these units (>= 100x headroom)
    extra = 3  # steps compared after the separating index (theta^ constant, theta/gamma ~ too)

    def _draw(self, g_strategy):
        @st.composite
        def strat(draw):
            inst = draw(_dataset())
            A_, y = _data(inst)
            T_ = int(P.perceptron_count(A_, y, 10**5, False))
            assume(T_ <= 10**5)
            path, R_ = P.batch_perceptron(A_, y, T_, False), np.linalg.norm(A_, axis=1).max()
            m_min = float(np.abs(path[1:] @ (A_ * y[:, None]).T).min())
            assume(m_min > 1e-9 * R_ * (np.linalg.norm(path, axis=1).max() + R_))
            g = draw(g_strategy)
            gamma = 1.0 if g is None else g / m_min
            assume(g is None or math.e * gamma * R_**2 * (T_ + self.extra) * math.exp(-g) <= 1)
            return dict(inst, T=T_, m_min=m_min, g=m_min if g is None else g, gamma=gamma)
        return strat()

    def instances(self):
        return self._draw(log_uniform(40.0, 1e4))

    def violations(self):  # gamma = 1: gamma m_min << 40, the sigmoid is far from the indicator
        return self._draw(st.none())

    def predict(self, inst):
        """Batch Perceptron from the lambdified formula, t = 0..H."""
        A_, y = _data(inst)
        Z, n = A_ * y[:, None], inst["n"]
        w, c0, c1 = (sp.lambdify(M, WEIGHT, "numpy"), float(FIRST.subs(N, n)),
                     float(STEP.subs(N, n)))
        th = [np.zeros(Z.shape[1])]
        for t in range(inst["T"] + self.extra):
            th.append(th[-1] + (c0 if t == 0 else c1) * (Z.T @ np.asarray(w(Z @ th[-1]), float)))
        return {"theta": np.array(th), "R": float(np.linalg.norm(A_, axis=1).max())}

    def measure(self, inst):
        """LR+GD (plain gradient steps on the logistic loss), divided by gamma."""
        A_, y = _data(inst)
        return P.lr_gd(A_, y, inst["gamma"], inst["T"] + self.extra, False) / inst["gamma"]

    def _gap(self, p, m):
        disc = np.linalg.norm(m - p["theta"], axis=1)
        scale = np.linalg.norm(p["theta"], axis=1) + p["R"]
        tol = self.rtol * np.arange(1, len(disc) + 1) * scale
        return disc, tol

    def compare(self, p, m):
        """margin = 1 - max_t disc_t/tol_t when it holds, else -log10(max disc_t/tol_t) (the number
        of decades above the tolerance, so misses stay comparable)."""
        if m.shape != p["theta"].shape or not np.all(np.isfinite(m)):
            raise ClaimError(f"LR+GD path shape {m.shape} / finiteness mismatch")
        disc, tol = self._gap(p, m)
        r = disc / tol
        t = int(np.argmax(r))
        return Evidence(bool(r[t] <= 1), float(1 - r[t] if r[t] <= 1 else -np.log10(r[t])),
                        float(np.linalg.norm(m[t])), float(np.linalg.norm(p["theta"][t])),
                        f"max_t ||theta_t/gamma - theta^_t|| / tol_t at t = {t}: disc {disc[t]:.3e}"
                        f" vs tol {tol[t]:.3e} (overall max disc {disc.max():.3e})")

    def trace(self, inst, p, m):
        disc, tol = self._gap(p, m)
        return Trace(x=list(range(len(disc))), observed=np.maximum(disc, 1e-20).tolist(),
                     predicted=tol.tolist(), logy=True,
                     xlabel=f"t (BP separates at t={inst['T']}; gamma m_min={inst['g']:.3g}); "
                            f"dashed: tolerance",
                     ylabel="||theta_t/gamma - theta^_t|| (0 as 1e-20)")

    def certificate(self):
        """sympy: lim sigma(-gamma m) is the indicator [m < 0] (1/2 at the tie m = 0, why
        Assumption 3.1 is needed); and the derived bound at g >= 40 against the tolerance."""
        m = sp.Symbol("m", positive=True)
        sig = 1 / (1 + sp.exp(GAMMA * M))
        lims = [sp.limit(sig.subs(M, s), GAMMA, sp.oo) for s in (m, -m, 0)]
        ok = lims == [0, 1, sp.Rational(1, 2)]
        # e(t-1)R e^{-g} / (rtol (t+1)(||theta^|| + R)) <= e e^{-g}/rtol, maximal at g = 40
        value = float(sp.E * sp.exp(-40) / sp.Float(self.rtol))
        return Certificate(holds=bool(ok and value < 1), value=value, bound=1.0,
                           detail=f"sympy limits of sigma(-gamma m) for m>0, m<0, m=0: {lims}; "
                                  f"worst derived finite-gamma gap / tolerance = {value:.2e}")


class TyurinPerceptronIterations(Theorem):
    """From theta_0 = 0 on separable data: Batch Perceptron separates within n R^2/mu^2
    iterations (Thm 3.3), Normalized Batch Perceptron within R^2/mu^2 (Thm 5.3), and Normalized
    LR+GD within R^2/mu^2 + 2 log(2n-1)/(gamma mu^2) for every gamma > 0 (Thm 6.1)."""

    id = "tyurin2024.perceptron_iterations"
    paper = PAPER
    source = "Theorems 3.3, 5.3 and 6.1; Thm 5.1 dataset"
    provenance = "paper"
    statement = (
        r"Let $\mu=\max_{\|\theta\|=1}\min_i y_ia_i^\top\theta>0$, $R=\max_i\|a_i\|$, start at 0. "
        r"Batch Perceptron solves $y_ia_i^\top\theta>0\ \forall i$ after at most $nR^2/\mu^2$ "
        r"iterations (Thm 3.3), Normalized Batch Perceptron (step $\frac1{|S_t|}\sum_{i\in S_t}"
        r"y_ia_i$) after at most $R^2/\mu^2$ (Thm 5.3), and Normalized LR+GD (GD on the logistic "
        r"loss with step $\gamma\beta_t$, "
        r"$\beta_t^{-1}=\frac1n\sum_i(1+e^{y_ia_i^\top\theta_t})^{-1}$) after at most "
        r"$R^2/\mu^2+2\log(2n-1)/(\gamma\mu^2)$ for every $\gamma>0$ (Thm 6.1); all "
        r"quoted from the paper. Iteration count (our convention, derived): the first $t$ whose "
        r"$\theta_t$ separates. Checked on Gaussian data and on the paper's Thm 5.1 dataset.")
    kind = "bound"
    sense = "upper"
    assumptions = {
        "separable": "mu > 0: Gaussian data shifted by c in [0.05, 1] along u (mu >= c), or the "
                     "Thm 5.1 dataset (mu = 1/2)",
        "theta_0 = 0": "all three methods start at 0",
        "normalised step": "Thm 5.3 uses 1/|S_t| and Thm 6.1 the factor beta_t",
        "gamma > 0": "gamma log-uniform in [1e-2, 1e3]",
    }
    violated = "normalised step"
    formula = sp.Tuple(N * R**2 / MU**2, R**2 / MU**2, R**2 / MU**2 + 2 * sp.log(2 * N - 1)
                       / (GAMMA * MU**2))
    rtol = 0.0  # integer counts against bounds evaluated with the certified mu_lo <= mu: the
    atol = 0.0  # bounds are overestimated by at most (1 + MU_GAP)^2 - 1 < 2e-4 (relative)
    MU_GAP = 1e-4  # accepted relative gap (mu_hi - mu_lo)/mu_hi of the SVM's certified bracket

    def _draw(self, normalized, thm51_n, families):
        return st.builds(lambda d, g: dict(d, gamma=g, normalized=normalized),
                         _dataset(families, thm51_n, c_min=0.05), log_uniform(1e-2, 1e3))

    def instances(self):
        return self._draw(True, (10, 400), ("gaussian", "thm5.1"))

    def violations(self):  # BP (1/n) vs R^2/mu^2 = 5 on Thm 5.1 data: floor((3n+2)/10)+1 >= 6
        # (n >= 17 avoids the tie n = 16); gamma >= 1 only keeps un-normalised LR+GD fast
        return st.builds(lambda d, g: dict(d, gamma=g, normalized=False),
                         _dataset(("thm5.1",), (17, 400)), log_uniform(1.0, 1e3))

    def predict(self, inst):
        A_, y = _data(inst)
        lo, hi, _ = hard_margin(A_, y)
        if not (lo > 0 and hi - lo <= self.MU_GAP * hi):
            raise ClaimError(f"SVM margin bracket [{lo:.6g}, {hi:.6g}] not accurate/positive")
        Rv = float(np.linalg.norm(A_, axis=1).max())
        f = sp.lambdify((N, R, MU, GAMMA), list(self.formula), "numpy")
        b = np.array(f(inst["n"], Rv, lo, inst["gamma"]), dtype=float)
        if b.max() >= CAP:
            raise ClaimError(f"bound {b.max():.3g} >= iteration cap {CAP}: cannot detect a miss")
        return b

    def measure(self, inst):
        A_, y, nz = *_data(inst), inst["normalized"]
        return np.array([P.perceptron_count(A_, y, CAP, False), P.perceptron_count(A_, y, CAP, nz),
                         P.lr_gd_count(A_, y, inst["gamma"], CAP, nz)], dtype=float)

    def compare(self, p, m):
        ev = compare_bound(p, m, self.rtol, self.atol, self.sense)
        ev.detail += "; counts (3.3, 5.3, 6.1) = %s vs bounds %s" % (
            m.astype(int).tolist(), np.array2string(p, precision=4))
        return ev

    def trace(self, inst, p, m):
        if inst["family"] != "thm5.1":
            return Trace(x=[3.3, 5.3, 6.1], observed=m.tolist(), predicted=p.tolist(), logy=True,
                         xlabel=f"theorem: 3.3 BP, 5.3 NBP, 6.1 NLR+GD (gamma={inst['gamma']:.3g})",
                         ylabel="iterations to separate vs bound")
        ns = np.unique(np.geomspace(10, max(inst["n"], 100), 12).astype(int))
        obs = [P.perceptron_count(*_data(dict(inst, n=int(k))), CAP, False) for k in ns]
        return Trace(x=ns.tolist(), observed=[float(o) for o in obs], logx=True, logy=True,
                     predicted=[self.predict(dict(inst, n=int(k)))[0] for k in ns],
                     xlabel="n (Thm 5.1 dataset)",
                     ylabel="Batch Perceptron iterations vs n R^2/mu^2 = 5n")
