"""``conv2d``: the public entry point of the engine, one channel or a whole layer.

A 2D image and kernel go to the one-channel engine (:mod:`explainer.core.engine`); channels,
a bias or groups go to the layer (:mod:`explainer.core.layer_engine`), as PyTorch's
``conv2d`` takes them for one sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explainer.core.engine import compute
from explainer.core.layer import Layer
from explainer.core.layer_engine import convolve
from explainer.core.problem import Problem
from explainer.core.quick import quick_exact, quick_float


def conv2d(
    image: Any,
    kernel: Any,
    *,
    stride: int | tuple[int, int] = 1,
    padding: str | int | tuple[int, ...] = 0,
    padding_mode: str = "zeros",
    dilation: int | tuple[int, int] = 1,
    flip: bool = False,
    normalize: str | None = None,
    exact: bool | None = None,
    bias: Any = None,
    groups: int = 1,
) -> np.ndarray:
    """Slide ``kernel`` over ``image`` and return the map of (normalized) sums of products.

    ``y[i, j] = (1/N) · Σ_m Σ_n x[s·i + d·m − p, s·j + d·n − p] · w[m, n]``, where ``s`` is
    the stride, ``d`` the dilation, ``p`` the top/left padding and ``N`` the divisor chosen
    by ``normalize``. With ``flip=True`` the kernel is rotated by 180° first
    (``w[k−1−m, l−1−n]``), which is convolution in the mathematical sense; the default is
    cross-correlation, the operation deep-learning libraries call convolution.

    Channels are taken the way ``torch.nn.functional.conv2d`` takes them for one sample:
    an ``image`` of shape (C_in, H, W) with a ``kernel`` (weight) of shape
    (C_out, C_in / groups, kH, kW), an optional ``bias`` of shape (C_out,) and ``groups``,
    give a (C_out, rows, columns) result (see :class:`explainer.Layer`); every other
    option applies to each channel as to one.

    Parameters
    ----------
    image, kernel : array_like
        2D arrays of numbers; or a (C_in, H, W) input and a (C_out, C_in / groups, kH, kW)
        weight.
    stride, padding, padding_mode, dilation, flip, normalize
        As for :class:`explainer.Problem`.
    exact : bool or None
        None (default) picks by input: exact for integers and Fractions, float64 for
        floats. True forces exact arithmetic (floats are read as the decimal they print
        as, with a warning if that loses anything); False forces floating point.

    Returns
    -------
    numpy.ndarray
        On the float path, float32 for a float32 image and float64 otherwise (float64
        and integer images): the precision follows the image, as in
        ``scipy.ndimage.correlate`` and OpenCV's ``filter2D``, and the kernel's dtype
        does not change it. Every sum is accumulated in float64 either way, so a float32
        result is the float64 result rounded once; a layer (channels) sums a float32
        input in float32, as torch does (BLAS sgemm). On the exact path: int64 (or object
        holding Python ints) when nothing is divided, an object array of
        :class:`fractions.Fraction` when anything is (a normalization, or Fractions in
        the input).
    bias : array_like of shape (C_out,), optional
        Added to each output channel (after any normalization).
    groups : int
        Channels split into groups; each filter reads the input channels of its group.

    Examples
    --------
    >>> conv2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, 1]])
    array([[ 6,  8],
           [12, 14]])
    >>> conv2d([[1, 2], [3, 4]], [[1, 1], [1, 1]], normalize="area")
    array([[Fraction(5, 2)]], dtype=object)
    >>> conv2d([[0.5, 1.0], [1.5, 2.0]], [[2.0]], stride=2)
    array([[1.]])
    >>> conv2d(np.ones((3, 3), np.float32), [[0.1, 0.2]]).dtype  # float32 in, float32 out
    dtype('float32')
    >>> conv2d(np.ones((2, 3, 3), int), np.ones((1, 2, 2, 2), int), bias=[-1])  # channels
    array([[[7, 7],
            [7, 7]]])
    """
    if bias is not None or groups != 1 or _ndim(image) == 3 or _ndim(kernel) == 4:
        return conv2d_layer(
            image,
            kernel,
            bias,
            stride=stride,
            padding=padding,
            padding_mode=padding_mode,
            dilation=dilation,
            groups=groups,
            flip=flip,
            normalize=normalize,
            exact=exact,
        )
    options = dict(
        stride=stride, padding=padding, padding_mode=padding_mode, dilation=dilation, flip=flip
    )
    if normalize is None and not exact:
        quick = quick_float(image, kernel, **options)
        if quick is not None:
            return quick
    if exact is not False:
        quick = quick_exact(image, kernel, **options, normalize=normalize)
        if quick is not None:
            return quick
    problem = Problem(
        image,
        kernel,
        stride=stride,
        padding=padding,
        padding_mode=padding_mode,
        dilation=dilation,
        flip=flip,
        normalize=normalize,
        copy=False,  # the problem ends with this call: no need to guard against changes
    )
    return compute(problem, exact=exact)


def _ndim(values: Any) -> int:
    """The number of dimensions of an array or nested lists (as far as the first elements
    tell; the paths check the whole)."""
    if isinstance(values, np.ndarray):
        return values.ndim
    depth = 0
    while isinstance(values, (list, tuple)) and depth < 5:
        if not values:
            return 2 if depth < 2 else depth + 1
        values, depth = values[0], depth + 1
    if isinstance(values, np.ndarray):
        return depth + values.ndim
    return depth


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
