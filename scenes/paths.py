"""Cairo paths built once for a shape that is drawn again unchanged.

manim turns each shape's Bézier points into a cairo path on every frame it draws the
shape: a check that every point is finite, a search for where its subpaths split, and a
Python call per curve. Many frames redraw shapes whose points did not change: a grid
fading in, a cell changing colour, pieces moving over a picture that stays. On the
lecture's sections at 1080p this path building was 30% of the main thread's CPU.

:func:`install` keeps the last paths built, keyed by everything the path depends on
(the points' bytes, the curve size and point tolerance of the shape's class, and the
context's matrix), and replays a kept path with cairo's ``append_path``: the same path
cairo would hold, so the same pixels (``tests/test_paths.py``).
"""

from __future__ import annotations

from collections import OrderedDict

KEPT = 4096
"""Paths kept, the least recently drawn dropped first (a frame of the lecture draws at
most a few hundred shapes; a path is a few kilobytes)."""

_installed = [False]
_kept: OrderedDict = OrderedDict()
built_by_manim: list = []
"""manim's own path building, once :func:`install` has replaced it."""


def install() -> None:
    """Have manim's camera replay a kept path where a shape's points are unchanged."""
    if _installed[0]:
        return
    from manim.camera.camera import Camera

    build = Camera.set_cairo_context_path
    built_by_manim.append(build)

    def set_cairo_context_path(self, ctx, vmobject):
        points = vmobject.points
        if not len(points):
            return build(self, ctx, vmobject)  # manim leaves the context's path as it was
        key = (
            points.tobytes(),
            points.shape,
            points.dtype.str,
            vmobject.n_points_per_cubic_curve,
            vmobject.tolerance_for_point_equality,
            type(vmobject),
            tuple(ctx.get_matrix()),
        )
        path = _kept.get(key)
        if path is not None:
            _kept.move_to_end(key)
            ctx.new_path()
            ctx.append_path(path)
            return self
        build(self, ctx, vmobject)
        _kept[key] = ctx.copy_path()
        if len(_kept) > KEPT:
            _kept.popitem(last=False)
        return self

    Camera.set_cairo_context_path = set_cairo_context_path
    _installed[0] = True
