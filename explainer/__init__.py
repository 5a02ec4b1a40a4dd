"""explainer: 2D convolution, explained step by step and proved number by number.

The public face of the library (importable without manim):

>>> import explainer
>>> explainer.conv2d([[1, 2], [3, 4]], [[1, 0], [0, 1]])
array([[5]])
"""

from .backward import (
    conv2d_backward,
    conv_matrix,
    conv_transpose2d,
    transposed_by_matrix,
    transposed_by_scatter,
    transposed_by_zero_insertion,
    transposed_overlap,
)
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
    "conv2d_backward",
    "conv_transpose2d",
    "conv_matrix",
    "transposed_by_scatter",
    "transposed_by_zero_insertion",
    "transposed_by_matrix",
    "transposed_overlap",
    "verify_backward",
    "verify_transposed",
    "derive_weight_gradient",
    "derive_input_gradient",
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


# The symbolic functions need sympy, which takes several times as long to import as the
# rest together: it is imported when one of them is first used, not with the package.
_SYMBOLIC = ("derive_all", "derive_pixel", "general_formula", "verify")
_BACKWARD_PROOF = (
    "verify_backward",
    "verify_transposed",
    "verify_transposed",
    "derive_weight_gradient",
    "derive_input_gradient",
)


def __getattr__(name: str) -> object:
    if name in _SYMBOLIC or name in _BACKWARD_PROOF:
        if name in _SYMBOLIC:
            from . import symbolic as module
        else:
            from . import backward_proof as module

        value = getattr(module, name)
        globals()[name] = value  # found directly from now on
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SYMBOLIC) | set(_BACKWARD_PROOF))


def lecture_problem() -> Problem:
    """The lecture's example: the 9×9 X, the diagonal filter, divided by the patch area."""
    return Problem(lecture_image(), diagonal_filter(), normalize="area")
