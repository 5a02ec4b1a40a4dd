"""The trace: one immutable record of a convolution, read by everything downstream.

For every output pixel, in row-major order, a :class:`Step` holds where its window lies
on the image, the patch values under the kernel, the kernel values as applied, each
product, their sum and the normalized value. Printers and scenes read these numbers; they
never multiply or add anything themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from explainer.core import display, limits
from explainer.core.engine import exact_values, fit_integers, pad, windows
from explainer.core.problem import Problem
from explainer.errors import ProblemError

Number = int | Fraction | float

# A trace holds a Python object per product; past this it would take gigabytes.


@dataclass(frozen=True)
class Step:
    """One output pixel: its window on the image and the arithmetic that gives its value."""

    index: tuple[int, int]
    """(row, column) of the output pixel."""
    kernel_shape: tuple[int, int]
    positions: tuple[tuple[int, int], ...]
    """Image (row, column) under each kernel tap, row-major; outside the image in padding."""
    in_padding: tuple[bool, ...]
    """Whether each tap falls on the padded border rather than the image."""
    patch: tuple[Number, ...]
    """The image values under the taps (border values where in padding)."""
    weights: tuple[Number, ...]
    """The kernel values as applied (already rotated when the problem flips the kernel)."""
    products: tuple[Number, ...]
    total: Number
    """The sum of the products."""
    value: Number
    """The total divided by the problem's divisor: the output pixel."""

    def grid(self, values: tuple[Number, ...]) -> tuple[tuple[Number, ...], ...]:
        """Arrange one of the per-tap tuples (patch, weights, products) as kernel rows."""
        _, cols = self.kernel_shape
        return tuple(tuple(values[r * cols : (r + 1) * cols]) for r in range(self.kernel_shape[0]))

    @property
    def negative_products(self) -> int:
        """How many products are negative: where the patch disagrees with the kernel."""
        return sum(1 for p in self.products if p < 0)

    @property
    def window(self) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) image coordinates spanned by the window, inclusive."""
        rows = [p[0] for p in self.positions]
        cols = [p[1] for p in self.positions]
        return min(rows), min(cols), max(rows), max(cols)


@dataclass(frozen=True)
class Trace:
    """Every step of one convolution, plus the context needed to show it."""

    problem: Problem
    exact: bool
    padded_image: tuple[tuple[Number, ...], ...]
    """The image with its border, as the kernel sees it."""
    padding_offset: tuple[int, int]
    """(top, left) padding: padded (r, c) is image (r − top, c − left)."""
    applied_kernel: tuple[tuple[Number, ...], ...]
    divisor: Number
    steps: tuple[Step, ...]

    @property
    def output_shape(self) -> tuple[int, int]:
        return self.problem.output_shape

    def step(self, i: int, j: int) -> Step:
        """The step of output pixel (i, j)."""
        oh, ow = self.output_shape
        if not (0 <= i < oh and 0 <= j < ow):
            raise ProblemError(
                f"patch ({i}, {j}) is outside the {oh}×{ow} result; rows go "
                f"0..{oh - 1} and columns 0..{ow - 1}"
            )
        return self.steps[i * ow + j]

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    @property
    def output(self) -> tuple[tuple[Number, ...], ...]:
        """The result matrix, row by row."""
        _, ow = self.output_shape
        values = [s.value for s in self.steps]
        return tuple(tuple(values[r : r + ow]) for r in range(0, len(values), ow))

    def best_matches(self) -> tuple[Step, ...]:
        """The steps whose value is the largest of all: where the image best fits the kernel."""
        top = max(s.value for s in self.steps)
        return tuple(s for s in self.steps if s.value == top)

    def largest_magnitude(self) -> Number:
        """max |value| over the result (for a colour scale symmetric around zero)."""
        return max(abs(s.value) for s in self.steps)

    # The result as HTML, LaTeX, Markdown and text, for Jupyter (explainer.outputs.notebook).
    _repr_mimebundle_ = display.mimebundle

    def colour_scale_ticks(self) -> tuple[Number, Number, Number]:
        """(+m, 0, −m) with m = :meth:`largest_magnitude`: the ends and middle of the scale."""
        m = self.largest_magnitude()
        return m, 0, -m


def _plain(v: object) -> Number:
    """numpy scalars to Python numbers; Fractions that are whole to int."""
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else v
    if isinstance(v, (np.floating, float)):
        return float(v)
    return int(v)  # type: ignore[call-overload]


def build_trace(problem: Problem, *, exact: bool | None = None) -> Trace:
    """Record every step of the convolution ``problem`` describes.

    Exact problems give exact numbers throughout (``exact=True`` forces it for float
    input, reading each float as the decimal it prints as).

    >>> t = build_trace(Problem([[1, 2], [3, 4]], [[1, -1]], normalize="area"))
    >>> s = t.step(1, 0)
    >>> s.patch, s.weights, s.products, s.total, s.value
    ((3, 4), (1, -1), (3, -4), -1, Fraction(-1, 2))
    """
    exact = problem.exact if exact is None else exact
    oh, ow = problem.output_shape
    kh, kw = problem.kernel.shape
    limits.refuse("trace", oh * ow * kh * kw, oh=oh, ow=ow, kh=kh, kw=kw)
    if exact:
        image, kernel = fit_integers(
            exact_values(problem.image), exact_values(problem.applied_kernel)
        )
        image, kernel = image.astype(object), kernel.astype(object)
    else:
        image = problem.image.astype(np.float64)
        kernel = problem.applied_kernel.astype(np.float64)
    padded = pad(problem, image)
    patches = windows(problem, padded)
    products = patches * kernel
    divisor = problem.divisor
    if exact and not isinstance(divisor, Fraction):
        divisor = Fraction(divisor)

    top, left = problem.padding[0], problem.padding[2]
    h, w = problem.image.shape
    (sh, sw), (dh, dw) = problem.stride, problem.dilation
    weights = tuple(_plain(v) for v in kernel.ravel())
    steps = []
    for i in range(oh):
        for j in range(ow):
            positions = tuple(
                (sh * i + dh * m - top, sw * j + dw * n - left)
                for m in range(kh)
                for n in range(kw)
            )
            prods = tuple(_plain(v) for v in products[i, j].ravel())
            total = _plain(sum(prods, 0 if exact else 0.0))
            if problem.normalize is None:
                value = total
            elif exact:
                value = _plain(Fraction(total) / divisor)
            else:
                value = total / float(divisor)
            steps.append(
                Step(
                    index=(i, j),
                    kernel_shape=(kh, kw),
                    positions=positions,
                    in_padding=tuple(not (0 <= r < h and 0 <= c < w) for r, c in positions),
                    patch=tuple(_plain(v) for v in patches[i, j].ravel()),
                    weights=weights,
                    products=prods,
                    total=total,
                    value=value,
                )
            )
    return Trace(
        problem=problem,
        exact=exact,
        padded_image=tuple(tuple(_plain(v) for v in row) for row in padded),
        padding_offset=(top, left),
        applied_kernel=tuple(tuple(_plain(v) for v in row) for row in kernel),
        divisor=_plain(divisor),
        steps=tuple(steps),
    )
