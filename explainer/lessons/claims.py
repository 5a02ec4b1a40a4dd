"""What a sentence asserts, as data: one frozen class per kind of claim.

A beat of the lesson does not hold free text; it holds claims, and its sentence is worded
from them alone. Each class below defines, in its docstring, exactly what it asserts about
the problem (the image, the kernel and the options, nothing the engine computed) and which
words it licenses. A qualitative word belongs to exactly one kind of claim: "flat" only to
:class:`ConstantWindow`, "responds most" only to :class:`Extreme` by magnitude, "fits best"
only to :class:`BestFit`, and so on; the table :data:`WORDS` lists them all.
:mod:`explainer.lessons.verifier` checks every claim against the raw problem with a computation of
its own.

Claims hold plain data only: ints, :class:`~fractions.Fraction`, strings, booleans, None
and tuples of these, so that they compare exactly, hash, and round-trip through JSON
(:meth:`Claim.to_json`, :func:`claim_from_json`).

Terms used by every definition
------------------------------
*result*
    The output of the problem: for output pixel (i, j) the *window* is the padded-image
    pixels at rows ``s_r·i + d_r·m`` and columns ``s_c·j + d_c·n`` for every kernel tap
    (m, n); the *patch* is their values, the *products* are patch × applied kernel (the
    kernel rotated by 180° when ``flip``), the *sum* is the products added up, and the
    *value* is sum / divisor (the divisor is 1, the kernel's area, or the kernel's sum).
*position*
    ``(row, column)`` of an output pixel, numbered from 0; for the one-dimensional prelude
    ``(0, k)``. Tuples of positions are in row-major order.
*numbers*
    Exact: floats in the problem are read as the decimal they print as (``0.1`` is 1/10).

>>> c = Extreme(value=-12, positions=((2, 3),), which="largest", by="magnitude")
>>> claim_from_json(c.to_json()) == c
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any, ClassVar

Number = int | Fraction
Position = tuple[int, int]

SUBJECTS: tuple[str, ...] = ("image", "kernel", "result", "prelude")
"""What a claim about values speaks of: the image (without padding), the kernel as given,
the result, or the sums of the one-dimensional prelude (see :class:`Prelude`)."""

COUNTED: dict[str, str] = {
    "result-pixels": "output pixels in the result (rows × columns)",
    "positions-across": "output pixels along one row of the result (the result's columns)",
    "positions-down": "output pixels down one column of the result (the result's rows)",
    "products": "products in one window: the kernel's taps",
    "unused-rows": "padded rows below the last window that no window reaches",
    "unused-columns": "padded columns right of the last window that no window reaches",
    "flip-changes": "output pixels whose value changes when the kernel is flipped the other way",
    "prelude-samples": "numbers in the prelude's signal",
    "prelude-taps": "weights of the prelude's filter",
    "prelude-positions": "sums the prelude computes (positions of its filter)",
}
"""What :class:`Count` may count, and the exact meaning of each."""


def _plain(value: Any) -> Any:
    """Lists to tuples, floats to the Fraction of their decimal, numpy scalars to Python."""
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item") and not isinstance(value, (int, Fraction)):
        value = value.item()  # a numpy scalar
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return Fraction(repr(value))
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    if isinstance(value, (int, Fraction)):
        return value
    raise TypeError(f"a claim holds plain numbers, strings and tuples; got {value!r}")


def _encode(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    if isinstance(value, Fraction):
        return {"q": f"{value.numerator}/{value.denominator}"}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if isinstance(value, dict):
        return Fraction(value["q"])
    return value


@dataclass(frozen=True)
class Claim:
    """Base of every claim: plain data, JSON both ways, and a check of its own fields."""

    kind: ClassVar[str] = "claim"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {}
    """Field name → the values it may take (checked on construction)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _plain(getattr(self, f.name)))
        for name, allowed in self.choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"{type(self).__name__}.{name} must be one of {allowed}; "
                    f"got {getattr(self, name)!r}"
                )

    def to_json(self) -> dict[str, Any]:
        """``{"kind": ..., field: value, ...}``; a Fraction is ``{"q": "7/9"}``."""
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):
            out[f.name] = _encode(getattr(self, f.name))
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> Claim:
        """The claim :meth:`to_json` wrote (a dict, or its JSON text)."""
        return claim_from_json(data)

    def __str__(self) -> str:
        parts = ", ".join(f"{f.name}={_shown(getattr(self, f.name))}" for f in fields(self))
        return f"{type(self).__name__}({parts})"


def _shown(value: Any) -> str:
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_shown(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


# ----- values ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Value(Claim):
    """One number of one output pixel.

    Asserts: at output pixel ``position`` of the result, the quantity ``stage`` equals
    ``value`` exactly. ``stage`` is ``"value"`` (what the result holds, after any division)
    or ``"sum"`` (the sum of the products, before division).

    Licenses: stating that number for that pixel ("the output is 7/9", "their sum, 7, is
    the output pixel"). No qualitative word.
    """

    kind: ClassVar[str] = "value"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"stage": ("value", "sum")}
    position: Position
    value: Number
    stage: str = "value"


@dataclass(frozen=True)
class Products(Claim):
    """The products of one window.

    Asserts: the products of the window of output pixel ``position`` (patch pixel × applied
    kernel weight, in the kernel's row-major order) are exactly ``products``.

    Licenses: showing or naming those products ("multiply each pixel by the weight over
    it"). No qualitative word.
    """

    kind: ClassVar[str] = "products"
    position: Position
    products: tuple[Number, ...]


@dataclass(frozen=True)
class Extreme(Claim):
    """The largest or smallest value, and every pixel that holds it.

    Asserts, over the values of ``of`` (the result, or the prelude's sums):

    * ``by="sign"``: ``value`` is the maximum (``which="largest"``) or minimum
      (``"smallest"``) of the values;
    * ``by="magnitude"``: ``abs(value)`` is the maximum (``"largest"``) or minimum
      (``"smallest"``) of the absolute values, ``value`` is not 0 and ``−value`` occurs
      nowhere (the extreme has one definite sign);

    and in both cases ``positions`` is exactly the set of positions holding ``value``,
    row-major.

    Licenses: by sign, "the largest value", "the largest sum", "the smallest", "where the
    output is largest", "the most negative value", "down to"; by magnitude, "responds
    most", "the strongest response", "further from zero than", "the strongest response
    here is negative" (value < 0). The number of positions words "found in four pixels",
    "one of four".
    """

    kind: ClassVar[str] = "extreme"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {
        "which": ("largest", "smallest"),
        "by": ("sign", "magnitude"),
        "of": ("result", "prelude"),
    }
    value: Number
    positions: tuple[Position, ...]
    which: str = "largest"
    by: str = "sign"
    of: str = "result"


@dataclass(frozen=True)
class OppositeExtremes(Claim):
    """The most negative value mirrors the largest.

    Asserts: ``value`` > 0 is the largest value of the result and ``−value`` its smallest.

    Licenses: "just as strong with the opposite sign", "the same change, the other way
    round", "the pattern inverted" (with :class:`KernelKind` pattern).
    """

    kind: ClassVar[str] = "opposite-extremes"
    value: Number


@dataclass(frozen=True)
class AllEqual(Claim):
    """Every value is the same.

    Asserts: ``of`` has exactly ``count`` entries (pixels of the image, weights of the
    kernel, pixels of the result, or sums of the prelude), and every one equals ``value``.

    Licenses: "every pixel is v", "every value is v", "one colour throughout", "every pixel
    will have the same value", "the filter sees the same thing everywhere"; and, only when
    ``count`` ≥ 2, "every other pixel", "and so is every other pixel's".
    """

    kind: ClassVar[str] = "all-equal"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"of": SUBJECTS}
    value: Number
    count: int
    of: str = "result"


@dataclass(frozen=True)
class Range(Claim):
    """The lowest and highest value.

    Asserts: the minimum of ``of`` is ``low`` and its maximum is ``high``.

    Licenses: "from low to high"; "every value is positive" (low > 0) or "zero or above" (= 0),
    "negative" or "zero or below" (high < 0, = 0), "positive values are …, negative ones …".
    """

    kind: ClassVar[str] = "range"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"of": SUBJECTS}
    low: Number
    high: Number
    of: str = "result"


@dataclass(frozen=True)
class DistinctValues(Claim):
    """Which values occur.

    Asserts: the distinct values of ``of``, ascending, are exactly ``values``.

    Licenses: naming them all ("each white pixel is +1, each black pixel is −1"); "black
    and white", "binary" when there are two.
    """

    kind: ClassVar[str] = "distinct-values"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"of": SUBJECTS}
    values: tuple[Number, ...]
    of: str = "image"


@dataclass(frozen=True)
class Weaker(Claim):
    """One output pixel responds less than another.

    Asserts: the value at ``position`` is ``value``, the value at ``than_position`` is
    ``than_value``, and ``value`` is below ``than_value`` both by sign and by magnitude
    (``value < than_value`` and ``abs(value) < abs(than_value)``).

    Licenses: "only v, against b", "pulls the sum down", "its products add up to less".
    (−4 against 4 is lower but not weaker: that is :class:`OppositeExtremes`.)
    """

    kind: ClassVar[str] = "weaker"
    position: Position
    value: Number
    than_position: Position
    than_value: Number


# ----- the image under the windows ----------------------------------------------------------


@dataclass(frozen=True)
class ConstantWindow(Claim):
    """The image is flat where the filter looks.

    Asserts: for each output pixel in ``positions``, every pixel of its window (padding
    included, as the border holds it) has the same value.

    Licenses: "flat" ("the image is flat everywhere the filter looks" needs every position
    of the result; "on this flat patch" one).
    """

    kind: ClassVar[str] = "constant-window"
    positions: tuple[Position, ...]


@dataclass(frozen=True)
class LinearOverWindows(Claim):
    """The image is a ramp where the filter looks.

    Asserts: for each output pixel in ``positions``, the window's values are an affine
    function of the tap (m, n): ``x = a + b·m + c·n`` exactly, with a, b, c of that window
    (padding included). A constant window is linear with b = c = 0.

    Licenses: "a ramp", "linear", "changes at a steady rate" where the filter looks (e.g.
    "the image is a ramp everywhere the filter looks, and this filter gives 0 on ramps").
    """

    kind: ClassVar[str] = "linear-over-windows"
    positions: tuple[Position, ...]


# ----- the kernel ----------------------------------------------------------------------------

KERNEL_KINDS: tuple[str, ...] = ("pattern", "smoothing", "change", "sharpen", "general")


@dataclass(frozen=True)
class KernelKind(Claim):
    """What kind of filter the kernel is.

    Asserts: the weights of ``of`` (the kernel as given, or the prelude's taps) fall in
    ``kind``, the first of these that applies:

    * ``"pattern"``: every weight has the same non-zero magnitude, and both signs occur;
    * ``"smoothing"``: every weight ≥ 0, at least two > 0, and the weights equal
      themselves rotated by 180°;
    * ``"change"``: the weights sum to 0 and at least one is non-zero;
    * ``"sharpen"``: the weights sum to 1, one is negative, both sides are odd and the
      centre weight is larger than every other;
    * ``"general"``: anything else (including all zeros).

    Licenses: pattern, "the pattern we are looking for", "find a pattern"; smoothing, "blur",
    "smooths"; change, "find where an image changes", "responds only where the image
    changes", "non-zero only where the image changes"; sharpen, "sharpen", "counts each
    pixel c times and takes its neighbours away", "every edge steeper"; general, "filter".
    """

    kind: ClassVar[str] = "kernel-kind"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {
        "kernel_kind": KERNEL_KINDS,
        "of": ("kernel", "prelude"),
    }
    kernel_kind: str
    of: str = "kernel"


@dataclass(frozen=True)
class KernelSum(Claim):
    """What the weights add up to.

    Asserts: the sum of the kernel's weights (as given) is ``value``.

    Licenses: "its weights add up to v".
    """

    kind: ClassVar[str] = "kernel-sum"
    value: Number


@dataclass(frozen=True)
class Divisor(Claim):
    """What each sum is divided by.

    Asserts: the problem's normalization is ``normalize`` (None, "area" or "sum") and the
    divisor it means is ``value``: 1, the kernel's number of weights, or their sum.

    Licenses: "divide", "divide by v, the number of filter pixels", "the average product"
    (area), "divided by the filter's sum", "shares of one" (sum), "which changes nothing"
    (value 1), "no division".
    """

    kind: ClassVar[str] = "divisor"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"normalize": (None, "area", "sum")}
    value: Number
    normalize: str | None = None


@dataclass(frozen=True)
class FlatGain(Claim):
    """What the filter does to a flat patch.

    Asserts: a window whose pixels all equal c gives the value ``gain``·c, i.e. ``gain`` =
    (sum of the weights) / divisor.

    Licenses: "flat areas keep their value" (gain 1); "on a flat patch the products add up
    to 0", "zero wherever the patch is flat" (gain 0); "scales flat areas by g".
    """

    kind: ClassVar[str] = "flat-gain"
    gain: Number


@dataclass(frozen=True)
class Average(Claim):
    """Each output is a weighted average of its patch.

    Asserts: every effective weight (weight / divisor) is ≥ 0 and they sum to 1.

    Licenses: "weighted average", "a smoothed copy, each pixel a weighted average".
    """

    kind: ClassVar[str] = "average"


@dataclass(frozen=True)
class Symmetric(Claim):
    """The kernel looks the same rotated by 180°.

    Asserts: the kernel equals itself rotated by 180° (``w[m][n] == w[kh−1−m][kw−1−n]``).

    Licenses: "looks the same rotated", "the flip changes nothing", "true convolution
    would give the same result".
    """

    kind: ClassVar[str] = "symmetric"


@dataclass(frozen=True)
class ChangeDirection(Claim):
    """Which way the change the kernel answers runs.

    Asserts, of the kernel as applied (rotated when ``flip``): for "left to right" /
    "right to left", mirroring it left to right negates it (``w[m][n] == −w[m][kw−1−n]``)
    and its moment along the columns, ``Σ w[m][n]·n``, is positive (resp. negative): not
    its middle row, which may be all zeros; for "top to bottom" / "bottom to top", the
    same with rows (``Σ w[m][n]·m``), checked when the left-right reading gives none.

    Licenses: "rises from left to right", "rises most steeply from …" (with the largest
    value), "vertical edges" / "horizontal edges".
    """

    kind: ClassVar[str] = "change-direction"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {
        "direction": ("left to right", "right to left", "top to bottom", "bottom to top")
    }
    direction: str


# ----- matching a pattern -------------------------------------------------------------------


@dataclass(frozen=True)
class BestFit(Claim):
    """Where a pattern kernel fits best.

    Asserts: the kernel is a pattern (as in :class:`KernelKind`), ``positions`` are
    exactly the output pixels whose *sum* of products is the largest (the best agreement
    with the pattern, whatever the sign of the divisor), not every sum is equal, and
    ``value`` is the value those pixels hold.

    Licenses: "fits best", "matches best", "where the image matches the filter", "looks
    most like the filter", "comes closest to the filter".
    """

    kind: ClassVar[str] = "best-fit"
    value: Number
    positions: tuple[Position, ...]


@dataclass(frozen=True)
class PerfectMatch(Claim):
    """The best fit is as good as this kernel can do on this image.

    Asserts: the kernel is a pattern; with [lo, hi] the range of the padded image's values
    and ``S = Σ max(w·lo, w·hi)`` over the applied weights (the largest sum the kernel can
    reach on any patch of values in that range), ``bound`` is S / divisor, some window's
    sum is S, not every sum is equal, and ``value`` equals ``bound``.

    Licenses: "a perfect match", "matches the pattern exactly", "appears whole", "exactly
    where the image matches the filter", "the most this filter can give here".
    """

    kind: ClassVar[str] = "perfect-match"
    value: Number
    bound: Number


@dataclass(frozen=True)
class BestBelowBound(Claim):
    """No window is a perfect match.

    Asserts: the kernel is a pattern; with S as in :class:`PerfectMatch`, ``bound`` is
    S / divisor, the largest sum of any window is below S, and ``value`` is that largest
    sum / divisor.

    Licenses: "comes closest", "appears whole nowhere", "a whole match would give b".
    """

    kind: ClassVar[str] = "best-below-bound"
    value: Number
    bound: Number


@dataclass(frozen=True)
class Partial(Claim):
    """Partial matches of a pattern.

    Asserts: the kernel is a pattern and ``values`` (ascending, non-empty) are exactly the
    distinct values of the output pixels whose sum lies strictly between 0 and the largest
    sum.

    Licenses: "partial match(es)", "part of the pattern", "other places hold part of the
    pattern"; "to varying degrees" only when there are two values or more.
    """

    kind: ClassVar[str] = "partial"
    values: tuple[Number, ...]


# ----- products of one window ---------------------------------------------------------------


@dataclass(frozen=True)
class ProductSigns(Claim):
    """How the products of one window split by sign.

    Asserts: among the products of the window of ``position``, exactly ``negatives`` are
    < 0, ``positives`` > 0 and ``zeros`` are 0.

    Licenses: "n negative products", "pulls the sum down" together with :class:`Weaker`,
    "where its sign differs from the filter's, the product is negative" (negatives > 0).
    """

    kind: ClassVar[str] = "product-signs"
    position: Position
    negatives: int
    positives: int
    zeros: int


@dataclass(frozen=True)
class SumCancels(Claim):
    """Products of both signs that add up to nothing.

    Asserts: the window of ``position`` has at least one positive and one negative product,
    and its products sum to exactly 0.

    Licenses: "cancel" ("its products cancel: the sum is 0").
    """

    kind: ClassVar[str] = "sum-cancels"
    position: Position


# ----- sizes and options ----------------------------------------------------------------------


@dataclass(frozen=True)
class Count(Claim):
    """How many of something there are (see :data:`COUNTED`).

    Asserts: there are exactly ``n`` of ``of``; and, when ``total`` is given (only for
    "flip-changes"), that the result has ``total`` pixels, the whole ``n`` is part of.

    Licenses the grammar of the count: n = 0 "none of", "no"; n = 1 the singular without
    a numeral ("the last row", "only one place", "fits only once"); n = total "all n";
    otherwise the numeral and the plural.
    """

    kind: ClassVar[str] = "count"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"of": tuple(COUNTED)}
    n: int
    of: str
    total: int | None = None


@dataclass(frozen=True)
class Shape(Claim):
    """The size of one grid.

    Asserts: ``of`` ("image", "kernel", "padded" or "result") has ``rows`` rows and
    ``cols`` columns.

    Licenses: "a 9×9 image", "r rows and c columns"; "the same size as the image" only
    when a Shape of the result and one of the image state the same numbers.
    """

    kind: ClassVar[str] = "shape"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"of": ("image", "kernel", "padded", "result")}
    rows: int
    cols: int
    of: str = "result"


@dataclass(frozen=True)
class TooLarge(Claim):
    """Too many numbers to write into the cells.

    Asserts: the padded image or the result has more than ``limit`` rows or columns.

    Licenses: "too large to write out".
    """

    kind: ClassVar[str] = "too-large"
    limit: int


@dataclass(frozen=True)
class Padding(Claim):
    """The border around the image.

    Asserts: the padding is ``top``, ``bottom``, ``left``, ``right`` pixels and holds
    ``mode``; when ``spec`` is "valid", "same" or "full", those sides are what the word
    means for this problem, computed afresh: valid none; full d·(k − 1) on each side; same
    the total ``max((⌈n/s⌉ − 1)·s + d·(k − 1) + 1 − n, 0)`` per axis, its smaller half
    before, and then the result has ⌈n/s⌉ pixels per axis.

    Licenses: "a border of zeros" / "mirrors" / "repeats the edge pixels" / "wraps around"
    (by mode); naming sides and widths; "on every side" (all four equal); "uneven
    padding", "the odd extra pixel goes at the bottom and right" (after − before is 1 on
    some axis and 0 or 1 on the other); with "same": "keeps the result the image's size
    (divided by the stride, rounded up)"; with "full": "every partial overlap counts".
    """

    kind: ClassVar[str] = "padding"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {
        "mode": ("zeros", "reflect", "replicate", "circular"),
        "spec": (None, "valid", "same", "full"),
    }
    top: int
    bottom: int
    left: int
    right: int
    mode: str = "zeros"
    spec: str | None = None


@dataclass(frozen=True)
class Setting(Claim):
    """One option of the problem.

    Asserts: the problem's ``name`` ("stride", "dilation": a (rows, columns) pair;
    "flip": a boolean) is ``value``.

    Licenses: "true convolution", "rotates the filter by 180°", "no flip here" (flip);
    "shifts s pixels at a time", "s rows down", "apart" (stride); "with dilation d, the
    filter's pixels lie d apart: the patch has gaps" (dilation).
    """

    kind: ClassVar[str] = "setting"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"name": ("stride", "dilation", "flip")}
    name: str
    value: Any


# ----- the one-dimensional prelude -----------------------------------------------------------

PRELUDE_SOURCES: tuple[str, ...] = ("row", "column-sums")


@dataclass(frozen=True)
class Prelude(Claim):
    """The one-dimensional example and where it comes from.

    Asserts: the prelude's signal is image row ``row``, columns ``first`` to
    ``first + samples − 1`` (all inside the image, samples ≥ 1); its filter is ``taps``,
    which are, by ``source``, the kernel's row ``source_index`` as given ("row") or the sum
    of each kernel column ("column-sums"); and it slides by ``stride`` over the signal
    without padding, the taps reversed when the problem flips. The prelude's sums
    (subject ``"prelude"`` of other claims) are what this defines, and ``len(taps)`` ≤
    ``samples``.

    Licenses: "n numbers from row r of the image, columns a to b", "a filter of k: …",
    "the kernel's middle row" (source "row" with the middle index), "each column added up"
    (column-sums).
    """

    kind: ClassVar[str] = "prelude"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"source": PRELUDE_SOURCES}
    row: int
    first: int
    samples: int
    taps: tuple[Number, ...]
    source: str = "row"
    source_index: int | None = None
    stride: int = 1


@dataclass(frozen=True)
class MovesLikePrelude(Claim):
    """The 2D filter moves as the prelude did.

    Asserts: the prelude (the :class:`Prelude` claim among the same claims) slides by
    ``stride``, and the 2D filter moves ``stride`` columns at a time along a row.

    Licenses: "as in one dimension".
    """

    kind: ClassVar[str] = "moves-like-prelude"
    stride: int


CLAIM_KINDS: tuple[type[Claim], ...] = (
    Value,
    Products,
    Extreme,
    OppositeExtremes,
    AllEqual,
    Range,
    DistinctValues,
    Weaker,
    ConstantWindow,
    LinearOverWindows,
    KernelKind,
    KernelSum,
    Divisor,
    FlatGain,
    Average,
    Symmetric,
    ChangeDirection,
    BestFit,
    PerfectMatch,
    BestBelowBound,
    Partial,
    ProductSigns,
    SumCancels,
    Count,
    Shape,
    TooLarge,
    Padding,
    Setting,
    Prelude,
    MovesLikePrelude,
)
_BY_KIND: dict[str, type[Claim]] = {c.kind: c for c in CLAIM_KINDS}

WORDS: dict[str, type[Claim]] = {
    "largest value": Extreme,
    "responds most": Extreme,
    "strongest response": Extreme,
    "just as strong with the opposite sign": OppositeExtremes,
    "every pixel is": AllEqual,
    "every other": AllEqual,
    "one colour throughout": AllEqual,
    "the same thing everywhere": AllEqual,
    "from ... to": Range,
    "zero or above / every value is positive": Range,
    "black and white": DistinctValues,
    "only (a value, against another)": Weaker,
    "pulls the sum down": Weaker,
    "flat": ConstantWindow,
    "ramp": LinearOverWindows,
    "pattern": KernelKind,
    "blur": KernelKind,
    "where the image changes": KernelKind,
    "sharpen": KernelKind,
    "weights add up to": KernelSum,
    "divide": Divisor,
    "average product": Divisor,
    "flat areas keep their value": FlatGain,
    "weighted average": Average,
    "looks the same rotated": Symmetric,
    "rises from left to right": ChangeDirection,
    "fits best": BestFit,
    "matches": BestFit,
    "looks most like": BestFit,
    "perfect match": PerfectMatch,
    "appears whole": PerfectMatch,
    "appears whole nowhere": BestBelowBound,
    "a whole match would give": BestBelowBound,
    "partial": Partial,
    "negative products": ProductSigns,
    "cancel": SumCancels,
    "none of / all n / both / the last row": Count,
    "only one place / only once": Count,
    "r×c": Shape,
    "too large to write out": TooLarge,
    "uneven padding": Padding,
    "on every side": Padding,
    "true convolution": Setting,
    "from row r of the image": Prelude,
    "as in one dimension": MovesLikePrelude,
}
"""Each qualitative word or phrase of the script, and the one kind of claim that licenses it."""


def claim_from_json(data: dict[str, Any] | str) -> Claim:
    """The claim that :meth:`Claim.to_json` wrote (a dict, or its JSON text).

    >>> claim_from_json('{"kind": "value", "position": [1, 1], "value": {"q": "7/9"}}')
    Value(position=(1, 1), value=Fraction(7, 9), stage='value')
    """
    return decode_claim(_BY_KIND, data, "a claim")


def decode_claim(kinds: dict[str, type], data: dict[str, Any] | str, what: str) -> Claim:
    """The claim of one of ``kinds`` that :meth:`Claim.to_json` wrote (every lesson's)."""
    if isinstance(data, str):
        data = json.loads(data)
    try:
        cls = kinds[data["kind"]]
    except (KeyError, TypeError):
        raise ValueError(f"not {what}: {data!r}") from None
    names = {f.name for f in fields(cls)}
    extra = set(data) - names - {"kind"}
    if extra:
        raise ValueError(f"{cls.__name__} has no field {sorted(extra)[0]!r}")
    return cls(**{k: _decode(v) for k, v in data.items() if k != "kind"})


def claims_to_json(claims: tuple[Claim, ...] | list[Claim]) -> str:
    """A list of claims as JSON text."""
    return json.dumps([c.to_json() for c in claims])


def claims_from_json(text: str) -> tuple[Claim, ...]:
    """The claims :func:`claims_to_json` wrote."""
    return tuple(claim_from_json(d) for d in json.loads(text))
