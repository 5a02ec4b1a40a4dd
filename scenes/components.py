"""Reusable mobjects of the lecture: grids of numbers, window markers, a colour legend.

Components draw numbers they are given (from the trace) in the colours of the lesson's one
:class:`~explainer.present.palette.ColourScale`; they never compute a value. Every grid can number
its rows and columns, so that a position said aloud can be found on screen.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    DashedVMobject,
    Line,
    ManimColor,
    Rectangle,
    Square,
    Text,
    VGroup,
    VMobject,
)

from explainer.core.trace import Number
from explainer.present import numbers, palette
from explainer.present.numbers import SCREEN, NumberStyle
from explainer.present.palette import ColourScale
from scenes.glyphs import OutlineText

FONT = "DejaVu Sans"
BACKGROUND = ManimColor(palette.BACKGROUND)
INK = ManimColor(palette.INK)
MUTED = ManimColor(palette.MUTED)
ACCENT = ManimColor(palette.ACCENT)
HIGHLIGHT = ManimColor(palette.HIGHLIGHT)
PADDING_EDGE = ManimColor(palette.PADDING_EDGE)
HALO = ManimColor(palette.HALO)


def halo(mob: VMobject, width: float | None = None) -> VMobject:
    """Give an outline a dark edge underneath, so it stays visible on every cell colour
    (a light outline vanishes on white cells, a dark one on blue ones)."""
    for part in mob.family_members_with_points():
        w = width if width is not None else part.get_stroke_width()
        part.set_stroke(HALO, w + 4, opacity=0.85, background=True, family=False)
    return mob


MIN_TEXT_SIZE = 0.14
"""The smallest label size used for a number: digits about 8 pixels tall at 480p."""


class Label(VMobject):
    """Text flattened into one path: a single mobject instead of one per glyph.

    Grids hold hundreds of labels and manim copies a mobject's whole family whenever it
    animates it; one path per label keeps copying and drawing cheap. ``text`` is the
    string shown (spaces removed, as manim's own ``Text.text``); ``size`` its font size.
    """

    def __init__(self, source: Text, text: str, size: float) -> None:
        super().__init__(fill_color=source.fill_color, fill_opacity=1.0, stroke_width=0)
        for glyph in source.family_members_with_points():
            self.append_points(glyph.points)
        self.text = text.replace(" ", "")
        self.size = size
        self.carries_number = any(ch.isdigit() for ch in text)
        self.overlay = False  # True for badges drawn over cells on purpose (windows, weights)


def label(text: str, size: float = 0.32, color=INK, weight: str = "NORMAL") -> Label:
    """Text of font size ``size`` × 100 (legible at 480p from about 0.2).

    Grids repeat a few strings many times; laying out text with Pango costs about ten
    times as much as copying a finished one, so each distinct label is made once.
    """
    return _label_prototype(text, round(size, 4), ManimColor(color).to_hex(), weight).copy()


def _make_label(text: str, size: float, color: str, weight: str, **kwargs) -> Label:
    source = OutlineText(
        text, font=FONT, color=color, weight=weight, font_size=size * 100, **kwargs
    )
    return Label(source, text, size)


@functools.lru_cache(maxsize=4096)
def _label_prototype(
    text: str, size: float, color: str, weight: str, line_spacing: float | None = None
) -> Label:
    # Laid out once per distinct text: the same captions and headings recur across the
    # sections rendered alone and across problems, and copying is ten times cheaper.
    extra = {} if line_spacing is None else {"line_spacing": line_spacing}
    return _make_label(text, size, color, weight, **extra)


def text_width(text: str, size: float) -> float:
    """Width in scene units of ``text`` at label ``size``, measured without laying it out
    as a mobject (Pango text costs a fifth of a second per caption)."""
    ref = _reference_width(size)
    return ref[1] * _font().getlength(text) / ref[0]


@functools.lru_cache(maxsize=8)
def _reference_width(size: float) -> tuple[float, float]:
    sample = "The quick brown fox jumps over the lazy dog, 0123456789"
    return _font().getlength(sample), label(sample, size=size).width


@functools.lru_cache(maxsize=1)
def _font():
    from PIL import ImageFont

    return ImageFont.truetype("DejaVuSans.ttf", 100)


def caption(text: str, width: float = 12.8, size: float = 0.3) -> Label:
    """A narration caption: one line, or two balanced lines when one would not fit."""
    if text_width(text, size) <= width:
        return label(text, size=size, color=INK)
    words = text.split(" ")
    half = len(text) / 2
    # Never break inside a bracket: "(1,⏎0)" is not a position a viewer can read.
    depth, breaks = 0, []
    for k, word in enumerate(words[:-1], start=1):
        depth += word.count("(") - word.count(")")
        if depth == 0:
            breaks.append(k)
    best = min(breaks or [1], key=lambda k: abs(len(" ".join(words[:k])) - half))
    two = " ".join(words[:best]) + "\n" + " ".join(words[best:])
    mob = _label_prototype(two, round(size, 4), INK.to_hex(), "NORMAL", 0.8).copy()
    if mob.width > width:
        mob.scale_to_fit_width(width)
    mob.text = text.replace(" ", "")
    return mob


def cell_frame(square: VMobject, color, width: float = 3) -> VMobject:
    """An outline around one cell, with its dark edge."""
    frame = Square(side_length=square.width, stroke_color=color, stroke_width=width)
    # A group, not a bare Square: a loose Square on stage means a cell torn out of a grid.
    return VGroup(halo(frame.move_to(square)))


def thinner(mob: VMobject, width: float) -> VMobject:
    """``mob.animate``-able: the outline and its dark edge both made thinner."""
    return mob.animate.set_stroke(width=width).set_stroke(width=width + 3, background=True)


def fit_label_size(texts: Sequence[str], cell: float) -> float:
    """One text size for a whole grid: the widest label fits its cell with a margin."""
    widest = max(texts, key=len, default="")
    size = cell * 0.4
    if widest:
        width = text_width(widest, size)
        if width > cell * 0.8:
            size *= cell * 0.8 / width
    return size


def grid_label_size(texts: Sequence[str], cell: float) -> float:
    """One text size for a grid: the widest label's, unless that is too small to read;
    then the size of the common labels (one long label must not blank a whole grid: the
    long ones are shrunk on their own, or, past legibility, left to their colour)."""
    size = fit_label_size(texts, cell)
    if size < MIN_TEXT_SIZE and texts:
        common = sorted(texts, key=len)[int(0.8 * (len(texts) - 1))]
        size = fit_label_size([common], cell)
    return size


def labels_fit(texts: Sequence[str], cell: float) -> bool:
    """Whether every label of a grid can be written at a legible size."""
    return fit_label_size(texts, cell) >= MIN_TEXT_SIZE


class ValueGrid(VGroup):
    """A matrix drawn as coloured cells with its numbers written in them.

    ``scale`` colours each cell by its value. ``padding`` marks cells of the padded
    border: they show their own values, with a dashed outline, and a solid frame goes
    round the image itself. ``first_row``/``first_col`` number the rows and columns
    (image coordinates, so a padded border is numbered −1, …); None leaves them out.
    ``style`` writes the numbers: the lesson's (:attr:`Lesson.style`, from its script), or
    its exact form for kernel weights.
    """

    def __init__(
        self,
        values: Sequence[Sequence[Number | None]],
        cell: float,
        scale: ColourScale | None,
        *,
        padding: Sequence[Sequence[bool]] | None = None,
        show_labels: bool = True,
        stroke: ManimColor = MUTED,
        first_row: int | None = None,
        first_col: int | None = None,
        style: NumberStyle,
    ) -> None:
        super().__init__()
        self.rows, self.cols = len(values), len(values[0])
        self.cell_size = cell
        self.values = [list(row) for row in values]
        self.cells = VGroup()
        self.labels = VGroup()
        self.marks = VGroup()
        self.indices = VGroup()
        self.label_at: dict[tuple[int, int], Label] = {}
        texts = [["" if v is None else numbers.display(v, style) for v in row] for row in values]
        flat = [t for row in texts for t in row]
        size = grid_label_size(flat, cell)
        self.label_size = size
        self.show_labels = show_labels and size >= MIN_TEXT_SIZE
        for r in range(self.rows):
            for c in range(self.cols):
                v = values[r][c]
                fill = ManimColor(scale.hex(v)) if (scale and v is not None) else BACKGROUND
                sq = Square(side_length=cell, stroke_color=stroke, stroke_width=1.5)
                sq.set_fill(fill, opacity=1.0)
                sq.move_to(np.array([c * cell, -r * cell, 0.0]))
                self.cells.add(sq)
                in_pad = padding is not None and padding[r][c]
                if in_pad:
                    self.marks.add(_padding_mark(sq, cell))
                if self.show_labels and texts[r][c]:
                    ink = ManimColor(scale.ink(v)) if scale and v is not None else INK
                    own = min(size, fit_label_size([texts[r][c]], cell))
                    if own < MIN_TEXT_SIZE:
                        continue  # too long to read here: the colour and the legend tell
                    t = label(texts[r][c], size=own, color=ink).move_to(sq)
                    self.labels.add(t)
                    self.label_at[(r, c)] = t
        self.add(self.cells, self.marks, self.labels)
        if padding is not None and any(any(row) for row in padding):
            self._frame_image(padding)
        if first_col is not None:  # a single row (the 1D signal) numbers its columns only
            self._number(first_row, first_col)
        self.move_to(np.zeros(3))

    def _frame_image(self, padding: Sequence[Sequence[bool]]) -> None:
        inside = [(r, c) for r in range(self.rows) for c in range(self.cols) if not padding[r][c]]
        rows = [r for r, _ in inside]
        cols = [c for _, c in inside]
        self.image_frame = self.outline(min(rows), min(cols), max(rows), max(cols), INK, 3)
        self.image_frame.set_stroke(PADDING_EDGE, 4)
        self.add(self.image_frame)

    def _number(self, first_row: int | None, first_col: int) -> None:
        """Row and column numbers (columns only when ``first_row`` is None), every one of
        them wherever they fit: column numbers too wide for their cells alternate between
        two lines; only past that, on the smallest cells, every 2nd, 5th or 10th."""
        size = max(MIN_TEXT_SIZE, min(0.26, self.cell_size * 0.4))
        gap = 0.12 + size * 0.3
        ends = [first_col, first_col + self.cols - 1]
        if first_row is not None:
            ends += [first_row, first_row + self.rows - 1]
        widest = max(text_width(numbers.text(v, SCREEN), size) for v in ends)
        steps = (1, 2, 5, 10, 20)
        every = next((k for k in steps if k * self.cell_size >= 1.15 * widest), 50)
        staggered = every == 2 and 2 * self.cell_size >= 1.15 * widest
        if staggered:
            every = 1
        every_row = next((k for k in steps if k * self.cell_size >= 1.25 * size), 50)
        for c in range(self.cols):
            if (first_col + c) % every:
                continue
            t = label(numbers.text(first_col + c, SCREEN), size=size, color=MUTED)
            lift = size * 1.05 if staggered and (first_col + c) % 2 else 0.0
            t.next_to(self.cell(0, c), UP, buff=gap + lift)
            self.indices.add(t)
        for r in range(self.rows if first_row is not None else 0):
            if (first_row + r) % every_row:
                continue
            t = label(numbers.text(first_row + r, SCREEN), size=size, color=MUTED)
            t.next_to(self.cell(r, 0), LEFT, buff=gap)
            self.indices.add(t)
        self.add(self.indices)

    def cell(self, r: int, c: int) -> Square:
        return self.cells[r * self.cols + c]

    @property
    def body_width(self) -> float:
        """Width of the cells alone (numbers around the grid not counted)."""
        return self.cols * self.cell_size

    def outline(
        self, top: int, left: int, bottom: int, right: int, color: ManimColor, width: float = 6
    ) -> Rectangle:
        """A rectangle around cells top..bottom × left..right (inclusive)."""
        a, b = self.cell(top, left), self.cell(bottom, right)
        rect = Rectangle(
            width=b.get_right()[0] - a.get_left()[0],
            height=a.get_top()[1] - b.get_bottom()[1],
            stroke_color=color,
            stroke_width=width,
        )
        rect.move_to((a.get_corner(UP + LEFT) + b.get_corner(DOWN + RIGHT)) / 2)
        return halo(rect)

    def taps(self, cells: Sequence[tuple[int, int]], color: ManimColor, width: float = 5) -> VGroup:
        """Outlines of individual cells: the taps of a dilated window."""
        group = VGroup()
        for r, c in cells:
            sq = Square(side_length=self.cell_size * 0.9, stroke_color=color, stroke_width=width)
            sq.move_to(self.cell(r, c))
            group.add(halo(sq))
        return group


def _padding_mark(cell_square: Square, cell: float) -> VGroup:
    """A padding cell's mark: a dashed edge and a light diagonal hatch over its own value."""
    edge = Square(side_length=cell * 0.86, stroke_color=PADDING_EDGE, stroke_width=2.5)
    mark = VGroup(DashedVMobject(edge, num_dashes=8))
    half = cell / 2
    for offset in (-0.5, 0.0, 0.5):  # three short diagonals in the cell's corners and middle
        start = np.array([-half + max(offset, 0) * cell, -half + max(-offset, 0) * cell, 0])
        end = start + np.array([cell - abs(offset) * cell, cell - abs(offset) * cell, 0])
        line = Line(start, end, stroke_color=PADDING_EDGE, stroke_width=1.5, stroke_opacity=0.6)
        mark.add(line)
    return mark.move_to(cell_square)


class EmptyGrid(ValueGrid):
    """A grid whose cells are filled one by one (the product array, the result)."""

    def __init__(
        self, rows: int, cols: int, cell: float, first_row: int | None = None, first_col=None
    ) -> None:
        super().__init__(
            [[None] * cols for _ in range(rows)],
            cell,
            None,
            show_labels=False,
            first_row=first_row,
            first_col=first_col,
            style=SCREEN,
        )


def filled_cell(
    grid: ValueGrid,
    r: int,
    c: int,
    value: Number,
    scale: ColourScale,
    size: float | None,
    style: NumberStyle,
) -> VGroup:
    """A coloured square with its number, covering cell (r, c) of ``grid``; ``size`` from
    :func:`fit_label_size` over every value the grid will hold, so all cells match (None:
    colour only, for grids too small to write in)."""
    sq = Square(side_length=grid.cell_size, stroke_color=MUTED, stroke_width=1.5)
    sq.set_fill(ManimColor(scale.hex(value)), opacity=1.0).move_to(grid.cell(r, c))
    group = VGroup(sq)
    shown = numbers.display(value, style)
    own = min(size, fit_label_size([shown], grid.cell_size)) if size is not None else 0.0
    if own >= MIN_TEXT_SIZE:
        t = label(shown, size=own, color=ManimColor(scale.ink(value))).move_to(sq)
        group.add(t)
    group.text = shown.replace(" ", "")  # type: ignore[attr-defined]
    group.value = value  # type: ignore[attr-defined]  # what the cell shows, for tests
    return group


class Legend(VGroup):
    """A vertical colour bar of the lesson's scale over the range ``low``..``high`` the
    result covers (zero included), with its ends and zero marked."""

    def __init__(
        self,
        scale: ColourScale,
        ticks: Sequence[Number],
        style: NumberStyle,
        height: float = 3.0,
    ) -> None:
        super().__init__()
        low, high = min(0, *ticks), max(0, *ticks)
        span = float(high - low) or 1.0
        steps = 48
        bar = VGroup()
        for k in range(steps):
            value = float(high) - (k + 0.5) / steps * span
            seg = Rectangle(width=0.3, height=height / steps, stroke_width=0)
            seg.set_fill(ManimColor(scale.hex(value)), opacity=1.0)
            seg.move_to(np.array([0.0, height / 2 - (k + 0.5) * height / steps, 0.0]))
            bar.add(seg)
        frame = Rectangle(width=0.3, height=height, stroke_color=MUTED, stroke_width=1.5)
        self.bar = bar
        self.tick_labels = VGroup()
        for v in sorted(set(ticks) | {0}, reverse=True):
            y = height / 2 - float(high - v) / span * height
            # The mark crosses the bar (a short dash beside a number would read as its
            # minus sign); the number stands clear of it.
            mark = halo(Line(np.array([-0.19, y, 0.0]), np.array([0.19, y, 0.0]), color=INK))
            mark.set_stroke(width=2.5)
            t = label(numbers.display(v, style), size=0.22, color=INK)
            t.next_to(np.array([0.15, y, 0.0]), RIGHT, buff=0.2)
            self.tick_labels.add(VGroup(mark, t))
        self.add(bar, frame, self.tick_labels)


def arrow_text(parts: Sequence[str], size: float = 0.34) -> VGroup:
    """Words laid out left to right with even spacing (for x · w = p lines)."""
    group = VGroup(*[label(p, size=size) for p in parts])
    group.arrange(RIGHT, buff=0.25)
    return group


__all__ = [
    "ACCENT",
    "BACKGROUND",
    "FONT",
    "HALO",
    "HIGHLIGHT",
    "halo",
    "cell_frame",
    "thinner",
    "INK",
    "MIN_TEXT_SIZE",
    "MUTED",
    "EmptyGrid",
    "Label",
    "Legend",
    "ValueGrid",
    "arrow_text",
    "caption",
    "filled_cell",
    "fit_label_size",
    "grid_label_size",
    "label",
    "labels_fit",
    "text_width",
]
