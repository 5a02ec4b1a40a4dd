"""The ``explainer`` command: derive, check, render, script and list presets.

Every error a person can cause prints one line, ``explainer: error: …``, and exits with
status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import signal
import stat
import sys
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

from explainer.core.limits import check_derivable, check_handout, check_showable
from explainer.core.presets import PRESETS
from explainer.core.trace import build_trace
from explainer.errors import ExplainerError, ExplainerWarning, OutputError, ProblemError
from explainer.files.output import check_target, write_atomic
from explainer.files.safe_io import kind_of, printable, reason
from explainer.lessons.convolution import build_script
from explainer.outputs import printing
from explainer.outputs.handout import write_handout
from explainer.outputs.notes import NOTE_FORMATS, read_timings, render_notes
from explainer.outputs.page import render_page
from explainer.request import (
    DEFAULT_VOICE,
    QUALITIES,
    VOICES,
    add_problem_options,
    attach_signed_values,
    ints,
    render_request,
)
from explainer.request import problem_from_args as _problem_from_args

EXIT_MISMATCH = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70  # EX_SOFTWARE

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
  explainer handout --worksheet            a printable PDF with blanks and an answer key

Run 'explainer COMMAND --help' for a command's options."""


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line with exit status 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ProblemError(f"{message} (see '{self.prog} --help')")

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        if args is not None:
            args = attach_signed_values(list(args))
        return super().parse_known_args(args, namespace)


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
        choices=printing.FORMATS,
        help="text (unicode, for the terminal), latex (a complete document), "
        "markdown, or json (exact numbers as strings, for tools)",
    )
    derive.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write to FILE (complete or not at all) instead of the terminal",
    )

    check = sub.add_parser(
        "check",
        parents=[common],
        help="verify every patch: sympy against the engine",
        description="Derive every output pixel with sympy and compare it, exactly, with the "
        "engine's trace and its vectorized result. Exit status 1 on any mismatch.",
    )
    add_problem_options(check)

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
    page.add_argument(
        "--slides",
        action="store_true",
        help="open in presentation mode: one slide per beat, speaker notes with S",
    )
    page.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        default="output/lesson.html",
        help="where the page goes (default: output/lesson.html)",
    )

    handout = sub.add_parser(
        "handout",
        parents=[common],
        help="write a printable PDF handout (pdflatex), with its LaTeX source beside it",
        description="Typeset the problem, the general formula with every symbol named, the "
        "output size worked out, each patch's derivation and the result, as a PDF made by "
        "pdflatex. The .tex source is written beside the PDF.",
    )
    add_problem_options(handout)
    handout.add_argument(
        "--patch",
        metavar="I,J",
        action="append",
        help="derive only output pixel (I, J), counted from 0; repeat for more",
    )
    handout.add_argument(
        "--worksheet",
        action="store_true",
        help="leave blanks for the learner to fill in, and append an answer key",
    )
    handout.add_argument(
        "--output",
        "-o",
        metavar="FILE.pdf",
        default="output/handout.pdf",
        help="where the PDF goes; the .tex goes beside it (default: output/handout.pdf)",
    )
    return parser


def problem_from_args(args: argparse.Namespace, work=None):
    """The problem of the command's options; held warnings are shown once it is accepted."""
    return _problem_from_args(args, work, accepted=_release_warnings)


def _patches(specs: Sequence[str] | None) -> list[tuple[int, int]] | None:
    if not specs:
        return None
    out = []
    for spec in specs:
        r, c = ints(spec, "--patch", (2,))
        out.append((r, c))
    return out


def _progress_line(verb: str):
    """On a terminal, a live 'deriving patch k of N' for work long enough to wonder about."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        if total < 200:
            return
        if done % 50 == 0 or done == total:
            end = "\n" if done == total else ""
            print(f"\r{verb} patch {done:,} of {total:,}", end=end, file=sys.stderr, flush=True)

    return show


def _write_stdout(text: str) -> None:
    """Print the result; a closed or full standard output is an error of one line."""
    if sys.stdout is None:
        raise OutputError("standard output is closed; give --output FILE or redirect it")
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as err:
        _discard_stdout()
        raise OutputError(f"cannot write to standard output: {reason(err)}") from None


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so that Python's flush at exit cannot fail again
    (which would print a traceback-like warning and change the exit status)."""
    try:
        fd = sys.stdout.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except (AttributeError, OSError, ValueError):
        pass


def cmd_derive(args: argparse.Namespace) -> int:
    if args.output:
        check_target(Path(args.output))  # before minutes of work, not after
    patches = _patches(args.patch)
    problem = problem_from_args(args, lambda g: check_derivable(g, patches))
    trace = build_trace(problem, exact=True)
    der = printing.derivation(trace, patches, _progress_line("deriving"))
    text = printing.render(der, args.format)
    if args.output:
        write_atomic(Path(args.output), text.encode("utf-8"))
        _say(f"wrote {args.output}")
    else:
        _write_stdout(text)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from explainer.outputs.checking import check_problem

    problem = problem_from_args(args, lambda g: check_derivable(g, None))
    report = check_problem(problem, _progress_line("checking"))
    _write_stdout(report.text())
    return 0 if report.ok else EXIT_MISMATCH


def cmd_presets(args: argparse.Namespace) -> int:
    lines = []
    for kind in ("image", "kernel"):
        lines.append(f"{kind.capitalize()}s:")
        for p in PRESETS.values():
            if p.kind == kind:
                shape = "×".join(str(v) for v in p.make().shape)
                lines.append(f"  {p.name:<14} {shape:>4}  {p.description}")
        lines.append("")
    lines.append("Use them as --image NAME and --kernel NAME; a file path works too.")
    _write_stdout("\n".join(lines) + "\n")
    return 0


def _check_output_dir(folder: Path) -> None:
    """--output-dir must be a folder, or a name one can be created under."""
    shown = printable(str(folder))
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as err:
        why = reason(err) if isinstance(err, OSError) else "not a valid name"
        raise OutputError(f"cannot use --output-dir {shown}: {why}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise OutputError(f"--output-dir {shown} is a {kind_of(info.st_mode)}, not a folder")


def _os_error_in(err: BaseException) -> OSError | None:
    """The OSError behind an error (manim wraps encoder failures in RuntimeError)."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, OSError):
            return err
        seen.add(id(err))
        err = err.__cause__ or err.__context__  # type: ignore[assignment]
    return None


def cmd_script(args: argparse.Namespace) -> int:
    script = build_script(problem_from_args(args))
    timings = None
    if args.video:
        timings = read_timings(Path(args.video).with_suffix(".script.json"), script)
    _write_stdout(render_notes(script, args.format, timings))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from scenes.render import render_command

    if not args.list_sections:
        _check_output_dir(Path(args.output_dir))
    try:
        return render_command(render_request(args), problem_from_args(args))
    except (OSError, RuntimeError) as err:
        cause = _os_error_in(err)
        if cause is None or isinstance(cause, BrokenPipeError):
            raise
        where = printable(str(args.output_dir))
        raise OutputError(f"cannot write the video into {where}: {reason(cause)}") from err


def cmd_page(args: argparse.Namespace) -> int:
    target = Path(args.output)
    check_target(target)  # before the work, not after

    problem = problem_from_args(args, check_showable)
    write_atomic(target, render_page(problem, present=args.slides).encode("utf-8"))
    _say(f"wrote {args.output}")
    return 0


def cmd_handout(args: argparse.Namespace) -> int:
    target = Path(args.output)
    check_target(target)
    check_target(target.with_suffix(".tex"))
    patches = _patches(args.patch)

    def feasible(g) -> None:
        check_derivable(g, patches)
        check_handout(g, patches)

    problem = problem_from_args(args, feasible)
    write_handout(problem, target, patches=patches, worksheet=args.worksheet)
    _say(f"wrote {args.output} and {target.with_suffix('.tex')}")
    return 0


COMMANDS = {
    "derive": cmd_derive,
    "check": cmd_check,
    "presets": cmd_presets,
    "render": cmd_render,
    "script": cmd_script,
    "page": cmd_page,
    "handout": cmd_handout,
}


def _say(line: str) -> None:
    """One line on standard error, control characters escaped (when there is a stderr)."""
    if sys.stderr is not None:
        print(printable(line), file=sys.stderr)


class _WarningPrinter:
    """Show each of our warnings once; numpy's, Pillow's or sympy's only with --debug.

    Warnings raised while the input is read are held until the input is accepted: a
    rejected input gets its one line of error and nothing else.
    """

    def __init__(self, debug: bool) -> None:
        self.debug = debug
        self.python_default = warnings.showwarning
        self.shown: set[str] = set()
        self.held: list[str] | None = []

    def __call__(self, message, category, filename, lineno, file=None, line=None) -> None:
        if not issubclass(category, ExplainerWarning):
            if self.debug:
                self.python_default(message, category, filename, lineno, file, line)
            return
        text = str(message)  # several stages read the same input: say each thing once
        if text in self.shown:
            return
        self.shown.add(text)
        if self.held is not None:
            self.held.append(text)
        else:
            _say(f"explainer: warning: {text}")

    def release(self) -> None:
        """The input is accepted: show what was held, and from now on show at once."""
        held, self.held = self.held or [], None
        for text in held:
            _say(f"explainer: warning: {text}")


_printer: _WarningPrinter | None = None


def _release_warnings() -> None:
    if _printer is not None:
        _printer.release()


def _terminate(signum, frame) -> None:
    # Turn SIGTERM into an exception so that temporary files are removed on the way out.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    global _printer
    argv = list(sys.argv[1:] if argv is None else argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    debug = "--debug" in argv
    with warnings.catch_warnings():
        _printer = warnings.showwarning = _WarningPrinter(debug)
        warnings.simplefilter("default")
        try:
            return _run(argv, debug)
        finally:
            _printer = None


def _run(argv: list[str], debug: bool) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return 0
        code = COMMANDS[args.command](args)
        _release_warnings()  # for commands that read no problem
        return code
    except ExplainerError as err:
        if debug:
            raise
        _say(f"explainer: error: {err}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        if debug:
            raise
        _say("explainer: interrupted; nothing was left half-written")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _discard_stdout()  # the reader went away (e.g. `| head`); not an error
        return 0
    except OSError as err:  # the system refused something (a full disk, a name too long)
        if debug:
            raise
        where = f": {printable(str(err.filename))}" if err.filename else ""
        _say(f"explainer: error: {reason(err)}{where}")
        return EXIT_USAGE
    except Exception as err:  # a bug or a broken install: still one line, details on request
        if debug:
            raise
        _say(
            f"explainer: internal error: {type(err).__name__}: {err} "
            "(run again with --debug for the traceback)"
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
