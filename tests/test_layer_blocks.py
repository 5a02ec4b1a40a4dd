"""The float paths of a big layer against plain loops in Fractions, with their blocks,
column tiles and threads forced small: the patch matrices multiplied whole on one BLAS
thread each, shared among threads (explainer.core.layer_engine, explainer.core.blas);
the products over flattened rows of a stride-1 layer (explainer.core.layer_rows), on
threads of our own or BLAS's; and, where BLAS cannot be held to one thread, the shifted
matrix products of a stride-1 layer (explainer.core.layer_blocks).

Expected values come from ``layer_loop`` (tests/reference.py: every element, channel
and tap in turn, in Fractions), never from the engine.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from contextlib import contextmanager

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_strategies import layers
from reference import layer_loop
from threadpoolctl import threadpool_info

from explainer import Layer, conv2d
from explainer.core import layer_blocks, layer_engine, layer_rows

WAYS = ["patches", "shifted", "blas threads", "rows"]


@contextmanager
def no_blas_control():
    """As without threadpoolctl: BLAS cannot be held to one thread."""
    yield False


@pytest.fixture(params=WAYS)
def tiny_blocks(request, monkeypatch):
    """Every branch of each path on small layers. Patches (other processes take the
    cores): one output row and 8 columns per block, each layer big enough for BLAS to be
    held to one thread, three threads. Shifted (BLAS not held): one output row per block,
    columns in tiles of at least 8, and three threads for any layer. BLAS threads (the
    cores are free): one output row and 8 columns per block, in the calling thread. Rows
    (the cores are free): the products over flattened rows for any stride-1 layer, one
    output row per block."""
    _force(monkeypatch, request.param)
    return request.param


def _force(monkeypatch, way):
    monkeypatch.setattr(layer_engine, "SINGLE_THREAD_PRODUCT", 1)
    monkeypatch.setattr(layer_engine, "blas_single_threaded", lambda: False)
    free = way in ("blas threads", "rows")
    monkeypatch.setattr(layer_engine, "cores_taken_by_others", lambda: not free)
    monkeypatch.setattr(layer_engine, "blas_threads", lambda: 2)
    # The rows way takes every stride-1 layer; the others none.
    rows = way == "rows"
    monkeypatch.setattr(layer_rows, "fits", lambda plan, *_: rows and plan.stride == (1, 1))
    if free:
        monkeypatch.setattr(layer_engine, "BLAS_BLOCK_ELEMENTS", 1)
        monkeypatch.setattr(layer_rows, "BLOCK_ELEMENTS", 1)
        monkeypatch.setattr(layer_engine, "workers", lambda: 3)  # not to be used
    elif way == "patches":
        monkeypatch.setattr(layer_engine, "PATCH_BLOCK_ELEMENTS", 1)
        monkeypatch.setattr(layer_engine, "THREADED_WORK", 0)
        monkeypatch.setattr(layer_engine, "workers", lambda: 3)
    else:
        monkeypatch.setattr(layer_engine, "one_blas_thread", no_blas_control)
        monkeypatch.setattr(layer_blocks, "SHIFT_BLOCK_BYTES", 1)
        monkeypatch.setattr(layer_blocks, "SINGLE_THREAD_PRODUCT", 1)
        monkeypatch.setattr(layer_blocks, "THREADED_WORK", 0)
        monkeypatch.setattr(layer_blocks, "workers", lambda: 3)


def _close(ours, expected, tolerance=1e-10):
    expected = np.array(expected, dtype=float)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_every_padding_mode_with_groups_dilation_bias_and_normalize(tiny_blocks, mode):
    rng = np.random.default_rng(3)
    x = rng.integers(-9, 10, (4, 9, 23)) / 4
    w = rng.integers(-5, 6, (6, 2, 3, 2)) / 2
    w[:, 0, 0, 0] = 7.0  # no filter sums to 0 ("sum" divides by it)
    b = [0.5, -1.0, 2.0, 0.0, 3.25, -0.75]
    options = dict(padding=(2, 1, 1, 2), dilation=(2, 1), groups=2)
    for normalize in (None, "sum"):
        ours = conv2d(x, w, bias=b, padding_mode=mode, normalize=normalize, **options)
        expected = layer_loop(x, w, b, padding=(2, 1, 1, 2), dilation=(2, 1), groups=2,
                              mode=mode, normalize=normalize)  # fmt: skip
        _close(ours, expected)


def test_threads_and_tiles_give_the_sums_of_one_block(tiny_blocks, monkeypatch):
    rng = np.random.default_rng(4)
    x, w = rng.normal(size=(5, 17, 41)), rng.normal(size=(7, 5, 3, 3))
    tiled = conv2d(x, w, padding=1, flip=True)
    monkeypatch.setattr(layer_engine, "PATCH_BLOCK_ELEMENTS", 1 << 30)
    monkeypatch.setattr(layer_engine, "BLAS_BLOCK_ELEMENTS", 1 << 30)
    monkeypatch.setattr(layer_engine, "workers", lambda: 1)
    monkeypatch.setattr(layer_blocks, "SHIFT_BLOCK_BYTES", 1 << 30)
    monkeypatch.setattr(layer_blocks, "SINGLE_THREAD_PRODUCT", 1 << 30)
    monkeypatch.setattr(layer_blocks, "workers", lambda: 1)
    whole = conv2d(x, w, padding=1, flip=True)
    if tiny_blocks == "shifted":
        # Each sum adds the same taps in the same order, whoever computes it.
        assert np.array_equal(tiled, whole)
    else:  # BLAS may order a sum's 45 products by the width of the block
        _close(tiled, whole, 1e-13)
    _close(whole, layer_loop(x, w, padding=(1, 1, 1, 1), flip=True))


def test_float32_input_with_float64_weights_is_summed_in_float32(tiny_blocks):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 6, 30)).astype(np.float32)
    w = rng.normal(size=(4, 3, 2, 3))  # float64, read as float32
    ours = conv2d(x, w, bias=[1.0, 2.0, 3.0, 4.0])
    assert ours.dtype == np.float32
    expected = layer_loop(x.astype(np.float64), w.astype(np.float32).astype(np.float64),
                          [1.0, 2.0, 3.0, 4.0])  # fmt: skip
    _close(ours, expected, tolerance=1e-5)
    # Stride 2 takes the patch matrices of layer_engine either way, also in float32.
    strided = conv2d(x, w, stride=2, padding=1, padding_mode="reflect")
    assert strided.dtype == np.float32
    expected = layer_loop(x.astype(np.float64), w.astype(np.float32).astype(np.float64),
                          stride=(2, 2), padding=(1, 1, 1, 1), mode="reflect")  # fmt: skip
    _close(strided, expected, tolerance=1e-5)


def test_an_input_whose_rows_are_not_contiguous(tiny_blocks):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(12, 10, 3)).transpose(2, 1, 0)  # (3, 10, 12), columns strided
    w = rng.normal(size=(2, 3, 3, 3))
    _close(conv2d(x, w, padding=1), layer_loop(x, w, padding=(1, 1, 1, 1)))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(case=layers(stride=1), way=st.sampled_from(WAYS))
def test_property_small_blocks_equal_the_plain_loop(case, way):
    x, w, _, options = case
    with pytest.MonkeyPatch.context() as monkeypatch:
        _force(monkeypatch, way)
        ours = conv2d(x.astype(float), w.astype(float), **options)
    s, d = options["stride"], options["dilation"]
    expected = layer_loop(x, w, stride=(s, s), padding=options["padding"], dilation=(d, d),
                          groups=options["groups"], mode=options["padding_mode"])  # fmt: skip
    _close(ours, expected)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork: POSIX only")
def test_a_forked_process_computes_a_layer_with_threads_of_its_own(tiny_blocks, monkeypatch):
    rng = np.random.default_rng(7)
    x, w = rng.normal(size=(3, 9, 9)), rng.normal(size=(2, 3, 3, 3))
    expected = conv2d(x, w)  # the parent's threads start here (three jobs, two threads or so)
    time.sleep(0.5)  # and go idle: a fork copies a pool that believes it has idle threads
    monkeypatch.setattr(layer_blocks, "workers", lambda: 2)  # no more jobs than idle threads
    monkeypatch.setattr(layer_engine, "workers", lambda: 2)
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        result = pool.apply_async(conv2d, (x, w))
        assert np.array_equal(result.get(timeout=30), expected)


def _correlate_summed(x, w, b, padding, groups=1):
    """scipy.signal.correlate2d of each zero-padded input channel, summed per filter."""
    x = np.pad(x.astype(np.float64), ((0, 0), (padding, padding), (padding, padding)))
    c_out, cg = w.shape[:2]
    per = c_out // groups
    return np.array([
        sum(scipy.signal.correlate2d(x[o // per * cg + c], w[o, c].astype(np.float64), "valid")
            for c in range(cg)) + b[o]
        for o in range(c_out)
    ])  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel, padding, groups", [(3, 1, 1), (5, 0, 2), (1, 0, 1), (1, 2, 3)])
def test_patch_blocks_of_uneven_heights_equal_correlate2d(dtype, kernel, padding, groups):
    # 77 rows of 53 columns, 24 channels: with the default patch matrices (2¹⁸ values)
    # these are blocks of 20, 20, 20 and 17 rows for 3×3 (8 rows, the last one alone, for
    # 5×5), shared by two threads on one BLAS thread each; a 1×1 kernel without padding
    # reads the input's rows in place.
    rng = np.random.default_rng(kernel * 10 + padding)
    x = rng.normal(size=(24, 77, 53)).astype(dtype)
    w = rng.normal(size=(30, 24 // groups, kernel, kernel)).astype(dtype)
    b = rng.normal(size=30)
    ours = conv2d(x, w, bias=b, padding=padding, groups=groups)
    assert ours.dtype == dtype
    expected = _correlate_summed(x, w, b, padding, groups)
    tolerance = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(ours, expected, rtol=tolerance, atol=tolerance * 10)


def test_a_big_layer_leaves_blas_with_its_threads():
    before = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    rng = np.random.default_rng(8)
    conv2d(rng.normal(size=(16, 30, 30)), rng.normal(size=(16, 16, 3, 3)), padding=1)
    after = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert after == before


@pytest.mark.parametrize("way", WAYS)
def test_a_float32_bias_is_added_as_in_float64_and_rounded_once(way, monkeypatch):
    # The float32 sums plus a float32 bias, added in float32, must equal the same sums
    # plus the bias computed in float64 and rounded once; the bias given as float64 (the
    # same values) must give the same bytes.
    _force(monkeypatch, way)
    rng = np.random.default_rng(11)
    x = rng.normal(size=(6, 9, 10)).astype(np.float32) * 1e3
    w = rng.normal(size=(5, 6, 3, 3)).astype(np.float32)
    b = (rng.normal(size=5) * 1e-3).astype(np.float32)
    sums = conv2d(x, w, padding=1)
    assert sums.dtype == np.float32
    expected = (sums.astype(np.float64) + b.astype(np.float64)[:, None, None]).astype(np.float32)
    for bias in (b, b.astype(np.float64)):
        ours = conv2d(x, w, bias=bias, padding=1)
        assert ours.dtype == np.float32
        assert np.array_equal(ours, expected)


@pytest.mark.parametrize(
    "c_in, c_out, size, kernel, stride, groups, expected",
    [
        (64, 64, 56, 3, 1, 1, True),  # K = 192, 64 filters ≤ 64·2, 3136 pixels
        (64, 127, 56, 3, 1, 1, True),  # 127 filters < 64·(3 − 1)
        (64, 128, 56, 3, 1, 1, False),  # 128: measured 1.27–1.76× the patch blocks' time
        (64, 64, 56, 3, 2, 1, False),  # stride 2
        (64, 64, 56, 1, 1, 1, False),  # one tap
        (7, 14, 56, 3, 1, 1, False),  # K = 21 < 24
        (8, 15, 56, 3, 1, 1, True),  # K = 24, 15 filters < 16
        (64, 64, 17, 3, 1, 1, False),  # 15 × 15 = 225 pixels < 256
        (64, 64, 18, 3, 1, 1, True),  # 16 × 16 = 256
        (64, 64, 56, 3, 1, 64, False),  # depthwise: K = 3
    ],
)
def test_which_layers_are_summed_over_rows(c_in, c_out, size, kernel, stride, groups, expected):
    layer = Layer(np.zeros((c_in, size, size)), np.zeros((c_out, c_in // groups, kernel, kernel)),
                  stride=stride, groups=groups)  # fmt: skip
    assert layer_rows.fits(layer_engine.layer_plan(layer), groups, layer.weight) == expected
