"""Notation and the closing summary."""

from __future__ import annotations

from manim import DOWN, RIGHT, UP, FadeIn, FadeOut, Indicate, MathTex, VGroup, Write

from explainer.outputs import printing
from explainer.proof import symbolic
from scenes.components import ACCENT, INK, MUTED, ValueGrid, label
from scenes.stage import LectureScene


def notation(s: LectureScene) -> None:
    lesson = s.lesson
    words = lesson.labels
    s.heading("notation")
    small = 1.9
    rows, cols = len(lesson.padded_values), len(lesson.padded_values[0])
    kh, kw = lesson.problem.kernel.shape
    oh, ow = lesson.trace.output_shape
    image = ValueGrid(
        lesson.padded_values,
        small / max(rows, cols),
        lesson.scale,
        padding=lesson.padding_mask,
        show_labels=False,
        style=lesson.style,
    )
    # The formula's w is the filter as the user gave it (with the flip, read backwards):
    # draw that one, so that the indices in the formula refer to the drawn grid.
    kernel = ValueGrid(
        lesson.problem.kernel.tolist(),
        min(0.5, 1.2 / max(kh, kw)),
        lesson.scale,
        stroke=ACCENT,
        first_row=0,
        first_col=0,
        style=lesson.style.exact(),
    )
    result = ValueGrid(
        lesson.trace.output,
        small / max(oh, ow),
        lesson.scale,
        show_labels=False,
        style=lesson.style,
    )
    conv = MathTex(r"\otimes", color=INK).scale(1.3)
    eq = MathTex("=", color=INK).scale(1.3)
    row = VGroup(image, conv, kernel, eq, result).arrange(RIGHT, buff=0.5).move_to(UP * 1.7)
    kernel_name = words["filter-as-given"] if lesson.problem.flip else words["filter"]
    names = VGroup(
        label(words["image"] + "  x", size=0.24, color=MUTED).next_to(image, DOWN, buff=0.2),
        label(kernel_name + "  w", size=0.24, color=ACCENT).next_to(kernel, DOWN, buff=0.2),
        label(words["result"] + "  y", size=0.24, color=MUTED).next_to(result, DOWN, buff=0.2),
    )
    with s.beat("notation.symbol") as clock:
        # Each piece on stage on its own, not as one group: manim redraws every frame
        # everything after the first animated piece of the stage, so the filter's
        # highlight below would redraw the result, the names and the formula too.
        s.play(*[FadeIn(m) for m in (*row, *names)], run_time=clock.share(0.5))
    formula = MathTex(printing.latex(symbolic.general_formula(lesson.problem)), color=INK)
    if formula.width > 11:
        formula.scale_to_fit_width(11)
    formula.move_to(DOWN * 0.9)
    with s.beat("notation.formula") as clock:
        s.play(Write(formula), run_time=clock.share(0.7))
    symbols = VGroup(
        *[label(text, size=0.24, color=MUTED) for text in words["symbols"].split("; ")]
    ).arrange(RIGHT, buff=0.5)
    if symbols.width > 12.5:
        symbols.scale_to_fit_width(12.5)
    symbols.next_to(formula, DOWN, buff=0.45)
    with s.beat("notation.symbols") as clock:
        s.play(FadeIn(symbols), run_time=clock.share(0.4))
    with s.beat("notation.flip") as clock:
        s.play(Indicate(kernel, color=ACCENT, scale_factor=1.08), run_time=clock.share(0.4))
    if s.has("notation.symmetric"):
        # The filter turned by 180°, beside it: the same numbers in the same places.
        rotated = [row[::-1] for row in lesson.problem.kernel.tolist()[::-1]]
        turned = ValueGrid(
            rotated, kernel.cell_size, lesson.scale, stroke=ACCENT, style=lesson.style.exact()
        )
        same = MathTex("=", color=INK).scale(0.9)
        pair = VGroup(same, turned).arrange(RIGHT, buff=0.25).next_to(kernel, DOWN, buff=0.9)
        pair.add(label(words["filter-rotated"], size=0.24, color=ACCENT).next_to(turned, DOWN))
        with s.beat("notation.symmetric") as clock:
            s.play(FadeOut(formula), FadeOut(symbols), run_time=clock.share(0.15))
            s.play(FadeOut(names[1]), FadeIn(pair), run_time=clock.share(0.3))
    if s.has("notation.flip-effect"):
        changed, total = lesson.script.beat("notation.flip-effect").values
        count = label(f"{changed} / {total}", size=0.3, color=ACCENT)
        count.next_to(result, RIGHT, buff=0.3)
        with s.beat("notation.flip-effect") as clock:
            s.play(FadeIn(count), run_time=clock.share(0.15))
            s.play(Indicate(result, color=ACCENT, scale_factor=1.05), run_time=clock.share(0.4))
    s.clear_stage()


def conclusion(s: LectureScene) -> None:
    lesson = s.lesson
    s.heading("conclusion")
    oh, ow = lesson.trace.output_shape
    rows, cols = len(lesson.padded_values), len(lesson.padded_values[0])
    image = ValueGrid(
        lesson.padded_values,
        min(0.45, 4.2 / max(rows, cols)),
        lesson.scale,
        padding=lesson.padding_mask,
        show_labels=False,
        style=lesson.style,
    )
    result = ValueGrid(
        lesson.trace.output,
        min(0.5, 4.2 / max(oh, ow)),
        lesson.scale,
        show_labels=False,
        style=lesson.style,
    )
    arrow = MathTex(r"\longrightarrow", color=INK).scale(1.5)
    VGroup(image, arrow, result).arrange(RIGHT, buff=0.8).move_to(UP * 0.4)
    with s.beat("conclusion.summary") as clock:
        s.play(FadeIn(image), run_time=clock.share(0.12))
        s.play(FadeIn(arrow), FadeIn(result, shift=0.3 * RIGHT), run_time=clock.share(0.18))
    s.play(*[FadeOut(m) for m in s.mobjects], run_time=0.6)
    s.stage = {}
