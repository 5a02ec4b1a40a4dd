"""The claims the convolution lesson's sentences make, read off its facts.

Each sentence is worded from claims (:mod:`explainer.lessons.claims`): a qualitative word
is written only when the claim that licenses it is among the beat's claims. This mixin
builds those claims from the facts of the trace, and answers, for the writer, which of
them hold here (``self.matching``, ``self.strongest`` …). The verifier
(:mod:`explainer.lessons.verifier`) shares none of this code: a claim made here that the
problem does not bear out stops the command.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property

from explainer.core.trace import Number, Step
from explainer.lessons.claims import (
    AllEqual,
    Average,
    BestBelowBound,
    BestFit,
    Claim,
    ConstantWindow,
    Count,
    Extreme,
    FlatGain,
    KernelKind,
    LinearOverWindows,
    Partial,
    PerfectMatch,
    Range,
    Setting,
    Weaker,
)


def _tidy(q: Fraction) -> Number:
    return q.numerator if q.denominator == 1 else q


def _affine(grid: tuple[tuple[Number, ...], ...]) -> bool:
    """The values are a + b·m + c·n over the taps (m, n): a ramp (or flat)."""
    a = grid[0][0]
    down = grid[1][0] - a if len(grid) > 1 else 0
    across = grid[0][1] - a if len(grid[0]) > 1 else 0
    return all(
        v == a + m * down + n * across for m, row in enumerate(grid) for n, v in enumerate(row)
    )


class ClaimsOfFacts:
    """Claims read off ``self.f`` (the facts), for the writer's mixins."""

    @property
    def _steps(self) -> tuple[Step, ...]:
        return self.f.trace.steps

    @cached_property
    def all_positions(self) -> tuple[tuple[int, int], ...]:
        return tuple(sorted(s.index for s in self._steps))

    def kind_claim(self) -> Claim:
        return KernelKind(self.kind)

    # ----- the result ----------------------------------------------------------------------

    def largest(self) -> Claim:
        return Extreme(self.f.best.value, self.f.best.indices, "largest", "sign")

    def smallest(self) -> Claim:
        return Extreme(self.f.worst.value, self.f.worst.indices, "smallest", "sign")

    def all_equal(self) -> Claim:
        return AllEqual(self.f.best.value, len(self._steps))

    def value_range(self) -> Claim:
        return Range(self.f.worst.value, self.f.best.value)

    @property
    def one_pixel(self) -> bool:
        """The result is a single pixel: no "every other", no "largest of all"."""
        return len(self._steps) == 1

    def one_pixel_claim(self) -> Claim:
        return Count(1, "result-pixels")

    @cached_property
    def strongest(self) -> Extreme | None:
        """The value furthest from zero, when it has one sign (else None)."""
        values = [s.value for s in self._steps]
        top = max(abs(v) for v in values)
        if top == 0:
            return None
        signs = {v for v in values if abs(v) == top}
        if len(signs) > 1:
            return None
        (v,) = signs
        where = tuple(s.index for s in self._steps if s.value == v)
        return Extreme(v, where, "largest", "magnitude")

    # ----- the windows ---------------------------------------------------------------------

    @cached_property
    def windows_flat(self) -> bool:
        return all(len(set(s.patch)) == 1 for s in self._steps)

    @cached_property
    def windows_ramps(self) -> bool:
        return all(_affine(s.grid(s.patch)) for s in self._steps)

    def flat_claim(self) -> Claim:
        return ConstantWindow(self.all_positions)

    def ramp_claim(self) -> Claim:
        return LinearOverWindows(self.all_positions)

    # ----- the kernel ----------------------------------------------------------------------

    @cached_property
    def gain(self) -> Number:
        """What a flat patch of c becomes, over c: the weights' sum over the divisor."""
        return _tidy(Fraction(self.f.kernel_sum) / Fraction(self.f.trace.divisor))

    def gain_claim(self) -> Claim:
        return FlatGain(self.gain)

    @cached_property
    def averages(self) -> bool:
        """Every weight over the divisor is a share ≥ 0, and the shares add up to 1."""
        d = Fraction(self.f.trace.divisor)
        shares = [Fraction(w) / d for w in self.f.kernel_weights]
        return min(shares) >= 0 and sum(shares) == 1

    def average_claim(self) -> Claim | None:
        return Average() if self.averages else None

    # ----- matching a pattern ----------------------------------------------------------------

    @cached_property
    def best_sum(self) -> Number:
        return max(s.total for s in self._steps)

    @cached_property
    def matching(self) -> bool:
        """Match words apply: a pattern kernel, a positive divisor (a negative one turns the
        best fit into the smallest value) and windows that differ in how well they fit."""
        sums = {s.total for s in self._steps}
        return self.kind == "pattern" and self.f.trace.divisor > 0 and len(sums) > 1

    def best_fit(self) -> Claim:
        holders = [s for s in self._steps if s.total == self.best_sum]
        return BestFit(holders[0].value, tuple(s.index for s in holders))

    def match_quality(self) -> Claim:
        """PerfectMatch when the best reaches the bound, else BestBelowBound."""
        cls = PerfectMatch if self.f.best_is_perfect else BestBelowBound
        return cls(self.f.best.value, self.f.reachable_max)

    @cached_property
    def partial_values(self) -> tuple[Number, ...]:
        """Values of the windows whose sum lies strictly between 0 and the best sum."""
        return tuple(sorted({s.value for s in self._steps if 0 < s.total < self.best_sum}))

    def partial_claim(self) -> Claim:
        return Partial(self.partial_values)

    # ----- comparisons and counts ------------------------------------------------------------

    def weaker(self, step: Step, than: Step) -> Weaker | None:
        """The claim that ``step`` responds less than ``than``, when it does (by sign and
        by size); None when it does not (−4 against 4 is not weaker)."""
        if step.value < than.value and abs(step.value) < abs(than.value):
            return Weaker(step.index, step.value, than.index, than.value)
        return None

    def stride_claim(self) -> Claim:
        return Setting("stride", tuple(self.p.stride))
