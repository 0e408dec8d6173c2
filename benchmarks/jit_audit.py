"""JIT audit (issue #5): does every solver compile once, and load from the cache after that?

Runs every theorem (``ci`` profile: positive search, negative control, certificate) twice, each
time in a fresh process sharing one numba cache directory that starts empty:

* **cold**: every solver is compiled; the audit records which (function, signature) pairs each
  theorem compiled and how many seconds compilation took;
* **warm**: a new process on the cache the cold one wrote: nothing should compile (a cache miss
  here means something defeats the cache: a closure, a dynamic global, ``cache=False``).

Afterwards it lists every jitted function of ``solvers`` with the signatures it holds. More than
one signature means the function is compiled (and cached, and loaded) once per argument type it
sees: a type-unstable call (an ``int`` where a ``float`` was, a transposed or read-only array,
an omitted default argument, a constant passed from one jitted function to another, which
numba types as a ``Literal`` and compiles a copy for). Prints Markdown, saves it to
``benchmarks/jit_audit.md`` and the raw data to ``benchmarks/jit_audit.json``; exits 1 when a
function holds more than one signature or the warm process compiled anything.

    python benchmarks/jit_audit.py                 # all theorems, ~4 min on 2 cores
    python benchmarks/jit_audit.py bubeck2015 kim  # theorems whose id contains a substring
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(selectors: list[str]) -> dict:
    """One process: run the selected theorems, record numba activity per theorem."""
    t0 = time.perf_counter()
    from checks.jit import jit_activity, solver_dispatchers
    from checks.profiles import profile_settings
    from checks.registry import discover
    from checks.runner import run_theorem

    registry = discover()
    imports = time.perf_counter() - t0
    ids = [i for i in registry if not selectors or any(s in i for s in selectors)]
    theorems = []
    for tid in ids:
        with jit_activity() as jit:
            res = run_theorem(registry[tid](), profile_settings("ci"), "ci")
        theorems.append({"id": tid, "status": res.status, "seconds": res.seconds,
                         "jit_seconds": jit.seconds, "compiled": jit.compiled})
        print(f"  {tid}: {res.status} {res.seconds:.1f}s (jit {jit.seconds:.1f}s, "
              f"{len(jit.compiled)} compiled)", file=sys.stderr, flush=True)
    dispatchers = {}
    for name, disp in solver_dispatchers().items():
        sigs = [", ".join(str(a) for a in sig) for sig in disp.signatures]
        stats = disp.stats
        dispatchers[name] = {"signatures": sigs,
                             "cache_hits": sum(stats.cache_hits.values()),
                             "cache_misses": sum(stats.cache_misses.values())}
    return {"imports_seconds": imports, "theorems": theorems, "dispatchers": dispatchers}


def run_child(mode: str, cache: str, selectors: list[str]) -> dict:
    print(f"{mode} process (NUMBA_CACHE_DIR={cache}) ...", file=sys.stderr, flush=True)
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--child", out.name, *selectors], env=env,
                       check=True, cwd=HERE.parent)
        data = json.loads(Path(out.name).read_text())
    data["process_seconds"] = time.perf_counter() - started
    return data


def first_compiled_by(cold: dict) -> dict[tuple[str, str], str]:
    """(function, signature) -> the theorem whose run compiled it first."""
    where: dict[tuple[str, str], str] = {}
    for t in cold["theorems"]:
        for fn, sig in t["compiled"]:
            where.setdefault((fn, sig), t["id"])
    return where


def report(cold: dict, warm: dict) -> str:
    ours = set(cold["dispatchers"])

    def n_compiled(t: dict) -> str:
        mine = sum(fn in ours for fn, _ in t["compiled"])
        return f"{mine} / {len(t['compiled'])}"

    lines = ["### Per theorem: seconds, and the part spent in numba (compile or cache load)", "",
             "`compiled`: specialisations compiled from scratch, solver functions / all (the rest "
             "are numba's own jitted library code, e.g. `np.linalg` implementations).", "",
             "| theorem | cold s | cold jit s | compiled cold | warm s | warm jit s | "
             "compiled warm |", "|---|---:|---:|---:|---:|---:|---:|"]
    for c, w in zip(cold["theorems"], warm["theorems"]):
        lines.append(f"| {c['id']} | {c['seconds']:.2f} | {c['jit_seconds']:.2f} | "
                     f"{n_compiled(c)} | {w['seconds']:.2f} | {w['jit_seconds']:.2f} | "
                     f"{n_compiled(w)} |")
    tot = {m: (sum(t["seconds"] for t in d["theorems"]), sum(t["jit_seconds"]
               for t in d["theorems"])) for m, d in (("cold", cold), ("warm", warm))}
    every = {m: {"id": "", "compiled": [c for t in d["theorems"] for c in t["compiled"]]}
             for m, d in (("cold", cold), ("warm", warm))}
    lines.append(f"| **all** | {tot['cold'][0]:.1f} | {tot['cold'][1]:.1f} | "
                 f"{n_compiled(every['cold'])} | {tot['warm'][0]:.1f} | {tot['warm'][1]:.1f} | "
                 f"{n_compiled(every['warm'])} |")
    where = first_compiled_by(cold)
    multi = {n: d for n, d in cold["dispatchers"].items() if len(d["signatures"]) > 1}
    used = {n: d for n, d in cold["dispatchers"].items() if d["signatures"]}
    lines += ["", f"### Signatures per solver function ({len(used)} used by the theorems)", ""]
    if multi:
        lines += ["| function | signature | first compiled by |", "|---|---|---|"]
        for n, d in multi.items():
            for sig in d["signatures"]:
                lines.append(f"| {n} | `({sig})` | {where.get((n, sig), '?')} |")
    else:
        lines.append("Every solver function the theorems call holds exactly one signature.")
    misses = {n: d["cache_misses"] for n, d in warm["dispatchers"].items() if d["cache_misses"]}
    lines += ["", "### Warm process: cache misses", "",
              "none: every specialisation was loaded from the on-disk cache" if not misses else
              "; ".join(f"{n}: {k}" for n, k in misses.items())]
    lines += ["", f"Process wall time: cold {cold['process_seconds']:.0f} s, warm "
                  f"{warm['process_seconds']:.0f} s (imports {cold['imports_seconds']:.1f} s / "
                  f"{warm['imports_seconds']:.1f} s)."]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("selectors", nargs="*", help="substrings of theorem ids (default: all)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--json", default=str(HERE / "jit_audit.json"), help="where to save JSON")
    p.add_argument("--md", default=str(HERE / "jit_audit.md"), help="where to save the tables")
    args = p.parse_args()
    if args.child:
        Path(args.child).write_text(json.dumps(child(args.selectors)))
        return 0
    with tempfile.TemporaryDirectory(prefix="claimcheck-numba-") as cache:
        cold = run_child("cold", cache, args.selectors)
        warm = run_child("warm", cache, args.selectors)
    text = report(cold, warm)
    print(text)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    Path(args.md).write_text(f"# JIT audit, {stamp}\n\n`python benchmarks/jit_audit.py` "
                             f"(`ci` profile, {os.cpu_count()} cores)\n\n{text}\n")
    Path(args.json).write_text(json.dumps({"cold": cold, "warm": warm}, indent=1))
    multi = sum(len(d["signatures"]) > 1 for d in cold["dispatchers"].values())
    warm_compiles = sum(len(t["compiled"]) for t in warm["theorems"])
    return 1 if multi or warm_compiles else 0


if __name__ == "__main__":
    sys.exit(main())
