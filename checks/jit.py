"""Where numba's time goes: compiling, loading from the on-disk cache, and which signatures.

A solver compiled for a second argument type (an ``int`` where a ``float`` was, a transposed
array, an omitted default argument) is compiled, cached and loaded again: the suite pays for it
in every process. :func:`jit_activity` records, while its block runs,

* ``seconds``: wall time spent holding numba's compiler lock at the outermost level, i.e. in
  compiling new specialisations *or* loading them from the cache (both are first-call costs);
* ``compiled``: the (function, signature) pairs compiled from scratch (cache misses; outermost
  and nested callees alike);

and :func:`solver_dispatchers` lists every jitted function of ``solvers`` with the signatures
it holds, so an audit can flag any function that holds more than one.
"""
from __future__ import annotations

import importlib
import pkgutil
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from numba.core import event


@dataclass
class JitActivity:
    """numba work done inside one :func:`jit_activity` block."""

    seconds: float = 0.0
    compiled: list[tuple[str, str]] = field(default_factory=list)


class _LockTimer(event.Listener):
    """Sums the outermost holds of numba's (re-entrant) compiler lock in one thread."""

    def __init__(self, record: JitActivity):
        self.record, self.depth, self.t0 = record, 0, 0.0
        self.thread = threading.get_ident()

    def on_start(self, ev: event.Event) -> None:
        if threading.get_ident() != self.thread:
            return
        if self.depth == 0:
            self.t0 = time.perf_counter()
        self.depth += 1

    def on_end(self, ev: event.Event) -> None:
        if threading.get_ident() != self.thread or self.depth == 0:
            return
        self.depth -= 1
        if self.depth == 0:
            self.record.seconds += time.perf_counter() - self.t0


class _CompileRecorder(event.Listener):
    def __init__(self, record: JitActivity):
        self.record = record

    def on_start(self, ev: event.Event) -> None:
        d = ev.data
        self.record.compiled.append((qualified_name(d["dispatcher"]),
                                     ", ".join(str(a) for a in d["args"])))

    def on_end(self, ev: event.Event) -> None:
        pass


@contextmanager
def jit_activity() -> Iterator[JitActivity]:
    """Record numba compile/cache-load time and fresh compilations in this block."""
    record = JitActivity()
    with ExitStack() as stack:
        stack.enter_context(event.install_listener("numba:compiler_lock", _LockTimer(record)))
        stack.enter_context(event.install_listener("numba:compile", _CompileRecorder(record)))
        yield record


def qualified_name(dispatcher) -> str:
    """``module.function`` of a numba dispatcher, without the ``solvers.`` prefix."""
    fn = dispatcher.py_func
    return f"{fn.__module__.removeprefix('solvers.')}.{fn.__qualname__}"


def solver_dispatchers() -> dict[str, object]:
    """Every ``@njit`` function defined in a ``solvers`` module, by :func:`qualified_name`."""
    import solvers
    from numba.core.registry import CPUDispatcher

    found: dict[str, object] = {}
    for info in pkgutil.iter_modules(solvers.__path__):
        module = importlib.import_module(f"solvers.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == module.__name__:
                found[qualified_name(obj)] = obj
    return dict(sorted(found.items()))
