"""The trace of a layer: every output element's channels, bias, activation, and pooling."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from explainer.core.layer import (
    Layer,
)
from explainer.core.layer_engine import (
    layer_plan,
)
from explainer.core.limits import MAX_TRACE_PRODUCTS
from explainer.core.pooling import (
    Pool,
    pool,
)
from explainer.core.tensors import (
    as_tensor,
    exact_tensor,
)
from explainer.core.trace import Number, Step
from explainer.errors import ProblemError, TooLargeError

# ----- the trace -------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerStep:
    """One output element of a layer's convolution: every input channel's part, the bias,
    the pre-activation and the activation."""

    index: tuple[int, int, int]
    """(output channel o, row i, column j)."""
    channels: tuple[int, ...]
    """The input channels filter o reads, in order."""
    parts: tuple[Step, ...]
    """Per input channel: the window, patch, weights w[o, c], products and partial sum
    (a :class:`explainer.Step` whose ``total`` and ``value`` are the partial sum)."""
    total: Number
    """The sum of the partial sums."""
    divisor: Number
    bias: Number
    pre_activation: Number
    """total / divisor + bias, as the engine computed it."""
    activation: Number
    """The activation of the pre-activation (itself when the layer has none)."""

    @property
    def partial_sums(self) -> tuple[Number, ...]:
        return tuple(p.total for p in self.parts)

    @property
    def positions(self) -> tuple[tuple[int, int], ...]:
        """Input (row, column) under each tap, the same for every channel."""
        return self.parts[0].positions


@dataclass(frozen=True)
class PoolStep:
    """One pooled element: its window, the values in it, and what pooling makes of them."""

    index: tuple[int, int, int]
    """(channel, row, column) of the pooled element."""
    window: tuple[int, int, int, int]
    """(top, left, bottom, right), inclusive, in input coordinates: torch's window, which
    may reach into the padding (negative, or past the last row or column) but not past it."""
    positions: tuple[tuple[int, int], ...]
    """The input cells inside the window, row-major."""
    values: tuple[Number, ...]
    chosen: int | None
    """Max pooling: the index into ``positions`` of the largest value (the first on ties)."""
    divisor: int | None
    """Average pooling: what the window's sum is divided by."""
    value: Number

    @property
    def padding_cells(self) -> int:
        """Cells of the window on the padding (zeros that avg may count)."""
        top, left, bottom, right = self.window
        return (bottom - top + 1) * (right - left + 1) - len(self.positions)


@dataclass(frozen=True)
class PoolTrace:
    """Every pooled element of a (C, H, W) input."""

    pool: Pool
    input_shape: tuple[int, int, int]
    steps: tuple[PoolStep, ...]

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return (self.input_shape[0], *self.pool.output_shape(self.input_shape))

    def step(self, c: int, i: int, j: int) -> PoolStep:
        return self.steps[_flat_index(self.output_shape, (c, i, j), "pooled element")]

    def __iter__(self) -> Iterator[PoolStep]:
        return iter(self.steps)

    @property
    def output(self) -> tuple[tuple[tuple[Number, ...], ...], ...]:
        return _nest([s.value for s in self.steps], self.output_shape)


@dataclass(frozen=True)
class LayerTrace:
    """Every step of one layer: the convolution's elements, then pooling when it pools."""

    layer: Layer
    exact: bool
    steps: tuple[LayerStep, ...]
    """Row-major over (o, i, j)."""
    pool: PoolTrace | None

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return self.layer.output_shape

    def step(self, o: int, i: int, j: int) -> LayerStep:
        return self.steps[_flat_index(self.output_shape, (o, i, j), "element")]

    def __iter__(self) -> Iterator[LayerStep]:
        return iter(self.steps)

    @property
    def pre_activation(self) -> tuple[tuple[tuple[Number, ...], ...], ...]:
        return _nest([s.pre_activation for s in self.steps], self.output_shape)

    @property
    def activation(self) -> tuple[tuple[tuple[Number, ...], ...], ...]:
        return _nest([s.activation for s in self.steps], self.output_shape)

    @property
    def output(self) -> tuple[tuple[tuple[Number, ...], ...], ...]:
        """The layer's output: pooled, or the activation when it does not pool."""
        return self.activation if self.pool is None else self.pool.output


def _flat_index(shape: tuple[int, int, int], index: tuple[int, int, int], what: str) -> int:
    if not all(0 <= v < n for v, n in zip(index, shape, strict=True)):
        raise ProblemError(
            f"{what} {index} is outside the {'×'.join(map(str, shape))} result; indices go "
            "from 0 to one less than each size"
        )
    c, i, j = index
    return (c * shape[1] + i) * shape[2] + j


def _nest(values: list[Number], shape: tuple[int, int, int]) -> tuple:
    _, h, w = shape
    rows = [tuple(values[k : k + w]) for k in range(0, len(values), w)]
    return tuple(tuple(rows[k : k + h]) for k in range(0, len(rows), h))


def _plain(v: Any) -> Number:
    """numpy scalars to Python numbers; whole Fractions to int."""
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else v
    if isinstance(v, (float, np.floating)):
        return float(v)
    return int(v)


def build_layer_trace(layer: Layer, *, exact: bool | None = None) -> LayerTrace:
    """Record every step of ``layer``: per output element each channel's window, patch,
    products and partial sum, the bias, the pre-activation and the activation; then every
    pooled element. Values of each stage are the engine's (:meth:`Layer.compute`).

    >>> layer = Layer([[[1, 2], [3, 4]], [[0, 1], [1, 0]]], [[[[1, -1]], [[2, 2]]]], bias=[1],
    ...               activation="relu")
    >>> s = build_layer_trace(layer).step(0, 1, 0)
    >>> [p.products for p in s.parts], s.partial_sums, s.bias, s.pre_activation, s.activation
    ([(3, -4), (2, 0)], (-1, 2), 1, 2, 2)
    """
    exact = layer.exact if exact is None else exact
    c_out, oh, ow = layer.output_shape
    kh, kw = layer.kernel_shape
    products = c_out * oh * ow * layer.group_channels * kh * kw
    if products > MAX_TRACE_PRODUCTS:
        raise TooLargeError(
            f"tracing every step of the layer would record {products:,} products; at most "
            f"{MAX_TRACE_PRODUCTS:,} can be traced, use the engine for more"
        )
    stages = layer.compute(exact=exact)
    if exact:
        x = exact_tensor(layer.input, "the input")
        w = exact_tensor(layer.applied_weight, "the weight")
        b = [0] * c_out if layer.bias is None else exact_tensor(layer.bias, "the bias").tolist()
        divisors = [_plain(Fraction(d)) for d in layer.divisors]
    else:
        x = layer.input.astype(np.float64)
        w = layer.applied_weight.astype(np.float64)
        b = [0.0] * c_out if layer.bias is None else layer.bias.astype(np.float64).tolist()
        divisors = [float(d) for d in layer.divisors]
    plan = layer_plan(layer)
    h, wd = plan.image_shape
    rows, cols = plan.row_source.tolist(), plan.column_source.tolist()
    top, left = plan.padding[0], plan.padding[2]
    (sh, sw), (dh, dw) = plan.stride, plan.dilation
    zero = 0 if exact else 0.0
    planes = [x[c].tolist() for c in range(layer.in_channels)]
    pre, act = stages.pre_activation.tolist(), stages.activation.tolist()
    steps = []
    for o in range(c_out):
        channels = tuple(layer.channels_of(o))
        kernels = [tuple(_plain(v) for v in w[o, k].ravel().tolist()) for k in range(len(channels))]
        for i in range(oh):
            for j in range(ow):
                taps = [(sh * i + dh * m, sw * j + dw * n) for m in range(kh) for n in range(kw)]
                positions = tuple((r - top, c - left) for r, c in taps)
                inside = tuple(not (0 <= r < h and 0 <= c < wd) for r, c in positions)
                parts = []
                for k, c in enumerate(channels):
                    plane = planes[c]
                    patch = tuple(
                        zero if rows[r] < 0 or cols[q] < 0 else _plain(plane[rows[r]][cols[q]])
                        for r, q in taps
                    )
                    prods = tuple(_plain(a * v) for a, v in zip(patch, kernels[k], strict=True))
                    total = _plain(sum(prods, zero))
                    parts.append(
                        Step(
                            (i, j),
                            (kh, kw),
                            positions,
                            inside,
                            patch,
                            kernels[k],
                            prods,
                            total,
                            total,
                        )  # fmt: skip
                    )
                steps.append(
                    LayerStep(
                        index=(o, i, j),
                        channels=channels,
                        parts=tuple(parts),
                        total=_plain(sum((p.total for p in parts), zero)),
                        divisor=divisors[o],
                        bias=_plain(b[o]),
                        pre_activation=_plain(pre[o][i][j]),
                        activation=_plain(act[o][i][j]),
                    )
                )
    pooled = None
    if layer.pool is not None:
        pooled = _pool_trace(stages.activation, layer.pool, stages.output)
    return LayerTrace(layer=layer, exact=exact, steps=tuple(steps), pool=pooled)


def trace_pool(x: Any, spec: Pool) -> PoolTrace:
    """Record every pooled element of a (C, H, W) array: window, values, the chosen value
    (max) or the divisor (avg), and the engine's result.

    >>> t = trace_pool([[[1, 3], [3, 0]]], Pool(2))
    >>> s = t.step(0, 0, 0)
    >>> s.values, s.chosen, s.positions[s.chosen], s.value  # ties: the first, row-major
    ((1, 3, 3, 0), 1, (0, 1), 3)
    """
    arr = as_tensor(x, "the input of pooling", 3, copy=False)
    return _pool_trace(arr, spec, pool(arr, spec))


def _pool_trace(x: np.ndarray, spec: Pool, result: np.ndarray) -> PoolTrace:
    c, h, w = x.shape
    oh, ow = spec.output_shape((h, w))
    row_windows, col_windows = spec.windows(h, 0, oh), spec.windows(w, 1, ow)
    planes, values = x.tolist(), result.tolist()
    steps = []
    for ch in range(c):
        for i, (r0, r1) in enumerate(row_windows):
            for j, (c0, c1) in enumerate(col_windows):
                positions = tuple(
                    (r, q)
                    for r in range(max(r0, 0), min(r1, h))
                    for q in range(max(c0, 0), min(c1, w))
                )
                inside = tuple(_plain(planes[ch][r][q]) for r, q in positions)
                chosen = divisor = None
                if spec.mode == "max":
                    chosen = max(range(len(inside)), key=lambda k, v=inside: (v[k], -k))
                else:
                    rows = (r1 - r0) if spec.count_include_pad else min(r1, h) - max(r0, 0)
                    cols = (c1 - c0) if spec.count_include_pad else min(c1, w) - max(c0, 0)
                    divisor = rows * cols
                steps.append(
                    PoolStep(
                        index=(ch, i, j),
                        window=(r0, c0, r1 - 1, c1 - 1),
                        positions=positions,
                        values=inside,
                        chosen=chosen,
                        divisor=divisor,
                        value=_plain(values[ch][i][j]),
                    )
                )
    return PoolTrace(pool=spec, input_shape=(c, h, w), steps=tuple(steps))
