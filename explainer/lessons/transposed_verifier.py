"""Checks every claim of the transposed lesson, by plain loops of its own.

The problem is read by its raw fields only (``input``, ``kernel``, ``stride``,
``padding``, ``output_padding``, ``dilation``) as exact numbers: the stamps are laid here,
the zero-insertion view and the dense matrix of the convolution are built here. Nothing of
the engine, the sympy proof, the facts or the writer is used; the report helpers are those
of :mod:`explainer.lessons.grid_checks`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from explainer.lessons.backward_claims import (
    Checkerboard,
    GridShape,
    GridValues,
    MatrixShape,
    OutputSize,
    Stamp,
    StampSum,
    ViewEqual,
    ZeroInsertion,
)
from explainer.lessons.claims import Claim
from explainer.lessons.grid_checks import (
    Grid,
    Number,
    exact_grid,
    frozen,
    grid_shape,
    grid_values,
    need,
    tidy,
    verify_claims_with,
    zeros,
)
from explainer.lessons.verifier import ClaimReport

# ----- the transposed problem, recomputed -------------------------------------------------


class _Transposed:
    def __init__(self, p: Any) -> None:
        self.a, self.k = exact_grid(p.input), exact_grid(p.kernel)
        self.s, self.d = tuple(p.stride), tuple(p.dilation)
        self.pad, self.extra = tuple(p.padding), tuple(p.output_padding)
        self.h, self.wd = len(self.a), len(self.a[0])
        self.kh, self.kw = len(self.k), len(self.k[0])
        self.size = tuple(self.out_size(axis) for axis in (0, 1))
        self.out = self.scatter()
        self.rotated = [row[::-1] for row in self.k[::-1]]
        self.spread = self.spread_input()

    def out_size(self, axis: int) -> int:
        n = (self.h, self.wd)[axis]
        k = (self.kh, self.kw)[axis]
        pads = self.pad[2 * axis] + self.pad[2 * axis + 1]
        return (n - 1) * self.s[axis] - pads + self.d[axis] * (k - 1) + self.extra[axis] + 1

    def target(self, i: int, j: int, m: int, n: int) -> tuple[int, int] | None:
        r = self.s[0] * i + self.d[0] * m - self.pad[0]
        q = self.s[1] * j + self.d[1] * n - self.pad[2]
        return (r, q) if 0 <= r < self.size[0] and 0 <= q < self.size[1] else None

    def scatter(self) -> Grid:
        out = zeros(*self.size)
        for i in range(self.h):
            for j in range(self.wd):
                for m in range(self.kh):
                    for n in range(self.kw):
                        at = self.target(i, j, m, n)
                        if at is not None:
                            out[at[0]][at[1]] += self.a[i][j] * self.k[m][n]
        return [[tidy(v) for v in row] for row in out]

    def overlap(self) -> list[list[int]]:
        out = [[0] * self.size[1] for _ in range(self.size[0])]
        for i in range(self.h):
            for j in range(self.wd):
                for m in range(self.kh):
                    for n in range(self.kw):
                        at = self.target(i, j, m, n)
                        if at is not None:
                            out[at[0]][at[1]] += 1
        return out

    def pads(self, axis: int) -> tuple[int, int]:
        k = (self.kh, self.kw)[axis]
        reach = self.d[axis] * (k - 1)
        return reach - self.pad[2 * axis], reach - self.pad[2 * axis + 1] + self.extra[axis]

    def spread_input(self) -> Grid:
        (sr, sc) = self.s
        rows = [
            [self.a[r // sr][q // sc] if r % sr == 0 and q % sc == 0 else 0
             for q in range((self.wd - 1) * sc + 1)]
            for r in range((self.h - 1) * sr + 1)
        ]  # fmt: skip
        (top, bottom), (left, right) = self.pads(0), self.pads(1)
        height, width = len(rows) + top + bottom, len(rows[0]) + left + right
        return [
            [
                rows[r - top][q - left]
                if 0 <= r - top < len(rows) and 0 <= q - left < len(rows[0])
                else 0
                for q in range(width)
            ]
            for r in range(height)
        ]

    def zero_insertion(self) -> Grid:
        out = zeros(*self.size)
        for r in range(self.size[0]):
            for q in range(self.size[1]):
                total: Number = 0
                for m in range(self.kh):
                    for n in range(self.kw):
                        total += (
                            self.spread[r + self.d[0] * m][q + self.d[1] * n] * self.rotated[m][n]
                        )
                out[r][q] = tidy(total)
        return out

    def matrix(self) -> list[list[Number]]:
        """M: the convolution of an output-shaped grid, one row per input pixel it
        reaches (rows beyond the input's shape dropped), one column per output pixel."""
        rows = []
        for i in range(self.h):
            for j in range(self.wd):
                row: list[Number] = [0] * (self.size[0] * self.size[1])
                for m in range(self.kh):
                    for n in range(self.kw):
                        at = self.target(i, j, m, n)
                        if at is not None:
                            row[at[0] * self.size[1] + at[1]] += self.k[m][n]
                rows.append(row)
        return rows

    def by_matrix(self) -> Grid:
        flat = [v for row in self.a for v in row]
        m = self.matrix()
        values = [sum(m[p][c] * flat[p] for p in range(len(flat))) for c in range(len(m[0]))]
        w = self.size[1]
        return [[tidy(values[r * w + q]) for q in range(w)] for r in range(self.size[0])]

    def grids(self) -> dict[str, Grid]:
        return {
            "input": self.a,
            "kernel": self.k,
            "output": self.out,
            "overlap": self.overlap(),
            "spread": self.spread,
            "rotated": self.rotated,
        }


def _t_shape(t: _Transposed, c: GridShape) -> None:
    grid_shape("transposed", t.grids(), c)


def _t_values(t: _Transposed, c: GridValues) -> None:
    grid_values("transposed", t.grids(), c)


def _t_size(t: _Transposed, c: OutputSize) -> None:
    a = c.axis
    found = (
        (t.h, t.wd)[a],
        (t.kh, t.kw)[a],
        t.s[a],
        t.pad[2 * a] + t.pad[2 * a + 1],
        t.d[a],
        t.extra[a],
        t.size[a],
    )
    given = (c.n_in, c.k, c.stride, c.padding, c.dilation, c.output_padding, c.n_out)
    need(found == given, f"it is {found}")


def _t_stamp(t: _Transposed, c: Stamp) -> None:
    i, j = c.at
    need(0 <= i < t.h and 0 <= j < t.wd, f"the input has no pixel {c.at}")
    canvas = zeros(*t.size)
    for m in range(t.kh):
        for n in range(t.kw):
            at = t.target(i, j, m, n)
            if at is not None:
                canvas[at[0]][at[1]] += t.a[i][j] * t.k[m][n]
    need(t.a[i][j] == c.scale, f"the input there is {t.a[i][j]}")
    corner = (t.s[0] * i - t.pad[0], t.s[1] * j - t.pad[2])
    need(corner == tuple(c.corner), f"its top-left tap lands on {corner}")
    need(frozen(canvas) == tuple(c.values), f"the stamp is {frozen(canvas)}")


def _t_stamp_sum(t: _Transposed, c: StampSum) -> None:
    parts = []
    for i in range(t.h):
        for j in range(t.wd):
            for m in range(t.kh):
                for n in range(t.kw):
                    if t.target(i, j, m, n) == tuple(c.at):
                        parts.append((i, j, m, n, t.a[i][j], t.k[m][n]))
    need(tuple(parts) == tuple(c.parts), f"the stamps on {c.at} are {tuple(parts)}")
    r, q = c.at
    need(t.out[r][q] == c.total, f"the output there is {t.out[r][q]}")


def _t_checker(t: _Transposed, c: Checkerboard) -> None:
    a = c.axis
    n, k, s, d = (t.h, t.wd)[a], (t.kh, t.kw)[a], t.s[a], t.d[a]
    before = t.pad[2 * a]
    counts = [0] * t.size[a]
    for i in range(n):
        for m in range(k):
            r = s * i + d * m - before
            if 0 <= r < t.size[a]:
                counts[r] += 1
    lo, hi = max(d * (k - 1) - before, 0), min(s * (n - 1) - before, t.size[a] - 1)
    inside = tuple(sorted({counts[r] for r in range(lo, hi + 1)}))
    found = (k, s, d, k % s == 0, inside, len(inside) > 1)
    given = (c.k, c.stride, c.dilation, c.multiple, tuple(c.counts), c.uneven)
    need(found == given, f"it is {found}")


def _t_zeros(t: _Transposed, c: ZeroInsertion) -> None:
    before, after = t.pads(c.axis)
    found = (t.s[c.axis] - 1, before, after)
    need(found == (c.zeros, c.before, c.after), f"zeros, before, after are {found}")


def _t_view(t: _Transposed, c: ViewEqual) -> None:
    found = {"scatter": t.scatter, "zero-insertion": t.zero_insertion, "matrix": t.by_matrix}
    values = frozen(found[c.view]())
    need(values == tuple(c.values), f"the {c.view} view gives {values}")


def _t_matrix(t: _Transposed, c: MatrixShape) -> None:
    m = t.matrix()
    nonzero = sum(v != 0 for row in m for v in row)
    found = (len(m), len(m[0]), nonzero)
    need(found == (c.rows, c.columns, c.nonzero), f"rows, columns, nonzero are {found}")


_TRANSPOSED: dict[type[Claim], Callable[[Any, Any], None]] = {
    GridShape: _t_shape,
    GridValues: _t_values,
    OutputSize: _t_size,
    Stamp: _t_stamp,
    StampSum: _t_stamp_sum,
    Checkerboard: _t_checker,
    ZeroInsertion: _t_zeros,
    ViewEqual: _t_view,
    MatrixShape: _t_matrix,
}


def verify_transposed_beats(
    problem: Any, beats: Iterable[tuple[str | None, Iterable[Claim]]]
) -> ClaimReport:
    """Verify every beat's claims (``(key, claims)`` pairs) against a transposed problem."""
    return verify_claims_with(problem, beats, _Transposed, _TRANSPOSED, "transposed")


def verify_transposed_claims(problem: Any, claims: Iterable[Claim]) -> ClaimReport:
    return verify_transposed_beats(problem, [(None, claims)])
