"""Running lecture scenes in tests: dry runs that record what is on screen, and frames."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from manim import VGroup, tempconfig

from explainer.core.problem import Problem
from scenes.lecture import Lecture

FRAME_HALF_W, FRAME_HALF_H = 14.222 / 2, 8.0 / 2


def leaves(mobjects):
    for m in mobjects:
        family = m.get_family()
        yield from (f for f in family if len(f.points))


def run_lecture(
    problem: Problem | None,
    sections=(),
    tmp_path: Path | None = None,
    frames: bool = False,
    on_beat=None,
    voice: str = "none",
    on_section=None,
):
    """Run the lecture without writing a video (manim's dry run); return the scene.

    ``on_beat(scene)`` is called after every play and wait, with the scene as shown then.
    With ``frames``, the key-frame checkpoints are rendered at 480p.
    """

    class Probe(Lecture):
        def play(self, *args, **kwargs):
            super().play(*args, **kwargs)
            if on_beat is not None:
                on_beat(self)

        def wait(self, *args, **kwargs):
            super().wait(*args, **kwargs)
            if on_beat is not None:
                on_beat(self)

        def next_section(self, name="unnamed", *args, **kwargs):
            if on_section is not None:
                on_section(self, name)
            super().next_section(name, *args, **kwargs)

    Probe.problem = problem
    Probe.voice_name = voice
    Probe.sections = tuple(sections)
    settings = {
        "dry_run": True,
        "quality": "low_quality",
        "disable_caching": True,
        "verbosity": "ERROR",
        "progress_bar": "none",
    }
    if tmp_path is not None:
        settings["media_dir"] = str(tmp_path)
    with tempconfig(settings):
        scene = Probe(skip_animations=True)
        # Nothing is drawn between checkpoints (which draw their own frames): manim would
        # otherwise still paint a static frame for every animation it skips.
        scene.renderer.update_frame = lambda *args, **kwargs: None
        if frames:
            scene.frames = {}
        scene.render()
    return scene


def texts_on_screen(scene) -> list[str]:
    return [m.text for m in leaves(scene.mobjects) if hasattr(m, "text")]


def screen_number(v) -> str:
    """How a test expects a number on screen: exact fraction, true minus sign."""
    return str(v).replace("-", "−")


def frame_difference(frame: np.ndarray, control: np.ndarray) -> tuple[float, float]:
    """(mean absolute difference, share of pixels off by more than 40 of 255)."""
    diff = np.abs(frame.astype(np.int16) - control.astype(np.int16)).max(axis=-1)
    return float(diff.mean()), float((diff > 40).mean())


PIXELS_PER_UNIT = 480 / 8.0  # at 480p the frame is 8 units tall
TEX_DIGIT_HEIGHT = 0.0069
"""Height in scene units of a digit of MathTex per point of its font size (0.33 at 48)."""
NUMBER = re.compile(r"[−-]?\d+(?:[./]\d+)?")


def numbers_drawn(scene) -> dict[str, float]:
    """Every number written on screen now, as its text (true minus sign) with the height
    in pixels at 480p of the tallest mobject showing it; the caption, the heading and the
    row and column numbers around grids are not counted."""
    from manim import MathTex, SingleStringMathTex

    skip: set[int] = set()
    for extra in (scene._caption, scene._heading):
        if extra is not None:
            skip.update(id(m) for m in extra.get_family())
    for m in scene.mobjects:
        for part in m.get_family():
            indices = getattr(part, "indices", None)
            if isinstance(indices, VGroup):
                skip.update(id(x) for x in indices.get_family())
    found: dict[str, float] = {}

    def note(text: str, height: float) -> None:
        for token in NUMBER.findall(text.replace("-", "−")):
            found[token] = max(found.get(token, 0.0), height)

    for m in scene.mobjects:
        for part in m.get_family():
            if id(part) in skip:
                continue
            if isinstance(part, MathTex | SingleStringMathTex):
                tex = getattr(part, "tex_string", "")
                tex = re.sub(r"\\frac\{(-?\d+)\}\{(\d+)\}", r"\1/\2", tex)
                tex = re.sub(r"-\s*\\frac\{(\d+)\}\{(\d+)\}", r"-\1/\2", tex)
                note(tex.replace(" ", ""), part.font_size * TEX_DIGIT_HEIGHT * PIXELS_PER_UNIT)
            elif isinstance(getattr(part, "text", None), str) and len(part.points):
                note(part.text, part.height * PIXELS_PER_UNIT)
    return found
