"""Shared by the verifiers of the gradient lessons (:mod:`explainer.lessons.backward_verifier`
and :mod:`explainer.lessons.transposed_verifier`): exact grids, a check that fails with its
reason, the two grid claims, and running a table of checks over a lesson's beats.

Like the verifiers, it reads only the claim kinds and the report types: nothing of the
engine, the sympy proof, the facts or the writers.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from explainer.lessons.backward_claims import GridShape, GridValues
from explainer.lessons.claims import Claim
from explainer.lessons.verifier import ClaimReport, ClaimResult

Number = int | Fraction
Grid = list[list[Number]]


def tidy(v: Number) -> Number:
    v = Fraction(v)
    return v.numerator if v.denominator == 1 else v


def exact_grid(rows: Any) -> Grid:
    return [[tidy(v) for v in row] for row in rows]


def frozen(grid: Grid) -> tuple[tuple[Number, ...], ...]:
    return tuple(tuple(tidy(v) for v in row) for row in grid)


def zeros(h: int, w: int) -> Grid:
    return [[0] * w for _ in range(h)]


class CheckFails(Exception):
    """A claim that does not hold, and why."""


def need(condition: bool, reason: str) -> None:
    if not condition:
        raise CheckFails(reason)


def grid_shape(lesson: str, grids: dict[str, Any], c: GridShape) -> None:
    """A GridShape claim against the grids a lesson's verifier computed (both lessons)."""
    grid = grids.get(c.of)
    need(grid is not None, f"the {lesson} lesson has no grid {c.of!r}")
    found = (len(grid), len(grid[0]))
    need(found == tuple(c.shape), f"the {c.of} is {found[0]}×{found[1]}")


def grid_values(lesson: str, grids: dict[str, Any], c: GridValues) -> None:
    """A GridValues claim against the grids a lesson's verifier computed (both lessons)."""
    grid = grids.get(c.of)
    need(grid is not None, f"the {lesson} lesson has no grid {c.of!r}")
    need(frozen(grid) == tuple(c.values), f"the {c.of} holds {frozen(grid)}")


_CACHE: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def verify_claims_with(
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
            except CheckFails as failure:
                results.append(ClaimResult(claim, False, str(failure), key))
            except (IndexError, KeyError, TypeError, ValueError) as err:
                reason = f"it names something the problem lacks ({err})"
                results.append(ClaimResult(claim, False, reason, key))
            else:
                results.append(ClaimResult(claim, True, "holds", key))
    return ClaimReport(tuple(results))
