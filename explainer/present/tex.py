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

from collections.abc import Sequence

from explainer.core.trace import Number
from explainer.present.numbers import MINUS, PLAIN, NumberStyle, latex

_LATEX_TEXT = {
    "×": r"$\times$",
    "→": r"$\rightarrow$",
    "°": r"$^\circ$",
    "·": r"$\cdot$",
    "_": r"\_",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    MINUS: "-",
}


def latex_text(text: str) -> str:
    """Plain text (a sentence of the script, a description) set as LaTeX text: its symbols
    in math, TeX's special characters escaped, the minus sign as TeX's.

    >>> latex_text("9×9, −1 & 50%")
    '9$\\\\times$9, -1 \\\\& 50\\\\%'
    """
    return "".join(_LATEX_TEXT.get(ch, ch) for ch in text)


def latex_matrix(
    rows: Sequence[Sequence[Number | str]],
    style: NumberStyle = PLAIN,
    *,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
) -> str:
    """A matrix in parentheses, optionally with its rows and columns numbered (small, to
    the left and above), as code numbers them."""
    cols = len(rows[0])
    cells = [[v if isinstance(v, str) else latex(v, style) for v in row] for row in rows]
    body = r" \\ ".join(" & ".join(row) for row in cells)
    matrix = rf"\left(\begin{{array}}{{{'r' * cols}}} {body} \end{{array}}\right)"
    if row_labels is None or col_labels is None:
        return matrix
    heads = " & ".join(rf"\scriptstyle {c}" for c in col_labels)
    labels = r" \\ ".join(rf"\scriptstyle {r}" for r in row_labels)
    return (
        rf"\begin{{array}}{{@{{}}r@{{\;}}c@{{}}}} & \begin{{array}}{{{'r' * cols}}} {heads} "
        rf"\end{{array}} \\ \begin{{array}}{{r}} {labels} \end{{array}} & {matrix} \end{{array}}"
    )


__all__ = ["latex_matrix", "latex_text"]
