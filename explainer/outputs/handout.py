"""A printable handout: the problem, the formula, the output size, each patch and the result.

:func:`handout_latex` writes a LaTeX document from the trace and sympy's derivations (every
number is read from them; nothing is computed here) and :func:`write_handout` compiles it
with pdflatex, writing the PDF and its ``.tex`` source beside it, each complete or absent.
A worksheet (``worksheet=True``) leaves the products, sums and values blank and appends an
answer key with the full derivations.

Matrices are LaTeX ``array`` environments (``pmatrix`` stops at 10 columns) and are scaled
down to the line when wider, so any width the command accepts compiles.

>>> from explainer import lecture_problem
>>> tex = handout_latex(lecture_problem(), patches=[(1, 1)])
>>> tex.startswith(r"\\documentclass") and r"\\begin{pmatrix}" not in tex
True
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from explainer.core import limits
from explainer.core.problem import Problem
from explainer.core.trace import Number, Step, Trace, build_trace
from explainer.errors import OutputError
from explainer.files.output import write_atomic
from explainer.lessons.convolution import build_script
from explainer.outputs.tex_limits import check_typesettable
from explainer.present.numbers import NumberStyle, latex
from explainer.present.tex import latex_matrix, latex_text

ALIGNED_KERNEL_COLUMNS = 6
"""Up to this many kernel columns a derivation's lines are aligned on '='; wider ones are
set line by line, each scaled to the page."""
PDFLATEX_TIMEOUT = 300


SLASH = NumberStyle(slash=True)
"""The result's values as 7/9: compact in a matrix, and read back as written by text
extraction (the derivations keep ``\\frac``)."""


def _fits(body: str) -> str:
    """Math content scaled down to the line when wider, never up."""
    return rf"\fitline{{${body}$}}"


BLANK = r"\blank"


def _values(values: Sequence[Number], cols: int, blank: bool = False) -> list[list[str]]:
    cells = [BLANK if blank else latex(v) for v in values]
    return [cells[k : k + cols] for k in range(0, len(cells), cols)]


def _image(trace: Trace) -> str:
    top, left = trace.padding_offset
    h, w = trace.problem.image.shape
    rows = []
    for r, row in enumerate(trace.padded_image):
        cells = []
        for c, v in enumerate(row):
            text = latex(v)
            inside = top <= r < top + h and left <= c < left + w
            cells.append(text if inside else rf"\pad{{{text}}}")
        rows.append(cells)
    row_labels = [str(r - top) for r in range(len(rows))]
    col_labels = [str(c - left) for c in range(len(rows[0]))]
    return latex_matrix(rows, row_labels=row_labels, col_labels=col_labels)


def _result(trace: Trace, blanks: set[tuple[int, int]]) -> str:
    oh, ow = trace.output_shape
    rows = [
        [BLANK if (i, j) in blanks else latex(trace.step(i, j).value, SLASH) for j in range(ow)]
        for i in range(oh)
    ]
    labels = {"row_labels": [str(i) for i in range(oh)], "col_labels": [str(j) for j in range(ow)]}
    return latex_matrix(rows, **labels)


def _size_section(problem: Problem, labels: dict[str, str]) -> list[str]:
    from explainer.outputs import printing
    from explainer.proof import symbolic

    out = [
        r"\subsection*{The size of the result}",
        "Along each axis, the window fits this many times:",
        r"\[ " + printing.latex(symbolic.output_size_formula()) + r" \]",
        _glossary(labels["size-symbols"]),
        r"\begin{align*}",
    ]
    lines = [
        rf"\text{{{axis.name}:}}\quad n_{{\mathrm{{out}}}} &= "
        + printing.latex_size_line(axis, value)
        for axis, value in printing.sized_axes(problem)
    ]
    out.append(r" \\ ".join(lines))
    out.append(r"\end{align*}")
    return out


def _symbol(name: str) -> str:
    """A glossary's symbol as written in the script's labels (``n_in``) in LaTeX math."""
    base, _, sub = name.partition("_")
    return rf"{base}_{{\mathrm{{{sub}}}}}" if sub else base


def _glossary(*entries: str) -> str:
    """The script's glossary labels ("x: image; w: filter; …") as a table of symbols."""
    rows = []
    for entry in (e for text in entries for e in text.split("; ")):
        names, _, meaning = entry.partition(": ")
        symbols = ", ".join(_symbol(n) for n in names.split(", "))
        rows.append(rf"${symbols}$ & {latex_text(meaning)} \\")
    return "\\begin{tabular}{@{}r@{\\quad}l@{}}\n" + "\n".join(rows) + "\n\\end{tabular}\n"


def _aligned_sum(expr, per_line: int, head: str) -> list[str]:
    """A sum as ``align*`` lines of ``per_line`` terms (one kernel row each), the first
    after ``head``; a common factor opens before the first term and closes after the last."""
    from explainer.outputs.printing import latex_rows

    scale, rows = latex_rows(expr, per_line)
    lines = []
    for k, row in enumerate(rows):
        if scale is not None and k == 0:
            row = rf"{scale} \cdot \Bigl( {row}"
        if scale is not None and k == len(rows) - 1:
            row += r" \Bigr)"
        lines.append((head if k == 0 else r"&\quad + ") + row)
    return lines


def _derivation_lines(step: Step, pix, divisor: Number | None, blank: bool) -> list[str]:
    """``lhs & = rhs`` lines: the formula with indices, then (unless blank) the numbers, the
    sum over the divisor and the value."""
    from explainer.outputs import formulas

    i, j = step.index
    per_line = step.kernel_shape[1]
    lines = _aligned_sum(pix.expansion, per_line, rf"y_{{{i},{j}}} &= ")
    if blank:
        if divisor is not None:
            lines.append(rf"&= \frac{{{BLANK}}}{{{latex(divisor)}}} = {BLANK}")
        else:
            lines.append(rf"&= {BLANK}")
        return lines
    lines += _aligned_sum(pix.substituted, per_line, r"&= ")
    value = formulas.latex(pix.value)
    if divisor is not None:
        quotient = rf"\frac{{{latex(step.total)}}}{{{latex(divisor)}}}"
        if quotient != value:  # 7/9 is already in lowest terms: say it once
            lines.append(rf"&= {quotient}")
    lines.append(rf"&= {value}")
    return lines


def _patch_block(step: Step, pix, trace: Trace, blank: bool) -> list[str]:
    from explainer.outputs.printing import window_text

    i, j = step.index
    kh, kw = step.kernel_shape
    divisor = trace.divisor if trace.problem.normalize else None
    patch = latex_matrix(_values(step.patch, kw))
    weights = latex_matrix(_values(step.weights, kw))
    products = latex_matrix(_values(step.products, kw, blank))
    out = [
        rf"\subsubsection*{{Output pixel $({i}, {j})$}}",
        rf"\emph{{Window: {latex_text(window_text(step))}.}}",
        r"\[ " + _fits(rf"{patch} \cdot {weights} = {products}") + r" \]",
    ]
    lines = _derivation_lines(step, pix, divisor, blank)
    if kw <= ALIGNED_KERNEL_COLUMNS:
        out += [r"\begin{align*}", " \\\\\n".join(lines), r"\end{align*}"]
    else:
        for line in lines:
            out.append(r"\[ " + _fits(line.replace("&", "")) + r" \]")
    out.append(r"\medskip")
    return out


PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{graphicx}
\usepackage{xcolor}
\usepackage{array}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5ex}
\setlength{\arraycolsep}{4pt}
\newcommand{\pad}[1]{{\color{gray}#1}}
\newcommand{\blank}{\rule{0pt}{1.5em}\underline{\hspace{2.2em}}}
\newcommand{\fitline}[1]{\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{#1}}
"""


def handout_latex(
    problem: Problem,
    patches: Sequence[tuple[int, int]] | None = None,
    *,
    worksheet: bool = False,
    trace: Trace | None = None,
) -> str:
    """The handout (or, with ``worksheet``, the worksheet and its answer key) as LaTeX."""
    from explainer.outputs import printing
    from explainer.proof import symbolic

    trace = trace if trace is not None else build_trace(problem, exact=True)
    script = build_script(problem, trace)
    der = printing.derivation(trace, patches, script=script)
    chosen = {pix.index for pix in der.pixels}
    labels = script.labels
    title = labels["title"] + (": worksheet" if worksheet else "")
    (h, w), kw = problem.image.shape, problem.kernel.shape[1]
    parts = [
        PREAMBLE,
        r"\begin{document}",
        rf"\section*{{{latex_text(title)}}}",
        latex_text(problem.describe()) + ".",
        r"\subsection*{The problem}",
        rf"The image $x$ ({h}$\times${w}"
        + (", with its padding in grey" if any(problem.padding) else "")
        + r"; rows and columns numbered as in code) and the filter $w$ as it is laid on the "
        "image:",
        r"\[ "
        + _fits(rf"x = {_image(trace)} \qquad w = {latex_matrix(_values(_flat(trace), kw))}")
        + r" \]",
        latex_text(printing.flip_note(script)),
        r"\subsection*{The formula}",
        latex_text(printing.formula_note(script)),
        r"\[ " + printing.latex(symbolic.general_formula()) + r" \]",
        _glossary(labels["symbols"], labels["formula-symbols"]),
        "For this problem:",
        r"\[ " + printing.latex(symbolic.general_formula(problem)) + r" \]",
    ]
    parts += _size_section(problem, labels)
    heading = "Every patch" if patches is None else "The chosen patches"
    parts.append(rf"\subsection*{{{heading}}}")
    if worksheet:
        parts.append("Fill in each product, the sum, and the output pixel; the answer key follows.")
    for step, pix in der.steps():
        parts += _patch_block(step, pix, trace, worksheet)
    parts += [
        rf"\subsection*{{The {labels['result']}}}",
        rf"The {trace.output_shape[0]}$\times${trace.output_shape[1]} result $y$:",
        r"\[ " + _fits("y = " + _result(trace, chosen if worksheet else set())) + r" \]",
    ]
    if worksheet:
        parts += [r"\newpage", r"\section*{Answer key}"]
        for step, pix in der.steps():
            parts += _patch_block(step, pix, trace, False)
        parts += [
            rf"\subsection*{{The {labels['result']}}}",
            r"\[ " + _fits("y = " + _result(trace, set())) + r" \]",
        ]
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"


def _flat(trace: Trace) -> list[Number]:
    return [v for row in trace.applied_kernel for v in row]


def compile_pdf(tex: str) -> bytes:
    """Run pdflatex on ``tex`` in a private temporary folder and return the PDF's bytes.

    Raises
    ------
    OutputError
        When pdflatex is missing, fails or takes too long (its first error line is given).
    """
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise OutputError(
            "pdflatex is not installed; run scripts/bootstrap.sh (or './run test') to set up "
            "TeX Live"
        )
    with tempfile.TemporaryDirectory(prefix="explainer-handout-") as folder:
        source = Path(folder) / "handout.tex"
        source.write_text(tex, encoding="utf-8")
        command = [
            pdflatex,
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-no-shell-escape",
            "handout.tex",
        ]
        env = dict(os.environ, TEXMFOUTPUT=folder)
        try:
            run = subprocess.run(
                command,
                cwd=folder,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=PDFLATEX_TIMEOUT,
                env=env,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise OutputError(
                f"pdflatex took longer than {PDFLATEX_TIMEOUT} s; choose fewer patches"
            ) from None
        pdf = Path(folder) / "handout.pdf"
        if run.returncode != 0 or not pdf.exists():
            errors = [line for line in run.stdout.splitlines() if line.startswith("!")]
            why = errors[0] if errors else f"exit status {run.returncode}"
            raise OutputError(f"pdflatex could not typeset the handout: {why}")
        return pdf.read_bytes()


def write_handout(
    problem: Problem,
    target: Path,
    *,
    patches: Sequence[tuple[int, int]] | None = None,
    worksheet: bool = False,
) -> Path:
    """Write the handout's PDF to ``target`` and its LaTeX source beside it (``.tex``).

    Each file is complete or absent (see :mod:`explainer.files.output`). Returns the source's path.
    """
    limits.check_handout(problem.geometry, patches)
    trace = build_trace(problem, exact=True)
    check_typesettable(trace, patches)  # "Dimension too large" refused before pdflatex
    tex = handout_latex(problem, patches, worksheet=worksheet, trace=trace)
    pdf = compile_pdf(tex)
    source = Path(target).with_suffix(".tex")
    write_atomic(source, tex.encode("utf-8"))
    write_atomic(Path(target), pdf)
    return source
