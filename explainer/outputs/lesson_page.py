"""Any lesson as one self-contained web page, staged from its script's boards alone.

The convolution lesson has a page made for it (:mod:`explainer.outputs.page`); every other
lesson gets this one, which reads nothing but the script: its sections and sentences, its
grids (:attr:`~explainer.lessons.script.Script.grids`) and each beat's
:class:`~explainer.lessons.board.Board`. The page steps beat by beat (buttons, arrow keys),
draws the grids a board names with their labels and marked cells, the formula lines and the
caption; hovering or focusing a cell shows its exact value and the writer's detail line.

Nothing is computed in the browser: every value is a string made here with the script's
number style, every colour comes from :mod:`explainer.present.palette`.

>>> from explainer.lessons.layer.words import default_stack
>>> from explainer.lessons.layer import build_script
>>> html = render_lesson_page(build_script(default_stack()))
>>> html.startswith("<!DOCTYPE html>") and "http" not in html.split("<body")[0]
True
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from explainer.lessons.board import MARK_KINDS, Grid
from explainer.lessons.script import Script
from explainer.present import palette
from explainer.present.numbers import SCREEN, NumberStyle, display, exact, text

MARK_WORDS = {
    "focus": "the cell spoken of",
    "window": "a window",
    "chosen": "the value kept",
    "result": "the value computed",
}
"""What each kind of mark means, in the key beside the grids (and in a cell's name)."""


def board_scale(script: Script) -> palette.ColourScale:
    """One colour scale for the whole lesson: the largest magnitude of any grid's value,
    so that one value has one colour on every board."""
    values = [abs(v) for g in script.grids.values() for row in g.values for v in row]
    return palette.ColourScale(max(values, default=1))


def _grid(grid: Grid, scale: palette.ColourScale, style: NumberStyle) -> dict[str, Any]:
    rows, cols = grid.shape
    return {
        "label": grid.label,
        "rows": rows,
        "cols": cols,
        # [shown, exact, fill, ink, detail] per cell, row-major.
        "cells": [
            [
                display(v, style),
                text(exact(v), SCREEN),
                scale.hex(v),
                scale.ink(v),
                grid.detail(r, c),
            ]
            for r, row in enumerate(grid.values)
            for c, v in enumerate(row)
        ],
    }


def lesson_page_data(script: Script) -> dict[str, Any]:
    """Everything the page shows, as strings and colours: nothing is left to compute."""
    scale, style = board_scale(script), script.style
    placed = [(k, b) for k, sec in enumerate(script.sections) for b in sec.beats]
    beats = []
    for section, beat in placed:
        board = beat.board
        entry: dict[str, Any] = {
            "key": beat.key,
            "section": section,
            "caption": beat.caption,
            "grids": [],
            "marks": {},
            "formula": [],
        }
        if board is not None:
            entry["grids"] = list(board.grids)
            entry["formula"] = list(board.formula)
            for m in board.marks:
                entry["marks"].setdefault(m.grid, []).extend([r, c, m.kind] for r, c in m.cells)
        beats.append(entry)
    return {
        "lesson": script.lesson,
        "title": script.labels.get("title", script.lesson),
        "problem": script.labels.get("problem", ""),
        "sections": [{"name": s.name, "title": s.title} for s in script.sections],
        "beats": beats,
        "grids": {key: _grid(g, scale, style) for key, g in script.grids.items()},
        "markWords": {k: MARK_WORDS[k] for k in MARK_KINDS},
        "legend": {
            "negative": [scale.hex(-scale.magnitude), palette.NEGATIVE_NAME],
            "zero": [scale.hex(0), palette.ZERO_NAME],
            "positive": [scale.hex(scale.magnitude), palette.POSITIVE_NAME],
        },
    }


def _asset(name: str) -> str:
    return resources.files("explainer.outputs").joinpath("templates", name).read_text("utf-8")


def _script_json(data: dict[str, Any]) -> str:
    """JSON safe inside a <script> element: no '</script>' or '<!--' can appear."""
    out = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


HELP = {
    "page": "Arrow keys ← → step through the lesson; Tab into a grid, then arrow keys move "
    "from cell to cell.",
    "slides": "← → Space, Page Up, Page Down: previous or next slide; Home, End: the first "
    "or the last; S: speaker notes (the sentence, the next one, a clock) in a second window. "
    "Tab into a grid to read its cells.",
}
"""The page's one line of help, per mode (the keys, not the lesson: no lesson words)."""


def render_lesson_page(script: Script, slides: bool = False) -> str:
    """The whole page for a script, as one HTML string (no network, no server).

    With ``slides`` it is a presentation of the same beats: one slide per beat, its
    sentence in large type over its board, sized to fill the screen (a projector at
    1920×1080 or a phone), stepped by arrows, Space, Page Up/Down, Home and End. It is
    the same data, markup and script as the page, with a stylesheet of its own. Its speaker
    notes (S, or the Notes button) are the script's sentences, as the convolution slides'
    are: the one on the slide and the next, with a clock, in a second window whose keys
    drive the slides (under the slide when the browser blocks the window).
    """
    import html as htmllib

    data = lesson_page_data(script)
    palette_css = (
        f":root{{--bg:{palette.BACKGROUND};--ink:{palette.INK};--muted:{palette.MUTED};"
        f"--accent:{palette.ACCENT};--highlight:{palette.HIGHLIGHT};--halo:{palette.HALO};"
        f"--padding:{palette.PADDING_EDGE};}}"
    )
    title = data["title"] + (f": {data['problem']}" if data["problem"] else "")
    mode = "slides" if slides else "page"
    parts = {
        "title": htmllib.escape(title + (" (slides)" if slides else ""), quote=True),
        "mode": mode,
        "help": htmllib.escape(HELP[mode]),
        "palette": palette_css,
        "css": _asset("lesson_page.css") + (_asset("lesson_slides.css") if slides else ""),
        "data": _script_json(data),
        "js": _asset("speaker_notes.js") + _asset("lesson_page.js"),  # notes shared by both pages
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _asset("lesson_page.html"))
