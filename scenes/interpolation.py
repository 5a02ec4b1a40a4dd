"""A transform's frame interpolated for all its shapes at once.

manim's ``Transform`` (and so ``FadeIn``, ``FadeOut``, ``.animate``, ``ApplyMethod``)
interpolates each frame one shape at a time: for every shape of the family, its points
and its fill, stroke and background-stroke colours and sheen direction are each worked
out as ``(1 - alpha) * start + alpha * end`` with three numpy calls on a few numbers.
A grid of 81 cells (162 shapes) took about 12 ms a frame, almost all of it the cost of
the calls; on the lecture at 1080p this was about a sixth of the main thread.

:func:`install` makes such a frame one computation per attribute over the whole family:
every shape's start and end values laid end to end, the same expression evaluated once,
and each shape given a view of its own part (a new array each frame, as manim's).
numpy's ufuncs compute element by element in IEEE double, so each value is the very
number the shape-by-shape computation gives (``tests/test_interpolation.py``).

The batch is used only where manim's own steps are known: a ``Transform`` that
interpolates in a straight line with no lag between shapes, shapes whose
``interpolate`` and ``interpolate_color`` are manim's own for vector shapes, and start
and end values of the same shape and type. Anything else is interpolated by manim.
"""

from __future__ import annotations

import operator

import numpy as np

from scenes import families as families_module

ARRAYS = ("fill_rgbas", "stroke_rgbas", "background_stroke_rgbas", "sheen_direction")
"""What ``VMobject.interpolate_color`` interpolates as arrays, after the points."""

VALUES = ("points", *ARRAYS)
FLOAT = np.dtype(np.float64)

NUMBERS = ("stroke_width", "background_stroke_width", "sheen_factor")
"""What it interpolates as single numbers."""

_installed = [False]
by_manim: dict = {}
"""manim's own ``Animation.interpolate_mobject``, once :func:`install` has replaced it."""


def install() -> None:
    if _installed[0]:
        return
    families_module.install()  # knows whether any updater could change a start or an end
    from manim.animation.animation import Animation
    from manim.animation.transform import Transform
    from manim.mobject.mobject import Mobject
    from manim.mobject.types.vectorized_mobject import VMobject
    from manim.utils.bezier import interpolate

    one_by_one = Animation.interpolate_mobject
    by_manim["interpolate_mobject"] = one_by_one
    own_steps = (Transform.interpolate_submobject, Mobject.interpolate)

    def interpolate_mobject(self, alpha: float) -> None:
        if (
            not isinstance(self, Transform)
            or type(self).interpolate_submobject is not own_steps[0]
            or self.lag_ratio != 0
            or self.path_func is not interpolate
        ):
            return one_by_one(self, alpha)
        families = list(self.get_all_families_zipped())
        if not families or not all(
            type(shape).interpolate is own_steps[1]
            and type(shape).interpolate_color is VMobject.interpolate_color
            and isinstance(start, VMobject)
            and isinstance(end, VMobject)
            for shape, start, end in families
        ):
            return one_by_one(self, alpha)
        # With no lag every shape has the same sub-alpha (manim asks for it per shape).
        sub_alpha = self.get_sub_alpha(alpha, 0, len(families))
        if not _interpolate_together(self, families, sub_alpha, interpolate):
            return one_by_one(self, alpha)
        return None

    Animation.interpolate_mobject = interpolate_mobject
    _installed[0] = True


def _interpolate_together(animation, families, alpha, interpolate) -> bool:
    """Set every shape's points and colours between its start's and its end's, as
    ``Mobject.interpolate`` with a straight path does; False (nothing changed) where
    the values do not line up."""
    columns = [
        (
            [getattr(start, name) for _, start, _ in families],
            [getattr(end, name) for _, _, end in families],
        )
        for name in VALUES
    ]
    laid = getattr(animation, "_explainer_laid", None)
    if laid is None or not _same_arrays(laid[0], columns) or families_module.updater_added():
        laid = _lay_end_to_end(columns)
        if laid is None:
            return False
        animation._explainer_laid = laid
    shapes = [shape for shape, _, _ in families]
    for name, (_, ends), (start, end, cuts) in zip(VALUES, columns, laid[1], strict=True):
        if alpha == 1.0 and name != "points":  # manim ends on copies of the end's colours
            for shape, value in zip(shapes, ends, strict=True):
                setattr(shape, name, value.copy())
            continue
        # manim's own expression, once for all the shapes; each gets a view of its part.
        parts = _parts(interpolate(start, end, alpha), len(shapes), cuts)
        for shape, part in zip(shapes, parts, strict=True):
            setattr(shape, name, part)
    beta = 1 - alpha
    for name in NUMBERS:
        for shape, start, end in families:
            value = getattr(end, name)
            if alpha == 1.0:
                setattr(shape, name, value.copy() if isinstance(value, np.ndarray) else value)
            else:  # manim's interpolate(start, end, alpha), without the call
                setattr(shape, name, beta * getattr(start, name) + alpha * value)
    return True


def _lay_end_to_end(columns):
    """The start and end values of every attribute laid end to end, with the arrays they
    were taken from; None unless every pair is of float arrays of one shape."""
    laid = []
    for starts, ends in columns:
        if (
            {type(value) for value in starts} | {type(value) for value in ends} != {np.ndarray}
            or {value.dtype for value in starts} | {value.dtype for value in ends} != {FLOAT}
            or [value.shape for value in starts] != [value.shape for value in ends]
        ):
            return None
        start, end = np.concatenate(starts, axis=None), np.concatenate(ends, axis=None)
        laid.append((start, end, _cuts(starts)))
    return columns, laid


def _same_arrays(kept, columns) -> bool:
    """Whether the start and end values are the very arrays laid end to end before.

    A transform's start and end are its own copies, which nothing changes during the
    animation but their updaters (none unless one was added: then they are laid out
    again every frame)."""
    return all(
        len(a) == len(b) and all(map(operator.is_, a, b))
        for (kept_starts, kept_ends), (starts, ends) in zip(kept, columns, strict=True)
        for a, b in ((kept_starts, starts), (kept_ends, ends))
    )


def _cuts(like: list):
    """How to cut values laid end to end back into arrays shaped as ``like``'s: one
    shape for all, or each array's (start, end, shape)."""
    shape = like[0].shape
    if all(value.shape == shape for value in like):
        return shape
    cuts, offset = [], 0
    for value in like:
        cuts.append((offset, offset + value.size, value.shape))
        offset += value.size
    return cuts


def _parts(whole: np.ndarray, count: int, cuts) -> list:
    """``whole`` cut as :func:`_cuts` says: views, one per shape."""
    if isinstance(cuts, tuple):
        return list(whole.reshape((count, *cuts)))
    return [whole[start:end].reshape(shape) for start, end, shape in cuts]
