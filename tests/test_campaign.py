"""Fuzz campaigns on Dask: two local workers, a killed worker, resume, an external scheduler,
and replay of stored counterexamples. Small budgets: these tests prove the plumbing."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase

from checks.campaign import SHARDS_FILE, aggregate, read_shards, run_campaign
from checks.profiles import profile_settings
from checks.runner import run_theorem
from tests.toy import ToyWrong

IDS = ["fu2023.newton_vs_gd", "tyurin2024.lr_to_perceptron"]  # fast, numba-cached theorems
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


def _keys(shards):
    return [(s["id"], s["shard"]) for s in shards]


def test_two_worker_campaign_on_two_theorems(client, tmp_path):
    shards = run_campaign(IDS, 0.15, tmp_path, client, examples=5, database=None, log=lambda m: None)
    assert {s["id"] for s in shards} == set(IDS)
    assert len({s["worker"] for s in shards}) == 2, "both workers took shards"
    assert _keys(read_shards(tmp_path)) == _keys(shards), "every shard streamed to disk"
    results = aggregate(shards)
    assert [r["status"] for r in results] == ["confirmed", "confirmed"]
    for r in results:
        camp = r["campaign"]
        assert camp["examples"] == r["examples"] > 0 and camp["examples_per_second"] > 0
        assert camp["worst_over_time"] and r["negative_control"]["fired"]


def test_killed_worker_loses_no_finished_shard(client, tmp_path):
    pids = client.run(os.getpid)
    killed = {}

    def killer():
        while not (tmp_path / SHARDS_FILE).exists():
            time.sleep(0.05)
        killed["before"] = len(read_shards(tmp_path))
        os.kill(next(iter(pids.values())), signal.SIGKILL)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    shards = run_campaign(IDS, 0.25, tmp_path, client, examples=5, log=lambda m: None)
    thread.join(timeout=5)
    assert killed["before"] >= 1
    on_disk = read_shards(tmp_path)
    assert _keys(on_disk) == _keys(shards) and len(on_disk) > killed["before"]
    assert sum(r["examples"] for r in aggregate(on_disk)) == sum(s["examples"] for s in on_disk)


def test_stop_flag_ends_the_campaign_at_once(client, tmp_path):
    """The SIGINT handler of `claimcheck fuzz` only sets a flag: the campaign must notice it
    within a poll, cancel what is in flight and return what finished (all of it on disk)."""
    stop = threading.Event()
    started = time.time()
    shards = run_campaign(IDS[:1], 5.0, tmp_path, client, examples=5,
                          log=lambda m: stop.set(), stop=stop)
    assert time.time() - started < 60, "a 5-minute campaign must stop soon after the flag"
    assert len(shards) >= 1 and _keys(read_shards(tmp_path)) == _keys(shards)


def test_resume_continues_after_interruption(client, tmp_path):
    first = run_campaign(IDS[:1], 0.05, tmp_path, client, examples=5, log=lambda m: None)
    with (tmp_path / SHARDS_FILE).open("a") as f:
        f.write('{"id": "fu2023.newton_vs_gd", "shard": 99, "torn')  # a crash mid-write
    assert _keys(read_shards(tmp_path)) == _keys(first)
    both = run_campaign(IDS[:1], 0.05, tmp_path, client, examples=5, resume=True,
                        log=lambda m: None)
    numbers = [s["shard"] for s in both]
    assert numbers[:len(first)] == [s["shard"] for s in first]
    assert len(set(numbers)) == len(numbers), "resumed shards continue the numbering"
    assert min(numbers[len(first):]) == max(s["shard"] for s in first) + 1


def test_cli_against_external_scheduler_and_interrupt(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    sched_file = tmp_path / "scheduler.json"
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", "0",
                              "--dashboard-address", ":0", "--scheduler-file", str(sched_file)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        for _ in range(200):
            if sched_file.exists() and sched_file.stat().st_size:
                break
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                   "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = tmp_path / "fuzz"
        fuzz = subprocess.Popen([sys.executable, "-m", "checks.cli", "fuzz", IDS[0], "--minutes", "5",
                                 "--scheduler", address, "--out", str(out), "--shard-examples", "5",
                                 "--database", str(tmp_path / "db")], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while len(read_shards(out)) < 2 and time.time() < deadline:
            time.sleep(0.2)
        fuzz.send_signal(signal.SIGINT)  # Ctrl-C: finished shards are kept and reported
        try:
            stdout, stderr = fuzz.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            fuzz.kill()
            stdout, stderr = fuzz.communicate()
            raise AssertionError(f"fuzz did not exit within 60 s of SIGINT "
                                 f"({len(read_shards(out))} shards)\n{stdout}\n{stderr}") from None
        assert fuzz.returncode == 130, stderr
        kept = read_shards(out)
        assert len(kept) >= 2 and "--resume" in stderr
        results = json.loads((out / "results.json").read_text())
        assert results[0]["examples"] == sum(s["examples"] for s in kept)
        assert (out / "index.html").exists() and (out / f"{IDS[0]}.html").exists()
    finally:
        for proc in (worker, sched):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)


def test_stored_counterexample_is_replayed(tmp_path):
    class Recorded(ToyWrong):
        seen: list = []

        def measure(self, inst):
            Recorded.seen.append(dict(inst))
            return super().measure(inst)

    db = DirectoryBasedExampleDatabase(str(tmp_path / "db"))
    dev = settings(profile_settings("dev"), database=db, max_examples=30)
    first = run_theorem(Recorded(), dev, "dev", control=False)
    assert first.status == "refuted"
    Recorded.seen.clear()
    again = run_theorem(Recorded(), settings(dev, derandomize=False), "dev", control=False)
    assert again.status == "refuted"
    assert Recorded.seen[0] == first.counterexample["instance"], "the saved example runs first"
