"""The tasks of a course's graph (:mod:`scenes.graph`): pure functions of their arguments.

Each runs in whichever worker process the scheduler chooses, on this machine or another,
and returns its result as a value (the bytes of a part, a joined video or a document), so
that nothing depends on a shared disk. A worker keeps what it makes in its own verified
cache too, and takes what it is handed (a sentence synthesized elsewhere) into it, checked.

- :func:`verify_lesson`: the lesson's script, its claims checked by the verifier and its
  numbers by sympy; everything else of the lesson waits for it.
- :func:`speak`: one sentence, synthesized once however many lessons say it.
- :func:`render_part_files`: one part of a lecture, drawn by manim (or found in the cache).
- :func:`join_part_files`: the parts joined into the video, its captions and timed script.
- :func:`make_document`: the page, the slides, a handout or worksheet, a derivation.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from explainer.core.trace import build_trace
from explainer.errors import ProblemError
from explainer.files.cache import read_verified
from explainer.lessons import DEFAULT_LESSON
from explainer.lessons import lesson as find_lesson
from explainer.lessons.script import verify_script
from explainer.lessons.verifier import check_beats
from explainer.outputs.handout import write_handout
from explainer.outputs.lesson_handout import lesson_derivation, write_lesson_handout
from explainer.outputs.lesson_page import render_lesson_page
from explainer.outputs.lesson_worksheet import write_lesson_worksheet
from explainer.outputs.page import render_page
from scenes import parts as partlib
from scenes.joining import join_videos, timed_script, timeline, write_captions
from scenes.voice import load_voice

JOINED_FILES = ("video.mp4", "captions.srt", "script.json")
DOCUMENT_FILES = {
    "page": ("page.html",),
    "slides": ("slides.html",),
    "handout": ("handout.pdf", "handout.tex"),
    "worksheet": ("worksheet.pdf", "worksheet.tex"),
    "derivation": ("derivation",),  # the suffix follows the format
}
DERIVATION_SUFFIX = {"text": ".txt", "markdown": ".md", "latex": ".tex", "json": ".json"}


@dataclass(frozen=True)
class Sentence:
    """One synthesized sentence, as handed from the task that spoke it to a part's."""

    text: str
    audio: bytes
    duration: float


@dataclass(frozen=True)
class PartFiles:
    """A rendered part's files (video.mp4, part.json, audio.wav when voiced)."""

    key: str
    files: dict[str, bytes]
    rendered: bool
    """Drawn by this task (False: the worker found it in its cache)."""


@dataclass(frozen=True)
class Verified:
    lesson: str
    claims: int
    """Claims the verifier checked."""
    values: int
    """Output values proved (sympy derived each and found it equal to the engine's)."""


def setup_worker() -> None:
    """A worker's logging and warnings as the command shows them (idempotent)."""
    logging.getLogger("av").setLevel(logging.ERROR)  # libav's notes on unused mux options
    warnings.showwarning = partlib._one_line_warning


def _prover(lesson_name: str):
    """The lesson's own proof of its values, as its ``check`` command runs it (a report
    with ``ok`` and ``text()``): sympy against the engine."""
    if lesson_name == DEFAULT_LESSON:
        from explainer.outputs.checking import check_problem

        return check_problem
    if lesson_name == "layer":
        from explainer.outputs.layer_checking import check_stack

        return check_stack
    from explainer.outputs.backward_checking import check_backward, check_transposed

    provers = {"backward": check_backward, "transposed": check_transposed}
    if lesson_name not in provers:
        raise ProblemError(f"the {lesson_name} lesson has no proof of its values yet")
    return provers[lesson_name]


def verify_lesson(lesson_name: str, problem) -> Verified:
    """Word the lesson's script and prove it: every claim a beat makes by the lesson's own
    verifier, every value by sympy against the engine (the lesson's ``check``)."""
    setup_worker()
    module = find_lesson(lesson_name)
    if lesson_name == DEFAULT_LESSON:
        script = module.build_script(problem)
    else:  # worded unchecked, then checked here by the lesson's own verifier
        script = module.build_script(problem, verify=False)
        verify_script(script)  # a false claim raises ClaimError naming the beat
    claims = [(b.key, tuple(getattr(b, "claims", ()))) for b in script.beats()]
    claims = [(key, made) for key, made in claims if made]
    if lesson_name == DEFAULT_LESSON and claims:
        check_beats(problem, claims)
    report = _prover(lesson_name)(problem)
    if not report.ok:
        raise ProblemError(f"the {lesson_name} lesson's values do not all check out with sympy")
    steps = len(script.trace.steps) if script.trace is not None else 0
    return Verified(lesson_name, sum(len(made) for _, made in claims), steps)


@lru_cache(maxsize=4)
def _voice(name: str):
    """One voice per process; its model is loaded only when a sentence is synthesized."""
    return load_voice(name)


def speak(voice_name: str, text: str) -> Sentence:
    """One sentence in the voice ``voice_name``: synthesized, or from the worker's cache."""
    setup_worker()
    audio, duration = _voice(voice_name).recorded(text)
    return Sentence(text, audio, duration)


def render_part_files(
    job: partlib.PartJob, sentences: list[Sentence], verified: object, progress=None
) -> PartFiles:
    """Render one part (unless this worker's cache holds it) and return its files.

    ``sentences`` are the part's spoken sentences, made by :func:`speak` tasks, possibly
    on other machines; ``verified`` is the lesson's proof, which the part waits for.
    """
    setup_worker()
    job = dataclasses.replace(job, folder=partlib.parts_folder() / job.key)  # this machine's
    voice = _voice(job.voice) if sentences else None
    for sentence in sentences:
        voice.keep(sentence.text, sentence.audio, sentence.duration)
    partlib.remove_abandoned_work(job.folder.parent)
    entry = partlib.open_part(job.folder)
    rendered = entry is None
    if entry is None:
        partlib.render_part(job, progress)
        entry = partlib.open_part(job.folder)
        if entry is None:
            raise RuntimeError(f"part {job.key} vanished from the cache as it was made")
    return PartFiles(job.key, {name: read_verified(entry, name) for name in entry.files}, rendered)


def join_part_files(script, parts: list[PartFiles]) -> dict[str, bytes]:
    """Join the parts into the video, its .srt captions and its timed script (bytes)."""
    setup_worker()
    with tempfile.TemporaryDirectory(prefix="explainer-join-") as scratch:
        root = Path(scratch)
        folders = []
        for k, part in enumerate(parts):
            folder = root / f"part{k}"
            folder.mkdir()
            for name, data in part.files.items():
                (folder / name).write_bytes(data)
            folders.append(folder)
        work = root / "joined"
        work.mkdir()
        video, captions, notes = (work / name for name in JOINED_FILES)
        join_videos(folders, video)
        beats, _ = timeline(folders)
        write_captions(beats, captions)
        notes.write_text(timed_script(script, beats), encoding="utf-8")
        return {name: (work / name).read_bytes() for name in JOINED_FILES}


def document_names(kind: str, fmt: str = "markdown") -> tuple[str, ...]:
    """The files a document of this kind is made of (the derivation's suffix by format)."""
    if kind == "derivation":
        return (f"derivation{DERIVATION_SUFFIX[fmt]}",)
    return DOCUMENT_FILES[kind]


def make_document(kind: str, lesson_name: str, problem, fmt: str, verified: object) -> dict:
    """One document of a lesson as ``{file name: bytes}``."""
    setup_worker()
    module = find_lesson(lesson_name)  # a lesson that is gone is an error, not another's page
    if lesson_name != DEFAULT_LESSON:  # its claims were checked by `verified`, awaited here
        return _board_document(kind, module.build_script(problem, verify=False), fmt)
    if kind in ("page", "slides"):
        html = render_page(problem, present=kind == "slides")
        return {f"{kind}.html": html.encode("utf-8")}
    if kind in ("handout", "worksheet"):
        with tempfile.TemporaryDirectory(prefix="explainer-handout-") as scratch:
            pdf = Path(scratch) / f"{kind}.pdf"
            tex = write_handout(problem, pdf, worksheet=kind == "worksheet")
            return {pdf.name: pdf.read_bytes(), tex.name: tex.read_bytes()}
    if kind == "derivation":
        from explainer.outputs import printing

        text = printing.render(printing.derivation(build_trace(problem, exact=True)), fmt)
        return {document_names(kind, fmt)[0]: text.encode("utf-8")}
    raise ProblemError(f"unknown output {kind!r}")


def _board_document(kind: str, script, fmt: str) -> dict:
    """A document of a lesson staged from its script's boards (the layer, backward and
    transposed lessons): its page, its slides, its handout, its worksheet, its derivation
    (the lesson's own printer)."""
    if kind in ("page", "slides"):
        html = render_lesson_page(script, slides=kind == "slides")
        return {f"{kind}.html": html.encode("utf-8")}
    if kind in ("handout", "worksheet"):
        with tempfile.TemporaryDirectory(prefix="explainer-handout-") as scratch:
            pdf = Path(scratch) / f"{kind}.pdf"
            if kind == "worksheet":
                tex = write_lesson_worksheet(script, pdf)
            else:
                tex = write_lesson_handout(script, pdf, lesson_derivation(script))
            return {pdf.name: pdf.read_bytes(), tex.name: tex.read_bytes()}
    if kind == "derivation":
        return {document_names(kind, fmt)[0]: _derivation(script, fmt).encode("utf-8")}
    raise ProblemError(f"the {script.lesson} lesson has no {kind} yet")


def _derivation(script, fmt: str) -> str:
    """What ``explainer derive --lesson NAME`` prints by default, in the format ``fmt``."""
    if script.lesson == "layer":
        from explainer.outputs.layer_printing import layer_derivation, render_layer

        return render_layer(layer_derivation(script.problem), fmt)
    from explainer.outputs.backward_printing import backward_doc, render_gradient, transposed_doc

    if script.lesson == "backward":
        return render_gradient(backward_doc(script.problem), fmt)
    if script.lesson == "transposed":
        return render_gradient(transposed_doc(script.problem), fmt)
    raise ProblemError(f"the {script.lesson} lesson has no derivation yet")
