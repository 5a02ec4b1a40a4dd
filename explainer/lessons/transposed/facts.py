"""What is true of one transposed convolution, read from the engine and its three views.

The writer words sentences from these facts only; the verifier checks the claims they
make by its own computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from explainer.backward_request import Rows, TransposedProblem, exact_rows, tidy
from explainer.core.backward import (
    conv_matrix,
    conv_transpose2d,
    transposed_by_matrix,
    transposed_by_scatter,
    transposed_by_zero_insertion,
    transposed_overlap,
    zero_inserted,
)

Number = int | Fraction
Pos = tuple[int, int]


@dataclass(frozen=True)
class Axis:
    """One axis: (n_in, k, stride, padding both sides, dilation, output_padding, n_out),
    the zeros inserted and the padding of the zero-insertion view, and the overlap counts
    inside (see :class:`~explainer.lessons.backward_claims.Checkerboard`)."""

    n_in: int
    k: int
    stride: int
    padding: int
    dilation: int
    output_padding: int
    n_out: int
    before: int
    after: int
    inside: tuple[int, ...]


@dataclass(frozen=True)
class TransposedFacts:
    problem: TransposedProblem
    output: Rows
    views: dict[str, Rows]
    overlap: Rows
    axes: tuple[Axis, Axis]
    stamps: dict[Pos, Rows]
    """The stamps, alone, of the first input pixel that is not 0 and of its right
    neighbour (one stride further)."""
    pixel: Pos | None
    """The output pixel with the most stamp products that are not 0 (then the most stamps;
    the first, row-major); None when the
    padding crops every stamp away."""
    parts: tuple[tuple[Number, ...], ...]
    spread: Rows
    rotated: Rows
    matrix: tuple[int, int, int]
    """The convolution's matrix M: rows, columns, nonzero entries."""

    @property
    def options(self) -> dict:
        p = self.problem
        return dict(stride=p.stride, padding=p.padding, output_padding=p.output_padding,
                    dilation=p.dilation)  # fmt: skip


def _kw(p: TransposedProblem) -> dict:
    return dict(stride=p.stride, padding=p.padding, output_padding=p.output_padding,
                dilation=p.dilation)  # fmt: skip


def _axis(p: TransposedProblem, a: int, n_out: int) -> Axis:
    n = (len(p.input), len(p.input[0]))[a]
    k = (len(p.kernel), len(p.kernel[0]))[a]
    s, d, extra = p.stride[a], p.dilation[a], p.output_padding[a]
    before, after = p.padding[2 * a], p.padding[2 * a + 1]
    counts = [0] * n_out
    for i in range(n):
        for m in range(k):
            r = s * i + d * m - before
            if 0 <= r < n_out:
                counts[r] += 1
    lo, hi = max(d * (k - 1) - before, 0), min(s * (n - 1) - before, n_out - 1)
    inside = tuple(sorted({counts[r] for r in range(lo, hi + 1)}))
    reach = d * (k - 1)
    return Axis(n, k, s, before + after, d, extra, n_out, reach - before,
                reach - after + extra, inside)  # fmt: skip


def facts_of(p: TransposedProblem) -> TransposedFacts:
    a = np.array(p.input, dtype=object)
    k = np.array(p.kernel, dtype=object)
    kw = _kw(p)
    out = exact_rows(conv_transpose2d(a, k, **kw))
    views = {
        "scatter": exact_rows(transposed_by_scatter(a, k, **kw)),
        "zero-insertion": exact_rows(transposed_by_zero_insertion(a, k, **kw)),
        "matrix": exact_rows(transposed_by_matrix(a, k, **kw)),
    }
    overlap = exact_rows(transposed_overlap(a.shape, k.shape, **kw))
    oh, ow = len(out), len(out[0])
    axes = (_axis(p, 0, oh), _axis(p, 1, ow))
    # The first pixel that is not 0 (and has a right neighbour), and that neighbour.
    starts = [(i, j) for i in range(a.shape[0]) for j in range(a.shape[1] - 1) if a[i, j] != 0]
    i0, j0 = starts[0] if starts else (0, 0)
    firsts = [(i0, j0)] + ([(i0, j0 + 1)] if a.shape[1] > 1 else [])
    stamps = {}
    for pos in firsts:
        alone = np.zeros(a.shape, dtype=object)
        alone[pos] = a[pos]
        stamps[pos] = exact_rows(conv_transpose2d(alone, k, **kw))
    landing: dict[Pos, list] = {}
    (sr, sc), (dr, dc), (top, _, left, _) = p.stride, p.dilation, p.padding
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            for m in range(k.shape[0]):
                for n in range(k.shape[1]):
                    at = (sr * i + dr * m - top, sc * j + dc * n - left)
                    if 0 <= at[0] < oh and 0 <= at[1] < ow:
                        landing.setdefault(at, []).append((i, j, m, n, a[i, j], k[m, n]))

    def busy(at: Pos) -> tuple[int, int]:
        return sum(1 for *_, u, v in landing[at] if u * v != 0), len(landing[at])

    pixel = max(sorted(landing), key=busy) if landing else None
    spread = zero_inserted(a, k, **kw)
    m = conv_matrix((oh, ow), k, stride=p.stride, padding=p.padding, dilation=p.dilation)
    kept = _kept_rows(m, p, oh, ow)
    return TransposedFacts(
        problem=p,
        output=out,
        views=views,
        overlap=overlap,
        axes=axes,
        stamps=stamps,
        pixel=pixel,
        parts=tuple(sorted(tuple(tidy(v) for v in part) for part in landing.get(pixel, ()))),
        spread=exact_rows(spread),
        rotated=exact_rows(k[::-1, ::-1]),
        matrix=(kept.shape[0], kept.shape[1], int(np.count_nonzero(kept != 0))),
    )


def _kept_rows(m: np.ndarray, p: TransposedProblem, oh: int, ow: int) -> np.ndarray:
    """The rows of M for the input's pixels (the convolution's output may be larger)."""
    (sr, sc), (dr, dc) = p.stride, p.dilation
    top, bottom, left, right = p.padding
    kh, kw = len(p.kernel), len(p.kernel[0])
    ch = (oh + top + bottom - dr * (kh - 1) - 1) // sr + 1
    cw = (ow + left + right - dc * (kw - 1) - 1) // sc + 1
    h, w = len(p.input), len(p.input[0])
    return m.reshape(ch, cw, -1)[:h, :w].reshape(h * w, -1)
