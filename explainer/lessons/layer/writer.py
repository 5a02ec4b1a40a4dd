"""The layer lesson's writer: every sentence worded from the facts of the layer traces.

Each beat carries the claims its sentence makes (:mod:`explainer.lessons.layer_claims`);
:func:`build_script` has the independent verifier check them all before it returns.

>>> from explainer.lessons.layer.words import default_stack
>>> s = build_script(default_stack())
>>> s.section_names
('title', 'input', 'filters', 'maps', 'bias', 'relu', 'pooling', 'channels', 'summary')
>>> s.beat("input.shape").caption
'The input is one tensor of shape 1×9×9: one channel of 9 rows and 9 columns.'
"""

from __future__ import annotations

from collections.abc import Sequence

from explainer.core.stack import LayerStack
from explainer.lessons.layer.boards import stage_sections
from explainer.lessons.layer.facts import PATTERN_NAMES, Facts, LayerFacts, facts_of
from explainer.lessons.layer.sections import BEAT_KEYS, LESSON, SECTION_NAMES, TITLES
from explainer.lessons.layer.words import (
    article,
    beat,
    cells,
    counted,
    grid,
    join,
    num,
    ordinal,
    places,
    plural,
    shape,
    span,
)
from explainer.lessons.layer_claims import (
    ConvSize,
    ElementSums,
    FilterPattern,
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
from explainer.lessons.script import Beat, Script, Section, verify_script


def build_script(stack: LayerStack, *, verify: bool = True) -> Script:
    """Word the layer lesson for ``stack`` from the facts of its exact traces; with
    ``verify`` the layer verifier checks every claim first (a false one raises
    :class:`~explainer.lessons.verifier.ClaimError` naming the beat)."""
    return script_from_facts(facts_of(stack), verify=verify)


def script_from_facts(facts: Facts, *, verify: bool = True) -> Script:
    writer = _Writer(facts)
    sections, grids = stage_sections(facts, writer.sections())
    script = Script(
        problem=facts.stack,
        lesson=LESSON,
        sections=sections,
        grids=grids,
        keys=BEAT_KEYS,
        labels=writer.labels(),
        trace=facts.layers[0].trace,
        facts=facts,
    )
    if verify:
        verify_script(script)
    return script


class _Writer:
    def __init__(self, facts: Facts) -> None:
        self.f = facts
        self.first = facts.layers[0]
        self.second = facts.layers[1] if len(facts.layers) > 1 else None

    def labels(self) -> dict[str, str]:
        return {
            "title": "From a filter to a layer",
            "subtitle": "channels, filters, bias, ReLU, pooling",
            "problem": self.f.stack.describe(),
        }

    def sections(self) -> tuple[Section, ...]:
        beats = {
            "title": self.title(),
            "input": self.input(),
            "filters": self.filters(),
            "maps": self.maps(),
            "bias": self.bias(),
            "relu": self.relu(),
            "pooling": self.pooling(),
            "channels": self.channels(),
            "summary": self.summary(),
        }
        return tuple(
            Section(name, TITLES[name], tuple(beats[name])) for name in SECTION_NAMES if beats[name]
        )

    def _name(self, lf: LayerFacts, o: int) -> str:
        pattern = lf.patterns[o]
        return PATTERN_NAMES[pattern] if pattern else f"filter {o}"

    # ----- sections ------------------------------------------------------------------------

    def title(self) -> list[Beat]:
        return [
            beat(
                "title.question",
                "One filter finds one pattern. What does a layer do with many filters, "
                "and with an input of several channels?",
            )
        ]

    def input(self) -> list[Beat]:
        c, h, w = self.first.input_shape
        text = (
            f"The input is one tensor of shape {shape((c, h, w))}: "
            f"{plural(c, 'channel')} of {counted(h, 'row')} and {counted(w, 'column')}."
        )
        return [beat("input.shape", text, TensorShape((c, h, w), "input", 1))]

    def filters(self) -> list[Beat]:
        lf = self.first
        co, cg, kh, kw = lf.weight_shape
        bank = (
            f"one filter of shape {shape((cg, kh, kw))}"
            if co == 1
            else f"a bank of {plural(co, 'filter')}, each {shape((cg, kh, kw))}"
        )
        text = (
            f"The first layer holds {bank}: "
            f"its weights are one tensor of shape {shape(lf.weight_shape)}."
        )
        claims = [TensorShape(lf.weight_shape, "weight", 1)]
        if all(lf.patterns):
            names = join([PATTERN_NAMES[p] for p in lf.patterns])
            text += f" {'It is' if co == 1 else 'They are'} {names}."
            claims += [FilterPattern(1, o, p) for o, p in enumerate(lf.patterns)]
        out = [beat("filters.bank", text, *claims)]
        # The weights' shape, shown on this beat's board, is what the count is made of.
        shaped = TensorShape(lf.weight_shape, "weight", 1)
        out.append(self._parameters(lf, "filters.parameters", shaped))
        return out

    def _parameters(self, lf: LayerFacts, key: str, *shaped: TensorShape) -> Beat:
        biases = plural(lf.biases, "bias") if lf.biases else "no bias"
        text = (
            f"That is {counted(lf.weights, 'weight')} and {biases}: "
            f"{counted(lf.weights + lf.biases, 'parameter')} to learn."
        )
        return beat(key, text, Parameters(lf.number, lf.weights, lf.biases), *shaped)

    def maps(self) -> list[Beat]:
        lf = self.first
        formulas = []
        claims = []
        for axis, (n, pad, k, s, d, out) in enumerate(lf.conv_axes):
            claims.append(ConvSize(1, axis, n, k, s, pad, d, out))
            if (pad, s, d) == (0, 1, 1):
                formulas.append(f"{n} − {k} + 1 = {out}")
            else:
                formulas.append(f"⌊({n} + {pad} − {d}·({k} − 1) − 1) / {s}⌋ + 1 = {out}")
        down = "position" if lf.conv_axes[0][5] == 1 else "positions"
        where = (
            f"{formulas[0]} {down} each way"
            if formulas[0] == formulas[1]
            else f"{formulas[0]} {down} down and {formulas[1]} across"
        )
        co = lf.maps_shape[0]
        maps = (
            "the one feature map is a tensor"
            if co == 1
            else f"the {plural(co, 'feature map')} form one tensor"
        )
        text = (
            f"{'The filter' if co == 1 else 'Each filter'} slides over the input as in the "
            f"convolution lesson: {where}. So {maps} of shape {shape(lf.maps_shape)}."
        )
        claims += [TensorShape(lf.maps_shape, "maps", 1), TensorShape(lf.weight_shape, "weight", 1)]
        out = [beat("maps.size", text, *claims)]
        parts, claims = [], []
        cells_per_map = lf.maps_shape[1] * lf.maps_shape[2]
        for o, (value, positions) in enumerate(lf.strongest[:4]):
            if len(positions) == cells_per_map > 1:  # its largest value everywhere: a flat map
                parts.append(f"{self._name(lf, o)} gives {num(value)} everywhere")
            else:
                parts.append(
                    f"{self._name(lf, o)} responds most, {num(value)}, {places(positions)}"
                )
            claims.append(MapMax(1, o, value, positions))
        text = "; ".join(parts)
        out.append(beat("maps.strongest", text[0].upper() + text[1:] + ".", *claims))
        madds = counted(lf.outputs * lf.per_output, "multiply-add")
        text = (
            f"Each value takes {counted(lf.per_output, 'product')}, so the layer computes "
            f"{lf.outputs} × {lf.per_output} = {madds}."
        )
        out.append(beat("maps.cost", text, MultiplyAdds(1, lf.outputs, lf.per_output)))
        return out

    def _element(self, lf: LayerFacts, index: tuple[int, int, int]) -> tuple[str, ElementSums]:
        step = lf.element(index)
        partials = step.partial_sums
        if len(partials) == 1:
            text = f"the products add up to {num(partials[0])}"
        else:
            added = " + ".join(num(v) for v in partials)
            text = f"channel by channel the partial sums are {added} = {num(step.total)}"
        if lf.biases:
            text += f"; plus the bias {num(step.bias)}, that is {num(step.pre_activation)}"
        claim = ElementSums(
            lf.number, index, partials, step.bias, step.pre_activation, step.activation
        )
        return text, claim

    def bias(self) -> list[Beat]:
        lf = self.first
        if not lf.biases:
            return []
        index = (0, *lf.strongest[0][1][0])
        said, claim = self._element(lf, index)
        who = (
            "The filter then adds its bias"
            if len(lf.bias) == 1
            else "Each filter then adds its bias"
        )
        text = f"{who}, {join([num(v) for v in lf.bias])}: at element {cells(index)}, {said}."
        return [beat("bias.element", text, claim, TensorShape((lf.biases,), "bias", 1))]

    def _relu_words(self, lf: LayerFacts) -> tuple[str, ReluZeroes]:
        already = lf.zeros - lf.negatives
        if lf.total == 1:
            said = f"the one value is {'' if lf.negatives else 'not '}negative"
        elif not lf.negatives:
            said = f"none of the {lf.total} values is negative"
        elif lf.negatives == lf.total:
            said = f"all {lf.total} values are negative"
        else:
            verb = "is" if lf.negatives == 1 else "are"
            said = f"{lf.negatives} of the {lf.total} values {verb} negative"
        were = "was" if already == 1 else "were"
        if already and lf.total == 1:
            said += "; it was 0 already"
        elif already and not lf.negatives:
            said += f"; {already} {were} 0 already"
        text = f"ReLU keeps every value above 0 and sets the negative ones to 0: {said}."
        if already and lf.negatives:
            are = "is" if lf.zeros == 1 else "are"
            text += (
                f" Another {already} {were} 0 already, so {counted(lf.zeros, 'value')} "
                f"{are} 0 after it."
            )
        return text, ReluZeroes(lf.number, lf.negatives, lf.zeros, lf.total)

    def relu(self) -> list[Beat]:
        lf = self.first
        if lf.layer.activation != "relu":
            return []
        text, claim = self._relu_words(lf)
        return [beat("relu.zeroes", text, claim)]

    def pooling(self) -> list[Beat]:
        lf = self.first
        spec = lf.layer.pool
        if spec is None:
            return []
        out = []
        window = f"{article(spec.size[0])} {spec.size[0]}×{spec.size[1]} window"
        rows, cols = spec.stride
        stride = f"stride {rows}" if rows == cols else f"stride {rows}×{cols}"
        step = lf.pool_steps()[0]
        clip = _clipped(step.window, lf.maps_shape)
        region = _region(clip)
        if spec.mode == "max":
            pos = step.positions[step.chosen]
            ties = step.values.count(step.values[step.chosen])
            text = (
                f"Max pooling with {window} and {stride} keeps the largest value "
                f"of each window: in map 0, {region} holds {_listed(step.values)}; "
                f"it keeps {num(step.value)}, from {cells(pos)}."
            )
            out.append(
                beat("pooling.rule", text, PoolPick(1, step.index, clip, step.value, pos, ties))
            )
            tie = lf.first_tie()
            if tie is not None:
                where = _clipped(tie.window, lf.maps_shape)
                v = tie.values[tie.chosen]
                n = tie.values.count(v)
                pos = tie.positions[tie.chosen]
                text = (
                    f"When values tie, pooling keeps the first in row-major order: in map "
                    f"{tie.index[0]}, {_region(where)}, "
                    f"{plural(n, 'cell')} hold {num(v)}, and the one kept is at {cells(pos)}."
                )
                claim = PoolPick(1, tie.index, where, v, pos, n)
                out.append(beat("pooling.ties", text, claim))
        else:
            total = sum(step.values)
            text = (
                f"Average pooling with {window} and {stride} keeps the mean "
                f"of each window: in map 0, {region} adds up to {num(total)}, divided by "
                f"{step.divisor}: {num(step.value)}."
            )
            claim = PoolAverage(1, step.index, total, step.divisor, step.value)
            out.append(beat("pooling.average", text, claim))
        out += self._pool_size(lf)
        return out

    def _pool_size(self, lf: LayerFacts) -> list[Beat]:
        spec = lf.layer.pool
        mode = spec.ceil_mode
        axes, other = lf.pool_axes(mode), lf.pool_axes(not mode)
        claims = [
            PoolSize(1, axis, n, k, s, p, mode, count, unused)
            for axis, (n, k, s, p, count, unused) in enumerate(axes)
        ]
        formula = _pool_formulas(axes, mode)
        text = (
            f"Its size follows the same formula as a convolution's, {formula}, so the pooled "
            f"tensor has shape {shape(lf.pooled_shape)}."
        )
        out = [beat("pooling.size", text, *claims, TensorShape(lf.pooled_shape, "pooled", 1))]
        if axes == other:
            return out
        changed = [a for a in range(2) if axes[a] != other[a]]  # the axes rounding changes
        claims = [
            PoolSize(1, axis, *values[:4], not mode, *values[4:])
            for axis, values in enumerate(other)
        ]
        if not mode:
            unread = _unread(axes[0][5], axes[1][5])
            text = (
                f"Rounding down drops the odd edge: {unread[0]} of each map "
                f"{unread[1]} never read. "
                "With ceil mode the size would be "
                f"{_pool_formulas(other, True, changed)}, the last window partial."
            )
        elif any(values[4] == 0 for values in other):  # the window outgrows the map
            axis = next(a for a, values in enumerate(other) if values[4] == 0)
            n2, k2, s2, p2, _, _ = other[axis]
            text = (
                f"Ceil mode keeps a last, partial window at the edge; rounding down would give "
                f"{_pool_formula(n2, k2, s2, p2, False, 0)} windows "
                f"{'down' if axis == 0 else 'across'}: no window at all, so pooling would "
                "leave nothing of the maps."
            )
        else:
            text = (
                f"Ceil mode keeps a last, partial window at the edge; rounding down would give "
                f"{_pool_formulas(other, False, changed)} and leave "
                f"{_unread(other[0][5], other[1][5])[0]} unread."
            )
        out.append(beat("pooling.edge", text, *claims))
        return out

    def channels(self) -> list[Beat]:
        lf = self.second
        if lf is None:
            return []
        co, cg, kh, kw = lf.weight_shape
        text = (
            f"The second layer reads the {shape(lf.input_shape)} tensor as "
            f"{plural(lf.input_shape[0], 'channel')}: "
            f"{'its one filter has' if co == 1 else f'each of its {co} filters has'} one "
            f"{kh}×{kw} kernel per channel, weights of shape {shape(lf.weight_shape)}."
        )
        claims = [
            TensorShape(lf.input_shape, "input", 2),
            TensorShape(lf.weight_shape, "weight", 2),
        ]
        out = [beat("channels.filter", text, *claims), self._parameters(lf, "channels.parameters")]
        step = lf.element((0, 0, 0))
        if len(step.channels) <= 4:
            parts, claims = [], []
            for k, c in enumerate(step.channels):
                values = tuple(
                    tuple(lf.element((0, i, j)).partial_sums[k] for j in range(lf.maps_shape[2]))
                    for i in range(lf.maps_shape[1])
                )
                claims.append(PartialMap(2, 0, c, values))
                parts.append(f"channel {c} gives {grid(values)}")
            text = (
                f"Filter 0 makes one partial map per channel, {ordinal(len(parts))} in all: "
                f"{join(parts)}."
            )
            out.append(beat("channels.partials", text, *claims))
        said, claim = self._element(lf, (0, 0, 0))
        if len(step.channels) > 1:
            how = (
                "The partial maps are added, then the bias"
                if lf.biases
                else "The partial maps are added"
            )
        else:
            how = (
                "The bias is added to the one partial map"
                if lf.biases
                else "With one channel, the partial map is the map"
            )
        text = f"{how}: at element (0, 0, 0), {said}."
        if lf.layer.activation == "relu":
            keeps = step.activation == step.pre_activation
            text += " ReLU keeps it." if keeps else " ReLU makes it 0."
        out.append(beat("channels.element", text, claim))
        values = lf.trace.activation[0]
        text = (
            f"The second layer's output has shape {shape(lf.maps_shape)}; its first map holds "
            f"{grid(values)}, for {counted(lf.outputs * lf.per_output, 'more multiply-add')}."
        )
        claims = [
            TensorShape(lf.maps_shape, "maps", 2),
            MapValues(2, 0, "activation", values),
            MultiplyAdds(2, lf.outputs, lf.per_output),
        ]
        out.append(beat("channels.result", text, *claims))
        return out

    def summary(self) -> list[Beat]:
        chain = " → ".join(shape(s) for s in self.f.shapes)
        params = sum(lf.weights + lf.biases for lf in self.f.layers)
        madds = sum(lf.outputs * lf.per_output for lf in self.f.layers)
        text = (
            f"In short: {chain}, with {counted(params, 'parameter')} and "
            f"{counted(madds, 'multiply-add')}. "
            "Every number was proved by sympy, and every sentence by a check of its own."
        )
        claims = [TensorShape(self.f.shapes[0], "input", 1)]
        for lf in self.f.layers:
            claims.append(TensorShape(lf.maps_shape, "maps", lf.number))
            if lf.pooled_shape is not None:
                claims.append(TensorShape(lf.pooled_shape, "pooled", lf.number))
            claims.append(Parameters(lf.number, lf.weights, lf.biases))
            claims.append(MultiplyAdds(lf.number, lf.outputs, lf.per_output))
        return [beat("summary.shapes", text, *claims)]


def _listed(values: tuple) -> str:
    """A window's values, or how many there are when too many to read out."""
    if len(values) > 9:
        return f"{len(values)} values"
    return join([num(v) for v in values])


def _clipped(
    window: tuple[int, int, int, int], maps: tuple[int, int, int]
) -> tuple[int, int, int, int]:
    """A pooling window (top, left, bottom, right, inclusive, padding and all) cut to the
    map's own cells: the ones it reads."""
    top, left, bottom, right = window
    return max(top, 0), max(left, 0), min(bottom, maps[1] - 1), min(right, maps[2] - 1)


def _region(window: tuple[int, int, int, int]) -> str:
    """'rows 0–1, columns 2–3', or 'row 0, column 2' for one of each."""
    top, left, bottom, right = window
    return f"{span(top, bottom, 'row')}, {span(left, right, 'column')}"


def _pool_formulas(axes, ceil: bool, which: Sequence[int] = (0, 1)) -> str:
    """The size formula of the axes ``which``: once when the two are alike, else each named
    ('… = 6 down and … = 3 across'; a single axis named when only it is asked for)."""
    said = [_pool_formula(*axes[a][:4], ceil, axes[a][4]) for a in (0, 1)]
    if said[0] == said[1]:
        return said[0]
    named = [f"{said[a]} {'down' if a == 0 else 'across'}" for a in which]
    return " and ".join(named)


def _pool_formula(n: int, k: int, s: int, p: int, ceil: bool, count: int) -> str:
    left, right = ("⌈", "⌉") if ceil else ("⌊", "⌋")
    inner = f"{n} − {k}" if p == 0 else f"{n} + 2·{p} − {k}"
    return f"{left}({inner}) / {s}{right} + 1 = {count}"


def _unread(rows: int, cols: int) -> tuple[str, str]:
    """('the last row and column', 'are'), … (the counts come from PoolSize claims)."""

    def part(n: int, one: str) -> str:
        return f"the last {one}" if n == 1 else f"the last {n} {one}s"

    if rows and cols:
        if rows == cols == 1:
            return "the last row and column", "are"
        return f"{part(rows, 'row')} and {part(cols, 'column')}", "are"
    if rows:
        return part(rows, "row"), "is" if rows == 1 else "are"
    return part(cols, "column"), "is" if cols == 1 else "are"
