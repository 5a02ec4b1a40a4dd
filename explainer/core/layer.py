"""A convolutional layer for one sample: channels, filter banks, groups, bias, ReLU, pooling.

The semantics are those of PyTorch's ``torch.nn.functional.conv2d``, ``relu``,
``max_pool2d`` and ``avg_pool2d`` for one sample (no batch axis), so that a learner's
numbers carry over. Filter ``o`` of a layer with ``G`` groups reads the ``C_g = C_in / G``
input channels of its group ``g = ⌊o / (C_out / G)⌋``::

    y[o, i, j] = b[o] + (1/N_o) · Σ_c Σ_m Σ_n x[g·C_g + c, s·i + d·m − p, s·j + d·n − p]
                                              · w[o, c, m, n]

where ``N_o`` is 1 unless ``normalize`` asks for the filter's area (``C_g·kH·kW``) or its
sum. Stride, padding (every mode), dilation and flip mean what they mean for one channel
(:class:`explainer.Problem`). Then ``relu`` and pooling, with torch's rules: the window of
pooled element ``i`` starts at ``s·i − p``; ``ceil_mode`` keeps a last, partial window only
when it starts inside the input or the left padding; max pooling ignores the padding and
reports the first largest value in row-major order; average pooling divides by the
window's cells inside the padded input (``count_include_pad``) or inside the input alone.

Two number kinds, as for one channel: integers and Fractions are computed exactly (ints,
or Fractions where anything is divided), floats in the input's precision: float64, or
float32 for a float32 input (summed in float32 by BLAS sgemm, as torch does; one channel
sums a float32 image in float64). Both paths walk the output in blocks of rows, so the
full im2col matrix is never built and the peak memory is the output plus a block or two.
Each block's windows become one patch matrix (at most :data:`PATCH_BLOCK_ELEMENTS` values)
multiplied by the filters in one product. On the float path of a big layer, BLAS is held
to one thread (:mod:`explainer.core.blas`) and the blocks are shared among a few threads
of the engine's own (OpenBLAS's threads waiting for each other on a busy machine cost more
than they gain); where BLAS cannot be held, every product is kept small enough for
OpenBLAS to run it on one thread (with stride 1, shifted matrix products of the input
where it lies, :mod:`explainer.core.layer_blocks`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from explainer.core.geometry import _int_items
from explainer.core.layer_engine import convolve
from explainer.core.limits import MAX_PADDED_ELEMENTS
from explainer.core.pooling import (
    Pool,
    _axes,
    pool,
    relu,
)
from explainer.core.problem import (
    FLOAT_SAFE_MAX,
    NORMALIZATIONS,
    Geometry,
    _about,
    is_exact,
    magnitude_bound,
    plan_geometry,
)
from explainer.core.tensors import (
    ACTIVATIONS,
    _flag,
    as_tensor,
    exact_tensor,
)
from explainer.core.trace import Number
from explainer.errors import ProblemError, TooLargeError

# ----- the layer -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Layer:
    """One convolutional layer applied to one sample, validated on construction.

    Parameters
    ----------
    input : array_like, shape (C_in, H, W)
    weight : array_like, shape (C_out, C_in / groups, kH, kW)
        One filter per output channel, each with one kernel per input channel it reads.
    bias : array_like of shape (C_out,), or None
    stride, padding, padding_mode, dilation, flip
        As for :class:`explainer.Problem`, the same for every channel.
    groups : int
        Input and output channels split into this many groups; filter ``o`` reads only
        the input channels of its group (``groups = C_in``: one channel per filter).
    normalize : None, "area" or "sum"
        Divide each filter's sum of products by its number of elements or by its sum
        (before the bias is added).
    activation : None or "relu"
    pool : Pool or None
        Pooling after the activation.

    Examples
    --------
    >>> layer = Layer(np.ones((2, 4, 4), int), np.ones((3, 2, 3, 3), int), bias=[0, 1, -20],
    ...               activation="relu", pool=Pool(2))
    >>> layer.output_shape, layer.activation_shape, layer.final_shape
    ((3, 2, 2), (3, 2, 2), (3, 1, 1))
    >>> layer.parameter_count, layer.multiply_adds
    (57, 216)
    """

    input: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None = None
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    padding_mode: str = "zeros"
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    flip: bool = False
    normalize: str | None = None
    activation: str | None = None
    pool: Pool | None = None
    padding_spec: str | None = field(default=None, compare=False)
    geometry: Geometry | None = field(default=None, compare=False, repr=False)

    def __init__(
        self,
        input: Any,  # noqa: A002 - torch's name for it
        weight: Any,
        bias: Any = None,
        *,
        stride: int | tuple[int, int] = 1,
        padding: str | int | tuple[int, ...] = 0,
        padding_mode: str = "zeros",
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        flip: bool = False,
        normalize: str | None = None,
        activation: str | None = None,
        pool: Pool | None = None,
        copy: bool = True,
    ) -> None:
        x = as_tensor(input, "the input", None, copy)
        if x.ndim != 3:
            raise ProblemError(
                f"a layer's input has shape (channels, rows, columns); got {x.ndim} "
                f"dimension{'s' * (x.ndim != 1)}"
            )
        w = as_tensor(weight, "the weight", None, copy)
        if w.ndim != 4:
            raise ProblemError(
                "a layer's weight has shape (out channels, in channels / groups, rows, "
                f"columns); got {w.ndim} dimension{'s' * (w.ndim != 1)}"
            )
        groups_ = _int_items(groups, "groups")
        if len(groups_) != 1 or groups_[0] < 1:
            raise ProblemError(f"groups must be one whole number ≥ 1; got {groups!r}")
        g = groups_[0]
        c_in, c_out = x.shape[0], w.shape[0]
        if c_in % g or c_out % g:
            raise ProblemError(
                f"groups ({g}) must divide both the input channels ({c_in}) and the "
                f"output channels ({c_out})"
            )
        if w.shape[1] * g != c_in:
            raise ProblemError(
                f"the weight has {w.shape[1]} input channel{'s' * (w.shape[1] != 1)} per "
                f"filter, but the input has {c_in} channel{'s' * (c_in != 1)} in {g} "
                f"group{'s' * (g != 1)}: each filter needs {c_in // g}"
            )
        b = None
        if bias is not None:
            b = as_tensor(bias, "the bias", None, copy)
            if b.shape != (c_out,):
                raise ProblemError(
                    f"the bias needs one number per output channel, {c_out}; got shape {b.shape}"
                )
        flip = _flag(flip, "flip")
        if isinstance(normalize, str) and normalize.lower() == "none":
            normalize = None
        if not (normalize is None or isinstance(normalize, str)) or normalize not in NORMALIZATIONS:
            raise ProblemError(f"unknown normalization {normalize!r}; choose none, area or sum")
        if isinstance(activation, str) and activation.lower() == "none":
            activation = None
        if not (activation is None or isinstance(activation, str)) or (
            activation not in ACTIVATIONS
        ):
            raise ProblemError(f"unknown activation {activation!r}; choose relu or none")
        if pool is not None and not isinstance(pool, Pool):
            raise ProblemError(f"pool must be a Pool or None; got {pool!r}")
        geometry = plan_geometry(
            x.shape[1:],
            w.shape[2:],
            stride=stride,
            padding=padding,
            padding_mode=padding_mode,
            dilation=dilation,
        )
        oh, ow = geometry.output_shape
        if c_out * oh * ow > MAX_PADDED_ELEMENTS:
            raise TooLargeError(
                f"the layer's output would hold {c_out * oh * ow:,} values; at most "
                f"{MAX_PADDED_ELEMENTS:,} are supported"
            )
        for name, value in (
            ("input", x),
            ("weight", w),
            ("bias", b),
            ("stride", geometry.stride),
            ("padding", geometry.padding),
            ("padding_mode", geometry.padding_mode),
            ("dilation", geometry.dilation),
            ("groups", g),
            ("flip", flip),
            ("normalize", normalize),
            ("activation", activation),
            ("pool", pool),
            ("padding_spec", padding if isinstance(padding, str) else None),
            ("geometry", geometry),
        ):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_divisors", self._filter_divisors())
        if normalize == "sum" and any(v == 0 for v in self.divisors):
            o = next(k for k, v in enumerate(self.divisors) if v == 0)
            raise ProblemError(
                f"filter {o}'s elements sum to 0, so it cannot be normalized by its sum; "
                "use normalize none or area"
            )
        if pool is not None:
            try:
                pool.output_shape((oh, ow))  # refuses a window larger than the maps
            except ProblemError as err:  # "the input" of pooling is the layer's feature maps
                raise ProblemError(f"pooling the {oh}×{ow} feature maps: {err}") from None
        self._check_float_range()

    # ----- derived quantities ---------------------------------------------------------------

    @property
    def in_channels(self) -> int:
        return int(self.input.shape[0])

    @property
    def out_channels(self) -> int:
        return int(self.weight.shape[0])

    @property
    def kernel_shape(self) -> tuple[int, int]:
        return int(self.weight.shape[2]), int(self.weight.shape[3])

    @property
    def group_channels(self) -> int:
        """Input channels each filter reads: C_in / groups."""
        return int(self.weight.shape[1])

    def channels_of(self, o: int) -> range:
        """The input channels filter ``o`` reads (those of its group)."""
        per_group = self.out_channels // self.groups
        first = (o // per_group) * self.group_channels
        return range(first, first + self.group_channels)

    @property
    def output_shape(self) -> tuple[int, int, int]:
        """(C_out, rows, columns) of the convolution (pre-activation and activation)."""
        oh, ow = self.geometry.output_shape
        return self.out_channels, oh, ow

    activation_shape = output_shape

    @property
    def final_shape(self) -> tuple[int, int, int]:
        """The shape after pooling (the activation's shape without pooling)."""
        if self.pool is None:
            return self.output_shape
        return (self.out_channels, *self.pool.output_shape(self.output_shape))

    @property
    def exact(self) -> bool:
        """True when every number is an integer or a Fraction."""
        arrays = [self.input, self.weight] + ([] if self.bias is None else [self.bias])
        return all(is_exact(a) for a in arrays)

    @property
    def parameter_count(self) -> int:
        """Weights plus biases."""
        return int(self.weight.size) + (0 if self.bias is None else int(self.bias.size))

    @property
    def multiply_adds(self) -> int:
        """Products the convolution computes: output values × taps per filter."""
        c, oh, ow = self.output_shape
        return c * oh * ow * int(self.weight[0].size)

    @property
    def applied_weight(self) -> np.ndarray:
        """The filters as laid on the input: each kernel rotated by 180° when flipped."""
        return self.weight[:, :, ::-1, ::-1] if self.flip else self.weight

    @property
    def divisors(self) -> tuple[Number, ...]:
        """Per filter, what its sum of products is divided by: 1, its area or its sum
        (exact; floats read as the decimal they print as)."""
        return self._divisors

    def _filter_divisors(self) -> tuple[Number, ...]:
        if self.normalize is None:
            return (1,) * self.out_channels
        if self.normalize == "area":
            return (int(self.weight[0].size),) * self.out_channels
        filters = exact_tensor(self.weight, warn=False)
        sums = []
        for f in filters:
            total = sum(f.ravel().tolist(), 0)
            whole = isinstance(total, Fraction) and total.denominator == 1
            sums.append(total.numerator if whole else total)
        return tuple(sums)

    def describe(self) -> str:
        """One line: shapes, options and what follows the convolution."""
        c, h, w = self.input.shape
        co, cg, kh, kw = self.weight.shape
        parts = [f"{c}×{h}×{w} input", f"{co} filters of {cg}×{kh}×{kw}"]
        if self.bias is not None:
            parts.append("bias")
        if self.groups > 1:
            parts.append(f"{self.groups} groups")
        if self.stride != (1, 1):
            parts.append(f"stride {_axes(self.stride)}")
        if any(self.padding):
            parts.append("padding " + ",".join(str(v) for v in self.padding))
        if self.dilation != (1, 1):
            parts.append(f"dilation {_axes(self.dilation)}")
        if self.flip:
            parts.append("kernels flipped")
        if self.normalize:
            parts.append(f"divided by each filter's {self.normalize}")
        if self.activation:
            parts.append("ReLU")
        if self.pool is not None:
            parts.append(self.pool.describe())
        shape = "×".join(str(v) for v in self.final_shape)
        return ", ".join(parts) + f" → {shape}"

    def _check_float_range(self) -> None:
        """Refuse values whose sums (or their bias) would overflow float64.

        Each filter's partial sums are at most max|x| · Σ|w[o]| in size, divided by |N_o|,
        plus |b[o]|. A quick float bound settles almost every layer; near the limit the
        bound is computed exactly.
        """
        taps = int(self.weight[0].size)
        bias_bound = 0.0 if self.bias is None else _quick_bound(self.bias)
        weights = taps * _quick_bound(self.weight) * 1.000001
        quick = _quick_bound(self.input) * 1.000001 * weights + bias_bound * 1.000001
        if self.normalize != "sum" and weights < FLOAT_SAFE_MAX and quick < FLOAT_SAFE_MAX:
            return
        x, w = exact_tensor(self.input, warn=False), exact_tensor(self.weight, warn=False)
        largest = max(abs(Fraction(v)) for v in x.ravel().tolist())
        b = [0] * self.out_channels
        if self.bias is not None:
            b = exact_tensor(self.bias, warn=False).tolist()
        for o in range(self.out_channels):
            total = sum((abs(Fraction(v)) for v in w[o].ravel().tolist()), Fraction(0))
            bound = largest * total * max(1, 1 / abs(Fraction(self.divisors[o]))) + abs(b[o])
            if max(total, bound) > FLOAT_SAFE_MAX:
                raise ProblemError(
                    f"the values are too large: filter {o}'s sums could reach about "
                    f"{_about(max(total, bound))}, beyond the range of float64 (about "
                    "1.8e308) that the float engine and the checks use; scale the input or "
                    "the weights down"
                )

    # ----- computing ------------------------------------------------------------------------

    def compute(self, *, exact: bool | None = None) -> LayerOutputs:
        """Every stage of the layer: pre-activation, activation and (pooled) output."""
        pre = convolve(self, exact=exact)
        act = relu(pre) if self.activation == "relu" else pre
        out = act if self.pool is None else pool(act, self.pool)
        return LayerOutputs(pre_activation=pre, activation=act, output=out)


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _quick_bound(values: np.ndarray) -> float:
    """An upper bound of max |v|, without reading a float32 array: float32 values (below
    3.5e38) cannot bring a layer's sums near float64's limit unless the other factor is
    huge, and then the exact check follows anyway."""
    return _FLOAT32_MAX if values.dtype == np.float32 else magnitude_bound(values)


@dataclass(frozen=True)
class LayerOutputs:
    """The arrays a layer computes, stage by stage."""

    pre_activation: np.ndarray
    activation: np.ndarray
    output: np.ndarray
    """After pooling (the activation itself when the layer does not pool)."""
