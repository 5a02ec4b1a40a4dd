"""Renderings of a derivation: text, LaTeX, Markdown and JSON.

Printing is its own layer: it reads a :class:`~explainer.core.trace.Trace`, the sympy
derivations and the lesson's script, arranges them, and writes numbers through
:mod:`explainer.present.numbers` (ASCII minus, as sympy prints beside them). It computes
nothing: sums come from the trace, values from sympy (which
:func:`~explainer.proof.symbolic.verify` has matched), every sentence from the script.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from explainer.core.problem import Problem
from explainer.core.trace import Number, Step, Trace
from explainer.errors import ProblemError
from explainer.lessons.convolution import build_script
from explainer.lessons.script import Script
from explainer.outputs.formulas import (
    PRODUCT,
    latex,
    latex_rows,
    latex_size_line,
    linear,
    pretty,
    sized_axes,
)
from explainer.present.numbers import PLAIN, latex_operand, operand, restyle, text
from explainer.present.tex import latex_matrix, latex_text
from explainer.proof import symbolic
from explainer.proof.symbolic import PixelDerivation, split_sum

FORMATS = ("text", "latex", "markdown", "json")
MAX_PRINTED_SIDE = 32  # wider result matrices are summarized, not printed
FLIP_KEYS = (
    "filter.flip",
    "filter.symmetric",
    "notation.flip",
    "notation.symmetric",
    "notation.flip-effect",
)
"""The script's beats on the flip: whether the filter is rotated, whether that matters."""


@dataclass(frozen=True)
class Derivation:
    """Everything a printer needs: the trace, the sympy derivations of chosen pixels and
    the lesson's script (whose sentences the printers quote)."""

    trace: Trace
    pixels: tuple[PixelDerivation, ...]
    script: Script = field(repr=False)

    @property
    def problem(self) -> Problem:
        return self.trace.problem

    def steps(self) -> list[tuple[Step, PixelDerivation]]:
        return [(self.trace.step(*d.index), d) for d in self.pixels]


def derivation(
    trace: Trace,
    patches: Sequence[tuple[int, int]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    script: Script | None = None,
) -> Derivation:
    """Derive the chosen output pixels (all by default) of an exact trace."""
    problem = trace.problem
    if patches is None:
        pixels = symbolic.derive_all(problem, progress)
    else:
        for r, c in patches:
            trace.step(r, c)  # raises a clear error when outside the result
        pixels = tuple(symbolic.derive_pixel(problem, r, c) for r, c in patches)
    if script is None:
        script = build_script(problem, trace if trace.exact else None)
    return Derivation(trace, pixels, script)


def formula_note(script: Script) -> str:
    """What one output pixel is, in the script's own sentence (``notation.formula``)."""
    return " ".join(b.caption for b in script.beats() if b.key == "notation.formula")


def flip_note(script: Script) -> str:
    """Whether the filter is flipped and whether that matters, in the script's own
    sentences (its beats :data:`FLIP_KEYS`, in the script's order)."""
    return " ".join(b.caption for b in script.beats() if b.key in FLIP_KEYS)


def formula_notes(script: Script) -> list[str]:
    """:func:`formula_note` and :func:`flip_note`, each a line (ASCII minus, as printed)."""
    notes = (formula_note(script), flip_note(script))
    return [restyle(note, PLAIN) for note in notes if note]


def result_notes(script: Script) -> list[str]:
    """What the result shows, in the lesson script's own sentences (its ``result.*``
    beats): the derivation says nothing the script has not worded from the facts."""
    return [restyle(b.caption, PLAIN) for b in script.beats() if b.key.startswith("result.")]


def _grid_lines(
    rows: Sequence[Sequence[Number]], padded: Sequence[Sequence[bool]] | None = None
) -> list[str]:
    cells = [[text(v) for v in row] for row in rows]
    width = max(len(c) for row in cells for c in row)
    lines = []
    for r, row in enumerate(cells):
        parts = []
        for c, cell in enumerate(row):
            mark = "·" if padded is not None and padded[r][c] else " "
            parts.append(cell.rjust(width) + mark)
        lines.append(" ".join(parts).rstrip())
    return lines


def _side_by_side(blocks: Sequence[tuple[str, list[str]]], joiners: Sequence[str]) -> list[str]:
    widths = [max(len(title), *(len(line) for line in lines)) for title, lines in blocks]
    height = max(len(lines) for _, lines in blocks)
    middle = height // 2
    out = [
        "   ".join(title.ljust(wd) for (title, _), wd in zip(blocks, widths, strict=True)).rstrip()
    ]
    for r in range(height):
        parts = []
        for b, ((_, lines), wd) in enumerate(zip(blocks, widths, strict=True)):
            parts.append((lines[r] if r < len(lines) else "").ljust(wd))
            if b < len(joiners):
                parts.append(f" {joiners[b]} " if r == middle else "   ")
        out.append("".join(parts).rstrip())
    return out


def window_text(step: Step) -> str:
    """Where a pixel's window lies on the image, in words (ASCII minus)."""
    top, left, bottom, right = (text(v) for v in step.window)
    out = f"image rows {top}..{bottom}, columns {left}..{right}"
    if any(step.in_padding):
        out += f" ({sum(step.in_padding)} of {len(step.in_padding)} in the padding, marked ·)"
    return out


def _indent(block: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in block.splitlines())


def _size_lines(problem: Problem) -> list[str]:
    """The size formula with this problem's numbers, per axis, evaluated by sympy."""
    return [
        f"{a.name + ':':<9} floor(({a.size} + {a.before} + {a.after} - "
        f"{a.dilation}·({a.kernel}-1) - 1) / {a.stride}) + 1 = {value}"
        for a, value in sized_axes(problem)
    ]


def _sum_lines(lhs: str, expr: sp.Expr, per_line: int) -> list[str]:
    """``lhs = 1/9 · ( a + b + c`` / ``+ d + …)``: one line per kernel row, as on a board."""
    scale, body_terms = split_sum(expr)
    terms = [linear(t) for t in body_terms]
    head = f"  {lhs} = " + (f"{linear(scale)} {PRODUCT} ( " if scale is not None else "")
    pad = " " * (len(head) - 2)
    lines = []
    for start in range(0, len(terms), per_line):
        chunk = " + ".join(terms[start : start + per_line])
        lines.append((head if start == 0 else pad + "+ ") + chunk)
    if scale is not None:
        lines[-1] += " )"
    return lines


def render_text(der: Derivation) -> str:
    problem, trace = der.problem, der.trace
    out = ["Convolution: " + problem.describe(), ""]
    out += [
        "The formula for one output pixel:",
        "",
        _indent(pretty(symbolic.general_formula(problem)), "  "),
        "",
    ]
    out += [*formula_notes(der.script), ""]
    oh, ow = trace.output_shape
    out += [
        "The output size, on each axis:",
        "",
        _indent(pretty(symbolic.output_size_formula()), "  "),
        "",
    ]
    out += [f"  {line}" for line in _size_lines(problem)] + [""]
    for step, pix in der.steps():
        i0, j0 = step.index
        out.append(f"── y[{i0}, {j0}] ── window on {window_text(step)}")
        blocks = [
            ("patch x", _grid_lines(step.grid(step.patch), step.grid(step.in_padding))),
            ("kernel w", _grid_lines(step.grid(step.weights))),
            ("products x·w", _grid_lines(step.grid(step.products))),
        ]
        out += _indent("\n".join(_side_by_side(blocks, ["·", "="])), "  ").splitlines()
        out.append("")
        lhs = f"y[{i0}, {j0}]"
        out += _sum_lines(lhs, pix.expansion, step.kernel_shape[1])
        out += _sum_lines(" " * len(lhs), pix.substituted, step.kernel_shape[1])
        value = text(symbolic.from_sympy(pix.value))
        scale, _ = split_sum(pix.substituted)
        if scale is not None:  # the sum of products first, then the division
            sum_then_scale = f"{linear(scale)} {PRODUCT} {operand(step.total)}"
            out.append(f"  {' ' * len(lhs)} = {sum_then_scale} = {value}")
        else:
            out.append(f"  {' ' * len(lhs)} = {value}")
        out.append("")
    if max(oh, ow) <= MAX_PRINTED_SIDE:
        out += ["Result y (" + f"{oh}×{ow}):", ""]
        out += _indent("\n".join(_grid_lines(trace.output)), "  ").splitlines()
    else:
        out += [f"Result y ({oh}×{ow}): too large to print legibly; --format json has it all."]
    out += ["", *result_notes(der.script)]
    return "\n".join(out) + "\n"


def _latex_sum_step(step: Step, pix: PixelDerivation) -> str:
    """`` = 1/9 · 7``: the sum of products before the division (empty when none)."""
    scale, _ = split_sum(pix.substituted)
    if scale is None:
        return ""
    return rf" = {latex(scale)} \cdot {latex_operand(step.total)}"


def _latex_sum_rows(expr: sp.Expr, per_line: int) -> str:
    """A long sum broken after each kernel row, so that it fits the page."""
    scale, rows = latex_rows(expr, per_line)
    inner = r" \\ &\qquad + ".join(rows)
    if scale is None:
        return inner
    return rf"{scale} \cdot \bigl( {inner} \bigr)"


def _latex_step(step: Step, pix: PixelDerivation) -> str:
    i0, j0 = step.index
    lhs = rf"y_{{{i0},{j0}}}"
    per_line = step.kernel_shape[1]
    lines = [
        rf"{lhs} &= {_latex_sum_rows(pix.expansion, per_line)} \\",
        rf"&= {_latex_sum_rows(pix.substituted, per_line)} \\",
    ]
    scale, _ = split_sum(pix.substituted)
    if scale is not None:  # the sum of products first, then the division
        lines.append(rf"&= {latex(scale)} \cdot {latex_operand(step.total)} \\")
    lines.append(rf"&= {latex(pix.value)}")
    grids = (
        rf"{latex_matrix(step.grid(step.patch))} \cdot "
        rf"{latex_matrix(step.grid(step.weights))} = "
        rf"{latex_matrix(step.grid(step.products))}"
    )
    return (
        "\\begin{gather*}\n" + grids + "\n\\end{gather*}\n"
        "\\begin{align*}\n" + "\n".join(lines) + "\n\\end{align*}\n"
    )


def render_latex(der: Derivation) -> str:
    """A complete LaTeX document (amsmath only), ready for pdflatex."""
    problem, trace = der.problem, der.trace
    parts = [
        r"\documentclass{article}",
        r"\usepackage[margin=1.5cm,landscape]{geometry}",
        r"\usepackage{amsmath,amssymb}",
        r"\allowdisplaybreaks",
        r"\begin{document}",
        r"\section*{Convolution: " + latex_text(problem.describe()) + "}",
        r"\[ " + latex(symbolic.general_formula(problem)) + r" \]",
        latex_text(" ".join(formula_notes(der.script))),
    ]
    for step, pix in der.steps():
        i0, j0 = step.index
        parts.append(
            rf"\subsection*{{Output pixel $({i0}, {j0})$: "
            rf"{latex_text(window_text(step))}}}"
        )
        parts.append(_latex_step(step, pix))
    parts.append(r"\subsection*{Result}")
    if max(trace.output_shape) <= MAX_PRINTED_SIDE:
        parts.append(r"\[ y = " + latex_matrix(trace.output) + r" \]")
    else:
        parts.append(
            latex_text(
                f"The result is {trace.output_shape[0]}×{trace.output_shape[1]}: "
                "too large to typeset; use --format json."
            )
        )
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"


def _md_table(rows: Sequence[Sequence[Number]]) -> str:
    head = "| i \\ j | " + " | ".join(f"{c}" for c in range(len(rows[0]))) + " |"
    rule = "|---|" + "---:|" * len(rows[0])
    body = [f"| **{r}** | " + " | ".join(text(v) for v in row) + " |" for r, row in enumerate(rows)]
    return "\n".join([head, rule, *body])


def render_markdown(der: Derivation) -> str:
    problem, trace = der.problem, der.trace
    out = [
        f"# Convolution: {problem.describe()}",
        "",
        "$$" + latex(symbolic.general_formula(problem)) + "$$",
        "",
        " ".join(formula_notes(der.script)),
        "",
    ]
    for step, pix in der.steps():
        i0, j0 = step.index
        out += [
            f"## Output pixel ({i0}, {j0})",
            "",
            f"Window on {window_text(step)}.",
            "",
            "$$" + latex(sp.Eq(symbolic.y[i0, j0], pix.expansion, evaluate=False)) + "$$",
            "",
            "$$= "
            + latex(pix.substituted)
            + _latex_sum_step(step, pix)
            + " = "
            + latex(pix.value)
            + "$$",
            "",
        ]
    too_big = max(trace.output_shape) > MAX_PRINTED_SIDE
    table = "Too large to print; use --format json." if too_big else _md_table(trace.output)
    out += ["## Result", "", table, ""]
    return "\n".join(out)


def render_json(der: Derivation) -> str:
    problem, trace = der.problem, der.trace
    doc: dict[str, Any] = {
        "problem": {
            "image_shape": list(problem.image.shape),
            "kernel_shape": list(problem.kernel.shape),
            "stride": list(problem.stride),
            "padding": {
                "top": problem.padding[0],
                "bottom": problem.padding[1],
                "left": problem.padding[2],
                "right": problem.padding[3],
                "mode": problem.padding_mode,
            },
            "dilation": list(problem.dilation),
            "flip": problem.flip,
            "normalize": problem.normalize,
            "divisor": text(trace.divisor),
            "output_shape": list(trace.output_shape),
        },
        "formula": latex(symbolic.general_formula(problem)),
        "result": [[text(v) for v in row] for row in trace.output],
        "patches": [
            {
                "index": list(step.index),
                "positions": [list(pos) for pos in step.positions],
                "in_padding": list(step.in_padding),
                "patch": [text(v) for v in step.patch],
                "kernel": [text(v) for v in step.weights],
                "products": [text(v) for v in step.products],
                "sum": text(step.total),
                "value": text(symbolic.from_sympy(pix.value)),
                "latex": latex(pix.substituted),
            }
            for step, pix in der.steps()
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {
    "text": render_text,
    "latex": render_latex,
    "markdown": render_markdown,
    "json": render_json,
}


def render(der: Derivation, fmt_name: str = "text") -> str:
    """Render a derivation in one of :data:`FORMATS`."""
    try:
        renderer = RENDERERS[fmt_name]
    except KeyError:
        raise ProblemError(
            f"unknown format {fmt_name!r}; choose one of " + ", ".join(FORMATS)
        ) from None
    return renderer(der)


__all__ = [
    "FORMATS",
    "Derivation",
    "derivation",
    "flip_note",
    "formula_note",
    "formula_notes",
    "latex",
    "latex_rows",
    "latex_size_line",
    "pretty",
    "render",
    "result_notes",
    "sized_axes",
    "window_text",
]
