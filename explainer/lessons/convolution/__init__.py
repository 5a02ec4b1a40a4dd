"""The first lesson: two-dimensional convolution, from the lecture on the letter X.

Its facts (what is true of the problem), its words (one module per group of sections),
its section order and beat keys (:mod:`.sections`) and the prelude's choice live here;
adding another lesson adds a folder beside this one and edits nothing in it.
"""

from explainer.lessons.convolution.sections import BEAT_KEYS, LESSON, SECTION_NAMES
from explainer.lessons.convolution.writer import build_script
from explainer.lessons.verifier import verify_beats

__all__ = ["BEAT_KEYS", "LESSON", "SECTION_NAMES", "build_script", "verify_beats"]
