"""Named images and kernels: the lecture's example and the classic filters.

Every preset is built from exact numbers (ints and Fractions), so derivations of presets
are exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from explainer.core.problem import Problem
from explainer.errors import ProblemError


def lecture_image() -> np.ndarray:
    """The lecture's 9×9 image: background −1 with the letter X drawn in +1.

    Pixels (i, i) and (i, 8 − i) for i = 1..7 are +1 (white); the border row and column
    stay −1 (black).

    >>> print(lecture_image()[:3])
    [[-1 -1 -1 -1 -1 -1 -1 -1 -1]
     [-1  1 -1 -1 -1 -1 -1  1 -1]
     [-1 -1  1 -1 -1 -1  1 -1 -1]]
    """
    img = -np.ones((9, 9), dtype=np.int64)
    for i in range(1, 8):
        img[i, i] = 1
        img[i, 8 - i] = 1
    return img


def diagonal_filter() -> np.ndarray:
    """The lecture's 3×3 filter: +1 on the main diagonal, −1 elsewhere.

    >>> print(diagonal_filter())
    [[ 1 -1 -1]
     [-1  1 -1]
     [-1 -1  1]]
    """
    return np.where(np.eye(3, dtype=bool), 1, -1).astype(np.int64)


def anti_diagonal_filter() -> np.ndarray:
    """The other diagonal: +1 from the top right to the bottom left, −1 elsewhere.

    >>> print(anti_diagonal_filter())
    [[-1 -1  1]
     [-1  1 -1]
     [ 1 -1 -1]]
    """
    return diagonal_filter()[:, ::-1].copy()


def x_centre_filter() -> np.ndarray:
    """The X's centre: +1 on both diagonals, −1 elsewhere (the middle of the letter X).

    >>> print(x_centre_filter())
    [[ 1 -1  1]
     [-1  1 -1]
     [ 1 -1  1]]
    """
    return np.maximum(diagonal_filter(), anti_diagonal_filter())


LAYER_FILTERS = ("diagonal", "anti-diagonal", "x-centre")
"""The layer lesson's first filter bank, as in the CNN tutorial the lecture comes from."""


def layer_second_filter() -> np.ndarray:
    """The layer lesson's second layer: one filter with a 2×2 kernel per feature map,
    shape (1, 3, 2, 2): the diagonal map read along its diagonal, the other diagonal's map
    along the other diagonal, and the centre map everywhere.

    >>> layer_second_filter().shape
    (1, 3, 2, 2)
    """
    diag = np.array([[1, -1], [-1, 1]], dtype=np.int64)
    return np.stack([diag, diag[:, ::-1], np.ones((2, 2), np.int64)])[None]


def _frac(rows: list[list[int]], denominator: int) -> np.ndarray:
    return np.array([[Fraction(v, denominator) for v in row] for row in rows], dtype=object)


def _checkerboard() -> np.ndarray:
    return (
        np.array([[(r // 2 + c // 2) % 2 for c in range(8)] for r in range(8)], dtype=np.int64) * 2
        - 1
    )


def _square() -> np.ndarray:
    img = np.zeros((8, 8), dtype=np.int64)
    img[2:6, 2:6] = 1
    return img


def _gradient() -> np.ndarray:
    return np.add.outer(np.arange(6), np.arange(6)).astype(np.int64)


@dataclass(frozen=True)
class Preset:
    name: str
    kind: str  # "image" or "kernel"
    description: str
    make: Callable[[], np.ndarray]
    normalize: str | None = None
    """The division this kernel is explained with unless the user chooses another."""


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "x", "image", "the lecture's 9×9 letter X: +1 strokes on a −1 background", lecture_image
        ),
        Preset(
            "square", "image", "an 8×8 image of 0s with a 4×4 square of 1s in the middle", _square
        ),
        Preset("checkerboard", "image", "an 8×8 checkerboard of ±1 in 2×2 blocks", _checkerboard),
        Preset("gradient", "image", "a 6×6 ramp: pixel (r, c) is r + c", _gradient),
        Preset(
            "diagonal",
            "kernel",
            "the lecture's 3×3 filter: +1 on the diagonal, −1 elsewhere",
            diagonal_filter,
            normalize="area",
        ),
        Preset(
            "anti-diagonal",
            "kernel",
            "3×3: +1 on the other diagonal (top right to bottom left), −1 elsewhere",
            anti_diagonal_filter,
        ),
        Preset(
            "x-centre",
            "kernel",
            "3×3: the X's centre, +1 on both diagonals, −1 elsewhere",
            x_centre_filter,
        ),
        Preset(
            "box-blur", "kernel", "3×3 average: every weight 1/9", lambda: _frac([[1, 1, 1]] * 3, 9)
        ),
        Preset(
            "gaussian-blur",
            "kernel",
            "3×3 Gaussian blur: weights 1 2 1 / 2 4 2 / 1 2 1, over 16",
            lambda: _frac([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 16),
        ),
        Preset(
            "sharpen",
            "kernel",
            "3×3 sharpen: 5 in the centre, −1 at its four neighbours",
            lambda: np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.int64),
        ),
        Preset(
            "sobel-x",
            "kernel",
            "3×3 Sobel: responds to left-to-right change (vertical edges)",
            lambda: np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.int64),
        ),
        Preset(
            "sobel-y",
            "kernel",
            "3×3 Sobel: responds to top-to-bottom change (horizontal edges)",
            lambda: np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.int64),
        ),
        Preset(
            "laplacian",
            "kernel",
            "3×3 Laplacian: −4 in the centre, 1 at its four neighbours",
            lambda: np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.int64),
        ),
        Preset(
            "edge-detect",
            "kernel",
            "3×3 edge detection: 8 in the centre, −1 all around",
            lambda: np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.int64),
        ),
        Preset(
            "asymmetric",
            "kernel",
            "3×3 weights 1..9: flipping it changes the result, "
            "which shows what true convolution does",
            lambda: np.arange(1, 10, dtype=np.int64).reshape(3, 3),
        ),
    ]
}


def preset(name: str, kind: str | None = None) -> np.ndarray:
    """The array of the preset called ``name`` (optionally checking it is an image or kernel).

    >>> preset("sobel-x")[0]
    array([-1,  0,  1])
    """
    key = name.strip().lower()
    found = PRESETS.get(key)
    if found is None:
        names = ", ".join(p.name for p in PRESETS.values() if kind in (None, p.kind))
        raise ProblemError(
            f"unknown preset {name!r}; known {kind + 's' if kind else 'presets'}: {names}"
        )
    return found.make()


def lecture_problem() -> Problem:
    """The lecture's example: the 9×9 X, the diagonal filter, divided by the patch area."""
    return Problem(lecture_image(), diagonal_filter(), normalize="area")
