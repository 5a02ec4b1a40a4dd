"""The sentences about adding up one patch, and about a second patch that differs."""

from __future__ import annotations

from explainer.core.trace import Step
from explainer.lessons.claims import (
    Count,
    Divisor,
    KernelSum,
    ProductSigns,
    SumCancels,
    Value,
)
from explainer.lessons.convolution.grammar import _beat, _capitalized, _pixels
from explainer.lessons.script import Beat
from explainer.present.speech import Said, compared, count, integer_words, number, position


def _signs(step: Step) -> ProductSigns:
    return ProductSigns(
        step.index,
        negatives=sum(1 for v in step.products if v < 0),
        positives=sum(1 for v in step.products if v > 0),
        zeros=sum(1 for v in step.products if v == 0),
    )


class AddWords:
    """The sentences of the add and contrast sections."""

    def add(self) -> list[Beat]:
        f = self.f
        step = f.first
        beats = [self._sum_beat(step)]
        value = self.num(step.value)
        claims: list = [Value(step.index, step.value)]
        found = ""
        if f.best.count > 1 and not f.all_equal:
            found = ", found in {n}"
        if self.one_pixel:
            text = "The output is {v}: the whole result is this one pixel."
            claims.append(self.one_pixel_claim())
        elif f.all_equal:
            text = "The output is {v}, and so is every other pixel's."
            claims.append(self.all_equal())
        elif self.matching and f.best_is_perfect:
            claims += [self.largest(), self.best_fit(), self.match_quality()]
            if step.value == 1:
                text = "Here it is exactly {v}: a perfect match" + found + "."
            else:
                text = "Here it is {v}, the most this filter can give here: a perfect match"
                text += found + "."
        elif self.matching:
            claims += [self.largest(), self.best_fit(), self.match_quality()]
            text = "Here it is {v}, the largest value of all" + found
            text += "; a whole match would give {m}."
        else:
            claims.append(self.largest())
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
                claims=claims,
            )
        )
        beats.append(
            _beat(
                "add.derivation",
                "From the formula alone, {sympy} derives the same value, term by term.",
                sympy=Said("sympy", "sim-pie"),
                steps=[step.index],
                values=(step.value,),
                claims=[Value(step.index, step.value)],
            )
        )
        return beats

    def _sum_beat(self, step: Step) -> Beat:
        n = len(step.products)
        total, value, divisor = step.total, step.value, self.f.trace.divisor
        norm = self.p.normalize
        claims: list = [
            Value(step.index, total, "sum"),
            Value(step.index, value),
            Count(n, "products"),
            Divisor(divisor, norm),
        ]
        parts = {"t": self.num(total), "d": number(divisor), "v": self.num(value)}
        if n == 1:
            if norm is None:
                text = "With one product, the product itself, {t}, is the output pixel."
                values = (total,)
            else:
                what = "the number of filter pixels" if norm == "area" else "the filter's sum"
                text = "Divide the one product, {t}, by {d}, " + what + ": the output is {v}."
                values = (total, divisor, value)
            return _beat("add.sum", text, steps=[step.index], values=values, claims=claims, **parts)
        parts["products"] = count(n, "product", "products")
        if norm is None:
            text = "Add the {products}: their sum, {t}, is the output pixel."
            values = (total,)
        elif norm == "area":
            text = (
                "Add the {products}, {t}, and divide by {d}, the number of filter pixels: the "
                "average product, {v}."
            )
            values = (total, divisor, value)
        elif divisor == 1:
            text = (
                "Add the {products}, {t}, and divide by the filter's sum, 1, which changes "
                "nothing: its weights already add up to 1."
            )
            values = (total, divisor)
            claims.append(KernelSum(1))
        else:
            text = (
                "Add the {products}, {t}, and divide by the filter's sum, {d}, so that the "
                "weights count as shares of one: {v}."
            )
            if divisor < 0:  # shares of one, but a negative sum turns every sign round
                text = (
                    "Add the {products}, {t}, and divide by the filter's sum, {d}, which turns "
                    "every sign round: {v}."
                )
            values = (total, divisor, value)
        return _beat("add.sum", text, steps=[step.index], values=values, claims=claims, **parts)

    def contrast(self) -> list[Beat]:
        f = self.f
        step = f.contrast
        if step is None:
            return []
        signs = _signs(step)
        pos = position(*step.index)
        if self.matching and signs.negatives:
            take = _beat(
                "contrast.take",
                "Now the patch of output pixel {pos}. Where its sign differs from the filter's, "
                "the product is negative.",
                pos=pos,
                steps=[step.index],
                values=step.products,
                claims=[self.kind_claim(), signs],
            )
        else:
            take = _beat(
                "contrast.take",
                "Now the patch of output pixel {pos}.",
                pos=pos,
                steps=[step.index],
                values=step.products,
                claims=[Value(step.index, step.value)],
            )
        return [take, self._contrast_value(step, signs)]

    def _contrast_value(self, step: Step, signs: ProductSigns) -> Beat:
        f = self.f
        first = f.first
        v, b = compared(step.value, first.value, style=self.style)
        values: tuple = (step.value, first.value)
        weaker = self.weaker(step, first)
        claims: list = [Value(step.index, step.value), Value(first.index, first.value), weaker]
        only = "only " if weaker else ""
        first_signs = _signs(first)
        parts: dict = {"v": v, "b": b}
        if len(step.products) == 1:  # one product: there is no sum to pull down
            text = "With its one product, the value is " + only + "{v}, against {b} before."
        elif step.total == 0 and signs.positives and signs.negatives:
            text = "Its {p} and {neg} cancel: the sum is 0, and so is the value."
            parts = {
                "p": count(signs.positives, "positive product", "positive products"),
                "neg": count(signs.negatives, "negative product", "negative products"),
            }
            values = (step.total, step.value)
            claims = [SumCancels(step.index), signs, Value(step.index, 0, "sum")]
        elif signs.negatives > first_signs.negatives:  # more disagreement than the first
            neg = count(signs.negatives, "negative product", "negative products")
            verb = "pulls" if signs.negatives == 1 else "pull"
            was = "" if not first_signs.negatives else ", against {m} in the first patch,"
            parts["neg"] = _capitalized(neg)
            parts["m"] = (
                integer_words(first_signs.negatives)
                if first_signs.negatives < 10
                else str(first_signs.negatives)
            )
            claims += [signs, first_signs]
            if weaker:
                text = "{neg}" + was + " " + verb + " the sum down: the value is only {v}, "
                text += "against {b}."
            else:
                text = "{neg}" + was.rstrip(",") + ": the value is {v}, against {b}."
        elif weaker:
            text = "Its products add up to less: the value is only {v}, against {b} before."
        else:
            text = "Here the value is {v}, against {b} before."
        return _beat(
            "contrast.value", text, steps=[step.index], values=values, claims=claims, **parts
        )
