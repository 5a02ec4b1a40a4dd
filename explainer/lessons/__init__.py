"""Lessons: one folder each, holding its facts, its words and its section order.

A lesson package exposes ``LESSON`` (its name), ``SECTION_NAMES``, ``BEAT_KEYS``,
``build_script(problem)`` and ``verify_beats(problem, pairs)`` (its claim verifier, which
shares no code with its writer). :func:`lesson` finds one by name among the folders here, so
adding a lesson adds a folder and touches no other lesson.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from explainer.errors import ProblemError
from explainer.lessons.script import verify_script
from explainer.lessons.verifier import ClaimError

__all__ = ["ClaimError", "DEFAULT_LESSON", "lesson", "lesson_names", "verify_script"]

DEFAULT_LESSON = "convolution"


def lesson_names() -> tuple[str, ...]:
    """Every lesson's name, sorted."""
    return tuple(sorted(info.name for info in pkgutil.iter_modules(__path__) if info.ispkg))


def lesson(name: str = DEFAULT_LESSON) -> ModuleType:
    """The lesson package called ``name`` (e.g. ``"convolution"``)."""
    if name not in lesson_names():
        raise ProblemError(f"unknown lesson {name!r}; the lessons are {', '.join(lesson_names())}")
    return importlib.import_module(f"{__name__}.{name}")
