"""The float path of a stride-1 layer (shifted matrix products, explainer.core.layer_blocks)
against plain loops in Fractions, with its blocks, column tiles and threads forced small.

Expected values come from ``layer_loop`` (tests/test_layer_engine.py: every element, channel
and tap in turn, in Fractions), never from the engine.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from layer_strategies import layers
from test_layer_engine import layer_loop

from explainer import conv2d
from explainer.core import layer_blocks


@pytest.fixture
def tiny_blocks(monkeypatch):
    """One output row per block, columns in tiles of at least 8, and three threads for
    any layer: every branch of shifted_sums on small layers."""
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
    monkeypatch.setattr(layer_blocks, "SHIFT_BLOCK_BYTES", 1 << 30)
    monkeypatch.setattr(layer_blocks, "SINGLE_THREAD_PRODUCT", 1 << 30)
    monkeypatch.setattr(layer_blocks, "workers", lambda: 1)
    whole = conv2d(x, w, padding=1, flip=True)
    # Each sum adds the same taps in the same order, whoever computes it.
    assert np.array_equal(tiled, whole)
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
    # Stride 2 takes the patch matrices of layer_engine, also in float32.
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


@settings(max_examples=25, deadline=None, derandomize=True)
@given(case=layers(stride=1))
def test_property_small_blocks_equal_the_plain_loop(case):
    x, w, _, options = case
    small = dict(SHIFT_BLOCK_BYTES=1, SINGLE_THREAD_PRODUCT=1, THREADED_WORK=0)
    with mock.patch.multiple(layer_blocks, workers=lambda: 2, **small):
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
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        result = pool.apply_async(conv2d, (x, w))
        assert np.array_equal(result.get(timeout=30), expected)
