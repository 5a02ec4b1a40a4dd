"""Opening sections: the title, the one-dimensional prelude, the image and the filter."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    PI,
    RIGHT,
    UP,
    Arrow,
    Create,
    FadeIn,
    FadeOut,
    Indicate,
    LaggedStart,
    ReplacementTransform,
    SurroundingRectangle,
    VGroup,
    Write,
)

from explainer.lessons.convolution.facts import padding_source
from explainer.present import numbers
from scenes.components import (
    ACCENT,
    HIGHLIGHT,
    MIN_TEXT_SIZE,
    MUTED,
    EmptyGrid,
    Legend,
    ValueGrid,
    cell_frame,
    filled_cell,
    grid_label_size,
    halo,
    label,
    text_width,
)
from scenes.stage import BOTTOM, TOP, LectureScene, cell_for


def title(s: LectureScene) -> None:
    words = s.lesson.labels
    head = label(words["title"], size=0.6, weight="BOLD")
    sub = label(words["subtitle"], size=0.34, color=MUTED)
    what = label(words["problem"], size=0.24, color=MUTED)
    for m in (head, what):
        if m.width > 12.5:
            m.scale_to_fit_width(12.5)
    VGroup(head, sub, what).arrange(DOWN, buff=0.4).move_to(UP * 0.4)
    with s.beat("title.question") as clock:
        s.play(Write(head), run_time=clock.share(0.45))
        s.play(FadeIn(sub, shift=0.2 * UP), FadeIn(what), run_time=clock.share(0.3))
    s.clear_stage()


def one_dimension(s: LectureScene) -> None:
    """Slide the kernel's middle row along the image's middle row: the 1D case."""
    s.heading("one-dimension")
    trace = s.lesson.script.prelude
    words = s.lesson.labels
    scale = s.lesson.scale
    signal_values = trace.padded_image[0]
    n = len(signal_values)
    k = len(trace.applied_kernel[0])
    stride = trace.problem.stride[1]
    style = s.lesson.style
    texts = [numbers.display(v, style) for v in signal_values]
    texts += [numbers.display(st.value, style) for st in trace.steps]
    texts += [numbers.display(v, style.exact()) for v in trace.applied_kernel[0]]
    # Cells large enough to write every number in them, as far as the frame's width allows.
    cell = max(min(0.8, 11.0 / n), min(_cell_for_texts(texts), 11.6 / n))
    origin_row, first = s.lesson.script.prelude_origin  # numbered by the image's columns
    signal = ValueGrid([signal_values], cell, scale, first_row=None, first_col=first, style=style)
    signal.move_to(np.array([0.5, 0.4, 0.0]))
    taps_as_given = trace.problem.kernel.tolist()
    kernel = ValueGrid(taps_as_given, cell, scale, stroke=ACCENT, style=style.exact())
    kernel.move_to(np.array([0.5, 2.0, 0.0]))
    out = len(trace.steps)
    sums = EmptyGrid(1, out, cell, first_row=None, first_col=0)  # positions, from 0
    # Sum j sits under the centre of window j: shift by half the filter's width.
    start = signal.cell(0, 0).get_center() + np.array([(k - 1) * cell / 2, -2.2 * cell, 0])
    sums.shift(start - sums.cell(0, 0).get_center())
    names = VGroup(
        label(words["signal"], size=0.26, color=MUTED).next_to(signal, LEFT, buff=0.3),
        label(words["filter"], size=0.26, color=ACCENT).next_to(kernel, LEFT, buff=0.3),
        label(words["sums"], size=0.26, color=MUTED).next_to(sums, LEFT, buff=0.3),
    )
    for name in names:
        if name.get_left()[0] < -6.9:
            name.shift(RIGHT * (-6.9 - name.get_left()[0]))
    # The image the row is taken from, with that row outlined, before the row moves out.
    image = s.make_image_grid(cell_for(*s.lesson.problem.image.shape, 9.0, 5.2, 0.5), False)
    image.move_to(np.array([0.0, -0.1, 0.0]))
    last = min(first + n, s.lesson.problem.image.shape[1]) - 1
    row_box = image.outline(origin_row, first, origin_row, last, HIGHLIGHT, 5)
    with s.beat("one-dimension.signal") as clock:
        s.play(FadeIn(image), run_time=clock.share(0.12))
        s.play(Create(row_box), run_time=clock.share(0.15))
        s.wait(clock.share(0.1))
        s.play(
            FadeOut(image),
            FadeOut(row_box),
            FadeIn(signal, target_position=row_box),
            FadeIn(names[0]),
            run_time=clock.share(0.2),
        )
        s.play(FadeIn(kernel), FadeIn(names[1]), run_time=clock.share(0.25))
    s.remove(names[1])
    kernel.add(names[1])  # the filter's name travels with it
    if s.has("one-dimension.flip"):
        reversed_row = ValueGrid(
            trace.applied_kernel, cell, scale, stroke=ACCENT, style=s.lesson.style.exact()
        )
        reversed_row.move_to(kernel.cells)
        kernel.remove(names[1])
        s.add(names[1])
        with s.beat("one-dimension.flip") as clock:
            s.play(kernel.animate.rotate(PI), run_time=clock.share(0.5))
            s.play(ReplacementTransform(kernel, reversed_row), run_time=clock.share(0.2))
        s.remove(names[1])
        reversed_row.add(names[1])
        kernel = reversed_row
    size = grid_label_size([numbers.display(st.value, style) for st in trace.steps], cell)
    window = signal.outline(0, 0, 0, k - 1, ACCENT, 5)
    filled = VGroup()
    with s.beat("one-dimension.slide") as clock:
        s.play(
            kernel.animate.shift(_above(window, cell) - kernel.cells.get_center()),
            Create(window),
            FadeIn(sums),
            FadeIn(names[2]),
            run_time=clock.share(0.15),
        )
        per = 0.8 / out
        for step in trace.steps:
            j = step.index[1]
            at = j * stride  # the prelude moves by the problem's column stride
            box = signal.outline(0, at, 0, at + k - 1, ACCENT, 5)
            cell_mob = filled_cell(sums, 0, j, step.value, scale, size, s.lesson.style)
            shift = _above(box, cell) - kernel.cells.get_center()
            anims = [window.animate.become(box), kernel.animate.shift(shift)]
            if j == 0:
                anims = []
            s.play(*anims, FadeIn(cell_mob), run_time=clock.share(per))
            filled.add(cell_mob)
        if out:
            s.play(FadeOut(window), run_time=clock.share(0.05))
    best = s.lesson.script.beat("one-dimension.best")
    with s.beat("one-dimension.best") as clock:
        marks = VGroup()
        for _row, c in best.steps:
            marks.add(halo(SurroundingRectangle(sums.cell(0, c), color=HIGHLIGHT, buff=0.03)))
            marks.add(signal.outline(0, c * stride, 0, c * stride + k - 1, HIGHLIGHT, 5))
        s.play(LaggedStart(*[Create(m) for m in marks], lag_ratio=0.2), run_time=clock.share(0.5))
    if s.has("one-dimension.to-2d"):
        with s.beat("one-dimension.to-2d") as clock:
            s.play(FadeOut(marks), run_time=clock.share(0.3))
    s.clear_stage()


def _cell_for_texts(texts: list[str]) -> float:
    """The smallest cell in which every text is written at a legible size."""
    per_unit = max(text_width(t, 1.0) for t in texts)
    return (MIN_TEXT_SIZE + 0.01) / min(0.4, 0.8 / per_unit)


def _above(window, cell: float) -> np.ndarray:
    """Where the 1D filter's cells sit: just above the window it covers."""
    return window.get_center() + np.array([0, cell + 0.7, 0])  # above the column numbers


def image(s: LectureScene) -> None:
    s.heading("image")
    lesson = s.lesson
    h, w = lesson.problem.image.shape
    rows, cols = len(lesson.padded_values), len(lesson.padded_values[0])
    padded = lesson.facts.padded
    cell = cell_for(rows, cols, 9.0, TOP - BOTTOM, 0.6)
    center = np.array([0.0, (TOP + BOTTOM) / 2, 0.0])
    with s.beat("image.show") as clock:
        grid = s.image_grid(cell, center, padded=False)
        values = [v for row in lesson.image_values for v in row]
        legend = Legend(
            lesson.scale,
            (min(values), max(values)),
            lesson.style,
            height=min(3.0, grid.height),
        )
        # Beside the image with its border (drawn next), not just the image.
        legend.move_to(np.array([center[0] + cols * cell / 2 + 0.9, center[1], 0]))
        s.play(FadeIn(legend), run_time=clock.share(0.15))  # colour carries the numbers
    s.stage["image-legend"] = legend
    with s.beat("image.numbering") as clock:
        # group=grid: a group of the grid's own parts would pull them out of the grid.
        numbers = [Indicate(t, color=HIGHLIGHT) for t in grid.indices]
        s.play(LaggedStart(*numbers, lag_ratio=0.05, group=grid), run_time=clock.share(0.7))
    if padded:
        _padding(s, cell, center)
        if s.has("image.padding-why"):
            why = s.lesson.script.beat("image.padding-why")
            oh, ow = why.values  # the result's size, as the sentence gives it
            size_note = label(f"{s.lesson.labels['result']}: {oh}×{ow}", size=0.3, color=MUTED)
            size_note.next_to(s.stage["image"], DOWN, buff=0.15)
            if size_note.get_bottom()[1] < BOTTOM:
                size_note.next_to(s.stage["image"], LEFT, buff=0.3).align_to(s.stage["image"], DOWN)
            with s.beat("image.padding-why") as clock:
                s.play(FadeIn(size_note), run_time=clock.share(0.2))
            s.play(FadeOut(size_note), run_time=0.3)
        if s.has("image.padding-uneven"):
            with s.beat("image.padding-uneven") as clock:
                _show_uneven_sides(s, clock)
    s.checkpoint("image")
    s.play(FadeOut(s.stage.pop("image-legend")), run_time=0.3)


def _show_uneven_sides(s: LectureScene, clock) -> None:
    """Outline the border's extra row and column, at the bottom and right."""
    lesson = s.lesson
    grid = s.stage["image"]
    top, bottom, left, right = lesson.problem.padding
    rows, cols = grid.rows, grid.cols
    extra = [(r, c) for r in range(rows - (bottom - top), rows) for c in range(cols)]
    extra += [(r, c) for r in range(rows) for c in range(cols - (right - left), cols)]
    frames = VGroup(*[cell_frame(grid.cell(r, c), ACCENT) for r, c in dict.fromkeys(extra)])
    s.play(LaggedStart(*[Create(f) for f in frames], lag_ratio=0.05), run_time=clock.share(0.5))
    s.play(FadeOut(frames), run_time=clock.share(0.15))


def _padding(s: LectureScene, cell: float, center: np.ndarray) -> None:
    """Grow the border around the image, showing where its values come from."""
    lesson = s.lesson
    old = s.stage.pop("image")
    with s.beat("image.padding") as clock:
        grid = s.make_image_grid(cell, padded=True)
        grid.shift(center - grid.cells.get_center())
        s.play(ReplacementTransform(old, grid), run_time=clock.share(0.25))
        s.stage["image"] = grid
        sources = _border_sources(s, grid)
        if sources:
            arrows = VGroup(
                *[
                    Arrow(
                        grid.cell(*src).get_center(),
                        grid.cell(*dst).get_center(),
                        buff=0.08,
                        color=HIGHLIGHT,
                        stroke_width=3,
                        max_tip_length_to_length_ratio=0.3,
                    )
                    for src, dst in sources
                ]
            )
            s.play(
                LaggedStart(*[Create(a) for a in arrows], lag_ratio=0.3), run_time=clock.share(0.4)
            )
            s.play(FadeOut(arrows), run_time=clock.share(0.1))
        else:
            marks = VGroup(
                *[
                    cell_frame(grid.cell(r, c), ACCENT)
                    for r, row in enumerate(lesson.padding_mask)
                    for c, p in enumerate(row)
                    if p
                ]
            )
            s.play(
                LaggedStart(*[Create(m) for m in marks], lag_ratio=0.02), run_time=clock.share(0.4)
            )
            s.play(FadeOut(marks), run_time=clock.share(0.1))


def _border_sources(
    s: LectureScene, grid: ValueGrid
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """For reflect, replicate and circular padding: a few border cells of the first image
    row and the image cells their values are copied from (padded-grid coordinates)."""
    lesson = s.lesson
    problem = lesson.problem
    if problem.padding_mode == "zeros":
        return []
    top, left = lesson.trace.padding_offset
    pairs = []
    rows, cols = len(lesson.padded_values), len(lesson.padded_values[0])
    row = top  # the image's first row: its left and right border cells
    for c in [*range(left), *range(cols - (cols - left - problem.image.shape[1]), cols)]:
        src = padding_source(problem, row - top, c - left)
        pairs.append(((src[0] + top, src[1] + left), (row, c)))
    col = left  # the image's first column: its top and bottom border cells
    for r in [*range(top), *range(rows - (rows - top - problem.image.shape[0]), rows)]:
        src = padding_source(problem, r - top, col - left)
        pairs.append(((src[0] + top, src[1] + left), (r, col)))
    return pairs[:6]


def filter_(s: LectureScene) -> None:
    s.heading("filter")
    lesson = s.lesson
    words = lesson.labels
    rows, cols = len(lesson.padded_values), len(lesson.padded_values[0])
    cell = cell_for(rows, cols, 6.4, TOP - BOTTOM, 0.6)
    s.image_grid(cell, np.array([-3.2, (TOP + BOTTOM) / 2, 0]))
    kh, kw = lesson.problem.kernel.shape
    flip = lesson.problem.flip
    kcell = min(0.75, 3.6 / max(kh, kw))
    name = label(words["filter-as-given"] if flip else words["filter"], size=0.3, color=ACCENT)
    with s.beat("filter.show") as clock:
        kernel = s.kernel_grid(kcell, np.array([3.6, 0.0, 0]), as_given=flip)
        name.next_to(kernel, UP, buff=0.3)
        s.play(FadeIn(name), run_time=clock.share(0.2))
    s.stage["kernel-name"] = name
    s.checkpoint("image-and-filter")
    if flip:
        _flip(s, kernel, name)


def _flip(s: LectureScene, original: ValueGrid, name) -> None:
    """True convolution: the kernel turns by 180° before it slides."""
    lesson = s.lesson
    rotated = ValueGrid(
        lesson.trace.applied_kernel,
        original.cell_size,
        lesson.scale,
        stroke=ACCENT,
        first_row=0,
        first_col=0,
        style=lesson.style.exact(),
    )
    rotated.shift(original.cells.get_center() - rotated.cells.get_center())
    new_name = label(lesson.labels["filter-rotated"], size=0.3, color=ACCENT).move_to(name)
    with s.beat("filter.flip") as clock:
        numbers = original.indices  # digits would turn upside down: take them off first
        original.remove(numbers)
        s.add(numbers)
        s.play(FadeOut(numbers), run_time=clock.share(0.1))
        s.play(original.animate.rotate(PI), run_time=clock.share(0.5))
        s.play(
            ReplacementTransform(original, rotated),
            ReplacementTransform(name, new_name),
            run_time=clock.share(0.2),
        )
    s.stage["kernel"] = rotated
    s.stage["kernel-name"] = new_name
    if s.has("filter.symmetric"):
        with s.beat("filter.symmetric") as clock:
            s.play(Indicate(rotated, color=HIGHLIGHT, scale_factor=1.05), run_time=clock.share(0.5))


__all__ = ["filter_", "image", "one_dimension", "title"]
