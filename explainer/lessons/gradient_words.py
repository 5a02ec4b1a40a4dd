"""Word helpers the backward and transposed lessons share: numbers, grids, positions, and a
beat whose speech is its caption read aloud (their symbols: ∂L/∂w, ⋆, Mᵀ … in words).

A module beside the lesson folders, not a lesson: neither lesson imports the other.

>>> num(Fraction(-11, 50)), cells((0, 2)), grid(((1, -2), (0, 3)))
('−11/50', '(0, 2)', '[1, −2; 0, 3]')
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from explainer.lessons.board import Board, Mark
from explainer.lessons.claims import Claim
from explainer.lessons.script import Beat
from explainer.present.speech import count, number, read_aloud

Number = int | Fraction

_SPOKEN = {
    "output_padding": "output padding",
    "Mᵀ": "M transposed",
    "∂L/∂w": "the derivative of the loss with respect to w ",
    "∂L/∂x": "the derivative of the loss with respect to x ",
    "∂L/∂y": "the derivative of the loss with respect to y ",
    " × ": " times ",
    " + ": " plus ",
    "⋆": " correlated with ",
    "Σ": "the sum of ",
    "½": "one half ",
    "…": " and so on ",
    "←": " becomes ",
    "(y − t)²": "y minus t, squared",
    "[": " ",
    "]": "",
    ";": ",",
    "·": " times ",
}


def num(v: Number) -> str:
    return number(v).written


def exact(v: Number) -> str:
    """A value exactly: as a terminating decimal when it is one (1/200 → 0.005, 382481/5000
    → 76.4962), else as :func:`num` shows it."""
    q = Fraction(v)
    d = q.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d != 1 or q.denominator == 1 or q.denominator > 10**6:
        return num(v)
    places = 0
    while (q * 10**places).denominator != 1:
        places += 1
    scaled = abs(q.numerator) * 10**places // q.denominator
    text = f"{scaled // 10**places}.{scaled % 10**places:0{places}d}"
    return ("−" if q < 0 else "") + text


def grid(values: Sequence[Sequence[Number]]) -> str:
    """Rows of a small grid: '[12, −4; −4, 12]'."""
    return "[" + "; ".join(", ".join(num(v) for v in row) for row in values) + "]"


def cells(pos: Sequence[int]) -> str:
    return "(" + ", ".join(str(v) for v in pos) + ")"


def plural(n: int, noun: str) -> str:
    return count(n, noun, noun + "s").written


def shape(rows: Sequence) -> str:
    return f"{len(rows)}×{len(rows[0])}"


def paren(v: Number) -> str:
    """A factor in a product: negative values in parentheses."""
    text = num(v)
    return f"({text})" if text.startswith(("−", "≈")) else text


def beat(
    key: str,
    caption: str,
    claims: Sequence[Claim],
    board: Board | None = None,
    exercise: Board | None = None,
) -> Beat:
    """A beat whose speech is its caption read aloud (``exercise``: the board a worksheet
    sets its question on, when not ``board``)."""
    caption = caption.replace("= ≈ ", "≈ ")
    spoken = caption
    for symbol, said in _SPOKEN.items():
        spoken = spoken.replace(symbol, said)
    return Beat(
        key, caption, read_aloud(spoken), claims=tuple(claims), board=board, exercise=exercise
    )


def board(grids: Sequence[str], *marks: Mark, formula: Sequence[str] = ()) -> Board:
    return Board(tuple(grids), tuple(marks), tuple(f.replace("= ≈ ", "≈ ") for f in formula))
