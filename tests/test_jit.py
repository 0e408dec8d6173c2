"""checks.jit: numba activity is recorded, and every solver is compiled to be cached once."""
from __future__ import annotations

import ast
from pathlib import Path

import numba
import numpy as np

from checks.jit import jit_activity, qualified_name, solver_dispatchers

SOLVERS = Path(__file__).resolve().parent.parent / "solvers"


def test_jit_activity_records_one_compile_per_new_signature():
    @numba.njit(cache=False)  # a fresh function: its first call must compile, never load
    def twice(x):
        return 2.0 * x

    with jit_activity() as first:
        twice(np.ones(3))
    with jit_activity() as again:
        twice(np.ones(4))  # same type, other shape: no new specialisation
    with jit_activity() as other:
        twice(np.ones((2, 2)))  # a 2-D array is a new signature
    assert [sig for fn, sig in first.compiled if fn.endswith("twice")] == \
        ["array(float64, 1d, C)"]
    assert first.seconds > 0.0
    assert again.compiled == [] and again.seconds == 0.0
    assert [sig for fn, sig in other.compiled if fn.endswith("twice")] == \
        ["array(float64, 2d, C)"]


def test_solver_dispatchers_finds_the_solvers_by_module_and_name():
    found = solver_dispatchers()
    from solvers import first_order

    assert found["first_order.gd_quadratic"] is first_order.gd_quadratic
    assert qualified_name(first_order.gd_quadratic) == "first_order.gd_quadratic"
    assert all(name.split(".")[0] != "solvers" for name in found)


def _njit_decorators(tree: ast.Module):
    """(function node, decorator node, nested?) for every @numba.njit/@njit/@jit in a module."""
    def visit(node, nested):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef):
                for dec in child.decorator_list:
                    target = dec.func if isinstance(dec, ast.Call) else dec
                    name = target.attr if isinstance(target, ast.Attribute) else \
                        getattr(target, "id", "")
                    if name in ("njit", "jit"):
                        yield child, dec, nested
                yield from visit(child, True)
            elif isinstance(child, ast.ClassDef):
                yield from visit(child, nested)

    yield from visit(tree, False)


def test_every_solver_jit_is_cached_module_level_and_nopython():
    """The on-disk cache is what makes a second process fast: a jitted function without
    ``cache=True``, or one defined inside another function (a closure, which numba cannot
    cache), is compiled again in every process."""
    problems, count = [], 0
    for path in sorted(SOLVERS.glob("*.py")):
        for fn, dec, nested in _njit_decorators(ast.parse(path.read_text())):
            count += 1
            where = f"{path.name}:{fn.lineno} {fn.name}"
            kwargs = {k.arg: k.value for k in dec.keywords} if isinstance(dec, ast.Call) else {}
            cache = kwargs.get("cache")
            if not (isinstance(cache, ast.Constant) and cache.value is True):
                problems.append(f"{where}: no cache=True")
            if nested:
                problems.append(f"{where}: defined inside a function (not cacheable)")
            name = dec.func.attr if isinstance(dec, ast.Call) and \
                isinstance(dec.func, ast.Attribute) else ""
            if name == "jit" and not any(k == "nopython" for k in kwargs):
                problems.append(f"{where}: numba.jit without nopython (use njit)")
    assert count > 100  # the scan sees the solvers (181 when written)
    assert not problems, "\n".join(problems)


def test_numba_cache_is_keyed_by_every_solver_source():
    """A cached caller keeps a callee's old code when only the callee's file changes (numba
    checks the caller's own file): the cache directory changes with any solver source."""
    import solvers
    from numba.core import config

    assert config.CACHE_DIR.endswith(f"claimcheck-solvers-{solvers._source_digest()}")


def test_read_only_package_caches_in_the_user_cache_directory(monkeypatch, tmp_path):
    import solvers
    from numba.core import config

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(solvers, "_writable", lambda directory: False)
    monkeypatch.setattr(config, "CACHE_DIR", config.CACHE_DIR)  # restored afterwards
    solvers._key_numba_cache()
    assert config.CACHE_DIR == str(tmp_path / "claimcheck" /
                                   f"claimcheck-solvers-{solvers._source_digest()}")


def test_caches_of_old_source_trees_are_pruned_after_a_week(tmp_path):
    import os
    import time

    import solvers

    current, fresh, stale = (tmp_path / f"claimcheck-solvers-{k}" for k in ("now", "b", "c"))
    for d in (current, fresh, stale):
        d.mkdir()
    week_ago = time.time() - (solvers.STALE_DAYS + 1) * 86400
    os.utime(stale, (week_ago, week_ago))
    solvers._prune_stale(tmp_path, current)
    assert current.exists() and fresh.exists() and not stale.exists()
