"""A convolutional layer against the textbook im2col reference: time and peak memory.

For C_in = C_out = 64 channels of 56×56 with 3×3 filters (padding 1, bias), in float32
and float64, the candidates run in alternating rounds: explainer.conv2d and the textbook
reference, numpy's sliding_window_view + tensordot (one im2col matrix of every window, one
matrix product, on BLAS's own threads). explainer.conv2d multiplies blocks of output rows:
with stride 1 and enough channels, the block's flattened padded rows, stacked at the
kernel's column offsets, by each kernel row of the filters (explainer.core.layer_rows, no
patch matrix); otherwise each block's patch matrix by the filters in one product. On BLAS's
own threads, one block at a time, when the cores are free; on one BLAS thread each, the
blocks shared among the engine's own threads, when other processes take them (see
explainer.core.layer_engine, explainer.core.blas and explainer.core.cpu_share; the way
taken is printed).
Printed: median times and explainer's time divided by the reference's; then peak memory
(tracemalloc, which sees numpy's arrays) of each, in MiB and divided by the output's size.
The BLAS library, its threads, OPENBLAS_CORETYPE and the load average are printed first.
``--shapes`` adds the time ratio for other layers (other sizes, kernels, stride, dilation,
groups). Run it from the checkout with PYTHONPATH=. to time that checkout's engine.

    .venv/bin/python benchmarks/bench_layer.py [--channels 64] [--size 56] [--rounds 7]
        [--shapes] [--cpu]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import interleaved, peak_bytes  # noqa: E402

import explainer  # noqa: E402
from explainer.core import layer_blocks, layer_engine, layer_rows  # noqa: E402
from explainer.core.cpu_share import cores_taken_by_others  # noqa: E402


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


def im2col(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    stride: int = 1,
    padding: int | None = None,
    dilation: int = 1,
    groups: int = 1,
) -> np.ndarray:
    """The textbook layer: every window as one column of a matrix, one matrix product (per
    group). Padding k // 2 (for dilation 1) unless given."""
    kh, kw = w.shape[2:]
    p = kh // 2 if padding is None else padding
    padded = np.pad(x, ((0, 0), (p, p), (p, p)))
    span = (dilation * (kh - 1) + 1, dilation * (kw - 1) + 1)
    windows = np.lib.stride_tricks.sliding_window_view(padded, span, axis=(1, 2))
    windows = windows[:, ::stride, ::stride, ::dilation, ::dilation]
    cg, per = x.shape[0] // groups, w.shape[0] // groups
    parts = [
        np.tensordot(
            w[g * per : (g + 1) * per], windows[g * cg : (g + 1) * cg], axes=([1, 2, 3], [0, 3, 4])
        )  # fmt: skip
        for g in range(groups)
    ]
    out = parts[0] if groups == 1 else np.concatenate(parts)
    return out + b[:, None, None]


# Other layers, so that tuning for the one above slows none of them: (name, C_in, C_out,
# size, kernel, stride, padding, dilation, groups).
SHAPES = [
    ("64→64 56² 3×3", 64, 64, 56, 3, 1, 1, 1, 1),
    ("3→16 224² 3×3", 3, 16, 224, 3, 1, 1, 1, 1),
    ("128→128 28² 3×3", 128, 128, 28, 3, 1, 1, 1, 1),
    ("64→64 56² 5×5", 64, 64, 56, 5, 1, 2, 1, 1),
    ("64→64 56² 1×1", 64, 64, 56, 1, 1, 0, 1, 1),
    ("64→64 56² stride 2", 64, 64, 56, 3, 2, 1, 1, 1),
    ("64→64 56² dilation 2", 64, 64, 56, 3, 1, 2, 2, 1),
    ("64→64 56² groups 4", 64, 64, 56, 3, 1, 1, 1, 4),
    ("64→64 56² depthwise", 64, 64, 56, 3, 1, 1, 1, 64),
    ("3→8 9² 3×3", 3, 8, 9, 3, 1, 1, 1, 1),
]


def shapes_table(rounds: int, clock: Callable[[], float]) -> None:
    """explainer ÷ im2col for each of SHAPES, float32 and float64."""
    print(f"\n{'layer':>22} {'float32':>8} {'float64':>8}   (explainer's time ÷ im2col's)")
    rng = np.random.default_rng(1)
    for name, c_in, c_out, n, k, s, p, d, g in SHAPES:
        ratios = []
        for dtype in (np.float32, np.float64):
            x = rng.normal(size=(c_in, n, n)).astype(dtype)
            w = rng.normal(size=(c_out, c_in // g, k, k)).astype(dtype)
            b = rng.normal(size=c_out).astype(dtype)
            options = dict(stride=s, padding=p, dilation=d, groups=g)
            ours, reference = explainer.conv2d(x, w, bias=b, **options), im2col(x, w, b, **options)
            tolerance = 1e-3 if dtype == np.float32 else 1e-10
            assert np.allclose(ours, reference, rtol=tolerance, atol=tolerance * 10), name
            runs = {
                "explainer": lambda x=x, w=w, b=b, o=options: explainer.conv2d(x, w, bias=b, **o),
                "im2col": lambda x=x, w=w, b=b, o=options: im2col(x, w, b, **o),
            }
            medians = interleaved(runs, rounds=rounds, min_seconds=0.5, clock=clock)
            ratios.append(medians["explainer"] / medians["im2col"])
        print(f"{name:>22} {ratios[0]:>7.2f}× {ratios[1]:>7.2f}×", flush=True)


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
        "taskset -c 0 on a busy machine, the work per core of each",
    )
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    print(f"BLAS: {blas_config()}; load average {os.getloadavg()[0]:.2f}")
    c, n, k = args.channels, args.size, args.kernel
    cores_taken_by_others()  # the first reading: the next one measures the time between
    time.sleep(0.3)
    rows = k > 1 and layer_rows.fits(
        layer_engine.layer_plan(explainer.Layer(np.zeros((c, n, n)), np.zeros((c, c, k, k)))),
        1,
        np.zeros((c, c, k, k)),
    )
    free = (
        f"stacked flattened rows and sums of {layer_rows.BLOCK_ELEMENTS:,} values"
        if rows
        else f"patch matrices of {layer_engine.BLAS_BLOCK_ELEMENTS:,} values"
    )
    print(
        f"layer: {c}×{n}×{n} input, {c} filters of {c}×{k}×{k}, padding {k // 2}, bias; "
        f"blocks: {free} on BLAS's threads when the cores are free, patch matrices of "
        f"{layer_engine.PATCH_BLOCK_ELEMENTS:,} shared by up to {layer_blocks.workers()} "
        f"threads on one BLAS thread each when other processes take them "
        f"(now: {'taken' if cores_taken_by_others() else 'free'})"
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
        medians = interleaved(runs, rounds=args.rounds, min_seconds=1.0, clock=clock)
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
    if args.shapes:
        shapes_table(max(3, args.rounds // 2), clock)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
