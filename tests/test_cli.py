"""CLI: listing, bad input (exit 2, one line naming the valid choices, no traceback), show."""
import json
import subprocess
import sys

import pytest

from checks.cli import main
from checks.registry import discover


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_has_registry_fields(capsys):
    code, out, _ = run_cli(capsys, "list", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["id"] for r in rows] == list(discover())
    for r in rows:
        assert set(r) == {"id", "title", "kind", "provenance", "source", "seed"}


def test_list_all_shows_every_seed_paper_with_counts(capsys):
    code, out, _ = run_cli(capsys, "list", "--all")
    assert code == 0 and "201 papers" in out and "000_66109534921eab67.txt" in out
    for tid in discover():
        assert tid in out


@pytest.mark.parametrize("argv, needle", [
    (["run", "no.such_theorem"], "valid:"),
    (["run", "--profile", "turbo"], "valid: ci, dev, fuzz"),
    (["show", "no.such_theorem"], "valid:"),
    (["check", "no.such_theorem", "--instance", "{}"], "valid:"),
    (["fuzz", "no.such_theorem"], "valid:"),
    (["fuzz", "--minutes", "0"], "--minutes must be positive"),
    (["power", "no.such_theorem"], "valid:"),
    (["power", "--profile", "turbo"], "valid: ci, dev, fuzz"),
    (["run", "--durations", "-1"], "--durations must be"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, needle):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unwritable_out_dir_exits_2(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, _, err = run_cli(capsys, "run", "--out", str(blocker / "reports"))
    assert code == 2 and "cannot write reports" in err and len(err.strip().splitlines()) == 1


def test_bad_instance_json_exits_2(capsys):
    tid = next(iter(discover()))
    code, _, err = run_cli(capsys, "check", tid, "--instance", "{not json")
    assert code == 2 and "not valid JSON" in err


def test_run_durations_shows_phases_and_jit_time(capsys, tmp_path):
    """--durations lists the slowest theorems with their phases; results.json keeps the
    seconds spent compiling or loading solvers (the jit timing) per theorem."""
    tid = "reddi2018.adam_nonconvergence"
    code, out, _ = run_cli(capsys, "run", tid, "--profile", "ci", "--out", str(tmp_path),
                           "--durations", "5")
    assert code == 0 and "slowest 1 theorems" in out
    row = next(line for line in out.splitlines()[::-1] if line.startswith(tid))
    assert len(row.split()) == 7  # id, total, share, positive, negative, certificate, jit
    timings = json.loads((tmp_path / "results.json").read_text())[0]["timings"]
    assert {"positive", "negative", "jit"} <= set(timings)
    assert 0.0 <= timings["jit"] <= timings["positive"] + timings["negative"] + \
        timings.get("certificate", 0.0)  # jit time is spent inside the phases


def test_show_prints_statement_and_assumptions(capsys, tmp_path):
    tid, cls = next(iter(discover().items()))
    code, out, _ = run_cli(capsys, "show", tid, "--out", str(tmp_path))
    assert code == 0 and cls.source in out and cls.violated in out and "last result: none" in out


def test_console_script_is_installed():
    proc = subprocess.run([sys.executable, "-m", "checks.cli", "run", "--profile", "x"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "valid: ci, dev, fuzz" in proc.stderr
