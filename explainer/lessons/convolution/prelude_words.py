"""The one-dimensional prelude's sentences: where its signal and filter come from, the
sliding, and its strongest sum (see :mod:`.prelude` for how the 1D filter is chosen)."""

from __future__ import annotations

from explainer.lessons.claims import (
    AllEqual,
    Count,
    Extreme,
    KernelKind,
    Prelude,
    Setting,
)
from explainer.lessons.convolution.grammar import _amount, _beat, _distance, _plain
from explainer.lessons.script import Beat
from explainer.present.speech import Said, count, integer_words, number

_TAPS_FROM = {
    "column-sums": "each column of the 2D filter added up",
    "middle-row": "the 2D filter's middle row",
    "only-row": "the 2D filter itself",
}
_TWO_D = "the two-dimensional filter"  # how the voice says "the 2D filter"


class PreludeWords:
    """The sentences of the one-dimensional prelude."""

    def prelude_claim(self) -> Prelude | None:
        c = self.prelude_choice
        if c is None:
            return None
        row, first = c.origin
        return Prelude(
            row=row,
            first=first,
            samples=len(c.trace.padded_image[0]),
            taps=c.taps,
            source=c.source,
            source_index=c.source_index,
            stride=c.stride,
        )

    def one_dimension(self) -> list[Beat]:
        c = self.prelude_choice
        if c is None:
            return []
        t = c.trace
        pre = self.prelude_claim()
        n = len(t.padded_image[0])
        row, first = c.origin
        taps = [_plain(v) for v in c.taps]  # as given; the flip is shown next
        values = ", ".join(number(v).written for v in taps)
        spoken = ", ".join(number(v).spoken for v in taps)
        kh = self.p.kernel.shape[0]
        if c.source == "column-sums":
            source = _TAPS_FROM["column-sums"]
        elif kh == 1:
            source = _TAPS_FROM["only-row"]
        elif kh % 2 == 1 and c.source_index == kh // 2:
            source = _TAPS_FROM["middle-row"]
        else:
            source = f"row {c.source_index} of the 2D filter"
        source = Said(
            source,
            source.replace("the 2D filter", _TWO_D).replace(
                f"row {c.source_index}", f"row {integer_words(c.source_index or 0)}"
            ),
        )
        beats = [
            _beat(
                "one-dimension.signal",
                "First, one dimension: {n} numbers from row {r} of the image{cols}, and a "
                "filter of {k} taps, {source}: {taps}.",
                n=_amount(n),
                r=number(row),
                cols=""
                if n == len(self.p.image[0])
                else Said(
                    f", columns {first} to {first + n - 1}",
                    f", columns {integer_words(first)} to {integer_words(first + n - 1)}",
                ),
                k=integer_words(len(taps)),
                source=source,
                taps=Said(values, spoken),
                values=tuple(taps),
                claims=[
                    pre,
                    KernelKind(self.kind, of="prelude"),
                    Count(n, "prelude-samples"),
                    Count(len(taps), "prelude-taps"),
                ],
            )
        ]
        if self.p.flip:
            beats.append(
                _beat(
                    "one-dimension.flip",
                    "True convolution reverses the filter first, so it is shown reversed.",
                    claims=[Setting("flip", True)],
                )
            )
        out = len(t.steps)
        moves = (
            ""
            if c.stride == 1
            else Said(
                f", {_distance(c.stride, 'number').written} at a time",
                f", {_distance(c.stride, 'number').spoken} at a time",
            )
        )
        beats.append(
            _beat(
                "one-dimension.slide",
                "Slide it along{moves}: multiply the numbers it covers and add them up, one sum "
                "for each of the {out} positions.",
                moves=moves,
                out=_amount(out),
                steps=[s.index for s in t.steps],
                claims=[pre, Count(out, "prelude-positions")],
            )
        )
        beats.append(self._prelude_best(t))
        beats.append(
            _beat(
                "one-dimension.to-2d",
                "In two dimensions, the filter slides along the rows and down the columns.",
            )
        )
        return beats

    def _prelude_best(self, t) -> Beat:
        sums = [s.value for s in t.steps]
        if len(set(sums)) == 1:
            return _beat(
                "one-dimension.best",
                "Every sum here is {v}.",
                v=self.num(sums[0]),
                steps=[s.index for s in t.steps],
                values=(sums[0],),
                claims=[AllEqual(sums[0], len(sums), of="prelude")],
            )
        top = max(sums, key=abs)
        strongest = top != 0 and -top not in sums
        value = top if strongest else max(sums)
        where = [s.index for s in t.steps if s.value == value]
        if len(where) == 1:
            col = where[0][1]
            at = Said(f"at position {col}", f"at position {integer_words(col)}")
        else:
            at = count(len(where), "position", "positions")
            at = Said("at " + at.written, "at " + at.spoken)
        if strongest and value == max(sums):
            text = "The largest sum, {v}, is {at}: where the filter responds most."
            claims = [
                Extreme(value, tuple(where), "largest", "sign", of="prelude"),
                Extreme(value, tuple(where), "largest", "magnitude", of="prelude"),
            ]
        elif strongest:
            text = "The sum furthest from zero, {v}, is {at}: there the filter responds most."
            claims = [Extreme(value, tuple(where), "largest", "magnitude", of="prelude")]
        else:
            text = "The largest sum, {v}, is {at}."
            claims = [Extreme(value, tuple(where), "largest", "sign", of="prelude")]
        return _beat(
            "one-dimension.best",
            text,
            v=self.num(value),
            at=at,
            steps=where,
            values=(value,),
            claims=claims,
        )
