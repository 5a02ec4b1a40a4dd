"""One colour language: a value has one colour in every grid, and the palette keeps
positive and negative apart for viewers with deuteranopia."""

from __future__ import annotations

import numpy as np
from scene_support import run_lecture

from explainer import lecture_problem
from explainer.present.palette import NEGATIVE, POSITIVE, ZERO, ColourScale
from scenes.components import ValueGrid

# Machado, Oliveira & Fernandes (2009), deuteranopia at severity 1.0, on linear RGB.
DEUTERANOPIA = np.array(
    [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]
)


def _linear(rgb) -> np.ndarray:
    c = np.asarray(rgb, dtype=float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of a linear-RGB colour."""
    xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    ) @ np.clip(linear, 0, 1)
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _seen_by_deuteranope(rgb) -> np.ndarray:
    return _lab(DEUTERANOPIA @ _linear(rgb))


def _distance(a, b) -> float:
    return float(np.linalg.norm(_seen_by_deuteranope(a) - _seen_by_deuteranope(b)))


def test_positive_and_negative_stay_apart_under_deuteranopia():
    scale = ColourScale(1)
    for magnitude in (1, 0.5, 0.25):
        pos, neg = scale.rgb(magnitude), scale.rgb(-magnitude)
        assert _distance(pos, neg) > 25, magnitude  # CIE76: 2.3 is just noticeable
    assert _distance(POSITIVE, ZERO) > 40 and _distance(NEGATIVE, ZERO) > 40
    # The old red/green product colours, for comparison: a third as far apart, or less.
    old_pair = _distance((0xC0, 0x39, 0x2B), (0x2E, 0x8B, 0x57))
    assert old_pair < _distance(POSITIVE, NEGATIVE) / 3


def _grid_colours(grid: ValueGrid) -> list[tuple[object, str]]:
    return [
        (grid.values[r][c], grid.cell(r, c).get_fill_color().to_hex().lower())
        for r in range(grid.rows)
        for c in range(grid.cols)
        if grid.values[r][c] is not None
    ]


def test_the_same_value_has_the_same_colour_in_every_grid(manim_media):
    colours: dict[object, set[str]] = {}
    where: dict[object, set[str]] = {}

    def record(scene):
        for key in ("image", "kernel"):
            grid = scene.stage.get(key)
            if isinstance(grid, ValueGrid):
                for value, colour in _grid_colours(grid):
                    colours.setdefault(value, set()).add(colour)
                    where.setdefault(value, set()).add(key)
        for key in ("filled", "result_cells"):
            for cell in scene.stage.get(key, ()):
                value = cell.value
                colours.setdefault(value, set()).add(cell[0].get_fill_color().to_hex().lower())
                where.setdefault(value, set()).add(key)

    run_lecture(lecture_problem(), ["multiply", "sweep"], manim_media, on_beat=record)
    # 1 and -1 appear in the image, the filter, the products and (1) the result.
    assert {"image", "kernel", "filled"} <= where[1] and "result_cells" in where[1]
    assert {"image", "kernel"} <= where[-1]
    for value, seen in colours.items():
        assert len(seen) == 1, f"{value} is drawn in {sorted(seen)}"
    assert colours[1] != colours[-1]
