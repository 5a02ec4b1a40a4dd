"""``explainer derive --lesson backward|transposed``: one gradient element derived by sympy.

Backward: ∂L/∂w[m, n] for L = ½ Σ (y − t)², sympy's derivative term by term, each term's
numbers and the sum. Transposed: one output pixel of the transposed convolution, derived as
sympy's ∂/∂z[r, q] of ⟨conv2d(z, k), input⟩, term by term. Built once as data
(:class:`GradientDoc`) and rendered as text, Markdown, LaTeX or JSON; every number comes
from :mod:`explainer.proof.backward`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from explainer.backward_request import BackwardProblem, TransposedProblem
from explainer.core.backward import conv2d_backward, conv_transpose2d, transposed_overlap
from explainer.core.conv import conv2d
from explainer.core.transposed import transposed_layout
from explainer.errors import ProblemError
from explainer.proof.backward import BackwardDerivation
from explainer.proof.symbolic import from_sympy

FORMATS = ("text", "latex", "markdown", "json")


def _exact(v: Any) -> str:
    q = Fraction(from_sympy(v)) if isinstance(v, sp.Basic) else Fraction(v)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


@dataclass
class GradientDoc:
    lesson: str
    description: str
    loss: str
    element: str
    derivative: str
    derivative_latex: str
    terms: list[dict[str, str]] = field(default_factory=list)
    """Per term: {"symbols", "factors", "product"}."""
    value: str = "0"
    engine: str = "0"


def _terms(derivative: sp.Expr, numbers: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for term in sorted(sp.Add.make_args(derivative), key=sp.default_sort_key):
        if term == 0:
            continue
        factors = [f for f in term.args if isinstance(f, sp.Indexed)]
        values = [numbers[str(f)] for f in factors]
        product = sp.Integer(1)
        for v in values:
            product *= sp.Rational(v)
        out.append(
            {
                "symbols": "·".join(str(f) for f in factors),
                "factors": " · ".join(_exact(v) for v in values),
                "product": _exact(product),
            }
        )
    return out


def backward_doc(
    p: BackwardProblem, at: tuple[int, int] | None = None, of: str = "weight"
) -> GradientDoc:
    """∂L/∂w[at] (default: the weight of largest |gradient|, the lesson's), or with ``of``
    "image" ∂L/∂x[at] (default: the pixel of largest |gradient|)."""
    x = np.array(p.image, dtype=object)
    w = np.array(p.weight, dtype=object)
    opts = dict(stride=p.stride, padding=p.padding, dilation=p.dilation)
    y = conv2d(x, w, **opts)
    e = np.array(y, dtype=object) - np.array(p.target, dtype=object)
    layer = BackwardDerivation(x, w, e, **opts)
    gx, gw, _ = conv2d_backward(x, w, e, **opts)
    grad, name, what = (gw, "w", "filter") if of == "weight" else (gx, "x", "image")
    if at is None:
        top = max(abs(v) for v in grad.ravel())
        at = next(tuple(int(v) for v in i) for i, v in np.ndenumerate(grad) if abs(v) == top)
    if not (0 <= at[0] < grad.shape[0] and 0 <= at[1] < grad.shape[1]):
        raise ProblemError(f"--at {at[0]},{at[1]}: the {what} is {grad.shape[0]}×{grad.shape[1]}")
    d = layer.weight(*at) if of == "weight" else layer.input(*at)
    numbers = {f"x[{r}, {q}]": v for (r, q), v in np.ndenumerate(x)}
    numbers |= {f"w[{m}, {n}]": v for (m, n), v in np.ndenumerate(w)}
    numbers |= {f"g[{i}, {j}]": v for (i, j), v in np.ndenumerate(e)}
    return GradientDoc(
        "backward",
        p.describe(),
        "L = 1/2 Σ (y[i, j] − t[i, j])², so ∂L/∂y = e = y − t (g below)",
        f"∂L/∂{name}[{at[0]}, {at[1]}]",
        sp.sstr(d.derivative, order="none"),
        sp.latex(d.derivative, order="none"),
        _terms(d.derivative, numbers),
        _exact(d.value),
        _exact(grad[at]),
    )


def transposed_doc(p: TransposedProblem, at: tuple[int, int] | None = None) -> GradientDoc:
    """Output pixel ``at`` (default: the one the most stamps land on) as sympy's derivative
    of ⟨conv2d(z, kernel), input⟩ with respect to z[at]."""
    opts = dict(stride=p.stride, padding=p.padding, output_padding=p.output_padding,
                dilation=p.dilation)  # fmt: skip
    a = np.array(p.input, dtype=object)
    k = np.array(p.kernel, dtype=object)
    opt = transposed_layout(a, k, **opts)
    _, oh, ow = opt.out_shape
    ch, cw = opt.geometry.output_shape
    error = np.zeros((ch, cw), dtype=object)
    error[: a.shape[0], : a.shape[1]] = a
    layer = BackwardDerivation(np.zeros((oh, ow), np.int64), k, error, stride=p.stride,
                               padding=p.padding, dilation=p.dilation)  # fmt: skip
    out = conv_transpose2d(a, k, **opts)
    if at is None:
        counts = transposed_overlap(a.shape, k.shape, **opts)
        at = tuple(int(v) for v in np.unravel_index(int(np.argmax(counts)), counts.shape))
    if not (0 <= at[0] < oh and 0 <= at[1] < ow):
        raise ProblemError(f"--at {at[0]},{at[1]}: the output is {oh}×{ow}")
    d = layer.input(*at)
    numbers = {f"w[{m}, {n}]": v for (m, n), v in np.ndenumerate(k)}
    numbers |= {f"g[{i}, {j}]": v for (i, j), v in np.ndenumerate(error)}
    return GradientDoc(
        "transposed",
        p.describe(),
        "output = ∂/∂z ⟨conv2d(z, w), g⟩, g = the small input (zeros beyond it)",
        f"output[{at[0]}, {at[1]}]",
        sp.sstr(d.derivative, order="none"),
        sp.latex(d.derivative, order="none"),
        _terms(d.derivative, numbers),
        _exact(d.value),
        _exact(out[at]),
    )


def _lines(doc: GradientDoc, q: str = "") -> list[str]:
    out = [f"The {doc.lesson} lesson: {doc.description}", "", f"loss: {q}{doc.loss}{q}", ""]
    out.append(f"{doc.element} = {q}{doc.derivative}{q}")
    out.append(f"  {len(doc.terms)} term{'s' * (len(doc.terms) != 1)}:")
    for t in doc.terms:
        out.append(f"    {q}{t['symbols']}{q} = {t['factors']} = {t['product']}")
    out.append(f"  sum: {doc.value}")
    out.append(
        f"  the engine: {doc.engine} ({'equal' if doc.engine == doc.value else 'DIFFERENT'})"
    )
    return out


def render_gradient(doc: GradientDoc, fmt_name: str = "text") -> str:
    if fmt_name == "text":
        return "\n".join(_lines(doc)) + "\n"
    if fmt_name == "markdown":
        body = _lines(doc, "`")
        items = ["  " * ((len(x) - len(x.lstrip())) // 2) + "- " + x.strip() if x.strip() else ""
                 for x in body[1:]]  # fmt: skip
        return f"# {body[0]}\n\n" + "\n".join(items) + "\n"
    if fmt_name == "json":
        data = dict(doc.__dict__)
        data.pop("derivative_latex")
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt_name == "latex":
        return _latex(doc)
    raise ProblemError(f"unknown format {fmt_name!r}; choose one of {', '.join(FORMATS)}")


def _factor(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def _latex(doc: GradientDoc) -> str:
    """A complete document: the derivative four terms a line, then each term's numbers."""
    dot = r" \cdot "
    terms = [t["symbols"].replace("·", dot) for t in doc.terms]
    lines = [" + ".join(terms[k : k + 4]) for k in range(0, len(terms), 4)] or ["0"]
    element = doc.element.replace("∂L/∂w", r"\frac{\partial L}{\partial w}")
    element = element.replace("∂L/∂x", r"\frac{\partial L}{\partial x}")
    body = [rf"{element} &= {lines[0]}"] + [rf"&\quad + {line}" for line in lines[1:]]
    body.append(rf"&= {doc.value}")
    rows = [
        t["symbols"].replace("·", dot)
        + " &= "
        + dot.join(_factor(v) for v in t["factors"].split(" · "))
        + rf" = {t['product']}"
        for t in doc.terms
    ]
    return (
        "\n".join(
            [
                r"\documentclass{article}",
                r"\usepackage{amsmath}",
                r"\begin{document}",
                rf"\section*{{The {doc.lesson} lesson}}",
                doc.description.replace("×", r"$\times$"),
                "",
                doc.loss.replace("Σ", r"$\sum$")
                .replace("²", r"$^2$")
                .replace("∂", r"$\partial$")
                .replace("⟨", r"$\langle$")
                .replace("⟩", r"$\rangle$")
                .replace("−", "-"),
                r"\begin{align*}",
                " \\\\\n".join(body),
                r"\end{align*}",
                r"\begin{align*}",
                " \\\\\n".join(rows),
                r"\end{align*}",
                rf"The engine gives {doc.engine}.",
                r"\end{document}",
            ]
        )
        + "\n"
    )
