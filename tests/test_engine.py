"""The numeric engine against scipy, against a plain loop, and against the hand result."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import plain_loop

import explainer
from explainer import ExplainerError, conv2d


def test_lecture_result_is_exact_and_matches_the_hand_derivation(lecture_arrays, lecture_result):
    image, kernel = lecture_arrays
    out = conv2d(image, kernel, normalize="area")
    assert out.shape == (7, 7)
    assert out.tolist() == lecture_result
    assert all(isinstance(v, Fraction) for v in out.ravel())


def test_lecture_has_exactly_four_perfect_matches(lecture_arrays):
    out = conv2d(*lecture_arrays, normalize="area")
    ones = sorted(map(tuple, np.argwhere(out == 1).tolist()))
    assert ones == [(1, 1), (2, 2), (4, 4), (5, 5)]


def test_presets_are_the_lecture_arrays(lecture_arrays):
    image, kernel = lecture_arrays
    assert explainer.lecture_image().tolist() == image
    assert explainer.diagonal_filter().tolist() == kernel


@pytest.mark.parametrize("shape,kshape", [((9, 9), (3, 3)), ((20, 13), (4, 2)), ((5, 7), (5, 1))])
def test_float_path_matches_scipy_valid(shape, kshape):
    rng = np.random.default_rng(sum(shape) + sum(kshape))
    image, kernel = rng.normal(size=shape), rng.normal(size=kshape)
    out = conv2d(image, kernel)
    assert out.dtype == np.float64
    np.testing.assert_allclose(
        out, scipy.signal.correlate2d(image, kernel, mode="valid"), rtol=1e-12, atol=1e-12
    )


def test_exact_integer_path_equals_scipy_exactly():
    rng = np.random.default_rng(7)
    image, kernel = rng.integers(-50, 50, (12, 10)), rng.integers(-5, 5, (3, 4))
    out = conv2d(image, kernel)
    assert out.dtype.kind == "i"
    assert (out == scipy.signal.correlate2d(image, kernel, mode="valid")).all()


@pytest.mark.parametrize("mode", ["same", "full"])
def test_padding_words_match_scipy_modes_for_odd_kernels(mode):
    rng = np.random.default_rng(3)
    image, kernel = rng.normal(size=(8, 11)), rng.normal(size=(3, 5))
    np.testing.assert_allclose(
        conv2d(image, kernel, padding=mode),
        scipy.signal.correlate2d(image, kernel, mode=mode),
        atol=1e-12,
    )


def test_flip_is_scipy_convolve2d():
    rng = np.random.default_rng(5)
    image, kernel = rng.integers(-9, 9, (7, 8)), rng.integers(-9, 9, (3, 2))
    assert (
        conv2d(image, kernel, flip=True, padding="full")
        == scipy.signal.convolve2d(image, kernel, mode="full")
    ).all()


@pytest.mark.parametrize(
    "ours,theirs",
    [("reflect", "mirror"), ("replicate", "nearest"), ("circular", "wrap"), ("zeros", "constant")],
)
def test_padding_modes_match_scipy_ndimage(ours, theirs):
    rng = np.random.default_rng(11)
    image, kernel = rng.normal(size=(9, 7)), rng.normal(size=(3, 3))
    expected = scipy.ndimage.correlate(image, kernel, mode=theirs)
    np.testing.assert_allclose(
        conv2d(image, kernel, padding="same", padding_mode=ours), expected, atol=1e-12
    )


def test_fractions_stay_exact():
    image = [[Fraction(1, 3), 1], [2, Fraction(-1, 2)]]
    out = conv2d(image, [[Fraction(1, 2)]])
    assert out.tolist() == [[Fraction(1, 6), Fraction(1, 2)], [1, Fraction(-1, 4)]]


def test_normalize_sum_divides_by_the_kernel_sum():
    out = conv2d([[1, 2, 3]], [[1, 3]], normalize="sum")
    assert out.tolist() == [[Fraction(7, 4), Fraction(11, 4)]]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(stride=2),
        dict(stride=(1, 3)),
        dict(dilation=2),
        dict(dilation=(2, 1)),
        dict(padding=1),
        dict(padding=(2, 1)),
        dict(padding=(0, 2, 1, 0)),
        dict(stride=2, dilation=2, padding=2, flip=True),
        dict(padding="same", stride=2),
        dict(padding="same", dilation=3),
    ],
)
def test_strided_dilated_padded_match_the_plain_loop(kwargs):
    rng = np.random.default_rng(len(str(kwargs)))
    image, kernel = rng.integers(-9, 9, (9, 10)), rng.integers(-3, 3, (3, 2))
    out = conv2d(image, kernel, **kwargs)
    p = explainer.Problem(image, kernel, **kwargs)
    expected = plain_loop(image, kernel, p.stride, p.padding, p.dilation, kwargs.get("flip", False))
    assert out.tolist() == expected


def test_same_padding_with_an_even_kernel_puts_the_extra_at_the_end():
    p = explainer.Problem(np.zeros((6, 6), dtype=int), np.ones((4, 2), dtype=int), padding="same")
    assert p.padding == (1, 2, 0, 1)
    assert p.output_shape == (6, 6)


def test_same_with_stride_gives_ceil_n_over_s():
    p = explainer.Problem(
        np.zeros((7, 9), dtype=int), np.ones((3, 3), dtype=int), padding="same", stride=2
    )
    assert p.output_shape == (4, 5)


def test_exact_forced_on_floats_reads_the_decimal_and_warns_when_lossy():
    with pytest.warns(explainer.ExplainerWarning):
        out = conv2d([[0.1, 0.2]], [[1.0]], exact=True)
    assert out.tolist() == [[Fraction(1, 10), Fraction(1, 5)]]


def test_huge_integers_do_not_overflow():
    big = 2**62
    out = conv2d([[big, big]], [[3, 3]])
    assert out.tolist() == [[6 * big]]


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    sh=st.integers(1, 3),
    sw=st.integers(1, 3),
    dh=st.integers(1, 3),
    dw=st.integers(1, 3),
    pad=st.tuples(*[st.integers(0, 3)] * 4),
    flip=st.booleans(),
    mode=st.sampled_from(["zeros", "replicate", "circular"]),
    seed=st.integers(0, 10**6),
)
def test_property_engine_equals_plain_loop(h, w, kh, kw, sh, sw, dh, dw, pad, flip, mode, seed):
    rng = np.random.default_rng(seed)
    image, kernel = rng.integers(-5, 6, (h, w)), rng.integers(-3, 4, (kh, kw))
    kwargs = dict(stride=(sh, sw), padding=pad, dilation=(dh, dw), flip=flip, padding_mode=mode)
    try:
        out = conv2d(image, kernel, **kwargs)
    except ExplainerError:
        # Only refusals we can justify: the dilated kernel does not fit, or circular
        # padding is wider than the image.
        span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
        too_big = span_h > h + pad[0] + pad[1] or span_w > w + pad[2] + pad[3]
        bad_wrap = mode == "circular" and (max(pad[:2]) > h or max(pad[2:]) > w)
        assert too_big or bad_wrap
        return
    expected = plain_loop(image, kernel, (sh, sw), pad, (dh, dw), flip, mode=mode)
    assert out.tolist() == expected
    np.testing.assert_allclose(
        conv2d(image.astype(float), kernel.astype(float), **kwargs),
        np.array(expected, dtype=float),
        atol=1e-9,
    )
