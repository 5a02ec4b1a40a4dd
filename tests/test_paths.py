"""A kept cairo path draws the very pixels manim's own path building draws."""

from __future__ import annotations

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes import paths  # noqa: E402


def _shapes():
    """Shapes of every kind the lecture draws: closed and open, one subpath and many,
    filled and stroked, a glyph, and shapes with no points or with non-finite points."""
    square = manim.Square(1.2, color=manim.RED, fill_opacity=0.6).shift(2.5 * manim.LEFT)
    circle = manim.Circle(0.7, color=manim.BLUE, fill_opacity=1).shift(manim.UP)
    ring = manim.Annulus(0.3, 0.6, color=manim.GREEN).shift(2 * manim.RIGHT + manim.DOWN)
    dashes = manim.DashedLine(3 * manim.LEFT + manim.DOWN, 3 * manim.RIGHT + manim.UP)
    glyphs = manim.Text("Ag 9", font_size=40).shift(1.5 * manim.DOWN)
    broken = manim.VMobject().set_points_as_corners([[0, 0, 0], [1, 1, 0], [2, 0, 0]])
    broken.points[1, 0] = np.nan
    return [square, circle, ring, dashes, glyphs, manim.VMobject(), broken]


def _draw(shapes) -> np.ndarray:
    camera = manim.Camera(pixel_width=320, pixel_height=180)
    camera.capture_mobjects(shapes)
    return camera.pixel_array.copy()


def _by_manim(monkeypatch, shapes) -> np.ndarray:
    with monkeypatch.context() as patch:
        patch.setattr(manim.Camera, "set_cairo_context_path", paths.built_by_manim[0])
        return _draw(shapes)


def test_kept_paths_draw_manims_pixels(monkeypatch):
    paths.install()
    shapes = _shapes()
    expected = _by_manim(monkeypatch, shapes)
    assert (expected != expected[0, 0]).any()  # something was drawn
    paths._kept.clear()
    paths._kept_bytes[0] = 0
    assert np.array_equal(_draw(shapes), expected)  # every path built and kept
    kept = len(paths._kept)
    assert kept >= 5
    assert np.array_equal(_draw(shapes), expected)  # every path replayed
    assert len(paths._kept) == kept

    # Points changed in place (as manim's shift does) are a new path, not the kept one.
    shapes[0].shift(0.5 * manim.UP)
    shapes[4].rotate(0.3)
    moved = _by_manim(monkeypatch, shapes)
    assert not np.array_equal(moved, expected)
    assert np.array_equal(_draw(shapes), moved)
    assert len(paths._kept) == kept + 1 + len(shapes[4].family_members_with_points())


def test_the_kept_paths_are_bounded_by_their_points_bytes(monkeypatch):
    paths.install()
    shapes = [manim.Square(0.2).shift(0.3 * k * manim.RIGHT) for k in range(6)]
    size = shapes[0].points.nbytes  # every square has as many points
    monkeypatch.setattr(paths, "KEPT_BYTES", 3 * size)
    paths._kept.clear()
    paths._kept_bytes[0] = 0
    expected = _by_manim(monkeypatch, shapes)
    assert np.array_equal(_draw(shapes), expected)
    assert len(paths._kept) == 3 and paths._kept_bytes[0] == 3 * size
    kept = {key[0] for key in paths._kept}
    assert kept == {shape.points.tobytes() for shape in shapes[3:]}  # the last drawn


def _random_shape(rng) -> manim.VMobject:
    """Curves in runs that join, nearly join (within and beyond manim's tolerance) or
    jump; some runs closed; a point count not always a whole number of curves."""
    anchors = [rng.normal(size=3)]
    points = []
    for _ in range(int(rng.integers(1, 9))):
        start = anchors[-1].copy()
        gap = rng.choice([0.0, 1e-9, 1e-7, 1e-3, 0.5])
        start[:2] += gap * rng.choice([-1, 1], size=2)
        end = rng.normal(size=3) if rng.random() > 0.3 else points[0] if points else start
        handles = rng.normal(size=(2, 3))
        points += [start, handles[0], handles[1], np.array(end, float)]
        anchors.append(np.array(end, float))
    shape = manim.VMobject()
    shape.points = np.array(points[: len(points) - int(rng.integers(0, 2)) * 2])
    return shape


def test_a_path_built_anew_is_manims_path():
    import cairo

    paths.install()
    camera = manim.Camera(pixel_width=64, pixel_height=36)
    ctx = camera.get_cairo_context(camera.pixel_array)
    rng = np.random.default_rng(11)
    closes = splits = 0
    for _ in range(300):
        shape = _random_shape(rng)
        paths.built_by_manim[0](camera, ctx, shape)
        want = list(ctx.copy_path())
        paths._build(ctx, shape, shape.points)
        assert list(ctx.copy_path()) == want
        closes += any(kind == cairo.PATH_CLOSE_PATH for kind, _ in want)
        splits += sum(kind == cairo.PATH_MOVE_TO for kind, _ in want) > 1
    assert closes > 20 and splits > 100  # the shapes tried both rules
