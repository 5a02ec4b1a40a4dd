"""The convolution lesson's writer: every sentence chosen from the facts of the trace.

Scenes, the page, the slides and the handout stage the beats; they never word a sentence
of their own. Every word is chosen by :mod:`explainer.lessons.convolution.facts`, so pattern
words are used only for pattern kernels, "divide" only when something is divided, plurals
follow counts, and negative values are named for what they are.

>>> from explainer.core.presets import lecture_problem
>>> s = build_script(lecture_problem())
>>> [sec.name for sec in s.sections][:4]
['title', 'one-dimension', 'image', 'filter']
>>> s.beat("result.best").caption
'The four pixels equal to 1 are exactly where the image matches the filter.'
"""

from __future__ import annotations

from explainer.core.problem import Problem
from explainer.core.trace import Number, Trace, build_trace
from explainer.lessons.convolution.adding import AddWords
from explainer.lessons.convolution.claimed import ClaimsOfFacts
from explainer.lessons.convolution.closing import ClosingWords
from explainer.lessons.convolution.facts import Facts, facts_of
from explainer.lessons.convolution.opening import OpeningWords
from explainer.lessons.convolution.patch import PatchWords
from explainer.lessons.convolution.prelude import PreludeChoice, choose_prelude
from explainer.lessons.convolution.prelude_words import PreludeWords
from explainer.lessons.convolution.results import ResultWords
from explainer.lessons.convolution.sections import (
    BEAT_KEYS,
    LESSON,
    SECTION_NAMES,
    TITLES,
    pixelwise,
    result_written,
)
from explainer.lessons.script import Beat, Script, Section, verify_script
from explainer.present.numbers import NumberStyle
from explainer.present.speech import Said, number


def build_script(problem: Problem, trace: Trace | None = None, *, verify: bool = True) -> Script:
    """Word the lesson for ``problem`` from the facts of its exact trace.

    Every beat carries the claims its sentence makes; with ``verify`` (the default) the
    independent verifier checks them all before the script is returned, and a claim that
    does not hold raises :class:`~explainer.lessons.verifier.ClaimError` naming the beat.
    """
    trace = trace if trace is not None else build_trace(problem, exact=True)
    return script_from_facts(facts_of(trace), choose_prelude(problem), verify=verify)


def script_from_facts(
    facts: Facts, prelude: PreludeChoice | None, *, verify: bool = True
) -> Script:
    """The script worded from ``facts`` (and the prelude chosen for the problem), verified.

    Separate from :func:`build_script` so that a test can hand the writer altered facts
    and see the verifier refuse what they make it say.
    """
    writer = _Writer(facts, prelude)
    script = Script(
        problem=facts.problem,
        lesson=LESSON,
        sections=writer.sections(),
        keys=BEAT_KEYS,
        labels=writer.labels(),
        trace=facts.trace,
        facts=facts,
        decimal=facts.needs_decimals,
        pixelwise=pixelwise(facts),
        result_written=result_written(facts),
        prelude=prelude.trace if prelude else None,
        prelude_origin=prelude.origin if prelude else None,
    )
    if verify:
        verify_script(script)
    return script


class _Writer(
    ClaimsOfFacts, PreludeWords, OpeningWords, PatchWords, AddWords, ResultWords, ClosingWords
):
    """Chooses every sentence of one lesson from its facts, and the claims it makes."""

    def __init__(self, facts: Facts, prelude: PreludeChoice | None) -> None:
        self.f = facts
        self.p = facts.problem
        self.prelude_choice = prelude
        self.kind = facts.kernel_kind
        # Values with long denominators are shown as decimals: then all of them are, so
        # that a caption never sets 37/51 against ≈ 0.64.
        self.style = NumberStyle(decimal=facts.needs_decimals)

    def num(self, v: Number) -> Said:
        """A value of the image, the products or the result, as this lesson shows them."""
        return number(v, self.style)

    # ----- the vocabulary ----------------------------------------------------------------

    def labels(self) -> dict[str, str]:
        steps = "slide, multiply, add" + (", divide" if self.p.normalize else "")
        return {
            "title": "Convolution in two dimensions",
            "subtitle": f"image ⊗ filter: {steps}",
            "problem": self.p.describe().replace("kernel", "filter"),  # the lecture's word
            "image": "image",
            "filter": "filter",
            "filter-as-given": "filter as given",
            "filter-rotated": "rotated 180°",
            "patch": "patch",
            "products": "products",
            "result": "result",
            "derivation": "sympy's derivation",
            "output-pixel": "output pixel",
            "sum": "sum of the products",
            "value": "value",
            "window": "window",
            "padding": "padding",
            "signal": "signal",
            "sums": "sums",
            "before": "before",
            "size-symbols": "n_in: the image's size (rows or columns); n_out: the result's size; "
            "p_before, p_after: the padding on each side; k: the filter's size; "
            "d: the dilation; s: the stride",
            "symbols": "x: image; w: filter; y: result; i, j: output row, column; "
            "m, n: filter row, column",
            "formula-symbols": "k, l: the filter's rows and columns; s: the stride, how far "
            "the window jumps; d: the dilation, the spacing of the filter's taps; p: the "
            "padding before the first row or column; N: the divisor (1 when nothing is divided)",
        }

    def sections(self) -> tuple[Section, ...]:
        beats: dict[str, list[Beat]] = {
            "title": self.title(),
            "one-dimension": self.one_dimension(),
            "image": self.image(),
            "filter": self.filter(),
            "matches": self.matches(),
            "operation": self.operation(),
            "multiply": self.multiply(),
            "add": self.add(),
            "contrast": self.contrast(),
            "output-size": self.output_size(),
            "notation": self.notation(),
            "conclusion": self.conclusion(),
        }
        if pixelwise(self.f):
            beats["sweep"], beats["result"] = self.sweep(), self.result()
        else:  # one summary section: the values are too many to write out
            beats["sweep"], beats["result"] = self.summary_sweep() + self.result(), []
        titles = dict(TITLES, add="Add, then divide" if self.p.normalize else "Add")
        return tuple(
            Section(name, titles[name], tuple(beats[name])) for name in SECTION_NAMES if beats[name]
        )
