"""``explainer check --lesson layer``: every element of every layer proved, every claim checked.

For each layer: sympy derives every element (per-channel products and partial sums, the
bias, the activation) and every pooled element, and must equal the exact trace
(:func:`explainer.proof.layer.verify_layer`); the float64 engine must agree with the exact
values within rounding. Then the layer lesson's script is built and its claims verified by
:mod:`explainer.lessons.layer_verifier`: "174 of 174 values and 40 of 40 claims hold".
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from explainer.core.layer_trace import build_layer_trace
from explainer.core.stack import LayerStack
from explainer.lessons.layer import build_script
from explainer.lessons.script import verify_script
from explainer.lessons.verifier import ClaimReport
from explainer.proof.layer import LayerVerification, verify_layer

MAX_SHOWN = 10


@dataclass(frozen=True)
class LayerCheck:
    number: int
    description: str
    proof: LayerVerification
    float_error: float
    float_tolerance: float

    @property
    def ok(self) -> bool:
        return self.proof.ok and self.float_error <= self.float_tolerance

    @property
    def values(self) -> int:
        return self.proof.checked + self.proof.pooled

    @property
    def bad(self) -> int:
        return len({(m.stage, m.index) for m in self.proof.mismatches})


@dataclass(frozen=True)
class LayerCheckReport:
    stack: LayerStack
    layers: tuple[LayerCheck, ...]
    claims: ClaimReport

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.layers) and self.claims.ok

    def summary(self) -> str:
        total = sum(c.values for c in self.layers)
        bad = sum(c.bad if c.float_error <= c.float_tolerance else c.values for c in self.layers)
        return (
            f"{total - bad} of {total} values and {self.claims.held} of {self.claims.total} "
            "claims hold"
        )

    def text(self) -> str:
        lines = [f"Checking the layer lesson: {self.stack.describe()}"]
        for c in self.layers:
            p = c.proof
            bad = {m.index for m in p.mismatches if m.stage == "convolution"}
            bad_pooled = {m.index for m in p.mismatches if m.stage == "pooling"}
            lines.append(f"  layer {c.number}: {c.description}")
            lines.append(
                f"    sympy derivation = engine trace   {p.checked - len(bad)} of {p.checked} "
                "elements equal (per-channel products and partial sums, bias, activation)"
            )
            if p.pooled or bad_pooled:
                lines.append(
                    f"    sympy pooling = engine pooling    {p.pooled - len(bad_pooled)} of "
                    f"{p.pooled} pooled elements equal (window, value, the one kept)"
                )
            lines.append(
                f"    float64 engine ≈ exact values     largest difference {c.float_error:.3g} "
                f"(allowed {c.float_tolerance:.3g})"
            )
            for m in p.mismatches[:MAX_SHOWN]:
                lines.append(f"    MISMATCH {m}")
        lines.append(f"  claims of the layer lesson's script  {self.claims.summary}")
        for r in self.claims.failures[:MAX_SHOWN]:
            lines.append(f"    FALSE {r}")
        verdict = "OK" if self.ok else "FAILED"
        lines.append(f"{verdict}: {self.summary()}")
        return "\n".join(lines) + "\n"


def _float_error(layer, trace) -> tuple[float, float]:
    exact = np.array([float(Fraction(v)) for v in np.ravel(trace.output)], dtype=np.float64)
    floats = np.ravel(layer.compute(exact=False).output).astype(np.float64)
    scale = max(float(np.max(np.abs(exact), initial=0.0)), 1.0)
    tolerance = 1e-12 * scale * max(int(layer.weight[0].size), 1)
    return float(np.max(np.abs(floats - exact), initial=0.0)), tolerance


def check_stack(stack: LayerStack) -> LayerCheckReport:
    """Prove every element of every layer and verify every claim of the script."""
    layers = []
    for k, layer in enumerate(stack.layers, start=1):
        trace = build_layer_trace(layer, exact=True)
        error, tolerance = _float_error(layer, trace)
        layers.append(LayerCheck(k, layer.describe(), verify_layer(trace), error, tolerance))
    script = build_script(stack, verify=False)
    return LayerCheckReport(stack, tuple(layers), verify_script(script, strict=False))
