"""Fuzz campaigns on Dask: (theorem, seed shard) tasks spread over a cluster.

Each shard runs the runner with the ``fuzz`` profile on its own random stream (a seed derived
from the theorem id and the shard number). Finished shards are appended to
``OUT/shards.jsonl`` as they arrive (flushed and fsync'ed), so a crash, Ctrl-C or a killed
worker loses nothing that finished; ``resume`` continues the numbering from that file. Dask
reschedules the tasks of a dead worker. Failing examples go to one hypothesis example
database shared by every worker (a directory, or ``redis://`` URL), which later ``pytest`` and
``claimcheck run`` replay.
"""
from __future__ import annotations

import json
import math
import os
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

SHARDS_FILE = "shards.jsonl"


def shard_seed(theorem_id: str, shard: int) -> int:
    """Deterministic 32-bit seed of one shard: ``crc32("<id>#<shard>")``."""
    return zlib.crc32(f"{theorem_id}#{shard}".encode())


def example_database(spec: str | None):
    """Hypothesis database from a directory path or a ``redis://`` URL (None: no database)."""
    if not spec:
        return None
    if spec.startswith(("redis://", "rediss://")):
        try:
            import redis
            from hypothesis.extra.redis import RedisExampleDatabase
        except ImportError as exc:  # optional dependency
            raise RuntimeError(f"a Redis database needs `pip install redis` ({exc})") from None
        return RedisExampleDatabase(redis.Redis.from_url(spec))
    from hypothesis.database import DirectoryBasedExampleDatabase

    return DirectoryBasedExampleDatabase(spec)


def run_shard(theorem_id: str, shard: int, examples: int, database: str | None) -> dict:
    """One task, executed on a worker: a seeded fuzz search of ``examples`` examples.
    Shard 0 also checks the certificate; every shard runs the negative control."""
    from hypothesis import settings

    from checks.profiles import profile_settings
    from checks.registry import get
    from checks.runner import run_theorem

    thm = get(theorem_id)
    cfg = settings(profile_settings("fuzz"), max_examples=examples,
                   database=example_database(database))
    started = time.time()
    res = run_theorem(thm, cfg, "fuzz", seed=shard_seed(theorem_id, shard),
                      certificate=(shard == 0)).to_json()
    res.update(shard=shard, started=started, finished=time.time(), worker=os.getpid())
    res.pop("trace", None)  # recomputed once for the report from the worst instance
    return res


def read_shards(out: Path) -> list[dict]:
    """Every finished shard in ``out/shards.jsonl`` (a torn last line from a crash is skipped)."""
    path = out / SHARDS_FILE
    if not path.exists():
        return []
    shards = []
    for line in path.read_text().splitlines():
        try:
            shards.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return shards


def _append(out: Path, shard: dict) -> None:
    with (out / SHARDS_FILE).open("a") as f:
        f.write(json.dumps(shard) + "\n")
        f.flush()
        os.fsync(f.fileno())


@dataclass
class Campaign:
    """A running campaign's bookkeeping (what the progress line shows)."""

    ids: list[str]
    deadline: float
    started: float = field(default_factory=time.time)
    next_shard: dict[str, int] = field(default_factory=dict)
    examples: int = 0
    shards: int = 0

    def next_task(self, k: int) -> tuple[str, int]:
        tid = self.ids[k % len(self.ids)]
        shard = self.next_shard.get(tid, 0)
        self.next_shard[tid] = shard + 1
        return tid, shard


POLL_S = 0.5  # how often the loop looks at the stop flag while shards run


def run_campaign(ids: list[str], minutes: float, out: Path, client, examples: int = 100,
                 database: str | None = None, resume: bool = False,
                 log: Callable[[str], None] = print,
                 stop: threading.Event | None = None) -> list[dict]:
    """Submit shards round-robin over ``ids`` until ``minutes`` have passed, keeping two
    tasks per worker thread in flight; stream each finished shard to disk. Returns every
    finished shard (including, with ``resume``, those of earlier sessions). Setting ``stop``
    (e.g. from a SIGINT handler) cancels the unfinished shards and returns within ``POLL_S``:
    a flag, not a ``KeyboardInterrupt``, because an exception raised at an arbitrary point
    can land in a finaliser (a Dask future's ``__del__``) and be swallowed."""
    from dask.distributed import TimeoutError as DaskTimeout
    from distributed import wait

    out.mkdir(parents=True, exist_ok=True)
    done = read_shards(out) if resume else []
    if not resume and (out / SHARDS_FILE).exists():
        (out / SHARDS_FILE).unlink()
    camp = Campaign(ids=ids, deadline=time.time() + 60.0 * minutes)
    for s in done:
        camp.next_shard[s["id"]] = max(camp.next_shard.get(s["id"], 0), s["shard"] + 1)
    if done:
        log(f"resuming: {len(done)} finished shards kept from {out / SHARDS_FILE}")
    slots = max(2, 2 * sum(client.nthreads().values()))
    submitted = 0

    def submit():
        nonlocal submitted
        tid, shard = camp.next_task(submitted)
        submitted += 1
        return client.submit(run_shard, tid, shard, examples, database, pure=False,
                             key=f"shard-{tid}-{shard}-{time.time_ns()}")

    futures = {submit() for _ in range(slots)}
    grace = max(60.0, 15.0 * minutes)  # in-flight shards (maybe compiling numba) may finish late
    while futures:
        if stop is not None and stop.is_set():
            log(f"interrupted: cancelling {len(futures)} unfinished shards")
            client.cancel(list(futures))
            break
        left = camp.deadline + grace - time.time()
        if left <= 0:
            log(f"deadline: cancelling {len(futures)} unfinished shards")
            client.cancel(list(futures))
            break
        try:
            finished, futures = wait(futures, timeout=min(POLL_S, left),
                                     return_when="FIRST_COMPLETED")
        except (TimeoutError, DaskTimeout):
            continue
        for fut in finished:
            try:
                shard = fut.result()
            except Exception as exc:  # lost for good (e.g. its worker killed too often)
                log(f"  shard failed: {type(exc).__name__}: {exc}")
                continue
            _append(out, shard)
            done.append(shard)
            camp.examples += shard["examples"]
            camp.shards += 1
            _progress(camp, shard, log)
            if time.time() < camp.deadline:
                futures.add(submit())
    return done


def _progress(camp: Campaign, shard: dict, log: Callable[[str], None]) -> None:
    elapsed = time.time() - camp.started
    left = max(0.0, camp.deadline - time.time())
    margin = shard.get("worst_margin")
    margin = "—" if margin is None else f"{margin:+.3g}"
    log(f"[{elapsed:6.0f}s, {left:5.0f}s left] {shard['id']} shard {shard['shard']}: "
        f"{shard['status']}, {shard['examples']} ex, worst {margin} | total "
        f"{camp.shards} shards, {camp.examples} ex, {camp.examples / max(elapsed, 1e-9):.1f} ex/s")


def aggregate(shards: list[dict]) -> list[dict]:
    """One result per theorem from its shards, in the ``results.json`` schema, with a
    ``campaign`` field: shards, examples, examples/s and the worst margin over time."""
    from checks.registry import get

    by_id: dict[str, list[dict]] = {}
    for s in shards:
        by_id.setdefault(s["id"], []).append(s)
    results = []
    for tid, group in sorted(by_id.items()):
        group.sort(key=lambda s: s["finished"])
        valid = [s for s in group if s["worst_margin"] is not None]
        worst = min(valid, key=lambda s: s["worst_margin"]) if valid else group[0]
        refuted = [s for s in group if s["status"] == "refuted"]
        errors = [s for s in group if s["status"] == "error" and "did not fire" not in s["message"]]
        fired = [s for s in group if s["negative_control"].get("fired")]
        cert = next((s["certificate"] for s in group if s.get("certificate")), None)
        res = dict(worst)
        res.update(
            examples=sum(s["examples"] for s in group),
            seconds=sum(s["seconds"] for s in group),
            margins=[m for s in group for m in s["margins"]][-5000:],
            negative_control=(fired[0] if fired else group[0])["negative_control"],
            certificate=cert,
            counterexample=refuted[0]["counterexample"] if refuted else None,
        )
        tightness = [s["tightness"] for s in group if s["tightness"] is not None]
        if tightness:
            res["tightness"] = max(tightness) if get(tid).sense == "upper" else min(tightness)
        if refuted:
            res.update(status="refuted", message=refuted[0]["message"])
        elif errors:
            res.update(status="error", message=errors[0]["message"])
        elif fired:
            res.update(status="confirmed", message="")
        else:
            res.update(status="error", message=group[0]["message"])
        t0 = min(s["started"] for s in group)
        span = max(s["finished"] for s in group) - t0
        running, curve = math.inf, []
        for s in group:
            if s["worst_margin"] is not None and s["worst_margin"] < running:
                running = s["worst_margin"]
            curve.append([s["finished"] - t0, None if math.isinf(running) else running])
        res["campaign"] = {"shards": len(group), "examples": res["examples"],
                           "examples_per_second": res["examples"] / max(span, 1e-9),
                           "worst_over_time": curve}
        for k in ("shard", "started", "finished", "worker"):
            res.pop(k, None)
        results.append(res)
    return results
