"""The layer lesson's words proven like numbers (issue 19): search random small stacks,
verify every claim, and make each claim false to see the verifier refuse it.

As tests/test_claims_search.py does for the convolution lesson: hypothesis draws stacks of
one or two layers (tests/layer_strategies.py: shapes, strides, paddings in every mode,
dilations, groups, ints and Fractions; then a bias or none, ReLU or none, max or average
pooling or none with every size, stride, padding, ceil mode and count), builds each layer
script and checks every claim of every beat with the layer verifier
(lessons/layer_verifier.py, which recomputes the stack with plain loops). Then every number
each claim states is altered by one, and the verifier must refuse every altered claim.
The examples are the same on every run (derandomized).
"""

from __future__ import annotations

import dataclasses
import os
import re
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from layer_strategies import layers
from lesson_support import exercises_stand

from explainer.core.pooling import Pool
from explainer.core.stack import LayerStack
from explainer.errors import ExplainerError
from explainer.lessons import verify_script
from explainer.lessons.claims import Claim
from explainer.lessons.layer import build_script
from explainer.lessons.layer.words import default_stack
from explainer.lessons.layer_claims import (
    LAYER_CLAIM_KINDS,
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
from explainer.lessons.layer_verifier import verify_layer_beats

# What each claim kind states, field by field: every one of these, altered, makes the
# claim false. The other fields only say which thing is spoken of (layer, filter, index,
# axis, stage …): altered, they may name another thing that happens to be the same.
STATED: dict[type[Claim], tuple[str, ...]] = {
    TensorShape: ("shape",),
    Parameters: ("weights", "biases"),
    MultiplyAdds: ("outputs", "per_output"),
    ConvSize: ("n_in", "k", "stride", "padding", "dilation", "n_out"),
    PoolSize: ("n_in", "size", "stride", "padding", "n_out", "unused"),
    FilterPattern: ("pattern",),
    ElementSums: ("partials", "bias", "pre", "activation"),
    ReluZeroes: ("negatives", "zeros", "total"),
    MapMax: ("value", "positions"),
    PoolPick: ("window", "value", "position", "ties"),
    PoolAverage: ("total", "divisor", "value"),
    PartialMap: ("values",),
    MapValues: ("values",),
    KernelValues: ("values",),
    BiasValues: ("values",),
}
EXAMPLES = int(os.environ.get("EXPLAINER_LAYER_CLAIM_EXAMPLES", "50"))
SEEN: dict[str, int] = {"stacks": 0, "claims": 0, "altered": 0}


def _bumped(value: Any) -> Any:
    """The value with its first number one larger (tuples: the first leaf)."""
    if isinstance(value, tuple):
        return (_bumped(value[0]), *value[1:]) if value else (0,)
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, Fraction)):
        return value + 1
    raise TypeError(f"no way to alter {value!r}")


def altered(claim: Claim) -> list[Claim]:
    """Every false twin of ``claim``: one stated field changed each."""
    out = []
    for name in STATED[type(claim)]:
        value = getattr(claim, name)
        if name == "pattern":  # another of the three patterns
            others = [p for p in ("diagonal", "anti-diagonal", "x-centre") if p != value]
            out += [dataclasses.replace(claim, pattern=p) for p in others]
        else:
            out.append(dataclasses.replace(claim, **{name: _bumped(value)}))
    return out


def _refused_everywhere(stack: LayerStack, script) -> None:
    beats = [(b.key, b.claims) for b in script.beats()]
    twins = []
    for key, claims in beats:
        for claim in claims:
            twins += [(key, [twin]) for twin in altered(claim)]
    report = verify_layer_beats(stack, twins)
    SEEN["altered"] += report.total
    wrongly = [str(r) for r in report.results if r.holds]
    assert not wrongly, "altered claims the verifier accepted:\n" + "\n".join(wrongly)


# ----- the search ------------------------------------------------------------------------

SMALL = st.integers(-3, 3) | st.fractions(-2, 2, max_denominator=3)


@st.composite
def pools(draw, maps: tuple[int, int]) -> Pool | None:
    if draw(st.booleans()):
        return None
    size = (draw(st.integers(1, min(3, maps[0] + 1))), draw(st.integers(1, min(3, maps[1] + 1))))
    return Pool(
        size,
        stride=draw(st.none() | st.integers(1, 3)),
        padding=(draw(st.integers(0, size[0] // 2)), draw(st.integers(0, size[1] // 2))),
        mode=draw(st.sampled_from(["max", "avg"])),
        ceil_mode=draw(st.booleans()),
        count_include_pad=draw(st.booleans()),
    )


@st.composite
def stacks(draw) -> LayerStack:
    x, w, grad, options = draw(layers(stride=2, padding=1))
    c_out, oh, ow = grad.shape  # the output shape, by the textbook formula
    first: dict[str, Any] = dict(weight=w, **options)
    if draw(st.booleans()):
        first["bias"] = draw(st.lists(SMALL, min_size=c_out, max_size=c_out))
    if draw(st.booleans()):
        first["activation"] = "relu"
    first["pool"] = draw(pools((oh, ow)))  # in ceil mode, a window larger than the map too
    specs = [first]
    if draw(st.booleans()):  # a second layer reading every map of the first
        k = draw(st.integers(1, 2))
        c2 = draw(st.integers(1, 2))
        values = draw(st.lists(SMALL, min_size=c2 * c_out * k * k, max_size=c2 * c_out * k * k))
        second = dict(weight=np.array(values, dtype=object).reshape(c2, c_out, k, k))
        if draw(st.booleans()):
            second["activation"] = "relu"
        specs.append(second)
    try:
        return LayerStack(x, specs)
    except ExplainerError:  # a pooling window or second kernel larger than its input
        assume(False)
        raise


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(stacks())
def test_every_layer_claim_holds_and_every_altered_one_is_refused(stack):
    script = build_script(stack, verify=False)
    report = verify_script(script, strict=False)  # the lesson's own verifier, as check uses
    SEEN["stacks"] += 1
    SEEN["claims"] += report.total
    assert report.total and report.ok, "\n".join(str(r) for r in report.failures)
    for beat in script.beats():  # every symbol and numeral said in words
        assert not re.search(r"[0-9−×⊗≈°=÷/+⌊⌋⌈⌉]", beat.speech), (beat.key, beat.speech)
    _refused_everywhere(stack, script)
    exercises_stand(script)


@pytest.fixture(scope="module", autouse=True)
def _say_what_was_searched():
    yield
    if SEEN["stacks"]:
        print(
            f"\nlayer claims search: {SEEN['stacks']} stacks, {SEEN['claims']} claims "
            f"verified, {SEEN['altered']} altered claims refused"
        )


# ----- every kind, made false --------------------------------------------------------------


def _avg_stack() -> LayerStack:
    x = np.array([[[1, 3, 0, 2, 5], [3, 0, 2, 1, 1], [5, 1, 1, 0, 4], [2, 2, 0, 1, 3]]])
    return LayerStack(
        x,
        [dict(weight=np.array([[[[1, -1], [0, 2]]]]), bias=[1], pool=Pool(2, mode="avg"))],
    )


def test_each_kind_of_layer_claim_made_false_is_refused():
    """The default lesson and an average-pooling stack speak every kind of claim; each of
    their claims holds, and each altered twin of it is refused."""
    kinds = set()
    for stack in (default_stack(), _avg_stack()):
        script = build_script(stack)  # verifies every claim, or raises
        _refused_everywhere(stack, script)
        kinds |= {type(c) for b in script.beats() for c in b.claims}
    assert kinds == set(LAYER_CLAIM_KINDS) == set(STATED)


def test_an_average_of_zeros_names_its_divisor_truly():
    """A window of zeros averages to 0 whatever it is divided by: the divisor it states
    must still be torch's count, the cells of the window inside the padded input."""
    stack = LayerStack(
        np.zeros((1, 4, 4), dtype=int),
        [dict(weight=np.ones((1, 1, 1, 1), int), pool=Pool(2, mode="avg"))],
    )
    true = PoolAverage(1, (0, 0, 0), 0, 4, 0)
    false = dataclasses.replace(true, divisor=3)
    results = verify_layer_beats(stack, [(None, [true, false])]).results
    assert [r.holds for r in results] == [True, False]


# A 4×4 map, 3×3 windows, stride 2, padding 1, ceil mode: ⌈(4 + 2 − 3) / 2⌉ + 1 = 3
# windows per axis (the last starts at 3, inside the map, so it is kept). They start at
# −1, 1, 3 and stop (exclusive) at 2, 4 and min(3 + 3, 4 + 1) = 5: torch's avg_pool2d
# counts a window up to the end of the padded input only (aten/src/ATen/native/cpu/
# AvgPoolKernel.cpp: hend = min(hstart + kH, H + padH); pool_size = (hend − hstart) ·
# (wend − wstart)); count_include_pad=True divides by that pool_size ("will include the
# zero-padding in the averaging calculation", AvgPool2d's documentation), False by the
# cells of the window inside the input. Per axis the windows hold 3, 3, 2 cells of the
# padded input, of which 2, 3, 1 are the map's own: the divisors are the products.
PADDED = (3, 3, 2)
REAL = (2, 3, 1)


@pytest.mark.parametrize("include, per_axis", [(True, PADDED), (False, REAL)])
def test_the_divisor_is_torchs_count_with_padding_in_ceil_mode(include, per_axis):
    pool = Pool(3, stride=2, padding=1, mode="avg", ceil_mode=True, count_include_pad=include)
    stack = LayerStack(
        np.zeros((1, 4, 4), int), [dict(weight=np.ones((1, 1, 1, 1), int), pool=pool)]
    )
    true, false = [], []
    for i in range(3):
        for j in range(3):
            d = per_axis[i] * per_axis[j]
            claim = PoolAverage(1, (0, i, j), 0, d, 0)
            true.append(claim)
            false += [
                dataclasses.replace(claim, divisor=d + 1),
                dataclasses.replace(claim, divisor=d - 1),
            ]
    report = verify_layer_beats(stack, [(None, true)])
    assert report.ok, "\n".join(str(r) for r in report.failures)
    wrongly = [str(r) for r in verify_layer_beats(stack, [(None, false)]).results if r.holds]
    assert not wrongly, wrongly
    # The lesson states the first window's divisor: 9 counting the padding, else 4.
    said = build_script(stack).beat("pooling.average")
    assert said.claims[0].divisor == (9 if include else 4)
    assert "adds up to 0, divided by " + ("9" if include else "4") in said.caption


# ----- falsehoods the search found (issue 19), fixed -----------------------------------


def _one_column_ceil_stack() -> LayerStack:
    x = np.array([[[1], [2], [3]]])
    return LayerStack(x, [dict(weight=np.ones((1, 1, 1, 1), int), pool=Pool(2, ceil_mode=True))])


def test_a_pool_that_floor_would_empty():
    """Pooling 1 column by 2 in ceil mode: rounding down would give 0 windows, and the
    script says so (PoolSize … ceil_mode=False, n_out=0, unused=1), a true claim."""
    script = build_script(_one_column_ceil_stack(), verify=False)
    report = verify_script(script, strict=False)
    assert report.ok, "\n".join(str(r) for r in report.failures)
    # ⌊(1 − 2) / 2⌋ + 1 = −1 + 1 = 0 windows across: the lesson says nothing is left.
    assert script.beat("pooling.edge").caption == (
        "Ceil mode keeps a last, partial window at the edge; rounding down would give "
        "⌊(1 − 2) / 2⌋ + 1 = 0 windows across: no window at all, so pooling would leave "
        "nothing of the maps."
    )


def test_no_window_leaves_every_cell_unread():
    """One column pooled by a 1×2 window, stride 3, ceil mode: ⌈(1 − 2) / 3⌉ + 1 = 1
    window (columns 0–1, the map's column 0 and nothing past it); rounding down,
    ⌊(1 − 2) / 3⌋ + 1 = −1 + 1 = 0 windows, and the one column is unread (not 2: the
    column count is no window's stop)."""
    pool = Pool((1, 2), stride=(1, 3), ceil_mode=True)
    stack = LayerStack(np.array([[[5], [6]]]), [dict(weight=np.ones((1, 1, 1, 1), int), pool=pool)])
    floor = PoolSize(1, 1, 1, 2, 3, 0, False, 0, 1)
    ceil = PoolSize(1, 1, 1, 2, 3, 0, True, 1, 0)
    false = [
        dataclasses.replace(floor, unused=2),
        dataclasses.replace(floor, n_out=1),
        dataclasses.replace(ceil, unused=1),
    ]
    results = verify_layer_beats(stack, [(None, [floor, ceil, *false])]).results
    assert [r.holds for r in results] == [True, True, False, False, False]
    claims = build_script(stack).beat("pooling.edge").claims  # the writer's, verified
    assert floor in claims


def test_a_spoken_formula_says_divided_by():
    """Stride 2: the speech of maps.size read "… minus one) / two + one equals …"; now
    the formula is said in words, and the counts agree with one (1 position, 1 map)."""
    stack = LayerStack(np.array([[[1, 2, 3]]]), [dict(weight=np.ones((1, 1, 1, 1), int), stride=2)])
    said = build_script(stack).beat("maps.size")
    assert "/" not in said.speech and "+" not in said.speech, said.speech
    # rows: ⌊(1 + 0 − 1·0 − 1) / 2⌋ + 1 = 1; columns: ⌊(3 − 1) / 2⌋ + 1 = 2
    assert said.caption == (
        "The filter slides over the input as in the convolution lesson: "
        "⌊(1 + 0 − 1·(1 − 1) − 1) / 2⌋ + 1 = 1 position down and "
        "⌊(3 + 0 − 1·(1 − 1) − 1) / 2⌋ + 1 = 2 across. "
        "So the one feature map is a tensor of shape 1×1×2."
    )
    assert said.speech == (
        "The filter slides over the input as in the convolution lesson: "
        "the floor of (one plus zero minus one times (one minus one) minus one) divided by "
        "two, plus one equals one position down and "
        "the floor of (three plus zero minus one times (one minus one) minus one) divided by "
        "two, plus one equals two across. "
        "So the one feature map is a tensor of shape one by one by two."
    )
