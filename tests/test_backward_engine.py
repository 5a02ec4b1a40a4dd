"""The backward pass and the transposed convolution against references of their own.

References, none of which share code with explainer.core.backward: a plain-loop forward
convolution with channels, groups and numpy's padding modes (written here); exact finite
differences on the linear loss L = Σ g·y (the quotient for a rational ε is the derivative
itself, not an estimate); explainer.conv2d (the project's forward engine); and small cases
worked by hand, written as literals.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_strategies import layers

import explainer
from explainer import ProblemError, TooLargeError
from explainer.core import backward_common
from explainer.core.backward import (
    conv2d_backward,
    conv_matrix,
    conv_transpose2d,
    transposed_by_matrix,
    transposed_by_scatter,
    transposed_by_zero_insertion,
    transposed_layout,
    transposed_overlap,
    zero_inserted,
)

NUMPY_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def forward(x, w, stride=1, padding=(0, 0, 0, 0), dilation=1, groups=1, mode="zeros"):
    """y[o, i, j] = Σ_c Σ_m Σ_n xp[c, s·i + d·m, s·j + d·n] · w[o, c, m, n], by plain loops."""
    x = np.asarray(x, dtype=object)
    w = np.asarray(w, dtype=object)
    top, bottom, left, right = padding
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right)), mode=NUMPY_MODES[mode])
    _, hp, wp = xp.shape
    c_out, per_group, kh, kw = w.shape
    oh = (hp - dilation * (kh - 1) - 1) // stride + 1
    ow = (wp - dilation * (kw - 1) - 1) // stride + 1
    y = np.zeros((c_out, oh, ow), dtype=object)
    for o in range(c_out):
        first = (o // (c_out // groups)) * per_group
        for i in range(oh):
            for j in range(ow):
                total = 0
                for c in range(per_group):
                    for m in range(kh):
                        for n in range(kw):
                            r, q = stride * i + dilation * m, stride * j + dilation * n
                            total += xp[first + c, r, q] * w[o, c, m, n]
                y[o, i, j] = total
    return y


def inner(a, b) -> object:
    """⟨a, b⟩ in exact arithmetic."""
    return sum((u * v for u, v in zip(np.ravel(a).tolist(), np.ravel(b).tolist(), strict=True)), 0)


# ----- hand-worked cases ----------------------------------------------------------------------


def test_backward_of_a_3x3_input_and_2x2_kernel_worked_by_hand():
    # g has 1 at (0,0) and 2 at (1,1): ∂L/∂w[m,n] = 1·x[m,n] + 2·x[1+m,1+n];
    # ∂L/∂x: the kernel stamped at (0,0) and twice the kernel at (1,1).
    x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    gx, gw, gb = conv2d_backward(x, [[1, 0], [0, -1]], [[1, 0], [0, 2]])
    assert gw.tolist() == [[11, 14], [20, 23]]
    assert gx.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, -2]]
    assert gb.tolist() == [3]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        # padded row under each mode; how many windows cover each padded position: 1 2 3 2 1
        ("zeros", [2, 3, 2]),  # [0 1 2 3 0]: the border's 1s are dropped
        ("reflect", [2, 5, 2]),  # [2 1 2 3 2]: both border pixels copy x[1]: 3 + 1 + 1
        ("replicate", [3, 3, 3]),  # [1 1 2 3 3]: left copies x[0], right x[2]
        ("circular", [3, 3, 3]),  # [3 1 2 3 1]: left copies x[2], right x[0]
    ],
)
def test_border_gradient_folds_back_onto_the_pixels_it_copied(mode, expected):
    gx, gw, _ = conv2d_backward(
        [[1, 2, 3]], [[1, 1, 1]], [[1, 1, 1]], padding=(0, 0, 1, 1), padding_mode=mode
    )
    assert gx.tolist() == [expected]


def test_transposed_stride_2_stamps_side_by_side_worked_by_hand():
    expected = [[1, 1, 2, 2], [1, -1, 2, -2], [3, 3, 4, 4], [3, -3, 4, -4]]
    x, w = [[1, 2], [3, 4]], [[1, 1], [1, -1]]
    assert conv_transpose2d(x, w, stride=2).tolist() == expected
    for view in (transposed_by_scatter, transposed_by_zero_insertion, transposed_by_matrix):
        assert view(x, w, stride=2).tolist() == expected


def test_transposed_stride_1_stamps_overlap_worked_by_hand():
    # out[r, c] = Σ x[i, j] over i ∈ {r−1, r}, j ∈ {c−1, c}
    assert conv_transpose2d([[1, 2], [3, 4]], [[1, 1], [1, 1]]).tolist() == [
        [1, 3, 2],
        [4, 10, 6],
        [3, 7, 4],
    ]


def test_transposed_padding_crops_and_output_padding_extends_worked_by_hand():
    # 1D: stamps of [1, 1, 1] at 0 and 2 give [1 1 2 1 1]; padding 1 crops one each side.
    assert conv_transpose2d([[1, 1]], [[1, 1, 1]], stride=2).tolist() == [[1, 1, 2, 1, 1]]
    assert conv_transpose2d([[1, 1]], [[1, 1, 1]], stride=2, padding=(0, 1)).tolist() == [[1, 2, 1]]
    # output_padding 1 keeps one more column on the right, which the crop had taken
    out = conv_transpose2d([[1, 1]], [[1, 1, 1]], stride=2, padding=(0, 1), output_padding=(0, 1))
    assert out.tolist() == [[1, 2, 1, 1]]


def test_transposed_with_channels_groups_and_bias_worked_by_hand():
    # Two groups of one channel each: channel 0 stamps [1, 2], channel 1 stamps [3, 0];
    # bias 1/2 and −1.
    x = [[[1, 1]], [[2, 5]]]
    w = [[[[1, 2]]], [[[3, 0]]]]
    out = conv_transpose2d(x, w, bias=[Fraction(1, 2), -1], groups=2)
    assert out.tolist() == [[[Fraction(3, 2), Fraction(7, 2), Fraction(5, 2)]], [[5, 14, -1]]]


def test_overlap_counts_worked_by_hand():
    # k = 3, s = 2: positions 0..6 are covered 1 1 2 1 2 1 1 times (uneven: checkerboard)
    assert transposed_overlap((1, 3), (1, 3), stride=2).tolist() == [[1, 1, 2, 1, 2, 1, 1]]
    # k = 4, s = 2: 1 1 2 2 2 2 1 1, even inside
    assert transposed_overlap((1, 3), (1, 4), stride=2).tolist() == [[1, 1, 2, 2, 2, 2, 1, 1]]
    # a 2D count is the product of the two axes' counts
    assert transposed_overlap((2, 1), (2, 3), stride=(1, 2)).tolist() == [
        [1, 1, 1],
        [2, 2, 2],
        [1, 1, 1],
    ]


def test_conv_matrix_worked_by_hand():
    # a 2×2 input, a 1×2 kernel [a, b] = [5, 7]: outputs (0,0) and (1,0)
    assert conv_matrix((2, 2), [[5, 7]]).tolist() == [[5, 7, 0, 0], [0, 0, 5, 7]]
    assert conv_matrix((1, 2), [[5, 7]], padding=(0, 0, 1, 0)).tolist() == [[7, 0], [5, 7]]


# ----- exact finite differences ---------------------------------------------------------------


def _forward_options(options):
    """The shared strategy's options as the plain-loop ``forward`` here takes them."""
    out = dict(options)
    out["mode"] = out.pop("padding_mode")
    return out


@settings(max_examples=40, deadline=None)
@given(layers())
def test_gradients_are_exact_finite_differences_of_the_linear_loss(layer):
    x, w, g, options = layer
    grad_x, grad_w, grad_b = conv2d_backward(x, w, g, **options)
    plain = _forward_options(options)
    loss = inner(forward(x, w, **plain), g)
    eps = Fraction(1, 3)
    for idx in itertools.product(*map(range, w.shape)):
        moved = w.copy()
        moved[idx] += eps
        assert (inner(forward(x, moved, **plain), g) - loss) / eps == grad_w[idx], idx
    for idx in itertools.product(*map(range, x.shape)):
        moved = x.copy()
        moved[idx] += eps
        assert (inner(forward(moved, w, **plain), g) - loss) / eps == grad_x[idx], idx
    # y gains b[o] on every pixel of channel o: the difference quotient is Σ g[o]
    assert grad_b.tolist() == [sum(g[o].ravel().tolist(), 0) for o in range(g.shape[0])]


def test_results_are_exact_numbers_that_sympy_compares_equal():
    import sympy as sp

    gx, gw, gb = conv2d_backward([[Fraction(1, 3), 2]], [[1]], [[Fraction(1, 2), 1]])
    assert gw.dtype == object and gw[0, 0] == Fraction(13, 6) == sp.Rational(13, 6)  # 1/2·1/3 + 1·2
    assert gx.tolist() == [[Fraction(1, 2), 1]] and gb.tolist() == [Fraction(3, 2)]
    ints = conv2d_backward(np.ones((2, 3), np.int64), [[1, 2]], [[1, 1], [1, 1]])
    assert all(a.dtype == np.int64 for a in ints)


def test_integers_beyond_int64_are_summed_as_python_ints():
    big = 2**62
    gx, gw, _ = conv2d_backward([[big, big]], [[big, big]], [[3]])
    assert gw.tolist() == [[3 * big, 3 * big]] and gx.tolist() == [[3 * big, 3 * big]]
    out = conv_transpose2d([[big, big]], [[big, 1]])
    assert out.tolist() == [[big * big, big * big + big, big]]


@settings(max_examples=15, deadline=None)
@given(layers())
def test_float_path_agrees_with_the_exact_one(layer):
    x, w, g, options = layer
    exact = conv2d_backward(x, w, g, **options)
    floats = conv2d_backward(x.astype(float), w.astype(float), g.astype(float), **options)
    for a, b in zip(floats, exact, strict=True):
        assert a.dtype == np.float64
        np.testing.assert_allclose(a, b.astype(float), rtol=1e-12, atol=1e-12)


def test_blocks_of_one_row_give_the_same_numbers(monkeypatch):
    rng = np.random.default_rng(5)
    x, w = rng.integers(-5, 6, (4, 9, 8)), rng.integers(-5, 6, (6, 2, 3, 2))
    g = rng.integers(-5, 6, (6, 5, 4))  # rows (9 + 3 − 3) // 2 + 1, columns (8 + 1 − 2) // 2 + 1
    options = dict(stride=2, padding=(1, 2, 0, 1), groups=2, padding_mode="reflect")
    whole = conv2d_backward(x, w, g, **options)
    transposed = conv_transpose2d(g, w.reshape(6, 2, 3, 2), stride=2, groups=2)
    monkeypatch.setattr(backward_common, "BLOCK_ELEMENTS", 1)
    for a, b in zip(conv2d_backward(x, w, g, **options), whole, strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(conv_transpose2d(g, w, stride=2, groups=2), transposed)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_input_gradient_is_the_adjoint_of_the_projects_conv2d(mode):
    rng = np.random.default_rng(1)
    x, w = rng.integers(-3, 4, (7, 8)), rng.integers(-3, 4, (3, 2))
    options = dict(stride=(2, 1), padding=(1, 2, 1, 0), dilation=(1, 2), padding_mode=mode)
    y = explainer.conv2d(x, w, **options)
    g = rng.integers(-3, 4, y.shape)
    gx, gw, gb = conv2d_backward(x, w, g, **options)
    assert inner(y, g) == inner(x, gx)
    assert gx.shape == x.shape and gw.shape == w.shape and gb.shape == (1,)


# ----- properties of the transposed convolution -----------------------------------------------


@st.composite
def transposed_problems(draw):
    groups = draw(st.integers(1, 2))
    per_in, per_out = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    extra = tuple(
        draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
    )
    sides = [draw(st.integers(0, 2)) for _ in range(4)]
    # keep at least one output row and column
    for axis, (n, k) in enumerate(((h, kh), (w, kw))):
        full = (n - 1) * stride[axis] + dilation[axis] * (k - 1) + extra[axis] + 1
        while sides[2 * axis] + sides[2 * axis + 1] >= full:
            sides[2 * axis] = max(0, sides[2 * axis] - 1)
            sides[2 * axis + 1] = max(0, sides[2 * axis + 1] - 1)
    numbers = st.integers(-4, 4) | st.fractions(-2, 2, max_denominator=4)
    x = draw(st.lists(numbers, min_size=groups * per_in * h * w, max_size=groups * per_in * h * w))
    size = groups * per_in * per_out * kh * kw
    wt = draw(st.lists(numbers, min_size=size, max_size=size))
    options = dict(
        stride=stride, padding=tuple(sides), output_padding=extra, dilation=dilation, groups=groups
    )
    return (
        np.array(x, dtype=object).reshape(groups * per_in, h, w),
        np.array(wt, dtype=object).reshape(groups * per_in, per_out, kh, kw),
        options,
    )


@settings(max_examples=60, deadline=None)
@given(transposed_problems(), st.data())
def test_adjoint_identity(problem, data):
    """⟨conv2d(z, w), x⟩ = ⟨z, conv_transpose2d(x, w)⟩ for every z of the output's shape."""
    x, w, options = problem
    out = conv_transpose2d(x, w, **options)
    numbers = st.integers(-4, 4) | st.fractions(-2, 2, max_denominator=3)
    z = np.array(data.draw(st.lists(numbers, min_size=out.size, max_size=out.size)), dtype=object)
    z = z.reshape(out.shape)
    y = _strided_forward(z, w, options)
    h, wd = x.shape[1:]  # y can be larger, where output_padding ≥ stride: x is 0 there
    assert inner(y[:, :h, :wd], x) == inner(z, out)


def _strided_forward(z, w, options):
    """The plain-loop forward with per-axis stride and dilation and zero padding."""
    z = np.asarray(z, dtype=object)
    top, bottom, left, right = options["padding"]
    zp = np.pad(z, ((0, 0), (top, bottom), (left, right)))
    (sh, sw), (dh, dw), groups = options["stride"], options["dilation"], options["groups"]
    c_out, per_group, kh, kw = w.shape
    oh = (zp.shape[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (zp.shape[2] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((c_out, oh, ow), dtype=object)
    for o, i, j in itertools.product(range(c_out), range(oh), range(ow)):
        first = (o // (c_out // groups)) * per_group
        y[o, i, j] = sum(
            zp[first + c, sh * i + dh * m, sw * j + dw * n] * w[o, c, m, n]
            for c in range(per_group)
            for m in range(kh)
            for n in range(kw)
        )
    return y


@settings(max_examples=40, deadline=None)
@given(transposed_problems())
def test_the_three_views_agree_with_the_engine(problem):
    x, w, options = problem
    engine = conv_transpose2d(x, w, **options)
    for view in (transposed_by_scatter, transposed_by_zero_insertion, transposed_by_matrix):
        result = view(x, w, **options)
        assert result.shape == engine.shape
        assert (result == engine).all(), view.__name__


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 12),
    k=st.integers(1, 4),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    before=st.integers(0, 3),
    after=st.integers(0, 3),
)
def test_output_padding_picks_the_input_size_back(n, k, s, d, before, after):
    """conv2d maps n to m; conv_transpose2d with output_padding (n + p − d(k−1) − 1) mod s
    maps m back to n, and every smaller output_padding to a size conv2d maps to m too."""
    span = d * (k - 1) + 1
    if n + before + after < span:
        return
    m = (n + before + after - span) // s + 1
    extra = (n + before + after - span) % s
    options = dict(stride=(1, s), padding=(0, 0, before, after), dilation=(1, d))
    w = np.ones((1, k), np.int64)
    if (m - 1) * s + span - before - after < 1:
        return  # the padding would crop away a transposed output of any size
    out = conv_transpose2d(np.ones((1, m), np.int64), w, output_padding=(0, extra), **options)
    assert out.shape == (1, n)
    for smaller in range(extra + 1):
        size = conv_transpose2d(
            np.ones((1, m), np.int64), w, output_padding=(0, smaller), **options
        ).shape[1]
        assert (size + before + after - span) // s + 1 == m


@settings(max_examples=30, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.integers(1, 3),
)
def test_overlap_is_the_transposed_convolution_of_ones_and_predicts_checkerboards(
    shape, kernel, stride
):
    counts = transposed_overlap(shape, kernel, stride=stride)
    ones = conv_transpose2d(np.ones(shape, np.int64), np.ones(kernel, np.int64), stride=stride)
    assert np.array_equal(counts, ones)
    # far from the edges every pixel is covered k/s times exactly when s divides k
    (kh, kw), (h, w) = kernel, shape
    inside = counts[kh - 1 : (h - 1) * stride + 1, kw - 1 : (w - 1) * stride + 1]
    if inside.size and h > kh and w > kw:
        even = kh % stride == 0 and kw % stride == 0
        assert (np.unique(inside).size == 1) == even


def test_zero_inserted_worked_by_hand():
    # stride 2 puts one zero between 1 and 2; kernel 3, padding 0: 3 − 1 − 0 = 2 zeros a side
    assert zero_inserted([[1, 2]], [[1, 1, 1]], stride=2).tolist() == [[0, 0, 1, 0, 2, 0, 0]]
    # padding 1 leaves one zero a side; output_padding 1 one more on the right
    out = zero_inserted([[1, 2]], [[1, 1, 1]], stride=2, padding=(0, 1), output_padding=(0, 1))
    assert out.tolist() == [[0, 1, 0, 2, 0, 0]]
    # padding 3 > d·(k − 1) = 2: one column cropped each side
    assert zero_inserted([[1, 2, 3]], [[1, 1, 1]], stride=2, padding=(0, 3)).tolist() == [[0, 2, 0]]
    # dilation 2 reaches twice as far: 2·(2 − 1) = 2 rows above and below a 2-row kernel
    assert zero_inserted([[5]], [[1], [1]], dilation=2).tolist() == [[0], [0], [5], [0], [0]]


@settings(max_examples=40, deadline=None)
@given(transposed_problems())
def test_zero_inserted_map_correlated_with_the_rotated_kernel_is_the_transposed_convolution(
    problem,
):
    x, w, options = problem
    spread = zero_inserted(x, w, **options)
    groups = options["groups"]
    c_in, per_out, kh, kw = w.shape
    per_in = c_in // groups
    (dh, dw), out = options["dilation"], conv_transpose2d(x, w, **options)
    assert spread.shape == (c_in, out.shape[1] + dh * (kh - 1), out.shape[2] + dw * (kw - 1))
    for o, i, j in itertools.product(*map(range, out.shape)):
        group, ol = divmod(o, per_out)
        total = sum(
            spread[c, i + dh * m, j + dw * n] * w[c, ol, kh - 1 - m, kw - 1 - n]
            for c in range(group * per_in, (group + 1) * per_in)
            for m in range(kh)
            for n in range(kw)
        )
        assert total == out[o, i, j], (o, i, j)


def test_transposed_layout_worked_by_hand():
    # 2×3 input, 3×3 kernel, stride 2, padding 1, output_padding 1:
    # rows (2 − 1)·2 − 2 + 2 + 1 + 1 = 4, columns (3 − 1)·2 − 2 + 2 + 1 + 1 = 6
    lay = transposed_layout(np.ones((2, 3)), np.ones((3, 3)), stride=2, padding=1, output_padding=1)
    assert lay.out_shape == (1, 4, 6) and lay.flat
    assert lay.padding == (1, 1, 1, 1) and lay.stride == (2, 2) and lay.output_padding == (1, 1)
    assert lay.x.shape == (1, 2, 3) and lay.w.shape == (1, 1, 3, 3)
    # the convolution it transposes: 4×6 padded to 6×8, 3×3 windows 2 apart: 2×3 again
    assert lay.geometry.output_shape == (2, 3)
    grouped = transposed_layout(np.ones((4, 2, 2)), np.ones((4, 3, 1, 1)), groups=2)
    assert grouped.out_shape == (6, 2, 2) and grouped.groups == 2 and not grouped.flat


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (dict(stride=2, output_padding=2), "smaller than the stride"),
        (dict(padding=3), "crops away"),
        (dict(padding="same"), "'valid'"),
        (dict(groups=3), "groups"),
    ],
)
def test_transposed_layout_refuses_what_the_transposed_convolution_refuses(options, words):
    x, w = np.ones((2, 1, 2)), np.ones((2, 1, 1, 2))
    for call in (transposed_layout, conv_transpose2d):
        with pytest.raises(ProblemError, match=words) as err:
            call(x, w, **options)
        assert "\n" not in str(err.value)


# ----- refusals -------------------------------------------------------------------------------


def test_output_padding_must_be_smaller_than_stride_or_dilation():
    with pytest.raises(ProblemError, match="smaller than the stride or the dilation") as err:
        conv_transpose2d([[1, 2]], [[1, 1]], stride=2, output_padding=2)
    assert "\n" not in str(err.value)
    # allowed when smaller than the dilation, though not the stride (PyTorch's rule)
    assert conv_transpose2d([[1, 2]], [[1, 1]], stride=1, dilation=2, output_padding=1).shape == (
        2,
        5,
    )


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: conv2d_backward([[1, 2]], [[1]], [[1]]), "output shape"),
        (
            lambda: conv2d_backward(
                np.ones((3, 2, 2)), np.ones((2, 1, 1, 1)), np.ones((2, 2, 2)), groups=2
            ),
            "groups",
        ),
        (
            lambda: conv2d_backward(np.ones((2, 2, 2)), np.ones((2, 1, 1, 1)), np.ones((2, 2, 2))),
            "input channels per group",
        ),
        (lambda: conv2d_backward([[1, 2]], np.ones((1, 1, 1, 1)), [[1, 2]]), "all with channels"),
        (lambda: conv_transpose2d(np.ones((2, 2, 2)), np.ones((3, 1, 1, 1))), "first dimension"),
        (lambda: conv_transpose2d([[1]], [[1]], bias=[1, 2]), "one number per output channel"),
        (lambda: conv_transpose2d([[1, 2]], [[1, 1]], padding=3), "crops away"),
        (lambda: conv_transpose2d([[1]], [[1]], padding="same"), "'valid'"),
        (lambda: conv2d_backward([[1, 2]], [[1]], [[1, 2]], groups=0), "groups"),
        (lambda: conv2d_backward([[1, float("nan")]], [[1]], [[1, 2]]), "finite"),
    ],
)
def test_refusals_are_one_line(call, words):
    with pytest.raises(ProblemError, match=words) as err:
        call()
    assert "\n" not in str(err.value)


def test_dense_matrix_has_a_size_guard():
    with pytest.raises(TooLargeError, match="matrix"):
        transposed_by_matrix(np.ones((1, 40, 40)), np.ones((1, 1, 3, 3)), stride=2)


def test_two_dimensional_forms_keep_two_dimensions():
    gx, gw, gb = conv2d_backward(np.ones((4, 4)), np.ones((2, 2)), np.ones((3, 3)))
    assert gx.shape == (4, 4) and gw.shape == (2, 2) and gb.shape == (1,)
    assert conv_transpose2d(np.ones((2, 2)), np.ones((2, 2))).shape == (3, 3)
    assert gx.dtype == np.float64
