"""The problem a scene explains when manim runs it directly (``manim -ql scenes/lecture.py``).

No manim here: the stage reads it when a scene is set up, and the lecture module re-exports it.
"""

from __future__ import annotations

import os
import sys

from explainer.core.limits import check_renderable
from explainer.core.presets import lecture_problem
from explainer.core.problem import Problem
from explainer.errors import ExplainerError
from explainer.files.safe_io import printable
from explainer.request import problem_from_argument_string
from scenes.voice import load_voice


def problem_from_environment() -> Problem:
    """The lecture's example, or the problem EXPLAINER_ARGS describes (parsed, never run)."""
    text = os.environ.get("EXPLAINER_ARGS", "").strip()
    if not text:
        return lecture_problem()
    try:
        problem = problem_from_argument_string(text)
        check_renderable(problem.geometry)  # the same limit as `explainer render`
        return problem
    except (ExplainerError, OSError) as err:
        # Under the manim command a traceback would bury the one line that matters.
        print(f"explainer: error: EXPLAINER_ARGS: {printable(str(err))}", file=sys.stderr)
        raise SystemExit(2) from None


def voice_from_environment(name: str):
    """The voice EXPLAINER_VOICE names, loaded now; a bad name or a broken voice is one
    line and exit status 2 under the manim command, as under ``explainer render``."""
    try:
        voice = load_voice(name)
        if voice is not None:
            voice.check()
        return voice
    except ExplainerError as err:
        print(f"explainer: error: EXPLAINER_VOICE: {printable(str(err))}", file=sys.stderr)
        raise SystemExit(2) from None
