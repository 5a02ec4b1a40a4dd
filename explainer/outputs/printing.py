"""Renderings of a derivation: text, LaTeX, Markdown and JSON.

Printing is its own layer: it reads a :class:`~explainer.core.trace.Trace` and the sympy
derivations, arranges them, and formats numbers. It computes nothing: sums come from the
trace, values from sympy (which :func:`~explainer.proof.symbolic.verify` has matched).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from explainer.core.problem import Problem
from explainer.core.trace import Number, Step, Trace
from explainer.errors import ProblemError
from explainer.lessons.convolution import build_script
from explainer.lessons.convolution.facts import AxisSize, axis_sizes
from explainer.proof import symbolic
from explainer.proof.symbolic import PixelDerivation, split_sum

FORMATS = ("text", "latex", "markdown", "json")
MAX_PRINTED_SIDE = 32  # wider result matrices are summarized, not printed


class _Memo:
    """A printer mix-in that prints each distinct piece a derivation repeats only once.

    A derivation's tens of thousands of terms are made of a few hundred distinct pieces
    (the symbols ``x[r, c]`` and ``w[m, n]``, the pairs of numbers), and sympy prints a
    piece the same way wherever it stands: the parent adds any parentheses.
    """

    _MEMO_TYPES = (sp.Indexed, sp.Rational, symbolic.Times)
    _MEMO_SIZE = 100_000

    def _print(self, expr: Any, **kwargs: Any) -> str:
        if kwargs or not isinstance(expr, self._MEMO_TYPES):
            return super()._print(expr, **kwargs)  # type: ignore[misc]
        memo = self.__dict__.setdefault("_memo", {})
        text = memo.get(expr)
        if text is None:
            if len(memo) >= self._MEMO_SIZE:
                memo.clear()
            text = memo[expr] = super()._print(expr)  # type: ignore[misc]
        return text


class _NestedSumLatexPrinter(_Memo, LatexPrinter):
    """sympy's LaTeX, but a double sum prints as two nested sums (as in a lecture)."""

    def _print_Sum(self, expr: sp.Sum) -> str:
        tex = ""
        for var, low, high in reversed(expr.limits):
            tex += rf"\sum_{{{self._print(var)}={self._print(low)}}}^{{{self._print(high)}}} "
        term = expr.function
        body = self._print(term)
        if term.is_Add:
            body = rf"\left({body}\right)"
        return tex + body


def latex(expr: sp.Basic, *, break_long_fractions: bool = True) -> str:
    """LaTeX of a formula, keeping the order the derivation wrote its terms in.

    Long fractions print as (1/9)·(…) unless ``break_long_fractions`` is False.
    """
    return _LATEX[break_long_fractions].doprint(expr)


# One printer per setting, reused (and so its memo): making one per term costs as much as
# printing the term.
# Word subscripts upright, as in print: p_before, not p times b times e times f…
_NAMES = {
    symbolic.size_in: r"n_{\text{in}}",
    symbolic.size_out: r"n_{\text{out}}",
    symbolic.pad_before: r"p_{\text{before}}",
    symbolic.pad_after: r"p_{\text{after}}",
}
_LATEX = {
    False: _NestedSumLatexPrinter({"order": "none", "symbol_names": _NAMES}),
    True: _NestedSumLatexPrinter({"order": "none", "long_frac_ratio": 2, "symbol_names": _NAMES}),
}


class _LinearPrinter(_Memo, StrPrinter):
    """sympy's ``sstr`` with the derivation's term order, for one-line formulas."""


_LINEAR = _LinearPrinter({"order": "none"})


def pretty(expr: sp.Basic) -> str:
    """Unicode pretty print of a formula, unwrapped, in the derivation's term order."""
    return sp.pretty(expr, use_unicode=True, order="none", wrap_line=False).replace("⋅", PRODUCT)


def fmt(v: Number) -> str:
    """A number as a learner writes it: 7/9, -1, 0.25."""
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    if isinstance(v, float):
        return repr(v) if v != int(v) else str(int(v)) if abs(v) < 1e15 else repr(v)
    return str(v)


@dataclass(frozen=True)
class Derivation:
    """Everything a printer needs: the trace and the sympy derivations of chosen pixels."""

    trace: Trace
    pixels: tuple[PixelDerivation, ...]

    @property
    def problem(self) -> Problem:
        return self.trace.problem

    def steps(self) -> list[tuple[Step, PixelDerivation]]:
        return [(self.trace.step(*d.index), d) for d in self.pixels]


def derivation(
    trace: Trace,
    patches: Sequence[tuple[int, int]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Derivation:
    """Derive the chosen output pixels (all by default) of an exact trace."""
    problem = trace.problem
    if patches is None:
        pixels = symbolic.derive_all(problem, progress)
    else:
        for r, c in patches:
            trace.step(r, c)  # raises a clear error when outside the result
        pixels = tuple(symbolic.derive_pixel(problem, r, c) for r, c in patches)
    return Derivation(trace, pixels)


def _flip_note(problem: Problem) -> str:
    kernel = problem.kernel
    symmetric = bool((kernel == kernel[::-1, ::-1]).all())
    if problem.flip:
        note = (
            "True convolution: the kernel is rotated by 180° before it slides, so "
            "w[m, n] is read as w[k-1-m, l-1-n]."
        )
        if symmetric:
            note += " This kernel is symmetric under that rotation, so nothing changes."
        return note
    note = (
        "The kernel is not flipped: this is cross-correlation, what deep-learning "
        "libraries call convolution."
    )
    if symmetric:
        note += (
            " This kernel is symmetric under a 180° rotation, so true convolution "
            "(with the flip) gives the same result."
        )
    else:
        note += " True convolution (--flip) would rotate the kernel by 180° first."
    return note


def _divisor_note(problem: Problem, trace: Trace) -> str:
    if problem.normalize == "area":
        return (
            f"Each sum of products is divided by the kernel's area, "
            f"{fmt(trace.divisor)}: the average product."
        )
    if problem.normalize == "sum":
        return f"Each sum of products is divided by the kernel's sum, {fmt(trace.divisor)}."
    return "Each output pixel is the plain sum of the products."


def _grid_lines(
    rows: Sequence[Sequence[Number]], padded: Sequence[Sequence[bool]] | None = None
) -> list[str]:
    cells = [[fmt(v) for v in row] for row in rows]
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


def _window_text(step: Step) -> str:
    top, left, bottom, right = step.window
    text = f"image rows {top}..{bottom}, columns {left}..{right}"
    if any(step.in_padding):
        text += f" ({sum(step.in_padding)} of {len(step.in_padding)} in the padding, marked ·)"
    return text


def _indent(block: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in block.splitlines())


def sized_axes(problem: Problem) -> list[tuple[AxisSize, int]]:
    """Rows and columns, each with the output size sympy evaluates from the formula (the
    outputs print this value, not the engine's: two derivations that must agree)."""
    return [
        (a, symbolic.output_size(a.size, a.before, a.after, a.kernel, a.stride, a.dilation))
        for a in axis_sizes(problem)
    ]


def latex_size_line(axis: AxisSize, value: int) -> str:
    """The output-size formula with one axis's numbers substituted, ``= value``."""
    return (
        rf"\left\lfloor \frac{{{axis.size} + {axis.before} + {axis.after} - "
        rf"{axis.dilation}\cdot({axis.kernel}-1) - 1}}{{{axis.stride}}} \right\rfloor + 1 = {value}"
    )


def _size_lines(problem: Problem) -> list[str]:
    """The size formula with this problem's numbers, per axis, evaluated by sympy."""
    return [
        f"{a.name + ':':<9} floor(({a.size} + {a.before} + {a.after} - "
        f"{a.dilation}·({a.kernel}-1) - 1) / {a.stride}) + 1 = {value}"
        for a, value in sized_axes(problem)
    ]


PRODUCT = "·"
"""The one product sign of every output: the video's x · w, the text and (as \\cdot) LaTeX."""


def _linear(term: sp.Basic) -> str:
    return _LINEAR.doprint(term).replace("*", PRODUCT)


def _sum_lines(lhs: str, expr: sp.Expr, per_line: int) -> list[str]:
    """``lhs = 1/9 · ( a + b + c`` / ``+ d + …)``: one line per kernel row, as on a board."""
    scale, body_terms = split_sum(expr)
    terms = [_linear(t) for t in body_terms]
    head = f"  {lhs} = " + (f"{_linear(scale)} {PRODUCT} ( " if scale is not None else "")
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
    out += [_flip_note(problem), _divisor_note(problem, trace), ""]
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
        out.append(f"── y[{i0}, {j0}] ── window on {_window_text(step)}")
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
        value = fmt(symbolic.from_sympy(pix.value))
        scale, _ = split_sum(pix.substituted)
        if scale is not None:  # the sum of products first, then the division
            sum_then_scale = f"{_linear(scale)} {PRODUCT} {_operand(step.total, True)}"
            out.append(f"  {' ' * len(lhs)} = {sum_then_scale} = {value}")
        else:
            out.append(f"  {' ' * len(lhs)} = {value}")
        out.append("")
    if max(oh, ow) <= MAX_PRINTED_SIDE:
        out += ["Result y (" + f"{oh}×{ow}):", ""]
        out += _indent("\n".join(_grid_lines(trace.output)), "  ").splitlines()
    else:
        out += [f"Result y ({oh}×{ow}): too large to print legibly; --format json has it all."]
    out += ["", *_result_notes(problem)]
    return "\n".join(out) + "\n"


def _operand(v: Number, second: bool) -> str:
    """A number after an operator, in parentheses where it would be misread: ``· (-7)``,
    ``· (1/5)``."""
    text = fmt(v)
    return f"({text})" if "/" in text or (second and text.startswith("-")) else text


def _result_notes(problem: Problem) -> list[str]:
    """What the result shows, in the lesson script's own sentences (its ``result.*`` beats):
    the derivation says nothing the script has not worded from the facts."""
    script = build_script(problem)
    return [beat.caption for beat in script.beats() if beat.key.startswith("result.")]


def _latex_matrix(rows: Sequence[Sequence[Number]]) -> str:
    """A matrix in parentheses; ``array`` has no column limit (amsmath's pmatrix stops at 10)."""
    body = r" \\ ".join(" & ".join(_latex_number(v) for v in row) for row in rows)
    columns = "r" * len(rows[0])
    return rf"\left(\begin{{array}}{{{columns}}} " + body + r" \end{array}\right)"


def _latex_sum_step(step: Step, pix: PixelDerivation) -> str:
    """`` = 1/9 · 7``: the sum of products before the division (empty when none)."""
    scale, _ = split_sum(pix.substituted)
    if scale is None:
        return ""
    return rf" = {latex(scale)} \cdot {_latex_operand(step.total)}"


def _latex_operand(v: Number) -> str:
    text = _latex_number(v)
    return rf"\left({text}\right)" if text.startswith("-") or "frac" in text else text


def _latex_number(v: Number) -> str:
    if isinstance(v, Fraction) and v.denominator != 1:
        sign = "-" if v < 0 else ""
        return rf"{sign}\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"
    return fmt(v)


def latex_rows(expr: sp.Expr, per_line: int) -> tuple[str | None, list[str]]:
    """A derivation's sum as LaTeX rows of ``per_line`` terms, and its scale (1/N) if any."""
    scale, body_terms = split_sum(expr)
    terms = [latex(t) for t in body_terms]
    rows = [" + ".join(terms[k : k + per_line]) for k in range(0, len(terms), per_line)]
    return (latex(scale) if scale is not None else None), rows


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
        lines.append(rf"&= {latex(scale)} \cdot {_latex_operand(step.total)} \\")
    lines.append(rf"&= {latex(pix.value)}")
    grids = (
        rf"{_latex_matrix(step.grid(step.patch))} \cdot "
        rf"{_latex_matrix(step.grid(step.weights))} = "
        rf"{_latex_matrix(step.grid(step.products))}"
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
        r"\section*{Convolution: " + _latex_text(problem.describe()) + "}",
        r"\[ " + latex(symbolic.general_formula(problem)) + r" \]",
        _latex_text(_flip_note(problem) + " " + _divisor_note(problem, trace)),
    ]
    for step, pix in der.steps():
        i0, j0 = step.index
        parts.append(
            rf"\subsection*{{Output pixel $({i0}, {j0})$: "
            rf"{_latex_text(_window_text(step))}}}"
        )
        parts.append(_latex_step(step, pix))
    parts.append(r"\subsection*{Result}")
    if max(trace.output_shape) <= MAX_PRINTED_SIDE:
        parts.append(r"\[ y = " + _latex_matrix(trace.output) + r" \]")
    else:
        parts.append(
            _latex_text(
                f"The result is {trace.output_shape[0]}×{trace.output_shape[1]}: "
                "too large to typeset; use --format json."
            )
        )
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"


def _latex_text(text: str) -> str:
    table = {
        "×": r"$\times$",
        "→": r"$\rightarrow$",
        "°": r"$^\circ$",
        "·": r"$\cdot$",
        "_": r"\_",
        "&": r"\&",
        "%": r"\%",
        "#": r"\#",
        "−": "-",
    }
    return "".join(table.get(ch, ch) for ch in text)


def _md_table(rows: Sequence[Sequence[Number]]) -> str:
    head = "| i \\ j | " + " | ".join(f"{c}" for c in range(len(rows[0]))) + " |"
    rule = "|---|" + "---:|" * len(rows[0])
    body = [f"| **{r}** | " + " | ".join(fmt(v) for v in row) + " |" for r, row in enumerate(rows)]
    return "\n".join([head, rule, *body])


def render_markdown(der: Derivation) -> str:
    problem, trace = der.problem, der.trace
    out = [
        f"# Convolution: {problem.describe()}",
        "",
        "$$" + latex(symbolic.general_formula(problem)) + "$$",
        "",
        _flip_note(problem) + " " + _divisor_note(problem, trace),
        "",
    ]
    for step, pix in der.steps():
        i0, j0 = step.index
        out += [
            f"## Output pixel ({i0}, {j0})",
            "",
            f"Window on {_window_text(step)}.",
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
            "divisor": fmt(trace.divisor),
            "output_shape": list(trace.output_shape),
        },
        "formula": latex(symbolic.general_formula(problem)),
        "result": [[fmt(v) for v in row] for row in trace.output],
        "patches": [
            {
                "index": list(step.index),
                "positions": [list(pos) for pos in step.positions],
                "in_padding": list(step.in_padding),
                "patch": [fmt(v) for v in step.patch],
                "kernel": [fmt(v) for v in step.weights],
                "products": [fmt(v) for v in step.products],
                "sum": fmt(step.total),
                "value": fmt(symbolic.from_sympy(pix.value)),
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
