"""Any lesson as a printable handout, from its script alone: sentences, grids, formulas.

The convolution lesson has a handout made for it (:mod:`explainer.outputs.handout`); every
other lesson gets this one. :func:`lesson_handout_latex` sets each section's sentences, the
grids its boards show (each with its label, the first time a board shows it) and the
formula lines they write, then, when given, one element's full derivation (a LaTeX body
the caller takes from the lesson's own printer, e.g.
:func:`explainer.outputs.layer_printing.render_layer`). :func:`write_lesson_handout`
compiles it with the same pdflatex run as the convolution handout; the PDF and its
``.tex`` are each complete or absent.

>>> from explainer.lessons.layer.words import default_stack
>>> from explainer.lessons.layer import build_script
>>> tex = lesson_handout_latex(build_script(default_stack()))
>>> tex.startswith(r"\\documentclass") and r"\\underset" in tex
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from explainer.errors import TooLargeError
from explainer.files.output import write_atomic
from explainer.lessons.board import Grid
from explainer.lessons.script import Script
from explainer.outputs.handout import PREAMBLE, compile_pdf
from explainer.outputs.tex_limits import MAX_TEX_LINE_CHARS
from explainer.present.numbers import NumberStyle, latex
from explainer.present.tex import latex_matrix, latex_text

GRIDS_PER_LINE = 3

_MORE_TEXT = {
    "⌊": r"$\lfloor$",
    "⌋": r"$\rfloor$",
    "⌈": r"$\lceil$",
    "⌉": r"$\rceil$",
    "Σ": r"$\Sigma$",
    "≈": r"$\approx$",
    "÷": r"$\div$",
    "≤": r"$\le$",
    "≠": r"$\ne$",
    "←": r"$\leftarrow$",
    "∂": r"$\partial$",
    "⋆": r"$\star$",
    "∗": r"$\ast$",
    "²": r"$^2$",
    "½": r"$\frac{1}{2}$",
    "ᵀ": r"$^{\top}$",
    "η": r"$\eta$",
    "ε": r"$\varepsilon$",
    "⟨": r"$\langle$",
    "⟩": r"$\rangle$",
    "≥": r"$\ge$",
    "…": r"\dots{}",
    "–": "--",
    "—": "---",
    "’": "'",
    "“": "``",
    "”": "''",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "^": r"\^{}",
    "~": r"\~{}",
    "\\": r"\textbackslash{}",
}


def tex_text(text: str) -> str:
    """A sentence or a formula line as LaTeX text: every symbol the lessons write mapped to
    TeX (:func:`explainer.present.tex.latex_text` and a few more); any other character
    outside ASCII is written as its code point, never handed raw to pdflatex.

    >>> tex_text("⌊(7 − 2) / 2⌋ + 1 = 3, Σ_c")
    '$\\\\lfloor$(7 $-$ 2) / 2$\\\\rfloor$ + 1 = 3, $\\\\Sigma$\\\\_c'
    """
    out = []
    for ch in text:
        if ch in _MORE_TEXT:
            out.append(_MORE_TEXT[ch])
            continue
        mapped = latex_text(ch)
        if mapped == ch and ord(ch) > 127:
            mapped = f"[U+{ord(ch):04X}]"
        out.append(mapped)
    return "".join(out)


def _matrix(grid: Grid, style: NumberStyle) -> str:
    rows, cols = grid.shape
    body = latex_matrix(
        [list(row) for row in grid.values],
        style,
        row_labels=[str(r) for r in range(rows)],
        col_labels=[str(c) for c in range(cols)],
    )
    return rf"\underset{{\text{{{tex_text(grid.label)}}}}}{{{body}}}"


def check_lines(script: Script, style: NumberStyle) -> None:
    """Refuse, before pdflatex, a grid row TeX could not set (see tex_limits)."""
    for grid in script.grids.values():
        for r, row in enumerate(grid.values):
            width = sum(len(latex(v, style)) + 3 for v in row)
            if width > MAX_TEX_LINE_CHARS:
                raise TooLargeError(
                    f"row {r} of {grid.label} is about {width:,} characters long; TeX cannot "
                    f"set a line of more than about {MAX_TEX_LINE_CHARS:,} characters, so the "
                    "handout refuses it: use 'explainer page' for this one"
                )


def lesson_handout_latex(script: Script, derivation: str | None = None) -> str:
    """The handout as LaTeX; ``derivation`` is a LaTeX body (no preamble) set at its end."""
    style = NumberStyle(decimal=script.decimal, slash=True)
    check_lines(script, style)
    labels = script.labels
    title = labels.get("title", script.lesson)
    parts = [PREAMBLE, r"\begin{document}", rf"\section*{{{tex_text(title)}}}"]
    if labels.get("problem"):
        parts.append(tex_text(labels["problem"]) + ".")
    shown: set[str] = set()
    for section in script.sections:
        if section.title:
            parts.append(rf"\subsection*{{{tex_text(section.title)}}}")
        formulas: list[str] = []
        fresh: list[str] = []
        for beat in section.beats:
            parts.append(tex_text(beat.caption))
            parts.append("")
            if beat.board is None:
                continue
            for line in beat.board.formula:
                if line not in formulas:
                    formulas.append(line)
            fresh += [k for k in beat.board.grids if k not in shown and k not in fresh]
        if formulas:
            lines = r" \\ ".join(r"\texttt{" + tex_text(f) + "}" for f in formulas)
            parts.append(r"\begin{quote}\small " + lines + r"\end{quote}")
        for k in range(0, len(fresh), GRIDS_PER_LINE):
            group = [_matrix(script.grids[key], style) for key in fresh[k : k + GRIDS_PER_LINE]]
            parts.append(r"\[ \fitline{$" + r" \qquad ".join(group) + r"$} \]")
        shown.update(fresh)
    if derivation:
        parts += [r"\subsection*{One element, derived}", derivation]
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"


def document_body(tex: str, level: str = "subsubsection") -> str:
    """The body of a whole LaTeX document (between ``\\begin{document}`` and
    ``\\end{document}``), its headings demoted so that it sits inside the handout."""
    start = tex.index(r"\begin{document}") + len(r"\begin{document}")
    body = tex[start : tex.rindex(r"\end{document}")]
    body = re.sub(r"\\begin\{align\*\}(.*?)\\end\{align\*\}", _fitted_rows, body, flags=re.S)
    return body.replace(r"\subsection*", rf"\{level}*").replace(r"\section*", r"\subsection*")


def _fitted_rows(match: re.Match) -> str:
    """An align* block as display lines, each scaled down to the page when wider (a row of
    many products would run past the margin)."""
    rows = [r.replace("&", "").strip() for r in match.group(1).split("\\\\")]
    return "\n".join(rf"\[ \fitline{{$\displaystyle {r}$}} \]" for r in rows if r)


def _layer_derivation(stack) -> str:
    from explainer.outputs.layer_printing import layer_derivation, render_layer

    return document_body(render_layer(layer_derivation(stack, 1, (0, 0, 0)), "latex"))


DERIVATIONS: dict[str, Callable[[Any], str]] = {"layer": _layer_derivation}
"""Per lesson, one element's full derivation as a LaTeX body, from the lesson's own printer
(the layer lesson: its first pooled element, every activation in the window derived)."""


def lesson_derivation(script: Script) -> str | None:
    """The derivation the handout ends with, when the lesson has a printer for one."""
    make = DERIVATIONS.get(script.lesson)
    return None if make is None else make(script.problem)


def write_lesson_handout(script: Script, target: Path, derivation: str | None = None) -> Path:
    """Write the handout's PDF to ``target`` and its LaTeX source beside it (``.tex``);
    return the source's path."""
    tex = lesson_handout_latex(script, derivation)
    pdf = compile_pdf(tex)
    source = Path(target).with_suffix(".tex")
    write_atomic(source, tex.encode("utf-8"))
    write_atomic(Path(target), pdf)
    return source
