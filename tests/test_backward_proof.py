"""sympy's gradients of the backward pass, against sympy used independently in the test.

The reference here builds the loss L = Σ g·y itself, fully expanded from its own loops
(with numpy's padding modes deciding which pixel a border copies), and differentiates it
with sympy.diff; explainer.proof.backward must give the same derivative and value for
every element, and agree with the engine on all of them.
"""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_strategies import layers

from explainer import ProblemError, TooLargeError
from explainer.proof import backward as backward_proof
from explainer.proof.backward import (
    BackwardDerivation,
    derive_input_gradient,
    derive_weight_gradient,
    verify_backward,
    verify_transposed,
)

NUMPY_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def expanded_loss(shape_x, shape_w, g, stride, padding, dilation, groups, mode):
    """L = Σ g·y in symbols X[c, r, q] and W[o, c, m, n], expanded, by the test's own loops.

    Which image pixel a border position holds comes from numpy.pad applied to the array of
    pixel numbers (−1 for a zero border).
    """
    c_in, h, wd = shape_x
    c_out, per_group, kh, kw = shape_w
    top, bottom, left, right = padding
    numbering = np.arange(c_in * h * wd).reshape(shape_x)
    if mode == "zeros":
        where = np.pad(numbering, ((0, 0), (top, bottom), (left, right)), constant_values=-1)
    else:
        where = np.pad(numbering, ((0, 0), (top, bottom), (left, right)), mode=NUMPY_MODES[mode])
    X, W = sp.IndexedBase("x"), sp.IndexedBase("w")
    oh = (where.shape[1] - dilation * (kh - 1) - 1) // stride + 1
    ow = (where.shape[2] - dilation * (kw - 1) - 1) // stride + 1
    total = 0
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                for c in range(per_group):
                    channel = (o // (c_out // groups)) * per_group + c
                    for m in range(kh):
                        for n in range(kw):
                            k = where[channel, stride * i + dilation * m, stride * j + dilation * n]
                            if k >= 0:
                                r, q = divmod(int(k) % (h * wd), wd)
                                total += (
                                    sp.Rational(g[o][i][j])
                                    * X[int(k) // (h * wd), r, q]
                                    * W[o, c, m, n]
                                )
    return sp.expand(total), X, W


def _numbers(X, W, x, w):
    values = {}
    for idx, v in np.ndenumerate(np.asarray(x, dtype=object)):
        values[X[idx]] = sp.Rational(v)
    for idx, v in np.ndenumerate(np.asarray(w, dtype=object)):
        values[W[idx]] = sp.Rational(v)
    return values


def test_lecture_layer_every_gradient_element_proved(lecture_arrays):
    """The lecture's X and diagonal filter; the error is the result minus a target."""
    image, kernel = lecture_arrays
    target = np.zeros((7, 7), dtype=object)
    target[1, 1] = target[5, 5] = 9
    x, w = np.array(image), np.array(kernel)
    y = np.array(
        [
            [sum(x[i + m, j + n] * w[m, n] for m in range(3) for n in range(3)) for j in range(7)]
            for i in range(7)
        ],
        dtype=object,
    )
    error = (y - target) / Fraction(9)
    v = verify_backward(image, kernel, error.tolist())
    assert v.ok and v.checked == 81 + 9 + 1


def test_one_weight_term_by_term_against_the_tests_own_diff():
    x = [[1, 2, 0], [-1, 3, 1], [2, 0, 1]]
    w = [[1, -1], [2, 0]]
    g = [[Fraction(1, 2), -1], [3, 0]]
    loss, X, W = expanded_loss((1, 3, 3), (1, 1, 2, 2), [g], 1, (0,) * 4, 1, 1, "zeros")
    d = derive_weight_gradient(x, w, g, (1, 0))
    ours = sp.diff(loss, W[0, 0, 1, 0])
    # the module's 2D symbols drop the channel index: compare after renaming
    renamed = ours.xreplace(
        {X[0, r, q]: sp.IndexedBase("x")[r, q] for r in range(3) for q in range(3)}
    )
    g_values = {sp.IndexedBase("g")[i, j]: sp.Rational(g[i][j]) for i in range(2) for j in range(2)}
    assert sp.expand(d.derivative.xreplace(g_values)) == renamed
    # ∂L/∂w[1,0] = Σ g[i,j]·x[1+i, j] = ½·(−1) + (−1)·3 + 3·2 + 0·0
    assert d.value == Fraction(5, 2) == ours.xreplace(_numbers(X, W, [x], [[w]]))
    assert d.terms == 4


def small_layers():
    """Layers small enough for sympy: kernels up to 2×3, images up to 3 past their span."""
    return layers(kernel=(2, 3), extra=3, stride=2, padding=2, numbers=(3, 2, 4))


@settings(max_examples=25, deadline=None)
@given(small_layers(), st.data())
def test_module_derivatives_equal_the_tests_own_sympy_diff(layer, data):
    x, w, g, options = layer
    loss, X, W = expanded_loss(
        x.shape,
        w.shape,
        g.tolist(),
        options["stride"],
        options["padding"],
        options["dilation"],
        options["groups"],
        options["padding_mode"],
    )
    numbers = _numbers(X, W, x, w)
    derivation = BackwardDerivation(x, w, g, **options)
    widx = tuple(data.draw(st.integers(0, n - 1)) for n in w.shape)
    xidx = tuple(data.draw(st.integers(0, n - 1)) for n in x.shape)
    assert derivation.weight(*widx).value == sp.diff(loss, W[widx]).xreplace(numbers)
    assert derivation.input(*xidx).value == sp.diff(loss, X[xidx]).xreplace(numbers)
    # the same derivative when sympy differentiates the module's whole loss at once
    assert derivation.input(*xidx, whole_loss=True).derivative == derivation.input(*xidx).derivative


@settings(max_examples=20, deadline=None)
@given(small_layers())
def test_every_element_proved_against_the_engine(layer):
    x, w, g, options = layer
    v = verify_backward(x, w, g, **options)
    assert v.ok, v.mismatches[:3]
    assert v.checked == x.size + w.size + w.shape[0]


def test_a_wrong_engine_value_is_reported(monkeypatch):
    real = backward_proof.conv2d_backward

    def off_by_one(*args, **kwargs):
        gx, gw, gb = real(*args, **kwargs)
        gw = gw.copy()
        gw[0, 1] += 1
        return gx, gw, gb

    monkeypatch.setattr(backward_proof, "conv2d_backward", off_by_one)
    v = verify_backward([[1, 2, 3], [4, 5, 6]], [[1, 1]], [[1, 0], [0, 1]])
    assert not v.ok
    assert [(m.of, m.index, m.engine - m.sympy) for m in v.mismatches] == [("weight", (0, 1), 1)]


@pytest.mark.parametrize(
    "options",
    [
        dict(stride=2),
        dict(stride=2, padding=1, output_padding=1),
        dict(stride=(1, 3), padding=(0, 1, 2, 0), dilation=(2, 1), output_padding=(1, 2)),
        dict(stride=1, dilation=2, output_padding=1),  # output_padding ≥ stride, < dilation
    ],
)
def test_transposed_convolution_is_the_gradient_and_its_views_agree(options):
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 4, (2, 3, 2))
    w = rng.integers(-3, 4, (2, 2, 2, 3))
    v = verify_transposed(x, w, **options)
    assert v.ok, v.mismatches[:3]
    v = verify_transposed(x, w[:, :1], groups=2, **options)
    assert v.ok, v.mismatches[:3]


def test_transposed_gradient_by_hand():
    # ∂/∂z ⟨conv2d(z, [1, 1, 1], stride 2), x⟩ for x = [1, 2]: stamps at 0 and 2
    d = derive_input_gradient([[0, 0, 0, 0, 0]], [[1, 1, 1]], [[1, 2]], (0, 2), stride=2)
    assert (
        d.derivative
        == sp.IndexedBase("g")[0, 0] * sp.IndexedBase("w")[0, 2]
        + sp.IndexedBase("g")[0, 1] * sp.IndexedBase("w")[0, 0]
    )
    assert d.value == 3


def test_refusals():
    with pytest.raises(ProblemError, match="exact numbers"):
        verify_backward([[0.5, 1.0]], [[1]], [[1, 1]])
    with pytest.raises(ProblemError, match="outside"):
        derive_weight_gradient([[1, 2]], [[1]], [[1, 1]], (0, 1))
    with pytest.raises(TooLargeError, match="products"):
        verify_backward(
            np.ones((4, 60, 60), np.int64),
            np.ones((4, 4, 3, 3), np.int64),
            np.ones((4, 58, 58), np.int64),
        )


def test_import_explainer_leaves_sympy_until_the_proof_is_used():
    code = (
        "import sys, explainer\n"
        "explainer.conv2d_backward([[1, 2]], [[1]], [[1, 1]])\n"
        "explainer.conv_transpose2d([[1, 2]], [[1, 1]], stride=2)\n"
        "before = 'sympy' in sys.modules\n"
        "ok = explainer.verify_backward([[1, 2]], [[1]], [[1, 1]]).ok\n"
        "print(before, 'sympy' in sys.modules, ok, 'verify_transposed' in dir(explainer))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False True True True"
