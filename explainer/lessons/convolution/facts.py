"""What is true of one convolution, computed from its trace: the ground for every sentence.

The writer (:mod:`explainer.lessons.convolution.writer`) words a lesson from these facts and
nothing else, so a test can check each claim of the narration against the trace without
rendering a frame. Facts hold numbers, steps and categories; no wording lives here.

>>> from explainer import lecture_problem, build_trace
>>> f = facts_of(build_trace(lecture_problem(), exact=True))
>>> f.kernel_kind, f.best.value, len(f.best.steps), f.best_is_perfect
('pattern', 1, 4, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from explainer.core.engine import compute
from explainer.core.problem import Problem
from explainer.core.trace import Number, Step, Trace
from explainer.present.speech import is_shown_exactly

KERNEL_KINDS = ("pattern", "smoothing", "change", "sharpen", "general")
"""pattern: ±c entries of both signs, a template to match; smoothing: non-negative weights,
the same turned around, an average; change: weights that sum to zero, which answer
differences; sharpen: weights that sum to 1 around a largest centre, with negatives;
general: anything else (e.g. weights 1..9)."""


@dataclass(frozen=True)
class Extreme:
    """A value of the result and every output pixel that holds it (row-major)."""

    value: Number
    steps: tuple[Step, ...]

    @property
    def count(self) -> int:
        return len(self.steps)

    @property
    def indices(self) -> tuple[tuple[int, int], ...]:
        return tuple(s.index for s in self.steps)


@dataclass(frozen=True)
class ProductSigns:
    """How the products of one patch split by sign, and whether they cancel."""

    positive: int
    negative: int
    zero: int
    total: Number
    """Their sum (from the trace)."""

    @property
    def count(self) -> int:
        return self.positive + self.negative + self.zero

    @property
    def cancel(self) -> bool:
        """Non-zero products of both signs that add up to exactly zero."""
        return self.total == 0 and self.positive > 0 and self.negative > 0

    @property
    def all_equal_sign(self) -> bool:
        return self.negative == 0 or self.positive == 0


def product_signs(step: Step) -> ProductSigns:
    return ProductSigns(
        positive=sum(1 for p in step.products if p > 0),
        negative=sum(1 for p in step.products if p < 0),
        zero=sum(1 for p in step.products if p == 0),
        total=step.total,
    )


@dataclass(frozen=True)
class AxisSize:
    """The output size along one axis and every number that gives it."""

    name: str  # "rows" or "columns"
    size: int  # image size n
    before: int  # padding before (top or left)
    after: int  # padding after (bottom or right)
    kernel: int  # k
    stride: int  # s
    dilation: int  # d
    out: int  # the result's size, from the problem

    @property
    def positions(self) -> tuple[int, ...]:
        """Where the window starts on the padded axis, one entry per output pixel."""
        return tuple(self.stride * i for i in range(self.out))

    @property
    def span(self) -> int:
        """How many padded pixels the (dilated) kernel covers: d·(k − 1) + 1."""
        return self.dilation * (self.kernel - 1) + 1

    @property
    def unused(self) -> int:
        """Padded pixels past the last window that no window reaches (stride leftovers)."""
        return self.size + self.before + self.after - (self.positions[-1] + self.span)


def axis_sizes(problem: Problem) -> tuple[AxisSize, AxisSize]:
    """Rows, then columns: every number of the output-size formula for this problem."""
    (h, w), (kh, kw) = problem.image.shape, problem.kernel.shape
    top, bottom, left, right = problem.padding
    oh, ow = problem.output_shape
    stride, dilation = problem.stride, problem.dilation
    return (
        AxisSize("rows", h, top, bottom, kh, stride[0], dilation[0], oh),
        AxisSize("columns", w, left, right, kw, stride[1], dilation[1], ow),
    )


@dataclass(frozen=True)
class Facts:
    """Everything the script may claim about one problem, computed from its exact trace."""

    trace: Trace

    @property
    def problem(self) -> Problem:
        return self.trace.problem

    # ----- the inputs --------------------------------------------------------------------

    @cached_property
    def image_values(self) -> tuple[Number, ...]:
        """The distinct values of the image (without padding), ascending."""
        top, left = self.trace.padding_offset
        h, w = self.problem.image.shape
        rows = self.trace.padded_image[top : top + h]
        return tuple(sorted({v for row in rows for v in row[left : left + w]}))

    @cached_property
    def padded_range(self) -> tuple[Number, Number]:
        """Lowest and highest value the kernel can meet, border included."""
        values = [v for row in self.trace.padded_image for v in row]
        return min(values), max(values)

    @property
    def image_is_binary(self) -> bool:
        """Only two values (e.g. −1/+1 or 0/1): black and white."""
        return len(self.image_values) == 2

    @property
    def image_is_signed_binary(self) -> bool:
        return self.image_values == (-1, 1)

    @property
    def image_is_constant(self) -> bool:
        return len(self.image_values) == 1

    @cached_property
    def kernel_weights(self) -> tuple[Number, ...]:
        """The kernel as the user gave it, row-major (before any flip)."""
        applied = [v for row in self.trace.applied_kernel for v in row]
        return tuple(reversed(applied)) if self.problem.flip else tuple(applied)

    @cached_property
    def kernel_sum(self) -> Number:
        return _plain(sum(self.kernel_weights, 0))

    @cached_property
    def kernel_kind(self) -> str:
        """One of :data:`KERNEL_KINDS`, in that order of precedence."""
        kh, kw = self.problem.kernel.shape
        w = self.kernel_weights
        return classify_kernel([list(w[r * kw : (r + 1) * kw]) for r in range(kh)])

    @property
    def kernel_centre(self) -> Number:
        kh, kw = self.problem.kernel.shape
        return self.kernel_weights[(kh // 2) * kw + kw // 2]

    @cached_property
    def change_direction(self) -> str | None:
        """For a kernel that answers change: the direction its positive response rises in,
        as the kernel is applied (after any flip): "left to right", "top to bottom" (or the
        reverse), or None when it answers change in no one direction (a Laplacian).

        A kernel mirrored left to right into its own negative answers change across; which
        way is the sign of its weights' moment along the columns, Σ w·n (not its middle
        row, which may be all zeros).
        """
        applied = [list(row) for row in self.trace.applied_kernel]
        if applied == [[-v for v in reversed(row)] for row in applied]:
            moment = sum(v * n for row in applied for n, v in enumerate(row))
            if moment:
                return "left to right" if moment > 0 else "right to left"
        if applied == [[-v for v in row] for row in reversed(applied)]:
            moment = sum(v * m for m, row in enumerate(applied) for v in row)
            if moment:
                return "top to bottom" if moment > 0 else "bottom to top"
        return None

    @cached_property
    def flip_changes(self) -> tuple[int, int]:
        """(how many output pixels change, how many there are) when the same problem is
        computed with the kernel flipped the other way: what the flip does here."""
        p = self.problem
        other = Problem(
            p.image,
            p.kernel,
            stride=p.stride,
            padding=p.padding,
            padding_mode=p.padding_mode,
            dilation=p.dilation,
            flip=not p.flip,
            normalize=p.normalize,
        )
        theirs = compute(other, exact=True).ravel().tolist()
        ours = [s.value for s in self.trace.steps]
        return sum(1 for a, b in zip(ours, theirs, strict=True) if a != b), len(ours)

    @cached_property
    def needs_decimals(self) -> bool:
        """Some image or result value is unreadable as a fraction (−209/255)."""
        values = list(self.image_values) + [s.value for s in self.trace.steps]
        return not all(is_shown_exactly(v) for v in values)

    @property
    def kernel_non_negative(self) -> bool:
        return min(self.kernel_weights) >= 0

    @property
    def kernel_size(self) -> int:
        return len(self.kernel_weights)

    @property
    def kernel_is_one_tap(self) -> bool:
        return self.kernel_size == 1

    @cached_property
    def kernel_symmetric(self) -> bool:
        """The kernel equals itself turned by 180°, so flipping it changes nothing."""
        return self.kernel_weights == tuple(reversed(self.kernel_weights))

    @property
    def weights_sum_to_one_after_division(self) -> bool:
        """normalize='sum' (or a kernel already summing to 1) makes the weights an average."""
        return self.problem.normalize == "sum" or self.kernel_sum == 1

    # ----- padding -------------------------------------------------------------------------

    @property
    def padding(self) -> tuple[int, int, int, int]:
        """(top, bottom, left, right)."""
        return self.problem.padding

    @property
    def padded(self) -> bool:
        return any(self.padding)

    @property
    def padding_uniform(self) -> bool:
        return len(set(self.padding)) == 1

    @cached_property
    def padded_sides(self) -> tuple[tuple[str, int], ...]:
        """The sides that get a border, with their widths, in reading order."""
        names = ("top", "bottom", "left", "right")
        return tuple((n, w) for n, w in zip(names, self.padding, strict=True) if w)

    @property
    def padding_only_after(self) -> bool:
        """Border only at the bottom and/or right: 'same' with an odd total, e.g. stride 2."""
        top, bottom, left, right = self.padding
        return self.padded and top == 0 and left == 0

    # ----- sizes ---------------------------------------------------------------------------

    @cached_property
    def axes(self) -> tuple[AxisSize, AxisSize]:
        return axis_sizes(self.problem)

    @property
    def size_changes(self) -> bool:
        """Stride, padding or dilation: the result's size needs its own explanation."""
        p = self.problem
        return p.stride != (1, 1) or self.padded or p.dilation != (1, 1)

    # ----- the result ----------------------------------------------------------------------

    @cached_property
    def best(self) -> Extreme:
        """The largest value and every pixel that holds it."""
        top = max(s.value for s in self.trace.steps)
        return Extreme(top, tuple(s for s in self.trace.steps if s.value == top))

    @cached_property
    def worst(self) -> Extreme:
        """The smallest value and every pixel that holds it."""
        low = min(s.value for s in self.trace.steps)
        return Extreme(low, tuple(s for s in self.trace.steps if s.value == low))

    @property
    def all_equal(self) -> bool:
        return self.best.value == self.worst.value

    @cached_property
    def distinct_values(self) -> tuple[Number, ...]:
        return tuple(sorted({s.value for s in self.trace.steps}))

    @cached_property
    def reachable_max(self) -> Number:
        """The largest value this kernel can give on any patch of values within
        :attr:`padded_range`: every weight meets the extreme that favours it."""
        low, high = self.padded_range
        divisor = Fraction(self.trace.divisor)
        # Dividing by a negative sum turns the smallest sum of products into the largest value.
        pick = max if divisor > 0 else min
        total = sum((pick(w * low, w * high) for w in self.kernel_weights), 0)
        return _plain(Fraction(total) / divisor)

    @property
    def best_is_perfect(self) -> bool:
        """The best value is the most the kernel can give on this image: a perfect match."""
        return not self.all_equal and self.best.value == self.reachable_max

    @property
    def negative_is_strongest(self) -> bool:
        """The most negative value is further from zero than the largest one."""
        return self.worst.value < 0 and -self.worst.value > self.best.value

    @property
    def opposite_as_strong(self) -> bool:
        """The most negative value mirrors the largest: as strong, with the opposite sign."""
        return self.worst.value < 0 and -self.worst.value == self.best.value

    @property
    def has_negative_values(self) -> bool:
        return self.worst.value < 0

    @cached_property
    def runners_up(self) -> tuple[Step, ...]:
        """Steps with the second-largest value (for pattern kernels, the partial matches)."""
        below = [v for v in self.distinct_values if v < self.best.value]
        if not below:
            return ()
        second = below[-1]
        return tuple(s for s in self.trace.steps if s.value == second)

    # ----- the patches the lesson multiplies out --------------------------------------------

    @property
    def first(self) -> Step:
        """The patch multiplied out pixel by pixel: the first (row-major) best value."""
        return self.best.steps[0]

    @cached_property
    def contrast(self) -> Step | None:
        """A second patch whose value differs from the first, to show what lowers it.

        The first best value's right-hand (else lower) neighbour when it differs, which keeps
        the window close to the first; otherwise the first step with the smallest value.
        None when every value is equal.
        """
        if self.all_equal:
            return None
        i, j = self.first.index
        oh, ow = self.trace.output_shape
        for di, dj in ((0, 1), (1, 0), (0, -1), (-1, 0)):
            r, c = i + di, j + dj
            if 0 <= r < oh and 0 <= c < ow:
                step = self.trace.step(r, c)
                if step.value != self.first.value:
                    return step
        return self.worst.steps[0]

    def signs(self, step: Step) -> ProductSigns:
        return product_signs(step)


def padding_source(problem: Problem, row: int, col: int) -> tuple[int, int] | None:
    """The image pixel whose value the border holds at image coordinates (row, col), which
    may lie outside the image; None for zero padding (the border holds 0, not a copy).

    >>> from explainer import Problem
    >>> p = Problem([[1, 2, 3]], [[1, 1]], padding=(0, 0, 2, 2), padding_mode="reflect")
    >>> padding_source(p, 0, -1), padding_source(p, 0, -2), padding_source(p, 0, 3)
    ((0, 1), (0, 2), (0, 1))
    """
    if problem.padding_mode == "zeros":
        return None
    h, w = problem.image.shape
    return _fold(row, h, problem.padding_mode), _fold(col, w, problem.padding_mode)


def _fold(v: int, size: int, mode: str) -> int:
    if 0 <= v < size:
        return v
    if mode == "replicate":
        return min(max(v, 0), size - 1)
    if mode == "circular":
        return v % size
    period = 2 * (size - 1)  # reflect about the edge pixels, which are not repeated
    v = abs(v) % period if period else 0
    return period - v if v >= size else v


def classify_kernel(weights: list[list[Number]]) -> str:
    """The kind of a kernel given as rows: one of :data:`KERNEL_KINDS`.

    >>> classify_kernel([[1, -1]]), classify_kernel([[1, 2, 1]]), classify_kernel([[0, 0]])
    ('pattern', 'smoothing', 'general')
    """
    flat = [v for row in weights for v in row]
    magnitudes = {abs(v) for v in flat}
    if len(magnitudes) == 1 and 0 not in magnitudes and min(flat) < 0 < max(flat):
        return "pattern"
    positive = sum(1 for v in flat if v > 0)
    if min(flat) >= 0 and positive >= 2 and flat == flat[::-1]:
        return "smoothing"  # a blur spreads evenly: it looks the same turned around
    total = sum(flat, 0)
    if total == 0 and any(flat):
        return "change"
    kh, kw = len(weights), len(weights[0])
    if total == 1 and min(flat) < 0 and kh % 2 == 1 and kw % 2 == 1:
        centre = weights[kh // 2][kw // 2]
        if all(v < centre for k, v in enumerate(flat) if k != (kh // 2) * kw + kw // 2):
            return "sharpen"
    return "general"


def _plain(v: Number) -> Number:
    if isinstance(v, Fraction) and v.denominator == 1:
        return v.numerator
    return v


def facts_of(trace: Trace) -> Facts:
    """The facts of an exact trace (``build_trace(problem, exact=True)``)."""
    if not trace.exact:
        raise ValueError("facts need an exact trace: build_trace(problem, exact=True)")
    return Facts(trace)
