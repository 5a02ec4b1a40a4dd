"""Checks every claim of the layer lesson against the raw stack, by plain loops of its own.

Like :mod:`explainer.lessons.verifier` for one filter: the stack's input and each layer's
raw options (``weight``, ``bias``, ``stride``, ``padding``, ``padding_mode``,
``dilation``, ``groups``, ``flip``, ``normalize``, ``activation``, ``pool``) are read as
exact numbers and every layer is recomputed here, channel by channel, tap by tap, with
nested Python loops: its own padding rule, its own window arithmetic, its own ReLU and
pooling (torch's rules as written in :mod:`explainer.lessons.layer_claims`). Nothing of
the engine, the trace or the writer is used; only the report types are shared with the
one-filter verifier.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from explainer.lessons.claims import Claim
from explainer.lessons.layer_claims import (
    BiasValues,
    ConvSize,
    ElementSums,
    FilterPattern,
    KernelValues,
    MapMax,
    MapValues,
    MultiplyAdds,
    Parameters,
    PartialMap,
    PoolAverage,
    PoolPick,
    PoolSize,
    ReluZeroes,
    TensorShape,
)
from explainer.lessons.verifier import ClaimReport, ClaimResult

Number = int | Fraction
Grid = list[list[Number]]


def _exact(v: Any) -> Number:
    if hasattr(v, "item") and not isinstance(v, (int, Fraction)):
        v = v.item()
    if isinstance(v, float):
        v = Fraction(repr(v))
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else v
    return int(v)


def _nested(arr: Any) -> Any:
    lists = arr.tolist()

    def walk(x: Any) -> Any:
        return [walk(v) for v in x] if isinstance(x, list) else _exact(x)

    return walk(lists)


def _source(i: int, n: int, mode: str) -> int | None:
    """The input index padded index ``i`` reads (None: a zero of the padding)."""
    if 0 <= i < n:
        return i
    if mode == "zeros":
        return None
    if mode == "replicate":
        return 0 if i < 0 else n - 1
    if mode == "circular":
        return i % n
    while not 0 <= i < n:  # reflect about the edge pixels
        i = -i if i < 0 else 2 * (n - 1) - i
    return i


class _PlainLayer:
    """One layer recomputed: partial sums, pre-activations, activations, pooling."""

    def __init__(self, x: list[Grid], layer: Any) -> None:
        self.input = x
        self.weight = _nested(layer.weight)
        self.bias = None if layer.bias is None else _nested(layer.bias)
        self.activation = layer.activation
        self.pool = layer.pool
        c_in, h, w = len(x), len(x[0]), len(x[0][0])
        c_out, c_g = len(self.weight), len(self.weight[0])
        kh, kw = len(self.weight[0][0]), len(self.weight[0][0][0])
        (sr, sc), (dr, dc) = tuple(layer.stride), tuple(layer.dilation)
        top, bottom, left, right = tuple(layer.padding)
        self.c_in, self.c_out, self.kernel = c_in, c_out, (kh, kw)
        self.geometry = ((h, top + bottom, kh, sr, dr), (w, left + right, kw, sc, dc))
        oh = (h + top + bottom - dr * (kh - 1) - 1) // sr + 1
        ow = (w + left + right - dc * (kw - 1) - 1) // sc + 1
        per_group = c_out // layer.groups
        self.partial: dict[tuple[int, int, int, int], Number] = {}
        self.pre: list[Grid] = []
        for o in range(c_out):
            first = (o // per_group) * c_g
            plane: Grid = []
            for i in range(oh):
                row = []
                for j in range(ow):
                    total: Number = 0
                    for k in range(c_g):
                        s: Number = 0
                        for m in range(kh):
                            for n in range(kw):
                                r = _source(sr * i + dr * m - top, h, layer.padding_mode)
                                q = _source(sc * j + dc * n - left, w, layer.padding_mode)
                                if r is None or q is None:
                                    continue
                                tm, tn = (kh - 1 - m, kw - 1 - n) if layer.flip else (m, n)
                                s += x[first + k][r][q] * self.weight[o][k][tm][tn]
                        self.partial[o, first + k, i, j] = s
                        total += s
                    total = Fraction(total) / self._divisor(layer, o)
                    if self.bias is not None:
                        total += self.bias[o]
                    row.append(_exact(total))
                plane.append(row)
            self.pre.append(plane)
        relu = self.activation == "relu"
        self.act = [[[max(v, 0) if relu else v for v in row] for row in p] for p in self.pre]
        self.pooled = self._pooled() if self.pool is not None else None

    def _divisor(self, layer: Any, o: int) -> Number:
        if layer.normalize == "area":
            return len(self.weight[o]) * self.kernel[0] * self.kernel[1]
        if layer.normalize == "sum":
            return sum(v for ch in self.weight[o] for row in ch for v in row)
        return 1

    def windows(self, axis: int, ceil_mode: bool) -> list[tuple[int, int]]:
        """(start, stop) of each pooling window along one axis, torch's count and clip."""
        n = len(self.act[0]) if axis == 0 else len(self.act[0][0])
        k, s, p = self.pool.size[axis], self.pool.stride[axis], self.pool.padding[axis]
        span = n + 2 * p - k
        count = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (count - 1) * s >= n + p:
            count -= 1
        return [(i * s - p, min(i * s - p + k, n + p)) for i in range(count)]

    def divisor(self, rows: tuple[int, int], cols: tuple[int, int]) -> int:
        """What average pooling divides one window's sum by, torch's rule (avg_pool2d):
        with ``count_include_pad`` every cell of the window inside the padded input (its
        stops are already clipped at n + p, so cells past the padding do not count in ceil
        mode); without it, the window's cells inside the input only. Counted cell by cell."""
        h, w = len(self.act[0]), len(self.act[0][0])
        (r0, r1), (c0, c1) = rows, cols
        pads = self.pool.padding
        count = 0
        for r in range(r0, r1):
            for q in range(c0, c1):
                inside = 0 <= r < h and 0 <= q < w
                padded = -pads[0] <= r < h + pads[0] and -pads[1] <= q < w + pads[1]
                count += inside or (self.pool.count_include_pad and padded)
        return count

    def _pooled(self) -> list[Grid]:
        rows, cols = self.windows(0, self.pool.ceil_mode), self.windows(1, self.pool.ceil_mode)
        h, w = len(self.act[0]), len(self.act[0][0])
        out = []
        for plane in self.act:
            grid = []
            for r0, r1 in rows:
                line = []
                for c0, c1 in cols:
                    cells = [
                        plane[r][q]
                        for r in range(max(r0, 0), min(r1, h))
                        for q in range(max(c0, 0), min(c1, w))
                    ]
                    if self.pool.mode == "max":
                        line.append(max(cells))
                    else:
                        d = self.divisor((r0, r1), (c0, c1))
                        line.append(_exact(Fraction(sum(cells)) / d))
                grid.append(line)
            out.append(grid)
        return out

    @property
    def output(self) -> list[Grid]:
        return self.act if self.pooled is None else self.pooled


class _PlainStack:
    def __init__(self, stack: Any) -> None:
        self.input = _nested(stack.layers[0].input)
        self.layers: list[_PlainLayer] = []
        x = self.input
        for layer in stack.layers:
            plain = _PlainLayer(x, layer)
            self.layers.append(plain)
            x = plain.output

    def layer(self, k: int) -> _PlainLayer:
        _need(
            1 <= k <= len(self.layers), f"there is no layer {k}; the stack has {len(self.layers)}"
        )
        return self.layers[k - 1]


_CACHE: weakref.WeakKeyDictionary[Any, _PlainStack] = weakref.WeakKeyDictionary()


def _plain_of(stack: Any) -> _PlainStack:
    if stack not in _CACHE:
        _CACHE[stack] = _PlainStack(stack)
    return _CACHE[stack]


class _Fails(Exception):
    pass


def _need(condition: bool, reason: str) -> None:
    if not condition:
        raise _Fails(reason)


def _shape(t: Any) -> tuple[int, ...]:
    out = []
    while isinstance(t, list):
        out.append(len(t))
        t = t[0] if t else None
    return tuple(out)


def _frozen(grid: Grid) -> tuple[tuple[Number, ...], ...]:
    return tuple(tuple(row) for row in grid)


# ----- the checks ------------------------------------------------------------------------------


def _check_shape(s: _PlainStack, c: TensorShape) -> None:
    L = s.layer(c.layer)
    found = {
        "input": lambda: _shape(L.input),
        "weight": lambda: _shape(L.weight),
        "bias": lambda: (0,) if L.bias is None else (len(L.bias),),
        "maps": lambda: _shape(L.pre),
        "pooled": lambda: _shape(L.pooled) if L.pooled is not None else (),
    }[c.of]()
    _need(found == tuple(c.shape), f"layer {c.layer}'s {c.of} has shape {found}")


def _check_parameters(s: _PlainStack, c: Parameters) -> None:
    L = s.layer(c.layer)
    (kh, kw), weights = L.kernel, L.c_out * len(L.weight[0]) * L.kernel[0] * L.kernel[1]
    del kh, kw
    biases = 0 if L.bias is None else len(L.bias)
    _need((weights, biases) == (c.weights, c.biases), f"it has {weights} weights, {biases} biases")


def _check_multiply_adds(s: _PlainStack, c: MultiplyAdds) -> None:
    L = s.layer(c.layer)
    outputs = len(L.pre) * len(L.pre[0]) * len(L.pre[0][0])
    per = len(L.weight[0]) * L.kernel[0] * L.kernel[1]
    _need((outputs, per) == (c.outputs, c.per_output), f"{outputs} outputs of {per} products")


def _check_conv_size(s: _PlainStack, c: ConvSize) -> None:
    L = s.layer(c.layer)
    n, pad, k, stride, dil = L.geometry[c.axis]
    n_out = len(L.pre[0]) if c.axis == 0 else len(L.pre[0][0])
    found = (n, k, stride, pad, dil, n_out)
    _need(found == (c.n_in, c.k, c.stride, c.padding, c.dilation, c.n_out), f"it is {found}")
    _need((n + pad - dil * (k - 1) - 1) // stride + 1 == n_out, "the formula disagrees")


def _check_pool_size(s: _PlainStack, c: PoolSize) -> None:
    L = s.layer(c.layer)
    _need(L.pool is not None, f"layer {c.layer} does not pool")
    n = len(L.act[0]) if c.axis == 0 else len(L.act[0][0])
    spec = (L.pool.size[c.axis], L.pool.stride[c.axis], L.pool.padding[c.axis])
    _need((n, *spec) == (c.n_in, c.size, c.stride, c.padding), f"it pools {n} cells by {spec}")
    windows = L.windows(c.axis, c.ceil_mode)
    last = min(windows[-1][1], n) if windows else 0  # no window: every cell unread
    _need(len(windows) == c.n_out, f"there are {len(windows)} windows")
    _need(n - last == c.unused, f"{n - last} cells lie in no window")


def _check_pattern(s: _PlainStack, c: FilterPattern) -> None:
    L = s.layer(c.layer)
    _need(0 <= c.filter < L.c_out, f"layer {c.layer} has no filter {c.filter}")
    kh, kw = L.kernel
    _need(kh == kw and kh % 2 == 1 and kh >= 3, f"the kernels are {kh}×{kw}")
    for ch in L.weight[c.filter]:
        for m in range(kh):
            for n in range(kw):
                on = {
                    "diagonal": m == n,
                    "anti-diagonal": m + n == kh - 1,
                    "x-centre": m == n or m + n == kh - 1,
                }[c.pattern]
                _need(ch[m][n] == (1 if on else -1), f"weight ({m}, {n}) is {ch[m][n]}")


def _check_sums(s: _PlainStack, c: ElementSums) -> None:
    L = s.layer(c.layer)
    o, i, j = c.index
    keys = sorted(k for k in L.partial if k[0] == o and k[2:] == (i, j))
    _need(bool(keys), f"layer {c.layer} has no element {c.index}")
    partials = tuple(L.partial[k] for k in keys)
    bias = 0 if L.bias is None else L.bias[o]
    found = (partials, bias, L.pre[o][i][j], L.act[o][i][j])
    _need(found == (c.partials, c.bias, c.pre, c.activation), f"it is {found}")


def _check_relu(s: _PlainStack, c: ReluZeroes) -> None:
    L = s.layer(c.layer)
    _need(L.activation == "relu", f"layer {c.layer} has no ReLU")
    pre = [v for p in L.pre for row in p for v in row]
    act = [v for p in L.act for row in p for v in row]
    found = (sum(v < 0 for v in pre), sum(v == 0 for v in act), len(pre))
    _need(found == (c.negatives, c.zeros, c.total), f"negatives, zeros, total are {found}")


def _check_map_max(s: _PlainStack, c: MapMax) -> None:
    L = s.layer(c.layer)
    plane = L.pre[c.filter]
    top = max(v for row in plane for v in row)
    where = tuple((i, j) for i, row in enumerate(plane) for j, v in enumerate(row) if v == top)
    _need((top, where) == (c.value, tuple(c.positions)), f"the largest is {top} at {where}")


def _bounds(L: _PlainLayer, index: tuple[int, int, int]) -> tuple[tuple[int, int], ...]:
    """(start, stop) of pooled element ``index``'s window, rows then columns."""
    _, i, j = index
    rows, cols = L.windows(0, L.pool.ceil_mode), L.windows(1, L.pool.ceil_mode)
    _need(0 <= i < len(rows) and 0 <= j < len(cols), f"there is no pooled element {index}")
    return rows[i], cols[j]


def _window(L: _PlainLayer, index: tuple[int, int, int]) -> tuple[list, tuple[int, ...]]:
    ch = index[0]
    (r0, r1), (c0, c1) = _bounds(L, index)
    h, w = len(L.act[0]), len(L.act[0][0])
    cells = [
        ((r, q), L.act[ch][r][q])
        for r in range(max(r0, 0), min(r1, h))
        for q in range(max(c0, 0), min(c1, w))
    ]
    return cells, (max(r0, 0), max(c0, 0), min(r1, h) - 1, min(c1, w) - 1)


def _check_pick(s: _PlainStack, c: PoolPick) -> None:
    L = s.layer(c.layer)
    _need(L.pool is not None and L.pool.mode == "max", f"layer {c.layer} does not max-pool")
    cells, window = _window(L, c.index)
    top = max(v for _, v in cells)
    holders = [pos for pos, v in cells if v == top]
    found = (window, top, holders[0], len(holders))
    _need(found == (tuple(c.window), c.value, tuple(c.position), c.ties), f"it is {found}")


def _check_average(s: _PlainStack, c: PoolAverage) -> None:
    L = s.layer(c.layer)
    _need(L.pool is not None and L.pool.mode == "avg", f"layer {c.layer} does not average")
    cells, _ = _window(L, c.index)
    total = _exact(sum((Fraction(v) for _, v in cells), Fraction(0)))
    divisor = L.divisor(*_bounds(L, c.index))  # counted, not read off the value
    value = L.pooled[c.index[0]][c.index[1]][c.index[2]]
    _need(c.divisor == divisor, f"torch divides this window by {divisor}, not {c.divisor}")
    _need(_exact(Fraction(total) / c.divisor) == value, f"{total}/{c.divisor} is not {value}")
    _need((total, value) == (c.total, c.value), f"the sum is {total}, the value {value}")


def _check_partial_map(s: _PlainStack, c: PartialMap) -> None:
    L = s.layer(c.layer)
    rows, cols = len(L.pre[0]), len(L.pre[0][0])
    _need((c.filter, c.channel, 0, 0) in L.partial, f"filter {c.filter} reads no {c.channel}")
    found = tuple(
        tuple(L.partial[c.filter, c.channel, i, j] for j in range(cols)) for i in range(rows)
    )
    _need(found == tuple(c.values), f"the partial map is {found}")


def _check_values(s: _PlainStack, c: MapValues) -> None:
    L = s.layer(c.layer)
    sums = [
        [[_exact(Fraction(v) - (0 if L.bias is None else L.bias[o])) for v in row] for row in p]
        for o, p in enumerate(L.pre)
    ]
    grids = {
        "input": L.input,
        "sum": sums,
        "pre-activation": L.pre,
        "activation": L.act,
        "pooled": L.pooled,
    }[c.stage]
    _need(grids is not None and 0 <= c.channel < len(grids), f"no channel {c.channel}")
    found = _frozen(grids[c.channel])
    _need(found == tuple(c.values), f"the values are {found}")


def _check_kernel(s: _PlainStack, c: KernelValues) -> None:
    L = s.layer(c.layer)
    _need(0 <= c.filter < L.c_out, f"layer {c.layer} has no filter {c.filter}")
    _need(0 <= c.channel < len(L.weight[c.filter]), f"filter {c.filter} has no {c.channel}")
    found = _frozen(L.weight[c.filter][c.channel])
    _need(found == tuple(c.values), f"the weights are {found}")


def _check_bias(s: _PlainStack, c: BiasValues) -> None:
    L = s.layer(c.layer)
    _need(L.bias is not None, f"layer {c.layer} has no bias")
    _need(tuple(L.bias) == tuple(c.values), f"the biases are {tuple(L.bias)}")


_CHECKS: dict[type[Claim], Callable[[_PlainStack, Any], None]] = {
    TensorShape: _check_shape,
    Parameters: _check_parameters,
    MultiplyAdds: _check_multiply_adds,
    ConvSize: _check_conv_size,
    PoolSize: _check_pool_size,
    FilterPattern: _check_pattern,
    ElementSums: _check_sums,
    ReluZeroes: _check_relu,
    MapMax: _check_map_max,
    PoolPick: _check_pick,
    PoolAverage: _check_average,
    PartialMap: _check_partial_map,
    MapValues: _check_values,
    KernelValues: _check_kernel,
    BiasValues: _check_bias,
}


def _verify_one(s: _PlainStack, claim: Claim, beat: str | None) -> ClaimResult:
    check = _CHECKS.get(type(claim))
    if check is None:
        return ClaimResult(
            claim, False, f"no layer check is defined for {type(claim).__name__}", beat
        )
    try:
        check(s, claim)
    except _Fails as failure:
        return ClaimResult(claim, False, str(failure), beat)
    except (IndexError, KeyError, TypeError) as err:
        return ClaimResult(claim, False, f"it names something the stack lacks ({err})", beat)
    return ClaimResult(claim, True, "holds", beat)


def verify_layer_beats(
    stack: Any, beats: Iterable[tuple[str | None, Iterable[Claim]]]
) -> ClaimReport:
    """Verify the claims of every beat, ``(beat_key, claims)`` pairs, against ``stack``
    (a :class:`~explainer.core.stack.LayerStack`, read by its raw attributes only)."""
    plain = _plain_of(stack)
    return ClaimReport(
        tuple(_verify_one(plain, claim, key) for key, claims in beats for claim in claims)
    )


def verify_layer_claims(stack: Any, claims: Iterable[Claim]) -> ClaimReport:
    """Verify each claim against ``stack``; the report says which hold and why."""
    return verify_layer_beats(stack, [(None, claims)])
