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
and adds kh − 1 products' sums. On BLAS's threads (free cores), where the copying is
serial while the products use both cores, that is worth most: see :func:`fits` for where
it is taken (the others keep the patch blocks).
"""

from __future__ import annotations

import numpy as np

from explainer.core.layer_blocks import padded_rows
from explainer.core.sliding import Plan

# Where the products over rows beat the patch blocks (measured idle with BLAS's threads,
# rows ÷ patches, float32/float64): 64→64 channels at 56×56 3×3 0.73/0.73, 128→128 at 28×28
# 0.98/0.87, 32→32 at 16×16 7×7 0.77/0.77; but 64→128 at 56×56 1.76/1.27 (each kernel
# row's product reads and writes all the sums again: more filters than the copies saved
# are worth), 256→256 at 7×7 1.35/1.63 and 64→64 at 8×8 1.02/1.06 (few pixels: small
# products, and the dropped columns a larger share). So: K = kw·C_g at least MIN_DEPTH
# deep, fewer filters per group than C_g·(kw − 1), and MIN_PIXELS output pixels.
MIN_DEPTH = 24
MIN_PIXELS = 256
# Values in one block (its stacked rows and two sums per filter and flat column), one block
# at a time on BLAS's threads, so a big one: each product wakes the threads and waits for
# them, and fewer, wider products waited less. Measured idle against im2col on the
# 64-channel 56×56 3×3 layer (float32, float64): 2¹⁹ values 0.96×, 1.05×; 2²⁰ 0.83×,
# 0.98×; 2²¹ 0.86×, 0.91× (the whole layer in one block: 4.2 MB of float32, half of
# im2col's matrix).
BLOCK_ELEMENTS = 1 << 21


def fits(plan: Plan, groups: int, weight: np.ndarray) -> bool:
    """True when a float layer on BLAS's threads is summed over flattened rows (see the
    measurements above)."""
    c_out, cg, kh, kw = weight.shape
    oh, ow = plan.output_shape
    return (
        plan.stride == (1, 1)
        and kh * kw > 1
        and kw * cg >= MIN_DEPTH
        and c_out // groups < cg * (kw - 1)
        and oh * ow >= MIN_PIXELS
    )


def row_sums(
    plan: Plan,
    groups: int,
    x: np.ndarray,
    weight: np.ndarray,
    out: np.ndarray,
    divisors: np.ndarray | None,
    bias: np.ndarray | None,
    *,
    budget: int = BLOCK_ELEMENTS,
) -> np.ndarray:
    """Σ_c Σ_m Σ_n x·w of every output element of a stride-1 layer into ``out`` (C_out,
    rows, columns), summed in ``weight``'s float type, divided by ``divisors`` and added to
    ``bias`` per filter, and rounded once into ``out``'s type.

    Blocks of output rows hold at most ``budget`` values each (the stacked rows and two
    sums per filter and flat column), one at a time: BLAS's threads share each product.
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
    rows = max(1, min(oh, (budget - kw * c_in * extra_rows * width) // per_row))
    rows = -(-oh // -(-oh // rows))  # blocks of equal height
    grouped = x.reshape(groups, cg, *x.shape[1:])
    scale = None if divisors is None else divisors[:, None, None]
    shift = None if bias is None else bias[:, None, None]

    span_max = (rows + extra_rows) * width
    stack = np.empty((groups, kw, cg, span_max), dtype=work)
    sums = np.empty(c_out * rows * width, dtype=work)
    partial = np.empty(c_out * rows * width, dtype=work)
    for i0 in range(0, oh, rows):
        i1 = min(i0 + rows, oh)
        _stack_rows(plan, grouped, i0, i1, stack)
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

    return out


def _stack_rows(plan: Plan, grouped: np.ndarray, i0: int, i1: int, stack: np.ndarray) -> None:
    """``stack[g, n, c, q] = flat[g·C_g + c, q + d·n]``: the padded input rows under output
    rows [i0, i1), each channel's flattened, once per kernel column n.

    The padded rows go straight into the first copy (shift 0), which the others copy
    shifted; the last d·n values of copy n fall past the input, and only dropped columns
    read them (zeros, so that they stay finite).
    """
    groups, kw, cg = stack.shape[:3]
    start, stop = plan.input_rows(i0, i1)
    width = plan.column_source.size
    span = (stop - start) * width
    first = stack[:, 0, :, :span].reshape(groups, cg, stop - start, width)
    padded_rows(plan, grouped, i0, i1, into=first)
    for n in range(1, kw):
        shift = plan.dilation[1] * n
        stack[:, n, :, : span - shift] = stack[:, 0, :, shift:span]
        stack[:, n, :, span - shift : span] = 0
