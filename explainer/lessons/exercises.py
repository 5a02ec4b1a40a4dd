"""Exercises for a board lesson's worksheet, worded from its script's verified claims.

A beat becomes an exercise when its board marks a few cells as results (mark kind
``"result"``) and it makes a claim that says how such a cell is computed (an element's
channel sums and bias, a pooling window's pick or mean, a sum of stamps, a gradient-descent
step, a correlation of the error map). Its question is worded here from that claim alone;
its blanks are the board's result cells; its answers are the board's values there, and a
claim whose value disagrees with the board is a writer's bug, refused here. The worksheet
(:mod:`explainer.outputs.lesson_worksheet`) only sets these out: it words nothing itself.
The claims were checked by the lesson's verifier when the script was built.

>>> from explainer.lessons.layer import build_script
>>> from explainer.lessons.layer.words import default_stack
>>> first = exercises(build_script(default_stack()))[0]
>>> first.beat, first.blanks
('bias.element', (('pre1.0', 1, 1),))
>>> first.question.split(": ")[0], first.answers
('Element (0, 1, 1) of layer 1', (8,))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from explainer.core.trace import Number
from explainer.lessons.backward_claims import CorrelationOfError, StampSum, WeightStep
from explainer.lessons.claims import Claim
from explainer.lessons.gradient_words import exact, plural
from explainer.lessons.layer_claims import ElementSums, PoolAverage, PoolPick
from explainer.lessons.script import Script

MOST = 4
"""Exercises on one worksheet, at most (the first, in the lesson's order)."""
MOST_BLANKS = 4
"""A board marking more result cells than this (a whole map that moved) is no exercise."""


@dataclass(frozen=True)
class Exercise:
    """One question, the board it is asked on, and where its answers go."""

    beat: str
    """The key of the beat it comes from."""
    title: str
    """The beat's section title."""
    question: str
    grids: tuple[str, ...]
    """The board's grids, in its order: what the question is worked from."""
    blanks: tuple[tuple[str, int, int], ...]
    """(grid, row, column) of each cell left blank: the board's result cells."""
    answers: tuple[Number, ...]
    """The board's values in the blank cells, in the same order."""
    solution: str
    """The beat's sentence: the verified statement the answer key gives."""
    formula: tuple[str, ...]
    """The board's formula lines, for the answer key (they state the answers)."""


def _at(index: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(i) for i in index) + ")"


def _element(c: ElementSums) -> tuple[str, Number]:
    how = (
        f"add its {len(c.partials)} channels' partial sums (each channel's window times its "
        "kernel, added up)"
        if len(c.partials) > 1
        else "multiply the input window by the kernel and add the products"
    )
    return (
        f"Element {_at(c.index)} of layer {c.layer}: {how}, then add the bias, "
        f"{exact(c.bias)}. What is it before ReLU?",
        c.pre,
    )


def _pick(c: PoolPick) -> tuple[str, Number]:
    top, left, bottom, right = c.window
    text = (
        f"Max pooling, map {c.index[0]}, rows {top}–{bottom}, columns {left}–{right}: which "
        "value does the window keep, and from which cell?"
    )
    if c.ties > 1:
        text += " (Several cells hold the largest value: which one is kept?)"
    return text, c.value


def _average(c: PoolAverage) -> tuple[str, Number]:
    return (
        f"Average pooling, pooled element {_at(c.index)}: add the cells of its window and "
        f"divide by {c.divisor}.",
        c.value,
    )


def _stamps(c: StampSum) -> tuple[str, Number]:
    return (
        f"Pixel {_at(c.at)}: {plural(len(c.parts), 'stamp')} "
        f"{'lands' if len(c.parts) == 1 else 'land'} on it, each a source value times a "
        "kernel weight. Add them up.",
        c.total,
    )


def _step(c: WeightStep) -> tuple[str, Number]:
    return (
        f"Take one step of gradient descent on weight {_at(c.weight)}, with learning rate "
        f"{exact(c.rate)}: the weight minus the learning rate times its gradient. What does "
        "the weight become?",
        c.after,
    )


def _correlation(c: CorrelationOfError) -> tuple[str, None]:
    return (
        "Each weight's gradient is the correlation of the image with the error map: lay the "
        "error map on the image where the filter's weight met it, multiply and add.",
        None,
    )


WORDING: dict[type, Callable[[Any], tuple[str, Number | None]]] = {
    ElementSums: _element,
    PoolPick: _pick,
    PoolAverage: _average,
    StampSum: _stamps,
    WeightStep: _step,
    CorrelationOfError: _correlation,
}
"""Per claim kind: the question it words, and the value it states for the (first) blank
(``None``: the claim states no single value; the board's value is the answer)."""


def _question(claims: tuple[Claim, ...]) -> tuple[str, Number | None] | None:
    for claim in claims:
        word = WORDING.get(type(claim))
        if word is not None:
            return word(claim)
    return None


def exercises(script: Script, most: int = MOST) -> tuple[Exercise, ...]:
    """The script's exercises, in its order, at most ``most``; none when no beat fits."""
    out: list[Exercise] = []
    for section in script.sections:
        for beat in section.beats:
            board = beat.board
            if board is None or len(out) >= most:
                continue
            blanks = tuple(
                (m.grid, r, c) for m in board.marks if m.kind == "result" for r, c in m.cells
            )
            worded = _question(beat.claims)
            if not blanks or len(blanks) > MOST_BLANKS or worded is None:
                continue
            question, stated = worded
            answers = tuple(script.grids[g].cell(r, c) for g, r, c in blanks)
            if stated is not None and stated != answers[0]:
                raise ValueError(
                    f"beat {beat.key!r} claims {stated} but its board holds {answers[0]}"
                )
            out.append(
                Exercise(
                    beat.key,
                    section.title,
                    question,
                    board.grids,
                    blanks,
                    answers,
                    beat.caption,
                    board.formula,
                )
            )
    return tuple(out)
