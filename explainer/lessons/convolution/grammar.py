"""Small wording helpers of the convolution lesson: articles, counts, positions, lists."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from explainer.core.trace import Number
from explainer.lessons.convolution.sections import MAX_MARKED
from explainer.lessons.script import Beat
from explainer.present.speech import Said, count, integer_words, number, position, sentence


def _beat(key: str, template: str, *, steps=(), values=(), claims=(), **parts: Said | str) -> Beat:
    caption, speech = sentence(template, **parts)
    return Beat(key, caption, speech, tuple(steps), tuple(values), tuple(c for c in claims if c))


def _all_or_some(n: int, total: int, noun: str, nouns: str) -> Said:
    """'none of the 25 values', 'all 36 values', 'one of the 36 values', '6 of the 16
    values': a count of a whole, in the grammar :class:`~explainer.lessons.claims.Count`
    licenses."""
    whole = _amount(total)
    if n == 0:
        return Said(f"none of the {whole.written} {nouns}", f"none of the {whole.spoken} {nouns}")
    if n == total == 2:
        return Said(f"both {nouns}", f"both {nouns}")
    if n == total:
        return Said(f"all {whole.written} {nouns}", f"all {whole.spoken} {nouns}")
    part = _amount(n)
    return Said(
        f"{part.written} of the {whole.written} {nouns}",
        f"{part.spoken} of the {whole.spoken} {nouns}",
    )


def _last(n: int, one: str, many: str) -> Said:
    """'the last row', 'the last two rows'."""
    if n == 1:
        return Said(f"the last {one}", f"the last {one}")
    amount = _amount(n)
    return Said(f"the last {amount.written} {many}", f"the last {amount.spoken} {many}")


def _capitalized(part: Said) -> Said:
    return Said(
        part.written[:1].upper() + part.written[1:], part.spoken[:1].upper() + part.spoken[1:]
    )


def _pixels(n: int, noun: str = "pixel") -> Said:
    return count(n, noun, noun + "s")


def _distance(n: int, unit: str = "pixel") -> Said:
    """'one pixel', 'two pixels', '12 pixels' (a stride or a dilation)."""
    return count(n, unit, unit + "s")


def _article(n: int) -> Said:
    """'A' or 'An' before a number read aloud: an 8×8, an 11×11, an 18×18, a 9×9."""
    spoken = integer_words(n)
    word = "An" if spoken.startswith(("eight", "eleven")) else "A"
    return Said(word, word)


def _plain(v) -> Number:
    """A numpy scalar or Fraction as a plain exact Python number."""
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else v
    return float(v) if isinstance(v, (float, np.floating)) else int(v)


def _amount(n: int) -> Said:
    """A count on its own: words up to nine, digits above, as in print."""
    return Said(integer_words(n) if n <= 9 else f"{n:,}", integer_words(n))


def _where(extreme) -> Said:
    """'at (1, 0)' for one pixel, 'in four pixels' for more."""
    if extreme.count == 1:
        p = position(*extreme.indices[0])
        return Said("at " + p.written, "at " + p.spoken)
    n = count(extreme.count, "pixel", "pixels")
    marked = ""
    if extreme.count > MAX_MARKED:  # the picture outlines only the first few
        marked = f", the first {integer_words(MAX_MARKED)} outlined"
    return Said("found in " + n.written + marked, "found in " + n.spoken + marked)


def _signed(v: Number) -> Said:
    """A value with its sign written out, as a pixel's value is named: +1, −1, 0."""
    said = number(v)
    return Said("+" + said.written, "plus " + said.spoken) if v > 0 else said


def _join(parts: list[Said]) -> Said:
    """'a, b and c' in both forms."""
    if len(parts) == 1:
        return parts[0]
    head_w = ", ".join(p.written for p in parts[:-1])
    head_s = ", ".join(p.spoken for p in parts[:-1])
    return Said(f"{head_w} and {parts[-1].written}", f"{head_s} and {parts[-1].spoken}")


def exact(v: Number) -> Fraction:
    """A stated value as a Fraction, for comparisons in tests and checks."""
    return Fraction(repr(v)) if isinstance(v, float) else Fraction(v)
