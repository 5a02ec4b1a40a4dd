"""sympy's derivation of every layer element against the engine, and against numbers
worked out here by hand."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from explainer import Layer, Pool, ProblemError, build_layer_trace
from explainer.proof.layer import (
    derive_layer_element,
    derive_pooled_element,
    layer_formula,
    pooled_size,
    verify_layer,
)

MODES = ["zeros", "reflect", "replicate", "circular"]


def test_one_element_by_hand():
    # Channel 0: 1·1 + 2·0 + 4·0 + 5·(−1) = −4; channel 1: 0·2 + 1·2 + 1·2 + 0·2 = 4;
    # bias −1: pre-activation −1, ReLU 0.
    x = [[[1, 2, 3], [4, 5, 6]], [[0, 1, 0], [1, 0, 1]]]
    w = [[[[1, 0], [0, -1]], [[2, 2], [2, 2]]]]
    d = derive_layer_element(Layer(x, w, bias=[-1], activation="relu"), 0, 0, 0)
    assert d.products == ((1, 0, 0, -5), (0, 2, 2, 0))
    assert d.partial_sums == (-4, 4) and d.pre_activation == -1 and d.activation == 0
    assert sp.sstr(d.expansion, order="none").startswith("b[0] + ((x[0, 0, 0]*w[0, 0, 0, 0]")


def test_groups_and_flip_reach_the_right_channel_and_tap():
    x = np.arange(2 * 3 * 3).reshape(2, 3, 3)
    w = np.array([[[[1, 2], [3, 4]]], [[[5, 6], [7, 8]]]])
    layer = Layer(x, w, groups=2, flip=True)
    d = derive_layer_element(layer, 1, 0, 0)
    # Filter 1 reads channel 1 (values 9..17) with its kernel rotated: 8·9 + 7·10 + 6·12 + 5·13
    assert d.channels == (1,) and d.pre_activation == 8 * 9 + 7 * 10 + 6 * 12 + 5 * 13
    assert "w[1, 0, 1, 1]" in sp.sstr(d.expansion)


def test_normalized_element_divides_before_the_bias():
    layer = Layer([[[1, 2]], [[3, 4]]], [[[[1, 1]], [[1, 1]]]], bias=[Fraction(1, 2)],
                  normalize="area")  # fmt: skip
    d = derive_layer_element(layer, 0, 0, 0)
    assert d.pre_activation == Fraction(10, 4) + Fraction(1, 2)


def test_pooled_elements_by_hand():
    # ReLU maps of a 1×1 identity filter, then 2×2 max pooling in ceil mode: the last
    # window of each axis holds only row/column 2 (torch keeps it: it starts inside).
    x = [[[1, -2, 3], [4, 5, -6], [7, -8, 9]]]
    layer = Layer(x, [[[[1]]]], activation="relu", pool=Pool(2, ceil_mode=True))
    assert derive_pooled_element(layer, 0, 0, 0).value == 5
    corner = derive_pooled_element(layer, 0, 0, 1)
    assert corner.positions == ((0, 2), (1, 2)) and corner.value == 3 and corner.chosen == 0
    avg = Layer(x, [[[[1]]]], pool=Pool(2, padding=1, mode="avg"))
    d = derive_pooled_element(avg, 0, 1, 1)  # rows 1-2, columns 1-2: (5 − 6 − 8 + 9) / 4
    assert d.value == 0 and d.divisor == 4


def test_general_formula_mentions_every_index():
    text = sp.sstr(layer_formula(), order="none")
    for part in ("y[o, i, j]", "b[o]", "x[c,", "w[o, c, m, n]", "(c, 0, -1 + C)", "/N"):
        assert part in text


def test_pooled_size_follows_torch():
    # torch's pooling_output_shape: ⌈(7 + 2 − 2)/3⌉ + 1 = 4, less one: window 3 would
    # start at 9 − 1 = 8 ≥ 7, in the right padding.
    assert pooled_size(7, 2, 3, 1, True) == 3
    assert pooled_size(7, 2, 3, 1, False) == 3
    assert pooled_size(5, 2, 2, 0, True) == 3 and pooled_size(5, 2, 2, 0, False) == 2


def test_verify_finds_a_changed_number():
    layer = Layer(np.ones((2, 3, 3), int), np.ones((1, 2, 2, 2), int), bias=[1],
                  pool=Pool(2, ceil_mode=True))  # fmt: skip
    trace = build_layer_trace(layer)
    assert verify_layer(trace).ok
    wrong = dataclasses.replace(trace.steps[0], pre_activation=10)
    tampered = dataclasses.replace(trace, steps=(wrong, *trace.steps[1:]))
    found = verify_layer(tampered).mismatches
    assert [(m.stage, m.index, m.what) for m in found] == [("convolution", (0, 0, 0),
                                                            "pre-activation")]  # fmt: skip
    pooled = dataclasses.replace(trace.pool.steps[0], value=0)
    tampered = dataclasses.replace(
        trace, pool=dataclasses.replace(trace.pool, steps=(pooled, *trace.pool.steps[1:]))
    )
    assert [m.what for m in verify_layer(tampered).mismatches] == ["value"]


def test_verify_needs_an_exact_trace():
    layer = Layer(np.ones((1, 2, 2)), np.ones((1, 1, 1, 1)))
    with pytest.raises(ProblemError, match="exact trace"):
        verify_layer(build_layer_trace(layer))
    assert verify_layer(build_layer_trace(layer, exact=True)).ok


@st.composite
def small_layers(draw):
    groups = draw(st.sampled_from([1, 2]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    k = draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(-3, 4, (groups * cg, h, w))
    if draw(st.booleans()):
        x = np.vectorize(lambda v: Fraction(int(v), 2), otypes=[object])(x)
    weight = rng.integers(-2, 3, (groups * og, cg, k, k))
    bias = rng.integers(-2, 3, groups * og) if draw(st.booleans()) else None
    pool = None
    if draw(st.booleans()):
        size = draw(st.integers(1, 2))
        pool = Pool(
            size,
            draw(st.integers(1, 2)),
            draw(st.integers(0, size // 2)),
            draw(st.sampled_from(["max", "avg"])),
            draw(st.booleans()),
            draw(st.booleans()),
        )
    options = dict(
        stride=draw(st.integers(1, 2)),
        padding=draw(st.integers(0, 1)),
        padding_mode=draw(st.sampled_from(MODES)),
        dilation=draw(st.integers(1, 2)),
        flip=draw(st.booleans()),
        normalize=draw(st.sampled_from([None, None, "area", "sum"])),
        activation=draw(st.sampled_from([None, "relu"])),
        groups=groups,
        pool=pool,
    )
    return x, weight, bias, options


@settings(max_examples=40, deadline=None)
@given(case=small_layers())
def test_property_every_element_derived_by_sympy_equals_the_engine(case):
    x, w, b, options = case
    try:
        layer = Layer(x, w, b, **options)
    except ProblemError:
        return  # a kernel larger than the padded input, a window larger than the maps, …
    trace = build_layer_trace(layer)
    result = verify_layer(trace)
    assert result.ok, result.mismatches[:3]
    c, oh, ow = layer.output_shape
    assert result.checked == c * oh * ow
    if layer.pool is not None:
        assert result.pooled == int(np.prod(layer.final_shape))
        # and the engine's arrays, straight from Layer.compute, are the trace's numbers
        assert layer.compute().output.tolist() == [
            [list(row) for row in plane] for plane in trace.output
        ]
