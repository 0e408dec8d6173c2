"""The runner: one engine for pytest and the CLI.

For a theorem it runs (1) a targeted hypothesis search of the positive claim over
``instances()`` — ``hypothesis.target(-margin)`` pushes the search towards the boundary of
the claim, and a violated instance is shrunk to a minimal counterexample; (2) the negative
control: a search of ``violations()`` until an instance with ``holds == False`` is found
(none found means the check has no teeth, which fails the theorem); (3) the certificate, if
any. The :class:`Result` carries the status, worst case, counterexamples, tightness, timings
and plot data.
"""
from __future__ import annotations

import json
import math
import signal
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from hypothesis import Phase, given, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import UnsatisfiedAssumption

from checks.jit import jit_activity
from checks.theorem import ClaimError, Evidence, Instance, Theorem

EXAMPLE_TIMEOUT_S = 120.0  # one example slower than this is a harness error, not a pass


class _Violated(AssertionError):
    """Raised inside a hypothesis test when an instance violates the claim."""


@dataclass
class Result:
    """Everything a run learned about one theorem (serialised to ``results.json``)."""

    id: str
    status: str  # confirmed | refuted | error
    kind: str
    paper: str
    expected: str = "confirmed"
    profile: str = ""
    examples: int = 0
    worst_margin: float | None = None
    worst_instance: Instance | None = None
    worst_detail: str = ""
    tightness: float | None = None
    counterexample: dict[str, Any] | None = None
    negative_control: dict[str, Any] = field(default_factory=dict)
    certificate: dict[str, Any] | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    margins: list[float] = field(default_factory=list)
    trace: dict[str, Any] | None = None
    message: str = ""
    campaign: dict[str, Any] | None = None  # fuzz totals (shards, examples/s, worst over time)

    @property
    def ok(self) -> bool:
        """True when the run agrees with what the project expects of this claim."""
        if self.status == "error":
            return False
        if self.status == self.expected:
            return self.status == "refuted" or bool(self.negative_control.get("fired"))
        return False

    def to_json(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=_jsonable))


def _jsonable(x: Any) -> Any:
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return str(x)


def _finite(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else (-1e300 if x < 0 else 1e300)


def scaled_settings(base: settings, thm: Theorem, **overrides: Any) -> settings:
    """The profile's settings scaled by the theorem's ``example_scale``."""
    n = max(3, int(round(base.max_examples * thm.example_scale)))
    return settings(base, max_examples=n, report_multiple_bugs=False, **overrides)


class _Timeout(Exception):
    pass


@contextmanager
def _alarm(seconds: float):
    """Interrupt Python code after ``seconds`` (main thread on POSIX only; elsewhere the
    elapsed time is checked afterwards). A jitted loop is interrupted when it returns."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def fire(signum, frame):
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _evaluate(thm: Theorem, inst: Instance) -> Evidence:
    t0 = time.perf_counter()
    try:
        with _alarm(EXAMPLE_TIMEOUT_S):
            ev = thm.evaluate(inst)
    except (ClaimError, UnsatisfiedAssumption):  # assume() inside predict/measure filters
        raise
    except _Timeout:
        raise ClaimError(f"timeout: one example took more than {EXAMPLE_TIMEOUT_S} s") from None
    except Exception as exc:  # solver failures become harness errors, never passes
        raise ClaimError(f"{type(exc).__name__}: {exc}") from exc
    elapsed = time.perf_counter() - t0
    if elapsed > EXAMPLE_TIMEOUT_S:
        raise ClaimError(f"timeout: one example took {elapsed:.1f} s > {EXAMPLE_TIMEOUT_S} s")
    return ev


def _search(thm: Theorem, strategy, cfg: settings, label: str, seed: int | None = None
            ) -> tuple[list[tuple[float, Instance, Evidence]], tuple[Instance, Evidence] | None]:
    """Run hypothesis over ``strategy``; return every (margin, instance, evidence) seen and
    the (shrunk, when shrinking is on) first violating instance, if any."""
    records: list[tuple[float, Instance, Evidence]] = []
    failing: list[tuple[Instance, Evidence]] = []

    errors: list[ClaimError] = []

    @cfg
    @given(strategy)
    def probe(inst: Instance) -> None:
        if errors:  # fail fast: shrinking an error would re-run slow or broken examples
            raise errors[0]
        try:
            ev = _evaluate(thm, inst)
        except ClaimError as exc:
            errors.append(ClaimError(f"{exc} [{label} instance: {json.dumps(inst)}]"))
            raise errors[0] from None
        records.append((ev.margin, dict(inst), ev))
        target(max(-1e12, min(1e12, -ev.margin)), label=f"{label}: -margin")
        if not ev.holds:
            failing.append((dict(inst), ev))
            raise _Violated(f"{thm.id}: {ev.detail}")

    # one database key per theorem and search, shared by pytest, run and fuzz
    probe.hypothesis.inner_test._hypothesis_internal_add_digest = f"{thm.id}:{label}".encode()
    if seed is not None:  # a fuzz shard: its own random stream, same database key
        probe = hypothesis_seed(seed)(probe)
    try:
        probe()
    except _Violated:
        return records, failing[-1]  # hypothesis replays the minimal example last
    return records, None


def run_theorem(thm: Theorem, profile: settings, profile_name: str = "",
                log: Callable[[str], None] | None = None, seed: int | None = None,
                certificate: bool = True, control: bool = True) -> Result:
    """Run the positive search, the negative control and the certificate of ``thm``.

    ``seed`` gives the search its own random stream (fuzz shards); ``certificate=False`` and
    ``control=False`` skip those phases (a fuzz shard after the first, a power mutant)."""
    res = Result(id=thm.id, status="error", kind=thm.kind, paper=thm.paper.title,
                 expected=thm.expected, profile=profile_name)
    start = time.perf_counter()
    with jit_activity() as jit:
        try:
            _run(thm, profile, res, log or (lambda _msg: None), seed, certificate, control)
        except ClaimError as exc:
            res.status, res.message = "error", str(exc)
        except Exception as exc:  # a harness bug is shown as an error, never as a pass
            res.status = "error"
            res.message = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}"
    res.seconds = time.perf_counter() - start
    # first-call cost: compiling solvers, or loading them from numba's on-disk cache
    res.timings["jit"] = jit.seconds
    return res


def _run(thm: Theorem, profile: settings, res: Result, log: Callable[[str], None],
         seed: int | None, with_certificate: bool, with_control: bool) -> None:
    t0 = time.perf_counter()
    records, failure = _search(thm, thm.instances(), scaled_settings(profile, thm), "positive",
                               seed)
    if not records:
        raise ClaimError("no instance satisfied the assumptions (strategy filtered everything)")
    res.examples = len(records)
    res.margins = [_finite(m) for m, _, _ in records]
    worst_margin, worst_inst, worst_ev = min(records, key=lambda r: r[0])
    if failure is not None:
        worst_inst, worst_ev = failure
        worst_margin = worst_ev.margin
        res.counterexample = {"instance": worst_inst, "margin": _finite(worst_margin),
                              "detail": worst_ev.detail}
    res.worst_margin = _finite(worst_margin)
    res.worst_instance, res.worst_detail = worst_inst, worst_ev.detail
    ratios = [ev.ratio for _, _, ev in records if ev.ratio is not None and math.isfinite(ev.ratio)]
    if thm.kind in ("bound", "comparison") and ratios:
        res.tightness = max(ratios) if thm.sense == "upper" else min(ratios)
    traced = _evaluate_with_trace(thm, worst_inst)
    res.trace = asdict(traced) if traced is not None else None
    res.timings["positive"] = time.perf_counter() - t0  # the search and the worst case's trace
    log(f"  positive: {res.examples} examples, worst margin {worst_margin:+.3g}")

    if with_control:
        _run_control(thm, profile, res, log, seed)
    cert = None
    if with_certificate:
        t0 = time.perf_counter()
        cert = thm.certificate()
        res.timings["certificate"] = time.perf_counter() - t0
    if cert is not None:
        res.certificate = {"holds": cert.holds, "value": cert.value, "bound": cert.bound,
                           "ratio": cert.ratio, "detail": cert.detail, "table": cert.table}
        log(f"  certificate: {'holds' if cert.holds else 'FAILS'} (ratio {cert.ratio:.3g})")

    if failure is not None or (cert is not None and not cert.holds):
        res.status = "refuted"
        res.message = (thm.explanation if thm.expected == "refuted" else
                       "counterexample within the stated assumptions" if failure else
                       f"certificate fails: {cert.detail}")
    elif with_control and not res.negative_control["fired"]:
        res.status = "error"
        res.message = (f"negative control did not fire: no instance breaking "
                       f"'{thm.violated}' violated the claim, so the check has no teeth")
    else:
        res.status = "confirmed"


def _run_control(thm: Theorem, profile: settings, res: Result, log: Callable[[str], None],
                 seed: int | None) -> None:
    """The negative control: search ``violations()`` until the claim fails (no shrinking:
    a firing instance is enough; its minimality does not matter)."""
    t0 = time.perf_counter()
    control_cfg = scaled_settings(profile, thm, phases=[Phase.explicit, Phase.reuse,
                                                        Phase.generate, Phase.target])
    neg_records, fired = _search(thm, thm.violations(), control_cfg, "negative", seed)
    res.timings["negative"] = time.perf_counter() - t0
    res.negative_control = {
        "assumption": thm.violated, "fired": fired is not None,
        "examples": len(neg_records),
        "margin": _finite(fired[1].margin) if fired else (
            _finite(min(m for m, _, _ in neg_records)) if neg_records else None),
        "instance": fired[0] if fired else None,
        "detail": fired[1].detail if fired else "no violating instance found",
    }
    log(f"  negative control ({thm.violated}): "
        f"{'fired' if fired else 'DID NOT FIRE'} after {len(neg_records)} examples")


def _evaluate_with_trace(thm: Theorem, inst: Instance):
    import warnings

    try:
        with warnings.catch_warnings():  # assume() outside a search is harmless here
            warnings.simplefilter("ignore")
            return thm.evaluate(inst, with_trace=True).trace
    except Exception:  # the trace is decoration; the verdict came from the search
        return None


def check_instance(thm: Theorem, inst: Instance) -> Evidence:
    """Evaluate one instance (``claimcheck check``); used to reproduce a report's worst case.
    An instance that a theorem rejects with ``hypothesis.assume`` raises :class:`ClaimError`."""
    try:
        return thm.evaluate(inst, with_trace=False)
    except UnsatisfiedAssumption:
        raise ClaimError("the instance does not satisfy the theorem's assumptions "
                         "(rejected by hypothesis.assume)") from None
    except KeyError as exc:
        raise ClaimError(f"the instance lacks the field {exc}") from None
