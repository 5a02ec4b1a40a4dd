"""Checks every claim of the backward lesson, by plain loops of its own (the transposed
lesson's checks, :mod:`explainer.lessons.transposed_verifier`, share the helpers of
:mod:`explainer.lessons.grid_checks`).

The problem is read by its raw fields only (``image``, ``weight``, ``target``,
``learning_rate``, ``stride``, ``padding``, ``dilation``) as exact numbers. Nothing of the
engine, the sympy proof, the facts or the writer is used: the gradients are found here as
exact central differences of a loss computed here (exact, the loss being quadratic in every
weight and pixel), and the image gradient's stamps are laid here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from explainer.lessons.backward_claims import (
    CorrelationOfError,
    GridShape,
    GridValues,
    LossChange,
    LossValue,
    PixelError,
    PixelsCloser,
    Stamp,
    StampSum,
    TargetMap,
    TransposedGradient,
    WeightStep,
    WeightTerms,
    ZeroErrorTerms,
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

EPSILON = Fraction(1, 7)


# ----- the backward problem, recomputed ---------------------------------------------------


class _Backward:
    def __init__(self, p: Any) -> None:
        self.x, self.w, self.t = exact_grid(p.image), exact_grid(p.weight), exact_grid(p.target)
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
        self.gw = [[self.slope(m, n) for n in range(self.kw)] for m in range(self.kh)]
        self.gx = [[self.pixel_slope(r, q) for q in range(self.wd)] for r in range(self.h)]
        self.w2 = [
            [tidy(self.w[m][n] - self.rate * self.gw[m][n]) for n in range(self.kw)]
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
        out = zeros(self.oh, self.ow)
        for i in range(self.oh):
            for j in range(self.ow):
                total: Number = 0
                for m in range(self.kh):
                    for n in range(self.kw):
                        at = self.source(i, j, m, n)
                        if at is not None:
                            total += x[at[0]][at[1]] * w[m][n]
                out[i][j] = tidy(total)
        return out

    def minus(self, a: Grid, b: Grid) -> Grid:
        return [
            [tidy(u - v) for u, v in zip(ra, rb, strict=True)] for ra, rb in zip(a, b, strict=True)
        ]

    def loss_of(self, x: Grid, w: Grid) -> Number:
        errors = self.minus(self.conv(x, w), self.t)
        return tidy(Fraction(sum(v * v for row in errors for v in row), 2))

    def slope(self, m: int, n: int) -> Number:
        """(L(w + ε) − L(w − ε)) / 2ε for weight (m, n): exact, L being quadratic in it."""
        losses = []
        for sign in (1, -1):
            w = [row[:] for row in self.w]
            w[m][n] += sign * EPSILON
            losses.append(self.loss_of(self.x, w))
        return tidy((losses[0] - losses[1]) / (2 * EPSILON))

    def pixel_slope(self, r: int, q: int) -> Number:
        """(L(x + ε) − L(x − ε)) / 2ε for image pixel (r, q), exact: the map is recomputed,
        with the pixel moved each way, at every output pixel whose window holds it (the
        others' squared errors are the same both ways and cancel)."""
        touched = self.windows_on(r, q)
        total = Fraction(0)
        for sign in (1, -1):
            x = {(r, q): self.x[r][q] + sign * EPSILON}
            for i, j in touched:
                y: Number = 0
                for m in range(self.kh):
                    for n in range(self.kw):
                        at = self.source(i, j, m, n)
                        if at is not None:
                            y += x.get(at, self.x[at[0]][at[1]]) * self.w[m][n]
                total += sign * Fraction(y - self.t[i][j]) ** 2 / 2
        return tidy(total / (2 * EPSILON))

    def windows_on(self, r: int, q: int) -> list[tuple[int, int]]:
        """The output pixels whose window holds image pixel (r, q), by solving
        s·i + d·m − top = r for each tap (m, n)."""
        found = set()
        for m in range(self.kh):
            rest = r + self.pad[0] - self.d[0] * m
            if rest % self.s[0] or not 0 <= rest // self.s[0] < self.oh:
                continue
            for n in range(self.kw):
                cols = q + self.pad[2] - self.d[1] * n
                if cols % self.s[1] == 0 and 0 <= cols // self.s[1] < self.ow:
                    found.add((rest // self.s[0], cols // self.s[1]))
        return sorted(found)

    def stamps(self) -> Grid:
        """Every error pixel's stamp (its error times the filter), added on the image."""
        out = zeros(self.h, self.wd)
        for i in range(self.oh):
            for j in range(self.ow):
                for m in range(self.kh):
                    for n in range(self.kw):
                        at = self.source(i, j, m, n)
                        if at is not None:
                            out[at[0]][at[1]] += self.e[i][j] * self.w[m][n]
        return [[tidy(v) for v in row] for row in out]

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
    grid_shape("backward", b.grids(), c)


def _b_values(b: _Backward, c: GridValues) -> None:
    grid_values("backward", b.grids(), c)


def _b_target(b: _Backward, c: TargetMap) -> None:
    f = exact_grid(c.filter)
    need((len(f), len(f[0])) == (b.kh, b.kw), "the filter named has another shape")
    need(b.conv(b.x, f) == b.t, "the target is not the map that filter makes")


def _b_pixel(b: _Backward, c: PixelError) -> None:
    i, j = c.at
    need(0 <= i < b.oh and 0 <= j < b.ow, f"the map has no pixel {c.at}")
    found = (b.y[i][j], b.t[i][j], b.e[i][j])
    need(found == (c.value, c.target, c.error), f"map, target and error are {found}")


def _b_loss(b: _Backward, c: LossValue) -> None:
    errors = b.e if c.stage == "before" else b.e2
    squares = tidy(sum(v * v for row in errors for v in row))
    loss = b.loss if c.stage == "before" else b.loss2
    need((squares, loss) == (c.squares, c.value), f"squares {squares}, loss {loss}")


def _b_terms(b: _Backward, c: WeightTerms) -> None:
    m, n = c.weight
    need(0 <= m < b.kh and 0 <= n < b.kw, f"the filter has no weight {c.weight}")
    terms = []
    for i in range(b.oh):
        for j in range(b.ow):
            at = b.source(i, j, m, n)
            if at is not None:
                terms.append((i, j, at[0], at[1], b.e[i][j], b.x[at[0]][at[1]]))
    need(tuple(terms) == tuple(c.terms), f"the terms are {tuple(terms)}")
    need(b.gw[m][n] == c.total, f"∂L/∂w{c.weight} is {b.gw[m][n]}")
    need(tidy(sum(e * x for *_, e, x in terms)) == c.total, "the terms do not add up to it")


def _b_zero_terms(b: _Backward, c: ZeroErrorTerms) -> None:
    m, n = c.weight
    need(0 <= m < b.kh and 0 <= n < b.kw, f"the filter has no weight {c.weight}")
    errors = [
        b.e[i][j] for i in range(b.oh) for j in range(b.ow) if b.source(i, j, m, n) is not None
    ]
    found = (sum(v == 0 for v in errors), len(errors))
    need(found == (c.zeros, c.total), f"zeros and terms are {found}")


def _b_correlation(b: _Backward, c: CorrelationOfError) -> None:
    need((tuple(c.stride), tuple(c.dilation)) == (b.s, b.d), f"stride {b.s}, dilation {b.d}")
    for m in range(b.kh):
        for n in range(b.kw):
            total: Number = 0
            for i in range(b.oh):
                for j in range(b.ow):
                    at = b.source(i, j, m, n)
                    if at is not None:
                        total += b.e[i][j] * b.x[at[0]][at[1]]
            need(tidy(total) == b.gw[m][n], f"at ({m}, {n}) the correlation is {total}")


def _b_step(b: _Backward, c: WeightStep) -> None:
    m, n = c.weight
    found = (b.rate, b.w[m][n], b.gw[m][n], b.w2[m][n])
    need(found == (c.rate, c.before, c.gradient, c.after), f"rate, before, gradient, after {found}")
    need(c.after == tidy(c.before - Fraction(c.rate) * c.gradient), "after ≠ before − rate·g")


def _b_change(b: _Backward, c: LossChange) -> None:
    way = "falls" if b.loss2 < b.loss else "rises" if b.loss2 > b.loss else "stays"
    found = (b.loss, b.loss2, way)
    need(found == (c.before, c.after, c.direction), f"the loss goes {found}")


def _b_closer(b: _Backward, c: PixelsCloser) -> None:
    pairs = [
        (abs(u), abs(v))
        for ru, rv in zip(b.e, b.e2, strict=True)
        for u, v in zip(ru, rv, strict=True)
    ]
    closer, farther = sum(v < u for u, v in pairs), sum(v > u for u, v in pairs)
    found = (closer, farther, sum(v == u for u, v in pairs), len(pairs))
    given = (c.closer, c.farther, c.same, c.total)
    need(found == given, f"closer, farther, same, total are {found}")


def _b_transposed(b: _Backward, c: TransposedGradient) -> None:
    need(b.stamps() == b.gx, "the stamps of the error map do not add up to ∂L/∂x")


def _b_stamp(b: _Backward, c: Stamp) -> None:
    i, j = c.at
    need(0 <= i < b.oh and 0 <= j < b.ow, f"the error map has no pixel {c.at}")
    canvas = zeros(b.h, b.wd)
    for m in range(b.kh):
        for n in range(b.kw):
            at = b.source(i, j, m, n)
            if at is not None:
                canvas[at[0]][at[1]] += b.e[i][j] * b.w[m][n]
    need(b.e[i][j] == c.scale, f"the error there is {b.e[i][j]}")
    corner = (b.s[0] * i - b.pad[0], b.s[1] * j - b.pad[2])
    need(corner == tuple(c.corner), f"its top-left tap lands on {corner}")
    need(frozen(canvas) == tuple(c.values), f"the stamp is {frozen(canvas)}")


def _b_stamp_sum(b: _Backward, c: StampSum) -> None:
    r, q = c.at
    parts = []
    for i in range(b.oh):
        for j in range(b.ow):
            for m in range(b.kh):
                for n in range(b.kw):
                    if b.source(i, j, m, n) == (r, q):
                        parts.append((i, j, m, n, b.e[i][j], b.w[m][n]))
    need(tuple(parts) == tuple(c.parts), f"the stamps on {c.at} are {tuple(parts)}")
    need(b.gx[r][q] == c.total, f"∂L/∂x{c.at} is {b.gx[r][q]}")


_BACKWARD: dict[type[Claim], Callable[[Any, Any], None]] = {
    GridShape: _b_shape,
    GridValues: _b_values,
    TargetMap: _b_target,
    PixelError: _b_pixel,
    LossValue: _b_loss,
    WeightTerms: _b_terms,
    ZeroErrorTerms: _b_zero_terms,
    CorrelationOfError: _b_correlation,
    WeightStep: _b_step,
    LossChange: _b_change,
    PixelsCloser: _b_closer,
    TransposedGradient: _b_transposed,
    Stamp: _b_stamp,
    StampSum: _b_stamp_sum,
}


def verify_backward_beats(problem: Any, beats: Iterable[tuple[str | None, Iterable[Claim]]]):
    """Verify every beat's claims (``(key, claims)`` pairs) against a backward problem."""
    return verify_claims_with(problem, beats, _Backward, _BACKWARD, "backward")


def verify_backward_claims(problem: Any, claims: Iterable[Claim]) -> ClaimReport:
    return verify_backward_beats(problem, [(None, claims)])
