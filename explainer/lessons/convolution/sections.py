"""The convolution lesson's shape: its sections in order, their titles, its beat keys.

Said once here; the writer fills the sections, the scenes stage them by these names, and
every output looks beats up by the keys in :data:`BEAT_KEYS` (an unknown key is an error).
"""

from __future__ import annotations

from explainer.lessons.convolution.facts import Facts

LESSON = "convolution"

MAX_MARKED = 6
"""Windows outlined at once; more would tangle the image."""
MAX_PIXELWISE = 16
"""Past this many rows or columns the sweep is shown as a heatmap, not pixel by pixel."""

SECTION_NAMES: tuple[str, ...] = (
    "title",
    "one-dimension",
    "image",
    "filter",
    "matches",
    "operation",
    "multiply",
    "add",
    "contrast",
    "output-size",
    "sweep",
    "result",
    "notation",
    "conclusion",
)
"""Every section the lesson can have, in lecture order (a problem's script may skip some)."""

TITLES: dict[str, str] = {
    "title": "",
    "one-dimension": "One dimension first",
    "image": "The image",
    "filter": "The filter",
    "matches": "Where does the pattern appear?",
    "operation": "The operation",
    "multiply": "Multiply, pixel by pixel",
    "add": "Add",
    "contrast": "A patch that differs",
    "output-size": "How big is the result?",
    "sweep": "Every patch",
    "result": "The result",
    "notation": "Notation",
    "conclusion": "In short",
}

BEAT_KEYS: frozenset[str] = frozenset(
    {
        "title.question",
        "one-dimension.signal",
        "one-dimension.slide",
        "one-dimension.best",
        "one-dimension.flip",
        "one-dimension.to-2d",
        "image.show",
        "image.numbering",
        "image.padding",
        "image.padding-uneven",
        "image.padding-why",
        "filter.show",
        "filter.flip",
        "filter.symmetric",
        "matches.best",
        "matches.partial",
        "operation.lay",
        "operation.slide",
        "multiply.take",
        "multiply.products",
        "add.sum",
        "add.derivation",
        "add.value",
        "contrast.take",
        "contrast.value",
        "output-size.formula",
        "output-size.numbers",
        "output-size.count",
        "output-size.unused",
        "sweep.start",
        "sweep.fill",
        "sweep.colours",
        "sweep.summary",
        "result.best",
        "result.negative",
        "result.others",
        "notation.symbol",
        "notation.symbols",
        "notation.formula",
        "notation.flip",
        "notation.flip-effect",
        "notation.symmetric",
        "conclusion.summary",
    }
)
"""The registry of beat keys, ``section.action``: scenes and the page look beats up by these."""


def pixelwise(facts: Facts) -> bool:
    """Small enough to write every value into its cell (else a heatmap and a summary)."""
    rows, cols = len(facts.trace.padded_image), len(facts.trace.padded_image[0])
    oh, ow = facts.trace.output_shape
    return max(rows, cols, oh, ow) <= MAX_PIXELWISE


def result_written(facts: Facts) -> bool:
    """Small enough a result to write its values into its cells, even where the padded
    image is drawn by colour alone."""
    return max(facts.trace.output_shape) <= MAX_PIXELWISE
