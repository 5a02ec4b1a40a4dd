"""The one-dimensional prelude: the kernel's middle row slid along one image row.

Chosen once per script (:func:`choose_prelude`): the origin and the traced 1D problem are
kept in the script, so the scenes and the page read them instead of searching again.
"""

from __future__ import annotations

import numpy as np

from explainer.core.engine import compute
from explainer.core.problem import Problem
from explainer.core.trace import Trace, build_trace

PRELUDE_MAX_SAMPLES = 11
"""The one-dimensional prelude's signal: at most this many samples of one image row."""


def choose_prelude(problem: Problem) -> tuple[tuple[int, int] | None, Trace | None]:
    """(origin, trace) of the prelude, or (None, None) when it does not fit."""
    origin = prelude_origin(problem)
    if origin is None:
        return None, None
    row, first = origin
    signal = problem.image[row, first : first + PRELUDE_MAX_SAMPLES]
    taps = problem.kernel[problem.kernel.shape[0] // 2]
    one_d = Problem(signal[np.newaxis, :], taps[np.newaxis, :], flip=problem.flip)
    return origin, build_trace(one_d, exact=True)


def prelude_origin(problem: Problem) -> tuple[int, int] | None:
    """(row, first column) of the stretch of at most :data:`PRELUDE_MAX_SAMPLES` image
    pixels the prelude slides over: the one whose sums take the most different values (a
    flat stretch would show nothing), the middlemost among equals.

    >>> from explainer.core.presets import lecture_problem
    >>> prelude_origin(lecture_problem())
    (3, 0)
    """
    image, kernel = problem.image, problem.kernel
    taps = kernel[kernel.shape[0] // 2]
    h, w = image.shape
    width = min(w, PRELUDE_MAX_SAMPLES)
    if taps.size < 2 or taps.size > width or not np.any(taps != 0):
        return None
    window = width - taps.size + 1  # sums per stretch
    best: tuple | None = None
    for r in range(h):
        sums = compute(Problem(image[r : r + 1], taps[np.newaxis, :], flip=problem.flip))[0]
        for start in range(w - width + 1):
            distinct = len(set(sums[start : start + window].tolist()))
            distance = (abs(r - (h - 1) / 2), abs(start - (w - width) / 2))
            score = (-distinct, distance)
            if best is None or score < best[0]:
                best = (score, r, start)
    assert best is not None
    return best[1], best[2]
