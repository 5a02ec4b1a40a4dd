"""sympy's printers as the derivations use them: LaTeX, one-line text and Unicode pretty print.

One printer per format and setting, made once (and so its memo): the derivation's term
order kept, word subscripts upright, a double sum as two nested sums; and the output-size
formula with one axis's numbers.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from explainer.core.problem import Problem
from explainer.lessons.convolution.facts import AxisSize, axis_sizes
from explainer.proof import symbolic
from explainer.proof.symbolic import split_sum

PRODUCT = "·"
"""The one product sign of every output: the video's x · w, the text and (as \\cdot) LaTeX."""


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

    def _print_Add(self, expr: sp.Add, order: Any = None) -> str:
        """An index or a limit written as a textbook does: k − 1, not −1 + k; i·s + m·d − p,
        not −p + i·s + m·d (the negative terms moved last; sums of a derivation, which hold
        x[r, c] or numbers only, keep their order)."""
        terms = list(expr.args)
        if (
            expr.free_symbols
            and not expr.atoms(sp.Indexed)
            and terms[0].could_extract_minus_sign()
            and not all(t.could_extract_minus_sign() for t in terms)
        ):
            first = next(k for k, t in enumerate(terms) if not t.could_extract_minus_sign())
            expr = sp.Add._from_args(tuple(terms[first:] + terms[:first]))
        return super()._print_Add(expr, order)


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


def linear(term: sp.Basic) -> str:
    """One line of sympy's ``sstr`` in the derivation's order, with the product sign."""
    return _LINEAR.doprint(term).replace("*", PRODUCT)


def latex_rows(expr: sp.Expr, per_line: int) -> tuple[str | None, list[str]]:
    """A derivation's sum as LaTeX rows of ``per_line`` terms, and its scale (1/N) if any."""
    scale, body_terms = split_sum(expr)
    terms = [latex(t) for t in body_terms]
    rows = [" + ".join(terms[k : k + per_line]) for k in range(0, len(terms), per_line)]
    return (latex(scale) if scale is not None else None), rows


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
