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
from .layer import (
    Layer,
    LayerOutputs,
    LayerStep,
    LayerTrace,
    Pool,
    PoolStep,
    PoolTrace,
    build_layer_trace,
    pool2d,
    relu,
    trace_pool,
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
    "Layer",
    "LayerOutputs",
    "LayerStep",
    "LayerTrace",
    "Pool",
    "PoolStep",
    "PoolTrace",
    "build_layer_trace",
    "trace_pool",
    "pool2d",
    "relu",
    "layer_formula",
    "derive_layer_element",
    "derive_pooled_element",
    "verify_layer",
]


# The symbolic functions need sympy, which takes several times as long to import as the
# rest together: it is imported when one of them is first used, not with the package.
_SYMBOLIC = {
    "derive_all": "symbolic",
    "derive_pixel": "symbolic",
    "general_formula": "symbolic",
    "verify": "symbolic",
    "layer_formula": "layer_proof",
    "derive_layer_element": "layer_proof",
    "derive_pooled_element": "layer_proof",
    "verify_layer": "layer_proof",
}


def __getattr__(name: str) -> object:
    if name in _SYMBOLIC:
        import importlib

        value = getattr(importlib.import_module(f".{_SYMBOLIC[name]}", __name__), name)
        globals()[name] = value  # found directly from now on
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SYMBOLIC))


def lecture_problem() -> Problem:
    """The lecture's example: the 9×9 X, the diagonal filter, divided by the patch area."""
    return Problem(lecture_image(), diagonal_filter(), normalize="area")
