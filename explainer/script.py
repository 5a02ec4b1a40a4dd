"""The lesson as data: sections of beats, each beat one sentence worded from the facts.

A :class:`Beat` is one sentence in two forms (the caption on screen and the text the
voice speaks) plus what it shows: the output pixels it points at and the numbers it
states. Scenes, the page, the slides and the handout stage beats; they never word a
sentence of their own. Every claim is chosen by :mod:`explainer.facts`, so pattern words
are used only for pattern kernels, "divide" only when something is divided, plurals
follow counts, and negative values are named for what they are.

>>> from explainer import lecture_problem
>>> s = build_script(lecture_problem())
>>> [sec.name for sec in s.sections][:4]
['title', 'one-dimension', 'image', 'filter']
>>> s.beat("result.best").caption
'The four pixels equal to 1 are exactly where the image matches the filter.'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .facts import Facts, facts_of
from .palette import NEGATIVE_NAME, POSITIVE_NAME, colour_name
from .problem import Problem
from .speech import Said, count, integer_words, number, position, sentence, size, words
from .trace import Number, Step, Trace, build_trace

MAX_MARKED = 6
"""Windows outlined at once; more would tangle the image."""
MAX_PIXELWISE = 16
"""Past this many rows or columns the sweep is shown as a heatmap, not pixel by pixel."""
PRELUDE_MAX_SAMPLES = 11
"""The one-dimensional prelude's signal: at most this many samples of one image row."""


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

    problem: Problem
    facts: Facts = field(repr=False)
    sections: tuple[Section, ...]
    labels: dict[str, str] = field(repr=False)
    """Short words the outputs put on screen next to grids (``"filter"``, ``"result"``)."""
    prelude: Trace | None = field(default=None, repr=False)
    """The one-dimensional problem of the prelude section, traced by the same engine."""

    @property
    def decimal(self) -> bool:
        """Values are shown as short decimals (some would be unreadable as fractions)."""
        return self.facts.needs_decimals

    @property
    def trace(self) -> Trace:
        return self.facts.trace

    def section(self, name: str) -> Section:
        for sec in self.sections:
            if sec.name == name:
                return sec
        raise KeyError(name)

    def beats(self) -> Iterator[Beat]:
        for sec in self.sections:
            yield from sec.beats

    def beat(self, key: str) -> Beat:
        for b in self.beats():
            if b.key == key:
                return b
        raise KeyError(key)

    def has(self, key: str) -> bool:
        return any(b.key == key for b in self.beats())

    @property
    def section_names(self) -> tuple[str, ...]:
        return tuple(sec.name for sec in self.sections)

    @property
    def pixelwise(self) -> bool:
        """Small enough to write every value into its cell."""
        return _pixelwise(self.facts)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        """The lesson's sentences as HTML, LaTeX, Markdown and text, for Jupyter."""
        from .notebook import script_bundle

        return script_bundle(self, include, exclude)


# ----- building ------------------------------------------------------------------------------


def build_script(problem: Problem, trace: Trace | None = None) -> Script:
    """Word the lesson for ``problem`` from the facts of its exact trace."""
    trace = trace if trace is not None else build_trace(problem, exact=True)
    facts = facts_of(trace)
    prelude = prelude_trace(problem)
    writer = _Writer(facts, prelude)
    return Script(
        problem=problem,
        facts=facts,
        sections=writer.sections(),
        labels=writer.labels(),
        prelude=prelude,
    )


def prelude_trace(problem: Problem) -> Trace | None:
    """The 1D case the lecture refers back to: the kernel's middle row slid along a stretch
    of one image row (see :func:`prelude_origin`), or None when it does not fit."""
    origin = prelude_origin(problem)
    if origin is None:
        return None
    row, first = origin
    signal = problem.image[row, first : first + PRELUDE_MAX_SAMPLES]
    taps = problem.kernel[problem.kernel.shape[0] // 2]
    one_d = Problem(signal[np.newaxis, :], taps[np.newaxis, :], flip=problem.flip)
    return build_trace(one_d, exact=True)


def prelude_origin(problem: Problem) -> tuple[int, int] | None:
    """(row, first column) of the stretch of at most :data:`PRELUDE_MAX_SAMPLES` image
    pixels the prelude slides over: the one whose sums take the most different values (a
    flat stretch would show nothing), the middlemost among equals.

    >>> from explainer import lecture_problem
    >>> prelude_origin(lecture_problem())
    (3, 0)
    """
    from .numeric import compute

    image, kernel = problem.image, problem.kernel
    taps = kernel[kernel.shape[0] // 2]
    h, w = image.shape
    width = min(w, PRELUDE_MAX_SAMPLES)
    if taps.size < 2 or taps.size > width or not np.any(taps != 0):
        return None
    window = width - taps.size + 1  # sums per stretch
    best: tuple | None = None
    for r in range(h):
        sums = compute(Problem(image[r : r + 1], taps[np.newaxis, :], flip=problem.flip))[0]
        for start in range(w - width + 1):
            distinct = len(set(sums[start : start + window].tolist()))
            distance = (abs(r - (h - 1) / 2), abs(start - (w - width) / 2))
            score = (-distinct, distance)
            if best is None or score < best[0]:
                best = (score, r, start)
    assert best is not None
    return best[1], best[2]


def _pixelwise(facts: Facts) -> bool:
    rows, cols = len(facts.trace.padded_image), len(facts.trace.padded_image[0])
    oh, ow = facts.trace.output_shape
    return max(rows, cols, oh, ow) <= MAX_PIXELWISE


def _beat(key: str, template: str, *, steps=(), values=(), **parts: Said | str) -> Beat:
    caption, speech = sentence(template, **parts)
    return Beat(key, caption, speech, tuple(steps), tuple(values))


def _capitalized(part: Said) -> Said:
    return Said(
        part.written[:1].upper() + part.written[1:], part.spoken[:1].upper() + part.spoken[1:]
    )


def _pixels(n: int, noun: str = "pixel") -> Said:
    return count(n, noun, noun + "s")


def _distance(n: int, unit: str = "pixel") -> Said:
    """'one pixel', 'two pixels', '12 pixels' (a stride or a dilation)."""
    return count(n, unit, unit + "s")


class _Writer:
    """Chooses every sentence of one lesson from its facts."""

    def __init__(self, facts: Facts, prelude: Trace | None) -> None:
        self.f = facts
        self.p = facts.problem
        self.prelude = prelude
        self.kind = facts.kernel_kind
        # Values with long denominators are shown as decimals: then all of them are, so
        # that a caption never sets 37/51 against ≈ 0.64.
        self.decimal = facts.needs_decimals

    def num(self, v: Number) -> Said:
        """A value of the image, the products or the result, as this lesson shows them."""
        return number(v, decimal=self.decimal)

    # ----- the vocabulary ----------------------------------------------------------------

    def labels(self) -> dict[str, str]:
        steps = "slide, multiply, add" + (", divide" if self.p.normalize else "")
        return {
            "title": "Convolution in two dimensions",
            "subtitle": f"image ⊗ filter: {steps}",
            "problem": self.p.describe().replace("kernel", "filter"),  # the lecture's word
            "image": "image",
            "filter": "filter",
            "filter-as-given": "filter as given",
            "filter-rotated": "rotated 180°",
            "patch": "patch",
            "products": "products",
            "result": "result",
            "derivation": "sympy's derivation",
            "output-pixel": "output pixel",
            "sum": "sum of the products",
            "value": "value",
            "window": "window",
            "padding": "padding",
            "signal": "signal",
            "sums": "sums",
            "size-symbols": "n_in: the image's size (rows or columns); n_out: the result's; "
            "p_before, p_after: the padding on each side; k: the filter's size; "
            "d: the dilation; s: the stride",
            "symbols": "x: image; w: filter; y: result; i, j: output row, column; "
            "m, n: filter row, column",
        }

    def sections(self) -> tuple[Section, ...]:
        f = self.f
        plan: list[tuple[str, str, list[Beat]]] = [
            ("title", "", self.title()),
            ("one-dimension", "One dimension first", self.one_dimension()),
            ("image", "The image", self.image()),
            ("filter", "The filter", self.filter()),
            ("matches", "Where does the pattern appear?", self.matches()),
            ("operation", "The operation", self.operation()),
            ("multiply", "Multiply, pixel by pixel", self.multiply()),
            ("add", "Add, then divide" if self.p.normalize else "Add", self.add()),
            ("contrast", "A patch that differs", self.contrast()),
            ("output-size", "How big is the result?", self.output_size()),
        ]
        if _pixelwise(f):
            plan += [
                ("sweep", "Every patch", self.sweep()),
                ("result", "The result", self.result()),
            ]
        else:
            plan += [("sweep", "Every patch", self.summary_sweep() + self.result())]
        plan += [
            ("notation", "Notation", self.notation()),
            ("conclusion", "In short", self.conclusion()),
        ]
        return tuple(Section(name, title, tuple(beats)) for name, title, beats in plan if beats)

    # ----- sections ----------------------------------------------------------------------

    def title(self) -> list[Beat]:
        question = {
            "pattern": "How does a computer find a pattern in an image?",
            "smoothing": "How does a computer blur an image?",
            "change": "How does a computer find where an image changes?",
            "sharpen": "How does a computer sharpen an image?",
            "general": "How does a computer filter an image, pixel by pixel?",
        }[self.kind]
        return [_beat("title.question", question + " With convolution.")]

    def one_dimension(self) -> list[Beat]:
        t = self.prelude
        if t is None:
            return []
        n = len(t.padded_image[0])
        row, first = prelude_origin(self.p)  # type: ignore[misc]
        taps = [_plain(v) for v in t.problem.kernel[0]]  # as given; the flip is shown next
        values = ", ".join(number(v).written for v in taps)
        spoken = ", ".join(number(v).spoken for v in taps)
        out = len(t.steps)
        beats = [
            _beat(
                "one-dimension.signal",
                "First, one dimension: {n} numbers from row {r} of the image{cols}, and a "
                "filter of {k}: {taps}.",
                n=integer_words(n) if n < 10 else str(n),
                r=number(row),
                cols=""
                if n == len(self.p.image[0])
                else Said(
                    f", columns {first} to {first + n - 1}",
                    f", columns {integer_words(first)} to {integer_words(first + n - 1)}",
                ),
                k=integer_words(len(taps)),
                taps=Said(values, spoken),
                values=tuple(taps),
            )
        ]
        if self.p.flip:
            beats.append(
                _beat(
                    "one-dimension.flip",
                    "True convolution reverses the filter first, so it is shown reversed.",
                )
            )
        beats.append(
            _beat(
                "one-dimension.slide",
                "Slide it along: multiply the numbers it covers and add them up, one sum for "
                "each of the {out} positions.",
                out=integer_words(out) if out < 10 else str(out),
                steps=[s.index for s in t.steps],
            )
        )
        top = max(s.value for s in t.steps)
        where = [s for s in t.steps if s.value == top]
        place = (
            "where the signal looks most like the filter"
            if self.kind == "pattern"
            else "where the filter responds most"
        )
        if len(where) == 1:
            col = where[0].index[1]
            at = Said(f"at position {col}", f"at position {integer_words(col)}")
        else:
            at = count(len(where), "position", "positions")
            at = Said("at " + at.written, "at " + at.spoken)
        beats.append(
            _beat(
                "one-dimension.best",
                "The largest sum, {v}, is {at}: {place}.",
                v=self.num(top),
                at=at,
                place=place,
                steps=[s.index for s in where],
                values=(top,),
            )
        )
        beats.append(
            _beat(
                "one-dimension.to-2d",
                "In two dimensions, the filter slides along the rows and down the columns.",
            )
        )
        return beats

    def image(self) -> list[Beat]:
        f = self.f
        h, w = self.p.image.shape
        dims = size(h, w)
        article = _article(h)
        vals = f.image_values
        if f.image_is_constant:
            text, parts = "{a} {dims} image in which every pixel is {v}.", {"v": self.num(vals[0])}
        elif f.image_is_binary:
            text = (
                "{a} {dims} image: each {hi_colour} pixel is {hi}, each {lo_colour} pixel is {lo}."
            )
            parts = {
                "hi": _signed(vals[1]),
                "lo": _signed(vals[0]),
                "hi_colour": colour_name(vals[1]),
                "lo_colour": colour_name(vals[0]),
            }
        else:
            text = (
                "{a} {dims} image: each pixel is a number, from {lo} to {hi}, coloured by the "
                "legend."
            )
            parts = {"hi": self.num(vals[-1]), "lo": self.num(vals[0])}
        beats = [
            _beat("image.show", text, a=article, dims=dims, values=(), **parts),
            _beat("image.numbering", "Rows and columns are numbered from 0, as in code."),
        ]
        if f.padded:
            beats += self._padding_beats()
        return beats

    def _padding_beats(self) -> list[Beat]:
        f = self.f
        p = self.p
        border = {
            "zeros": "a border of zeros",
            "reflect": "a border that mirrors the image at its edges",
            "replicate": "a border that repeats the edge pixels",
            "circular": "a border that wraps around from the opposite side",
        }[p.padding_mode]
        if f.padding_uniform:
            width = f.padding[0]
            where = Said(
                f"{_distance(width).written} wide on every side",
                f"{_distance(width).spoken} wide on every side",
            )
        else:
            parts = []
            for side, n in f.padded_sides:
                unit = "row" if side in ("top", "bottom") else "column"
                noun = count(n, unit, unit + "s")
                parts.append(Said(f"{noun.written} at the {side}", f"{noun.spoken} at the {side}"))
            where = _join(parts)
        spec = p.padding_spec
        oh, ow = p.output_shape
        lead = {"same": "'Same' padding adds", "full": "'Full' padding adds"}.get(
            spec, "Padding adds"
        )
        beats = [
            _beat(
                "image.padding", "{lead} {border}: {where}.", lead=lead, border=border, where=where
            )
        ]
        if spec == "same" and p.stride == (1, 1):
            why = "It keeps the result the same size as the image."
        elif spec == "same":
            why = "It makes the result the image's size divided by the stride, rounded up: {dims}."
        elif spec == "full":
            why = "It lets every partial overlap of filter and image count."
        else:
            why = "It lets the filter reach the image's edges."
        beats.append(_beat("image.padding-why", why, dims=size(oh, ow), values=(oh, ow)))
        top, bottom, left, right = f.padding
        if spec == "same" and (bottom > top or right > left):
            # PyTorch's padding='same' refuses strides above 1; TensorFlow pads this way.
            who = "TensorFlow and PyTorch" if p.stride == (1, 1) else "TensorFlow"
            beats.append(
                _beat(
                    "image.padding-uneven",
                    "The odd extra pixel goes at the bottom and right, as in " + who + ".",
                    steps=[],
                )
            )
        return beats

    def filter(self) -> list[Beat]:
        f = self.f
        kh, kw = self.p.kernel.shape
        dims = size(kh, kw)
        a = _article(kh)
        if f.kernel_is_one_tap:
            text = "{a} {dims} filter: a single weight, {w}, that multiplies every pixel."
            beats = [_beat("filter.show", text, a=a, dims=dims, w=number(f.kernel_weights[0]))]
        elif self.kind == "pattern":
            beats = [
                _beat(
                    "filter.show",
                    "{a} {dims} filter: the pattern we are looking for.",
                    a=a,
                    dims=dims,
                )
            ]
        elif self.kind == "smoothing":
            sign = "positive" if min(f.kernel_weights) > 0 else "non-negative"
            if f.kernel_sum == 1:
                text = (
                    "{a} {dims} filter of {sign} weights that add up to 1: each output is a "
                    "weighted average of its patch, which blurs."
                )
                beats = [_beat("filter.show", text, a=a, dims=dims, sign=sign)]
            elif self.p.normalize == "sum":
                text = (
                    "{a} {dims} filter of {sign} weights; dividing by their sum, {s}, makes each "
                    "output a weighted average of its patch, which blurs."
                )
                beats = [
                    _beat(
                        "filter.show",
                        text,
                        a=a,
                        dims=dims,
                        sign=sign,
                        s=number(f.kernel_sum),
                        values=(f.kernel_sum,),
                    )
                ]
            else:
                text = (
                    "{a} {dims} filter of {sign} weights: each output is a weighted sum of its "
                    "patch, which smooths."
                )
                beats = [_beat("filter.show", text, a=a, dims=dims, sign=sign)]
        elif self.kind == "change":
            text = (
                "{a} {dims} filter whose weights add up to 0: on a flat patch its products "
                "cancel, so it responds only where the image changes."
            )
            beats = [_beat("filter.show", text, a=a, dims=dims)]
        elif self.kind == "sharpen":
            text = (
                "{a} {dims} filter that counts each pixel {c} times and takes its neighbours "
                "away; its weights add up to 1, so flat areas keep their value and edges stand out."
            )
            beats = [_beat("filter.show", text, a=a, dims=dims, c=number(f.kernel_centre))]
        else:
            text = "{a} {dims} filter: its weights say how much each pixel of a patch counts."
            beats = [_beat("filter.show", text, a=a, dims=dims)]
        if self.p.flip:
            beats.append(
                _beat(
                    "filter.flip",
                    "True convolution first rotates the filter by 180°: its last row becomes "
                    "its first, its last column its first.",
                )
            )
            if f.kernel_symmetric:
                beats.append(
                    _beat(
                        "filter.symmetric",
                        "This filter looks the same rotated, so the flip changes nothing.",
                    )
                )
        return beats

    def matches(self) -> list[Beat]:
        f = self.f
        if self.kind != "pattern" or f.all_equal:
            return []
        n = f.best.count
        marked = min(n, MAX_MARKED)
        shown = (
            ""
            if n == marked
            else Said(
                f" (the first {marked} are outlined)",
                f", the first {integer_words(marked)} outlined",
            )
        )
        if f.best_is_perfect:
            lead = _capitalized(count(n, "window matches", "windows match"))
            text = "{lead} the pattern exactly{shown}: there it appears whole."
        else:
            lead = _capitalized(count(n, "window comes", "windows come"))
            text = "{lead} closest to the pattern{shown}, though it appears whole nowhere."
        beats = [
            _beat(
                "matches.best",
                text,
                lead=lead,
                shown=shown,
                steps=f.best.indices[:marked],
            )
        ]
        partial = [s for s in f.runners_up if 0 < s.value < f.best.value]
        if partial:
            beats.append(
                _beat(
                    "matches.partial",
                    "Other places hold part of the pattern.",
                    steps=[s.index for s in partial[:3]],
                )
            )
        return beats

    def operation(self) -> list[Beat]:
        dh, dw = self.p.dilation
        if (dh, dw) == (1, 1):
            lay = _beat(
                "operation.lay",
                "Lay the filter over a patch of the image the same size as the filter.",
                steps=[(0, 0)],
            )
        else:
            gap = (
                _distance(dh)
                if dh == dw
                else _join([count(dh, "row", "rows"), count(dw, "column", "columns")])
            )
            d = (
                number(dh)
                if dh == dw
                else Said(f"{dh}×{dw}", f"{integer_words(dh)} by {integer_words(dw)}")
            )
            lay = _beat(
                "operation.lay",
                "With dilation {d}, the filter's pixels lie {gap} apart on the image: the patch "
                "has gaps.",
                d=d,
                gap=gap,
                steps=[(0, 0)],
            )
        sh, sw = self.p.stride
        oh, ow = self.p.output_shape
        across = _distance(sw)
        down = _distance(sh, "row")
        again = ", as in one dimension" if self.prelude is not None else ""
        if ow == 1 and oh == 1:
            slide = _beat(
                "operation.slide", "Here the filter fits in only one place.", steps=[(0, 0)]
            )
        elif ow == 1:
            slide = _beat(
                "operation.slide",
                "The filter fits only once across, so it moves {down} down at a time{again}.",
                down=down,
                again=again,
                steps=[(i, 0) for i in range(min(oh, 2))],
            )
        else:
            nxt = ", and starts again {down} down" if oh > 1 else ""
            slide = _beat(
                "operation.slide",
                "Then it shifts {across} to the right at a time, to the end of the row"
                + nxt
                + "{again}.",
                across=across,
                down=down,
                again=again,
                steps=[(0, j) for j in range(ow)] + ([(1, 0)] if oh > 1 else []),
            )
        return [lay, slide]

    def multiply(self) -> list[Beat]:
        f = self.f
        step = f.first
        n = f.best.count
        if self.kind == "pattern":
            where = "where the filter fits best"
            where_many = "where the filter fits best"
        else:
            where = "where the output is largest"
            where_many = "with the largest output"
        if f.all_equal:
            text = "Take the patch of output pixel {pos}; every pixel will have the same value."
            take = _beat("multiply.take", text, pos=position(*step.index), steps=[step.index])
        elif n == 1:
            take = _beat(
                "multiply.take",
                "Take the patch of output pixel {pos}, " + where + ".",
                pos=position(*step.index),
                steps=[step.index],
            )
        else:
            take = _beat(
                "multiply.take",
                "Take the patch of output pixel {pos}, one of {n} " + where_many + ".",
                pos=position(*step.index),
                n=integer_words(n) if n < 10 else str(n),
                steps=[step.index],
            )
        kh, kw = step.kernel_shape
        if kh * kw == 1:
            mult = _beat(
                "multiply.products",
                "Multiply the image pixel by the filter's one weight.",
                steps=[step.index],
                values=step.products,
            )
        else:
            mult = _beat(
                "multiply.products",
                "Multiply each image pixel by the filter pixel over it, into a temporary {dims} "
                "array.",
                dims=size(kh, kw),
                steps=[step.index],
                values=step.products,
            )
        return [take, mult]

    def add(self) -> list[Beat]:
        f = self.f
        step = f.first
        beats = [self._sum_beat(step)]
        value = self.num(step.value)
        best = step.value
        found = ", found in {n}" if f.best.count > 1 and not f.all_equal else ""
        if f.all_equal:
            text = "The output is {v}, and so is every other pixel's."
        elif self.kind == "pattern" and f.best_is_perfect and best == 1:
            text = "Here it is exactly {v}: a perfect match" + found + "."
        elif self.kind == "pattern" and f.best_is_perfect:
            text = (
                "Here it is {v}, the most this filter can give here: a perfect match" + found + "."
            )
        elif self.kind == "pattern":
            text = (
                "Here it is {v}, the largest value of all"
                + found
                + "; a whole match would give {m}."
            )
        else:
            text = "The output is {v}, the largest value of all" + found + "."
        beats.append(
            _beat(
                "add.value",
                text,
                v=value,
                m=self.num(f.reachable_max),
                n=_pixels(f.best.count),
                steps=[step.index],
                values=(step.value,) if "{m}" not in text else (step.value, f.reachable_max),
            )
        )
        beats.append(
            _beat(
                "add.derivation",
                "From the formula alone, {sympy} derives the same value, term by term.",
                sympy=Said("sympy", "sim-pie"),
                steps=[step.index],
                values=(step.value,),
            )
        )
        return beats

    def _sum_beat(self, step: Step) -> Beat:
        n = len(step.products)
        total, value, divisor = step.total, step.value, self.f.trace.divisor
        norm = self.p.normalize
        if n == 1:
            if norm is None:
                return _beat(
                    "add.sum",
                    "With one product, the product itself, {t}, is the output pixel.",
                    t=self.num(total),
                    steps=[step.index],
                    values=(total,),
                )
            what = "the number of filter pixels" if norm == "area" else "the filter's sum"
            return _beat(
                "add.sum",
                "Divide the one product, {t}, by {d}, " + what + ": the output is {v}.",
                t=self.num(total),
                d=number(divisor),
                v=self.num(value),
                steps=[step.index],
                values=(total, divisor, value),
            )
        products = count(n, "product", "products")
        if norm is None:
            return _beat(
                "add.sum",
                "Add the {products}: their sum, {t}, is the output pixel.",
                products=products,
                t=self.num(total),
                steps=[step.index],
                values=(total,),
            )
        if norm == "area":
            return _beat(
                "add.sum",
                "Add the {products}, {t}, and divide by {d}, the number of filter pixels: the "
                "average product, {v}.",
                products=products,
                t=self.num(total),
                d=number(divisor),
                v=self.num(value),
                steps=[step.index],
                values=(total, divisor, value),
            )
        if divisor == 1:
            return _beat(
                "add.sum",
                "Add the {products}, {t}, and divide by the filter's sum, 1, which changes "
                "nothing: its weights already add up to 1.",
                products=products,
                t=self.num(total),
                steps=[step.index],
                values=(total, divisor),
            )
        return _beat(
            "add.sum",
            "Add the {products}, {t}, and divide by the filter's sum, {d}, so that the weights "
            "count as shares of one: {v}.",
            products=products,
            t=self.num(total),
            d=number(divisor),
            v=self.num(value),
            steps=[step.index],
            values=(total, divisor, value),
        )

    def contrast(self) -> list[Beat]:
        f = self.f
        step = f.contrast
        if step is None:
            return []
        signs = f.signs(step)
        pos = position(*step.index)
        if self.kind == "pattern" and signs.negative:
            take = _beat(
                "contrast.take",
                "Now the patch of output pixel {pos}. Where its sign differs from the filter's, "
                "the product is negative.",
                pos=pos,
                steps=[step.index],
                values=step.products,
            )
        else:
            take = _beat(
                "contrast.take",
                "Now the patch of output pixel {pos}.",
                pos=pos,
                steps=[step.index],
                values=step.products,
            )
        v = self.num(step.value)
        first = f.signs(f.first)
        if signs.count == 1:  # one product: it is the value, there is no sum to pull down
            text = "Its one product is {v}: the value is only {v}, against {b} before."
            parts = {"v": v, "b": self.num(f.first.value)}
            values = (step.value, f.first.value)
        elif signs.cancel:
            text = "Its {p} and {neg} cancel: the sum is 0, and so is the value."
            parts = {
                "p": count(signs.positive, "positive product", "positive products"),
                "neg": count(signs.negative, "negative product", "negative products"),
            }
            values: tuple[Number, ...] = (step.total, step.value)
        elif signs.negative > first.negative:  # more disagreement than the first patch had
            neg = count(signs.negative, "negative product", "negative products")
            verb = "pulls" if signs.negative == 1 else "pull"
            was = "" if not first.negative else ", against {m} in the first patch,"
            text = "{neg}" + was + " " + verb + " the sum down: the value is only {v}, against {b}."
            parts = {
                "neg": _capitalized(neg),
                "m": integer_words(first.negative) if first.negative < 10 else str(first.negative),
                "v": v,
                "b": self.num(f.first.value),
            }
            values = (step.value, f.first.value)
        else:
            text = "Its products add up to less: the value is only {v}, against {b} before."
            parts = {"v": v, "b": self.num(f.first.value)}
            values = (step.value, f.first.value)
        return [take, _beat("contrast.value", text, steps=[step.index], values=values, **parts)]

    def output_size(self) -> list[Beat]:
        f = self.f
        if not f.size_changes:
            return []
        rows, cols = f.axes

        def fits(axis) -> Said:
            apart = "" if axis.stride == 1 else f", {_distance(axis.stride).written} apart"
            apart_spoken = "" if axis.stride == 1 else f", {_distance(axis.stride).spoken} apart"
            n = count(axis.out, "position", "positions")
            return Said(n.written + apart, n.spoken + apart_spoken)

        if (rows.out, rows.stride) == (cols.out, cols.stride):
            count_beat = _beat(
                "output-size.count",
                "Along each row the window fits in {c}, and as many times down each column.",
                c=fits(cols),
                steps=[(0, j) for j in range(cols.out)],
                values=(cols.out,),
            )
        else:
            count_beat = _beat(
                "output-size.count",
                "Along a row the window fits in {c}; down a column, in {r}.",
                c=fits(cols),
                r=fits(rows),
                steps=[(0, j) for j in range(cols.out)],
                values=(cols.out, rows.out),
            )
        beats = [count_beat]
        left_over = [a for a in (rows, cols) if a.unused > 0]
        if left_over:
            names = " and ".join(
                f"the last {a.unused} {a.name if a.unused > 1 else a.name[:-1]}" for a in left_over
            )
            spoken = " and ".join(
                f"the last {integer_words(a.unused)} {a.name if a.unused > 1 else a.name[:-1]}"
                for a in left_over
            )
            beats.append(
                _beat(
                    "output-size.unused",
                    "The stride skips past {names}: no window reaches "
                    + ("them." if len(left_over) > 1 or left_over[0].unused > 1 else "it."),
                    names=Said(names, spoken),
                    values=tuple(a.unused for a in left_over),
                )
            )
        text = (
            "In general: the image size {n}, plus the padding before and after, minus the "
            "filter's span, divided by the stride {s} and rounded down, plus one."
        )
        beats.append(_beat("output-size.formula", text, n=Said("n", "en"), s=Said("s", "ess")))
        oh, ow = self.p.output_shape
        beats.append(
            _beat(
                "output-size.numbers",
                "Here that gives {r} rows and {c} columns: {a} {dims} result.",
                a=_article(oh).written.lower(),
                r=number(oh),
                c=number(ow),
                dims=size(oh, ow),
                values=(oh, ow),
            )
        )
        return beats

    def sweep(self) -> list[Beat]:
        oh, ow = self.p.output_shape
        total = oh * ow
        first = _beat(
            "sweep.start",
            "Do the same for every patch, and write each value into the {dims} result: one "
            "pixel per patch.",
            dims=size(oh, ow),
            steps=[(0, 0)],
        )
        return [first, self._colour_beat("sweep.fill", total)]

    def _colour_beat(self, key: str, total: int) -> Beat:
        f = self.f
        lo, hi = f.worst.value, f.best.value
        steps = [s.index for s in f.trace.steps]
        if f.all_equal:
            return _beat(
                key,
                "Every value is {v}, one colour throughout.",
                v=self.num(hi),
                steps=steps,
                values=(hi,),
            )
        if lo < 0 < hi:
            text = (
                "Positive values are "
                + POSITIVE_NAME
                + ", negative ones "
                + NEGATIVE_NAME
                + ", zero is white: from {lo} to {hi}."
            )
        elif hi <= 0:
            text = (
                "Every value is zero or below, shades of " + NEGATIVE_NAME + ": from {lo} to {hi}."
            )
        else:
            text = (
                "Every value is zero or above, shades of " + POSITIVE_NAME + ": from {lo} to {hi}."
            )
        return _beat(key, text, lo=self.num(lo), hi=self.num(hi), steps=steps, values=(lo, hi))

    def summary_sweep(self) -> list[Beat]:
        oh, ow = self.p.output_shape
        return [
            _beat(
                "sweep.summary",
                "Doing this for every patch gives {a} {dims} result, too large to write out; its "
                "colours show every value.",
                dims=size(oh, ow),
                a=_article(oh).written.lower(),
            ),
            self._colour_beat("sweep.colours", oh * ow),
        ]

    def result(self) -> list[Beat]:
        f = self.f
        best = f.best
        n = best.count
        marked = best.indices[:MAX_MARKED]
        v = self.num(best.value)
        if f.all_equal:
            why = {
                "change": "the image is flat everywhere the filter looks",
            }.get(self.kind, "the filter sees the same thing everywhere")
            return [
                _beat(
                    "result.best",
                    "Every pixel of the result is {v}: " + why + ".",
                    v=v,
                    values=(best.value,),
                )
            ]
        pixels = count(n, "pixel", "pixels")
        where = _where(best)
        if self.kind == "pattern" and f.best_is_perfect:
            if n == 1:
                text = "The pixel equal to {v} is exactly where the image matches the filter."
            else:
                text = "The {pixels} equal to {v} are exactly where the image matches the filter."
        elif self.kind == "pattern":
            text = (
                "The largest value, {v}, {where}, is where the image comes closest to the filter."
            )
        elif self.kind == "change" and f.change_direction:
            text = (
                "The largest value, {v}, {where}, marks where the image rises most steeply "
                "from " + f.change_direction + "."
            )
        elif self.kind == "change":
            text = "The largest value, {v}, {where}, marks where the image changes most."
        elif self.kind == "smoothing":
            text = "The largest value, {v}, {where}, is where the weighted patch is brightest."
        else:
            text = "The largest value is {v}, {where}."
        beats = [
            _beat(
                "result.best",
                text,
                v=v,
                pixels=pixels,
                where=where,
                steps=marked,
                values=(best.value,),
            )
        ]
        worst = f.worst
        if f.has_negative_values:
            w = self.num(worst.value)
            where = _where(worst)
            if f.opposite_as_strong:
                if self.kind == "pattern":
                    meaning = "the pattern inverted"
                elif self.kind == "change":
                    meaning = "the same change, the other way round"
                elif f.kernel_non_negative:
                    meaning = "where the image itself is negative"
                else:
                    meaning = "the opposite response"
                text = (
                    "The most negative value, {w}, {where}, is just as strong with the "
                    "opposite sign: " + meaning + "."
                )
            elif f.negative_is_strongest:
                text = (
                    "The most negative value, {w}, {where}, is further from zero than the "
                    "largest: the strongest response here is negative."
                )
            elif self.kind == "pattern":
                text = (
                    "Negative values, down to {w}, are where the image disagrees with the "
                    "filter more than it agrees."
                )
            elif f.kernel_non_negative:
                text = "Negative values, down to {w}, come from the image's negative pixels."
            else:
                text = "Negative values go down to {w}, where the negative weights win."
            beats.append(
                _beat(
                    "result.negative",
                    text,
                    w=w,
                    where=where,
                    steps=worst.indices[:MAX_MARKED],
                    values=(worst.value,),
                )
            )
        partial = [x for x in f.distinct_values if 0 < x < best.value]
        partial_steps = [s.index for s in f.trace.steps if 0 < s.value < best.value]
        if self.kind == "pattern" and len(partial) == 1:
            beats.append(
                _beat(
                    "result.others",
                    "Pixels equal to {p} are partial matches.",
                    p=self.num(partial[0]),
                    steps=partial_steps,
                    values=(partial[0],),
                )
            )
        elif self.kind == "pattern" and partial:
            beats.append(
                _beat(
                    "result.others",
                    "Values between 0 and {v} are partial matches, to varying degrees.",
                    v=v,
                    steps=partial_steps,
                    values=(best.value,),
                )
            )
        return beats

    def notation(self) -> list[Beat]:
        f = self.f
        beats = [_beat("notation.symbol", "We write it image ⊗ filter = result.")]
        norm = self.p.normalize
        if norm == "area":
            what = Said(
                "the average of the products under the filter",
                "the average of the products under the filter",
            )
        elif norm == "sum" and f.trace.divisor == 1:
            what = words(
                "the sum of the products under the filter (its weights add up to 1, so "
                "dividing by their sum changes nothing)"
            )
        elif norm == "sum":
            d = number(f.trace.divisor)
            lead = "the sum of the products under the filter, divided by the filter's sum, "
            what = Said(lead + d.written, lead + d.spoken)
        else:
            what = words("the sum of the products under the filter")
        beats.append(_beat("notation.formula", "One output pixel, in general: {what}.", what=what))
        beats.append(
            Beat(
                "notation.symbols",
                "x is the image, w the filter, y the result; i, j number the output pixel, and "
                "m, n the filter's rows and columns.",
                "ex is the image, double-u the filter, and why the result; eye and jay number "
                "the output pixel, and em and en the filter's rows and columns.",
            )
        )
        if self.p.flip:
            text = (
                "With the flip this is convolution in the mathematical sense: w is the filter "
                "as given, read from its last row and column."
            )
            beats.append(_beat("notation.flip", text))
        else:
            text = (
                "No flip here: deep-learning libraries call this convolution; strictly, it is "
                "cross-correlation."
            )
            beats.append(_beat("notation.flip", text))
            if f.kernel_symmetric:
                beats.append(
                    _beat(
                        "notation.symmetric",
                        "This filter looks the same rotated by 180°, so true convolution would "
                        "give the same result.",
                    )
                )
        if not f.kernel_symmetric:
            changed, total = f.flip_changes
            other = "Without the flip" if self.p.flip else "With the flip"
            beats.append(
                _beat(
                    "notation.flip-effect",
                    other + ", {c} of the {t} values of the result would be different.",
                    c=_amount(changed),
                    t=_amount(total),
                    values=(changed, total),
                )
            )
        return beats

    def conclusion(self) -> list[Beat]:
        summary = {
            "pattern": "each pixel says how well the image around it matches the filter.",
            "smoothing": (
                "a smoothed copy, each pixel a weighted average of its patch."
                if self.f.weights_sum_to_one_after_division
                else "each pixel a weighted sum of its patch, which smooths."
            ),
            "change": "zero wherever the patch is flat, non-zero only where the image changes.",
            "sharpen": "flat areas as they were, and every edge steeper.",
            "general": "each pixel the weighted sum of the patch around it.",
        }[self.kind]
        if self.kind == "general" and self.p.normalize:
            summary = summary[:-1] + ", divided by " + number(self.f.trace.divisor).written + "."
        return [_beat("conclusion.summary", "The result is again an image: " + summary)]


def _article(n: int) -> Said:
    """'A' or 'An' before a number read aloud: an 8×8, an 11×11, an 18×18, a 9×9."""
    spoken = integer_words(n)
    word = "An" if spoken.startswith(("eight", "eleven")) else "A"
    return Said(word, word)


def _plain(v) -> Number:
    """A numpy scalar or Fraction as a plain exact Python number."""
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else v
    return float(v) if isinstance(v, (float, np.floating)) else int(v)


def _amount(n: int) -> Said:
    """A count on its own: words up to nine, digits above, as in print."""
    return Said(integer_words(n) if n <= 9 else f"{n:,}", integer_words(n))


def _where(extreme) -> Said:
    """'at (1, 0)' for one pixel, 'in four pixels' for more."""
    if extreme.count == 1:
        p = position(*extreme.indices[0])
        return Said("at " + p.written, "at " + p.spoken)
    n = count(extreme.count, "pixel", "pixels")
    marked = ""
    if extreme.count > MAX_MARKED:  # the picture outlines only the first few
        marked = f", the first {integer_words(MAX_MARKED)} outlined"
    return Said("found in " + n.written + marked, "found in " + n.spoken + marked)


def _signed(v: Number) -> Said:
    """A value with its sign written out, as a pixel's value is named: +1, −1, 0."""
    said = number(v)
    return Said("+" + said.written, "plus " + said.spoken) if v > 0 else said


def _join(parts: list[Said]) -> Said:
    """'a, b and c' in both forms."""
    if len(parts) == 1:
        return parts[0]
    head_w = ", ".join(p.written for p in parts[:-1])
    head_s = ", ".join(p.spoken for p in parts[:-1])
    return Said(f"{head_w} and {parts[-1].written}", f"{head_s} and {parts[-1].spoken}")


def exact(v: Number) -> Fraction:
    """A stated value as a Fraction, for comparisons in tests and checks."""
    return Fraction(repr(v)) if isinstance(v, float) else Fraction(v)
