"""The sentences about the whole result: output size, sweep, result."""

from __future__ import annotations

from explainer.lessons.claims import (
    ChangeDirection,
    Count,
    OppositeExtremes,
    Range,
    Shape,
    TooLarge,
)
from explainer.lessons.convolution.grammar import (
    MAX_MARKED,
    _article,
    _beat,
    _distance,
    _last,
    _where,
)
from explainer.lessons.convolution.sections import MAX_PIXELWISE, result_written
from explainer.lessons.script import Beat
from explainer.present.palette import NEGATIVE_NAME, POSITIVE_NAME
from explainer.present.speech import (
    Said,
    count,
    number,
    size,
)


def _numbered(n: int, noun: str) -> Said:
    """'1 row', '7 rows': a number in figures (as the formula gives it) and its noun."""
    said = number(n)
    plural = "" if n == 1 else "s"
    return Said(f"{said.written} {noun}{plural}", f"{said.spoken} {noun}{plural}")


class ResultWords:
    """The sentences about the whole result: output size, sweep, result."""

    def output_size(self) -> list[Beat]:
        f = self.f
        if not f.size_changes:
            return []
        rows, cols = f.axes

        def fits(axis) -> Said:
            # "apart" only between two positions or more: one position is apart from nothing
            spaced = axis.stride > 1 and axis.out > 1
            apart = f", {_distance(axis.stride).written} apart" if spaced else ""
            apart_spoken = f", {_distance(axis.stride).spoken} apart" if spaced else ""
            n = count(axis.out, "position", "positions")
            return Said(n.written + apart, n.spoken + apart_spoken)

        counted = [
            Count(cols.out, "positions-across"),
            Count(rows.out, "positions-down"),
            self.stride_claim(),
        ]
        if (rows.out, rows.stride) == (cols.out, cols.stride):
            count_beat = _beat(
                "output-size.count",
                "Along each row the window fits in {c}, and as many times down each column.",
                c=fits(cols),
                steps=[(0, j) for j in range(cols.out)],
                values=(cols.out,),
                claims=counted,
            )
        else:
            count_beat = _beat(
                "output-size.count",
                "Along a row the window fits in {c}; down a column, in {r}.",
                c=fits(cols),
                r=fits(rows),
                steps=[(0, j) for j in range(cols.out)],
                values=(cols.out, rows.out),
                claims=counted,
            )
        beats = [count_beat]
        left_over = [a for a in (rows, cols) if a.unused > 0]
        if left_over:
            names = [_last(a.unused, a.name[:-1], a.name) for a in left_over]
            # With padding, the rows skipped are the padded image's (often the border's own)
            whose = " of the padded image" if any(self.p.padding) else ""
            said = Said(
                " and ".join(n.written for n in names) + whose,
                " and ".join(n.spoken for n in names) + whose,
            )
            beats.append(
                _beat(
                    "output-size.unused",
                    "The stride skips past {names}: no window reaches "
                    + ("them." if len(left_over) > 1 or left_over[0].unused > 1 else "it."),
                    names=said,
                    values=tuple(a.unused for a in left_over),
                    claims=[
                        Count(a.unused, "unused-rows" if a.name == "rows" else "unused-columns")
                        for a in left_over
                    ],
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
                "Here that gives {r} and {c}: {a} {dims} result.",
                a=_article(oh).written.lower(),
                r=_numbered(oh, "row"),
                c=_numbered(ow, "column"),
                dims=size(oh, ow),
                values=(oh, ow),
                claims=[Shape(oh, ow)],
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
            claims=[Shape(oh, ow)],
        )
        return [first, self._colour_beat("sweep.fill", total)]

    def _colour_beat(self, key: str, total: int) -> Beat:
        f = self.f
        lo, hi = f.worst.value, f.best.value
        steps = [s.index for s in f.trace.steps]
        if self.one_pixel:
            return _beat(
                key,
                "Its one value is {v}.",
                v=self.num(hi),
                steps=steps,
                values=(hi,),
                claims=[self.one_pixel_claim(), self.all_equal()],
            )
        if f.all_equal:
            return _beat(
                key,
                "Every value is {v}, one colour throughout.",
                v=self.num(hi),
                steps=steps,
                values=(hi,),
                claims=[self.all_equal()],
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
            sign = "negative" if hi < 0 else "zero or below"  # zero only when it is reached
            text = (
                "Every value is " + sign + ", shades of " + NEGATIVE_NAME + ": from {lo} to {hi}."
            )
        else:
            sign = "positive" if lo > 0 else "zero or above"
            text = (
                "Every value is " + sign + ", shades of " + POSITIVE_NAME + ": from {lo} to {hi}."
            )
        return _beat(
            key,
            text,
            lo=self.num(lo),
            hi=self.num(hi),
            steps=steps,
            values=(lo, hi),
            claims=[self.value_range()],
        )

    def summary_sweep(self) -> list[Beat]:
        oh, ow = self.p.output_shape
        if result_written(self.f):  # the image is too large to write out, not the result
            first = _beat(
                "sweep.summary",
                "Doing this for every patch gives {a} {dims} result: one value per patch, "
                "written in its cell and shown by its colour.",
                dims=size(oh, ow),
                a=_article(oh).written.lower(),
                claims=[Shape(oh, ow)],
            )
        else:
            first = _beat(
                "sweep.summary",
                "Doing this for every patch gives {a} {dims} result, too large to write out; "
                "its colours show every value.",
                dims=size(oh, ow),
                a=_article(oh).written.lower(),
                claims=[Shape(oh, ow), TooLarge(MAX_PIXELWISE)],
            )
        return [
            first,
            self._colour_beat("sweep.colours", oh * ow),
        ]

    def result(self) -> list[Beat]:
        f = self.f
        best = f.best
        v = self.num(best.value)
        if self.one_pixel:
            return [
                _beat(
                    "result.best",
                    "The result is a single pixel, {v}.",
                    v=v,
                    steps=[best.indices[0]],
                    values=(best.value,),
                    claims=[self.one_pixel_claim(), self.all_equal()],
                )
            ]
        if f.all_equal:
            claims = [self.all_equal()]
            if self.windows_flat:
                why = ": the image is flat everywhere the filter looks"
                claims.append(self.flat_claim())
            elif self.windows_ramps:
                why = (
                    ": everywhere the filter looks, the image is a ramp, changing at a steady rate"
                )
                claims.append(self.ramp_claim())
            else:
                why = ""
            text = "Every pixel of the result is {v}" + why + "."
            return [_beat("result.best", text, v=v, values=(best.value,), claims=claims)]
        beats = [self._best_beat()]
        if f.has_negative_values:
            beats.append(self._negative_beat())
        partial = self.partial_values if self.matching else ()
        partial_steps = [s.index for s in f.trace.steps if 0 < s.total < self.best_sum]
        if len(partial) == 1:
            beats.append(
                _beat(
                    "result.others",
                    "Pixels equal to {p} are partial matches.",
                    p=self.num(partial[0]),
                    steps=partial_steps,
                    values=(partial[0],),
                    claims=[self.partial_claim()],
                )
            )
        elif partial:
            beats.append(
                _beat(
                    "result.others",
                    "Values between 0 and {v} are partial matches, to varying degrees.",
                    v=v,
                    steps=partial_steps,
                    values=(best.value,),
                    claims=[self.partial_claim(), self.largest()],
                )
            )
        return beats

    def _best_beat(self) -> Beat:
        f = self.f
        best = f.best
        claims: list = [self.largest()]
        strongest = self.strongest
        if self.matching:
            claims += [self.best_fit(), self.match_quality()]
            if f.best_is_perfect and best.count == 1:
                text = "The pixel equal to {v} is exactly where the image matches the filter."
            elif f.best_is_perfect:
                text = "The {pixels} equal to {v} are exactly where the image matches the filter."
            else:
                text = (
                    "The largest value, {v}, {where}, is where the image comes closest to the "
                    "filter."
                )
        elif self.kind == "change" and f.change_direction:
            claims += [self.kind_claim(), ChangeDirection(f.change_direction)]
            text = (
                "The largest value, {v}, {where}, marks where the image rises most steeply "
                "from " + f.change_direction + "."
            )
        elif strongest is not None and strongest.value == best.value and self.kind != "smoothing":
            claims.append(strongest)
            text = "The largest value, {v}, {where}, is where the filter responds most."
        elif self.kind == "smoothing":
            claims.append(self.kind_claim())
            text = "The largest value, {v}, {where}, is where the weighted patch is brightest."
        else:
            text = "The largest value is {v}, {where}."
        return _beat(
            "result.best",
            text,
            v=self.num(best.value),
            pixels=count(best.count, "pixel", "pixels"),
            where=_where(best),
            steps=best.indices[:MAX_MARKED],
            values=(best.value,),
            claims=claims,
        )

    def _negative_beat(self) -> Beat:
        f = self.f
        worst = f.worst
        claims: list = [self.smallest()]
        strongest = self.strongest
        if f.opposite_as_strong:
            claims.append(OppositeExtremes(f.best.value))
            if self.matching:
                meaning = "the pattern inverted"
                claims.append(self.kind_claim())
            elif self.kind == "change":
                meaning = "the same change, the other way round"
                claims.append(self.kind_claim())
            elif f.kernel_non_negative:
                meaning = "where the image itself is negative"
                claims.append(self._kernel_range())
            else:
                meaning = "the opposite response"
            text = (
                "The most negative value, {w}, {where}, is just as strong with the opposite "
                "sign: " + meaning + "."
            )
        elif strongest is not None and strongest.value == worst.value:
            claims.append(strongest)
            text = (
                "The most negative value, {w}, {where}, is further from zero than the largest: "
                "the strongest response here is negative."
            )
        elif self.matching:
            claims.append(self.kind_claim())
            text = (
                "Negative values, down to {w}, are where the image disagrees with the filter "
                "more than it agrees."
            )
        elif f.kernel_non_negative and f.trace.divisor > 0:
            claims.append(self._kernel_range())
            text = "Negative values, down to {w}, come from the image's negative pixels."
        elif f.trace.divisor > 0:
            text = "Negative values go down to {w}, where the negative weights win."
        else:
            text = "Negative values go down to {w}."
        return _beat(
            "result.negative",
            text,
            w=self.num(worst.value),
            where=_where(worst),
            steps=worst.indices[:MAX_MARKED],
            values=(worst.value,),
            claims=claims,
        )

    def _kernel_range(self) -> Range:
        weights = self.f.kernel_weights
        return Range(min(weights), max(weights), of="kernel")
