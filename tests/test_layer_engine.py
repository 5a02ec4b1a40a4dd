"""The layer engine (channels, groups, bias, ReLU, pooling) against independent references.

References: plain loops written here (one output element, one channel and one tap at a
time, in Fractions), scipy.signal.correlate2d summed over channels, numpy's einsum for
1×1 convolutions, the one-channel engine for groups = C_in, and pooling cases worked by
hand with the PyTorch rule each follows cited beside it.
"""

from __future__ import annotations

import tracemalloc
from contextlib import contextmanager
from fractions import Fraction

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import layer_loop

import explainer
from explainer import Layer, Pool, ProblemError, build_layer_trace, conv2d, pool2d, relu, trace_pool

MODES = ["zeros", "reflect", "replicate", "circular"]


# ----- the convolution over channels ---------------------------------------------------


def test_one_filter_over_two_channels_by_hand():
    # Channel 0 under [[1, 0], [0, 1]], channel 1 under [[0, 1], [1, 0]], bias 10:
    # element (0, 0) = (1 + 5) + (20 + 40) + 10 = 76.
    x = [[[1, 2, 3], [4, 5, 6]], [[10, 20, 30], [40, 50, 60]]]
    w = [[[[1, 0], [0, 1]], [[0, 1], [1, 0]]]]
    out = conv2d(x, w, bias=[10])
    assert out.tolist() == [[[76, 98]]]
    assert out.dtype == np.int64


def test_channels_are_scipy_correlate2d_summed_plus_bias():
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(3, 11, 9)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    expected = np.array(
        [
            sum(scipy.signal.correlate2d(x[c], w[o, c], mode="valid") for c in range(3)) + b[o]
            for o in range(4)
        ]  # fmt: skip
    )
    np.testing.assert_allclose(conv2d(x, w, bias=b), expected, rtol=1e-12, atol=1e-12)
    # zero padding of 1 on every side: correlate2d on the zero-padded planes
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    expected = np.array(
        [
            sum(scipy.signal.correlate2d(padded[c], w[o, c], mode="valid") for c in range(3))
            for o in range(4)
        ]  # fmt: skip
    )
    np.testing.assert_allclose(conv2d(x, w, padding=1), expected, rtol=1e-12, atol=1e-12)


def test_groups_split_the_channels():
    # 4 input channels in 2 groups: filters 0-2 read channels 0-1, filters 3-5 read 2-3.
    rng = np.random.default_rng(5)
    x, w = rng.integers(-5, 6, (4, 5, 6)), rng.integers(-3, 4, (6, 2, 2, 3))
    out = conv2d(x, w, groups=2)
    assert out.tolist() == layer_loop(x, w, groups=2)
    assert out[4].tolist() == conv2d(x[2:], w[4:5])[0].tolist()


def test_float32_layer_is_summed_in_float32_within_its_error_bound():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 8, 8)).astype(np.float32)
    w = rng.normal(size=(2, 3, 3, 3)).astype(np.float32)
    out = conv2d(x, w, bias=np.array([0.5, -0.25], np.float32))
    assert out.dtype == np.float32
    # Against plain loops on the same (float32, hence exact in float64) values: a sum of
    # 27 products and a bias in float32 is off by at most 28·eps32·Σ|terms| (Higham's
    # bound for recursive summation; each product of two float32 values rounded once).
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    exact = np.array(layer_loop(x64, w64, [0.5, -0.25]), dtype=float)
    magnitude = np.array(layer_loop(np.abs(x64), np.abs(w64), [0.5, 0.25]), dtype=float)
    eps32 = float(np.finfo(np.float32).eps)
    assert (np.abs(out - exact) <= 29 * eps32 * magnitude).all()
    # float64 sums rounded once agree only to float32's accuracy, not bit for bit.
    assert np.abs(out - exact).max() < 1e-5


def test_normalize_divides_each_filter_then_adds_the_bias():
    x = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    w = [[[[1]], [[1]]], [[[1]], [[3]]]]
    area = conv2d(x, w, bias=[1, 0], normalize="area").tolist()
    assert area == [[[Fraction(6, 2) + 1, Fraction(8, 2) + 1], [6, 7]],
                    [[8, 10], [12, 14]]]  # fmt: skip
    total = conv2d(x, w, normalize="sum").tolist()
    assert total[1] == [[Fraction(16, 4), Fraction(20, 4)], [Fraction(24, 4), Fraction(28, 4)]]


def test_two_dimensional_calls_are_unchanged():
    image, kernel = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, 1]]
    before = conv2d(image, kernel)
    assert before.tolist() == [[6, 8], [12, 14]] and before.dtype == np.int64
    assert conv2d(np.ones((4, 4), np.float32), [[0.5]]).dtype == np.float32
    with pytest.raises(ProblemError, match="two-dimensional"):
        conv2d([1, 2, 3], [[1]])


@st.composite
def layers(draw, exact_numbers=True):
    """Small layers with every option a Layer accepts."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    options = dict(
        stride=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
        dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
        padding=draw(st.tuples(*[st.integers(0, 2)] * 4)),
        padding_mode=draw(st.sampled_from(MODES)),
        flip=draw(st.booleans()),
        normalize=draw(st.sampled_from([None, None, "area", "sum"])),
        groups=groups,
    )
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.integers(-4, 5, (groups * cg, h, w))
    weight = rng.integers(-3, 4, (groups * og, cg, kh, kw))
    bias = rng.integers(-5, 6, groups * og) if draw(st.booleans()) else None
    if draw(st.booleans()):  # Fractions
        x = np.vectorize(lambda v: Fraction(int(v), 3), otypes=[object])(x)
    return x, weight, bias, options


def _layer_or_none(x, w, b, options):
    try:
        return Layer(x, w, b, **options)
    except ProblemError:
        return None  # kernel larger than the padded input, padding too wide, zero sum


@settings(max_examples=60, deadline=None)
@given(case=layers())
def test_property_exact_layer_equals_the_plain_loop(case):
    x, w, b, options = case
    layer = _layer_or_none(x, w, b, options)
    if layer is None:
        return
    out = conv2d(x, w, bias=b, **options)
    assert out.tolist() == layer_loop(
        x, w, b, stride=layer.stride, padding=layer.padding, dilation=layer.dilation,
        groups=layer.groups, flip=layer.flip, mode=layer.padding_mode,
        normalize=layer.normalize,
    )  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(case=layers())
def test_property_exact_and_float_paths_agree(case):
    x, w, b, options = case
    if _layer_or_none(x, w, b, options) is None:
        return
    exact = conv2d(x, w, bias=b, **options)
    floats = conv2d(x, w, bias=b, exact=False, **options)
    assert floats.dtype == np.float64
    np.testing.assert_allclose(floats, exact.astype(float), rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    channels=st.integers(1, 4),
    h=st.integers(1, 7),
    w=st.integers(1, 7),
    k=st.integers(1, 3),
    padding=st.integers(0, 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_groups_equal_to_channels_is_per_channel_convolution(
    channels, h, w, k, padding, seed
):
    rng = np.random.default_rng(seed)
    x, weight = rng.normal(size=(channels, h, w)), rng.normal(size=(channels, 1, k, k))
    if k > h + 2 * padding or k > w + 2 * padding:
        return
    out = conv2d(x, weight, groups=channels, padding=padding)
    for c in range(channels):  # the one-channel engine, on each channel alone
        np.testing.assert_allclose(out[c], conv2d(x[c], weight[c, 0], padding=padding),
                                   rtol=1e-12, atol=1e-12)  # fmt: skip


@settings(max_examples=30, deadline=None)
@given(
    c_in=st.integers(1, 5),
    c_out=st.integers(1, 5),
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_one_by_one_convolution_is_a_matrix_product_over_channels(c_in, c_out, h, w, seed):
    rng = np.random.default_rng(seed)
    x, weight = rng.integers(-9, 10, (c_in, h, w)), rng.integers(-9, 10, (c_out, c_in, 1, 1))
    expected = np.einsum("oc,chw->ohw", weight[:, :, 0, 0], x)
    assert conv2d(x, weight).tolist() == expected.tolist()
    floats = conv2d(x.astype(float), weight.astype(float))
    np.testing.assert_allclose(floats, expected, rtol=1e-12)


def test_python_integers_beyond_int64_stay_exact():
    x = np.array([[[2**62, 2**62]]], dtype=object)
    out = conv2d(x, [[[[3, 3]]]], bias=[1])
    assert out.tolist() == [[[6 * 2**62 + 1]]]


@pytest.mark.parametrize("stride", [1, 2])
def test_large_layer_agrees_with_im2col_and_stays_within_a_block(stride, monkeypatch):
    # Blocks a quarter of the default, so that even when both threads hold one at once
    # (they take the next block when free, so how many overlap depends on the load) the
    # layer stays clearly below one im2col matrix of this size.
    monkeypatch.setattr(explainer.core.layer_engine, "PATCH_BLOCK_ELEMENTS", 1 << 16)
    monkeypatch.setattr(explainer.core.layer_engine, "BLAS_BLOCK_ELEMENTS", 1 << 16)
    monkeypatch.setattr(explainer.core.layer_rows, "BLOCK_ELEMENTS", 1 << 16)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 40, 40))
    w = rng.normal(size=(24, 16, 3, 3))
    out = conv2d(x, w, padding=1, stride=stride)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    view = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))
    reference = np.tensordot(w, view[:, ::stride, ::stride], axes=([1, 2, 3], [0, 3, 4]))
    np.testing.assert_allclose(out, reference, rtol=1e-10, atol=1e-10)
    conv2d(x, w, padding=1, stride=stride)
    tracemalloc.start()
    try:
        conv2d(x, w, padding=1, stride=stride)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # One block per thread: its patch matrix, and the padded rows it is copied from (a
    # ninth of it for a 3×3 kernel, plus the two rows of overlap); with stride 1, the
    # stacked rows and sums over flattened rows (at most one block's values).
    threads = explainer.core.layer_blocks.workers()
    block = threads * explainer.core.layer_engine.PATCH_BLOCK_ELEMENTS * 8 * 5 // 4
    im2col = 16 * 9 * 40 * 40 * 8
    # The filters (as float64, or rearranged by tap) once more.
    assert peak <= out.nbytes + block + w.nbytes + 64 * 1024
    assert peak < out.nbytes + im2col


# ----- refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        (dict(x=np.ones((3, 4, 4)), w=np.ones((2, 2, 3, 3))), "each filter needs 3"),
        (dict(x=np.ones((4, 4, 4)), w=np.ones((3, 2, 3, 3)), groups=2), "must divide both"),
        (dict(x=np.ones((2, 4, 4)), w=np.ones((2, 2, 3, 3)), groups=0), "groups must be"),
        (dict(x=np.ones((2, 4, 4)), w=np.ones((2, 2, 3, 3)), bias=[1.0]), "one number per"),
        (dict(x=np.ones((2, 4, 4)), w=np.ones((2, 2, 5, 5))), "taller than the image"),
        (dict(x=np.ones((1, 2, 2)), w=[[[[1, "a"]]]]), "the weight must hold numbers"),
        (
            dict(x=np.ones((1, 2, 2)), w=np.array([[[[1, "a"]]]], dtype=object)),
            r"holds 'a' at \[0, 0, 0, 1\], which is not a number",
        ),
        (dict(x=[[[1.0, np.inf]]], w=np.ones((1, 1, 1, 1))), r"holds inf at \[0, 0, 1\]"),
        (dict(x=np.ones((1, 2, 2)), w=[[[[1, -1]]]], normalize="sum"), "sum to 0"),
        (dict(x=np.ones((2, 4, 4)), w=np.ones((2, 4, 4))), "weight has shape"),
    ],
)
def test_bad_layers_are_refused_in_one_sentence(kwargs, needle):
    x, w = kwargs.pop("x"), kwargs.pop("w")
    with pytest.raises(ProblemError, match=needle) as caught:
        conv2d(x, w, **kwargs)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_a_value_that_is_not_finite_in_a_large_tensor_is_found_where_it_is(dtype, bad):
    x = np.ones((4, 130, 130), dtype=dtype)  # 67,600 values: checked in one pass first
    x[2, 77, 5] = bad
    with pytest.raises(ProblemError, match=rf"the input holds {bad} at \[2, 77, 5\]"):
        conv2d(x, np.ones((1, 4, 3, 3), dtype=dtype))


def test_large_float32_values_whose_squares_overflow_are_accepted():
    x = np.full((4, 130, 130), 3e37, dtype=np.float32)  # squared: beyond float32's range
    out = conv2d(x, np.full((1, 4, 1, 1), 0.25, dtype=np.float32))
    assert out.dtype == np.float32 and out[0, 0, 0] == np.float32(3e37)


@pytest.mark.parametrize(
    "args, kwargs, needle",
    [
        ((np.ones((4, 4)), 2), dict(padding=2), "more than half"),
        ((np.ones((4, 4)), 3), dict(mode="median"), "unknown pooling mode"),
        ((np.ones((1, 4)), 2), {}, "larger than the input"),
        ((np.ones((1, 1, 4, 4)), 2), {}, "pool2d takes"),
        ((np.ones((4, 4)), 0), {}, "at least 1"),
        ((np.ones((4, 4)), 2), dict(ceil_mode="yes"), "True or False"),
    ],
)
def test_bad_pooling_is_refused_in_one_sentence(args, kwargs, needle):
    with pytest.raises(ProblemError, match=needle):
        pool2d(*args, **kwargs)


# ----- pooling, worked by hand ---------------------------------------------------------

GRID = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15], [16, 17, 18, 19, 20],
        [21, 22, 23, 24, 25]]  # fmt: skip


def test_max_pooling_floor_drops_the_odd_edge():
    # torch: H_out = ⌊(H + 2p − k) / s⌋ + 1 = ⌊3/2⌋ + 1 = 2; row and column 4 are never read.
    assert pool2d(GRID, 2).tolist() == [[7, 9], [17, 19]]


def test_max_pooling_ceil_mode_keeps_the_partial_edge_windows():
    # torch (MaxPool2d note): with ceil_mode windows may go off-bounds if they start inside
    # the input or the left padding. ⌈3/2⌉ + 1 = 3; window 2 starts at 4 < 5: kept, reading
    # only row/column 4.
    assert pool2d(GRID, 2, ceil_mode=True).tolist() == [[7, 9, 10], [17, 19, 20], [22, 24, 25]]


def test_ceil_mode_drops_a_window_that_would_start_past_the_input():
    # 1×7 input, k = 2, s = 3, p = 1: ⌈(7 + 2 − 2)/3⌉ + 1 = 4, but window 3 would start at
    # 3·3 − 1 = 8 ≥ 7, in the right padding: torch drops it ("if ((out − 1)·s ≥ n + p) −−out").
    x = [[[5, 1, 2, 7, 3, 0, 4]] * 2]
    out = pool2d(x, (1, 2), stride=(1, 3), padding=(0, 1), ceil_mode=True)
    assert out.tolist() == [[[5, 7, 4], [5, 7, 4]]]  # windows {-1,0}, {2,3}, {5,6}
    assert Pool((1, 2), (1, 3), (0, 1), ceil_mode=True).output_shape((1, 7)) == (1, 3)


def test_max_pooling_padding_is_never_chosen():
    # torch: "the input is implicitly padded with negative infinity": all values negative,
    # the corner window still reports −1, not a 0 of the border.
    x = [[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]]
    assert pool2d(x, 2, padding=1).tolist() == [[-1, -2], [-4, -5]]


def test_max_ties_choose_the_first_in_row_major_order():
    # torch's max pooling keeps the first index of the largest value (it replaces only on
    # a strictly larger one), as return_indices shows.
    t = trace_pool([[[3, 1], [1, 3]], [[0, 2], [2, 1]]], Pool(2))
    first, second = t.step(0, 0, 0), t.step(1, 0, 0)
    assert (first.chosen, first.positions[first.chosen], first.value) == (0, (0, 0), 3)
    assert (second.chosen, second.positions[second.chosen], second.value) == (1, (0, 1), 2)


def test_average_pooling_counts_the_padding_unless_told_not_to():
    # torch avg_pool2d: divide_factor = (hend − hstart)·(wend − wstart) with the window
    # clipped to the padded input when count_include_pad, to the input otherwise.
    ones = np.ones((3, 3), int)
    assert pool2d(ones, 2, padding=1, mode="avg").tolist() == [
        [Fraction(1, 4), Fraction(2, 4)],
        [Fraction(2, 4), Fraction(4, 4)],
    ]
    assert pool2d(ones, 2, padding=1, mode="avg", count_include_pad=False).tolist() == [
        [1, 1],
        [1, 1],
    ]


def test_average_divisor_stops_at_the_right_padding_in_ceil_mode():
    # 4×4 ones, k = 3, s = 2, p = 1, ceil: 3 windows per axis starting at −1, 1, 3; torch's
    # hend = min(hstart + k, H + p) = 2, 4, 5, so the divisors per axis are 3, 3, 2 and the
    # cells inside the input 2, 3, 1. Value = (cells_i·cells_j) / (div_i·div_j).
    out = pool2d(np.ones((4, 4), int), 3, stride=2, padding=1, mode="avg", ceil_mode=True)
    third, half = Fraction(1, 3), Fraction(1, 2)
    assert out.tolist() == [
        [Fraction(4, 9), Fraction(2, 3), third],
        [Fraction(2, 3), 1, half],
        [third, half, Fraction(1, 4)],
    ]
    t = trace_pool(np.ones((1, 4, 4), int), Pool(3, 2, 1, "avg", ceil_mode=True))
    corner = t.step(0, 2, 2)
    assert corner.divisor == 4 and corner.positions == ((3, 3),) and corner.padding_cells == 3


def test_float_pooling_keeps_float32():
    x = np.arange(16, dtype=np.float32).reshape(4, 4)
    assert pool2d(x, 2).dtype == np.float32
    avg = pool2d(x, 2, mode="avg")
    assert avg.dtype == np.float32 and avg.tolist() == [[2.5, 4.5], [10.5, 12.5]]


def test_relu_keeps_the_number_kind():
    assert relu([[Fraction(-1, 2), Fraction(3, 2)]]).tolist() == [[0, Fraction(3, 2)]]
    assert relu(np.array([-1.5, 2.0])).tolist() == [0.0, 2.0]
    assert relu([-3, 4]).dtype == np.int64


# ----- the trace -----------------------------------------------------------------------


def test_trace_records_every_channel_and_stage():
    x = [[[1, -2, 0], [3, 1, -1], [0, 2, 2]], [[2, 0, 1], [-1, -1, 0], [1, 0, 3]]]
    w = [[[[1, 0], [0, -1]], [[0, 1], [1, 0]]], [[[1, 1], [1, 1]], [[-1, -1], [-1, -1]]]]
    layer = Layer(x, w, bias=[1, -2], padding=(0, 1, 0, 1), activation="relu", pool=Pool(2))
    trace = build_layer_trace(layer)
    expected = layer_loop(x, w, [1, -2], padding=(0, 1, 0, 1))
    for step in trace:
        o, i, j = step.index
        assert step.pre_activation == expected[o][i][j]
        assert step.activation == max(expected[o][i][j], 0)
        assert step.total + step.bias == step.pre_activation
        assert sum(step.partial_sums) == step.total and len(step.parts) == 2
    corner = trace.step(0, 2, 2)  # the window reaches the zero row and column of padding
    assert corner.parts[0].in_padding == (False, True, True, True)
    assert corner.parts[0].patch == (2, 0, 0, 0) and corner.parts[1].patch == (3, 0, 0, 0)
    assert trace.pool is not None and trace.pool.output_shape == (2, 1, 1)
    best = [max(max(expected[o][i][j], 0) for i in range(2) for j in range(2)) for o in range(2)]
    assert trace.output == (((best[0],),), ((best[1],),))


def test_float_trace_holds_floats():
    layer = Layer(np.full((1, 2, 2), 0.5), np.full((1, 1, 1, 1), 2.0), bias=[0.25])
    step = build_layer_trace(layer).step(0, 1, 1)
    assert step.parts[0].products == (1.0,) and step.pre_activation == 1.25
    assert isinstance(step.pre_activation, float)


def test_trace_index_outside_is_refused():
    trace = build_layer_trace(Layer(np.ones((1, 2, 2), int), np.ones((1, 1, 1, 1), int)))
    with pytest.raises(ProblemError, match="outside"):
        trace.step(1, 0, 0)


@settings(max_examples=40, deadline=None)
@given(case=layers())
def test_property_one_channel_one_filter_is_the_one_channel_engine(case):
    x, w, _, options = case
    options = dict(options, groups=1)
    x, w = x[:1], w[:1, :1]
    if _layer_or_none(x, w, None, options) is None:
        return
    flat = {k: v for k, v in options.items() if k != "groups"}
    ours = conv2d(x, w, **options)
    assert ours[0].tolist() == conv2d(x[0], w[0, 0], **flat).tolist()
    floats = conv2d(x.astype(float), w.astype(float), **options)
    np.testing.assert_allclose(floats[0], conv2d(x[0].astype(float), w[0, 0].astype(float),
                               **flat), rtol=1e-12, atol=1e-12)  # fmt: skip


def test_float_weights_normalized_by_their_decimal_sum_without_a_warning(recwarn):
    # As for one channel: "sum" divides by the exact sum of the decimals shown (3/10), the
    # float path by its nearest float, and reading the weights for it warns about nothing.
    x = np.array([[[3000.0, 5000.0, 7000.0]]])
    out = conv2d(x, [[[[0.1, 0.2]]]], normalize="sum")
    assert not recwarn.list
    assert out[0].tolist() == conv2d(x[0], [[0.1, 0.2]], normalize="sum").tolist()


@contextmanager
def _not_held():
    yield False  # as without threadpoolctl


@pytest.mark.parametrize("one_thread", [False, True])
def test_products_cut_in_pieces_or_whole_give_the_same_sums(monkeypatch, one_thread):
    # Stride 2 (stride 1 takes the shifted products of layer_blocks): 40 filters of
    # 64×3×3 taps, cut for one BLAS thread (which here cannot be held to one), each
    # block's product becomes pieces of 32 columns by chunks of 204, 204 and 168 taps,
    # with a last piece of 16 columns; with BLAS on one thread, one product per block.
    # Both equal im2col.
    monkeypatch.setattr(explainer.core.layer_engine, "blas_single_threaded", lambda: one_thread)
    monkeypatch.setattr(explainer.core.layer_engine, "one_blas_thread", _not_held)
    rng = np.random.default_rng(11)
    x, w, b = rng.normal(size=(64, 19, 12)), rng.normal(size=(40, 64, 3, 3)), rng.normal(size=40)
    out = conv2d(x, w, bias=b, stride=(2, 1))
    view = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))[:, ::2]
    reference = np.tensordot(w, view, axes=([1, 2, 3], [0, 3, 4])) + b[:, None, None]
    np.testing.assert_allclose(out, reference, rtol=1e-10, atol=1e-10)
    grouped = conv2d(x, w[:, :16], groups=4, stride=2)  # pieces per group, batched
    for g in range(4):
        alone = conv2d(x[16 * g : 16 * g + 16], w[10 * g : 10 * g + 10, :16], stride=2)
        np.testing.assert_allclose(grouped[10 * g : 10 * g + 10], alone, rtol=1e-10, atol=1e-10)
