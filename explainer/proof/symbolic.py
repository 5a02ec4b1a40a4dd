"""Symbolic derivations with sympy: the general formula and every output pixel.

Structure first, evaluation on request: the general formula is an unevaluated ``Sum`` over
``Indexed`` symbols; each pixel's derivation is obtained by substituting that pixel's
indices into the formula, then the numbers into the expansion, all kept unevaluated so they
print as written by hand. ``.doit()`` evaluates. :func:`verify` compares every value of a
trace with its derivation by exact equality.

Numbers reach sympy only as ``Integer`` and ``Rational`` built from Python ints, never by
parsing strings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm

from explainer.core import display, limits
from explainer.core.engine import exact_values
from explainer.core.problem import Problem
from explainer.core.trace import Number, Trace
from explainer.errors import ProblemError

x = sp.IndexedBase("x")
w = sp.IndexedBase("w")
y = sp.IndexedBase("y")
i, j, m, n = sp.symbols("i j m n", integer=True, nonnegative=True)
s, d, p, k, ell, N = sp.symbols("s d p k l N", integer=True, positive=True)
size_in, size_out, pad_before, pad_after = sp.symbols(
    "n_in n_out p_before p_after", integer=True, nonnegative=True
)


class Times(sp.Expr):
    """An unevaluated product of two numbers, ``a·b``, with negative factors in parentheses.

    sympy's own unevaluated ``Mul`` of two numbers prints ``1⋅-1`` or worse; a learner
    expects ``1·(−1)``. ``doit()`` gives the product.

    >>> Times(sp.Integer(-1), sp.Rational(1, 2))
    (-1)*(1/2)
    >>> Times(sp.Integer(-1), sp.Integer(3)).doit()
    -3
    """

    def __new__(cls, a: sp.Expr, b: sp.Expr) -> Times:
        return sp.Expr.__new__(cls, a, b)

    def doit(self, **hints: Any) -> sp.Expr:
        return self.args[0] * self.args[1]

    @staticmethod
    def _wrap(v: sp.Expr) -> bool:
        return bool(v.is_negative) or (v.is_Rational and not v.is_Integer)

    def _sympystr(self, printer: Any) -> str:
        parts = [
            f"({printer._print(a)})" if self._wrap(a) else printer._print(a) for a in self.args
        ]
        return "*".join(parts)

    def _latex(self, printer: Any) -> str:
        parts = [
            rf"\left({printer._print(a)}\right)" if self._wrap(a) else printer._print(a)
            for a in self.args
        ]
        return r" \cdot ".join(parts)

    def _pretty(self, printer: Any) -> prettyForm:
        out = None
        for a in self.args:
            form = printer._print(a)
            if self._wrap(a):
                form = prettyForm(*form.parens())
            out = form if out is None else prettyForm(*out.right("·", form))
        return out


def to_sympy(v: Number) -> sp.Rational:
    """An exact sympy number from an int or Fraction (floats read as the decimal shown)."""
    if isinstance(v, float):
        v = Fraction(repr(v))
    if isinstance(v, Fraction):
        return sp.Rational(v.numerator, v.denominator)
    return sp.Integer(int(v))


def from_sympy(v: sp.Expr) -> Fraction | int:
    """The Python exact number equal to a sympy Rational."""
    q = sp.Rational(v)
    return int(q.p) if q.q == 1 else Fraction(int(q.p), int(q.q))


def _scale(problem: Problem) -> sp.Rational | None:
    """1/N for the problem's normalization, or None when nothing is divided."""
    if problem.normalize is None or problem.divisor == 1:
        return None  # dividing by 1 changes nothing; the script says so in words
    return 1 / to_sympy(problem.divisor)


def _kernel_index(problem: Problem) -> tuple[sp.Expr, sp.Expr]:
    kh, kw = problem.kernel.shape
    if problem.flip:
        return (kh - 1 - m, kw - 1 - n)
    return (m, n)


def _summand(problem: Problem) -> sp.Expr:
    (sh, sw), (dh, dw) = problem.stride, problem.dilation
    top, left = problem.padding[0], problem.padding[2]
    row = _window_index(sh, i, dh, m, top)
    col = _window_index(sw, j, dw, n, left)
    return sp.Mul(x[row, col], w[_kernel_index(problem)], evaluate=False)


def _window_index(stride: int, out: sp.Symbol, dilation: int, tap: sp.Symbol, pad: int) -> sp.Expr:
    """s·i + d·m − p, unevaluated (so it prints in that order), without trivial parts."""
    terms = [stride * out, dilation * tap]
    if pad:
        terms.append(sp.Integer(-pad))
    return sp.Add(*terms, evaluate=False)


def _with_scale(scale: sp.Rational | None, body: sp.Expr) -> sp.Expr:
    return body if scale is None else sp.Mul(scale, body, evaluate=False)


def general_formula(problem: Problem | None = None) -> sp.Eq:
    """The formula for one output pixel, as an unevaluated sympy equation.

    Without a problem, the fully general form with stride ``s``, dilation ``d``, padding
    ``p``, a ``k×l`` kernel and divisor ``N``; with one, its numbers substituted.

    >>> print(sp.sstr(general_formula(), order="none"))
    Eq(y[i, j], Sum(x[-p + i*s + m*d, -p + j*s + n*d]*w[m, n], (n, 0, -1 + l), (m, 0, -1 + k))/N)
    >>> from explainer.core.presets import lecture_image, diagonal_filter
    >>> lecture = Problem(lecture_image(), diagonal_filter(), normalize="area")
    >>> print(sp.sstr(general_formula(lecture), order="none"))
    Eq(y[i, j], Sum(x[i + m, j + n]*w[m, n], (n, 0, 2), (m, 0, 2))/9)
    """
    if problem is None:
        summand = sp.Mul(x[s * i + d * m - p, s * j + d * n - p], w[m, n], evaluate=False)
        body = sp.Sum(sp.Sum(summand, (n, 0, ell - 1)), (m, 0, k - 1))
        return sp.Eq(y[i, j], sp.Mul(1 / N, body, evaluate=False), evaluate=False)
    kh, kw = problem.kernel.shape
    body = sp.Sum(sp.Sum(_summand(problem), (n, 0, kw - 1)), (m, 0, kh - 1))
    return sp.Eq(y[i, j], _with_scale(_scale(problem), body), evaluate=False)


def output_size_formula() -> sp.Eq:
    """n_out = ⌊(n + p_before + p_after − d·(k − 1) − 1) / s⌋ + 1 along one axis."""
    # Built unevaluated so that it prints in the order a textbook writes it.
    span = sp.Mul(d, sp.Add(k, -1, evaluate=False), evaluate=False)
    numerator = sp.Add(size_in, pad_before, pad_after, -span, -1, evaluate=False)
    quotient = sp.Mul(numerator, sp.Pow(s, -1, evaluate=False), evaluate=False)
    return sp.Eq(
        size_out, sp.Add(sp.floor(quotient, evaluate=False), 1, evaluate=False), evaluate=False
    )


def output_size(n_in: int, before: int, after: int, kernel: int, stride: int, dilation: int) -> int:
    """Evaluate :func:`output_size_formula` with sympy for one axis.

    >>> output_size(9, 0, 0, 3, 1, 1)
    7
    >>> output_size(7, 1, 1, 3, 2, 2)
    3
    """
    rhs = output_size_formula().rhs
    value = rhs.xreplace(
        {size_in: n_in, pad_before: before, pad_after: after, k: kernel, s: stride, d: dilation}
    )
    return int(value)


def border_value(image: np.ndarray, r: int, c: int, mode: str) -> Number:
    """The value the padded image holds at image coordinates (r, c), which may be outside.

    Written independently of the engine's numpy padding, so that verification also checks
    where each window lies and what its border holds.
    """
    h, wd = image.shape

    def fold(v: int, size: int) -> int | None:
        if 0 <= v < size:
            return v
        if mode == "zeros":
            return None
        if mode == "replicate":
            return min(max(v, 0), size - 1)
        if mode == "circular":
            return v % size
        period = 2 * (size - 1)  # reflect about the edge pixels, not repeating them
        v = abs(v) % period if period else 0
        return period - v if v >= size else v

    rr, cc = fold(r, h), fold(c, wd)
    if rr is None or cc is None:
        return 0
    return image[rr, cc]


@dataclass(frozen=True)
class PixelDerivation:
    """How one output pixel follows from the formula, in three unevaluated stages."""

    index: tuple[int, int]
    expansion: sp.Expr
    """The formula with this pixel's indices: (1/9)·(x[0,0]·w[0,0] + …)."""
    substituted: sp.Expr
    """The same with the numbers in place, still unevaluated: (1·1 + (−1)·(−1) + …)/9."""
    products: tuple[sp.Expr, ...] = field(repr=False)
    """Each product, evaluated by sympy, in the order of the expansion."""
    value: sp.Rational = sp.Integer(0)
    """The pixel's exact value, evaluated by sympy."""
    in_padding: tuple[bool, ...] = ()

    # MathML (HTML), LaTeX, Markdown and text, for Jupyter (explainer.outputs.notebook).
    _repr_mimebundle_ = display.mimebundle


def derive_pixel(problem: Problem, row: int, col: int) -> PixelDerivation:
    """Derive output pixel (row, col) from :func:`general_formula` with sympy.

    >>> from explainer.core.presets import lecture_image, diagonal_filter
    >>> d = derive_pixel(Problem(lecture_image(), diagonal_filter(), normalize="area"), 1, 1)
    >>> d.value
    1
    >>> print(sp.sstr(d.substituted, order="none").replace(" ", "")[:24])
    (1*1+(-1)*(-1)+(-1)*(-1)
    """
    return _Deriver(problem).pixel(row, col)


def _unevaluated(op: type[sp.Add] | type[sp.Mul], args: Sequence[sp.Expr]) -> sp.Expr:
    """``op(*args, evaluate=False)`` for commuting sympy arguments, built directly.

    The same expression (equal, same arguments in the same order); ``evaluate=False``
    would first look each new term up in sympy's cache and check it, which is most of
    the time a derivation takes.
    """
    return op._from_args(tuple(args), True)


class _Deriver:
    """Derives the pixels of one problem, substituting into the formula axis by axis.

    The summand ``x[s·i + d·m − p, s·j + d·n − p]·w[m, n]`` has one index expression per
    axis; sympy substitutes (output row, tap row) into the row expression once for each
    pair, and likewise for columns and the kernel's indices, instead of into the whole
    product for every tap of every pixel. What depends only on an index or a value (the
    ``x[r, c]`` symbols, their numbers, each product) is made once and shared: sympy's
    expressions are immutable. The result is the same expression tree, term by term.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.image = exact_values(problem.image)
        self.kernel = exact_values(problem.kernel)
        self.scale = _scale(problem)
        (sh, sw), (dh, dw) = problem.stride, problem.dilation
        top, left = problem.padding[0], problem.padding[2]
        self.row_index = _window_index(sh, i, dh, m, top)
        self.col_index = _window_index(sw, j, dw, n, left)
        row_tap, col_tap = _kernel_index(problem)
        kh, kw = problem.kernel.shape
        # The kernel's symbols w[a, b] and numbers, per tap (m, n), from its index formulas.
        kernel_rows = [int(sp.sympify(row_tap).xreplace({m: mm})) for mm in range(kh)]
        kernel_cols = [int(sp.sympify(col_tap).xreplace({n: nn})) for nn in range(kw)]
        self.weights = [
            [(w[a, b], to_sympy(self.kernel[a, b])) for b in kernel_cols] for a in kernel_rows
        ]
        self._rows: dict[int, list[int]] = {}
        self._cols: dict[int, list[int]] = {}
        self._x: dict[tuple[int, int], tuple[sp.Indexed, sp.Rational]] = {}
        self._pairs: dict[tuple[sp.Rational, sp.Rational], tuple[Times, sp.Rational]] = {}

    def _axis(
        self,
        cache: dict[int, list[int]],
        expr: sp.Expr,
        out: sp.Symbol,
        tap: sp.Symbol,
        out_value: int,
        taps: int,
    ) -> list[int]:
        if out_value not in cache:
            cache[out_value] = [int(expr.xreplace({out: out_value, tap: t})) for t in range(taps)]
        return cache[out_value]

    def _image_term(self, r: int, c: int) -> tuple[sp.Indexed, sp.Rational]:
        if (r, c) not in self._x:
            value = border_value(self.image, r, c, self.problem.padding_mode)
            self._x[r, c] = (x[r, c], to_sympy(value))
        return self._x[r, c]

    def _product(self, a: sp.Rational, b: sp.Rational) -> tuple[Times, sp.Rational]:
        if (a, b) not in self._pairs:
            self._pairs[a, b] = (Times(a, b), a * b)
        return self._pairs[a, b]

    def _scaled(self, body: sp.Expr) -> sp.Expr:
        return body if self.scale is None else _unevaluated(sp.Mul, (self.scale, body))

    def pixel(self, row: int, col: int) -> PixelDerivation:
        kh, kw = self.problem.kernel.shape
        h, wd = self.image.shape
        rows = self._axis(self._rows, self.row_index, i, m, row, kh)
        cols = self._axis(self._cols, self.col_index, j, n, col, kw)
        symbolic_terms, number_terms, products, padded = [], [], [], []
        for r, weights in zip(rows, self.weights, strict=True):
            for c, (symbol_w, value_w) in zip(cols, weights, strict=True):
                symbol_x, value_x = self._image_term(r, c)
                times, product = self._product(value_x, value_w)
                symbolic_terms.append(_unevaluated(sp.Mul, (symbol_x, symbol_w)))
                number_terms.append(times)
                products.append(product)
                padded.append(not (0 <= r < h and 0 <= c < wd))
        expansion = self._scaled(_unevaluated(sp.Add, symbolic_terms))
        substituted = self._scaled(_unevaluated(sp.Add, number_terms))
        return PixelDerivation(
            index=(row, col),
            expansion=expansion,
            substituted=substituted,
            products=tuple(products),
            value=substituted.doit(),
            in_padding=tuple(padded),
        )


# The limit counts products (pixels × taps), each built, evaluated and printed by sympy.
# At the limit, on the 2-core development machine, `explainer check` takes about 3 s and
# `explainer derive` about 5 s, most of it printing (benchmarks/bench_derive.py).


def derive_all(
    problem: Problem, progress: Callable[[int, int], None] | None = None
) -> tuple[PixelDerivation, ...]:
    """Every output pixel's derivation, in row-major order; ``progress(done, total)`` is
    called after each one when given."""
    oh, ow = problem.output_shape
    products = oh * ow * problem.kernel.size
    limits.refuse("derive-all", products, patches=oh * ow)
    deriver = _Deriver(problem)
    derived = []
    for r in range(oh):
        for c in range(ow):
            derived.append(deriver.pixel(r, c))
            if progress is not None:
                progress(len(derived), oh * ow)
    return tuple(derived)


@dataclass(frozen=True)
class Mismatch:
    index: tuple[int, int]
    what: str
    engine: Any
    sympy: Any


@dataclass(frozen=True)
class Verification:
    """The outcome of comparing a trace with sympy's derivations."""

    checked: int
    mismatches: tuple[Mismatch, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def verify(trace: Trace, derivations: Sequence[PixelDerivation] | None = None) -> Verification:
    """Compare every product and value of an exact trace with sympy, by exact equality.

    >>> from explainer.core.trace import build_trace
    >>> from explainer.core.presets import lecture_image, diagonal_filter
    >>> t = build_trace(Problem(lecture_image(), diagonal_filter(), normalize="area"))
    >>> v = verify(t)
    >>> v.checked, v.ok
    (49, True)
    """
    if not trace.exact:
        raise ProblemError("verify needs an exact trace: build_trace(problem, exact=True)")
    if derivations is None:
        derivations = derive_all(trace.problem)
    mismatches = []
    for step, der in zip(trace.steps, derivations, strict=True):
        sym_products = tuple(from_sympy(v) for v in der.products)
        if step.products != sym_products:
            mismatches.append(Mismatch(step.index, "products", step.products, sym_products))
        if step.in_padding != der.in_padding:
            mismatches.append(Mismatch(step.index, "window", step.in_padding, der.in_padding))
        sym_value = from_sympy(der.value)
        if step.value != sym_value:
            mismatches.append(Mismatch(step.index, "value", step.value, sym_value))
    return Verification(checked=len(derivations), mismatches=tuple(mismatches))


def split_sum(expr: sp.Expr) -> tuple[sp.Expr | None, tuple[sp.Expr, ...]]:
    """A derivation's ``(1/N, terms)``: its scale (None when nothing is divided) and the
    terms of its sum.

    A 1×1 kernel's "sum" is a single product, which sympy does not wrap in an ``Add``: its
    factors must not be taken for terms (nor the first for a scale).

    >>> scale, terms = split_sum(sp.Mul(x[0, 0], w[0, 0], evaluate=False))
    >>> scale, len(terms)
    (None, 1)
    >>> split_sum(sp.Mul(sp.Rational(1, 9), sp.Add(x[0, 0], x[0, 1], evaluate=False),
    ...                  evaluate=False))
    (1/9, (x[0, 0], x[0, 1]))
    """
    if isinstance(expr, sp.Mul) and len(expr.args) == 2 and expr.args[0].is_Rational:
        scale, body = expr.args
    else:
        scale, body = None, expr
    return scale, sp.Add.make_args(body)
