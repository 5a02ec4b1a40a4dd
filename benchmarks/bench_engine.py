"""The float engine against its peers: time and peak memory, as ratios from one run.

For each image size (64², 512², 2048², 4096², float64) and kernel (3×3, 5×5, 11×11) the
candidates run in alternating rounds: explainer.conv2d, the engine as it was before issue
12 (benchmarks/legacy.py), scipy.signal.correlate2d (mode="valid", the same output),
scipy.ndimage.correlate and OpenCV's filter2D restricted to one thread (both also
compute the border: a slightly larger output), and a plain copy of the input. Printed:
median times and explainer's time divided by each; then peak memory (tracemalloc, which
sees numpy's arrays) divided by the input's size. A last table does the same for float32.

    .venv/bin/pip install -e ".[bench]"      # scipy and opencv-python-headless
    .venv/bin/python benchmarks/bench_engine.py [--sizes 64,512] [--kernels 3] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.ndimage
import scipy.signal

sys.path.insert(0, str(Path(__file__).resolve().parent))

import legacy  # noqa: E402
from bench_layer import blas_config  # noqa: E402
from timing import interleaved, peak_bytes  # noqa: E402

import explainer  # noqa: E402

try:
    import cv2

    cv2.setNumThreads(1)
except ImportError:  # a benchmark-only dependency: the table says so
    cv2 = None


def candidates(image: np.ndarray, kernel: np.ndarray) -> dict[str, Callable[[], object]]:
    out: dict[str, Callable[[], object]] = {
        "explainer": lambda: explainer.conv2d(image, kernel),
        "before": lambda: legacy.conv2d(image, kernel),
        "correlate2d": lambda: scipy.signal.correlate2d(image, kernel, mode="valid"),
        "ndimage": lambda: scipy.ndimage.correlate(image, kernel),
        "copy": lambda: image.copy(),
    }
    if cv2 is not None:
        out["opencv"] = lambda: cv2.filter2D(image, -1, kernel)
    return out


def agree(image: np.ndarray, kernel: np.ndarray) -> None:
    """The engine computes the same thing as the references it is timed against."""
    ours = explainer.conv2d(image, kernel)
    kh, kw = kernel.shape
    reference = scipy.ndimage.correlate(image.astype(np.float64), kernel, mode="constant")
    top, left = (kh - 1) // 2, (kw - 1) // 2  # ndimage centres the kernel
    reference = reference[top : top + ours.shape[0], left : left + ours.shape[1]]
    tolerance = 1e-5 if image.dtype == np.float32 else 1e-9
    assert np.allclose(ours, reference, rtol=tolerance, atol=tolerance * np.abs(reference).max())


def table(sizes: list[int], kernels: list[int], rounds: int, dtype: type) -> None:
    if not sizes:
        return
    rng = np.random.default_rng(0)
    names = list(candidates(np.zeros((1, 1)), np.zeros((1, 1))))
    others = [n for n in names if n != "explainer"]
    print(f"\n{np.dtype(dtype).name}: explainer's time (and peak memory) ÷ each reference's")
    head = f"{'image':>9} {'kernel':>6} {'explainer':>10} " + " ".join(f"{n:>11}" for n in others)
    print(head + "   memory: explainer  before  (÷ input size)")
    for size in sizes:
        image = rng.normal(size=(size, size)).astype(dtype)
        for k in kernels:
            kernel = rng.normal(size=(k, k)).astype(dtype)
            agree(image, kernel)
            runs = candidates(image, kernel)
            slow = size * size * k * k > 4e8  # the slowest references: fewer, still ≥ 3
            medians = interleaved(runs, rounds=3 if slow else rounds, min_seconds=0.5)
            ours = medians["explainer"]
            ratios = " ".join(f"{ours / medians[n]:>10.2f}×" for n in others)
            memory = [peak_bytes(runs[n]) / image.nbytes for n in ("explainer", "before")]
            print(
                f"{size:>4}×{size:<4} {k:>2}×{k:<3} {ours * 1e3:>8.2f}ms {ratios}"
                f"   {memory[0]:>14.2f}× {memory[1]:>6.2f}×",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64,512,2048,4096")
    parser.add_argument("--kernels", default="3,5,11")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--float32-sizes", default="512,4096")
    args = parser.parse_args()
    print(f"BLAS: {blas_config()}; load average {os.getloadavg()[0]:.2f}")
    if cv2 is None:
        print("OpenCV is not installed: pip install -e '.[bench]' for its column")
    ints = lambda text: [int(v) for v in text.split(",") if v]  # noqa: E731
    table(ints(args.sizes), ints(args.kernels), args.rounds, np.float64)
    table(ints(args.float32_sizes), [3], args.rounds, np.float32)


if __name__ == "__main__":
    main()
    print(f"load average {os.getloadavg()[0]:.2f}")
