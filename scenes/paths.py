"""Cairo paths built once for a shape that is drawn again unchanged.

manim turns each shape's Bézier points into a cairo path on every frame it draws the
shape: a check that every point is finite, a search for where its subpaths split, and a
Python call per curve. Many frames redraw shapes whose points did not change: a grid
fading in, a cell changing colour, pieces moving over a picture that stays. On the
lecture's sections at 1080p this path building was 30% of the main thread's CPU.

:func:`install` keeps the last paths built, keyed by everything the path depends on
(the points' bytes, the curve size and point tolerance of the shape's class, and the
context's matrix), and replays a kept path with cairo's ``append_path``: the same path
cairo would hold, so the same pixels (``tests/test_paths.py``). A path not kept is
built as manim builds it, from Python floats instead of numpy scalars (:func:`_build`).
"""

from __future__ import annotations

from collections import OrderedDict

KEPT_BYTES = 32 * 1024 * 1024
"""Bytes of points kept with their paths, the least recently drawn dropped first (a frame
of the lecture draws at most a few hundred shapes of a few kilobytes; a caption moving
in makes a new path of tens of kilobytes every frame). A path takes less room than its
points (cairo keeps two coordinates, not three, as doubles)."""

_installed = [False]
_kept: OrderedDict = OrderedDict()
_kept_bytes = [0]
built_by_manim: list = []
"""manim's own path building, once :func:`install` has replaced it."""


def install() -> None:
    """Have manim's camera replay a kept path where a shape's points are unchanged."""
    global _SPLIT, _CLOSED, _PROJECTED
    if _installed[0]:
        return
    from manim.camera.camera import Camera
    from manim.mobject.types.vectorized_mobject import VMobject

    build = Camera.set_cairo_context_path
    built_by_manim.append(build)

    def set_cairo_context_path(self, ctx, vmobject):
        points = vmobject.points
        if not len(points) or type(self).transform_points_pre_display is not _PROJECTED:
            # manim leaves the context's path as it was; a 3D camera's projection moves
            # a path whose points stay.
            return build(self, ctx, vmobject)
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
        if type(vmobject).get_subpath_split_indices_from_points is _SPLIT and (
            type(vmobject).consider_points_equals_2d is _CLOSED
        ):
            _build(ctx, vmobject, points)
        else:
            build(self, ctx, vmobject)  # a shape of its own rules
        _kept[key] = ctx.copy_path()
        _kept_bytes[0] += len(key[0])
        while _kept_bytes[0] > KEPT_BYTES:
            dropped, _ = _kept.popitem(last=False)
            _kept_bytes[0] -= len(dropped[0])
        return self

    _PROJECTED = Camera.transform_points_pre_display
    _SPLIT = VMobject.get_subpath_split_indices_from_points
    _CLOSED = VMobject.consider_points_equals_2d
    Camera.set_cairo_context_path = set_cairo_context_path
    _installed[0] = True


_SPLIT = _CLOSED = _PROJECTED = None
RTOL = 1.0e-5
"""numpy.isclose's relative tolerance, which manim uses to find where subpaths split."""


def _build(ctx, vmobject, points) -> None:
    """The path manim's ``Camera.set_cairo_context_path`` builds, built from Python
    floats: the same subpaths (manim's rule, a curve's end anchor close to the next
    curve's start, in the same floating-point operations), the same curves and closes.

    manim's version spends its time on small numpy calls and on reading one numpy
    scalar per coordinate; a shape that moves is built anew every frame.
    """
    import numpy as np

    if not np.isfinite(points).all():
        points = np.zeros((1, 3))  # manim draws nothing for a shape with such a point
    ctx.new_path()
    size = vmobject.n_points_per_cubic_curve
    count = len(points)
    if count < size:
        return
    xy = points[:, :2].tolist()
    atol = vmobject.tolerance_for_point_equality
    starts = [0]
    for k in range(size, count, size):
        (x0, y0), (x1, y1) = xy[k - 1], xy[k]
        if not (abs(x0 - x1) <= atol + RTOL * abs(x1) and abs(y0 - y1) <= atol + RTOL * abs(y1)):
            starts.append(k)
    starts.append(count)
    closed = vmobject.consider_points_equals_2d
    move_to, curve_to = ctx.move_to, ctx.curve_to
    for start, end in zip(starts, starts[1:], strict=False):
        if end - start < size:
            continue
        ctx.new_sub_path()
        move_to(*xy[start])
        for i in range(start, end - size + 1, size):
            (ax, ay), (bx, by), (cx, cy) = xy[i + 1], xy[i + 2], xy[i + 3]
            curve_to(ax, ay, bx, by, cx, cy)
        if closed(xy[start], xy[end - 1]):
            ctx.close_path()
