"""The course manifest: a TOML file naming lessons, their problems and the outputs wanted.

Everything is checked before any work starts, and a mistake is one line naming the entry
and the field (``course.toml: lessons[2] 'sobel': problem.stride: …``), exit status 2,
nothing written. A problem is given with the options the other commands take for its
lesson (the convolution's ``image``, ``kernel``, ``stride`` …; the layer lesson's
``filters``, ``bias``, ``pool`` …; see :data:`LESSON_OPTIONS`) and parsed by the same code
(:mod:`explainer.request`, :mod:`explainer.layer_request`,
:mod:`explainer.backward_request`); a lesson is named by its folder under
:mod:`explainer.lessons`.

>>> course = parse_manifest('''
... title = "Convolution"
... [[lessons]]
... id = "x"
... lesson = "convolution"
... outputs = ["page"]
... ''', "course.toml")
>>> course.title, [(e.id, e.lesson, e.outputs) for e in course.lessons]
('Convolution', [('x', 'convolution', ('page',))])
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explainer.core import limits
from explainer.core.geometry import plan_geometry
from explainer.core.presets import PRESETS
from explainer.errors import ExplainerError, ProblemError
from explainer.files.safe_io import printable, read_regular_file
from explainer.layer_request import lesson_problem_from_options
from explainer.lessons import lesson as find_lesson
from explainer.lessons import lesson_names
from explainer.lessons.exercises import exercises
from explainer.outputs.printing import FORMATS as DERIVATION_FORMATS
from explainer.request import QUALITIES, VOICES, problem_from_argument_string

OUTPUTS = ("video", "page", "slides", "handout", "worksheet", "derivation")
"""What a lesson can produce; each is written under the lesson's folder."""
DEFAULT_OUTPUTS = ("video", "page", "handout")
PROBLEM_OPTIONS = (
    "image",
    "kernel",
    "stride",
    "padding",
    "padding-mode",
    "dilation",
    "flip",
    "normalize",
    "png-range",
)
LESSON_OPTIONS: dict[str, tuple[str, ...]] = {
    "convolution": PROBLEM_OPTIONS,
    "layer": (
        "image",
        "filters",
        "bias",
        "activation",
        "pool",
        "pool-size",
        "pool-stride",
        "ceil-mode",
        "filters2",
        "bias2",
        "stride",
        "padding",
        "padding-mode",
        "dilation",
        "flip",
        "png-range",
    ),
    "backward": (
        "image",
        "kernel",
        "target",
        "learning-rate",
        "stride",
        "padding",
        "dilation",
        "png-range",
    ),
    "transposed": (
        "input",
        "kernel",
        "stride",
        "padding",
        "output-padding",
        "dilation",
        "png-range",
    ),
}
"""Each lesson a course can hold, and the problem options it reads (those of its command:
``explainer page --lesson layer --filters …``)."""
COURSE_LESSONS = tuple(LESSON_OPTIONS)
BOARD_OUTPUTS = ("video", "page", "slides", "handout", "worksheet", "derivation")
"""What a lesson other than the convolution makes: its page, slides, handout, worksheet and
video are staged from its script's boards, its derivation is its own printer's."""
FILE_OPTIONS = ("image", "kernel", "filters", "filters2", "target", "input")
"""Options that may name files (read relative to the manifest); filters are comma-separated."""
FLAG_OPTIONS = ("flip", "ceil-mode")
_TOP_KEYS = {"title", "lessons", "outputs", "quality", "voice", "derivation-format"}
_LESSON_KEYS = {
    "id",
    "lesson",
    "title",
    "problem",
    "outputs",
    "quality",
    "voice",
    "sections",
    "derivation-format",
}
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_LESSONS = 200


@dataclass(frozen=True)
class LessonEntry:
    """One lesson of the course on one problem, and what to make of it."""

    id: str
    """Its folder in the output and its name in reports (lower-case letters, digits, - _)."""
    lesson: str
    """The lesson's name (a folder under explainer/lessons)."""
    title: str
    """The heading on the index page: the entry's, else the convolution's problem in words;
    empty for another lesson without one (the index takes its script's own title)."""
    problem: Any
    """The lesson's problem (a :class:`~explainer.core.problem.Problem` for the convolution,
    a layer stack, a backward or transposed problem)."""
    options: tuple[str, ...]
    """The problem as command-line options (for people: shown on the index page)."""
    outputs: tuple[str, ...]
    quality: str = "low"
    voice: str = "joe"
    sections: tuple[str, ...] | None = None
    derivation_format: str = "markdown"


@dataclass(frozen=True)
class Course:
    title: str
    lessons: tuple[LessonEntry, ...]
    source: str
    """The manifest's file name, as given (for messages)."""


def read_manifest(path: Path) -> Course:
    """Read and check the manifest at ``path`` (see :func:`parse_manifest`)."""
    if Path(path).is_dir():
        raise ProblemError(
            f"{printable(str(path))} is a folder; give the course manifest, a TOML file"
        )
    data = read_regular_file(Path(path), MAX_MANIFEST_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ProblemError(f"{printable(str(path))}: not UTF-8 text") from None
    return parse_manifest(text, str(path), Path(path).resolve().parent)


def parse_manifest(text: str, source: str, folder: Path | None = None) -> Course:
    """The course a manifest's text describes, every entry checked.

    Files named by a problem (``image = "x.csv"``) are read relative to ``folder`` (the
    manifest's folder). Raises :class:`ProblemError` with one line naming the field.
    """
    shown = printable(source)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ProblemError(f"{shown}: not valid TOML: {err}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ProblemError(f"{shown}: not valid TOML for a course: nested too deeply") from None
    _only(doc, _TOP_KEYS, shown)
    title = _text(doc.get("title"), f"{shown}: title")
    defaults = {
        "outputs": _outputs(doc.get("outputs", list(DEFAULT_OUTPUTS)), f"{shown}: outputs"),
        "quality": _choice(doc.get("quality", "low"), QUALITIES, f"{shown}: quality"),
        "voice": _choice(doc.get("voice", "joe"), VOICES, f"{shown}: voice"),
        "derivation-format": _choice(
            doc.get("derivation-format", "markdown"), DERIVATION_FORMATS, f"{shown}: derivation"
        ),
    }
    entries = doc.get("lessons")
    if not isinstance(entries, list) or not entries:
        raise ProblemError(f"{shown}: lessons: give at least one [[lessons]] entry")
    if len(entries) > MAX_LESSONS:
        raise ProblemError(f"{shown}: lessons: {len(entries)} entries; at most {MAX_LESSONS}")
    lessons: list[LessonEntry] = []
    seen: set[str] = set()
    for k, entry in enumerate(entries, start=1):
        where = f"{shown}: lessons[{k}]"
        if not isinstance(entry, dict):
            raise ProblemError(f"{where}: each lesson is a table ([[lessons]])")
        if isinstance(entry.get("id"), str):
            where += f" {printable(entry['id'])!r}"
        parsed = _lesson(entry, where, defaults, folder)
        if parsed.id in seen:
            raise ProblemError(f"{where}: id: another lesson is already called {parsed.id!r}")
        seen.add(parsed.id)
        lessons.append(parsed)
    return Course(title, tuple(lessons), source)


def _lesson(entry: dict, where: str, defaults: dict, folder: Path | None) -> LessonEntry:
    _only(entry, _LESSON_KEYS, where)
    ident = _text(entry.get("id"), f"{where}: id")
    if not _ID.fullmatch(ident):
        raise ProblemError(
            f"{where}: id: {printable(ident)!r} must be 1–40 lower-case letters, digits, - or _ "
            "(it names the lesson's folder)"
        )
    name = _text(entry.get("lesson"), f"{where}: lesson")
    if name not in lesson_names():
        raise ProblemError(
            f"{where}: lesson: unknown lesson {printable(name)!r}; the lessons are "
            + ", ".join(lesson_names())
        )
    if name not in COURSE_LESSONS:
        raise ProblemError(
            f"{where}: lesson: the {printable(name)} lesson cannot be part of a course yet "
            f"(no problem options are known for it); courses take " + ", ".join(COURSE_LESSONS)
        )
    outputs = _outputs(entry.get("outputs", defaults["outputs"]), f"{where}: outputs")
    _lesson_outputs(name, outputs, "outputs" in entry, f"{where}: outputs")
    quality = _choice(entry.get("quality", defaults["quality"]), QUALITIES, f"{where}: quality")
    voice = _choice(entry.get("voice", defaults["voice"]), VOICES, f"{where}: voice")
    fmt = _choice(
        entry.get("derivation-format", defaults["derivation-format"]),
        DERIVATION_FORMATS,
        f"{where}: derivation-format",
    )
    known = LESSON_OPTIONS[name]
    options = _problem_options(entry.get("problem", {}), f"{where}: problem", folder, known)
    try:
        if name == "convolution":
            problem = problem_from_argument_string(shlex.join(options))
        else:  # its own reader, as `explainer page --lesson NAME` reads it
            problem = lesson_problem_from_options(name, options, derive="derivation" in outputs)
    except (ExplainerError, OSError) as err:
        field = _field_of(str(err), known)
        raise ProblemError(f"{where}: problem{field}: {printable(str(err))}") from None
    if name == "convolution":
        _check_outputs(problem, outputs, f"{where}: outputs")
    elif "worksheet" in outputs:
        _check_worksheet(name, problem, f"{where}: outputs: worksheet")
    sections = None
    if "sections" in entry:
        sections = _sections(entry["sections"], name, problem, f"{where}: sections")
    title = entry.get("title", "")
    if title:
        title = _text(title, f"{where}: title")
    elif name == "convolution":
        title = problem.describe()  # another lesson's index line takes its script's title
    return LessonEntry(
        ident, name, title, problem, tuple(options), outputs, quality, voice, sections, fmt
    )


def _only(table: dict, allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise ProblemError(
                f"{where}: unknown field {printable(str(key))!r}; the fields are "
                + ", ".join(sorted(allowed))
            )


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProblemError(f"{where}: give a non-empty string")
    if len(value) > 200:
        raise ProblemError(f"{where}: at most 200 characters")
    return value.strip()


def _choice(value: Any, choices, where: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ProblemError(
            f"{where}: {printable(str(value))!r} is not one of " + ", ".join(choices)
        )
    return value


def _outputs(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise ProblemError(f"{where}: give a list of one or more of " + ", ".join(OUTPUTS))
    for item in value:
        _choice(item, OUTPUTS, where)
    return tuple(dict.fromkeys(value))


def _lesson_outputs(name: str, outputs: tuple[str, ...], own: bool, where: str) -> None:
    """Refuse an output the lesson cannot make, before anything is read or made."""
    if name == "convolution":
        return
    for output in outputs:
        if output not in BOARD_OUTPUTS:
            source = "" if own else " (the course's outputs; give this entry its own)"
            raise ProblemError(
                f"{where}: {output}: the {name} lesson has no {output} yet{source}; its "
                "outputs are " + ", ".join(BOARD_OUTPUTS)
            )


def _problem_options(
    table: Any, where: str, folder: Path | None, known: tuple[str, ...] = PROBLEM_OPTIONS
) -> list[str]:
    """The problem table as command-line options, files relative to the manifest."""
    if not isinstance(table, dict):
        raise ProblemError(f"{where}: give a table of options ([lessons.problem])")
    argv: list[str] = []
    for key, value in table.items():
        if key not in known:
            raise ProblemError(
                f"{where}: unknown option {printable(str(key))!r}; the options are "
                + ", ".join(known)
            )
        here = f"{where}.{key}"
        if key in FLAG_OPTIONS:
            if not isinstance(value, bool):
                raise ProblemError(f"{here}: give true or false")
            argv += [f"--{key}"] if value else []
            continue
        if isinstance(value, list) and all(type(v) is int for v in value) and value:
            value = ",".join(str(v) for v in value)
        elif type(value) is int:
            value = str(value)
        if not isinstance(value, str):
            raise ProblemError(f"{here}: give a string, a whole number or a list of them")
        if key in FILE_OPTIONS and folder is not None:
            many = value.split(",") if key in ("filters", "filters2") else [value]
            value = ",".join(_relative_file(v, folder) for v in many)
        argv += [f"--{key}={value}"]
    return argv


def _relative_file(value: str, folder: Path) -> str:
    """A preset keeps its name; a file is read relative to the manifest's folder."""
    if value.strip().lower() in PRESETS or Path(value).is_absolute():
        return value
    candidate = folder / value
    return str(candidate) if candidate.exists() else value


def _field_of(message: str, known: tuple[str, ...] = PROBLEM_OPTIONS) -> str:
    """``.stride`` when the parser's message names ``--stride``, else nothing."""
    found = re.match(r"(?:argument )?--([a-z0-9-]+)", message)
    if found and found.group(1) in known:
        return f".{found.group(1)}"
    return ""


def _check_outputs(problem: Any, outputs: tuple[str, ...], where: str) -> None:
    """The limits each wanted output has, checked from the shapes now, not after hours."""
    geometry = plan_geometry(
        problem.image.shape,
        problem.kernel.shape,
        stride=problem.stride,
        padding=problem.padding,
        padding_mode=problem.padding_mode,
        dilation=problem.dilation,
    )
    checks = {
        "video": lambda: limits.check_renderable(geometry),
        "page": lambda: limits.check_showable(geometry),
        "slides": lambda: limits.check_showable(geometry),
        # A handout works one patch and two exercises in full, not every patch (as
        # `explainer handout` without --all).
        "handout": lambda: (
            limits.check_derivable(geometry, []),
            limits.check_handout(geometry, []),
        ),
        "worksheet": lambda: (
            limits.check_derivable(geometry, []),
            limits.check_handout(geometry, []),
        ),
        "derivation": lambda: limits.check_derivable(geometry, None),
    }
    for output in outputs:
        try:
            checks[output]()
        except ExplainerError as err:
            raise ProblemError(f"{where}: {output}: {printable(str(err))}") from None


def _check_worksheet(lesson: str, problem: Any, where: str) -> None:
    """A board lesson's worksheet needs an exercise: a beat whose board marks a computed
    cell (``explainer handout --lesson NAME --worksheet`` refuses the same problems)."""
    if not exercises(find_lesson(lesson).build_script(problem)):
        raise ProblemError(
            f"{where}: this problem marks no computed cell to set as an exercise; "
            "ask for its handout instead"
        )


def _sections(value: Any, lesson: str, problem: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ProblemError(f"{where}: give a list of section names")
    board = find_lesson(lesson).build_script(problem).section_names
    for name in value:
        if name not in board:
            raise ProblemError(
                f"{where}: unknown section {printable(name)!r}; this lesson's sections are "
                + ", ".join(board)
            )
    return tuple(n for n in board if n in value)
