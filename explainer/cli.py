"""The ``explainer`` command: derive, check, render and list presets.

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
from fractions import Fraction
from pathlib import Path

from . import inputs, printing
from .errors import ExplainerError, ExplainerWarning, OutputError, ProblemError
from .presets import PRESETS
from .problem import PADDING_MODES, PADDING_WORDS, Geometry, Problem, plan_geometry
from .safe_io import file_status, kind_of, printable, reason

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
  explainer render                         the lecture video, into output/

Run 'explainer COMMAND --help' for a command's options."""


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line with exit status 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ProblemError(f"{message} (see '{self.prog} --help')")

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        if args is not None:
            args = _attach_signed_values(list(args))
        return super().parse_known_args(args, namespace)


# Options whose value may start with a minus sign ("--png-range -1,1"), which argparse
# would otherwise take for an option of its own.
_SIGNED_VALUE_OPTIONS = ("--png-range", "--padding", "--stride", "--dilation", "--patch")
_SIGNED_VALUE = re.compile(r"[-\u2212][0-9.]")


def _attach_signed_values(argv: Sequence[str]) -> list[str]:
    """``--png-range -1,1`` → ``--png-range=-1,1`` so that argparse reads it as a value.

    >>> _attach_signed_values(["derive", "--png-range", "-1,1", "--flip"])
    ['derive', '--png-range=-1,1', '--flip']
    """
    out: list[str] = []
    k = 0
    while k < len(argv):
        token = argv[k]
        if token == "--":
            out.extend(argv[k:])
            break
        nxt = argv[k + 1] if k + 1 < len(argv) else None
        if token in _SIGNED_VALUE_OPTIONS and nxt is not None and _SIGNED_VALUE.match(nxt):
            out.append(f"{token}={nxt}")
            k += 2
            continue
        out.append(token)
        k += 1
    return out


def _ints(text: str, name: str, counts: Sequence[int]) -> tuple[int, ...]:
    cells = [c.strip() for c in re.split(r"[,x×]", text.strip())]
    valid = all(re.fullmatch(r"[+-]?[0-9]{1,9}", c) for c in cells)  # ASCII digits only
    if not valid or len(cells) not in counts:
        shapes = {1: "N", 2: "N,M", 4: "TOP,BOTTOM,LEFT,RIGHT"}
        allowed = " or ".join(shapes[c] for c in counts)
        shown = printable(text)
        raise ProblemError(f"{name} {shown!r} is not valid; write {allowed} with whole numbers")
    return tuple(int(c) for c in cells)


def _int_or_pair(text: str, name: str) -> int | tuple[int, ...]:
    values = _ints(text, name, (1, 2))
    return values[0] if len(values) == 1 else values


def _padding(text: str) -> str | tuple[int, ...]:
    word = text.strip().lower()
    if word in PADDING_WORDS:
        return word
    values = _ints(text, "--padding", (1, 2, 4))
    return values[0] if len(values) == 1 else values


def _range(text: str) -> tuple[Fraction, Fraction]:
    cells = text.split(",")
    shown = printable(text)
    if len(cells) != 2:
        raise ProblemError(f"--png-range {shown!r} is not valid; write LOW,HIGH such as -1,1")
    try:
        low, high = (inputs.parse_number(c) for c in cells)
    except ExplainerError as err:
        raise ProblemError(f"--png-range: {err}") from None
    if low >= high:
        raise ProblemError(f"--png-range needs LOW below HIGH; got {shown!r}")
    return Fraction(low), Fraction(high)


def _add_problem_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("the problem (defaults: the lecture's example)")
    g.add_argument(
        "--image",
        default="x",
        metavar="NAME|FILE",
        help="image preset or file: CSV/text of numbers (fractions like 1/9 "
        "allowed), .npy, or grayscale .png (default: x, the lecture's 9×9 X)",
    )
    g.add_argument(
        "--kernel",
        default="diagonal",
        metavar="NAME|FILE",
        help="kernel preset or file, read like --image (default: diagonal)",
    )
    g.add_argument(
        "--stride",
        default="1",
        metavar="S|SR,SC",
        help="how far the window jumps, one number or rows,columns (default: 1)",
    )
    g.add_argument(
        "--padding",
        default="valid",
        metavar="P",
        help="valid, same, full, N, ROWS,COLS or TOP,BOTTOM,LEFT,RIGHT (default: valid, no border)",
    )
    g.add_argument(
        "--padding-mode",
        default="zeros",
        choices=PADDING_MODES,
        help="what the border holds (default: zeros)",
    )
    g.add_argument(
        "--dilation",
        default="1",
        metavar="D|DR,DC",
        help="spacing between kernel taps (default: 1, a dense kernel)",
    )
    g.add_argument(
        "--flip",
        action="store_true",
        help="true convolution: rotate the kernel 180° first (default: no flip, "
        "i.e. cross-correlation as in deep-learning libraries)",
    )
    g.add_argument(
        "--normalize",
        choices=("none", "area", "sum"),
        default=None,
        help="divide each sum of products by nothing, the kernel's area, or its "
        "sum (default: area for the lecture's diagonal filter, none otherwise)",
    )
    g.add_argument(
        "--png-range",
        default="-1,1",
        metavar="LOW,HIGH",
        help="values that black and white PNG pixels become (default: -1,1)",
    )


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
    _add_problem_options(derive)
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
    _add_problem_options(check)

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
    _add_problem_options(render)
    render.add_argument(
        "--quality",
        default="high",
        choices=("low", "medium", "high", "4k"),
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
        "--output-dir",
        default="output",
        metavar="DIR",
        help="where the video and captions go (default: output)",
    )
    return parser


_TEXT_OPTIONS = ("image", "kernel", "stride", "padding", "dilation", "png_range", "output")


def _require_values(args: argparse.Namespace) -> None:
    """argparse turns ``--kernel=--`` into an empty list: say that a value is missing."""
    for name in _TEXT_OPTIONS:
        value = getattr(args, name, None)
        if value is not None and not isinstance(value, str):
            raise ProblemError(f"--{name.replace('_', '-')} needs a value")
    for value in getattr(args, "patch", None) or ():
        if not isinstance(value, str):
            raise ProblemError("--patch needs a value")


def problem_from_args(
    args: argparse.Namespace, work: Callable[[Geometry], None] | None = None
) -> Problem:
    """The problem the options describe, after every limit on the work is checked.

    The limits are checked from the shapes alone, before the arrays are converted and
    validated (which for a large exact image alone takes long): the trace's always,
    ``work``'s (derive, check) when given, and the video's for ``render``.
    """
    _require_values(args)
    png_range = _range(args.png_range)
    image = inputs.load(args.image, "image", png_range)
    kernel = inputs.load(args.kernel, "kernel", png_range)
    normalize = args.normalize
    if normalize is None:
        found = PRESETS.get(args.kernel.strip().lower())
        from_preset = found is not None and file_status(Path(args.kernel)) is None
        normalize = found.normalize if from_preset else None
    options = {
        "stride": _int_or_pair(args.stride, "--stride"),
        "padding": _padding(args.padding),
        "padding_mode": args.padding_mode,
        "dilation": _int_or_pair(args.dilation, "--dilation"),
    }
    if image.ndim == 2 and kernel.ndim == 2 and image.size and kernel.size:
        from . import limits

        geometry = plan_geometry(image.shape, kernel.shape, **options)
        limits.check_traceable(geometry)
        if work is not None:
            work(geometry)
        if getattr(args, "command", None) == "render":
            from .render import check_renderable

            check_renderable(geometry)  # type: ignore[arg-type]  # reads the shapes only
    problem = Problem(
        image,
        kernel,
        flip=args.flip,
        normalize=None if normalize == "none" else normalize,
        **options,
    )
    _release_warnings()
    return problem


def _patches(specs: Sequence[str] | None) -> list[tuple[int, int]] | None:
    if not specs:
        return None
    out = []
    for spec in specs:
        r, c = _ints(spec, "--patch", (2,))
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
    from .limits import check_derivable
    from .trace import build_trace

    if args.output:
        from .output import check_target

        check_target(Path(args.output))  # before minutes of work, not after
    patches = _patches(args.patch)
    problem = problem_from_args(args, lambda g: check_derivable(g, patches))
    trace = build_trace(problem, exact=True)
    der = printing.derivation(trace, patches, _progress_line("deriving"))
    text = printing.render(der, args.format)
    if args.output:
        from .output import write_atomic

        write_atomic(Path(args.output), text.encode("utf-8"))
        _say(f"wrote {args.output}")
    else:
        _write_stdout(text)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .checking import check_problem
    from .limits import check_derivable

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


# x264 splits each frame into one slice per encoder thread, and by default starts one
# thread per CPU the process may use: the same lecture rendered with fewer CPUs available
# (a busy machine's cgroup, taskset, a container) gave other bytes and other pixels. A
# fixed count makes the video depend on its input only.
ENCODER_THREADS = "2"


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


def cmd_render(args: argparse.Namespace) -> int:
    from manim import config, tempconfig

    from .render import render_command

    if not args.list_sections:
        _check_output_dir(Path(args.output_dir))
    encoder = {**config.video_encoder_options, "threads": ENCODER_THREADS}
    try:
        with tempconfig({"video_encoder_options": encoder}):
            return render_command(args)
    except (OSError, RuntimeError) as err:
        cause = _os_error_in(err)
        if cause is None or isinstance(cause, BrokenPipeError):
            raise
        where = printable(str(args.output_dir))
        raise OutputError(f"cannot write the video into {where}: {reason(cause)}") from err


COMMANDS = {"derive": cmd_derive, "check": cmd_check, "presets": cmd_presets, "render": cmd_render}


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
