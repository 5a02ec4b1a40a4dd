"""Layers one after another: the problem of the layer lesson.

A :class:`LayerStack` is an input tensor and the layers applied to it in turn, each
layer's output (after its activation and pooling) the next one's input. Each layer is a
:class:`~explainer.core.layer.Layer`, validated as it is built; the stack only chains
them and says what they add up to (shapes, parameters, multiply-adds).

>>> import numpy as np
>>> from explainer.core.pooling import Pool
>>> stack = LayerStack(np.ones((1, 5, 5), int), [
...     dict(weight=np.ones((2, 1, 2, 2), int), bias=[0, -1], activation="relu", pool=Pool(2)),
...     dict(weight=np.ones((1, 2, 2, 2), int)),
... ])
>>> stack.shapes
((1, 5, 5), (2, 4, 4), (2, 2, 2), (1, 1, 1))
>>> stack.parameter_count, stack.multiply_adds
(18, 136)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from explainer.core.layer import Layer
from explainer.errors import ProblemError


@dataclass(frozen=True, eq=False)
class LayerStack:
    """An input and the layers applied to it one after another (for one sample).

    Parameters
    ----------
    input : array_like, shape (C_in, H, W)
    specs : sequence of mappings
        Each layer's arguments to :class:`~explainer.core.layer.Layer` but the input
        (``weight``, ``bias``, ``activation``, ``pool``, ``stride`` …).
    """

    layers: tuple[Layer, ...]

    def __init__(self, input: Any, specs: Sequence[Mapping[str, Any]]) -> None:  # noqa: A002
        if not specs:
            raise ProblemError("a stack of layers needs at least one layer")
        layers: list[Layer] = []
        x = input
        for k, spec in enumerate(specs):
            try:
                layer = Layer(x, **dict(spec))
            except ProblemError as err:
                if not layers:
                    raise
                shape = "×".join(str(v) for v in np.shape(x))
                raise ProblemError(
                    f"layer {k + 1} reads the {shape} output of layer {k} as its input: {err}"
                ) from None
            layers.append(layer)
            x = layer.compute(exact=layer.exact).output
        object.__setattr__(self, "layers", tuple(layers))

    @property
    def input(self) -> np.ndarray:
        """The input tensor of the first layer."""
        return self.layers[0].input

    @property
    def shapes(self) -> tuple[tuple[int, ...], ...]:
        """The input's shape, then per layer its feature maps' and, when it pools, the
        pooled shape: every tensor the lesson shows, in order."""
        out: list[tuple[int, ...]] = [tuple(int(v) for v in self.input.shape)]
        for layer in self.layers:
            out.append(layer.output_shape)
            if layer.pool is not None:
                out.append(layer.final_shape)
        return tuple(out)

    @property
    def final_shape(self) -> tuple[int, int, int]:
        return self.layers[-1].final_shape

    @property
    def parameter_count(self) -> int:
        return sum(layer.parameter_count for layer in self.layers)

    @property
    def multiply_adds(self) -> int:
        return sum(layer.multiply_adds for layer in self.layers)

    @property
    def exact(self) -> bool:
        return all(layer.exact for layer in self.layers)

    def describe(self) -> str:
        """The tensors and what makes each: '1×9×9 → 3 filters 1×3×3, bias, ReLU → 3×7×7
        → 2×2 max pooling, stride 2 → 3×3×3 → …'."""
        parts = ["×".join(map(str, self.input.shape))]
        for layer in self.layers:
            co, cg, kh, kw = layer.weight.shape
            what = [f"{co} filter{'s' * (co != 1)} {cg}×{kh}×{kw}"]
            if layer.bias is not None:
                what.append("bias")
            if layer.activation:
                what.append("ReLU")
            parts += [", ".join(what), "×".join(map(str, layer.output_shape))]
            if layer.pool is not None:
                parts += [layer.pool.describe(), "×".join(map(str, layer.final_shape))]
        return " → ".join(parts)
