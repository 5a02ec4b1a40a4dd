"""The transposed convolution on its own: the small input, the larger output, each input
pixel stamping a scaled copy of the kernel, the stamps adding up, the output-size formula,
the overlap count and the checkerboard it predicts, and three views shown equal.

Its facts come from the engine's three views (:mod:`explainer.core.transposed_views`); its
claims are checked by :mod:`explainer.lessons.transposed_verifier`, which shares no code
with them.
"""

from explainer.lessons.transposed.sections import BEAT_KEYS, LESSON, SECTION_NAMES
from explainer.lessons.transposed.writer import build_script
from explainer.lessons.transposed_verifier import verify_transposed_beats as verify_beats

__all__ = ["BEAT_KEYS", "LESSON", "SECTION_NAMES", "build_script", "verify_beats"]
