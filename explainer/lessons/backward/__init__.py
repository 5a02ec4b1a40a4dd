"""How a filter learns: the error map, sympy's derivative of the loss with respect to one
weight, the whole weight gradient as a correlation, one gradient-descent step, and the
gradient with respect to the image as a transposed convolution.

Its facts come from the engine (:func:`explainer.conv2d_backward`) and the sympy proof
(:mod:`explainer.proof.backward`); its claims are checked by
:mod:`explainer.lessons.backward_verifier`, which shares no code with either.
"""

from explainer.lessons.backward.sections import BEAT_KEYS, LESSON, SECTION_NAMES
from explainer.lessons.backward.writer import build_script
from explainer.lessons.backward_verifier import verify_backward_beats as verify_beats

__all__ = ["BEAT_KEYS", "LESSON", "SECTION_NAMES", "build_script", "verify_beats"]
