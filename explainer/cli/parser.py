"""The ``explainer`` command's parser: its commands, options and help (built by argparse).

Its errors become one-line :class:`ProblemError` (see :class:`_Parser`); :mod:`explainer.cli`
runs the commands.
"""

from __future__ import annotations

import argparse
import os
import sys

from explainer.backward_request import (
    add_backward_derive_options,
    add_backward_options,
    mark_defaults,
)
from explainer.errors import OutputError, ProblemError
from explainer.files.safe_io import reason
from explainer.layer_request import add_layer_options, add_lesson_option
from explainer.outputs.notes import NOTE_FORMATS
from explainer.outputs.printing import FORMATS
from explainer.request import (
    DEFAULT_VOICE,
    QUALITIES,
    VOICES,
    add_problem_options,
    attach_signed_values,
)

DESCRIPTION = """\
Explain 2D convolution step by step, proving every number.

With no options every command uses the lecture's example: the 9×9 letter X (pixels +1
and -1) and the 3×3 diagonal filter, each sum of products divided by 9. Give --image and
--kernel (a preset name or a file) to explain your own."""

EPILOG = """\
examples:
  explainer derive                         the lecture's 49 patches, step by step
  explainer derive --patch 1,1 --format latex
  explainer check                          sympy against the engine, patch by patch
  explainer derive --kernel sobel-x --image square --padding same --stride 2
  explainer presets                        images and kernels you can name
  explainer render                         the spoken lecture video, into output/
  explainer script                         the lecture's sentences, as notes
  explainer page                           the lesson as one web page, output/lesson.html
  explainer handout --worksheet            a two-page worksheet and its answer key
  explainer course examples/course.toml    every lesson of a course, with an index page

Run 'explainer COMMAND --help' for a command's options."""


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line with exit status 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ProblemError(f"{message} (see '{self.prog} --help')")

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        if args is not None:
            args = attach_signed_values(list(args))
        return super().parse_known_args(args, namespace)

    def _print_message(self, message: str, file=None) -> None:  # type: ignore[override]
        # argparse ignores a failed write: --help onto a full disk said nothing, exit 0.
        if not message:
            return
        try:
            (file or sys.stderr).write(message)
            (file or sys.stderr).flush()
        except OSError as err:
            discard_stdout()
            raise OutputError(f"cannot write to standard output: {reason(err)}") from None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("explainer")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="explainer",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--debug", action="store_true", help="show Python tracebacks instead of one-line errors"
    )
    parser.add_argument("--version", action="version", version=f"explainer {_version()}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show Python tracebacks instead of one-line errors",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    derive = sub.add_parser(
        "derive",
        parents=[common],
        help="print the formula, each patch's derivation and the result",
        description="Print the general formula, then for each output pixel its patch, the "
        "products, the expansion with numbers and its exact value, then the "
        "result matrix. Every value is derived by sympy and matches the engine.",
    )
    add_problem_options(derive)
    derive.add_argument(
        "--patch",
        metavar="I,J",
        action="append",
        help="only output pixel (I, J), counted from 0; repeat for more",
    )
    derive.add_argument(
        "--format",
        default="text",
        choices=FORMATS,
        help="text (unicode, for the terminal), latex (a complete document), "
        "markdown, or json (exact numbers as strings, for tools)",
    )
    derive.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write to FILE (complete or not at all) instead of the terminal",
    )
    add_lesson_option(derive)
    add_layer_options(derive)
    derive.add_argument(
        "--layer", type=int, default=None, metavar="N", help="--lesson layer: layer N (default 1)"
    )
    derive.add_argument(
        "--element",
        metavar="C,I,J",
        help="--lesson layer: this element, pooled when the layer pools (default 0,0,0)",
    )
    add_backward_options(derive)
    add_backward_derive_options(derive)
    mark_defaults(derive)

    check = sub.add_parser(
        "check",
        parents=[common],
        help="verify every patch: sympy against the engine",
        description="Derive every output pixel with sympy and compare it, exactly, with the "
        "engine's trace and its vectorized result. Exit status 1 on any mismatch.",
    )
    add_problem_options(check)
    add_lesson_option(check)
    add_layer_options(check)
    add_backward_options(check)
    mark_defaults(check)

    sub.add_parser(
        "presets",
        parents=[common],
        help="list the images and kernels you can name",
        description="List the preset images and kernels with a line about each.",
    )

    render = sub.add_parser(
        "render",
        parents=[common],
        help="render the lecture video (MP4 with .srt captions) into output/",
        description="Render the lecture as a video with captions, from the trace.",
    )
    add_problem_options(render)
    add_lesson_option(render)
    add_layer_options(render)
    add_backward_options(render)
    mark_defaults(render)
    render.add_argument(
        "--quality",
        default="high",
        choices=tuple(QUALITIES),
        help="low 480p15, medium 720p30, high 1080p60 (default), 4k 2160p60",
    )
    render.add_argument(
        "--section",
        action="append",
        metavar="NAME",
        help="render only this section (repeat for more); see --list-sections",
    )
    render.add_argument(
        "--list-sections", action="store_true", help="list the lecture's sections and exit"
    )
    render.add_argument(
        "--voice",
        default=DEFAULT_VOICE,
        choices=VOICES,
        help="who speaks the narration: joe (offline neural voice, the default) or none "
        "(a silent video with captions)",
    )
    render.add_argument(
        "--output-dir",
        default="output",
        metavar="DIR",
        help="where the video and captions go (default: output)",
    )

    script = sub.add_parser(
        "script",
        parents=[common],
        help="print the lecture's script: every sentence, section by section",
        description="Print the lesson's script for a problem: its sections and every "
        "sentence the video says, worded from the computation. Use it as lecture notes.",
    )
    add_problem_options(script)
    script.add_argument(
        "--format",
        default="text",
        choices=NOTE_FORMATS,
        help="text (default), markdown, or json (with the spoken form and the values of "
        "each sentence)",
    )
    add_lesson_option(script)
    add_layer_options(script)
    add_backward_options(script)
    mark_defaults(script)
    script.add_argument(
        "--video",
        metavar="FILE.mp4",
        help="a rendered video of this problem: show when each sentence is spoken in it",
    )
    page = sub.add_parser(
        "page",
        parents=[common],
        help="write the lesson as one self-contained web page (also the live slides)",
        description="Write one HTML file that steps through the lesson beat by beat, with "
        "every grid, value and derivation inside it: no server, no network. Open it in a "
        "browser; P or the Present button shows one slide per beat, S opens speaker notes.",
    )
    add_problem_options(page)
    add_lesson_option(page)
    add_layer_options(page)
    add_backward_options(page)
    mark_defaults(page)
    page.add_argument(
        "--slides",
        action="store_true",
        help="write the slides: one slide per beat in large type, stepped by arrows, Space, "
        "Page Up/Down, Home and End (the convolution lesson's: speaker notes with S)",
    )
    page.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        default=None,
        help="where the page goes (default: output/lesson.html, or output/slides.html with "
        "--slides, so that the slides never overwrite the page)",
    )

    handout = sub.add_parser(
        "handout",
        parents=[common],
        help="write a printable PDF handout (pdflatex), with its LaTeX source beside it",
        description="Typeset two A4 pages a teacher would print, as a PDF made by pdflatex: "
        "the problem, the general formula with every symbol named and the output size "
        "worked out; then one patch worked in full, the result, and two exercises with "
        "their key. The .tex source is written beside the PDF.",
    )
    add_problem_options(handout)
    add_lesson_option(handout)
    add_layer_options(handout)
    add_backward_options(handout)
    mark_defaults(handout)
    handout.add_argument(
        "--patch",
        metavar="I,J",
        action="append",
        help="work output pixel (I, J) in full (counted from 0) instead of the lesson's "
        "own; repeat for more",
    )
    handout.add_argument(
        "--worksheet",
        action="store_true",
        help="a worksheet: room to write the exercises (another lesson's: its boards with "
        "the computed cells blank), the answer key on the last page",
    )
    handout.add_argument(
        "--all",
        action="store_true",
        help="add every patch worked in full as an appendix",
    )
    handout.add_argument(
        "--output",
        "-o",
        metavar="FILE.pdf",
        default="output/handout.pdf",
        help="where the PDF goes; the .tex goes beside it (default: output/handout.pdf)",
    )
    course = sub.add_parser(
        "course",
        parents=[common],
        help="make every lesson of a course (videos, pages, handouts) with an index page",
        description="Read a course manifest (TOML: a title and [[lessons]] entries, each "
        "with its lesson, problem options and outputs) and make every output under one "
        "folder with an index.html that links them. The work runs as one graph of tasks on "
        "Dask: a LocalCluster of one single-threaded worker process per CPU, started and "
        "stopped here, or an existing cluster with --scheduler. Done work is kept in the "
        "cache, so an interrupted course resumes where it stopped.",
    )
    course.add_argument("manifest", metavar="COURSE.toml", help="the course manifest")
    course.add_argument(
        "--output-dir",
        metavar="DIR",
        default=None,
        help="where the outputs and index.html go (default: output/<manifest name>)",
    )
    course.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on an existing Dask cluster (e.g. tcp://10.0.0.5:8786) instead of a "
        "LocalCluster; its workers need the project installed",
    )
    course.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes of the LocalCluster (default: one per CPU)",
    )
    cache = sub.add_parser(
        "cache",
        parents=[common],
        help="show or empty the cache of spoken sentences, parts and joined videos",
        description="The cache ($EXPLAINER_CACHE_DIR, else ~/.cache/explainer) keeps "
        "synthesized sentences, rendered parts and joined videos; every entry is checked "
        "before use. 'info' shows what it holds, 'clear' removes it all.",
    )
    cache.add_argument("action", choices=("info", "clear"), help="info or clear")
    return parser


def discard_stdout() -> None:
    """Point standard output at /dev/null, so that Python's flush at exit cannot fail again
    (which would print a traceback-like warning and change the exit status)."""
    try:
        fd = sys.stdout.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except (AttributeError, OSError, ValueError):
        pass
