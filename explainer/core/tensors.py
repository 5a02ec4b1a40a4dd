"""Reading tensors for a layer: channels × rows × columns of numbers, exact or float."""

from __future__ import annotations

import re
import warnings
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from explainer.core.problem import (
    _finite_sum,
    as_number_array,
    is_exact,
)
from explainer.errors import ExplainerWarning, ProblemError

PoolMode = Literal["max", "avg"]
POOL_MODES: dict[str, str] = {
    "max": "the largest value of each window (the first in row-major order on ties)",
    "avg": "the mean of each window",
}
ACTIVATIONS: dict[str | None, str] = {
    None: "none: the pre-activation is the output",
    "relu": "ReLU: max(v, 0)",
}

# The fewest columns of a layer's matrix product cut in pieces for one BLAS thread.
PRODUCT_COLUMNS = 32


# ----- reading tensors -------------------------------------------------------------------


def as_tensor(values: Any, name: str, ndim: int | None, copy: bool = True) -> np.ndarray:
    """A read-only array of numbers with ``ndim`` dimensions (any when None), as
    :func:`explainer.problem.as_number_array` reads a matrix: int64 (or Python ints),
    Fractions in an object array, float32 or float64.

    >>> as_tensor([[[1, 2]], [[3, 4]]], "the input", 3).shape
    (2, 1, 2)
    >>> as_tensor([1.0, float("nan")], "the bias", 1)
    Traceback (most recent call last):
    ...
    explainer.errors.ProblemError: the bias holds nan at [1]; only finite numbers are allowed
    """
    if isinstance(values, np.ndarray):
        arr = values
    else:
        try:
            arr = np.asarray(values)
        except ValueError:
            raise ProblemError(
                f"{name} has parts of different lengths; every row, channel and filter "
                "needs as many numbers as the first"
            ) from None
        except (TypeError, OverflowError, RecursionError):
            raise ProblemError(f"{name} cannot be read as an array of numbers") from None
    if ndim is not None and arr.ndim != ndim:
        raise ProblemError(f"{name} must have {ndim} dimension{'s' * (ndim != 1)}; got {arr.ndim}")
    if arr.size == 0:
        raise ProblemError(f"{name} is empty; it needs at least one number")
    # A finite sum proves every value finite in one pass (see as_number_array).
    finite = arr.dtype.kind == "f" and (_finite_sum(arr) or bool(np.isfinite(arr).all()))
    if arr.dtype.kind == "f" and not finite:
        where = tuple(int(v) for v in np.argwhere(~np.isfinite(arr))[0])
        raise ProblemError(
            f"{name} holds {arr[where]} at {list(where)}; only finite numbers are allowed"
        )
    shape = arr.shape
    flat = arr.reshape(-1, shape[-1] if arr.ndim else 1)
    try:
        out = as_number_array(flat, name, copy, finite_known=finite)
    except ProblemError as error:  # say where in the tensor, not in its rows
        raise ProblemError(_tensor_place(str(error), shape)) from None
    return out.reshape(shape)


def _tensor_place(message: str, shape: tuple[int, ...]) -> str:
    found = re.search(r"at row (\d+), column (\d+)", message)
    if not found or len(shape) == 2:
        return message
    flat_index = int(found[1]) * (shape[-1] if shape else 1) + int(found[2])
    where = [int(v) for v in np.unravel_index(flat_index, shape)] if shape else []
    return message.replace(found[0], f"at {where}")


def exact_tensor(arr: np.ndarray, name: str = "the input", warn: bool = True) -> np.ndarray:
    """The tensor as exact numbers: ints and Fractions stay, floats become the decimal they
    print as, with one warning (unless ``warn`` is False) when that is not the float's
    exact value.

    >>> with warnings.catch_warnings(record=True):
    ...     exact_tensor(np.array([0.5, 0.1]))
    array([Fraction(1, 2), Fraction(1, 10)], dtype=object)
    """
    if is_exact(arr):
        return arr
    values = arr.astype(np.float64).ravel().tolist()
    shown = [Fraction(repr(v)) for v in values]
    lossy = [k for k, (q, v) in enumerate(zip(shown, values, strict=True)) if q != v]
    if lossy and warn:
        where = [int(v) for v in np.unravel_index(lossy[0], arr.shape)]
        many = len(lossy) > 1
        warnings.warn(
            f"{len(lossy)} float value{'s' if many else ''} of {name} (first "
            f"{values[lossy[0]]!r} at {where}) {'are' if many else 'is'} not exactly the "
            "decimal shown; the exact path uses the decimal",
            ExplainerWarning,
            stacklevel=3,
        )
    out = np.empty(len(shown), dtype=object)
    out[:] = [q.numerator if q.denominator == 1 else q for q in shown]
    return out.reshape(arr.shape)


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ProblemError(f"{name} must be True or False; got {value!r}")
    return bool(value)
