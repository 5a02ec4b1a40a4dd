"""Reusable mobjects of the lecture: grids of numbers, window markers, a colour legend.

Components draw numbers they are given (from the trace); they never compute one. Colour is
a function of a value, which is presentation, not arithmetic.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    WHITE,
    ManimColor,
    Rectangle,
    Square,
    Text,
    VGroup,
    VMobject,
    interpolate_color,
)

from explainer.trace import Number

FONT = "DejaVu Sans"
BACKGROUND = ManimColor("#1d2330")
INK = ManimColor("#e8e8e8")
MUTED = ManimColor("#9aa5b8")
ACCENT = ManimColor("#ffc857")  # the filter, and whatever the filter is over
MATCH = ManimColor("#58d68d")  # perfect matches
PARTIAL = ManimColor("#f39c6b")
PADDING_FILL = ManimColor("#3a4a66")
POSITIVE = ManimColor("#d7191c")
NEGATIVE = ManimColor("#2c7bb6")
NEUTRAL = ManimColor("#f4f4f4")
PRODUCT_POS = ManimColor("#2e8b57")
PRODUCT_NEG = ManimColor("#c0392b")
PRODUCT_ZERO = ManimColor("#5d6778")


def show_number(v: Number) -> str:
    """A value as printed on screen: exact fractions, a true minus sign."""
    if isinstance(v, Fraction):
        text = str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    elif isinstance(v, float):
        text = f"{v:.3g}"
    else:
        text = str(v)
    return text.replace("-", "−")


def show_factor(v: Number) -> str:
    """A factor in a product: negative numbers and fractions in parentheses."""
    text = show_number(v)
    needs = text.startswith("−") or "/" in text
    return f"({text})" if needs else text


class Label(VMobject):
    """Text flattened into one path: a single mobject instead of one per glyph.

    Grids hold hundreds of labels and manim copies a mobject's whole family whenever it
    animates it; one path per label keeps copying and drawing cheap. ``text`` is the
    string shown (spaces removed, as manim's own ``Text.text``).
    """

    def __init__(self, source: Text, text: str) -> None:
        super().__init__(fill_color=source.fill_color, fill_opacity=1.0, stroke_width=0)
        for glyph in source.family_members_with_points():
            self.append_points(glyph.points)
        self.text = text.replace(" ", "")


def label(
    text: str,
    size: float = 0.32,
    color: ManimColor = INK,
    weight: str = "NORMAL",
) -> Label:
    """Text of font size ``size`` × 100 (legible at 480p from about 0.2).

    Grids repeat a few strings many times; laying out text with Pango costs about ten
    times as much as copying a finished one, so each distinct label is made once.
    """
    if len(text) > 12 or "\n" in text:  # captions and headings are unique: nothing to reuse
        return _make_label(text, size, ManimColor(color).to_hex(), weight)
    return _label_prototype(text, round(size, 4), ManimColor(color).to_hex(), weight).copy()


def _make_label(text: str, size: float, color: str, weight: str, **kwargs) -> Label:
    source = Text(text, font=FONT, color=color, weight=weight, font_size=size * 100, **kwargs)
    return Label(source, text)


@functools.lru_cache(maxsize=4096)
def _label_prototype(text: str, size: float, color: str, weight: str) -> Label:
    return _make_label(text, size, color, weight)


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


def caption(text: str, width: float = 12.5, size: float = 0.3) -> Label:
    """A narration caption: one line, or two balanced lines when one would not fit."""
    if text_width(text, size) <= width:
        return label(text, size=size, color=INK)
    words = text.split(" ")
    half = len(text) / 2
    best = min(range(1, len(words)), key=lambda k: abs(len(" ".join(words[:k])) - half), default=1)
    two = " ".join(words[:best]) + "\n" + " ".join(words[best:])
    mob = _make_label(two, size, INK.to_hex(), "NORMAL", line_spacing=0.8)
    if mob.width > width:
        mob.scale_to_fit_width(width)
    return mob


def count_words(n: int, one: str, many: str) -> str:
    """'one pixel', 'four pixels', '12 pixels': small counts read better as words."""
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    number = words[n] if 0 <= n < len(words) else str(n)
    return f"{number} {one if n == 1 else many}"


def gray_scale(vmin: float, vmax: float) -> Callable[[Number], ManimColor]:
    """Low values black, high values white: how the lecture draws its ±1 image."""
    span = (vmax - vmin) or 1.0

    def colour(v: Number) -> ManimColor:
        t = (float(v) - vmin) / span
        return interpolate_color(ManimColor("#000000"), ManimColor("#ffffff"), min(max(t, 0), 1))

    return colour


def diverging(vmax: float) -> Callable[[Number], ManimColor]:
    """Negative blue, zero near white, positive red, symmetric around zero."""
    vmax = vmax or 1.0

    def colour(v: Number) -> ManimColor:
        t = max(min(float(v) / vmax, 1.0), -1.0)
        if t >= 0:
            return interpolate_color(NEUTRAL, POSITIVE, t)
        return interpolate_color(NEUTRAL, NEGATIVE, -t)

    return colour


def product_colour(v: Number) -> ManimColor:
    """Products by sign: agreeing pixels green, disagreeing red."""
    if v > 0:
        return PRODUCT_POS
    if v < 0:
        return PRODUCT_NEG
    return PRODUCT_ZERO


def ink_for(fill: ManimColor) -> ManimColor:
    """Black text on light cells, white on dark ones."""
    r, g, b = fill.to_rgb()
    return ManimColor("#111111") if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else WHITE


class ValueGrid(VGroup):
    """A matrix drawn as coloured cells with its numbers written in them.

    ``values`` are shown as given (formatted with :func:`show_number`); ``padding`` marks
    cells that belong to the padded border, drawn in their own colour so the border reads
    as added zeros, not image.
    """

    def __init__(
        self,
        values: Sequence[Sequence[Number | None]],
        cell: float,
        colour: Callable[[Number], ManimColor],
        *,
        padding: Sequence[Sequence[bool]] | None = None,
        show_labels: bool = True,
        stroke: ManimColor = MUTED,
    ) -> None:
        super().__init__()
        self.rows, self.cols = len(values), len(values[0])
        self.cell_size = cell
        self.values = [list(row) for row in values]
        self.cells = VGroup()
        self.labels = VGroup()
        self.label_at: dict[tuple[int, int], Text] = {}
        texts = [[show_number(v) if v is not None else "" for v in row] for row in values]
        size = fit_label_size([t for row in texts for t in row], cell)
        self.label_size = size
        for r in range(self.rows):
            for c in range(self.cols):
                v = values[r][c]
                in_pad = padding is not None and padding[r][c]
                fill = PADDING_FILL if in_pad else (colour(v) if v is not None else BACKGROUND)
                sq = Square(side_length=cell, stroke_color=stroke, stroke_width=1.5)
                sq.set_fill(fill, opacity=1.0)
                sq.move_to(np.array([c * cell, -r * cell, 0.0]))
                self.cells.add(sq)
                if show_labels and texts[r][c]:
                    t = label(texts[r][c], size=size, color=ink_for(fill)).move_to(sq)
                    self.labels.add(t)
                    self.label_at[(r, c)] = t
        self.add(self.cells, self.labels)
        self.move_to(np.zeros(3))

    def cell(self, r: int, c: int) -> Square:
        return self.cells[r * self.cols + c]

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
        return rect

    def taps(self, cells: Sequence[tuple[int, int]], color: ManimColor, width: float = 5) -> VGroup:
        """Outlines of individual cells: the taps of a dilated window."""
        group = VGroup()
        for r, c in cells:
            sq = Square(side_length=self.cell_size * 0.9, stroke_color=color, stroke_width=width)
            sq.move_to(self.cell(r, c))
            group.add(sq)
        return group


class EmptyGrid(ValueGrid):
    """A grid whose cells are filled one by one (the temporary product array)."""

    def __init__(self, rows: int, cols: int, cell: float) -> None:
        super().__init__(
            [[None] * cols for _ in range(rows)], cell, lambda v: BACKGROUND, show_labels=False
        )


def fit_label_size(texts: Sequence[str], cell: float) -> float:
    """One text size for a whole grid: the widest label fits its cell with a margin."""
    widest = max(texts, key=len, default="")
    size = cell * 0.36
    if widest:
        width = label(widest, size=size).width
        if width > cell * 0.8:
            size *= cell * 0.8 / width
    return size


def filled_cell(
    grid: ValueGrid,
    r: int,
    c: int,
    value: Number,
    colour: Callable[[Number], ManimColor],
    size: float,
) -> VGroup:
    """A coloured square with its number, covering cell (r, c) of ``grid``; ``size`` from
    :func:`fit_label_size` over every value the grid will hold, so all cells match."""
    fill = colour(value)
    sq = Square(side_length=grid.cell_size, stroke_color=MUTED, stroke_width=1.5)
    sq.set_fill(fill, opacity=1.0).move_to(grid.cell(r, c))
    t = label(show_number(value), size=size, color=ink_for(fill)).move_to(sq)
    group = VGroup(sq, t)
    group.text = t.text  # type: ignore[attr-defined]
    return group


class Legend(VGroup):
    """A vertical colour bar for the result map, with its extreme values and zero."""

    def __init__(
        self,
        vmax: Number,
        colour: Callable[[Number], ManimColor],
        height: float = 3.0,
        ticks: Sequence[Number] = (),
    ) -> None:
        super().__init__()
        steps = 40
        bar = VGroup()
        for k in range(steps):
            t = 1 - 2 * (k + 0.5) / steps
            seg = Rectangle(width=0.3, height=height / steps, stroke_width=0)
            seg.set_fill(colour(t * float(vmax)), opacity=1.0)
            seg.move_to(np.array([0.0, height / 2 - (k + 0.5) * height / steps, 0.0]))
            bar.add(seg)
        frame = Rectangle(width=0.3, height=height, stroke_color=MUTED, stroke_width=1.5)
        self.bar = bar
        self.tick_labels = VGroup()
        for v in ticks:
            y = height / 2 * float(v) / float(vmax or 1)
            t = label(show_number(v), size=0.22, color=INK)
            t.next_to(np.array([0.15, y, 0.0]), RIGHT, buff=0.12)
            self.tick_labels.add(t)
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
    "INK",
    "MATCH",
    "MUTED",
    "PARTIAL",
    "EmptyGrid",
    "Legend",
    "ValueGrid",
    "arrow_text",
    "caption",
    "diverging",
    "filled_cell",
    "gray_scale",
    "ink_for",
    "count_words",
    "fit_label_size",
    "label",
    "product_colour",
    "show_factor",
    "show_number",
]
