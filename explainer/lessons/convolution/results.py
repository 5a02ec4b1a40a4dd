"""The sentences about the whole result: output size, sweep, result."""

from __future__ import annotations

from explainer.lessons.convolution.grammar import (
    MAX_MARKED,
    _article,
    _beat,
    _distance,
    _where,
)
from explainer.lessons.script import Beat
from explainer.present.palette import NEGATIVE_NAME, POSITIVE_NAME
from explainer.present.speech import (
    Said,
    count,
    integer_words,
    number,
    size,
)


class ResultWords:
    """The sentences about the whole result: output size, sweep, result."""

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
