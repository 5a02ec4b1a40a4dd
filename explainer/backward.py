"""The backward pass of a convolution layer, and the transposed convolution it turns out to be.

A layer computes ``y = conv2d(x, w) + b`` in PyTorch's one-sample layout: ``x`` is
(C_in, H, W), ``w`` is (C_out, C_in/groups, kH, kW), ``y`` is (C_out, H_out, W_out), and

    y[o, i, j] = b[o] + Σ_c Σ_m Σ_n  xp[c, s·i + d·m, s·j + d·n] · w[o, c, m, n]

where ``xp`` is the padded input and ``c`` runs over the input channels of ``o``'s group.
For the loss ``L = Σ g·y`` (``g`` = grad_out, the error map that flows back):

* ∂L/∂b[o] = Σ_ij g[o, i, j];
* ∂L/∂w[o, c, m, n] = Σ_ij g[o, i, j] · xp[c, s·i + d·m, s·j + d·n]: the input correlated
  with the error map, the error map's pixels spread ``s`` apart;
* ∂L/∂xp[c, r, q] = Σ over (o, i, j, m, n) with s·i + d·m = r and s·j + d·n = q of
  g[o, i, j] · w[o, c, m, n]: every error pixel stamps a scaled copy of the kernel, which is
  the *transposed convolution* of ``g`` with ``w`` (:func:`conv_transpose2d`). The border's
  share folds back onto the pixels the border copied (reflect, replicate, circular); for
  zeros it is dropped.

Number kinds are those of :func:`explainer.conv2d`: integers and Fractions give exact
results (int64 or Python ints, or :class:`fractions.Fraction` where anything is divided,
comparable with sympy by ``==``); any float gives float64, every sum accumulated by BLAS.

Both directions walk the rows of the error map in blocks whose patch matrix stays small
(``BLOCK_ELEMENTS``): the full im2col matrix of the layer is never built.

Besides the engine, three independent views of the transposed convolution, for teaching and
for the proof: :func:`transposed_by_scatter` (stamps), :func:`transposed_by_zero_insertion`
(insert zeros, pad, correlate with the rotated kernel) and :func:`transposed_by_matrix`
(multiply by the transpose of the convolution's matrix, :func:`conv_matrix`); and
:func:`transposed_overlap`, how many stamps cover each output pixel.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import ProblemError, TooLargeError
from .numeric import divided, over_common_denominator
from .problem import Geometry, _pair, as_number_array, is_exact, plan_geometry, resolve_padding
from .sliding import fold

__all__ = [
    "conv2d_backward",
    "conv_transpose2d",
    "conv_matrix",
    "transposed_by_scatter",
    "transposed_by_zero_insertion",
    "transposed_by_matrix",
    "transposed_overlap",
]

# Elements of one block's patch matrix (C·kH·kW rows × block pixels): 2 MiB of float64.
# Each block costs two BLAS calls, and on a busy 2-core machine every threaded call waits
# for a core: for a 64-channel 56×56 3×3 layer, 1 MiB blocks (14 of them) took about
# twice as long as 2 MiB ones (7); 4 MiB ones gained nothing more. With BLAS on one
# thread the block size hardly matters (benchmarks/bench_backward.py).
BLOCK_ELEMENTS = 1 << 18
# The dense matrix of a convolution (conv_matrix) is for small examples only.
MAX_MATRIX_ELEMENTS = 4_000_000
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


def conv2d_backward(
    x: Any,
    w: Any,
    grad_out: Any,
    stride: int | tuple[int, int] = 1,
    padding: str | int | tuple[int, ...] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of ``L = Σ grad_out · conv2d(x, w)`` with respect to input, weight and bias.

    The same numbers as PyTorch's autograd of ``F.conv2d(x, w, b, stride, padding,
    dilation, groups)`` for one sample (and, for reflect, replicate and circular padding,
    of ``F.conv2d(F.pad(x, ..., mode), w, ...)``: the border's gradient is added to the
    pixels the border copied). See the module's docstring for the formulas.

    Parameters
    ----------
    x : array_like, (C_in, H, W) or (H, W)
        The layer's input.
    w : array_like, (C_out, C_in/groups, kH, kW) or (kH, kW)
        Its weight (cross-correlation: the kernel is not flipped).
    grad_out : array_like, (C_out, H_out, W_out) or (H_out, W_out)
        ∂L/∂y, the error map that flows back; its shape must be the layer's output shape.
    stride, padding, dilation, padding_mode
        As for :class:`explainer.Problem` (padding: a number, a pair (rows, columns), four
        sides (top, bottom, left, right), ``"valid"``, ``"same"`` or ``"full"``).
    groups : int
        Input and output channels split into this many independent groups.

    Returns
    -------
    grad_input, grad_weight, grad_bias : numpy.ndarray
        Shaped as ``x``, ``w`` and (C_out,). With 2D ``x``, ``w`` and ``grad_out`` the
        first two are 2D and ``grad_bias`` has one element. Exact (int64, Python ints or
        Fractions) when every input is; float64 otherwise.

    Examples
    --------
    One channel, a 3×3 input, a 2×2 kernel: four output pixels, each error 1.

    >>> x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    >>> gx, gw, gb = conv2d_backward(x, [[1, 0], [0, -1]], [[1, 1], [1, 1]])
    >>> gw  # each weight met four pixels: the sums of the 2×2 corners' blocks
    array([[12, 16],
           [24, 28]])
    >>> gx  # how many windows hold each pixel, weighted by the tap each sees it through
    array([[ 1,  1,  0],
           [ 1,  0, -1],
           [ 0, -1, -1]])
    >>> gb
    array([4])
    """
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
    if _exact(xs, ws, gs):
        grad_x, grad_w, grad_b = _exact_backward(xs, ws, gs, geometry, groups)
    else:
        xf, wf, gf = _floats(xs), _floats(ws), _floats(gs)
        grad_w, grad_x = _weight_and_input_grads(xf, wf, gf, geometry, groups)
        grad_b = gf.sum(axis=(1, 2))
    if flat:
        return grad_x[0], grad_w[0, 0], grad_b
    return grad_x, grad_w, grad_b


def _shape(shape: tuple[int, ...], flat: bool) -> str:
    return "×".join(str(v) for v in (shape[1:] if flat else shape))


def _exact_backward(
    x: np.ndarray, w: np.ndarray, grad: np.ndarray, g: Geometry, groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integers over common denominators, summed exactly, divided once."""
    xi, dx = over_common_denominator(x)
    wi, dw = over_common_denominator(w)
    gi, dg = over_common_denominator(grad)
    total_g = _bound(gi, "sum")
    bound = total_g * max(_bound(xi, "max"), _bound(wi, "sum"), 1.0)
    xi, wi, gi = _integers(xi, wi, gi, bound=bound)
    grad_w, grad_x = _weight_and_input_grads(xi, wi, gi, g, groups)
    grad_b = gi.sum(axis=(1, 2))
    return _finish(grad_x, dg * dw), _finish(grad_w, dg * dx), _finish(grad_b, dg)


# ----- the transposed convolution ---------------------------------------------------------


def _transposed_layout(
    x: Any,
    w: Any,
    stride: Any,
    padding: Any,
    output_padding: Any,
    dilation: Any,
    groups: Any,
) -> tuple[np.ndarray, np.ndarray, bool, dict[str, Any]]:
    """Validated arrays and options of a transposed convolution.

    The options dict holds stride, dilation, padding (four sides), groups, the output
    shape (C_out, H_out, W_out) and the geometry of the convolution it transposes (which
    maps the output's shape back onto at least the input's).
    """
    xs, flat = _tensor(x, "the input", 3)
    ws, w_flat = _tensor(w, "the weight", 4)
    if flat != w_flat:
        raise ProblemError(
            "give the input and the weight both with channels (3 and 4 dimensions) "
            "or both as single-channel 2D arrays"
        )
    c_in = xs.shape[0]
    if ws.shape[0] != c_in:
        raise ProblemError(
            f"the weight of a transposed convolution is (C_in, C_out/groups, kH, kW): its "
            f"first dimension ({ws.shape[0]}) must be the input's channels ({c_in})"
        )
    groups = _groups(groups, c_in, ws.shape[1] * _group_count(groups))
    strides, dilations = _pair(stride, "stride"), _pair(dilation, "dilation")
    extra = _output_padding(output_padding, strides, dilations)
    sides = _transposed_padding(padding, xs.shape[1:], ws.shape[2:], strides, dilations)
    size = []
    for axis in range(2):
        n, k, s, d = xs.shape[1 + axis], ws.shape[2 + axis], strides[axis], dilations[axis]
        before, after = sides[2 * axis], sides[2 * axis + 1]
        out = (n - 1) * s - before - after + d * (k - 1) + extra[axis] + 1
        if out < 1:
            raise ProblemError(
                f"the padding {padding!r} crops away the whole output "
                f"({'rows' if axis == 0 else 'columns'}: {out} left); use less padding"
            )
        size.append(out)
    oh, ow = size
    geometry = plan_geometry(
        (oh, ow), ws.shape[2:], stride=strides, padding=sides, dilation=dilations
    )
    options = {
        "stride": strides,
        "dilation": dilations,
        "padding": sides,
        "output_padding": extra,
        "groups": groups,
        "out_shape": (ws.shape[1] * groups, oh, ow),
        "geometry": geometry,
    }
    return xs, ws, flat, options


def _output_padding(value: Any, stride: tuple[int, int], dilation: tuple[int, int]) -> tuple:
    items = _int_items_or_error(value)
    if len(items) == 1:
        items = items * 2
    if len(items) != 2 or min(items) < 0:
        raise ProblemError(
            f"output_padding must be one whole number or a pair (rows, columns), "
            f"at least 0; got {value!r}"
        )
    for axis in range(2):
        if not (items[axis] < stride[axis] or items[axis] < dilation[axis]):
            raise ProblemError(
                f"output_padding must be smaller than the stride or the dilation on each "
                f"axis (as in PyTorch); got output_padding {value!r} with stride "
                f"{stride[axis]} and dilation {dilation[axis]} on the "
                f"{'rows' if axis == 0 else 'columns'}"
            )
    return items[0], items[1]


def _int_items_or_error(value: Any) -> tuple[int, ...]:
    values = value if isinstance(value, (tuple, list)) else (value,)
    if not values or any(
        isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in values
    ):
        raise ProblemError(
            f"output_padding must be one whole number or a pair (rows, columns); got {value!r}"
        )
    return tuple(int(v) for v in values)


def _transposed_padding(
    padding: Any,
    shape: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> tuple[int, int, int, int]:
    if isinstance(padding, str) and padding.lower() != "valid":
        raise ProblemError(
            f"a transposed convolution takes padding as a number, a pair (rows, columns), "
            f"four sides (top, bottom, left, right) or 'valid'; got {padding!r}"
        )
    return resolve_padding(padding, shape, kernel, stride, dilation)


def conv_transpose2d(
    x: Any,
    w: Any,
    bias: Any = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, ...] | str = 0,
    output_padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """The transposed convolution, as ``torch.nn.functional.conv_transpose2d`` (one sample).

    Every input pixel ``x[c, i, j]`` stamps the kernel ``w[c, o]``, scaled by itself, onto
    the output at (s·i − p_top, s·j − p_left), taps ``d`` apart; overlapping stamps add up.
    It is the gradient of a convolution with respect to its input:
    ``conv_transpose2d(g, w) == conv2d_backward(x, w, g)[0]`` whenever the shapes match,
    and ⟨conv2d(z, w), x⟩ = ⟨z, conv_transpose2d(x, w)⟩ for every ``z`` of the output's
    shape (the adjoint identity).

    Parameters
    ----------
    x : array_like, (C_in, H, W) or (H, W)
        The input (the small map that is spread out).
    w : array_like, (C_in, C_out/groups, kH, kW) or (kH, kW)
        The weight, in PyTorch's layout for transposed convolutions (the first dimension
        is the input's channels).
    bias : array_like of C_out numbers, optional
        Added to every pixel of each output channel.
    stride, dilation : int or (int, int)
    padding : int, (int, int), (top, bottom, left, right) or "valid"
        Rows and columns cropped from the stamped canvas on each side (the padding of the
        convolution this transposes).
    output_padding : int or (int, int)
        Extra rows and columns at the bottom and right, to pick one of the input sizes a
        strided convolution maps onto the same output size. Must be smaller than the
        stride or the dilation, per axis.
    groups : int

    Returns
    -------
    numpy.ndarray, (C_out, H_out, W_out), or 2D for a 2D input
        ``H_out = (H − 1)·s − p_top − p_bottom + d·(kH − 1) + output_padding + 1``.

    Examples
    --------
    A 2×2 input, a 2×2 kernel, stride 2: four stamps side by side, no overlap.

    >>> conv_transpose2d([[1, 2], [3, 4]], [[1, 1], [1, -1]], stride=2)
    array([[ 1,  1,  2,  2],
           [ 1, -1,  2, -2],
           [ 3,  3,  4,  4],
           [ 3, -3,  4, -4]])
    >>> conv_transpose2d([[1]], [[1, 2]], output_padding=1)
    Traceback (most recent call last):
    ...
    explainer.errors.ProblemError: output_padding must be smaller than the stride or ...
    """
    xs, ws, flat, opt = _transposed_layout(x, w, stride, padding, output_padding, dilation, groups)
    b = None
    if bias is not None:
        b, _ = _tensor(np.reshape(np.asarray(bias), (1, -1)), "the bias", 2)
        b = b.reshape(-1)
        if b.shape != (opt["out_shape"][0],):
            raise ProblemError(
                f"the bias needs one number per output channel ({opt['out_shape'][0]}); "
                f"got {b.shape[0]}"
            )
    if _exact(xs, ws, b):
        out = _exact_transposed(xs, ws, b, opt)
    else:
        out = _scatter_all(_floats(xs), _floats(ws), opt)
        if b is not None:
            out += _floats(b)[:, None, None]
    return out[0] if flat else out


def _scatter_all(x: np.ndarray, w: np.ndarray, opt: dict[str, Any]) -> np.ndarray:
    """The engine's transposed convolution: per block of input rows, one matrix product
    makes every pixel's stamps, then one strided add per kernel tap lays them down."""
    c_in, h, wd = x.shape
    _, og, kh, kw = w.shape
    groups = opt["groups"]
    out = np.zeros(opt["out_shape"], dtype=np.result_type(x, w))
    weights_t = w.reshape(groups, c_in // groups, og * kh * kw).transpose(0, 2, 1)
    top, left = opt["padding"][0], opt["padding"][2]
    step = _block_rows(h, wd, og * groups * kh * kw)
    for i0 in range(0, h, step):
        i1 = min(i0 + step, h)
        block = x[:, i0:i1].reshape(groups, c_in // groups, (i1 - i0) * wd)
        stamps = np.matmul(weights_t, block).reshape(og * groups, kh, kw, i1 - i0, wd)
        _stamp(out, stamps, i0, (top, left), opt["stride"], opt["dilation"])
    return out


def _exact_transposed(
    x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, opt: dict[str, Any]
) -> np.ndarray:
    xi, dx = over_common_denominator(x)
    wi, dw = over_common_denominator(w)
    bound = _bound(xi, "sum") * max(_bound(wi, "sum"), 1.0)
    if bias is not None:
        bi, db = over_common_denominator(bias)
        bound = bound * db + _bound(bi, "max") * dx * dw
    xi, wi = _integers(xi, wi, bound=bound)
    sums = _scatter_all(xi, wi, opt)
    if bias is None:
        return _finish(sums, dx * dw)
    (bi,) = _integers(bi, bound=bound)
    return _finish(sums * db + bi[:, None, None] * (dx * dw), dx * dw * db)


# ----- three views of the transposed convolution, each computed its own way ---------------


def _view_arrays(
    x: Any, w: Any, stride: Any, padding: Any, output_padding: Any, dilation: Any, groups: Any
) -> tuple[np.ndarray, np.ndarray, bool, dict[str, Any]]:
    """Validated arrays as exact objects (ints, Fractions) or float64, and the options."""
    xs, ws, flat, opt = _transposed_layout(x, w, stride, padding, output_padding, dilation, groups)
    kind = object if _exact(xs, ws) else np.float64
    return xs.astype(kind), ws.astype(kind), flat, opt


def transposed_by_scatter(
    x: Any,
    w: Any,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, ...] | str = 0,
    output_padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """View 1: each input pixel stamps a copy of the kernel, scaled by the pixel's value.

    One stamp per input pixel and channel, laid on a canvas large enough for every stamp;
    the canvas is then cropped by the padding (and extended by output_padding). Options
    and result as :func:`conv_transpose2d` (without bias). Meant for small examples.

    >>> transposed_by_scatter([[1, 2]], [[1, 1, 1]], stride=2)  # the middle pixel gets two
    array([[1, 1, 3, 2, 2]], dtype=object)
    """
    xs, ws, flat, opt = _view_arrays(x, w, stride, padding, output_padding, dilation, groups)
    (sh, sw), (dh, dw) = opt["stride"], opt["dilation"]
    top, _, left, _ = opt["padding"]
    c_out, oh, ow = opt["out_shape"]
    c_in, h, wd = xs.shape
    kh, kw = ws.shape[2:]
    per_in, per_out = c_in // opt["groups"], ws.shape[1]
    # A canvas holding every stamp whole, and the output's place in it.
    canvas_h = max((h - 1) * sh + dh * (kh - 1) + 1, top + oh)
    canvas_w = max((wd - 1) * sw + dw * (kw - 1) + 1, left + ow)
    canvas = np.zeros((c_out, canvas_h, canvas_w), dtype=xs.dtype)
    for c in range(c_in):
        group = c // per_in
        outs = slice(group * per_out, (group + 1) * per_out)
        for i in range(h):
            for j in range(wd):
                r, q = sh * i, sw * j
                spot = canvas[outs, r : r + dh * (kh - 1) + 1 : dh, q : q + dw * (kw - 1) + 1 : dw]
                spot += xs[c, i, j] * ws[c]
    out = canvas[:, top : top + oh, left : left + ow]
    return out[0] if flat else out


def transposed_by_zero_insertion(
    x: Any,
    w: Any,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, ...] | str = 0,
    output_padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """View 2: insert s − 1 zeros between input pixels, pad, correlate with the rotated kernel.

    The spread-out input is padded by d·(k − 1) − p on each side (plus output_padding at
    the bottom and right; a negative amount crops), then correlated, stride 1, with the
    kernel rotated by 180° and its two channel axes swapped. Options and result as
    :func:`conv_transpose2d` (without bias).

    >>> transposed_by_zero_insertion([[1, 2]], [[1, 1, 1]], stride=2)
    array([[1, 1, 3, 2, 2]], dtype=object)
    """
    xs, ws, flat, opt = _view_arrays(x, w, stride, padding, output_padding, dilation, groups)
    (sh, sw), (dh, dw), groups = opt["stride"], opt["dilation"], opt["groups"]
    c_in, h, wd = xs.shape
    _, og, kh, kw = ws.shape
    spread = np.zeros((c_in, (h - 1) * sh + 1, (wd - 1) * sw + 1), dtype=xs.dtype)
    spread[:, ::sh, ::sw] = xs
    top, bottom, left, right = opt["padding"]
    extra_h, extra_w = opt["output_padding"]
    sides = (
        dh * (kh - 1) - top,
        dh * (kh - 1) - bottom + extra_h,
        dw * (kw - 1) - left,
        dw * (kw - 1) - right + extra_w,
    )
    padded = _pad_or_crop(spread, sides)
    # rotated[o, c, m, n] = w[c, o, kH−1−m, kW−1−n], group by group.
    per_in = c_in // groups
    rotated = (
        ws.reshape(groups, per_in, og, kh, kw)
        .transpose(0, 2, 1, 3, 4)
        .reshape(groups * og, per_in, kh, kw)[:, :, ::-1, ::-1]
    )
    geometry = plan_geometry(padded.shape[1:], (kh, kw), dilation=(dh, dw))
    out = _forward(padded, np.ascontiguousarray(rotated), geometry, groups)
    return out[0] if flat else out


def _pad_or_crop(arr: np.ndarray, sides: tuple[int, int, int, int]) -> np.ndarray:
    """Zeros added on each side (top, bottom, left, right), or rows cropped where negative."""
    top, bottom, left, right = sides
    arr = arr[:, max(0, -top) : arr.shape[1] - max(0, -bottom)]
    arr = arr[:, :, max(0, -left) : arr.shape[2] - max(0, -right)]
    out = np.zeros(
        (
            arr.shape[0],
            arr.shape[1] + max(0, top) + max(0, bottom),
            arr.shape[2] + max(0, left) + max(0, right),
        ),
        dtype=arr.dtype,
    )
    out[:, max(0, top) : max(0, top) + arr.shape[1], max(0, left) : max(0, left) + arr.shape[2]] = (
        arr
    )
    return out


def conv_matrix(
    input_shape: tuple[int, int, int] | tuple[int, int],
    w: Any,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, ...] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """The dense matrix ``M`` of ``conv2d`` (zero padding): ``y.ravel() == M @ x.ravel()``.

    Row ``(o, i, j)``, column ``(c, r, q)`` holds ``w[o, c, m, n]`` where the window of
    output pixel (i, j) puts tap (m, n) on input pixel (r, q), and 0 elsewhere. Built tap
    by tap from the indices alone; for small sizes only (TooLargeError beyond
    ``MAX_MATRIX_ELEMENTS`` entries).

    >>> conv_matrix((1, 3), [[1, 2]])
    array([[1, 2, 0],
           [0, 1, 2]], dtype=object)
    """
    ws, flat = _tensor(w, "the weight", 4)
    shape = tuple(input_shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or flat != (len(tuple(input_shape)) == 2):
        raise ProblemError("give the input shape as (C_in, H, W) with a 4D weight, or (H, W)")
    c_in, h, wd = shape
    geometry, groups = _layer(np.empty(shape), ws, stride, padding, dilation, groups, "zeros")
    oh, ow = geometry.output_shape
    c_out, per_in, kh, kw = ws.shape
    rows, cols = c_out * oh * ow, c_in * h * wd
    if rows * cols > MAX_MATRIX_ELEMENTS:
        raise TooLargeError(
            f"the convolution's matrix would have {rows:,}×{cols:,} entries; at most "
            f"{MAX_MATRIX_ELEMENTS:,} are built (use a smaller example)"
        )
    kind = object if is_exact(ws) else np.float64
    weights = ws.astype(kind)
    matrix = np.zeros((rows, cols), dtype=kind)
    (sh, sw), (dh, dw), (top, _, left, _) = geometry.stride, geometry.dilation, geometry.padding
    i, j = np.meshgrid(np.arange(oh), np.arange(ow), indexing="ij")
    per_out = c_out // groups
    for o in range(c_out):
        for cl in range(per_in):
            c = (o // per_out) * per_in + cl
            for m in range(kh):
                for n in range(kw):
                    r, q = sh * i + dh * m - top, sw * j + dw * n - left
                    inside = (r >= 0) & (r < h) & (q >= 0) & (q < wd)
                    row = o * oh * ow + (i * ow + j)[inside]
                    col = c * h * wd + (r * wd + q)[inside]
                    matrix[row, col] += weights[o, cl, m, n]
    return matrix


def transposed_by_matrix(
    x: Any,
    w: Any,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, ...] | str = 0,
    output_padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """View 3: multiply by the transpose of the matrix of the convolution it undoes the shape of.

    The convolution maps the output's shape (C_out, H_out, W_out) onto the input's (or a
    little more, where output_padding is at least the stride); ``conv_matrix`` builds its
    dense matrix ``M``, and the result is ``Mᵀ x`` (rows of ``M`` beyond the input's shape
    meet zeros). For small sizes only. Options and result as :func:`conv_transpose2d`
    (without bias).

    >>> transposed_by_matrix([[1, 2]], [[1, 1, 1]], stride=2)
    array([[1, 1, 3, 2, 2]], dtype=object)
    """
    xs, ws, flat, opt = _view_arrays(x, w, stride, padding, output_padding, dilation, groups)
    c_out, oh, ow = opt["out_shape"]
    c_in, h, wd = xs.shape
    matrix = conv_matrix(
        (c_out, oh, ow),
        ws,
        stride=opt["stride"],
        padding=opt["padding"],
        dilation=opt["dilation"],
        groups=opt["groups"],
    )
    ch, cw = opt["geometry"].output_shape  # at least (h, wd)
    rows = matrix.reshape(c_in, ch, cw, -1)[:, :h, :wd].reshape(c_in * h * wd, -1)
    out = (rows.T @ xs.reshape(-1)).reshape(c_out, oh, ow)
    return out[0] if flat else out


def transposed_overlap(
    input_shape: tuple[int, int],
    kernel_shape: tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, ...] | str = 0,
    output_padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """How many stamps (input pixel, kernel tap) land on each output pixel.

    Where the count varies from pixel to pixel inside the output, a transposed
    convolution of a flat input is not flat: the checkerboard pattern of upsampling
    layers. With dilation 1 that happens exactly when the kernel size is not a multiple of
    the stride on some axis. The count is the product of the two axes' counts.

    >>> transposed_overlap((3, 3), (3, 3), stride=2)  # 3 is not a multiple of 2
    array([[1, 1, 2, 1, 2, 1, 1],
           [1, 1, 2, 1, 2, 1, 1],
           [2, 2, 4, 2, 4, 2, 2],
           [1, 1, 2, 1, 2, 1, 1],
           [2, 2, 4, 2, 4, 2, 2],
           [1, 1, 2, 1, 2, 1, 1],
           [1, 1, 2, 1, 2, 1, 1]])
    >>> transposed_overlap((3, 3), (4, 4), stride=2, padding=1)[1:-1, 1:-1]  # even: 2 each way
    array([[4, 4, 4, 4],
           [4, 4, 4, 4],
           [4, 4, 4, 4],
           [4, 4, 4, 4]])
    """
    shape, kernel = tuple(input_shape), tuple(kernel_shape)
    if len(shape) != 2 or len(kernel) != 2 or min(*shape, *kernel) < 1:
        raise ProblemError("give the input and kernel shapes as (rows, columns), each at least 1")
    _, _, _, opt = _transposed_layout(
        np.zeros(shape, np.int64),
        np.zeros(kernel, np.int64),
        stride,
        padding,
        output_padding,
        dilation,
        1,
    )
    _, oh, ow = opt["out_shape"]
    counts = []
    for axis, size in enumerate((oh, ow)):
        s, d, before = opt["stride"][axis], opt["dilation"][axis], opt["padding"][2 * axis]
        count = np.zeros(size, dtype=np.int64)
        for i in range(shape[axis]):
            for m in range(kernel[axis]):
                r = s * i + d * m - before
                if 0 <= r < size:
                    count[r] += 1
        counts.append(count)
    return np.outer(counts[0], counts[1])
