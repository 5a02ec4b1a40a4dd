"""The base scene: the lesson's data, the caption and voice of each beat, the stage's pieces.

A section stages the script's beats with ``with scene.beat(key) as clock:``. The beat's
sentence is spoken (or, without a voice, given its reading time) and captioned for exactly
that long; the animations inside the block take their run times from ``clock`` so that the
speech sets the pace. Nothing here words a sentence or computes a value.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from manim import LEFT, UP, FadeIn, FadeOut, ReplacementTransform, Scene, VGroup

from explainer.core.problem import Problem
from explainer.core.trace import Step, Trace
from explainer.lessons.convolution import build_script
from explainer.lessons.script import Beat, Script
from explainer.present.palette import ColourScale, lesson_scale
from explainer.proof import symbolic
from explainer.request import DEFAULT_VOICE
from scenes.environment import problem_from_environment, voice_from_environment
from scenes.voice import load_voice

from .components import ACCENT, BACKGROUND, MUTED, ValueGrid, caption, label

CAPTION_Y = -3.3  # inside the title-safe area: a player's controls cover the bottom edge
TOP = 2.95  # content stays between the heading ...
BOTTOM = -2.7  # ... and the caption's two lines


def cell_for(rows: int, cols: int, width: float, height: float, cap: float) -> float:
    """The largest cell (at most ``cap``) with which a numbered grid of rows × cols fits in
    width × height (the row and column numbers take about 0.4 on each axis)."""
    return min(cap, (width - 0.4) / cols, (height - 0.4) / rows)


CAPTION_FADE = 0.2
PAUSE = 0.3  # silence after each sentence before the next begins


def reading_time(text: str) -> float:
    """Seconds a viewer needs to read a caption without a voice: ~15 characters a second."""
    return max(2.0, 0.6 + len(text) / 15)


class Lesson:
    """What the scenes show, read once from the script, the trace and sympy."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.script: Script = build_script(problem)
        self.trace: Trace = self.script.trace
        self.facts = self.script.facts
        self.labels = self.script.labels
        self.style = self.script.style
        """How the lesson's values are written (its script's style): every grid takes it."""

    @cached_property
    def scale(self) -> ColourScale:
        return lesson_scale(self.trace)

    @property
    def padded_values(self) -> tuple[tuple, ...]:
        return self.trace.padded_image

    @cached_property
    def image_values(self) -> list[list]:
        """The image without its border."""
        top, left = self.trace.padding_offset
        h, w = self.problem.image.shape
        return [list(row[left : left + w]) for row in self.padded_values[top : top + h]]

    @cached_property
    def padding_mask(self) -> list[list[bool]]:
        top, left = self.trace.padding_offset
        h, w = self.problem.image.shape
        rows, cols = len(self.padded_values), len(self.padded_values[0])
        return [
            [not (top <= r < top + h and left <= c < left + w) for c in range(cols)]
            for r in range(rows)
        ]

    @property
    def first_index(self) -> tuple[int, int]:
        """Image coordinates of the padded grid's top-left cell (negative in a border)."""
        top, left = self.trace.padding_offset
        return -top, -left

    def grid_cells(self, step: Step) -> list[tuple[int, int]]:
        """The step's taps in the padded grid's coordinates (row-major)."""
        top, left = self.trace.padding_offset
        return [(r + top, c + left) for r, c in step.positions]

    def window_box(self, step: Step) -> tuple[int, int, int, int]:
        """The step's window (:attr:`Step.window`) in the padded grid's coordinates."""
        top, left = self.trace.padding_offset
        r0, c0, r1, c1 = step.window
        return r0 + top, c0 + left, r1 + top, c1 + left

    def step(self, index: tuple[int, int]) -> Step:
        return self.trace.step(*index)

    @cached_property
    def _derivations(self) -> dict:
        return {}

    def derivation(self, step: Step) -> symbolic.PixelDerivation:
        if step.index not in self._derivations:
            self._derivations[step.index] = symbolic.derive_pixel(self.problem, *step.index)
        return self._derivations[step.index]

    @property
    def pixelwise(self) -> bool:
        return self.script.pixelwise


@dataclass
class Clock:
    """The time a beat's sentence takes, handed to the animations staged under it."""

    scene: Scene
    start: float
    duration: float

    def share(self, fraction: float) -> float:
        """``fraction`` of the sentence's time (after the caption's fade), at least a frame."""
        usable = max(self.duration - CAPTION_FADE, 0.0)
        return max(fraction * usable, self.frame)

    def rest(self) -> float:
        """What is left of the sentence, at least a frame."""
        return max(self.start + self.duration - self.scene.time, self.frame)

    @property
    def frame(self) -> float:
        return 1.0 / self.scene.camera.frame_rate


def _animated_mobjects(animations: Sequence[object]) -> list:
    found = []
    for anim in animations:
        inner = getattr(anim, "animations", None)
        if inner:
            found += _animated_mobjects(inner)
        mob = getattr(anim, "mobject", None)
        if mob is not None:
            found.append(mob)
    return found


def _owner(stage: Sequence, mob) -> object | None:
    """The mobject on ``stage`` whose family holds ``mob``, if any."""
    return next((top for top in stage if mob in top.get_family()), None)


class LectureScene(Scene):
    """Base of every lecture scene: prepares the lesson, speaks and captions each beat."""

    problem: Problem | None = None
    sections: Sequence[str] = ()
    progress = None  # scenes.render.Progress, when rendered by `explainer render`
    voice_name: str | None = None  # None: $EXPLAINER_VOICE, else the default voice
    frames: dict[str, np.ndarray] | None = None  # set to a dict to keep checkpoint frames

    def setup(self) -> None:
        self.camera.background_color = BACKGROUND
        self.lesson = self.make_lesson()
        name = self.voice_name or os.environ.get("EXPLAINER_VOICE") or DEFAULT_VOICE
        if self.voice_name is None:  # under the manim command: one line, not a traceback
            self.voice = voice_from_environment(name)
        else:
            self.voice = load_voice(name)
        self._caption = None
        self._heading = None
        self.current_beat: Beat | None = None
        """The beat whose sentence is being said (None between sentences)."""
        self.stage: dict[str, object] = {}
        self.caption_log: list[tuple[float, float, str]] = []
        """(shown from, cleared at, text) of every caption drawn: the scene's own record."""
        self.spoken: list[tuple[float, float, Beat]] = []
        """(start, end, beat) of every sentence spoken or captioned."""

    def make_lesson(self):
        """What the scene stages (the generic stage, :mod:`scenes.board`, brings its own)."""
        return Lesson(self.problem if self.problem is not None else problem_from_environment())

    def checkpoint(self, name: str) -> None:
        """Keep the current frame under ``name`` (key frames for the frame tests)."""
        if self.frames is None:
            return
        self.camera.reset()
        self.camera.capture_mobjects(self.mobjects)
        self.frames[name] = self.camera.pixel_array.copy()

    def play(self, *args, **kwargs) -> None:
        # manim redraws every frame each mobject above the lowest moving one; lifting the
        # animated mobjects to the top keeps the rest in the static background. A piece
        # of a group on stage (a grid's numbers) lifts its group.
        movers = []
        for mob in _animated_mobjects(args):
            owner = mob if mob in self.mobjects else _owner(self.mobjects, mob)
            if owner is not None and owner not in movers:
                movers.append(owner)
        if movers:
            self.bring_to_front(*movers)
        super().play(*args, **kwargs)
        if self.progress is not None:
            self.progress.animation(self.time)

    # ----- beats ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def beat(self, key: str) -> Iterator[Clock]:
        """Speak and caption the script's beat ``key`` while the block stages it."""
        beat = self.lesson.script.beat(key)
        utterance = self.voice.speak(beat.speech) if self.voice is not None else None
        duration = utterance.duration if utterance is not None else reading_time(beat.caption)
        start = self.time
        if utterance is not None:
            self.add_sound(str(utterance.path))
        shown = caption(beat.caption).move_to(np.array([0.0, CAPTION_Y, 0.0]))
        self.play(FadeIn(shown), run_time=CAPTION_FADE)
        self._caption = shown
        self.current_beat = beat
        yield Clock(self, start, duration)
        remaining = start + duration + PAUSE - self.time
        if remaining >= 1.0 / self.camera.frame_rate:  # shorter waits cannot be drawn
            self.wait(remaining)
        self.play(FadeOut(shown), run_time=CAPTION_FADE)
        self._caption = None
        self.current_beat = None
        self.caption_log.append((start, self.time, beat.caption))
        self.spoken.append((start, start + duration, beat))
        self.add_subcaption(beat.caption, duration=duration, offset=start - self.time)

    def beats(self, section: str) -> list[str]:
        """The keys of the beats the script gives ``section``, in order."""
        return [b.key for b in self.lesson.script.section(section).beats]

    def has(self, key: str) -> bool:
        return self.lesson.script.has(key)

    def heading(self, section: str) -> None:
        text = self.lesson.script.section(section).title
        if not text:
            return
        new = label(text, size=0.3, color=MUTED).to_corner(UP + LEFT, buff=0.35)
        anims = [FadeIn(new)]
        if self._heading is not None:
            anims.append(FadeOut(self._heading))
        self.play(*anims, run_time=0.3)
        self._heading = new

    def clear_stage(self, keep: Sequence[str] = ()) -> None:
        """Fade out everything but the named stage pieces and the heading."""
        kept = [self.stage[k] for k in keep if k in self.stage]
        gone = [m for m in self.mobjects if m not in kept and m is not self._heading]
        if gone:
            self.play(*[FadeOut(m) for m in gone], run_time=0.4)
        self.stage = {k: self.stage[k] for k in keep if k in self.stage}

    # ----- pieces that persist between sections -------------------------------------------

    def image_grid(self, cell: float, center: np.ndarray, padded: bool = True) -> ValueGrid:
        """The (padded) image, moved into place if already shown, else faded in."""
        return self._place("image", cell, center, lambda: self.make_image_grid(cell, padded))

    def make_image_grid(self, cell: float, padded: bool = True) -> ValueGrid:
        """A new grid of the image, with its border when ``padded``, numbered in image
        coordinates (so the border's rows and columns are −1, …)."""
        lesson = self.lesson
        if padded:
            first = lesson.first_index
            return ValueGrid(
                lesson.padded_values,
                cell,
                lesson.scale,
                padding=lesson.padding_mask,
                show_labels=lesson.pixelwise,
                first_row=first[0],
                first_col=first[1],
                style=lesson.style,
            )
        return ValueGrid(
            lesson.image_values,
            cell,
            lesson.scale,
            show_labels=lesson.pixelwise,
            first_row=0,
            first_col=0,
            style=lesson.style,
        )

    def kernel_grid(self, cell: float, center: np.ndarray, as_given: bool = False) -> ValueGrid:
        """The kernel as applied (rotated for true convolution), or ``as_given`` by the user."""
        lesson = self.lesson
        values = lesson.problem.kernel.tolist() if as_given else lesson.trace.applied_kernel
        return self._place(
            "kernel",
            cell,
            center,
            lambda: ValueGrid(
                values,
                cell,
                lesson.scale,
                stroke=ACCENT,
                first_row=0,
                first_col=0,
                style=lesson.style.exact(),
            ),
        )

    def _place(
        self, key: str, cell: float, center: np.ndarray, make: Callable[[], ValueGrid]
    ) -> ValueGrid:
        """Show the grid ``key`` with cells of ``cell`` centred on ``center``: move it there
        if it is on stage, redraw it when its size changes (so that its labels are laid out
        for the new size, never shrunk below legibility), else fade it in."""
        old = self.stage.get(key)
        if old is not None and old in self.mobjects:
            if np.isclose(old.cell_size, cell):
                target = center + _inside_frame(old, center)
                if not np.allclose(_body_center(old), target):
                    self.play(old.animate.shift(target - _body_center(old)), run_time=0.6)
                return old
            fresh = make()
            fresh.shift(center - _body_center(fresh))
            fresh.shift(_inside_frame(fresh, _body_center(fresh)))
            self.play(ReplacementTransform(old, fresh), run_time=0.6)
            self.stage[key] = fresh
            return fresh
        fresh = make()
        fresh.shift(center - _body_center(fresh))
        fresh.shift(_inside_frame(fresh, _body_center(fresh)))
        self.play(FadeIn(fresh), run_time=0.5)
        self.stage[key] = fresh
        return fresh

    def window_marker(self, grid: ValueGrid, step: Step, color=ACCENT, width: float = 6):
        """The window of ``step`` on the image grid: a frame, or its taps when dilated."""
        top, left, bottom, right = self.lesson.window_box(step)
        box = grid.outline(top, left, bottom, right, color, width)
        if self.lesson.problem.dilation == (1, 1):
            return box
        box.set_stroke(width=2, opacity=0.5).set_stroke(width=5, background=True)
        return VGroup(box, grid.taps(self.lesson.grid_cells(step), color, width))


FRAME_MARGIN_X = 6.95


def _inside_frame(grid: ValueGrid, center: np.ndarray) -> np.ndarray:
    """The shift that keeps ``grid``, with its cells centred on ``center``, inside the
    frame (its row numbers can reach past the cells' edge)."""
    offset = center - _body_center(grid)
    left = grid.get_left()[0] + offset[0]
    right = grid.get_right()[0] + offset[0]
    dx = max(0.0, -FRAME_MARGIN_X - left) - max(0.0, right - FRAME_MARGIN_X)
    return np.array([dx, 0.0, 0.0])


def _body_center(grid: ValueGrid) -> np.ndarray:
    """Centre of a grid's cells, ignoring the row and column numbers around them."""
    return grid.cells.get_center()
