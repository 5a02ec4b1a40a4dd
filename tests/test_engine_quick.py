"""conv2d's quick paths (explainer.core.quick: quick_float and quick_exact, no Problem
built) give the very numbers the Problem path gives, the exact one also the plain loop's
(tests/reference.py, in Fractions), and leave every refusal to the Problem, in its words.
test_engine_paths.py checks the float path itself against plain loops. Last, the exact
path's quotients against Fraction's own division, and remembered geometries."""

from __future__ import annotations

import re
from fractions import Fraction
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference import plain_loop
from test_engine_paths import _problem_or_none, _reference, layouts

from explainer import Problem, ProblemError, conv2d
from explainer.core import engine, geometry, limits, sliding
from explainer.core import quick as quick_paths
from explainer.errors import TooLargeError


@settings(max_examples=60, deadline=None, derandomize=True)
@given(layout=layouts(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 99))
def test_property_quick_path_gives_the_problem_paths_floats(layout, dtype, seed):
    (h, w), (kh, kw), options = layout
    options["normalize"] = None
    rng = np.random.default_rng(seed)
    image = rng.normal(size=(h, w)).astype(dtype)
    kernel = rng.normal(size=(kh, kw))
    problem = _problem_or_none(image, kernel, options)
    assume(problem is not None)
    quick = quick_paths.quick_float(image, kernel, **{k: options[k] for k in (
        "stride", "padding", "padding_mode", "dilation", "flip")})  # fmt: skip
    assert quick is not None
    slow = engine.compute(problem)
    assert quick.dtype == slow.dtype == dtype
    assert np.array_equal(quick, slow)


@pytest.mark.parametrize(
    "image, kernel, options, needle",
    [
        # The value is named first, as the Problem does, though the stride is wrong too.
        (np.array([[1.0, np.nan], [0.0, 1.0]]), np.ones((1, 1)), dict(stride=0), "holds nan"),
        (np.ones((3, 3)), np.array([[np.inf]]), {}, "the kernel holds inf"),
        (np.ones((3, 3)), np.ones((2, 2)), dict(flip="yes"), "flip must be True or False"),
        (np.ones((2, 2)), np.ones((3, 3)), {}, "taller than the image"),
        (np.ones((0, 3)), np.ones((1, 1)), {}, "the image is empty"),
        (np.full((3, 3), 1e300), np.full((2, 2), 1e10), {}, "the values are too large"),
    ],
)
def test_refusals_are_the_problems(image, kernel, options, needle):
    with pytest.raises(ProblemError, match=needle):
        conv2d(image, kernel, **options)


def test_values_near_the_limit_are_bounded_exactly_not_refused():
    # max|x|·taps·max|w| = 4e308 is past float64, so the quick bound is not sure; the exact
    # bound max|x|·Σ|w| = 1e308 · (1 + 1e-300·3) fits: the Problem computes it.
    image = np.full((2, 2), 1e308)
    kernel = np.array([[1.0, 1e-300], [1e-300, 1e-300]])
    assert quick_paths.quick_float(image, kernel, stride=1, padding=0, padding_mode="zeros",
                              dilation=1, flip=False) is None  # fmt: skip
    assert conv2d(image, kernel).tolist() == [[1e308]]


# ----- the quick exact path ---------------------------------------------------------------

_EXACT_OPTIONS = ("stride", "padding", "padding_mode", "dilation", "flip", "normalize")


def _numbers(draw_kind, rng, shape):
    """ints, Fractions, or both, in an object array; or int64."""
    values = rng.integers(-9, 10, shape)
    if draw_kind == "int64":
        return values
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        v = int(values[idx])
        if draw_kind == "Fraction" or (draw_kind == "mixed" and sum(idx) % 2):
            out[idx] = Fraction(v, int(rng.integers(1, 8)))
        else:
            out[idx] = v
    return out


@settings(max_examples=120, deadline=None, derandomize=True)
@given(
    layout=layouts(),
    kinds=st.tuples(*[st.sampled_from(["int64", "int", "Fraction", "mixed"])] * 2),
    seed=st.integers(0, 99),
)
def test_property_quick_exact_path_gives_the_problem_paths_numbers(layout, kinds, seed):
    (h, w), (kh, kw), options = layout
    rng = np.random.default_rng(seed)
    image, kernel = _numbers(kinds[0], rng, (h, w)), _numbers(kinds[1], rng, (kh, kw))
    problem = _problem_or_none(image, kernel, options)
    assume(problem is not None)
    quick = quick_paths.quick_exact(image, kernel, **{k: options[k] for k in _EXACT_OPTIONS})
    if options["normalize"] == "sum":
        assert quick is None  # left to the Problem, which divides by the exact sum
        return
    assert quick is not None
    slow = engine.compute(problem)
    assert quick.dtype == slow.dtype
    assert quick.tolist() == slow.tolist() == _reference(problem, image, kernel)
    assert [type(v) for v in quick.ravel().tolist()] == [type(v) for v in slow.ravel().tolist()]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(layout=layouts(), seed=st.integers(0, 99), few=st.sampled_from([0, 1 << 30]))
def test_property_windows_at_once_or_tap_by_tap_give_the_plain_loops_sums(layout, seed, few):
    # correlate_taps: up to FEW_PRODUCTS products every window in one product, else one
    # multiply-add per tap; forced one way or the other here, on every layout.
    (h, w), (kh, kw), options = layout
    rng = np.random.default_rng(seed)
    image, kernel = _numbers("mixed", rng, (h, w)), _numbers("int64", rng, (kh, kw))
    problem = _problem_or_none(image, kernel, options)
    assume(problem is not None)
    with mock.patch.object(sliding, "FEW_PRODUCTS", few):
        assert conv2d(image, kernel, **options).tolist() == _reference(problem, image, kernel)


@pytest.mark.parametrize(
    "image, kernel",
    [
        (np.array([[1.5, 2]], dtype=object), np.ones((1, 1), dtype=object)),  # a float
        (np.array([[True, 2]], dtype=object), np.ones((1, 1), dtype=object)),  # a bool
        (np.array([[np.int64(3), 2]], dtype=object), np.ones((1, 1), dtype=object)),
        (np.array([[2**1030, 1]], dtype=object), np.ones((1, 1), dtype=object)),  # too big
        (np.array([[Fraction(2**1030, 3), 1]], dtype=object), np.ones((1, 1), dtype=object)),
        (np.ones((2, 2), dtype=np.uint8), np.ones((1, 1), dtype=object)),
        (np.full((2, 2), 10**300, dtype=object), np.full((2, 2), 10**10, dtype=object)),
    ],
)
def test_quick_exact_leaves_other_numbers_and_the_limit_to_the_problem(image, kernel):
    options = dict(stride=1, padding=0, padding_mode="zeros", dilation=1, flip=False)
    assert quick_paths.quick_exact(image, kernel, normalize=None, **options) is None
    try:
        expected = engine.compute(Problem(image, kernel))
    except ProblemError as refusal:
        with pytest.raises(ProblemError, match=re.escape(str(refusal))):
            conv2d(image, kernel)
    else:
        assert conv2d(image, kernel).tolist() == expected.tolist()


def test_quick_exact_sums_that_leave_int64_are_python_ints():
    # Fractions over a common denominator of 2·3·5·7 whose integers and sums pass 2⁶³.
    image = np.array([[Fraction(2**61, 3), Fraction(-(2**61), 7)], [Fraction(1, 5), 2**62]])
    kernel = np.array([[Fraction(3, 2), 5]], dtype=object)
    ours = conv2d(image, kernel)
    assert ours.tolist() == plain_loop(image, kernel)
    assert conv2d(image, kernel, normalize="area").tolist() == plain_loop(image, kernel, divisor=2)


def test_a_remembered_geometry_is_still_checked_against_the_limits(monkeypatch):
    assert conv2d(np.ones((4, 4), int), np.ones((2, 2), int)).shape == (3, 3)  # remembered
    small = limits.Limit(most=3, message=limits.LIMITS["kernel"].message)
    monkeypatch.setitem(limits.LIMITS, "kernel", small)
    with pytest.raises(TooLargeError, match="at most 3"):
        conv2d(np.ones((4, 4), int), np.ones((2, 2), int))


def test_options_of_other_types_are_read_afresh_not_from_the_remembered_one():
    # stride=True equals stride=1 as a key; it must be read as plan_geometry reads it.
    remembered = geometry.quick_geometry((5, 5), (2, 2), stride=1)
    try:
        fresh = geometry.plan_geometry((5, 5), (2, 2), stride=True)
    except ProblemError as refusal:
        with pytest.raises(ProblemError, match=re.escape(str(refusal))):
            geometry.quick_geometry((5, 5), (2, 2), stride=True)
    else:
        assert geometry.quick_geometry((5, 5), (2, 2), stride=True) == fresh
    assert geometry.quick_geometry((5, 5), (2, 2), stride=1) is remembered


# ----- the exact path's quotients, made in lowest terms without normalizing again -------


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    sums=st.lists(st.integers(-(2**70), 2**70) | st.integers(-50, 50), min_size=1, max_size=40),
    divisor=st.fractions(min_value=-1000, max_value=1000, max_denominator=50).filter(bool),
    big=st.booleans(),
)
def test_property_divided_equals_fraction_division(sums, divisor, big):
    # Many values take the np.unique branch (int64 sums only); Python ints the other one.
    values = np.array(sums * (30 if big else 1), dtype=object)
    if big and all(-(2**62) < v < 2**62 for v in sums):
        values = values.astype(np.int64)
    ours = engine.divided(values, divisor).tolist()
    expected = [Fraction(v) / divisor for v in values.tolist()]
    assert ours == expected
    # The very same terms, sign on the numerator, as Fraction itself keeps them.
    assert [(q.numerator, q.denominator) for q in ours] == [
        (e.numerator, e.denominator) for e in expected
    ]
    assert all(type(q) is Fraction for q in ours)
    assert [hash(q) for q in ours] == [hash(e) for e in expected]


def test_a_fraction_made_without_normalizing_behaves_as_any_other():
    made = engine.coprime_fraction(-7, 12)
    assert type(made) is Fraction and made == Fraction(-7, 12) and repr(made) == "Fraction(-7, 12)"
    assert made + Fraction(7, 12) == 0 and str(made * 12) == "-7"
