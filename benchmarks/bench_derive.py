"""Deriving every pixel with sympy: derive_all, and the whole `explainer derive` command.

For integer images of 9², 32² and 64² pixels with the 3×3 Sobel kernel, in alternating
rounds: symbolic.derive_all against the per-tap derivation it replaced
(benchmarks/legacy_derive.py, run on the same problem); then the wall time of the
`explainer derive` process (text; every format at the largest size) against
`python -c "import sympy"`, the floor of any sympy-based command.

    .venv/bin/python benchmarks/bench_derive.py [--sizes 9,32,64] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import legacy_derive  # noqa: E402
from timing import interleaved, process_times  # noqa: E402

from explainer import Problem  # noqa: E402
from explainer.core import presets  # noqa: E402
from explainer.proof import symbolic  # noqa: E402

EXE = str(Path(sys.executable).parent / "explainer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="9,32,64")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(v) for v in args.sizes.split(",")]
    kernel = presets.preset("sobel-x")
    rng = np.random.default_rng(0)
    images = {n: rng.integers(-9, 10, (n, n)) for n in sizes}

    print("derive_all (in process): time, and ÷ the per-tap derivation it replaced")
    for n in sizes:
        problem = Problem(images[n], kernel)
        medians = interleaved(
            {
                "now": lambda p=problem: symbolic.derive_all(p),
                "before": lambda p=problem: legacy_derive.derive_all(p),
            },
            rounds=args.rounds,
            min_seconds=0.0,
        )
        print(
            f"  {n:>3}×{n:<3} ({problem.output_shape[0] ** 2:>5} patches) "
            f"{medians['now'] * 1e3:>7.1f} ms   {medians['now'] / medians['before']:.3f}×",
            flush=True,
        )

    print("\n`explainer derive` (whole process): seconds, and ÷ `python -c 'import sympy'`")
    with tempfile.TemporaryDirectory() as tmp:
        commands = {"import sympy": [sys.executable, "-c", "import sympy"]}
        for n in sizes:
            path = Path(tmp) / f"image{n}.csv"
            np.savetxt(path, images[n], fmt="%d", delimiter=",")
            formats = ("text", "json", "latex", "markdown") if n == max(sizes) else ("text",)
            for fmt in formats:
                commands[f"{n}×{n} {fmt}"] = [
                    EXE, "derive", "--image", str(path), "--kernel", "sobel-x", "--format", fmt
                ]  # fmt: skip
        medians = process_times(commands, rounds=args.rounds)
    floor = medians.pop("import sympy")
    print(f"  import sympy       {floor:>6.2f} s")
    for name, seconds in medians.items():
        print(f"  {name:<17}  {seconds:>6.2f} s   {seconds / floor:>5.1f}×", flush=True)


if __name__ == "__main__":
    main()
