"""The trace records the arithmetic; sympy derives the same numbers independently."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import plain_loop

import explainer
from explainer import Problem, build_trace, derive_pixel, verify
from explainer.proof.symbolic import general_formula, output_size


def test_trace_of_the_first_perfect_match(lecture_arrays):
    trace = build_trace(Problem(*lecture_arrays, normalize="area"))
    step = trace.step(1, 1)
    assert step.positions[0] == (1, 1) and step.positions[-1] == (3, 3)
    assert step.patch == (1, -1, -1, -1, 1, -1, -1, -1, 1)
    assert step.weights == (1, -1, -1, -1, 1, -1, -1, -1, 1)
    assert step.products == (1,) * 9
    assert step.total == 9 and step.value == 1
    assert trace.divisor == 9


def test_trace_output_is_the_hand_result(lecture_arrays, lecture_result):
    trace = build_trace(Problem(*lecture_arrays, normalize="area"))
    assert [list(row) for row in trace.output] == lecture_result
    assert sorted(s.index for s in trace.best_matches()) == [(1, 1), (2, 2), (4, 4), (5, 5)]


def test_trace_is_immutable(lecture_arrays):
    trace = build_trace(Problem(*lecture_arrays))
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.steps[0].value = 5  # type: ignore[misc]
    with pytest.raises(ValueError):
        trace.problem.image[0, 0] = 5


def test_padding_is_recorded_as_zero_taps_outside_the_image():
    trace = build_trace(Problem([[1, 2], [3, 4]], [[1, 1], [1, 1]], padding=1))
    first = trace.step(0, 0)
    assert first.positions == ((-1, -1), (-1, 0), (0, -1), (0, 0))
    assert first.in_padding == (True, True, True, False)
    assert first.patch == (0, 0, 0, 1) and first.value == 1


def test_sympy_formula_prints_as_the_lecture_writes_it(lecture_arrays):
    eq = general_formula(Problem(*lecture_arrays, normalize="area"))
    assert (
        sp.latex(eq.rhs) == r"\frac{\sum_{\substack{0 \leq n \leq 2\\0 \leq m \leq 2}} "
        r"{w}_{m,n} {x}_{i + m,j + n}}{9}"
    )
    assert isinstance(eq.rhs.args[-1] if eq.rhs.is_Mul else eq.rhs, (sp.Sum, sp.Mul))


def test_pixel_derivation_stages(lecture_arrays):
    d = derive_pixel(Problem(*lecture_arrays, normalize="area"), 0, 0)
    x, w = sp.IndexedBase("x"), sp.IndexedBase("w")
    expected = sum(x[m, n] * w[m, n] for m in range(3) for n in range(3)) / 9
    assert sp.expand(d.expansion.doit() - expected) == 0
    assert d.value == sp.Rational(7, 9)
    printed = sp.sstr(d.substituted, order="none").replace(" ", "")
    assert printed == (
        "((-1)*1+(-1)*(-1)+(-1)*(-1)+(-1)*(-1)+1*1+(-1)*(-1)+(-1)*(-1)+(-1)*(-1)+1*1)/9"
    )
    assert d.substituted.doit() == sp.Rational(7, 9)


def test_verify_accepts_the_engine_and_catches_a_tampered_trace(lecture_arrays):
    trace = build_trace(Problem(*lecture_arrays, normalize="area"))
    assert verify(trace).ok and verify(trace).checked == 49
    steps = list(trace.steps)
    steps[10] = dataclasses.replace(steps[10], value=Fraction(2, 9))
    steps[20] = dataclasses.replace(steps[20], products=(0,) * 9)
    bad = dataclasses.replace(trace, steps=tuple(steps))
    report = verify(bad)
    assert not report.ok
    assert {(m.index, m.what) for m in report.mismatches} == {
        (steps[10].index, "value"),
        (steps[20].index, "products"),
    }


@pytest.mark.parametrize(
    "n,before,after,k,s,d,expected",
    [
        (9, 0, 0, 3, 1, 1, 7),
        (9, 1, 1, 3, 1, 1, 9),
        (9, 1, 1, 3, 2, 1, 5),
        (10, 0, 0, 3, 1, 2, 6),
        (5, 2, 2, 3, 1, 1, 7),
        (6, 1, 2, 4, 1, 1, 6),
    ],
)
def test_output_size_formula(n, before, after, k, s, d, expected):
    # Expected values counted by hand: window positions that fit.
    assert output_size(n, before, after, k, s, d) == expected


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(2, 6),
    w=st.integers(2, 6),
    kh=st.integers(1, 3),
    kw=st.integers(1, 3),
    stride=st.integers(1, 2),
    dilation=st.integers(1, 2),
    pad=st.integers(0, 2),
    flip=st.booleans(),
    mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
    normalize=st.sampled_from([None, "area"]),
    seed=st.integers(0, 10**6),
)
def test_property_sympy_trace_and_plain_loop_agree(
    h, w, kh, kw, stride, dilation, pad, flip, mode, normalize, seed
):
    rng = np.random.default_rng(seed)
    image = rng.integers(-4, 5, (h, w))
    kernel = np.array(
        [[Fraction(int(v), 2) for v in row] for row in rng.integers(-3, 4, (kh, kw))], dtype=object
    )
    try:
        problem = Problem(
            image,
            kernel,
            stride=stride,
            dilation=dilation,
            padding=pad,
            flip=flip,
            padding_mode=mode,
            normalize=normalize,
        )
    except explainer.ExplainerError:
        return
    trace = build_trace(problem)
    assert verify(trace).ok
    expected = plain_loop(
        image,
        kernel,
        problem.stride,
        problem.padding,
        problem.dilation,
        flip,
        divisor=problem.divisor,
        mode=mode,
    )
    assert [list(row) for row in trace.output] == expected


def test_counts_and_scale_read_from_the_trace(lecture_arrays):
    # By hand: the patch at (1, 2) is rows 1..3, columns 2..4 of the X; against the
    # diagonal filter its products are -1 1 1 / -1 -1 1 / 1 -1 -1.
    trace = build_trace(Problem(*lecture_arrays, normalize="area"))
    step = trace.step(1, 2)
    assert step.products == (-1, 1, 1, -1, -1, 1, 1, -1, -1)
    assert step.negative_products == 5 and step.value == Fraction(-1, 9)
    assert trace.largest_magnitude() == 1
    assert trace.colour_scale_ticks() == (1, 0, -1)
