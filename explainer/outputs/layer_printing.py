"""``explainer derive --lesson layer``: one element of a layer, derived in full by sympy.

The derivation is built once as data (:class:`LayerDerivationDoc`: the formula, then per
activation element each channel's patch, weights, products and partial sum, the bias, the
pre-activation and the activation, then the pooling) and rendered as text, Markdown,
LaTeX or JSON. Every number comes from :mod:`explainer.proof.layer`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp

from explainer.core.stack import LayerStack
from explainer.errors import ProblemError
from explainer.proof.layer import derive_layer_element, derive_pooled_element, layer_formula
from explainer.proof.symbolic import from_sympy

FORMATS = ("text", "latex", "markdown", "json")


def _exact(v: Any) -> str:
    q = Fraction(from_sympy(v)) if isinstance(v, sp.Basic) else Fraction(v)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


@dataclass
class ElementPart:
    """One element of a layer's maps, channel by channel."""

    index: tuple[int, int, int]
    channels: list[dict[str, Any]] = field(default_factory=list)
    """Per channel: {"channel", "patch", "weights", "products", "partial_sum"} (exact strings)."""
    total: str = "0"
    bias: str | None = None
    pre_activation: str = "0"
    activation: str | None = None
    substituted: str = ""
    substituted_latex: str = ""


@dataclass
class LayerDerivationDoc:
    layer: int
    description: str
    formula: str
    formula_latex: str
    elements: list[ElementPart]
    pooled: dict[str, Any] | None = None
    """{"index", "mode", "positions", "values", "value", "kept" or "divisor"}."""


def _element(layer, index: tuple[int, int, int]) -> ElementPart:
    d = derive_layer_element(layer, *index)
    kh, kw = layer.kernel_shape
    o = index[0]
    part = ElementPart(index)
    for k, ch in enumerate(d.channels):
        weights = layer.applied_weight[o, k].ravel().tolist()
        patch = [
            _exact(sp.Rational(p) / sp.Rational(w)) if w != 0 else "·"
            for p, w in zip(d.products[k], weights, strict=True)
        ]
        part.channels.append(
            {
                "channel": ch,
                "patch": patch if all(w != 0 for w in weights) else None,
                "weights": [
                    _exact(Fraction(w)) if not isinstance(w, float) else repr(w) for w in weights
                ],  # fmt: skip
                "products": [_exact(v) for v in d.products[k]],
                "partial_sum": _exact(d.partial_sums[k]),
            }
        )
    del kh, kw
    part.total = _exact(sum(d.partial_sums, sp.Integer(0)))
    part.bias = _exact(d.bias) if layer.bias is not None else None
    part.pre_activation = _exact(d.pre_activation)
    part.activation = _exact(d.activation) if layer.activation else None
    part.substituted = sp.sstr(d.substituted, order="none")
    part.substituted_latex = sp.latex(d.substituted, order="none")
    return part


def layer_derivation(
    stack: LayerStack, number: int | None = None, index: tuple[int, int, int] | None = None
) -> LayerDerivationDoc:
    """The derivation of one element of layer ``number`` (default 1): a pooled element when
    the layer pools (with every activation in its window), else an element of its maps."""
    number = 1 if number is None else number
    if not 1 <= number <= len(stack.layers):
        raise ProblemError(f"--layer {number}: the stack has layers 1 to {len(stack.layers)}")
    layer = stack.layers[number - 1]
    index = (0, 0, 0) if index is None else index
    formula = layer_formula(layer)
    doc = LayerDerivationDoc(
        number,
        layer.describe(),
        sp.sstr(formula, order="none"),
        sp.latex(formula, order="none"),
        [],
    )
    if layer.pool is None:
        doc.elements.append(_element(layer, index))
        return doc
    p = derive_pooled_element(layer, *index)
    c = index[0]
    doc.elements = [_element(layer, (c, r, q)) for r, q in p.positions]
    values = [e.activation or e.pre_activation for e in doc.elements]
    doc.pooled = {
        "index": list(index),
        "mode": layer.pool.mode,
        "positions": [list(pos) for pos in p.positions],
        "values": values,
        "value": _exact(p.value),
    }
    if p.chosen is not None:
        doc.pooled["kept"] = list(p.positions[p.chosen])
    else:
        doc.pooled["divisor"] = p.divisor
    return doc


# ----- rendering ------------------------------------------------------------------------------


def _lines(doc: LayerDerivationDoc, code: str = "") -> list[str]:
    """Text lines (Markdown wraps the formulas in backticks: ``code``)."""
    q = code
    out = [f"Layer {doc.layer}: {doc.description}", "", f"formula: {q}{doc.formula}{q}", ""]
    for e in doc.elements:
        out.append(f"element {tuple(e.index)}:")
        for ch in e.channels:
            if ch["patch"] is not None:
                out.append(f"  channel {ch['channel']}: patch {q}{' '.join(ch['patch'])}{q}")
                out.append(f"    weights {q}{' '.join(ch['weights'])}{q}")
            else:
                out.append(f"  channel {ch['channel']}: weights {q}{' '.join(ch['weights'])}{q}")
            out.append(f"    products {q}{' '.join(ch['products'])}{q}")
            out.append(f"    partial sum {ch['partial_sum']}")
        out.append(f"  with numbers: {q}{e.substituted}{q}")
        out.append(f"  sum of the partial sums: {e.total}")
        if e.bias is not None:
            out.append(f"  plus the bias {e.bias}: pre-activation {e.pre_activation}")
        else:
            out.append(f"  pre-activation {e.pre_activation}")
        if e.activation is not None:
            out.append(f"  ReLU: max({e.pre_activation}, 0) = {e.activation}")
        out.append("")
    if doc.pooled is not None:
        p = doc.pooled
        shown = ", ".join(p["values"])
        if p["mode"] == "max":
            kept = tuple(p["kept"])
            out.append(
                f"pooled element {tuple(p['index'])}: max({shown}) = {p['value']}, "
                f"kept from {kept} (the first largest, row-major)"
            )
        else:
            out.append(
                f"pooled element {tuple(p['index'])}: ({shown}) / {p['divisor']} = {p['value']}"
            )
    return out


def render_layer(doc: LayerDerivationDoc, fmt_name: str = "text") -> str:
    if fmt_name == "text":
        return "\n".join(_lines(doc)) + "\n"
    if fmt_name == "markdown":
        body = _lines(doc, "`")
        items = [_markdown_item(line) for line in body[1:]]
        return f"# {body[0]}\n\n" + "\n".join(items) + "\n"
    if fmt_name == "json":
        return (
            json.dumps(
                {
                    "layer": doc.layer,
                    "description": doc.description,
                    "formula": doc.formula,
                    "elements": [e.__dict__ | {"index": list(e.index)} for e in doc.elements],
                    "pooled": doc.pooled,
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    if fmt_name == "latex":
        return _latex(doc)
    raise ProblemError(f"unknown format {fmt_name!r}; choose one of {', '.join(FORMATS)}")


def _markdown_item(line: str) -> str:
    """A text line as a Markdown list item, nested as the text indents it."""
    if not line.strip():
        return ""
    depth = (len(line) - len(line.lstrip())) // 2
    return "  " * depth + "- " + line.strip()


def _tex(text: str) -> str:
    return text.replace("×", r"$\times$").replace("→", r"$\to$").replace("_", r"\_")


def _latex(doc: LayerDerivationDoc) -> str:
    out = [
        r"\documentclass{article}",
        r"\usepackage{amsmath}",
        r"\usepackage[utf8]{inputenc}",
        r"\begin{document}",
        rf"\section*{{Layer {doc.layer}}}",
        _tex(doc.description),
        rf"\[ {doc.formula_latex} \]",
    ]
    for e in doc.elements:
        out.append(rf"\subsection*{{Element $({', '.join(map(str, e.index))})$}}")
        out.append(r"\begin{align*}")
        rows = []
        for ch in e.channels:
            rows.append(rf"\text{{channel {ch['channel']}}} &: {' + '.join(ch['products'])}"
                        rf" = {ch['partial_sum']}")  # fmt: skip
        rows.append(rf"y &= {e.substituted_latex} = {e.pre_activation}")
        if e.activation is not None:
            rows.append(rf"a &= \max({e.pre_activation}, 0) = {e.activation}")
        out.append(" \\\\\n".join(rows).replace("+ -", "- "))
        out.append(r"\end{align*}")
    if doc.pooled is not None:
        p = doc.pooled
        values = ", ".join(p["values"])
        if p["mode"] == "max":
            out.append(rf"\[ q = \max({values}) = {p['value']} \]")
        else:
            out.append(rf"\[ q = \frac{{1}}{{{p['divisor']}}}({' + '.join(p['values'])}) "
                       rf"= {p['value']} \]")  # fmt: skip
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"
