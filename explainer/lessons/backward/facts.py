"""What is true of one filter's learning step, read from the engine and the sympy proof.

The writer words sentences from these facts only; the verifier checks the claims they
make by its own computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from explainer.backward_request import BackwardProblem, Rows, exact_rows, rows_of, tidy
from explainer.core.backward import conv2d_backward, conv_transpose2d
from explainer.core.conv import conv2d

Number = int | Fraction
Pos = tuple[int, int]


@dataclass(frozen=True)
class BackwardFacts:
    problem: BackwardProblem
    map: Rows
    error: Rows
    squares: Number
    loss: Number
    focus: Pos
    """The output pixel the error section speaks of: the first with the largest |error|."""
    weight_gradient: Rows
    weight: Pos
    """The weight whose derivative is shown term by term: the first largest |gradient|."""
    terms: tuple[tuple[Number, ...], ...]
    """sympy's terms of ∂L/∂w[weight]: (i, j, r, q, e[i, j], x[r, q]), row-major."""
    term_total: Number
    filter_after: Rows
    map_after: Rows
    error_after: Rows
    squares_after: Number
    loss_after: Number
    closer: int
    farther: int
    image_gradient: Rows
    stamp: Rows
    """The stamp of the focus error pixel alone, on an image-shaped grid."""
    pixel: Pos
    """The image pixel whose stamps are added up: most stamps, then largest |gradient|."""
    parts: tuple[tuple[Number, ...], ...]

    @property
    def direction(self) -> str:
        before, after = self.loss, self.loss_after
        return "falls" if after < before else "rises" if after > before else "stays"


def _map(p: BackwardProblem, w: Rows) -> Rows:
    x = np.array(p.image, dtype=object)
    out = conv2d(x, np.array(w, dtype=object), stride=p.stride, padding=p.padding,
                 dilation=p.dilation)  # fmt: skip
    return exact_rows(out)


def _first_largest(grid: Rows) -> Pos:
    top = max(abs(v) for row in grid for v in row)
    return next((i, j) for i, row in enumerate(grid) for j, v in enumerate(row) if abs(v) == top)


def _sympy_terms(p: BackwardProblem, error: Rows, weight: Pos):
    """sympy's derivative of the loss with respect to one weight, split into its terms."""
    import sympy as sp

    from explainer.proof.backward import BackwardDerivation

    layer = BackwardDerivation(
        np.array(p.image, dtype=object),
        np.array(p.weight, dtype=object),
        np.array(error, dtype=object),
        stride=p.stride,
        padding=p.padding,
        dilation=p.dilation,
    )
    d = layer.weight(*weight)
    terms = []
    for term in sp.Add.make_args(d.derivative):
        if term == 0:
            continue
        found = {str(f.base): tuple(int(v) for v in f.indices) for f in term.args}
        (i, j), (r, q) = found["g"], found["x"]
        terms.append((i, j, r, q, error[i][j], p.image[r][q]))
    terms.sort()
    return tuple(terms), tidy(Fraction(int(d.value.p), int(d.value.q)))


def facts_of(p: BackwardProblem) -> BackwardFacts:
    y = _map(p, p.weight)
    e = tuple(
        tuple(tidy(a - b) for a, b in zip(ry, rt, strict=True))
        for ry, rt in zip(y, p.target, strict=True)
    )
    squares = tidy(sum(v * v for row in e for v in row))
    gx, gw, _ = conv2d_backward(
        np.array(p.image, dtype=object),
        np.array(p.weight, dtype=object),
        np.array(e, dtype=object),
        stride=p.stride,
        padding=p.padding,
        dilation=p.dilation,
    )
    gw, gx = exact_rows(gw), exact_rows(gx)
    weight = _first_largest(gw)
    terms, total = _sympy_terms(p, e, weight)
    rate = p.learning_rate
    after = tuple(
        tuple(tidy(w - rate * g) for w, g in zip(rw, rg, strict=True))
        for rw, rg in zip(p.weight, gw, strict=True)
    )
    y2 = _map(p, after)
    e2 = tuple(
        tuple(tidy(a - b) for a, b in zip(ry, rt, strict=True))
        for ry, rt in zip(y2, p.target, strict=True)
    )
    squares2 = tidy(sum(v * v for row in e2 for v in row))
    pairs = [
        (abs(a), abs(b)) for ra, rb in zip(e, e2, strict=True) for a, b in zip(ra, rb, strict=True)
    ]
    focus = _first_largest(e)
    # One error pixel's stamp alone: the transposed convolution of an error map holding
    # only that pixel (output_padding fills the rows a stride leaves unread).
    alone = np.zeros(p.output_shape, dtype=object)
    alone[focus] = e[focus[0]][focus[1]]
    stamp = exact_rows(_transposed(p, alone))
    pixel, parts = _busiest(p, e, gx)
    return BackwardFacts(
        problem=p,
        map=y,
        error=e,
        squares=squares,
        loss=tidy(Fraction(squares) / 2),
        focus=focus,
        weight_gradient=gw,
        weight=weight,
        terms=terms,
        term_total=total,
        filter_after=after,
        map_after=y2,
        error_after=e2,
        squares_after=squares2,
        loss_after=tidy(Fraction(squares2) / 2),
        closer=sum(b < a for a, b in pairs),
        farther=sum(b > a for a, b in pairs),
        image_gradient=gx,
        stamp=stamp,
        pixel=pixel,
        parts=parts,
    )


def _transposed(p: BackwardProblem, grid) -> np.ndarray:
    """conv_transpose2d of an error-shaped grid, on the image's shape: output_padding adds
    the rows and columns a stride leaves unread (fewer than the stride)."""
    h, w = len(p.image), len(p.image[0])
    kernel = np.array(p.weight, dtype=object)
    opts = dict(stride=p.stride, padding=p.padding, dilation=p.dilation)
    base = conv_transpose2d(grid, kernel, **opts).shape
    return conv_transpose2d(grid, kernel, output_padding=(h - base[0], w - base[1]), **opts)


def _busiest(p: BackwardProblem, e: Rows, gx: Rows) -> tuple[Pos, tuple]:
    """The image pixel most stamps land on (then the largest |∂L/∂x|), and those stamps."""
    (sr, sc), (dr, dc), (top, _, left, _) = p.stride, p.dilation, p.padding
    kh, kw = len(p.weight), len(p.weight[0])
    landing: dict[Pos, list] = {}
    for i, row in enumerate(e):
        for j, v in enumerate(row):
            for m in range(kh):
                for n in range(kw):
                    at = (sr * i + dr * m - top, sc * j + dc * n - left)
                    landing.setdefault(at, []).append((i, j, m, n, v, p.weight[m][n]))
    inside = {k: v for k, v in landing.items() if 0 <= k[0] < len(gx) and 0 <= k[1] < len(gx[0])}
    best = max(inside, key=lambda k: (len(inside[k]), abs(gx[k[0]][k[1]]), -k[0], -k[1]))
    return best, tuple(sorted(inside[best]))


__all__ = ["BackwardFacts", "facts_of", "rows_of"]
