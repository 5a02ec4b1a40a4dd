"""Deriving axis by axis gives the very expressions of substituting into every product.

The reference is the straightforward derivation: the whole summand, with all four indices
substituted by sympy for each tap of each pixel (how derive_pixel worked before it
substituted per axis). Equal expressions, equal printing in every form.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from explainer import ExplainerError, Problem, TooLargeError
from explainer.core.engine import exact_values
from explainer.outputs import formulas
from explainer.proof import symbolic
from explainer.proof.symbolic import Times, border_value, i, j, m, n, to_sympy, x


def reference_pixel(problem: Problem, row: int, col: int):
    image, kernel = exact_values(problem.image), exact_values(problem.kernel)
    summand = symbolic._summand(problem)
    kh, kw = problem.kernel.shape
    h, wd = image.shape
    terms, numbers, products, padded = [], [], [], []
    for mm in range(kh):
        for nn in range(kw):
            term = summand.xreplace({i: row, j: col, m: mm, n: nn})
            xi, wi = sorted(term.args, key=lambda a: a.base != x)
            r, c = (int(v) for v in xi.indices)
            a, b = (int(v) for v in wi.indices)
            value_x = to_sympy(border_value(image, r, c, problem.padding_mode))
            value_w = to_sympy(kernel[a, b])
            terms.append(sp.Mul(xi, wi, evaluate=False))
            numbers.append(Times(value_x, value_w))
            products.append(value_x * value_w)
            padded.append(not (0 <= r < h and 0 <= c < wd))
    scale = symbolic._scale(problem)

    def scaled(body):
        return body if scale is None else sp.Mul(scale, body, evaluate=False)

    substituted = scaled(sp.Add(*numbers, evaluate=False))
    return scaled(sp.Add(*terms, evaluate=False)), substituted, tuple(products), padded


def assert_same(problem: Problem) -> None:
    oh, ow = problem.output_shape
    derived = symbolic.derive_all(problem)
    assert len(derived) == oh * ow
    for pix in derived:
        expansion, substituted, products, padded = reference_pixel(problem, *pix.index)
        assert pix.expansion == expansion and pix.substituted == substituted
        assert pix.products == products and list(pix.in_padding) == padded
        assert pix.value == substituted.doit()
        for form in (formulas.latex, formulas.linear, formulas.pretty):
            assert form(pix.expansion) == form(expansion)
            assert form(pix.substituted) == form(substituted)


@settings(max_examples=25, deadline=None)
@given(
    h=st.integers(1, 6),
    w_=st.integers(1, 6),
    kh=st.integers(1, 3),
    kw=st.integers(1, 3),
    stride=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    pad=st.tuples(*[st.integers(0, 2)] * 4),
    mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
    flip=st.booleans(),
    normalize=st.sampled_from([None, "area", "sum"]),
    seed=st.integers(0, 2**32),
)
def test_property_axis_derivation_equals_the_per_product_one(
    h, w_, kh, kw, stride, dilation, pad, mode, flip, normalize, seed
):
    rng = np.random.default_rng(seed)
    image = rng.integers(-3, 4, (h, w_))
    kernel = np.array([[Fraction(int(v), 2) for v in row] for row in rng.integers(-3, 4, (kh, kw))])
    try:
        problem = Problem(
            image,
            kernel,
            stride=stride,
            dilation=dilation,
            padding=pad,
            padding_mode=mode,
            flip=flip,
            normalize=normalize,
        )
    except ExplainerError:
        assume(False)
    assert_same(problem)


def test_lecture_derivation_equals_the_per_product_one():
    from explainer import lecture_problem

    assert_same(lecture_problem())


def test_size_limit_says_what_it_counts():
    problem = Problem(np.zeros((200, 200), dtype=int), np.ones((3, 3), dtype=int))
    with pytest.raises(TooLargeError) as err:
        symbolic.derive_all(problem)
    message = str(err.value)
    assert "352,836 products" in message and "at most 100,000 products" in message
    assert "minute" not in message
