"""The second lesson: from a filter to a layer (channels, a bank of filters, bias, ReLU,
pooling, then a second layer whose filters have one channel per feature map).

Its facts come from the layer traces, its words from the facts, its claims are checked by
:mod:`explainer.lessons.layer_verifier`; it edits nothing of the convolution lesson.
"""

from explainer.lessons.layer.sections import BEAT_KEYS, LESSON, SECTION_NAMES
from explainer.lessons.layer.writer import build_script
from explainer.lessons.layer_verifier import verify_layer_beats as verify_beats

__all__ = ["BEAT_KEYS", "LESSON", "SECTION_NAMES", "build_script", "verify_beats"]
