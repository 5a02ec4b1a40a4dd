"""The problems of the backward and transposed lessons, and the options that describe them.

``--lesson backward``: the lecture's X (``--image``), a filter (``--kernel``, the one that
learns), a target map (``--target``: a filter preset, meaning the map that filter makes of
the image, or a file holding the map itself) and a learning rate (``--learning-rate``);
``--stride``, ``--padding`` and ``--dilation`` apply to its convolution (zero padding).

``--lesson transposed``: a small input (``--input``), a kernel (``--kernel``), and the
options of the convolution it transposes (``--stride``, 2 unless given; ``--padding``,
``--dilation``) plus ``--output-padding``.

Both problems are single-channel and exact (integers and Fractions), held as tuples of
rows: plain data that the lessons' verifier reads without the engine. Strings are parsed,
never evaluated.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from explainer.core.conv import conv2d
from explainer.core.geometry import Geometry, plan_geometry
from explainer.core.presets import lecture_image, preset
from explainer.core.transposed import conv_transpose2d
from explainer.errors import ExplainerError, ProblemError, TooLargeError
from explainer.files import inputs
from explainer.files.safe_io import printable
from explainer.request import _int_or_pair, _padding, _range, ints

Number = int | Fraction
Rows = tuple[tuple[Number, ...], ...]

DEFAULT_TARGET = "x-centre"
DEFAULT_LEARNING_RATE = Fraction(1, 200)
DEFAULT_INPUT = "1,2,0;0,1,2;2,0,1"
DEFAULT_TRANSPOSED_STRIDE = 2
MAX_BACKWARD_PRODUCTS = 20_000
"""Output pixels × taps of the backward lesson (sympy derives every weight's gradient)."""
MAX_TRANSPOSED_PIXELS = 1_600
"""Output pixels of the transposed lesson (its matrix view holds input × output entries)."""
MAX_TRANSPOSED_INPUT = 256


class Unset(str):
    """A default option value, told apart from the same text given on the command line
    (``--lesson transposed`` takes stride 2 unless ``--stride`` is given)."""


def mark_defaults(parser: argparse.ArgumentParser) -> None:
    """Mark the defaults of ``--stride`` and ``--image`` as not given (they still read as
    ``"1"`` and ``"x"`` everywhere)."""
    parser.set_defaults(stride=Unset("1"), image=Unset("x"))


_OWN = {
    "backward": ("input", "output_padding"),
    "transposed": ("image", "target", "learning_rate"),
}
"""Options one of the two lessons does not read: given to it, they are refused."""


_OWNER = {"target": "backward", "learning_rate": "backward", "input": "transposed",
          "output_padding": "transposed", "at": "backward or transposed"}  # fmt: skip
"""The gradient lessons' options and the lesson that reads each."""


def refuse_gradient_options(args: argparse.Namespace) -> None:
    """Refuse an option of the backward or transposed lesson given to a lesson that would
    silently ignore it (the convolution or the layer lesson). Defaults are :class:`Unset`
    (or None), so only options given on the command line are refused."""
    lesson = getattr(args, "lesson", None)
    if lesson in ("backward", "transposed"):
        return
    for name, owner in _OWNER.items():
        value = getattr(args, name, None)
        if value is None or isinstance(value, Unset):
            continue
        flag = "--" + name.replace("_", "-")
        raise ProblemError(f"{flag} belongs to the {owner} lesson; add --lesson {owner.split()[0]}")
    if getattr(args, "of", "weight") != "weight":
        raise ProblemError("--of belongs to the backward lesson; add --lesson backward")


def _refuse_others(args: argparse.Namespace, lesson: str) -> None:
    for name in _OWN[lesson]:
        value = getattr(args, name, None)
        if isinstance(value, str) and not isinstance(value, Unset):
            other = "transposed" if lesson == "backward" else "backward"
            flag = "--" + name.replace("_", "-")
            raise ProblemError(
                f"{flag} belongs to the {other} lesson; the {lesson} lesson does not read it"
            )


def _exact(v: Any) -> Number:
    if hasattr(v, "item") and not isinstance(v, (int, Fraction)):
        v = v.item()
    if isinstance(v, float):
        raise ProblemError(
            "the backward and transposed lessons compute exactly: give integers or "
            "fractions (1/9, 0.25 in a file), not binary floats"
        )
    q = Fraction(v)
    return q.numerator if q.denominator == 1 else q


def tidy(v: Any) -> Number:
    """An exact value as the lessons show it: a whole Fraction as an int."""
    q = Fraction(v)
    return q.numerator if q.denominator == 1 else q


def exact_rows(arr: Any) -> Rows:
    """An exact 2D result (the engine's, a view's) as a tuple of tidy rows."""
    return tuple(tuple(tidy(v) for v in row) for row in np.asarray(arr, dtype=object).tolist())


def rows_of(arr: Any, name: str) -> Rows:
    """A 2D array of exact numbers as a tuple of rows."""
    a = np.asarray(arr, dtype=object)
    if a.ndim != 2 or 0 in a.shape:
        raise ProblemError(f"the {name} must be one 2D grid of numbers; got shape {a.shape}")
    return tuple(tuple(_exact(v) for v in row) for row in a.tolist())


def _array(rows: Rows) -> np.ndarray:
    return np.array(rows, dtype=object)


def _correlate(x: Rows, w: Rows, stride, padding, dilation) -> Rows:
    """The map a filter makes of an image (for a target named by a filter preset)."""
    out = conv2d(_array(x), _array(w), stride=stride, padding=padding, dilation=dilation)
    return rows_of(out, "target")


def _check_backward_size(g: Geometry) -> None:
    """sympy derives every product of the backward lesson: refuse more, from the shapes."""
    if g.products > MAX_BACKWARD_PRODUCTS:
        raise TooLargeError(
            f"the backward lesson derives every gradient with sympy: {g.products:,} products "
            f"is more than {MAX_BACKWARD_PRODUCTS:,}; use a smaller image or filter"
        )


@dataclass(frozen=True, eq=False)
class BackwardProblem:
    """One filter learning one step: y = x ⋆ w (cross-correlation, zero padding), the loss
    L = ½ Σ (y − t)², the gradients, and w − η·∂L/∂w."""

    image: Rows
    weight: Rows
    target: Rows
    learning_rate: Fraction = DEFAULT_LEARNING_RATE
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    dilation: tuple[int, int] = (1, 1)
    target_name: str | None = None
    """The filter preset the target map was made with, when it was."""

    def __post_init__(self) -> None:
        g = plan_geometry(
            (len(self.image), len(self.image[0])),
            (len(self.weight), len(self.weight[0])),
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
        )
        object.__setattr__(self, "stride", g.stride)
        object.__setattr__(self, "padding", g.padding)
        object.__setattr__(self, "dilation", g.dilation)
        shape = (len(self.target), len(self.target[0]))
        if shape != g.output_shape:
            raise ProblemError(
                f"the target map must have the output's shape "
                f"{g.output_shape[0]}×{g.output_shape[1]}; got {shape[0]}×{shape[1]}"
            )
        _check_backward_size(g)
        if not 0 < self.learning_rate <= 10:
            raise ProblemError(
                f"--learning-rate must be above 0 and at most 10; got {self.learning_rate}"
            )

    @property
    def output_shape(self) -> tuple[int, int]:
        return len(self.target), len(self.target[0])

    def describe(self) -> str:
        h, w = len(self.image), len(self.image[0])
        kh, kw = len(self.weight), len(self.weight[0])
        return (
            f"a {h}×{w} image, a {kh}×{kw} filter, a {len(self.target)}×{len(self.target[0])} "
            f"target, learning rate {self.learning_rate}"
        )


@dataclass(frozen=True, eq=False)
class TransposedProblem:
    """A transposed convolution (torch's ``conv_transpose2d``, one channel, no bias)."""

    input: Rows
    kernel: Rows
    stride: tuple[int, int] = (DEFAULT_TRANSPOSED_STRIDE,) * 2
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    output_padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)

    def __post_init__(self) -> None:
        h, w = len(self.input), len(self.input[0])
        if h * w > MAX_TRANSPOSED_INPUT:
            raise TooLargeError(
                f"the transposed lesson shows every stamp: at most {MAX_TRANSPOSED_INPUT} "
                f"input pixels; got {h}×{w}"
            )
        # The engine checks every option (output_padding against the stride or dilation).
        out = conv_transpose2d(
            np.zeros((h, w), np.int64),
            np.zeros((len(self.kernel), len(self.kernel[0])), np.int64),
            stride=self.stride,
            padding=self.padding,
            output_padding=self.output_padding,
            dilation=self.dilation,
        )
        if out.size > MAX_TRANSPOSED_PIXELS:
            raise TooLargeError(
                f"the transposed lesson's output would have {out.size:,} pixels; at most "
                f"{MAX_TRANSPOSED_PIXELS:,}: use a smaller input, kernel or stride"
            )
        pairs = {"stride": self.stride, "output_padding": self.output_padding}
        pairs["dilation"] = self.dilation
        for name, value in pairs.items():
            if isinstance(value, int):
                value = (value, value)
            object.__setattr__(self, name, tuple(int(v) for v in value))
        pad = self.padding
        if isinstance(pad, int):
            pad = (pad,) * 4
        elif len(pad) == 2:
            pad = (pad[0], pad[0], pad[1], pad[1])
        object.__setattr__(self, "padding", tuple(int(v) for v in pad))

    def describe(self) -> str:
        h, w = len(self.input), len(self.input[0])
        kh, kw = len(self.kernel), len(self.kernel[0])
        return f"a {h}×{w} input, a {kh}×{kw} kernel, stride {self.stride[0]}"


def default_backward() -> BackwardProblem:
    """The lesson's own example: the lecture's X, the diagonal filter, and as target the
    map the X's-centre filter makes; learning rate 1/200."""
    x = rows_of(lecture_image(), "image")
    target = _correlate(x, rows_of(preset(DEFAULT_TARGET), "t"), 1, 0, 1)
    return BackwardProblem(
        x, rows_of(preset("diagonal"), "filter"), target, target_name=DEFAULT_TARGET
    )


def default_transposed() -> TransposedProblem:
    return TransposedProblem(_inline(DEFAULT_INPUT, "--input"), rows_of(preset("diagonal"), "k"))


# ----- options ------------------------------------------------------------------------


def add_backward_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group(
        "the backward and transposed lessons (--lesson backward: --image, --kernel, --stride, "
        "--padding and --dilation apply to its convolution; --lesson transposed: --kernel, "
        "--stride (default 2), --padding and --dilation)"
    )
    g.add_argument(
        "--target",
        default=Unset(DEFAULT_TARGET),
        metavar="FILTER|FILE",
        help="--lesson backward: the target map, as a filter preset (the map it makes of the "
        f"image) or a file holding the map (default: {DEFAULT_TARGET})",
    )
    g.add_argument(
        "--learning-rate",
        default=Unset(DEFAULT_LEARNING_RATE),
        metavar="ETA",
        help="--lesson backward: the step size η of gradient descent, a number such as "
        "1/200 or 0.005 (default: 1/200)",
    )
    g.add_argument(
        "--input",
        default=Unset(DEFAULT_INPUT),
        metavar="ROWS|FILE",
        help="--lesson transposed: the small input, inline (rows split by ';', numbers by "
        f"','; --image, --kernel and --target take this form too) or a preset or file "
        f"(default: {DEFAULT_INPUT})",
    )
    g.add_argument(
        "--output-padding",
        default=Unset("0"),
        metavar="P|PR,PC",
        help="--lesson transposed: extra rows and columns at the bottom and right, smaller "
        "than the stride or the dilation (default: 0)",
    )


def add_backward_derive_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--at",
        default=None,
        metavar="R,C",
        help="--lesson backward: the weight (or with --of image, the image pixel) whose "
        "gradient is derived; --lesson transposed: the output pixel (default: the one the "
        "lesson speaks of)",
    )
    parser.add_argument(
        "--of",
        default="weight",
        choices=("weight", "image"),
        help="--lesson backward: derive ∂L/∂w (default) or ∂L/∂x",
    )


def _inline(text: str, flag: str) -> Rows:
    # The parser's messages name the flag and the row ("--input, row 2: ..."), once.
    arr = inputs.parse_text("\n".join(text.split(";")), flag, unit="row")
    return rows_of(arr, flag.lstrip("-"))


# A cell of a matrix written inline (digits, a sign, '.', '/', an exponent); cells are split
# by ',' and spaces, rows by ';'. A value of such cells is a matrix, anything else a preset
# or a file ("1.5,2" is two numbers, not a file name).
_INLINE_CELL = re.compile(r"[+\-\u2212]?[0-9.][0-9./eE+\-\u2212]*")


def _grid(spec: Any, flag: str, kind: str, png_range) -> Rows:
    if not isinstance(spec, str) or not spec.strip():
        raise ProblemError(f"{flag} needs a value")
    cells = [c for c in re.split(r"[\s,]+", spec) if c]
    numbers = all(_INLINE_CELL.fullmatch(c) for c in cells) and not os.path.lexists(spec)
    if ";" in spec or numbers:
        return _inline(spec, flag)
    return rows_of(inputs.load(spec, kind, png_range), flag.lstrip("-"))


def _refuse_foreign(args: argparse.Namespace, lesson: str) -> None:
    _refuse_others(args, lesson)
    if getattr(args, "normalize", None) not in (None, "none"):
        raise ProblemError(f"--normalize belongs to the convolution lesson, not the {lesson} one")
    if getattr(args, "flip", False):
        raise ProblemError(
            f"the {lesson} lesson uses the deep-learning convolution (no flip); drop --flip"
        )
    if getattr(args, "padding_mode", "zeros") != "zeros":
        raise ProblemError(f"the {lesson} lesson pads with zeros only; drop --padding-mode")


def learning_rate(text: Any) -> Fraction:
    if not isinstance(text, str) or not text.strip():
        raise ProblemError("--learning-rate needs a value")
    try:
        value = Fraction(inputs.parse_number(text.strip()))
    except ExplainerError as err:
        raise ProblemError(f"--learning-rate: {err}") from None
    if not 0 < value <= 10:
        raise ProblemError(f"--learning-rate must be above 0 and at most 10; got {printable(text)}")
    return value


def backward_from_args(args: argparse.Namespace) -> BackwardProblem:
    """The backward lesson's problem that the options describe."""
    _refuse_foreign(args, "backward")
    png_range = _range(getattr(args, "png_range", "-1,1"))
    image = _grid(args.image, "--image", "image", png_range)
    weight = _grid(args.kernel, "--kernel", "kernel", png_range)
    stride = _int_or_pair(str(args.stride), "--stride")
    padding = _padding(args.padding)
    dilation = _int_or_pair(args.dilation, "--dilation")
    g = plan_geometry(
        (len(image), len(image[0])),
        (len(weight), len(weight[0])),
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
    _check_backward_size(g)  # before a target map of that size is computed
    spec = getattr(args, "target", DEFAULT_TARGET)
    name = None
    if isinstance(spec, str) and inputs.names_preset(spec) and preset(spec).ndim == 2:
        t = rows_of(preset(spec), "--target")
        if (len(t), len(t[0])) != (len(weight), len(weight[0])):
            raise ProblemError(
                f"--target {spec}: a target filter must have the filter's shape "
                f"{len(weight)}×{len(weight[0])}"
            )
        target = _correlate(image, t, g.stride, g.padding, g.dilation)
        name = spec.strip().lower()
    else:
        target = _grid(spec, "--target", "image", png_range)
    return BackwardProblem(
        image,
        weight,
        target,
        learning_rate(getattr(args, "learning_rate", str(DEFAULT_LEARNING_RATE))),
        g.stride,
        g.padding,
        g.dilation,
        name,
    )


def transposed_from_args(args: argparse.Namespace) -> TransposedProblem:
    """The transposed lesson's problem that the options describe."""
    _refuse_foreign(args, "transposed")
    png_range = _range(getattr(args, "png_range", "-1,1"))
    x = _grid(getattr(args, "input", DEFAULT_INPUT), "--input", "image", png_range)
    k = _grid(args.kernel, "--kernel", "kernel", png_range)
    stride = (
        DEFAULT_TRANSPOSED_STRIDE
        if isinstance(args.stride, Unset)
        else _int_or_pair(str(args.stride), "--stride")
    )
    padding = args.padding.strip().lower() if isinstance(args.padding, str) else args.padding
    if padding == "valid":
        padding = 0
    elif isinstance(padding, str):
        values = ints(padding, "--padding", (1, 2, 4))
        padding = values[0] if len(values) == 1 else values
    extra = _int_or_pair(getattr(args, "output_padding", "0"), "--output-padding")
    dilation = _int_or_pair(args.dilation, "--dilation")
    return TransposedProblem(x, k, stride, padding, extra, dilation)


PROBLEM_FROM_ARGS = {"backward": backward_from_args, "transposed": transposed_from_args}
"""Lesson name → its problem from the parsed options (for a table of lessons)."""


def at(text: Any) -> tuple[int, int] | None:
    """``--at R,C`` as two whole numbers ≥ 0 (None when not given)."""
    if text is None:
        return None
    r, c = ints(str(text), "--at", (2,))
    if r < 0 or c < 0:
        raise ProblemError(f"--at {printable(str(text))!r}: write R,C with whole numbers ≥ 0")
    return r, c
