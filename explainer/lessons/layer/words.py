"""Small word helpers of the layer lesson: numbers, shapes, lists, and a beat from a caption.

>>> shape((3, 7, 7)), plural(1, "channel"), join(["a", "b", "c"])
('3×7×7', 'one channel', 'a, b and c')
>>> counted(1, "row"), counted(9, "row"), span(0, 1, "row"), span(2, 2, "column")
('1 row', '9 rows', 'rows 0–1', 'column 2')
>>> article(8), article(11), article(2), article(1)
('an', 'an', 'a', 'a')
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from explainer.core.pooling import Pool
from explainer.core.presets import LAYER_FILTERS, layer_second_filter, lecture_image, preset
from explainer.core.stack import LayerStack
from explainer.core.trace import Number
from explainer.lessons.claims import Claim
from explainer.lessons.script import Beat
from explainer.present.speech import count, integer_words, number, read_aloud

_SPOKEN = {
    " / ": " divided by ",  # a formula's division (a fraction, 1/9, is one numeral)
    " + ": " plus ",
    " × ": " times ",  # a product (a shape, 3×7×7, is said "by")
    "⌊": "the floor of ",
    "⌋": ",",
    "⌈": "the ceiling of ",
    "⌉": ",",
    "–": " to ",
    "·": " times ",
    "[": "",
    "]": "",
    ";": ",",
}


def default_stack() -> LayerStack:
    """The lesson's own example: the lecture's X through the diagonal, the other diagonal
    and the X's centre (bias −1, ReLU, 2×2 max pooling), then one filter of three
    channels (bias −16, ReLU)."""
    bank = np.stack([preset(name) for name in LAYER_FILTERS])[:, None]
    return LayerStack(
        lecture_image()[None],
        [
            dict(weight=bank, bias=[-1, -1, -1], activation="relu", pool=Pool(2)),
            dict(weight=layer_second_filter(), bias=[-16], activation="relu"),
        ],
    )


def num(v: Number) -> str:
    return number(v).written


def shape(dims: Sequence[int]) -> str:
    return "×".join(str(int(v)) for v in dims)


def plural(n: int, noun: str) -> str:
    return count(n, noun, noun + ("es" if noun.endswith("s") else "s")).written


def counted(n: int, one: str, many: str | None = None) -> str:
    """A count in digits with its noun agreeing: '1 row', '9 rows', '1,536 multiply-adds'."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def article(n: int) -> str:
    """'a' or 'an' before the numeral ``n`` as it is said: 'an 8×8 window', 'a 2×2 one'."""
    return "an" if integer_words(n).startswith("e") else "a"


def span(first: int, last: int, one: str) -> str:
    """'row 2' or 'rows 0–1' (inclusive)."""
    return f"{one} {first}" if first == last else f"{one}s {first}–{last}"


def ordinal(n: int) -> str:
    return count(n, "", "").written.strip()


def join(parts: Sequence[str]) -> str:
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def cells(pos: Sequence[int]) -> str:
    return "(" + ", ".join(str(v) for v in pos) + ")"


def places(positions: Sequence[tuple[int, int]]) -> str:
    if len(positions) <= 4:
        return "at " + join([cells(p) for p in positions])
    return f"in {len(positions)} places"


def grid(values: Sequence[Sequence[Number]]) -> str:
    """Rows of a small map: '[12, −4; −4, 12]'."""
    return "[" + "; ".join(", ".join(num(v) for v in row) for row in values) + "]"


def beat(key: str, caption: str, *claims: Claim) -> Beat:
    """A beat whose speech is its caption read aloud."""
    spoken = caption
    for symbol, said in _SPOKEN.items():
        spoken = spoken.replace(symbol, said)
    return Beat(key, caption, read_aloud(spoken), claims=tuple(claims))
