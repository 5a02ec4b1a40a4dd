"""The one-dimensional prelude: a 1D filter with the 2D filter's character, slid along one
image row by the problem's column stride.

The 1D filter represents the 2D one (issue 17): its taps keep the kernel's kind (a change
detector's taps sum to zero, a blur's smooth, a pattern stays a pattern). They are, first
that keeps the kind: each kernel column added up (what the 2D filter does to an image
that is the same down every column), the kernel's middle row, then the other rows from
the middle out. A kernel of one row is its own 1D filter. When no choice keeps the kind,
or the filter would slide to fewer than two positions, there is no prelude: the lesson
says less rather than something untrue.

Chosen once per script (:func:`choose_prelude`): the origin, the source of the taps and
the traced 1D problem are kept, so the scenes and the page read them instead of searching.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from explainer.core.engine import compute
from explainer.core.problem import Problem
from explainer.core.trace import Number, Trace, build_trace
from explainer.lessons.convolution.facts import classify_kernel

PRELUDE_MAX_SAMPLES = 11
"""The one-dimensional prelude's signal: at most this many samples of one image row."""


@dataclass(frozen=True)
class PreludeChoice:
    """Where the prelude's signal and taps come from, and its traced 1D problem."""

    origin: tuple[int, int]
    """(row, first column) of the image stretch the signal is."""
    taps: tuple[Number, ...]
    """The 1D filter as given (before any flip)."""
    source: str
    """"column-sums" (each kernel column added up) or "row" (one kernel row)."""
    source_index: int | None
    """The kernel row, for source "row"."""
    stride: int
    """The problem's column stride: the prelude moves as the 2D filter moves along a row."""
    trace: Trace


def _exact(v) -> Number:
    q = Fraction(repr(v)) if isinstance(v, float) else Fraction(v)
    return q.numerator if q.denominator == 1 else q


def candidate_taps(kernel: list[list[Number]]) -> list[tuple[str, int | None, tuple[Number, ...]]]:
    """The 1D filters tried, in order: column sums, middle row, rows from the middle out.

    >>> [c[0] for c in candidate_taps([[1, 2], [3, 4]])]
    ['column-sums', 'row', 'row']
    """
    kh = len(kernel)
    if kh == 1:
        return [("row", 0, tuple(kernel[0]))]
    sums = tuple(
        _exact(sum((Fraction(row[n]) for row in kernel), Fraction(0)))
        for n in range(len(kernel[0]))
    )
    order = sorted(range(kh), key=lambda m: (abs(m - kh // 2), m))
    return [("column-sums", None, sums)] + [("row", m, tuple(kernel[m])) for m in order]


def choose_prelude(problem: Problem) -> PreludeChoice | None:
    """The prelude for ``problem``, or None when no 1D filter represents its kernel."""
    kernel = [[_exact(v) for v in row] for row in problem.kernel.tolist()]
    kind = classify_kernel(kernel)
    h, w = problem.image.shape
    width = min(w, PRELUDE_MAX_SAMPLES)
    stride = problem.stride[1]
    for source, index, taps in candidate_taps(kernel):
        if len(taps) < 2 or len(taps) > width or not any(taps):
            continue
        if (width - len(taps)) // stride + 1 < 2:  # one sum is no sliding
            continue
        if classify_kernel([list(taps)]) != kind:
            continue
        row, first = prelude_origin(problem, taps, stride)
        signal = problem.image[row, first : first + width]
        one_d = Problem(
            signal[np.newaxis, :],
            np.array([list(taps)], dtype=object if _needs_object(taps) else None),
            stride=(1, stride),
            flip=problem.flip,
        )
        return PreludeChoice(
            (row, first), taps, source, index, stride, build_trace(one_d, exact=True)
        )
    return None


def _needs_object(taps: tuple[Number, ...]) -> bool:
    return any(isinstance(t, Fraction) for t in taps)


def prelude_origin(problem: Problem, taps: tuple[Number, ...], stride: int) -> tuple[int, int]:
    """(row, first column) of the stretch of at most :data:`PRELUDE_MAX_SAMPLES` image
    pixels the prelude slides over: the one whose sums take the most different values (a
    flat stretch would show nothing), the middlemost among equals.

    >>> from explainer.core.presets import lecture_problem
    >>> prelude_origin(lecture_problem(), (-1, 1, -1), 1)
    (3, 0)
    """
    image = problem.image
    h, w = image.shape
    width = min(w, PRELUDE_MAX_SAMPLES)
    weights = np.array([list(taps)], dtype=object if _needs_object(taps) else None)
    best: tuple | None = None
    for r in range(h):
        sums = compute(Problem(image[r : r + 1], weights, flip=problem.flip))[0].tolist()
        for start in range(w - width + 1):
            seen = sums[start : start + width - len(taps) + 1 : stride]
            distinct = len(set(seen))
            distance = (abs(r - (h - 1) / 2), abs(start - (w - width) / 2))
            score = (-distinct, distance)
            if best is None or score < best[0]:
                best = (score, r, start)
    assert best is not None
    return best[1], best[2]
