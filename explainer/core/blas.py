"""BLAS on one thread while the engine runs a layer's big matrix products in its own threads.

A layer's blocks are best multiplied as one matrix product each (filters × the block's
patch matrix, a few hundred taps deep), which OpenBLAS would share among its own threads.
Those threads wait for each other at every product: on a busy 2-core machine a 64-channel
layer took 5–30× as long. So while a layer runs, :func:`one_blas_thread` sets every BLAS
library loaded in the process to one thread (through threadpoolctl, which finds them), and
the engine shares the blocks among a few Python threads of its own instead (numpy lets go
of the GIL in a matrix product), each running whole single-threaded products.

The setting is the process's, not the calling thread's. The thread that sets it (the
first layer in) puts it back when it leaves, and only it: OpenBLAS (0.3.31 at least)
ignores, once the main thread has set its thread count, a count set from any other thread,
so a count put back from another thread could stay at one for good. A layer that starts
while another thread's holds BLAS runs on one thread too until that one leaves: right, only
maybe slower. A setting that does not take (read back, it is not one) is put back and the
layer is told it was not held. Another thread's linear algebra during a layer runs on one
BLAS thread as well. Without threadpoolctl, or with no BLAS it can control,
:func:`one_blas_thread` yields False and the engine keeps every product small enough for
OpenBLAS to run it on one thread anyway.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class _State:
    """Per process: the BLAS libraries' controllers, the thread holding them at one thread
    (and how deep), and the counts to put back (a forked child starts afresh)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.libraries: list[Any] | None = None
        self.owner: int | None = None
        self.depth = 0
        self.saved: list[tuple[Any, int]] = []


_state = _State()


def _current() -> _State:
    global _state
    if _state.pid != os.getpid():
        _state = _State()
    return _state


def _blas_libraries() -> list[Any]:
    """threadpoolctl's controllers of the BLAS libraries loaded now (none without it)."""
    try:
        from threadpoolctl import ThreadpoolController  # only when a big layer runs
    except ImportError:
        return []
    try:
        controllers = ThreadpoolController().lib_controllers
    except Exception:  # noqa: BLE001 - a library it cannot read: do without
        return []
    return [c for c in controllers if getattr(c, "user_api", None) == "blas"]


def _put_back(saved: list[tuple[Any, int]]) -> None:
    for lib, threads in saved:
        if threads != 1:
            lib.set_num_threads(threads)


@contextmanager
def one_blas_thread() -> Iterator[bool]:
    """Every BLAS library on one thread within; yields whether they are (see the module)."""
    state = _current()
    me = threading.get_ident()
    with state.lock:
        if state.libraries is None:
            state.libraries = _blas_libraries()
        if state.owner is None and state.libraries:
            saved = [(lib, lib.get_num_threads()) for lib in state.libraries]
            for lib, threads in saved:
                if threads != 1:
                    lib.set_num_threads(1)
            if all(lib.get_num_threads() == 1 for lib, _ in saved):
                state.owner, state.saved = me, saved
            else:  # not taken: leave it as it was
                _put_back(saved)
        mine = state.owner == me
        if mine:
            state.depth += 1
        limited = state.owner is not None
    try:
        yield limited
    finally:
        if mine:
            with state.lock:
                state.depth -= 1
                if state.depth == 0:
                    _put_back(state.saved)
                    state.owner, state.saved = None, []


def blas_threads() -> int:
    """The fewest threads a loaded BLAS library runs a product on now: 1 while a layer
    holds them (here or in another thread), 0 when no library can be read."""
    state = _current()
    with state.lock:
        if state.libraries is None:
            state.libraries = _blas_libraries()
        counts = [lib.get_num_threads() for lib in state.libraries]
    return min(counts, default=0)
