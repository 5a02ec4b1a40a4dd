"""The opening sections' sentences: title, one dimension, image, filter."""

from __future__ import annotations

from explainer.lessons.convolution.grammar import (
    _article,
    _beat,
    _distance,
    _join,
    _plain,
    _signed,
)
from explainer.lessons.script import Beat
from explainer.present.palette import colour_name
from explainer.present.speech import (
    Said,
    count,
    integer_words,
    number,
    size,
)


class OpeningWords:
    """The opening sections' sentences: title, one dimension, image, filter."""

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
        row, first = self.prelude_origin  # type: ignore[misc]
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
