"""The engine: compute a 2D convolution, in floating point or exactly.

Both paths walk the output in blocks of rows that stay in the CPU's cache, reading the
padded image block by block (see :mod:`explainer.core.sliding`): the padded image as a whole
is never built, and a float or integer input is never copied.

* Float path: each block's sums of products are one BLAS matrix product, accumulated in
  float64. The result has the image's precision: float32 for a float32 image (each sum
  rounded once), float64 otherwise.
* Exact path: the image and the kernel become integers over a common denominator, the
  integers are convolved vectorized (int64 when no overflow is possible, Python ints
  otherwise) and each sum is divided once, by the denominators and the normalization.
  Results are ints, or Fractions where anything is divided, and compare by exact equality
  with sympy.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from fractions import Fraction
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np

from explainer.core.geometry import PADDING
from explainer.core.problem import (
    Problem,
    is_exact,
)
from explainer.core.sliding import Plan, correlate_float, correlate_taps
from explainer.errors import ExplainerWarning

if TYPE_CHECKING:
    import numpy.typing as npt

INT64_MAX = 2**63 - 1

_NP_PAD_MODES = {name: rule.numpy for name, rule in PADDING.items()}


def compute(
    problem: Problem, *, exact: bool | None = None, dtype: npt.DTypeLike | None = None
) -> np.ndarray:
    """Run the engine on a validated :class:`Problem` (see :func:`conv2d`).

    ``dtype`` (float32 or float64) overrides the float path's result type, which by
    default follows the image; the checks ask for float64 whatever the input.
    """
    if exact is None:
        exact = problem.exact
    if exact:
        return _exact_path(problem)
    return _float_path(problem, float_dtype(problem) if dtype is None else np.dtype(dtype))


def float_dtype(problem: Problem) -> np.dtype:
    """The float path's result type: float32 for a float32 image, float64 otherwise."""
    return np.dtype(np.float32 if problem.image.dtype == np.float32 else np.float64)


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


def _float_path(problem: Problem, dtype: np.dtype) -> np.ndarray:
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"the float path computes float32 or float64, not {dtype}")
    image = problem.image
    if image.dtype == object:  # Fractions or huge ints read as floats, once
        image = image.astype(np.float64)
    kernel = problem.applied_kernel.astype(np.float64)
    out = np.empty(problem.output_shape, dtype=dtype)
    return correlate_float(Plan.of(problem), image, kernel, out, float(problem.divisor))


def _exact_path(problem: Problem) -> np.ndarray:
    image, image_denominator = over_common_denominator(exact_values(problem.image))
    kernel, kernel_denominator = over_common_denominator(exact_values(problem.applied_kernel))
    image, kernel = fit_integers(image, kernel)
    sums = correlate_taps(
        Plan.of(problem), image, kernel, np.empty(problem.output_shape, dtype=image.dtype)
    )
    scale = Fraction(image_denominator * kernel_denominator) * Fraction(problem.divisor)
    if problem.normalize is None and scale == 1:
        # Integers stay integers; an object input (Python ints) stays object as it was.
        objects = problem.image.dtype == object or problem.kernel.dtype == object
        return sums.astype(object) if objects else sums
    return divided(sums, scale)


def over_common_denominator(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Integers ``a`` and one denominator ``D`` with ``values == a / D`` exactly.

    ``a`` is int64 when every integer fits, an object array of Python ints otherwise.

    >>> over_common_denominator(np.array([[Fraction(1, 2), 3], [Fraction(-2, 3), 0]]))
    (array([[ 3, 18],
           [-4,  0]]), 6)
    """
    if values.dtype.kind in "iu":
        return values, 1
    ratios = [v.as_integer_ratio() for v in values.ravel().tolist()]  # (n, 1) for an int
    denominator = math.lcm(*{d for _, d in ratios})
    ints = [n * (denominator // d) for n, d in ratios]
    fits = max(ints) <= INT64_MAX and min(ints) >= -INT64_MAX - 1
    out = np.array(ints, dtype=np.int64 if fits else object)
    return out.reshape(values.shape), denominator


def fit_integers(image: np.ndarray, kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int64 arrays when no sum of products can overflow int64, object arrays otherwise.

    The proof: every value the kernel reads is an image value or a zero of the border, so
    every partial sum of a pixel's products is at most ``max|x| · Σ|w|`` in size. That
    bound is computed in Python ints, where ``abs(-2**63)`` does not wrap around. Arrays
    holding anything but integers (Fractions) come back as object arrays.

    >>> x = np.array([[-2**62, 5]])
    >>> fit_integers(x, np.array([[1, 0]]))[0].dtype  # at most 2**62 in size
    dtype('int64')
    >>> fit_integers(x, np.array([[1, -1]]))[0].dtype  # 2**62 · 2 > 2**63 − 1
    dtype('O')
    """
    if image.dtype.kind in "iu" and kernel.dtype.kind in "iu":
        largest = max(-int(image.min()), int(image.max()))
        if largest * sum(abs(v) for v in kernel.ravel().tolist()) <= INT64_MAX:
            return image.astype(np.int64, copy=False), kernel.astype(np.int64, copy=False)
    return image.astype(object), kernel.astype(object)


def divided(sums: np.ndarray, divisor: Fraction | int, bound: int | None = None) -> np.ndarray:
    """``sums / divisor`` as an object array of Fractions, each made once per distinct sum.

    Each is put in lowest terms here, by one gcd with the divisor's numerator (the
    divisor's own terms being coprime), and made without normalizing it again. ``bound``,
    when given, is at least the largest |sum| (else it is looked for).

    >>> divided(np.array([[3, 6], [3, -3]]), Fraction(6))
    array([[Fraction(1, 2), Fraction(1, 1)],
           [Fraction(1, 2), Fraction(-1, 2)]], dtype=object)
    >>> divided(np.array([[4, 0]]), Fraction(-6, 5)).tolist()
    [[Fraction(-10, 3), Fraction(0, 1)]]
    """
    p, q = divisor.numerator, divisor.denominator
    if p < 0:  # the sign goes to the numerators: every denominator is positive
        p, q = -p, -q
    if sums.dtype != object and sums.size < 1024:
        # int64: each gcd in numpy, when no v·q can wrap around (|v| ≤ 2⁶³, so below)
        top = bound if bound is not None else max(-int(sums.min()), int(sums.max()))
        if top * abs(q) <= INT64_MAX and p <= INT64_MAX:
            g = np.gcd(sums, p)
            numerators, denominators = (sums // g * q).ravel().tolist(), (p // g).ravel().tolist()
            out = np.empty(sums.size, dtype=object)
            out[:] = _coprime_fractions(numerators, denominators)
            return out.reshape(sums.shape)
    if sums.dtype == object or sums.size < 1024:  # Python ints, or few: each one
        values = sums.ravel().tolist()  # Python ints: v * q cannot wrap around
        out = np.empty(len(values), dtype=object)
        out[:] = _quotients(values, p, q)
        return out.reshape(sums.shape)
    distinct, where = np.unique(sums, return_inverse=True)
    quotients = np.empty(distinct.shape, dtype=object)
    quotients[:] = _quotients(distinct.tolist(), p, q)
    return quotients[where.reshape(sums.shape)]


def _quotients(values: list[int], p: int, q: int) -> list[Fraction]:
    """``v · q / p`` for each v (p > 0, q and p coprime), in lowest terms: as gcd(q, p) = 1,
    gcd(v·q, p) = gcd(v, p)."""
    make = coprime_fraction
    return [
        make(v // g * q, p // g)
        for v, g in zip(values, map(math.gcd, values, repeat(p)), strict=True)
    ]


def _coprime_fractions(numerators: list[int], denominators: list[int]) -> list[Fraction]:
    """Fractions from numerators and positive denominators already in lowest terms, made
    as :data:`coprime_fraction` makes each, without a function call per value where it
    sets the two slots."""
    if coprime_fraction is not _coprime_by_slots:
        return list(map(coprime_fraction, numerators, denominators))
    new, made = object.__new__, []
    append = made.append
    for n, d in zip(numerators, denominators, strict=True):
        one = new(Fraction)
        one._numerator, one._denominator = n, d  # noqa: SLF001
        append(one)
    return made


def _coprime_by_slots(numerator: int, denominator: int) -> Fraction:
    made = object.__new__(Fraction)
    made._numerator, made._denominator = numerator, denominator  # noqa: SLF001
    return made


def _pick_coprime_fraction() -> Callable[[int, int], Fraction]:
    """The quickest way to make a Fraction from a numerator and a positive denominator
    already in lowest terms: Python 3.12's ``Fraction._from_coprime_ints``; on 3.11 its
    two slots set directly (what that method does), if a test Fraction made so equals,
    hashes and prints as one made the usual way; else ``Fraction(n, d)`` (which normalizes
    again: right, only slower)."""
    quick = getattr(Fraction, "_from_coprime_ints", None)
    candidates = ([quick] if quick is not None else []) + [_coprime_by_slots]
    for make in candidates:
        try:
            made, usual = make(-7, 12), Fraction(-7, 12)
            same = type(made) is Fraction and (made, hash(made), repr(made), made * 12) == (
                usual,
                hash(usual),
                repr(usual),
                -7,
            )
        except (AttributeError, TypeError):
            continue
        if same:
            return make
    return Fraction


coprime_fraction = _pick_coprime_fraction()
