"""The float sums of a stride-1 layer as products over flattened rows: no patch matrix.

A block's padded input rows, each channel flattened to one row of values, are read at an
offset per kernel tap: output pixel (i, j) of the block is flat column p = i·Wp + j (Wp
the padded width), and tap (m, n) reads the flat input at p + d·m·Wp + d·n. So for each
tap the whole block is one plain matrix, ``X[c, p] = flat[c, p + offset]``, that BLAS
reads where it is. Stacking the kw column shifts of the flat rows (kw copies of the
input, where a patch matrix holds kh·kw) gives one product per kernel row m, K = kw·C_in
deep:

    sums[o, p] = Σ_m W_m[o, (n, c)] @ S[(n, c), p + d·m·Wp],   S[(n, c), q] = flat[c, q + d·n]

Each flat row also has Wp − ow columns past the last output column (they read into the
next row); they are computed and dropped, a few percent of the work at 56 columns. Against
the patch blocks (:func:`explainer.core.layer_engine._sums`) this copies a third of the
values for a 3×3 kernel, in whole contiguous rows instead of a six-dimensional gather,
and adds kh − 1 products' sums: measured on a 64-channel 56×56 float32 layer on one
BLAS thread, 0.80–0.95× im2col's time where the patch blocks took 1.13–1.24×
(``benchmarks/bench_layer.py``). Few channels per group (depthwise layers) make the
products too shallow for BLAS; those keep the patch blocks (:func:`fits`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from explainer.core.layer_blocks import in_threads, padded_rows
from explainer.core.sliding import Plan

# The least K (kernel columns × channels per group) for which the products over rows beat
# the patch blocks (measured with bench_layer.py --shapes).
MIN_DEPTH = 24
# Values in one block (its stacked rows and two sums per filter and flat column). On
# BLAS's threads one block at a time, so a big one: each product wakes the threads and
# waits for them, and fewer, wider products waited less. Measured idle against im2col on
# the 64-channel 56×56 3×3 layer (float32, float64): 2¹⁹ values 0.96×, 1.05×; 2²⁰ 0.83×,
# 0.98×; 2²¹ 0.86×, 0.91× (the whole layer in one block: 4.2 MB of float32, half of
# im2col's matrix). On threads of our own, a block per thread: 2¹⁸ 1.19×, 1.33×; 2¹⁹
# 0.91×, 1.25×.
BLAS_BLOCK_ELEMENTS = 1 << 21
THREAD_BLOCK_ELEMENTS = 1 << 19


def fits(plan: Plan, groups: int, weight: np.ndarray) -> bool:
    """True when a float layer is summed over flattened rows: stride 1, a kernel of more
    than one tap, and products deep enough for BLAS."""
    _, cg, kh, kw = weight.shape
    return plan.stride == (1, 1) and kh * kw > 1 and kw * cg >= MIN_DEPTH


def row_sums(
    plan: Plan,
    groups: int,
    x: np.ndarray,
    weight: np.ndarray,
    out: np.ndarray,
    divisors: np.ndarray | None,
    bias: np.ndarray | None,
    *,
    budget: int,
    count: int,
) -> np.ndarray:
    """Σ_c Σ_m Σ_n x·w of every output element of a stride-1 layer into ``out`` (C_out,
    rows, columns), summed in ``weight``'s float type, divided by ``divisors`` and added to
    ``bias`` per filter, and rounded once into ``out``'s type.

    Blocks of output rows hold at most ``budget`` values each (the stacked rows and two
    sums per filter and flat column), shared among ``count`` threads (1: the calling one,
    BLAS free to use its own threads).
    """
    c_in = x.shape[0]
    c_out, cg, kh, kw = weight.shape
    oh, ow = plan.output_shape
    dh, dw = plan.dilation
    per_group = c_out // groups
    work = weight.dtype
    width = plan.column_source.size  # the padded width Wp
    assert width >= ow + dw * (kw - 1)
    depth = kw * cg
    # rows_w[m][g, o, (n, c)] = W[g·per_group + o, c, m, n]
    rows_w = np.ascontiguousarray(
        weight.reshape(groups, per_group, cg, kh, kw).transpose(3, 0, 1, 4, 2)
    ).reshape(kh, groups, per_group, depth)
    extra_rows = dh * (kh - 1)
    per_row = (kw * c_in + 2 * c_out) * width
    rows = max(1, min(-(-oh // count), (budget - kw * c_in * extra_rows * width) // per_row))
    blocks = -(-oh // rows)
    blocks = min(oh, -(-blocks // count) * count)  # as many for every thread
    rows = -(-oh // blocks)  # of equal height
    starts = list(range(0, oh, rows))
    grouped = x.reshape(groups, cg, *x.shape[1:])
    scale = None if divisors is None else divisors[:, None, None]
    shift = None if bias is None else bias[:, None, None]

    def run(share: Iterable[int]) -> None:
        span_max = (rows + extra_rows) * width
        stack = np.empty((groups, kw, cg, span_max), dtype=work)
        sums = np.empty(c_out * rows * width, dtype=work)
        partial = np.empty(c_out * rows * width, dtype=work)
        for i0 in share:
            i1 = min(i0 + rows, oh)
            start, stop = plan.input_rows(i0, i1)
            span = (stop - start) * width
            # The padded rows go straight into the first copy (shift 0), which the others
            # copy shifted; the last d·n values of copy n fall past the input, and only
            # dropped columns read them.
            first = stack[:, 0, :, :span].reshape(groups, cg, stop - start, width)
            padded_rows(plan, grouped, i0, i1, into=first)
            for n in range(1, kw):
                shift_n = dw * n
                stack[:, n, :, : span - shift_n] = stack[:, 0, :, shift_n:span]
                stack[:, n, :, span - shift_n : span] = 0
            lhs = stack.reshape(groups, depth, span_max)
            size = (i1 - i0) * width
            target = sums[: c_out * size].reshape(groups, per_group, size)
            extra = partial[: c_out * size].reshape(groups, per_group, size)
            for m in range(kh):
                offset = dh * m * width
                np.matmul(rows_w[m], lhs[:, :, offset : offset + size], out=extra if m else target)
                if m:
                    np.add(target, extra, out=target)
            valid = target.reshape(c_out, i1 - i0, width)[:, :, :ow]
            block = out[:, i0:i1]
            if scale is not None:
                np.divide(valid, scale, out=valid)
            if shift is not None:
                np.add(valid, shift, out=block)  # float32: each sum rounded once
            else:
                np.copyto(block, valid, casting="same_kind")

    in_threads(run, starts, min(count, len(starts)))
    return out
