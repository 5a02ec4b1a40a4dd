"""The ``explainer`` command: derive, check, render and list presets.

Every error a person can cause prints one line, ``explainer: error: …``, and exits with
status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
import warnings
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from . import inputs, printing
from .errors import ExplainerError, ExplainerWarning, ProblemError
from .presets import PRESETS
from .problem import PADDING_MODES, PADDING_WORDS, Problem

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


def _ints(text: str, name: str, counts: Sequence[int]) -> tuple[int, ...]:
    cells = [c.strip() for c in re.split(r"[,x×]", text.strip())]
    if not all(re.fullmatch(r"[+-]?\d{1,9}", c) for c in cells) or len(cells) not in counts:
        shapes = {1: "N", 2: "N,M", 4: "TOP,BOTTOM,LEFT,RIGHT"}
        allowed = " or ".join(shapes[c] for c in counts)
        raise ProblemError(f"{name} {text!r} is not valid; write {allowed} with whole numbers")
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
    if len(cells) != 2:
        raise ProblemError(f"--png-range {text!r} is not valid; write LOW,HIGH such as -1,1")
    low, high = (inputs.parse_number(c) for c in cells)
    if low >= high:
        raise ProblemError(f"--png-range needs LOW below HIGH; got {text!r}")
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


def problem_from_args(args: argparse.Namespace) -> Problem:
    png_range = _range(args.png_range)
    image = inputs.load(args.image, "image", png_range)
    kernel = inputs.load(args.kernel, "kernel", png_range)
    normalize = args.normalize
    if normalize is None:
        found = PRESETS.get(args.kernel.strip().lower())
        from_preset = found is not None and not Path(args.kernel).exists()
        normalize = found.normalize if from_preset else None
    return Problem(
        image,
        kernel,
        stride=_int_or_pair(args.stride, "--stride"),
        padding=_padding(args.padding),
        padding_mode=args.padding_mode,
        dilation=_int_or_pair(args.dilation, "--dilation"),
        flip=args.flip,
        normalize=None if normalize == "none" else normalize,
    )


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


def cmd_derive(args: argparse.Namespace) -> int:
    from .trace import build_trace

    problem = problem_from_args(args)
    trace = build_trace(problem, exact=True)
    der = printing.derivation(trace, _patches(args.patch), _progress_line("deriving"))
    text = printing.render(der, args.format)
    if args.output:
        from .output import write_atomic

        write_atomic(Path(args.output), text.encode("utf-8"))
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .checking import check_problem

    problem = problem_from_args(args)
    report = check_problem(problem, _progress_line("checking"))
    sys.stdout.write(report.text())
    return 0 if report.ok else EXIT_MISMATCH


def cmd_presets(args: argparse.Namespace) -> int:
    for kind in ("image", "kernel"):
        print(f"{kind.capitalize()}s:")
        for p in PRESETS.values():
            if p.kind == kind:
                shape = "×".join(str(v) for v in p.make().shape)
                print(f"  {p.name:<14} {shape:>4}  {p.description}")
        print()
    print("Use them as --image NAME and --kernel NAME; a file path works too.")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from .render import render_command

    return render_command(args)


COMMANDS = {"derive": cmd_derive, "check": cmd_check, "presets": cmd_presets, "render": cmd_render}


_warned: set[str] = set()


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # Several stages read the same input (trace, engine, sympy): say each thing once.
    text = str(message)
    if text not in _warned:
        _warned.add(text)
        print(f"explainer: warning: {text}", file=sys.stderr)


def _terminate(signum, frame) -> None:
    # Turn SIGTERM into an exception so that temporary files are removed on the way out.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    debug = "--debug" in argv
    warnings.showwarning = _show_warning
    warnings.simplefilter("default", ExplainerWarning)
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return 0
        return COMMANDS[args.command](args)
    except ExplainerError as err:
        if debug:
            raise
        print(f"explainer: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        if debug:
            raise
        print("explainer: interrupted; nothing was left half-written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`); not an error
        return 0
    except Exception as err:  # a bug or a broken install: still one line, details on request
        if debug:
            raise
        print(
            f"explainer: internal error: {type(err).__name__}: {err} "
            "(run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
