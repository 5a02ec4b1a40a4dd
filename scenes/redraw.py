"""Each frame of an animation restores, and hands to the encoder, only the rectangle its
moving shapes can touch.

For every frame of an animation manim copies the still picture (what does not move)
over the whole frame, draws the moving shapes on it, and copies the whole frame for the
encoder, which then compares it with the frame before to find what changed: three
passes over 8 MB at 1080p, for shapes that cover a tenth of the picture on average.

:func:`install` keeps, per camera, the rectangle the last frame drew in. The next frame
restores the still picture there only, draws, and hands the encoder a
:class:`FramePatch`: the pixels of the rectangles drawn last time and this time, the
only places where the two frames can differ. Outside them the frame is the still
picture, as the frame before was. Wherever that cannot be known (the first frame of an
animation, a new still picture, any other drawing, a camera of another kind, shapes of
other kinds) the frame is drawn and handed on whole, as manim does.

A shape's pixels lie within the rectangle around its points (a Bézier curve lies within
its control points), widened by its stroke: half the stroke's width times cairo's miter
limit (a sharp corner's miter reaches that far) and two pixels of antialiasing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MITER_LIMIT = 10.0
"""cairo's default miter limit, which manim leaves as it is."""

SMOOTHING = 2
"""Pixels around a shape's exact outline that antialiasing may touch."""


@dataclass(frozen=True)
class FramePatch:
    """A frame given as the frame before with ``pixels`` pasted at (``top``, ``left``)."""

    top: int
    left: int
    pixels: np.ndarray


@dataclass(frozen=True)
class _Drawn:
    """What a camera's pixels hold after a frame: the still picture except in ``box``."""

    background: np.ndarray
    pixels: np.ndarray
    job: object
    box: tuple[int, int, int, int]


_installed = [False]


def install() -> None:
    if _installed[0]:
        return
    from manim.camera.camera import Camera
    from manim.renderer.cairo_renderer import CairoRenderer

    render = CairoRenderer.render
    update_frame = CairoRenderer.update_frame
    set_pixel_array = Camera.set_pixel_array

    def forgetting_update_frame(self, *args, **kwargs):
        self.camera._explainer_drawn = None
        return update_frame(self, *args, **kwargs)

    def forgetting_set_pixel_array(self, *args, **kwargs):
        self._explainer_drawn = None
        return set_pixel_array(self, *args, **kwargs)

    def patched_render(self, scene, time, moving_mobjects=None) -> None:
        camera = self.camera
        job = getattr(self.file_writer, "_current_encode_job", None)
        if self.skip_animations or job is None or not moving_mobjects or type(camera) is not Camera:
            render(self, scene, time, moving_mobjects)
            return
        shapes = camera.get_mobjects_to_display(moving_mobjects, include_submobjects=True)
        box = _pixel_box(camera, shapes)
        if box is None:
            render(self, scene, time, moving_mobjects)
            return
        background = camera.background if self.static_image is None else self.static_image
        drawn = getattr(camera, "_explainer_drawn", None)
        if (
            drawn is None
            or drawn.background is not background
            or drawn.pixels is not camera.pixel_array
            or drawn.job is not job
        ):
            update_frame(self, scene, moving_mobjects)
            camera._explainer_drawn = _Drawn(background, camera.pixel_array, job, box)
            self.add_frame(self.get_frame())
            return
        pixels = camera.pixel_array
        top, bottom, left, right = drawn.box
        pixels[top:bottom, left:right] = background[top:bottom, left:right]
        # The shapes found above are what capture_mobjects would list again.
        camera.capture_mobjects(shapes, include_submobjects=False)
        top, bottom, left, right = _union(drawn.box, box)
        camera._explainer_drawn = _Drawn(background, pixels, job, box)
        self.add_frame(FramePatch(top, left, pixels[top:bottom, left:right].copy()))

    CairoRenderer.render = patched_render
    CairoRenderer.update_frame = forgetting_update_frame
    Camera.set_pixel_array = forgetting_set_pixel_array
    _installed[0] = True


def _pixel_box(camera, shapes) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), ends excluded, within which drawing ``shapes`` can
    change a pixel; None where that is not known."""
    from manim.mobject.types.vectorized_mobject import VMobject

    if not shapes:
        return (0, 0, 0, 0)
    stroke = 0.0
    for shape in shapes:
        if not isinstance(shape, VMobject):
            return None
        stroke = max(stroke, shape.get_stroke_width(), shape.get_stroke_width(background=True))
    points = np.concatenate([shape.points for shape in shapes])
    if not np.isfinite(points).all():
        return None
    scale_x = camera.pixel_width / camera.frame_width
    scale_y = camera.pixel_height / camera.frame_height
    width = stroke * camera.cairo_line_width_multiple * scale_x
    reach = math.ceil(width / 2 * MITER_LIMIT) + SMOOTHING
    center_x, center_y = camera.frame_center[0], camera.frame_center[1]
    xs = (points[:, 0] - center_x) * scale_x + camera.pixel_width / 2
    ys = camera.pixel_height / 2 - (points[:, 1] - center_y) * scale_y
    left = max(0, math.floor(xs.min()) - reach)
    right = min(camera.pixel_width, math.ceil(xs.max()) + 1 + reach)
    top = max(0, math.floor(ys.min()) - reach)
    bottom = min(camera.pixel_height, math.ceil(ys.max()) + 1 + reach)
    if left >= right or top >= bottom:
        return (0, 0, 0, 0)  # off the picture
    return top, bottom, left, right


def _union(a, b) -> tuple[int, int, int, int]:
    if a[0] >= a[1] or a[2] >= a[3]:
        return b
    if b[0] >= b[1] or b[2] >= b[3]:
        return a
    return min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])
