"""What is true of a stack of layers, read from the exact layer traces.

The writer words sentences from these facts only; the verifier checks the claims they
make by its own computation.
"""

from __future__ import annotations

from dataclasses import dataclass

from explainer.core.layer_trace import LayerStep, LayerTrace, PoolStep, build_layer_trace
from explainer.core.stack import LayerStack
from explainer.core.trace import Number

PATTERN_NAMES = {
    "diagonal": "the diagonal",
    "anti-diagonal": "the other diagonal",
    "x-centre": "the X's centre",
}


def _pattern(kernels: list[list[list[Number]]]) -> str | None:
    """Which X pattern every kernel of one filter draws (+1 on it, −1 elsewhere), if any.

    A 1×1 kernel draws none: its one cell is no diagonal, so it gets no pattern's name."""
    k = len(kernels[0])
    if k < 3 or k % 2 == 0 or any(len(row) != k for ch in kernels for row in ch):
        return None
    for name in PATTERN_NAMES:
        cells = {
            (m, n)
            for m in range(k)
            for n in range(k)
            if (name != "anti-diagonal" and m == n) or (name != "diagonal" and m + n == k - 1)
        }
        want = [[1 if (m, n) in cells else -1 for n in range(k)] for m in range(k)]
        if all(ch == want for ch in kernels):
            return name
    return None


@dataclass(frozen=True)
class LayerFacts:
    """One layer, as the lesson speaks of it."""

    number: int
    """Counted from 1."""
    trace: LayerTrace
    input_shape: tuple[int, int, int]
    weight_shape: tuple[int, int, int, int]
    maps_shape: tuple[int, int, int]
    pooled_shape: tuple[int, int, int] | None
    weights: int
    biases: int
    per_output: int
    bias: tuple[Number, ...] | None
    patterns: tuple[str | None, ...]
    conv_axes: tuple[tuple[int, int, int, int, int, int], ...]
    """Per axis: (n_in, padding in all, k, stride, dilation, n_out)."""
    strongest: tuple[tuple[Number, tuple[tuple[int, int], ...]], ...]
    """Per filter: its largest pre-activation and where it is."""
    negatives: int
    zeros: int
    total: int

    @property
    def layer(self):
        return self.trace.layer

    @property
    def outputs(self) -> int:
        c, h, w = self.maps_shape
        return c * h * w

    def element(self, index: tuple[int, int, int]) -> LayerStep:
        return self.trace.step(*index)

    def pool_axes(self, ceil_mode: bool) -> tuple[tuple[int, int, int, int, int, int], ...]:
        """Per axis, with the rounding asked for: (n_in, size, stride, padding, n_out,
        unused cells at the end), torch's rule."""
        spec = self.layer.pool
        out = []
        for axis, n in enumerate(self.maps_shape[1:]):
            k, s, p = spec.size[axis], spec.stride[axis], spec.padding[axis]
            span = n + 2 * p - k
            count = (-(-span // s) if ceil_mode else span // s) + 1
            if ceil_mode and (count - 1) * s >= n + p:
                count -= 1
            last = min((count - 1) * s - p + k, n) if count else 0  # no window reads any
            out.append((n, k, s, p, count, n - last))
        return tuple(out)

    def pool_steps(self) -> tuple[PoolStep, ...]:
        return () if self.trace.pool is None else self.trace.pool.steps

    def first_tie(self) -> PoolStep | None:
        """The first max-pooling window (row-major, channel by channel) in which several
        cells hold the largest value."""
        for step in self.pool_steps():
            if step.chosen is not None and step.values.count(step.values[step.chosen]) > 1:
                return step
        return None


def _layer_facts(number: int, trace: LayerTrace) -> LayerFacts:
    layer = trace.layer
    geometry = layer.geometry
    padding = layer.padding
    conv_axes = tuple(
        (
            int(layer.input.shape[1 + axis]),
            padding[2 * axis] + padding[2 * axis + 1],
            layer.kernel_shape[axis],
            layer.stride[axis],
            layer.dilation[axis],
            geometry.output_shape[axis],
        )
        for axis in (0, 1)
    )
    strongest = []
    for plane in trace.pre_activation:
        top = max(v for row in plane for v in row)
        where = tuple((i, j) for i, row in enumerate(plane) for j, v in enumerate(row) if v == top)
        strongest.append((top, where))
    pre = [s.pre_activation for s in trace.steps]
    act = [s.activation for s in trace.steps]
    weights = trace.layer.weight.tolist()
    return LayerFacts(
        number=number,
        trace=trace,
        input_shape=tuple(int(v) for v in layer.input.shape),
        weight_shape=tuple(int(v) for v in layer.weight.shape),
        maps_shape=layer.output_shape,
        pooled_shape=layer.final_shape if layer.pool is not None else None,
        weights=int(layer.weight.size),
        biases=0 if layer.bias is None else int(layer.bias.size),
        per_output=int(layer.weight[0].size),
        bias=None
        if layer.bias is None
        else tuple(trace.step(o, 0, 0).bias for o in range(layer.out_channels)),
        patterns=tuple(_pattern(f) for f in weights),
        conv_axes=conv_axes,
        strongest=tuple(strongest),
        negatives=sum(v < 0 for v in pre),
        zeros=sum(v == 0 for v in act),
        total=len(pre),
    )


@dataclass(frozen=True)
class Facts:
    """Every layer of the stack, as the lesson speaks of it."""

    stack: LayerStack
    layers: tuple[LayerFacts, ...]

    @property
    def shapes(self) -> tuple[tuple[int, ...], ...]:
        return self.stack.shapes


def facts_of(stack: LayerStack) -> Facts:
    """Trace every layer exactly and read off what the lesson says."""
    traces = [build_layer_trace(layer, exact=True) for layer in stack.layers]
    return Facts(stack, tuple(_layer_facts(k + 1, t) for k, t in enumerate(traces)))
