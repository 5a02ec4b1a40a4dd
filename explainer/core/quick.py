"""conv2d's quick paths: a 2D float, or exact (ints and Fractions), convolution computed
without building a :class:`~explainer.core.problem.Problem`, with the same checks made the
quick way and the same numbers as the Problem's path (see :mod:`explainer.core.engine`).
Anything the quick checks are not sure of gets None, and the caller builds the Problem,
which refuses in its own words, reads other numbers or bounds exactly. A call's fixed cost
matters: a layer, a lesson and a course compute many small convolutions.
"""

from __future__ import annotations

import math
from fractions import Fraction
from operator import attrgetter, mul
from typing import Any

import numpy as np

from explainer.core.engine import INT64_MAX, divided
from explainer.core.geometry import Geometry, quick_geometry
from explainer.core.problem import _BIGGEST, _all_finite, fits_float_range
from explainer.core.sliding import correlate_float, correlate_taps, plan_of
from explainer.errors import ExplainerError

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def quick_float(
    image: Any,
    kernel: Any,
    *,
    stride: Any,
    padding: Any,
    padding_mode: Any,
    dilation: Any,
    flip: Any,
) -> np.ndarray | None:
    """The float path for a float image and kernel (2D arrays, nothing to normalize),
    without building a :class:`Problem`: the same checks, made the quick way.

    The shapes and options go through :func:`quick_geometry` (as in a Problem); the values
    must be finite (the image's smallest and largest are, so every value is: a NaN or an
    infinity would show in one of them) and their sums within float64's quick bound. None
    when anything is not so: the caller then builds the Problem, which refuses in its own
    words, or bounds exactly. For a 64×64 image this is a third of a call's time.
    """
    if not _two_d(image, kernel) or image.dtype not in _FLOATS or kernel.dtype not in _FLOATS:
        return None
    if type(flip) is not bool:
        return None
    geometry = _geometry_or_none(image, kernel, stride, padding, padding_mode, dilation)
    if geometry is None:
        return None
    lo, hi = float(image.min()), float(image.max())
    if not (math.isfinite(lo) and math.isfinite(hi) and _all_finite(kernel)):
        return None
    if not fits_float_range(image, kernel, max(-lo, hi)):
        return None
    applied = kernel[::-1, ::-1] if flip else kernel
    out = np.empty(geometry.output_shape, np.float32 if image.dtype == np.float32 else np.float64)
    return correlate_float(plan_of(geometry), image, applied.astype(np.float64), out)


def quick_exact(
    image: Any,
    kernel: Any,
    *,
    stride: Any,
    padding: Any,
    padding_mode: Any,
    dilation: Any,
    flip: Any,
    normalize: Any,
) -> np.ndarray | None:
    """The exact path for 2D arrays of ints and Fractions (integer or object arrays), not
    normalized or normalized by the area, without building a :class:`Problem`: the same
    checks and the same results, in one pass over the values.

    The shapes and options go through :func:`quick_geometry` (as in a Problem); every value
    must be an int or a Fraction whose numerator is within float64's range, and the sums
    within float64's quick bound (:func:`fits_float_range`, as a Problem checks them).
    None when anything is not so: the caller then builds the Problem, which reads other
    numbers, refuses in its own words or bounds exactly. For a 9×9 image of Fractions
    this is half of a call's time.
    """
    if not _two_d(image, kernel) or type(flip) is not bool or normalize not in (None, "area"):
        return None
    x, w = _integer_ratios(image), _integer_ratios(kernel)
    if x is None or w is None:
        return None
    (xs, dx, x_bound), (ws, dw, w_bound) = x, w
    geometry = _geometry_or_none(image, kernel, stride, padding, padding_mode, dilation)
    if geometry is None:
        return None
    if not fits_float_range(image, kernel, float(x_bound), float(w_bound)):
        return None
    # int64 when no partial sum can overflow it (see fit_integers), bounded in Python ints.
    bound = x_bound * sum(map(abs, ws.ravel().tolist()))  # of every partial sum's size
    if bound > INT64_MAX or xs.dtype != ws.dtype:
        xs, ws = xs.astype(object), ws.astype(object)
    applied = ws[::-1, ::-1] if flip else ws
    sums = correlate_taps(plan_of(geometry), xs, applied, np.empty(geometry.output_shape, xs.dtype))
    scale = dx * dw * (kernel.size if normalize == "area" else 1)  # an int
    if normalize is None and scale == 1:
        objects = image.dtype == object or kernel.dtype == object
        return sums.astype(object) if objects and sums.dtype != object else sums
    return divided(sums, scale, bound)


def _integer_ratios(arr: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """``(a, D, M)``: integers ``a`` (int64 when they fit, else Python ints) with
    ``arr == a / D`` exactly, and M the largest |a| (at least the largest |numerator| of
    the values as given, as D/d ≥ 1: an upper bound of their size); None unless every
    value is an int or a Fraction and M is within float64's range."""
    if arr.dtype.kind == "i":
        largest = max(-int(arr.min()), int(arr.max()))
        return arr.astype(np.int64, copy=False), 1, largest
    if arr.dtype != object:
        return None
    flat = arr.ravel().tolist()
    kinds = set(map(type, flat))
    if not kinds <= _EXACT_TYPES:
        return None
    if kinds == _INTS:
        numerators, denominators = flat, [1]  # the one denominator, 1
    elif kinds == _FRACTIONS and _SLOTS_READABLE:  # read in C, not by a method per value
        numerators, denominators = list(map(_NUMERATOR, flat)), list(map(_DENOMINATOR, flat))
    else:
        numerators, denominators = zip(*[v.as_integer_ratio() for v in flat], strict=True)
    denominator = math.lcm(*set(denominators))
    scaled = numerators
    if denominator != 1:  # each n·(D/d), one factor per distinct denominator
        factor = {d: denominator // d for d in set(denominators)}
        scaled = list(map(mul, numerators, map(factor.__getitem__, denominators)))
    high, low = max(scaled), min(scaled)
    largest = max(high, -low)
    if largest >= _BIGGEST:
        return None
    fits = largest <= INT64_MAX and low >= -INT64_MAX - 1
    out = np.array(scaled, dtype=np.int64 if fits else object)
    return out.reshape(arr.shape), denominator, largest


_EXACT_TYPES, _INTS, _FRACTIONS = frozenset((int, Fraction)), {int}, {Fraction}
_NUMERATOR, _DENOMINATOR = attrgetter("_numerator"), attrgetter("_denominator")


def _slots_readable() -> bool:
    """True when a Fraction keeps its terms in the two slots its own methods read
    (CPython's fractions module, 3.11 and after); else the public method is used."""
    try:
        return (_NUMERATOR(Fraction(-14, 24)), _DENOMINATOR(Fraction(-14, 24))) == (-7, 12)
    except AttributeError:
        return False


_SLOTS_READABLE = _slots_readable()


def _two_d(image: Any, kernel: Any) -> bool:
    """Both non-empty 2D numpy arrays (anything else goes to a Problem)."""
    return (
        isinstance(image, np.ndarray)
        and isinstance(kernel, np.ndarray)
        and image.ndim == 2
        and kernel.ndim == 2
        and bool(image.size)
        and bool(kernel.size)
    )


def _geometry_or_none(
    image: np.ndarray,
    kernel: np.ndarray,
    stride: Any,
    padding: Any,
    padding_mode: Any,
    dilation: Any,
) -> Geometry | None:
    """The geometry as a Problem would plan it, or None when it refuses: the Problem then
    refuses in its own words."""
    try:
        return quick_geometry(
            image.shape,
            kernel.shape,
            stride=stride,
            padding=padding,
            padding_mode=padding_mode,
            dilation=dilation,
        )
    except ExplainerError:
        return None
