"""What the backward and transposed lessons' sentences assert, as data.

As in :mod:`explainer.lessons.claims`, each frozen class defines in its docstring exactly
what it asserts and which words it licenses; :mod:`explainer.lessons.backward_verifier`
checks each one with plain loops of its own, from the problem's raw fields only.

Terms of the backward lesson (a :class:`~explainer.backward_request.BackwardProblem`)
-------------------------------------------------------------------------------------
*map* y
    y[i, j] = Σ_m Σ_n xp[s_r·i + d_r·m, s_c·j + d_c·n] · w[m, n], ``xp`` the image with
    ``padding`` zeros around it (cross-correlation, no flip).
*error* e = y − t, *loss* L = ½ Σ e², for the target map t.
*weight-gradient*, *image-gradient*
    ∂L/∂w and ∂L/∂x: as the verifier finds them, the exact central difference
    (L(v + ε) − L(v − ε)) / 2ε of each weight or pixel v (exact, L being quadratic in v).
*filter-after* w − η·∂L/∂w; *map-after*, *error-after* the map and error it makes;
*stamp* of a source pixel: its value times the kernel, laid with its tap (m, n) on the
    target pixel (s_r·i + d_r·m − top, s_c·j + d_c·n − left); taps outside are dropped.

Terms of the transposed lesson (a :class:`~explainer.backward_request.TransposedProblem`)
---------------------------------------------------------------------------------------
*input* a (the small input), *kernel* k, *output* (the larger output): the sum of every
input pixel's stamp (as above, source a, target the output), on an output of
(n − 1)·s − p_before − p_after + d·(k − 1) + output_padding + 1 cells per axis.
*overlap*: per output pixel, how many (input pixel, tap) pairs land on it.

>>> c = GridShape("map", (7, 7))
>>> claim_from_json(c.to_json()) == c
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from explainer.lessons.claims import Claim, Number, decode_claim

Position = tuple[int, int]
Values = tuple[tuple[Number, ...], ...]

BACKWARD_GRIDS = (
    "image",
    "filter",
    "target",
    "map",
    "error",
    "weight-gradient",
    "filter-after",
    "map-after",
    "error-after",
    "image-gradient",
)
TRANSPOSED_GRIDS = ("input", "kernel", "output", "overlap", "spread", "rotated")
"""*spread*: the input with s − 1 zeros between its pixels, padded by d·(k − 1) − p
(plus output_padding at the bottom and right; negative amounts crop); *rotated*: the
kernel turned by 180°."""
GRIDS = BACKWARD_GRIDS + TRANSPOSED_GRIDS


@dataclass(frozen=True)
class GridShape(Claim):
    """Asserts: grid ``of`` has ``shape`` (rows, columns).

    Licenses: "a 9×9 image", "the 7×7 map", "the small input", "the larger output" (the
    output has more pixels than the input).
    """

    kind: ClassVar[str] = "grid-shape"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"of": GRIDS}
    of: str
    shape: tuple[int, int]


@dataclass(frozen=True)
class GridValues(Claim):
    """Asserts: grid ``of`` holds exactly ``values`` (rows).

    Licenses: stating those numbers, and showing the grid.
    """

    kind: ClassVar[str] = "grid-values"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"of": GRIDS}
    of: str
    values: Values


@dataclass(frozen=True)
class TargetMap(Claim):
    """Asserts: the target is the map that a filter holding ``filter`` makes of the image
    (with the problem's stride, padding and dilation).

    Licenses: "the target is the map that filter makes of the image".
    """

    kind: ClassVar[str] = "target-map"
    filter: Values


@dataclass(frozen=True)
class PixelError(Claim):
    """Asserts: at output pixel ``at`` the map holds ``value``, the target ``target`` and
    the error is ``error`` = value − target.

    Licenses: "the filter makes v where the target asks for t: an error of e".
    """

    kind: ClassVar[str] = "pixel-error"
    at: Position
    value: Number
    target: Number
    error: Number


@dataclass(frozen=True)
class LossValue(Claim):
    """Asserts: the squared errors of the map (``stage`` "before") or of the map after the
    step ("after") add up to ``squares``, and the loss is ``value`` = squares / 2.

    Licenses: "the loss, half the sum of the squared errors, is v".
    """

    kind: ClassVar[str] = "loss-value"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"stage": ("before", "after")}
    stage: str
    squares: Number
    value: Number


@dataclass(frozen=True)
class WeightTerms(Claim):
    """The derivative of the loss with respect to one weight, term by term.

    Asserts: for weight ``weight`` = (m, n), the output pixels (i, j) whose window puts tap
    (m, n) on an image pixel (r, q) (not on the zero padding) are exactly those of
    ``terms``, in row-major order, each ``(i, j, r, q, e[i, j], x[r, q])``; and ∂L/∂w[m, n]
    = Σ e·x = ``total``.

    Licenses: "term by term", "n terms, one per output pixel", "the padding adds no term".
    """

    kind: ClassVar[str] = "weight-terms"
    weight: Position
    terms: tuple[tuple[Number, ...], ...]
    total: Number


@dataclass(frozen=True)
class ZeroErrorTerms(Claim):
    """Asserts: of the ``total`` terms of ∂L/∂w[``weight``] (as :class:`WeightTerms`
    defines them), exactly ``zeros`` have an error e[i, j] of 0.

    Licenses: "where the filter is already right the error is 0, and so is its term: z of
    the t terms are 0".
    """

    kind: ClassVar[str] = "zero-error-terms"
    weight: Position
    zeros: int
    total: int


@dataclass(frozen=True)
class CorrelationOfError(Claim):
    """Asserts: for every weight (m, n), ∂L/∂w[m, n] = Σ_ij e[i, j] · xp[s_r·i + d_r·m,
    s_c·j + d_c·n]: the padded image correlated with the error map, whose pixels are
    spread ``stride`` apart (and the taps ``dilation`` apart).

    Licenses: "the correlation of the image with the error map".
    """

    kind: ClassVar[str] = "correlation-of-error"
    stride: tuple[int, int]
    dilation: tuple[int, int]


@dataclass(frozen=True)
class WeightStep(Claim):
    """Asserts: the learning rate is ``rate``; weight ``weight`` holds ``before``, its
    gradient is ``gradient`` and after the step it holds ``after`` = before − rate·gradient.

    Licenses: "one step against the gradient", "w − η·g".
    """

    kind: ClassVar[str] = "weight-step"
    rate: Number
    weight: Position
    before: Number
    gradient: Number
    after: Number


@dataclass(frozen=True)
class LossChange(Claim):
    """Asserts: the loss is ``before`` before the step and ``after`` after it, and
    ``direction`` is "falls" (after < before), "rises" (after > before) or "stays".

    Licenses: "falls: the map moves toward the target" (falls), "rises: the step
    overshoots" (rises), "does not change" (stays).
    """

    kind: ClassVar[str] = "loss-change"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"direction": ("falls", "rises", "stays")}
    before: Number
    after: Number
    direction: str


@dataclass(frozen=True)
class PixelsCloser(Claim):
    """Asserts: of the ``total`` output pixels, ``closer`` have a smaller |error| after the
    step, ``farther`` a larger one and ``same`` the same.

    Licenses: "n of the t pixels come closer to their target".
    """

    kind: ClassVar[str] = "pixels-closer"
    closer: int
    farther: int
    same: int
    total: int


@dataclass(frozen=True)
class TransposedGradient(Claim):
    """Asserts: ∂L/∂x (every pixel) equals the sum of the stamps of every error pixel
    (source the error map, kernel the filter, the convolution's stride, padding and
    dilation, target the image): the transposed convolution of the error map.

    Licenses: "the gradient with respect to the image is the transposed convolution of
    the error map with the filter".
    """

    kind: ClassVar[str] = "transposed-gradient"


@dataclass(frozen=True)
class Stamp(Claim):
    """One source pixel's stamp.

    Asserts: pixel ``at`` = (i, j) of the source (the error map in the backward lesson, the
    input in the transposed one) holds ``scale``; its top-left tap lands on ``corner`` =
    (s_r·i − top, s_c·j − left) of the target (outside it when negative); and its stamp
    alone, on a grid of the target's shape with zeros elsewhere, is ``values``.

    Licenses: "stamps a copy of the kernel, scaled by v".
    """

    kind: ClassVar[str] = "stamp"
    at: Position
    scale: Number
    corner: Position
    values: Values


@dataclass(frozen=True)
class StampSum(Claim):
    """Asserts: target pixel ``at`` (of the image gradient, or of the output) receives
    exactly the stamps ``parts``, each ``(i, j, m, n, source value, kernel value)``,
    row-major by (i, j) then (m, n); and holds ``total``, their products' sum.

    Licenses: "the stamps add up", "n stamps overlap here".
    """

    kind: ClassVar[str] = "stamp-sum"
    at: Position
    parts: tuple[tuple[Number, ...], ...]
    total: Number


@dataclass(frozen=True)
class OutputSize(Claim):
    """Asserts: along ``axis`` (0 rows, 1 columns) the input has ``n_in`` cells, the
    kernel ``k`` taps, and with ``stride``, ``padding`` (both sides together),
    ``dilation`` and ``output_padding`` the output has
    ``n_out = (n_in − 1)·stride − padding + dilation·(k − 1) + output_padding + 1``.

    Licenses: the formula with these numbers.
    """

    kind: ClassVar[str] = "output-size"
    axis: int
    n_in: int
    k: int
    stride: int
    padding: int
    dilation: int
    output_padding: int
    n_out: int


@dataclass(frozen=True)
class Checkerboard(Claim):
    """Asserts: along ``axis`` the kernel has ``k`` taps, ``dilation`` apart, and the stride
    is ``stride``;
    ``multiple`` says whether k is a multiple of the stride; ``counts`` are the distinct
    overlap counts (increasing) of the output cells between the last tap of the first
    input cell and the first tap of the last one (the *inside*: s·0 + d·(k − 1) − p ≤ r ≤
    s·(n − 1) − p), and ``uneven`` says there are several.

    Licenses: "k is (not) a multiple of the stride", "the overlap is uneven inside: a
    checkerboard" (uneven), "even inside: no checkerboard" (not uneven).
    """

    kind: ClassVar[str] = "checkerboard"
    axis: int
    k: int
    stride: int
    dilation: int
    multiple: bool
    counts: tuple[int, ...]
    uneven: bool


@dataclass(frozen=True)
class ZeroInsertion(Claim):
    """Asserts: along ``axis``, ``zeros`` = s − 1 zeros go between input cells, and the
    spread input is padded by ``before`` = d·(k − 1) − p_before and ``after`` =
    d·(k − 1) − p_after + output_padding cells (negative: cropped).

    Licenses: "insert s − 1 zeros, pad by …".
    """

    kind: ClassVar[str] = "zero-insertion"
    axis: int
    zeros: int
    before: int
    after: int


@dataclass(frozen=True)
class ViewEqual(Claim):
    """Asserts: the output computed as ``view`` holds ``values``: "scatter" (the stamps
    added up), "zero-insertion" (the spread input correlated, stride 1, with the rotated
    kernel) or "matrix" (Mᵀ times the input, M the dense matrix of the convolution of an
    output-shaped grid, whose rows beyond the input's shape are dropped).

    Licenses: "the three views agree", "the same numbers".
    """

    kind: ClassVar[str] = "view-equal"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {
        "view": ("scatter", "zero-insertion", "matrix")
    }
    view: str
    values: Values


@dataclass(frozen=True)
class MatrixShape(Claim):
    """Asserts: the dense matrix M of the convolution of an output-shaped grid (to an
    input-shaped one) has ``rows`` rows (input pixels) and ``columns`` columns (output
    pixels), and ``nonzero`` entries hold a kernel weight's place.

    Licenses: "M is rows × columns", "Mᵀ is columns × rows".
    """

    kind: ClassVar[str] = "matrix-shape"
    rows: int
    columns: int
    nonzero: int


BACKWARD_CLAIM_KINDS: tuple[type[Claim], ...] = (
    GridShape,
    GridValues,
    TargetMap,
    PixelError,
    LossValue,
    WeightTerms,
    ZeroErrorTerms,
    CorrelationOfError,
    WeightStep,
    LossChange,
    PixelsCloser,
    TransposedGradient,
    Stamp,
    StampSum,
    OutputSize,
    Checkerboard,
    ZeroInsertion,
    ViewEqual,
    MatrixShape,
)
_BY_KIND: dict[str, type[Claim]] = {c.kind: c for c in BACKWARD_CLAIM_KINDS}

WORDS: dict[str, type[Claim]] = {
    "the map that filter makes": TargetMap,
    "error": PixelError,
    "the loss": LossValue,
    "term by term": WeightTerms,
    "already right ... terms are 0": ZeroErrorTerms,
    "correlation of the image with the error map": CorrelationOfError,
    "one step against the gradient": WeightStep,
    "falls / rises / does not change": LossChange,
    "closer to their target": PixelsCloser,
    "the transposed convolution of the error map": TransposedGradient,
    "stamps a copy of the kernel": Stamp,
    "the stamps add up": StampSum,
    "the output-size formula": OutputSize,
    "a multiple of the stride / uneven / checkerboard": Checkerboard,
    "insert zeros, pad": ZeroInsertion,
    "the views agree": ViewEqual,
    "the small input / the larger output": GridShape,
    "the transposed matrix": MatrixShape,
}
"""Each qualitative phrase of the two scripts and the one kind of claim that licenses it."""


def claim_from_json(data: dict[str, Any] | str) -> Claim:
    """The claim :meth:`Claim.to_json` wrote (a dict, or its JSON text)."""
    return decode_claim(_BY_KIND, data, "a backward or transposed claim")
