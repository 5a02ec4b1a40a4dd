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
or Fractions where anything is divided), floats in float64 (a float32 input gives a
float32 result, each value rounded once). Both paths walk the output in blocks of rows:
each block's windows become one small patch matrix (at most :data:`BLOCK_ELEMENTS`
values with its partial sums) multiplied by the filters, so the full im2col matrix is
never built and the peak memory is the output plus one block. On the float path the
product is cut into pieces small enough that OpenBLAS runs each on one thread (threads
waiting for each other on a busy machine cost more than they gain), unless BLAS is
limited to one thread anyway, when each block is one product.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from .errors import ExplainerWarning, ProblemError, TooLargeError
from .numeric import INT64_MAX, divided, over_common_denominator
from .problem import (
    FLOAT_SAFE_MAX,
    MAX_PADDED_ELEMENTS,
    NORMALIZATIONS,
    Geometry,
    _about,
    _int_items,
    _pair,
    as_number_array,
    is_exact,
    magnitude_bound,
    plan_geometry,
)
from .sliding import SINGLE_THREAD_PRODUCT, Plan
from .trace import MAX_TRACE_PRODUCTS, Number, Step

PoolMode = Literal["max", "avg"]
POOL_MODES: dict[str, str] = {
    "max": "the largest value of each window (the first in row-major order on ties)",
    "avg": "the mean of each window",
}
ACTIVATIONS: dict[str | None, str] = {
    None: "none: the pre-activation is the output",
    "relu": "ReLU: max(v, 0)",
}

# Values in one block's patch matrix: 1 MiB of float64, which stays in a CPU's L2 cache
# and still gives the matrix product a few hundred columns for a 64-channel 3×3 layer.
BLOCK_ELEMENTS = 1 << 17
PRODUCT_COLUMNS = 32


# ----- reading tensors -------------------------------------------------------------------


def as_tensor(values: Any, name: str, ndim: int | None, copy: bool = True) -> np.ndarray:
    """A read-only array of numbers with ``ndim`` dimensions (any when None), as
    :func:`explainer.problem.as_number_array` reads a matrix: int64 (or Python ints),
    Fractions in an object array, float32 or float64.

    >>> as_tensor([[[1, 2]], [[3, 4]]], "the input", 3).shape
    (2, 1, 2)
    >>> as_tensor([1.0, float("nan")], "the bias", 1)
    Traceback (most recent call last):
    ...
    explainer.errors.ProblemError: the bias holds nan at [1]; only finite numbers are allowed
    """
    if isinstance(values, np.ndarray):
        arr = values
    else:
        try:
            arr = np.asarray(values)
        except ValueError:
            raise ProblemError(
                f"{name} has parts of different lengths; every row, channel and filter "
                "needs as many numbers as the first"
            ) from None
        except (TypeError, OverflowError, RecursionError):
            raise ProblemError(f"{name} cannot be read as an array of numbers") from None
    if ndim is not None and arr.ndim != ndim:
        raise ProblemError(f"{name} must have {ndim} dimension{'s' * (ndim != 1)}; got {arr.ndim}")
    if arr.size == 0:
        raise ProblemError(f"{name} is empty; it needs at least one number")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        where = tuple(int(v) for v in np.argwhere(~np.isfinite(arr))[0])
        raise ProblemError(
            f"{name} holds {arr[where]} at {list(where)}; only finite numbers are allowed"
        )
    shape = arr.shape
    flat = arr.reshape(-1, shape[-1] if arr.ndim else 1)
    try:
        out = as_number_array(flat, name, copy)
    except ProblemError as error:  # say where in the tensor, not in its rows
        raise ProblemError(_tensor_place(str(error), shape)) from None
    return out.reshape(shape)


def _tensor_place(message: str, shape: tuple[int, ...]) -> str:
    found = re.search(r"at row (\d+), column (\d+)", message)
    if not found or len(shape) == 2:
        return message
    flat_index = int(found[1]) * (shape[-1] if shape else 1) + int(found[2])
    where = [int(v) for v in np.unravel_index(flat_index, shape)] if shape else []
    return message.replace(found[0], f"at {where}")


def exact_tensor(arr: np.ndarray, name: str = "the input", warn: bool = True) -> np.ndarray:
    """The tensor as exact numbers: ints and Fractions stay, floats become the decimal they
    print as, with one warning (unless ``warn`` is False) when that is not the float's
    exact value.

    >>> with warnings.catch_warnings(record=True):
    ...     exact_tensor(np.array([0.5, 0.1]))
    array([Fraction(1, 2), Fraction(1, 10)], dtype=object)
    """
    if is_exact(arr):
        return arr
    values = arr.astype(np.float64).ravel().tolist()
    shown = [Fraction(repr(v)) for v in values]
    lossy = [k for k, (q, v) in enumerate(zip(shown, values, strict=True)) if q != v]
    if lossy and warn:
        where = [int(v) for v in np.unravel_index(lossy[0], arr.shape)]
        many = len(lossy) > 1
        warnings.warn(
            f"{len(lossy)} float value{'s' if many else ''} of {name} (first "
            f"{values[lossy[0]]!r} at {where}) {'are' if many else 'is'} not exactly the "
            "decimal shown; the exact path uses the decimal",
            ExplainerWarning,
            stacklevel=3,
        )
    out = np.empty(len(shown), dtype=object)
    out[:] = [q.numerator if q.denominator == 1 else q for q in shown]
    return out.reshape(arr.shape)


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ProblemError(f"{name} must be True or False; got {value!r}")
    return bool(value)


# ----- pooling ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    """What a pooling step does, validated on construction (as ``torch.nn.MaxPool2d`` /
    ``AvgPool2d`` take it, without dilation).

    Parameters
    ----------
    size : int or (int, int)
        The window, per axis.
    stride : int, (int, int) or None
        How far the window jumps; None (default) is the window's size.
    padding : int or (int, int)
        Implicit padding on both sides of each axis, at most half the window (torch's
        rule): −∞ for max (never chosen), zeros for avg.
    mode : "max" or "avg"
    ceil_mode : bool
        Round the output size up instead of down; a last window that would start in the
        right padding is dropped (torch's rule).
    count_include_pad : bool
        For avg: divide by the window's cells inside the padded input (True, default) or
        inside the input only.

    >>> Pool(2).output_shape((7, 7)), Pool(2, ceil_mode=True).output_shape((7, 7))
    ((3, 3), (4, 4))
    """

    size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    mode: PoolMode = "max"
    ceil_mode: bool = False
    count_include_pad: bool = True

    def __init__(
        self,
        size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        mode: str = "max",
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        sizes = _pair(size, "the pooling size")
        strides = sizes if stride is None else _pair(stride, "the pooling stride")
        pads = _int_items(padding, "the pooling padding")
        if len(pads) == 1:
            pads = pads * 2
        if len(pads) != 2 or min(pads) < 0:
            raise ProblemError(
                f"the pooling padding must be one whole number ≥ 0 or a pair (rows, columns); "
                f"got {padding!r}"
            )
        if pads[0] > sizes[0] // 2 or pads[1] > sizes[1] // 2:
            raise ProblemError(
                f"the pooling padding {pads[0]}×{pads[1]} is more than half the "
                f"{sizes[0]}×{sizes[1]} window; torch allows at most half"
            )
        if not isinstance(mode, str) or mode not in POOL_MODES:
            raise ProblemError(f"unknown pooling mode {mode!r}; choose one of max, avg")
        object.__setattr__(self, "size", sizes)
        object.__setattr__(self, "stride", strides)
        object.__setattr__(self, "padding", (pads[0], pads[1]))
        object.__setattr__(self, "mode", mode)
        object.__setattr__(self, "ceil_mode", _flag(ceil_mode, "ceil_mode"))
        object.__setattr__(self, "count_include_pad", _flag(count_include_pad, "count_include_pad"))

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """The pooled (rows, columns) of an input whose last two axes are ``shape[-2:]``.

        ``⌊(n + 2p − k) / s⌋ + 1`` per axis, or with ``ceil_mode`` ``⌈(n + 2p − k) / s⌉ + 1``
        less one when that last window would start at or beyond ``n + p``.
        """
        out = []
        for n, k, s, p in zip(shape[-2:], self.size, self.stride, self.padding, strict=True):
            size = (n + 2 * p - k + (s - 1 if self.ceil_mode else 0)) // s + 1
            if self.ceil_mode and (size - 1) * s >= n + p:
                size -= 1  # the last window would start in the right padding: dropped
            if size < 1:
                raise ProblemError(
                    f"the {self.size[0]}×{self.size[1]} pooling window is larger than the "
                    f"{'padded ' if p else ''}input ({n + 2 * p} along one axis); use a smaller "
                    "window, padding or ceil_mode"
                )
            out.append(size)
        return out[0], out[1]

    def windows(self, n: int, axis: int, out: int) -> list[tuple[int, int]]:
        """(start, stop) of each window along one axis of ``n`` input cells, in input
        coordinates, stopping where torch's count stops (at most ``n + p``)."""
        k, s, p = self.size[axis], self.stride[axis], self.padding[axis]
        return [(i * s - p, min(i * s - p + k, n + p)) for i in range(out)]

    def describe(self) -> str:
        """One line: '2×2 max pooling, stride 2' and the options that are set."""
        parts = [f"{self.size[0]}×{self.size[1]} {self.mode} pooling"]
        parts.append(f"stride {_axes(self.stride)}")
        if any(self.padding):
            parts.append(f"padding {_axes(self.padding)}")
        if self.ceil_mode:
            parts.append("ceil mode")
        if self.mode == "avg" and not self.count_include_pad and any(self.padding):
            parts.append("padding not counted")
        return ", ".join(parts)


def _axes(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}×{pair[1]}"


def pool2d(
    x: Any,
    size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    mode: str = "max",
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> np.ndarray:
    """Max or average pooling of a (C, H, W) or (H, W) array, with torch's rules.

    Parameters are those of :class:`Pool`. Integers and Fractions stay exact (an average is
    a Fraction); floats keep their precision (float32 stays float32; averages are summed
    in float64 and rounded once).

    Examples
    --------
    >>> x = [[1, 5, 2], [3, 4, 6], [0, 7, 1]]
    >>> pool2d(x, 2)  # one whole window; the odd last row and column are dropped
    array([[5]])
    >>> pool2d(x, 2, ceil_mode=True)  # partial windows at the edge are kept
    array([[5, 6],
           [7, 1]])
    >>> pool2d(x, 2, padding=1, mode="avg")  # zeros of the padding are counted
    array([[Fraction(1, 4), Fraction(7, 4)],
           [Fraction(3, 4), Fraction(9, 2)]], dtype=object)
    """
    arr = as_tensor(x, "the input of pool2d", None, copy=False)
    if arr.ndim not in (2, 3):
        raise ProblemError(
            f"pool2d takes (channels, rows, columns) or (rows, columns); got {arr.ndim} "
            f"dimension{'s' * (arr.ndim != 1)}"
        )
    spec = Pool(size, stride, padding, mode, ceil_mode, count_include_pad)
    out = pool(arr if arr.ndim == 3 else arr[None], spec)
    return out if arr.ndim == 3 else out[0]


def pool(x: np.ndarray, spec: Pool) -> np.ndarray:
    """Pool a validated (C, H, W) array (see :func:`pool2d`)."""
    c, h, w = x.shape
    oh, ow = spec.output_shape((h, w))
    (kh, kw), (sh, sw), (ph, pw) = spec.size, spec.stride, spec.padding
    # Every window, from row s·i − p: a grid that starts p before the input and reaches
    # the end of the last window, filled outside the input (−∞ or 0, never counted).
    rows, cols = (oh - 1) * sh + kh, (ow - 1) * sw + kw
    exact = is_exact(x)
    if spec.mode == "max":
        dtype, fill = x.dtype, _lowest(x)
    elif exact:
        big = x.dtype == object or magnitude_bound(x) * kh * kw > INT64_MAX
        dtype, fill = (np.dtype(object) if big else np.dtype(np.int64)), 0
    else:
        dtype, fill = np.dtype(np.float64), 0.0
    grid = np.full((c, rows, cols), fill, dtype=dtype)
    r1, c1 = min(h, rows - ph), min(w, cols - pw)
    grid[:, ph : ph + r1, pw : pw + c1] = x[:, :r1, :c1]
    taps = [
        grid[:, m : m + (oh - 1) * sh + 1 : sh, n : n + (ow - 1) * sw + 1 : sw]
        for m in range(kh)
        for n in range(kw)
    ]
    out = taps[0].copy()
    combine = np.maximum if spec.mode == "max" else np.add
    for tap in taps[1:]:
        combine(out, tap, out=out)
    if spec.mode == "max":
        return out
    divisors = np.outer(
        [b - a for a, b in _counted(spec, h, 0, oh)], [b - a for a, b in _counted(spec, w, 1, ow)]
    )
    if not exact:
        result = out / divisors
        return result.astype(np.float32) if x.dtype == np.float32 else result
    flat = [
        Fraction(v, d) if type(v) is int else v / d
        for v, d in zip(
            out.ravel().tolist(), np.broadcast_to(divisors, out.shape).ravel().tolist(), strict=True
        )
    ]
    result = np.empty(len(flat), dtype=object)
    result[:] = flat
    return result.reshape(out.shape)


def _counted(spec: Pool, n: int, axis: int, out: int) -> list[tuple[int, int]]:
    """The cells each window's divisor counts along one axis: torch's window clipped to the
    padded input, or to the input when padding is not counted."""
    spans = spec.windows(n, axis, out)
    if spec.count_include_pad:
        return spans
    return [(max(a, 0), min(b, n)) for a, b in spans]


def _lowest(x: np.ndarray) -> Any:
    """A value no element is below: fills the padding of max pooling, never chosen."""
    if x.dtype.kind == "f":
        return -np.inf
    if x.dtype.kind in "iu":
        return np.iinfo(x.dtype).min
    return -math.inf  # compares below every int and Fraction


def relu(x: Any) -> np.ndarray:
    """max(v, 0) for every element, keeping the number kind (ints, Fractions, floats).

    >>> relu([[-2, 3], [0, -1]])
    array([[0, 3],
           [0, 0]])
    >>> relu(np.array([-0.5, 0.25], np.float32))
    array([0.  , 0.25], dtype=float32)
    """
    arr = as_tensor(x, "the input of relu", None, copy=False)
    if arr.dtype != object:
        return np.where(arr > 0, arr, arr.dtype.type(0))
    out = np.empty(arr.size, dtype=object)
    out[:] = [v if v > 0 else 0 for v in arr.ravel().tolist()]
    return out.reshape(arr.shape)


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
            pool.output_shape((oh, ow))  # refuses a window larger than the maps
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
        bias_bound = 0.0 if self.bias is None else magnitude_bound(self.bias)
        weights = taps * magnitude_bound(self.weight) * 1.000001
        quick = magnitude_bound(self.input) * 1.000001 * weights + bias_bound * 1.000001
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


@dataclass(frozen=True)
class LayerOutputs:
    """The arrays a layer computes, stage by stage."""

    pre_activation: np.ndarray
    activation: np.ndarray
    output: np.ndarray
    """After pooling (the activation itself when the layer does not pool)."""


def conv2d_layer(
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
    exact: bool | None = None,
) -> np.ndarray:
    """The convolution of a layer, as ``torch.nn.functional.conv2d`` computes it for one
    sample; :func:`explainer.conv2d` calls this for channels (see :class:`Layer`).

    Returns an array of shape (C_out, rows, columns), exact or float as for one channel.

    >>> x = np.arange(18).reshape(2, 3, 3)
    >>> conv2d_layer(x, np.ones((1, 2, 2, 2), int), bias=[100])  # channels summed, + bias
    array([[[152, 160],
            [176, 184]]])
    >>> conv2d_layer(x, np.ones((2, 1, 1, 1), int), groups=2)[:, 0, 0]  # one channel each
    array([0, 9])
    """
    layer = Layer(
        input,
        weight,
        bias,
        stride=stride,
        padding=padding,
        padding_mode=padding_mode,
        dilation=dilation,
        groups=groups,
        flip=flip,
        normalize=normalize,
        copy=False,
    )
    return convolve(layer, exact=exact)


def convolve(layer: Layer, *, exact: bool | None = None) -> np.ndarray:
    """The pre-activation maps of a validated layer: exact or float (see :func:`conv2d_layer`)."""
    if exact is None:
        exact = layer.exact
    return _exact_path(layer) if exact else _float_path(layer)


def layer_plan(layer: Layer) -> Plan:
    """The one-channel plan (shapes and index maps) every channel of the layer shares."""
    g = layer.geometry
    return Plan(
        image_shape=g.image_shape,
        kernel_shape=g.kernel_shape,
        output_shape=g.output_shape,
        stride=g.stride,
        dilation=g.dilation,
        padding=g.padding,
        padding_mode=g.padding_mode,
    )


def _float_path(layer: Layer) -> np.ndarray:
    x = layer.input
    if x.dtype == object or x.dtype.kind in "iu":
        x = x.astype(np.float64)
    weight = layer.applied_weight.astype(np.float64, copy=False)
    dtype = np.float32 if layer.input.dtype == np.float32 else np.float64
    divisors = None
    if layer.normalize is not None:
        divisors = np.array([float(v) for v in layer.divisors])
    bias = None if layer.bias is None else layer.bias.astype(np.float64, copy=False)
    out = np.empty(layer.output_shape, dtype=dtype)
    return _sums(layer_plan(layer), layer.groups, x, weight, out, divisors, bias)


def _exact_path(layer: Layer) -> np.ndarray:
    x, dx = over_common_denominator(exact_tensor(layer.input, "the input"))
    w, dw = over_common_denominator(exact_tensor(layer.applied_weight, "the weight"))
    c_out = layer.out_channels
    biases: list[Number] = [0] * c_out
    if layer.bias is not None:
        biases = exact_tensor(layer.bias, "the bias").tolist()
    # int64 when no partial sum (nor a sum plus an integer bias) can overflow it.
    largest = max(-int(x.min()), int(x.max())) if x.dtype != object else None
    fits = largest is not None and w.dtype != object
    if fits:
        worst = max(sum(abs(v) for v in f.ravel().tolist()) for f in w)
        extra = max(abs(int(b)) if isinstance(b, int) else 0 for b in biases)
        fits = largest * worst + extra <= INT64_MAX
    dtype = np.dtype(np.int64) if fits else np.dtype(object)
    plan = layer_plan(layer)
    sums = _sums(
        plan, layer.groups, x.astype(dtype), w.astype(dtype), np.empty(layer.output_shape, dtype)
    )
    scales = [Fraction(dx * dw) * Fraction(d) for d in layer.divisors]
    whole = all(s == 1 for s in scales) and all(isinstance(b, int) for b in biases)
    if whole and layer.normalize is None:
        if any(biases):
            sums += np.array(biases, dtype=dtype)[:, None, None]
        objects = any(
            a is not None and a.dtype == object for a in (layer.input, layer.weight, layer.bias)
        )
        return sums.astype(object) if objects and dtype.kind != "O" else sums
    out = np.empty(sums.shape, dtype=object)
    for o in range(c_out):
        values = divided(sums[o], scales[o])
        out[o] = values + biases[o] if biases[o] else values
    return out


def _sums(
    plan: Plan,
    groups: int,
    x: np.ndarray,
    weight: np.ndarray,
    out: np.ndarray,
    divisors: np.ndarray | None = None,
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """Σ_c Σ_m Σ_n x·w of every output element into ``out`` (C_out, rows, columns), by
    blocks of output rows (and columns, for very wide ones).

    Each block's windows are copied into one patch matrix of at most BLOCK_ELEMENTS values,
    ``P[g, (c, m, n), (i, j)] = x[g·C_g + c, s·i + d·m, s·j + d·n]`` (padded), and one
    (batched over groups) matrix product with the filters ``W[g, o, (c, m, n)]`` gives the
    block's sums. Floats are summed in float64 (``weight``'s type), then divided by
    ``divisors`` and added to ``bias`` per filter and rounded once into ``out``; exact
    numbers (int64 proved not to overflow, or Python objects) are summed as they are.
    """
    c_in = x.shape[0]
    c_out, cg, kh, kw = weight.shape
    oh, ow = plan.output_shape
    (sh, sw), (dh, dw) = plan.stride, plan.dilation
    taps = cg * kh * kw
    per_group = c_out // groups
    filters = weight.reshape(groups, per_group, taps)
    work = weight.dtype
    per_pixel = c_in * kh * kw
    floats = work.kind == "f"
    # Where BLAS runs on one thread anyway, one product per block is fastest.
    whole = not floats or blas_single_threaded()
    # Values held per output pixel of a block: its column of the patch matrix, and when
    # the products are cut in pieces two partial sums per filter (_products_in_pieces).
    held = per_pixel + (0 if whole else 2 * c_out)
    cols = ow if held * ow <= BLOCK_ELEMENTS else max(8, BLOCK_ELEMENTS // held)
    rows = max(1, min(oh, BLOCK_ELEMENTS // (held * cols)))
    rows = -(-oh // -(-oh // rows))  # blocks of equal height
    buffer = np.empty(per_pixel * rows * cols, dtype=work)
    direct = out.dtype == work and cols == ow
    accumulator = None if direct else np.empty(c_out * rows * cols, dtype=work)
    # Each matrix product stays within SINGLE_THREAD_PRODUCT multiply-adds, so that
    # OpenBLAS runs it on one thread, as the one-channel engine does: threaded, every
    # block's product waited for the other thread, and on a busy 2-core machine a
    # 64-channel layer took 5× as long. Cutting the columns alone to fit (7 for 64 filters
    # of 576 taps) made BLAS repack the filters for every few columns (3× slower than one
    # product); cutting the taps too, and adding the partial products up, costs less.
    span, depth = rows * cols, taps
    if not whole:
        span = min(span, max(PRODUCT_COLUMNS, SINGLE_THREAD_PRODUCT // (per_group * taps)))
        depth = max(1, min(taps, SINGLE_THREAD_PRODUCT // (per_group * span)))
    chunks = [
        (t0, min(t0 + depth, taps), filters[:, None, :, t0 : t0 + depth])
        for t0 in range(0, taps, depth)
    ]
    partial = [np.empty(c_out * rows * cols, dtype=work) for _ in range(0 if whole else 2)]
    scale = None if divisors is None else divisors[:, None]
    shift = None if bias is None else bias[:, None]
    for i0 in range(0, oh, rows):
        i1 = min(i0 + rows, oh)
        src = padded_rows(plan, x, i0, i1)
        if src.dtype != work:  # float32 read as float64 here, once per input value
            src = src.astype(work)
        cs, rs, es = src.strides
        for j0 in range(0, ow, cols):
            j1 = min(j0 + cols, ow)
            nr, nc = i1 - i0, j1 - j0
            windows = np.lib.stride_tricks.as_strided(
                src[:, :, j0 * sw :],
                (groups, cg, kh, kw, nr, nc),
                (cg * cs, cs, dh * rs, dw * es, sh * rs, sw * es),
                writeable=False,
            )
            patches = buffer[: per_pixel * nr * nc].reshape(windows.shape)
            np.copyto(patches, windows, casting="unsafe" if work.kind == "O" else "same_kind")
            lhs = patches.reshape(groups, taps, nr * nc)
            block = out[:, i0:i1, j0:j1]
            if direct:
                target = block.reshape(groups, per_group, nr * nc)  # a view: whole rows
            else:
                target = accumulator[: c_out * nr * nc].reshape(groups, per_group, nr * nc)
            if whole:
                np.matmul(filters, lhs, out=target)
            else:
                _products_in_pieces(chunks, lhs, target, span, partial)
            flat = target.reshape(c_out, nr * nc)
            if scale is not None:
                np.divide(flat, scale, out=flat)
            if shift is not None:
                np.add(flat, shift, out=flat)
            if not direct:
                block[...] = flat.reshape(c_out, nr, nc)  # float32: each sum rounded once
    return out


def blas_single_threaded() -> bool:
    """True when BLAS runs on one thread: limited by the environment variables OpenBLAS,
    OpenMP and MKL read when they load, or one CPU for this process.

    Threads limited at run time (threadpoolctl) are not seen: blocks are then cut into
    products small enough for one thread, which is correct, only slower.
    """
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(name, "").strip() == "1":
            return True
    try:
        return len(os.sched_getaffinity(0)) == 1
    except AttributeError:  # not on Linux
        return (os.cpu_count() or 1) == 1


def _products_in_pieces(
    chunks: list[tuple[int, int, np.ndarray]],
    lhs: np.ndarray,
    target: np.ndarray,
    span: int,
    partial: list[np.ndarray],
) -> None:
    """``target[g] = filters[g] @ lhs[g]`` as many small products, each ``span`` columns by
    one chunk of taps, stacked so that numpy loops over them in C; the chunks' partial
    products are added up in a contiguous buffer and stored in ``target`` once."""
    groups, taps, width_all = lhs.shape
    per_group = target.shape[1]
    g_stride, t_stride, n_stride = lhs.strides
    count, rest = divmod(width_all, span)
    pieces = [(0, count, span)] if count else []
    if rest:
        pieces.append((count * span, 1, rest))
    for start, count, width in pieces:
        shape = (groups, count, per_group, width)
        size = groups * count * per_group * width
        acc, extra = (buffer[:size].reshape(shape) for buffer in partial)
        for k, (t0, t1, chunk) in enumerate(chunks):
            # rhs[g, b, t, n] = lhs[g, t0 + t, start + b·width + n]
            rhs = np.lib.stride_tricks.as_strided(
                lhs[:, t0:, start:],
                (groups, count, t1 - t0, width),
                (g_stride, width * n_stride, t_stride, n_stride),
                writeable=False,
            )
            np.matmul(chunk, rhs, out=extra if k else acc)
            if k:
                np.add(acc, extra, out=acc)
        stop = start + count * width
        view = target[:, :, start:stop].reshape(groups, per_group, count, width)
        np.copyto(view, acc.transpose(0, 2, 1, 3))


def padded_rows(plan: Plan, x: np.ndarray, i0: int, i1: int) -> np.ndarray:
    """Every channel's padded rows under output rows [i0, i1), all padded columns: a view
    of ``x`` where no border is involved, a small copy with the border filled in otherwise.
    """
    start, stop = plan.input_rows(i0, i1)
    top, _, left, right = plan.padding
    h = plan.image_shape[0]
    if not (left or right) and top <= start and stop - top <= h:
        return x[:, start - top : stop - top]
    rows = plan.row_source[start:stop]
    cols = plan.column_source
    if plan.padding_mode == "zeros":  # zeros around a slice of the input: no gathering
        inside = np.flatnonzero(rows >= 0)
        block = np.zeros((x.shape[0], stop - start, cols.size), dtype=x.dtype)
        if inside.size:
            first, last = int(inside[0]), int(inside[-1]) + 1
            block[:, first:last, left : left + x.shape[2]] = x[:, rows[first] : rows[last - 1] + 1]
        return block
    block = x[:, np.maximum(rows, 0)[:, None], np.maximum(cols, 0)[None, :]]
    if (rows < 0).any():
        block[:, rows < 0] = 0
    if (cols < 0).any():
        block[:, :, cols < 0] = 0
    return block


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
