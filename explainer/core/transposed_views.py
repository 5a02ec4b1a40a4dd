"""Three independent views of a transposed convolution, for teaching and for the proof:
stamps (scatter), zero insertion + padding + correlation with the rotated kernel (and the
spread, padded map that view correlates, :func:`zero_inserted`), and the transpose of the
convolution's matrix; and how many stamps cover each output pixel."""

from __future__ import annotations

from typing import Any

import numpy as np

from explainer.core import limits
from explainer.core.backward_common import (
    _exact,
    _forward,
    _layer,
    _tensor,
)
from explainer.core.problem import (
    is_exact,
    plan_geometry,
)
from explainer.core.transposed import TransposedLayout, transposed_layout
from explainer.errors import ProblemError


def _view_arrays(
    x: Any, w: Any, stride: Any, padding: Any, output_padding: Any, dilation: Any, groups: Any
) -> tuple[np.ndarray, np.ndarray, bool, TransposedLayout]:
    """Validated arrays as exact objects (ints, Fractions) or float64, and the layout."""
    opt = transposed_layout(x, w, stride, padding, output_padding, dilation, groups)
    kind = object if _exact(opt.x, opt.w) else np.float64
    return opt.x.astype(kind), opt.w.astype(kind), opt.flat, opt


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
    (sh, sw), (dh, dw) = opt.stride, opt.dilation
    top, _, left, _ = opt.padding
    c_out, oh, ow = opt.out_shape
    c_in, h, wd = xs.shape
    kh, kw = ws.shape[2:]
    per_in, per_out = c_in // opt.groups, ws.shape[1]
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
    (dh, dw), groups = opt.dilation, opt.groups
    c_in = xs.shape[0]
    _, og, kh, kw = ws.shape
    padded = _spread_and_pad(xs, opt)
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


def zero_inserted(
    x: Any,
    w: Any,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, ...] | str = 0,
    output_padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """The map view 2 correlates: the input spread out and padded
    (:func:`transposed_by_zero_insertion`).

    s − 1 zeros go between neighbouring pixels on each axis (stride s), then d·(k − 1) − p
    zeros on each side (padding p of that side, kernel size k, dilation d), with
    output_padding more at the bottom and right; where that amount is negative, as many
    rows or columns are cropped instead. Correlating the result with the rotated kernel,
    stride 1, gives :func:`conv_transpose2d`. Options as there; exact inputs give an
    object array of ints and Fractions, others float64; 2D for a 2D input.

    >>> zero_inserted([[1, 2]], [[1, 1, 1]], stride=2)  # one zero between, two each side
    array([[0, 0, 1, 0, 2, 0, 0]], dtype=object)
    >>> zero_inserted([[1, 2]], [[1, 1, 1]], stride=2, padding=(0, 2))  # 2 − 2: no zeros
    array([[1, 0, 2]], dtype=object)
    """
    xs, _, flat, opt = _view_arrays(x, w, stride, padding, output_padding, dilation, groups)
    out = _spread_and_pad(xs, opt)
    return out[0] if flat else out


def _spread_and_pad(xs: np.ndarray, opt: TransposedLayout) -> np.ndarray:
    (sh, sw), (dh, dw) = opt.stride, opt.dilation
    c_in, h, wd = xs.shape
    kh, kw = opt.w.shape[2:]
    spread = np.zeros((c_in, (h - 1) * sh + 1, (wd - 1) * sw + 1), dtype=xs.dtype)
    spread[:, ::sh, ::sw] = xs
    top, bottom, left, right = opt.padding
    extra_h, extra_w = opt.output_padding
    sides = (
        dh * (kh - 1) - top,
        dh * (kh - 1) - bottom + extra_h,
        dw * (kw - 1) - left,
        dw * (kw - 1) - right + extra_w,
    )
    return _pad_or_crop(spread, sides)


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
    ``limits.MAX_MATRIX_ELEMENTS`` entries).

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
    limits.refuse("conv-matrix", rows * cols, rows=rows, cols=cols)
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
    c_out, oh, ow = opt.out_shape
    c_in, h, wd = xs.shape
    matrix = conv_matrix(
        (c_out, oh, ow),
        ws,
        stride=opt.stride,
        padding=opt.padding,
        dilation=opt.dilation,
        groups=opt.groups,
    )
    ch, cw = opt.geometry.output_shape  # at least (h, wd)
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
    opt = transposed_layout(
        np.zeros(shape, np.int64),
        np.zeros(kernel, np.int64),
        stride,
        padding,
        output_padding,
        dilation,
        1,
    )
    _, oh, ow = opt.out_shape
    counts = []
    for axis, size in enumerate((oh, ow)):
        s, d, before = opt.stride[axis], opt.dilation[axis], opt.padding[2 * axis]
        count = np.zeros(size, dtype=np.int64)
        for i in range(shape[axis]):
            for m in range(kernel[axis]):
                r = s * i + d * m - before
                if 0 <= r < size:
                    count[r] += 1
        counts.append(count)
    return np.outer(counts[0], counts[1])
