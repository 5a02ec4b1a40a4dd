"""The closing sentences: notation and conclusion."""

from __future__ import annotations

from explainer.lessons.claims import Count, Divisor, KernelSum, Setting, Symmetric
from explainer.lessons.convolution.grammar import _all_or_some, _beat
from explainer.lessons.script import Beat
from explainer.present.speech import Said, number, words


class ClosingWords:
    """The closing sentences: notation and conclusion."""

    def divisor_claim(self) -> Divisor:
        return Divisor(self.f.trace.divisor, self.p.normalize)

    def notation(self) -> list[Beat]:
        f = self.f
        beats = [_beat("notation.symbol", "We write it image ⊗ filter = result.")]
        norm = self.p.normalize
        claims: list = [self.divisor_claim()]
        if norm == "area":
            what = words("the average of the products under the filter")
        elif norm == "sum" and f.trace.divisor == 1:
            what = words(
                "the sum of the products under the filter (its weights add up to 1, so "
                "dividing by their sum changes nothing)"
            )
            claims.append(KernelSum(1))
        elif norm == "sum":
            d = number(f.trace.divisor)
            lead = "the sum of the products under the filter, divided by the filter's sum, "
            what = Said(lead + d.written, lead + d.spoken)
        else:
            what = words("the sum of the products under the filter")
        beats.append(
            _beat(
                "notation.formula",
                "One output pixel, in general: {what}.",
                what=what,
                claims=claims,
            )
        )
        beats.append(
            Beat(
                "notation.symbols",
                "x is the image, w the filter, y the result; i, j number the output pixel, and "
                "m, n the filter's rows and columns.",
                "ex is the image, double-u the filter, and why the result; eye and jay number "
                "the output pixel, and em and en the filter's rows and columns.",
            )
        )
        flip = Setting("flip", bool(self.p.flip))
        if self.p.flip:
            text = (
                "With the flip this is convolution in the mathematical sense: w is the filter "
                "as given, read from its last row and column."
            )
            beats.append(_beat("notation.flip", text, claims=[flip]))
        else:
            text = (
                "No flip here: deep-learning libraries call this convolution; strictly, it is "
                "cross-correlation."
            )
            beats.append(_beat("notation.flip", text, claims=[flip]))
            if f.kernel_symmetric:
                beats.append(
                    _beat(
                        "notation.symmetric",
                        "This filter looks the same rotated by 180°, so true convolution would "
                        "give the same result.",
                        claims=[Symmetric()],
                    )
                )
        if not f.kernel_symmetric:
            changed, total = f.flip_changes
            other = "Without the flip" if self.p.flip else "With the flip"
            if total > 1:
                c = _all_or_some(changed, total, "values", "values")
                text = other + ", {c} of the result would be different."
            else:  # one pixel: it changes or it does not (a sum can be unchanged by a flip)
                c = Said("its one value", "its one value")
                text = other + ", {c} would be " + ("different." if changed else "the same.")
            beats.append(
                _beat(
                    "notation.flip-effect",
                    text,
                    c=c,
                    values=(changed, total),
                    claims=[Count(changed, "flip-changes", total)],
                )
            )
        return beats

    def conclusion(self) -> list[Beat]:
        claims: list = [self.kind_claim()]
        kind = self.kind
        if kind == "pattern" and not self.matching:
            kind = "general"
        if kind == "pattern":
            summary = "each pixel says how well the image around it matches the filter."
            claims.append(self.best_fit())
        elif kind == "smoothing" and self.averages:
            summary = "a smoothed copy, each pixel a weighted average of its patch."
            claims.append(self.average_claim())
        elif kind == "smoothing":
            summary = "each pixel a weighted sum of its patch, which smooths."
        elif kind == "change":
            summary = "zero wherever the patch is flat, non-zero only where the image changes."
            claims.append(self.gain_claim())
        elif kind == "sharpen" and self.gain == 1:
            summary = "flat areas as they were, and edges steeper."
            claims.append(self.gain_claim())
        elif kind == "sharpen":
            summary = "flat areas scaled by " + number(self.gain).written + ", and edges steeper."
            claims.append(self.gain_claim())
        else:
            summary = "each pixel the weighted sum of the patch around it."
            if self.p.normalize:
                summary = (
                    summary[:-1] + ", divided by " + number(self.f.trace.divisor).written + "."
                )
                claims.append(self.divisor_claim())
        return [
            _beat("conclusion.summary", "The result is again an image: " + summary, claims=claims)
        ]
