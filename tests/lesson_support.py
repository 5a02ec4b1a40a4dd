"""Helpers the board lessons' tests share: a claim made false, the numbers a caption states
that no claim of its beat holds, and the worksheet's exercises checked on a script.

A module of its own (as scene_support and cli_support): one test module importing another
runs it twice under two names, which trips hypothesis' nested-@given check.
"""

from __future__ import annotations

import dataclasses
import re
from fractions import Fraction

from explainer.lessons.exercises import exercises


def broken(claim):
    """The claim with its last number, grid, flag or choice changed."""
    for f in reversed(dataclasses.fields(claim)):
        v = getattr(claim, f.name)
        if isinstance(v, bool):
            return dataclasses.replace(claim, **{f.name: not v})
        if isinstance(v, (int, Fraction)):
            return dataclasses.replace(claim, **{f.name: v + 1})
        if isinstance(v, str) and f.name in type(claim).choices:
            other = next(c for c in type(claim).choices[f.name] if c != v)
            return dataclasses.replace(claim, **{f.name: other})
        if isinstance(v, tuple) and v and isinstance(v[0], tuple):
            first = (v[0][0] + 1,) + v[0][1:]
            return dataclasses.replace(claim, **{f.name: (first,) + v[1:]})
        if isinstance(v, tuple) and v:
            return dataclasses.replace(claim, **{f.name: (v[0] + 1,) + v[1:]})
    return None


_NUMERAL = re.compile(r"(≈ )?([−-]?\d+(?:/\d+|\.\d+)?)")
CONSTANTS = {0, 1, 180}
"""Numbers the sentences use as words of a formula or a fact of geometry (stride 1 of the
zero-insertion view, 180° of the rotation, the 1 of the size formula)."""


def _numbers(value, out: set) -> None:
    if isinstance(value, tuple):
        out.add(len(value))
        for v in value:
            _numbers(v, out)
    elif isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        out.add(Fraction(value))


GRID_FIELDS = {"values", "filter"}
"""Fields holding whole grids: their numbers license only a grid written out in brackets
("[1, −1; …]"); outside brackets a sentence's numbers must be held by the other fields."""


def unlicensed_numbers(script) -> list[tuple[str, str]]:
    """(beat, numeral) for every exact number in a caption that no claim of its beat holds
    (tuple lengths count: "49 terms" is the length of a claim's terms)."""
    bad = []
    for b in script.beats():
        held, grids = set(), set()
        for c in b.claims:
            for f in dataclasses.fields(c):
                value = getattr(c, f.name)
                if f.name in GRID_FIELDS:
                    _numbers(value, grids)
                    held |= {len(value), len(value[0])}
                else:
                    _numbers(value, held)
        grid_text = re.compile(r"(?<![\w\]])\[[^\]]*\]")  # "[1, −1; …]", not "w[0, 2]"
        outside = grid_text.sub(" ", b.caption)
        inside = " ".join(grid_text.findall(b.caption))
        for text, allowed in ((outside, held), (inside, grids)):
            for approx, token in _NUMERAL.findall(text.replace("×", " × ")):
                if approx:
                    continue  # a rounded decimal of an exact value held elsewhere
                value = Fraction(token.replace("−", "-"))
                if value not in allowed and value not in CONSTANTS:
                    bad.append((b.key, token))
    return bad


def exercises_stand(script) -> None:
    """Every exercise a random problem sets is worded from a claim its beat makes (that
    claim verified above), its answers agree with its board (exercises() refuses a claim
    that disagrees), and its blanks or boxes hold one answer each."""
    for ex in exercises(script):
        assert ex.claim in script.beat(ex.beat).claims, ex.beat
        assert len(ex.answers) == len(ex.blanks) + len(ex.boxes) > 0, ex.beat
