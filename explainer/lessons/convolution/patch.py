"""The sentences about one patch: matches, operation, multiply, add, contrast."""

from __future__ import annotations

from explainer.core.trace import Number, Step
from explainer.lessons.convolution.grammar import (
    MAX_MARKED,
    _beat,
    _capitalized,
    _distance,
    _join,
    _pixels,
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
    """The sentences about one patch: matches, operation, multiply, add, contrast."""

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
