"""What the layer lesson's sentences assert, as data: one frozen class per kind of claim.

As in :mod:`explainer.lessons.claims` (whose :class:`~explainer.lessons.claims.Claim` base
these share: plain data, JSON both ways), each class defines in its docstring exactly what
it asserts about the *stack of layers* (the input tensor and each layer's raw options:
weights, bias, stride, padding, dilation, groups, flip, activation, pooling; nothing the
engine computed) and which words it licenses. :mod:`explainer.lessons.layer_verifier`
checks each claim with plain loops of its own.

Terms used by every definition
------------------------------
*layer*
    Counted from 1. Layer 1 reads the input; layer k + 1 reads layer k's output (after
    its activation and pooling).
*maps* of a layer
    Its convolution's values y[o, i, j] = b[o] + Σ_c Σ_m Σ_n x[c, …]·w[o, c, m, n]
    (the *pre-activation*), shape (C_out, rows, columns); the *activation* is max(y, 0)
    with ReLU, y otherwise; *pooled* is the activation after pooling.
*partial sum*
    Σ_m Σ_n of one input channel's products for one element; the element's *total* is the
    sum of its partial sums.
*index*
    (channel, row, column), numbered from 0.

>>> c = TensorShape(shape=(3, 7, 7), of="maps", layer=1)
>>> c == claim_from_json(c.to_json())
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from explainer.lessons.claims import Claim, Number, decode_claim

Index = tuple[int, int, int]

STAGES: tuple[str, ...] = ("input", "weight", "bias", "maps", "pooled")
"""What a :class:`TensorShape` may speak of: the stack's input, a layer's weights, its
bias, its maps (pre-activation and activation have one shape) or its pooled output."""

PATTERNS: tuple[str, ...] = ("diagonal", "anti-diagonal", "x-centre")


@dataclass(frozen=True)
class TensorShape(Claim):
    """The shape of one tensor.

    Asserts: ``of`` of layer ``layer`` (the input: the first layer's) has shape ``shape``.

    Licenses: "a tensor of shape 3×7×7", "three channels of 7 rows and 7 columns",
    "three feature maps".
    """

    kind: ClassVar[str] = "tensor-shape"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"of": STAGES}
    shape: tuple[int, ...]
    of: str = "maps"
    layer: int = 1


@dataclass(frozen=True)
class Parameters(Claim):
    """What a layer learns.

    Asserts: layer ``layer`` has ``weights`` weights (every element of its weight tensor)
    and ``biases`` biases (0 without a bias).

    Licenses: "w weights and b biases: w + b parameters".
    """

    kind: ClassVar[str] = "parameters"
    layer: int
    weights: int
    biases: int


@dataclass(frozen=True)
class MultiplyAdds(Claim):
    """What a layer computes.

    Asserts: layer ``layer``'s convolution has ``outputs`` elements (its maps) and each is
    ``per_output`` products (input channels per filter × kernel rows × columns), so
    ``outputs × per_output`` multiply-adds.

    Licenses: "n multiply-adds", "each value costs k products".
    """

    kind: ClassVar[str] = "multiply-adds"
    layer: int
    outputs: int
    per_output: int


@dataclass(frozen=True)
class ConvSize(Claim):
    """The output-size formula of a convolution, along one axis.

    Asserts: along ``axis`` (0 rows, 1 columns) layer ``layer`` reads ``n_in`` cells with
    ``padding`` cells of padding in all (both sides), a kernel of ``k`` taps, dilation
    ``dilation`` and stride ``stride``, and its maps have
    ``n_out = ⌊(n_in + padding − dilation·(k − 1) − 1) / stride⌋ + 1`` cells.

    Licenses: "n − k + 1 = 7 positions", the formula with these numbers.
    """

    kind: ClassVar[str] = "conv-size"
    layer: int
    axis: int
    n_in: int
    k: int
    stride: int
    padding: int
    dilation: int
    n_out: int


@dataclass(frozen=True)
class PoolSize(Claim):
    """The output-size formula of pooling, along one axis, rounded down or up.

    Asserts: layer ``layer`` pools with a window of ``size``, stride ``stride`` and
    padding ``padding`` (each side) along ``axis``; its maps have ``n_in`` cells there;
    rounding as ``ceil_mode`` says (which may be the other rounding than the layer's, to
    say what it *would* give), torch's rule gives ``n_out`` windows
    (``⌊ or ⌈(n_in + 2p − size) / stride⌉ + 1``, less one if the last window would start
    in the right padding), and ``unused`` cells at the end lie in no window.

    Licenses: "⌊(7 − 2)/2⌋ + 1 = 3", "the last row and column are never read" (unused > 0),
    "with ceil mode: 4, the last window partial".
    """

    kind: ClassVar[str] = "pool-size"
    layer: int
    axis: int
    n_in: int
    size: int
    stride: int
    padding: int
    ceil_mode: bool
    n_out: int
    unused: int


@dataclass(frozen=True)
class FilterPattern(Claim):
    """A filter drawn from the letter X.

    Asserts: every kernel of filter ``filter`` of layer ``layer`` is square with an odd
    side k ≥ 3 (a 1×1 kernel's one cell is no diagonal), and holds +1 exactly on the cells
    of ``pattern`` and −1 elsewhere: "diagonal" the cells (m, m); "anti-diagonal" the cells
    (m, k − 1 − m); "x-centre" both.

    Licenses: "the diagonal", "the other diagonal", "the X's centre".
    """

    kind: ClassVar[str] = "filter-pattern"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {"pattern": PATTERNS}
    layer: int
    filter: int
    pattern: str


@dataclass(frozen=True)
class ElementSums(Claim):
    """How one element of a layer's maps is made.

    Asserts: for element ``index`` of layer ``layer``, the partial sums of the input
    channels its filter reads are ``partials`` (in channel order), its bias is ``bias``,
    its pre-activation is the total (divided as the layer divides) plus the bias,
    ``pre``, and its activation is ``activation``.

    Licenses: "channel by channel: a + b + c, plus the bias b, is y", "ReLU keeps it" /
    "ReLU makes it 0".
    """

    kind: ClassVar[str] = "element-sums"
    layer: int
    index: Index
    partials: tuple[Number, ...]
    bias: Number
    pre: Number
    activation: Number


@dataclass(frozen=True)
class ReluZeroes(Claim):
    """What ReLU sets to zero.

    Asserts: layer ``layer`` applies ReLU, its maps hold ``total`` values, exactly
    ``negatives`` of them are below 0 before ReLU (ReLU makes them 0) and exactly
    ``zeros`` are 0 after it.

    Licenses: "n of the t values are negative: ReLU sets them to 0", "z zeros".
    """

    kind: ClassVar[str] = "relu-zeroes"
    layer: int
    negatives: int
    zeros: int
    total: int


@dataclass(frozen=True)
class MapMax(Claim):
    """Where one feature map responds most.

    Asserts: the largest pre-activation of filter ``filter``'s map in layer ``layer`` is
    ``value``, and ``positions`` ((row, column), row-major) are exactly where it is.

    Licenses: "responds most, v, at …", "the largest value of map o"; "gives v everywhere"
    when ``positions`` are every cell of the map (its largest value everywhere: all equal).
    """

    kind: ClassVar[str] = "map-max"
    layer: int
    filter: int
    value: Number
    positions: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class PoolPick(Claim):
    """What max pooling keeps from one window.

    Asserts: layer ``layer`` max-pools; pooled element ``index`` has the window of
    activation cells ``window`` = (top, left, bottom, right), inclusive, clipped to the
    maps; its largest value is ``value``; ``ties`` cells hold it; ``position`` is the
    first of them in row-major order (the one pooling keeps).

    Licenses: "keeps the largest, v, from (r, c)", "several tie: pooling keeps the first in
    row-major order" (ties ≥ 2).
    """

    kind: ClassVar[str] = "pool-pick"
    layer: int
    index: Index
    window: tuple[int, int, int, int]
    value: Number
    position: tuple[int, int]
    ties: int


@dataclass(frozen=True)
class PoolAverage(Claim):
    """What average pooling makes of one window.

    Asserts: layer ``layer`` average-pools; pooled element ``index`` sums its window's
    cells to ``total``, divides by ``divisor`` (torch's count) and holds ``value``.

    Licenses: "the mean of the window, t / d = v".
    """

    kind: ClassVar[str] = "pool-average"
    layer: int
    index: Index
    total: Number
    divisor: int
    value: Number


@dataclass(frozen=True)
class PartialMap(Claim):
    """One input channel's share of one filter's map.

    Asserts: the partial sums of input channel ``channel`` for every element of filter
    ``filter``'s map in layer ``layer`` are ``values`` (rows of the map, row-major).

    Licenses: "channel c alone gives …", "the partial maps, added up, plus the bias".
    """

    kind: ClassVar[str] = "partial-map"
    layer: int
    filter: int
    channel: int
    values: tuple[tuple[Number, ...], ...]


@dataclass(frozen=True)
class MapValues(Claim):
    """Every value of one channel of one stage.

    Asserts: channel ``channel`` of layer ``layer``'s ``stage`` is ``values`` (rows,
    row-major). The stages: "input" (what the layer reads: the stack's input for layer 1,
    the previous layer's output after it), "sum" (the pre-activation without the bias:
    the total, divided as the layer divides), "pre-activation", "activation", "pooled".

    Licenses: stating those numbers, showing them as a grid.
    """

    kind: ClassVar[str] = "map-values"
    choices: ClassVar[dict[str, tuple[Any, ...]]] = {
        "stage": ("input", "sum", "pre-activation", "activation", "pooled")
    }
    layer: int
    channel: int
    stage: str
    values: tuple[tuple[Number, ...], ...]


@dataclass(frozen=True)
class KernelValues(Claim):
    """The weights one filter applies to one input channel.

    Asserts: ``weight[filter, channel]`` of layer ``layer``, as given (before any flip), is
    ``values`` (kernel rows, row-major).

    Licenses: showing the kernel as a grid.
    """

    kind: ClassVar[str] = "kernel-values"
    layer: int
    filter: int
    channel: int
    values: tuple[tuple[Number, ...], ...]


@dataclass(frozen=True)
class BiasValues(Claim):
    """Every bias of one layer.

    Asserts: layer ``layer`` has a bias and it is ``values``, one per filter.

    Licenses: "plus the bias b" for every filter's elements.
    """

    kind: ClassVar[str] = "bias-values"
    layer: int
    values: tuple[Number, ...]


LAYER_CLAIM_KINDS: tuple[type[Claim], ...] = (
    TensorShape,
    Parameters,
    MultiplyAdds,
    ConvSize,
    PoolSize,
    FilterPattern,
    ElementSums,
    ReluZeroes,
    MapMax,
    PoolPick,
    PoolAverage,
    PartialMap,
    MapValues,
    KernelValues,
    BiasValues,
)
_BY_KIND: dict[str, type[Claim]] = {c.kind: c for c in LAYER_CLAIM_KINDS}

WORDS: dict[str, type[Claim]] = {
    "a tensor of shape": TensorShape,
    "parameters": Parameters,
    "multiply-adds": MultiplyAdds,
    "positions each way": ConvSize,
    "never read": PoolSize,
    "partial window": PoolSize,
    "the diagonal / the other diagonal / the X's centre": FilterPattern,
    "channel by channel, plus the bias": ElementSums,
    "ReLU sets them to 0": ReluZeroes,
    "responds most": MapMax,
    "gives v everywhere": MapMax,
    "keeps the largest": PoolPick,
    "the first in row-major order": PoolPick,
    "the mean of the window": PoolAverage,
    "partial map": PartialMap,
}
"""Each qualitative phrase of the layer script and the one kind of claim that licenses it."""


def layer_claim_from_json(data: dict[str, Any] | str) -> Claim:
    """The layer claim that :meth:`Claim.to_json` wrote (a dict, or its JSON text)."""
    return decode_claim(_BY_KIND, data, "a layer claim")


claim_from_json = layer_claim_from_json
