"""The lesson as one self-contained web page: step through the script's beats, explore any pixel.

:func:`render_page` writes a single HTML file with every style, script and formula inside
it: no server, no network. The page draws the image, the filter and the result as SVG
grids and steps through the script's beats (buttons, a slider, arrow keys, a presentation
clicker); a presentation mode shows one slide per beat with the beat's sentence as speaker
notes in a separate window. Hovering or tapping an output cell shows its window, patch,
products and sympy's derivation as presentation MathML, which browsers render natively.

The page computes nothing: every number it shows is a string taken here from the trace,
the facts, sympy's derivations or the script, embedded as JSON (:func:`page_data`), and
every colour comes from :func:`explainer.present.palette.lesson_scale`. The one exception is
the playground ("Try your own"): there the learner changes the problem, and the page's own
exact engine (templates/exact.js, BigInt fractions, checked against this package's exact path
by a browser test) computes the new numbers; its words say only what that engine computes,
and that the narrated lesson is for the problem the page was built for.

>>> from explainer import lecture_problem
>>> html = render_page(lecture_problem())
>>> html.startswith("<!DOCTYPE html>") and "http" not in html.split("<body")[0]
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

from explainer.core import limits
from explainer.core.problem import Problem
from explainer.core.trace import Number, Step, Trace
from explainer.lessons.convolution import build_script
from explainer.lessons.convolution.sections import MAX_MARKED
from explainer.lessons.script import Script
from explainer.outputs.equivalents import equivalents
from explainer.present import palette
from explainer.present.numbers import PLAIN, SCREEN, NumberStyle, display, exact, text

LEGEND_STEPS = 48
"""Bands of the colour legend's bar (as in the video)."""
PLAYGROUND = {"image": 16, "kernel": 7, "stride": 4, "dilation": 4, "padding": 8}
"""The playground's limits: sides of the image and the kernel, the largest stride and
dilation, padding on a side; its grids (padded image, result) keep the page's own limit."""

# How much of a pixel's arithmetic a beat shows beside the grids: 1 the patch and the filter,
# 2 also the products, 3 also the sum, the value and sympy's derivation. Beats not listed
# that point at one pixel show everything, as does a hovered cell.
_DETAIL = {
    "operation.lay": 1,
    "multiply.take": 1,
    "multiply.products": 2,
    "contrast.take": 2,
}
# Sections whose beats compute the values they point at: from these on, a result cell
# pointed at shows its value. Beats listed in _REVEAL_ALL fill the whole result.
_COMPUTING = ("add", "contrast", "sweep", "result")
_REVEAL_ALL = ("sweep.fill", "sweep.colours", "sweep.summary")
# Beats whose animated window fills the result in as it passes (when the animation runs).
_FILLS = ("sweep.fill",)
# On a phone one grid is in view at a time: the one each section is about.
_TABS = {
    "filter": "kernel",
    "output-size": "result",
    "sweep": "result",
    "result": "result",
    "notation": "result",
    "conclusion": "result",
}
# Beats whose stage is not the grids: the notation beats show the formula and its symbols,
# the output-size formula beats the size formula with this problem's numbers (the counting
# beats keep the grids: they point at the windows along a row).
_VIEWS = {
    "notation.formula": "formula",
    "notation.symbols": "formula",
    "notation.flip": "formula",
    "notation.flip-effect": "formula",
    "notation.symmetric": "formula",
    "output-size.formula": "size",
    "output-size.numbers": "size",
}


def _cell(v: Number, scale: palette.ColourScale, style: NumberStyle) -> list[str]:
    """[shown, exact, fill colour, ink colour] of one value: shown as the script's style
    shows it (exact while readable, else a short decimal), and exactly."""
    return [display(v, style), text(exact(v), SCREEN), scale.hex(v), scale.ink(v)]


def _grid(
    rows: Sequence[Sequence[Number]],
    scale: palette.ColourScale,
    style: NumberStyle,
    first_row: int = 0,
    first_col: int = 0,
    padding: Sequence[Sequence[bool]] | None = None,
) -> dict[str, Any]:
    cells = []
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            entry = _cell(v, scale, style)
            if padding is not None and padding[r][c]:
                entry.append("pad")
            cells.append(entry)
    return {
        "rows": len(rows),
        "cols": len(rows[0]),
        "rowLabels": [text(first_row + r, SCREEN) for r in range(len(rows))],
        "colLabels": [text(first_col + c, SCREEN) for c in range(len(rows[0]))],
        "cells": cells,
    }


def _padding_mask(trace: Trace) -> list[list[bool]]:
    top, left = trace.padding_offset
    h, w = trace.problem.image.shape
    return [
        [not (top <= r < top + h and left <= c < left + w) for c in range(len(row))]
        for r, row in enumerate(trace.padded_image)
    ]


def _window(step: Step, trace: Trace) -> dict[str, Any]:
    """Where a step's window lies on the padded grid: its box and, when dilated, its taps."""
    top, left = trace.padding_offset
    r0, c0, r1, c1 = step.window
    out: dict[str, Any] = {"box": [r0 + top, c0 + left, r1 + top, c1 + left]}
    if trace.problem.dilation != (1, 1):
        out["taps"] = [[r + top, c + left] for r, c in step.positions]
    return out


def _window_words(step: Step) -> str:
    top, left, bottom, right = (text(v, SCREEN) for v in step.window)
    where = f"image rows {top}..{bottom}, columns {left}..{right}"
    if any(step.in_padding):
        where += f"; {_of_taps(sum(step.in_padding), len(step.in_padding))} in the padding"
    return where


def _of_taps(n: int, total: int) -> str:
    """'3 of 9 taps', 'all 9 taps', 'its one tap'."""
    if total == 1:
        return "its one tap"
    return f"all {total} taps" if n == total else f"{n} of {total} taps"


def _steps(
    trace: Trace,
    scale: palette.ColourScale,
    style: NumberStyle,
    derivations: Sequence[Any] | None,
) -> list[dict[str, Any]]:
    from explainer.present import mathml

    divisor = trace.divisor if _divides(trace) else None
    out = []
    for k, step in enumerate(trace.steps):
        entry = {
            "index": list(step.index),
            **_window(step, trace),
            "where": _window_words(step),
            "patch": [_cell(v, scale, style) for v in step.patch],
            "pad": [int(p) for p in step.in_padding],
            "products": [_cell(v, scale, style) for v in step.products],
            "sum": _cell(step.total, scale, style)[:2],
            "value": _cell(step.value, scale, style),
        }
        if derivations is not None:
            lines = mathml.derivation_lines(derivations[k], step.kernel_shape, step.total, divisor)
            entry["math"] = [list(line) for line in lines]
        out.append(entry)
    return out


def _divides(trace: Trace) -> bool:
    """Whether a division is worth showing: never "÷ 1" (a kernel that sums to 1 already)."""
    return trace.problem.normalize is not None and trace.divisor != 1


def _prelude(script: Script) -> dict[str, Any] | None:
    t = script.prelude
    if t is None:
        return None
    scale, style = palette.lesson_scale(t), script.style
    return {
        "signal": _grid(t.padded_image, scale, style),
        "filter": _grid(t.applied_kernel, scale, style.exact()),
        "sums": _grid(t.output, scale, style),
        "windows": [_window(s, t)["box"] for s in t.steps],
    }


def _legend(scale: palette.ColourScale, style: NumberStyle, facts) -> dict[str, Any]:
    m = scale.magnitude
    bands = [scale.hex((1 - 2 * (k + 0.5) / LEGEND_STEPS) * m) for k in range(LEGEND_STEPS)]
    ticks = sorted({facts.best.value, facts.worst.value, 0}, reverse=True)
    return {
        "bands": bands,
        # The swatches beside the words: the colours of the extremes and of zero itself (a
        # band from the bar's middle is already tinted).
        "swatches": {"positive": scale.hex(m), "zero": scale.hex(0), "negative": scale.hex(-m)},
        # From the top of the bar (0) to its bottom (1), where each value's colour sits.
        "ticks": [[display(v, style), (1 - scale.position(v)) / 2] for v in ticks],
        "words": {
            "positive": palette.POSITIVE_NAME,
            "negative": palette.NEGATIVE_NAME,
            "zero": palette.ZERO_NAME,
        },
    }


def _view(key: str, section: str) -> str:
    """What a beat's stage shows: the title card, the one-dimensional prelude, the formula,
    the output size's arithmetic, or the grids."""
    if section == "title":
        return "title"
    if section == "one-dimension":
        return "prelude"
    return _VIEWS.get(key, "grids")


def _beats(script: Script) -> list[dict[str, Any]]:
    revealed: set[tuple[int, int]] = set()
    sums: set[tuple[int, int]] = set()  # the prelude's, once its slide has computed them
    everything = False
    out = []
    # A beat's key names what it stages ("result.best"); the section it is heard in may be
    # another (large results sum up in "sweep"), so sections are read from the script.
    placed = [(k, beat) for k, sec in enumerate(script.sections) for beat in sec.beats]
    for place, beat in placed:
        section = beat.section
        prelude = section == "one-dimension"
        if prelude:
            sums |= set(beat.steps)
        if section in _COMPUTING:
            revealed |= set(beat.steps)
        if beat.key in _REVEAL_ALL:
            everything = True
        single = len(beat.steps) == 1 and not prelude
        shown = sums if prelude else revealed
        out.append(
            {
                "key": beat.key,
                "section": place,
                "caption": beat.caption,
                "speech": beat.speech,
                "steps": [list(s) for s in beat.steps],
                "view": _view(beat.key, section),
                "fill": beat.key in _FILLS,
                "tab": _TABS.get(section, "image"),
                "animate": len(beat.steps) > MAX_MARKED,
                "focus": list(beat.steps[0]) if single else None,
                "detail": _DETAIL.get(beat.key, 3) if single else 3,
                "revealed": "all"
                if everything and not prelude
                else sorted([list(s) for s in shown]),
            }
        )
    return out


def _size_lines(problem: Problem) -> list[dict[str, str]]:
    """The output-size formula with this problem's numbers, per axis; the value by sympy."""
    from explainer.outputs import printing
    from explainer.present import mathml

    return [
        {
            "axis": a.name,
            "math": mathml.size_line(
                a.size, a.before, a.after, a.kernel, a.stride, a.dilation, value
            ),
        }
        for a, value in printing.sized_axes(problem)
    ]


def _playground(problem: Problem) -> dict[str, Any]:
    """The page's problem as the playground starts from it: values as exact strings, options
    as Python's Problem holds them, cut to the playground's limits (and saying so)."""
    most = PLAYGROUND
    h, w = problem.image.shape
    kh, kw = problem.kernel.shape

    def cells(arr, rows: int, cols: int) -> list[list[str]]:
        return [[text(exact(v), PLAIN) for v in row[:cols]] for row in arr.tolist()[:rows]]

    image = cells(problem.image, min(h, most["image"]), min(w, most["image"]))
    kernel = cells(problem.kernel, min(kh, most["kernel"]), min(kw, most["kernel"]))
    cut = [
        f"{name} {a}×{b} → {len(rows)}×{len(rows[0])}"
        for name, (a, b), rows in (("image", (h, w), image), ("kernel", (kh, kw), kernel))
        if (a, b) != (len(rows), len(rows[0]))
    ]
    return {
        "image": image,
        "kernel": kernel,
        "cut": cut,
        "stride": [min(s, most["stride"]) for s in problem.stride],
        "dilation": [min(d, most["dilation"]) for d in problem.dilation],
        "padding": (problem.padding_spec or "").lower()
        or [min(p, most["padding"]) for p in problem.padding],
        "mode": problem.padding_mode,
        "flip": problem.flip,
        "normalize": problem.normalize or "none",
        "limits": {**most, "grid": limits.MAX_PAGE_SIDE},
    }


def page_data(script: Script, *, derive: bool = True) -> dict[str, Any]:
    """Everything the page shows, as strings and colours: nothing is left to compute.

    ``derive=False`` leaves out sympy's per-pixel derivations (quicker, for previews).
    """
    from explainer.present import mathml
    from explainer.proof import symbolic

    trace = script.trace
    problem = trace.problem
    facts = script.facts
    scale, style = palette.lesson_scale(trace), script.style
    top, left = trace.padding_offset
    derivations = symbolic.derive_all(problem) if derive else None
    kernel_given = None
    if problem.flip:
        kh, kw = problem.kernel.shape
        given = facts.kernel_weights
        rows = [given[r * kw : (r + 1) * kw] for r in range(kh)]
        kernel_given = _grid(rows, scale, style.exact())
    return {
        # The script's labels, and the page's own word for a value not yet computed.
        "labels": {**script.labels, "hidden": "not computed yet"},
        "problem": problem.describe(),
        "pixelwise": script.pixelwise,
        "image": _grid(trace.padded_image, scale, style, -top, -left, _padding_mask(trace)),
        "kernel": _grid(trace.applied_kernel, scale, style.exact()),
        "kernelGiven": kernel_given,
        "flip": problem.flip,
        "result": _grid(trace.output, scale, style),
        "divides": _divides(trace),
        "divisor": display(trace.divisor, style.exact()),
        "steps": _steps(trace, scale, style, derivations),
        "prelude": _prelude(script),
        "legend": _legend(scale, style, facts),
        "sections": [{"name": s.name, "title": s.title} for s in script.sections],
        "beats": _beats(script),
        "formula": mathml.to_mathml(symbolic.general_formula(problem), block=True),
        "generalFormula": mathml.to_mathml(symbolic.general_formula(), block=True),
        "sizeFormula": mathml.to_mathml(symbolic.output_size_formula(), block=True),
        "sizeLines": _size_lines(problem),
        "equivalents": [
            {"library": e.library, "code": e.code, "notes": list(e.notes)}
            for e in equivalents(problem)
        ],
        "playground": _playground(problem),
        "colours": {
            "background": palette.BACKGROUND,
            "ink": palette.INK,
            "muted": palette.MUTED,
            "accent": palette.ACCENT,
            "highlight": palette.HIGHLIGHT,
            "padding": palette.PADDING_EDGE,
        },
    }


def _asset(name: str) -> str:
    return resources.files("explainer.outputs").joinpath("templates", name).read_text("utf-8")


def _script_json(data: dict[str, Any]) -> str:
    """JSON safe inside a <script> element: no '</script>' or '<!--' can appear."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(subject: Problem | Script, *, present: bool = False) -> str:
    """The whole page for a problem (or its script), as one HTML string.

    ``present=True`` opens it in presentation mode: one slide per beat.
    """
    script = subject if isinstance(subject, Script) else build_script(subject)
    trace = script.trace
    limits.check_showable(trace.problem.geometry)
    data = page_data(script)
    html = _asset("page.html")
    palette_css = (
        f":root{{--bg:{palette.BACKGROUND};--ink:{palette.INK};--muted:{palette.MUTED};"
        f"--accent:{palette.ACCENT};--highlight:{palette.HIGHLIGHT};"
        f"--padding:{palette.PADDING_EDGE};}}"
    )
    parts = {
        "title": _escape(f"{script.labels['title']}: {trace.problem.describe()}"),
        "mode": "present" if present else "explore",
        "palette": palette_css,
        "css": _asset("page.css"),
        "data": _script_json(data),
        "js": _asset("speaker_notes.js") + _asset("page.js"),  # notes shared by both pages
        "exact": _asset("exact.js"),
        "playground": _asset("playground.js"),
        "playgroundcss": _asset("playground.css"),
    }
    # One pass, so that nothing inserted is read again as a placeholder.
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], html)


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)
