"""The backward pass proved by sympy: every gradient element differentiated from the forward sums.

sympy is given the layer's forward pass as sums of symbols, one per output pixel,

    y[o, i, j] = b[o] + Σ_c Σ_m Σ_n  x[c, r, q] · w[o, c, m, n],

where (r, q) is the input pixel the window of (i, j) puts under tap (m, n): inside the
image ``s·i + d·m − p_top``, and on the border the pixel the border copies (reflect,
replicate, circular) or no term at all (zeros). The loss is ``L = Σ g[o, i, j] · y[o, i, j]``
with symbols ``g`` for the error map. ``sympy.diff`` gives ∂L/∂w[o, c, m, n],
∂L/∂x[c, r, q] and ∂L/∂b[o] as sums of products of known arrays (``g·x``, ``g·w``, ``g``);
substituting the numbers gives each element exactly, which must equal the engine's closed
forms (:func:`explainer.conv2d_backward`: the correlation of the input with the error
map, and the transposed convolution of the error map with the kernel).

Nothing here computes a gradient the engine's way: the only shared code is the checking
of the inputs' shapes and options.

This module imports sympy; ``import explainer`` does not (its names are loaded on first use).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from explainer.core import limits
from explainer.core.backward import (
    conv2d_backward,
    conv_transpose2d,
    transposed_by_matrix,
    transposed_by_scatter,
    transposed_by_zero_insertion,
)
from explainer.core.backward_common import backward_inputs
from explainer.core.problem import is_exact
from explainer.core.transposed import transposed_layout
from explainer.errors import ProblemError
from explainer.proof.symbolic import border_value, from_sympy, to_sympy

x = sp.IndexedBase("x")
w = sp.IndexedBase("w")
g = sp.IndexedBase("g")
b = sp.IndexedBase("b")

# The layer's formulas are built whole, and verify_backward differentiates every formula
# once for each symbol it holds. At this limit (products of the forward pass) it takes
# about 10 s on the 2-core development machine.


@dataclass(frozen=True)
class GradientDerivation:
    """One element of a gradient, as sympy derived it from the loss."""

    of: str
    """"weight", "input" or "bias"."""
    index: tuple[int, ...]
    """The element's index: (o, c, m, n), (c, r, q) or (o); (m, n) and (r, q) for 2D layers."""
    derivative: sp.Expr = field(repr=False)
    """sympy's ∂L/∂element, a sum of products of ``g`` with ``x``, ``w`` or 1."""
    value: sp.Rational = sp.Integer(0)
    """The derivative with the numbers substituted, evaluated by sympy."""

    @property
    def terms(self) -> int:
        """How many products the derivative sums."""
        d = self.derivative
        return 0 if d == 0 else len(d.args) if isinstance(d, sp.Add) else 1


@dataclass(frozen=True)
class GradientMismatch:
    of: str
    index: tuple[int, ...]
    engine: Any
    sympy: Any


@dataclass(frozen=True)
class BackwardVerification:
    """The outcome of comparing every gradient element with sympy's derivative."""

    checked: int
    mismatches: tuple[GradientMismatch, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches


class BackwardDerivation:
    """One layer's forward pass as sympy sums, ready to differentiate element by element.

    Each output pixel's formula ``y[o, i, j] = b[o] + Σ x·w`` is built from the indices
    alone. The loss ``L = Σ g·y`` is linear in the pixels, so sympy's derivative of it is
    ``Σ g[o, i, j] · ∂y[o, i, j]/∂v`` over the pixels whose formula holds ``v``: sympy
    differentiates each such formula (and finds which they are from their symbols).
    ``whole_loss=True`` instead differentiates the expanded loss itself, all terms at once
    (slower; the same result, as the tests check).

    Parameters are those of :func:`explainer.conv2d_backward`; the numbers must be exact
    (integers or Fractions). With 2D arrays the indices are 2D too: ∂L/∂w[m, n] and
    ∂L/∂x[r, q].

    >>> layer = BackwardDerivation([[1, 2, 3], [4, 5, 6]], [[1, -1]], [[1, 0], [0, 2]])
    >>> layer.pixel(0, 0)
    b[0] + w[0, 0]*x[0, 0] + w[0, 1]*x[0, 1]
    >>> d = layer.weight(0, 1)
    >>> d.derivative
    g[0, 0]*x[0, 1] + g[0, 1]*x[0, 2] + g[1, 0]*x[1, 1] + g[1, 1]*x[1, 2]
    >>> d.value  # 1·2 + 0·3 + 0·5 + 2·6
    14
    >>> layer.input(1, 1).derivative
    g[1, 0]*w[0, 1] + g[1, 1]*w[0, 0]
    >>> layer.input(1, 1, whole_loss=True).derivative == layer.input(1, 1).derivative
    True
    """

    def __init__(
        self,
        x_values: Any,
        w_values: Any,
        grad_out: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: Any = 1,
        padding_mode: str = "zeros",
    ) -> None:
        xs, ws, gs, flat, geometry, groups = backward_inputs(
            x_values, w_values, grad_out, stride, padding, dilation, groups, padding_mode
        )
        if not (is_exact(xs) and is_exact(ws) and is_exact(gs)):
            raise ProblemError("the proof needs exact numbers (integers or Fractions), not floats")
        products = gs.size * ws[0].size  # every output pixel × its taps (an upper bound)
        limits.refuse("layer-proof", products)
        self.flat = flat
        self.options = {
            "stride": geometry.stride,
            "padding": geometry.padding,
            "dilation": geometry.dilation,
            "groups": groups,
            "padding_mode": geometry.padding_mode,
        }
        self.arrays = (xs, ws, gs)
        self.shapes = (xs.shape, ws.shape, gs.shape)
        # Plain symbols named as the Indexed ones they stand for (sympy differentiates them
        # several times faster); derivatives are shown with the Indexed ones.
        self._symbols: dict[tuple[str, tuple[int, ...]], sp.Symbol] = {}
        self.numbers: dict[sp.Symbol, sp.Rational] = {}
        self.display: dict[sp.Symbol, sp.Indexed] = {}
        for base, arr in ((x, xs), (w, ws), (g, gs)):
            for idx, v in np.ndenumerate(arr):
                self.numbers[self._symbol(base, idx)] = to_sympy(v)
        self.pixels = self._pixels(geometry.output_shape, groups, padding_mode)
        self._where: dict[sp.Symbol, list[tuple[int, ...]]] = {}
        for key, formula in self.pixels.items():
            for symbol in formula.free_symbols:
                self._where.setdefault(symbol, []).append(key)
        self._loss: sp.Expr | None = None

    def _symbol(self, base: sp.IndexedBase, idx: tuple[int, ...]) -> sp.Symbol:
        """x[c, r, q], w[o, c, m, n], g[o, i, j], b[o]; without the channels for a 2D layer."""
        idx = tuple(int(v) for v in idx)
        if self.flat and base is not b:
            idx = idx[-2:]
        key = (str(base), idx)
        symbol = self._symbols.get(key)
        if symbol is None:
            symbol = self._symbols[key] = sp.Symbol(str(base[idx]))
            self.display[symbol] = base[idx]
        return symbol

    def _pixels(
        self, output_shape: tuple[int, int], groups: int, mode: str
    ) -> dict[tuple[int, ...], sp.Expr]:
        """y[o, i, j] = b[o] + Σ x[c, r, q] · w[o, c, m, n], built from the indices."""
        (c_in, h, wd), (c_out, per_group, kh, kw) = self.shapes[0], self.shapes[1]
        (sh, sw), (dh, dw) = self.options["stride"], self.options["dilation"]
        top, left = self.options["padding"][0], self.options["padding"][2]
        oh, ow = output_shape
        images = []
        for c in range(c_in):
            image = np.empty((h, wd), dtype=object)
            for r in range(h):
                for q in range(wd):
                    image[r, q] = self._symbol(x, (c, r, q))
            images.append(image)
        pixels = {}
        for o in range(c_out):
            first = (o // (c_out // groups)) * per_group
            for i in range(oh):
                for j in range(ow):
                    products = [self._symbol(b, (o,))]
                    for cl in range(per_group):
                        for m in range(kh):
                            for n in range(kw):
                                pixel = border_value(
                                    images[first + cl],
                                    sh * i + dh * m - top,
                                    sw * j + dw * n - left,
                                    mode,
                                )
                                if pixel != 0:
                                    products.append(pixel * self._symbol(w, (o, cl, m, n)))
                    pixels[o, i, j] = sp.Add(*products)
        return pixels

    def pixel(self, *index: int) -> sp.Expr:
        """Output pixel (o, i, j)'s formula, or (i, j) for a 2D layer (a bias b[0] included)."""
        key = (0, *index) if self.flat else tuple(index)
        return self.pixels[key].xreplace(self.display)

    @property
    def loss(self) -> sp.Expr:
        """L = Σ g[o, i, j] · y[o, i, j], expanded: one term per product (and bias)."""
        if self._loss is None:
            self._loss = sp.expand(
                sp.Add(*[self._symbol(g, key) * y for key, y in self.pixels.items()])
            )
        return self._loss

    def _derive(
        self, of: str, symbol: sp.Symbol, index: tuple[int, ...], whole_loss: bool
    ) -> GradientDerivation:
        if whole_loss:
            derivative = sp.diff(self.loss, symbol)
        else:
            derivative = sp.Add(
                *[
                    self._symbol(g, key) * sp.diff(self.pixels[key], symbol)
                    for key in self._where.get(symbol, ())
                ]
            )
        derivative = sp.expand(derivative)  # one term per product, however it was found
        value = sp.Rational(derivative.xreplace(self.numbers))
        return GradientDerivation(of, index, derivative.xreplace(self.display), value)

    def weight(self, *index: int, whole_loss: bool = False) -> GradientDerivation:
        """∂L/∂w at (o, c, m, n), or (m, n) for a 2D layer."""
        full = self._full(index, self.shapes[1], "weight")
        return self._derive("weight", self._symbol(w, full), tuple(index), whole_loss)

    def input(self, *index: int, whole_loss: bool = False) -> GradientDerivation:
        """∂L/∂x at (c, r, q), or (r, q) for a 2D layer."""
        full = self._full(index, self.shapes[0], "input")
        return self._derive("input", self._symbol(x, full), tuple(index), whole_loss)

    def bias(self, o: int = 0, whole_loss: bool = False) -> GradientDerivation:
        """∂L/∂b[o]: the sum of the error map's channel o."""
        if not 0 <= o < self.shapes[1][0]:
            raise ProblemError(f"the bias index {o} is outside its {self.shapes[1][0]} channels")
        return self._derive("bias", self._symbol(b, (o,)), (o,), whole_loss)

    def _full(self, index: tuple[int, ...], shape: tuple[int, ...], what: str) -> tuple[int, ...]:
        full = (0,) * (len(shape) - len(index)) + tuple(index) if self.flat else tuple(index)
        if len(full) != len(shape) or not all(0 <= v < n for v, n in zip(full, shape, strict=True)):
            shown = shape[-len(index) :] if self.flat else shape
            raise ProblemError(f"the {what} index {tuple(index)} is outside its shape {shown}")
        return full

    @property
    def products(self) -> int:
        """How many products of x and w the forward formulas hold."""
        return sum(len(y.args) - 1 for y in self.pixels.values())


def derive_weight_gradient(
    x_values: Any, w_values: Any, grad_out: Any, index: Sequence[int], **options: Any
) -> GradientDerivation:
    """sympy's ∂L/∂w[index] for ``L = Σ grad_out · conv2d(x, w)`` (options as
    :func:`explainer.conv2d_backward`).

    >>> derive_weight_gradient([[1, 2], [3, 4]], [[1]], [[1, 1], [1, 1]], (0, 0)).value
    10
    """
    return BackwardDerivation(x_values, w_values, grad_out, **options).weight(*index)


def derive_input_gradient(
    x_values: Any, w_values: Any, grad_out: Any, index: Sequence[int], **options: Any
) -> GradientDerivation:
    """sympy's ∂L/∂x[index] for ``L = Σ grad_out · conv2d(x, w)``.

    >>> derive_input_gradient([[1, 2, 3]], [[1, 2]], [[5, 7]], (0, 1)).derivative
    g[0, 0]*w[0, 1] + g[0, 1]*w[0, 0]
    """
    return BackwardDerivation(x_values, w_values, grad_out, **options).input(*index)


def verify_backward(
    x_values: Any, w_values: Any, grad_out: Any, **options: Any
) -> BackwardVerification:
    """Every element of the three gradients: sympy's derivative against the engine, exactly.

    >>> v = verify_backward([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]], [[1, 2], [3, 4]])
    >>> v.checked, v.ok  # 4 weights, 9 pixels, 1 bias
    (14, True)
    """
    layer = BackwardDerivation(x_values, w_values, grad_out, **options)
    grad_x, grad_w, grad_b = conv2d_backward(x_values, w_values, grad_out, **options)
    mismatches = []
    checked = 0
    for of, engine, derive in (
        ("weight", grad_w, layer.weight),
        ("input", grad_x, layer.input),
        ("bias", grad_b, layer.bias),
    ):
        for idx in np.ndindex(engine.shape):
            checked += 1
            value = from_sympy(derive(*idx).value)
            if engine[idx] != value:
                mismatches.append(GradientMismatch(of, idx, engine[idx], value))
    return BackwardVerification(checked, tuple(mismatches))


def verify_transposed(
    x_values: Any,
    w_values: Any,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
) -> BackwardVerification:
    """The transposed convolution proved as a gradient, and its three views shown equal.

    sympy differentiates ``⟨conv2d(z, w), x⟩`` with respect to every pixel of ``z`` (the
    output's shape; ``x`` extended by zeros where the convolution's output is larger,
    which output_padding can cause): the derivative is the transposed convolution of
    ``x``. Each element must equal :func:`explainer.conv_transpose2d`, and the scatter,
    zero-insertion and matrix views must equal it element by element.

    >>> v = verify_transposed([[1, 2], [3, 4]], [[1, 1], [1, -1]], stride=2)
    >>> v.checked, v.ok  # 16 pixels, each by sympy and by three views
    (64, True)
    """
    options = {
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
        "groups": groups,
    }
    opt = transposed_layout(x_values, w_values, **options)
    xs, ws, flat = opt.x, opt.w, opt.flat
    c_out, oh, ow = opt.out_shape
    ch, cw = opt.geometry.output_shape
    error = np.zeros((xs.shape[0], ch, cw), dtype=object)
    error[:, : xs.shape[1], : xs.shape[2]] = xs
    canvas = np.zeros((c_out, oh, ow), dtype=np.int64)
    if flat:
        error, canvas = error[0], canvas[0]
    layer = BackwardDerivation(
        canvas,
        ws[0, 0] if flat else ws,
        error,
        stride=opt.stride,
        padding=opt.padding,
        dilation=opt.dilation,
        groups=opt.groups,
    )
    engine = conv_transpose2d(x_values, w_values, **options)
    views = {
        "scatter": transposed_by_scatter(x_values, w_values, **options),
        "zero insertion": transposed_by_zero_insertion(x_values, w_values, **options),
        "matrix": transposed_by_matrix(x_values, w_values, **options),
    }
    mismatches = [
        GradientMismatch(name, (), engine.shape, view.shape)
        for name, view in views.items()
        if view.shape != engine.shape
    ]
    checked = 0
    for idx in np.ndindex(engine.shape):
        checked += 1
        value = from_sympy(layer.input(*idx).value)
        if engine[idx] != value:
            mismatches.append(GradientMismatch("sympy", idx, engine[idx], value))
        for name, view in views.items():
            if view.shape == engine.shape:
                checked += 1
                if view[idx] != engine[idx]:
                    mismatches.append(GradientMismatch(name, idx, engine[idx], view[idx]))
    return BackwardVerification(checked, tuple(mismatches))
