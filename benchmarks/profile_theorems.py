"""Where a warm ``ci`` run spends its time, per theorem (issue #5: no Python loops in hot paths).

Each theorem runs once to compile or load its solvers, then once more under ``cProfile``. The
profile's own time (``tottime``) of every function is attributed to where the function lives:

* ``solvers``: the numba reference solvers (a jitted call is profiled as one call of the
  Python function it was compiled from) and their plain-Python wrappers;
* ``theorem``: the theorem module itself (``predict``, ``measure``, instance building);
* ``harness``: ``checks/`` (runner, comparisons);
* ``hypothesis``: example generation, targeting, shrinking;
* ``sympy``: formula evaluation and certificate algebra;
* ``library``: numpy, scipy, cvxpy, PEPit and the C functions they call;
* ``other``: everything else (the standard library, the interpreter).

The time of a C function (a builtin, a numpy ufunc) goes to the category of its caller.

A theorem whose ``theorem`` or ``harness`` share is large spends its time in a Python loop of
ours: the place to move work into a solver. cProfile's per-call overhead inflates pure-Python
code (sympy, hypothesis) against jitted and C code, so read the shares as an upper bound for
those. Prints a Markdown table; saves JSON.

    python benchmarks/profile_theorems.py [SUBSTRING ...] [--json benchmarks/profile.json]
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

CATEGORIES = ("solvers", "theorem", "harness", "hypothesis", "sympy", "library", "other")
LIBRARIES = ("numpy", "scipy", "cvxpy", "clarabel", "PEPit", "pepit", "highspy", "numba",
             "llvmlite")


def category(filename: str, function: str) -> str:
    """Which part of the stack a profiled function belongs to."""
    path = Path(filename).as_posix()
    if path.startswith(str(ROOT)):
        rel = Path(path).relative_to(ROOT).parts[0]
        return {"solvers": "solvers", "theorems": "theorem", "checks": "harness"}.get(rel, "other")
    for name, cat in (("hypothesis", "hypothesis"), ("sympy", "sympy"), ("mpmath", "sympy")):
        if f"/{name}/" in path:
            return cat
    if any(f"/{lib}/" in path for lib in LIBRARIES):
        return "library"
    return "other"


def profile_one(thm_cls, settings) -> dict:
    from checks.runner import run_theorem

    run_theorem(thm_cls(), settings, "ci")  # compile or load every solver first
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    res = run_theorem(thm_cls(), settings, "ci")
    prof.disable()
    wall = time.perf_counter() - t0
    shares = dict.fromkeys(CATEGORIES, 0.0)
    top: list[tuple[float, str]] = []
    for (filename, _, function), (_, _, tottime, _, callers) in pstats.Stats(prof).stats.items():
        if filename == "~":  # a C function (builtin, ufunc): its time goes to whoever called it
            for (cfile, _, cfunc), (_, _, caller_tt, _) in callers.items():
                shares[category(cfile, cfunc) if cfile != "~" else "other"] += caller_tt
            continue
        cat = category(filename, function)
        shares[cat] += tottime
        if cat in ("solvers", "theorem", "harness"):
            top.append((tottime, f"{Path(filename).name}:{function}"))
    total = sum(shares.values()) or 1.0
    hot = max(top, default=(0.0, "-"))
    return {"id": res.id, "status": res.status, "seconds": wall,
            "shares": {k: v / total for k, v in shares.items()},
            "hottest_own_function": hot[1], "hottest_own_seconds": hot[0]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("selectors", nargs="*", help="substrings of theorem ids (default: all)")
    p.add_argument("--json", default=str(HERE / "profile.json"), help="where to save JSON")
    args = p.parse_args()
    from checks.profiles import profile_settings
    from checks.registry import discover

    registry = discover()
    ids = [i for i in registry if not args.selectors or any(s in i for s in args.selectors)]
    rows = []
    for tid in ids:
        rows.append(profile_one(registry[tid], profile_settings("ci")))
        print(f"  {tid}: {rows[-1]['seconds']:.2f} s", file=sys.stderr, flush=True)
    print("| theorem | warm s (profiled) | " + " | ".join(CATEGORIES) +
          " | hottest function of ours |")
    print("|---|---:|" + "---:|" * len(CATEGORIES) + "---|")
    for r in rows:
        print(f"| {r['id']} | {r['seconds']:.2f} | "
              + " | ".join(f"{r['shares'][c]:.0%}" for c in CATEGORIES)
              + f" | {r['hottest_own_function']} ({r['hottest_own_seconds']:.2f} s) |")
    total = sum(r["seconds"] for r in rows) or 1.0
    mean = {c: sum(r["shares"][c] * r["seconds"] for r in rows) / total for c in CATEGORIES}
    print(f"| **all (time-weighted)** | {total:.1f} | "
          + " | ".join(f"{mean[c]:.0%}" for c in CATEGORIES) + " | |")
    Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
