"""What a beat puts on stage, as data: the grids it shows, the cells it marks, its formula.

The convolution lesson has outputs made for it (its page, its scenes). Every other lesson
stages its beats through one generic stage that reads only this: a script's grids (named
two-dimensional arrays of exact values, each with its label) and, per beat, a
:class:`Board` naming which grids are shown, which cells are marked and the lines of
formula written beside them. The writer fills these from the same facts its sentences come
from; the outputs draw them and compute nothing.

>>> g = Grid("x", "input x, 2×2", ((1, -1), (0, 2)))
>>> g.shape, g.cell(1, 1)
((2, 2), 2)
>>> b = Board(("x",), (Mark("x", ((0, 0),), "focus"),), ("x[0,0] = 1",))
>>> b.marked("x")
((0, 0),)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from explainer.core.trace import Number

MARK_KINDS = ("focus", "window", "chosen", "result")
"""How a marked cell is drawn: ``focus`` the cell the sentence is about, ``window`` the
cells a window covers, ``chosen`` what pooling picks, ``result`` a value just computed."""


@dataclass(frozen=True)
class Grid:
    """A named two-dimensional array of exact values, as the lesson's facts hold it."""

    key: str
    """Unique within a script (``"input"``, ``"map.0"``, ``"weight.1.2"``)."""
    label: str
    """Short words drawn next to the grid (``"feature map 0, 7×7"``)."""
    values: tuple[tuple[Number, ...], ...]
    details: tuple[tuple[str, ...], ...] | None = None
    """Optional, one short line per cell (same shape as ``values``, ``""`` for none) that
    an output shows when the cell is hovered or focused: how the value is made (a feature
    map's per-channel sums, ``"0: 9 · 1: −2 → 7; + b −1 = 6"``), worded by the writer."""

    def __post_init__(self) -> None:
        if not self.values or len({len(row) for row in self.values}) != 1 or not self.values[0]:
            raise ValueError(f"grid {self.key!r} is not a non-empty rectangle")
        if self.details is not None and tuple(len(r) for r in self.details) != tuple(
            len(r) for r in self.values
        ):
            raise ValueError(f"grid {self.key!r} has details of another shape than its values")

    @classmethod
    def of(cls, key: str, label: str, array, details=None) -> Grid:
        """A grid from a 2D array of exact values (numpy object array, ints, Fractions)."""
        a = np.asarray(array, dtype=object)
        if a.ndim != 2:
            raise ValueError(f"grid {key!r} needs a 2D array, got shape {a.shape}")
        rows = None if details is None else tuple(tuple(str(t) for t in r) for r in details)
        return cls(key, label, tuple(tuple(v for v in row) for row in a.tolist()), rows)

    def detail(self, row: int, col: int) -> str:
        """The cell's detail line, ``""`` when the writer gave none."""
        return "" if self.details is None else self.details[row][col]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.values), len(self.values[0])

    def cell(self, row: int, col: int) -> Number:
        return self.values[row][col]


@dataclass(frozen=True)
class Mark:
    """Cells of one grid drawn differently while the beat is spoken."""

    grid: str
    cells: tuple[tuple[int, int], ...]
    kind: str = "focus"

    def __post_init__(self) -> None:
        if self.kind not in MARK_KINDS:
            raise ValueError(f"mark kind {self.kind!r} is not one of {MARK_KINDS}")


@dataclass(frozen=True)
class Board:
    """What is on stage during one beat."""

    grids: tuple[str, ...]
    """Keys of the grids shown, in reading order."""
    marks: tuple[Mark, ...] = ()
    formula: tuple[str, ...] = ()
    """Lines written beside the grids, plain text with Unicode symbols (``Σ``, ``·``,
    ``−``), worded by the writer from the facts."""

    def marked(self, grid: str, kind: str | None = None) -> tuple[tuple[int, int], ...]:
        """Every marked cell of ``grid`` (of one ``kind``, when given), in order."""
        out: list[tuple[int, int]] = []
        for m in self.marks:
            if m.grid == grid and (kind is None or m.kind == kind):
                out.extend(m.cells)
        return tuple(out)


def check_boards(grids: Mapping[str, Grid], boards: Iterable[tuple[str, Board | None]]) -> None:
    """Every grid a board names exists and every marked cell lies inside it: a board that
    points at nothing is a writer's bug, caught when the script is built."""
    for key, board in boards:
        if board is None:
            continue
        for name in board.grids:
            if name not in grids:
                raise ValueError(f"beat {key!r} shows grid {name!r}, which the script lacks")
        for mark in board.marks:
            if mark.grid not in board.grids:
                raise ValueError(f"beat {key!r} marks grid {mark.grid!r}, which it does not show")
            rows, cols = grids[mark.grid].shape
            for r, c in mark.cells:
                if not (0 <= r < rows and 0 <= c < cols):
                    raise ValueError(f"beat {key!r} marks ({r}, {c}) outside {mark.grid!r}")
