"""One colour language for every output: the same value has the same colour everywhere.

Image, filter, products and result share one diverging map, blue for negative, white for
zero, orange for positive (a pair that stays distinct for colour-blind viewers, unlike red
and green), scaled by the largest magnitude anywhere in the lesson. A square-root ramp keeps
small values visibly tinted when the scale is set by a large one; every output that colours
numbers shows a legend of this map. The script names the colours with :data:`POSITIVE_NAME`
and :data:`NEGATIVE_NAME`, so words and pictures cannot disagree.

>>> scale = ColourScale(1)
>>> scale.hex(1), scale.hex(0), scale.hex(-1)
('#e08214', '#f7f7f7', '#2166ac')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

FLOOR = 0.35  # the least saturation of any value that is not zero

POSITIVE_NAME = "orange"
NEGATIVE_NAME = "blue"
ZERO_NAME = "white"

POSITIVE = (0xE0, 0x82, 0x14)
ZERO = (0xF7, 0xF7, 0xF7)
NEGATIVE = (0x21, 0x66, 0xAC)

# Fixed colours of the interface, shared by the video and the page.
BACKGROUND = "#1d2330"
INK = "#e8e8e8"
MUTED = "#9aa5b8"
ACCENT = "#ffc857"  # the filter and whatever it lies over
HIGHLIGHT = "#b8f2e6"  # a window being discussed, and its output cell
HALO = "#0b0e14"  # the dark edge under every outline, so it shows on white cells too
PADDING_EDGE = "#8a5cf0"  # the dashed border and hatch of padding cells


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


@dataclass(frozen=True)
class ColourScale:
    """Value → colour, symmetric around zero, saturated at ``±magnitude``."""

    magnitude: float

    def __init__(self, magnitude: int | float | Fraction) -> None:
        m = abs(float(magnitude))
        object.__setattr__(self, "magnitude", m if m > 0 else 1.0)

    def position(self, value: int | float | Fraction) -> float:
        """Where ``value`` sits on the map, from −1 (full blue) to +1 (full orange).

        Any value other than zero is at least :data:`FLOOR` of the way to full colour, so
        that its sign shows even beside values forty times larger (a ±1 image next to a
        result of −45); beyond that the square root keeps larger values deeper.
        """
        t = max(-1.0, min(1.0, float(value) / self.magnitude))
        if t == 0:
            return 0.0
        return math.copysign(FLOOR + (1 - FLOOR) * math.sqrt(abs(t)), t)

    def rgb(self, value: int | float | Fraction) -> tuple[int, int, int]:
        t = self.position(value)
        return _mix(ZERO, POSITIVE if t >= 0 else NEGATIVE, abs(t))

    def hex(self, value: int | float | Fraction) -> str:
        return _hex(self.rgb(value))

    def ink(self, value: int | float | Fraction) -> str:
        """Text colour on the cell of ``value``: black or white, whichever contrasts more.

        Either one reaches at least 4.58:1 on any colour (WCAG's 4.5:1 for text), which is
        why the dark ink is pure black: white on full orange is only 2.85:1.

        >>> ColourScale(1).ink(1), ColourScale(1).ink(-1), ColourScale(1).ink(0)
        ('#000000', '#ffffff', '#000000')
        """
        lum = luminance(self.rgb(value))
        return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG's relative luminance of an sRGB colour, from 0 (black) to 1 (white)."""

    def linear(c: int) -> float:
        x = c / 255
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG's contrast ratio of two colours, from 1 to 21.

    >>> round(contrast((255, 255, 255), POSITIVE), 2)
    2.85
    """
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def colour_name(value: int | float | Fraction) -> str:
    """The word the script uses for the colour of ``value`` (its sign decides the hue)."""
    if value > 0:
        return POSITIVE_NAME
    if value < 0:
        return NEGATIVE_NAME
    return ZERO_NAME


def lesson_scale(trace) -> ColourScale:
    """The one scale of a lesson: the largest magnitude of any image value (border
    included), weight, product or result value in ``trace``."""
    values = [v for row in trace.padded_image for v in row]
    values += [v for row in trace.applied_kernel for v in row]
    for step in trace.steps:
        values += step.products
        values.append(step.value)
    return ColourScale(max(abs(v) for v in values))
