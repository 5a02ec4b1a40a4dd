"""Hypothesis strategies shared by the tests: small convolution layers with exact numbers.

A drawn layer is (x, w, grad_out, options): x (C_in, H, W), w (C_out, C_in/groups, kH, kW)
and grad_out of the layer's output shape, all object arrays of ints and Fractions, and the
options as ``conv2d_backward`` takes them (stride, padding as four sides, dilation, groups,
padding_mode). The output size is worked out here by the textbook formula, independently of
the code under test.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

MODES = ("zeros", "reflect", "replicate", "circular")


@st.composite
def layers(
    draw,
    *,
    kernel: tuple[int, int] = (3, 3),
    extra: int = 4,
    stride: int = 3,
    padding: int = 2,
    numbers: tuple[int, int, int] = (4, 3, 5),
    modes: tuple[str, ...] = MODES,
):
    """A layer whose kernel is at most ``kernel``, whose image is the kernel's span plus up
    to ``extra`` pixels, with stride up to ``stride``, dilation up to 2, and at most
    ``padding`` per side (reflect: smaller than the image; circular: at most its size).
    ``numbers`` = (largest integer, largest fraction, largest denominator)."""
    groups = draw(st.integers(1, 2))
    per_in, per_out = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, kernel[0])), draw(st.integers(1, kernel[1]))
    s, d = draw(st.integers(1, stride)), draw(st.integers(1, 2))
    h = draw(st.integers(1, extra)) + d * (kh - 1)
    wd = draw(st.integers(1, extra)) + d * (kw - 1)
    mode = draw(st.sampled_from(modes))

    def most(n: int) -> int:
        return min(padding, n - 1 if mode == "reflect" else n if mode == "circular" else padding)

    sides = tuple(draw(st.integers(0, most(n))) for n in (h, h, wd, wd))
    big, frac, den = numbers
    value = st.integers(-big, big) | st.fractions(-frac, frac, max_denominator=den)

    def array(shape: tuple[int, ...]) -> np.ndarray:
        size = math.prod(shape)
        values = draw(st.lists(value, min_size=size, max_size=size))
        return np.array(values, dtype=object).reshape(shape)

    x = array((groups * per_in, h, wd))
    w = array((groups * per_out, per_in, kh, kw))
    oh = (h + sides[0] + sides[1] - d * (kh - 1) - 1) // s + 1
    ow = (wd + sides[2] + sides[3] - d * (kw - 1) - 1) // s + 1
    g = array((groups * per_out, oh, ow))
    options = dict(stride=s, padding=sides, dilation=d, groups=groups, padding_mode=mode)
    return x, w, g, options
