"""The sentences about one patch: matches, operation, multiply (add and contrast are in
:mod:`.adding`)."""

from __future__ import annotations

from explainer.lessons.claims import Count, MovesLikePrelude, Products, Setting, Shape
from explainer.lessons.convolution.grammar import (
    MAX_MARKED,
    _amount,
    _beat,
    _capitalized,
    _distance,
    _join,
)
from explainer.lessons.script import Beat
from explainer.present.speech import (
    Said,
    count,
    integer_words,
    number,
    position,
    size,
)


class PatchWords:
    """The sentences about one patch: matches, operation, multiply."""

    def matches(self) -> list[Beat]:
        f = self.f
        if not self.matching:
            return []
        fit = self.best_fit()
        n = len(fit.positions)
        marked = min(n, MAX_MARKED)
        shown = (
            ""
            if n == marked
            else Said(
                f" (the first {marked} are outlined)",
                f", the first {integer_words(marked)} outlined",
            )
        )
        quality = self.match_quality()
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
                steps=fit.positions[:marked],
                claims=[self.kind_claim(), fit, quality],
            )
        ]
        if self.partial_values:
            partial = [s for s in f.trace.steps if 0 < s.total < self.best_sum]
            beats.append(
                _beat(
                    "matches.partial",
                    "Other places hold part of the pattern.",
                    steps=[s.index for s in partial[:3]],
                    claims=[self.partial_claim()],
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
                claims=[Setting("dilation", (dh, dw))],
            )
        sh, sw = self.p.stride
        oh, ow = self.p.output_shape
        across = _distance(sw)
        down = _distance(sh, "row")
        stride = self.stride_claim()
        if ow == 1 and oh == 1:
            slide = _beat(
                "operation.slide",
                "Here the filter fits in only one place.",
                steps=[(0, 0)],
                claims=[Count(1, "result-pixels")],
            )
        elif ow == 1:
            # The prelude slid along a row; here the filter only moves down: no "as in one
            # dimension".
            slide = _beat(
                "operation.slide",
                "The filter fits only once across, so it moves {down} down at a time.",
                down=down,
                steps=[(i, 0) for i in range(min(oh, 2))],
                claims=[Count(1, "positions-across"), stride],
            )
        else:
            claims = [stride]
            again = ""
            if self.prelude_choice is not None:
                again = ", as in one dimension"
                claims += [self.prelude_claim(), MovesLikePrelude(sw)]
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
                claims=claims,
            )
        return [lay, slide]

    def multiply(self) -> list[Beat]:
        f = self.f
        step = f.first
        n = f.best.count
        pos = position(*step.index)
        if self.one_pixel:
            take = _beat(
                "multiply.take",
                "Take the patch of output pixel {pos}, the only one.",
                pos=pos,
                steps=[step.index],
                claims=[self.one_pixel_claim()],
            )
        elif f.all_equal:
            text = "Take the patch of output pixel {pos}; every pixel will have the same value."
            take = _beat(
                "multiply.take", text, pos=pos, steps=[step.index], claims=[self.all_equal()]
            )
        else:
            if self.matching:
                where, where_many = "where the filter fits best", "where the filter fits best"
                claims = [self.best_fit(), self.largest()]
            else:
                where, where_many = "where the output is largest", "with the largest output"
                claims = [self.largest()]
            if n == 1:
                take = _beat(
                    "multiply.take",
                    "Take the patch of output pixel {pos}, " + where + ".",
                    pos=pos,
                    steps=[step.index],
                    claims=claims,
                )
            else:
                take = _beat(
                    "multiply.take",
                    "Take the patch of output pixel {pos}, one of {n} " + where_many + ".",
                    pos=pos,
                    n=_amount(n),
                    steps=[step.index],
                    claims=claims,
                )
        kh, kw = step.kernel_shape
        products = Products(step.index, step.products)
        if kh * kw == 1:
            mult = _beat(
                "multiply.products",
                "Multiply the image pixel by the filter's one weight.",
                steps=[step.index],
                values=step.products,
                claims=[products, Count(1, "products")],
            )
        else:
            mult = _beat(
                "multiply.products",
                "Multiply each image pixel by the filter pixel over it, into a temporary {dims} "
                "array.",
                dims=size(kh, kw),
                steps=[step.index],
                values=step.products,
                claims=[products, Shape(kh, kw, of="kernel")],
            )
        return [take, mult]
