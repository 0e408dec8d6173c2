"""Reference solvers and exact oracles: plain functions on numpy arrays, numba where they loop.

Nothing here imports from the rest of the repository.

numba's on-disk cache (``cache=True``) invalidates a compiled function only when *its own*
source file changes; a jitted function that calls one from another module keeps the callee's
old machine code after the callee's file is edited. So the cache lives in a directory named
after a digest of every solver source file (under ``NUMBA_CACHE_DIR`` if set, else this
package's ``__pycache__``): any edit to any solver starts from a clean cache, and an unchanged
tree keeps loading the compiled code.
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


def _key_numba_cache() -> None:
    from numba.core import config

    base = os.environ.get("NUMBA_CACHE_DIR") or str(Path(__file__).parent / "__pycache__")
    config.CACHE_DIR = os.path.join(base, f"claimcheck-solvers-{_source_digest()}")


_key_numba_cache()
