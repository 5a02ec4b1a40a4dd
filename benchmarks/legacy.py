"""The engine as it was before issue 12, kept verbatim so benchmarks compare in the same run.

``conv2d(image, kernel, **options)`` builds the problem as before (a copy of the input)
and runs the old float path (one multiply and one add over the whole output per tap) or
the old exact path (per-tap sums of Python objects, then a Fraction per pixel).
Benchmarks only: the library never imports this.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from explainer.core.engine import exact_values
from explainer.core.problem import Problem

_NP_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def conv2d(image: Any, kernel: Any, *, exact: bool | None = None, **options: Any) -> np.ndarray:
    problem = Problem(image, kernel, **options)
    if exact is None:
        exact = problem.exact
    return _exact_path(problem) if exact else _float_path(problem)


def pad(problem: Problem, values: np.ndarray | None = None) -> np.ndarray:
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
    # As it was, including its bug: np.abs(-2**63) wraps around to -2**63.
    if image.dtype.kind in "iu" and kernel.dtype.kind in "iu":
        bound = int(np.abs(image).max()) * int(np.abs(kernel).max()) * kernel.size
        if bound < 2**62:
            return image.astype(np.int64), kernel.astype(np.int64)
    return image.astype(object), kernel.astype(object)
