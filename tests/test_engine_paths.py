"""The blocked float path and the integer exact path against independent references.

References: the textbook plain loop (tests/reference.py, exact Fractions) and scipy. The
property tests draw shapes, strides, paddings in all four modes, dilations, flips,
normalizations and number kinds, including values at the edge of int64.
"""

from __future__ import annotations

import tracemalloc
from fractions import Fraction

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference import plain_loop

import explainer
from explainer import ExplainerError, ProblemError, conv2d
from explainer.outputs.checking import check_problem

MODES = ["zeros", "reflect", "replicate", "circular"]
INT64_EDGES = [-(2**63), -(2**63) + 1, -(2**62), 2**62, 2**63 - 1]


@st.composite
def layouts(draw, max_side: int = 8):
    """Image and kernel shapes with every option, only combinations a Problem accepts."""
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    mode = draw(st.sampled_from(MODES))
    options = dict(
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        dilation=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=draw(st.tuples(*[st.integers(0, 3)] * 4)),
        padding_mode=mode,
        flip=draw(st.booleans()),
        normalize=draw(st.sampled_from([None, "area", "sum"])),
    )
    return (h, w), (kh, kw), options


def _problem_or_none(image, kernel, options):
    try:
        return explainer.Problem(image, kernel, **options)
    except ExplainerError:
        return None  # refused (kernel too big, padding too wide, zero sum): not this test's topic


def _reference(problem, image, kernel):
    return plain_loop(
        image,
        kernel,
        problem.stride,
        problem.padding,
        problem.dilation,
        problem.flip,
        problem.divisor if problem.normalize else 1,
        problem.padding_mode,
    )


@settings(max_examples=150, deadline=None)
@given(
    layout=layouts(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**32)
)
def test_property_float_path_equals_the_plain_loop(layout, dtype, seed):
    (h, w), (kh, kw), options = layout
    rng = np.random.default_rng(seed)
    image = rng.normal(size=(h, w)).astype(dtype)
    kernel = rng.normal(size=(kh, kw)).astype(dtype)
    problem = _problem_or_none(image, kernel, options)
    assume(problem is not None)
    out = conv2d(image, kernel, **options)
    # The reference runs on the exact values of the inputs (float32 values are exact in
    # float64), in Fractions; only its final rounding to a float is ours.
    exact_kernel = kernel.astype(np.float64).tolist()
    divisor = problem.divisor
    if options["normalize"] == "sum":
        divisor = sum(Fraction(v) for row in exact_kernel for v in row)
    expected = plain_loop(
        image.astype(np.float64).tolist(),
        exact_kernel,
        problem.stride,
        problem.padding,
        problem.dilation,
        problem.flip,
        divisor if options["normalize"] else 1,
        problem.padding_mode,
    )
    expected = np.array([[float(v) for v in row] for row in expected])
    assert out.dtype == dtype and out.shape == expected.shape
    # Sums are accumulated in float64 (error ≤ taps·eps64·Σ|x·w|) and, for float32, rounded
    # once (≤ half an ulp of float32): a float32 accumulation would miss this bound.
    # A "sum" divisor is the kernel's float64 sum, off by up to taps·eps64·Σ|w| itself.
    eps64, taps = 2.0**-52, kh * kw
    scale = np.abs(image).max() * np.abs(kernel).max() * taps
    divisor_error = 0.0
    if options["normalize"]:
        scale /= abs(float(divisor))
    if options["normalize"] == "sum":
        divisor_error = taps * eps64 * float(np.abs(exact_kernel).sum()) / abs(float(divisor))
    bound = (np.finfo(dtype).eps + 2 * divisor_error) * np.abs(expected) + 4 * taps * eps64 * scale
    assert np.all(np.abs(out.astype(np.float64) - expected) <= bound)


def _exact_values(rng, shape, fractions):
    values = rng.integers(-9, 10, shape)
    if not fractions:
        return values
    denominators = rng.integers(1, 7, shape)
    out = np.empty(shape, dtype=object)
    for idx, v in np.ndenumerate(values):
        out[idx] = Fraction(int(v), int(denominators[idx]))
    return out


@settings(max_examples=150, deadline=None)
@given(
    layout=layouts(),
    kind=st.sampled_from(["int", "fraction", "int64 edge"]),
    seed=st.integers(0, 2**32),
    edges=st.lists(st.sampled_from(INT64_EDGES), min_size=1, max_size=3),
)
def test_property_exact_path_equals_the_plain_fraction_loop(layout, kind, seed, edges):
    (h, w), (kh, kw), options = layout
    rng = np.random.default_rng(seed)
    if kind == "fraction":
        image = _exact_values(rng, (h, w), fractions=True)
        kernel = _exact_values(rng, (kh, kw), fractions=rng.random() < 0.5)
    else:
        image, kernel = rng.integers(-9, 10, (h, w)), rng.integers(-3, 4, (kh, kw))
        if kind == "int64 edge":  # values whose products and sums leave int64
            for v in edges:
                image[rng.integers(h), rng.integers(w)] = v
    problem = _problem_or_none(image, kernel, options)
    assume(problem is not None)
    out = conv2d(image, kernel, **options)
    expected = _reference(problem, image, kernel)
    assert out.tolist() == expected
    divided = (
        options["normalize"] is not None
        or kind == "fraction"
        and any(
            isinstance(v, Fraction) for v in np.ravel(image).tolist() + np.ravel(kernel).tolist()
        )
    )
    if divided:
        assert out.dtype == object and all(isinstance(v, Fraction) for v in out.ravel())
    elif kind == "int":
        assert out.dtype == np.int64  # small integers: no overflow possible, stays int64
    else:
        assert all(type(v) is int for v in out.ravel().tolist())


def test_int64_minimum_times_three_is_exact():
    out = conv2d(np.array([[-(2**63), -(2**63)]]), np.array([[3, 3]]))
    assert out.dtype == object
    assert out.tolist() == [[-3 * 2**64]]
    assert type(out[0, 0]) is int


@pytest.mark.parametrize(
    "image,kernel,dtype",
    [
        ([[2**63 - 1]], [[1]], np.int64),  # max|x|·Σ|w| = 2**63 − 1: fits exactly
        ([[-(2**63)]], [[1]], object),  # 2**63: one more than int64 holds
        ([[2**62, 1]], [[1, 1]], object),  # 2**62 · 2
        ([[2**62 - 1, 1]], [[1, -1]], np.int64),  # (2**62 − 1) · 2 < 2**63 − 1
    ],
)
def test_overflow_proof_at_the_int64_boundary(image, kernel, dtype):
    out = conv2d(np.array(image), np.array(kernel))
    assert out.dtype == dtype
    assert out.tolist() == plain_loop(image, kernel)


def test_fraction_results_are_the_plain_loop_with_every_option():
    rng = np.random.default_rng(4)
    image = _exact_values(rng, (11, 9), fractions=True)
    kernel = np.array([[Fraction(1, 3), Fraction(-2, 5)], [Fraction(7, 2), 1]], dtype=object)
    options = dict(stride=(2, 1), padding=(1, 2, 2, 0), padding_mode="reflect", dilation=(1, 2))
    p = explainer.Problem(image, kernel, normalize="sum", flip=True, **options)
    out = conv2d(image, kernel, normalize="sum", flip=True, **options)
    assert out.tolist() == plain_loop(
        image, kernel, p.stride, p.padding, p.dilation, True, p.divisor, "reflect"
    )


@pytest.mark.parametrize(
    "image_dtype,kernel_dtype,expected",
    [
        (np.float32, np.float32, np.float32),
        (np.float32, np.float64, np.float32),  # the precision follows the image
        (np.float64, np.float32, np.float64),
        (np.float16, np.float16, np.float64),
    ],
)
def test_float_result_type_follows_the_image(image_dtype, kernel_dtype, expected):
    image = np.arange(30).reshape(5, 6).astype(image_dtype) / 7
    kernel = np.array([[0.5, -0.25], [1.0, 2.0]], dtype=kernel_dtype)
    out = conv2d(image, kernel)
    assert out.dtype == expected
    reference = scipy.ndimage.correlate(
        image.astype(np.float64), kernel.astype(np.float64), mode="constant", origin=-1
    )[:4, :5]
    np.testing.assert_allclose(out, reference, rtol=np.finfo(expected).eps * 4)


def test_integers_forced_onto_the_float_path_give_float64():
    out = conv2d([[1, 2, 3]], [[1, -1]], exact=False)
    assert out.dtype == np.float64 and out.tolist() == [[-1.0, -1.0]]


def test_check_of_a_float32_image_compares_in_float64():
    image = (np.random.default_rng(2).integers(-40, 40, (7, 6)) / 4).astype(np.float32)
    report = check_problem(explainer.Problem(image, [[1, 2], [3, 4]], normalize="sum"))
    assert report.ok
    assert report.float_error < 1e-12  # float64 against exact: a float32 result would be ~1e-7


def test_conv2d_leaves_the_caller_array_writable_and_unchanged():
    image = np.arange(20.0).reshape(4, 5)
    before = image.copy()
    conv2d(image, [[1.0, 2.0]])
    assert image.flags.writeable and (image == before).all()


def test_problem_keeps_its_own_copy_unless_told_not_to():
    image = np.arange(12.0).reshape(3, 4)
    kept = explainer.Problem(image, [[1.0]])
    borrowed = explainer.Problem(image, [[1.0]], copy=False)
    image[0, 0] = 99.0
    assert kept.image[0, 0] == 0.0 and borrowed.image[0, 0] == 99.0
    assert not kept.image.flags.writeable and not borrowed.image.flags.writeable
    assert explainer.Problem(image.astype(np.float32), [[1]]).image.dtype == np.float32


def test_float_path_peak_memory_is_the_output_plus_small_blocks():
    image = np.random.default_rng(0).normal(size=(768, 768))
    kernel = np.ones((5, 5))
    conv2d(image, kernel)  # warm up: imports and caches are not the engine's memory
    tracemalloc.start()
    try:
        out = conv2d(image, kernel, padding="same", padding_mode="reflect")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.nbytes == image.nbytes
    assert peak <= 1.5 * image.nbytes  # the old engine needed 4×: copies of the input


def test_nan_in_a_large_array_is_found_where_it_is():
    image = np.zeros((300, 300))
    image[123, 45] = np.nan
    with pytest.raises(ProblemError, match="holds nan at row 123, column 45"):
        conv2d(image, [[1.0]])


def test_huge_finite_values_whose_sum_overflows_are_accepted():
    image = np.full((300, 300), 1e308)
    out = conv2d(image, [[0.5]])
    assert np.isfinite(out).all() and out[0, 0] == 0.5e308


def test_exact_floats_divided_by_their_decimal_sum():
    # exact=True reads 0.1 and 0.2 as the decimals they print as, and "sum" divides by
    # their exact sum 3/10 (not the float 0.30000000000000004), the same divisor the
    # trace, sympy and the float engine use.
    with pytest.warns(explainer.ExplainerWarning):
        out = conv2d([[3000.0, 5000.0, 7000.0]], [[0.1, 0.2]], normalize="sum", exact=True)
    divisor, w = Fraction(3, 10), (Fraction("0.1"), Fraction("0.2"))
    assert out.tolist() == [
        [(a * w[0] + b * w[1]) / divisor for a, b in ((3000, 5000), (5000, 7000))]
    ]


def test_large_kernel_in_column_tiles_and_kernel_chunks_matches_scipy():
    # Big enough that the engine splits the output into column tiles and the kernel into
    # chunks of columns; stride and dilation on both axes, reflect padding.
    rng = np.random.default_rng(9)
    image, kernel = rng.normal(size=(150, 260)), rng.normal(size=(20, 45))
    out = conv2d(image, kernel, padding=(3, 4, 5, 6), padding_mode="reflect", stride=(2, 3),
                 dilation=(1, 2))  # fmt: skip
    dilated = np.zeros((20, 89))
    dilated[:, ::2] = kernel
    padded = np.pad(image, ((3, 4), (5, 6)), mode="reflect")
    expected = scipy.signal.correlate2d(padded, dilated, mode="valid")[::2, ::3]
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
