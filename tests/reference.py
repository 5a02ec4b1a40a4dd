"""Independent references: the textbook definition, written without the engine."""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def fold_index(v: int, size: int, mode: str) -> int | None:
    """Where padded index v reads from, per padding mode (None: a zero)."""
    if 0 <= v < size:
        return v
    if mode == "zeros":
        return None
    if mode == "replicate":
        return 0 if v < 0 else size - 1
    if mode == "circular":
        return v % size
    while not 0 <= v < size:  # reflect, edge pixel not repeated: -1 → 1, size → size - 2
        v = -v if v < 0 else 2 * (size - 1) - v
    return v


def exact_fraction(v) -> Fraction:
    """A number as the Fraction it is exactly (a float32 too, which Fraction() refuses)."""
    if isinstance(v, (float, np.floating)):
        return Fraction(float(v))
    return Fraction(int(v)) if isinstance(v, (int, np.integer)) else Fraction(v)


def plain_loop(
    image,
    kernel,
    stride=(1, 1),
    padding=(0, 0, 0, 0),
    dilation=(1, 1),
    flip=False,
    divisor=1,
    mode="zeros",
):
    """The textbook definition, one pixel and one tap at a time, in exact arithmetic: the
    one-channel case of :func:`layer_loop`, each sum divided by ``divisor``."""
    plane = layer_loop(
        np.asarray(image, dtype=object)[None],
        np.asarray(kernel, dtype=object)[None, None],
        stride=stride,
        padding=padding,
        dilation=dilation,
        flip=flip,
        mode=mode,
    )[0]
    return [[total / Fraction(divisor) for total in row] for row in plane]


def layer_loop(x, w, b=None, *, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1),
               groups=1, flip=False, mode="zeros", normalize=None):  # fmt: skip
    """The textbook layer: every element, channel and tap in turn, in Fractions; nested lists
    (C_out, rows, columns)."""
    x = np.asarray(x, dtype=object)
    w = np.asarray(w, dtype=object)
    c_in, h, wd = x.shape
    c_out, cg, kh, kw = w.shape
    top, bottom, left, right = padding
    oh = (h + top + bottom - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + left + right - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = []
    for o in range(c_out):
        first = o // (c_out // groups) * cg
        if normalize == "area":
            divisor = Fraction(cg * kh * kw)
        elif normalize == "sum":
            divisor = sum(exact_fraction(v) for v in w[o].ravel())
        else:
            divisor = Fraction(1)
        plane = []
        for i in range(oh):
            row = []
            for j in range(ow):
                total = Fraction(0)
                for c in range(cg):
                    for m in range(kh):
                        for n in range(kw):
                            r = fold_index(stride[0] * i + dilation[0] * m - top, h, mode)
                            q = fold_index(stride[1] * j + dilation[1] * n - left, wd, mode)
                            v = 0 if r is None or q is None else exact_fraction(x[first + c, r, q])
                            mm, nn = (kh - 1 - m, kw - 1 - n) if flip else (m, n)
                            total += v * exact_fraction(w[o, c, mm, nn])
                row.append(total / divisor + (0 if b is None else exact_fraction(b[o])))
            plane.append(row)
        out.append(plane)
    return out
