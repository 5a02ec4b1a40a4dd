"""The backward pass against the textbook im2col reference: time and peak memory, as ratios.

A 3×3 layer of 64 input and 64 output channels on a 56×56 map (ResNet's first stage),
float64, stride 1, padding 1: ``explainer.conv2d_backward`` computes the gradients with
respect to the input, the weight and the bias, block by block; the reference builds the
whole patch matrix with ``sliding_window_view`` (C_in·kH·kW × H_out·W_out), multiplies
twice, and scatters the patch gradients back tap by tap (col2im). Both run in the same
process in alternating rounds (benchmarks/timing.py); printed are the medians, their
ratio, and each one's peak memory (tracemalloc) against the larger gradient's size. With
BLAS threadpoolctl can hold, explainer runs its blocks on one BLAS thread each, shared among
its own threads (explainer.core.blas); the reference uses BLAS's own threads. ``--shapes``
adds the time ratio for other layers (stride 2, groups, 3→64 channels at 512², 256 channels
at 14²); ``--cpu`` times the CPU the process gets (all its threads) instead of wall time.
The load average is printed first and last. Run it from the checkout with PYTHONPATH=. to
time that checkout's engine.

    .venv/bin/python benchmarks/bench_backward.py [--channels 64] [--size 56] [--rounds 7]
        [--shapes] [--cpu]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import interleaved, peak_bytes  # noqa: E402

import explainer  # noqa: E402
from explainer.core import backward_common  # noqa: E402


def reference(
    x: np.ndarray, w: np.ndarray, g: np.ndarray, padding: int, stride: int = 1, groups: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The textbook backward pass of a convolution (zero padding): im2col, two products
    (batched over groups), col2im."""
    c_in, h, wd = x.shape
    c_out, cg, kh, kw = w.shape
    _, oh, ow = g.shape
    s, per = stride, c_out // groups
    padded = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(1, 2))
    windows = windows[:, : s * (oh - 1) + 1 : s, : s * (ow - 1) + 1 : s]
    cols = windows.transpose(0, 3, 4, 1, 2).reshape(groups, cg * kh * kw, oh * ow)  # a copy
    errors = g.reshape(groups, per, oh * ow)
    grad_w = (errors @ cols.transpose(0, 2, 1)).reshape(w.shape)
    weights_t = w.reshape(groups, per, cg * kh * kw).transpose(0, 2, 1)
    grad_cols = (weights_t @ errors).reshape(c_in, kh, kw, oh, ow)
    grad_padded = np.zeros_like(padded)
    for m in range(kh):
        for n in range(kw):
            rows, cols = slice(m, m + s * (oh - 1) + 1, s), slice(n, n + s * (ow - 1) + 1, s)
            grad_padded[:, rows, cols] += grad_cols[:, m, n]
    grad_x = grad_padded[:, padding : padding + h, padding : padding + wd]
    return grad_x, grad_w, g.sum(axis=(1, 2))


# Other layers for --shapes: (name, C_in, C_out, size, kernel, stride, groups)
SHAPES = [
    ("64→64 56² stride 2", 64, 64, 56, 3, 2, 1),
    ("64→64 56² groups 4", 64, 64, 56, 3, 1, 4),
    ("3→64 512²", 3, 64, 512, 3, 1, 1),
    ("256→256 14²", 256, 256, 14, 3, 1, 1),
]


def layer(c_in, c_out, n, k, stride, groups, seed=0):
    """A random float64 layer and its error map, padding k // 2."""
    rng = np.random.default_rng(seed)
    m = (n + 2 * (k // 2) - k) // stride + 1
    x = rng.normal(size=(c_in, n, n))
    w = rng.normal(size=(c_out, c_in // groups, k, k))
    return x, w, rng.normal(size=(c_out, m, m))


def shapes_table(rounds: int, clock) -> None:
    """explainer ÷ im2col for the other layers, alternating rounds per layer."""
    print(f"\nother layers (float64, padding k // 2): time ÷ im2col's, {rounds} rounds")
    for name, c_in, c_out, n, k, stride, groups in SHAPES:
        x, w, g = layer(c_in, c_out, n, k, stride, groups)
        options = dict(padding=k // 2, stride=stride, groups=groups)
        ours = explainer.conv2d_backward(x, w, g, **options)
        for a, b in zip(ours, reference(x, w, g, k // 2, stride, groups), strict=True):
            assert np.allclose(a, b, rtol=1e-10, atol=1e-10 * np.abs(b).max()), name
        runs = {
            "explainer": lambda x=x, w=w, g=g, o=options: explainer.conv2d_backward(x, w, g, **o),
            "im2col": lambda x=x, w=w, g=g, o=options: reference(
                x, w, g, o["padding"], o["stride"], o["groups"]
            ),
        }
        medians = interleaved(runs, rounds=rounds, min_seconds=0.5, clock=clock)
        print(f"{name:>22} {medians['explainer'] / medians['im2col']:>7.2f}×", flush=True)


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
    parser.add_argument("--shapes", action="store_true", help="also the table of other layers")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time the CPU the process gets (all its threads), not wall time: with "
        "taskset -c 1 on a busy machine, the work per core of each",
    )
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    c, n, k = args.channels, args.size, args.kernel
    padding = k // 2
    x, w, g = layer(c, c, n, k, 1, 1)

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
    print(f"BLAS: {blas_settings()}; load average {os.getloadavg()[0]:.2f}")
    print(f"clock: {'CPU time of the process' if args.cpu else 'wall time'}")
    print(
        f"layer: {c}→{c} channels, {n}×{n}, {k}×{k}, padding {padding}, float64; "
        f"larger gradient {larger / 2**20:.2f} MiB, one block {block / 2**20:.2f} MiB"
    )
    table("BLAS threads as configured", runs, args.rounds, larger, clock)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("(threadpoolctl not installed: no single-thread table)")
    else:
        with threadpool_limits(limits=1, user_api="blas"):
            table("BLAS limited to 1 thread (threadpoolctl)", runs, args.rounds, larger, clock)
    if args.shapes:
        shapes_table(max(3, args.rounds // 2), clock)
    print(f"\nload average {os.getloadavg()[0]:.2f}")


def table(title: str, runs: dict, rounds: int, larger: int, clock) -> None:
    medians = interleaved(runs, rounds=rounds, min_seconds=1.0, clock=clock)
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
