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

Neither direction builds the layer's full im2col matrix. The backward pass walks blocks
of input channels (and of rows, for large images) whose patch matrix stays within
``BLOCK_ELEMENTS`` less the smaller gradient's size: each block's columns of ∂L/∂w are
written in place, its stamps go straight into ∂L/∂x, and the padding is folded into the
ranges a block reads and writes (no padded copy of the input, no padded canvas), so the
pass holds no more than the larger gradient and one block. The transposed convolution
walks blocks of the input's rows.

Besides the engine, three independent views of the transposed convolution, for teaching and
for the proof: :func:`transposed_by_scatter` (stamps), :func:`transposed_by_zero_insertion`
(insert zeros, pad, correlate with the rotated kernel) and :func:`transposed_by_matrix`
(multiply by the transpose of the convolution's matrix, :func:`conv_matrix`), with
:func:`zero_inserted`, the spread and padded map the second view correlates;
:func:`transposed_overlap`, how many stamps cover each output pixel; and
:func:`transposed_layout`, what a transposed convolution's options come to (its output
shape, the convolution it transposes), checked as :func:`conv_transpose2d` checks them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explainer.core.backward_common import (
    _bound,
    _exact,
    _finish,
    _floats,
    _integers,
    _weight_and_input_grads,
    backward_inputs,
)
from explainer.core.blas import one_blas_thread
from explainer.core.engine import over_common_denominator
from explainer.core.layer_blocks import THREADED_WORK, workers
from explainer.core.layer_engine import blas_single_threaded
from explainer.core.problem import (
    Geometry,
)


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
    xs, ws, gs, flat, geometry, groups = backward_inputs(
        x, w, grad_out, stride, padding, dilation, groups, padding_mode
    )
    if _exact(xs, ws, gs):
        grad_x, grad_w, grad_b = _exact_backward(xs, ws, gs, geometry, groups)
    else:
        xf, wf, gf = _floats(xs), _floats(ws), _floats(gs)
        grad_w, grad_x = _float_grads(xf, wf, gf, geometry, groups)
        grad_b = gf.sum(axis=(1, 2))
    if flat:
        return grad_x[0], grad_w[0, 0], grad_b
    return grad_x, grad_w, grad_b


def _float_grads(
    x: np.ndarray, w: np.ndarray, grad: np.ndarray, g: Geometry, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """∂L/∂w and ∂L/∂x in floats: a big layer's blocks shared among the engine's threads
    with BLAS held at one thread (as the forward layer does, :mod:`explainer.core.blas`);
    a small one, or one whose BLAS cannot be held, in the calling thread, each product
    with BLAS's own threads."""
    c_out, cg, kh, kw = w.shape
    work = c_out * cg * kh * kw * grad[0].size  # multiply-adds of one of the two products
    if work < THREADED_WORK:
        return _weight_and_input_grads(x, w, grad, g, groups)
    if blas_single_threaded():
        return _weight_and_input_grads(x, w, grad, g, groups, workers())
    with one_blas_thread() as limited:
        return _weight_and_input_grads(x, w, grad, g, groups, workers() if limited else 1)


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


# The whole public API of the backward side, importable from here.
from explainer.core.transposed import (  # noqa: E402
    TransposedLayout,
    conv_transpose2d,
    transposed_layout,
)
from explainer.core.transposed_views import (  # noqa: E402
    conv_matrix,
    transposed_by_matrix,
    transposed_by_scatter,
    transposed_by_zero_insertion,
    transposed_overlap,
    zero_inserted,
)

__all__ = [
    "conv2d_backward",
    "conv_transpose2d",
    "conv_matrix",
    "transposed_by_scatter",
    "transposed_by_zero_insertion",
    "transposed_by_matrix",
    "transposed_overlap",
    "transposed_layout",
    "TransposedLayout",
    "zero_inserted",
]
