"""Time the engine's float path against scipy, and the `explainer derive` command.

Prints, for 9×9, 512×512 and 4096×4096 images with a 3×3 kernel, the best of several
runs of explainer.conv2d, scipy.signal.correlate2d(mode="valid") and
scipy.ndimage.correlate (same output, cropped), and their ratios measured in this run.
Then the wall time of the whole `explainer derive` process (the lecture's 49 derivations)
against a bare `python -c "import sympy"`, the floor of any sympy-based command.

    .venv/bin/python benchmarks/bench_engine.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.ndimage
import scipy.signal

import explainer


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def engine_table() -> None:
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 3))
    print(
        f"{'image':>11} {'explainer':>11} {'correlate2d':>12} {'ndimage':>10} "
        f"{'vs correlate2d':>15} {'vs ndimage':>11}"
    )
    for n, repeat in ((9, 2000), (512, 20), (4096, 3)):
        image = rng.normal(size=(n, n))
        ours = best_of(lambda: explainer.conv2d(image, kernel), repeat)  # noqa: B023
        signal = best_of(
            lambda: scipy.signal.correlate2d(image, kernel, mode="valid"),  # noqa: B023
            repeat,
        )
        ndimage = best_of(
            lambda: scipy.ndimage.correlate(image, kernel)[1:-1, 1:-1],  # noqa: B023
            repeat,
        )
        assert np.allclose(
            explainer.conv2d(image, kernel), scipy.signal.correlate2d(image, kernel, mode="valid")
        )
        print(
            f"{n:>5}×{n:<5} {ours * 1e3:>9.3f}ms {signal * 1e3:>10.3f}ms "
            f"{ndimage * 1e3:>8.3f}ms {ours / signal:>14.2f}× {ours / ndimage:>10.2f}×"
        )


def process_time(cmd: list[str], repeat: int = 3) -> float:
    return best_of(lambda: subprocess.run(cmd, check=True, capture_output=True), repeat)


def derive_table() -> None:
    bindir = Path(sys.executable).parent
    derive = process_time([str(bindir / "explainer"), "derive"])
    check = process_time([str(bindir / "explainer"), "check"])
    floor = process_time([sys.executable, "-c", "import sympy, numpy"])
    print(
        f"\nexplainer derive (49 patches): {derive:.2f} s; explainer check: {check:.2f} s; "
        f"python -c 'import sympy, numpy': {floor:.2f} s"
    )
    print(
        f"derive / import floor: {derive / floor:.2f}×   check / import floor: {check / floor:.2f}×"
    )


if __name__ == "__main__":
    engine_table()
    derive_table()
