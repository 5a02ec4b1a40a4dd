"""The lecture: two-dimensional convolution, section by section, staged from the script.

Render it with ``explainer render`` (MP4 with voice + .srt into output/) or, as usual with
manim, ``manim -ql scenes/lecture.py Lecture``. One section alone: ``explainer render
--section sweep`` or the scene classes named in :data:`SECTION_SCENES` (``manim -ql
scenes/lecture.py Sweep``).

The script (:mod:`explainer.script`) says which sections a problem needs and every
sentence in them; :data:`STAGING` says how each section is drawn. The problem defaults to
the lecture's example; set ``EXPLAINER_ARGS`` (e.g. ``--kernel sobel-x --padding same``)
to explain another when using the manim command, and ``EXPLAINER_VOICE=none`` for silence.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from manim import FadeOut

from explainer.errors import ExplainerError
from explainer.options import problem_from_argument_string
from explainer.problem import Problem
from explainer.safe_io import printable
from scenes.sections import closing, opening, patch, results, sliding
from scenes.stage import LectureScene, Lesson

Staging = Callable[[LectureScene], None]

# How each of the script's sections is drawn, in lecture order.
STAGING: dict[str, Staging] = {
    "title": opening.title,
    "one-dimension": opening.one_dimension,
    "image": opening.image,
    "filter": opening.filter_,
    "matches": sliding.matches,
    "operation": sliding.operation,
    "multiply": patch.multiply,
    "add": patch.add,
    "contrast": patch.contrast,
    "output-size": results.output_size,
    "sweep": results.sweep,
    "result": results.result,
    "notation": closing.notation,
    "conclusion": closing.conclusion,
}
SECTION_NAMES = tuple(STAGING)


def problem_from_environment() -> Problem:
    """The lecture's example, or the problem EXPLAINER_ARGS describes (parsed, never run)."""
    text = os.environ.get("EXPLAINER_ARGS", "").strip()
    if not text:
        from explainer import lecture_problem

        return lecture_problem()
    try:
        problem = problem_from_argument_string(text)
        from explainer.limits import check_renderable

        check_renderable(problem)  # the same limit as `explainer render`
        return problem
    except (ExplainerError, OSError) as err:
        # Under the manim command a traceback would bury the one line that matters.
        print(f"explainer: error: EXPLAINER_ARGS: {printable(str(err))}", file=sys.stderr)
        raise SystemExit(2) from None


def voice_from_environment(name: str):
    """The voice EXPLAINER_VOICE names, loaded now; a bad name or a broken voice is one
    line and exit status 2 under the manim command, as under ``explainer render``."""
    from explainer.voice import load_voice

    try:
        voice = load_voice(name)
        if voice is not None:
            voice.check()
        return voice
    except ExplainerError as err:
        print(f"explainer: error: EXPLAINER_VOICE: {printable(str(err))}", file=sys.stderr)
        raise SystemExit(2) from None


def storyboard(lesson: Lesson) -> list[str]:
    """The sections this problem's lecture has, in order (the script decides)."""
    return list(lesson.script.section_names)


# Sections that continue the picture the previous section left (the image, the filter over
# it, the products, the result); every other section starts from an empty stage, so the
# lecture can be cut there into parts that are rendered apart and joined.
CONTINUES = frozenset({"filter", "matches", "operation", "add", "result"})


class Lecture(LectureScene):
    """The whole lecture, or a run of its sections (a part of it)."""

    closing = True
    """End with a short pause (the lecture's last part); other parts end on an empty stage."""

    def construct(self) -> None:
        board = storyboard(self.lesson)
        chosen = self.sections or tuple(board)
        previous = None
        for index, name in enumerate(board):
            if name not in chosen:
                continue
            if previous is not None and index != previous + 1:
                # Sections hand their last picture to the next one; when a selection skips
                # sections in between, start the next one from a clean stage instead.
                self.clear_stage()
            self.next_section(name)
            if self.progress is not None:
                self.progress.section(name)
            STAGING[name](self)
            previous = index
        if self._heading is not None and self._heading in self.mobjects:
            self.play(FadeOut(self._heading), run_time=0.3)  # the next part starts empty
            self._heading = None
        if self.closing:
            self.wait(0.5)
        if self.voice is not None:
            # The sound track ends with the last sentence; pad it to the video's length.
            from pydub import AudioSegment

            self.renderer.file_writer.add_audio_segment(AudioSegment.silent(0), self.time)


def _section_scene(name: str) -> type[Lecture]:
    cls_name = "".join(part.capitalize() for part in name.split("-"))
    return type(
        cls_name,
        (Lecture,),
        {"sections": (name,), "__doc__": f"The lecture's {name} section alone."},
    )


SECTION_SCENES = {name: _section_scene(name) for name in SECTION_NAMES}
globals().update({cls.__name__: cls for cls in SECTION_SCENES.values()})

__all__ = [
    "CONTINUES",
    "Lecture",
    "LectureScene",
    "Lesson",
    "SECTION_NAMES",
    "SECTION_SCENES",
    "STAGING",
    "storyboard",
    *[cls.__name__ for cls in SECTION_SCENES.values()],
]
