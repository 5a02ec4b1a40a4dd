"""The engine: compute a 2D convolution, in float64 or exactly.

Both paths slide the (applied) kernel tap by tap: for each of the kernel's k·l taps, one
strided view of the padded image is multiplied by that tap's weight and added into the
output. The loop is over the kernel's taps, never over output pixels, so a 4096×4096
image with a 3×3 kernel costs nine vectorized multiply-adds.

The exact path keeps integers as integers (int64 when no overflow is possible, Python
ints otherwise) and Fractions as Fractions; division by the normalization gives
Fractions, so results compare by exact equality with sympy.
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import ExplainerWarning
from .problem import Problem, is_exact

_NP_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


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
) -> np.ndarray:
    """Slide ``kernel`` over ``image`` and return the map of (normalized) sums of products.

    ``y[i, j] = (1/N) · Σ_m Σ_n x[s·i + d·m − p, s·j + d·n − p] · w[m, n]``, where ``s`` is
    the stride, ``d`` the dilation, ``p`` the top/left padding and ``N`` the divisor chosen
    by ``normalize``. With ``flip=True`` the kernel is rotated by 180° first
    (``w[k−1−m, l−1−n]``), which is convolution in the mathematical sense; the default is
    cross-correlation, the operation deep-learning libraries call convolution.

    Parameters
    ----------
    image, kernel : array_like
        2D arrays of numbers.
    stride, padding, padding_mode, dilation, flip, normalize
        As for :class:`explainer.Problem`.
    exact : bool or None
        None (default) picks by input: exact for integers and Fractions, float64 for
        floats. True forces exact arithmetic (floats are read as the decimal they print
        as, with a warning if that loses anything); False forces float64.

    Returns
    -------
    numpy.ndarray
        float64 on the float path. On the exact path: int64 (or object holding Python
        ints) when nothing is divided, an object array of :class:`fractions.Fraction`
        when it is.

    Examples
    --------
    >>> conv2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, 1]])
    array([[ 6,  8],
           [12, 14]])
    >>> conv2d([[1, 2], [3, 4]], [[1, 1], [1, 1]], normalize="area")
    array([[Fraction(5, 2)]], dtype=object)
    >>> conv2d([[0.5, 1.0], [1.5, 2.0]], [[2.0]], stride=2)
    array([[1.]])
    """
    problem = Problem(
        image,
        kernel,
        stride=stride,
        padding=padding,
        padding_mode=padding_mode,
        dilation=dilation,
        flip=flip,
        normalize=normalize,
    )
    return compute(problem, exact=exact)


def compute(problem: Problem, *, exact: bool | None = None) -> np.ndarray:
    """Run the engine on a validated :class:`Problem` (see :func:`conv2d`)."""
    if exact is None:
        exact = problem.exact
    if not exact:
        return _float_path(problem)
    return _exact_path(problem)


def pad(problem: Problem, values: np.ndarray | None = None) -> np.ndarray:
    """The image with its border, as the kernel sees it."""
    arr = problem.image if values is None else values
    top, bottom, left, right = problem.padding
    if not any(problem.padding):
        return arr
    mode = _NP_PAD_MODES[problem.padding_mode]
    widths = ((top, bottom), (left, right))
    if mode == "constant":
        if arr.dtype == object:
            out = np.full(problem.padded_shape, 0, dtype=object)
            out[top : top + arr.shape[0], left : left + arr.shape[1]] = arr
            return out
        return np.pad(arr, widths, mode="constant", constant_values=0)
    return np.pad(arr, widths, mode=mode)


def windows(problem: Problem, padded: np.ndarray) -> np.ndarray:
    """A read-only view of shape (out_h, out_w, k, l): the patch under every output pixel."""
    eh, ew = problem.effective_kernel_shape
    (sh, sw), (dh, dw) = problem.stride, problem.dilation
    oh, ow = problem.output_shape
    view = np.lib.stride_tricks.sliding_window_view(padded, (eh, ew))
    return view[: (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw, ::dh, ::dw]


def _float_path(problem: Problem) -> np.ndarray:
    image = problem.image.astype(np.float64)
    padded = pad(problem, image)
    kernel_f = problem.applied_kernel.astype(np.float64)
    out = np.zeros(problem.output_shape, dtype=np.float64)
    scratch = np.empty_like(out)
    for (m, n), weight in np.ndenumerate(kernel_f):
        if weight == 0.0:
            continue
        view = _tap_view(problem, padded, m, n)
        np.multiply(view, weight, out=scratch)
        out += scratch
    divisor = float(problem.divisor)
    if divisor != 1.0:
        out /= divisor
    return out


def _tap_view(problem: Problem, padded: np.ndarray, m: int, n: int) -> np.ndarray:
    (sh, sw), (dh, dw) = problem.stride, problem.dilation
    oh, ow = problem.output_shape
    r0, c0 = m * dh, n * dw
    return padded[r0 : r0 + (oh - 1) * sh + 1 : sh, c0 : c0 + (ow - 1) * sw + 1 : sw]


def exact_values(arr: np.ndarray) -> np.ndarray:
    """The array as exact numbers: ints stay, floats become the decimal they print as.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:  # 0.1 is not exactly 1/10
    ...     exact_values(np.array([[0.5, 0.1]]))
    array([[Fraction(1, 2), Fraction(1, 10)]], dtype=object)
    >>> len(caught)
    1
    """
    if is_exact(arr):
        return arr
    out = np.empty(arr.shape, dtype=object)
    lossy = []
    for idx, v in np.ndenumerate(arr):
        shown = Fraction(repr(float(v)))
        if shown != Fraction(float(v)):
            lossy.append((idx, float(v)))
        out[idx] = shown.numerator if shown.denominator == 1 else shown
    if lossy:
        (r, c), v = lossy[0]
        many = len(lossy) > 1
        warnings.warn(
            f"{len(lossy)} float value{'s' if many else ''} (first {v!r} at row {r}, "
            f"column {c}) {'are' if many else 'is'} not exactly the decimal shown; "
            "the exact path uses the decimal",
            ExplainerWarning,
            stacklevel=3,
        )
    return out


def _exact_path(problem: Problem) -> np.ndarray:
    image, kernel = exact_values(problem.image), exact_values(problem.applied_kernel)
    image, kernel = fit_integers(image, kernel)
    padded = pad(problem, image)
    out: np.ndarray | None = None
    for (m, n), weight in np.ndenumerate(kernel):
        term = _tap_view(problem, padded, m, n) * weight
        out = term if out is None else out + term
    assert out is not None
    divisor = problem.divisor
    if divisor == 1 and problem.normalize is None:
        return out
    if not isinstance(divisor, Fraction):
        divisor = Fraction(divisor)
    result = np.empty(out.shape, dtype=object)
    for idx, v in np.ndenumerate(out):
        result[idx] = Fraction(int(v) if not isinstance(v, Fraction) else v) / divisor
    return result


def fit_integers(image: np.ndarray, kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Use int64 when no sum of products can overflow it, Python ints otherwise.

    The bound max|x|·max|w|·(k·l) is computed with Python ints from the extremes: numpy's
    ``abs`` of the int64 minimum, −2**63, is itself (it wraps), which once let a wrapping
    sum through.
    """
    if image.dtype.kind in "iu" and kernel.dtype.kind in "iu" and image.size and kernel.size:
        bound = _largest_magnitude(image) * _largest_magnitude(kernel) * kernel.size
        if bound < 2**62:
            return image.astype(np.int64), kernel.astype(np.int64)
    return image.astype(object), kernel.astype(object)


def _largest_magnitude(arr: np.ndarray) -> int:
    return max(abs(int(arr.min())), abs(int(arr.max())))
