"""Reference solvers and exact oracles: plain functions on numpy arrays, numba where they loop.

Nothing here imports from the rest of the repository.

numba's on-disk cache (``cache=True``) invalidates a compiled function only when *its own*
source file changes; a jitted function that calls one from another module keeps the callee's
old machine code after the callee's file is edited. So the cache lives in a directory named
after a digest of every solver source file (under ``NUMBA_CACHE_DIR`` if set, else this
package's ``__pycache__``, else ``~/.cache/claimcheck`` when the package is read-only): any
edit to any solver starts from a clean cache, and an unchanged tree keeps loading the compiled
code. Caches of other source trees unused for a week are deleted.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


def _source_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(directory, os.W_OK)


def _key_numba_cache() -> None:
    from numba.core import config

    if os.environ.get("NUMBA_CACHE_DIR"):
        base = Path(os.environ["NUMBA_CACHE_DIR"])
    else:  # an installed, read-only package caches in the user's cache directory instead
        base = Path(__file__).parent / "__pycache__"
        if not _writable(base):
            base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "claimcheck"
    current = base / f"claimcheck-solvers-{_source_digest()}"
    config.CACHE_DIR = str(current)
    try:  # mark it used: pruning goes by last use, and loading alone changes no mtime
        current.mkdir(parents=True, exist_ok=True)
        os.utime(current)
    except OSError:
        pass
    _prune_stale(base, current)


STALE_DAYS = 7.0  # a cache of an older source tree unused this long is deleted (~25 MB each)


def _prune_stale(base: Path, current: Path) -> None:
    """Best effort: remove caches of other source trees not touched for ``STALE_DAYS`` (a
    younger one may belong to another checkout sharing ``NUMBA_CACHE_DIR``)."""
    import shutil
    import time

    cutoff = time.time() - STALE_DAYS * 86400.0
    try:
        for old in base.glob("claimcheck-solvers-*"):
            if old != current and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass


_key_numba_cache()
