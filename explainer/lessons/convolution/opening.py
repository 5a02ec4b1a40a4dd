"""The opening sections' sentences: title, one dimension, image, filter."""

from __future__ import annotations

from explainer.lessons.claims import (
    AllEqual,
    DistinctValues,
    Divisor,
    KernelSum,
    Padding,
    Range,
    Setting,
    Shape,
    Symmetric,
)
from explainer.lessons.convolution.grammar import (
    _article,
    _beat,
    _distance,
    _join,
    _signed,
)
from explainer.lessons.script import Beat
from explainer.present.palette import colour_name
from explainer.present.speech import (
    Said,
    count,
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
        return [
            _beat("title.question", question + " With convolution.", claims=[self.kind_claim()])
        ]

    def image(self) -> list[Beat]:
        f = self.f
        h, w = self.p.image.shape
        dims = size(h, w)
        article = _article(h)
        vals = f.image_values
        claims = [Shape(h, w, of="image")]
        if f.image_is_constant:
            text = (
                "{a} {dims} image: a single pixel, {v}."
                if h * w == 1
                else "{a} {dims} image in which every pixel is {v}."
            )
            parts = {"v": self.num(vals[0])}
            claims.append(AllEqual(vals[0], h * w, of="image"))
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
            claims.append(DistinctValues(vals, of="image"))
        else:
            text = (
                "{a} {dims} image: each pixel is a number, from {lo} to {hi}, coloured by the "
                "legend."
            )
            parts = {"hi": self.num(vals[-1]), "lo": self.num(vals[0])}
            claims.append(Range(vals[0], vals[-1], of="image"))
        beats = [
            _beat("image.show", text, a=article, dims=dims, values=(), claims=claims, **parts),
            _beat("image.numbering", "Rows and columns are numbered from 0, as in code."),
        ]
        if f.padded:
            beats += self._padding_beats()
        return beats

    def padding_claim(self) -> Padding:
        p = self.p
        spec = p.padding_spec if p.padding_spec in ("valid", "same", "full") else None
        return Padding(*self.f.padding, mode=p.padding_mode, spec=spec)

    def _padding_beats(self) -> list[Beat]:
        f = self.f
        p = self.p
        claim = self.padding_claim()
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
        spec = claim.spec
        oh, ow = p.output_shape
        lead = {"same": "'Same' padding adds", "full": "'Full' padding adds"}.get(
            spec, "Padding adds"
        )
        beats = [
            _beat(
                "image.padding",
                "{lead} {border}: {where}.",
                lead=lead,
                border=border,
                where=where,
                claims=[claim],
            )
        ]
        why_claims: list = [claim]
        if spec == "same" and p.stride == (1, 1):
            why = "It keeps the result the same size as the image."
            why_claims += [Shape(oh, ow), Shape(*p.image.shape, of="image")]
        elif spec == "same":
            why = "It makes the result the image's size divided by the stride, rounded up: {dims}."
            why_claims += [Shape(oh, ow), Setting("stride", tuple(p.stride))]
        elif spec == "full":
            why = "It lets every partial overlap of filter and image count."
        else:
            # Saying what the border is for would need a claim (that windows reach past the
            # edges); the border itself is enough.
            why = "The filter slides over the border as if it were part of the image."
        beats.append(
            _beat("image.padding-why", why, dims=size(oh, ow), values=(oh, ow), claims=why_claims)
        )
        top, bottom, left, right = f.padding
        if spec == "same" and (bottom > top or right > left):
            # PyTorch's padding='same' refuses strides above 1; TensorFlow pads this way.
            who = "TensorFlow and PyTorch" if p.stride == (1, 1) else "TensorFlow"
            beats.append(
                _beat(
                    "image.padding-uneven",
                    "The odd extra pixel goes at the bottom and right, as in " + who + ".",
                    steps=[],
                    claims=[claim],
                )
            )
        return beats

    def filter(self) -> list[Beat]:
        f = self.f
        kh, kw = self.p.kernel.shape
        dims = size(kh, kw)
        a = _article(kh)
        shape = Shape(kh, kw, of="kernel")
        kind = self.kind_claim()
        weights = f.kernel_weights
        if f.kernel_is_one_tap:
            text = "{a} {dims} filter: a single weight, {w}, that multiplies every pixel."
            claims = [shape, DistinctValues((weights[0],), of="kernel")]
            beats = [
                _beat("filter.show", text, a=a, dims=dims, w=number(weights[0]), claims=claims)
            ]
        elif self.kind == "pattern":
            text = "{a} {dims} filter: the pattern we are looking for."
            beats = [_beat("filter.show", text, a=a, dims=dims, claims=[shape, kind])]
        elif self.kind == "smoothing":
            beats = [self._smoothing_beat(a, dims, [shape, kind])]
        elif self.kind == "change":
            text = (
                "{a} {dims} filter whose weights add up to 0: on a flat patch its products add "
                "up to 0, so it responds only where the image changes."
            )
            claims = [shape, kind, KernelSum(0), self.gain_claim()]
            beats = [_beat("filter.show", text, a=a, dims=dims, claims=claims)]
        elif self.kind == "sharpen":
            claims = [shape, kind, KernelSum(1), self.gain_claim()]
            if self.gain == 1:
                flat = "flat areas keep their value"
            else:
                flat = "flat areas are scaled by {g}"
            text = (
                "{a} {dims} filter that counts each pixel {c} times and takes its neighbours "
                "away; its weights add up to 1, and " + flat + "."
            )
            if self.p.normalize:
                claims.append(Divisor(f.trace.divisor, self.p.normalize))
            beats = [
                _beat(
                    "filter.show",
                    text,
                    a=a,
                    dims=dims,
                    c=number(f.kernel_centre),
                    g=number(self.gain),
                    claims=claims,
                )
            ]
        else:
            text = "{a} {dims} filter: its weights say how much each pixel of a patch counts."
            beats = [_beat("filter.show", text, a=a, dims=dims, claims=[shape, kind])]
        if self.p.flip:
            beats.append(
                _beat(
                    "filter.flip",
                    "True convolution first rotates the filter by 180°: its last row becomes "
                    "its first, its last column its first.",
                    claims=[Setting("flip", True)],
                )
            )
            if f.kernel_symmetric:
                beats.append(
                    _beat(
                        "filter.symmetric",
                        "This filter looks the same rotated, so the flip changes nothing.",
                        claims=[Symmetric()],
                    )
                )
        return beats

    def _smoothing_beat(self, a: Said, dims: Said, claims: list) -> Beat:
        f = self.f
        weights = f.kernel_weights
        positive = min(weights) > 0
        sign = "positive" if positive else "non-negative"
        claims = claims + [Range(min(weights), max(weights), of="kernel")]
        if f.kernel_sum == 1:
            text = (
                "{a} {dims} filter of {sign} weights that add up to 1: each output is a "
                "weighted average of its patch, which blurs."
            )
            claims += [KernelSum(1), self.average_claim()]
            if self.p.normalize == "area":  # dividing again: no longer an average
                text = (
                    "{a} {dims} filter of {sign} weights that add up to 1; each output is a "
                    "weighted sum of its patch, divided by {d}."
                )
                claims = claims[:-1] + [Divisor(f.trace.divisor, "area")]
            return _beat(
                "filter.show",
                text,
                a=a,
                dims=dims,
                sign=sign,
                d=number(f.trace.divisor),
                claims=claims,
            )
        if self.averages:
            if self.p.normalize == "sum":
                lead = "dividing by their sum, {s}"
            else:
                lead = "dividing by their number, {d}"
            text = (
                "{a} {dims} filter of {sign} weights; " + lead + ", makes each output a "
                "weighted average of its patch, which blurs."
            )
            claims += [
                KernelSum(f.kernel_sum),
                Divisor(f.trace.divisor, self.p.normalize),
                self.average_claim(),
            ]
            return _beat(
                "filter.show",
                text,
                a=a,
                dims=dims,
                sign=sign,
                s=number(f.kernel_sum),
                d=number(f.trace.divisor),
                values=(f.kernel_sum,),
                claims=claims,
            )
        text = (
            "{a} {dims} filter of {sign} weights: each output is a weighted sum of its "
            "patch, which smooths."
        )
        return _beat("filter.show", text, a=a, dims=dims, sign=sign, claims=claims)
