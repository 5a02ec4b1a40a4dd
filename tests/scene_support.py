"""Running lecture scenes in tests: dry runs that record what is on screen, and frames."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from manim import Square, VGroup, tempconfig

from explainer.core.problem import Problem
from scenes.components import ValueGrid
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


def _bounds(mob) -> tuple[np.ndarray, np.ndarray] | None:
    """Bounding box of everything drawn in ``mob``'s family (invisible parts excluded)."""
    pts = [
        f.points
        for f in mob.get_family()
        if len(f.points)
        and (f.get_fill_opacity() > 0 or f.get_stroke_opacity() > 0 and f.stroke_width > 0)
    ]
    if not pts:
        return None
    allp = np.concatenate(pts)
    return allp.min(axis=0), allp.max(axis=0)


def inside_frame_and_clear_of_captions(scene, failures: list[str]) -> None:
    """After an animation: no grid cell torn out of its grid, everything inside the
    frame, no two grids on each other, nothing under the caption or the heading."""
    # A grid's cells only exist inside it: a loose cell means manim pulled it out of its
    # grid (it does when a submobject is animated on its own), leaving a broken copy.
    loose = [m for m in scene.mobjects if type(m) is Square]
    if loose:
        failures.append(f"{len(loose)} grid cells torn out of their grid at t={scene.time:.1f}")
    boxes = {id(m): _bounds(m) for m in scene.mobjects}
    for m in scene.mobjects:
        box = boxes[id(m)]
        if box is None:
            continue
        (x0, y0, _), (x1, y1, _) = box
        if x0 < -FRAME_HALF_W or x1 > FRAME_HALF_W or y0 < -FRAME_HALF_H or y1 > FRAME_HALF_H:
            failures.append(
                f"{type(m).__name__} {getattr(m, 'text', '')!r} leaves the frame "
                f"at t={scene.time:.1f}: x {x0:.2f}..{x1:.2f}, y {y0:.2f}..{y1:.2f}"
            )
    grids = [m for m in scene.mobjects if isinstance(m, ValueGrid) and boxes[id(m)] is not None]
    for k, a in enumerate(grids):
        for b in grids[k + 1 :]:
            if _overlap(boxes[id(a)], boxes[id(b)]):
                failures.append(f"two grids overlap at t={scene.time:.1f}")
    fixed = [m for m in (scene._caption, scene._heading) if m is not None and m in scene.mobjects]
    for f in fixed:
        for other in scene.mobjects:
            if other in fixed or boxes[id(other)] is None or boxes[id(f)] is None:
                continue
            if _overlap(boxes[id(f)], boxes[id(other)]):
                failures.append(
                    f"{getattr(f, 'text', '')!r} overlaps a "
                    f"{type(other).__name__} at t={scene.time:.1f}"
                )


def _overlap(a, b) -> bool:
    (a0, a1), (b0, b1) = a, b
    return bool(a0[0] < b1[0] and b0[0] < a1[0] and a0[1] < b1[1] and b0[1] < a1[1])
