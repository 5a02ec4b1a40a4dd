"""The ``explainer`` command: derive, check, render, script and list presets.

Every error a person can cause prints one line, ``explainer: error: …``, and exits with
status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import stat
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from explainer.backward_request import (
    PROBLEM_FROM_ARGS,
    at,
    backward_from_args,
    refuse_gradient_options,
    transposed_from_args,
)
from explainer.cli.parser import build_parser
from explainer.cli.parser import discard_stdout as _discard_stdout
from explainer.core.limits import check_derivable, check_handout, check_showable
from explainer.core.presets import PRESETS
from explainer.core.trace import build_trace
from explainer.errors import ExplainerError, ExplainerWarning, OutputError, ProblemError
from explainer.files.cache import cache_root, check_cache_folder, clear, human_size, info_text
from explainer.files.output import check_target, write_atomic
from explainer.files.preflight import check_creatable_folder, check_distinct_outputs, check_stdout
from explainer.files.safe_io import kind_of, printable, reason
from explainer.layer_request import element, refuse_layer_options, stack_from_args
from explainer.lessons import DEFAULT_LESSON, ClaimError, lesson
from explainer.lessons.convolution import build_script
from explainer.lessons.layer import build_script as build_layer_script
from explainer.outputs import printing
from explainer.outputs.handout import write_handout
from explainer.outputs.lesson_handout import lesson_derivation, write_lesson_handout
from explainer.outputs.lesson_page import render_lesson_page
from explainer.outputs.lesson_worksheet import write_lesson_worksheet
from explainer.outputs.notes import read_timings, render_notes
from explainer.outputs.page import render_page
from explainer.request import ints, render_request
from explainer.request import problem_from_args as _problem_from_args

EXIT_MISMATCH = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70  # EX_SOFTWARE


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


def _check_derive_target(args: argparse.Namespace) -> None:
    """derive's --output, checked before minutes of work, not after."""
    if args.output:
        check_distinct_outputs(Path(args.output), None, args)
        check_target(Path(args.output))


def _emit_derivation(args: argparse.Namespace, text: str) -> int:
    """A derivation into --output (whole or not at all), or onto standard output."""
    if args.output:
        write_atomic(Path(args.output), text.encode("utf-8"))
        _say(f"wrote {args.output}")
    else:
        _write_stdout(text)
    return 0


def _gradient_lesson(args: argparse.Namespace) -> str | None:
    """The lesson's name when the command is for the backward or the transposed lesson."""
    name = getattr(args, "lesson", "convolution")
    return name if name in ("backward", "transposed") else None


def _gradient_problem(args: argparse.Namespace):
    read = backward_from_args if _gradient_lesson(args) == "backward" else transposed_from_args
    problem = read(args)
    _release_warnings()
    return problem


def _gradient_command(args: argparse.Namespace) -> int:
    """script, check and derive for the backward and transposed lessons."""
    name = _gradient_lesson(args)
    if args.command == "script":
        if args.video is not None:
            raise ProblemError(f"--video is not available for the {name} lesson yet")
        script = lesson(name).build_script(_gradient_problem(args))
        _write_stdout(render_notes(script, args.format))
        return 0
    if args.command == "check":
        from explainer.outputs.backward_checking import check_backward, check_transposed

        check = check_backward if name == "backward" else check_transposed
        report = check(_gradient_problem(args))
        _write_stdout(report.text())
        return 0 if report.ok else EXIT_MISMATCH
    from explainer.outputs.backward_printing import backward_doc, render_gradient, transposed_doc

    _check_derive_target(args)
    where = at(args.at)
    if name == "backward":
        doc = backward_doc(_gradient_problem(args), where, args.of)
    else:
        doc = transposed_doc(_gradient_problem(args), where)
    text = render_gradient(doc, args.format)
    return _emit_derivation(args, text)


def _layer_lesson(args: argparse.Namespace) -> bool:
    return getattr(args, "lesson", "convolution") == "layer"


def _stack_from_args(args: argparse.Namespace, *, derive: bool = False):
    stack = stack_from_args(args, derive=derive)
    _release_warnings()
    return stack


def _released(read: Callable[[argparse.Namespace], Any]) -> Callable[[argparse.Namespace], Any]:
    def problem(args: argparse.Namespace) -> Any:
        found = read(args)
        _release_warnings()
        return found

    return problem


LESSON_PROBLEMS: dict[str, Callable[[argparse.Namespace], Any]] = {
    "layer": _stack_from_args,
    **{name: _released(read) for name, read in PROBLEM_FROM_ARGS.items()},
}
"""Each lesson other than the convolution, and how its problem is read from the options:
its page, handout and video are staged from its script's boards (one entry per lesson)."""


def _lesson_script(args: argparse.Namespace):
    """The script of the lesson ``--lesson`` names when it is not the convolution, else None."""
    name = getattr(args, "lesson", DEFAULT_LESSON)
    if name == DEFAULT_LESSON:
        return None
    if name not in LESSON_PROBLEMS:
        raise ProblemError(f"the {name} lesson reads no problem from options yet")
    return lesson(name).build_script(LESSON_PROBLEMS[name](args))


def _layer_derive(args: argparse.Namespace) -> int:
    from explainer.outputs.layer_printing import layer_derivation, render_layer

    _check_derive_target(args)
    index = element(args.element)
    doc = layer_derivation(_stack_from_args(args, derive=True), args.layer, index)
    text = render_layer(doc, args.format)
    return _emit_derivation(args, text)


def cmd_derive(args: argparse.Namespace) -> int:
    if _gradient_lesson(args):
        return _gradient_command(args)
    if _layer_lesson(args):
        return _layer_derive(args)
    _check_derive_target(args)
    patches = _patches(args.patch)
    problem = problem_from_args(args, lambda g: check_derivable(g, patches))
    trace = build_trace(problem, exact=True)
    der = printing.derivation(trace, patches, _progress_line("deriving"))
    text = printing.render(der, args.format)
    return _emit_derivation(args, text)


def cmd_check(args: argparse.Namespace) -> int:
    from explainer.outputs.checking import check_problem

    if _gradient_lesson(args):
        return _gradient_command(args)
    if _layer_lesson(args):
        from explainer.outputs.layer_checking import check_stack

        layer_report = check_stack(_stack_from_args(args, derive=True))
        _write_stdout(layer_report.text())
        return 0 if layer_report.ok else EXIT_MISMATCH
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
    if _gradient_lesson(args):
        return _gradient_command(args)
    if _layer_lesson(args):
        script = build_layer_script(_stack_from_args(args))
    else:
        script = build_script(problem_from_args(args))
    timings = None
    if args.video is not None:
        video = Path(args.video)
        if not video.name or video.name in (".", ".."):
            shown = printable(args.video)
            raise ProblemError(f"--video {shown!r} names no file; give the rendered FILE.mp4")
        companion = video.with_suffix(".script.json")
        if not os.path.lexists(companion):
            raise ProblemError(
                f"--video: no {printable(companion.name)} beside "
                f"{printable(str(video))}; a render writes the sentences' times there "
                "with the video: render this problem first, or drop --video"
            )
        timings = read_timings(companion, script)
    _write_stdout(render_notes(script, args.format, timings))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from scenes.render import render_command

    if not args.list_sections:
        _check_output_dir(Path(args.output_dir))
        check_creatable_folder(Path(args.output_dir), "--output-dir")
        check_cache_folder()  # the cache's own failures are not the output folder's
        check_stdout()  # the video's path is printed there at the end
    name = getattr(args, "lesson", DEFAULT_LESSON)
    try:
        if name != DEFAULT_LESSON:
            if name not in LESSON_PROBLEMS:
                raise ProblemError(f"the {name} lesson reads no problem from options yet")
            return render_command(render_request(args), LESSON_PROBLEMS[name](args), name)
        return render_command(render_request(args), problem_from_args(args))
    except (OSError, RuntimeError) as err:
        cause = _os_error_in(err)
        if cause is None or isinstance(cause, BrokenPipeError):
            raise
        if cause.filename:  # the file the system refused, not the folder by default
            where = printable(str(cause.filename))
            raise OutputError(f"cannot write {where}: {reason(cause)}") from err
        where = printable(str(args.output_dir))
        raise OutputError(f"cannot write the video into {where}: {reason(cause)}") from err


def cmd_page(args: argparse.Namespace) -> int:
    if args.output is None:  # the slides have a file of their own: the page is never replaced
        args.output = "output/slides.html" if args.slides else "output/lesson.html"
    target = Path(args.output)
    check_distinct_outputs(target, None, args)
    check_target(target)  # before the work, not after

    script = _lesson_script(args)
    if script is not None:
        write_atomic(target, render_lesson_page(script, slides=args.slides).encode("utf-8"))
        _say(f"wrote {args.output}")
        return 0
    problem = problem_from_args(args, check_showable)
    write_atomic(target, render_page(problem, present=args.slides).encode("utf-8"))
    _say(f"wrote {args.output}")
    return 0


def cmd_handout(args: argparse.Namespace) -> int:
    target = Path(args.output)
    check_distinct_outputs(target, target.with_suffix(".tex"), args)
    check_target(target)
    check_target(target.with_suffix(".tex"))
    script = _lesson_script(args)
    if script is not None:
        if args.patch or args.all:
            raise ProblemError(f"the {script.lesson} lesson's handout has no --patch or --all")
        if args.worksheet:
            write_lesson_worksheet(script, target)
        else:
            write_lesson_handout(script, target, lesson_derivation(script))
        _say(f"wrote {args.output} and {target.with_suffix('.tex')}")
        return 0
    patches = _patches(args.patch)

    def feasible(g) -> None:
        typeset = None if args.all else (patches or [])  # a few patches, or every one
        check_derivable(g, typeset)
        check_handout(g, typeset)

    problem = problem_from_args(args, feasible)
    write_handout(problem, target, patches=patches, worksheet=args.worksheet, appendix=args.all)
    _say(f"wrote {args.output} and {target.with_suffix('.tex')}")
    return 0


# A Dask scheduler's address: an optional protocol, a host and a port ("tcp://host:8786").
_SCHEDULER = re.compile(r"(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9a-fA-F:.]+\]|[\w.-]+):\d{1,5}")


def _check_scheduler(address: str) -> None:
    match = _SCHEDULER.fullmatch(address)
    if match is None or not 0 < int(address.rsplit(":", 1)[1]) < 65536:
        raise ProblemError(
            f"--scheduler {printable(address)!r} is not a scheduler's address; write "
            "HOST:PORT or tcp://HOST:PORT (the address the Dask scheduler prints)"
        )


def cmd_course(args: argparse.Namespace) -> int:
    from explainer.course.manifest import read_manifest

    manifest = Path(args.manifest)
    course = read_manifest(manifest)  # every entry checked: a mistake is one line, exit 2
    if args.workers is not None and not 1 <= args.workers <= 256:
        raise ProblemError("--workers must be from 1 to 256")
    if args.scheduler is not None:
        _check_scheduler(args.scheduler)
    folder = Path(args.output_dir or Path("output") / (manifest.stem or "course"))
    _check_output_dir(folder)
    check_creatable_folder(folder, "--output-dir")
    check_cache_folder()
    from scenes.course import run_course

    return run_course(course, folder, args.scheduler, args.workers)


def cmd_cache(args: argparse.Namespace) -> int:
    if args.action == "info":
        _write_stdout(info_text())
        return 0
    count, size = clear()
    plural = "entry" if count == 1 else "entries"
    _say(f"removed {count} {plural} ({human_size(size)}) from {cache_root()}")
    return 0


COMMANDS = {
    "derive": cmd_derive,
    "check": cmd_check,
    "presets": cmd_presets,
    "render": cmd_render,
    "script": cmd_script,
    "page": cmd_page,
    "handout": cmd_handout,
    "cache": cmd_cache,
    "course": cmd_course,
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


def _require_option_values(args: argparse.Namespace) -> None:
    """argparse turns ``-o=--`` into an empty list instead of a value: refuse any such
    option (every option of every command) with one line naming it."""
    for name, value in vars(args).items():
        if isinstance(value, list) and (not value or not all(isinstance(v, str) for v in value)):
            flag = "--output" if name == "output" else f"--{name.replace('_', '-')}"
            raise ProblemError(f"{flag} needs a value")


def _run(argv: list[str], debug: bool) -> int:
    try:
        args = build_parser().parse_args(argv)
        _require_option_values(args)
        refuse_layer_options(args)  # given to another lesson, it would be ignored
        refuse_gradient_options(args)
        if args.command is None:
            build_parser().print_help()
            return 0
        code = COMMANDS[args.command](args)
        _release_warnings()  # for commands that read no problem
        return code
    except ClaimError as err:  # a sentence the verifier refutes: nothing was written
        if debug:
            raise
        _say(f"explainer: error: {err}")
        return EXIT_MISMATCH
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
