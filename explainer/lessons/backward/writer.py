"""The backward lesson's writer: every sentence worded from the facts of one learning step.

Each beat carries the claims its sentence makes (:mod:`explainer.lessons.backward_claims`)
and a board (the grids it shows, the cells it marks); :func:`build_script` has the
independent verifier check every claim before it returns.

>>> from explainer.backward_request import default_backward
>>> s = build_script(default_backward())
>>> s.beat("error.pixel").caption
'At output pixel (0, 0) the filter makes 7 where the target asks for 3: an error of 4.'
"""

from __future__ import annotations

from explainer.backward_request import BackwardProblem, rows_of
from explainer.core.presets import PRESETS, lecture_image
from explainer.lessons.backward.facts import BackwardFacts, facts_of
from explainer.lessons.backward.sections import BEAT_KEYS, LESSON, SECTION_NAMES, TITLES
from explainer.lessons.backward_claims import (
    CorrelationOfError,
    GridShape,
    GridValues,
    LossChange,
    LossValue,
    PixelError,
    PixelsCloser,
    Stamp,
    StampSum,
    TargetMap,
    TransposedGradient,
    WeightStep,
    WeightTerms,
    ZeroErrorTerms,
)
from explainer.lessons.board import Grid, Mark
from explainer.lessons.gradient_words import (
    beat,
    board,
    cells,
    exact,
    grid,
    num,
    paren,
    plural,
    shape,
)
from explainer.lessons.script import Beat, Script, Section, verify_script

SHOWN_TERMS = 3
NAMES = {"x-centre": "X's-centre"}


def _of_all(n: int, total: int) -> str:
    """'10 of the 49', or 'all 49' when every one is."""
    return f"all {total}" if n == total else f"{n} of the {total}"


def build_script(problem: BackwardProblem, *, verify: bool = True) -> Script:
    """Word the backward lesson for ``problem``; with ``verify`` the independent verifier
    checks every claim first (a false one raises ClaimError naming the beat)."""
    return script_from_facts(facts_of(problem), verify=verify)


def script_from_facts(facts: BackwardFacts, *, verify: bool = True) -> Script:
    w = _Writer(facts)
    script = Script(
        problem=facts.problem,
        lesson=LESSON,
        sections=w.sections(),
        keys=BEAT_KEYS,
        labels={
            "title": "How a filter learns",
            "subtitle": "the error map, the gradient, one step, and the transposed convolution",
            "problem": facts.problem.describe(),
        },
        trace=None,
        facts=facts,
        grids=w.grids(),
    )
    if verify:
        verify_script(script)
    return script


def _window(f: BackwardFacts, i: int, j: int) -> tuple[tuple[int, int], ...]:
    p = f.problem
    (sr, sc), (dr, dc), (top, _, left, _) = p.stride, p.dilation, p.padding
    h, wd = len(p.image), len(p.image[0])
    out = []
    for m in range(len(p.weight)):
        for n in range(len(p.weight[0])):
            r, q = sr * i + dr * m - top, sc * j + dc * n - left
            if 0 <= r < h and 0 <= q < wd:
                out.append((r, q))
    return tuple(out)


class _Writer:
    def __init__(self, facts: BackwardFacts) -> None:
        self.f = facts
        self.p = facts.problem

    def grids(self) -> dict[str, Grid]:
        f, p = self.f, self.p
        out = {
            "image": ("image x", p.image),
            "filter": ("filter w", p.weight),
            "target": ("target t", p.target),
            "map": ("map y = x ⋆ w", f.map),
            "error": ("error e = y − t", f.error),
            "weight-gradient": ("∂L/∂w", f.weight_gradient),
            "filter-after": ("filter after the step", f.filter_after),
            "map-after": ("map after the step", f.map_after),
            "error-after": ("error after the step", f.error_after),
            "stamp": (f"stamp of error pixel {cells(f.focus)}", f.stamp),
            "image-gradient": ("∂L/∂x", f.image_gradient),
        }
        return {key: Grid(key, f"{label}, {shape(v)}", v) for key, (label, v) in out.items()}

    def sections(self) -> tuple[Section, ...]:
        beats = {
            "title": self.title(),
            "setup": self.setup(),
            "error": self.error(),
            "derivative": self.derivative(),
            "gradient": self.gradient(),
            "step": self.step(),
            "image": self.image(),
            "summary": self.summary(),
        }
        return tuple(Section(n, TITLES[n], tuple(beats[n])) for n in SECTION_NAMES if beats[n])

    def title(self) -> list[Beat]:
        text = (
            "A network learns its filters. How? The error of the output says how to change "
            "every weight; here is one step of that, every number exact."
        )
        return [beat("title.question", text, (), board(("image", "filter")))]

    def setup(self) -> list[Beat]:
        f, p = self.f, self.p
        name = p.target_name
        claims = [
            GridShape("image", (len(p.image), len(p.image[0]))),
            GridShape("filter", (len(p.weight), len(p.weight[0]))),
            GridShape("target", (len(p.target), len(p.target[0]))),
            GridValues("image", p.image),
            GridValues("filter", p.weight),
            GridValues("target", p.target),
        ]
        if name is not None and name in PRESETS:
            made = PRESETS[name].make().tolist()
            claims.append(TargetMap(made))
            called = NAMES.get(name, name)
            goal = f"the map the {called} filter {grid(made)} makes of the image"
        else:
            goal = "a map given with the problem"
        what = "the lecture's 9×9 X" if p.image == rows_of(lecture_image(), "x") else shape(p.image)
        text = (
            f"The image x is {what}; the filter w starts as {grid(p.weight)}. "
            f"We want it to make the {shape(p.target)} target t, {goal}."
        )
        out = [beat("setup.problem", text, claims, board(("image", "filter", "target")))]
        text = (
            "How far off the filter is, is one number: the loss L = ½ Σ (y − t)², half the "
            "sum of the squared differences between the map y it makes and the target t. "
            + (
                f"Here L = ½ · {exact(f.squares)} = {exact(f.loss)}."
                if "≈" not in exact(f.squares) + exact(f.loss)
                else f"Here L {exact(f.loss)}."
            )
        )
        claims = [LossValue("before", f.squares, f.loss)]
        out.append(beat("setup.loss", text, claims, board(("map", "target"),
                        formula=("L = ½ Σ (y − t)²", f"L = {num(f.loss)}"))))  # fmt: skip
        return out

    def error(self) -> list[Beat]:
        f = self.f
        i, j = f.focus
        y, t, e = f.map[i][j], self.p.target[i][j], f.error[i][j]
        text = (
            f"At output pixel {cells(f.focus)} the filter makes {num(y)} where the target "
            f"asks for {num(t)}: an error of {num(e)}."
        )
        marks = (
            Mark("image", _window(f, i, j), "window"),
            Mark("map", (f.focus,), "focus"),
            Mark("target", (f.focus,), "focus"),
        )
        claims = [PixelError(f.focus, y, t, e), GridValues("map", f.map)]
        line = f"e{idx(f.focus)} = {num(y)} − {paren(t)} = {num(e)}"
        shown = board(("image", "map", "target"), *marks, formula=(line,))
        out = [beat("error.pixel", text, claims, shown)]
        text = (
            "Every output pixel has its error: the error map e = y − t. It is also ∂L/∂y, "
            "how fast the loss changes with each output pixel, and it is what flows back."
        )
        marks = (Mark("error", (f.focus,), "focus"),)
        claims = [GridValues("error", f.error), PixelError(f.focus, y, t, e)]
        # The worksheet asks for two other errors: the first of the smallest, the first of
        # the largest (row-major), the pixel the lesson works out left aside.
        others = [(v, (r, q)) for r, row in enumerate(f.error) for q, v in enumerate(row)
                  if (r, q) != f.focus]  # fmt: skip
        asked = tuple(sorted({min(others, key=lambda o: o[0])[1],
                              max(others, key=lambda o: o[0])[1]})) if others else ()  # fmt: skip
        drill = board(("map", "target", "error"), Mark("error", asked, "result")) if asked else None
        out.append(beat("error.map", text, claims, board(("map", "target", "error"), *marks,
                        formula=("e = y − t = ∂L/∂y",)), drill))  # fmt: skip
        return out

    def derivative(self) -> list[Beat]:
        f = self.f
        m, n = f.weight
        claims = [WeightTerms(f.weight, f.terms, f.term_total)]
        if not f.terms:
            text = (
                f"sympy differentiates the loss with respect to one weight, w{idx(f.weight)}, "
                "and finds no term: every window puts that weight on the zero padding, so "
                f"∂L/∂w{idx(f.weight)} = 0."
            )
            return [beat("derivative.terms", text, claims, board(("filter", "error", "image")))]
        shown = f.terms[:SHOWN_TERMS]
        symbols = " + ".join(f"e{idx((i, j))}·x{idx((r, q))}" for i, j, r, q, _, _ in shown)
        more = " + …" if len(f.terms) > SHOWN_TERMS else ""
        nonzero = [t for t in f.terms if t[4] * t[5] != 0]
        if len(nonzero) == len(f.terms) or not nonzero:
            numbers = "With the numbers: "
            picked = shown
        else:
            numbers = "With the numbers, leaving out the terms that are 0: "
            picked = nonzero[:SHOWN_TERMS]
            more = " + …" if len(nonzero) > SHOWN_TERMS else ""
        values = " + ".join(f"{paren(e)}·{paren(x)}" for *_, e, x in picked)
        text = (
            f"sympy differentiates the loss with respect to one weight, w{idx(f.weight)}: "
            f"∂L/∂w{idx(f.weight)} = {symbols}"
            f"{' + …' if len(f.terms) > SHOWN_TERMS else ''}, "
            f"{plural(len(f.terms), 'term')}, one for each output pixel whose window puts "
            f"that weight on the image. {numbers}{values}{more} = {num(f.term_total)}."
        )
        claims = [WeightTerms(f.weight, f.terms, f.term_total)]
        first = f.terms[0]
        marks = (
            Mark("filter", (f.weight,), "focus"),
            Mark("error", tuple((i, j) for i, j, *_ in f.terms), "window"),
            Mark("image", tuple((r, q) for _, _, r, q, _, _ in f.terms), "window"),
            Mark("error", (first[:2],), "focus"),
            Mark("image", (first[2:4],), "focus"),
        )
        formula = (f"∂L/∂w{idx(f.weight)} = Σ e[i, j]·x[{_pos(self.p, m, n)}]",)
        out = [beat("derivative.terms", text, claims,
                    board(("filter", "error", "image"), *marks, formula=formula))]  # fmt: skip
        zeros = sum(1 for *_, e, _ in f.terms if e == 0)
        if zeros:
            text = (
                f"Where the filter is already right the error is 0, and so is its term: "
                f"{_of_all(zeros, len(f.terms))} terms are 0. Those pixels ask for no change."
            )
            where = tuple((i, j) for i, j, *_, e, _ in f.terms if e == 0)
            claims = [ZeroErrorTerms(f.weight, zeros, len(f.terms))]
            out.append(beat("derivative.zeros", text, claims,
                            board(("error",), Mark("error", where, "focus"))))  # fmt: skip
        return out

    def gradient(self) -> list[Beat]:
        f, p = self.f, self.p
        spread = "" if p.stride == (1, 1) else f", its pixels {p.stride[0]} apart (the stride)"
        text = (
            "Every weight the same way: ∂L/∂w is the correlation of the image with the error "
            f"map, the error map sliding over the image where the filter did{spread}: "
            f"∂L/∂w = {grid(f.weight_gradient)}."
        )
        claims = [
            CorrelationOfError(p.stride, p.dilation),
            GridValues("weight-gradient", f.weight_gradient),
        ]
        marks = (Mark("weight-gradient", (f.weight,), "result"),)
        return [beat("gradient.correlation", text, claims,
                     board(("image", "error", "weight-gradient"), *marks,
                           formula=("∂L/∂w = x ⋆ e",)))]  # fmt: skip

    def step(self) -> list[Beat]:
        f, p = self.f, self.p
        m, n = f.weight
        before, g, after = p.weight[m][n], f.weight_gradient[m][n], f.filter_after[m][n]
        rate = p.learning_rate
        way = "grows" if after > before else "shrinks" if after < before else "stays"
        moved = (
            f"So w{idx(f.weight)} {way}, from {num(before)} to {num(before)} − "
            f"{exact(rate)} · {paren(g)} = {num(after)}; the filter becomes "
            f"{grid(f.filter_after)}."
            if g != 0
            else f"Every gradient is 0 here, so the filter stays {grid(f.filter_after)}."
        )
        text = (
            f"One step of gradient descent, against the gradient, with learning rate "
            f"{exact(rate)}: w ← w − {exact(rate)} · ∂L/∂w. {moved}"
        )
        claims = [WeightStep(rate, f.weight, before, g, after),
                  GridValues("filter-after", f.filter_after)]  # fmt: skip
        if g == 0:
            claims.append(GridValues("weight-gradient", f.weight_gradient))
        marks = (Mark("filter", (f.weight,), "focus"), Mark("filter-after", (f.weight,), "result"))
        out = [beat("step.rule", text, claims,
                    board(("filter", "weight-gradient", "filter-after"), *marks,
                          formula=(f"w ← w − {exact(rate)} · ∂L/∂w",)))]  # fmt: skip
        verb = {
            "falls": "falls from {a} to {b}: the map has moved toward the target",
            "rises": "rises from {a} to {b}: the step was too long and overshot",
            "stays": "stays at {a}",
        }[f.direction].format(a=exact(f.loss), b=exact(f.loss_after))
        total = len(f.error) * len(f.error[0])
        text = f"With the new filter the loss {verb}. " + _closer(f.closer, f.farther, total)
        claims = [
            LossValue("after", f.squares_after, f.loss_after),
            LossChange(f.loss, f.loss_after, f.direction),
            PixelsCloser(f.closer, f.farther, total - f.closer - f.farther, total),
            GridValues("map-after", f.map_after),
            GridValues("error-after", f.error_after),
        ]
        change = (f"L: {exact(f.loss)} → {exact(f.loss_after)}",)
        nearer = tuple(
            (i, j)
            for i, row in enumerate(f.error_after)
            for j, v in enumerate(row)
            if abs(v) < abs(f.error[i][j])
        )
        marks = (Mark("error-after", nearer, "result"),) if nearer else ()
        shown = board(("map-after", "target", "error-after"), *marks, formula=change)
        out.append(beat("step.result", text, claims, shown))
        return out

    def image(self) -> list[Beat]:
        f = self.f
        i, j = f.focus
        e = f.error[i][j]
        text = (
            f"The gradient with respect to the image runs the other way: each error pixel "
            f"stamps a copy of the filter, scaled by its error, onto the image where its "
            f"window lay. Error pixel {cells(f.focus)}, {num(e)}, stamps {num(e)} × the filter."
        )
        stamped = tuple(
            (r, q) for r, row in enumerate(f.stamp) for q, v in enumerate(row) if (r, q) in
            _window(f, i, j)
        )  # fmt: skip
        marks = (Mark("error", (f.focus,), "focus"), Mark("stamp", stamped, "window"))
        out = [beat("image.stamp", text, [Stamp(f.focus, e, _corner(self.p, *f.focus), f.stamp)],
                    board(("error", "filter", "stamp"), *marks))]  # fmt: skip
        r, q = f.pixel
        products = " + ".join(f"{paren(a)}·{paren(w)}" for *_, a, w in f.parts)
        total = f.image_gradient[r][q]
        text = (
            f"Where stamps overlap they add up: image pixel {cells(f.pixel)} receives "
            f"{plural(len(f.parts), 'stamp')}, each an error times a filter weight: "
            f"{products} = {num(total)}."
        )
        marks = (
            Mark("error", tuple(sorted({(a, b) for a, b, *_ in f.parts})), "window"),
            Mark("image-gradient", (f.pixel,), "result"),
        )
        claims = [StampSum(f.pixel, f.parts, total)]
        out.append(beat("image.sum", text, claims,
                        board(("error", "filter", "image-gradient"), *marks)))  # fmt: skip
        text = (
            f"All the stamps added up make ∂L/∂x, the {shape(f.image_gradient)} grid on the "
            "board: it is the transposed convolution of the error map with the filter. The "
            "transposed lesson takes this operation on its own."
        )
        claims = [TransposedGradient(), GridValues("image-gradient", f.image_gradient)]
        out.append(beat("image.transposed", text, claims,
                        board(("error", "filter", "image-gradient"),
                              formula=("∂L/∂x = conv_transpose2d(e, w)",))))  # fmt: skip
        return out

    def summary(self) -> list[Beat]:
        f = self.f
        change = {
            "falls": f"fell from {exact(f.loss)} to {exact(f.loss_after)}",
            "rises": f"rose from {exact(f.loss)} to {exact(f.loss_after)}",
            "stays": f"stayed at {exact(f.loss)}",
        }[f.direction]
        text = (
            "In short: the error map e = y − t flows back; correlated with the image it gives "
            f"∂L/∂w; one step against it, and the loss {change}. Stamped through the filter, "
            "it gives ∂L/∂x."
        )
        claims = [
            CorrelationOfError(self.p.stride, self.p.dilation),
            LossChange(f.loss, f.loss_after, f.direction),
            TransposedGradient(),
        ]
        return [beat("summary.learned", text, claims,
                     board(("error", "weight-gradient", "image-gradient")))]  # fmt: skip


def _corner(p: BackwardProblem, i: int, j: int) -> tuple[int, int]:
    return p.stride[0] * i - p.padding[0], p.stride[1] * j - p.padding[2]


def _closer(closer: int, farther: int, total: int) -> str:
    """What the step did to each pixel's error (the counts of a PixelsCloser claim)."""
    same = total - closer - farther
    if closer == total:
        return f"Every one of the {total} output pixels comes closer to its target."
    if same == total:
        return f"Each of the {total} output pixels stays as far from its target as before."
    if closer == 0:
        return f"None of the {total} output pixels comes closer to its target."
    text = f"{closer} of the {total} output pixels come closer to their target"
    if farther:
        verb = "moves" if farther == 1 else "move"
        text += f"; {farther} {verb} away: one step trades some pixels for others"
    if same:
        text += f"; {same} {'stays' if same == 1 else 'stay'} as far as before"
    return text + "."


def idx(pos: tuple[int, ...]) -> str:
    """An element's index as the formulas write it: [0, 2]."""
    return "[" + ", ".join(str(v) for v in pos) + "]"


def _pos(p: BackwardProblem, m: int, n: int) -> str:
    """The image index tap (m, n) reads from output pixel (i, j): 'i + 0, j + 2'."""
    parts = []
    for name, s, d, pad, k in (("i", p.stride[0], p.dilation[0], p.padding[0], m),
                               ("j", p.stride[1], p.dilation[1], p.padding[2], n)):  # fmt: skip
        term = name if s == 1 else f"{s}{name}"
        shift = d * k - pad
        parts.append(term if shift == 0 else f"{term} {'+' if shift > 0 else '−'} {abs(shift)}")
    return ", ".join(parts)
