"""The closing sentences: notation and conclusion."""

from __future__ import annotations

from explainer.lessons.convolution.grammar import (
    _amount,
    _beat,
)
from explainer.lessons.script import Beat
from explainer.present.speech import (
    Said,
    number,
    words,
)


class ClosingWords:
    """The closing sentences: notation and conclusion."""

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
