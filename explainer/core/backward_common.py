"""Shared pieces of the backward pass and the transposed convolution: reading tensors,
exact sums, blocks of patches, stamping and folding the border back (see
:mod:`explainer.core.backward`)."""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any

import numpy as np

from explainer.core.engine import divided
from explainer.core.problem import (
    Geometry,
    as_number_array,
    is_exact,
    plan_geometry,
)
from explainer.core.sliding import fold
from explainer.errors import ProblemError

# Elements of one block's patch matrix (C·kH·kW rows × block pixels): 2 MiB of float64.
# Each block costs two BLAS calls, and on a busy 2-core machine every threaded call waits
# for a core: for a 64-channel 56×56 3×3 layer, 1 MiB blocks (14 of them) took about
# twice as long as 2 MiB ones (7); 4 MiB ones gained nothing more. With BLAS on one
# thread the block size hardly matters (benchmarks/bench_backward.py).
BLOCK_ELEMENTS = 1 << 18
# Integer sums stay int64 when this bounds every partial sum (a float estimate with room).
_INT64_SAFE = 2.0**62


# ----- inputs ---------------------------------------------------------------------------------


def _tensor(values: Any, name: str, ndim: int) -> tuple[np.ndarray, bool]:
    """A numeric array of ``ndim`` dimensions, or of 2 (one channel): (array, was_2d).

    The values are checked and converted as :class:`explainer.Problem` does for an image
    (ints → int64 or Python ints, Fractions kept, floats → float64 or float32).
    """
    try:
        arr = np.asarray(values)
    except ValueError:
        raise ProblemError(f"{name} has rows of different lengths") from None
    except (TypeError, OverflowError, RecursionError):
        raise ProblemError(f"{name} cannot be read as an array of numbers") from None
    if arr.ndim not in (2, ndim):
        raise ProblemError(
            f"{name} must have {ndim} dimensions (or 2 for one channel); got {arr.ndim}"
        )
    if 0 in arr.shape:
        raise ProblemError(f"{name} is empty; every dimension needs at least one element")
    flat = as_number_array(arr.reshape(-1, arr.shape[-1]), name, copy=False)
    shaped = flat.reshape(arr.shape)
    if arr.ndim == 2:
        shaped = shaped.reshape((1,) * (ndim - 2) + arr.shape)
    return shaped, arr.ndim == 2


def _group_count(groups: Any) -> int:
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ProblemError(f"groups must be a whole number of at least 1; got {groups!r}")
    return int(groups)


def _groups(groups: Any, c_in: int, c_out: int) -> int:
    groups = _group_count(groups)
    if c_in % groups or c_out % groups:
        raise ProblemError(
            f"groups ({groups}) must divide both the input channels ({c_in}) "
            f"and the output channels ({c_out})"
        )
    return groups


def _layer(
    x: np.ndarray,
    w: np.ndarray,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    padding_mode: Any,
) -> tuple[Geometry, int]:
    """The geometry of ``conv2d(x, w)`` (checked as for a Problem) and the group count."""
    c_in, c_out = x.shape[0], w.shape[0]
    groups = _groups(groups, c_in, c_out)
    if w.shape[1] * groups != c_in:
        raise ProblemError(
            f"the weight has {w.shape[1]} input channels per group, but the input has "
            f"{c_in} channels in {groups} group{'s' if groups > 1 else ''}"
        )
    geometry = plan_geometry(
        x.shape[1:],
        w.shape[2:],
        stride=stride,
        padding=padding,
        padding_mode=padding_mode,
        dilation=dilation,
    )
    return geometry, groups


def _exact(*arrays: np.ndarray | None) -> bool:
    return all(a is None or is_exact(a) for a in arrays)


def _floats(arr: np.ndarray) -> np.ndarray:
    return arr if arr.dtype == np.float64 else arr.astype(np.float64)


def _bound(arr: np.ndarray, how: str) -> float:
    """max |a| or Σ |a| of an exact array, as a float (inf when beyond float range)."""
    with np.errstate(over="ignore"):
        try:
            values = np.abs(arr.astype(np.float64))
        except OverflowError:
            return math.inf
        return float(values.max() if how == "max" else values.sum())


def _integers(*arrays: np.ndarray, bound: float) -> list[np.ndarray]:
    """The arrays as int64 when ``bound`` rules out overflow, as Python ints otherwise."""
    kind = np.int64 if bound < _INT64_SAFE else object
    return [a.astype(kind, copy=False) for a in arrays]


def _finish(sums: np.ndarray, denominator: int) -> np.ndarray:
    """Exact integer sums divided by a common denominator: ints when it is 1, else Fractions."""
    if denominator == 1:
        return sums
    return divided(sums, Fraction(denominator))


# ----- blocks -----------------------------------------------------------------------------


def _block_rows(rows: int, columns: int, per_pixel: int) -> int:
    """Rows per block so that a (per_pixel × rows·columns) matrix stays within the budget."""
    return max(1, min(rows, BLOCK_ELEMENTS // max(1, per_pixel * columns)))


def _padded_rows(x: np.ndarray, g: Geometry, start: int, stop: int) -> np.ndarray:
    """Rows [start, stop) of the padded input, all channels and padded columns."""
    (h, w), (top, _, left, right) = g.image_shape, g.padding
    rows = fold(np.arange(start - top, stop - top), h, g.padding_mode)
    if not (left or right) and rows[0] >= 0 and rows[-1] - rows[0] == stop - start - 1:
        if np.all(np.diff(rows) == 1):
            return x[:, rows[0] : rows[-1] + 1]
    cols = fold(np.arange(-left, w + right), w, g.padding_mode)
    block = x[:, np.maximum(rows, 0)[:, None], np.maximum(cols, 0)]
    if (rows < 0).any() or (cols < 0).any():
        block[:, rows < 0] = 0
        block[:, :, cols < 0] = 0
    return block


def _patches(x: np.ndarray, g: Geometry, i0: int, i1: int, buffer: np.ndarray) -> np.ndarray:
    """The patch matrix of output rows [i0, i1), (C, kH, kW, rows, W_out), in ``buffer``."""
    (sh, sw), (dh, dw), (kh, kw) = g.stride, g.dilation, g.kernel_shape
    ow = g.output_shape[1]
    src = _padded_rows(x, g, i0 * sh, (i1 - 1) * sh + g.effective_kernel_shape[0])
    out = buffer[: x.shape[0] * kh * kw * (i1 - i0) * ow].reshape(x.shape[0], kh, kw, i1 - i0, ow)
    height, width = sh * (i1 - i0 - 1) + 1, sw * (ow - 1) + 1
    for m in range(kh):
        for n in range(kw):
            out[:, m, n] = src[:, m * dh : m * dh + height : sh, n * dw : n * dw + width : sw]
    return out


def _stamp(
    target: np.ndarray,
    stamps: np.ndarray,
    i0: int,
    offset: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> None:
    """Add ``stamps[c, m, n, i − i0, j]`` to ``target[c, s·i + d·m − oy, s·j + d·n − ox]``.

    Positions outside ``target`` are dropped (a zero border's gradient, or rows cropped by
    a transposed convolution's padding).
    """
    _, kh, kw, rows, cols = stamps.shape
    (sh, sw), (dh, dw), (oy, ox) = stride, dilation, offset
    th, tw = target.shape[1:]

    def inside(start: int, s: int, count: int, size: int) -> tuple[int, int]:
        """The steps k in [lo, hi) with 0 ≤ start + s·k < size, among the first ``count``."""
        lo = max(0, -(start // s))
        hi = min(count, (size - 1 - start) // s + 1)
        return lo, max(lo, hi)

    for m in range(kh):
        r_start = sh * i0 + dh * m - oy
        a0, a1 = inside(r_start, sh, rows, th)
        if a0 >= a1:
            continue
        for n in range(kw):
            c_start = dw * n - ox
            b0, b1 = inside(c_start, sw, cols, tw)
            if b0 >= b1:
                continue
            r, c = r_start + sh * a0, c_start + sw * b0
            view = target[
                :, r : r + sh * (a1 - a0 - 1) + 1 : sh, c : c + sw * (b1 - b0 - 1) + 1 : sw
            ]
            view += stamps[:, m, n, a0:a1, b0:b1]


def _buffer(rows: int, columns: int, per_pixel: int, dtype: Any) -> np.ndarray:
    """One block's scratch: a flat array for a (per_pixel × rows·columns) matrix."""
    return np.empty(per_pixel * _block_rows(rows, columns, per_pixel) * columns, dtype=dtype)


def _forward(x: np.ndarray, w: np.ndarray, g: Geometry, groups: int) -> np.ndarray:
    """conv2d with channels and groups, without bias, in the arrays' own number type."""
    c_out, cg, kh, kw = w.shape
    oh, ow = g.output_shape
    out = np.empty((c_out, oh, ow), dtype=np.result_type(x, w))
    weights = w.reshape(groups, c_out // groups, cg * kh * kw)
    step = _block_rows(oh, ow, x.shape[0] * kh * kw)
    buffer = _buffer(oh, ow, x.shape[0] * kh * kw, x.dtype)
    for i0 in range(0, oh, step):
        i1 = min(i0 + step, oh)
        cols = _patches(x, g, i0, i1, buffer).reshape(groups, cg * kh * kw, (i1 - i0) * ow)
        out[:, i0:i1] = np.matmul(weights, cols).reshape(c_out, i1 - i0, ow)
    return out


def _weight_and_input_grads(
    x: np.ndarray, w: np.ndarray, grad: np.ndarray, g: Geometry, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """∂L/∂w and ∂L/∂x (border folded back) in one pass over blocks of the error map."""
    c_out, cg, kh, kw = w.shape
    c_in = x.shape[0]
    oh, ow = g.output_shape
    (h, wd), (top, _, left, _) = g.image_shape, g.padding
    kind = np.result_type(x, w, grad)
    grad_w = np.zeros((groups, c_out // groups, cg * kh * kw), dtype=kind)
    weights_t = w.reshape(groups, c_out // groups, cg * kh * kw).transpose(0, 2, 1)
    zeros = g.padding_mode == "zeros"
    # A zero border's gradient is dropped: stamp straight into ∂L/∂x. Otherwise into the
    # padded canvas, folded back afterwards.
    canvas = np.zeros((c_in, h, wd) if zeros else (c_in, *g.padded_shape), dtype=kind)
    offset = (top, left) if zeros else (0, 0)
    step = _block_rows(oh, ow, c_in * kh * kw)
    # One scratch block holds the patches, then (no longer needed) the stamps.
    buffer = _buffer(oh, ow, c_in * kh * kw, kind)
    products = np.empty_like(grad_w)
    for i0 in range(0, oh, step):
        i1 = min(i0 + step, oh)
        pixels = (i1 - i0) * ow
        errors = grad[:, i0:i1].reshape(groups, c_out // groups, pixels)
        cols = _patches(x, g, i0, i1, buffer).reshape(groups, cg * kh * kw, pixels)
        grad_w += np.matmul(errors, cols.transpose(0, 2, 1), out=products)
        stamps = np.matmul(weights_t, errors, out=cols)
        _stamp(canvas, stamps.reshape(c_in, kh, kw, i1 - i0, ow), i0, offset, g.stride, g.dilation)
    grad_x = canvas if zeros else _fold_border(canvas, g)
    return grad_w.reshape(w.shape), grad_x


def _fold_border(canvas: np.ndarray, g: Geometry) -> np.ndarray:
    """The gradient of the padded input folded onto the input: each border pixel's share
    goes to the pixel it copied (as autograd through ``F.pad`` does)."""
    (h, w), (top, bottom, left, right) = g.image_shape, g.padding
    rows = fold(np.arange(-top, h + bottom), h, g.padding_mode)
    cols = fold(np.arange(-left, w + right), w, g.padding_mode)
    out = canvas[:, top : top + h].copy()
    for p in [*range(top), *range(top + h, top + h + bottom)]:
        if rows[p] >= 0:
            out[:, rows[p]] += canvas[:, p]
    result = out[:, :, left : left + w].copy()
    for q in [*range(left), *range(left + w, left + w + right)]:
        if cols[q] >= 0:
            result[:, :, cols[q]] += out[:, :, q]
    return result


# ----- the backward pass ------------------------------------------------------------------


def backward_inputs(
    x: Any,
    w: Any,
    grad_out: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    padding_mode: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, Geometry, int]:
    """The input, weight and error map of a backward pass, read and checked together:
    (x, w, grad_out, flat, geometry, groups), where ``flat`` says all three came as 2D."""
    xs, flat = _tensor(x, "the input", 3)
    ws, w_flat = _tensor(w, "the weight", 4)
    gs, g_flat = _tensor(grad_out, "grad_out", 3)
    if not (flat == w_flat == g_flat):
        raise ProblemError(
            "give the input, weight and grad_out all with channels (3, 4 and 3 dimensions) "
            "or all as single-channel 2D arrays"
        )
    geometry, groups = _layer(xs, ws, stride, padding, dilation, groups, padding_mode)
    expected = (ws.shape[0], *geometry.output_shape)
    if gs.shape != expected:
        raise ProblemError(
            f"grad_out must have the layer's output shape {_shape(expected, flat)}; "
            f"got {_shape(gs.shape, flat)}"
        )
    return xs, ws, gs, flat, geometry, groups


def _shape(shape: tuple[int, ...], flat: bool) -> str:
    return "×".join(map(str, shape[1:] if flat else shape))
