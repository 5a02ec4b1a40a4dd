"""A lesson as data: sections of beats, each beat one sentence worded from the facts.

A :class:`Beat` is one sentence in two forms (the caption on screen and the text the
voice speaks) plus what it shows: the output pixels it points at, the numbers it states
and the claims it makes (checked by :func:`verify_script`). Scenes, the page, the slides
and the handout stage beats; they never word a sentence of their own.

Every lesson declares the beat keys it can write (its registry, :attr:`Script.keys`).
Looking up a key that is not in the registry is a programming error
(:class:`UnknownBeat`), never a silent fallback: a renamed key fails at once.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from explainer.core import display
from explainer.core.trace import Number, Trace
from explainer.lessons.board import Board, Grid, check_boards
from explainer.lessons.claims import Claim
from explainer.lessons.verifier import ClaimReport
from explainer.present.numbers import NumberStyle


class UnknownBeat(LookupError):
    """A beat key that the lesson never writes: a typo or a key renamed on one side."""


@dataclass(frozen=True)
class Beat:
    """One sentence of the lesson and what it shows while it is spoken."""

    key: str
    """What the scene stages, ``section.action`` (e.g. ``"multiply.take"``)."""
    caption: str
    """The sentence as written on screen and in the captions."""
    speech: str
    """The same sentence as the voice says it: numbers in words."""
    steps: tuple[tuple[int, int], ...] = ()
    """Output pixels the sentence points at (row, column)."""
    values: tuple[Number, ...] = ()
    """The numbers the sentence states, exactly, for checking against the trace."""
    claims: tuple[Claim, ...] = ()
    """What the sentence asserts, as typed data (:mod:`explainer.lessons.claims`): its
    qualitative words are chosen from these, and the verifier checks each one."""
    board: Board | None = None
    """What the generic stage shows while the sentence is spoken (:mod:`.board`); the
    convolution lesson, staged by outputs of its own, leaves it empty."""
    exercise: Board | None = None
    """Optional: the board a worksheet sets this beat's question on, when it is not
    :attr:`board` (its grids to work from; its ``"result"`` marks the cells left blank).
    Nothing else draws it (:mod:`explainer.lessons.exercises`)."""

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]


@dataclass(frozen=True)
class Section:
    name: str
    """Stable identifier (``--section NAME``)."""
    title: str
    """The heading shown while the section plays."""
    beats: tuple[Beat, ...]


@dataclass(frozen=True)
class Script:
    """The whole lesson for one problem, in order."""

    problem: Any
    """The lesson's problem: a :class:`Problem` for convolution, a layer stack for the
    layer lesson; only the lesson's own writer and verifier read inside it."""
    lesson: str
    """The lesson's name (its folder under :mod:`explainer.lessons`)."""
    sections: tuple[Section, ...]
    keys: frozenset[str] = field(repr=False)
    """Every beat key the lesson can write: the registry that lookups are checked against."""
    labels: dict[str, str] = field(repr=False)
    """Short words the outputs put on screen next to grids (``"filter"``, ``"result"``)."""
    trace: Trace = field(repr=False)
    """The exact trace the sentences were worded from."""
    facts: Any = field(default=None, repr=False)
    """What the lesson found true of the problem (the lesson's own facts type)."""
    decimal: bool = False
    """Values are shown as short decimals (some would be unreadable as fractions)."""
    pixelwise: bool = True
    """Small enough to write every value into its cell."""
    result_written: bool = True
    """Small enough a result to write its values into its cells (a problem that is not
    :attr:`pixelwise` may still have one)."""
    prelude: Trace | None = field(default=None, repr=False)
    """The one-dimensional problem of the prelude section, traced by the same engine."""
    prelude_origin: tuple[int, int] | None = None
    """(row, first column) of the image stretch the prelude takes its signal from."""
    grids: Mapping[str, Grid] = field(default_factory=dict, repr=False)
    """Every grid a beat's :class:`~explainer.lessons.board.Board` may show, by key."""

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for b in self.beats():  # a key names one beat: outputs and timings look beats up by it
            if b.key in seen:
                raise ValueError(f"the {self.lesson} lesson says beat {b.key!r} twice")
            seen.add(b.key)
        check_boards(self.grids, ((b.key, b.board) for b in self.beats()))
        check_boards(self.grids, ((f"{b.key} (exercise)", b.exercise) for b in self.beats()))

    def section(self, name: str) -> Section:
        for sec in self.sections:
            if sec.name == name:
                return sec
        raise KeyError(name)

    def beats(self) -> Iterator[Beat]:
        for sec in self.sections:
            yield from sec.beats

    def _known(self, key: str) -> None:
        if key not in self.keys:
            raise UnknownBeat(f"the {self.lesson} lesson has no beat {key!r}")

    def beat(self, key: str) -> Beat:
        """The beat with this key; KeyError when this problem's script has none."""
        self._known(key)
        for b in self.beats():
            if b.key == key:
                return b
        raise KeyError(key)

    def has(self, key: str) -> bool:
        """Whether this problem's script says the beat (the key must be registered)."""
        self._known(key)
        return any(b.key == key for b in self.beats())

    @property
    def style(self) -> NumberStyle:
        """How this script's values are shown (:attr:`decimal`, as its sentences say them):
        every output that shows them takes this style, never a switch of its own."""
        return NumberStyle(decimal=self.decimal)

    @property
    def section_names(self) -> tuple[str, ...]:
        return tuple(sec.name for sec in self.sections)

    # HTML, LaTeX, Markdown and text, for Jupyter (explainer.outputs.notebook).
    _repr_mimebundle_ = display.mimebundle


def verify_script(script: Script, *, strict: bool = True) -> ClaimReport:
    """Check every claim of every beat against the script's problem with the lesson's
    independent verifier (its package's ``verify_beats``).

    With ``strict`` (the default) a claim that does not hold raises
    :class:`~explainer.lessons.verifier.ClaimError` naming the beat and the claim;
    otherwise the report says which hold.
    """
    pairs = [(b.key, b.claims) for b in script.beats()]
    # Each lesson package names its own verifier (``verify_beats``), which shares no code
    # with its writer; looked up by name so that no lesson is imported by another.
    verifier = importlib.import_module(f"explainer.lessons.{script.lesson}").verify_beats
    report = verifier(script.problem, pairs)
    if strict:
        report.raise_for_failure()
    return report
