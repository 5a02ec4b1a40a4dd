"""The transposed convolution (PyTorch's ``conv_transpose2d``): the gradient of a convolution
with respect to its input, used as an upsampling layer; see :mod:`explainer.core.backward`."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from explainer.core.backward_common import (
    _block_rows,
    _bound,
    _exact,
    _finish,
    _floats,
    _group_count,
    _groups,
    _integers,
    _stamp,
    _tensor,
)
from explainer.core.engine import over_common_denominator
from explainer.core.geometry import (
    Geometry,
    _pair,
    plan_geometry,
    resolve_padding,
)
from explainer.errors import ProblemError


@dataclass(frozen=True, eq=False)
class TransposedLayout:
    """A transposed convolution's input and weight, checked, and what its options come to.

    ``x`` (C_in, H, W) and ``w`` (C_in, C_out/groups, kH, kW) always have channels;
    ``flat`` says both came as 2D arrays. ``stride``, ``dilation`` and ``output_padding``
    are pairs (rows, columns), ``padding`` four sides (top, bottom, left, right).
    ``out_shape`` is the output's (C_out, H_out, W_out), and ``geometry`` the convolution
    this one transposes: it maps a map of the output's size back onto at least the
    input's size (more where output_padding reaches the stride).
    """

    x: np.ndarray
    w: np.ndarray
    flat: bool
    stride: tuple[int, int]
    dilation: tuple[int, int]
    padding: tuple[int, int, int, int]
    output_padding: tuple[int, int]
    groups: int
    out_shape: tuple[int, int, int]
    geometry: Geometry


def transposed_layout(
    x: Any,
    w: Any,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, ...] | str = 0,
    output_padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> TransposedLayout:
    """The checked arrays and resolved options of ``conv_transpose2d(x, w, ...)``.

    Refuses what :func:`conv_transpose2d` refuses, with the same one-line
    :class:`~explainer.errors.ProblemError`: a weight whose first dimension is not the
    input's channels, groups that do not divide them, output_padding not smaller than the
    stride or the dilation, padding that crops away the whole output.

    >>> lay = transposed_layout([[1, 2]], [[1, 1, 1]], stride=2, padding=(0, 1))
    >>> lay.out_shape, lay.padding, lay.flat
    ((1, 1, 3), (0, 0, 1, 1), True)
    >>> lay.geometry.output_shape  # the convolution it transposes maps 1×3 back onto 1×2
    (1, 2)
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
    return TransposedLayout(
        x=xs,
        w=ws,
        flat=flat,
        stride=strides,
        dilation=dilations,
        padding=sides,
        output_padding=extra,
        groups=groups,
        out_shape=(ws.shape[1] * groups, oh, ow),
        geometry=geometry,
    )


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
    opt = transposed_layout(x, w, stride, padding, output_padding, dilation, groups)
    xs, ws, flat = opt.x, opt.w, opt.flat
    b = None
    if bias is not None:
        b, _ = _tensor(np.reshape(np.asarray(bias), (1, -1)), "the bias", 2)
        b = b.reshape(-1)
        if b.shape != (opt.out_shape[0],):
            raise ProblemError(
                f"the bias needs one number per output channel ({opt.out_shape[0]}); "
                f"got {b.shape[0]}"
            )
    if _exact(xs, ws, b):
        out = _exact_transposed(xs, ws, b, opt)
    else:
        out = _scatter_all(_floats(xs), _floats(ws), opt)
        if b is not None:
            out += _floats(b)[:, None, None]
    return out[0] if flat else out


def _scatter_all(x: np.ndarray, w: np.ndarray, opt: TransposedLayout) -> np.ndarray:
    """The engine's transposed convolution: per block of input rows, one matrix product
    makes every pixel's stamps, then one strided add per kernel tap lays them down."""
    c_in, h, wd = x.shape
    _, og, kh, kw = w.shape
    groups = opt.groups
    out = np.zeros(opt.out_shape, dtype=np.result_type(x, w))
    weights_t = w.reshape(groups, c_in // groups, og * kh * kw).transpose(0, 2, 1)
    top, left = opt.padding[0], opt.padding[2]
    step = _block_rows(h, wd, og * groups * kh * kw)
    for i0 in range(0, h, step):
        i1 = min(i0 + step, h)
        block = x[:, i0:i1].reshape(groups, c_in // groups, (i1 - i0) * wd)
        stamps = np.matmul(weights_t, block).reshape(og * groups, kh, kw, i1 - i0, wd)
        _stamp(out, stamps, i0, (top, left), opt.stride, opt.dilation)
    return out


def _exact_transposed(
    x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, opt: TransposedLayout
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
