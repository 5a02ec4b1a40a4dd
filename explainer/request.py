"""Turning option strings into a :class:`~explainer.core.problem.Problem`.

The command (``explainer derive --stride 2 ...``) and the scenes (``EXPLAINER_ARGS`` for
people who run manim directly) describe problems with the same options; both parse them
here, below both, so that neither imports the other. Strings are parsed, never evaluated.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from explainer.core import limits
from explainer.core.exact_digits import allow_exact_digits
from explainer.core.presets import PRESETS
from explainer.core.problem import PADDING_MODES, PADDING_WORDS, Geometry, Problem, plan_geometry
from explainer.errors import ExplainerError, ProblemError
from explainer.files import inputs
from explainer.files.safe_io import printable

# Options whose value may start with a minus sign ("--png-range -1,1"), which argparse
# would otherwise take for an option of its own.
_SIGNED_VALUE_OPTIONS = (
    "--png-range",
    "--padding",
    "--stride",
    "--dilation",
    "--patch",
    # the lessons': inline matrices, biases, indices and sizes (refused by name if negative)
    "--image",
    "--kernel",
    "--input",
    "--target",
    "--bias",
    "--bias2",
    "--at",
    "--element",
    "--output-padding",
    "--pool-size",
    "--pool-stride",
    "--learning-rate",
)
_SIGNED_VALUE = re.compile(r"[-\u2212][0-9.]")


def attach_signed_values(argv: Sequence[str]) -> list[str]:
    """``--png-range -1,1`` → ``--png-range=-1,1`` so that argparse reads it as a value.

    >>> attach_signed_values(["derive", "--png-range", "-1,1", "--flip"])
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


def ints(text: str, name: str, counts: Sequence[int]) -> tuple[int, ...]:
    cells = [c.strip() for c in re.split(r"[,x×]", text.strip())]
    valid = all(re.fullmatch(r"[+-]?[0-9]+", c) for c in cells)  # ASCII digits only
    if valid and len(cells) in counts and any(len(c.lstrip("+-")) > 9 for c in cells):
        raise ProblemError(
            f"{name} {printable(text)!r} is too large; each number can have at most 9 digits"
        )
    if not valid or len(cells) not in counts:
        shapes = {1: "N", 2: "N,M", 4: "TOP,BOTTOM,LEFT,RIGHT"}
        allowed = " or ".join(shapes[c] for c in counts)
        shown = printable(text)
        raise ProblemError(f"{name} {shown!r} is not valid; write {allowed} with whole numbers")
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
    args: argparse.Namespace,
    work: Callable[[Geometry], None] | None = None,
    accepted: Callable[[], None] | None = None,
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
        normalize = found.normalize if inputs.names_preset(args.kernel) else None
    options = {
        "stride": _int_or_pair(args.stride, "--stride"),
        "padding": _padding(args.padding),
        "padding_mode": args.padding_mode,
        "dilation": _int_or_pair(args.dilation, "--dilation"),
    }
    if image.ndim == 2 and kernel.ndim == 2 and image.size and kernel.size:
        geometry = plan_geometry(image.shape, kernel.shape, **options)
        limits.check_traceable(geometry)
        if work is not None:
            work(geometry)
        if getattr(args, "command", None) == "render":
            limits.check_renderable(geometry)
    if image.ndim == 2 and kernel.ndim == 2 and image.size and kernel.size:
        allow_exact_digits(image, kernel)  # values over 4,300 digits are printed, or refused
    problem = Problem(
        image,
        kernel,
        flip=args.flip,
        normalize=None if normalize == "none" else normalize,
        **options,
    )
    if accepted is not None:
        accepted()  # e.g. the command shows the warnings it held back while reading
    return problem


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
    except ValueError as err:  # "No closing quotation"
        raise ProblemError(f"cannot split {printable(text)!r} into options: {err}") from None
    parser = _OptionParser(prog="explainer", add_help=False)
    add_problem_options(parser)
    return problem_from_args(parser.parse_args(attach_signed_values(argv)))


# ----- a render request: what the video side is asked for ------------------------------------

VOICES = ("joe", "none")
"""Who can speak a narration: Piper's Joe (offline) or nobody (a silent, captioned video)."""
DEFAULT_VOICE = "joe"
QUALITIES = {
    "low": ("low_quality", "480p15"),
    "medium": ("medium_quality", "720p30"),
    "high": ("high_quality", "1080p60"),
    "4k": ("fourk_quality", "2160p60"),
}
"""Each quality's manim setting and its resolution and frame rate."""

_NAMED_DEFAULTS = {
    "stride": "1",
    "padding": "valid",
    "padding_mode": "zeros",
    "dilation": "1",
    "normalize": None,
}


@dataclass(frozen=True)
class RenderRequest:
    """What ``explainer render`` was asked for, as plain data (no argparse past here)."""

    image: str
    """The image as named on the command line (a preset or a file)."""
    kernel: str
    options_set: tuple[tuple[str, str], ...]
    """The problem options that differ from their defaults, as (flag, value) for names."""
    sections: tuple[str, ...] | None
    quality: str = "high"
    voice: str = DEFAULT_VOICE
    output_dir: str = "output"
    list_sections: bool = False


def render_request(args: argparse.Namespace) -> RenderRequest:
    """The render request the command's options describe."""
    options = []
    for flag, default in _NAMED_DEFAULTS.items():
        value = getattr(args, flag, default)
        if value is not None and value != default:
            options.append((flag.replace("_", "-"), str(value).replace(",", "x")))
    if args.flip:
        options.append(("flip", "on"))
    return RenderRequest(
        image=args.image,
        kernel=args.kernel,
        options_set=tuple(options),
        sections=tuple(args.section) if args.section else None,
        quality=args.quality,
        voice=args.voice,
        output_dir=args.output_dir,
        list_sections=args.list_sections,
    )
