"""The generic stage: any lesson's sections drawn from its script's boards alone.

The convolution lesson has scenes made for it (:mod:`scenes.lecture`); every other lesson
is staged here, one scene per section, from nothing but its script: each beat is spoken and
captioned as in the lecture (:meth:`LectureScene.beat`), while its
:class:`~explainer.lessons.board.Board` is drawn: the grids it names, laid out to fit the
frame, each with its label, its values written in the cells when they are legible, its
marked cells outlined, and the formula lines above. Nothing here computes a value or words
a sentence.

``explainer render --lesson layer`` renders it; :class:`BoardLecture` can be rendered
directly with its ``lesson_name`` and ``problem`` set (``type(...)`` as
:func:`scenes.parts.render_part` does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from manim import DOWN, LEFT, UP, Create, FadeIn, FadeOut, VGroup

from explainer.lessons import lesson as find_lesson
from explainer.lessons.board import Board, Grid
from explainer.lessons.script import Script
from explainer.outputs.lesson_page import board_scale
from explainer.present.palette import ColourScale
from scenes.components import (
    ACCENT,
    HIGHLIGHT,
    INK,
    MUTED,
    ValueGrid,
    halo,
    label,
    text_width,
)
from scenes.stage import BOTTOM, TOP, LectureScene

WIDTH = 13.6
"""Width the grids may take (the frame is 14.2 wide)."""
MAX_CELL = 0.75
GAP = 0.4
LABEL_SIZE = 0.24
SMALLEST_LABEL = 0.16
FORMULA_SIZE = 0.25
FORMULA_LINE = 0.36
INDEX_MARGIN = 0.38
"""Room the row and column numbers take beside a grid's cells."""
MIN_NUMBERED = 0.32
"""Below this cell size rows and columns are not numbered."""
MARK_STYLE = {
    "window": (HIGHLIGHT, 6),
    "focus": (ACCENT, 5),
    "chosen": (ACCENT, 9),
    "result": (HIGHLIGHT, 8),
}


class BoardLesson:
    """What the generic stage shows: the script, its number style and its colour scale."""

    def __init__(self, lesson_name: str, problem) -> None:
        self.problem = problem
        self.script: Script = find_lesson(lesson_name).build_script(problem)
        self.labels = self.script.labels
        self.style = self.script.style

    @cached_property
    def scale(self) -> ColourScale:
        return board_scale(self.script)


@dataclass(frozen=True)
class Placed:
    """Where one grid goes: its cell size, the centre of its cells, its label's place."""

    key: str
    cell: float
    center: tuple[float, float]
    numbered: bool
    label_size: float
    bounds: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    """(left, bottom, right, top) of everything the grid takes: label, numbers, cells."""


def _label_width(grid: Grid, size: float) -> float:
    return text_width(grid.label, size)


def layout(grids: Sequence[Grid], top: float, bottom: float, width: float = WIDTH) -> list[Placed]:
    """One cell size for every grid of a board and their places, in rows, reading order:
    the arrangement (how many rows) that gives the largest cells that fit."""
    best: tuple[float, list[Placed]] | None = None
    n = len(grids)
    for rows in range(1, n + 1):
        per = -(-n // rows)
        lines = [list(grids[k : k + per]) for k in range(0, n, per)]
        for numbered, size in ((True, LABEL_SIZE), (False, LABEL_SIZE)):
            cell = _largest(lines, numbered, size, top - bottom, width)
            if cell is None or (numbered and cell < MIN_NUMBERED):
                continue
            if best is None or cell > best[0] + 1e-9:
                best = (cell, _place(lines, cell, numbered, size, top, bottom))
            break
    if best is None:  # nothing fits at a readable size: the smallest cells, no numbers
        lines = [[g] for g in grids]
        return _place(lines, 0.02, False, SMALLEST_LABEL, top, bottom)
    return best[1]


def _box(g: Grid, cell: float, margin: float, size: float) -> float:
    """Width a grid takes: its cells and numbers, or its label when that is wider even
    written small."""
    return max(g.shape[1] * cell + margin, _label_width(g, min(size, SMALLEST_LABEL)))


def _label_size(g: Grid, box: float, size: float) -> float:
    """The label's size: ``size`` unless that is wider than the grid's box."""
    return max(min(size, size * box / _label_width(g, size)), min(size, SMALLEST_LABEL))


def _extent(line, cell: float, numbered: bool, size: float) -> tuple[float, float]:
    margin = INDEX_MARGIN if numbered else 0.0
    widths = [_box(g, cell, margin, size) for g in line]
    height = max(g.shape[0] * cell for g in line) + margin + size * 1.6
    return sum(widths) + GAP * (len(line) - 1), height


def _largest(lines, numbered: bool, size: float, height: float, width: float) -> float | None:
    lo, hi = 0.01, MAX_CELL
    if not _fits(lines, lo, numbered, size, height, width):
        return None
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _fits(lines, mid, numbered, size, height, width) else (lo, mid)
    return lo


def _fits(lines, cell, numbered, size, height, width) -> bool:
    extents = [_extent(line, cell, numbered, size) for line in lines]
    total = sum(h for _, h in extents) + GAP * (len(lines) - 1)
    return all(w <= width for w, _ in extents) and total <= height


def _place(lines, cell, numbered, size, top, bottom) -> list[Placed]:
    margin = INDEX_MARGIN if numbered else 0.0
    extents = [_extent(line, cell, numbered, size) for line in lines]
    total = sum(h for _, h in extents) + GAP * (len(lines) - 1)
    y = (top + bottom) / 2 + total / 2
    out = []
    for line, (w, h) in zip(lines, extents, strict=True):
        x = -w / 2
        for g in line:
            box = _box(g, cell, margin, size)
            body_w, body_h = g.shape[1] * cell, g.shape[0] * cell
            cx = x + box / 2 + margin / 2 if box <= body_w + margin + 1e-9 else x + box / 2
            cy = y - size * 1.6 - margin - body_h / 2
            bounds = (x, cy - body_h / 2, x + box, y)
            out.append(Placed(g.key, cell, (cx, cy), numbered, _label_size(g, box, size), bounds))
            x += box + GAP
        y -= h + GAP
    return out


def _rectangle(cells: Sequence[tuple[int, int]]) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) when the cells fill exactly that rectangle."""
    rows = [r for r, _ in cells]
    cols = [c for _, c in cells]
    box = (min(rows), min(cols), max(rows), max(cols))
    area = (box[2] - box[0] + 1) * (box[3] - box[1] + 1)
    return box if len(set(cells)) == area and area > 1 else None


def draw_marks(grid: ValueGrid, board: Board, key: str) -> VGroup:
    """Outlines of the cells ``board`` marks on the grid ``key``: a window as one frame
    when it is a rectangle, every other mark cell by cell."""
    out = VGroup()
    for mark in board.marks:
        if mark.grid != key or not mark.cells:
            continue
        color, width = MARK_STYLE[mark.kind]
        small = grid.cell_size < 0.4  # thinner lines on small cells: their colours show
        width = max(2.5, min(width, grid.cell_size * (8 if small else 14)))
        box = _rectangle(mark.cells) if mark.kind == "window" else None
        if box is not None:
            out.add(grid.outline(*box, color, width))
            continue
        shrink = 0.72 if mark.kind == "chosen" else 0.9
        for r, c in mark.cells:
            sq = grid.cell(r, c).copy().set_fill(opacity=0).scale(shrink)
            sq.set_stroke(color, width)
            out.add(halo(sq, width - 1.5) if small else halo(sq))
    return out


class BoardLecture(LectureScene):
    """A lesson staged from its boards: every section, or those in ``sections``."""

    lesson_name: str = ""
    closing = True

    def make_lesson(self) -> BoardLesson:
        if self.problem is None or not self.lesson_name:
            raise ValueError("a board lecture needs its lesson_name and its problem")
        return BoardLesson(self.lesson_name, self.problem)

    def construct(self) -> None:
        script = self.lesson.script
        chosen = self.sections or script.section_names
        for name in script.section_names:
            if name not in chosen:
                continue
            self.next_section(name)
            if self.progress is not None:
                self.progress.section(name)
            self.stage_section(name)
        if self._heading is not None and self._heading in self.mobjects:
            self.play(FadeOut(self._heading), run_time=0.3)
            self._heading = None
        if self.closing:
            self.wait(0.5)
        if self.voice is not None:
            from pydub import AudioSegment

            self.renderer.file_writer.add_audio_segment(AudioSegment.silent(0), self.time)

    # ----- one section ---------------------------------------------------------------------

    def stage_section(self, name: str) -> None:
        script = self.lesson.script
        section = script.section(name)
        self.heading(name)
        top = TOP
        if not section.title and "title" in script.labels:
            top = self._title_card()
        shown: dict[str, ValueGrid] = {}
        board_key: tuple | None = None
        extras: list = []  # the beat's formula and marks, replaced at the next beat
        for beat in section.beats:
            board = beat.board or Board(())
            with self.beat(beat.key) as clock:
                key = (board.grids, len(board.formula))  # the same grids stay in place
                gone = [m for m in extras if m in self.mobjects]
                if key != board_key:
                    gone += [m for m in shown.values() if m in self.mobjects]
                if gone:
                    self.play(*[FadeOut(m) for m in gone], run_time=clock.share(0.08))
                formula = self._formula(board, top)
                if key != board_key:
                    below = formula.get_bottom()[1] - 0.25 if len(formula) else top
                    shown = self._grids(board, below)
                    if shown:
                        self.play(*[FadeIn(g) for g in shown.values()], run_time=clock.share(0.15))
                    board_key = key
                marks = VGroup(*[draw_marks(g, board, k) for k, g in shown.items()])
                extras = [m for m in (formula, marks) if len(m)]
                anims = [FadeIn(formula) if m is formula else Create(m) for m in extras]
                if anims:
                    self.play(*anims, run_time=clock.share(0.25))
        self.clear_stage()  # every section starts from an empty stage: parts cut anywhere

    def _title_card(self) -> float:
        labels = self.lesson.labels
        big = label(labels["title"], size=0.5, color=INK).move_to(np.array([0, TOP - 0.2, 0]))
        parts = [big]
        if labels.get("subtitle"):
            parts.append(label(labels["subtitle"], size=0.3, color=MUTED).next_to(big, DOWN))
        for part in parts:  # a long title or subtitle is set smaller, never off the frame
            if part.width > WIDTH:
                part.scale_to_fit_width(WIDTH)
        card = VGroup(*parts)
        self.play(FadeIn(card), run_time=0.5)
        return card.get_bottom()[1] - 0.3

    def _formula(self, board: Board, top: float) -> VGroup:
        lines = VGroup()
        for k, line in enumerate(board.formula):
            t = label(line, size=FORMULA_SIZE, color=HIGHLIGHT)
            if t.width > WIDTH:
                t.scale_to_fit_width(WIDTH)
            t.move_to(np.array([0.0, top - FORMULA_LINE * (k + 0.5), 0.0]))
            lines.add(t)
        if len(lines):
            lines.arrange(DOWN, aligned_edge=LEFT, buff=FORMULA_LINE - FORMULA_SIZE * 0.9)
            lines.move_to(np.array([0.0, top - lines.height / 2 - 0.05, 0.0]))
        return lines

    def _grids(self, board: Board, top: float) -> dict[str, ValueGrid]:
        script = self.lesson.script
        grids = [script.grids[k] for k in board.grids]
        if not grids:
            return {}
        places = layout(grids, top, BOTTOM)
        size = min(p.label_size for p in places)  # one size for every label of a board
        out = {}
        for grid, place in zip(grids, places, strict=True):
            first = 0 if place.numbered else None
            drawn = ValueGrid(
                grid.values,
                place.cell,
                self.lesson.scale,
                first_row=first,
                first_col=first if first is not None else None,
                style=self.lesson.style,
            )
            drawn.shift(np.array([*place.center, 0.0]) - drawn.cells.get_center())
            name = label(grid.label, size=size, color=INK)
            edge = drawn.indices if place.numbered and len(drawn.indices) else drawn.cells
            name.next_to(edge, UP, buff=0.1)
            name.set_x(drawn.cells.get_center()[0])
            drawn.add(name)
            drawn.name_label = name
            out[grid.key] = drawn
        return out


def board_scene(lesson_name: str, problem, **attributes) -> type[BoardLecture]:
    """A scene class for one lesson and problem (and sections, voice, … as attributes)."""
    return type(
        "BoardLecture",
        (BoardLecture,),
        {"lesson_name": lesson_name, "problem": problem, **attributes},
    )
