"""A convolutional layer against the textbook im2col reference: time and peak memory.

For C_in = C_out = 64 channels of 56×56 with 3×3 filters (padding 1, bias), in float32
and float64, the candidates run in alternating rounds: explainer.conv2d (blocks of
output rows, one matrix product per kernel tap, see explainer.core.layer_blocks) and the
textbook reference, numpy's
sliding_window_view + tensordot (one im2col matrix of every window, one matrix
product). Printed: median times and explainer's time divided by the reference's; then
peak memory (tracemalloc, which sees numpy's arrays) of each, in MiB and divided by the
output's size. The BLAS library, its threads and OPENBLAS_CORETYPE are printed first.

    .venv/bin/python benchmarks/bench_layer.py [--channels 64] [--size 56] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import interleaved, peak_bytes  # noqa: E402

import explainer  # noqa: E402
from explainer.core import layer_blocks  # noqa: E402


def blas_config() -> str:
    """The BLAS numpy uses, its threads, and OPENBLAS_CORETYPE (which changes its kernels)."""
    core = os.environ.get("OPENBLAS_CORETYPE", "(not set)")
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return f"threadpoolctl not installed; OPENBLAS_CORETYPE={core}"
    parts = [
        f"{pool.get('internal_api')} {pool.get('version')} ({pool.get('architecture')}), "
        f"{pool.get('num_threads')} threads"
        for pool in threadpool_info()
        if pool.get("user_api") == "blas"
    ]
    return "; ".join(parts or ["no BLAS found"]) + f"; OPENBLAS_CORETYPE={core}"


def im2col(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The textbook layer: every window as one column of a matrix, one matrix product."""
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, w.shape[2:], axis=(1, 2))
    return np.tensordot(w, windows, axes=([1, 2, 3], [0, 3, 4])) + b[:, None, None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--size", type=int, default=56)
    parser.add_argument("--kernel", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(f"BLAS: {blas_config()}")
    c, n, k = args.channels, args.size, args.kernel
    print(
        f"layer: {c}×{n}×{n} input, {c} filters of {c}×{k}×{k}, padding {k // 2}, bias; "
        f"blocks: {layer_blocks.SHIFT_BLOCK_BYTES / (1 << 20):g} MiB in all, shared by up to "
        f"{layer_blocks.workers()} threads"
    )
    print(
        f"{'dtype':>8} {'explainer':>10} {'im2col':>9} {'ratio':>7}   memory (MiB): "
        f"{'explainer':>9} {'im2col':>7}  (÷ output: {'explainer':>9} {'im2col':>7})"
    )
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        x = rng.normal(size=(c, n, n)).astype(dtype)
        w = rng.normal(size=(c, c, k, k)).astype(dtype)
        b = rng.normal(size=c).astype(dtype)
        ours, reference = explainer.conv2d(x, w, bias=b, padding=k // 2), im2col(x, w, b)
        assert ours.dtype == dtype and ours.shape == reference.shape
        tolerance = 1e-4 if dtype == np.float32 else 1e-10
        assert np.allclose(ours, reference, rtol=tolerance, atol=tolerance * 10)
        runs = {
            "explainer": lambda x=x, w=w, b=b: explainer.conv2d(x, w, bias=b, padding=k // 2),
            "im2col": lambda x=x, w=w, b=b: im2col(x, w, b),
        }
        medians = interleaved(runs, rounds=args.rounds, min_seconds=1.0)
        memory = {name: peak_bytes(fn) for name, fn in runs.items()}
        mib = 1 << 20
        print(
            f"{np.dtype(dtype).name:>8} {medians['explainer'] * 1e3:>8.2f}ms "
            f"{medians['im2col'] * 1e3:>7.2f}ms {medians['explainer'] / medians['im2col']:>6.2f}×"
            f"   {'':>13}{memory['explainer'] / mib:>9.2f} {memory['im2col'] / mib:>7.2f}"
            f"  {'':>11}{memory['explainer'] / ours.nbytes:>9.2f} "
            f"{memory['im2col'] / ours.nbytes:>7.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
