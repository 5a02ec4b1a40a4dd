"""``explainer check --lesson backward|transposed``: every gradient element proved, every
claim checked.

Backward: sympy differentiates the forward sums and every element of ∂L/∂w, ∂L/∂x and
∂L/∂b must equal the engine's (:func:`explainer.proof.backward.verify_backward`), with the
error map e = y − t as ∂L/∂y. Transposed: sympy's derivative and the three views must
equal the engine element by element (:func:`explainer.proof.backward.verify_transposed`),
and the adjoint identity ⟨conv2d(z, k), a⟩ = ⟨z, conv_transpose2d(a, k)⟩ must hold for a
fixed z. Then the lesson's script is built and its claims verified independently.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from explainer.backward_request import BackwardProblem, TransposedProblem
from explainer.core.backward import conv_transpose2d
from explainer.core.conv import conv2d
from explainer.lessons import lesson
from explainer.lessons.script import verify_script
from explainer.lessons.verifier import ClaimReport
from explainer.proof.backward import BackwardVerification, verify_backward, verify_transposed

MAX_SHOWN = 10


@dataclass(frozen=True)
class GradientCheckReport:
    name: str
    description: str
    proof: BackwardVerification
    claims: ClaimReport
    adjoint: tuple[Fraction, Fraction] | None = None

    @property
    def ok(self) -> bool:
        adjoint = self.adjoint is None or self.adjoint[0] == self.adjoint[1]
        return self.proof.ok and self.claims.ok and adjoint

    def text(self) -> str:
        p = self.proof
        what = (
            "gradient elements equal (∂L/∂w, ∂L/∂x, ∂L/∂b)"
            if self.name == "backward"
            else "output pixels equal, by sympy and by each of the three views"
        )
        lines = [f"Checking the {self.name} lesson: {self.description}"]
        lines.append(f"  sympy = engine   {p.checked - len(p.mismatches)} of {p.checked} {what}")
        for m in p.mismatches[:MAX_SHOWN]:
            lines.append(f"    MISMATCH {m}")
        if self.adjoint is not None:
            left, right = self.adjoint
            verdict = "holds" if left == right else "FAILS"
            lines.append(
                f"  adjoint identity ⟨conv2d(z, k), input⟩ = ⟨z, transposed⟩: "
                f"{left} = {right}, {verdict}"
            )
        lines.append(f"  claims of the {self.name} lesson's script  {self.claims.summary}")
        for r in self.claims.failures[:MAX_SHOWN]:
            lines.append(f"    FALSE {r}")
        verdict = "OK" if self.ok else "FAILED"
        lines.append(
            f"{verdict}: {p.checked - len(p.mismatches)} of {p.checked} values and "
            f"{self.claims.held} of {self.claims.total} claims hold"
        )
        return "\n".join(lines) + "\n"


def check_backward(p: BackwardProblem) -> GradientCheckReport:
    x = np.array(p.image, dtype=object)
    w = np.array(p.weight, dtype=object)
    opts = dict(stride=p.stride, padding=p.padding, dilation=p.dilation)
    e = np.array(conv2d(x, w, **opts), dtype=object) - np.array(p.target, dtype=object)
    proof = verify_backward(x, w, e, **opts)
    script = lesson("backward").build_script(p, verify=False)
    return GradientCheckReport("backward", p.describe(), proof, verify_script(script, strict=False))


def check_transposed(p: TransposedProblem) -> GradientCheckReport:
    a = np.array(p.input, dtype=object)
    k = np.array(p.kernel, dtype=object)
    opts = dict(stride=p.stride, padding=p.padding, dilation=p.dilation)
    proof = verify_transposed(a, k, output_padding=p.output_padding, **opts)
    out = conv_transpose2d(a, k, output_padding=p.output_padding, **opts)
    # A fixed z of the output's shape: small integers from a seeded generator.
    z = np.random.default_rng(20).integers(-3, 4, size=out.shape).astype(object)
    forward = np.array(conv2d(z, k, **opts), dtype=object)
    padded = np.zeros(forward.shape, dtype=object)
    padded[: a.shape[0], : a.shape[1]] = a
    left = Fraction(sum(forward.ravel() * padded.ravel()))
    right = Fraction(sum(z.ravel() * np.array(out, dtype=object).ravel()))
    script = lesson("transposed").build_script(p, verify=False)
    claims = verify_script(script, strict=False)
    return GradientCheckReport("transposed", p.describe(), proof, claims, (left, right))
