"""Numbers as a voice reads them: expected words written out by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest

from explainer.present.speech import number, position, read_aloud, sentence, size


@pytest.mark.parametrize(
    "value, written, spoken",
    [
        (7, "7", "seven"),
        (-1, "−1", "minus one"),
        (0, "0", "zero"),
        (13, "13", "thirteen"),
        (40, "40", "forty"),
        (1033, "1033", "one thousand thirty-three"),
        (Fraction(7, 9), "7/9", "seven ninths"),
        (Fraction(-1, 9), "−1/9", "minus one ninth"),
        (Fraction(1, 2), "1/2", "one half"),
        (Fraction(3, 2), "3/2", "three halves"),
        (Fraction(3, 4), "3/4", "three quarters"),
        (Fraction(1, 16), "1/16", "one sixteenth"),
        (Fraction(5, 21), "5/21", "five twenty-firsts"),
        (Fraction(1, 32), "1/32", "one thirty-second"),
        (Fraction(1, 12), "1/12", "one twelfth"),
        (Fraction(-209, 255), "≈ −0.82", "about minus zero point eight two"),
        (0.25, "1/4", "one quarter"),
    ],
)
def test_numbers_are_written_and_spoken(value, written, spoken):
    said = number(value)
    assert (said.written, said.spoken) == (written, spoken)


def test_sizes_positions_and_sentences():
    assert size(9, 9).spoken == "nine by nine" and size(12, 8).written == "12×8"
    assert position(1, 1).spoken == "row one, column one"
    caption, speech = sentence("y at {p} is {v}.", p=position(0, 2), v=number(Fraction(-1, 3)))
    assert caption == "y at (0, 2) is −1/3."
    assert speech == "y at row zero, column two is minus one third."


def test_leftover_numerals_and_symbols_are_read_aloud():
    assert read_aloud("a 3-tap filter rotated by 180°") == (
        "a three-tap filter rotated by one hundred eighty degrees"
    )
    assert read_aloud("image ⊗ filter = result") == "image convolved with filter equals result"
