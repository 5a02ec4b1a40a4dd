"""LaTeX every output shares: the one matrix writer, and plain text set as LaTeX.

Used by derive, the handout and the notebook (no sympy here: the notebook imports it).

A matrix is an ``array`` in parentheses: amsmath's ``pmatrix`` stops at 10 columns and an
``array`` has no limit. Numbers are written by :func:`explainer.present.numbers.latex` in the
style given; a cell that is already a string (a blank to fill in, a greyed padding value) is
set as it is.

>>> from fractions import Fraction
>>> latex_matrix([[1, Fraction(-1, 9)], [0, 2]])
'\\\\left(\\\\begin{array}{rr} 1 & -\\\\frac{1}{9} \\\\\\\\ 0 & 2 \\\\end{array}\\\\right)'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from explainer.core.trace import Number
from explainer.present.numbers import MINUS, PLAIN, NumberStyle, latex

_LATEX_TEXT = {
    "×": r"$\times$",
    "→": r"$\rightarrow$",
    "°": r"$^\circ$",
    "·": r"$\cdot$",
    "⊗": r"$\otimes$",
    "÷": r"$\div$",
    "≈": r"$\approx$",
    "…": r"\dots{}",
    "_": r"\_",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    MINUS: "$-$",
}


def latex_text(text: str) -> str:
    """Plain text (a sentence of the script, a description) set as LaTeX text: its symbols
    in math, TeX's special characters escaped, the minus sign as math's, and ``--`` kept as
    two hyphens (TeX would join them into a dash: ``--flip`` would print as "–flip").

    >>> latex_text("9×9, −1 & 50%")
    '9$\\\\times$9, $-$1 \\\\& 50\\\\%'
    >>> latex_text("--flip")
    '-{}-flip'
    """
    out = "".join(_LATEX_TEXT.get(ch, ch) for ch in text)
    return re.sub(r"-(?=-)", "-{}", out)


def latex_matrix(
    rows: Sequence[Sequence[Number | str]],
    style: NumberStyle = PLAIN,
    *,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
) -> str:
    """A matrix in parentheses; or, with its rows and columns numbered as code numbers
    them, a ruled grid whose numbers stand in the same ``array`` as its values (row numbers
    in the first column, column numbers in the first row), so each one sits over its own
    column whatever the widths.

    >>> tex = latex_matrix([[1, 2]], row_labels=["0"], col_labels=["0", "1"])
    >>> tex.startswith(r"\\begin{array}{r|c|c|}") and tex.count(r"\\begin{array}") == 1
    True

    The labelled form needs ``\\gridindex`` defined (the handout's preamble sets the numbers
    small and grey) and the ``calc`` package.
    """
    cols = len(rows[0])
    cells = [[v if isinstance(v, str) else latex(v, style) for v in row] for row in rows]
    if row_labels is None or col_labels is None:
        body = r" \\ ".join(" & ".join(row) for row in cells)
        return rf"\left(\begin{{array}}{{{'r' * cols}}} {body} \end{{array}}\right)"
    rule = rf"\cline{{2-{cols + 1}}}"
    # Every column as wide as the widest value (the numbers over them set the width).
    widest = max((v for row in cells for v in row), key=_visible_length)
    heads = " & ".join(
        rf"\multicolumn{{1}}{{c}}{{\makebox[\widthof{{${widest}$}}]{{$\gridindex{{{c}}}$}}}}"
        for c in col_labels
    )
    lines = [rf" & {heads} \\ {rule}"]
    for label, row in zip(row_labels, cells, strict=True):
        lines.append(rf" \gridindex{{{label}}} & {' & '.join(row)} \\ {rule}")
    return rf"\begin{{array}}{{r|{'c|' * cols}}}" + "".join(lines) + r" \end{array}"


def _visible_length(cell: str) -> int:
    """About how wide a cell's LaTeX prints, in characters (commands and braces dropped)."""
    return len(re.sub(r"\\[a-zA-Z]+|[{}]", "", cell))


__all__ = ["latex_matrix", "latex_text"]
