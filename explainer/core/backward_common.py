"""Shared pieces of the backward pass and the transposed convolution: reading tensors,
exact sums, blocks of patches, stamping and folding the border back (see
:mod:`explainer.core.backward`)."""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Iterable
from contextlib import nullcontext
from fractions import Fraction
from typing import Any

import numpy as np

from explainer.core.engine import divided
from explainer.core.layer_blocks import in_threads
from explainer.core.problem import (
    Geometry,
    as_number_array,
    is_exact,
    plan_geometry,
)
from explainer.core.sliding import fold
from explainer.errors import ProblemError

# Elements of one block's scratch (a patch matrix, C·kH·kW rows × block pixels): 2 MiB of
# float64. The backward pass keeps ∂L/∂x, ∂L/∂w and one such block, less the smaller
# gradient's size, so its peak is the larger gradient plus one block
# (benchmarks/bench_backward.py). A big layer's blocks are shared among the engine's own
# threads with BLAS held at one thread, each thread's scratch its share of the block.
# Where BLAS cannot be held, each block costs two calls on BLAS's own threads, and on a
# busy 2-core machine every such call waits for a core: for a 64-channel 56×56 3×3
# layer, 1 MiB blocks (14 of them) took about twice as long as 2 MiB ones (7); 4 MiB ones
# gained nothing more. With BLAS on one thread the block size hardly matters.
BLOCK_ELEMENTS = 1 << 18
# Integer sums stay int64 when this bounds every partial sum (a float estimate with room).
_INT64_SAFE = 2.0**62


# ----- inputs ---------------------------------------------------------------------------------


def _tensor(values: Any, name: str, ndim: int) -> tuple[np.ndarray, bool]:
    """A numeric array of ``ndim`` dimensions, or of 2 (one channel): (array, was_2d).

    The values are checked and converted as :class:`explainer.Problem` does for an image
    (ints → int64 or Python ints, Fractions kept, floats → float64 or float32).
    """
    try:
        arr = np.asarray(values)
    except ValueError:
        raise ProblemError(f"{name} has rows of different lengths") from None
    except (TypeError, OverflowError, RecursionError):
        raise ProblemError(f"{name} cannot be read as an array of numbers") from None
    if arr.ndim not in (2, ndim):
        raise ProblemError(
            f"{name} must have {ndim} dimensions (or 2 for one channel); got {arr.ndim}"
        )
    if 0 in arr.shape:
        raise ProblemError(f"{name} is empty; every dimension needs at least one element")
    flat = as_number_array(arr.reshape(-1, arr.shape[-1]), name, copy=False)
    shaped = flat.reshape(arr.shape)
    if arr.ndim == 2:
        shaped = shaped.reshape((1,) * (ndim - 2) + arr.shape)
    return shaped, arr.ndim == 2


def _group_count(groups: Any) -> int:
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ProblemError(f"groups must be a whole number of at least 1; got {groups!r}")
    return int(groups)


def _groups(groups: Any, c_in: int, c_out: int) -> int:
    groups = _group_count(groups)
    if c_in % groups or c_out % groups:
        raise ProblemError(
            f"groups ({groups}) must divide both the input channels ({c_in}) "
            f"and the output channels ({c_out})"
        )
    return groups


def _layer(
    x: np.ndarray,
    w: np.ndarray,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    padding_mode: Any,
) -> tuple[Geometry, int]:
    """The geometry of ``conv2d(x, w)`` (checked as for a Problem) and the group count."""
    c_in, c_out = x.shape[0], w.shape[0]
    groups = _groups(groups, c_in, c_out)
    if w.shape[1] * groups != c_in:
        raise ProblemError(
            f"the weight has {w.shape[1]} input channels per group, but the input has "
            f"{c_in} channels in {groups} group{'s' if groups > 1 else ''}"
        )
    geometry = plan_geometry(
        x.shape[1:],
        w.shape[2:],
        stride=stride,
        padding=padding,
        padding_mode=padding_mode,
        dilation=dilation,
    )
    return geometry, groups


def _exact(*arrays: np.ndarray | None) -> bool:
    return all(a is None or is_exact(a) for a in arrays)


def _floats(arr: np.ndarray) -> np.ndarray:
    return arr if arr.dtype == np.float64 else arr.astype(np.float64)


def _bound(arr: np.ndarray, how: str) -> float:
    """max |a| or Σ |a| of an exact array, as a float (inf when beyond float range)."""
    with np.errstate(over="ignore"):
        try:
            values = np.abs(arr.astype(np.float64))
        except OverflowError:
            return math.inf
        return float(values.max() if how == "max" else values.sum())


def _integers(*arrays: np.ndarray, bound: float) -> list[np.ndarray]:
    """The arrays as int64 when ``bound`` rules out overflow, as Python ints otherwise."""
    kind = np.int64 if bound < _INT64_SAFE else object
    return [a.astype(kind, copy=False) for a in arrays]


def _finish(sums: np.ndarray, denominator: int) -> np.ndarray:
    """Exact integer sums divided by a common denominator: ints when it is 1, else Fractions."""
    if denominator == 1:
        return sums
    return divided(sums, Fraction(denominator))


# ----- blocks -----------------------------------------------------------------------------


def _block_rows(rows: int, columns: int, per_pixel: int) -> int:
    """Rows per block so that a (per_pixel × rows·columns) matrix stays within the budget."""
    return max(1, min(rows, BLOCK_ELEMENTS // max(1, per_pixel * columns)))


def _runs(index: np.ndarray) -> list[tuple[int, int, int, int]]:
    """``index`` (where each position reads, −1 for a zero) cut into runs (k0, k1, start,
    step): positions [k0, k1) read ``start + step·(k − k0)``, an arithmetic progression
    with ``step ≠ 0``, or zeros when ``step == 0``. A strided slice of the input then
    stands for each run: no padded copy, no index arrays when gathering or scattering.

    >>> _runs(np.array([1, 0, 1, 2, 3, 2]))  # reflect: one border pixel each side
    [(0, 2, 1, -1), (2, 5, 1, 1), (5, 6, 2, 1)]
    >>> _runs(np.array([-1, -1, 0, 2, 4]))  # zeros, then every other pixel
    [(0, 2, 0, 0), (2, 5, 0, 2)]
    """
    values = index.tolist()
    runs, k, n = [], 0, len(values)
    while k < n:
        first = values[k]
        k1 = k + 1
        if first < 0:
            while k1 < n and values[k1] < 0:
                k1 += 1
            runs.append((k, k1, 0, 0))
        else:
            step = values[k1] - first if k1 < n and values[k1] >= 0 else 0
            if step:
                while k1 < n and values[k1] - values[k1 - 1] == step and values[k1] >= 0:
                    k1 += 1
            runs.append((k, k1, first, step or 1))
        k = k1
    return runs


def _span(start: int, step: int, count: int) -> slice:
    """The slice reading ``count`` elements from ``start``, ``step`` apart (step may be < 0)."""
    stop = start + step * count
    return slice(start, stop if stop >= 0 else None, step)


def _tap_runs(g: Geometry, axis: int, first: int, count: int) -> list[list[tuple]]:
    """Per kernel tap along ``axis``: the runs of the input positions read by outputs
    [first, first + count), the border folded as the padding mode says."""
    s, d = g.stride[axis], g.dilation[axis]
    before, size = g.padding[2 * axis], g.image_shape[axis]
    outputs = s * np.arange(first, first + count)
    return [
        _runs(fold(outputs + d * m - before, size, g.padding_mode))
        for m in range(g.kernel_shape[axis])
    ]


def _gather(x: np.ndarray, rows: list, cols: list, out: np.ndarray) -> np.ndarray:
    """``out[c, m, n, i, j]`` = the input pixel tap (m, n) of output (i, j) reads, from the
    runs of :func:`_tap_runs` (zeros where the border is zeros)."""
    for m, row_runs in enumerate(rows):
        for n, col_runs in enumerate(cols):
            tap = out[:, m, n]
            for i0, i1, r, rs in row_runs:
                for j0, j1, q, qs in col_runs:
                    if rs and qs:
                        tap[:, i0:i1, j0:j1] = x[:, _span(r, rs, i1 - i0), _span(q, qs, j1 - j0)]
                    else:
                        tap[:, i0:i1, j0:j1] = 0
    return out


def _scatter(target: np.ndarray, stamps: np.ndarray, rows: list, cols: list) -> None:
    """The adjoint of :func:`_gather`: ``stamps[c, m, n, i, j]`` added to the input pixel
    tap (m, n) of output (i, j) reads; a zero border's share is dropped. Within a run the
    pixels are distinct, so each run is one strided ``+=``."""
    for m, row_runs in enumerate(rows):
        for n, col_runs in enumerate(cols):
            for i0, i1, r, rs in row_runs:
                if not rs:
                    continue
                for j0, j1, q, qs in col_runs:
                    if qs:
                        view = target[:, _span(r, rs, i1 - i0), _span(q, qs, j1 - j0)]
                        view += stamps[:, m, n, i0:i1, j0:j1]


def _patches(x: np.ndarray, g: Geometry, i0: int, i1: int, buffer: np.ndarray) -> np.ndarray:
    """The patch matrix of output rows [i0, i1), (C, kH, kW, rows, W_out), in ``buffer``."""
    kh, kw = g.kernel_shape
    ow = g.output_shape[1]
    out = buffer[: x.shape[0] * kh * kw * (i1 - i0) * ow].reshape(x.shape[0], kh, kw, i1 - i0, ow)
    return _gather(x, _tap_runs(g, 0, i0, i1 - i0), _tap_runs(g, 1, 0, ow), out)


def _stamp(
    target: np.ndarray,
    stamps: np.ndarray,
    i0: int,
    offset: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> None:
    """Add ``stamps[c, m, n, i − i0, j]`` to ``target[c, s·i + d·m − oy, s·j + d·n − ox]``.

    Positions outside ``target`` are dropped (a zero border's gradient, or rows cropped by
    a transposed convolution's padding).
    """
    _, kh, kw, rows, cols = stamps.shape
    (sh, sw), (dh, dw), (oy, ox) = stride, dilation, offset
    th, tw = target.shape[1:]

    def inside(start: int, s: int, count: int, size: int) -> tuple[int, int]:
        """The steps k in [lo, hi) with 0 ≤ start + s·k < size, among the first ``count``."""
        lo = max(0, -(start // s))
        hi = min(count, (size - 1 - start) // s + 1)
        return lo, max(lo, hi)

    for m in range(kh):
        r_start = sh * i0 + dh * m - oy
        a0, a1 = inside(r_start, sh, rows, th)
        if a0 >= a1:
            continue
        for n in range(kw):
            c_start = dw * n - ox
            b0, b1 = inside(c_start, sw, cols, tw)
            if b0 >= b1:
                continue
            r, c = r_start + sh * a0, c_start + sw * b0
            view = target[
                :, r : r + sh * (a1 - a0 - 1) + 1 : sh, c : c + sw * (b1 - b0 - 1) + 1 : sw
            ]
            view += stamps[:, m, n, a0:a1, b0:b1]


def _buffer(rows: int, columns: int, per_pixel: int, dtype: Any) -> np.ndarray:
    """One block's scratch: a flat array for a (per_pixel × rows·columns) matrix."""
    return np.empty(per_pixel * _block_rows(rows, columns, per_pixel) * columns, dtype=dtype)


def _forward(x: np.ndarray, w: np.ndarray, g: Geometry, groups: int) -> np.ndarray:
    """conv2d with channels and groups, without bias, in the arrays' own number type."""
    c_out, cg, kh, kw = w.shape
    oh, ow = g.output_shape
    out = np.empty((c_out, oh, ow), dtype=np.result_type(x, w))
    weights = w.reshape(groups, c_out // groups, cg * kh * kw)
    step = _block_rows(oh, ow, x.shape[0] * kh * kw)
    buffer = _buffer(oh, ow, x.shape[0] * kh * kw, x.dtype)
    for i0 in range(0, oh, step):
        i1 = min(i0 + step, oh)
        cols = _patches(x, g, i0, i1, buffer).reshape(groups, cg * kh * kw, (i1 - i0) * ow)
        out[:, i0:i1] = np.matmul(weights, cols).reshape(c_out, i1 - i0, ow)
    return out


def _weight_and_input_grads(
    x: np.ndarray,
    w: np.ndarray,
    grad: np.ndarray,
    g: Geometry,
    groups: int,
    threads: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """∂L/∂w and ∂L/∂x (border folded back) in one pass over blocks of input channels.

    A block holds the patches of a few channels over every output pixel (over a few rows,
    when one channel's patches exceed the scratch): one product gives those channels'
    columns of ∂L/∂w, written where they belong (added, when the rows come in blocks),
    and one more, in the same buffer, their stamps, which are added straight into ∂L/∂x
    (the border's share folded onto the pixels it copied). Besides the two gradients, the
    pass holds one block of scratch (:func:`_channel_blocks`).

    With ``threads`` > 1 (BLAS held at one thread, see :mod:`explainer.core.blas`) the
    blocks are shared among that many threads (:func:`in_threads`), each with its share
    of the scratch. Blocks of different channels write disjoint columns of ∂L/∂w and
    disjoint channels of ∂L/∂x: no locking. Blocks of rows of the same channels overlap in
    ∂L/∂x (a kernel reaches over the rows of the next block; a reflected or circular border
    folds onto far rows) and add into the same columns of ∂L/∂w: each such block's
    products run freely, and its additions into both gradients hold its channels' lock.
    The order of those additions then varies between runs, so float sums may differ in
    the last bits; exact sums run in one thread.
    """
    c_out, cg, kh, kw = w.shape
    oh, ow = g.output_shape
    per = c_out // groups
    kind = np.result_type(x, w, grad)
    grad_w = np.zeros((groups, per, cg * kh * kw), dtype=kind)
    grad_x = np.zeros(x.shape, dtype=kind)
    weights_t = w.reshape(groups, per, cg * kh * kw).transpose(0, 2, 1)
    smaller = min(grad_w.size, grad_x.size)
    channels, rows, scratch = _channel_blocks(cg, oh, ow, kh * kw, per, smaller, threads)
    cols_runs = _tap_runs(g, 1, 0, ow)
    row_runs = {i0: _tap_runs(g, 0, i0, min(rows, oh - i0)) for i0 in range(0, oh, rows)}
    widest = kh * kw * max(c1 - c0 for c0, c1 in channels)
    in_rows = rows < oh
    units = [(gr, c0, c1, i0) for gr in range(groups) for c0, c1 in channels for i0 in row_runs]
    count = max(1, min(threads, len(units)))
    locks = {(gr, c0): threading.Lock() for gr, c0, _, _ in units} if in_rows and count > 1 else {}

    def run(share: Iterable[int]) -> None:
        buffer = np.empty(scratch, dtype=kind)
        partial = np.empty((per, widest), dtype=kind) if in_rows else None
        for unit in share:
            group, c0, c1, i0 = units[unit]
            runs = row_runs[i0]
            k0, k1 = c0 * kh * kw, c1 * kh * kw
            src = x[group * cg + c0 : group * cg + c1]
            i1 = min(i0 + rows, oh)
            pixels = (i1 - i0) * ow
            errors = grad[group * per : (group + 1) * per, i0:i1].reshape(per, pixels)
            patches = buffer[: (k1 - k0) * pixels].reshape(c1 - c0, kh, kw, i1 - i0, ow)
            cols = _gather(src, runs, cols_runs, patches).reshape(k1 - k0, pixels)
            target = grad_w[group, :, k0:k1]
            if in_rows:  # rows in blocks too (large images): summed under the lock below
                np.matmul(errors, cols.T, out=partial[:, : k1 - k0])
            else:
                np.matmul(errors, cols.T, out=target)
            stamps = np.matmul(weights_t[group, k0:k1], errors, out=cols)
            with locks.get((group, c0), nullcontext()):
                if in_rows:
                    target += partial[:, : k1 - k0]
                _scatter(
                    grad_x[group * cg + c0 : group * cg + c1],
                    stamps.reshape(c1 - c0, kh, kw, i1 - i0, ow),
                    runs,
                    cols_runs,
                )

    in_threads(run, list(range(len(units))), count)
    return grad_w.reshape(w.shape), grad_x


def _channel_blocks(
    channels: int, oh: int, ow: int, taps: int, per: int, smaller: int, threads: int = 1
) -> tuple[list[tuple[int, int]], int, int]:
    """How the backward pass walks a group's input channels: (channel ranges, output rows
    per block, scratch elements of each thread).

    The scratch holds one block's patches (then its stamps), and its partial sums of ∂L/∂w
    when the rows come in blocks too: ``BLOCK_ELEMENTS`` less the smaller gradient's size
    (at most half a block) and less the buffers numpy's ufuncs allocate while adding
    strided arrays (three of ``np.getbufsize()`` elements per thread), shared equally
    among the ``threads`` that hold a scratch at once, so that the two gradients and the
    scratch stay within the larger gradient plus one block while the smaller is under
    half a block. Whole channels over every output row when one fits; otherwise as many
    channels as fit one row each, over as many rows as fit.
    """
    spare = BLOCK_ELEMENTS - min(smaller, BLOCK_ELEMENTS // 2) - 3 * threads * np.getbufsize()
    budget = max(1, spare // threads)
    plane = taps * oh * ow
    whole = plane <= budget
    fit = budget // plane if whole else budget // (taps * (ow + per))
    count = -(-channels // max(1, min(channels, fit)))
    edges = [channels * k // count for k in range(count + 1)]
    ranges = list(zip(edges[:-1], edges[1:], strict=True))
    widest = taps * max(b - a for a, b in ranges)
    rows = oh
    if not whole:
        rows = max(1, min(oh, (budget - per * widest) // (widest * ow)))
        rows = -(-oh // -(-oh // rows))  # blocks of equal height
    return ranges, rows, widest * rows * ow


# ----- the backward pass ------------------------------------------------------------------


def backward_inputs(
    x: Any,
    w: Any,
    grad_out: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    padding_mode: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, Geometry, int]:
    """The input, weight and error map of a backward pass, read and checked together:
    (x, w, grad_out, flat, geometry, groups), where ``flat`` says all three came as 2D."""
    xs, flat = _tensor(x, "the input", 3)
    ws, w_flat = _tensor(w, "the weight", 4)
    gs, g_flat = _tensor(grad_out, "grad_out", 3)
    if not (flat == w_flat == g_flat):
        raise ProblemError(
            "give the input, weight and grad_out all with channels (3, 4 and 3 dimensions) "
            "or all as single-channel 2D arrays"
        )
    geometry, groups = _layer(xs, ws, stride, padding, dilation, groups, padding_mode)
    expected = (ws.shape[0], *geometry.output_shape)
    if gs.shape != expected:
        raise ProblemError(
            f"grad_out must have the layer's output shape {_shape(expected, flat)}; "
            f"got {_shape(gs.shape, flat)}"
        )
    return xs, ws, gs, flat, geometry, groups


def _shape(shape: tuple[int, ...], flat: bool) -> str:
    return "×".join(map(str, shape[1:] if flat else shape))
