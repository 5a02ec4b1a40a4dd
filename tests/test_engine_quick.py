"""conv2d's quick float path (explainer.core.engine.quick_float: no Problem built) gives
the very floats the Problem path gives, and leaves every refusal to the Problem, in its
words. test_engine_paths.py checks the float path itself against plain loops. Last, the
exact path's quotients against Fraction's own division."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_engine_paths import _problem_or_none, layouts

from explainer import ProblemError, conv2d
from explainer.core import engine


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
    quick = engine.quick_float(image, kernel, **{k: options[k] for k in (
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
    assert engine.quick_float(image, kernel, stride=1, padding=0, padding_mode="zeros",
                              dilation=1, flip=False) is None  # fmt: skip
    assert conv2d(image, kernel).tolist() == [[1e308]]


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
