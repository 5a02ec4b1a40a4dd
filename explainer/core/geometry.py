"""Where a kernel slides over an image, from the shapes alone; the one padding-mode table.

:func:`plan_geometry` validates the options of a convolution (stride, padding, padding
mode, dilation) against the two shapes before any number is read, so that a request too
large or impossible is refused at once; :class:`Geometry` holds the result, with the
output-size formula. :data:`PADDING` is the one table of padding modes: each name with
the rule :func:`numpy.pad` follows and what it means.

>>> plan_geometry((9, 9), (3, 3), padding="same", padding_mode="reflect").padding
(1, 1, 1, 1)
>>> PADDING["replicate"].numpy
'edge'
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from explainer.core import limits
from explainer.errors import ProblemError

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]


@dataclass(frozen=True)
class PaddingRule:
    """One padding mode: the rule numpy's ``pad`` follows for it, and what it means."""

    numpy: str
    meaning: str


PADDING: dict[str, PaddingRule] = {
    "zeros": PaddingRule("constant", "zeros around the image"),
    "reflect": PaddingRule("reflect", "the image mirrored about its edge pixels"),
    "replicate": PaddingRule("edge", "the edge pixels repeated"),
    "circular": PaddingRule("wrap", "the image wrapped around from the opposite side"),
}
"""The padding modes (PyTorch's names), each with its :func:`numpy.pad` mode."""
PADDING_MODES: tuple[str, ...] = tuple(PADDING)
PADDING_WORDS: tuple[str, ...] = ("valid", "same", "full")


def _pair(value: Any, name: str) -> tuple[int, int]:
    """Read an int or a pair of ints, each at least 1 (stride, dilation)."""
    items = _int_items(value, name)
    if len(items) == 1:
        items = items * 2
    if len(items) != 2:
        raise ProblemError(f"{name} must be one integer or a pair (rows, columns); got {value!r}")
    if min(items) < 1:
        raise ProblemError(f"{name} must be at least 1 on each axis; got {value!r}")
    return items[0], items[1]


def _int_items(value: Any, name: str) -> tuple[int, ...]:
    if type(value) is int:  # the common case, without the slower abstract-class checks
        return (value,)
    if isinstance(value, bool):
        raise ProblemError(f"{name} must be an integer, not a boolean")
    if isinstance(value, numbers.Integral):
        return (int(value),)
    if isinstance(value, (tuple, list)) and value:
        out = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise ProblemError(f"{name} must hold whole numbers; got {value!r}")
            out.append(int(v))
        return tuple(out)
    raise ProblemError(f"{name} must be an integer or a tuple of integers; got {value!r}")


@dataclass(frozen=True)
class Geometry:
    """Where a kernel slides over an image, from the shapes alone.

    Checked before any number is read or converted, so that a request too large for the
    work it asks for is refused at once (see :func:`plan_geometry`).
    """

    image_shape: tuple[int, int]
    kernel_shape: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int, int, int]
    padding_mode: str
    dilation: tuple[int, int]

    @property
    def effective_kernel_shape(self) -> tuple[int, int]:
        """The span the kernel covers on the image once dilated: d·(k−1)+1 per axis."""
        (kh, kw), (dh, dw) = self.kernel_shape, self.dilation
        return dh * (kh - 1) + 1, dw * (kw - 1) + 1

    @property
    def padded_shape(self) -> tuple[int, int]:
        (h, w), (top, bottom, left, right) = self.image_shape, self.padding
        return h + top + bottom, w + left + right

    @property
    def output_shape(self) -> tuple[int, int]:
        """⌊(n + p_before + p_after − d·(k − 1) − 1) / s⌋ + 1 on each axis."""
        (ph, pw), (eh, ew), (sh, sw) = self.padded_shape, self.effective_kernel_shape, self.stride
        return (ph - eh) // sh + 1, (pw - ew) // sw + 1

    @property
    def products(self) -> int:
        """How many products the whole convolution computes: output pixels × kernel taps."""
        (oh, ow), (kh, kw) = self.output_shape, self.kernel_shape
        return oh * ow * kh * kw


def plan_geometry(
    image_shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    *,
    stride: Any = 1,
    padding: Any = 0,
    padding_mode: Any = "zeros",
    dilation: Any = 1,
) -> Geometry:
    """Validate the options of a convolution against the two shapes alone.

    Raises the same errors as :class:`Problem` for the options and sizes; the shapes must
    be two-dimensional and non-empty (as :class:`Problem` checks for the arrays).

    >>> plan_geometry((9, 9), (3, 3), padding="same").output_shape
    (9, 9)
    """
    (h, w), (kh, kw) = image_shape, kernel_shape
    limits.refuse("kernel", kh * kw)
    strides = _pair(stride, "stride")
    dilations = _pair(dilation, "dilation")
    # A step past every supported image is refused before it reaches int64 index arithmetic.
    limits.refuse("step", max(strides), name="stride")
    limits.refuse("step", max(dilations), name="dilation")
    if not isinstance(padding_mode, str) or padding_mode not in PADDING_MODES:
        raise ProblemError(
            f"unknown padding mode {padding_mode!r}; choose one of " + ", ".join(PADDING_MODES)
        )
    sides = resolve_padding(padding, (h, w), (kh, kw), strides, dilations)
    geometry = Geometry((h, w), (kh, kw), strides, sides, padding_mode, dilations)
    _check_fits(geometry)
    return geometry


def quick_geometry(
    image_shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    *,
    stride: Any = 1,
    padding: Any = 0,
    padding_mode: Any = "zeros",
    dilation: Any = 1,
) -> Geometry:
    """:func:`plan_geometry`, remembered for options given as plain ints, strings and
    tuples of ints (a Geometry never changes): a layer or a course computes many
    convolutions of the same shapes. Options of any other type (a bool, a float, a list)
    are checked afresh, so that each is refused or read exactly as plan_geometry does.
    Refusals are never remembered, and the limits checked are part of what is.
    """
    options = (stride, padding, padding_mode, dilation)
    if all(map(_plain, options)):
        most = tuple(limits.LIMITS[kind].most for kind in ("kernel", "padded-image", "step"))
        return _remembered_geometry(tuple(image_shape), tuple(kernel_shape), *options, most)
    return plan_geometry(
        image_shape,
        kernel_shape,
        stride=stride,
        padding=padding,
        padding_mode=padding_mode,
        dilation=dilation,
    )


def _plain(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is str or (kind is tuple and all(type(v) is int for v in value))


@lru_cache(maxsize=256)
def _remembered_geometry(
    image_shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    stride: Any,
    padding: Any,
    padding_mode: Any,
    dilation: Any,
    most: tuple[int, ...],  # the limits, as a key: not read here  # noqa: ARG001
) -> Geometry:
    return plan_geometry(
        image_shape,
        kernel_shape,
        stride=stride,
        padding=padding,
        padding_mode=padding_mode,
        dilation=dilation,
    )


def _check_fits(g: Geometry) -> None:
    (h, w), (top, bottom, left, right) = g.image_shape, g.padding
    ph, pw = g.padded_shape
    limits.refuse("padded-image", ph * pw, rows=ph, cols=pw)
    if g.padding_mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
        raise ProblemError(
            f"reflect padding must be smaller than the image ({h}×{w}); got {g.padding}"
        )
    if g.padding_mode == "circular" and (max(top, bottom) > h or max(left, right) > w):
        raise ProblemError(
            f"circular padding can be at most the image size ({h}×{w}); got {g.padding}"
        )
    eh, ew = g.effective_kernel_shape
    what = "padded image" if any(g.padding) else "image"
    for axis, (need, have, word) in enumerate(((eh, ph, "taller"), (ew, pw, "wider"))):
        if need > have:
            kh, kw = g.kernel_shape
            dil = (
                f" with dilation {g.dilation[axis]}, spanning {need}"
                if g.dilation[axis] > 1
                else ""
            )
            raise ProblemError(
                f"the kernel ({kh}×{kw}){dil} is {word} than the {what} ({ph}×{pw}); "
                "use a smaller kernel, more padding, or padding 'full'"
            )


def resolve_padding(
    padding: Any,
    image_shape: tuple[int, int],
    kernel_shape: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> tuple[int, int, int, int]:
    """Turn a padding spec into explicit (top, bottom, left, right) sizes.

    >>> resolve_padding("same", (5, 5), (3, 3), (1, 1), (1, 1))
    (1, 1, 1, 1)
    >>> resolve_padding("same", (6, 6), (4, 4), (1, 1), (1, 1))  # odd total: extra at the end
    (1, 2, 1, 2)
    >>> resolve_padding("full", (5, 5), (3, 3), (1, 1), (2, 2))
    (4, 4, 4, 4)
    >>> resolve_padding((1, 2), (5, 5), (3, 3), (1, 1), (1, 1))
    (1, 1, 2, 2)
    """
    if isinstance(padding, str):
        word = padding.lower()
        if word == "valid":
            return (0, 0, 0, 0)
        if word == "full":
            ph = dilation[0] * (kernel_shape[0] - 1)
            pw = dilation[1] * (kernel_shape[1] - 1)
            return (ph, ph, pw, pw)
        if word == "same":
            sides: list[int] = []
            for n, k, s, d in zip(image_shape, kernel_shape, stride, dilation, strict=True):
                total = max((math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)
                sides += [total // 2, total - total // 2]
            return (sides[0], sides[1], sides[2], sides[3])
        raise ProblemError(
            f"unknown padding {padding!r}; use valid, same, full, a number, "
            "a pair (rows, columns) or four sides (top, bottom, left, right)"
        )
    items = _int_items(padding, "padding")
    if any(v < 0 for v in items):
        raise ProblemError(f"padding cannot be negative; got {padding!r}")
    if len(items) == 1:
        return (items[0],) * 4
    if len(items) == 2:
        return (items[0], items[0], items[1], items[1])
    if len(items) == 4:
        return (items[0], items[1], items[2], items[3])
    raise ProblemError(
        f"padding takes one number, a pair (rows, columns) or four sides "
        f"(top, bottom, left, right); got {len(items)} numbers"
    )
