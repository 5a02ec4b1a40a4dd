"""Checks every claim of a lesson against the raw problem, by a computation of its own.

The engine computes the result; sympy proves each number of it. This module proves the
*words*: each :mod:`explainer.lessons.claims` claim is evaluated from the problem's raw attributes
(``image``, ``kernel``, ``stride``, ``padding``, ``padding_mode``, ``dilation``, ``flip``,
``normalize``) with plain Python loops over exact numbers. It shares no code with the
engine or the writer: it pads by its own index rules, slides by its own loops, and
classifies kernels by its own reading of the definitions in :mod:`explainer.lessons.claims`.

The plain computation is done once per problem and kept (weakly) for the next call, so
verifying the seventy-odd claims of a script costs one pass over the image.

>>> from explainer.core.problem import Problem
>>> from explainer.lessons.claims import Extreme, AllEqual
>>> p = Problem([[1, 2, 3], [4, 5, 6]], [[1, -1]])
>>> report = verify_claims(p, [AllEqual(-1, 4), Extreme(-1, ((0, 0),))])
>>> report.summary
'1 of 2 claims hold'
>>> print(report.failures[0].reason)
the largest value -1 is held by (0, 0), (0, 1), (1, 0), (1, 1), not by (0, 0)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from math import ceil
from typing import Any

from explainer.core.problem import Problem
from explainer.errors import ExplainerError
from explainer.lessons.claims import (
    AllEqual,
    Average,
    BestBelowBound,
    BestFit,
    ChangeDirection,
    Claim,
    ConstantWindow,
    Count,
    DistinctValues,
    Divisor,
    Extreme,
    FlatGain,
    KernelKind,
    KernelSum,
    LinearOverWindows,
    MovesLikePrelude,
    OppositeExtremes,
    Padding,
    Partial,
    PerfectMatch,
    Prelude,
    Products,
    ProductSigns,
    Range,
    Setting,
    Shape,
    SumCancels,
    Symmetric,
    TooLarge,
    Value,
    Weaker,
)

Number = int | Fraction
Pos = tuple[int, int]


class ClaimError(ExplainerError):
    """A sentence of the lesson claims something the problem does not bear out."""


@dataclass(frozen=True)
class ClaimResult:
    """One claim, whether it holds, and why (the failure names the numbers that differ)."""

    claim: Claim
    holds: bool
    reason: str
    beat: str | None = None
    """The beat whose sentence makes the claim, when verified beat by beat."""

    def __str__(self) -> str:
        where = f"beat {self.beat!r}: " if self.beat else ""
        verdict = "holds" if self.holds else "fails"
        return f"{where}{self.claim} {verdict}: {self.reason}"


@dataclass(frozen=True)
class ClaimReport:
    """Every claim verified, in the order given."""

    results: tuple[ClaimResult, ...]

    @property
    def ok(self) -> bool:
        return all(r.holds for r in self.results)

    @property
    def held(self) -> int:
        return sum(1 for r in self.results if r.holds)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def failures(self) -> tuple[ClaimResult, ...]:
        return tuple(r for r in self.results if not r.holds)

    @property
    def summary(self) -> str:
        """'71 of 71 claims hold'."""
        noun = "claim holds" if self.total == 1 else "claims hold"
        return f"{self.held} of {self.total} {noun}"

    def raise_for_failure(self) -> None:
        """Raise :class:`ClaimError` naming the first failed claim (and its beat)."""
        if self.ok:
            return
        first = self.failures[0]
        more = len(self.failures) - 1
        tail = f" (and {more} more claim{'s' if more > 1 else ''} fail)" if more else ""
        where = f"beat {first.beat!r} claims" if first.beat else "the claim"
        raise ClaimError(f"{where} {first.claim}, which is false: {first.reason}{tail}")


# ----- the plain computation ------------------------------------------------------------------


def _exact(v: Any) -> Number:
    """A number of the problem as exact: a float is the decimal it prints as."""
    if hasattr(v, "item") and not isinstance(v, (int, Fraction)):
        v = v.item()
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float):
        v = Fraction(repr(v))
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else v
    return int(v)


def _tidy(q: Fraction | int) -> Number:
    if isinstance(q, Fraction) and q.denominator == 1:
        return q.numerator
    return q


def _rows(arr: Any) -> list[list[Number]]:
    return [[_exact(v) for v in row] for row in arr.tolist()]


def _source(i: int, n: int, mode: str) -> int | None:
    """The image index a padded index ``i`` (−before ≤ i < n + after) reads; None for a 0."""
    if 0 <= i < n:
        return i
    if mode == "zeros":
        return None
    if mode == "replicate":
        return 0 if i < 0 else n - 1
    if mode == "circular":
        return i % n
    # reflect: mirror about the first and last pixel, which are not repeated
    if n == 1:
        return 0
    while not 0 <= i < n:
        i = -i if i < 0 else 2 * (n - 1) - i
    return i


class _Plain:
    """Everything the checks read, computed once from the problem's raw attributes."""

    def __init__(self, problem: Problem) -> None:
        self.image = _rows(problem.image)
        self.kernel = _rows(problem.kernel)  # as given
        self.flip = bool(problem.flip)
        self.applied = [row[::-1] for row in self.kernel[::-1]] if self.flip else self.kernel
        self.h, self.w = len(self.image), len(self.image[0])
        self.kh, self.kw = len(self.kernel), len(self.kernel[0])
        self.stride = tuple(problem.stride)
        self.dilation = tuple(problem.dilation)
        self.padding = tuple(problem.padding)
        self.mode = problem.padding_mode
        self.normalize = problem.normalize
        top, bottom, left, right = self.padding
        self.ph, self.pw = self.h + top + bottom, self.w + left + right
        (sr, sc), (dr, dc) = self.stride, self.dilation
        self.span = (dr * (self.kh - 1) + 1, dc * (self.kw - 1) + 1)
        self.oh = (self.ph - self.span[0]) // sr + 1
        self.ow = (self.pw - self.span[1]) // sc + 1
        rows = [_source(r - top, self.h, self.mode) for r in range(self.ph)]
        cols = [_source(c - left, self.w, self.mode) for c in range(self.pw)]
        self.padded = [
            [0 if r is None or c is None else self.image[r][c] for c in cols] for r in rows
        ]
        weights = [v for row in self.kernel for v in row]
        self.kernel_sum = _tidy(sum((Fraction(v) for v in weights), Fraction(0)))
        if self.normalize == "area":
            self.divisor: Number = self.kh * self.kw
        elif self.normalize == "sum":
            self.divisor = self.kernel_sum
        else:
            self.divisor = 1
        self.positions: list[Pos] = [(i, j) for i in range(self.oh) for j in range(self.ow)]
        self.sums = {p: self._sum(p, self.applied) for p in self.positions}
        self.values = {p: _tidy(Fraction(s) / Fraction(self.divisor)) for p, s in self.sums.items()}
        self._flipped: dict[Pos, Number] | None = None

    def window(self, pos: Pos) -> list[list[Number]]:
        """The patch under output pixel ``pos``: kh rows of kw padded-image values."""
        i, j = pos
        (sr, sc), (dr, dc) = self.stride, self.dilation
        return [
            [self.padded[sr * i + dr * m][sc * j + dc * n] for n in range(self.kw)]
            for m in range(self.kh)
        ]

    def products(self, pos: Pos) -> list[Number]:
        patch = self.window(pos)
        return [
            _tidy(Fraction(patch[m][n]) * Fraction(self.applied[m][n]))
            for m in range(self.kh)
            for n in range(self.kw)
        ]

    def _sum(self, pos: Pos, weights: list[list[Number]]) -> Number:
        patch = self.window(pos)
        total: Number = 0
        for m in range(self.kh):
            for n in range(self.kw):
                total += patch[m][n] * weights[m][n]
        return _tidy(total) if isinstance(total, Fraction) else total

    def flipped_values(self) -> dict[Pos, Number]:
        """The result with the kernel flipped the other way round."""
        if self._flipped is None:
            other = [row[::-1] for row in self.applied[::-1]]
            self._flipped = {
                p: _tidy(Fraction(self._sum(p, other)) / Fraction(self.divisor))
                for p in self.positions
            }
        return self._flipped

    def has(self, pos: Any) -> bool:
        return (
            isinstance(pos, tuple)
            and len(pos) == 2
            and 0 <= pos[0] < self.oh
            and 0 <= pos[1] < self.ow
        )


_CACHE: weakref.WeakKeyDictionary[Problem, _Plain] = weakref.WeakKeyDictionary()


def _plain_of(problem: Problem) -> _Plain:
    plain = _CACHE.get(problem)
    if plain is None:
        plain = _CACHE[problem] = _Plain(problem)
    return plain


# ----- kernels, by their own definitions ------------------------------------------------------


def kernel_kind(weights: list[list[Number]]) -> str:
    """The kind of a kernel, as :class:`explainer.claims.KernelKind` defines it.

    >>> kernel_kind([[1, -1], [-1, 1]]), kernel_kind([[1, 2, 1]]), kernel_kind([[1, 0, -1]])
    ('pattern', 'smoothing', 'change')
    >>> kernel_kind([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]), kernel_kind([[0, 0]])
    ('sharpen', 'general')
    """
    flat = [v for row in weights for v in row]
    rows, cols = len(weights), len(weights[0])
    sizes = {abs(v) for v in flat}
    if len(sizes) == 1 and 0 not in sizes and min(flat) < 0 < max(flat):
        return "pattern"
    if min(flat) >= 0 and sum(1 for v in flat if v > 0) >= 2 and flat == flat[::-1]:
        return "smoothing"
    total = sum(flat)
    if total == 0 and any(v != 0 for v in flat):
        return "change"
    if total == 1 and min(flat) < 0 and rows % 2 == 1 and cols % 2 == 1:
        centre = weights[rows // 2][cols // 2]
        others = [
            weights[m][n]
            for m in range(rows)
            for n in range(cols)
            if (m, n) != (rows // 2, cols // 2)
        ]
        if all(v < centre for v in others):
            return "sharpen"
    return "general"


def change_direction(applied: list[list[Number]]) -> str | None:
    """Which way a kernel's positive response rises, as ChangeDirection defines it."""
    rows, cols = len(applied), len(applied[0])
    mirrored_lr = all(
        applied[m][n] == -applied[m][cols - 1 - n] for m in range(rows) for n in range(cols)
    )
    if mirrored_lr:
        ramp = sum(applied[m][n] * n for m in range(rows) for n in range(cols))
        if ramp != 0:
            return "left to right" if ramp > 0 else "right to left"
    mirrored_ud = all(
        applied[m][n] == -applied[rows - 1 - m][n] for m in range(rows) for n in range(cols)
    )
    if mirrored_ud:
        ramp = sum(applied[m][n] * m for m in range(rows) for n in range(cols))
        if ramp != 0:
            return "top to bottom" if ramp > 0 else "bottom to top"
    return None


# ----- the checks -------------------------------------------------------------------------------


class _Context:
    """One problem's plain computation plus the prelude its claims define."""

    def __init__(self, plain: _Plain, preludes: list[Prelude]) -> None:
        self.p = plain
        self.preludes = preludes
        self._prelude_sums: dict[Pos, Number] | None = None

    def prelude(self) -> Prelude:
        distinct = set(self.preludes)
        if not distinct:
            raise _Fails("no Prelude claim says what the one-dimensional example is")
        if len(distinct) > 1:
            raise _Fails("two Prelude claims describe different examples")
        return self.preludes[0]

    def prelude_sums(self) -> dict[Pos, Number]:
        if self._prelude_sums is None:
            pre = self.prelude()
            problem = _prelude_problem(self.p, pre)
            if problem is not None:
                raise _Fails(f"the prelude is not valid: {problem}")
            signal = self.p.image[pre.row][pre.first : pre.first + pre.samples]
            taps = list(pre.taps[::-1] if self.p.flip else pre.taps)
            sums: dict[Pos, Number] = {}
            for k, start in enumerate(range(0, pre.samples - len(taps) + 1, pre.stride)):
                total = sum(
                    (Fraction(signal[start + n]) * Fraction(t) for n, t in enumerate(taps)),
                    Fraction(0),
                )
                sums[(0, k)] = _tidy(total)
            self._prelude_sums = sums
        return self._prelude_sums

    def entries(self, of: str) -> dict[Pos, Number]:
        if of == "result":
            return self.p.values
        if of == "prelude":
            return self.prelude_sums()
        grid = self.p.image if of == "image" else self.p.kernel
        return {(r, c): v for r, row in enumerate(grid) for c, v in enumerate(row)}


class _Fails(Exception):
    """Raised inside a check: the claim does not hold, for the reason given."""


def _need(condition: bool, reason: str) -> None:
    if not condition:
        raise _Fails(reason)


def _show(v: Any) -> str:
    if isinstance(v, Fraction):
        return f"{v.numerator}/{v.denominator}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_show(x) for x in v)
    return str(v)


def _at(positions: Iterable[Pos]) -> str:
    return ", ".join(f"({i}, {j})" for i, j in positions) or "no pixel"


def _position(ctx: _Context, pos: Any) -> Pos:
    _need(ctx.p.has(pos), f"{pos} is not an output pixel of the {ctx.p.oh}×{ctx.p.ow} result")
    return pos


def _check_value(ctx: _Context, c: Value) -> None:
    pos = _position(ctx, c.position)
    actual = ctx.p.values[pos] if c.stage == "value" else ctx.p.sums[pos]
    _need(actual == c.value, f"the {c.stage} at {pos} is {_show(actual)}, not {_show(c.value)}")


def _check_products(ctx: _Context, c: Products) -> None:
    pos = _position(ctx, c.position)
    actual = ctx.p.products(pos)
    _need(
        tuple(actual) == c.products,
        f"the products at {pos} are {_show(actual)}, not {_show(c.products)}",
    )


def _holders(entries: dict[Pos, Number], value: Number) -> list[Pos]:
    return sorted(p for p, v in entries.items() if v == value)


def _check_extreme(ctx: _Context, c: Extreme) -> None:
    entries = ctx.entries(c.of)
    pick = max if c.which == "largest" else min
    if c.by == "sign":
        best = pick(entries.values())
        _need(c.value == best, f"the {c.which} value is {_show(best)}, not {_show(c.value)}")
    else:
        size = pick(abs(v) for v in entries.values())
        _need(
            abs(c.value) == size,
            f"the {c.which} size of a value is {_show(size)}, not {_show(abs(c.value))}",
        )
        _need(c.value != 0, "a value of 0 has no sign to name")
        _need(
            -c.value not in entries.values(),
            f"{_show(-c.value)} is as far from zero as {_show(c.value)}: the extreme has no "
            "single sign",
        )
    holders = _holders(entries, c.value)
    _need(
        tuple(holders) == tuple(c.positions),
        f"the {c.which} value {_show(c.value)} is held by {_at(holders)}, not by "
        f"{_at(c.positions)}",
    )


def _check_opposite(ctx: _Context, c: OppositeExtremes) -> None:
    values = ctx.p.values.values()
    hi, lo = max(values), min(values)
    _need(c.value > 0, f"{_show(c.value)} is not positive")
    _need(
        hi == c.value and lo == -c.value,
        f"the values run from {_show(lo)} to {_show(hi)}, not from {_show(-c.value)} to "
        f"{_show(c.value)}",
    )


def _check_all_equal(ctx: _Context, c: AllEqual) -> None:
    entries = ctx.entries(c.of)
    _need(len(entries) == c.count, f"the {c.of} has {len(entries)} entries, not {c.count}")
    others = sorted({v for v in entries.values() if v != c.value})
    _need(not others, f"the {c.of} also holds {_show(others[:3])}, not only {_show(c.value)}")


def _check_range(ctx: _Context, c: Range) -> None:
    values = ctx.entries(c.of).values()
    lo, hi = min(values), max(values)
    _need(
        (lo, hi) == (c.low, c.high),
        f"the {c.of} runs from {_show(lo)} to {_show(hi)}, not from {_show(c.low)} to "
        f"{_show(c.high)}",
    )


def _check_distinct(ctx: _Context, c: DistinctValues) -> None:
    actual = tuple(sorted(set(ctx.entries(c.of).values())))
    _need(actual == c.values, f"the {c.of} holds {_show(actual)}, not {_show(c.values)}")


def _check_weaker(ctx: _Context, c: Weaker) -> None:
    pos, than = _position(ctx, c.position), _position(ctx, c.than_position)
    a, b = ctx.p.values[pos], ctx.p.values[than]
    _need(a == c.value, f"the value at {pos} is {_show(a)}, not {_show(c.value)}")
    _need(b == c.than_value, f"the value at {than} is {_show(b)}, not {_show(c.than_value)}")
    _need(a < b, f"{_show(a)} is not below {_show(b)}")
    _need(
        abs(a) < abs(b),
        f"{_show(a)} is as far from zero as {_show(b)} or further: a response no weaker",
    )


def _check_constant(ctx: _Context, c: ConstantWindow) -> None:
    _need(bool(c.positions), "no window is named")
    for pos in c.positions:
        patch = {v for row in ctx.p.window(_position(ctx, pos)) for v in row}
        _need(len(patch) == 1, f"the window at {pos} holds {_show(sorted(patch)[:4])}: not flat")


def _check_linear(ctx: _Context, c: LinearOverWindows) -> None:
    _need(bool(c.positions), "no window is named")
    for pos in c.positions:
        patch = ctx.p.window(_position(ctx, pos))
        a = patch[0][0]
        down = patch[1][0] - a if len(patch) > 1 else 0
        across = patch[0][1] - a if len(patch[0]) > 1 else 0
        for m, row in enumerate(patch):
            for n, v in enumerate(row):
                _need(
                    v == a + m * down + n * across,
                    f"the window at {pos} is not a ramp: tap ({m}, {n}) holds {_show(v)}, a "
                    f"ramp would hold {_show(a + m * down + n * across)}",
                )


def _check_kind(ctx: _Context, c: KernelKind) -> None:
    weights = ctx.p.kernel if c.of == "kernel" else [list(ctx.prelude().taps)]
    actual = kernel_kind(weights)
    _need(actual == c.kernel_kind, f"the {c.of}'s weights are {actual}, not {c.kernel_kind}")


def _check_kernel_sum(ctx: _Context, c: KernelSum) -> None:
    s = ctx.p.kernel_sum
    _need(s == c.value, f"the weights add up to {_show(s)}, not {_show(c.value)}")


def _check_divisor(ctx: _Context, c: Divisor) -> None:
    _need(
        ctx.p.normalize == c.normalize,
        f"the problem's normalization is {ctx.p.normalize}, not {c.normalize}",
    )
    _need(
        ctx.p.divisor == c.value,
        f"each sum is divided by {_show(ctx.p.divisor)}, not {_show(c.value)}",
    )


def _check_gain(ctx: _Context, c: FlatGain) -> None:
    gain = _tidy(Fraction(ctx.p.kernel_sum) / Fraction(ctx.p.divisor))
    _need(gain == c.gain, f"a flat patch of c gives {_show(gain)}·c, not {_show(c.gain)}·c")


def _check_average(ctx: _Context, c: Average) -> None:
    d = Fraction(ctx.p.divisor)
    shares = [Fraction(v) / d for row in ctx.p.kernel for v in row]
    _need(min(shares) >= 0, f"a weight counts {_show(_tidy(min(shares)))}: a negative share")
    _need(sum(shares) == 1, f"the shares add up to {_show(_tidy(sum(shares)))}, not 1")


def _check_symmetric(ctx: _Context, c: Symmetric) -> None:
    k = ctx.p.kernel
    turned = [row[::-1] for row in k[::-1]]
    _need(k == turned, "the kernel differs from itself rotated by 180°")


def _check_direction(ctx: _Context, c: ChangeDirection) -> None:
    actual = change_direction(ctx.p.applied)
    _need(actual == c.direction, f"the kernel answers change {actual or 'in no one direction'}")


def _pattern(ctx: _Context) -> None:
    kind = kernel_kind(ctx.p.kernel)
    _need(kind == "pattern", f"the kernel is {kind}, not a pattern")


def _best_sum(ctx: _Context) -> Number:
    sums = ctx.p.sums.values()
    _need(len(set(sums)) > 1, "every window gives the same sum: no window fits better")
    return max(sums)


def _reach(ctx: _Context) -> Number:
    """The largest sum the applied kernel can reach on values in the padded image's range."""
    values = [v for row in ctx.p.padded for v in row]
    lo, hi = min(values), max(values)
    return sum(max(w * lo, w * hi) for row in ctx.p.applied for w in row)


def _check_best_fit(ctx: _Context, c: BestFit) -> None:
    _pattern(ctx)
    best = _best_sum(ctx)
    holders = sorted(p for p, s in ctx.p.sums.items() if s == best)
    _need(
        tuple(holders) == tuple(c.positions),
        f"the largest sum {_show(best)} is at {_at(holders)}, not at {_at(c.positions)}",
    )
    value = ctx.p.values[holders[0]]
    _need(value == c.value, f"the best fit's value is {_show(value)}, not {_show(c.value)}")


def _check_perfect(ctx: _Context, c: PerfectMatch | BestBelowBound) -> None:
    _pattern(ctx)
    best, reach = _best_sum(ctx), _reach(ctx)
    d = Fraction(ctx.p.divisor)
    bound = _tidy(Fraction(reach) / d)
    _need(
        bound == c.bound, f"the most this kernel can give is {_show(bound)}, not {_show(c.bound)}"
    )
    value = _tidy(Fraction(best) / d)
    _need(value == c.value, f"the best fit's value is {_show(value)}, not {_show(c.value)}")
    if isinstance(c, PerfectMatch):
        _need(best == reach, f"the best sum {_show(best)} falls short of {_show(reach)}")
    else:
        _need(best < reach, f"the best sum {_show(best)} reaches {_show(reach)}: a perfect match")


def _check_partial(ctx: _Context, c: Partial) -> None:
    _pattern(ctx)
    best = _best_sum(ctx)
    values = tuple(sorted({ctx.p.values[p] for p, s in ctx.p.sums.items() if 0 < s < best}))
    _need(bool(values), "no window's sum lies between 0 and the best")
    _need(values == c.values, f"the partial matches hold {_show(values)}, not {_show(c.values)}")


def _check_signs(ctx: _Context, c: ProductSigns) -> None:
    products = ctx.p.products(_position(ctx, c.position))
    actual = (
        sum(1 for v in products if v < 0),
        sum(1 for v in products if v > 0),
        sum(1 for v in products if v == 0),
    )
    _need(
        actual == (c.negatives, c.positives, c.zeros),
        "the products at {} are {} negative, {} positive and {} zero".format(c.position, *actual),
    )


def _check_cancels(ctx: _Context, c: SumCancels) -> None:
    pos = _position(ctx, c.position)
    products = ctx.p.products(pos)
    _need(any(v > 0 for v in products), f"no product at {pos} is positive")
    _need(any(v < 0 for v in products), f"no product at {pos} is negative")
    _need(ctx.p.sums[pos] == 0, f"the products at {pos} add up to {_show(ctx.p.sums[pos])}")


def _count(ctx: _Context, of: str) -> int:
    p = ctx.p
    (sr, sc) = p.stride
    if of == "result-pixels":
        return p.oh * p.ow
    if of == "positions-across":
        return p.ow
    if of == "positions-down":
        return p.oh
    if of == "products":
        return p.kh * p.kw
    if of == "unused-rows":
        return p.ph - ((p.oh - 1) * sr + p.span[0])
    if of == "unused-columns":
        return p.pw - ((p.ow - 1) * sc + p.span[1])
    if of == "flip-changes":
        other = p.flipped_values()
        return sum(1 for q in p.positions if other[q] != p.values[q])
    if of == "prelude-samples":
        return ctx.prelude().samples
    if of == "prelude-taps":
        return len(ctx.prelude().taps)
    return len(ctx.prelude_sums())  # prelude-positions


def _check_count(ctx: _Context, c: Count) -> None:
    n = _count(ctx, c.of)
    _need(n == c.n, f"there are {n} {c.of}, not {c.n}")
    if c.total is not None:
        _need(c.of == "flip-changes", f"{c.of} is not counted out of a total")
        whole = ctx.p.oh * ctx.p.ow
        _need(whole == c.total, f"the result has {whole} pixels, not {c.total}")


def _check_shape(ctx: _Context, c: Shape) -> None:
    p = ctx.p
    actual = {
        "image": (p.h, p.w),
        "kernel": (p.kh, p.kw),
        "padded": (p.ph, p.pw),
        "result": (p.oh, p.ow),
    }[c.of]
    _need(
        actual == (c.rows, c.cols),
        "the {} is {}×{}, not {}×{}".format(c.of, *actual, c.rows, c.cols),
    )


def _check_too_large(ctx: _Context, c: TooLarge) -> None:
    p = ctx.p
    largest = max(p.ph, p.pw, p.oh, p.ow)
    _need(largest > c.limit, f"no side is longer than {c.limit} (the longest is {largest})")


def _spec_sides(p: _Plain, spec: str) -> tuple[int, int, int, int]:
    if spec == "valid":
        return (0, 0, 0, 0)
    sides: list[int] = []
    axes = zip((p.h, p.w), (p.kh, p.kw), p.stride, p.dilation, strict=True)
    for n, k, s, d in axes:
        if spec == "full":
            sides += [d * (k - 1)] * 2
        else:
            total = max((ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)
            sides += [total // 2, total - total // 2]
    return (sides[0], sides[1], sides[2], sides[3])


def _check_padding(ctx: _Context, c: Padding) -> None:
    p = ctx.p
    claimed = (c.top, c.bottom, c.left, c.right)
    _need(
        p.padding == claimed,
        "the padding is top {} bottom {} left {} right {}".format(*p.padding)
        + ", not top {} bottom {} left {} right {}".format(*claimed),
    )
    if any(claimed):
        _need(p.mode == c.mode, f"the border holds {p.mode} padding, not {c.mode}")
    if c.spec is not None:
        meant = _spec_sides(p, c.spec)
        _need(
            meant == claimed,
            f"{c.spec!r} padding means top {meant[0]} bottom {meant[1]} left {meant[2]} "
            f"right {meant[3]} here",
        )
        if c.spec == "same":
            want = (ceil(p.h / p.stride[0]), ceil(p.w / p.stride[1]))
            _need(
                (p.oh, p.ow) == want,
                "the result is {}×{}, not the image's size over the stride, {}×{}".format(
                    p.oh, p.ow, *want
                ),
            )


def _check_setting(ctx: _Context, c: Setting) -> None:
    p = ctx.p
    actual = {"stride": p.stride, "dilation": p.dilation, "flip": p.flip}[c.name]
    claimed = c.value
    if c.name != "flip" and isinstance(claimed, int):
        claimed = (claimed, claimed)
    _need(actual == claimed, f"the {c.name} is {actual}, not {c.value}")


def _prelude_problem(p: _Plain, pre: Prelude) -> str | None:
    """Why the prelude does not describe a valid example of this problem, or None."""
    if not 0 <= pre.row < p.h:
        return f"row {pre.row} is not a row of the {p.h}-row image"
    if pre.samples < 1 or pre.first < 0 or pre.first + pre.samples > p.w:
        return f"columns {pre.first} to {pre.first + pre.samples - 1} leave the image"
    if not pre.taps or len(pre.taps) > pre.samples:
        return f"a filter of {len(pre.taps)} does not fit {pre.samples} samples"
    if pre.stride < 1:
        return f"a stride of {pre.stride} does not move"
    if pre.source == "row":
        index = pre.source_index
        if index is None or not 0 <= index < p.kh:
            return f"{index} is not a row of the {p.kh}-row kernel"
        taps = tuple(p.kernel[index])
        what = f"the kernel's row {index}"
    else:
        taps = tuple(
            _tidy(sum((Fraction(row[n]) for row in p.kernel), Fraction(0))) for n in range(p.kw)
        )
        what = "the sums of the kernel's columns"
    if taps != tuple(pre.taps):
        return f"{what} is {_show(taps)}, not {_show(pre.taps)}"
    return None


def _check_prelude(ctx: _Context, c: Prelude) -> None:
    problem = _prelude_problem(ctx.p, c)
    _need(problem is None, problem or "")


def _check_moves(ctx: _Context, c: MovesLikePrelude) -> None:
    pre = ctx.prelude()
    _need(pre.stride == c.stride, f"the prelude moves {pre.stride} at a time, not {c.stride}")
    sc = ctx.p.stride[1]
    _need(sc == c.stride, f"the filter moves {sc} columns at a time, not {c.stride}")


_CHECKS: dict[type[Claim], Callable[[_Context, Any], None]] = {
    Value: _check_value,
    Products: _check_products,
    Extreme: _check_extreme,
    OppositeExtremes: _check_opposite,
    AllEqual: _check_all_equal,
    Range: _check_range,
    DistinctValues: _check_distinct,
    Weaker: _check_weaker,
    ConstantWindow: _check_constant,
    LinearOverWindows: _check_linear,
    KernelKind: _check_kind,
    KernelSum: _check_kernel_sum,
    Divisor: _check_divisor,
    FlatGain: _check_gain,
    Average: _check_average,
    Symmetric: _check_symmetric,
    ChangeDirection: _check_direction,
    BestFit: _check_best_fit,
    PerfectMatch: _check_perfect,
    BestBelowBound: _check_perfect,
    Partial: _check_partial,
    ProductSigns: _check_signs,
    SumCancels: _check_cancels,
    Count: _check_count,
    Shape: _check_shape,
    TooLarge: _check_too_large,
    Padding: _check_padding,
    Setting: _check_setting,
    Prelude: _check_prelude,
    MovesLikePrelude: _check_moves,
}


def _verify_one(ctx: _Context, claim: Claim, beat: str | None) -> ClaimResult:
    check = _CHECKS.get(type(claim))
    if check is None:
        return ClaimResult(claim, False, f"no check is defined for {type(claim).__name__}", beat)
    try:
        check(ctx, claim)
    except _Fails as failure:
        return ClaimResult(claim, False, str(failure), beat)
    return ClaimResult(claim, True, "holds", beat)


# ----- the API ------------------------------------------------------------------------------------


def verify_beats(
    problem: Problem, beats: Iterable[tuple[str | None, Iterable[Claim]]]
) -> ClaimReport:
    """Verify the claims of every beat, ``(beat_key, claims)`` pairs, in order.

    The :class:`~explainer.claims.Prelude` claim may be made by any beat: claims about the
    prelude in other beats are checked against it.
    """
    pairs = [(key, tuple(claims)) for key, claims in beats]
    preludes = [c for _, claims in pairs for c in claims if isinstance(c, Prelude)]
    ctx = _Context(_plain_of(problem), preludes)
    return ClaimReport(
        tuple(_verify_one(ctx, claim, key) for key, claims in pairs for claim in claims)
    )


def verify_claims(problem: Problem, claims: Iterable[Claim]) -> ClaimReport:
    """Verify each claim against ``problem``; the report says which hold and why."""
    return verify_beats(problem, [(None, claims)])


def check(problem: Problem, claims: Iterable[Claim]) -> ClaimReport:
    """:func:`verify_claims`, raising :class:`ClaimError` naming the first false claim."""
    report = verify_claims(problem, claims)
    report.raise_for_failure()
    return report


def check_beats(
    problem: Problem, beats: Iterable[tuple[str | None, Iterable[Claim]]]
) -> ClaimReport:
    """:func:`verify_beats`, raising :class:`ClaimError` naming the beat and the claim."""
    report = verify_beats(problem, beats)
    report.raise_for_failure()
    return report


def result_values(problem: Problem) -> dict[Pos, Number]:
    """The verifier's own result, ``{(row, column): value}`` (exact), for tests."""
    return dict(_plain_of(problem).values)


__all__ = [
    "ClaimError",
    "ClaimReport",
    "ClaimResult",
    "change_direction",
    "check",
    "check_beats",
    "kernel_kind",
    "result_values",
    "verify_beats",
    "verify_claims",
]
