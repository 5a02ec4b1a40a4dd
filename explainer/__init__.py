"""explainer: 2D convolution, explained step by step and proved number by number.

The public face of the library (importable without manim):

>>> import explainer
>>> explainer.conv2d([[1, 2], [3, 4]], [[1, 0], [0, 1]])
array([[5]])
"""

import importlib

from explainer.core import display
from explainer.core.conv import conv2d
from explainer.core.engine import compute
from explainer.core.layer import Layer, LayerOutputs
from explainer.core.layer_trace import (
    LayerStep,
    LayerTrace,
    PoolStep,
    PoolTrace,
    build_layer_trace,
    trace_pool,
)
from explainer.core.pooling import Pool, pool2d, relu
from explainer.core.presets import PRESETS, diagonal_filter, lecture_image, lecture_problem, preset
from explainer.core.problem import Problem
from explainer.core.trace import Step, Trace, build_trace
from explainer.errors import (
    ExplainerError,
    ExplainerWarning,
    InputFileError,
    ProblemError,
    TooLargeError,
)

__all__ = [
    "ExplainerError",
    "ExplainerWarning",
    "InputFileError",
    "ProblemError",
    "TooLargeError",
    "Problem",
    "conv2d",
    "compute",
    "Layer",
    "LayerOutputs",
    "LayerStep",
    "LayerTrace",
    "Pool",
    "PoolStep",
    "PoolTrace",
    "build_layer_trace",
    "pool2d",
    "relu",
    "trace_pool",
    "layer_formula",
    "derive_layer_element",
    "derive_pooled_element",
    "verify_layer",
    "conv2d_backward",
    "conv_transpose2d",
    "conv_matrix",
    "transposed_by_scatter",
    "transposed_by_zero_insertion",
    "transposed_by_matrix",
    "transposed_overlap",
    "transposed_layout",
    "TransposedLayout",
    "zero_inserted",
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
# rest together, and show() the page and the lessons: each is imported when first used.
_LAZY = {
    # The backward pass and the transposed convolution: loaded when first used, so that
    # `import explainer` costs little more than numpy.
    "conv2d_backward": "explainer.core.backward",
    "conv_matrix": "explainer.core.backward",
    "conv_transpose2d": "explainer.core.backward",
    "transposed_by_matrix": "explainer.core.backward",
    "transposed_by_scatter": "explainer.core.backward",
    "transposed_by_zero_insertion": "explainer.core.backward",
    "transposed_overlap": "explainer.core.backward",
    "transposed_layout": "explainer.core.backward",
    "TransposedLayout": "explainer.core.backward",
    "zero_inserted": "explainer.core.backward",
    "derive_all": "explainer.proof.symbolic",
    "derive_pixel": "explainer.proof.symbolic",
    "general_formula": "explainer.proof.symbolic",
    "verify": "explainer.proof.symbolic",
    "show": "explainer.outputs.notebook",
    "verify_backward": "explainer.proof.backward",
    "verify_transposed": "explainer.proof.backward",
    "derive_weight_gradient": "explainer.proof.backward",
    "derive_input_gradient": "explainer.proof.backward",
    "layer_formula": "explainer.proof.layer",
    "derive_layer_element": "explainer.proof.layer",
    "derive_pooled_element": "explainer.proof.layer",
    "verify_layer": "explainer.proof.layer",
}

# Jupyter shows traces, derivations and scripts with the notebook printers (by name: the
# core never imports the outputs, and nothing is loaded until something is displayed).
display.register("explainer.core.trace.Trace", "explainer.outputs.notebook:trace_bundle")
display.register(
    "explainer.proof.symbolic.PixelDerivation", "explainer.outputs.notebook:derivation_bundle"
)
display.register("explainer.lessons.script.Script", "explainer.outputs.notebook:script_bundle")


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # found directly from now on
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
