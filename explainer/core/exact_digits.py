"""How many digits the exact values of a problem can have, and Python's limit raised to it.

Python refuses to turn an integer of more than 4,300 digits into text (a guard against
texts that take quadratic time to convert). A problem's exact values can legitimately be
longer: a 9×9 kernel of 1/p cells, each p a 60-digit prime, sums to a fraction whose
denominator has some 5,000 digits. Every command calls :func:`allow_exact_digits` once the
input is read: it bounds the length of every exact value from the cells' own lengths and
raises the limit to that bound, or refuses a problem whose values could exceed
:data:`MAX_EXACT_DIGITS` (the same limit in every command), before any work starts.

>>> from fractions import Fraction
>>> import numpy as np
>>> kernel = np.array([[Fraction(1, 10**60 + 7)] * 2], dtype=object)
>>> digits_needed(np.ones((3, 3), dtype=np.int64), kernel) < 4300
True
"""

from __future__ import annotations

import sys
from fractions import Fraction

import numpy as np

from explainer.errors import TooLargeError

MAX_EXACT_DIGITS = 1_000_000
"""Digits of one exact value (numerator or denominator) printed at most."""
_FLOAT_DIGITS = 1100
"""A float64 as a fraction: a numerator of up to 309 digits over a power of two of up to
1,075 digits; 1,100 bounds either."""


def _cell_digits(array: np.ndarray, taps: int) -> tuple[int, int]:
    """(the longest numerator, a bound on the digits of the common denominator of any
    ``taps`` of its cells) of ``array``.

    Floats are fractions over powers of two, so any number of them share the largest
    one's denominator; other fractions may each bring a denominator of their own.
    """
    if array.dtype.kind in "iub":
        return 20, 1
    if array.dtype.kind == "f":
        return _FLOAT_DIGITS, _FLOAT_DIGITS
    numerators, denominators = 1, []
    for value in array.flat:
        q = value if isinstance(value, Fraction) else Fraction(value)
        numerators = max(numerators, q.numerator.bit_length() * 30103 // 100000 + 1)
        denominators.append(q.denominator.bit_length() * 30103 // 100000 + 1)
    denominators.sort(reverse=True)
    return numerators, sum(denominators[:taps])


def digits_needed(image: np.ndarray, kernel: np.ndarray) -> int:
    """A bound on the digits of every exact value the problem's trace and derivations hold.

    An output value is a sum of kernel-sized products, perhaps divided by the kernel's
    area or sum: its denominator divides the common denominator of the kernel's cells,
    of the image's cells under the window and of the divisor; its numerator is bounded
    likewise.
    """
    taps = kernel.size
    k_num, k_den = _cell_digits(kernel, taps)
    i_num, i_den = _cell_digits(image, taps)
    denominators = k_den + i_den + len(str(taps))
    numerators = k_num + i_num + len(str(taps)) + denominators
    # Dividing by the kernel's sum brings its numerator and denominator in too.
    return 2 * (numerators + denominators) + k_num + 100


def allow_exact_digits(image: np.ndarray, kernel: np.ndarray) -> None:
    """Let Python print this problem's exact values, or refuse it up front.

    Raises
    ------
    TooLargeError
        When an exact value could need more than :data:`MAX_EXACT_DIGITS` digits.
    """
    need = digits_needed(image, kernel)
    if need > MAX_EXACT_DIGITS:
        raise TooLargeError(
            f"the exact values of this problem could need {need:,} digits; at most "
            f"{MAX_EXACT_DIGITS:,} are written: use cells with shorter fractions or a "
            "smaller kernel"
        )
    limit = sys.get_int_max_str_digits()
    if limit and need > limit:
        sys.set_int_max_str_digits(need)
