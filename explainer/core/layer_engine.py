"""Computing a layer: blocks of windows multiplied by the filters, exact or float (see
:mod:`explainer.core.layer`)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from explainer.core import layer_rows
from explainer.core.blas import blas_threads, one_blas_thread
from explainer.core.cpu_share import cores_taken_by_others
from explainer.core.engine import INT64_MAX, divided, over_common_denominator
from explainer.core.layer_blocks import (
    THREADED_WORK,
    in_threads,
    padded_rows,
    shifted_sums,
    workers,
)
from explainer.core.sliding import SINGLE_THREAD_PRODUCT, Plan, plan_of
from explainer.core.tensors import PRODUCT_COLUMNS, exact_tensor
from explainer.core.trace import Number

if TYPE_CHECKING:
    from explainer.core.layer import Layer

# Values in one block's patch matrix (each thread has its own): 2 MiB of float64, 1 MiB of
# float32, which gives each matrix product 448 columns (a 64-channel 3×3 layer) and BLAS
# most of its speed. Measured on one core against im2col (bench_layer.py): half as many
# values took 5–15% longer (a 64-channel 5×5 layer got one output row per product), twice
# as many gained at most 5%.
PATCH_BLOCK_ELEMENTS = 1 << 18
# On BLAS's own threads (free cores), twice as many: each product wakes them and waits
# for them, and fewer products waited less (measured against im2col, bench_layer.py).
BLAS_BLOCK_ELEMENTS = 1 << 19


def convolve(layer: Layer, *, exact: bool | None = None) -> np.ndarray:
    """The pre-activation maps of a validated layer: exact or float (see :func:`conv2d_layer`)."""
    if exact is None:
        exact = layer.exact
    return _exact_path(layer) if exact else _float_path(layer)


def layer_plan(layer: Layer) -> Plan:
    """The one-channel plan (shapes and index maps) every channel of the layer shares."""
    return plan_of(layer.geometry)


def _float_path(layer: Layer) -> np.ndarray:
    x = layer.input
    if x.dtype == object or x.dtype.kind in "iu":
        x = x.astype(np.float64)
    # Summed in the input's precision, as torch does: a float32 layer is one BLAS sgemm
    # per block (twice the speed and half the memory of float64), its weights read as
    # float32; anything else in float64.
    dtype = np.dtype(np.float32 if layer.input.dtype == np.float32 else np.float64)
    weight = layer.applied_weight.astype(dtype, copy=False)
    divisors = None
    if layer.normalize is not None:
        divisors = np.array([float(v) for v in layer.divisors])
    bias = None if layer.bias is None else layer.bias.astype(np.float64, copy=False)
    if bias is not None and dtype == np.float32:
        narrow = bias.astype(dtype)
        if np.array_equal(narrow, bias):
            # A float32 sum plus a float32 bias is exact in float64, so adding in float32
            # rounds the same: the same result at half the cost of a mixed-type addition.
            bias = narrow
    out = np.empty(layer.output_shape, dtype=dtype)
    plan = layer_plan(layer)
    if x.strides[2] != x.itemsize:
        x = np.ascontiguousarray(x)
    args = (plan, layer.groups, x, weight, out, divisors, bias)
    c_out, cg, kh, kw = weight.shape
    biggest = c_out // layer.groups * cg * kh * kw * out[0].size  # the whole as one product
    if biggest <= SINGLE_THREAD_PRODUCT or blas_single_threaded():
        return _float_sums(*args)
    if blas_threads() > 1 and not cores_taken_by_others():  # see explainer.core.cpu_share
        return _float_sums(*args, own_threads=False)
    with one_blas_thread() as limited:
        if limited:  # whole products per block, shared among threads of our own
            return _float_sums(*args)
        if plan.stride == (1, 1):  # small shifted products: no patch matrix at all
            return shifted_sums(*args)
        return _sums(*args, whole=False)


def _float_sums(*args, own_threads: bool = True) -> np.ndarray:
    """A float layer's sums by blocks of output rows: on BLAS's threads (free cores) over
    flattened rows where they fit (:mod:`explainer.core.layer_rows`), else by patch
    matrices (:func:`_sums`).

    Patch blocks shared among threads of our own copy their patches in parallel; on BLAS's
    threads the copying is serial and the rows' smaller copies pay (measured on threads of
    our own, rows ÷ patches: 0.87–1.01 for a 64-channel layer at 56×56, up to 1.46 with
    fewer pixels or more filters).
    """
    plan, groups, _, weight = args[:4]
    if not own_threads and layer_rows.fits(plan, groups, weight):
        return layer_rows.row_sums(*args)
    return _sums(*args, own_threads=own_threads)


def _exact_path(layer: Layer) -> np.ndarray:
    x, dx = over_common_denominator(exact_tensor(layer.input, "the input"))
    w, dw = over_common_denominator(exact_tensor(layer.applied_weight, "the weight"))
    c_out = layer.out_channels
    biases: list[Number] = [0] * c_out
    if layer.bias is not None:
        biases = exact_tensor(layer.bias, "the bias").tolist()
    # int64 when no partial sum (nor a sum plus an integer bias) can overflow it.
    largest = max(-int(x.min()), int(x.max())) if x.dtype != object else None
    fits = largest is not None and w.dtype != object
    if fits:
        worst = max(sum(abs(v) for v in f.ravel().tolist()) for f in w)
        extra = max(abs(int(b)) if isinstance(b, int) else 0 for b in biases)
        fits = largest * worst + extra <= INT64_MAX
    dtype = np.dtype(np.int64) if fits else np.dtype(object)
    plan = layer_plan(layer)
    sums = _sums(
        plan, layer.groups, x.astype(dtype), w.astype(dtype), np.empty(layer.output_shape, dtype)
    )
    scales = [Fraction(dx * dw) * Fraction(d) for d in layer.divisors]
    whole = all(s == 1 for s in scales) and all(isinstance(b, int) for b in biases)
    if whole and layer.normalize is None:
        if any(biases):
            sums += np.array(biases, dtype=dtype)[:, None, None]
        objects = any(
            a is not None and a.dtype == object for a in (layer.input, layer.weight, layer.bias)
        )
        return sums.astype(object) if objects and dtype.kind != "O" else sums
    out = np.empty(sums.shape, dtype=object)
    for o in range(c_out):
        values = divided(sums[o], scales[o])
        out[o] = values + biases[o] if biases[o] else values
    return out


def _sums(
    plan: Plan,
    groups: int,
    x: np.ndarray,
    weight: np.ndarray,
    out: np.ndarray,
    divisors: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    *,
    whole: bool = True,
    own_threads: bool = True,
) -> np.ndarray:
    """Σ_c Σ_m Σ_n x·w of every output element into ``out`` (C_out, rows, columns), by
    blocks of output rows (and columns, for very wide ones).

    Each block's windows are copied into one patch matrix of at most PATCH_BLOCK_ELEMENTS,
    ``P[g, (c, m, n), (i, j)] = x[g·C_g + c, s·i + d·m, s·j + d·n]`` (padded), and one
    (batched over groups) matrix product with the filters ``W[g, o, (c, m, n)]`` gives the
    block's sums, written into ``out`` where it can be. Floats are summed in ``weight``'s
    type, then divided by ``divisors`` and added to ``bias`` per filter and rounded once
    into ``out``; exact numbers (int64 proved not to overflow, or Python objects) are
    summed as they are. Float blocks are shared among a few threads when the layer is
    big; ``whole=False`` cuts each product in pieces small enough for one BLAS thread;
    ``own_threads=False`` leaves the threads to BLAS, one block at a time.
    """
    c_in = x.shape[0]
    c_out, cg, kh, kw = weight.shape
    oh, ow = plan.output_shape
    (sh, sw), (dh, dw) = plan.stride, plan.dilation
    taps = cg * kh * kw
    per_group = c_out // groups
    filters = weight.reshape(groups, per_group, taps)
    work = weight.dtype
    per_pixel = c_in * kh * kw
    budget = PATCH_BLOCK_ELEMENTS if own_threads else BLAS_BLOCK_ELEMENTS
    # Values held per output pixel of a block: its column of the patch matrix, and when
    # the products are cut in pieces two partial sums per filter (_products_in_pieces).
    held = per_pixel + (0 if whole else 2 * c_out)
    threads = work.kind == "f" and whole and c_out * taps * oh * ow >= THREADED_WORK
    count = workers() if threads and own_threads else 1
    cols = ow if held * ow <= budget else max(8, budget // held)
    rows = max(1, min(-(-oh // count), budget // (held * cols)))
    blocks = -(-oh // rows)
    blocks = min(oh, -(-blocks // count) * count)  # as many for every thread
    rows = -(-oh // blocks)  # of equal height
    starts = list(range(0, oh, rows))
    direct = out.dtype == work and cols == ow
    # A 1×1 kernel with stride 1 reads the input's rows as they are: no copy.
    as_is = kh * kw == 1 and (sh, sw) == (1, 1) and plan.column_source.size == ow
    # Cut for one BLAS thread (see SINGLE_THREAD_PRODUCT): cutting the columns alone to
    # fit (7 for 64 filters of 576 taps) made BLAS repack the filters for every few
    # columns (3× slower than one product); cutting the taps too, and adding the partial
    # products up, costs less.
    span, depth = rows * cols, taps
    if not whole:
        span = min(span, max(PRODUCT_COLUMNS, SINGLE_THREAD_PRODUCT // (per_group * taps)))
        depth = max(1, min(taps, SINGLE_THREAD_PRODUCT // (per_group * span)))
    chunks = [
        (t0, min(t0 + depth, taps), filters[:, None, :, t0 : t0 + depth])
        for t0 in range(0, taps, depth)
    ]
    scale = None if divisors is None else divisors[:, None]
    shift = None if bias is None else bias[:, None]

    def run(share: Iterable[int]) -> None:
        buffer = None
        accumulator = None if direct else np.empty(c_out * rows * cols, dtype=work)
        partial = [np.empty(c_out * rows * cols, dtype=work) for _ in range(0 if whole else 2)]
        for i0 in share:
            i1 = min(i0 + rows, oh)
            src = padded_rows(plan, x, i0, i1)
            if src.dtype != work:  # float32 read as float64 here, once per input value
                src = src.astype(work)
            cs, rs, es = src.strides
            for j0 in range(0, ow, cols):
                j1 = min(j0 + cols, ow)
                nr, nc = i1 - i0, j1 - j0
                if as_is and cols == ow and rs == ow * es:
                    lhs = src.reshape(groups, taps, nr * nc)
                else:
                    windows = np.lib.stride_tricks.as_strided(
                        src[:, :, j0 * sw :],
                        (groups, cg, kh, kw, nr, nc),
                        (cg * cs, cs, dh * rs, dw * es, sh * rs, sw * es),
                        writeable=False,
                    )
                    if buffer is None:
                        buffer = np.empty(per_pixel * rows * cols, dtype=work)
                    patches = buffer[: per_pixel * nr * nc].reshape(windows.shape)
                    casting = "unsafe" if work.kind == "O" else "same_kind"
                    np.copyto(patches, windows, casting=casting)
                    lhs = patches.reshape(groups, taps, nr * nc)
                block = out[:, i0:i1, j0:j1]
                if direct:
                    target = block.reshape(groups, per_group, nr * nc)  # a view: whole rows
                else:
                    target = accumulator[: c_out * nr * nc].reshape(groups, per_group, nr * nc)
                if whole:
                    np.matmul(filters, lhs, out=target)
                else:
                    _products_in_pieces(chunks, lhs, target, span, partial)
                flat = target.reshape(c_out, nr * nc)
                if scale is not None:
                    np.divide(flat, scale, out=flat)
                if shift is not None:
                    np.add(flat, shift, out=flat)
                if not direct:
                    block[...] = flat.reshape(c_out, nr, nc)  # float32: each sum rounded once

    in_threads(run, starts, min(count, len(starts)))
    return out


def blas_single_threaded() -> bool:
    """True when BLAS runs on one thread: limited by the environment variables OpenBLAS,
    OpenMP and MKL read when they load, or one CPU for this process.

    Threads limited at run time (threadpoolctl) are not seen: blocks are then cut into
    products small enough for one thread, which is correct, only slower.
    """
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(name, "").strip() == "1":
            return True
    try:
        return len(os.sched_getaffinity(0)) == 1
    except AttributeError:  # not on Linux
        return (os.cpu_count() or 1) == 1


def _products_in_pieces(
    chunks: list[tuple[int, int, np.ndarray]],
    lhs: np.ndarray,
    target: np.ndarray,
    span: int,
    partial: list[np.ndarray],
) -> None:
    """``target[g] = filters[g] @ lhs[g]`` as many small products, each ``span`` columns by
    one chunk of taps, stacked so that numpy loops over them in C; the chunks' partial
    products are added up in a contiguous buffer and stored in ``target`` once."""
    groups, taps, width_all = lhs.shape
    per_group = target.shape[1]
    g_stride, t_stride, n_stride = lhs.strides
    count, rest = divmod(width_all, span)
    pieces = [(0, count, span)] if count else []
    if rest:
        pieces.append((count * span, 1, rest))
    for start, count, width in pieces:
        shape = (groups, count, per_group, width)
        size = groups * count * per_group * width
        acc, extra = (buffer[:size].reshape(shape) for buffer in partial)
        for k, (t0, t1, chunk) in enumerate(chunks):
            # rhs[g, b, t, n] = lhs[g, t0 + t, start + b·width + n]
            rhs = np.lib.stride_tricks.as_strided(
                lhs[:, t0:, start:],
                (groups, count, t1 - t0, width),
                (g_stride, width * n_stride, t_stride, n_stride),
                writeable=False,
            )
            np.matmul(chunk, rhs, out=extra if k else acc)
            if k:
                np.add(acc, extra, out=acc)
        stop = start + count * width
        view = target[:, :, start:stop].reshape(groups, per_group, count, width)
        np.copyto(view, acc.transpose(0, 2, 1, 3))
