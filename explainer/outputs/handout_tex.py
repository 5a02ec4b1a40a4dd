"""The handout's LaTeX pieces: its preamble, grids with their numbers, one patch worked in
full, an exercise with room to write, and its key.

Every number is read from the trace or sympy's derivation and every sentence from the
lesson's script; this module only arranges them (:mod:`explainer.outputs.handout` puts the
pieces in order and fits them to the page).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from explainer.core.trace import Number, Step, Trace
from explainer.outputs import formulas
from explainer.outputs.handout_fit import Fit
from explainer.present.numbers import NumberStyle, latex
from explainer.present.tex import latex_matrix, latex_text
from explainer.proof.symbolic import PixelDerivation

SLASH = NumberStyle(slash=True)
"""Values in a grid as 7/9: compact in a cell, and read back as written by text extraction
(the derivations keep ``\\frac``)."""
ALIGNED_KERNEL_COLUMNS = 6
"""Up to this many kernel columns a derivation's lines are aligned on '='; wider ones are
set line by line, each scaled to the page."""
BLANK = r"\blank"
"""A cell left empty to write in: a box of room in a grid."""
ANSWER = r"\answer"
"""A box to write one number in, on a derivation's line."""


def fits(body: str) -> str:
    """Math content scaled down to the line when wider, never up."""
    return rf"\fitline{{${body}$}}"


def fits_in(height: str, body: str) -> str:
    """Math content scaled down to the line's width and to ``height``, never up."""
    return rf"\fitbox{{{height}}}{{${body}$}}"


def text(sentence: str) -> str:
    """A sentence of the script (or a label) as LaTeX text."""
    return latex_text(sentence)


def values(items: Sequence[Number], cols: int, style: NumberStyle = SLASH) -> list[list[str]]:
    cells = [latex(v, style) for v in items]
    return [cells[k : k + cols] for k in range(0, len(cells), cols)]


def numbered(rows: Sequence[Sequence[str]], first_row: int = 0, first_col: int = 0) -> str:
    """A ruled grid with its rows and columns numbered, from ``first_row``/``first_col``."""
    return latex_matrix(
        rows,
        row_labels=[str(first_row + r) for r in range(len(rows))],
        col_labels=[str(first_col + c) for c in range(len(rows[0]))],
    )


def image_grid(trace: Trace) -> str:
    """The (padded) image, numbered as code numbers it: the padding shaded, its numbers
    negative before the image and past its size after."""
    top, left = trace.padding_offset
    h, w = trace.problem.image.shape
    rows = []
    for r, row in enumerate(trace.padded_image):
        cells = []
        for c, v in enumerate(row):
            inside = top <= r < top + h and left <= c < left + w
            cells.append(latex(v, SLASH) if inside else rf"\pad{{{latex(v, SLASH)}}}")
        rows.append(cells)
    return numbered(rows, -top, -left)


def grid_width(values_: Sequence[Number], cols: int) -> int:
    """About how wide a grid of these values prints, in characters: its columns times its
    widest value (as the grid writes it)."""
    return cols * (1 + max(len(re.sub(r"\\[a-zA-Z]+|[{}]", "", latex(v, SLASH))) for v in values_))


def filter_grid(weights: Sequence[Number], cols: int) -> str:
    return numbered(values(weights, cols))


def result_grid(trace: Trace, blanks: set[tuple[int, int]] = frozenset()) -> str:
    oh, ow = trace.output_shape
    rows = [
        [BLANK if (i, j) in blanks else latex(trace.step(i, j).value, SLASH) for j in range(ow)]
        for i in range(oh)
    ]
    return numbered(rows)


def patch_cells(step: Step) -> list[list[str]]:
    """The patch under the window, its padding taps shaded."""
    kw = step.kernel_shape[1]
    cells = [
        rf"\pad{{{latex(v)}}}" if padded else latex(v)
        for v, padded in zip(step.patch, step.in_padding, strict=True)
    ]
    return [cells[k : k + kw] for k in range(0, len(cells), kw)]


def boxes(rows: int, cols: int) -> str:
    """An empty ruled grid to write a patch or its products in."""
    row = " & ".join([BLANK] * cols)
    body = r" \\ \hline ".join([row] * rows)
    return rf"\begin{{array}}{{|{'c|' * cols}}} \hline {body} \\ \hline \end{{array}}"


def window_words(step: Step, labels: dict[str, str]) -> str:
    """Where the window lies on the image, and how many of its taps fall in the padding."""
    top, left, bottom, right = step.window
    out = rf"image rows ${top}..{bottom}$, columns ${left}..{right}$"
    if any(step.in_padding):
        n, total = sum(step.in_padding), len(step.in_padding)
        taps = (
            "its one tap"
            if total == 1
            else f"all {total} taps"
            if n == total
            else f"{n} of {total} taps"
        )
        out += f"; {taps} in the {latex_text(labels['padding'])}, shaded"
    return out


def captioned(
    items: Sequence[tuple[str, str]], joiners: Sequence[str], *, apart: bool = False
) -> str:
    """Grids side by side, each with its label under it, joined by ·, = …; ``apart`` for
    grids of different heights that stand on their own: each sits on its label, the labels
    on one line."""
    if apart:
        stacks = [
            rf"\begin{{array}}[b]{{c}} {body} \\ \text{{\small {label}}} \end{{array}}"
            for body, label in items
        ]
        return r" \qquad ".join(stacks)
    top = []
    bottom = []
    for k, (body, label) in enumerate(items):
        top.append(body)
        bottom.append(rf"\text{{\small {label}}}")
        if k < len(joiners):
            top.append(joiners[k])
            bottom.append("")
    spec = "c" * len(top)
    return rf"\begin{{array}}{{{spec}}} {' & '.join(top)} \\ {' & '.join(bottom)} \end{{array}}"


def _aligned_sum(expr, per_line: int, head: str) -> list[str]:
    """A sum as ``align*`` lines of ``per_line`` terms (one kernel row each), the first
    after ``head``; a common factor opens before the first term and closes after the last."""
    scale, rows = formulas.latex_rows(expr, per_line)
    lines = []
    for k, row in enumerate(rows):
        if scale is not None and k == 0:
            row = rf"{scale} \cdot \Bigl( {row}"
        if scale is not None and k == len(rows) - 1:
            row += r" \Bigr)"
        lines.append((head if k == 0 else r"&\quad + ") + row)
    return lines


def _reduces(total: Number, divisor: Number) -> bool:
    """Whether total/divisor, as written, is not yet in lowest terms (so the value, written
    next, says something new): 9/9 → 1 does, 7/9 → 7/9 does not."""
    q = Fraction(total) / Fraction(divisor)
    return not (
        Fraction(divisor) > 0
        and Fraction(total).denominator == 1
        and Fraction(divisor).denominator == 1
        and q.denominator == Fraction(divisor)
    )


def shown_divisor(trace: Trace) -> Number | None:
    """The divisor a derivation writes out: none when nothing is divided or it is 1 (the
    script says that dividing by 1 changes nothing; "7/1" would say nothing)."""
    return trace.divisor if trace.problem.normalize and trace.divisor != 1 else None


def quotient(total: Number, divisor: Number) -> str:
    """total/divisor as a fraction; a total that is itself a fraction is written 3/4 on top."""
    top = latex(total, SLASH) if Fraction(total).denominator != 1 else latex(total)
    return rf"\frac{{{top}}}{{{latex(divisor)}}}"


def derivation_lines(step: Step, pix: PixelDerivation, divisor: Number | None) -> list[str]:
    """``lhs & = rhs`` lines: the formula with this pixel's indices, the numbers, the sum
    over the divisor and the value."""
    i, j = step.index
    per_line = step.kernel_shape[1]
    lines = _aligned_sum(pix.expansion, per_line, rf"y_{{{i},{j}}} &= ")
    lines += _aligned_sum(pix.substituted, per_line, r"&= ")
    value = formulas.latex(pix.value)
    if divisor is not None:
        written = rf"&= {quotient(step.total, divisor)}"
        lines.append(written + (f" = {value}" if _reduces(step.total, divisor) else ""))
    else:
        lines.append(rf"&= {value}")
    return lines


def set_lines(lines: list[str], kernel_cols: int) -> list[str]:
    if kernel_cols <= ALIGNED_KERNEL_COLUMNS:
        return [r"\begin{align*}", " \\\\\n".join(lines), r"\end{align*}"]
    return [r"\[ " + fits(line.replace("&", "")) + r" \]" for line in lines]


@dataclass(frozen=True)
class Kernel:
    """How the filter is named beside a patch: as laid on the image (rotated when flipped)."""

    label: str
    flipped: bool


def patch_equation(
    step: Step,
    kernel: Kernel,
    labels: dict[str, str],
    fit: Fit,
    *,
    blank_patch: bool = False,
    blank_products: bool = False,
) -> str:
    kh, kw = step.kernel_shape
    patch = boxes(kh, kw) if blank_patch else latex_matrix(patch_cells(step))
    weights = latex_matrix(values(step.weights, kw))
    products = boxes(kh, kw) if blank_products else latex_matrix(values(step.products, kw))
    body = captioned(
        [(patch, labels["patch"]), (weights, kernel.label), (products, labels["products"])],
        [r"\cdot", "="],
    )
    height = fit.height("exercise" if blank_patch else "patch")
    return r"\begin{center}" + fits_in(height, body) + r"\end{center}"


def worked_block(
    step: Step,
    pix: PixelDerivation,
    trace: Trace,
    kernel: Kernel,
    labels: dict[str, str],
    fit: Fit,
    heading: str,
    before: Sequence[str] = (),
    after: Sequence[str] = (),
) -> list[str]:
    """One patch in full: where its window lies, patch · filter = products, and sympy's
    derivation from the formula with its indices to the value; the script's sentences on
    it ``before`` and ``after``."""
    divisor = shown_divisor(trace)
    lines = min(2 * step.kernel_shape[0] + 10, 40)  # a patch kept whole on its page
    out = [rf"\needspace{{{lines}\baselineskip}}", heading]
    out += [" ".join(before)] if before else []
    out += [
        rf"\emph{{Window: {window_words(step, labels)}.}}",
        patch_equation(step, kernel, labels, fit),
    ]
    out += set_lines(derivation_lines(step, pix, divisor), step.kernel_shape[1])
    out += [" ".join(after)] if after else []
    return out


def exercise_block(
    number: int,
    step: Step,
    trace: Trace,
    kernel: Kernel,
    labels: dict[str, str],
    fit: Fit,
    worksheet: bool,
) -> str:
    """An exercise: the output pixel and its window; on a worksheet, in a box half the line
    wide, with room to write the patch, the products, their sum and the value."""
    i, j = step.index
    task = (
        rf"\textbf{{{number}.}} {text(labels['output-pixel']).capitalize()} $({i}, {j})$, "
        rf"window on {window_words(step, labels)}."
    )
    if not worksheet:
        return task
    grids = patch_equation(step, kernel, labels, fit, blank_patch=True, blank_products=True)
    answer = rf"\text{{{text(labels['sum'])}}} = {ANSWER}"
    value = rf"y_{{{i},{j}}} = "
    if shown_divisor(trace) is not None:
        value += rf"\dfrac{{{ANSWER}}}{{{latex(trace.divisor)}}} = {ANSWER}"
    else:
        value += ANSWER
    return (
        r"\begin{minipage}[t]{0.48\linewidth}"
        + task
        + grids
        + r"\begin{center}"
        + fits(rf"\begin{{array}}{{c}} {answer} \\[1ex] {value} \end{{array}}")
        + r"\end{center}\end{minipage}"
    )


def key_block(
    number: int,
    step: Step,
    pix: PixelDerivation,
    trace: Trace,
    labels: dict[str, str],
    notes: Sequence[str],
) -> str:
    """An exercise's answer in a few lines: its products, their sum and the value, and what
    the script says of that patch (in a box half the line wide)."""
    i, j = step.index
    kw = step.kernel_shape[1]
    products = latex_matrix(values(step.products, kw))
    value = formulas.latex(pix.value)
    lines = [rf"\text{{sum}} = {latex(step.total)}"]
    if shown_divisor(trace) is not None:
        line = rf"y_{{{i},{j}}} = {quotient(step.total, trace.divisor)}"
        if _reduces(step.total, trace.divisor):
            line += f" = {value}"
        lines.append(line)
    else:
        lines.append(rf"y_{{{i},{j}}} = {value}")
    said = " ".join(text(n) for n in notes)
    stacked = r" \\[2.5ex] ".join(rf"\displaystyle {line}" for line in lines)
    body = (
        rf"\begin{{array}}{{c}} {products} \\ \text{{\small {text(labels['products'])}}} "
        rf"\end{{array}} \quad \begin{{array}}{{l}} {stacked} \end{{array}}"
    )
    return (
        r"\begin{minipage}[t]{0.48\linewidth}"
        + rf"\textbf{{{number}.}} $({i}, {j})$\par\smallskip "
        + fits(body)
        + (rf"\par\smallskip{{\small {said}}}" if said else "")
        + r"\end{minipage}"
    )


def glossary(*entries: str, columns: int = 2) -> str:
    """The script's glossary labels ("x: image; w: filter; …") as a table of symbols, in
    ``columns`` pairs of columns."""
    cells = []
    for entry in (e for chunk in entries for e in chunk.split("; ")):
        names, _, meaning = entry.partition(": ")
        symbols = ", ".join(_symbol(n) for n in names.split(", "))
        cells.append(rf"${symbols}$ & {latex_text(meaning)}")
    per = -(-len(cells) // columns)
    rows = []
    for r in range(per):
        row = [cells[c * per + r] if c * per + r < len(cells) else "&" for c in range(columns)]
        rows.append(" & ".join(row) + r" \\")
    width = f"{0.96 / columns - 0.1:.2f}"
    spec = r"@{\qquad}".join(
        rf"r@{{\enspace}}>{{\raggedright\arraybackslash}}p{{{width}\linewidth}}"
        for _ in range(columns)
    )
    return (
        rf"{{\small\renewcommand{{\arraystretch}}{{1.05}}\begin{{tabular}}{{@{{}}{spec}@{{}}}}"
        + "\n"
        + "\n".join(rows)
        + "\n\\end{tabular}}\n"
    )


def _symbol(name: str) -> str:
    """A glossary's symbol as written in the script's labels (``n_in``) in LaTeX math."""
    base, _, sub = name.partition("_")
    return rf"{base}_{{\mathrm{{{sub}}}}}" if sub else base
