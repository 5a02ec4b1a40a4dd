"""Where the pattern appears, and how the filter slides over the image."""

from __future__ import annotations

import numpy as np
from manim import (
    Circle,
    Create,
    FadeIn,
    FadeOut,
    Rectangle,
    Square,
    TransformFromCopy,
    VGroup,
)

from explainer.trace import Step
from scenes.components import (
    ACCENT,
    BACKGROUND,
    HALO,
    HIGHLIGHT,
    MIN_TEXT_SIZE,
    ValueGrid,
    label,
    show_number,
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
        # One window at a time, then only a numbered badge at its centre: overlapping
        # outlines of neighbouring windows would tangle into one shape.
        for n, step in enumerate(best, start=1):
            m = s.window_marker(grid, step, HIGHLIGHT, width=8)
            tag = badge(str(n), HIGHLIGHT, grid.cell_size).move_to(m.get_center())
            s.play(Create(m), run_time=clock.share(0.55 / len(best)))
            s.play(FadeOut(m), FadeIn(tag), run_time=clock.share(0.3 / len(best)))
            shown.append(tag)
    if s.has("matches.partial"):
        partial = [lesson.step(i) for i in lesson.script.beat("matches.partial").steps]
        with s.beat("matches.partial") as clock:
            for step in partial:
                m = s.window_marker(grid, step, ACCENT, width=5)
                tag = badge("", ACCENT, grid.cell_size).move_to(m.get_center())
                s.play(Create(m), run_time=clock.share(0.4 / len(partial)))
                s.play(FadeOut(m), FadeIn(tag), run_time=clock.share(0.2 / len(partial)))
                shown.append(tag)
    s.play(*[FadeOut(m) for m in shown], run_time=0.4)


def badge(text: str, color, cell: float) -> VGroup:
    """A small disc marking a window's centre, with its number."""
    disc = Circle(radius=max(0.13, cell * 0.32), stroke_color=HALO, stroke_width=3)
    disc.set_fill(color, opacity=0.95)
    if not text:
        return VGroup(disc)
    number = label(text, size=max(MIN_TEXT_SIZE, cell * 0.4), color=HALO).move_to(disc)
    number.overlay = True
    return VGroup(disc, number)


def laid_filter(s: LectureScene, grid: ValueGrid, step: Step) -> VGroup:
    """The filter laid over a patch: its taps tinted, each weight on a dark badge in the
    corner of the pixel it multiplies (readable on any cell colour), and the window."""
    tints = VGroup()
    weights = VGroup()
    size = max(MIN_TEXT_SIZE, grid.cell_size * 0.3)
    write = grid.cell_size >= 0.4
    for (r, c), w in zip(s.lesson.grid_cells(step), step.weights, strict=True):
        cell = grid.cell(r, c)
        tint = Square(side_length=grid.cell_size, stroke_width=0)
        tint.set_fill(ACCENT, opacity=0.3).move_to(cell)
        tints.add(tint)
        if write:
            t = label(show_number(w, exact=True), size=size, color=ACCENT)
            t.overlay = True  # over the pixel's own number, on purpose
            badge = Rectangle(
                width=t.width + 0.06, height=t.height + 0.05, stroke_width=0
            ).set_fill(BACKGROUND, opacity=0.85)
            corner = cell.get_corner(np.array([1, 1, 0]))
            badge.move_to(corner + np.array([-badge.width / 2, -badge.height / 2, 0]))
            weights.add(VGroup(badge, t.move_to(badge)))
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
    s.clear_stage()  # the multiplication lays the picture out anew: a seam between parts
