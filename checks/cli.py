"""``claimcheck``: list, run, show and check theorem claims.

Exit codes: 0 every claim confirmed (or refuted as expected), 1 a claim refuted unexpectedly
or errored, 2 bad input (one line naming the valid choices), 130 interrupted.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from checks.profiles import PROFILES, profile_settings
from checks.registry import discover


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


def _registry() -> dict:
    return discover()


def _resolve_ids(ids: list[str]) -> list[str]:
    registry = _registry()
    unknown = [i for i in ids if i not in registry]
    if unknown:
        raise UsageError(f"unknown theorem id {', '.join(unknown)}; valid: {', '.join(registry)}")
    return ids or list(registry)


def _check_out_dir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write reports to {out}: {exc.strerror or exc}; "
                         f"choose a writable directory with --out") from None


def cmd_list(args: argparse.Namespace) -> int:
    registry = _registry()
    if args.all:
        return _list_all(registry, args.json)
    rows = [{"id": c.id, "title": c.paper.title, "kind": c.kind, "provenance": c.provenance,
             "source": c.source, "seed": c.paper.seed} for c in registry.values()]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    width = max((len(r["id"]) for r in rows), default=2)
    print(f"{'id':<{width}}  {'kind':<11} {'prov.':<8} {'source':<22} paper")
    for r in rows:
        print(f"{r['id']:<{width}}  {r['kind']:<11} {r['provenance']:<8} {r['source'][:22]:<22} "
              f"{r['title'][:70]}")
    print(f"{len(rows)} theorems")
    return 0


def _list_all(registry: dict, as_json: bool) -> int:
    from checks.coverage import coverage_counts, papers, theorem_ids

    rows = papers()
    if as_json:
        print(json.dumps(rows, indent=1))
        return 0
    for row in rows:
        ids = theorem_ids(row)
        what = ", ".join(ids) if ids else f"— {row['reason']}"
        print(f"{row['n']:>3} {row['tier']} {row['title'][:72]:<72}  {what}")
    print("\nseed file                     papers covered explained open")
    for seed, c in coverage_counts(registry).items():
        print(f"{seed:<29} {c['papers']:>6} {c['covered']:>7} {c['explained']:>9} {c['open']:>4}")
    covered = sum(bool(theorem_ids(r)) for r in rows)
    print(f"{len(rows)} papers, {covered} covered by {len(registry)} theorems")
    return 0


def _prepare(args: argparse.Namespace):
    """Validate ids, profile and --out of a run-like command: (ids, out, registry, settings)."""
    if args.profile not in PROFILES:
        raise UsageError(f"unknown profile {args.profile!r}; valid: {', '.join(PROFILES)}")
    ids = _resolve_ids(args.ids)
    out = Path(args.out)
    _check_out_dir(out)
    return ids, out, _registry(), profile_settings(args.profile)


def cmd_run(args: argparse.Namespace) -> int:
    from checks.report import write_reports
    from checks.runner import run_theorem

    if args.durations < 0:
        raise UsageError("--durations must be 0 (off) or a positive number of theorems")
    ids, out, registry, cfg = _prepare(args)
    results: list[dict] = []
    started = time.perf_counter()
    print(f"claimcheck run: {len(ids)} theorems, profile {args.profile}, reports in {out}/",
          flush=True)
    try:
        for k, tid in enumerate(ids, 1):
            print(f"[{k}/{len(ids)}] {tid} ...", flush=True)
            log = (lambda m: print(m, flush=True)) if args.verbose else None
            res = run_theorem(registry[tid](), cfg, args.profile, log)
            results.append(res.to_json())
            # stream to disk after every theorem: a crash keeps every finished result
            (out / "results.json").write_text(json.dumps(results, indent=1))
            nc = "fired" if res.negative_control.get("fired") else "did not fire"
            margin = "—" if res.worst_margin is None else f"{res.worst_margin:+.3g}"
            print(f"[{k}/{len(ids)}] {tid}: {res.status.upper()}  examples {res.examples}  "
                  f"worst margin {margin}  negative control {nc}  {res.seconds:.1f}s", flush=True)
            if res.status == "error":
                print(f"    {res.message.splitlines()[0] if res.message else ''}", flush=True)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {len(results)} finished results kept in {out}/", file=sys.stderr)
        write_reports(results, registry, out)
        return 130
    write_reports(results, registry, out)
    code = _summary(results, out, time.perf_counter() - started)
    if args.durations:
        _durations(results, args.durations)
    return code


def _durations(results: list[dict], n: int) -> None:
    """The ``n`` slowest theorems with their phases (like ``pytest --durations``). ``jit`` is
    the part of the phases spent compiling solvers or loading them from numba's cache."""
    slowest = sorted(results, key=lambda r: r["seconds"], reverse=True)[:n]
    total = sum(r["seconds"] for r in results) or 1.0
    print(f"\nslowest {len(slowest)} theorems (seconds; jit is included in the phases)")
    print(f"{'id':<36} {'total':>7} {'share':>6} {'positive':>9} {'negative':>9} "
          f"{'certif.':>8} {'jit':>6}")
    for r in slowest:
        t = r.get("timings", {})
        cols = [f"{t[k]:.2f}" if k in t else "—" for k in
                ("positive", "negative", "certificate", "jit")]
        print(f"{r['id']:<36} {r['seconds']:>7.2f} {r['seconds'] / total:>6.0%} {cols[0]:>9} "
              f"{cols[1]:>9} {cols[2]:>8} {cols[3]:>6}")


def _summary(results: list[dict], out: Path, seconds: float) -> int:
    from checks.runner import Result

    print(f"\n{'id':<36} {'status':<10} {'margin':>9} {'tight':>7} {'NC':<5} {'sec':>6}")
    bad = 0
    for r in results:
        ok = Result(**r).ok
        bad += not ok
        tight = "—" if r["tightness"] is None else f"{r['tightness']:.3g}"
        margin = "—" if r["worst_margin"] is None else f"{r['worst_margin']:+.3g}"
        nc = "yes" if r["negative_control"].get("fired") else "NO"
        flag = "" if ok else "  <-- unexpected"
        print(f"{r['id']:<36} {r['status']:<10} {margin:>9} {tight:>7} {nc:<5} "
              f"{r['seconds']:>6.1f}{flag}")
    print(f"\n{len(results) - bad}/{len(results)} as expected in {seconds:.1f}s; "
          f"report: {out / 'index.html'}")
    return 1 if bad else 0


def _dask_client(args: argparse.Namespace):
    from distributed import Client, LocalCluster

    if args.scheduler:
        try:
            return Client(args.scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {args.scheduler}: {exc}; "
                             f"start one with `dask scheduler` or drop --scheduler") from None
    n = args.workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    return Client(cluster)


def cmd_fuzz(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from checks.campaign import aggregate, read_shards, run_campaign
    from checks.report import write_reports
    from checks.runner import _evaluate_with_trace

    ids = _resolve_ids(args.ids)
    if args.minutes <= 0:
        raise UsageError("--minutes must be positive, e.g. --minutes 2")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    out = Path(args.out)
    _check_out_dir(out)
    database = args.database
    if database and "://" not in database:
        database = str(Path(database).resolve())  # every worker must see the same directory
    client = _dask_client(args)
    workers = len(client.scheduler_info()["workers"])
    print(f"claimcheck fuzz: {len(ids)} theorems for {args.minutes:g} min on {workers} Dask "
          f"workers ({client.scheduler.address}); shards stream to {out}/shards.jsonl; "
          f"examples database {database or 'none'}", flush=True)
    stop = threading.Event()

    def on_sigint(signum, frame):
        # first Ctrl-C: stop gracefully and write the reports; a second one aborts at once
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        run_campaign(ids, args.minutes, out, client, examples=args.shard_examples,
                     database=database, resume=args.resume,
                     log=lambda m: print(m, flush=True), stop=stop)
    finally:
        signal.signal(signal.SIGINT, previous)
        try:  # bounded: Client.close waits up to 2 x the connect timeout (60 s) by default
            client.close(timeout=10)
        except (TimeoutError, OSError) as exc:  # the shards are on disk; say so and go on
            print(f"note: the Dask client did not close cleanly ({type(exc).__name__})",
                  file=sys.stderr)
    interrupted = stop.is_set()
    if interrupted:
        print(f"\ninterrupted: every finished shard is kept in {out}/shards.jsonl "
              f"(continue with --resume)", file=sys.stderr)
    registry = _registry()
    results = aggregate(read_shards(out))
    for res in results:
        traced = _evaluate_with_trace(registry[res["id"]](), res["worst_instance"]) \
            if res.get("worst_instance") else None
        res["trace"] = asdict(traced) if traced is not None else None
    write_reports(results, registry, out)
    if interrupted:
        return 130
    return _summary(results, out, sum(r["seconds"] for r in results))


def cmd_power(args: argparse.Namespace) -> int:
    from checks.power import analyse
    from checks.report import load_power, power_summary, write_reports

    ids, out, registry, cfg = _prepare(args)
    power = load_power(out)
    print(f"claimcheck power: {len(ids)} theorems, profile {args.profile}", flush=True)
    for k, tid in enumerate(ids, 1):
        print(f"[{k}/{len(ids)}] {tid} ...", flush=True)
        power[tid] = analyse(registry[tid], cfg, log=lambda m: print(m, flush=True))
        (out / "power.json").write_text(json.dumps(power, indent=1, default=str))
        rec = power[tid]
        print(f"[{k}/{len(ids)}] {tid}: {rec.get('note') or power_summary(rec)}  "
              f"{rec['seconds']:.1f}s", flush=True)
    results_path = out / "results.json"
    if results_path.exists():  # show the scores on the existing report pages
        write_reports(json.loads(results_path.read_text()), registry, out)
    print(f"\npower records in {out / 'power.json'}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    tid = _resolve_ids([args.id])[0]
    cls = _registry()[tid]
    print(f"{cls.id}  [{cls.kind}, provenance: {cls.provenance}]")
    print(f"paper: {cls.paper.title} — {cls.paper.authors} ({cls.paper.year}), "
          f"arXiv {cls.paper.arxiv}; seed {cls.paper.seed}; source: {cls.source}")
    print(f"\n{cls.statement.strip()}\n")
    if cls.formula is not None:
        print(f"prediction: {cls.formula}\n")
    print("assumptions:")
    for name, text in cls.assumptions.items():
        mark = "  (broken by the negative control)" if name == cls.violated else ""
        print(f"  - {name}: {text}{mark}")
    path = Path(args.out) / "results.json"
    last = None
    if path.exists():
        last = next((r for r in json.loads(path.read_text()) if r["id"] == tid), None)
    if last is None:
        print(f"\nlast result: none in {path} (run `claimcheck run {tid}`)")
    else:
        nc = last["negative_control"]
        print(f"\nlast result ({last.get('profile')}): {last['status']}, {last['examples']} examples, "
              f"worst margin {last['worst_margin']}, tightness {last['tightness']}, negative "
              f"control {'fired' if nc.get('fired') else 'did not fire'}, {last['seconds']:.1f}s")
        print(f"worst instance: {json.dumps(last['worst_instance'])}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from checks.runner import check_instance

    tid = _resolve_ids([args.id])[0]
    try:
        inst = json.loads(args.instance)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--instance is not valid JSON ({exc.msg}); copy it from a report") from None
    if not isinstance(inst, dict):
        raise UsageError("--instance must be a JSON object, e.g. '{\"seed\": 1, \"d\": 3}'")
    from checks.theorem import ClaimError

    try:
        ev = check_instance(_registry()[tid](), inst)
    except ClaimError as exc:
        print(f"{tid}: error: {exc}", file=sys.stderr)
        return 1
    print(f"{tid}: {'holds' if ev.holds else 'VIOLATED'}  margin {ev.margin:+.6g}\n"
          f"observed {ev.observed:.10g}  predicted {ev.predicted:.10g}\n{ev.detail}")
    return 0 if ev.holds else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="claimcheck", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="list theorems (or, with --all, every seed paper)")
    ls.add_argument("--json", action="store_true", help="print as JSON")
    ls.add_argument("--all", action="store_true", help="every seed paper with its coverage")
    ls.set_defaults(func=cmd_list)
    run = sub.add_parser("run", help="check claims and write reports")
    run.add_argument("ids", nargs="*", metavar="ID", help="theorem ids (default: all)")
    run.add_argument("--profile", default="dev", help=f"one of {', '.join(PROFILES)}")
    run.add_argument("--out", default="reports", help="report directory (default: reports)")
    run.add_argument("-v", "--verbose", action="store_true", help="per-phase progress")
    run.add_argument("--durations", type=int, default=0, metavar="N",
                     help="after the summary, the N slowest theorems with their phases")
    run.set_defaults(func=cmd_run)
    fz = sub.add_parser("fuzz", help="long fuzz campaign on a Dask cluster")
    fz.add_argument("ids", nargs="*", metavar="ID", help="theorem ids (default: all)")
    fz.add_argument("--minutes", type=float, default=2.0, help="campaign length (default 2)")
    where = fz.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local cluster size (default: all cores)")
    where.add_argument("--scheduler", help="address of an existing Dask scheduler, "
                                           "e.g. tcp://host:8786")
    fz.add_argument("--out", default="reports", help="report directory (default: reports)")
    fz.add_argument("--resume", action="store_true", help="continue the campaign in --out")
    fz.add_argument("--database", default=".hypothesis/examples",
                    help="shared example database: a directory or a redis:// URL")
    fz.add_argument("--shard-examples", type=int, default=25,
                    help="examples per (theorem, shard) task (default 25)")
    fz.set_defaults(func=cmd_fuzz)
    pw = sub.add_parser("power", help="mutation analysis: which false claims does a check catch?")
    pw.add_argument("ids", nargs="*", metavar="ID", help="theorem ids (default: all)")
    pw.add_argument("--profile", default="ci", help=f"one of {', '.join(PROFILES)} (default ci)")
    pw.add_argument("--out", default="reports", help="report directory (default: reports)")
    pw.set_defaults(func=cmd_power)
    show = sub.add_parser("show", help="statement, assumptions and last result of a theorem")
    show.add_argument("id", metavar="ID")
    show.add_argument("--out", default="reports", help="report directory to read")
    show.set_defaults(func=cmd_show)
    chk = sub.add_parser("check", help="evaluate one instance (the reproduce command)")
    chk.add_argument("id", metavar="ID")
    chk.add_argument("--instance", required=True, help="instance as JSON")
    chk.set_defaults(func=cmd_check)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"claimcheck: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # a second Ctrl-C during `fuzz`, or one outside a run loop
        print("claimcheck: aborted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
