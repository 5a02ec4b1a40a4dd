"""Pooling and ReLU with PyTorch's rules (``max_pool2d``, ``avg_pool2d``, ``relu``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from explainer.core.engine import INT64_MAX
from explainer.core.geometry import _int_items, _pair
from explainer.core.problem import (
    is_exact,
    magnitude_bound,
)
from explainer.core.tensors import (
    POOL_MODES,
    PoolMode,
    _flag,
    as_tensor,
)
from explainer.errors import ProblemError

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
    # the end of the last window, filled outside the input (−∞ or 0, never counted). A tap
    # m ≥ p + h reads only the fill in every window (s·i + m is past the input's end): it
    # is left out, so a ceil-mode window far larger than the input costs only the input.
    kh, kw = min(kh, ph + h), min(kw, pw + w)
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
        result = (out + 0.0) / divisors  # each sum from 0, as torch's: −0 + 0 is +0
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
