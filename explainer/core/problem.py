"""The input model: an image, a kernel and the options of one 2D convolution.

A :class:`Problem` is validated once, on construction; everything downstream (the engine,
the trace, the derivations, the video) can rely on it. Options are normalized to explicit
per-axis values, so that ``stride=2`` becomes ``(2, 2)`` and ``padding="same"`` becomes the
four sides it means for this image and kernel.

Number kinds
------------
The problem is *exact* when both arrays hold integers or :class:`fractions.Fraction`
values: then every product, sum and normalized value is computed exactly (``7/9``, not
``0.7778``). When either holds floats, the problem is *float*: the engine sums in float64
and returns the image's precision (float32 stays float32, see :func:`explainer.conv2d`).
"""

from __future__ import annotations

import math
import numbers
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any, Literal

import numpy as np

from explainer.core.geometry import (
    PADDING_MODES,
    PADDING_WORDS,
    Geometry,
    PaddingMode,
    plan_geometry,
    resolve_padding,
)
from explainer.errors import ProblemError

__all__ = [
    "NORMALIZATIONS",
    "PADDING_MODES",
    "PADDING_WORDS",
    "Geometry",
    "PaddingMode",
    "Problem",
    "as_number_array",
    "is_exact",
    "plan_geometry",
    "resolve_padding",
]

Normalize = Literal["area", "sum"] | None

NORMALIZATIONS: dict[str | None, str] = {
    None: "no division: the value is the plain sum of products",
    "area": "divide by the kernel's area (number of elements)",
    "sum": "divide by the sum of the kernel's elements",
}

# Every value, sum and result must fit in float64: the float engine, `check` and the video
# use it. The margin covers the rounding of a sum of up to a million products.
FLOAT64_MAX = sys.float_info.max
FLOAT_SAFE_MAX = FLOAT64_MAX * (1 - 1e-9)
_BIGGEST = int(FLOAT64_MAX)  # exact numbers beyond this are refused (float64 must hold them)


def as_number_array(
    values: Any, name: str, copy: bool = True, *, finite_known: bool = False
) -> np.ndarray:
    """Turn nested sequences or an array into a read-only 2D array the engine can use.

    Integers and booleans become int64 (or Python ints when too large), Fractions stay
    Fractions in an object array, float32 stays float32 and other floats become float64.
    Anything else is refused. With ``copy=False`` an array already of the right type is
    not copied: the result is a read-only view of it (the caller's array stays writable).
    ``finite_known``: the caller has checked already that every float value is finite.
    """
    try:
        arr = np.asarray(values)
    except ValueError:
        raise ProblemError(
            f"{name} has rows of different lengths; every row needs as many numbers as the first"
        ) from None
    except (TypeError, OverflowError, RecursionError):
        raise ProblemError(f"{name} cannot be read as rows of numbers") from None
    if arr.dtype == object:
        arr = _exact_object_array(arr, name)
    elif arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind in "iu":
        if arr.dtype.kind == "u" and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
            arr = arr.astype(object)
        else:
            arr = arr.astype(np.int64, copy=copy)
    elif arr.dtype.kind == "f":
        if arr.dtype.itemsize > 8 and arr.size and np.abs(arr).max() > FLOAT64_MAX:
            raise ProblemError(f"{name} holds values beyond the range of float64 (about ±1.8e308)")
        arr = arr.astype(np.float32 if arr.dtype == np.float32 else np.float64, copy=copy)
    else:
        raise ProblemError(f"{name} must hold numbers; got values of type {arr.dtype}")
    if arr.ndim != 2:
        raise ProblemError(
            f"{name} must be two-dimensional (rows × columns); "
            f"got {arr.ndim} dimension{'s' if arr.ndim != 1 else ''}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ProblemError(f"{name} is empty; it needs at least one row and one column")
    # A finite sum proves every value finite in one pass without a temporary array; only
    # when it is not (NaN, infinity, or finite values that overflow) is each value checked.
    if arr.dtype.kind == "f" and not finite_known and not (_finite_sum(arr) or _all_finite(arr)):
        r, c = np.argwhere(~np.isfinite(arr))[0]
        raise ProblemError(
            f"{name} holds {arr[r, c]} at row {r}, column {c}; only finite numbers are allowed"
        )
    if arr.base is not None or arr is values:
        arr = arr.view()  # read-only for us, still writable for the caller
    arr.setflags(write=False)
    return arr


def _all_finite(arr: np.ndarray) -> bool:
    if arr.size <= _FEW:  # a kernel: Python is quicker than numpy's setup
        return all(map(math.isfinite, arr.ravel().tolist()))
    return bool(np.isfinite(arr).all())


# Up to this many values (a kernel), plain Python checks an array faster than numpy.
_FEW = 64


def _finite_sum(arr: np.ndarray) -> bool:
    if arr.size < 1 << 16:
        return False  # small: checking each value is as quick
    with np.errstate(over="ignore", invalid="ignore"):
        if arr.dtype in (np.float32, np.float64) and arr.flags.c_contiguous:
            # The sum of squares, one BLAS dot product: 0.35–0.45× the time of sum()
            # (numpy's pairwise float32 sum is slow); an infinity or NaN anywhere makes
            # it non-finite, as does a value beyond the square root of the type's limit
            # (then each value is checked).
            flat = arr.reshape(-1)
            return bool(np.isfinite(np.dot(flat, flat)))
        return bool(np.isfinite(arr.sum()))


def _exact_object_array(arr: np.ndarray, name: str) -> np.ndarray:
    """An object array must hold exact numbers (int, Fraction) or floats only."""
    flat = arr.ravel().tolist()
    if arr.ndim != 2:
        if any(isinstance(v, (list, tuple, np.ndarray)) for v in flat):
            _refuse_ragged(name)
        return arr  # the caller names the wrong number of dimensions
    # In a matrix, the first value that is neither int nor Fraction looks for ragged rows
    # (see _other_number), so a matrix of ints and Fractions is read in one pass.
    values: list[Any] = []
    append = values.append
    has_float = False
    for k, v in enumerate(flat):
        kind = type(v)  # ints and Fractions first: the common cases, without ABC checks
        if kind is int:
            if -_BIGGEST < v < _BIGGEST:
                append(v)
                continue
        elif kind is Fraction:
            n, d = v.as_integer_ratio()
            if -_BIGGEST < n < _BIGGEST:  # |p/q| ≤ |p|
                append(n if d == 1 else v)
                continue
        number = _other_number(v, k, flat, arr.shape[1], name)
        has_float = has_float or isinstance(number, float)
        append(number)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    if has_float:
        return out.reshape(arr.shape).astype(np.float64)
    return out.reshape(arr.shape)


def _other_number(v: Any, k: int, flat: list[Any], columns: int, name: str) -> Any:
    """A value that is not a plain int or Fraction within float range: an int, Fraction or
    float, or a one-line error naming where it is."""
    if isinstance(v, (bool, np.bool_)):
        v = int(v)
    if isinstance(v, numbers.Rational) and abs(v) > FLOAT64_MAX:
        r, c = divmod(k, columns)
        raise ProblemError(
            f"{name} holds a value of about {_about(v)} at row {r}, column {c}, beyond "
            "the range of float64 (about ±1.8e308)"
        )
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else v
    if isinstance(v, numbers.Rational):
        return Fraction(int(v.numerator), int(v.denominator))
    # Anything else is refused; ragged rows first, as they explain the rest.
    if any(isinstance(u, (list, tuple, np.ndarray)) for u in flat):
        _refuse_ragged(name)
    r, c = divmod(k, columns)
    if isinstance(v, numbers.Real):
        if not math.isfinite(float(v)):
            raise ProblemError(
                f"{name} holds {v} at row {r}, column {c}; only finite numbers are allowed"
            )
        return float(v)
    raise ProblemError(f"{name} holds {v!r} at row {r}, column {c}, which is not a number")


def _refuse_ragged(name: str) -> None:
    raise ProblemError(
        f"{name} has rows of different lengths; every row needs as many numbers as the first"
    )


def _about(v: Any) -> str:
    """A rough size for messages, also for numbers beyond float range ("1e+400")."""
    try:
        return f"{float(v):.2g}"
    except OverflowError:
        q = Fraction(v)
        exponent = math.log10(abs(q.numerator)) - math.log10(q.denominator)
        whole = math.floor(exponent)
        return f"{'-' if q < 0 else ''}{10 ** (exponent - whole):.2g}e+{whole}"


def _decimal(v: Any) -> int | Fraction:
    """A number as exact: floats read as the decimal they print as (as the exact path does)."""
    if isinstance(v, (float, np.floating)):
        return Fraction(repr(float(v)))
    return v if isinstance(v, Fraction) else int(v)


def is_exact(arr: np.ndarray) -> bool:
    """True when the array holds integers or Fractions (no floats)."""
    return arr.dtype == object or arr.dtype.kind in "iu"


@dataclass(frozen=True, eq=False)
class Problem:
    """One 2D convolution to compute and explain, validated on construction.

    Parameters
    ----------
    image, kernel : array_like
        Two-dimensional arrays of numbers. Integers and Fractions keep the whole
        computation exact; floats make it a float computation.
    stride : int or (int, int)
        How far the window jumps between output pixels, per axis.
    padding : "valid", "same", "full", int, (int, int) or (int, int, int, int)
        Border added around the image: ``"valid"`` none, ``"same"`` enough that the
        output has ``ceil(n / stride)`` pixels per axis (an odd total puts the extra row or
        column at the bottom or right, as TensorFlow and PyTorch do), ``"full"`` every
        partial overlap. A pair means (rows, columns); four numbers mean
        (top, bottom, left, right).
    padding_mode : "zeros", "reflect", "replicate" or "circular"
        What the border holds.
    dilation : int or (int, int)
        Spacing between the kernel's taps; 1 is a dense kernel.
    flip : bool
        True convolution: rotate the kernel by 180° before sliding it. The default,
        False, is cross-correlation, what deep-learning libraries call convolution.
    normalize : None, "area" or "sum"
        Divide each sum of products by the kernel's area, or by the kernel's sum.
    copy : bool
        True (default): the problem keeps its own read-only copies of the arrays, so that
        changing the caller's arrays later cannot change it. False: read-only views
        where the arrays already have the right type, for a problem used at once (as
        :func:`explainer.conv2d` does), which then needs no memory for a copy.

    Examples
    --------
    >>> p = Problem([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]], stride=2, padding=1)
    >>> p.padding, p.stride, p.output_shape
    ((1, 1, 1, 1), (2, 2), (2, 2))
    >>> Problem([[1, 2]], [[1, 2, 3]])
    Traceback (most recent call last):
    ...
    explainer.errors.ProblemError: the kernel (1×3) is wider than the image (1×2); ...
    """

    image: np.ndarray
    kernel: np.ndarray
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    padding_mode: PaddingMode = "zeros"
    dilation: tuple[int, int] = (1, 1)
    flip: bool = False
    normalize: Normalize = None
    padding_spec: str | None = field(default=None, compare=False)
    geometry: Geometry | None = field(default=None, compare=False, repr=False)

    def __init__(
        self,
        image: Any,
        kernel: Any,
        *,
        stride: int | tuple[int, int] = 1,
        padding: str | int | tuple[int, ...] = 0,
        padding_mode: str = "zeros",
        dilation: int | tuple[int, int] = 1,
        flip: bool = False,
        normalize: str | None = None,
        copy: bool = True,
    ) -> None:
        img = as_number_array(image, "the image", copy)
        ker = as_number_array(kernel, "the kernel", copy)
        if not isinstance(flip, (bool, np.bool_)):
            raise ProblemError(f"flip must be True or False; got {flip!r}")
        if isinstance(normalize, str) and normalize.lower() == "none":
            normalize = None
        if not (normalize is None or isinstance(normalize, str)) or normalize not in NORMALIZATIONS:
            raise ProblemError(f"unknown normalization {normalize!r}; choose none, area or sum")
        geometry = plan_geometry(
            img.shape,
            ker.shape,
            stride=stride,
            padding=padding,
            padding_mode=padding_mode,
            dilation=dilation,
        )
        object.__setattr__(self, "image", img)
        object.__setattr__(self, "kernel", ker)
        object.__setattr__(self, "stride", geometry.stride)
        object.__setattr__(self, "padding", geometry.padding)
        object.__setattr__(self, "padding_mode", geometry.padding_mode)
        object.__setattr__(self, "dilation", geometry.dilation)
        object.__setattr__(self, "flip", bool(flip))
        object.__setattr__(self, "normalize", normalize)
        object.__setattr__(self, "padding_spec", padding if isinstance(padding, str) else None)
        object.__setattr__(self, "geometry", geometry)
        # The shapes the engine asks for, known from the geometry: filled in here, where
        # the cached properties below would take a lock each to compute the same values.
        self.__dict__.update(
            effective_kernel_shape=geometry.effective_kernel_shape,
            padded_shape=geometry.padded_shape,
            output_shape=geometry.output_shape,
        )
        if normalize == "sum" and self.kernel_sum == 0:
            raise ProblemError(
                "the kernel's elements sum to 0, so it cannot be normalized by "
                "its sum; use normalize none or area"
            )
        self._check_float_range()

    def _check_float_range(self) -> None:
        """Refuse values whose sums of products would overflow float64.

        Every partial sum is at most max|x| · Σ|w|, and the value that sum divided by
        |divisor|: the bound is the larger of the two, computed exactly so that it cannot
        overflow itself. A quick upper bound in floats settles almost every problem first
        (see :func:`fits_float_range`); only one near the limit is bounded exactly.
        """
        if self.normalize != "sum" and fits_float_range(self.image, self.kernel):
            return  # dividing by 1 or the kernel's area (≥ 1) only makes values smaller
        weights = sum((abs(_decimal(v)) for v in self.kernel.ravel().tolist()), Fraction(0))
        largest = max(abs(_decimal(v)) for v in _extremes(self.image))
        bound = largest * weights * max(1, 1 / abs(Fraction(self.divisor)))
        if weights > FLOAT_SAFE_MAX:
            raise ProblemError(
                f"the kernel's values add up to about {_about(weights)}, beyond the range of "
                "float64 (about 1.8e308) that the float engine, the check and the video use; "
                "scale the kernel down"
            )
        if bound > FLOAT_SAFE_MAX:
            raise ProblemError(
                f"the values are too large: a sum of products could reach about {_about(bound)}, "
                "beyond the range of float64 (about 1.8e308) that the float engine, the check "
                "and the video use; scale the image or the kernel down"
            )

    # ----- derived quantities -------------------------------------------------------------

    @property
    def exact(self) -> bool:
        """True when every number is an integer or a Fraction, so results are exact."""
        return is_exact(self.image) and is_exact(self.kernel)

    # Shapes are derived once: the problem never changes, and the engine asks often.
    @cached_property
    def effective_kernel_shape(self) -> tuple[int, int]:
        """The span the kernel covers on the image once dilated: d·(k−1)+1 per axis."""
        (kh, kw), (dh, dw) = self.kernel.shape, self.dilation
        return dh * (kh - 1) + 1, dw * (kw - 1) + 1

    @cached_property
    def padded_shape(self) -> tuple[int, int]:
        (h, w), (top, bottom, left, right) = self.image.shape, self.padding
        return h + top + bottom, w + left + right

    @cached_property
    def output_shape(self) -> tuple[int, int]:
        """⌊(n + p_before + p_after − d·(k−1) − 1) / s⌋ + 1 on each axis."""
        (ph, pw), (eh, ew), (sh, sw) = self.padded_shape, self.effective_kernel_shape, self.stride
        return (ph - eh) // sh + 1, (pw - ew) // sw + 1

    @property
    def kernel_area(self) -> int:
        return int(self.kernel.size)

    @property
    def kernel_sum(self) -> Any:
        """The exact sum of the kernel's elements, floats read as the decimal they print as.

        One divisor for every path: the exact engine, the trace and sympy divide by this
        number, and the float engine by its nearest float.
        """
        return _exact_sum(self.kernel)

    @property
    def divisor(self) -> Any:
        """What each sum of products is divided by: 1, the kernel area, or its sum."""
        if self.normalize == "area":
            return self.kernel_area
        if self.normalize == "sum":
            return self.kernel_sum
        return 1

    @property
    def applied_kernel(self) -> np.ndarray:
        """The kernel as it is laid on the image: rotated by 180° for true convolution."""
        return self.kernel[::-1, ::-1] if self.flip else self.kernel

    def describe(self) -> str:
        """One line that says what is computed, for headings and captions."""
        h, w = self.image.shape
        kh, kw = self.kernel.shape
        oh, ow = self.output_shape
        parts = [f"{h}×{w} image", f"{kh}×{kw} kernel"]
        if self.stride != (1, 1):
            parts.append(f"stride {_axis_text(self.stride)}")
        if any(self.padding):
            sides = self.padding
            if len(set(sides)) == 1:
                text = str(sides[0])
            else:
                text = "top {} bottom {} left {} right {}".format(*sides)
            label = f" ({self.padding_spec})" if self.padding_spec else ""
            mode = "" if self.padding_mode == "zeros" else f", {self.padding_mode}"
            parts.append(f"padding {text}{label}{mode}")
        if self.dilation != (1, 1):
            parts.append(f"dilation {_axis_text(self.dilation)}")
        parts.append("true convolution (kernel flipped)" if self.flip else "no kernel flip")
        if self.normalize:
            parts.append(f"divided by the kernel's {self.normalize} ({self.divisor})")
        return ", ".join(parts) + f" → {oh}×{ow} result"


def _axis_text(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}×{pair[1]}"


def _extremes(arr: np.ndarray) -> list[Any]:
    """The smallest and largest element (all elements for object arrays), as Python numbers."""
    if arr.dtype == object:
        return arr.ravel().tolist()
    return [arr.min().item(), arr.max().item()]


# Relative slack of the quick bound, for its own rounding and for the decimal a float is
# read as (which differs from the float by less than one part in 10¹⁶).
_QUICK_MARGIN = 1 + 1e-6


def magnitude_bound(arr: np.ndarray) -> float:
    """An upper bound of max |v| over the array, as a float (inf when not sure).

    For an object array of ints and Fractions the numerators bound it: |p/q| ≤ |p|.

    >>> magnitude_bound(np.array([[-3.5, 2.0]])), magnitude_bound(np.array([-7, 5]))
    (3.5, 7.0)
    """
    if arr.size == 0:
        return 0.0
    try:
        if arr.dtype == object:
            return float(max(abs(v.numerator) for v in arr.ravel().tolist()))
        if arr.size <= _FEW:
            return float(max(map(abs, arr.ravel().tolist())))
        return max(abs(float(arr.min())), abs(float(arr.max())))
    except (OverflowError, AttributeError, TypeError):
        return math.inf


def fits_float_range(
    image: np.ndarray,
    kernel: np.ndarray,
    image_bound: float | None = None,
    kernel_bound: float | None = None,
) -> bool:
    """True when no sum of products of ``image`` and ``kernel`` can leave float64's range.

    A quick, sufficient test in floats, for sums that are not divided by anything smaller
    than 1: max|x| · n · max|w| (n taps) stays below the range with room for the bound's
    own rounding.
    False means "not sure": the caller then bounds exactly. ``image_bound`` and
    ``kernel_bound``, when given, are max |x| and max |w| already known (or bounds of them).

    >>> fits_float_range(np.ones((3, 3)), np.full((3, 3), 1e300))
    True
    >>> fits_float_range(np.full((3, 3), 1e10), np.full((3, 3), 1e300))
    False
    """
    # Σ|w| ≤ (number of taps) · max|w|: looser than the sum, but no float sum can overflow.
    # Python floats overflow to inf, which fails the test, without a warning.
    kernel_bound = magnitude_bound(kernel) if kernel_bound is None else kernel_bound
    weights = kernel.size * kernel_bound * _QUICK_MARGIN
    largest = magnitude_bound(image) if image_bound is None else image_bound
    bound = largest * _QUICK_MARGIN * weights
    return weights < FLOAT_SAFE_MAX and bound < FLOAT_SAFE_MAX


def _exact_sum(arr: np.ndarray) -> Any:
    total = sum((_decimal(v) for v in arr.ravel().tolist()), 0)
    if isinstance(total, Fraction) and total.denominator == 1:
        return total.numerator
    return total
