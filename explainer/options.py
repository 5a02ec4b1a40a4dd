"""Turning option strings into a :class:`~explainer.problem.Problem`.

The command (``explainer derive --stride 2 ...``) and the scenes (``EXPLAINER_ARGS`` for
people who run manim directly) describe problems with the same options; both parse them
here, below both, so that neither imports the other. Strings are parsed, never evaluated.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from . import inputs
from .errors import ProblemError
from .presets import PRESETS
from .problem import PADDING_MODES, PADDING_WORDS, Problem


def ints(text: str, name: str, counts: Sequence[int]) -> tuple[int, ...]:
    cells = [c.strip() for c in re.split(r"[,x×]", text.strip())]
    if not all(re.fullmatch(r"[+-]?\d{1,9}", c) for c in cells) or len(cells) not in counts:
        shapes = {1: "N", 2: "N,M", 4: "TOP,BOTTOM,LEFT,RIGHT"}
        allowed = " or ".join(shapes[c] for c in counts)
        raise ProblemError(f"{name} {text!r} is not valid; write {allowed} with whole numbers")
    return tuple(int(c) for c in cells)


def _int_or_pair(text: str, name: str) -> int | tuple[int, ...]:
    values = ints(text, name, (1, 2))
    return values[0] if len(values) == 1 else values


def _padding(text: str) -> str | tuple[int, ...]:
    word = text.strip().lower()
    if word in PADDING_WORDS:
        return word
    values = ints(text, "--padding", (1, 2, 4))
    return values[0] if len(values) == 1 else values


def _range(text: str) -> tuple[Fraction, Fraction]:
    cells = text.split(",")
    if len(cells) != 2:
        raise ProblemError(f"--png-range {text!r} is not valid; write LOW,HIGH such as -1,1")
    low, high = (inputs.parse_number(c) for c in cells)
    if low >= high:
        raise ProblemError(f"--png-range needs LOW below HIGH; got {text!r}")
    return Fraction(low), Fraction(high)


def add_problem_options(parser: argparse.ArgumentParser) -> None:
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


class _OptionParser(argparse.ArgumentParser):
    """argparse whose errors are one-line ProblemErrors instead of a usage dump and exit."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ProblemError(f"{message} (in the problem options)")


def problem_from_argument_string(text: str) -> Problem:
    """The problem that options written as one string describe (e.g. EXPLAINER_ARGS).

    >>> problem_from_argument_string("--kernel sobel-x --padding same").padding
    (1, 1, 1, 1)
    """
    try:
        argv = shlex.split(text)
    except ValueError as err:
        raise ProblemError(f"cannot split the options {text!r}: {err}") from None
    parser = _OptionParser(prog="explainer", add_help=False)
    add_problem_options(parser)
    return problem_from_args(parser.parse_args(argv))
