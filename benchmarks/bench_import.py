"""How long `import explainer` takes against `import numpy`, each in a fresh process.

Alternating rounds of `python -c "import numpy"`, `python -c "import explainer"` and, for
reference, `python -c "import sympy"` and the first use of a symbolic function (which
loads sympy then). Medians, and ratios to `import numpy`.

    .venv/bin/python benchmarks/bench_import.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import process_times  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    python = sys.executable
    medians = process_times(
        {
            "import numpy": [python, "-c", "import numpy"],
            "import explainer": [python, "-c", "import explainer"],
            "import sympy": [python, "-c", "import sympy"],
            "explainer.general_formula()": [
                python,
                "-c",
                "import explainer; explainer.general_formula()",
            ],  # fmt: skip
        },
        rounds=args.rounds,
    )
    floor = medians["import numpy"]
    for name, seconds in medians.items():
        print(f"{name:<30} {seconds * 1e3:>7.1f} ms   {seconds / floor:>5.2f}× import numpy")


if __name__ == "__main__":
    main()
