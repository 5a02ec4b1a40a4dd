"""Where the pattern appears, and how the filter slides over the image."""

from __future__ import annotations

import numpy as np
from manim import Create, FadeOut, Square, TransformFromCopy, VGroup

from explainer.trace import Step
from scenes.components import (
    ACCENT,
    HIGHLIGHT,
    MIN_TEXT_SIZE,
    ValueGrid,
    label,
    show_number,
    thinner,
)
from scenes.sections.opening import filter_
from scenes.stage import LectureScene


def ensure_image_and_filter(s: LectureScene) -> ValueGrid:
    """Sections rendered alone start by showing what the filter section leaves."""
    if "image" not in s.stage or "kernel" not in s.stage:
        filter_(s)
    return s.stage["image"]


def matches(s: LectureScene) -> None:
    grid = ensure_image_and_filter(s)
    s.heading("matches")
    lesson = s.lesson
    best = [lesson.step(i) for i in lesson.script.beat("matches.best").steps]
    shown = []
    with s.beat("matches.best") as clock:
        for step in best:  # one at a time, thick, then thin: neighbouring windows overlap
            m = s.window_marker(grid, step, HIGHLIGHT, width=8)
            s.play(Create(m), run_time=clock.share(0.5 / len(best)))
            s.play(thinner(m, 3), run_time=clock.share(0.3 / len(best)))
            shown.append(m)
    if s.has("matches.partial"):
        partial = [lesson.step(i) for i in lesson.script.beat("matches.partial").steps]
        with s.beat("matches.partial") as clock:
            for step in partial:
                m = s.window_marker(grid, step, ACCENT, width=3)
                s.play(Create(m), run_time=clock.share(0.6 / len(partial)))
                shown.append(m)
    s.play(*[FadeOut(m) for m in shown], run_time=0.4)


def laid_filter(s: LectureScene, grid: ValueGrid, step: Step) -> VGroup:
    """The filter laid over a patch: its taps tinted, each weight written in a corner of the
    pixel it multiplies, and the window's frame."""
    tints = VGroup()
    weights = VGroup()
    size = max(MIN_TEXT_SIZE, grid.cell_size * 0.26)
    write = grid.cell_size >= 0.45
    for (r, c), w in zip(s.lesson.grid_cells(step), step.weights, strict=True):
        tint = Square(side_length=grid.cell_size, stroke_width=0)
        tint.set_fill(ACCENT, opacity=0.3).move_to(grid.cell(r, c))
        tints.add(tint)
        if write:
            t = label(show_number(w), size=size, color=ACCENT)
            corner = grid.cell(r, c).get_corner(np.array([1, 1, 0]))
            t.move_to(corner + np.array([-t.width / 2 - 0.03, -t.height / 2 - 0.03, 0]))
            weights.add(t)
    return VGroup(tints, weights, s.window_marker(grid, step))


def operation(s: LectureScene) -> None:
    grid = ensure_image_and_filter(s)
    s.heading("operation")
    lesson = s.lesson
    script = lesson.script
    lay = script.beat("operation.lay")
    marker = laid_filter(s, grid, lesson.step(lay.steps[0]))
    with s.beat("operation.lay") as clock:
        s.play(TransformFromCopy(s.stage["kernel"], marker), run_time=clock.share(0.5))
    path = [lesson.step(i) for i in script.beat("operation.slide").steps[1:]]
    with s.beat("operation.slide") as clock:
        for step in path:  # whole jumps by the stride, to the end of the row, then down
            s.play(
                marker.animate.become(laid_filter(s, grid, step)),
                run_time=clock.share(0.9 / max(len(path), 1)),
            )
    s.play(FadeOut(marker), run_time=0.3)
