"""``explainer check``: three independent computations of every pixel must agree.

1. sympy derives each pixel from the general formula (its own indexing and padding);
2. the trace records each window, product and sum (the engine's windows);
3. the vectorized engine computes the whole map, exactly and in float64 (float64 even
   for a float32 image, whose own result would be rounded to float32).

The first two must match product by product and the exact engine value by value, by
exact equality; float64 must be within rounding of the exact values. Then every claim
of the lesson's script is checked by the independent claim verifier: "49 of 49 values
and 71 of 71 claims hold".
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from explainer.core.engine import compute
from explainer.core.problem import Problem
from explainer.core.trace import build_trace
from explainer.lessons.convolution import build_script
from explainer.lessons.script import verify_script
from explainer.lessons.verifier import ClaimReport
from explainer.present.numbers import text
from explainer.proof.symbolic import Mismatch, Verification, derive_all, verify

MAX_SHOWN = 10


@dataclass(frozen=True)
class CheckReport:
    problem: Problem
    sympy_vs_trace: Verification
    engine_mismatches: tuple[tuple[int, int], ...]
    float_error: float
    float_tolerance: float
    claims: ClaimReport | None = None
    """The script's claims, verified (None when the script was not built)."""

    @property
    def values_ok(self) -> bool:
        return (
            self.sympy_vs_trace.ok
            and not self.engine_mismatches
            and self.float_error <= self.float_tolerance
        )

    @property
    def ok(self) -> bool:
        return self.values_ok and (self.claims is None or self.claims.ok)

    def summary(self) -> str:
        """'49 of 49 values and 71 of 71 claims hold'."""
        total = self.sympy_vs_trace.checked
        bad = {m.index for m in self.sympy_vs_trace.mismatches} | set(self.engine_mismatches)
        if self.float_error > self.float_tolerance:
            bad = set(range(total)) if not bad else bad
        line = f"{total - len(bad)} of {total} value{'s' if total != 1 else ''}"
        if self.claims is not None:
            line += f" and {self.claims.held} of {self.claims.total} claims"
        return line + " hold"

    def text(self) -> str:
        total = self.sympy_vs_trace.checked
        bad = {m.index for m in self.sympy_vs_trace.mismatches}
        lines = [
            f"Checking {total} patch{'es' if total != 1 else ''}: {self.problem.describe()}",
            f"  sympy derivation = engine trace     {total - len(bad)} of {total} equal "
            "(windows, products and values, exactly)",
            f"  engine trace = vectorized engine    "
            f"{total - len(self.engine_mismatches)} of {total} equal (exactly)",
            f"  float64 engine ≈ exact values       largest difference "
            f"{self.float_error:.3g} (allowed {self.float_tolerance:.3g})",
        ]
        for m in self.sympy_vs_trace.mismatches[:MAX_SHOWN]:
            lines.append(_describe(m))
        if len(self.sympy_vs_trace.mismatches) > MAX_SHOWN:
            lines.append(f"  … and {len(self.sympy_vs_trace.mismatches) - MAX_SHOWN} more")
        for idx in self.engine_mismatches[:MAX_SHOWN]:
            lines.append(
                f"  MISMATCH y[{idx[0]}, {idx[1]}]: the vectorized engine differs from the trace"
            )
        if self.claims is not None:
            lines.append(
                f"  script's claims = plain loops      {self.claims.summary} "
                "(every sentence's claims, by the independent verifier)"
            )
            for r in self.claims.failures[:MAX_SHOWN]:
                lines.append(f"  FALSE {r}")
        if self.values_ok:
            agree = (
                "The one patch agrees" if total == 1 else f"All {total} of {total} patches agree"
            )
            lines.append(
                f"{agree}: sympy's derivation, the traced engine and the vectorized engine give "
                "the same exact values, and float64 agrees within rounding."
            )
        else:
            lines.append(
                f"FAILED: {len(bad | set(self.engine_mismatches))} of {total} patches disagree."
            )
        lines.append(self.summary() + ("." if self.ok else ": FAILED."))
        return "\n".join(lines) + "\n"


def _describe(m: Mismatch) -> str:
    def show(v: object) -> str:
        if isinstance(v, tuple):
            return "(" + ", ".join(show(x) for x in v) + ")"
        return text(v) if isinstance(v, (int, float, Fraction)) else str(v)

    return (
        f"  MISMATCH y[{m.index[0]}, {m.index[1]}] {m.what}: engine {show(m.engine)}, "
        f"sympy {show(m.sympy)}"
    )


def check_problem(problem: Problem, progress=None) -> CheckReport:
    trace = build_trace(problem, exact=True)
    verification = verify(trace, derive_all(problem, progress))
    exact = compute(problem, exact=True)
    engine_bad = tuple(step.index for step in trace.steps if exact[step.index] != step.value)
    as_float = np.vectorize(float, otypes=[np.float64])(exact)
    approx = compute(problem, exact=False, dtype=np.float64)  # float32 input too
    error = float(np.max(np.abs(approx - as_float)))
    scale = float(np.max(np.abs(as_float))) if as_float.size else 0.0
    # Each pixel adds k·l products; float64 rounding grows with that count and the scale.
    taps = problem.kernel.size
    tolerance = 8 * taps * np.finfo(np.float64).eps * max(scale, _magnitude(problem))
    script = build_script(problem, trace, verify=False)
    claims = verify_script(script, strict=False)
    return CheckReport(problem, verification, engine_bad, error, tolerance, claims)


def _magnitude(problem: Problem) -> float:
    """The size of the largest product, which bounds each term's rounding error."""
    img = np.vectorize(float, otypes=[np.float64])(problem.image)
    ker = np.vectorize(float, otypes=[np.float64])(problem.kernel)
    return float(np.max(np.abs(img)) * np.max(np.abs(ker)))
