"""explainer: 2D convolution, explained step by step and proved number by number.

The public face of the library (importable without manim):

>>> import explainer
>>> explainer.conv2d([[1, 2], [3, 4]], [[1, 0], [0, 1]])
array([[5]])
"""

from .errors import (
    ExplainerError,
    ExplainerWarning,
    InputFileError,
    ProblemError,
    TooLargeError,
)
from .notebook import show
from .numeric import compute, conv2d
from .presets import PRESETS, diagonal_filter, lecture_image, preset
from .problem import Problem
from .symbolic import derive_all, derive_pixel, general_formula, verify
from .trace import Step, Trace, build_trace

__all__ = [
    "ExplainerError",
    "ExplainerWarning",
    "InputFileError",
    "ProblemError",
    "TooLargeError",
    "Problem",
    "conv2d",
    "compute",
    "build_trace",
    "Trace",
    "Step",
    "general_formula",
    "derive_pixel",
    "derive_all",
    "verify",
    "PRESETS",
    "preset",
    "lecture_image",
    "diagonal_filter",
    "lecture_problem",
    "show",
]


def lecture_problem() -> Problem:
    """The lecture's example: the 9×9 X, the diagonal filter, divided by the patch area."""
    return Problem(lecture_image(), diagonal_filter(), normalize="area")
