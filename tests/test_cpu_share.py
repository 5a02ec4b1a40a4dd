"""explainer.core.cpu_share: whether other processes take the cores, from /proc.

The verdict is checked on readings made up here (so that the arithmetic is known), and the
readings themselves on real work: a child process that spins for half a second of CPU
shows as busy ticks not ours, a thread of this process that spins as ticks of ours (CPU
time, not wall time: on a busy machine a spinning thread gets less than a core).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from explainer.core import cpu_share

linux_only = pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="reads Linux's /proc")


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def monotonic(self):
        return self.now


@pytest.fixture
def made_up(monkeypatch):
    """A fresh reading state, a clock and /proc readings the test sets."""
    clock, readings = FakeClock(), []
    monkeypatch.setattr(cpu_share, "_last", cpu_share._Reading())
    monkeypatch.setattr(cpu_share, "time", clock)
    monkeypatch.setattr(cpu_share, "_ticks", lambda: readings.pop(0) if readings else None)
    monkeypatch.setattr(cpu_share.os, "sysconf", lambda name: 100)  # 100 ticks a second
    return clock, readings


def test_half_a_core_of_other_work_counts_as_taken(made_up, monkeypatch):
    clock, readings = made_up
    monkeypatch.setattr(cpu_share.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    readings.append((1000, 400))
    assert cpu_share.cores_taken_by_others() is False  # the first: load average 0
    # One second later: 150 ticks busy in all, 100 of them ours: others used 0.5 core.
    clock.now += 1.0
    readings.append((1150, 500))
    assert cpu_share.cores_taken_by_others() is True
    # Another second: 140 busy, 100 ours: 0.4 core is not enough.
    clock.now += 1.0
    readings.append((1290, 600))
    assert cpu_share.cores_taken_by_others() is False


def test_between_readings_the_last_verdict_holds(made_up):
    clock, readings = made_up
    readings.append((0, 0))
    cpu_share.cores_taken_by_others()
    clock.now += 0.5
    readings.append((100, 0))  # others: a whole core for half a second... two cores
    assert cpu_share.cores_taken_by_others() is True
    clock.now += cpu_share.WINDOW / 2
    readings.append((100, 100))  # would say free, but is not read this soon
    assert cpu_share.cores_taken_by_others() is True
    assert readings == [(100, 100)]


@pytest.mark.parametrize("load, taken", [(0.4, False), (1.4, False), (1.5, True), (3.0, True)])
def test_without_proc_the_load_average_decides(made_up, monkeypatch, load, taken):
    monkeypatch.setattr(cpu_share.os, "getloadavg", lambda: (load, 0.0, 0.0))
    monkeypatch.setattr(cpu_share.os, "sched_getaffinity", lambda pid: {0, 1})
    assert cpu_share.cores_taken_by_others() is taken


def test_without_proc_or_load_average_the_cores_count_as_taken(made_up, monkeypatch):
    def no_load():
        raise OSError("no load average here")

    monkeypatch.setattr(cpu_share.os, "getloadavg", no_load)
    assert cpu_share.cores_taken_by_others() is True


def _spin_cpu(seconds: float) -> None:
    """Spin until this process has used ``seconds`` more of CPU time (however busy the
    machine is), or 60 s have passed."""
    cpu, end = time.process_time() + seconds, time.monotonic() + 60
    while time.process_time() < cpu and time.monotonic() < end:
        pass


SPIN_CHILD = """
import time
cpu, end = time.process_time() + 0.5, time.monotonic() + 60
while time.process_time() < cpu and time.monotonic() < end:
    pass
"""


@linux_only
def test_another_process_spinning_shows_as_busy_ticks_not_ours():
    per_second = os.sysconf("SC_CLK_TCK")
    busy0, mine0 = cpu_share._ticks()
    subprocess.run([sys.executable, "-c", SPIN_CHILD], check=True, timeout=90)
    busy1, mine1 = cpu_share._ticks()
    # The child's half second of CPU (and its start) is busy time that is not ours.
    assert (busy1 - busy0) - (mine1 - mine0) >= 0.4 * per_second
    assert mine1 - mine0 <= 0.2 * per_second  # this process waited


@linux_only
def test_a_thread_of_this_process_spinning_shows_as_ticks_of_ours():
    per_second = os.sysconf("SC_CLK_TCK")
    busy0, mine0 = cpu_share._ticks()
    worker = threading.Thread(target=_spin_cpu, args=(0.5,))
    worker.start()
    worker.join()
    busy1, mine1 = cpu_share._ticks()
    assert mine1 - mine0 >= 0.4 * per_second
    assert busy1 - busy0 >= mine1 - mine0 - 2  # ours are among all (a tick of rounding)
