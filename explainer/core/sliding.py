"""How the engine slides a kernel over an image, one block of output rows at a time.

A :class:`Plan` holds every shape and index map of one problem, computed once. The engine
walks the output in blocks of rows: :meth:`Plan.padded_rows` gives the padded image rows
a block reads (a view of the image where no border is involved, a small copy otherwise),
so the padded image as a whole is never built and each block stays in the CPU's cache.

Two ways to sum the products of a block, chosen by number kind:

* :func:`correlate_taps` (exact integers, Python objects): for each kernel tap, one
  multiply-add of a strided view into the block. Exact arithmetic does not care about the
  order of the additions.
* :func:`correlate_float` (floats): one matrix product per block, so that BLAS does the
  multiply-adds. A band matrix ``A`` maps the block's padded rows to its output rows:
  ``A[i, (n, ρ)] = w[m, n]`` where ``ρ = s·i + d·m``, and the right-hand side stacks, for
  each kernel column ``n``, the rows shifted by ``d·n`` columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from explainer.core.geometry import Geometry
from explainer.core.problem import Problem

# Elements per block of the per-tap loop, and per right-hand side of the banded product:
# small enough to stay in a 1 MiB L2 cache with room to spare. The right-hand side is
# also kept to a quarter of the input's size, but not below BAND_RHS_MIN.
TAP_BLOCK_ELEMENTS = 1 << 15
BAND_RHS_ELEMENTS = 1 << 17
BAND_RHS_MIN = 1 << 15
# Output rows per banded block. More rows mean fewer copies per output pixel (the band is
# (rows − 1)·s + (k − 1)·d + 1 padded rows tall for every row of kernel columns) but more
# multiplications by its zeros. Measured (benchmarks/bench_engine.py): 4 is best up to
# 7×7 kernels, 8 for kernels spanning more than 8 rows (11×11: up to 1.5× faster).
BAND_ROWS = 4
BAND_ROWS_TALL = 8
# Each matrix product stays at most this many multiply-adds, below which OpenBLAS runs it
# on one thread. Threaded, these small products gained nothing, and on a busy 2-core
# machine threads waiting for each other made a 4096×4096 11×11 correlation 15× slower.
SINGLE_THREAD_PRODUCT = 1 << 18
# Up to this many products (output pixels × taps), correlate_taps copies every window into
# one small matrix and multiplies it by the kernel at once: for a 9×9 image, a fifth of
# the time of two array operations per tap.
FEW_PRODUCTS = 1 << 12


@dataclass(eq=False)
class Plan:
    """Shapes and index maps of one problem, computed once for the whole computation."""

    image_shape: tuple[int, int]
    kernel_shape: tuple[int, int]
    output_shape: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    padding: tuple[int, int, int, int]
    padding_mode: str

    @classmethod
    def of(cls, problem: Problem) -> Plan:
        return cls(
            image_shape=problem.image.shape,
            kernel_shape=problem.kernel.shape,
            output_shape=problem.output_shape,
            stride=problem.stride,
            dilation=problem.dilation,
            padding=problem.padding,
            padding_mode=problem.padding_mode,
        )

    @classmethod
    def from_geometry(cls, g: Geometry) -> Plan:
        return cls(
            image_shape=g.image_shape,
            kernel_shape=g.kernel_shape,
            output_shape=g.output_shape,
            stride=g.stride,
            dilation=g.dilation,
            padding=g.padding,
            padding_mode=g.padding_mode,
        )

    def __post_init__(self) -> None:
        (kh, kw), (dh, dw) = self.kernel_shape, self.dilation
        self.span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
        """Padded rows and columns one window covers: d·(k−1)+1 per axis."""

    @cached_property
    def window_index(self) -> np.ndarray:
        """For each output pixel and kernel tap, (oh·ow, kh·kw), where its value lies in the
        flattened padded rows under the whole output (:meth:`padded_rows` of rows 0..oh)."""
        (oh, ow), (kh, kw) = self.output_shape, self.kernel_shape
        (sh, sw), (dh, dw) = self.stride, self.dilation
        width = self.image_shape[1] + self.padding[2] + self.padding[3]
        rows = (sh * np.arange(oh))[:, None, None, None] + (dh * np.arange(kh))[:, None]
        cols = (sw * np.arange(ow))[:, None, None] + dw * np.arange(kw)
        return _read_only((rows * width + cols).reshape(oh * ow, kh * kw))

    @cached_property
    def row_source(self) -> np.ndarray:
        """For each padded row, the image row it holds (−1: a row of zeros)."""
        top, bottom = self.padding[:2]
        rows = fold(np.arange(-top, self.image_shape[0] + bottom), self.image_shape[0], self.mode)
        return _read_only(rows)

    @cached_property
    def column_source(self) -> np.ndarray:
        """For each padded column, the image column it holds (−1: zeros)."""
        left, right = self.padding[2:]
        cols = fold(np.arange(-left, self.image_shape[1] + right), self.image_shape[1], self.mode)
        return _read_only(cols)

    @property
    def mode(self) -> str:
        return self.padding_mode

    def input_rows(self, i0: int, i1: int) -> tuple[int, int]:
        """The padded rows [start, stop) that output rows [i0, i1) read."""
        return i0 * self.stride[0], (i1 - 1) * self.stride[0] + self.span[0]

    def padded_rows(self, image: np.ndarray, i0: int, i1: int) -> np.ndarray:
        """The padded image's rows under output rows [i0, i1), all columns.

        A view of ``image`` when the rows need no border; a copy with the border filled
        in otherwise (only blocks at the edges, or every block with left/right padding).
        """
        start, stop = self.input_rows(i0, i1)
        top, _, left, right = self.padding
        h, w = self.image_shape
        if not (left or right) and top <= start and stop - top <= h:
            return image[start - top : stop - top]
        rows = self.row_source[start:stop]
        block = np.empty((stop - start, w + left + right), dtype=image.dtype)
        middle = block[:, left : left + w]
        middle[...] = image[np.maximum(rows, 0)]
        middle[rows < 0] = 0
        for cols, where in (
            (self.column_source[:left], slice(0, left)),
            (self.column_source[left + w :], slice(left + w, None)),
        ):
            if cols.size:
                block[:, where] = middle[:, np.maximum(cols, 0)]
                block[:, where][:, cols < 0] = 0
        return block


def _read_only(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)  # a plan is shared by every computation of its geometry
    return arr


@lru_cache(maxsize=256)
def plan_of(geometry: Geometry) -> Plan:
    """The plan of a geometry, made once (a Geometry never changes; a Plan's index maps
    are computed when first asked for and only read after)."""
    return Plan.from_geometry(geometry)


def fold(index: np.ndarray, size: int, mode: str) -> np.ndarray:
    """Where each (possibly outside) index of an axis of ``size`` reads from; −1 for zero.

    The same rules as :func:`numpy.pad` ("reflect" mirrors about the edge pixel without
    repeating it).

    >>> fold(np.arange(-2, 5), 3, "reflect").tolist()
    [2, 1, 0, 1, 2, 1, 0]
    >>> fold(np.arange(-2, 5), 3, "zeros").tolist()
    [-1, -1, 0, 1, 2, -1, -1]
    >>> fold(np.arange(-2, 5), 3, "circular").tolist()
    [1, 2, 0, 1, 2, 0, 1]
    >>> fold(np.arange(-2, 5), 3, "replicate").tolist()
    [0, 0, 0, 1, 2, 2, 2]
    """
    if mode == "zeros":
        return np.where((index >= 0) & (index < size), index, -1)
    if mode == "replicate":
        return np.clip(index, 0, size - 1)
    if mode == "circular":
        return index % size
    period = 2 * (size - 1)
    if period == 0:
        return np.zeros_like(index)
    folded = np.abs(index) % period
    return np.where(folded >= size, period - folded, folded)


def correlate_taps(
    plan: Plan, image: np.ndarray, kernel: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """Sums of products into ``out``, one multiply-add per nonzero tap and block of rows
    (for at most FEW_PRODUCTS products, one product of the windows and the kernel).

    For exact numbers (int64 whose overflow is ruled out, or Python objects): the result
    does not depend on the order of the additions. Zero taps add nothing and are skipped.

    >>> p = Problem([[1, 2, 3], [4, 5, 6]], [[1, 0, -1]], padding=(0, 0, 1, 1))
    >>> correlate_taps(Plan.of(p), p.image, p.kernel, np.empty((2, 3), np.int64))
    array([[-2, -2,  2],
           [-5, -2,  5]])
    """
    oh, ow = plan.output_shape
    (sh, sw), (dh, dw) = plan.stride, plan.dilation
    if out.size * kernel.size <= FEW_PRODUCTS:  # every window at once: one product
        windows = np.take(plan.padded_rows(image, 0, oh), plan.window_index)
        if out.flags.c_contiguous and out.dtype == windows.dtype == kernel.dtype:
            np.matmul(windows, kernel.reshape(-1), out=out.reshape(-1))
        else:
            out[...] = (windows @ kernel.reshape(-1)).reshape(oh, ow)
        return out
    taps = [
        (m * dh, n * dw, wgt)
        for m, row in enumerate(kernel.tolist())
        for n, wgt in enumerate(row)
        if wgt != 0
    ]
    if not taps:
        out[...] = 0
        return out
    rows_per_block = max(1, min(oh, TAP_BLOCK_ELEMENTS // ow))
    scratch = np.empty((rows_per_block, ow), dtype=out.dtype)
    for i0 in range(0, oh, rows_per_block):
        i1 = min(i0 + rows_per_block, oh)
        rows = plan.padded_rows(image, i0, i1)
        block, tmp = out[i0:i1], scratch[: i1 - i0]
        height, width = sh * (i1 - i0 - 1) + 1, sw * (ow - 1) + 1
        for t, (r, c, wgt) in enumerate(taps):
            view = rows[r : r + height : sh, c : c + width : sw]
            if t == 0:
                np.multiply(view, wgt, out=block)
            else:
                np.multiply(view, wgt, out=tmp)
                np.add(block, tmp, out=block)
    return out


def _blocking(plan: Plan, image_bytes: int) -> tuple[int, int]:
    """Output rows per block, and the most elements a right-hand side may hold.

    A problem whose whole stack fits the cache budget goes in one call, with a row count
    that divides the output evenly (a last, shorter block would cost a call of its own:
    half the time of a 64×64 problem). Larger ones use blocks of BAND_ROWS rows (or
    BAND_ROWS_TALL for tall kernels) and keep the right-hand side to a quarter of the
    input's size.
    """
    (oh, ow), kw, (sh, _), span = plan.output_shape, plan.kernel_shape[1], plan.stride, plan.span
    rows = min(BAND_ROWS if span[0] <= 8 else BAND_ROWS_TALL, oh)
    even = next(r for r in range(rows, 0, -1) if oh % r == 0)
    stack = oh // even * kw * ((even - 1) * sh + span[0]) * ow
    if stack <= BAND_RHS_ELEMENTS:
        return even, stack
    return rows, min(BAND_RHS_ELEMENTS, max(BAND_RHS_MIN, image_bytes // 32))


_bands: dict[tuple[object, ...], np.ndarray] = {}


def _cached_band(kernel: np.ndarray, rows: int, stride: int, dilation: int) -> np.ndarray:
    """:func:`band_matrix`, remembered for small kernels: a filter is often applied to
    many images, and for a 64×64 one building the band is a tenth of the time."""
    if kernel.size > 256:
        return band_matrix(kernel, rows, stride, dilation)
    key = (kernel.tobytes(), kernel.shape, rows, stride, dilation)
    band = _bands.get(key)
    if band is None:
        if len(_bands) >= 64:
            _bands.clear()
        band = _bands[key] = band_matrix(kernel, rows, stride, dilation)
        band.flags.writeable = False
    return band


def band_matrix(kernel: np.ndarray, rows: int, stride: int, dilation: int) -> np.ndarray:
    """The (rows, l·R) matrix that turns the stacked shifted rows of a block into its output.

    ``R = (rows − 1)·s + (k − 1)·d + 1`` padded rows feed ``rows`` output rows; entry
    ``[i, n·R + s·i + d·m]`` is ``w[m, n]``, every other entry is 0.

    >>> band_matrix(np.array([[1.0, 2.0], [3.0, 4.0]]), 2, 1, 1)
    array([[1., 3., 0., 2., 4., 0.],
           [0., 1., 3., 0., 2., 4.]])
    """
    kh, kw = kernel.shape
    height = (rows - 1) * stride + (kh - 1) * dilation + 1
    band = np.zeros((rows, kw, height), dtype=kernel.dtype)
    span = (kh - 1) * dilation + 1
    for i in range(rows):
        band[i, :, stride * i : stride * i + span : dilation] = kernel.T
    return band.reshape(rows, kw * height)


def correlate_float(
    plan: Plan, image: np.ndarray, kernel: np.ndarray, out: np.ndarray, divisor: float = 1.0
) -> np.ndarray:
    """Float sums of products divided by ``divisor`` into ``out``, by BLAS matrix products.

    ``kernel`` is float64 and every sum is accumulated in float64, whatever the dtype of
    ``image`` (converted as it is copied into the right-hand side) and ``out`` (each
    finished sum is rounded once). Narrow images batch many blocks of rows into one call
    (numpy loops over the batch in C); wide ones are split into column tiles, and huge
    kernels into chunks of kernel columns, so that the right-hand side stays within the
    cache budget.

    >>> p = Problem([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[1.0], [-1.0]])
    >>> correlate_float(Plan.of(p), p.image, p.kernel, np.empty((1, 3)), 2.0)
    array([[-1.5, -1.5, -1.5]])
    """
    oh, ow = plan.output_shape
    kw = kernel.shape[1]
    (sh, sw), (dh, dw) = plan.stride, plan.dilation
    rows, budget = _blocking(plan, image.nbytes)
    height = (rows - 1) * sh + plan.span[0]
    cols = max(32, min(budget // (kw * height), SINGLE_THREAD_PRODUCT // (rows * kw * height)))
    cols = -(-ow // -(-ow // cols))  # tiles of equal width
    chunk = max(
        1, min(kw, budget // (height * cols), SINGLE_THREAD_PRODUCT // (rows * height * cols))
    )
    batch = max(1, min(budget // (kw * height * cols), -(-oh // rows)))
    # Sums go straight into ``out`` unless they are to be divided, rounded or added to.
    direct = chunk == kw and divisor == 1.0 and out.dtype == np.float64
    rhs_buffer = np.empty(batch * chunk * height * cols)
    acc_buffer = None if direct else np.empty(batch * rows * cols)
    full_band = _cached_band(kernel, rows, sh, dh)
    i0 = 0
    while i0 < oh:
        blocks, n_rows, band = min(batch, (oh - i0) // rows), rows, full_band
        if not blocks:  # the last rows, fewer than a block: the top left of the band
            blocks, n_rows = 1, oh - i0
        i1 = i0 + blocks * n_rows
        src = plan.padded_rows(image, i0, i1)
        (r, c), n_src = src.strides, src.shape[0] - (blocks - 1) * n_rows * sh
        if n_rows < rows:
            band = full_band.reshape(rows, kw, height)[:n_rows, :, :n_src].reshape(n_rows, -1)
        for c0 in range(0, ow, cols):
            width = min(cols, ow - c0)
            target = out[i0:i1, c0 : c0 + width].reshape(blocks, n_rows, width)
            acc = target if direct else acc_buffer[: target.size].reshape(target.shape)
            for n0 in range(0, kw, chunk):
                n1 = min(n0 + chunk, kw)
                # rhs[b, n, ρ, j] = src[b·rows·s + ρ, (n0 + n)·d + (c0 + j)·s]
                shifted = strided(
                    src[:, n0 * dw + c0 * sw :],
                    (blocks, n1 - n0, n_src, width),
                    (n_rows * sh * r, dw * c, r, sw * c),
                )
                rhs = rhs_buffer[: shifted.size].reshape(blocks, (n1 - n0) * n_src, width)
                np.copyto(rhs.reshape(shifted.shape), shifted)
                lhs = band[:, n0 * n_src : n1 * n_src]
                if n0 == 0:
                    np.matmul(lhs, rhs, out=acc)
                else:
                    acc += lhs @ rhs
            if divisor != 1.0:
                np.divide(acc, divisor, out=target)
            elif not direct:
                np.copyto(target, acc, casting="same_kind")  # float32: rounded once, here
        i0 = i1
    return out


def strided(base: np.ndarray, shape: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    """A read-only view of ``base`` with the given shape and byte strides, all inside it.

    Like :func:`numpy.lib.stride_tricks.as_strided`, which takes ten times as long: the
    ndarray constructor views a contiguous ``base`` directly; others go the long way.
    """
    try:
        view = np.ndarray(shape, base.dtype, base, 0, strides)
    except (TypeError, ValueError, BufferError):
        return np.lib.stride_tricks.as_strided(base, shape, strides, writeable=False)
    view.flags.writeable = False
    return view
