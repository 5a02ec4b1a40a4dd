"""Symbolic derivations of a layer with sympy: any element of any stage, verified exactly.

The convolution of a layer, then its activation, then its pooling::

    y[o, i, j] = b[o] + (1/N) · Σ_c Σ_m Σ_n x[c₀ + c, s·i + d·m − p, s·j + d·n − p] · w[o, c, m, n]
    a[o, i, j] = max(y[o, i, j], 0)                        (ReLU; a = y without activation)
    q[o, i, j] = max over the window of a   or   (1/D) · Σ over the window of a

where ``c₀`` is the first input channel of filter ``o``'s group. Each element is derived
as for one channel (:mod:`explainer.symbolic`): the formula with the element's indices,
then the numbers in place, all unevaluated so that they print as written by hand, and
evaluated by sympy. Nothing here calls the engine: windows, border values, pooling windows
and divisors are worked out from the formulas, written independently of
:mod:`explainer.core.layer`, and :func:`verify_layer` compares every number of a trace with them
by exact equality.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np  # noqa: F401 - the examples use it
import sympy as sp

from explainer.core.layer import Layer
from explainer.core.layer_trace import LayerTrace
from explainer.core.limits import MAX_DERIVED_PRODUCTS
from explainer.core.tensors import exact_tensor
from explainer.errors import ProblemError, TooLargeError
from explainer.proof.symbolic import Times, _unevaluated, border_value, from_sympy, to_sympy

x = sp.IndexedBase("x")
w = sp.IndexedBase("w")
b = sp.IndexedBase("b")
y = sp.IndexedBase("y")
a = sp.IndexedBase("a")
q = sp.IndexedBase("q")
o, c, i, j, m, n = sp.symbols("o c i j m n", integer=True, nonnegative=True)
C, k, ell, s, d, p, N = sp.symbols("C k l s d p N", integer=True, positive=True)


def layer_formula(layer: Layer | None = None) -> sp.Eq:
    """The formula of one element of a layer's convolution, as an unevaluated equation.

    Without a layer, the general form (``C`` input channels per filter, a ``k×l`` kernel,
    stride ``s``, dilation ``d``, padding ``p``, divisor ``N``); with one, its numbers
    substituted (a per-filter channel offset appears with groups).

    >>> print(sp.sstr(layer_formula(), order="none"))
    Eq(y[o, i, j], b[o] + Sum(x[c, -p + i*s + m*d, -p + j*s + n*d]*w[o, c, m, n],
       (n, 0, -1 + l), (m, 0, -1 + k), (c, 0, -1 + C))/N)
    >>> layer = Layer(np.zeros((3, 5, 5), int), np.zeros((2, 3, 3, 3), int), bias=[0, 0])
    >>> print(sp.sstr(layer_formula(layer), order="none"))
    Eq(y[o, i, j], b[o] + Sum(x[c, i + m, j + n]*w[o, c, m, n], (n, 0, 2), (m, 0, 2), (c, 0, 2)))
    """
    if layer is None:
        summand = sp.Mul(x[c, s * i + d * m - p, s * j + d * n - p], w[o, c, m, n], evaluate=False)
        body = sp.Sum(summand, (n, 0, ell - 1), (m, 0, k - 1), (c, 0, C - 1))
        rhs = sp.Add(b[o], sp.Mul(1 / N, body, evaluate=False), evaluate=False)
        return sp.Eq(y[o, i, j], rhs, evaluate=False)
    (sh, sw), (dh, dw) = layer.stride, layer.dilation
    top, left = layer.padding[0], layer.padding[2]
    co, cg, kh, kw = layer.weight.shape
    channel: sp.Expr = c
    if layer.groups > 1:
        channel = sp.Add(cg * sp.floor(o / (co // layer.groups)), c, evaluate=False)
    row = _index(sh, i, dh, m, top)
    col = _index(sw, j, dw, n, left)
    tap = (kh - 1 - m, kw - 1 - n) if layer.flip else (m, n)
    summand = sp.Mul(x[channel, row, col], w[(o, c, *tap)], evaluate=False)
    body: sp.Expr = sp.Sum(summand, (n, 0, kw - 1), (m, 0, kh - 1), (c, 0, cg - 1))
    scale = _scale(layer.normalize, layer.divisors[0]) if layer.normalize == "area" else None
    if layer.normalize == "sum":
        body = sp.Mul(1 / sp.Symbol("N_o", positive=True), body, evaluate=False)
    elif scale is not None:
        body = sp.Mul(scale, body, evaluate=False)
    rhs = body if layer.bias is None else sp.Add(b[o], body, evaluate=False)
    return sp.Eq(y[o, i, j], rhs, evaluate=False)


def _index(stride: int, out: sp.Symbol, dilation: int, tap: sp.Symbol, pad: int) -> sp.Expr:
    """s·i + d·m − p, unevaluated, without trivial parts."""
    terms = [stride * out, dilation * tap]
    if pad:
        terms.append(sp.Integer(-pad))
    return sp.Add(*terms, evaluate=False)


def _scale(normalize: str | None, divisor: Any) -> sp.Rational | None:
    if normalize is None or divisor == 1:
        return None
    return 1 / to_sympy(divisor)


@dataclass(frozen=True)
class LayerDerivation:
    """How one element of a layer follows from the formula: per channel, then in total."""

    index: tuple[int, int, int]
    channels: tuple[int, ...]
    expansion: sp.Expr
    """b[o] + (1/N)·((x[c,…]·w[o,c,…] + …) + …): one parenthesized sum per channel."""
    substituted: sp.Expr
    """The same with the numbers in place, unevaluated."""
    products: tuple[tuple[sp.Rational, ...], ...] = field(repr=False)
    """Per channel, each product, evaluated by sympy."""
    partial_sums: tuple[sp.Rational, ...] = ()
    in_padding: tuple[bool, ...] = ()
    bias: sp.Rational = sp.Integer(0)
    pre_activation: sp.Rational = sp.Integer(0)
    activation: sp.Rational = sp.Integer(0)
    """max(pre-activation, 0) for ReLU, evaluated by sympy; the pre-activation otherwise."""


@dataclass(frozen=True)
class PooledDerivation:
    """How one pooled element follows from the activations in its window."""

    index: tuple[int, int, int]
    positions: tuple[tuple[int, int], ...]
    """The input cells of the window inside the maps, row-major."""
    expression: sp.Expr
    """Max(a[c, r, s], …) or (1/D)·(a[c, r, s] + …), unevaluated."""
    substituted: sp.Expr
    value: sp.Rational
    chosen: int | None
    """Max: the index into ``positions`` of the first value equal to the maximum."""
    divisor: int | None


class _LayerDeriver:
    """Derives the elements of one layer, sharing what depends only on an index or value."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self.input = exact_tensor(layer.input, "the input")
        self.weight = exact_tensor(layer.weight, "the weight")
        c_out = layer.out_channels
        bias = [0] * c_out if layer.bias is None else exact_tensor(layer.bias, "the bias").tolist()
        self.bias = [to_sympy(v) for v in bias]
        self.scales = [_scale(layer.normalize, v) for v in layer.divisors]
        self._x: dict[tuple[int, int, int], tuple[sp.Indexed, sp.Rational]] = {}
        self._pairs: dict[tuple[sp.Rational, sp.Rational], tuple[Times, sp.Rational]] = {}
        self._done: dict[tuple[int, int, int], LayerDerivation] = {}

    def _image_term(self, ch: int, r: int, col: int) -> tuple[sp.Indexed, sp.Rational]:
        key = (ch, r, col)
        if key not in self._x:
            value = border_value(self.input[ch], r, col, self.layer.padding_mode)
            self._x[key] = (x[ch, r, col], to_sympy(value))
        return self._x[key]

    def _product(self, u: sp.Rational, v: sp.Rational) -> tuple[Times, sp.Rational]:
        if (u, v) not in self._pairs:
            self._pairs[u, v] = (Times(u, v), u * v)
        return self._pairs[u, v]

    def element(self, oo: int, ii: int, jj: int) -> LayerDerivation:
        key = (oo, ii, jj)
        if key in self._done:
            return self._done[key]
        layer = self.layer
        co, cg, kh, kw = layer.weight.shape
        (sh, sw), (dh, dw) = layer.stride, layer.dilation
        top, left = layer.padding[0], layer.padding[2]
        h, wd = layer.input.shape[1:]
        first = (oo // (co // layer.groups)) * cg
        symbolic_groups, number_groups, products, partials, padded = [], [], [], [], []
        for cc in range(cg):
            symbolic_terms, number_terms, prods = [], [], []
            for mm in range(kh):
                r = sh * ii + dh * mm - top
                for nn in range(kw):
                    col = sw * jj + dw * nn - left
                    tap = (kh - 1 - mm, kw - 1 - nn) if layer.flip else (mm, nn)
                    symbol_x, value_x = self._image_term(first + cc, r, col)
                    value_w = to_sympy(self.weight[(oo, cc, *tap)])
                    times, product = self._product(value_x, value_w)
                    symbolic_terms.append(_unevaluated(sp.Mul, (symbol_x, w[(oo, cc, *tap)])))
                    number_terms.append(times)
                    prods.append(product)
                    if cc == 0:
                        padded.append(not (0 <= r < h and 0 <= col < wd))
            symbolic_groups.append(_unevaluated(sp.Add, symbolic_terms))
            number_groups.append(_unevaluated(sp.Add, number_terms))
            products.append(tuple(prods))
            partials.append(number_groups[-1].doit())
        scale = self.scales[oo]

        def assemble(groups: list[sp.Expr], bias: sp.Expr | None) -> sp.Expr:
            body = groups[0] if len(groups) == 1 else _unevaluated(sp.Add, groups)
            if scale is not None:
                body = _unevaluated(sp.Mul, (scale, body))
            return body if bias is None else _unevaluated(sp.Add, (bias, body))

        has_bias = layer.bias is not None
        expansion = assemble(symbolic_groups, b[oo] if has_bias else None)
        substituted = assemble(number_groups, self.bias[oo] if has_bias else None)
        total = sp.Add(*partials)
        pre = (total if scale is None else scale * total) + self.bias[oo]
        activation = sp.Max(pre, 0) if layer.activation == "relu" else pre
        derived = LayerDerivation(
            index=key,
            channels=tuple(range(first, first + cg)),
            expansion=expansion,
            substituted=substituted,
            products=tuple(products),
            partial_sums=tuple(partials),
            in_padding=tuple(padded),
            bias=self.bias[oo],
            pre_activation=pre,
            activation=activation,
        )
        self._done[key] = derived
        return derived

    def pooled(self, ch: int, ii: int, jj: int) -> PooledDerivation:
        spec = self.layer.pool
        if spec is None:
            raise ProblemError("this layer does not pool; there are no pooled elements")
        _, h, wd = self.layer.output_shape
        (kh, kw), (sh, sw), (ph, pw) = spec.size, spec.stride, spec.padding
        # torch: the window starts at s·i − p and is counted up to n + p at most.
        r0, c0 = ii * sh - ph, jj * sw - pw
        r1, c1 = min(r0 + kh, h + ph), min(c0 + kw, wd + pw)
        positions = tuple(
            (r, col)
            for r in range(max(r0, 0), min(r1, h))
            for col in range(max(c0, 0), min(c1, wd))
        )
        values = [self.element(ch, r, col).activation for r, col in positions]
        symbols = [a[ch, r, col] for r, col in positions]
        if spec.mode == "max":
            expression = sp.Max(*symbols, evaluate=False) if len(symbols) > 1 else symbols[0]
            substituted = sp.Max(*values, evaluate=False) if len(values) > 1 else values[0]
            value = sp.Max(*values)
            chosen = next(t for t, v in enumerate(values) if v == value)
            return PooledDerivation((ch, ii, jj), positions, expression, substituted, value,
                                    chosen, None)  # fmt: skip
        if spec.count_include_pad:
            divisor = (r1 - r0) * (c1 - c0)
        else:
            divisor = len(positions)
        scale = sp.Rational(1, divisor)
        expression = _unevaluated(sp.Mul, (scale, _unevaluated(sp.Add, symbols)))
        substituted = _unevaluated(sp.Mul, (scale, _unevaluated(sp.Add, values)))
        value = scale * sp.Add(*values)
        return PooledDerivation((ch, ii, jj), positions, expression, substituted, value, None,
                                divisor)  # fmt: skip


def pooled_size(n_in: int, kernel: int, stride: int, pad: int, ceil_mode: bool) -> int:
    """torch's pooled size along one axis, with sympy's floor and ceiling.

    >>> pooled_size(7, 2, 2, 0, False), pooled_size(7, 2, 2, 0, True)
    (3, 4)
    >>> pooled_size(5, 1, 3, 0, True)  # ⌈4/3⌉ + 1 = 3, but window 2 would start at 6 ≥ 5
    2
    """
    ratio = sp.Rational(n_in + 2 * pad - kernel, stride)
    size = int((sp.ceiling(ratio) if ceil_mode else sp.floor(ratio)) + 1)
    if ceil_mode and (size - 1) * stride >= n_in + pad:
        size -= 1
    return size


def derive_layer_element(layer: Layer, o: int, i: int, j: int) -> LayerDerivation:
    """Derive element (o, i, j) of the layer's convolution and activation with sympy.

    >>> layer = Layer([[[1, 2], [3, 4]], [[0, 1], [1, 0]]], [[[[1, -1]], [[2, 2]]]],
    ...               bias=[-3], activation="relu")
    >>> d = derive_layer_element(layer, 0, 1, 0)
    >>> print(sp.sstr(d.substituted, order="none"))
    -3 + ((3*1 + 4*(-1)) + (1*2 + 0*2))
    >>> d.partial_sums, d.pre_activation, d.activation
    ((-1, 2), -2, 0)
    """
    _check_index(layer.output_shape, (o, i, j), "element")
    return _LayerDeriver(layer).element(o, i, j)


def derive_pooled_element(layer: Layer, c: int, i: int, j: int) -> PooledDerivation:
    """Derive pooled element (c, i, j) from the activations of its window, with sympy.

    >>> from explainer import Pool
    >>> layer = Layer([[[1, -2, 3], [4, 5, -6], [7, -8, 9]]], [[[[1]]]], pool=Pool(2,
    ...               ceil_mode=True), activation="relu")
    >>> d = derive_pooled_element(layer, 0, 1, 1)  # the corner window holds one cell
    >>> d.positions, d.value
    (((2, 2),), 9)
    """
    if layer.pool is None:
        raise ProblemError("this layer does not pool; there are no pooled elements")
    shape = (layer.out_channels, *_pooled_shape(layer))
    _check_index(shape, (c, i, j), "pooled element")
    return _LayerDeriver(layer).pooled(c, i, j)


def _pooled_shape(layer: Layer) -> tuple[int, int]:
    spec = layer.pool
    assert spec is not None
    _, h, wd = layer.output_shape
    return (
        pooled_size(h, spec.size[0], spec.stride[0], spec.padding[0], spec.ceil_mode),
        pooled_size(wd, spec.size[1], spec.stride[1], spec.padding[1], spec.ceil_mode),
    )


def _check_index(shape: Sequence[int], index: tuple[int, int, int], what: str) -> None:
    if not all(0 <= v < size for v, size in zip(index, shape, strict=True)):
        raise ProblemError(
            f"{what} {index} is outside the {'×'.join(map(str, shape))} result; indices go "
            "from 0 to one less than each size"
        )


@dataclass(frozen=True)
class LayerMismatch:
    stage: str
    """"convolution" or "pooling"."""
    index: tuple[int, int, int]
    what: str
    engine: Any
    sympy: Any


@dataclass(frozen=True)
class LayerVerification:
    """The outcome of comparing a layer's trace with sympy's derivations."""

    checked: int
    """Elements of the convolution (and activation) compared."""
    pooled: int
    """Pooled elements compared."""
    mismatches: tuple[LayerMismatch, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def verify_layer(trace: LayerTrace) -> LayerVerification:
    """Compare every number of an exact layer trace with sympy, by exact equality: each
    channel's products and partial sum, which taps fall on the border, the pre-activation
    and activation of every element, then every pooled element's window, value, chosen
    position (max) and divisor (avg).

    >>> from explainer import Pool, build_layer_trace
    >>> layer = Layer(np.arange(32).reshape(2, 4, 4) % 5 - 2, np.ones((3, 2, 2, 2), int),
    ...               bias=[1, 0, -1], padding=1, activation="relu", pool=Pool(2))
    >>> v = verify_layer(build_layer_trace(layer))
    >>> v.checked, v.pooled, v.ok
    (75, 12, True)
    """
    if not trace.exact:
        raise ProblemError(
            "verify_layer needs an exact trace: build_layer_trace(layer, exact=True)"
        )
    layer = trace.layer
    c_out, oh, ow = layer.output_shape
    kh, kw = layer.kernel_shape
    products = c_out * oh * ow * layer.group_channels * kh * kw
    if products > MAX_DERIVED_PRODUCTS:
        raise TooLargeError(
            f"deriving every element of the layer means {products:,} products; at most "
            f"{MAX_DERIVED_PRODUCTS:,} are derived at once: use a smaller layer"
        )
    deriver = _LayerDeriver(layer)
    found: list[LayerMismatch] = []

    def differ(stage: str, index: tuple[int, int, int], what: str, ours: Any, theirs: Any) -> None:
        if ours != theirs:
            found.append(LayerMismatch(stage, index, what, ours, theirs))

    for step in trace.steps:
        der = deriver.element(*step.index)
        conv = "convolution"
        differ(conv, step.index, "channels", step.channels, der.channels)
        sym_products = tuple(tuple(from_sympy(v) for v in part) for part in der.products)
        differ(conv, step.index, "products", tuple(p.products for p in step.parts), sym_products)
        partials = tuple(from_sympy(v) for v in der.partial_sums)
        differ(conv, step.index, "partial sums", step.partial_sums, partials)
        differ(conv, step.index, "window", step.parts[0].in_padding, der.in_padding)
        differ(conv, step.index, "bias", step.bias, from_sympy(der.bias))
        differ(
            conv, step.index, "pre-activation", step.pre_activation, from_sympy(der.pre_activation)
        )
        differ(conv, step.index, "activation", step.activation, from_sympy(der.activation))
    pooled = 0
    if layer.pool is not None:
        assert trace.pool is not None
        shape = (c_out, *_pooled_shape(layer))
        if trace.pool.output_shape != shape:
            differ("pooling", (0, 0, 0), "shape", trace.pool.output_shape, shape)
        else:
            for ps in trace.pool.steps:
                der_p = deriver.pooled(*ps.index)
                differ("pooling", ps.index, "window", ps.positions, der_p.positions)
                differ("pooling", ps.index, "value", ps.value, from_sympy(der_p.value))
                differ("pooling", ps.index, "chosen", ps.chosen, der_p.chosen)
                differ("pooling", ps.index, "divisor", ps.divisor, der_p.divisor)
                pooled += 1
    return LayerVerification(checked=len(trace.steps), pooled=pooled, mismatches=tuple(found))
