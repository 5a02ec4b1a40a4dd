"""Checks every claim of the backward and transposed lessons, by plain loops of its own.

The problem is read by its raw fields only (``image``, ``weight``, ``target``,
``learning_rate``, ``stride``, ``padding``, ``dilation``; ``input``, ``kernel``,
``output_padding``) as exact numbers. Nothing of the engine, the sympy proof, the facts or
the writers is used: the gradients are found here as exact central differences of a loss
computed here (exact, the loss being quadratic in every weight and pixel), the transposed
convolution by stamps laid here, its zero-insertion and matrix views built here.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from explainer.lessons.backward_claims import (
    Checkerboard,
    CorrelationOfError,
    GridShape,
    GridValues,
    LossChange,
    LossValue,
    MatrixShape,
    OutputSize,
    PixelError,
    PixelsCloser,
    Stamp,
    StampSum,
    TargetMap,
    TransposedGradient,
    ViewEqual,
    WeightStep,
    WeightTerms,
    ZeroInsertion,
)
from explainer.lessons.claims import Claim
from explainer.lessons.verifier import ClaimReport, ClaimResult

Number = int | Fraction
Grid = list[list[Number]]
EPSILON = Fraction(1, 7)


def _tidy(v: Number) -> Number:
    v = Fraction(v)
    return v.numerator if v.denominator == 1 else v


def _grid(rows: Any) -> Grid:
    return [[_tidy(v) for v in row] for row in rows]


def _frozen(grid: Grid) -> tuple[tuple[Number, ...], ...]:
    return tuple(tuple(_tidy(v) for v in row) for row in grid)


def _zeros(h: int, w: int) -> Grid:
    return [[0] * w for _ in range(h)]


class _Fails(Exception):
    pass


def _need(condition: bool, reason: str) -> None:
    if not condition:
        raise _Fails(reason)


# ----- the backward problem, recomputed ---------------------------------------------------


class _Backward:
    def __init__(self, p: Any) -> None:
        self.x, self.w, self.t = _grid(p.image), _grid(p.weight), _grid(p.target)
        self.rate = Fraction(p.learning_rate)
        self.s, self.d, self.pad = tuple(p.stride), tuple(p.dilation), tuple(p.padding)
        self.h, self.wd = len(self.x), len(self.x[0])
        self.kh, self.kw = len(self.w), len(self.w[0])
        top, bottom, left, right = self.pad
        self.oh = (self.h + top + bottom - self.d[0] * (self.kh - 1) - 1) // self.s[0] + 1
        self.ow = (self.wd + left + right - self.d[1] * (self.kw - 1) - 1) // self.s[1] + 1
        self.y = self.conv(self.x, self.w)
        self.e = self.minus(self.y, self.t)
        self.loss = self.loss_of(self.x, self.w)
        self.gw = [[self.slope("w", m, n) for n in range(self.kw)] for m in range(self.kh)]
        self.gx = [[self.slope("x", r, q) for q in range(self.wd)] for r in range(self.h)]
        self.w2 = [
            [_tidy(self.w[m][n] - self.rate * self.gw[m][n]) for n in range(self.kw)]
            for m in range(self.kh)
        ]
        self.y2 = self.conv(self.x, self.w2)
        self.e2 = self.minus(self.y2, self.t)
        self.loss2 = self.loss_of(self.x, self.w2)

    def source(self, i: int, j: int, m: int, n: int) -> tuple[int, int] | None:
        r = self.s[0] * i + self.d[0] * m - self.pad[0]
        q = self.s[1] * j + self.d[1] * n - self.pad[2]
        return (r, q) if 0 <= r < self.h and 0 <= q < self.wd else None

    def conv(self, x: Grid, w: Grid) -> Grid:
        out = _zeros(self.oh, self.ow)
        for i in range(self.oh):
            for j in range(self.ow):
                total: Number = 0
                for m in range(self.kh):
                    for n in range(self.kw):
                        at = self.source(i, j, m, n)
                        if at is not None:
                            total += x[at[0]][at[1]] * w[m][n]
                out[i][j] = _tidy(total)
        return out

    def minus(self, a: Grid, b: Grid) -> Grid:
        return [
            [_tidy(u - v) for u, v in zip(ra, rb, strict=True)] for ra, rb in zip(a, b, strict=True)
        ]

    def loss_of(self, x: Grid, w: Grid) -> Number:
        errors = self.minus(self.conv(x, w), self.t)
        return _tidy(Fraction(sum(v * v for row in errors for v in row), 2))

    def slope(self, what: str, a: int, b: int) -> Number:
        """(L(v + ε) − L(v − ε)) / 2ε: exact for a loss quadratic in v."""
        losses = []
        for sign in (1, -1):
            x = [row[:] for row in self.x]
            w = [row[:] for row in self.w]
            (w if what == "w" else x)[a][b] += sign * EPSILON
            losses.append(self.loss_of(x, w))
        return _tidy((losses[0] - losses[1]) / (2 * EPSILON))

    def stamps(self) -> Grid:
        """Every error pixel's stamp (its error times the filter), added on the image."""
        out = _zeros(self.h, self.wd)
        for i in range(self.oh):
            for j in range(self.ow):
                for m in range(self.kh):
                    for n in range(self.kw):
                        at = self.source(i, j, m, n)
                        if at is not None:
                            out[at[0]][at[1]] += self.e[i][j] * self.w[m][n]
        return [[_tidy(v) for v in row] for row in out]

    def grids(self) -> dict[str, Grid]:
        return {
            "image": self.x,
            "filter": self.w,
            "target": self.t,
            "map": self.y,
            "error": self.e,
            "weight-gradient": self.gw,
            "filter-after": self.w2,
            "map-after": self.y2,
            "error-after": self.e2,
            "image-gradient": self.gx,
        }


def _b_shape(b: _Backward, c: GridShape) -> None:
    grid = b.grids().get(c.of)
    _need(grid is not None, f"the backward lesson has no grid {c.of!r}")
    found = (len(grid), len(grid[0]))
    _need(found == tuple(c.shape), f"the {c.of} is {found[0]}×{found[1]}")


def _b_values(b: _Backward, c: GridValues) -> None:
    grid = b.grids().get(c.of)
    _need(grid is not None, f"the backward lesson has no grid {c.of!r}")
    _need(_frozen(grid) == tuple(c.values), f"the {c.of} holds {_frozen(grid)}")


def _b_target(b: _Backward, c: TargetMap) -> None:
    f = _grid(c.filter)
    _need((len(f), len(f[0])) == (b.kh, b.kw), "the filter named has another shape")
    _need(b.conv(b.x, f) == b.t, "the target is not the map that filter makes")


def _b_pixel(b: _Backward, c: PixelError) -> None:
    i, j = c.at
    _need(0 <= i < b.oh and 0 <= j < b.ow, f"the map has no pixel {c.at}")
    found = (b.y[i][j], b.t[i][j], b.e[i][j])
    _need(found == (c.value, c.target, c.error), f"map, target and error are {found}")


def _b_loss(b: _Backward, c: LossValue) -> None:
    errors = b.e if c.stage == "before" else b.e2
    squares = _tidy(sum(v * v for row in errors for v in row))
    loss = b.loss if c.stage == "before" else b.loss2
    _need((squares, loss) == (c.squares, c.value), f"squares {squares}, loss {loss}")


def _b_terms(b: _Backward, c: WeightTerms) -> None:
    m, n = c.weight
    _need(0 <= m < b.kh and 0 <= n < b.kw, f"the filter has no weight {c.weight}")
    terms = []
    for i in range(b.oh):
        for j in range(b.ow):
            at = b.source(i, j, m, n)
            if at is not None:
                terms.append((i, j, at[0], at[1], b.e[i][j], b.x[at[0]][at[1]]))
    _need(tuple(terms) == tuple(c.terms), f"the terms are {tuple(terms)}")
    _need(b.gw[m][n] == c.total, f"∂L/∂w{c.weight} is {b.gw[m][n]}")
    _need(_tidy(sum(e * x for *_, e, x in terms)) == c.total, "the terms do not add up to it")


def _b_correlation(b: _Backward, c: CorrelationOfError) -> None:
    _need((tuple(c.stride), tuple(c.dilation)) == (b.s, b.d), f"stride {b.s}, dilation {b.d}")
    for m in range(b.kh):
        for n in range(b.kw):
            total: Number = 0
            for i in range(b.oh):
                for j in range(b.ow):
                    at = b.source(i, j, m, n)
                    if at is not None:
                        total += b.e[i][j] * b.x[at[0]][at[1]]
            _need(_tidy(total) == b.gw[m][n], f"at ({m}, {n}) the correlation is {total}")


def _b_step(b: _Backward, c: WeightStep) -> None:
    m, n = c.weight
    found = (b.rate, b.w[m][n], b.gw[m][n], b.w2[m][n])
    _need(
        found == (c.rate, c.before, c.gradient, c.after), f"rate, before, gradient, after {found}"
    )
    _need(c.after == _tidy(c.before - Fraction(c.rate) * c.gradient), "after ≠ before − rate·g")


def _b_change(b: _Backward, c: LossChange) -> None:
    way = "falls" if b.loss2 < b.loss else "rises" if b.loss2 > b.loss else "stays"
    found = (b.loss, b.loss2, way)
    _need(found == (c.before, c.after, c.direction), f"the loss goes {found}")


def _b_closer(b: _Backward, c: PixelsCloser) -> None:
    pairs = [
        (abs(u), abs(v))
        for ru, rv in zip(b.e, b.e2, strict=True)
        for u, v in zip(ru, rv, strict=True)
    ]
    found = (sum(v < u for u, v in pairs), sum(v > u for u, v in pairs), len(pairs))
    _need(found == (c.closer, c.farther, c.total), f"closer, farther, total are {found}")


def _b_transposed(b: _Backward, c: TransposedGradient) -> None:
    _need(b.stamps() == b.gx, "the stamps of the error map do not add up to ∂L/∂x")


def _b_stamp(b: _Backward, c: Stamp) -> None:
    i, j = c.at
    _need(0 <= i < b.oh and 0 <= j < b.ow, f"the error map has no pixel {c.at}")
    canvas = _zeros(b.h, b.wd)
    for m in range(b.kh):
        for n in range(b.kw):
            at = b.source(i, j, m, n)
            if at is not None:
                canvas[at[0]][at[1]] += b.e[i][j] * b.w[m][n]
    _need(b.e[i][j] == c.scale, f"the error there is {b.e[i][j]}")
    _need(_frozen(canvas) == tuple(c.values), f"the stamp is {_frozen(canvas)}")


def _b_stamp_sum(b: _Backward, c: StampSum) -> None:
    r, q = c.at
    parts = []
    for i in range(b.oh):
        for j in range(b.ow):
            for m in range(b.kh):
                for n in range(b.kw):
                    if b.source(i, j, m, n) == (r, q):
                        parts.append((i, j, m, n, b.e[i][j], b.w[m][n]))
    _need(tuple(parts) == tuple(c.parts), f"the stamps on {c.at} are {tuple(parts)}")
    _need(b.gx[r][q] == c.total, f"∂L/∂x{c.at} is {b.gx[r][q]}")


_BACKWARD: dict[type[Claim], Callable[[Any, Any], None]] = {
    GridShape: _b_shape,
    GridValues: _b_values,
    TargetMap: _b_target,
    PixelError: _b_pixel,
    LossValue: _b_loss,
    WeightTerms: _b_terms,
    CorrelationOfError: _b_correlation,
    WeightStep: _b_step,
    LossChange: _b_change,
    PixelsCloser: _b_closer,
    TransposedGradient: _b_transposed,
    Stamp: _b_stamp,
    StampSum: _b_stamp_sum,
}


# ----- the transposed problem, recomputed -------------------------------------------------


class _Transposed:
    def __init__(self, p: Any) -> None:
        self.a, self.k = _grid(p.input), _grid(p.kernel)
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
        out = _zeros(*self.size)
        for i in range(self.h):
            for j in range(self.wd):
                for m in range(self.kh):
                    for n in range(self.kw):
                        at = self.target(i, j, m, n)
                        if at is not None:
                            out[at[0]][at[1]] += self.a[i][j] * self.k[m][n]
        return [[_tidy(v) for v in row] for row in out]

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
        out = _zeros(*self.size)
        for r in range(self.size[0]):
            for q in range(self.size[1]):
                total: Number = 0
                for m in range(self.kh):
                    for n in range(self.kw):
                        total += (
                            self.spread[r + self.d[0] * m][q + self.d[1] * n] * self.rotated[m][n]
                        )
                out[r][q] = _tidy(total)
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
        return [[_tidy(values[r * w + q]) for q in range(w)] for r in range(self.size[0])]

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
    grid = t.grids().get(c.of)
    _need(grid is not None, f"the transposed lesson has no grid {c.of!r}")
    found = (len(grid), len(grid[0]))
    _need(found == tuple(c.shape), f"the {c.of} is {found[0]}×{found[1]}")


def _t_values(t: _Transposed, c: GridValues) -> None:
    grid = t.grids().get(c.of)
    _need(grid is not None, f"the transposed lesson has no grid {c.of!r}")
    _need(_frozen(grid) == tuple(c.values), f"the {c.of} holds {_frozen(grid)}")


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
    _need(found == given, f"it is {found}")


def _t_stamp(t: _Transposed, c: Stamp) -> None:
    i, j = c.at
    _need(0 <= i < t.h and 0 <= j < t.wd, f"the input has no pixel {c.at}")
    canvas = _zeros(*t.size)
    for m in range(t.kh):
        for n in range(t.kw):
            at = t.target(i, j, m, n)
            if at is not None:
                canvas[at[0]][at[1]] += t.a[i][j] * t.k[m][n]
    _need(t.a[i][j] == c.scale, f"the input there is {t.a[i][j]}")
    _need(_frozen(canvas) == tuple(c.values), f"the stamp is {_frozen(canvas)}")


def _t_stamp_sum(t: _Transposed, c: StampSum) -> None:
    parts = []
    for i in range(t.h):
        for j in range(t.wd):
            for m in range(t.kh):
                for n in range(t.kw):
                    if t.target(i, j, m, n) == tuple(c.at):
                        parts.append((i, j, m, n, t.a[i][j], t.k[m][n]))
    _need(tuple(parts) == tuple(c.parts), f"the stamps on {c.at} are {tuple(parts)}")
    r, q = c.at
    _need(t.out[r][q] == c.total, f"the output there is {t.out[r][q]}")


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
    _need(found == given, f"it is {found}")


def _t_zeros(t: _Transposed, c: ZeroInsertion) -> None:
    before, after = t.pads(c.axis)
    found = (t.s[c.axis] - 1, before, after)
    _need(found == (c.zeros, c.before, c.after), f"zeros, before, after are {found}")


def _t_view(t: _Transposed, c: ViewEqual) -> None:
    found = {"scatter": t.scatter, "zero-insertion": t.zero_insertion, "matrix": t.by_matrix}
    values = _frozen(found[c.view]())
    _need(values == tuple(c.values), f"the {c.view} view gives {values}")


def _t_matrix(t: _Transposed, c: MatrixShape) -> None:
    m = t.matrix()
    nonzero = sum(v != 0 for row in m for v in row)
    found = (len(m), len(m[0]), nonzero)
    _need(found == (c.rows, c.columns, c.nonzero), f"rows, columns, nonzero are {found}")


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

_CACHE: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _verify(
    problem: Any,
    beats: Iterable[tuple[str | None, Iterable[Claim]]],
    plain: Callable[[Any], Any],
    checks: dict[type[Claim], Callable[[Any, Any], None]],
    lesson: str,
) -> ClaimReport:
    if problem not in _CACHE:
        _CACHE[problem] = plain(problem)
    state = _CACHE[problem]
    results = []
    for key, claims in beats:
        for claim in claims:
            check = checks.get(type(claim))
            if check is None:
                reason = f"no {lesson} check is defined for {type(claim).__name__}"
                results.append(ClaimResult(claim, False, reason, key))
                continue
            try:
                check(state, claim)
            except _Fails as failure:
                results.append(ClaimResult(claim, False, str(failure), key))
            except (IndexError, KeyError, TypeError, ValueError) as err:
                reason = f"it names something the problem lacks ({err})"
                results.append(ClaimResult(claim, False, reason, key))
            else:
                results.append(ClaimResult(claim, True, "holds", key))
    return ClaimReport(tuple(results))


def verify_backward_beats(problem: Any, beats: Iterable[tuple[str | None, Iterable[Claim]]]):
    """Verify every beat's claims (``(key, claims)`` pairs) against a backward problem."""
    return _verify(problem, beats, _Backward, _BACKWARD, "backward")


def verify_transposed_beats(problem: Any, beats: Iterable[tuple[str | None, Iterable[Claim]]]):
    """Verify every beat's claims against a transposed problem."""
    return _verify(problem, beats, _Transposed, _TRANSPOSED, "transposed")


def verify_backward_claims(problem: Any, claims: Iterable[Claim]) -> ClaimReport:
    return verify_backward_beats(problem, [(None, claims)])


def verify_transposed_claims(problem: Any, claims: Iterable[Claim]) -> ClaimReport:
    return verify_transposed_beats(problem, [(None, claims)])
