"""What TeX can typeset: no box wider than its largest dimension, checked before pdflatex.

TeX measures every box in fixed point and stops with "Dimension too large" past
16,383.99 pt. The handout scales a wide line down to the page, but only after TeX has set
it at its natural width, so a line of some 2,700 digits (about 6 pt each) cannot be set at
all. :func:`check_typesettable` bounds every line the handout sets (a patch's rows of
values, weights and products, its sum and value, and each row of the result matrix) by
:data:`MAX_TEX_LINE_CHARS` characters, from the exact values, before pdflatex runs and
before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

from explainer.errors import TooLargeError

MAX_TEX_LINE_CHARS = 2_000
"""Characters of one line the handout typesets at most (TeX's limit is about 2,700)."""


def _chars(value) -> int:
    q = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
    digits = len(str(abs(q.numerator))) + (q.denominator != 1) * (len(str(q.denominator)) + 1)
    return digits + 3  # a sign, an operator and spacing


def _row(values: Iterable) -> int:
    return sum(_chars(v) for v in values)


def check_typesettable(trace, patches: Sequence[tuple[int, int]] | None) -> None:
    """Refuse a handout whose longest line TeX could not set (see the module's notes).

    Raises
    ------
    TooLargeError
        Naming the line's length and the limit.
    """
    chosen = set(patches) if patches is not None else None
    longest, what = 0, ""
    for step in trace.steps:
        lines = [("the value of patch", [step.value]), ("the sum of patch", [step.total])]
        if chosen is None or step.index in chosen:
            for name in ("patch", "weights", "products"):
                lines += [
                    (f"a row of the {name} of patch", row) for row in step.grid(getattr(step, name))
                ]
        for label, row in lines:
            width = _row(row)
            if width > longest:
                longest, what = width, f"{label} {step.index}"
    rows: dict[int, list] = {}
    for step in trace.steps:
        rows.setdefault(step.index[0], []).append(step.value)
    for r, row in rows.items():
        width = _row(row)
        if width > longest:
            longest, what = width, f"row {r} of the result"
    if longest > MAX_TEX_LINE_CHARS:
        raise TooLargeError(
            f"{what} is about {longest:,} characters long; TeX cannot set a line of more than "
            f'about {MAX_TEX_LINE_CHARS:,} characters ("Dimension too large"), so the handout '
            "refuses it: use 'explainer derive' or 'page' for this one"
        )
