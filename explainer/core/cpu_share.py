"""Whether other processes are using this machine's cores now: read from what every
process and this one used lately (Linux's /proc), to choose how a big layer runs.

A big float layer runs one of two ways (see :mod:`explainer.core.layer_engine`). When the
cores are free, on BLAS's own threads: one process-wide product per block, nothing of it
serial but the copying of patches. When other processes take cores, on Python threads of
the engine's own, each with BLAS held to one thread (:mod:`explainer.core.blas`): OpenBLAS's
threads wait for each other at every product, so one that loses its core holds up the
rest (a 64-channel layer took 5–30× as long on a busy 2-core machine), while our threads
only take fewer blocks each. The own threads are no way to run on free cores either:
after any multi-threaded product OpenBLAS's idle thread spins for about a tenth of a
second (measured: 0.11 s of CPU while the caller sleeps, whatever the thread count is set
to since), taking half a core from them.

"Lately" is the last :data:`WINDOW` seconds or more: the CPU time all processes used
(/proc/stat) minus this process's own (/proc/self/stat), in cores. Readings are at least
WINDOW apart; layers in between use the last verdict. Without /proc, the load average
decides, and without that, the cores count as taken (the slower choice on free cores,
never the one that collapses).
"""

from __future__ import annotations

import os
import threading
import time

# Seconds between two readings of /proc.
WINDOW = 0.25
# Cores' worth of other processes' work from which the machine counts as busy.
BUSY_CORES = 0.5


class _Reading:
    """The last reading: when (monotonic seconds), ticks busy on all cores, this process's
    ticks, and the verdict drawn from the reading before it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.when: float | None = None
        self.busy = 0
        self.mine = 0
        self.taken = True


_last = _Reading()


def cores_taken_by_others() -> bool:
    """True when other processes used :data:`BUSY_CORES` or more of the machine's cores
    lately (see the module)."""
    now = time.monotonic()
    with _last.lock:
        if _last.when is not None and now - _last.when < WINDOW:
            return _last.taken
        ticks = _ticks()
        if ticks is None:
            _last.taken = _load_says_taken()
            return _last.taken
        busy, mine = ticks
        if _last.when is None:  # nothing to compare with yet
            _last.taken = _load_says_taken()
        else:
            per_second = os.sysconf("SC_CLK_TCK")
            others = (busy - _last.busy) - (mine - _last.mine)
            _last.taken = others / per_second / (now - _last.when) >= BUSY_CORES
        _last.when, _last.busy, _last.mine = now, busy, mine
        return _last.taken


def _ticks() -> tuple[int, int] | None:
    """Clock ticks every core spent busy since boot (steal included: a core the host gave
    to another machine is not ours either), and ticks this process used; None when
    /proc cannot be read as Linux writes it."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
        with open("/proc/self/stat", encoding="ascii", errors="replace") as f:
            own = f.read().rsplit(")", 1)[1].split()
        if fields[0] != "cpu":
            return None
        # user nice system idle iowait irq softirq steal (guest time is inside user)
        values = [int(v) for v in fields[1:9]]
        busy = sum(values) - values[3] - values[4]
        # After the command's ")": state is field 3, utime and stime fields 14 and 15.
        mine = int(own[11]) + int(own[12])
    except (OSError, ValueError, IndexError):
        return None
    return busy, mine


def _load_says_taken() -> bool:
    """The load average, which counts this process's running threads too: taken when it
    is within half a core of every core busy."""
    try:
        load = os.getloadavg()[0]
        cpus = len(os.sched_getaffinity(0))
    except (OSError, AttributeError):
        return True
    return load >= cpus - 0.5
