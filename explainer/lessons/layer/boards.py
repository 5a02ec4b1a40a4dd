"""What each beat of the layer lesson shows: its grids, the cells it marks, its formula.

The grids are the stack's tensors, channel by channel, read from the exact layer traces;
a beat's board is chosen from the claims its sentence makes (the element, the pooling
window, the strongest cells it speaks of), so a board can only show what the sentence says.
Every grid a board shows is the subject of a claim (:class:`MapValues`,
:class:`KernelValues`, :class:`PartialMap`) that the layer verifier checks with its own
loops; the first beat that shows a grid carries it.

>>> from explainer.lessons.layer.words import default_stack
>>> from explainer.lessons.layer.writer import build_script
>>> s = build_script(default_stack())
>>> s.beat("maps.strongest").board.marked("pre1.2")
((3, 3),)
>>> s.grids["pre1.0"].detail(1, 1)
'Σ products = 9; + bias (−1) = 8'
"""

from __future__ import annotations

from dataclasses import replace

from explainer.lessons.board import Board, Grid, Mark
from explainer.lessons.claims import Claim
from explainer.lessons.layer.facts import Facts, LayerFacts
from explainer.lessons.layer.words import shape
from explainer.lessons.layer_claims import (
    BiasValues,
    ElementSums,
    KernelValues,
    MapMax,
    MapValues,
    PartialMap,
    PoolAverage,
    PoolPick,
)
from explainer.lessons.script import Beat, Section
from explainer.present.numbers import display, is_decimal

MAX_FILTERS = 4
"""A board shows at most this many filters' maps (the sentences speak of four at most)."""
MAX_CHANNELS = 3
"""… and at most this many input channels of each."""


def num(v) -> str:
    """A value as a board writes it: as the grids show it (exact while readable, else a
    short decimal, never the caption's "≈" inside a sum: :func:`rel` says it once)."""
    return display(v)


def rel(*values) -> str:
    """'=' between exact values, '≈' when any of them is shown rounded."""
    return "≈" if any(is_decimal(v) for v in values) else "="


def approx(v) -> str:
    """A value standing alone: '≈ 0.75' when shown rounded."""
    return ("≈ " if is_decimal(v) else "") + num(v)


def _term(v) -> str:
    return f"({num(v)})" if v < 0 else num(v)


def _sum_words(values) -> str:
    return " + ".join([num(values[0]), *(_term(v) for v in values[1:])])


def _detail(lf: LayerFacts, o: int, i: int, j: int, relu: bool) -> str:
    """How element (o, i, j) is made, in one line: its partial sums, its bias, ReLU."""
    step = lf.element((o, i, j))
    partials = step.partial_sums
    if len(partials) == 1:
        out = f"Σ products {rel(partials[0])} {num(partials[0])}"
    else:
        pairs = zip(step.channels, partials, strict=True)
        channels = ", ".join(f"ch {c}: {approx(v)}" for c, v in pairs)
        out = f"{channels}; sum {rel(*partials, step.total)} {num(step.total)}"
    if step.divisor != 1:
        out += f"; ÷ {num(step.divisor)}"
    if lf.biases:
        out += f"; + bias {_term(step.bias)} {rel(step.pre_activation)} {num(step.pre_activation)}"
    if relu and lf.layer.activation == "relu":
        out += f"; ReLU → {approx(step.activation)}"
    return out


class _Grids:
    """Every grid of the stack, by key, and the claim that vouches for each."""

    def __init__(self, facts: Facts) -> None:
        self.grids: dict[str, Grid] = {}
        self.claims: dict[str, tuple[Claim, ...]] = {}
        self.inputs: dict[int, list[str]] = {}
        """Per layer, the keys of the grids it reads, channel by channel."""
        first = facts.layers[0]
        keys = []
        for c, plane in enumerate(first.layer.input.tolist()):
            key = f"input.{c}"
            label = f"input channel {c}, {shape((len(plane), len(plane[0])))}"
            self._add(key, label, plane, MapValues(1, c, "input", _rows(plane)))
            keys.append(key)
        self.inputs[1] = keys
        for lf in facts.layers:
            self._layer(lf)

    def _add(self, key, label, values, *claims, details=None) -> None:
        self.grids[key] = Grid.of(key, label, values, details)
        self.claims[key] = tuple(claims)

    def _layer(self, lf: LayerFacts) -> None:
        n = lf.number
        t = lf.trace
        co, h, w = lf.maps_shape
        weight = lf.layer.weight.tolist()
        bias = (BiasValues(n, lf.bias),) if lf.biases else ()
        for o in range(co):
            step = lf.element((o, 0, 0))
            for k, c in enumerate(step.channels):
                kernel = weight[o][k]
                self._add(
                    f"w{n}.{o}.{c}",
                    f"filter {o}, channel {c}" if n == 1 else f"layer {n} filter {o}, ch {c}",
                    kernel,
                    KernelValues(n, o, k, _rows(kernel)),
                )
                partial = [
                    [lf.element((o, i, j)).partial_sums[k] for j in range(w)] for i in range(h)
                ]
                self._add(
                    f"part{n}.{o}.{c}",
                    f"channel {c}'s share of map {o}",
                    partial,
                    PartialMap(n, o, c, _rows(partial)),
                )
            partials = tuple(self.claims[f"part{n}.{o}.{c}"][0] for c in step.channels)
            sums = [
                [v - lf.element((o, i, j)).bias for j, v in enumerate(r)]
                for i, r in enumerate(t.pre_activation[o])
            ]
            before = [[_detail(lf, o, i, j, False) for j in range(w)] for i in range(h)]
            after = [[_detail(lf, o, i, j, True) for j in range(w)] for i in range(h)]
            prefix = "map" if n == 1 else f"layer {n} map"
            size = shape((h, w))
            self._add(
                f"sum{n}.{o}",
                f"{prefix} {o} before bias, {size}",
                sums,
                MapValues(n, o, "sum", _rows(sums)),
                *partials,
                details=before,
            )
            self._add(
                f"pre{n}.{o}",
                f"{prefix} {o}, {size}",
                t.pre_activation[o],
                MapValues(n, o, "pre-activation", _rows(t.pre_activation[o])),
                *partials,
                *bias,
                details=before,
            )
            self._add(
                f"act{n}.{o}",
                f"{prefix} {o} after ReLU, {size}",
                t.activation[o],
                MapValues(n, o, "activation", _rows(t.activation[o])),
                *partials,
                *bias,
                details=after,
            )
        out = [f"act{n}.{o}" for o in range(co)]
        if t.pool is not None:
            pooled = t.pool.output
            out = []
            for o, plane in enumerate(pooled):
                self._add(
                    f"pool{n}.{o}",
                    f"{prefix} {o} pooled, {shape((len(plane), len(plane[0])))}",
                    plane,
                    MapValues(n, o, "pooled", _rows(plane)),
                )
                out.append(f"pool{n}.{o}")
        self.inputs[n + 1] = out


def _rows(values) -> tuple[tuple, ...]:
    return tuple(tuple(row) for row in values)


class _Boards:
    """One board per beat, from the facts and the claims the beat's sentence makes."""

    def __init__(self, facts: Facts, grids: _Grids) -> None:
        self.f = facts
        self.g = grids
        self.first = facts.layers[0]
        self.second = facts.layers[1] if len(facts.layers) > 1 else None

    def filters(self, lf: LayerFacts) -> range:
        return range(min(lf.maps_shape[0], MAX_FILTERS))

    def channels(self, lf: LayerFacts, o: int = 0) -> tuple[int, ...]:
        return lf.element((o, 0, 0)).channels[:MAX_CHANNELS]

    def stage(self, lf: LayerFacts, name: str) -> tuple[str, ...]:
        return tuple(f"{name}{lf.number}.{o}" for o in self.filters(lf))

    def board(self, beat: Beat) -> Board:
        section, action = beat.key.split(".", 1)
        method = getattr(self, f"_{section}_{action.replace('-', '_')}", None)
        if method is not None:
            return method(beat)
        return getattr(self, f"_{section}")(beat)

    # ----- per section ---------------------------------------------------------------------

    def _inputs(self) -> tuple[str, ...]:
        return tuple(self.g.inputs[1][:MAX_CHANNELS])

    def _title(self, beat: Beat) -> Board:
        return Board(self._inputs())

    def _input(self, beat: Beat) -> Board:
        return Board(self._inputs(), (), (f"x: {shape(self.first.input_shape)}",))

    def _weights(self, lf: LayerFacts) -> tuple[str, ...]:
        return tuple(
            f"w{lf.number}.{o}.{c}" for o in self.filters(lf) for c in self.channels(lf, o)
        )

    def _filters(self, beat: Beat) -> Board:
        return self._bank(self.first, self._weights(self.first))

    def _bank(self, lf: LayerFacts, shown: tuple[str, ...]) -> Board:
        """A layer's weights (and what it shows beside them), its bias and its count."""
        lines = [f"w: {shape(lf.weight_shape)}"]
        if lf.biases:
            lines.append(f"b = ({', '.join(num(v) for v in lf.bias)})")
            lines.append(f"{lf.weights} + {lf.biases} = {lf.weights + lf.biases} parameters")
        else:
            lines.append(f"{lf.weights} parameters")
        return Board(shown, (), tuple(lines))

    def _maps_size(self, beat: Beat) -> Board:
        lf = self.first
        lines = []
        for axis, (n, pad, k, s, d, out) in zip(("rows", "columns"), lf.conv_axes, strict=True):
            if (pad, s, d) == (0, 1, 1):
                lines.append(f"{axis}: {n} − {k} + 1 = {out}")
            else:
                lines.append(f"{axis}: ⌊({n} + {pad} − {d}·({k} − 1) − 1) / {s}⌋ + 1 = {out}")
        lines.append(f"maps: {shape(lf.maps_shape)}")
        return Board(self._inputs()[:1] + self.stage(lf, "pre"), (), tuple(lines))

    def _maps_strongest(self, beat: Beat) -> Board:
        lf = self.first
        marks, lines = [], []
        for claim in beat.claims:
            if isinstance(claim, MapMax) and claim.filter in self.filters(lf):
                marks.append(Mark(f"pre1.{claim.filter}", tuple(claim.positions), "focus"))
                lines.append(f"max of map {claim.filter} = {num(claim.value)}")
        return Board(self.stage(lf, "pre"), tuple(marks), tuple(lines))

    def _maps_cost(self, beat: Beat) -> Board:
        lf = self.first
        line = f"{lf.outputs} × {lf.per_output} = {lf.outputs * lf.per_output:,} multiply-adds"
        return Board(self.stage(lf, "pre"), (), (line,))

    def _element(self, lf: LayerFacts, claim: ElementSums, inputs: tuple[str, ...]) -> Board:
        """The element a sentence adds up: its window in every channel it reads, the
        kernels, the map before and after the bias, and the sum written out."""
        o, i, j = claim.index
        step = lf.element((o, i, j))
        n = lf.number
        marks, shown = [], []
        for part, c in zip(step.parts, step.channels, strict=True):
            if c >= MAX_CHANNELS:
                break
            key = inputs[c]
            rows, cols = self.g.grids[key].shape
            inside = tuple((r, q) for r, q in part.positions if 0 <= r < rows and 0 <= q < cols)
            shown += [key, f"w{n}.{o}.{c}"]
            marks.append(Mark(key, inside, "window"))
        shown += [f"sum{n}.{o}", f"pre{n}.{o}"]
        marks += [Mark(f"sum{n}.{o}", ((i, j),), "focus"), Mark(f"pre{n}.{o}", ((i, j),), "result")]
        general = f"y[{o},{i},{j}] = Σ_c Σ_m Σ_n x[c, …]·w[{o}, c, m, n]"
        if lf.biases:
            general += f" + b[{o}]"
        lines = [general]
        terms = list(claim.partials) + ([claim.bias] if lf.biases else [])
        r = rel(*terms, claim.pre)
        lines.append(f"{r} {_sum_words(terms)} {r} {num(claim.pre)}")
        if lf.layer.activation == "relu":
            r = rel(claim.pre, claim.activation)
            lines.append(f"ReLU: max({num(claim.pre)}, 0) {r} {num(claim.activation)}")
        return Board(tuple(shown), tuple(marks), tuple(lines))

    def _bias(self, beat: Beat) -> Board:
        claim = next(c for c in beat.claims if isinstance(c, ElementSums))
        return self._element(self.first, claim, tuple(self.g.inputs[1]))

    def _relu(self, beat: Beat) -> Board:
        lf = self.first
        marks = []
        for o in self.filters(lf):
            plane = lf.trace.pre_activation[o]
            gone = tuple((i, j) for i, row in enumerate(plane) for j, v in enumerate(row) if v < 0)
            if gone:
                marks.append(Mark(f"pre1.{o}", gone, "focus"))
        shown = self.stage(lf, "pre") + self.stage(lf, "act")  # a row of each, as it fits
        line = f"ReLU(y) = max(y, 0): {lf.negatives} of {lf.total} negative → 0"
        return Board(shown, tuple(marks), (line,))

    def _pool_window(self, claim, word: str) -> Board:
        lf = self.first
        c, i, j = claim.index
        step = lf.trace.pool.step(c, i, j)
        act, pooled = f"act1.{c}", f"pool1.{c}"
        marks = [Mark(act, tuple(step.positions), "window")]
        if step.chosen is not None:
            marks.append(Mark(act, (step.positions[step.chosen],), "chosen"))
        marks.append(Mark(pooled, ((i, j),), "result"))
        if word == "max":
            line = f"max({', '.join(num(v) for v in step.values)}) = {num(step.value)}"
        else:
            r = rel(*step.values, step.value)
            line = f"({_sum_words(step.values)}) / {step.divisor} {r} {num(step.value)}"
        return Board((act, pooled), tuple(marks), (f"pooled[{c},{i},{j}] = {line}",))

    def _pooling_rule(self, beat: Beat) -> Board:
        return self._pool_window(next(c for c in beat.claims if isinstance(c, PoolPick)), "max")

    _pooling_ties = _pooling_rule

    def _pooling_average(self, beat: Beat) -> Board:
        claim = next(c for c in beat.claims if isinstance(c, PoolAverage))
        return self._pool_window(claim, "avg")

    def _pooling(self, beat: Beat) -> Board:
        """pooling.size and pooling.edge: map 0 beside the pooled maps; the edge beat
        marks what rounding leaves unread (down) or reads in a last partial window (up)."""
        lf = self.first
        shown = ("act1.0",) + self.stage(lf, "pool")
        spec = lf.layer.pool
        axes = lf.pool_axes(spec.ceil_mode)
        lines = [f"pooled: {shape(lf.pooled_shape)}"]
        marks = []
        if beat.key == "pooling.edge":
            _, h, w = lf.maps_shape
            if spec.ceil_mode:
                full = spec.size[0] * spec.size[1]  # a partial window holds fewer cells
                cells = {
                    p
                    for s in lf.pool_steps()
                    if s.index[0] == 0 and len(s.positions) < full
                    for p in s.positions
                }
                kind = "window"
            else:
                rows, cols = h - axes[0][5], w - axes[1][5]
                cells = {(i, j) for i in range(h) for j in range(w) if i >= rows or j >= cols}
                kind = "focus"
            if cells:
                marks.append(Mark("act1.0", tuple(sorted(cells)), kind))
        return Board(shown, tuple(marks), tuple(lines))

    def _channels_filter(self, beat: Beat) -> Board:
        lf = self.second
        inputs = tuple(self.g.inputs[2][:MAX_CHANNELS])
        return Board(inputs + self._weights(lf), (), (f"w: {shape(lf.weight_shape)}",))

    def _channels_parameters(self, beat: Beat) -> Board:
        return self._bank(self.second, self._weights(self.second))

    def _channels_partials(self, beat: Beat) -> Board:
        lf = self.second
        shown = tuple(f"part2.0.{c}" for c in self.channels(lf))
        return Board(shown, (), ("one partial map per input channel",))

    def _channels_element(self, beat: Beat) -> Board:
        lf = self.second
        claim = next(c for c in beat.claims if isinstance(c, ElementSums))
        o, i, j = claim.index
        shown = tuple(f"part2.{o}.{c}" for c in self.channels(lf, o))
        marks = [Mark(k, ((i, j),), "focus") for k in shown]
        marks.append(Mark(f"pre2.{o}", ((i, j),), "result"))
        board = self._element(lf, claim, tuple(self.g.inputs[2]))
        return Board(shown + (f"pre2.{o}",), tuple(marks), board.formula)

    def _channels_result(self, beat: Beat) -> Board:
        lf = self.second
        shown = self.stage(lf, "pre") + self.stage(lf, "act")
        line = f"output: {shape(lf.maps_shape)}"
        return Board(shown, (), (line,))

    # ----- exercise boards (what a worksheet sets a beat's question on) ---------------------

    def exercise(self, beat: Beat) -> Board | None:
        """relu.zeroes: the last map shown before and after ReLU, a negative and a positive
        cell blank; channels.partials: the last channel shown, its input, its kernel and
        its partial map, the last element blank (the element the lesson adds up is the
        first)."""
        if beat.key == "relu.zeroes":
            lf = self.first
            o = self.filters(lf)[-1]
            plane = lf.trace.pre_activation[o]
            picked = [
                next(((i, j) for i, row in enumerate(plane) for j, v in enumerate(row) if test(v)),
                     None)
                for test in (lambda v: v < 0, lambda v: v > 0)
            ]  # fmt: skip
            blank = tuple(sorted(p for p in picked if p is not None))
            if not blank:
                return None
            return Board((f"pre1.{o}", f"act1.{o}"), (Mark(f"act1.{o}", blank, "result"),))
        if beat.key == "channels.partials":
            lf = self.second
            c = self.channels(lf)[-1]
            k = lf.element((0, 0, 0)).channels.index(c)
            _, h, w = lf.maps_shape
            part = lf.element((0, h - 1, w - 1)).parts[k]
            key = self.g.inputs[2][c]
            rows, cols = self.g.grids[key].shape
            window = tuple((r, q) for r, q in part.positions if 0 <= r < rows and 0 <= q < cols)
            marks = (Mark(key, window, "window"), Mark(f"part2.0.{c}", ((h - 1, w - 1),), "result"))
            return Board((key, f"w2.0.{c}", f"part2.0.{c}"), marks)
        return None

    def _summary(self, beat: Beat) -> Board:
        shown = [self.g.inputs[1][0]]
        for lf in self.f.layers:
            shown.append(f"act{lf.number}.0")
            if lf.pooled_shape is not None:
                shown.append(f"pool{lf.number}.0")
        return Board(tuple(shown), (), (" → ".join(shape(s) for s in self.f.shapes),))


def stage_sections(facts: Facts, sections: tuple[Section, ...]):
    """The sections with a board on every beat (and, on the first beat that shows a grid,
    the claims that vouch for it), and every grid the boards show, by key."""
    grids = _Grids(facts)
    boards = _Boards(facts, grids)
    vouched: set[str] = set()
    out = []
    for sec in sections:
        beats = []
        for beat in sec.beats:
            board = boards.board(beat)
            extra = []
            for key in board.grids:
                if key not in vouched:
                    vouched.add(key)
                    extra += [c for c in grids.claims[key] if c not in beat.claims + tuple(extra)]
            beats.append(
                replace(
                    beat,
                    board=board,
                    claims=beat.claims + tuple(extra),
                    exercise=boards.exercise(beat),
                )
            )
        out.append(replace(sec, beats=tuple(beats)))
    shown = {
        key
        for sec in out
        for b in sec.beats
        for key in b.board.grids + (b.exercise.grids if b.exercise else ())
    }
    return tuple(out), {k: g for k, g in grids.grids.items() if k in shown}
