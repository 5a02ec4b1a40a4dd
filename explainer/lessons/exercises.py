"""Exercises for a board lesson's worksheet, worded from its script's verified claims.

A beat sets an exercise in one of two ways. *On its grids*: its exercise board
(:attr:`~explainer.lessons.script.Beat.exercise`, else the board it is spoken over) marks a
few cells as results (mark kind ``"result"``), and it makes a claim that says how such a
cell is computed (an element's channel sums and bias, a pooling window's pick or mean, a
channel's partial map, ReLU, a sum of stamps, the overlap count, a view of the output, an
error, a gradient-descent step, a correlation of the error map); the cells are left blank,
and their answers are the board's values there. *In boxes*: it makes a claim that states
numbers a question can ask for without a grid (the output-size formula, a parameter count,
a tensor's shape); the answers go into labelled boxes, and the exercise board, if any,
gives the grids to look at. The question is worded here from the claim alone (the
:data:`WORDING` table), and every answer is a value the claim states: a claim that
disagrees with the board is a writer's bug, refused here. The worksheet
(:mod:`explainer.outputs.lesson_worksheet`) only sets these out: it words nothing itself.
The claims were checked by the lesson's verifier when the script was built.

>>> from explainer.lessons.layer import build_script
>>> from explainer.lessons.layer.words import default_stack
>>> found = exercises(build_script(default_stack()))
>>> [e.beat for e in found][:3], found[0].boxes, found[0].answers
(['filters.parameters', 'maps.size', 'bias.element'], ('parameters',), (30,))
>>> found[2].blanks, found[2].question.split(": ")[0], found[2].answers
((('pre1.0', 1, 1),), 'Element (0, 1, 1) of layer 1', (8,))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from explainer.core.trace import Number
from explainer.lessons.backward_claims import (
    Checkerboard,
    CorrelationOfError,
    GridValues,
    OutputSize,
    StampSum,
    ViewEqual,
    WeightStep,
    ZeroInsertion,
)
from explainer.lessons.board import Board
from explainer.lessons.claims import Claim
from explainer.lessons.gradient_words import exact, plural
from explainer.lessons.layer_claims import (
    ConvSize,
    ElementSums,
    MapValues,
    Parameters,
    PartialMap,
    PoolAverage,
    PoolPick,
    ReluZeroes,
    TensorShape,
)
from explainer.lessons.script import Script

MOST = 8
"""Exercises on one worksheet, at most (the first, in the lesson's order)."""
MOST_BLANKS = 4
"""A board marking more result cells than this (a whole map that moved) is no exercise."""

Values = tuple[tuple[Number, ...], ...]


@dataclass(frozen=True)
class Exercise:
    """One question, the grids it is asked on, and where its answers go."""

    beat: str
    """The key of the beat it comes from."""
    title: str
    """The beat's section title."""
    question: str
    grids: tuple[str, ...]
    """The grids it is worked from, in the board's order."""
    blanks: tuple[tuple[str, int, int], ...]
    """(grid, row, column) of each cell left blank: the board's result cells."""
    answers: tuple[Number, ...]
    """The values of the blank cells, then of the boxes, in the same order."""
    solution: str
    """The beat's sentence: the verified statement the answer key gives."""
    formula: tuple[str, ...]
    """The beat's formula lines, for the answer key (they state the answers)."""
    claim: Claim
    """The verified claim the question is worded from and its answers are stated by."""
    boxes: tuple[str, ...] = ()
    """Labels of the boxes to write in that are no grid's cells (``"rows"``)."""


@dataclass(frozen=True)
class Worded:
    """What a claim words: the question, and the answers it states."""

    question: str
    stated: tuple[Number | None, ...] = ()
    """Per blank (``None``: not stated here) or, with :attr:`boxes`, per box."""
    grid: Values | None = None
    """The claim states the whole grid the blanks lie in (they must all lie in one grid
    holding exactly these values)."""
    boxes: tuple[str, ...] = ()


def _at(index: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(i) for i in index) + ")"


def _times(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def _span(noun: str, first: int, last: int) -> str:
    """'rows 0–1', or 'row 0' for one."""
    return f"{noun} {first}" if first == last else f"{noun}s {first}–{last}"


def _both_axes(claims: tuple[Claim, ...], kind: type, layer: int | None = None) -> tuple | None:
    """The claims of ``kind`` (of ``layer``, when given) for rows and for columns, in that
    order; None unless both are there."""
    found = {
        x.axis: x
        for x in claims
        if isinstance(x, kind) and (layer is None or getattr(x, "layer", None) == layer)
    }
    return (found[0], found[1]) if set(found) == {0, 1} else None


def _axes(parts: list[str]) -> str:
    """Each axis's given numbers: once if the rows and the columns share them."""
    if parts[0] == parts[1]:
        return f"along the rows and the columns alike, {parts[0]}"
    return f"along the rows, {parts[0]}; along the columns, {parts[1]}"


# ----- the layer lesson --------------------------------------------------------------------


def _element(c: ElementSums, _: tuple[Claim, ...]) -> Worded:
    how = (
        f"add its {len(c.partials)} channels' partial sums (each channel's window times its "
        "kernel, added up)"
        if len(c.partials) > 1
        else "multiply the input window by the kernel and add the products"
    )
    return Worded(
        f"Element {_at(c.index)} of layer {c.layer}: {how}, then add the bias, "
        f"{exact(c.bias)}. What is it before ReLU?",
        (c.pre,),
    )


def _pick(c: PoolPick, _: tuple[Claim, ...]) -> Worded:
    top, left, bottom, right = c.window
    text = (
        f"Max pooling, map {c.index[0]}, {_span('row', top, bottom)}, "
        f"{_span('column', left, right)}: which value does the window keep, and from which "
        "cell?"
    )
    if c.ties > 1:
        text += " (Several cells hold the largest value: which one is kept?)"
    return Worded(text, (c.value,))


def _average(c: PoolAverage, _: tuple[Claim, ...]) -> Worded:
    return Worded(
        f"Average pooling, pooled element {_at(c.index)}: add the cells of its window and "
        f"divide by {c.divisor}.",
        (c.value,),
    )


def _weights(layer: int, claims: tuple[Claim, ...]) -> tuple[int, ...] | None:
    for x in claims:
        if isinstance(x, TensorShape) and x.of == "weight" and x.layer == layer:
            return tuple(x.shape)
    return None


def _parameters(c: Parameters, claims: tuple[Claim, ...]) -> Worded | None:
    shape = _weights(c.layer, claims)
    if shape is None:
        return None
    if not c.biases:
        bias = "it has no bias"
    elif c.biases == shape[0]:
        bias = "each filter has one bias" if shape[0] > 1 else "its filter has one bias"
    else:
        bias = f"it has {plural(c.biases, 'bias')}"
    return Worded(
        f"Layer {c.layer}'s weights are one tensor of shape {_times(shape)}, and {bias}. "
        "How many parameters does it learn?",
        (c.weights + c.biases,),
        boxes=("parameters",),
    )


def _maps_shape(c: TensorShape, claims: tuple[Claim, ...]) -> Worded | None:
    shape = _weights(c.layer, claims)
    axes = _both_axes(claims, ConvSize, layer=c.layer)
    if c.of != "maps" or shape is None or axes is None:
        return None
    parts = [
        f"{x.n_in} cells in, a kernel of {x.k}, stride {x.stride}, padding {x.padding} in "
        f"all, dilation {x.dilation}"
        for x in axes
    ]
    return Worded(
        f"Layer {c.layer} slides its {plural(shape[0], 'filter')}, weights of shape "
        f"{_times(shape)}, over its input: {_axes(parts)}. What shape is its output "
        "(channels × rows × columns)?",
        tuple(c.shape),
        boxes=("channels", "rows", "columns"),
    )


def _relu(c: MapValues, claims: tuple[Claim, ...]) -> Worded | None:
    if c.stage != "activation" or not any(isinstance(x, ReluZeroes) for x in claims):
        return None
    return Worded(
        "ReLU keeps every value above 0 and sets the negative ones to 0. What does map "
        f"{c.channel} of layer {c.layer} hold after ReLU in each lettered cell?",
        grid=c.values,
    )


def _partial(c: PartialMap, _: tuple[Claim, ...]) -> Worded:
    return Worded(
        f"Channel {c.channel}'s share of map {c.filter} of layer {c.layer}: lay filter "
        f"{c.filter}'s kernel for channel {c.channel} on channel {c.channel} of the layer's "
        "input, where the lettered cell's window lies; multiply and add.",
        grid=c.values,
    )


# ----- the backward and transposed lessons -------------------------------------------------


def _stamps(c: StampSum, _: tuple[Claim, ...]) -> Worded:
    if len(c.parts) == 1:  # nothing to add: the one product
        said = "one stamp lands on it, a source value times a kernel weight. What is it?"
    else:
        said = (
            f"{plural(len(c.parts), 'stamp')} land on it, each a source value times a kernel "
            "weight. Add them up."
        )
    return Worded(f"Pixel {_at(c.at)}: {said}", (c.total,))


def _step(c: WeightStep, _: tuple[Claim, ...]) -> Worded:
    return Worded(
        f"Take one step of gradient descent on weight {_at(c.weight)}, with learning rate "
        f"{exact(c.rate)}: the weight minus the learning rate times its gradient. What does "
        "the weight become?",
        (c.after,),
    )


def _correlation(c: CorrelationOfError, _: tuple[Claim, ...]) -> Worded:
    return Worded(
        "Each weight's gradient is the correlation of the image with the error map: lay the "
        "error map on the image where the filter's weight met it, multiply and add."
    )


def _grid_values(c: GridValues, claims: tuple[Claim, ...]) -> Worded | None:
    if c.of == "error":
        return Worded(
            "The error map is e = y − t: the map the filter makes minus the target, pixel by "
            "pixel. What is the error at each lettered pixel?",
            grid=c.values,
        )
    if c.of != "overlap":
        return None
    strides = sorted({x.stride for x in claims if isinstance(x, Checkerboard)})
    apart = (
        f", each stamp {plural(strides[0], 'pixel')} from its neighbour's"
        if len(strides) == 1
        else ""
    )
    return Worded(
        f"Every input pixel stamps the kernel onto the output{apart}. How many stamps land "
        "on each lettered output pixel?",
        grid=c.values,
    )


def _output_size(c: OutputSize, claims: tuple[Claim, ...]) -> Worded | None:
    axes = _both_axes(claims, OutputSize)
    if axes is None:
        return None
    parts = [
        f"n = {x.n_in}, k = {x.k}, s = {x.stride}, p = {x.padding}, d = {x.dilation}, "
        f"output_padding = {x.output_padding}"
        for x in axes
    ]
    return Worded(
        "The size of a transposed convolution's output, per axis, is n_out = (n − 1)·s − p "
        f"+ d·(k − 1) + output_padding + 1; here, {_axes(parts)}. How many rows and columns "
        "has the output?",
        (axes[0].n_out, axes[1].n_out),
        boxes=("rows", "columns"),
    )


def _view(c: ViewEqual, claims: tuple[Claim, ...]) -> Worded | None:
    if c.view != "zero-insertion" or not any(isinstance(x, ZeroInsertion) for x in claims):
        return None
    return Worded(
        "The same output another way: slide the kernel rotated by 180° over the input with "
        "zeros inserted and padded, stride 1 (an output pixel's window has its top-left "
        "corner on the same row and column of that grid). What is the output at each "
        "lettered pixel?",
        grid=c.values,
    )


WORDING: dict[type, Callable[[Any, tuple[Claim, ...]], Worded | None]] = {
    ElementSums: _element,
    PoolPick: _pick,
    PoolAverage: _average,
    Parameters: _parameters,
    TensorShape: _maps_shape,
    MapValues: _relu,
    PartialMap: _partial,
    StampSum: _stamps,
    WeightStep: _step,
    CorrelationOfError: _correlation,
    GridValues: _grid_values,
    OutputSize: _output_size,
    ViewEqual: _view,
}
"""Per claim kind: the question it words (given the beat's other claims, which may hold the
numbers the question gives), and the answers it states; ``None`` where this claim words
no question (a shape that is not a layer's maps, a grid that is not the error map …)."""


def _worded(
    claims: tuple[Claim, ...], blanks: tuple[tuple[str, int, int], ...], script: Script
) -> tuple[Claim, Worded] | None:
    """The first of the beat's claims that words a question fitting its board: one with
    boxes when no cell is blank, one about cells when some are (and, when it states a whole
    grid, the blanks lie in that grid)."""
    for claim in claims:
        word = WORDING.get(type(claim))
        worded = None if word is None else word(claim, claims)
        if worded is None or bool(worded.boxes) == bool(blanks):
            continue
        if worded.grid is not None:
            keys = {g for g, _, _ in blanks}
            if len(keys) != 1 or script.grids[keys.pop()].values != worded.grid:
                continue
        return claim, worded
    return None


def exercises(script: Script, most: int = MOST) -> tuple[Exercise, ...]:
    """The script's exercises, in its order, at most ``most``; none when no beat fits."""
    out: list[Exercise] = []
    for section in script.sections:
        for beat in section.beats:
            board = beat.exercise or beat.board
            if board is None or len(out) >= most:
                continue
            blanks = tuple(
                (m.grid, r, c) for m in board.marks if m.kind == "result" for r, c in m.cells
            )
            found = None if len(blanks) > MOST_BLANKS else _worded(beat.claims, blanks, script)
            if found is None:
                continue
            claim, worded = found
            if worded.boxes:
                answers = tuple(v for v in worded.stated if v is not None)
                grids = () if beat.exercise is None else beat.exercise.grids
            else:
                answers = tuple(script.grids[g].cell(r, c) for g, r, c in blanks)
                grids = board.grids
                stated = (
                    worded.stated
                    if worded.grid is None
                    else tuple(worded.grid[r][c] for _, r, c in blanks)
                )
                for said, held in zip(stated, answers, strict=False):
                    if said is not None and said != held:
                        raise ValueError(
                            f"beat {beat.key!r} claims {said} but its board holds {held}"
                        )
            formula = (beat.board or Board(())).formula
            out.append(
                Exercise(
                    beat.key,
                    section.title,
                    worded.question,
                    grids,
                    () if worded.boxes else blanks,
                    answers,
                    beat.caption,
                    formula,
                    claim,
                    worded.boxes,
                )
            )
    return tuple(out)
