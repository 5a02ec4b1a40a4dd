"""The result: its size, the sweep over every patch, and what its values say."""

from __future__ import annotations

import re

import numpy as np
from manim import (
    DOWN,
    RIGHT,
    UP,
    Create,
    FadeIn,
    FadeOut,
    Indicate,
    LaggedStart,
    Line,
    MathTex,
    VGroup,
    Write,
)

from explainer.outputs import printing
from explainer.present import numbers
from explainer.proof import symbolic
from scenes.components import (
    ACCENT,
    HIGHLIGHT,
    INK,
    MUTED,
    EmptyGrid,
    Legend,
    ValueGrid,
    cell_frame,
    filled_cell,
    grid_label_size,
    label,
    labels_fit,
    thinner,
)
from scenes.stage import BOTTOM, TOP, Clock, LectureScene, cell_for

HEADROOM = 3.85  # the top of the frame's right half, beside the heading
ROW_BY_ROW = 64  # past this many output pixels the sweep fills a whole row per jump


def output_size(s: LectureScene) -> None:
    """Count the window's positions on the grid, then the formula, then its numbers."""
    lesson = s.lesson
    s.heading("output-size")
    rows, cols = len(lesson.padded_values), len(lesson.padded_values[0])
    cell = cell_for(rows, cols, 10.0, TOP - BOTTOM - 1.0, 0.55)
    grid = s.image_grid(cell, np.array([0.0, 0.45, 0]))  # the count goes underneath
    count = lesson.script.beat("output-size.count")
    with s.beat("output-size.count") as clock:
        # One window at a time (overlapping ones, dilated ones above all, would mesh into
        # a lattice), and its number under the column where it starts: the numbers that
        # stay are the count, spaced by the stride.
        marks = VGroup()
        box = None
        size = 0.3
        for n, index in enumerate(count.steps, start=1):
            step = lesson.step(index)
            new_box = s.window_marker(grid, step, HIGHLIGHT, width=4)
            first_row, first_col = lesson.grid_cells(step)[0]
            tally = label(str(n), size=size, color=HIGHLIGHT)
            column = grid.cell(first_row, first_col).get_center()[0]
            tight = tally.width > grid.cell_size * lesson.problem.stride[1] * 0.9
            under = np.array([column, grid.cells.get_bottom()[1], 0])
            tally.next_to(under, DOWN, buff=0.1 + (0.32 if tight and n % 2 == 0 else 0))
            swap = [FadeOut(box)] if box is not None else []
            s.play(
                *swap,
                Create(new_box),
                FadeIn(tally),
                run_time=clock.share(0.8 / len(count.steps)),
            )
            box = new_box
            marks.add(tally)
        if box is not None:
            marks.add(box)
    if s.has("output-size.unused"):
        facts = lesson.facts
        top, _, left, _ = lesson.problem.padding
        rows_axis, cols_axis = facts.axes
        cells = []
        if cols_axis.unused:
            cells += [(r, c) for r in range(rows) for c in range(cols - cols_axis.unused, cols)]
        if rows_axis.unused:
            cells += [(r, c) for r in range(rows - rows_axis.unused, rows) for c in range(cols)]
        with s.beat("output-size.unused") as clock:
            tint = VGroup(*[cell_frame(grid.cell(r, c), ACCENT) for r, c in cells])
            s.play(Create(tint), run_time=clock.share(0.5))
        marks.add(tint)
    s.play(FadeOut(marks), FadeOut(s.stage.pop("image")), run_time=0.4)
    formula = MathTex(
        printing.latex(symbolic.output_size_formula(), break_long_fractions=False), color=INK
    )
    formula.scale_to_fit_width(min(formula.width, 9.5)).move_to(UP * 2.3)
    names = [_symbol_entry(text) for text in lesson.labels["size-symbols"].split("; ")]
    # Three lines of two: one line of three was shrunk below legibility at 480p.
    legend = VGroup(*[VGroup(*names[k : k + 2]) for k in range(0, len(names), 2)])
    for row in legend:
        row.arrange(RIGHT, buff=0.6)
    legend.arrange(DOWN, buff=0.18)
    if legend.width > 12.5:
        legend.scale_to_fit_width(12.5)
    legend.next_to(formula, DOWN, buff=0.35)
    with s.beat("output-size.formula") as clock:
        s.play(Write(formula), run_time=clock.share(0.4))
        s.play(FadeIn(legend), run_time=clock.share(0.3))
    lines = VGroup()
    for axis, value in printing.sized_axes(lesson.problem):
        line = rf"\text{{{axis.name}: }} " + printing.latex_size_line(axis, value)
        lines.add(MathTex(line, color=INK))
    lines.arrange(DOWN, buff=0.3)
    room = legend.get_bottom()[1] - 0.35 - BOTTOM
    if lines.height > room:
        lines.scale_to_fit_height(room)
    if lines.width > 12:
        lines.scale_to_fit_width(12)
    lines.next_to(legend, DOWN, buff=0.35)
    with s.beat("output-size.numbers") as clock:
        s.play(FadeIn(lines, shift=0.2 * DOWN), run_time=clock.share(0.5))
    s.clear_stage()


def _symbol_entry(text: str) -> VGroup:
    """'p_before, p_after: the padding' as the formula writes the symbols, then the words."""
    symbols, words = text.split(": ", 1)
    tex = re.sub(r"(\w)_(\w+)", r"\1_{\\text{\2}}", symbols)
    entry = VGroup(MathTex(tex, color=INK).scale(0.75), label(words, size=0.26, color=MUTED))
    return entry.arrange(RIGHT, buff=0.12)


def _result_layout(s: LectureScene) -> tuple[ValueGrid, EmptyGrid, Legend]:
    lesson = s.lesson
    oh, ow = lesson.trace.output_shape
    rows, cols = len(lesson.padded_values), len(lesson.padded_values[0])
    image_cell = cell_for(rows, cols, 4.8, TOP - BOTTOM, 0.55)
    grid = s.image_grid(image_cell, np.array([-4.3, 0.0, 0]))
    cell = cell_for(oh, ow, 5.2, TOP - BOTTOM - 0.5, 0.75)
    centre = np.array([1.9, -0.2, 0])
    texts = [numbers.display(st.value, lesson.style) for st in lesson.trace.steps]
    if lesson.script.result_written and not labels_fit(texts, cell):
        # Too small to write its numbers: the result may rise into the top right corner,
        # which the heading (top left) leaves free, and take a little more width.
        taller = cell_for(oh, ow, 6.0, HEADROOM - BOTTOM - 0.5, 0.75)
        if taller > cell:
            cell = taller
            centre = np.array([1.9, (HEADROOM - 0.5 - 0.4 + BOTTOM) / 2, 0])
    empty = EmptyGrid(oh, ow, cell, first_row=0, first_col=0)
    empty.shift(centre - empty.cells.get_center())
    legend = Legend(lesson.scale, _ticks(s), lesson.style, height=min(4.0, empty.cells.height))
    legend.next_to(empty, RIGHT, buff=0.4)
    if legend.get_right()[0] > 6.9:
        legend.shift(RIGHT * (6.9 - legend.get_right()[0]))
    return grid, empty, legend


def _ticks(s: LectureScene) -> tuple:
    """The legend's marks: the result's extremes and zero, from the facts."""
    facts = s.lesson.facts
    ticks = {facts.best.value, facts.worst.value, 0}
    return tuple(sorted(ticks, reverse=True))


def _link(grid: ValueGrid, window, empty: EmptyGrid, index: tuple[int, int], color, width=2.5):
    """A line from a window on the image to its cell in the result: thin and half clear,
    so that the numbers it passes over stay readable."""
    start = window.get_right() + np.array([0.04, 0, 0])
    end = empty.cell(*index).get_left() + np.array([-0.04, 0, 0])
    return Line(start, end, color=color, stroke_width=min(width, 2.0), stroke_opacity=0.55)


def sweep(s: LectureScene) -> None:
    lesson = s.lesson
    if not lesson.pixelwise:
        summary(s)
        return
    s.heading("sweep")
    grid, empty, legend = _result_layout(s)
    title = label(lesson.labels["result"], size=0.28, color=MUTED)
    title.next_to(empty, UP, buff=0.2)
    steps = lesson.trace.steps
    size = grid_label_size(
        [numbers.display(st.value, lesson.style) for st in steps], empty.cell_size
    )
    marker = s.window_marker(grid, steps[0], HIGHLIGHT)
    link = _link(grid, marker, empty, steps[0].index, HIGHLIGHT)
    cells = VGroup()
    oh, ow = lesson.trace.output_shape
    batches = (
        [[st] for st in steps]
        if len(steps) <= ROW_BY_ROW
        else [list(steps[r * ow : (r + 1) * ow]) for r in range(oh)]
    )
    split = max(1, len(batches) // 3)  # the first third while the first sentence is said

    def fill(batch_list, clock: Clock, share: float) -> None:
        for batch in batch_list:
            last = batch[-1]
            new_marker = s.window_marker(grid, last, HIGHLIGHT)
            new_cells = [
                filled_cell(empty, *st.index, st.value, lesson.scale, size, lesson.style)
                for st in batch
            ]
            s.play(
                marker.animate.become(new_marker),
                link.animate.become(_link(grid, new_marker, empty, last.index, HIGHLIGHT)),
                *[FadeIn(c) for c in new_cells],
                run_time=clock.share(share / len(batch_list)),
            )
            cells.add(*new_cells)

    with s.beat("sweep.start") as clock:
        s.play(Create(empty), FadeIn(title), run_time=clock.share(0.15))
        s.add(marker, link)
        fill(batches[:split], clock, 0.8)
    with s.beat("sweep.fill") as clock:
        s.play(FadeIn(legend), run_time=clock.share(0.1))
        fill(batches[split:], clock, 0.85)
    s.play(FadeOut(marker), FadeOut(link), run_time=0.3)
    s.stage.update(result_cells=cells, result_empty=empty, legend=legend, result_title=title)


def summary(s: LectureScene) -> None:
    """For problems too large to show pixel by pixel: the result as a heatmap beside the
    image, then what its values say."""
    lesson = s.lesson
    s.heading("sweep")
    grid, empty, legend = _result_layout(s)
    result = ValueGrid(
        lesson.trace.output,
        empty.cell_size,
        lesson.scale,
        show_labels=lesson.script.result_written,
        first_row=0,
        first_col=0,
        style=lesson.style,
    )
    result.shift(empty.cells.get_center() - result.cells.get_center())
    with s.beat("sweep.summary") as clock:
        s.play(FadeIn(result), run_time=clock.share(0.5))
    with s.beat("sweep.colours") as clock:
        s.play(FadeIn(legend), run_time=clock.share(0.4))
    cells = VGroup(*[VGroup(result.cell(*st.index)) for st in lesson.trace.steps])
    s.stage.update(result_cells=cells, result_empty=result, legend=legend)
    _meaning(s)
    s.checkpoint("result-map")
    s.clear_stage()


def result(s: LectureScene) -> None:
    lesson = s.lesson
    s.heading("result")
    if "result_cells" not in s.stage:
        grid, empty, legend = _result_layout(s)
        size = grid_label_size(
            [numbers.display(st.value, lesson.style) for st in lesson.trace.steps],
            empty.cell_size,
        )
        cells = VGroup(
            *[
                filled_cell(empty, *st.index, st.value, lesson.scale, size, lesson.style)
                for st in lesson.trace.steps
            ]
        )
        title = label(lesson.labels["result"], size=0.28, color=MUTED).next_to(empty, UP, buff=0.2)
        s.play(FadeIn(empty), FadeIn(cells), FadeIn(legend), FadeIn(title), run_time=0.6)
        s.stage.update(result_cells=cells, result_empty=empty, legend=legend, result_title=title)
    _meaning(s)
    s.checkpoint("result-map")
    s.clear_stage()


def _apart(boxes: list[tuple[int, int, int, int]]) -> bool:
    """Whether no two windows (top, left, bottom, right; inclusive) share a pixel."""
    for i, (t1, l1, b1, r1) in enumerate(boxes):
        for t2, l2, b2, r2 in boxes[i + 1 :]:
            if t1 <= b2 and t2 <= b1 and l1 <= r2 and l2 <= r1:
                return False
    return True


def _meaning(s: LectureScene) -> None:
    """The result's best, most negative and partial values, each window linked to its cell."""
    lesson = s.lesson
    grid = s.stage["image"]
    empty = s.stage["result_empty"]
    for key, color in (("result.best", HIGHLIGHT), ("result.negative", ACCENT)):
        if not s.has(key):
            continue
        beat = lesson.script.beat(key)
        # Windows stay outlined only if they stay apart: overlapping ones (dilated ones
        # above all) would mesh into a lattice, so each then goes with its link.
        keep_windows = _apart([lesson.window_box(lesson.step(i)) for i in beat.steps])
        with s.beat(key) as clock:
            kept = VGroup()
            for index in beat.steps:  # one at a time: neighbouring windows overlap
                box = cell_frame(empty.cell(*index), color, 7)
                window = s.window_marker(grid, lesson.step(index), color, width=7)
                link = _link(grid, window, empty, index, color, width=3)
                t = clock.share(0.85 / max(len(beat.steps), 1))
                s.play(Create(box), Create(window), Create(link), run_time=t * 0.6)
                s.play(
                    thinner(box, 3),
                    thinner(window, 3) if keep_windows else FadeOut(window),
                    FadeOut(link),
                    run_time=t * 0.4,
                )
                kept.add(box)
                if keep_windows:
                    kept.add(window)
        s.play(FadeOut(kept), run_time=0.3)
    if s.has("result.others"):
        cells = s.stage["result_cells"]
        ow = lesson.trace.output_shape[1]
        partial = [cells[i * ow + j] for i, j in lesson.script.beat("result.others").steps]
        with s.beat("result.others") as clock:
            s.play(
                LaggedStart(
                    *[Indicate(c, color=HIGHLIGHT, scale_factor=1.1) for c in partial],
                    lag_ratio=0.05,
                ),
                run_time=clock.share(0.7),
            )
