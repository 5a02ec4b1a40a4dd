"""The exact engine against a plain Fraction loop and against itself before issue 12.

For Fraction images (random numerators over denominators 1..6) with a 3×3 Fraction
kernel, with and without normalization, for integer images divided by the kernel's area
(the lecture's case) and for integers at the edge of int64, the candidates run in
alternating rounds: explainer.conv2d, the engine as it was (benchmarks/legacy.py) and
the textbook loop of tests/reference.py (one pixel and one tap at a time, in Fractions).
Every result is checked equal, exactly, before it is timed.

    .venv/bin/python benchmarks/bench_exact.py [--sizes 9,32,128] [--rounds 5] [--cpu]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

here = Path(__file__).resolve().parent
sys.path[:0] = [str(here), str(here.parent / "tests")]

import legacy  # noqa: E402
from bench_layer import blas_config  # noqa: E402
from reference import plain_loop  # noqa: E402
from timing import interleaved  # noqa: E402

import explainer  # noqa: E402


def fractions(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    numerators, denominators = rng.integers(-9, 10, shape), rng.integers(1, 7, shape)
    for idx in np.ndindex(shape):
        out[idx] = Fraction(int(numerators[idx]), int(denominators[idx]))
    return out


def cases(size: int) -> dict[str, tuple[np.ndarray, np.ndarray, str | None]]:
    rng = np.random.default_rng(size)
    kernel = fractions(rng, (3, 3))
    edge = rng.integers(-9, 10, (size, size))
    edge[::3, ::2] = -(2**63)  # abs() of this overflows int64; sums leave int64
    return {
        "Fraction": (fractions(rng, (size, size)), kernel, None),
        "Fraction, area": (fractions(rng, (size, size)), kernel, "area"),
        "int, area": (rng.choice([-1, 1], (size, size)), rng.choice([-1, 1], (3, 3)), "area"),
        "int64 edge": (edge, rng.integers(-3, 4, (3, 3)), None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="9,32,128")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--cpu", action="store_true", help="time the CPU this process gets, not wall time"
    )
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    print(f"BLAS: {blas_config()}; load average {os.getloadavg()[0]:.2f}")
    print(
        f"explainer's time ÷ each reference's (medians of interleaved rounds, "
        f"{'CPU' if args.cpu else 'wall'} time)"
    )
    print(f"{'image':>9} {'input':>15} {'explainer':>10} {'÷ before':>9} {'÷ plain loop':>13}")
    for size in (int(v) for v in args.sizes.split(",")):
        for name, (image, kernel, normalize) in cases(size).items():
            p = explainer.Problem(image, kernel, normalize=normalize)
            divisor = p.divisor if normalize else 1
            expected = plain_loop(image, kernel, divisor=divisor)
            ours = explainer.conv2d(image, kernel, normalize=normalize)
            assert ours.tolist() == expected, name
            runs = {
                "explainer": lambda i=image, k=kernel, n=normalize: explainer.conv2d(
                    i, k, normalize=n
                ),
                "plain loop": lambda i=image, k=kernel, d=divisor: plain_loop(i, k, divisor=d),
            }
            if name != "int64 edge":  # the old engine overflows there (its abs() bug)
                runs["before"] = lambda i=image, k=kernel, n=normalize: legacy.conv2d(
                    i, k, normalize=n
                )
                assert legacy.conv2d(image, kernel, normalize=normalize).tolist() == expected
            medians = interleaved(runs, rounds=args.rounds, min_seconds=0.3, clock=clock)
            t = medians["explainer"]
            before = f"{t / medians['before']:>8.3f}×" if "before" in medians else f"{'—':>9}"
            print(
                f"{size:>4}×{size:<4} {name:>15} {t * 1e3:>8.2f}ms {before} "
                f"{t / medians['plain loop']:>12.3f}×",
                flush=True,
            )


if __name__ == "__main__":
    main()
    print(f"load average {os.getloadavg()[0]:.2f}")
