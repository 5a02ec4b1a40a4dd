"""The transposed lesson's shape: its sections in order, their titles, its beat keys."""

from __future__ import annotations

LESSON = "transposed"

SECTION_NAMES: tuple[str, ...] = ("title", "setup", "size", "stamps", "overlap", "views", "summary")

TITLES: dict[str, str] = {
    "title": "",
    "setup": "The small input and the larger output",
    "size": "How large the output is",
    "stamps": "Stamps that add up",
    "overlap": "Overlaps and the checkerboard",
    "views": "Three views, one result",
    "summary": "In short",
}

BEAT_KEYS: frozenset[str] = frozenset(
    {
        "title.question",
        "setup.grids",
        "size.formula",
        "stamps.one",
        "stamps.next",
        "stamps.add",
        "stamps.output",
        "overlap.count",
        "overlap.checker",
        "views.zeros",
        "views.matrix",
        "summary.views",
    }
)
