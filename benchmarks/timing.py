"""Shared by the benchmark scripts: interleaved timing with medians, and peak memory.

Timings on a shared 2-core machine are noisy, so every script measures its references in
the same run, alternating the candidates round by round (a burst of load hits them all
alike), and reports medians and ratios of medians.
"""

from __future__ import annotations

import statistics
import subprocess
import time
import tracemalloc
from collections.abc import Callable, Sequence


def interleaved(
    candidates: dict[str, Callable[[], object]],
    rounds: int = 5,
    min_seconds: float = 0.2,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Median seconds per call of each candidate over ``rounds`` alternating rounds.

    Each round calls each candidate enough times to take about ``min_seconds / rounds``
    (at least once), so that fast calls are not timer noise. ``clock`` is wall time by
    default; ``time.process_time`` counts only the CPU time this process gets (for
    single-threaded candidates on a busy machine, where waiting for a core is not theirs).
    """
    calls = {}
    for name, fn in candidates.items():  # warm up, and size the batches
        start = clock()
        fn()
        once = clock() - start
        calls[name] = max(1, int(min_seconds / rounds / max(once, 1e-7)))
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for r in range(rounds):
        names = list(candidates)
        names = names[r % len(names) :] + names[: r % len(names)]  # rotate who goes first
        for name in names:
            fn, count = candidates[name], calls[name]
            start = clock()
            for _ in range(count):
                fn()
            times[name].append((clock() - start) / count)
    return {name: statistics.median(values) for name, values in times.items()}


def process_times(commands: dict[str, Sequence[str]], rounds: int = 7) -> dict[str, float]:
    """Median wall seconds of each command, run alternately ``rounds`` times."""

    def run(cmd: Sequence[str]) -> Callable[[], object]:
        return lambda: subprocess.run(list(cmd), check=True, capture_output=True)

    return interleaved({name: run(cmd) for name, cmd in commands.items()}, rounds, 0.0)


def peak_bytes(fn: Callable[[], object]) -> int:
    """The most memory traced while ``fn`` runs (numpy reports its arrays to tracemalloc)."""
    fn()  # caches and lazy imports are not the call's memory
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
