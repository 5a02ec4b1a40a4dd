"""One way to show a number: a style (settings, never a global) and one function per target.

Every output writes a value through these functions, as sympy's printers take settings
instead of reading globals: :class:`NumberStyle` says how (decimals or exact fractions, which
minus sign, fractions in LaTeX as ``\\frac`` or with a slash), and each target has one
function: :func:`text` (exact, for print and for tools), :func:`display` (a cell on screen:
exact while readable, else a short decimal), :func:`latex`; MathML is printed by
:mod:`explainer.present.mathml` with this module's minus sign and integers, and the spoken
form is :func:`explainer.present.speech.number`, which takes the same style. A lesson's choice of
decimals travels as its script's style (:attr:`explainer.lessons.script.Script.style`).

>>> from fractions import Fraction
>>> text(Fraction(-7, 9)), text(Fraction(-7, 9), SCREEN), display(Fraction(-209, 255))
('-7/9', '−7/9', '−0.82')
>>> display(Fraction(1, 2), NumberStyle(decimal=True)), latex(Fraction(-1, 9))
('0.5', '-\\\\frac{1}{9}')
>>> latex(Fraction(7, 9), NumberStyle(slash=True)), factor(Fraction(-1, 9))
('7/9', '(−1/9)')
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from explainer.core.trace import Number

MINUS = "\u2212"
"""The minus sign a reader sees (U+2212): as long as a plus, and never a hyphen."""
MAX_SHOWN_DENOMINATOR = 64
"""Past this denominator a fraction is unreadable at a glance (−209/255): show ≈ −0.82."""


@dataclass(frozen=True)
class NumberStyle:
    """How numbers are shown: a small set of settings, passed to every function here.

    Attributes
    ----------
    decimal
        Show every value that is not an integer as a short decimal (a lesson some of whose
        values would be unreadable fractions shows all of them so, so that a caption never
        sets 37/51 against 0.64). Kernel weights stay exact: see :meth:`exact`.
    minus
        The minus sign of text and screen: :data:`MINUS` to be read, ``"-"`` where a
        program or sympy's own output stands beside it (derive's text, JSON).
    slash
        LaTeX fractions written ``7/9`` (compact in a matrix, read back as written by text
        extraction) instead of ``\\frac{7}{9}``.
    """

    decimal: bool = False
    minus: str = MINUS
    slash: bool = False

    def exact(self) -> NumberStyle:
        """The same style with exact fractions (for weights a learner multiplies by)."""
        return replace(self, decimal=False)


SCREEN = NumberStyle()
"""Cells, captions, the page: a real minus sign, exact while readable."""
PLAIN = NumberStyle(minus="-")
"""Printed derivations and data for tools: ASCII, as sympy prints (``-7/9``)."""


def exact(v: Number) -> int | Fraction:
    """A number as exact: ints stay, floats are read as the decimal they print as.

    >>> exact(0.25), exact(3.0), exact(Fraction(6, 3))
    (Fraction(1, 4), 3, 2)
    """
    q = Fraction(repr(v)) if isinstance(v, float) else Fraction(v)
    return q.numerator if q.denominator == 1 else q


def _signed(text: str, style: NumberStyle) -> str:
    return text if style.minus == "-" else text.replace("-", style.minus)


def text(v: Number, style: NumberStyle = PLAIN) -> str:
    """A number as a learner writes it, exactly: ``7/9``, ``-1``; a float as it prints
    (``0.25``), an integral float as an integer.

    >>> text(Fraction(7, 9)), text(-1.0), text(0.25), text(-3, SCREEN)
    ('7/9', '-1', '0.25', '−3')
    """
    if isinstance(v, Fraction):
        out = str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    elif isinstance(v, float):
        out = repr(v) if v != int(v) else str(int(v)) if abs(v) < 1e15 else repr(v)
    else:
        out = str(v)
    return _signed(out, style)


def is_readable(v: Number) -> bool:
    """Whether a value's exact fraction is readable at a glance (denominator at most
    :data:`MAX_SHOWN_DENOMINATOR`); past that it is shown as a short decimal."""
    q = Fraction(repr(v)) if isinstance(v, float) else Fraction(v)
    return q.denominator <= MAX_SHOWN_DENOMINATOR


def short_decimal(v: Number) -> str:
    """Two significant digits, no trailing zeros, ASCII minus: −209/255 → ``-0.82`` (the
    exact value stays in the derivation; a caption or a cell needs only to be read).

    >>> short_decimal(Fraction(-209, 255)), short_decimal(Fraction(1, 30000))
    ('-0.82', '0.000033')
    """
    q = Fraction(repr(v)) if isinstance(v, float) else Fraction(v)
    out = f"{float(q):.2g}"
    if "e" in out:  # very small or large: keep a plain positional form
        out = f"{float(q):.6f}".rstrip("0").rstrip(".")
    return out


def is_decimal(v: Number, style: NumberStyle = SCREEN) -> bool:
    """Whether :func:`display` shows ``v`` as a short decimal rather than exactly."""
    q = Fraction(repr(v)) if isinstance(v, float) else Fraction(v)
    return q.denominator != 1 and (style.decimal or q.denominator > MAX_SHOWN_DENOMINATOR)


def display(v: Number, style: NumberStyle = SCREEN) -> str:
    """A value as written in a cell: exact while readable, else a short decimal (with
    ``style.decimal``, every value that is not an integer).

    >>> display(Fraction(-1, 9)), display(Fraction(-209, 255)), display(7)
    ('−1/9', '−0.82', '7')
    """
    if is_decimal(v, style):
        return _signed(short_decimal(v), style)
    return text(exact(v), style)


def factor(v: Number, style: NumberStyle = SCREEN) -> str:
    """A value as a factor of a product (``x · w``): in parentheses where it would be
    misread, that is when negative, a fraction or rounded.

    >>> factor(-2), factor(Fraction(1, 9)), factor(3)
    ('(−2)', '(1/9)', '3')
    """
    shown = display(v, style)
    needs = shown.startswith(style.minus) or "/" in shown or not is_readable(v)
    return f"({shown})" if needs else shown


def term(v: Number, style: NumberStyle = SCREEN) -> str:
    """A value as a term of a sum after the first (``a + (−b)``): negative ones in
    parentheses.

    >>> term(-2), term(Fraction(1, 9))
    ('(−2)', '1/9')
    """
    shown = display(v, style)
    return f"({shown})" if shown.startswith(style.minus) else shown


def operand(v: Number, style: NumberStyle = PLAIN) -> str:
    """An exact value after an operator in print: ``· (-7)``, ``· (1/5)``.

    >>> operand(-7), operand(Fraction(1, 5)), operand(9)
    ('(-7)', '(1/5)', '9')
    """
    out = text(v, style)
    return f"({out})" if "/" in out or out.startswith(style.minus) else out


def latex(v: Number, style: NumberStyle = PLAIN) -> str:
    """An exact value in LaTeX math: ``-\\frac{7}{9}`` (``-7/9`` with ``style.slash``).
    LaTeX sets its own minus sign in math, so ``style.minus`` does not apply.

    >>> latex(Fraction(-7, 9)), latex(0.25), latex(-4)
    ('-\\\\frac{7}{9}', '\\\\frac{1}{4}', '-4')
    """
    q = exact(v)
    if isinstance(q, int) or style.slash:
        return text(q, PLAIN)
    sign = "-" if q < 0 else ""
    return rf"{sign}\frac{{{abs(q.numerator)}}}{{{q.denominator}}}"


def latex_operand(v: Number, style: NumberStyle = PLAIN) -> str:
    """An exact value after an operator in LaTeX: negative ones and fractions in
    ``\\left( … \\right)``."""
    out = latex(v, style)
    return rf"\left({out}\right)" if out.startswith("-") or "frac" in out else out


def restyle(sentence: str, style: NumberStyle) -> str:
    """A sentence the script wrote (with :data:`MINUS`) in the minus sign of ``style``, so
    that one output never mixes two minus signs.

    >>> restyle("down to −1/9", PLAIN)
    'down to -1/9'
    """
    return sentence if style.minus == MINUS else sentence.replace(MINUS, style.minus)


__all__ = [
    "MAX_SHOWN_DENOMINATOR",
    "MINUS",
    "PLAIN",
    "SCREEN",
    "NumberStyle",
    "display",
    "exact",
    "factor",
    "is_decimal",
    "is_readable",
    "latex",
    "latex_operand",
    "operand",
    "restyle",
    "short_decimal",
    "term",
    "text",
]
