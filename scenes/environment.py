"""The problem a scene explains when manim runs it directly (``manim -ql scenes/lecture.py``).

No manim here: the stage reads it when a scene is set up, and the lecture module re-exports it.
"""

from __future__ import annotations

import os
import sys

from explainer.core.presets import lecture_problem
from explainer.core.problem import Problem
from explainer.errors import ExplainerError
from explainer.files.safe_io import printable
from explainer.request import problem_from_argument_string


def problem_from_environment() -> Problem:
    """The lecture's example, or the problem EXPLAINER_ARGS describes (parsed, never run)."""
    text = os.environ.get("EXPLAINER_ARGS", "").strip()
    if not text:
        return lecture_problem()
    try:
        return problem_from_argument_string(text)
    except (ExplainerError, OSError) as err:
        # Under the manim command a traceback would bury the one line that matters.
        print(f"explainer: error: EXPLAINER_ARGS: {printable(str(err))}", file=sys.stderr)
        raise SystemExit(2) from None
