"""The backward pass against the textbook im2col reference: time and peak memory, as ratios.

A 3×3 layer of 64 input and 64 output channels on a 56×56 map (ResNet's first stage),
float64, stride 1, padding 1: ``explainer.conv2d_backward`` computes the gradients with
respect to the input, the weight and the bias, block by block; the reference builds the
whole patch matrix with ``sliding_window_view`` (C_in·kH·kW × H_out·W_out), multiplies
twice, and scatters the patch gradients back tap by tap (col2im). Both run in the same
process in alternating rounds (benchmarks/timing.py); printed are the medians, their
ratio, and each one's peak memory (tracemalloc) against the larger gradient's size.

    .venv/bin/python benchmarks/bench_backward.py [--channels 64] [--size 56] [--rounds 7]
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
from explainer.core import backward_common  # noqa: E402


def reference(
    x: np.ndarray, w: np.ndarray, g: np.ndarray, padding: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The textbook backward pass of a stride-1 convolution: im2col, two products, col2im."""
    c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    _, oh, ow = g.shape
    padded = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(1, 2))
    cols = windows.transpose(0, 3, 4, 1, 2).reshape(c_in * kh * kw, oh * ow)  # a copy
    errors = g.reshape(c_out, oh * ow)
    grad_w = (errors @ cols.T).reshape(w.shape)
    grad_cols = (w.reshape(c_out, -1).T @ errors).reshape(c_in, kh, kw, oh, ow)
    grad_padded = np.zeros_like(padded)
    for m in range(kh):
        for n in range(kw):
            grad_padded[:, m : m + oh, n : n + ow] += grad_cols[:, m, n]
    grad_x = grad_padded[:, padding : padding + h, padding : padding + wd]
    return grad_x, grad_w, errors.sum(axis=1)


def blas_settings() -> str:
    """Which BLAS numpy uses and with how many threads, as far as can be told."""
    lines = []
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            lines.append(
                f"{pool.get('internal_api')} {pool.get('version')} "
                f"threads={pool.get('num_threads')} core={pool.get('architecture')}"
            )
    except ImportError:
        config = np.show_config(mode="dicts") if np.__version__ >= "1.25" else {}
        blas = config.get("Build Dependencies", {}).get("blas", {})
        lines.append(
            f"{blas.get('name', '?')} {blas.get('version', '')} (threadpoolctl not installed: "
            "thread count unknown)"
        )
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        lines.append(f"{var}={os.environ.get(var, '(unset)')}")
    lines.append(f"CPUs available: {len(os.sched_getaffinity(0))}")
    return "; ".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--size", type=int, default=56)
    parser.add_argument("--kernel", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    c, n, k = args.channels, args.size, args.kernel
    padding = k // 2
    rng = np.random.default_rng(0)
    x = rng.normal(size=(c, n, n))
    w = rng.normal(size=(c, c, k, k))
    g = rng.normal(size=(c, n + 2 * padding - k + 1, n + 2 * padding - k + 1))

    ours = explainer.conv2d_backward(x, w, g, padding=padding)
    theirs = reference(x, w, g, padding)
    for a, b in zip(ours, theirs, strict=True):
        assert np.allclose(a, b, rtol=1e-10, atol=1e-10 * np.abs(b).max())

    runs = {
        "explainer": lambda: explainer.conv2d_backward(x, w, g, padding=padding),
        "im2col": lambda: reference(x, w, g, padding),
    }
    larger = max(x.nbytes, w.nbytes)
    block = backward_common.BLOCK_ELEMENTS * 8
    print(f"BLAS: {blas_settings()}")
    print(
        f"layer: {c}→{c} channels, {n}×{n}, {k}×{k}, padding {padding}, float64; "
        f"larger gradient {larger / 2**20:.2f} MiB, one block {block / 2**20:.2f} MiB"
    )
    table("BLAS threads as configured", runs, args.rounds, larger)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("(threadpoolctl not installed: no single-thread table)")
        return
    with threadpool_limits(limits=1, user_api="blas"):
        table("BLAS limited to 1 thread (threadpoolctl)", runs, args.rounds, larger)


def table(title: str, runs: dict, rounds: int, larger: int) -> None:
    medians = interleaved(runs, rounds=rounds, min_seconds=1.0)
    print(f"\n{title}")
    print(f"{'':>10} {'median':>9} {'÷ im2col':>9} {'peak memory':>12} {'÷ larger grad':>14}")
    for name, fn in runs.items():
        peak = peak_bytes(fn)
        print(
            f"{name:>10} {medians[name] * 1e3:>7.1f}ms {medians[name] / medians['im2col']:>8.2f}× "
            f"{peak / 2**20:>9.2f}MiB {peak / larger:>13.2f}×",
            flush=True,
        )


if __name__ == "__main__":
    main()
