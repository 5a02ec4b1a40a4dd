"""Derivations as presentation MathML, which browsers render natively (no script, no network).

sympy's presentation printer (``sympy.printing.mathml.mathml(expr, printer="presentation")``)
does the printing; :class:`_Printer` only keeps the derivation's written order and a
learner's notation where sympy's defaults differ: factors in the order the formula writes
them (x before w), ``x_{1,2}`` without parentheses around the indices, a real minus sign,
negative factors in parentheses without the ``mfenced`` element that MathML Core dropped,
and one summation sign per sum of a double sum (sympy's printer shows only one).

>>> from explainer import lecture_problem
>>> from explainer.proof.symbolic import split_sum, derive_pixel
>>> d = derive_pixel(lecture_problem(), 1, 1)
>>> lines = derivation_lines(d, (3, 3), 9, 9)
>>> len(lines), lines[0][0]
(8, '<math><msub><mi>y</mi><mrow><mn>1</mn><mo>,</mo><mn>1</mn></mrow></msub><mo>=</mo></math>')
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from typing import Any

import sympy as sp
from sympy.printing.mathml import MathMLPresentationPrinter

from explainer.core.trace import Number
from explainer.present.numbers import MINUS, SCREEN, text
from explainer.proof.symbolic import PixelDerivation, Times, split_sum, to_sympy

DOT = "\u22c5"


class _Printer(MathMLPresentationPrinter):
    """sympy's presentation MathML in the derivation's own order and a learner's notation."""

    def __init__(self) -> None:
        super().__init__({"order": "none"})

    def _element(self, tag: str, *children: Any, text: str | None = None) -> Any:
        node = self.dom.createElement(tag)
        if text is not None:
            node.appendChild(self.dom.createTextNode(text))
        for child in children:
            node.appendChild(child)
        return node

    def _mo(self, text: str) -> Any:
        return self._element("mo", text=text)

    def _parens(self, inner: Any) -> Any:
        return self._element("mrow", self._mo("("), inner, self._mo(")"))

    def _print_Integer(self, e: sp.Integer) -> Any:
        return self._element("mn", text=text(int(e), SCREEN))

    def _print_int(self, e: int) -> Any:
        return self._print_Integer(sp.Integer(e))

    def _print_Rational(self, e: sp.Rational) -> Any:
        if e.q == 1:
            return self._print_Integer(sp.Integer(e.p))
        frac = self._element(
            "mfrac", self._element("mn", text=str(abs(e.p))), self._element("mn", text=str(e.q))
        )
        return self._element("mrow", self._mo(MINUS), frac) if e.p < 0 else frac

    def _print_Indexed(self, e: sp.Indexed) -> Any:
        indices = self._element("mrow")
        for k, index in enumerate(e.indices):
            if k:
                indices.appendChild(self._mo(","))
            indices.appendChild(self._print(index))
        return self._element("msub", self._print(e.base), indices)

    def _print_Times(self, e: Times) -> Any:
        row = self._element("mrow")
        for k, factor in enumerate(e.args):
            if k:
                row.appendChild(self._mo(DOT))
            printed = self._print(factor)
            row.appendChild(self._parens(printed) if Times._wrap(factor) else printed)
        return row

    def _print_Mul(self, e: sp.Mul) -> Any:
        args = e.args
        if len(args) == 2 and isinstance(args[1], sp.Pow) and args[1].exp == -1:
            return self._element("mfrac", self._print(args[0]), self._print(args[1].base))
        if len(args) == 2 and args[0].is_Rational and not args[1].is_Number:
            if args[0] == -1:
                return self._element("mrow", self._mo(MINUS), self._print(args[1]))
            # The divisor as a factor in front: 1/9 · ( … ), as a teacher writes it.
            body = self._print(args[1])
            if args[1].is_Add:
                body = self._parens(body)
            return self._element("mrow", self._print(args[0]), self._mo(DOT), body)
        if not any(a.is_Number for a in args):
            # x before w, as the formula writes them; otherwise sympy's order (d·m).
            written = any(isinstance(a, sp.Indexed) for a in args)
            factors = args if written else e.as_ordered_factors()
            row = self._element("mrow")
            for k, factor in enumerate(factors):
                if k:
                    row.appendChild(self._mo(DOT))
                printed = self._print(factor)
                row.appendChild(self._parens(printed) if factor.is_Add else printed)
            return row
        return super()._print_Mul(e)

    def _print_Add(self, expr: sp.Add, order: Any = None) -> Any:
        terms = list(expr.args)
        if len(terms) > 1 and terms[0].is_Number and terms[0] < 0:  # −1 + k → k − 1
            terms = terms[1:] + terms[:1]
        row = self._element("mrow", self._print(terms[0]))
        for term in terms[1:]:
            if term.could_extract_minus_sign():
                row.appendChild(self._mo(MINUS))
                row.appendChild(self._print(-term))
            else:
                row.appendChild(self._mo("+"))
                row.appendChild(self._print(term))
        return row

    def _print_Sum(self, e: sp.Sum) -> Any:
        row = self._element("mrow")
        for var, low, high in reversed(e.limits):
            sign = self._mo("\u2211")
            under = self._element("mrow", self._print(var), self._mo("="), self._print(low))
            row.appendChild(self._element("munderover", sign, under, self._print(high)))
        body = self._print(e.function)
        row.appendChild(self._parens(body) if e.function.is_Add else body)
        return row

    def _print_Pow(self, e: sp.Pow) -> Any:
        if e.exp == -1:
            return self._element("mfrac", self._element("mn", text="1"), self._print(e.base))
        return super()._print_Pow(e)


def _math(*nodes: Any, block: bool = False) -> str:
    inner = "".join(n if isinstance(n, str) else n.toxml() for n in nodes)
    attrs = ' display="block"' if block else ""
    return f"<math{attrs}>{inner}</math>"


def to_mathml(expr: sp.Basic, *, block: bool = False) -> str:
    """One formula as a complete ``<math>`` element.

    >>> to_mathml(sp.Integer(-3))
    '<math><mn>−3</mn></math>'
    >>> to_mathml(sp.Rational(-1, 9))
    '<math><mrow><mo>−</mo><mfrac><mn>1</mn><mn>9</mn></mfrac></mrow></math>'
    """
    printer = _Printer()
    return _math(printer._print(expr), block=block)


def _rows(printer: _Printer, expr: sp.Expr, per_line: int) -> list[str]:
    """A derivation's sum as rows of ``per_line`` terms (one kernel row each), in MathML."""
    scale, terms = split_sum(expr)
    chunks = [terms[k : k + per_line] for k in range(0, len(terms), per_line)]
    rows = []
    for n, chunk in enumerate(chunks):
        parts = []
        if n == 0 and scale is not None:
            parts += [printer._print(scale).toxml(), printer._mo(DOT).toxml(), "<mo>(</mo>"]
        elif n > 0:
            parts.append("<mo>+</mo>")
        for k, term in enumerate(chunk):
            if k:
                parts.append("<mo>+</mo>")
            parts.append(printer._print(term).toxml())
        if n == len(chunks) - 1 and scale is not None:
            parts.append("<mo>)</mo>")
        rows.append(_math("".join(parts)))
    return rows


def _in_lowest_terms(total: Number, divisor: Number) -> bool:
    """Whether total/divisor, written as a fraction, is already the value (−1/9, 7/9; not
    3/9, 9/9 or a decimal divisor)."""
    if isinstance(total, float) or isinstance(divisor, float):
        return False
    t, d = Fraction(total), Fraction(divisor)
    return (
        t.denominator == 1 and d.denominator == 1 and d > 1 and gcd(t.numerator, d.numerator) == 1
    )


def derivation_lines(
    der: PixelDerivation, kernel_shape: tuple[int, int], total: Number, divisor: Number | None
) -> list[tuple[str, str]]:
    """One pixel's derivation as ``(left, right)`` pairs of ``<math>`` elements, to be laid
    out in two aligned columns: ``y_{i,j} =`` the formula with this pixel's indices (one
    kernel row a line), ``=`` the numbers, ``=`` the sum over the divisor (when the problem
    divides), ``=`` the value. ``total`` and ``divisor`` come from the trace, the value from
    sympy.
    """
    printer = _Printer()
    i, j = der.index
    lhs = printer._print(sp.IndexedBase("y")[i, j]).toxml() + "<mo>=</mo>"
    per_line = kernel_shape[1]
    lines: list[tuple[str, str]] = []
    for k, row in enumerate(_rows(printer, der.expansion, per_line)):
        lines.append((_math(lhs) if k == 0 else "", row))
    for k, row in enumerate(_rows(printer, der.substituted, per_line)):
        lines.append((_math("<mo>=</mo>") if k == 0 else "", row))
    value = _math(printer._print(der.value))
    if divisor is not None:
        quotient = printer._element(
            "mfrac", printer._print(to_sympy(total)), printer._print(to_sympy(divisor))
        )
        if not _in_lowest_terms(total, divisor):  # 7/9 would say the value twice
            lines.append((_math("<mo>=</mo>"), _math(quotient)))
    lines.append((_math("<mo>=</mo>"), value))
    return lines


def size_line(n: int, before: int, after: int, k: int, s: int, d: int, out: int) -> str:
    """The output-size formula with one axis's numbers, and its value (from sympy).

    >>> size_line(9, 0, 0, 3, 1, 1, 7).count("<mn>")
    10
    """

    def mn(v: int) -> str:
        return f"<mn>{v}</mn>"

    numerator = (
        f"<mrow>{mn(n)}<mo>+</mo>{mn(before)}<mo>+</mo>{mn(after)}<mo>{MINUS}</mo>"
        f"{mn(d)}<mo>{DOT}</mo><mo>(</mo>{mn(k)}<mo>{MINUS}</mo>{mn(1)}<mo>)</mo>"
        f"<mo>{MINUS}</mo>{mn(1)}</mrow>"
    )
    floor = f"<mo>\u230a</mo><mfrac>{numerator}{mn(s)}</mfrac><mo>\u230b</mo>"
    return _math(
        f"<msub><mi>n</mi><mi>out</mi></msub><mo>=</mo>{floor}<mo>+</mo>{mn(1)}<mo>=</mo>{mn(out)}"
    )
