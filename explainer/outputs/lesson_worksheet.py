"""Any board lesson as a printable worksheet: its exercises on their boards, a key at the end.

The convolution lesson's worksheet is its handout's (:mod:`explainer.outputs.handout`,
``worksheet=True``); every other lesson gets this one, which sets out the exercises of
:func:`explainer.lessons.exercises.exercises`: each question (worded by the lesson from its
verified claims) above the grids of its board, the result cells left blank, each with a
letter to write the answer against; a question whose answers are no grid's cells (a size, a
count, a shape) gets labelled boxes instead. The answer key, on a page of its own at the end, gives
each letter its value (the board's) and the beat's sentence and formula lines. Nothing here
computes a value or words a sentence of the lesson. :func:`write_lesson_worksheet` compiles
it with the handouts' pdflatex run; the PDF and its ``.tex`` are each complete or absent.

>>> from explainer.lessons.layer.words import default_stack
>>> from explainer.lessons.layer import build_script
>>> tex = lesson_worksheet_latex(build_script(default_stack()))
>>> r"\\slot{a}" in tex and tex.index("Answer key") > tex.index(r"\\slot{a}")
True
"""

from __future__ import annotations

import string
from pathlib import Path

from explainer.errors import ProblemError
from explainer.files.output import write_atomic
from explainer.lessons.board import Grid
from explainer.lessons.exercises import Exercise, exercises
from explainer.lessons.script import Script
from explainer.outputs.handout import PREAMBLE, compile_pdf
from explainer.outputs.lesson_handout import GRIDS_PER_LINE, check_lines, tex_text
from explainer.present.numbers import NumberStyle, latex
from explainer.present.tex import latex_matrix

SLOT = (
    r"\newcommand{\slot}[1]{\makebox[2.8em][l]{\rule[-0.7em]{0pt}{2em}"
    r"\raisebox{-0.55em}{\color{black!60}\scriptsize (#1)}}}"
)
"""A blank cell to write in, its letter small in its corner."""
INTRO = (
    "Work out each lettered box from the grids around it and write the value in the box. "
    "The answer key is on the last page."
)


def _letters(items: tuple[Exercise, ...]) -> list[list[str]]:
    """One letter per blank, a, b, c … across the worksheet (then aa, ab …)."""
    names = list(string.ascii_lowercase)
    names += [a + b for a in string.ascii_lowercase for b in string.ascii_lowercase]
    out, k = [], 0
    for ex in items:
        n = len(ex.blanks) + len(ex.boxes)
        out.append(names[k : k + n])
        k += n
    return out


def _matrix(grid: Grid, style: NumberStyle, blanks: dict[tuple[int, int], str]) -> str:
    rows, cols = grid.shape
    cells = [
        [rf"\slot{{{blanks[(r, c)]}}}" if (r, c) in blanks else v for c, v in enumerate(row)]
        for r, row in enumerate(grid.values)
    ]
    body = latex_matrix(
        cells,
        style,
        row_labels=[str(r) for r in range(rows)],
        col_labels=[str(c) for c in range(cols)],
    )
    return rf"\underset{{\text{{{tex_text(grid.label)}}}}}{{{body}}}"


def _board(
    script: Script, ex: Exercise, blanks: dict[tuple[str, int, int], str], style: NumberStyle
) -> list[str]:
    """The exercise's grids, every answer of the worksheet blank wherever its grid appears
    (a later exercise never shows an earlier one's answer)."""
    lines = []
    for k in range(0, len(ex.grids), GRIDS_PER_LINE):
        group = []
        for key in ex.grids[k : k + GRIDS_PER_LINE]:
            mine = {(r, c): n for (g, r, c), n in blanks.items() if g == key}
            group.append(_matrix(script.grids[key], style, mine))
        lines.append(r"\[ \fitline{$" + r" \qquad ".join(group) + r"$} \]")
    return lines


def lesson_worksheet_latex(script: Script) -> str:
    """The worksheet as LaTeX: the exercises, then the answer key on a page of its own.

    Raises
    ------
    ProblemError
        When no beat of this problem's script sets an exercise (no board marks a result).
    """
    items = exercises(script)
    if not items:
        raise ProblemError(
            f"this {script.lesson} lesson's problem marks no computed cell to set as an "
            "exercise, so it has no worksheet; use 'explainer handout' for it"
        )
    style = NumberStyle(decimal=script.decimal, slash=True)
    check_lines(script, style)
    letters = _letters(items)
    blanks = {
        cell: name
        for ex, names in zip(items, letters, strict=True)
        for cell, name in zip(ex.blanks, names, strict=False)
    }
    title = tex_text(script.labels.get("title", script.lesson))
    parts = [PREAMBLE, SLOT, r"\begin{document}", rf"\section*{{{title}: worksheet}}"]
    parts.append(r"Name: \rule{6cm}{0.4pt} \hfill Date: \rule{3cm}{0.4pt}\par\medskip")
    parts.append(INTRO)
    for n, (ex, names) in enumerate(zip(items, letters, strict=True), 1):
        boxes = ", ".join(f"({x})" for x in names)
        heading = f"{n}. {ex.title}" if ex.title else f"{n}."
        parts.append(r"\needspace{12\baselineskip}")
        parts.append(rf"\subsection*{{{tex_text(heading)}}}")
        parts.append(tex_text(ex.question) + rf" \emph{{Box {boxes}.}}")
        parts += _board(script, ex, blanks, style)
        if ex.boxes:
            slots = (
                rf"\text{{{tex_text(label)}}} = \boxed{{\slot{{{x}}}}}"
                for label, x in zip(ex.boxes, names[len(ex.blanks) :], strict=True)
            )
            parts.append(r"\[ " + r" \qquad ".join(slots) + r" \]")
    parts += [r"\newpage", r"\section*{Answer key}"]
    if script.labels.get("problem"):  # on the sheet it would give shapes and sizes away
        parts += [r"\emph{The problem:} " + tex_text(script.labels["problem"]) + ".", ""]
    for n, (ex, names) in enumerate(zip(items, letters, strict=True), 1):
        values = ", ".join(
            f"({x}) ${latex(v, style)}$" for x, v in zip(names, ex.answers, strict=True)
        )
        parts.append(rf"\textbf{{{n}.}} {values}. " + tex_text(ex.solution))
        if ex.formula:
            lines = r" \\ ".join(r"\texttt{" + tex_text(f) + "}" for f in ex.formula)
            parts.append(r"\begin{quote}\small " + lines + r"\end{quote}")
        parts.append("")
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"


def write_lesson_worksheet(script: Script, target: Path) -> Path:
    """Write the worksheet's PDF to ``target`` and its LaTeX source beside it (``.tex``);
    return the source's path."""
    tex = lesson_worksheet_latex(script)
    pdf = compile_pdf(tex)
    source = Path(target).with_suffix(".tex")
    write_atomic(source, tex.encode("utf-8"))
    write_atomic(Path(target), pdf)
    return source
