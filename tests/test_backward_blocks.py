"""The backward pass's blocks: whole channels, a few channels, or one channel in rows, in
every padding mode, give the gradients of a plain-loop reference exactly; and the pass's
peak memory is ∂L/∂x plus one block.

The reference here shares no code with explainer.core: it walks every (o, i, j, c, m, n)
and finds the input pixel a padded position copies by padding an array of pixel numbers
with numpy's own ``np.pad`` (−1 for a zero border).
"""

from __future__ import annotations

import threading
import tracemalloc
from contextlib import contextmanager
from fractions import Fraction

import numpy as np
import pytest

from explainer.core import backward, backward_common
from explainer.core.backward import conv2d_backward, conv_transpose2d

NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def plain_gradients(x, w, g, stride, padding, dilation, groups, mode):
    """(∂L/∂x, ∂L/∂w) of L = Σ g·conv2d(x, w) by plain loops, in exact arithmetic."""
    c_in, h, wd = x.shape
    c_out, per_in, kh, kw = w.shape
    top, bottom, left, right = padding
    pixels = np.arange(h * wd).reshape(h, wd)
    sides = ((top, bottom), (left, right))
    if mode == "zeros":
        source = np.pad(pixels, sides, mode="constant", constant_values=-1)
    else:
        source = np.pad(pixels, sides, mode=NUMPY_MODES[mode])
    grad_x = np.zeros((c_in, h * wd), dtype=object)
    grad_w = np.zeros(w.shape, dtype=object)
    per_out = c_out // groups
    _, oh, ow = g.shape
    for o in range(c_out):
        for cl in range(per_in):
            c = (o // per_out) * per_in + cl
            for m in range(kh):
                for n in range(kw):
                    for i in range(oh):
                        for j in range(ow):
                            p = source[stride * i + dilation * m, stride * j + dilation * n]
                            if p < 0:
                                continue
                            grad_w[o, cl, m, n] += g[o, i, j] * x[c, p // wd, p % wd]
                            grad_x[c, p] += g[o, i, j] * w[o, cl, m, n]
    return grad_x.reshape(x.shape), grad_w


def layer(seed, c_in=6, c_out=4, groups=2, size=(11, 9), kernel=(3, 2), **options):
    rng = np.random.default_rng(seed)
    x = rng.integers(-6, 7, (c_in, *size)).astype(object)
    w = rng.integers(-6, 7, (c_out, c_in // groups, *kernel)).astype(object)
    s, d = options["stride"], options["dilation"]
    top, bottom, left, right = options["padding"]
    oh = (size[0] + top + bottom - d * (kernel[0] - 1) - 1) // s + 1
    ow = (size[1] + left + right - d * (kernel[1] - 1) - 1) // s + 1
    g = rng.integers(-6, 7, (c_out, oh, ow)).astype(object)
    return x, w, g


SHAPES = [
    dict(stride=1, padding=(1, 1, 1, 0), dilation=1),
    dict(stride=2, padding=(2, 1, 0, 1), dilation=1),
    dict(stride=1, padding=(2, 2, 2, 2), dilation=2),
    dict(stride=3, padding=(0, 2, 1, 1), dilation=2),
]


def _block(kind, w, g, threads=1):
    """BLOCK_ELEMENTS that makes the pass hold all channels, two at a time (of a group's
    three), or one channel's rows in pieces, in each of ``threads`` threads (the pass
    leaves room in a block for ∂L/∂w and each thread's three numpy ufunc buffers)."""
    _, _, kh, kw = w.shape
    plane = kh * kw * g.shape[1] * g.shape[2]
    room = w.size + 3 * threads * np.getbufsize()
    each = {"whole": 1 << 18, "channels": 2 * plane, "rows": plane // 2}[kind]
    return threads * each + room


@pytest.mark.parametrize("kind", ["whole", "channels", "rows"])
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape", range(len(SHAPES)))
def test_blocks_give_the_plain_loop_gradients_exactly(monkeypatch, kind, mode, shape):
    options = SHAPES[shape]
    x, w, g = layer(shape, **options)
    monkeypatch.setattr(backward_common, "BLOCK_ELEMENTS", _block(kind, w, g))
    c_out, per_in, kh, kw = w.shape
    ranges, rows, _ = backward_common._channel_blocks(
        per_in, g.shape[1], g.shape[2], kh * kw, c_out // 2, w.size
    )
    taken = {"whole": len(ranges) == 1, "channels": len(ranges) == 2, "rows": rows < g.shape[1]}
    assert taken[kind]  # the path this case is meant to exercise
    gx, gw, gb = conv2d_backward(x, w, g, groups=2, padding_mode=mode, **options)
    want_x, want_w = plain_gradients(x, w, g, groups=2, mode=mode, **options)
    assert gx.tolist() == want_x.tolist()
    assert gw.tolist() == want_w.tolist()
    assert gb.tolist() == [sum(g[o].ravel().tolist()) for o in range(g.shape[0])]


def test_fractions_in_blocks_of_rows_are_exact(monkeypatch):
    options = dict(stride=2, padding=(1, 1, 1, 1), dilation=1)
    x, w, g = layer(7, **options)
    x = x * Fraction(1, 3)
    g = g * Fraction(2, 5)
    monkeypatch.setattr(backward_common, "BLOCK_ELEMENTS", 8)
    gx, gw, _ = conv2d_backward(x, w, g, groups=2, padding_mode="reflect", **options)
    want_x, want_w = plain_gradients(x, w, g, groups=2, mode="reflect", **options)
    assert gx.tolist() == want_x.tolist() and gw.tolist() == want_w.tolist()
    assert any(isinstance(v, Fraction) for v in gw.ravel().tolist())


def _assert_peak_within_larger_gradient_and_one_block(seed, c, n, options):
    """A 3×3 layer's gradients on random floats: tracemalloc's peak during the call is at
    most the larger gradient plus one block."""
    rng = np.random.default_rng(seed)
    s, d, p = options.get("stride", 1), options.get("dilation", 1), options["padding"]
    m = (n + 2 * p - 2 * d - 1) // s + 1
    x = rng.normal(size=(c, n, n))
    w = rng.normal(size=(c, c // options.get("groups", 1), 3, 3))
    g = rng.normal(size=(c, m, m))
    conv2d_backward(x, w, g, **options)  # warm up: lazy imports are not the call's memory
    tracemalloc.start()
    try:
        conv2d_backward(x, w, g, **options)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    larger, block = max(x.nbytes, w.nbytes), backward_common.BLOCK_ELEMENTS * 8
    assert peak <= larger + block, (peak - larger) / block


@pytest.mark.parametrize(
    ("c", "n", "options"),
    [
        (32, 40, dict(padding=1)),
        (32, 40, dict(padding=1, padding_mode="reflect")),
        (32, 40, dict(padding=2, dilation=2, padding_mode="circular")),
        (32, 40, dict(padding=1, stride=2, padding_mode="replicate")),
        (32, 40, dict(padding=1, groups=4)),
        (2, 200, dict(padding=1)),  # one channel's patches exceed a block: rows in blocks
        (96, 8, dict(padding=1)),  # ∂L/∂w is the larger gradient
    ],
)
def test_peak_memory_is_the_larger_gradient_plus_one_block(c, n, options):
    _assert_peak_within_larger_gradient_and_one_block(3, c, n, options)


def test_transposed_convolution_is_the_input_gradient_in_every_block_size(monkeypatch):
    options = dict(stride=2, padding=(1, 1, 1, 1), dilation=1)
    x, w, g = layer(11, **options)
    want, _ = plain_gradients(x, w, g, groups=2, mode="zeros", **options)
    for block in (1 << 18, 40, 1):
        monkeypatch.setattr(backward_common, "BLOCK_ELEMENTS", block)
        # conv_transpose2d's weight layout (C_in, C_out/groups, ...) is the layer's, read
        # the other way: the same array
        kh, kw = w.shape[2:]
        # output_padding: the rows and columns the layer's last windows left unread
        extra = tuple((n + 2 - (k - 1) - 1) % 2 for n, k in zip(x.shape[1:], (kh, kw), strict=True))
        out = conv_transpose2d(
            g,
            w,
            stride=2,
            padding=1,
            output_padding=extra,
            groups=2,
        )
        assert out.tolist() == want.tolist()


# ----- the blocks shared among threads -----------------------------------------------------


def _spy_threads(monkeypatch):
    """Record the thread count the pass asks of in_threads and which threads ran blocks;
    a thread holding its first block waits (up to a second) for a second thread to hold
    one, so that blocks run in several threads at once however busy the machine."""
    seen = {"counts": [], "threads": set()}
    real = backward_common.in_threads

    def spy(run, starts, count):
        seen["counts"].append(count)
        two, lock = threading.Event(), threading.Lock()

        def recorded(share):
            for unit in share:
                with lock:
                    seen["threads"].add(threading.get_ident())
                    if len(seen["threads"]) > 1:
                        two.set()
                two.wait(1.0)
                yield unit

        real(lambda share: run(recorded(share)), starts, count)

    monkeypatch.setattr(backward_common, "in_threads", spy)
    return seen


def _threaded(monkeypatch, threads):
    """The float path shares its blocks among ``threads`` threads whatever the layer's size."""
    monkeypatch.setattr(backward, "THREADED_WORK", 0)
    monkeypatch.setattr(backward, "workers", lambda: threads)
    return _spy_threads(monkeypatch)


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("kind", ["channels", "rows"])
@pytest.mark.parametrize("mode", ["zeros", "reflect", "circular"])
@pytest.mark.parametrize("shape", range(len(SHAPES)))
def test_threads_give_the_plain_loop_gradients(monkeypatch, threads, kind, mode, shape):
    """Floats holding small integers sum exactly, in any order: the threaded pass must give
    the plain loops' integers. In "rows", one channel's rows come in blocks that overlap in
    ∂L/∂x through the kernel's reach (and, reflected or circular, through the border)."""
    options = SHAPES[shape]
    x, w, g = layer(shape, **options)
    monkeypatch.setattr(backward_common, "BLOCK_ELEMENTS", _block(kind, w, g, threads))
    seen = _threaded(monkeypatch, threads)
    c_out, per_in, kh, kw = w.shape
    ranges, rows, _ = backward_common._channel_blocks(
        per_in, g.shape[1], g.shape[2], kh * kw, c_out // 2, w.size, threads
    )
    if kind == "rows":
        assert rows < g.shape[1]  # several row blocks per channel: they overlap
    else:
        assert rows == g.shape[1] and len(ranges) >= 2
    floats = [a.astype(np.float64) for a in (x, w, g)]
    gx, gw, _ = conv2d_backward(*floats, groups=2, padding_mode=mode, **options)
    want_x, want_w = plain_gradients(x, w, g, groups=2, mode=mode, **options)
    assert seen["counts"] == [threads] and len(seen["threads"]) > 1
    assert gx.tolist() == want_x.tolist()
    assert gw.tolist() == want_w.tolist()


def test_one_channel_in_overlapping_rows_with_three_threads(monkeypatch):
    """A single channel, its rows in blocks of one or two output rows: every block's stamps
    reach the next blocks' rows (3×3 kernel, dilation 2), and the border folds back."""
    rng = np.random.default_rng(5)
    x = rng.integers(-9, 10, (1, 23, 17))
    w = rng.integers(-9, 10, (3, 1, 3, 3))
    options = dict(stride=1, padding=(2, 2, 2, 2), dilation=2)
    g = rng.integers(-9, 10, (3, 23, 17))
    monkeypatch.setattr(backward_common, "BLOCK_ELEMENTS", 3 * (9 * 17 * 2 + 27 + 3 * 8192))
    seen = _threaded(monkeypatch, 3)
    _, rows, _ = backward_common._channel_blocks(1, 23, 17, 9, 3, w.size, 3)
    assert rows <= 2
    for mode in ("zeros", "replicate", "circular"):
        floats = [a.astype(np.float64) for a in (x, w, g)]
        gx, gw, _ = conv2d_backward(*floats, padding_mode=mode, **options)
        want_x, want_w = plain_gradients(
            x.astype(object), w.astype(object), g.astype(object), groups=1, mode=mode, **options
        )
        assert gx.tolist() == want_x.tolist() and gw.tolist() == want_w.tolist()
    assert set(seen["counts"]) == {3} and len(seen["threads"]) > 1


def test_random_floats_in_threads_match_one_thread(monkeypatch):
    rng = np.random.default_rng(8)
    x, w, g = rng.normal(size=(12, 30, 30)), rng.normal(size=(8, 12, 3, 3)), None
    g = rng.normal(size=(8, 15, 15))
    options = dict(stride=2, padding=1, padding_mode="reflect")
    one = conv2d_backward(x, w, g, **options)  # below THREADED_WORK: one thread
    monkeypatch.setattr(backward_common, "BLOCK_ELEMENTS", 4000)
    seen = _threaded(monkeypatch, 2)
    two = conv2d_backward(x, w, g, **options)
    assert seen["counts"] == [2]
    for a, b in zip(one, two, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_without_blas_control_the_pass_keeps_one_thread(monkeypatch):
    @contextmanager
    def not_held():
        yield False

    monkeypatch.setattr(backward, "THREADED_WORK", 0)
    monkeypatch.setattr(backward, "one_blas_thread", not_held)
    monkeypatch.setattr(backward, "blas_single_threaded", lambda: False)
    monkeypatch.setattr(backward, "workers", lambda: 4)
    seen = _spy_threads(monkeypatch)
    x, w, g = layer(0, **SHAPES[0])
    floats = [a.astype(np.float64) for a in (x, w, g)]
    gx, _, _ = conv2d_backward(*floats, groups=2, **SHAPES[0])
    want_x, _ = plain_gradients(x, w, g, groups=2, mode="zeros", **SHAPES[0])
    assert seen["counts"] == [1] and gx.tolist() == want_x.tolist()


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize(
    ("c", "n", "options"),
    [
        (32, 40, dict(padding=1)),
        (32, 40, dict(padding=1, stride=2, padding_mode="replicate")),
        (32, 40, dict(padding=1, groups=4)),
        (2, 200, dict(padding=1)),
        (3, 300, dict(padding=1, padding_mode="reflect")),
        (96, 8, dict(padding=1)),
    ],
)
def test_peak_memory_in_threads_is_the_larger_gradient_plus_one_block(
    monkeypatch, threads, c, n, options
):
    monkeypatch.setattr(backward, "THREADED_WORK", 0)
    monkeypatch.setattr(backward, "workers", lambda: threads)
    _assert_peak_within_larger_gradient_and_one_block(4, c, n, options)
