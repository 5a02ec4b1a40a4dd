"""Rich display in Jupyter: traces, derivations and scripts as HTML, LaTeX, Markdown and text.

:class:`~explainer.core.trace.Trace`, :class:`~explainer.proof.symbolic.PixelDerivation` and
:class:`~explainer.lessons.script.Script` define ``_repr_mimebundle_`` by calling the functions
here, so a notebook shows them richly; :func:`show` embeds the lesson's page inline. Every
number is read from the trace or sympy's derivation, as everywhere else.

This module is imported by ``import explainer`` (for :func:`show`), so it imports nothing
heavy at module level: sympy and the page are loaded on first use.

>>> from explainer import build_trace, lecture_problem
>>> bundle = trace_bundle(build_trace(lecture_problem()))
>>> sorted(bundle)
['text/html', 'text/latex', 'text/markdown', 'text/plain']
>>> "7/9" in bundle["text/plain"]
True
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from explainer.core.trace import Trace
from explainer.lessons.convolution import build_script
from explainer.lessons.script import Script
from explainer.outputs.notes import as_markdown, as_text
from explainer.outputs.page import render_page
from explainer.present.numbers import SCREEN, exact, text
from explainer.present.palette import lesson_scale
from explainer.present.tex import latex_matrix, latex_text

if TYPE_CHECKING:
    from explainer.core.problem import Problem
    from explainer.core.trace import Number
    from explainer.proof.symbolic import PixelDerivation

MIME_TYPES = ("text/html", "text/latex", "text/markdown", "text/plain")
PAGE_HEIGHT = 780
"""Height in pixels of the page embedded by :func:`show`."""


def _text_grid(rows: Sequence[Sequence[Number]]) -> list[str]:
    cells = [[text(exact(v)) for v in row] for row in rows]
    width = max(len(c) for row in cells for c in row)
    return ["  " + " ".join(c.rjust(width) for c in row) for row in cells]


def _filter(bundle: dict[str, str], include=None, exclude=None) -> dict[str, str]:
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle


# ----- a trace ----------------------------------------------------------------------------


def _html_table(trace: Trace) -> str:
    scale = lesson_scale(trace)
    oh, ow = trace.output_shape
    head = "".join(f"<th>{j}</th>" for j in range(ow))
    rows = []
    for i, row in enumerate(trace.output):
        cells = "".join(
            f'<td style="background:{scale.hex(v)};color:{scale.ink(v)}">'
            f"{html.escape(text(exact(v), SCREEN))}</td>"
            for v in row
        )
        rows.append(f"<tr><th>{i}</th>{cells}</tr>")
    style = (
        "border-collapse:collapse;font-variant-numeric:tabular-nums;text-align:center;"
        "font-family:system-ui,sans-serif"
    )
    cell = "td,th{padding:3px 7px;border:1px solid #59647a}th{color:#9aa5b8;font-weight:400}"
    return (
        f'<div class="explainer-trace"><style>.explainer-trace {cell}</style>'
        f"<p><b>Result</b>: {html.escape(trace.problem.describe())}</p>"
        f'<table style="{style}"><tr><th></th>{head}</tr>{"".join(rows)}</table></div>'
    )


def trace_bundle(trace: Trace, include=None, exclude=None) -> dict[str, str]:
    """The result of a trace in every MIME type a notebook shows: a coloured HTML table of
    exact values, a LaTeX matrix, a Markdown table and aligned text."""
    oh, ow = trace.output_shape
    describe = trace.problem.describe()
    md_head = "| i \\ j | " + " | ".join(str(j) for j in range(ow)) + " |"
    md_rule = "|---|" + "---:|" * ow
    md_rows = [
        f"| **{i}** | " + " | ".join(text(exact(v)) for v in row) + " |"
        for i, row in enumerate(trace.output)
    ]
    bundle = {
        "text/plain": "\n".join([f"Trace: {describe}", *_text_grid(trace.output)]),
        "text/html": _html_table(trace),
        "text/latex": "$$y = " + latex_matrix(trace.output) + "$$",
        "text/markdown": "\n".join([f"**{describe}**", "", md_head, md_rule, *md_rows]),
    }
    return _filter(bundle, include, exclude)


# ----- one pixel's derivation -----------------------------------------------------------------


def derivation_bundle(der: PixelDerivation, include=None, exclude=None) -> dict[str, str]:
    """One pixel's derivation: y = the formula with its indices = the numbers = the value."""
    import sympy as sp

    from explainer.outputs import formulas
    from explainer.present import mathml
    from explainer.proof.symbolic import y

    lhs = y[der.index]
    expansion, substituted = formulas.latex(der.expansion), formulas.latex(der.substituted)
    value = formulas.latex(der.value)
    latex = (
        rf"\begin{{aligned}} {formulas.latex(lhs)} &= {expansion} \\ &= {substituted} \\ "
        rf"&= {value} \end{{aligned}}"
    )
    pad = " " * len(formulas.pretty(lhs))
    plain = "\n".join(
        [
            f"{formulas.pretty(lhs)} = {sp.sstr(der.expansion, order='none')}",
            f"{pad} = {sp.sstr(der.substituted, order='none')}",
            f"{pad} = {sp.sstr(der.value)}",
        ]
    )
    equals = "<math><mo>=</mo></math>"
    rows = [
        (mathml.to_mathml(lhs), mathml.to_mathml(der.expansion)),
        ("", mathml.to_mathml(der.substituted)),
        ("", mathml.to_mathml(der.value)),
    ]
    cells = "".join(
        f'<span style="text-align:right">{a}</span><span>{equals}</span><span>{b}</span>'
        for a, b in rows
    )
    page = (
        '<div class="explainer-derivation" style="display:grid;grid-template-columns:'
        f'max-content max-content max-content;gap:4px 6px;align-items:center">{cells}</div>'
    )
    bundle = {
        "text/plain": plain,
        "text/html": page,
        "text/latex": f"$${latex}$$",
        "text/markdown": f"$${latex}$$",
    }
    return _filter(bundle, include, exclude)


# ----- the script ---------------------------------------------------------------------------


def script_bundle(script: Script, include=None, exclude=None) -> dict[str, str]:
    """The lesson's sentences, section by section."""
    parts = [f'<div class="explainer-script"><p><b>{html.escape(script.problem.describe())}']
    parts[0] += "</b></p>"
    latex = []
    for sec in script.sections:
        title = html.escape(sec.title or script.labels["title"])
        items = "".join(f"<li>{html.escape(b.caption)}</li>" for b in sec.beats)
        parts.append(f"<h4>{title}</h4><ol>{items}</ol>")
        latex.append(rf"\paragraph{{{latex_text(sec.title or script.labels['title'])}}}")
        latex.append(
            "\\begin{enumerate}\n"
            + "\n".join(rf"\item {latex_text(b.caption)}" for b in sec.beats)
            + "\n\\end{enumerate}"
        )
    parts.append("</div>")
    bundle = {
        "text/plain": as_text(script),
        "text/html": "".join(parts),
        "text/latex": "\n".join(latex),
        "text/markdown": as_markdown(script),
    }
    return _filter(bundle, include, exclude)


# ----- the page, inline -------------------------------------------------------------------------


class PageView:
    """The lesson's page, shown inline by a notebook (an ``iframe`` holding the whole page)."""

    def __init__(self, page: str, description: str, height: int = PAGE_HEIGHT) -> None:
        self.page = page
        self.description = description
        self.height = height

    def _repr_html_(self) -> str:
        source = html.escape(self.page, quote=True)
        return (
            f'<iframe srcdoc="{source}" style="width:100%;height:{self.height}px;border:0" '
            'sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox '
            'allow-same-origin" title="explainer lesson"></iframe>'
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        bundle = {"text/html": self._repr_html_(), "text/plain": f"Lesson: {self.description}"}
        return _filter(bundle, include, exclude)

    def __repr__(self) -> str:
        return f"PageView({self.description!r})"


def show(subject: Problem | Trace | Script, *, present: bool = False) -> PageView:
    """The lesson's page for a problem, an exact trace or a script, to display in a notebook.

    >>> from explainer import lecture_problem
    >>> view = show(lecture_problem())
    >>> view._repr_html_().startswith("<iframe srcdoc=")
    True
    """
    if isinstance(subject, Trace):
        subject = build_script(subject.problem, subject if subject.exact else None)
    script = subject if isinstance(subject, Script) else build_script(subject)
    return PageView(render_page(script, present=present), script.problem.describe())
