"""derive_pixel as it was before issue 12 (per tap, all four indices substituted into
the whole product), kept verbatim so that benchmarks compare in the same run."""

from __future__ import annotations

import sympy as sp

from explainer.core.engine import exact_values
from explainer.core.problem import Problem
from explainer.proof.symbolic import (
    PixelDerivation,
    Times,
    _scale,
    _summand,
    _with_scale,
    border_value,
    i,
    j,
    m,
    n,
    to_sympy,
    x,
)


def derive_all(problem: Problem) -> tuple[PixelDerivation, ...]:
    oh, ow = problem.output_shape
    return tuple(derive_pixel(problem, r, c) for r in range(oh) for c in range(ow))


def derive_pixel(problem: Problem, row: int, col: int) -> PixelDerivation:
    image = exact_values(problem.image)
    kernel = exact_values(problem.kernel)
    summand = _summand(problem)
    kh, kw = problem.kernel.shape
    h, wd = image.shape
    symbolic_terms, number_terms, products, padded = [], [], [], []
    for mm in range(kh):
        for nn in range(kw):
            term = summand.xreplace({i: row, j: col, m: mm, n: nn})
            xi, wi = sorted(term.args, key=lambda a: a.base != x)  # x first, then w
            term = sp.Mul(xi, wi, evaluate=False)
            r, c = (int(v) for v in xi.indices)
            a, b = (int(v) for v in wi.indices)
            value_x = to_sympy(border_value(image, r, c, problem.padding_mode))
            value_w = to_sympy(kernel[a, b])
            symbolic_terms.append(term)
            number_terms.append(Times(value_x, value_w))
            products.append(value_x * value_w)
            padded.append(not (0 <= r < h and 0 <= c < wd))
    scale = _scale(problem)
    expansion = _with_scale(scale, sp.Add(*symbolic_terms, evaluate=False))
    substituted = _with_scale(scale, sp.Add(*number_terms, evaluate=False))
    return PixelDerivation(
        index=(row, col),
        expansion=expansion,
        substituted=substituted,
        products=tuple(products),
        value=substituted.doit(),
        in_padding=tuple(padded),
    )
