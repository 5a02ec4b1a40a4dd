"""The lecture: two-dimensional convolution, section by section, drawn from the trace.

Render it with ``explainer render`` (MP4 + .srt into output/) or, as usual with manim,
``manim -ql scenes/lecture.py Lecture``. One section alone: ``explainer render --section
sweep`` or the scene classes named in :data:`SECTION_SCENES` (``manim -ql
scenes/lecture.py Sweep``).

Every number on screen is read from :class:`explainer.trace.Trace` or from sympy's
derivation of a pixel; the scenes choose, arrange and colour, and never compute a value.
The problem defaults to the lecture's example; set ``EXPLAINER_ARGS`` (e.g.
``--kernel sobel-x --padding same``) to explain another when using the manim command.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    PI,
    RIGHT,
    UP,
    Create,
    FadeIn,
    FadeOut,
    Indicate,
    LaggedStart,
    Line,
    MathTex,
    ReplacementTransform,
    Scene,
    Square,
    SurroundingRectangle,
    TransformFromCopy,
    VGroup,
    Write,
)

from explainer import printing, symbolic
from explainer.problem import Problem
from explainer.trace import Step, Trace, build_trace
from scenes.components import (
    ACCENT,
    BACKGROUND,
    INK,
    MATCH,
    MUTED,
    PARTIAL,
    EmptyGrid,
    Legend,
    ValueGrid,
    arrow_text,
    caption,
    count_words,
    diverging,
    filled_cell,
    fit_label_size,
    gray_scale,
    label,
    product_colour,
    show_factor,
    show_number,
)

FRAME_W, FRAME_H = 14.2, 8.0
CAPTION_Y = -3.45
HEADING_Y = 3.45
MAX_PIXELWISE = 16  # larger images and results switch to the summary sweep
MAX_MARKED = 6  # windows outlined at once; more turn the image into a tangle


def problem_from_environment() -> Problem:
    """The lecture's example, or the problem EXPLAINER_ARGS describes (parsed, never run)."""
    text = os.environ.get("EXPLAINER_ARGS", "").strip()
    if not text:
        from explainer import lecture_problem

        return lecture_problem()
    from explainer.cli import build_parser, problem_from_args
    from explainer.errors import ExplainerError
    from explainer.safe_io import printable

    try:
        args = build_parser().parse_args(["derive", *shlex.split(text)])
        return problem_from_args(args)
    except (ValueError, OSError) as err:  # shlex: "No closing quotation"; ExplainerError
        # Under the manim command a traceback would bury the one line that matters.
        what = ": " if isinstance(err, ExplainerError) else " cannot be split into options: "
        print(f"explainer: error: EXPLAINER_ARGS{what}{printable(str(err))}", file=sys.stderr)
        raise SystemExit(2) from None


@dataclass
class Lesson:
    """What the scenes show, read once from the trace and sympy: they add nothing to it."""

    problem: Problem

    @cached_property
    def trace(self) -> Trace:
        return build_trace(self.problem, exact=True)

    @cached_property
    def padded_values(self) -> tuple[tuple, ...]:
        return self.trace.padded_image

    @cached_property
    def padding_mask(self) -> list[list[bool]]:
        top, left = self.trace.padding_offset
        h, w = self.problem.image.shape
        rows, cols = len(self.padded_values), len(self.padded_values[0])
        return [
            [not (top <= r < top + h and left <= c < left + w) for c in range(cols)]
            for r in range(rows)
        ]

    def grid_cells(self, step: Step) -> list[tuple[int, int]]:
        """The step's taps in the padded grid's coordinates (row-major)."""
        top, left = self.trace.padding_offset
        return [(r + top, c + left) for r, c in step.positions]

    def window_box(self, step: Step) -> tuple[int, int, int, int]:
        """The step's window (:attr:`Step.window`) in the padded grid's coordinates."""
        top, left = self.trace.padding_offset
        r0, c0, r1, c1 = step.window
        return r0 + top, c0 + left, r1 + top, c1 + left

    @cached_property
    def best(self) -> tuple[Step, ...]:
        """The best matches, at most :data:`MAX_MARKED` of them (more would be clutter)."""
        return self.trace.best_matches()[:MAX_MARKED]

    @cached_property
    def best_count(self) -> int:
        return len(self.trace.best_matches())

    @cached_property
    def first(self) -> Step:
        """The patch multiplied out pixel by pixel: the first best match."""
        return self.best[0]

    @cached_property
    def second(self) -> Step:
        """A contrasting patch with negative products: the first best match's right-hand
        neighbour when it has some, else the first step that has."""
        i, j = self.first.index
        oh, ow = self.trace.output_shape
        if j + 1 < ow:
            neighbour = self.trace.step(i, j + 1)
            if any(p < 0 for p in neighbour.products):
                return neighbour
        for step in self.trace.steps:
            if any(p < 0 for p in step.products) and step.value != self.first.value:
                return step
        return self.trace.steps[-1]

    @cached_property
    def partial(self) -> tuple[Step, ...]:
        """Up to three runner-up windows, for the hint of partial matches."""
        best_value = self.first.value
        others = sorted(
            (s for s in self.trace.steps if s.value != best_value),
            key=lambda s: (-s.value, s.index),
        )
        return tuple(others[:3])

    def derivation(self, step: Step) -> symbolic.PixelDerivation:
        return symbolic.derive_pixel(self.problem, *step.index)

    @cached_property
    def image_colour(self):
        values = [v for row in self.padded_values for v in row]
        return gray_scale(float(min(values)), float(max(values)))

    @cached_property
    def kernel_colour(self):
        values = [v for row in self.trace.applied_kernel for v in row]
        return gray_scale(float(min(values)), float(max(values)))

    @cached_property
    def result_colour(self):
        return diverging(float(self.trace.largest_magnitude()))

    @cached_property
    def legend_ticks(self) -> tuple:
        """Top, middle and bottom of the colour scale: +m, 0, −m, read from the trace."""
        return self.trace.colour_scale_ticks()

    @property
    def pixelwise(self) -> bool:
        rows, cols = len(self.padded_values), len(self.padded_values[0])
        oh, ow = self.trace.output_shape
        return max(rows, cols, oh, ow) <= MAX_PIXELWISE


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


def article(n: int) -> str:
    """'A' or 'An' before a number read aloud: an 8×8, an 11×11, a 9×9."""
    spoken = str(n)
    return "An" if spoken.startswith("8") or spoken in ("11", "18") else "A"


def reading_time(text: str) -> float:
    """Seconds a viewer needs to read a caption: about 15 characters a second, at least 2."""
    return max(2.0, 0.6 + len(text) / 15)


class LectureScene(Scene):
    """Base of every lecture scene: prepares the lesson, narrates, keeps the layout tidy."""

    problem: Problem | None = None
    sections: Sequence[str] = ()
    progress = None  # explainer.render.Progress, when rendered by `explainer render`
    frames: dict[str, np.ndarray] | None = None  # set to a dict to keep checkpoint frames

    def checkpoint(self, name: str) -> None:
        """Keep the current frame under ``name`` (key frames for the frame tests)."""
        if self.frames is None:
            return
        self.camera.reset()
        self.camera.capture_mobjects(self.mobjects)
        self.frames[name] = self.camera.pixel_array.copy()

    def setup(self) -> None:
        self.camera.background_color = BACKGROUND
        self.lesson = Lesson(
            self.problem if self.problem is not None else problem_from_environment()
        )
        self._caption = None
        self._heading = None
        self.stage: dict[str, object] = {}

    def play(self, *args, **kwargs) -> None:
        # manim redraws every frame each mobject above the lowest moving one; lifting the
        # animated mobjects to the top keeps the rest in the static background.
        movers = [m for m in _animated_mobjects(args) if m in self.mobjects]
        if movers:
            self.bring_to_front(*movers)
        super().play(*args, **kwargs)
        if self.progress is not None:
            self.progress.animation(self.time)

    # ----- narration ----------------------------------------------------------------------

    @contextlib.contextmanager
    def say(self, text: str) -> Iterator[None]:
        """Show ``text`` as the caption while the block's animations play; record it as a
        subcaption spanning exactly that time, waiting if the block is shorter to read."""
        new = caption(text).move_to(np.array([0.0, CAPTION_Y, 0.0]))
        if self._caption is None:
            self.play(FadeIn(new, shift=0.1 * UP), run_time=0.4)
        else:
            self.play(ReplacementTransform(self._caption, new), run_time=0.4)
        self._caption = new
        start = self.time - 0.4
        yield
        elapsed = self.time - start
        if elapsed < reading_time(text):
            self.wait(reading_time(text) - elapsed)
        duration = self.time - start
        self.add_subcaption(text, duration=duration, offset=-duration)

    def heading(self, text: str) -> None:
        new = label(text, size=0.3, color=MUTED).to_corner(UP + LEFT, buff=0.35)
        if self._heading is None:
            self.play(FadeIn(new), run_time=0.3)
        else:
            self.play(ReplacementTransform(self._heading, new), run_time=0.3)
        self._heading = new

    def clear_stage(self, keep: Sequence[str] = ()) -> None:
        """Fade out everything but the named stage pieces and the caption."""
        kept = [self.stage[k] for k in keep if k in self.stage]
        gone = [
            m
            for m in self.mobjects
            if m not in kept and m is not self._caption and m is not self._heading
        ]
        if gone:
            self.play(*[FadeOut(m) for m in gone], run_time=0.5)
        self.stage = {k: self.stage[k] for k in keep if k in self.stage}

    # ----- pieces that persist between sections -------------------------------------------

    def image_grid(self, cell: float, center: np.ndarray) -> ValueGrid:
        """The (padded) image, moved into place if already shown, else faded in."""
        lesson = self.lesson
        return self._place(
            "image",
            cell,
            center,
            lambda: ValueGrid(
                lesson.padded_values,
                cell,
                lesson.image_colour,
                padding=lesson.padding_mask,
                show_labels=lesson.pixelwise,  # past 16×16 the numbers would be unreadable
            ),
        )

    def kernel_grid(self, cell: float, center: np.ndarray, as_given: bool = False) -> ValueGrid:
        """The kernel as applied (flipped for true convolution), or ``as_given`` by the user."""
        lesson = self.lesson
        values = lesson.problem.kernel.tolist() if as_given else lesson.trace.applied_kernel
        return self._place(
            "kernel",
            cell,
            center,
            lambda: ValueGrid(values, cell, lesson.kernel_colour, stroke=ACCENT),
        )

    def _place(
        self, key: str, cell: float, center: np.ndarray, make: Callable[[], ValueGrid]
    ) -> ValueGrid:
        old = self.stage.get(key)
        if old is not None and old in self.mobjects:
            if np.isclose(old.cell_size, cell):
                if not np.allclose(old.get_center(), center):
                    self.play(old.animate.move_to(center), run_time=0.8)
                return old
            self.play(old.animate.scale(cell / old.cell_size).move_to(center), run_time=0.8)
            old.cell_size = cell
            return old
        fresh = make().move_to(center)
        self.play(FadeIn(fresh), run_time=0.8)
        self.stage[key] = fresh
        return fresh

    def window_marker(self, grid: ValueGrid, step: Step, color=ACCENT, width: float = 6):
        """The window of ``step`` on the image grid: a frame, or its taps when dilated."""
        top, left, bottom, right = self.lesson.window_box(step)
        box = grid.outline(top, left, bottom, right, color, width)
        if self.lesson.problem.dilation == (1, 1):
            return box
        box.set_stroke(width=2, opacity=0.5)
        return VGroup(box, grid.taps(self.lesson.grid_cells(step), color, width))

    # ----- the storyboard -----------------------------------------------------------------

    def construct(self) -> None:
        chosen = self.sections or tuple(name for name, _ in storyboard(self.lesson))
        previous = None
        for index, (name, section) in enumerate(storyboard(self.lesson)):
            if name not in chosen:
                continue
            if previous is not None and index != previous + 1:
                # Sections hand their last picture to the next one; when a selection skips
                # sections in between, start the next one from a clean stage instead.
                self.clear_stage()
            self.next_section(name)
            if self.progress is not None:
                self.progress.section(name)
            section(self)
            previous = index
        self.wait(0.5)


# ----- sections --------------------------------------------------------------------------


def section_title(s: LectureScene) -> None:
    title = label("Convolution in two dimensions", size=0.6, weight="BOLD")
    if title.width > 12.5:
        title.scale_to_fit_width(12.5)
    sub = label("image ⊗ filter: slide, multiply, add, divide", size=0.34, color=MUTED)
    what = label(s.lesson.problem.describe(), size=0.24, color=MUTED)
    if what.width > 12.5:
        what.scale_to_fit_width(12.5)
    VGroup(title, sub, what).arrange(DOWN, buff=0.4).move_to(UP * 0.4)
    s.play(Write(title), run_time=1.2)
    with s.say("How does a computer find a pattern in an image? With convolution."):
        s.play(FadeIn(sub, shift=0.2 * UP), FadeIn(what))
    s.stage["title"] = VGroup(title, sub, what)
    s.clear_stage()


def section_image(s: LectureScene) -> None:
    s.heading("The image")
    lesson = s.lesson
    rows = len(lesson.padded_values)
    h, w = lesson.problem.image.shape
    cell = min(0.62, 5.6 / max(rows, len(lesson.padded_values[0])))
    s.image_grid(cell, ORIGIN + 0.3 * UP)
    values = {v for row in lesson.problem.image.tolist() for v in row}
    if values <= {1, -1}:
        text = f"{article(h)} {h}×{w} image: each white pixel is +1, each black pixel is −1."
    else:
        text = (
            f"{article(h)} {h}×{w} image: each pixel is a number, dark for low and light for high."
        )
    with s.say(text):
        s.wait(1.5)
    if any(lesson.problem.padding):
        with s.say(
            "Padding adds a border of "
            + (
                "zeros"
                if lesson.problem.padding_mode == "zeros"
                else lesson.problem.padding_mode + " values"
            )
            + " around it, so the filter can reach the edges."
        ):
            pad_cells = [
                s.stage["image"].cell(r, c)
                for r, row in enumerate(lesson.padding_mask)
                for c, p in enumerate(row)
                if p
            ]
            # Outline copies: animating the grid's own cells would pull them out of it.
            marks = VGroup(
                *[SurroundingRectangle(c, color=ACCENT, buff=0, stroke_width=3) for c in pad_cells]
            )
            s.play(LaggedStart(*[Create(m) for m in marks], lag_ratio=0.02), run_time=1.2)
            s.play(FadeOut(marks), run_time=0.5)


def section_filter(s: LectureScene) -> None:
    s.heading("The filter")
    lesson = s.lesson
    cell = min(0.6, 5.4 / max(len(lesson.padded_values), len(lesson.padded_values[0])))
    s.image_grid(cell, np.array([-3.2, 0.2, 0]))
    kh, kw = lesson.problem.kernel.shape
    s.kernel_grid(
        min(0.75, 3.6 / max(kh, kw)), np.array([3.6, 0.3, 0]), as_given=lesson.problem.flip
    )
    name = label("filter", size=0.3, color=ACCENT).next_to(s.stage["kernel"], UP, buff=0.3)
    s.play(FadeIn(name), run_time=0.4)
    s.stage["kernel-name"] = name
    with s.say(f"A {kh}×{kw} filter: the pattern we are looking for."):
        s.wait(1.5)
    s.checkpoint("image-and-filter")
    if lesson.problem.flip:
        section_flip(s)


def section_flip(s: LectureScene) -> None:
    """True convolution: the kernel turns by 180° before it slides."""
    original = s.stage["kernel"]  # shown as given by section_filter
    flipped = ValueGrid(
        s.lesson.trace.applied_kernel, original.cell_size, s.lesson.kernel_colour, stroke=ACCENT
    ).move_to(original)
    with s.say(
        "True convolution first rotates the filter by 180°: its last row becomes its first."
    ):
        s.play(original.animate.rotate(PI), run_time=1.5)
        s.play(ReplacementTransform(original, flipped), run_time=0.6)
    s.stage["kernel"] = flipped


def _ensure_image_and_filter(s: LectureScene) -> ValueGrid:
    """Sections rendered alone start by showing what the filter section leaves."""
    if "image" not in s.stage or "kernel" not in s.stage:
        section_filter(s)
    return s.stage["image"]


def section_matches(s: LectureScene) -> None:
    grid = _ensure_image_and_filter(s)
    s.heading("Where does the pattern appear?")
    lesson = s.lesson
    exact = [s.window_marker(grid, step, MATCH) for step in lesson.best]
    count = lesson.best_count
    lead = count_words(count, "window matches", "windows match").capitalize()
    shown = "" if count == len(exact) else f" (the first {len(exact)} are outlined)"
    with s.say(f"{lead} the pattern best{shown}: here it appears whole."):
        for m in exact:  # one at a time: neighbouring windows overlap
            s.play(Create(m), run_time=0.5)
            s.play(m.animate.set_stroke(width=3), run_time=0.3)
    hints = [s.window_marker(grid, step, PARTIAL, width=3) for step in lesson.partial]
    if hints:
        with s.say("Other places hold similar, partial patterns."):
            s.play(LaggedStart(*[Create(h) for h in hints], lag_ratio=0.3), run_time=1.2)
    s.play(*[FadeOut(m) for m in exact + hints], run_time=0.5)


def section_operation(s: LectureScene) -> None:
    grid = _ensure_image_and_filter(s)
    s.heading("The operation")
    lesson = s.lesson
    steps = lesson.trace.steps
    oh, ow = lesson.trace.output_shape
    marker = laid_filter(s, grid, steps[0])
    dh, dw = lesson.problem.dilation
    if (dh, dw) == (1, 1):
        lay = "Lay the filter over a patch of the image, the same size as the filter."
    else:
        gap = str(dh) if dh == dw else f"{dh} rows and {dw} columns"
        lay = (
            f"With dilation {gap}, the filter's pixels lie {gap} apart on the image: "
            "the patch has gaps."
        )
    with s.say(lay):
        s.play(TransformFromCopy(s.stage["kernel"], marker), run_time=1.2)
    path = [lesson.trace.step(0, j) for j in range(1, min(ow, 4))]
    if oh > 1:
        path.append(lesson.trace.step(1, 0))
    stride = lesson.problem.stride
    moved = (
        f"Then shift it by {stride[1]} pixel{'s' if stride[1] > 1 else ''}"
        if stride != (1, 1)
        else "Then shift it one pixel"
    )
    with s.say(f"{moved} and repeat, as in one dimension, row after row."):
        for step in path:
            s.play(marker.animate.become(laid_filter(s, grid, step)), run_time=0.6)
    s.play(FadeOut(marker), run_time=0.3)


def laid_filter(s: LectureScene, grid: ValueGrid, step: Step) -> VGroup:
    """The filter laid over a patch: its taps tinted in the filter's colour, and the window."""
    tints = VGroup()
    for r, c in s.lesson.grid_cells(step):
        tint = Square(side_length=grid.cell_size, stroke_width=0)
        tint.set_fill(ACCENT, opacity=0.35).move_to(grid.cell(r, c))
        tints.add(tint)
    return VGroup(tints, s.window_marker(grid, step))


def _product_layout(s: LectureScene, step: Step) -> dict:
    """Patch × filter = products, in a row on the right; the image on the left."""
    lesson = s.lesson
    kh, kw = step.kernel_shape
    cell = min(0.7, 2.2 / max(kh, kw))
    rows = len(lesson.padded_values)
    image_cell = min(0.5, 5.0 / max(rows, len(lesson.padded_values[0])))
    grid = s.image_grid(image_cell, np.array([-4.55, 0.2, 0]))
    s.kernel_grid(cell, np.array([2.65, 1.1, 0]))
    if "kernel-name" in s.stage:
        s.play(FadeOut(s.stage.pop("kernel-name")), run_time=0.3)
    patch = ValueGrid(
        step.grid(step.patch), cell, lesson.image_colour, padding=step.grid(step.in_padding)
    ).move_to(np.array([-0.35, 1.1, 0]))
    products = EmptyGrid(kh, kw, cell).move_to(np.array([5.65, 1.1, 0]))
    times = label("×", size=0.5).move_to(np.array([1.15, 1.1, 0]))
    equals = label("=", size=0.5).move_to(np.array([4.15, 1.1, 0]))
    titles = VGroup(
        label("patch", size=0.26, color=MUTED).next_to(patch, UP, buff=0.2),
        label("filter", size=0.26, color=ACCENT).next_to(s.stage["kernel"], UP, buff=0.2),
        label("products", size=0.26, color=MUTED).next_to(products, UP, buff=0.2),
    )
    marker = s.window_marker(grid, step)
    size = fit_label_size([show_number(p) for p in step.products], cell)
    return dict(
        grid=grid,
        patch=patch,
        products=products,
        times=times,
        equals=equals,
        titles=titles,
        marker=marker,
        product_size=size,
    )


def _multiply(s: LectureScene, step: Step, layout: dict, slow: int) -> VGroup:
    """Fill the product array tap by tap, writing x · w = p; the first ``slow`` taps slowly."""
    kh, kw = step.kernel_shape
    kernel = s.stage["kernel"]
    filled = VGroup()
    line = None
    for k in range(kh * kw):
        r, c = divmod(k, kw)
        x, w, p = step.patch[k], step.weights[k], step.products[k]
        text = arrow_text([show_factor(x), "·", show_factor(w), "=", show_number(p)], size=0.4)
        text.move_to(np.array([2.65, -0.95, 0]))
        cell = filled_cell(layout["products"], r, c, p, product_colour, layout["product_size"])
        hi = VGroup(
            SurroundingRectangle(layout["patch"].cell(r, c), color=ACCENT, buff=0),
            SurroundingRectangle(kernel.cell(r, c), color=ACCENT, buff=0),
        )
        fast = k >= slow
        t = 0.25 if fast else 0.6
        anims = [FadeIn(hi, run_time=t)]
        anims.append(ReplacementTransform(line, text) if line is not None else FadeIn(text))
        s.play(*anims, run_time=t)
        # A copy of the product flies into its cell as the cell appears (animating the
        # cell's own parts would pull them out of the cell's group).
        flying = text[-1].copy()
        s.play(FadeIn(cell), FadeOut(flying, target_position=cell.get_center()), run_time=t)
        s.remove(hi)
        if not fast:
            s.wait(0.3)
        filled.add(cell)
        line = text
    s.play(FadeOut(line), run_time=0.3)
    return filled


def section_multiply(s: LectureScene) -> None:
    s.heading("Multiply, pixel by pixel")
    step = s.lesson.first
    layout = _product_layout(s, step)
    i, j = step.index
    with s.say(f"Take the patch at output position ({i}, {j}), where the filter fits best."):
        s.play(Create(layout["marker"]), run_time=0.6)
        s.play(
            FadeIn(layout["patch"], shift=0.2 * RIGHT),
            FadeIn(layout["times"]),
            FadeIn(layout["equals"]),
            FadeIn(layout["titles"]),
            Create(layout["products"]),
            run_time=1.0,
        )
    with s.say("Multiply each image pixel by the filter pixel over it, into a temporary array."):
        filled = _multiply(s, step, layout, slow=3)
    s.checkpoint("products")
    s.stage.update(
        patch=layout["patch"],
        products=layout["products"],
        filled=filled,
        times=layout["times"],
        equals=layout["equals"],
        titles=layout["titles"],
        marker=layout["marker"],
        product_step=step,
    )


def _sum_and_divide(s: LectureScene, step: Step, filled: VGroup, anchor_y: float) -> VGroup:
    """Products → their sum → divided by the divisor: each number read from the trace."""
    lesson = s.lesson
    terms = [show_factor(p) if k else show_number(p) for k, p in enumerate(step.products)]
    sum_line = label(" + ".join(terms) + f" = {show_number(step.total)}", size=0.34)
    if sum_line.width > 6.8:
        sum_line.scale_to_fit_width(6.8)
    sum_line.move_to(np.array([3.2, anchor_y, 0]))
    s.play(TransformFromCopy(filled, sum_line), run_time=1.2)
    parts = VGroup(sum_line)
    if lesson.problem.normalize is not None:
        what = "kernel area" if lesson.problem.normalize == "area" else "kernel sum"
        div = label(
            f"{show_number(step.total)} ÷ {show_number(lesson.trace.divisor)} = "
            f"{show_number(step.value)}",
            size=0.42,
            color=INK,
        )
        note = label(f"÷ {what}", size=0.24, color=MUTED)
        div.next_to(sum_line, DOWN, buff=0.35)
        note.next_to(div, DOWN, buff=0.15)
        s.play(FadeIn(div, shift=0.2 * DOWN), FadeIn(note), run_time=0.8)
        parts.add(div, note)
    return parts


def _sympy_block(s: LectureScene, step: Step, width: float = 6.2, height: float = 2.6) -> MathTex:
    """This pixel's derivation as sympy writes it, rows broken like the kernel."""
    der = s.lesson.derivation(step)
    i, j = step.index
    scale, rows = printing.latex_rows(der.substituted, step.kernel_shape[1])
    body = r" \\ &\quad + ".join(rows)
    head = rf"y_{{{i},{j}}} &= " + (rf"{scale} \Big( " if scale else "")
    tail = r" \Big)" if scale else ""
    value = printing.latex(der.value)
    tex = MathTex(
        r"\begin{aligned} " + head + body + tail + rf" \\ &= {value} \end{{aligned}}", color=INK
    )
    if tex.width > width:
        tex.scale_to_fit_width(width)
    if tex.height > height:
        tex.scale_to_fit_height(height)
    return tex


def section_average(s: LectureScene) -> None:
    s.heading("Add, then divide" if s.lesson.problem.normalize else "Add")
    lesson = s.lesson
    step = lesson.first
    if s.stage.get("product_step") is not step:
        layout = _product_layout(s, step)
        s.add(
            layout["marker"],
            layout["patch"],
            layout["times"],
            layout["equals"],
            layout["titles"],
            layout["products"],
        )
        filled = VGroup(
            *[
                filled_cell(
                    layout["products"],
                    *divmod(k, step.kernel_shape[1]),
                    p,
                    product_colour,
                    layout["product_size"],
                )
                for k, p in enumerate(step.products)
            ]
        )
        s.add(filled)
        s.stage.update(layout, filled=filled, product_step=step)
    filled = s.stage["filled"]
    n = len(step.products)
    if lesson.problem.normalize == "area":
        text = (
            f"Add the {n} products and divide by {show_number(lesson.trace.divisor)}, "
            "the number of pixels: the average product."
        )
    elif lesson.problem.normalize == "sum":
        text = f"Add the {n} products and divide by the filter's sum."
    else:
        text = f"Add the {n} products: their sum is the output pixel."
    with s.say(text):
        _sum_and_divide(s, step, filled, anchor_y=-0.9)
    best = (
        f"Here it is exactly {show_number(step.value)}: a perfect match."
        if step in lesson.best and lesson.problem.normalize == "area" and step.value == 1
        else f"Here it is {show_number(step.value)}, the largest value of all."
    )
    # Make room on the left for sympy: the products and the sums stay as the summary.
    done = [
        s.stage.pop(k)
        for k in ("image", "marker", "patch", "times", "kernel", "equals", "titles")
        if k in s.stage
    ]
    s.play(*[FadeOut(m) for m in done], run_time=0.5)
    tex = _sympy_block(s, step, width=6.2, height=3.2).move_to(np.array([-3.7, 0.5, 0]))
    tex_title = label("sympy's derivation", size=0.26, color=MUTED).next_to(tex, UP, buff=0.3)
    with s.say(best + " Beside it, the same sum as sympy derives it."):
        s.play(Write(tex), FadeIn(tex_title), run_time=1.5)
    s.clear_stage()


def section_second_patch(s: LectureScene) -> None:
    lesson = s.lesson
    step = lesson.second
    s.heading("A patch that differs")
    layout = _product_layout(s, step)
    i, j = step.index
    negatives = step.negative_products
    with s.say(
        f"Now the patch at ({i}, {j}). Where it differs from the filter, the product is negative."
    ):
        s.play(
            Create(layout["marker"]),
            FadeIn(layout["patch"]),
            FadeIn(layout["times"]),
            FadeIn(layout["equals"]),
            FadeIn(layout["titles"]),
            Create(layout["products"]),
            run_time=0.8,
        )
        filled = _multiply(s, step, layout, slow=0)
    negatives_text = count_words(negatives, "negative product", "negative products")
    verb = "pulls" if negatives == 1 else "pull"
    with s.say(
        f"{negatives_text.capitalize()} {verb} the sum down: "
        f"the value is only {show_number(step.value)}."
    ):
        _sum_and_divide(s, step, filled, anchor_y=-0.9)
        neg_cells = [cell for cell, p in zip(filled, step.products, strict=True) if p < 0]
        if neg_cells:
            s.play(
                LaggedStart(*[Indicate(c, color=PARTIAL) for c in neg_cells], lag_ratio=0.1),
                run_time=1.0,
            )
    s.clear_stage()


def _result_layout(s: LectureScene) -> tuple[ValueGrid, ValueGrid, Legend]:
    lesson = s.lesson
    oh, ow = lesson.trace.output_shape
    rows, cols = len(lesson.padded_values), len(lesson.padded_values[0])
    image_cell = min(0.5, 4.6 / max(rows, cols))
    grid = s.image_grid(image_cell, np.array([-4.35, 0.2, 0]))
    cell = min(0.8, 5.4 / max(oh, ow))
    empty = EmptyGrid(oh, ow, cell).move_to(np.array([1.9, 0.2, 0]))
    ticks = lesson.legend_ticks
    legend = Legend(ticks[0], lesson.result_colour, height=min(4.0, empty.height), ticks=ticks)
    legend.next_to(empty, RIGHT, buff=0.45)
    return grid, empty, legend


def section_output_size(s: LectureScene) -> None:
    """How many output pixels: the size formula with this problem's numbers (from sympy)."""
    lesson = s.lesson
    p = lesson.problem
    s.heading("How big is the result?")
    formula = MathTex(
        printing.latex(symbolic.output_size_formula(), break_long_fractions=False), color=INK
    )
    formula.scale_to_fit_width(min(formula.width, 11)).move_to(UP * 1.3)
    lines = VGroup()
    (h, w), (kh, kw) = p.image.shape, p.kernel.shape
    top, bottom, left, right = p.padding
    axes = (
        ("rows", h, top, bottom, kh, p.stride[0], p.dilation[0]),
        ("columns", w, left, right, kw, p.stride[1], p.dilation[1]),
    )
    for name, n, before, after, k, st, d in axes:
        out = symbolic.output_size(n, before, after, k, st, d)
        tex = MathTex(
            rf"\text{{{name}: }} \left\lfloor \frac{{{n} + {before} + {after} - "
            rf"{d}\cdot({k}-1) - 1}}{{{st}}} \right\rfloor + 1 = {out}",
            color=INK,
        )
        lines.add(tex)
    lines.arrange(DOWN, buff=0.4).next_to(formula, DOWN, buff=0.6)
    if lines.width > 12:
        lines.scale_to_fit_width(12)
    oh, ow = lesson.trace.output_shape
    with s.say(
        f"The window fits {oh} times down and {ow} times across: the result has {oh}×{ow} pixels."
    ):
        s.play(Write(formula), run_time=1.2)
        s.play(FadeIn(lines, shift=0.2 * DOWN), run_time=1.0)
    s.clear_stage()


def section_sweep(s: LectureScene) -> None:
    lesson = s.lesson
    s.heading("Every patch")
    grid, empty, legend = _result_layout(s)
    oh, ow = lesson.trace.output_shape
    out_title = label("result", size=0.28, color=MUTED).next_to(empty, UP, buff=0.25)
    with s.say(
        f"Do the same for every patch, and write each value into a {oh}×{ow} "
        "result: one pixel per patch."
    ):
        s.play(Create(empty), FadeIn(out_title), FadeIn(legend), run_time=1.0)
    marker = s.window_marker(grid, lesson.trace.steps[0])
    s.add(marker)
    cells = VGroup()
    total = len(lesson.trace.steps)
    size = fit_label_size(
        [show_number(v) for row in lesson.trace.output for v in row], empty.cell_size
    )
    per_step = max(0.12, min(0.35, 14.0 / total))
    with s.say(
        "Values near 1 are red, near −1 blue; each one an exact fraction."
        if lesson.problem.normalize == "area"
        else "Large values are red, negative ones blue; each one exact."
    ):
        for step in lesson.trace.steps:
            cell = filled_cell(empty, *step.index, step.value, lesson.result_colour, size)
            s.play(
                marker.animate.become(s.window_marker(grid, step)), FadeIn(cell), run_time=per_step
            )
            cells.add(cell)
    s.play(FadeOut(marker), run_time=0.3)
    s.stage.update(result_cells=cells, result_empty=empty)


def section_result(s: LectureScene) -> None:
    lesson = s.lesson
    s.heading("The result")
    if "result_cells" not in s.stage:
        grid, empty, legend = _result_layout(s)
        size = fit_label_size(
            [show_number(v) for row in lesson.trace.output for v in row], empty.cell_size
        )
        cells = VGroup(
            *[
                filled_cell(empty, *st.index, st.value, lesson.result_colour, size)
                for st in lesson.trace.steps
            ]
        )
        title = label("result", size=0.28, color=MUTED).next_to(empty, UP, buff=0.25)
        s.play(FadeIn(empty), FadeIn(cells), FadeIn(legend), FadeIn(title), run_time=0.8)
        s.stage.update(result_cells=cells, result_empty=empty)
    grid = s.stage["image"]
    empty = s.stage["result_empty"]
    boxes, windows, links = VGroup(), VGroup(), VGroup()
    for step in lesson.best:
        box = SurroundingRectangle(empty.cell(*step.index), color=MATCH, buff=0.02, stroke_width=6)
        window = s.window_marker(grid, step, MATCH)
        # From the result's left edge to the image's right edge, in the two rows: the line
        # crosses only the gap between them, never a number.
        start = np.array([empty.get_left()[0] - 0.05, box.get_center()[1], 0])
        end = np.array([grid.get_right()[0] + 0.05, window.get_center()[1], 0])
        link = Line(start, end, color=MATCH, stroke_width=3, stroke_opacity=0.8)
        boxes.add(box)
        windows.add(window)
        links.add(link)
    value = show_number(lesson.first.value)
    with s.say(
        f"The {count_words(lesson.best_count, 'pixel', 'pixels')} equal to {value} "
        "are exactly where the image matches the filter."
        if lesson.best_count > 1
        else f"The pixel equal to {value} is where the image matches the filter best."
    ):
        s.play(LaggedStart(*[Create(b) for b in boxes], lag_ratio=0.2), run_time=1.0)
        s.play(
            LaggedStart(*[Create(line) for line in links], lag_ratio=0.2),
            LaggedStart(*[Create(w) for w in windows], lag_ratio=0.2),
            run_time=1.5,
        )
    with s.say("The others show partial matches, to varying degrees."):
        s.wait(1.0)
    s.checkpoint("result-map")
    s.play(FadeOut(links), run_time=0.4)
    s.stage.update(match_boxes=boxes, match_windows=windows)
    s.clear_stage()


def section_notation(s: LectureScene) -> None:
    lesson = s.lesson
    s.heading("Notation")
    small = 1.9
    rows, cols = len(lesson.padded_values), len(lesson.padded_values[0])
    kh, kw = lesson.problem.kernel.shape
    oh, ow = lesson.trace.output_shape
    image = ValueGrid(
        lesson.padded_values,
        small / max(rows, cols),
        lesson.image_colour,
        padding=lesson.padding_mask,
        show_labels=False,
    )
    kernel = ValueGrid(
        lesson.trace.applied_kernel,
        0.9 / max(kh, kw),
        lesson.kernel_colour,
        show_labels=False,
        stroke=ACCENT,
    )
    result = ValueGrid(
        lesson.trace.output, small / max(oh, ow), lesson.result_colour, show_labels=False
    )
    conv = MathTex(r"\otimes", color=INK).scale(1.3)
    eq = MathTex("=", color=INK).scale(1.3)
    row = VGroup(image, conv, kernel, eq, result).arrange(RIGHT, buff=0.5).move_to(UP * 1.6)
    names = VGroup(
        label("image", size=0.24, color=MUTED).next_to(image, DOWN, buff=0.2),
        label("filter", size=0.24, color=ACCENT).next_to(kernel, DOWN, buff=0.2),
        label("result", size=0.24, color=MUTED).next_to(result, DOWN, buff=0.2),
    )
    with s.say("We write it image ⊗ filter = result."):
        s.play(FadeIn(row), FadeIn(names), run_time=1.0)
    formula = MathTex(printing.latex(symbolic.general_formula(lesson.problem)), color=INK)
    if formula.width > 11:
        formula.scale_to_fit_width(11)
    formula.move_to(DOWN * 1.3)
    what = (
        "the average of the products under the filter"
        if lesson.problem.normalize == "area"
        else "the sum of the products under the filter"
    )
    with s.say(f"One output pixel, in general: {what}."):
        s.play(Write(formula), run_time=1.5)
    note = (
        "No flip here: deep-learning libraries call this convolution; strictly, it is "
        "cross-correlation."
        if not lesson.problem.flip
        else "With the flip, this is convolution in the mathematical sense."
    )
    with s.say(note):
        s.wait(1.0)
    s.clear_stage()


def section_conclusion(s: LectureScene) -> None:
    lesson = s.lesson
    s.heading("In short")
    oh, ow = lesson.trace.output_shape
    image = ValueGrid(
        lesson.padded_values,
        min(0.45, 4.2 / len(lesson.padded_values)),
        lesson.image_colour,
        padding=lesson.padding_mask,
        show_labels=False,
    )
    result = ValueGrid(
        lesson.trace.output, min(0.5, 4.2 / max(oh, ow)), lesson.result_colour, show_labels=False
    )
    arrow = MathTex(r"\longrightarrow", color=INK).scale(1.5)
    VGroup(image, arrow, result).arrange(RIGHT, buff=0.8).move_to(UP * 0.4)
    with s.say(
        "The result is again an image: each pixel says how well the image "
        "around it matches the filter."
    ):
        s.play(FadeIn(image), run_time=0.6)
        s.play(FadeIn(arrow), FadeIn(result, shift=0.3 * RIGHT), run_time=1.0)
    s.wait(1.0)
    s.play(*[FadeOut(m) for m in s.mobjects], run_time=0.8)


def section_summary_sweep(s: LectureScene) -> None:
    """For problems too large to show pixel by pixel: the result as a heatmap."""
    lesson = s.lesson
    s.heading("Every patch")
    oh, ow = lesson.trace.output_shape
    result = ValueGrid(
        lesson.trace.output, min(0.62, 5.4 / max(oh, ow)), lesson.result_colour, show_labels=False
    ).move_to(np.array([-1.0, 0.2, 0]))
    ticks = lesson.legend_ticks
    legend = Legend(ticks[0], lesson.result_colour, height=min(4.0, result.height), ticks=ticks)
    legend.next_to(result, RIGHT, buff=0.45)
    with s.say(
        f"The {oh}×{ow} result is too large to write out pixel by pixel; "
        "its colours show every value."
    ):
        s.play(FadeIn(result), FadeIn(legend), run_time=1.2)
    s.clear_stage()


Section = Callable[[LectureScene], None]


# Every section in lecture order; the storyboard of a problem leaves out what it does not need.
SECTIONS: dict[str, Section] = {
    "title": section_title,
    "image": section_image,
    "filter": section_filter,
    "matches": section_matches,
    "operation": section_operation,
    "multiply": section_multiply,
    "average": section_average,
    "second-patch": section_second_patch,
    "output-size": section_output_size,
    "sweep": section_sweep,
    "result": section_result,
    "notation": section_notation,
    "conclusion": section_conclusion,
}


def storyboard(lesson: Lesson) -> list[tuple[str, Section]]:
    """The lecture's sections, in order. Problems with stride, padding or dilation get a
    section on the result's size; large ones get a summary instead of the pixel sweep."""
    p = lesson.problem
    plain_size = p.stride == (1, 1) and not any(p.padding) and p.dilation == (1, 1)
    board: list[tuple[str, Section]] = []
    for name, section in SECTIONS.items():
        if name == "output-size" and plain_size:
            continue
        if not lesson.pixelwise and name == "result":
            continue
        if not lesson.pixelwise and name == "sweep":
            section = section_summary_sweep
        board.append((name, section))
    return board


SECTION_NAMES = tuple(SECTIONS)


class Lecture(LectureScene):
    """The whole lecture."""


def _section_scene(name: str) -> type[LectureScene]:
    cls_name = "".join(part.capitalize() for part in name.split("-"))
    return type(
        cls_name,
        (LectureScene,),
        {"sections": (name,), "__doc__": f"The lecture's {name} section alone."},
    )


SECTION_SCENES = {name: _section_scene(name) for name in SECTION_NAMES}
globals().update({cls.__name__: cls for cls in SECTION_SCENES.values()})

__all__ = [
    "Lecture",
    "LectureScene",
    "Lesson",
    "SECTION_NAMES",
    "SECTION_SCENES",
    "storyboard",
    *[cls.__name__ for cls in SECTION_SCENES.values()],
]
