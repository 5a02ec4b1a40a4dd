"""A printable handout: two pages a teacher would print.

Page one holds the problem (the image and the filter, numbered as code numbers them; with
the flip, the filter as given and as rotated), the formula with its symbols defined and the
size of the result; page two one patch worked in full, the result and two exercises with
their key. The patches are chosen from the lesson's script (:func:`choose_patches`): the one
the lesson multiplies out, then two of different character (the lesson's contrasting patch,
one reaching into the padding or with another value), never fixed to the lecture.

A worksheet (``worksheet=True``) leaves room to write each exercise's patch, products, sum
and value and blanks their cells of the result; its answer key is a third page of its own,
so that the two pages a learner gets give nothing away. ``appendix=True`` adds every patch
worked in full after them.

:func:`handout_latex` writes the LaTeX from the trace, sympy's derivations and the script
(every number and sentence is read from them; nothing is computed here) and
:func:`write_handout` compiles it with pdflatex, setting it tighter when it runs past its
pages, and writes the PDF and its ``.tex`` source beside it, each complete or absent.

>>> from explainer import lecture_problem
>>> tex = handout_latex(lecture_problem())
>>> tex.startswith(r"\\documentclass") and tex.count("in full}") == 1
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from explainer.core import limits
from explainer.core.problem import Problem
from explainer.core.trace import Trace, build_trace
from explainer.files.output import write_atomic
from explainer.lessons.convolution import build_script
from explainer.lessons.script import Script
from explainer.outputs.handout_fit import Compiled, Fit, compile_parts, compile_pdf, preamble
from explainer.outputs.tex_limits import check_typesettable
from explainer.present.tex import latex_text

PREAMBLE = preamble(Fit())
"""The handout's LaTeX preamble (its grids' commands; see :mod:`.handout_fit`), for other
lessons' handouts to share."""
PAGES = 2
"""The handout's pages (a worksheet adds one for its answer key)."""
ONE_ROW_WIDTH = 72
"""Up to about this many characters (image and filters together, see
:func:`.handout_tex.grid_width`) page one sets them side by side; a wider image takes the
line alone."""

Index = tuple[int, int]


@dataclass(frozen=True)
class Choice:
    """The patches a handout works in full and the ones it sets as exercises."""

    worked: tuple[Index, ...]
    exercises: tuple[Index, ...]


def _steps_of(script: Script, key: str) -> tuple[Index, ...]:
    return script.beat(key).steps if script.has(key) else ()


def choose_patches(
    script: Script, worked: Sequence[Index] | None = None, exercises: int = 2
) -> Choice:
    """The patch the lesson multiplies out (or ``worked``), and ``exercises`` others of
    different character: the lesson's contrasting patch, the window reaching furthest into
    the padding, a negative value, a partial match…, each preferring a value (or, for a
    window in the padding, a value there) not yet taken.

    >>> from explainer import lecture_problem
    >>> from explainer.lessons.convolution import build_script
    >>> choose_patches(build_script(lecture_problem()))
    Choice(worked=((1, 1),), exercises=((1, 2), (2, 3)))
    """
    trace = script.trace
    if worked is None:
        first = _steps_of(script, "multiply.take") or _steps_of(script, "operation.lay")
        worked = (first[0] if first else trace.steps[0].index,)
    padded = sorted((s for s in trace.steps if any(s.in_padding)), key=lambda s: -sum(s.in_padding))
    candidates = [
        *_steps_of(script, "contrast.take"),
        *(s.index for s in padded[:1]),
        *_steps_of(script, "result.negative"),
        *_steps_of(script, "matches.partial"),
        *_steps_of(script, "result.others"),
        *(s.index for s in trace.steps),
    ]

    def character(index: Index) -> tuple:
        step = trace.step(*index)
        return step.value, any(step.in_padding)

    taken = list(dict.fromkeys(worked))
    chosen: list[Index] = []
    for distinct in (True, False):  # first a value (or a padding) not yet met, then any
        for index in candidates:
            if len(chosen) == exercises:
                break
            seen = {character(k) for k in taken}
            if index in taken or (distinct and character(index) in seen):
                continue
            chosen.append(index)
            taken.append(index)
    return Choice(tuple(dict.fromkeys(worked)), tuple(chosen))


SCREEN_ONLY = re.compile(r",? the first \w+ outlined| \(the first \d+ are outlined\)")
"""The clause of a sentence that points at windows the video and the page outline: paper
outlines none, so the handout quotes the sentence without it."""


def _captions(script: Script, *keys: str) -> list[str]:
    """The script's sentences of these beats, in its order (less what only a screen shows)."""
    return [latex_text(SCREEN_ONLY.sub("", b.caption)) for b in script.beats() if b.key in keys]


def _paragraph(sentences: Sequence[str]) -> list[str]:
    return [" ".join(sentences)] if sentences else []


def _problem_page(script: Script, trace: Trace, fit) -> list[str]:
    """Page one: the problem, the formula with its symbols, the size of the result."""
    from explainer.outputs import handout_tex as tx
    from explainer.outputs import printing
    from explainer.proof import symbolic

    problem, labels = trace.problem, script.labels
    kh, kw = problem.kernel.shape
    h, w = problem.image.shape
    shaded = f", {tx.text(labels['padding'])} shaded" if any(problem.padding) else ""
    grids = [(tx.image_grid(trace), rf"$x$: {tx.text(labels['image'])}, {h}$\times${w}{shaded}")]
    if problem.flip:
        given = script.facts.kernel_weights
        grids.append((tx.filter_grid(given, kw), rf"$w$: {tx.text(labels['filter-as-given'])}"))
        applied = [v for row in trace.applied_kernel for v in row]
        rotated = f"$w$ {tx.text(labels['filter-rotated'])}, as laid on the image"
        grids.append((tx.filter_grid(applied, kw), rotated))
    else:
        grids.append((tx.filter_grid(_flat(trace), kw), rf"$w$: {tx.text(labels['filter'])}"))
    out = [
        rf"\section*{{{tx.text(labels['title'])}}}",
        rf"{{\large {tx.text(labels['subtitle'])}}}\par",
        tx.text(labels["problem"]) + ".",
        r"\subsection*{The problem}",
    ]
    padded = [v for row in trace.padded_image for v in row]
    width = tx.grid_width(padded, len(trace.padded_image[0]))
    width += tx.grid_width(_flat(trace), kw) * (len(grids) - 1)
    # The image scaled to its height, the filters to theirs (each grid on its label): side
    # by side, or, for a wide image, the image alone and the filters under it.
    image = tx.fits_in(fit.height("image"), tx.captioned(grids[:1], (), apart=True))
    filters = [
        tx.fits_in(fit.height("patch"), tx.captioned([g], (), apart=True)) for g in grids[1:]
    ]
    if width <= ONE_ROW_WIDTH:
        lines = [r"\qquad ".join([image, *filters])]
    else:
        lines = [image, r"\qquad ".join(filters)]
    out += [r"\begin{center}" + r"\\[2ex] ".join(lines) + r"\end{center}"]
    out += _paragraph(
        _captions(
            script,
            "image.numbering",
            "image.padding",
            "image.padding-uneven",
            "image.padding-why",
            "filter.show",
        )
    )
    out += _paragraph([tx.text(printing.flip_note(script))] if printing.flip_note(script) else [])
    out += [
        rf"\subsection*{{{tx.text(_title(script, 'notation', 'The formula'))}}}",
        tx.text(printing.formula_note(script)),
        r"\[ " + printing.latex(symbolic.general_formula()) + r" \]",
        tx.glossary(labels["symbols"], labels["formula-symbols"]),
        "For this problem:",
        r"\[ " + printing.latex(symbolic.general_formula(problem)) + r" \]",
        rf"\subsection*{{{tx.text(_title(script, 'output-size', 'The size of the result'))}}}",
        r"\[ " + printing.latex(symbolic.output_size_formula()) + r" \]",
        tx.glossary(labels["size-symbols"], columns=3),
        r"\begin{align*}",
        r" \\ ".join(
            rf"\text{{{axis.name}:}}\quad n_{{\mathrm{{out}}}} &= "
            + printing.latex_size_line(axis, value)
            for axis, value in printing.sized_axes(problem)
        ),
        r"\end{align*}",
    ]
    out += _paragraph(_captions(script, "output-size.count", "output-size.unused"))
    return out


def _title(script: Script, section: str, default: str) -> str:
    return script.section(section).title if section in script.section_names else default


def _flat(trace: Trace) -> list:
    return [v for row in trace.applied_kernel for v in row]


def _kernel(script: Script):
    from explainer.outputs import handout_tex as tx

    labels = script.labels
    if script.trace.problem.flip:
        return tx.Kernel(rf"$w$ {tx.text(labels['filter-rotated'])}", True)
    return tx.Kernel(rf"$w$: {tx.text(labels['filter'])}", False)


def _worked_heading(index: Index, level: str = "subsection") -> str:
    i, j = index
    return rf"\{level}*{{Output pixel $({i}, {j})$ in full}}"


def handout_latex(
    problem: Problem,
    patches: Sequence[Index] | None = None,
    *,
    worksheet: bool = False,
    appendix: bool = False,
    trace: Trace | None = None,
    level: int = 0,
    image_level: int | None = None,
) -> str:
    """The handout (or, with ``worksheet``, the worksheet and its answer key) as LaTeX.

    ``patches`` are worked in full instead of the lesson's own; ``appendix`` adds every
    patch in full at the end; ``level`` sets it tighter (0 to ``Fit.LEVELS`` − 1), and
    ``image_level`` the image on page one alone.
    """
    from explainer.outputs import handout_tex as tx
    from explainer.outputs import printing

    fit = Fit(level, image_level)
    trace = trace if trace is not None else build_trace(problem, exact=True)
    script = build_script(problem, trace)
    choice = choose_patches(script, patches)
    der = printing.derivation(trace, [*choice.worked, *choice.exercises], script=script)
    derived = {pix.index: (step, pix) for step, pix in der.steps()}
    labels, kernel = script.labels, _kernel(script)
    lesson_patch = _steps_of(script, "multiply.take")[:1]

    parts = [preamble(fit), r"\begin{document}"]
    parts += _problem_page(script, trace, fit)
    parts += [r"\clearpage", r"\typeout{HANDOUT-PAGE-ONE=\the\numexpr\value{page}-1\relax}"]
    for index in choice.worked:
        step, pix = derived[index]
        ours = (index,) == lesson_patch  # the script's sentences are about its own patch
        parts += tx.worked_block(
            step,
            pix,
            trace,
            kernel,
            labels,
            fit,
            _worked_heading(index),
            before=_captions(script, "multiply.take", "operation.lay") if ours else (),
            after=_captions(script, "add.sum", "add.value") if ours else (),
        )
    oh, ow = trace.output_shape
    result = [
        rf"\subsection*{{{tx.text(_title(script, 'result', 'The result'))}}}",
        rf"The {oh}$\times${ow} {tx.text(labels['result'])} $y$:",
    ]
    blanks = set(choice.exercises) if worksheet else set()
    result.append(
        r"\begin{center}"
        + tx.fits_in(fit.height("result"), "y = " + tx.result_grid(trace, blanks))
        + r"\end{center}"
    )
    result += _paragraph(_captions(script, "result.best", "result.negative", "result.others"))
    exercises = [r"\subsection*{Exercises}"]
    exercises.append(
        "Work out these output pixels the same way"
        + (
            ": write the patch, the products, their sum and the value in the boxes; "
            "the answer key is on the last page."
            if worksheet
            else "; the key follows."
        )
    )
    tasks = [
        tx.exercise_block(k, derived[index][0], trace, kernel, labels, fit, worksheet)
        for k, index in enumerate(choice.exercises, 1)
    ]
    exercises.append(r"\par\smallskip" + (r"\hfill" if worksheet else r"\par ").join(tasks))
    if not choice.exercises:  # a result of one pixel: the worked patch is all there is
        parts += result
    elif worksheet:
        parts += exercises + result
    else:
        parts += result + exercises
        parts.append(r"\subsubsection*{Key}")
        keys = [_key(script, k, *derived[index]) for k, index in enumerate(choice.exercises, 1)]
        parts.append(r"\hfill".join(keys))
    parts += [r"\clearpage", r"\typeout{HANDOUT-MAIN-PAGES=\the\numexpr\value{page}-1\relax}"]
    if worksheet and choice.exercises:
        parts.append(r"\section*{Answer key}")
        for k, index in enumerate(choice.exercises, 1):
            step, pix = derived[index]
            heading = rf"\subsection*{{{k}. Output pixel $({index[0]}, {index[1]})$}}"
            parts += tx.worked_block(step, pix, trace, kernel, labels, fit, heading)
            parts += _paragraph(_key_notes(script, step.index))
        parts += [
            rf"\subsection*{{{tx.text(_title(script, 'result', 'The result'))}}}",
            r"\begin{center}",
            tx.fits_in(fit.height("result"), "y = " + tx.result_grid(trace)),
            r"\end{center}",
        ]
    if appendix:
        parts += [r"\clearpage", r"\section*{Appendix: every patch in full}"]
        for step, pix in printing.derivation(trace, None, script=script).steps():
            parts += tx.worked_block(
                step, pix, trace, kernel, labels, fit, _worked_heading(step.index, "subsubsection")
            )
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"


def _key_notes(script: Script, index: Index) -> list[str]:
    """What the script says of this patch, when it is the lesson's contrasting one."""
    if index in _steps_of(script, "contrast.take"):
        return _captions(script, "contrast.value")
    return []


def _key(script: Script, number: int, step, pix) -> str:
    from explainer.outputs import handout_tex as tx

    notes = _key_notes(script, step.index)
    return tx.key_block(number, step, pix, script.trace, script.labels, notes)


def write_handout(
    problem: Problem,
    target: Path,
    *,
    patches: Sequence[Index] | None = None,
    worksheet: bool = False,
    appendix: bool = False,
) -> Path:
    """Write the handout's PDF to ``target`` and its LaTeX source beside it (``.tex``).

    Set as loosely as fits its pages (:data:`PAGES`, before any answer key or appendix),
    else as tightly as it goes. Each file is complete or absent (see
    :mod:`explainer.files.output`). Returns the source's path.
    """

    trace = build_trace(problem, exact=True)
    script = build_script(problem, trace)
    choice = choose_patches(script, patches)
    typeset = None if appendix else [*choice.worked, *choice.exercises]
    limits.check_handout(problem.geometry, typeset)
    check_typesettable(trace, typeset)  # "Dimension too large" refused before pdflatex
    tex, made = _fitted(problem, patches, worksheet, appendix, trace)
    source = Path(target).with_suffix(".tex")
    write_atomic(source, tex.encode("utf-8"))
    write_atomic(Path(target), made.pdf)
    return source


def _fitted(problem, patches, worksheet, appendix, trace) -> tuple[str, Compiled]:
    """The loosest setting whose pages fit :data:`PAGES` (else the tightest): the type and
    every grid set tighter level by level, and, while only page one runs over, its image
    alone."""
    for level in range(Fit.LEVELS):
        for image_level in range(level, Fit.LEVELS):
            tex = handout_latex(
                problem,
                patches,
                worksheet=worksheet,
                appendix=appendix,
                trace=trace,
                level=level,
                image_level=image_level,
            )
            made = compile_parts(tex)
            if made.pages is None or made.first is None or made.pages <= PAGES:
                return tex, made
            if made.first == 1 or made.pages - made.first > PAGES - 1:
                break  # page one fits, or the rest is too long at this level anyway
    return tex, made


__all__ = [
    "PAGES",
    "PREAMBLE",
    "Choice",
    "choose_patches",
    "compile_pdf",
    "handout_latex",
    "write_handout",
]
