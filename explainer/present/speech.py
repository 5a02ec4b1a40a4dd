"""Sentences in two forms: as written on screen, and as a voice should say them.

A script sentence is a template whose numbers, sizes and positions are :class:`Said`
parts, each knowing its written form (``7/9``, ``9×9``, ``(1, 1)``) and its spoken form
("seven ninths", "nine by nine", "row one, column one"). :func:`sentence` fills a template
with both, so the caption and the speech say the same thing, and the voice never has to
guess how to read ``−1/9``.

Numbers are written as :func:`explainer.present.numbers.display` shows them, in the same
:class:`~explainer.present.numbers.NumberStyle`: exact fractions while they stay readable, a
short decimal (with "about") past that; the derivation keeps the exact value.

>>> n = number(Fraction(-1, 9))
>>> n.written, n.spoken
('−1/9', 'minus one ninth')
>>> sentence("The value is {v} at {p}.", v=number(Fraction(7, 9)), p=position(1, 1))
('The value is 7/9 at (1, 1).', 'The value is seven ninths at row one, column one.')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from explainer.present.numbers import (
    MAX_SHOWN_DENOMINATOR,
    SCREEN,
    NumberStyle,
    display,
    exact,
    is_decimal,
    is_readable,
    short_decimal,
)

is_shown_exactly = is_readable
"""Whether :func:`number` can show a value exactly in some style (the lessons' name for
:func:`explainer.present.numbers.is_readable`)."""

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_ENDINGS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


@dataclass(frozen=True)
class Said:
    """One part of a sentence: how it is written and how it is spoken."""

    written: str
    spoken: str

    def __str__(self) -> str:
        return self.written


def integer_words(n: int) -> str:
    """>>> integer_words(-1234)
    'minus one thousand two hundred thirty-four'
    """
    if n < 0:
        return "minus " + integer_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {integer_words(rest)}" if rest else "")
    for scale, name in _SCALES:
        if n >= scale:
            high, rest = divmod(n, scale)
            return f"{integer_words(high)} {name}" + (f" {integer_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def ordinal_words(n: int) -> str:
    """>>> ordinal_words(9), ordinal_words(20), ordinal_words(32)
    ('ninth', 'twentieth', 'thirty-second')
    """
    words = integer_words(n)
    head, sep, last = words.rpartition(" ")
    stem, hyphen, unit = last.rpartition("-")
    if unit in _ORDINAL_ENDINGS:
        unit = _ORDINAL_ENDINGS[unit]
    elif unit.endswith("y"):
        unit = unit[:-1] + "ieth"
    else:
        unit += "th"
    return head + sep + stem + hyphen + unit


def fraction_words(q: Fraction) -> str:
    """>>> fraction_words(Fraction(7, 9)), fraction_words(Fraction(-1, 2))
    ('seven ninths', 'minus one half')
    """
    if q.denominator == 1:
        return integer_words(q.numerator)
    sign = "minus " if q < 0 else ""
    top, bottom = abs(q.numerator), q.denominator
    if bottom == 2:
        unit = "half" if top == 1 else "halves"
    elif bottom == 4:
        unit = "quarter" if top == 1 else "quarters"
    else:
        unit = ordinal_words(bottom) + ("" if top == 1 else "s")
    return f"{sign}{integer_words(top)} {unit}"


def decimal_words(text: str) -> str:
    """A decimal numeral read digit by digit after the point.

    >>> decimal_words("-0.82")
    'minus zero point eight two'
    """
    sign = "minus " if text.startswith(("-", "−")) else ""
    whole, _, frac = text.lstrip("-−+").partition(".")
    words = integer_words(int(whole or "0"))
    if frac:
        words += " point " + " ".join(_ONES[int(d)] for d in frac)
    return sign + words


MAX_SPOKEN_NUMERATOR = 20
"""Past this numerator a fraction is hard to follow by ear ("one thousand four hundred
eighty-six ninths"): the voice says a short decimal, the screen keeps the exact value."""


def _spoken_decimal(q: Fraction) -> str:
    """What the voice says for a fraction it would stumble on: two significant digits
    below 10, one decimal place from 10 up (1486/9 → 165.1, −7/9 → −0.78)."""
    if abs(q) >= 10:
        return f"{float(q):.1f}".rstrip("0").rstrip(".")
    return short_decimal(q)


def number(
    v: int | float | Fraction, style: NumberStyle = SCREEN, spoken_decimal: bool = False
) -> Said:
    """A value as shown and spoken: :func:`~explainer.present.numbers.display` in ``style``
    (exact while readable, else a short decimal, always a decimal with ``style.decimal``),
    "≈" and "about" before a decimal that is not the exact value.

    A fraction whose numerator is large (improper fractions such as 1486/9), or any
    fraction with ``spoken_decimal`` (values compared across different denominators), is
    written exactly and spoken as "about" a short decimal.

    >>> number(Fraction(-209, 255))
    Said(written='≈ −0.82', spoken='about minus zero point eight two')
    >>> number(12).spoken, number(0.25).written
    ('twelve', '1/4')
    >>> number(Fraction(1486, 9))
    Said(written='1486/9', spoken='about one hundred sixty-five point one')
    """
    if not is_decimal(v, style):
        q = Fraction(exact(v))
        written = display(v, style)
        if q.denominator != 1 and (spoken_decimal or abs(q.numerator) > MAX_SPOKEN_NUMERATOR):
            return Said(written, "about " + decimal_words(_spoken_decimal(q)))
        return Said(written, fraction_words(q))
    return Said("≈ " + display(v, style), "about " + decimal_words(short_decimal(v)))


def compared(*values: int | float | Fraction, style: NumberStyle = SCREEN) -> tuple[Said, ...]:
    """Values said side by side ("only 1/3, against 7/9"): when fractions of different
    denominators meet, the voice says each as a short decimal, so the listener can tell
    which is larger; the screen keeps them exact.

    >>> [s.spoken for s in compared(Fraction(1, 3), Fraction(7, 9))]
    ['about zero point three three', 'about zero point seven eight']
    >>> [s.spoken for s in compared(Fraction(1, 9), Fraction(7, 9))]
    ['one ninth', 'seven ninths']
    """
    qs = [Fraction(exact(v)) for v in values]
    denominators = {q.denominator for q in qs}
    mixed = len(denominators) > 1 and any(d != 1 for d in denominators)
    return tuple(number(q, style, spoken_decimal=mixed) for q in qs)


def size(rows: int, cols: int) -> Said:
    """>>> size(9, 9)
    Said(written='9×9', spoken='nine by nine')
    """
    return Said(f"{rows}×{cols}", f"{integer_words(rows)} by {integer_words(cols)}")


def position(row: int, col: int) -> Said:
    """An output pixel's (row, column), as numbered on the grids."""
    return Said(f"({row}, {col})", f"row {integer_words(row)}, column {integer_words(col)}")


def count(n: int, one: str, many: str) -> Said:
    """'one product', 'four pixels', '12 pixels' (words up to nine, as in print).

    >>> count(1, "product", "products").written, count(12, "pixel", "pixels").spoken
    ('one product', 'twelve pixels')
    """
    noun = one if n == 1 else many
    written = integer_words(n) if 0 <= n <= 9 else f"{n:,}"
    return Said(f"{written} {noun}", f"{integer_words(n)} {noun}")


def words(text: str) -> Said:
    """Plain words, said as written (for parts chosen by the facts)."""
    return Said(text, text)


def sentence(template: str, **parts: Said | str) -> tuple[str, str]:
    """Fill ``template`` with each part's written form, and again with its spoken form."""
    written = template.format(**{k: getattr(v, "written", v) for k, v in parts.items()})
    spoken = template.format(**{k: getattr(v, "spoken", v) for k, v in parts.items()})
    return written, read_aloud(spoken)


_SYMBOLS = {
    "⊗": " convolved with ",
    "×": " by ",
    "°": " degrees",
    "−": "minus ",
    "≈": "about ",
    "→": " to ",
    "·": " times ",
    "÷": " divided by ",
    "=": " equals ",
}
# Names a voice would stumble on, said the way people say them.
_NAMES = {"PyTorch": "pie-torch", "TensorFlow": "tensor-flow", "scipy": "sigh-pie"}
_NUMERAL = re.compile(r"(?<![\w.])-?\d+(?:/\d+|\.\d+)?(?![\w])")


def read_aloud(text: str) -> str:
    """Whatever a template wrote directly (180°, 3-tap) in words a voice reads right.

    >>> read_aloud("rotates it by 180°, a 3-tap filter")
    'rotates it by one hundred eighty degrees, a three-tap filter'
    """

    def numeral(match: re.Match[str]) -> str:
        token = match.group(0)
        if "/" in token:
            return fraction_words(Fraction(token))
        if "." in token:
            return decimal_words(token)
        return integer_words(int(token))

    for symbol, spoken in _SYMBOLS.items():
        text = text.replace(symbol, spoken)
    for name, spoken in _NAMES.items():
        text = text.replace(name, spoken)
    text = _NUMERAL.sub(numeral, text)
    text = re.sub(r"(\w) -(\w)", r"\1 \2", text)
    return re.sub(r"\s+", " ", text).replace(" ,", ",").replace(" .", ".").strip()


__all__ = [
    "MAX_SHOWN_DENOMINATOR",
    "MAX_SPOKEN_NUMERATOR",
    "Said",
    "compared",
    "count",
    "decimal_words",
    "fraction_words",
    "integer_words",
    "is_shown_exactly",
    "number",
    "ordinal_words",
    "position",
    "read_aloud",
    "sentence",
    "size",
    "words",
]
