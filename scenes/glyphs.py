"""Text laid out for a label: manim's ``Text``, without the work a label throws away.

A :class:`~scenes.components.Label` keeps only the outline points of the glyphs of a
manim ``Text``. Laying out one of the lecture's captions took a third of a second of
CPU, most of it in two places:

- svgelements reading path data: Pango's SVG defines each glyph once and places it
  with ``<use>``, and svgelements reads the glyph's path data again at every use;
- manim making a VGroup for every element of the SVG (three per glyph: the use, the
  symbol, the group around it), each with its colour arrays, only to name them in a
  dictionary that nothing of a label reads.

:class:`OutlineText` reads each distinct path data once (the path's segments are then
copied, as svgelements copies them) and makes the glyphs' shapes only. Its points are
manim's, bit for bit, and in the same order (``tests/test_glyphs.py``).
"""

from __future__ import annotations

import contextlib
import copy

import svgelements as se
from manim import Text, logger

KEPT_PATHS = 4096
"""Distinct path data kept read (a glyph at one size is one; the lecture has hundreds)."""

_SHAPES = (se.Path, se.SimpleLine, se.Rect, se.Circle, se.Ellipse, se.Polygon, se.Polyline, se.Text)

_read: dict[str, list] = {}


class OutlineText(Text):
    """manim's ``Text``: the same glyph shapes with the same points, and no groups."""

    def generate_mobject(self):
        with _paths_read_once():
            return super().generate_mobject()

    def get_mobjects_from(self, svg):
        """The SVG's shapes as manim finds them (depth first, in document order), without
        the group manim makes for every element."""
        shapes = []
        stack = [svg]
        while stack:
            element = stack.pop()
            if isinstance(element, (se.Group, se.Use)):
                stack.extend(element[::-1])
            if not isinstance(element, _SHAPES):
                continue
            try:
                mob = self.get_mob_from_shape_element(element)
            except Exception as error:  # manim logs a shape it cannot read, and goes on
                logger.error(f"Exception occurred in 'get_mobjects_from'. Details: {error}")
                continue
            if mob is not None:
                shapes.append(mob)
        return shapes, {}


@contextlib.contextmanager
def _paths_read_once():
    """svgelements' path data reader, remembering what it read: a path given path data
    it read before gets copies of the segments it made then."""
    read = se.Path.parse

    def parse(path, pathdef):
        if path._segments or not isinstance(pathdef, str):
            return read(path, pathdef)  # data appended to a path: read as svgelements does
        segments = _read.get(pathdef)
        if segments is None:
            read(path, pathdef)
            if len(_read) >= KEPT_PATHS:
                del _read[next(iter(_read))]  # the oldest
            _read[pathdef] = [copy.copy(segment) for segment in path._segments]
            return None
        path._segments = [copy.copy(segment) for segment in segments]
        path._length = None
        return None

    se.Path.parse = parse
    try:
        yield
    finally:
        se.Path.parse = read
