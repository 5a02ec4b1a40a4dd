"""One patch worked out: multiply pixel by pixel, add, divide; then a patch that differs."""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
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
    SurroundingRectangle,
    VGroup,
    Write,
)

from explainer.core.trace import Step
from explainer.outputs import printing
from explainer.present import numbers, speech
from scenes.components import (
    ACCENT,
    HIGHLIGHT,
    INK,
    MIN_TEXT_SIZE,
    MUTED,
    EmptyGrid,
    ValueGrid,
    arrow_text,
    filled_cell,
    grid_label_size,
    halo,
    label,
    text_width,
)
from scenes.stage import BOTTOM, TOP, Clock, LectureScene, cell_for

LINE_Y = -0.95  # the x · w = p line, then the sum
READABLE = 0.18  # the size the row's numbers are written at when there is room (≈ 10 px)
NUMBERS = 0.42  # room the row and column numbers take beside a grid
OPERATOR = 0.75  # room for "·" and "=" between two grids
RIGHT_EDGE = 6.9
IMAGE_MIN_WIDTH = 2.2


def _cell_for_texts(texts: list[str], size: float) -> float:
    """The smallest cell in which every text fits at ``size`` (see :func:`fit_label_size`)."""
    per_unit = max(text_width(t, 1.0) for t in texts)
    return size / min(0.4, 0.8 / per_unit)


def row_cell(texts: list[str], kh: int, kw: int) -> float:
    """One cell for the patch, the filter and the products: large enough to write their
    numbers (readably if there is room, else at the smallest legible size), within the
    room the row has beside the image."""
    base = min(0.62, 2.0 / max(kh, kw))
    room_w = (RIGHT_EDGE + 6.9 - IMAGE_MIN_WIDTH - 0.3 - 3 * NUMBERS - 2 * OPERATOR) / (3 * kw)
    room = min(room_w, 3.0 / kh)
    for size in (READABLE, MIN_TEXT_SIZE + 0.005):  # (a margin for rounding)
        need = _cell_for_texts(texts, size)
        if need <= room:
            return max(base, need)
    return min(base, room)


def product_layout(s: LectureScene, step: Step) -> dict:
    """Patch × filter = products in a row on the right, the image beside them on the left."""
    lesson = s.lesson
    words = lesson.labels
    kh, kw = step.kernel_shape
    style = lesson.style
    texts = [numbers.display(v, style) for v in (*step.patch, *step.products)]
    texts += [numbers.display(w, style.exact()) for w in step.weights]
    cell = row_cell(texts, kh, kw)
    width = kw * cell
    row_y = TOP - 0.95 - kh * cell / 2  # the titles and numbers above stay under TOP
    # (a narrow filter's products are narrower than their title, which must stay in view)
    products_x = RIGHT_EDGE - max(width, text_width(words["products"], 0.26) + 0.1) / 2
    kernel_x = products_x - width - NUMBERS - OPERATOR
    patch_x = kernel_x - width - NUMBERS - OPERATOR
    image_right = patch_x - width / 2 - NUMBERS - 0.3
    rows, cols = len(lesson.padded_values), len(lesson.padded_values[0])
    image_cell = cell_for(rows, cols, image_right + 6.9, TOP - BOTTOM, 0.5)
    if "kernel-name" in s.stage:  # before the filter moves away from under it
        s.play(FadeOut(s.stage.pop("kernel-name")), run_time=0.3)
    image_x = (image_right - 6.9 + 0.4) / 2  # the cells' centre (row numbers at left)
    grid = s.image_grid(image_cell, np.array([image_x, 0.0, 0]))
    s.kernel_grid(cell, np.array([kernel_x, row_y, 0]))
    # Patch and products are numbered like the filter, by m and n: x[i + m, j + n]·w[m, n].
    patch = ValueGrid(
        step.grid(step.patch),
        cell,
        lesson.scale,
        padding=step.grid(step.in_padding),
        first_row=0,
        first_col=0,
        style=style,
    )
    patch.shift(np.array([patch_x, row_y, 0]) - patch.cells.get_center())
    products = EmptyGrid(kh, kw, cell, first_row=0, first_col=0)
    products.shift(np.array([products_x, row_y, 0]) - products.cells.get_center())
    kernel = s.stage["kernel"]
    times = label("·", size=0.6).move_to(
        np.array([(patch.get_right()[0] + kernel.get_left()[0]) / 2, row_y, 0])
    )
    equals = label("=", size=0.42).move_to(
        np.array([(kernel.get_right()[0] + products.get_left()[0]) / 2, row_y, 0])
    )
    titles = VGroup(
        label(words["patch"], size=0.26, color=MUTED).next_to(patch, UP, buff=0.2),
        label(
            words["filter-rotated" if lesson.problem.flip else "filter"], size=0.26, color=ACCENT
        ).next_to(s.stage["kernel"], UP, buff=0.2),
        label(words["products"], size=0.26, color=MUTED).next_to(products, UP, buff=0.2),
    )
    marker = s.window_marker(grid, step, HIGHLIGHT)
    # The link from the window on the image to the patch taken out of it: faint where it
    # crosses the image (the numbers under it stay readable), strong past its edge.
    start = marker.get_right() + np.array([0.05, 0, 0])
    end = patch.get_left() + np.array([-0.1, 0, 0])
    edge_x = grid.cells.get_right()[0] + 0.05
    if start[0] < edge_x < end[0]:
        edge = start + (end - start) * (edge_x - start[0]) / (end[0] - start[0])
        inside = Line(start, edge, color=HIGHLIGHT, stroke_width=1.5, stroke_opacity=0.5)
        link = VGroup(inside, halo(Line(edge, end, color=HIGHLIGHT, stroke_width=2.5)))
    else:
        link = VGroup(halo(Line(start, end, color=HIGHLIGHT, stroke_width=2.5)))
    size = grid_label_size([numbers.display(p, lesson.style) for p in step.products], cell)
    return dict(
        row_y=row_y,
        grid=grid,
        patch=patch,
        products=products,
        times=times,
        equals=equals,
        titles=titles,
        marker=marker,
        link=link,
        product_size=size,
    )


def show_layout(s: LectureScene, layout: dict, clock: Clock, fraction: float) -> None:
    s.play(Create(layout["marker"]), run_time=clock.share(fraction * 0.4))
    s.play(
        Create(layout["link"]),
        FadeIn(layout["patch"], shift=0.2 * RIGHT),
        FadeIn(layout["times"]),
        FadeIn(layout["equals"]),
        FadeIn(layout["titles"]),
        Create(layout["products"]),
        run_time=clock.share(fraction * 0.6),
    )


def multiply_out(s: LectureScene, step: Step, layout: dict, clock: Clock, slow: int) -> VGroup:
    """Fill the product array tap by tap, writing x · w = p; the first ``slow`` taps slowly.

    The taps share the sentence's time: slow taps count three times a fast one."""
    kh, kw = step.kernel_shape
    kernel = s.stage["kernel"]
    taps = kh * kw
    slow = min(slow, taps)
    unit = 0.92 / (3 * slow + (taps - slow))
    filled = VGroup()
    line = None
    scale, style = s.lesson.scale, s.lesson.style
    for k in range(taps):
        r, c = divmod(k, kw)
        x, w, p = step.patch[k], step.weights[k], step.products[k]
        text = arrow_text(
            [
                numbers.factor(x, style),
                "·",
                numbers.factor(w, style.exact()),
                "=",
                numbers.display(p, style),
            ],
            size=0.4,
        )
        text.move_to(np.array([kernel.cells.get_center()[0], line_y(s), 0]))
        cell = filled_cell(layout["products"], r, c, p, scale, layout["product_size"], style)
        hi = VGroup(
            halo(SurroundingRectangle(layout["patch"].cell(r, c), color=HIGHLIGHT, buff=0)),
            halo(SurroundingRectangle(kernel.cell(r, c), color=HIGHLIGHT, buff=0)),
        )
        t = clock.share(unit * (3 if k < slow else 1))
        anims = [FadeIn(hi)]
        anims.append(FadeOut(line) if line is not None else FadeIn(text))
        if line is not None:
            anims.append(FadeIn(text))
        s.play(*anims, run_time=t * 0.45)
        # A copy of the product flies into its cell as the cell appears (animating the
        # cell's own parts would pull them out of the cell's group).
        flying = text[-1].copy()
        s.play(FadeIn(cell), FadeOut(flying, target_position=cell.get_center()), run_time=t * 0.55)
        s.remove(hi)
        filled.add(cell)
        line = text
    s.play(FadeOut(line), run_time=clock.share(0.04))
    return filled


def sum_and_divide(s: LectureScene, step: Step, filled: VGroup, clock: Clock) -> VGroup:
    """Products → their sum → divided by the divisor: each number read from the trace.

    Long sums wrap after each kernel row, as on a board."""
    lesson = s.lesson
    kh, kw = step.kernel_shape
    # In a sum only negative terms need parentheses: 1/16 + (−1/8).
    style = lesson.style
    terms = [
        numbers.term(p, style) if k else numbers.display(p, style)
        for k, p in enumerate(step.products)
    ]
    total = numbers.display(step.total, style)
    # "≈" where the value shown is rounded, as the caption writes it.
    is_ = f"{_relation(step.total, style)} {total}"
    lines = VGroup()
    for r in range(kh):
        lead = "" if r == 0 else "+ "
        tail = f" {is_}" if r == kh - 1 else ""
        lines.add(label(lead + " + ".join(terms[r * kw : (r + 1) * kw]) + tail, size=0.34))
    lines.arrange(DOWN, buff=0.12, aligned_edge=RIGHT)
    top = min(layout_bottom(s) - 0.3, LINE_Y + 0.2)
    room = top - BOTTOM - (0.85 if lesson.problem.normalize is not None else 0.0)
    scale = min(1.0, 7.0 / lines.width, room / lines.height)
    if 0.34 * scale < MIN_TEXT_SIZE:  # too many terms to write legibly: name the sum
        lines = VGroup(label(f"{lesson.labels['sum']} {is_}", size=0.34))
    else:
        lines.scale(scale)
    middle = s.stage["kernel"].cells.get_center()[0]
    lines.move_to(np.array([middle, top - lines.height / 2, 0]))
    s.play(ReplacementTransform(filled.copy(), lines), run_time=clock.share(0.35))
    parts = VGroup(lines)
    if lesson.problem.normalize is not None:
        div = label(
            f"{total} ÷ {numbers.display(lesson.trace.divisor, style)} "
            f"{_relation(step.value, style)} {numbers.display(step.value, style)}",
            size=0.42,
            color=INK,
        )
        div.next_to(lines, DOWN, buff=0.3)
        s.play(FadeIn(div, shift=0.2 * DOWN), run_time=clock.share(0.25))
        parts.add(div)
    return parts


def line_y(s: LectureScene) -> float:
    """Where the x · w = p line goes: under the row of grids."""
    return min(LINE_Y, layout_bottom(s) - 0.45)


def _relation(v, style) -> str:
    """'≈' before a value shown rounded, '=' before one shown exactly (as captions write)."""
    return "≈" if speech.number(v, style).written.startswith("≈") else "="


def layout_bottom(s: LectureScene) -> float:
    """The lowest edge of the patch, filter and products row."""
    parts = [s.stage[k] for k in ("patch", "products", "kernel") if k in s.stage]
    return min(p.get_bottom()[1] for p in parts) if parts else LINE_Y


def sympy_block(s: LectureScene, step: Step, width: float, height: float) -> MathTex:
    """This pixel's derivation as sympy writes it, rows broken like the kernel."""
    der = s.lesson.derivation(step)
    i, j = step.index
    scale, rows = printing.latex_rows(der.substituted, step.kernel_shape[1])
    body = r" \\ &\quad + ".join(rows)
    head = rf"y_{{{i},{j}}} &= " + (rf"{scale} \Big( " if scale else "")
    tail = r" \Big)" if scale else ""
    value = printing.latex(der.value)
    if not numbers.is_readable(step.value):
        # the exact value, and the short one the caption says
        value += rf" \approx {numbers.display(step.value, numbers.PLAIN)}"
    tex = MathTex(
        r"\begin{aligned} " + head + body + tail + rf" \\ &= {value} \end{{aligned}}", color=INK
    )
    if tex.width > width:
        tex.scale_to_fit_width(width)
    if tex.height > height:
        tex.scale_to_fit_height(height)
    return tex


def multiply(s: LectureScene) -> None:
    s.heading("multiply")
    script = s.lesson.script
    step = s.lesson.step(script.beat("multiply.take").steps[0])
    layout = product_layout(s, step)
    with s.beat("multiply.take") as clock:
        show_layout(s, layout, clock, 0.7)
    with s.beat("multiply.products") as clock:
        filled = multiply_out(s, step, layout, clock, slow=3)
    s.checkpoint("products")
    s.stage.update({k: layout[k] for k in ("patch", "products", "times", "equals", "titles")})
    s.stage.update(marker=layout["marker"], link=layout["link"], filled=filled, product_step=step)


def _restore_products(s: LectureScene, step: Step) -> VGroup:
    """Sections rendered alone: show the multiplied-out patch the previous section left."""
    layout = product_layout(s, step)
    s.add(
        *[layout[k] for k in ("marker", "link", "patch", "times", "equals", "titles", "products")]
    )
    scale = s.lesson.scale
    kw = step.kernel_shape[1]
    filled = VGroup(
        *[
            filled_cell(
                layout["products"],
                *divmod(k, kw),
                p,
                scale,
                layout["product_size"],
                s.lesson.style,
            )
            for k, p in enumerate(step.products)
        ]
    )
    s.add(filled)
    s.stage.update({k: layout[k] for k in ("patch", "products", "times", "equals", "titles")})
    s.stage.update(marker=layout["marker"], link=layout["link"], filled=filled, product_step=step)
    return filled


def add(s: LectureScene) -> None:
    s.heading("add")
    lesson = s.lesson
    step = lesson.step(lesson.script.beat("add.sum").steps[0])
    filled = (
        s.stage["filled"] if s.stage.get("product_step") is step else _restore_products(s, step)
    )
    with s.beat("add.sum") as clock:
        parts = sum_and_divide(s, step, filled, clock)
    with s.beat("add.value") as clock:
        s.play(Indicate(parts[-1], color=HIGHLIGHT), run_time=clock.share(0.5))
    # The whole stage for sympy's derivation, which ends in the same value.
    s.clear_stage()
    tex = sympy_block(s, step, width=12.4, height=TOP - BOTTOM - 0.9)
    tex.move_to(np.array([0.0, -0.1, 0]))
    tex_title = label(lesson.labels["derivation"], size=0.26, color=MUTED)
    tex_title.next_to(tex, UP, buff=0.3)
    with s.beat("add.derivation") as clock:
        s.play(Write(tex), FadeIn(tex_title), run_time=clock.share(0.8))
    s.clear_stage()


def contrast(s: LectureScene) -> None:
    lesson = s.lesson
    step = lesson.step(lesson.script.beat("contrast.take").steps[0])
    s.heading("contrast")
    layout = product_layout(s, step)
    with s.beat("contrast.take") as clock:
        show_layout(s, layout, clock, 0.25)
        filled = multiply_out_fast(s, step, layout, clock)
    with s.beat("contrast.value") as clock:
        sum_and_divide(s, step, filled, clock)
        # The value it is compared with: the first patch's, as the sentence says it.
        first = lesson.step(lesson.script.beat("multiply.take").steps[0])
        i, j = first.index
        v = first.value
        before = label(
            f"{lesson.labels['before']}: ({i}, {j}) {_relation(v, lesson.style)} "
            f"{numbers.display(v, lesson.style)}",
            size=0.3,
            color=MUTED,
        )
        # In the top right corner, which the heading (top left) leaves free.
        before.to_corner(UP + RIGHT, buff=0.35)
        s.play(FadeIn(before), run_time=clock.share(0.15))
        negative = [cell for cell, p in zip(filled, step.products, strict=True) if p < 0]
        if negative:
            s.play(
                LaggedStart(*[Indicate(c, color=HIGHLIGHT) for c in negative], lag_ratio=0.1),
                run_time=clock.share(0.3),
            )
    s.clear_stage()


def multiply_out_fast(s: LectureScene, step: Step, layout: dict, clock: Clock) -> VGroup:
    """All products at once, each flying from its patch pixel (the second time round)."""
    scale = s.lesson.scale
    kw = step.kernel_shape[1]
    cells = VGroup(
        *[
            filled_cell(
                layout["products"],
                *divmod(k, kw),
                p,
                scale,
                layout["product_size"],
                s.lesson.style,
            )
            for k, p in enumerate(step.products)
        ]
    )
    s.play(
        LaggedStart(
            *[
                ReplacementTransform(layout["patch"].cell(*divmod(k, kw)).copy(), c)
                for k, c in enumerate(cells)
            ],
            lag_ratio=0.08,
        ),
        run_time=clock.share(0.6),
    )
    return cells
