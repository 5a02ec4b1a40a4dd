"""The engine against PyTorch's documented rules, on many small random shapes.

Each reference below is written from the formulas of torch's documentation
(torch.nn.functional.conv2d, max_pool2d / avg_pool2d with ceil_mode and count_include_pad,
conv_transpose2d, and the gradient of L = Σ grad_out · y), one output element and one tap
at a time in exact arithmetic, sharing no code with the engine. The padding modes are
numpy.pad's rules (reflect, edge, wrap) written out as an index fold. Every number kind goes
through the same references: ints (also beyond int64), Fractions, float64 and float32.
A request whose output would be empty must be refused with one ProblemError, never return
an empty array or raise anything else.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import exact_fraction as exact
from reference import fold_index, layer_loop

import explainer
from explainer.errors import ExplainerError, ProblemError

MODES = ("zeros", "reflect", "replicate", "circular")
KINDS = ("int", "fraction", "float64", "float32", "huge")
NUMPY_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


# ----- the references ---------------------------------------------------------------------


def pool_size(n: int, k: int, s: int, p: int, ceil: bool) -> int:
    """torch's pooling_output_shape: floor or ceil, and in ceil mode a last window that
    would start in the right padding is dropped."""
    size = (n + 2 * p - k + (s - 1 if ceil else 0)) // s + 1
    if ceil and (size - 1) * s >= n + p:
        size -= 1
    return size


def pool_reference(x, k, s, p, mode, ceil, count_pad):
    """torch's avg_pool2d / max_pool2d loops: the window [s·i − p, min(s·i − p + k, n + p)),
    its divisor that length (count_include_pad) or its part inside the input."""
    c, h, wd = x.shape
    oh, ow = (
        pool_size(n, *a, ceil) for n, a in zip((h, wd), zip(k, s, p, strict=True), strict=True)
    )
    out = np.empty((c, oh, ow), dtype=object)
    for ch in range(c):
        for i in range(oh):
            for j in range(ow):
                r0, q0 = i * s[0] - p[0], j * s[1] - p[1]
                r1, q1 = min(r0 + k[0], h + p[0]), min(q0 + k[1], wd + p[1])
                with_pad = (r1 - r0) * (q1 - q0)
                r0, q0, r1, q1 = max(r0, 0), max(q0, 0), min(r1, h), min(q1, wd)
                cells = [exact(x[ch, a, b]) for a in range(r0, r1) for b in range(q0, q1)]
                if mode == "max":
                    out[ch, i, j] = max(cells)
                else:
                    out[ch, i, j] = sum(cells) / (with_pad if count_pad else len(cells))
    return out


def transposed_reference(x, w, bias, stride, pad, out_pad, dil, groups):
    """Every x[c,i,j] stamps w[c,o] at (s·i + d·m − p_top, s·j + d·n − p_left)."""
    c_in, h, wd = x.shape
    _, og, kh, kw = w.shape
    top, bottom, left, right = pad
    oh = (h - 1) * stride[0] - top - bottom + dil[0] * (kh - 1) + out_pad[0] + 1
    ow = (wd - 1) * stride[1] - left - right + dil[1] * (kw - 1) + out_pad[1] + 1
    out = np.full((og * groups, oh, ow), Fraction(0), dtype=object)
    for c in range(c_in):
        group = c // (c_in // groups)
        for o in range(og):
            for i, j, m, n in np.ndindex(h, wd, kh, kw):
                r = stride[0] * i + dil[0] * m - top
                q = stride[1] * j + dil[1] * n - left
                if 0 <= r < oh and 0 <= q < ow:
                    out[group * og + o, r, q] += exact(x[c, i, j]) * exact(w[c, o, m, n])
    if bias is not None:
        for o in range(og * groups):
            out[o] += exact(bias[o])
    return out


def backward_reference(x, w, g, stride, pad, dil, groups, mode):
    """∂L/∂x, ∂L/∂w, ∂L/∂b of L = Σ g·y: each product xp·w of the forward sum sends g·w to
    the input pixel the padded cell copies (none for a zero) and g·xp to the weight."""
    c_in, h, wd = x.shape
    c_out, cg, kh, kw = w.shape
    top, left = pad[0], pad[2]
    gx = np.full(x.shape, Fraction(0), dtype=object)
    gw = np.full(w.shape, Fraction(0), dtype=object)
    per_group = c_out // groups
    for o, i, j in np.ndindex(*g.shape):
        first = (o // per_group) * cg
        for c, m, n in np.ndindex(cg, kh, kw):
            r = fold_index(stride[0] * i + dil[0] * m - top, h, mode)
            q = fold_index(stride[1] * j + dil[1] * n - left, wd, mode)
            if r is None or q is None:
                continue
            gw[o, c, m, n] += exact(g[o, i, j]) * exact(x[first + c, r, q])
            gx[first + c, r, q] += exact(g[o, i, j]) * exact(w[o, c, m, n])
    gb = np.array([sum((exact(v) for v in g[o].ravel()), Fraction(0)) for o in range(c_out)])
    return gx, gw, gb


# ----- drawing problems --------------------------------------------------------------------


@st.composite
def arrays(draw, shape: tuple[int, ...], kind: str) -> np.ndarray:
    size = math.prod(shape)
    if kind == "fraction":
        value = st.fractions(-5, 5, max_denominator=4)
    elif kind == "huge":  # beyond int64 once multiplied: the exact path must stay exact
        value = st.integers(2**62, 2**62 + 99) | st.integers(-(2**62), 9)
    elif kind in ("float64", "float32"):  # quarters: exact in both precisions
        value = st.integers(-8, 8).map(lambda v: v / 4)
    else:
        value = st.integers(-5, 5)
    flat = np.empty(size, dtype=object)
    flat[:] = draw(st.lists(value, min_size=size, max_size=size))
    out = flat.reshape(shape)
    if kind in ("float64", "float32"):
        return out.astype(kind)
    return out.astype(np.int64) if kind == "int" else out


def same(got, expected, kind: str) -> bool:
    got = np.asarray(got)
    if got.shape != expected.shape:
        return False
    if kind in ("int", "fraction", "huge"):
        return got.dtype.kind != "f" and all(
            exact(a) == e
            for a, e in zip(got.ravel().tolist(), expected.ravel().tolist(), strict=True)
        )
    tol = 1e-5 if kind == "float32" else 1e-12
    return np.allclose(got.astype(np.float64), expected.astype(np.float64), rtol=tol, atol=tol)


pairs = st.tuples(st.integers(1, 4), st.integers(1, 4))
dilations = st.tuples(st.integers(1, 3), st.integers(1, 3))
# (input channels per group, filters per group, groups)
channel_counts = st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 3))


def sizes(most: int):
    return st.tuples(st.integers(1, most), st.integers(1, most))


sides = st.tuples(*[st.integers(0, 3)] * 4)


def padding_allowed(mode: str, pad: tuple[int, ...], h: int, wd: int) -> bool:
    if mode == "reflect":
        return max(pad[:2]) < h and max(pad[2:]) < wd
    if mode == "circular":
        return max(pad[:2]) <= h and max(pad[2:]) <= wd
    return True


# ----- the forward convolution ----------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    st.data(),
    st.sampled_from(KINDS),
    channel_counts,
    sizes(6),
    pairs,
    pairs,
    dilations,
    sides,
    st.sampled_from(MODES),
    st.booleans(),
    st.sampled_from([None, "area", "sum"]),
    st.booleans(),
)
def test_conv2d_is_torch_conv2d(
    data, kind, channels, size, kernel, stride, dil, pad, mode, flip, normalize, with_bias
):
    per_in, per_out, groups = channels
    x = data.draw(arrays((per_in * groups, *size), kind))
    w = data.draw(arrays((per_out * groups, per_in, *kernel), kind))
    bias = data.draw(arrays((per_out * groups,), "int")) if with_bias else None
    c_out = per_out * groups
    span = [d * (k - 1) + 1 for d, k in zip(dil, kernel, strict=True)]
    fits = size[0] + pad[0] + pad[1] >= span[0] and size[1] + pad[2] + pad[3] >= span[1]
    sums = [sum((exact(v) for v in w[o].ravel()), Fraction(0)) for o in range(c_out)]
    divisors = {None: [1] * c_out, "area": [per_in * math.prod(kernel)] * c_out, "sum": sums}
    valid = fits and padding_allowed(mode, pad, *size) and all(divisors[normalize])
    options = dict(stride=stride, padding=pad, padding_mode=mode, dilation=dil, flip=flip)
    single = per_in == per_out == groups == 1 and bias is None and data.draw(st.booleans())
    if not valid:
        with pytest.raises(ProblemError):
            explainer.conv2d(x, w, groups=groups, bias=bias, normalize=normalize, **options)
        return
    if single:
        got = explainer.conv2d(x[0], w[0, 0], normalize=normalize, **options)[None]
    else:
        got = explainer.conv2d(x, w, bias=bias, groups=groups, normalize=normalize, **options)
    expected = np.array(
        layer_loop(x, w, bias, stride=stride, padding=pad, dilation=dil, groups=groups,
                   flip=flip, mode=mode, normalize=normalize),
        dtype=object,
    )  # fmt: skip
    assert same(got, expected, kind), (got, expected)
    if kind == "float32" and single:
        assert got.dtype == np.float32


# ----- pooling -------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    st.data(),
    st.sampled_from(("int", "fraction", "float64", "float32")),
    st.tuples(st.integers(1, 2), st.integers(1, 7), st.integers(1, 7)),
    pairs,
    sizes(5),
    st.sampled_from(("max", "avg")),
    st.booleans(),
    st.booleans(),
)
def test_pool2d_is_torch_pooling(data, kind, shape, k, s, mode, ceil, count_pad):
    p = (data.draw(st.integers(0, k[0] // 2)), data.draw(st.integers(0, k[1] // 2)))
    x = data.draw(arrays(shape, kind))
    if (
        min(
            pool_size(n, *a, ceil)
            for n, a in zip(shape[1:], zip(k, s, p, strict=True), strict=True)
        )
        < 1
    ):
        with pytest.raises(ProblemError):
            explainer.pool2d(x, k, s, p, mode, ceil, count_pad)
        return
    got = explainer.pool2d(x, k, s, p, mode, ceil, count_pad)
    assert same(got, pool_reference(x, k, s, p, mode, ceil, count_pad), kind)
    assert got.dtype == x.dtype or kind in ("int", "fraction")


def test_ceil_mode_keeps_a_window_larger_than_the_input():
    """torch: ⌈(3 − 4)/4⌉ + 1 = 1 window, starting inside the input; its divisor counts the
    3 cells up to the input's end (no padding), whatever count_include_pad says."""
    x = [[1, 2, 6]]
    assert explainer.pool2d(x, (1, 4), ceil_mode=True, mode="avg").tolist() == [[3]]
    with pytest.raises(ProblemError):
        explainer.pool2d(x, (1, 4), ceil_mode=False)


# ----- the transposed convolution and the gradients ---------------------------------------


@settings(max_examples=120, deadline=None)
@given(
    st.data(),
    st.sampled_from(KINDS),
    channel_counts,
    sizes(5),
    pairs,
    pairs,
    dilations,
    sides,
    st.booleans(),
)
def test_conv_transpose2d_is_torch(data, kind, channels, size, kernel, stride, dil, pad, with_bias):
    per_in, per_out, groups = channels
    out_pad = tuple(
        data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dil, strict=True)
    )
    x = data.draw(arrays((per_in * groups, *size), kind))
    w = data.draw(arrays((per_in * groups, per_out, *kernel), kind))
    bias = data.draw(arrays((per_out * groups,), "int")) if with_bias else None
    rows, cols = (
        (n - 1) * s - a - b + d * (k - 1) + e + 1
        for n, s, a, b, d, k, e in zip(
            size, stride, pad[::2], pad[1::2], dil, kernel, out_pad, strict=True
        )
    )
    args = (stride, pad, out_pad, dil, groups)
    if min(rows, cols) < 1:
        with pytest.raises(ProblemError):
            explainer.conv_transpose2d(x, w, bias, *args)
        return
    got = explainer.conv_transpose2d(x, w, bias, *args)
    assert same(got, transposed_reference(x, w, bias, *args), kind)


@settings(max_examples=120, deadline=None)
@given(
    st.data(),
    st.sampled_from(KINDS),
    channel_counts,
    sizes(5),
    pairs,
    pairs,
    dilations,
    sides,
    st.sampled_from(MODES),
)
def test_conv2d_backward_is_the_gradient(
    data, kind, channels, size, kernel, stride, dil, pad, mode
):
    per_in, per_out, groups = channels
    x = data.draw(arrays((per_in * groups, *size), kind))
    w = data.draw(arrays((per_out * groups, per_in, *kernel), kind))
    oh, ow = (
        (n + a + b - d * (k - 1) - 1) // s + 1
        for n, a, b, d, k, s in zip(size, pad[::2], pad[1::2], dil, kernel, stride, strict=True)
    )
    g = data.draw(arrays((per_out * groups, max(oh, 1), max(ow, 1)), kind))
    args = (stride, pad, dil, groups, mode)
    if min(oh, ow) < 1 or not padding_allowed(mode, pad, *size):
        with pytest.raises(ProblemError):
            explainer.conv2d_backward(x, w, g, *args)
        return
    got = explainer.conv2d_backward(x, w, g, *args)
    for a, e in zip(got, backward_reference(x, w, g, stride, pad, dil, groups, mode), strict=True):
        assert same(a, e, kind), (a, e)


# ----- edge cases named one by one -------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_padding_modes_are_numpy_pad(mode):
    """A 1×1 kernel of 1 over a padded image returns the padded image: numpy.pad's."""
    image = np.arange(1, 13).reshape(3, 4)
    pad = (2, 1, 3, 2) if mode != "reflect" else (2, 2, 3, 1)
    got = explainer.conv2d(image, [[1]], padding=pad, padding_mode=mode)
    want = np.pad(image, ((pad[0], pad[1]), (pad[2], pad[3])), mode=NUMPY_PAD[mode])
    np.testing.assert_array_equal(got, want)


def test_huge_integers_stay_exact():
    """Products beyond int64 and float64's 53 bits: every digit kept."""
    big = 2**62 + 1
    got = explainer.conv2d([[big, big], [3, -big]], [[big, 1], [2, big]])
    assert got.tolist() == [[big * big + big + 6 - big * big]]


@pytest.mark.parametrize(
    "call",
    [
        lambda o: explainer.conv2d([[1, 2]], [[1, 1, 1]], **o),
        lambda o: explainer.conv2d([[1, 2, 3]], [[1, 1]], dilation=3, **o),
        lambda o: explainer.conv2d(np.ones((2, 2, 2)), np.ones((1, 2, 3, 1)), **o),
        lambda o: explainer.pool2d([[1, 2]], (1, 3), **o),
        lambda o: explainer.conv_transpose2d([[1]], [[1, 1]], padding=(0, 1), **o),
        lambda o: explainer.conv2d_backward([[1]], [[1, 1]], [[1]], **o),
    ],
)
def test_an_empty_output_is_one_clear_error(call):
    with pytest.raises(ProblemError):
        call({})


@pytest.mark.parametrize("big", [2**62, 2**63, 10**30])
@pytest.mark.parametrize(
    ("call", "one_window"),
    [
        (lambda b: explainer.conv2d([[1]], [[1]], stride=b), [[1]]),
        (lambda b: explainer.conv2d([[1.0, 2.0]], [[1]], stride=(1, b)), [[1.0]]),
        (lambda b: explainer.conv2d([[1]], [[1]], dilation=b), [[1]]),
        (lambda b: explainer.conv2d([[[1]]], [[[[1]]]], stride=b), [[[1]]]),
        (lambda b: explainer.conv2d_backward([[1]], [[1]], [[1]], stride=b)[0], [[1]]),
        (lambda b: explainer.conv2d_backward([[1.0]], [[1]], [[1]], dilation=b)[1], [[1.0]]),
        (lambda b: explainer.conv_transpose2d([[1]], [[1]], stride=b), [[1]]),
        (lambda b: explainer.pool2d([[1.0]], 1, b), [[1.0]]),
    ],
)
def test_a_huge_stride_or_dilation_is_computed_or_refused_clearly(call, one_window, big):
    """torch takes any stride: a stride past the image leaves one window per axis. The
    engine must give that one window's value or one clear error, never an OverflowError."""
    try:
        out = call(big)
    except ExplainerError:
        return
    assert np.asarray(out).tolist() == one_window


def test_an_average_of_negative_zeros_is_zero_as_torch_sums_it():
    """torch's avg_pool2d starts each sum at 0: 0 + (−0) + (−0) = +0, then divides."""
    out = explainer.pool2d(np.array([[-0.0, -0.0]]), (1, 2), mode="avg")
    assert out[0, 0] == 0 and not np.signbit(out[0, 0])
    out = explainer.pool2d(np.array([[-0.0, -0.0]], np.float32), (1, 2), mode="avg")
    assert not np.signbit(out[0, 0])


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_a_ceil_mode_window_far_larger_than_the_input_costs_only_the_input(mode):
    """torch: ⌈(7 − 20000)/20000⌉ + 1 = 1 window, starting at 0, clipped to the 7×7 input
    (its divisor counts the 49 cells up to the input's end). The engine must not lay out the
    20000×20000 window (3.2 GB of float64) to find it."""
    import tracemalloc

    x = np.arange(49, dtype=np.float64).reshape(1, 7, 7)
    tracemalloc.start()
    try:
        out = explainer.pool2d(x, 20000, ceil_mode=True, mode=mode)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.tolist() == [[[48.0 if mode == "max" else 24.0]]]
    assert peak < 10_000_000, peak
