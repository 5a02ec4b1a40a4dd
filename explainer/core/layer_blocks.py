"""Blocks of a layer's rows: the padded rows a block reads, the threads that share the
blocks, and the float sums of a stride-1 layer as shifted matrix products where BLAS cannot
be held to one thread (see :mod:`explainer.core.layer_engine` and :mod:`explainer.core.blas`).

With stride 1, the windows of a block of output rows need no patch matrix: for each
kernel tap (m, n), the input rows shifted by d·m rows and d·n columns are, for every output
row i, a plain strided matrix ``X[c, j] = x[c, i + d·m, j + d·n]`` that BLAS reads where it
is, and ``y[:, i, :] += W[:, :, m, n] @ X``. Every product is kept small enough that
OpenBLAS runs it on one thread (:data:`SINGLE_THREAD_PRODUCT` multiply-adds); the blocks
are shared among a few Python threads instead (numpy lets go of the GIL in a matrix
product). OpenBLAS's own threads, each product waiting for the slower of them, made a
64-channel layer 5–30× slower on a busy 2-core machine; Python threads that each run their
own products only share the cores. With BLAS held to one thread, one product per block of
patches (in layer_engine) is faster: these many small products with K = C_in deep, and
their additions, are what is left when it cannot be held.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from explainer.core.sliding import SINGLE_THREAD_PRODUCT, Plan

# Bytes of the buffers of all the blocks in flight at once (each worker's copy of its
# padded rows and its partial sums): the output plus this is the peak memory.
SHIFT_BLOCK_BYTES = 2 << 20
# A layer with fewer multiply-adds than this runs in the calling thread.
THREADED_WORK = 1 << 22
MAX_WORKERS = 4

_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def workers() -> int:
    """How many threads share a layer's blocks: the CPUs this process may use, at most
    MAX_WORKERS."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cpus))


def _executor(count: int) -> ThreadPoolExecutor:
    """The threads, started once per process: a process forked from this one has none of
    them (its copy of the pool would wait for threads that are not there), so it starts
    its own."""
    global _pool, _pool_pid
    with _pool_lock:
        small = _pool is not None and _pool._max_workers < count  # noqa: SLF001 - its size
        if _pool is None or small or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(count, thread_name_prefix="explainer-layer")
            _pool_pid = os.getpid()
        return _pool


def shifted_sums(
    plan: Plan,
    groups: int,
    x: np.ndarray,
    weight: np.ndarray,
    out: np.ndarray,
    divisors: np.ndarray | None = None,
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """Σ_c Σ_m Σ_n x·w of every output element of a stride-1 layer into ``out``
    (C_out, rows, columns), summed in ``weight``'s float type, divided by ``divisors`` and
    added to ``bias`` per filter, and rounded once into ``out``'s type."""
    assert plan.stride == (1, 1)
    c_out, cg, kh, kw = weight.shape
    oh, ow = plan.output_shape
    per_group = c_out // groups
    work = weight.dtype
    # taps[m·kw + n][g] = W[g·per_group : (g+1)·per_group, :, m, n]: (per_group, cg)
    taps = np.ascontiguousarray(
        weight.reshape(groups, per_group, cg, kh * kw).transpose(3, 0, 1, 2)
    )
    tile = ow
    if per_group * cg * ow > SINGLE_THREAD_PRODUCT:
        tile = max(8, SINGLE_THREAD_PRODUCT // (per_group * cg))
        tile = -(-ow // -(-ow // tile))  # tiles of equal width
    direct = out.dtype == work
    c_in, width = x.shape[0], plan.column_source.size
    # Per output row of a block: the padded rows copied (when a copy is needed), the
    # partial sums of a tap, and the sums themselves when they cannot go straight to out.
    per_row = (c_in * width + c_out * ow * (1 if direct else 2)) * work.itemsize
    count = workers() if c_out * cg * kh * kw * oh * ow >= THREADED_WORK else 1
    rows = max(1, min(-(-oh // count), SHIFT_BLOCK_BYTES // (count * per_row)))
    rows = -(-oh // -(-oh // rows))  # blocks of equal height
    starts = list(range(0, oh, rows))
    count = min(count, len(starts))
    scale = None if divisors is None else divisors.reshape(groups, per_group, 1)
    shift = None if bias is None else bias.reshape(groups, per_group, 1)

    def run(share: Iterable[int]) -> None:
        partial = np.empty((rows, groups, per_group, tile), dtype=work)
        acc = None if direct else np.empty((rows, groups, per_group, ow), dtype=work)
        for i0 in share:
            i1 = min(i0 + rows, oh)
            nr = i1 - i0
            src = padded_rows(plan, x, i0, i1)
            if src.dtype != work:
                src = src.astype(work)
            # (rows, groups, cg, columns): input row i + d·m, column j + d·n of the block
            chans = src.reshape(groups, cg, src.shape[1], src.shape[2]).transpose(2, 0, 1, 3)
            sums = out[:, i0:i1].reshape(groups, per_group, nr, ow).transpose(2, 0, 1, 3)
            if not direct:
                sums = acc[:nr]
            _shifted_products(plan, taps, chans, sums, partial[:nr], kw, tile)
            if scale is not None:
                np.divide(sums, scale, out=sums)
            if shift is not None:
                np.add(sums, shift, out=sums)
            if not direct:  # float32: each sum rounded once
                out[:, i0:i1].reshape(groups, per_group, nr, ow).transpose(2, 0, 1, 3)[...] = sums

    in_threads(run, starts, count)
    return out


def in_threads(run: Callable[[Iterable[int]], None], starts: list[int], count: int) -> None:
    """``run`` in ``count`` threads (the calling one and count − 1 of the pool), each
    taking the next of the blocks' ``starts`` whenever it is free: on a busy machine a
    thread that gets less of a core takes fewer blocks, instead of the others waiting for
    its fixed share."""
    if count <= 1:
        run(starts)
        return
    queue = iter(starts)
    lock = threading.Lock()

    def taken() -> Iterator[int]:
        while True:
            with lock:
                start = next(queue, None)
            if start is None:
                return
            yield start

    jobs = [_executor(count - 1).submit(run, taken()) for _ in range(count - 1)]
    try:
        run(taken())
    finally:
        for job in jobs:
            job.result()


def _shifted_products(
    plan: Plan,
    taps: np.ndarray,
    chans: np.ndarray,
    sums: np.ndarray,
    partial: np.ndarray,
    kw: int,
    tile: int,
) -> None:
    """``sums[i, g] = Σ_(m, n) taps[m·kw + n, g] @ chans[i + d·m, g, :, d·n : d·n + ow]``,
    one batched product per tap (and tile of columns): the first into ``sums``, the others
    into ``partial`` and added."""
    nr, ow = sums.shape[0], sums.shape[3]
    dh, dw = plan.dilation
    for j0 in range(0, ow, tile):
        j1 = min(j0 + tile, ow)
        target, extra = sums[..., j0:j1], partial[..., : j1 - j0]
        for t, tap in enumerate(taps):
            m, n = divmod(t, kw)
            rhs = chans[m * dh : m * dh + nr, :, :, n * dw + j0 : n * dw + j1]
            if t == 0:
                np.matmul(tap, rhs, out=target)
            else:
                np.matmul(tap, rhs, out=extra)
                np.add(target, extra, out=target)


def padded_rows(
    plan: Plan, x: np.ndarray, i0: int, i1: int, into: np.ndarray | None = None
) -> np.ndarray:
    """Every channel's padded rows under output rows [i0, i1), all padded columns: a view
    of ``x`` where no border is involved, a small copy with the border filled in otherwise.

    ``into``: the array to write them to instead (shape ``x.shape[:-2]`` + (rows, padded
    columns), any strides: a caller's buffer); ``x`` may then have a leading group axis.
    """
    start, stop = plan.input_rows(i0, i1)
    top, _, left, right = plan.padding
    h = plan.image_shape[0]
    if into is None and not (left or right) and top <= start and stop - top <= h:
        return x[..., start - top : stop - top, :]
    rows = plan.row_source[start:stop]
    cols = plan.column_source
    shape = (*x.shape[:-2], stop - start, cols.size)
    if plan.padding_mode == "zeros":  # zeros around a slice of the input: no gathering
        inside = np.flatnonzero(rows >= 0)
        block = np.zeros(shape, dtype=x.dtype) if into is None else into
        if not inside.size:
            block[...] = 0
            return block
        first, last = int(inside[0]), int(inside[-1]) + 1
        right_edge = left + x.shape[-1]
        if into is not None:  # only the border is zeroed: the rest is written below
            block[..., :first, :] = 0
            block[..., last:, :] = 0
            block[..., first:last, :left] = 0
            block[..., first:last, right_edge:] = 0
        block[..., first:last, left:right_edge] = x[..., rows[first] : rows[last - 1] + 1, :]
        return block
    block = x[..., np.maximum(rows, 0)[:, None], np.maximum(cols, 0)[None, :]]
    if (rows < 0).any():
        block[..., rows < 0, :] = 0
    if (cols < 0).any():
        block[..., cols < 0] = 0
    if into is not None:
        into[...] = block
        return into
    return block
    block = x[:, np.maximum(rows, 0)[:, None], np.maximum(cols, 0)[None, :]]
    if (rows < 0).any():
        block[:, rows < 0] = 0
    if (cols < 0).any():
        block[:, :, cols < 0] = 0
    return block
