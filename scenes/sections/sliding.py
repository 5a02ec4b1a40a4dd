"""Where the pattern appears, and how the filter slides over the image."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Circle,
    Create,
    FadeIn,
    FadeOut,
    Rectangle,
    Square,
    TransformFromCopy,
    VGroup,
)

from explainer.core.trace import Step
from explainer.present import numbers
from scenes.components import (
    ACCENT,
    BACKGROUND,
    HALO,
    HIGHLIGHT,
    MIN_TEXT_SIZE,
    ValueGrid,
    fit_label_size,
    label,
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
    shown = VGroup()
    tags: list[VGroup] = []
    with s.beat("matches.best") as clock:
        # One window at a time, drawn whole, then kept as a thin outline with its number
        # just outside one of its corners: the pixels inside keep their values in view.
        for n, step in enumerate(best, start=1):
            m = s.window_marker(grid, step, HIGHLIGHT, width=8)
            tag = window_tag(str(n), grid, m, tags)
            s.play(Create(m), run_time=clock.share(0.55 / len(best)))
            s.play(thinner(m, 2.5), FadeIn(tag), run_time=clock.share(0.3 / len(best)))
            shown.add(m, tag)
            tags.append(tag)
    if s.has("matches.partial"):
        partial = [lesson.step(i) for i in lesson.script.beat("matches.partial").steps]
        with s.beat("matches.partial") as clock:
            for step in partial:
                m = s.window_marker(grid, step, ACCENT, width=5)
                s.play(Create(m), run_time=clock.share(0.4 / len(partial)))
                s.play(thinner(m, 2), run_time=clock.share(0.2 / len(partial)))
                shown.add(m)
    s.play(FadeOut(shown), run_time=0.4)


CORNERS = (UP + LEFT, UP + RIGHT, DOWN + LEFT, DOWN + RIGHT)


def window_tag(text: str, grid: ValueGrid, window, taken: list[VGroup]) -> VGroup:
    """A window's number on a small plate on one of its corners, pushed a little outward
    (the first corner no other tag holds): a grid's corner point touches only the corners
    of its cells, so the plate hides no pixel's number, inside the window or beside it."""
    size = max(MIN_TEXT_SIZE + 0.02, min(0.22, grid.cell_size * 0.32))
    number = label(text, size=size, color=BACKGROUND)
    number.overlay = True
    plate = Circle(radius=max(number.width, number.height) / 2 + 0.04, stroke_width=2)
    plate.set_fill(HIGHLIGHT, opacity=1.0).set_stroke(HALO, 2)
    tag = VGroup(plate, number.move_to(plate))
    places = []
    for corner in CORNERS:
        spot = window.get_corner(corner) + corner * plate.width * 0.15
        clash = sum(np.linalg.norm(spot - t.get_center()) < plate.width for t in taken)
        places.append((clash, spot))
    tag.move_to(min(places, key=lambda p: p[0])[1])
    return tag


def laid_filter(s: LectureScene, grid: ValueGrid, step: Step) -> VGroup:
    """The filter laid over a patch like a transparent sheet: each pixel under it tinted,
    and its weight written over the pixel's own number, as large as the grid's numbers,
    on a dark plate that reads on any colour. Weights too wide to read in a cell are left
    to the filter drawn beside the image."""
    tints = VGroup()
    weights = VGroup()
    texts = [numbers.display(w, s.lesson.style.exact()) for w in step.weights]
    size = min(grid.label_size, fit_label_size(texts, grid.cell_size))
    write = grid.show_labels and size >= MIN_TEXT_SIZE
    for (r, c), text in zip(s.lesson.grid_cells(step), texts, strict=True):
        cell = grid.cell(r, c)
        tint = Square(side_length=grid.cell_size, stroke_width=0)
        tint.set_fill(ACCENT, opacity=0.3).move_to(cell)
        tints.add(tint)
        if write:
            t = label(text, size=size, color=ACCENT).move_to(cell)
            t.overlay = True  # over the pixel's own number, on purpose
            plate = Rectangle(  # the cell's width, so the number beneath is hidden
                width=grid.cell_size * 0.88,
                height=min(t.height + 0.1, grid.cell_size * 0.88),
                stroke_width=0,
            ).set_fill(BACKGROUND, opacity=0.9)
            weights.add(VGroup(plate.move_to(cell), t))
    # No empty group: a transform into one shrinks the extra pieces to a dot at its
    # centre, the middle of the frame, and leaves the dot there.
    parts = [tints, weights] if len(weights) else [tints]
    return VGroup(*parts, s.window_marker(grid, step))


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
