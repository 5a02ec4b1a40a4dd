"""Turning option strings into the layer lesson's problem, a :class:`LayerStack`.

``--lesson layer`` reads the image as channels (a grayscale image is one, a colour PNG's
planes three, a (C, H, W) .npy C), passes it through a first layer (``--filters``,
``--bias``, ``--activation``, ``--pool`` …; ``--stride``, ``--padding``,
``--padding-mode``, ``--dilation`` and ``--flip`` apply to its convolution) and, by
default, a second layer whose filter has one channel per feature map (``--filters2``,
``--bias2``). Strings are parsed, never evaluated.
"""

from __future__ import annotations

import argparse
import re
from fractions import Fraction
from typing import Any

import numpy as np

from explainer.backward_request import (
    PROBLEM_FROM_ARGS,
    Unset,
    add_backward_options,
    mark_defaults,
    refuse_gradient_options,
)
from explainer.core.layer import Layer
from explainer.core.limits import MAX_DERIVED_PRODUCTS, MAX_PADDED_ELEMENTS, MAX_TRACE_PRODUCTS
from explainer.core.pooling import Pool
from explainer.core.presets import LAYER_FILTERS, layer_second_filter
from explainer.core.stack import LayerStack
from explainer.errors import ExplainerError, ProblemError, TooLargeError
from explainer.files import inputs
from explainer.files.safe_io import printable
from explainer.request import (
    _int_or_pair,
    _OptionParser,
    _padding,
    _range,
    add_problem_options,
    attach_signed_values,
)

LESSONS = ("convolution", "layer", "backward", "transposed")
DEFAULT_BIAS = "-1"
DEFAULT_BIAS2 = "-16"


def add_lesson_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lesson",
        default="convolution",
        choices=LESSONS,
        help="convolution (default: one filter over one image), layer (channels, a bank "
        "of filters, bias, ReLU and pooling, then a second layer), backward (how a filter "
        "learns: the error map, the gradients, one step) or transposed (the transposed "
        "convolution on its own)",
    )


def add_layer_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group(
        "the layer lesson (--lesson layer; --image, --png-range, --stride, --padding, "
        "--padding-mode, --dilation and --flip apply to its first layer)"
    )
    g.add_argument(
        "--filters",
        default=Unset(",".join(LAYER_FILTERS)),
        metavar="NAMES|FILE",
        help="the first layer's filters: preset names or files, comma-separated (a 2D "
        "kernel is used on every input channel), or one .npy of shape (C_out, C_in, kH, kW) "
        f"(default: {','.join(LAYER_FILTERS)})",
    )
    g.add_argument(
        "--bias",
        default=Unset(DEFAULT_BIAS),
        metavar="B|B1,B2,…|none",
        help=f"one number for every filter, one per filter, or none (default: {DEFAULT_BIAS})",
    )
    g.add_argument(
        "--activation",
        default=Unset("relu"),
        choices=("relu", "none"),
        help="after each layer's convolution (default: relu)",
    )
    g.add_argument(
        "--pool",
        default=Unset("max"),
        choices=("max", "avg", "none"),
        help="pooling after the first layer's activation (default: max)",
    )
    g.add_argument("--pool-size", default=Unset("2"), metavar="K|KR,KC", help="window (default: 2)")
    g.add_argument(
        "--pool-stride", default=None, metavar="S|SR,SC", help="jump (default: the window)"
    )
    g.add_argument(
        "--ceil-mode",
        action="store_true",
        default=None,  # not given (read as False): told apart from a given --ceil-mode
        help="keep the last, partial pooling window (torch's ceil_mode; default: floor)",
    )
    g.add_argument(
        "--filters2",
        default=Unset("auto"),
        metavar="auto|none|NAMES|FILE",
        help="the second layer's filters, read like --filters; auto (default): one 2×2 "
        "filter per feature map when the first layer has 3 filters whose (pooled) maps are "
        "at least 2×2, else no second layer",
    )
    g.add_argument(
        "--bias2",
        default=Unset(DEFAULT_BIAS2),
        metavar="B|B1,…|none",
        help=f"the second layer's bias (default: {DEFAULT_BIAS2})",
    )


LAYER_OPTIONS = (
    "filters",
    "bias",
    "activation",
    "pool",
    "pool_size",
    "pool_stride",
    "ceil_mode",
    "filters2",
    "bias2",
    "layer",
    "element",
)
"""Options only the layer lesson reads (``--layer`` and ``--element`` are derive's)."""


def refuse_layer_options(args: argparse.Namespace) -> None:
    """Refuse a layer-lesson option given to another lesson, which would silently ignore
    it. Defaults are :class:`Unset` (or None), so only options given on the command
    line are refused."""
    lesson = getattr(args, "lesson", None)
    if lesson in (None, "layer"):
        return
    for name in LAYER_OPTIONS:
        value = getattr(args, name, None)
        if value is None or isinstance(value, Unset):
            continue
        flag = "--" + name.replace("_", "-")
        if lesson == "convolution":
            raise ProblemError(f"{flag} belongs to the layer lesson; add --lesson layer")
        raise ProblemError(
            f"{flag} belongs to the layer lesson; the {lesson} lesson does not read it"
        )


def _bank(spec: str, channels: int, png_range: tuple[Fraction, Fraction], flag: str) -> Any:
    """Filters from presets or files: (C_out, C_in, kH, kW), C_in = ``channels``."""
    if not isinstance(spec, str) or not spec.strip():
        raise ProblemError(f"{flag} needs a value")
    filters = []
    for item in spec.split(","):
        arr = inputs.load(item.strip(), "kernel", png_range)
        if arr.ndim == 2:
            arr = np.repeat(arr[None, None], channels, axis=1)
        elif arr.ndim == 3:
            arr = arr[None]
        if arr.ndim != 4 or 0 in arr.shape:
            raise ProblemError(
                f"{flag}: {printable(item.strip())} has {arr.ndim} dimensions; a filter is "
                "2D (used on every channel), 3D (C_in, kH, kW) or a 4D bank"
            )
        filters.append(arr)
    shapes = {f.shape[1:] for f in filters}
    if len(shapes) > 1:
        shown = ", ".join("×".join(map(str, s)) for s in sorted(shapes))
        raise ProblemError(f"{flag}: the filters must all have one shape; got {shown}")
    if any(f.dtype == object for f in filters) or len({f.dtype for f in filters}) > 1:
        flat = [v for f in filters for v in f.ravel().tolist()]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(sum(f.shape[0] for f in filters), *filters[0].shape[1:])
    return np.concatenate(filters)


def _bias(text: str, count: int, flag: str) -> list | None:
    if not isinstance(text, str) or not text.strip():
        raise ProblemError(f"{flag} needs a value")
    if text.strip().lower() == "none":
        return None
    try:
        values = [inputs.parse_number(c) for c in text.split(",")]
    except ExplainerError as err:
        raise ProblemError(f"{flag}: {err}") from None
    if len(values) == 1:
        values = values * count
    if len(values) != count:
        raise ProblemError(
            f"{flag} needs one number or one per filter ({count}); got {len(values)}"
        )
    return values


def _check_work(shape: tuple[int, ...], weight: tuple[int, ...], derive: bool) -> None:
    """Refuse, from the shapes alone, a layer too large to trace (or to derive)."""
    c, h, w = shape
    kh, kw = weight[2:]
    products = weight[0] * max(h - kh + 1, 1) * max(w - kw + 1, 1) * c * kh * kw
    limit = MAX_DERIVED_PRODUCTS if derive else MAX_TRACE_PRODUCTS
    if c * h * w > MAX_PADDED_ELEMENTS or products > limit:
        what = "deriving" if derive else "tracing"
        raise TooLargeError(
            f"{what} every step of the layer would mean about {products:,} products; at most "
            f"{limit:,}: use a smaller image or fewer filters"
        )


def stack_from_args(args: argparse.Namespace, *, derive: bool = False) -> LayerStack:
    """The layer lesson's problem that the options describe (limits checked first)."""
    if getattr(args, "normalize", None) not in (None, "none"):
        raise ProblemError("--normalize belongs to the convolution lesson; a layer adds a bias")
    png_range = _range(args.png_range)
    image = inputs.load(args.image, "image", png_range, colour=True)
    if image.ndim == 2:
        image = image[None]
    if image.ndim != 3 or 0 in image.shape:
        raise ProblemError(
            f"the layer lesson's input has shape (channels, rows, columns); got "
            f"{image.ndim} dimensions"
        )
    weight = _bank(args.filters, image.shape[0], png_range, "--filters")
    _check_work(image.shape, weight.shape, derive)
    pool = None
    if args.pool == "none":  # an option of pooling given without pooling: never ignored
        for flag, value, does in (
            ("--pool-size", args.pool_size, "sizes"),
            ("--pool-stride", args.pool_stride, "spaces"),
            ("--ceil-mode", args.ceil_mode, "rounds"),
        ):
            if value and not isinstance(value, Unset):
                raise ProblemError(
                    f"{flag} {does} the pooling windows, and --pool none has no pooling: drop one"
                )
    if args.pool != "none":
        stride = (
            None if args.pool_stride is None else _int_or_pair(args.pool_stride, "--pool-stride")
        )
        pool = Pool(
            _int_or_pair(args.pool_size, "--pool-size"),
            stride,
            mode=args.pool,
            ceil_mode=bool(args.ceil_mode),
        )
    activation = None if args.activation == "none" else args.activation
    first = dict(
        weight=weight,
        bias=_bias(args.bias, weight.shape[0], "--bias"),
        stride=_int_or_pair(args.stride, "--stride"),
        padding=_padding(args.padding),
        padding_mode=args.padding_mode,
        dilation=_int_or_pair(args.dilation, "--dilation"),
        flip=args.flip,
        activation=activation,
        pool=pool,
    )
    specs = [first]
    second = args.filters2.strip().lower() if isinstance(args.filters2, str) else args.filters2
    if second == "auto":  # a 2×2 filter per map: only for three maps of at least 2×2
        fits = weight.shape[0] == 3 and min(Layer(image, **first).final_shape[1:]) >= 2
        second = "auto" if fits else None
    if second not in (None, "none"):
        w2 = layer_second_filter() if second == "auto" else None
        if w2 is None:
            w2 = _bank(args.filters2, weight.shape[0], png_range, "--filters2")
        specs.append(
            dict(weight=w2, bias=_bias(args.bias2, w2.shape[0], "--bias2"), activation=activation)
        )
    return LayerStack(image, specs)


def element(text: str | None) -> tuple[int, int, int] | None:
    """``--element C,I,J`` as three whole numbers ≥ 0 (None when not given).

    >>> element("0,1,2")
    (0, 1, 2)
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise ProblemError("--element needs a value")
    cells = [c.strip() for c in text.split(",")]
    if len(cells) != 3 or not all(re.fullmatch(r"[0-9]{1,9}", c) for c in cells):
        raise ProblemError(
            f"--element {printable(text)!r} is not valid; write C,I,J with whole numbers ≥ 0"
        )
    return int(cells[0]), int(cells[1]), int(cells[2])


def lesson_problem_from_options(name: str, argv: list[str], *, derive: bool = False) -> Any:
    """The problem of the lesson ``name`` (not the convolution) that options written as a
    list describe (a course's ``[lessons.problem]``), read as the command reads them: the
    same options, defaults and checks, and an option of another lesson refused.

    >>> lesson_problem_from_options("transposed", ["--input=1,2;3,4"]).stride
    (2, 2)
    """
    readers = {"layer": lambda args: stack_from_args(args, derive=derive), **PROBLEM_FROM_ARGS}
    if name not in readers:
        raise ProblemError(f"the {name} lesson reads no problem from options")
    parser = _OptionParser(prog="explainer", add_help=False)
    add_problem_options(parser)
    add_layer_options(parser)
    add_backward_options(parser)
    mark_defaults(parser)
    args = parser.parse_args(attach_signed_values(argv))
    args.lesson = name
    refuse_layer_options(args)
    refuse_gradient_options(args)
    return readers[name](args)
