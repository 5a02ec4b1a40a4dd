"""The script says only true things: every claim checked against an independent computation.

For each problem of the table, the expected numbers come from :func:`reference.plain_loop`
(the textbook definition, one pixel at a time) and from small computations written here,
never from the facts or the script under test.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pytest
from PIL import Image
from reference import fold_index, plain_loop

from explainer import Problem, lecture_problem, preset
from explainer.files.inputs import read_png
from explainer.lessons.convolution import build_script

WORD_NUMBERS = {
    "no": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
COUNTED = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|\d[\d,]*) "
    r"(product|pixel|window|position|row|column)(s?)\b"
)


def _png(folder) -> np.ndarray:
    pixels = (np.add.outer(np.arange(12), np.arange(12)) * 11 % 256).astype(np.uint8)
    path = folder / "ramp.png"
    Image.fromarray(pixels, mode="L").save(path)
    return read_png(path, (Fraction(-1), Fraction(1)))


def problems(folder) -> dict[str, Problem]:
    P = preset
    rng = np.random.default_rng(7)
    return {
        "lecture": lecture_problem(),
        "sobel-same-stride2": Problem(P("square"), P("sobel-x"), padding="same", stride=2),
        "one-tap": Problem(P("x"), [[2]]),
        "gaussian-sum": Problem(P("square"), P("gaussian-blur"), normalize="sum"),
        "asymmetric-dilated-flip": Problem(P("x"), P("asymmetric"), dilation=2, flip=True),
        "constant-laplacian": Problem(np.full((6, 6), 5), P("laplacian")),
        "all-equal-blur": Problem(np.full((5, 5), 2), P("box-blur")),
        "checkerboard-ties": Problem(P("checkerboard"), P("diagonal"), normalize="area"),
        "negative-best": Problem(-np.arange(1, 26).reshape(5, 5), [[1, 1], [1, 1]]),
        "pattern-below-perfect": Problem(P("x"), [[1, 1, -1], [1, -1, -1], [-1, -1, 1]]),
        "even-same": Problem(P("x"), [[1, -1], [-1, 1]], padding="same"),
        "reflect-sharpen": Problem(P("gradient"), P("sharpen"), padding=1, padding_mode="reflect"),
        "circular-box": Problem(
            P("checkerboard"), P("box-blur"), padding=1, padding_mode="circular"
        ),
        "gaussian-x": Problem(P("x"), P("gaussian-blur")),
        "edge-detect-square": Problem(P("square"), P("edge-detect")),
        "png-ramp": Problem(_png(folder), P("gaussian-blur"), padding="same"),
        "replicate-laplacian": Problem(
            P("square"), P("laplacian"), padding=2, padding_mode="replicate"
        ),
        "full-diagonal": Problem(P("x"), P("diagonal"), padding="full", normalize="area"),
        "stride-1x2": Problem(P("gradient"), P("sobel-y"), stride=(1, 2)),
        "dilation-2x1": Problem(P("x"), P("diagonal"), dilation=(2, 1)),
        "sobel-area": Problem(P("square"), P("sobel-x"), normalize="area"),
        "flip-symmetric": Problem(P("x"), P("diagonal"), flip=True, normalize="area"),
        "five-by-five": Problem(rng.integers(-3, 4, size=(7, 7)), rng.integers(-2, 3, size=(5, 5))),
        "large-summary": Problem(rng.integers(0, 3, size=(20, 20)), P("sobel-x")),
        "float-kernel": Problem(P("square"), [[0.25, 0.5], [0.5, 0.25]]),
        "fractions": Problem(
            [[Fraction(v, 3) for v in range(c, c + 5)] for c in range(5)], [[1, -1]]
        ),
        "one-row": Problem([[3, 1, 4, 1, 5, 9, 2, 6, 5]], [[1, -2, 1]]),
        "negative-strongest": Problem(P("x"), [[-3, 1], [1, -3]]),
        "four-sides": Problem(P("gradient"), P("sobel-x"), padding=(1, 0, 2, 0)),
        "negative-divisor": Problem(P("gradient"), [[1, -3]], normalize="sum"),
        "stride3-unused": Problem(P("x"), P("diagonal"), stride=3, normalize="area"),
        "same-stride2-odd": Problem(P("gradient"), P("box-blur"), padding="same", stride=2),
    }


PROBLEM_IDS = [
    "lecture",
    "sobel-same-stride2",
    "one-tap",
    "gaussian-sum",
    "asymmetric-dilated-flip",
    "constant-laplacian",
    "all-equal-blur",
    "checkerboard-ties",
    "negative-best",
    "pattern-below-perfect",
    "even-same",
    "reflect-sharpen",
    "circular-box",
    "gaussian-x",
    "edge-detect-square",
    "png-ramp",
    "replicate-laplacian",
    "full-diagonal",
    "stride-1x2",
    "dilation-2x1",
    "sobel-area",
    "flip-symmetric",
    "five-by-five",
    "large-summary",
    "float-kernel",
    "fractions",
    "one-row",
    "negative-strongest",
    "four-sides",
    "negative-divisor",
    "stride3-unused",
    "same-stride2-odd",
]


# ----- independent computations ---------------------------------------------------------------


def exact(v) -> Fraction:
    return Fraction(repr(v)) if isinstance(v, float) else Fraction(v)


class Reference:
    """What a teacher would work out by hand for one problem."""

    def __init__(self, p: Problem) -> None:
        self.p = p
        self.image = [[exact(v) for v in row] for row in p.image.tolist()]
        self.kernel = [[exact(v) for v in row] for row in p.kernel.tolist()]
        self.weights = [v for row in self.kernel for v in row]
        if p.normalize == "area":
            self.divisor = Fraction(len(self.weights))
        elif p.normalize == "sum":
            self.divisor = sum(self.weights)
        else:
            self.divisor = Fraction(1)
        self.result = plain_loop(
            self.image,
            self.kernel,
            p.stride,
            p.padding,
            p.dilation,
            p.flip,
            self.divisor,
            p.padding_mode,
        )
        self.flat = [v for row in self.result for v in row]
        self.best, self.worst = max(self.flat), min(self.flat)
        ow = len(self.result[0])
        self.best_at = [divmod(k, ow) for k, v in enumerate(self.flat) if v == self.best]
        self.pattern = len({abs(v) for v in self.weights}) == 1 and (
            min(self.weights) < 0 < max(self.weights)
        )

    def products(self, i: int, j: int) -> list[Fraction]:
        """The products of output pixel (i, j), written out from the definition."""
        p = self.p
        h, w = len(self.image), len(self.image[0])
        kh, kw = len(self.kernel), len(self.kernel[0])
        top, left = p.padding[0], p.padding[2]
        out = []
        for m in range(kh):
            for n in range(kw):
                r = fold_index(p.stride[0] * i + p.dilation[0] * m - top, h, p.padding_mode)
                c = fold_index(p.stride[1] * j + p.dilation[1] * n - left, w, p.padding_mode)
                x = Fraction(0) if r is None or c is None else self.image[r][c]
                wt = self.kernel[kh - 1 - m][kw - 1 - n] if p.flip else self.kernel[m][n]
                out.append(x * wt)
        return out

    def perfect(self) -> Fraction:
        """The most the kernel can give: each weight meets the extreme value favouring it."""
        values = [v for row in self.image for v in row]
        if any(self.p.padding) and self.p.padding_mode == "zeros":
            values.append(Fraction(0))
        low, high = min(values), max(values)
        pick = max if self.divisor > 0 else min
        return sum(pick(w * low, w * high) for w in self.weights) / self.divisor


def numbers_in(text: str) -> list[Fraction]:
    """Every numeral written in a caption (−1/9, 7, 0.82, the 9s of 9×9)."""
    found = re.findall(r"[−-]?\d+(?:/\d+|\.\d+)?", text.replace("≈ ", ""))
    return [Fraction(t.replace("−", "-")) for t in found]


DECIMAL = {"on": False}  # set per problem: its values are shown as decimals


def stated(value: Fraction, nums: list[Fraction]) -> bool:
    """``value`` is among the numbers of a caption: exactly, or as the short decimal shown
    for a fraction with a large denominator, or for every fraction of a problem that has
    one (two significant digits)."""
    if value in nums:
        return True
    rounded = Fraction(f"{float(value):.2g}")  # two significant digits, worked out by hand
    return (value.denominator > 64 or DECIMAL["on"]) and rounded in nums


def spoken_count(word: str) -> int:
    word = word.lower()
    return WORD_NUMBERS[word] if word in WORD_NUMBERS else int(word.replace(",", ""))


def as_written(v: Fraction) -> str:
    text = str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    return text.replace("-", "−")


def _word(n: int) -> str:
    return next(k for k, v in WORD_NUMBERS.items() if v == n) if n <= 9 else f"{n:,}"


def _count(n: int, noun: str) -> str:
    return f"{_word(n)} {noun}{'' if n == 1 else 's'}"


# ----- the tests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    folder = tmp_path_factory.mktemp("png")
    built = problems(folder)
    assert list(built) == PROBLEM_IDS
    return {name: (p, build_script(p), Reference(p)) for name, p in built.items()}


def test_the_table_covers_at_least_thirty_problems(table):
    assert len(table) >= 30


@pytest.mark.parametrize("name", PROBLEM_IDS)
def test_every_claim_is_true(table, name):
    problem, script, ref = table[name]
    beats = {b.key: b for b in script.beats()}
    assert len(beats) == len(list(script.beats())), "beat keys must be unique"
    # Decimals throughout when any image or result value has a long denominator.
    values = [v for row in ref.image for v in row] + ref.flat
    DECIMAL["on"] = any(Fraction(v).denominator > 64 for v in values)
    for key, beat in beats.items():
        _check_beat(key, beat, ref, problem, beats)
    _check_presence(beats, ref, problem)


@pytest.mark.parametrize("name", PROBLEM_IDS)
def test_words_fit_the_problem(table, name):
    problem, script, ref = table[name]
    text = " ".join(b.caption for b in script.beats())
    if not ref.pattern:
        assert "pattern" not in text.lower() and "match" not in text.lower(), name
    sums = [b.caption for b in script.beats() if b.key != "output-size.formula"]
    if problem.normalize is None:  # the stride's division in the size formula is another one
        said = " ".join(sums)
        assert not re.search(r"\b(divide|divides)\b|divided by the filter|average product", said)
    if "weighted average" in text:
        assert sum(ref.weights) == 1 or problem.normalize == "sum", name
    for count, noun, plural in COUNTED.findall(text):
        n = spoken_count(count)
        assert (n == 1) == (plural == ""), (name, count, noun + plural)


@pytest.mark.parametrize("name", PROBLEM_IDS)
def test_speech_is_all_words(table, name):
    """The voice is never handed a numeral, a fraction slash or a symbol to guess at."""
    _, script, _ = table[name]
    for beat in script.beats():
        assert not re.search(r"[0-9/−×⊗≈°=÷]", beat.speech), (beat.key, beat.speech)


def test_captions_fit_two_lines(table):
    for name, (_, script, _) in table.items():
        for beat in script.beats():
            assert len(beat.caption) <= 160, (name, beat.key, len(beat.caption))


def _check_presence(beats, ref: Reference, problem: Problem) -> None:
    """Sentences that must be there, or must not, for this problem."""
    assert ("result.negative" in beats) == (ref.worst < 0 and ref.best != ref.worst)
    assert ("filter.flip" in beats) == problem.flip
    assert ("image.padding" in beats) == any(problem.padding)
    symmetric = ref.kernel == [row[::-1] for row in ref.kernel[::-1]]
    assert ("filter.symmetric" in beats) == (problem.flip and symmetric)
    assert ("notation.symmetric" in beats) == (not problem.flip and symmetric)
    changes = problem.stride != (1, 1) or any(problem.padding) or problem.dilation != (1, 1)
    assert ("output-size.numbers" in beats) == changes
    assert ("matches.best" in beats) == (ref.pattern and ref.best != ref.worst)


def _check_beat(key: str, beat, ref: Reference, problem: Problem, beats) -> None:  # noqa: C901
    text = beat.caption
    oh, ow = len(ref.result), len(ref.result[0])
    h, w = len(ref.image), len(ref.image[0])
    kh, kw = len(ref.kernel), len(ref.kernel[0])
    nums = numbers_in(text)
    if key == "image.show":
        assert nums[:2] == [h, w]
        values = sorted({v for row in ref.image for v in row})
        if len(values) == 2:
            for v in values:
                colour = "orange" if v > 0 else "blue" if v < 0 else "white"
                shown = ("+" if v > 0 else "") + as_written(v)
                assert f"each {colour} pixel is {shown}" in text, text
        elif len(values) > 2:  # long fractions are shown as short decimals
            low, high = nums[2], nums[3]
            assert abs(low - values[0]) <= Fraction(5, 1000) * max(1, abs(values[0]))
            assert abs(high - values[-1]) <= Fraction(5, 1000) * max(1, abs(values[-1]))
    elif key == "image.padding":
        top, bottom, left, right = _expected_padding(problem, h, w, kh, kw)
        if len({top, bottom, left, right}) == 1:
            assert f"{_count(top, 'pixel')} wide on every side" in text
        else:
            for side, n, unit in (
                ("top", top, "row"),
                ("bottom", bottom, "row"),
                ("left", left, "column"),
                ("right", right, "column"),
            ):
                assert (f"at the {side}" in text) == (n > 0), (side, text)
                if n:
                    assert f"{_count(n, unit)} at the {side}" in text, (side, text)
    elif key == "image.padding-why" and "rounded up" in text:
        assert nums[-2:] == [math.ceil(h / problem.stride[0]), math.ceil(w / problem.stride[1])]
    elif key == "filter.show":
        assert nums[:2] == [kh, kw]
        if "add up to 0" in text:
            assert sum(ref.weights) == 0
        if "add up to 1" in text:
            assert sum(ref.weights) == 1
        if "of positive weights" in text:
            assert min(ref.weights) > 0
        if "non-negative" in text:
            assert min(ref.weights) >= 0
        if "a single weight" in text:
            assert nums[2] == ref.weights[0]
    elif key == "matches.best":
        assert spoken_count(text.split()[0]) == len(ref.best_at)
        assert ("exactly" in text) == (ref.best == ref.perfect())
        assert list(beat.steps) == ref.best_at[:6]
    elif key == "multiply.take":
        i, j = ref.best_at[0]
        assert f"({i}, {j})" in text
        if len(ref.best_at) > 1 and ref.best != ref.worst:
            assert f"one of {_word(len(ref.best_at))}" in text
    elif key == "add.sum":
        i, j = ref.best_at[0]
        products = ref.products(i, j)
        assert stated(sum(products), nums), (text, sum(products))
        if problem.normalize is not None:
            assert stated(ref.divisor, nums) and stated(ref.best, nums)
        if len(products) > 1:
            assert _count(len(products), "product") in text
    elif key == "add.value":
        assert stated(ref.best, nums[:1])
        if "found in" in text:
            assert f"found in {_count(len(ref.best_at), 'pixel')}" in text
        else:
            assert len(ref.best_at) == 1 or ref.best == ref.worst
        assert ("perfect match" in text) == (ref.pattern and ref.best == ref.perfect())
    elif key == "contrast.take":
        (i, j) = beat.steps[0]
        assert ref.result[i][j] != ref.best
        assert f"({i}, {j})" in text
    elif key == "contrast.value":
        (i, j) = beat.steps[0]
        products = ref.products(i, j)
        negative = sum(1 for p in products if p < 0)
        positive = sum(1 for p in products if p > 0)
        if "cancel" in text:
            assert sum(products) == 0 and negative and positive
            assert _count(negative, "negative product") in text
            assert _count(positive, "positive product") in text
        else:
            assert stated(ref.result[i][j], nums) and stated(ref.best, nums)
        if "the sum down" in text:
            assert _count(negative, "negative product") in text.lower()
    elif key == "output-size.count":
        assert _count(ow, "position") in text
        if "down a column" in text:
            assert _count(oh, "position") in text.split(";")[1]
        else:
            assert oh == ow and problem.stride[0] == problem.stride[1]
        if problem.stride[1] > 1 and ow > 1:  # one position is apart from nothing
            assert f"{_count(problem.stride[1], 'pixel')} apart" in text
    elif key == "output-size.unused":
        span_r = problem.stride[0] * (oh - 1) + problem.dilation[0] * (kh - 1) + 1
        span_c = problem.stride[1] * (ow - 1) + problem.dilation[1] * (kw - 1) + 1
        unused = [h + sum(problem.padding[:2]) - span_r, w + sum(problem.padding[2:]) - span_c]
        said = [
            1 if x in ("row", "column") else spoken_count(x)  # "the last row": one
            for x in re.findall(r"the last (\w+)", text)
        ]
        assert sorted(said) == sorted(n for n in unused if n > 0)
    elif key == "output-size.numbers":
        assert nums[:2] == [oh, ow]
    elif key in ("sweep.fill", "sweep.colours"):
        if ref.best != ref.worst:
            assert len(nums) == 2 and stated(ref.worst, nums[:1]) and stated(ref.best, nums[1:])
        else:
            assert len(nums) == 1 and stated(ref.best, nums)
    elif key == "result.best":
        assert stated(ref.best, nums)
        if "exactly where the image matches" in text:
            assert ref.pattern and ref.best == ref.perfect()
        if len(ref.best_at) == 1 and ref.best != ref.worst:
            i, j = ref.best_at[0]
            assert f"({i}, {j})" in text
        elif ref.best != ref.worst:
            assert _count(len(ref.best_at), "pixel") in text
    elif key == "result.negative":
        assert stated(ref.worst, nums[:1])
        assert ("just as strong" in text) == (-ref.worst == ref.best)
        assert ("further from zero" in text) == (-ref.worst > ref.best)
    elif key == "result.others":
        assert any(0 < v < ref.best for v in ref.flat)
        for i, j in beat.steps:
            assert 0 < ref.result[i][j] < ref.best
    elif key == "notation.formula":
        assert ("average" in text) == (problem.normalize == "area")
        dividing = problem.normalize == "sum" and ref.divisor != 1
        assert ("divided by the filter's sum" in text) == dividing
        if problem.normalize == "sum" and ref.divisor == 1:
            assert "dividing by their sum changes nothing" in text
    elif key == "notation.flip":
        assert text.startswith("No flip") == (not problem.flip)
    elif key.startswith("one-dimension."):
        _check_prelude(key, beat, problem, beats["one-dimension.signal"])


def _check_prelude(key: str, beat, problem: Problem, signal_beat) -> None:
    """The 1D numbers are the row and columns the first sentence names, slid by hand."""
    said = re.search(
        r"(\w+) numbers from row (\d+) of the image(?:, columns (\d+) to (\d+))?",
        signal_beat.caption,
    )
    row_index = int(said.group(2))
    full = [exact(v) for v in problem.image.tolist()[row_index]]
    first = int(said.group(3)) if said.group(3) else 0
    last = int(said.group(4)) if said.group(4) else len(full) - 1
    row = full[first : last + 1]
    assert spoken_count(said.group(1)) == len(row) <= 11
    kernel = [[exact(v) for v in r] for r in problem.kernel.tolist()]
    text = signal_beat.caption
    if "each column of the 2D filter added up" in text:
        taps = [sum(r[n] for r in kernel) for n in range(len(kernel[0]))]
    elif "the 2D filter's middle row" in text:
        taps = kernel[len(kernel) // 2]
    elif "the 2D filter itself" in text:
        assert len(kernel) == 1
        taps = kernel[0]
    else:
        taps = kernel[int(re.search(r"row (\d+) of the 2D filter", text).group(1))]
    used = taps[::-1] if problem.flip else taps
    stride = problem.stride[1]  # the prelude moves as the 2D filter moves along a row
    sums = [
        sum(row[j + n] * used[n] for n in range(len(used)))
        for j in range(0, len(row) - len(used) + 1, stride)
    ]
    nums = numbers_in(beat.caption)
    if key == "one-dimension.signal":
        shown = nums[-len(taps) :]  # the filter as given, before any reversal
        assert all(stated(t, [n]) for t, n in zip(taps, shown, strict=True))
    elif key == "one-dimension.best" and beat.caption.startswith("Every sum"):
        assert len(set(sums)) == 1 and stated(sums[0], nums)
    elif key == "one-dimension.best":
        # "responds most" names the sum furthest from zero; "the largest sum" the largest.
        top = max(sums, key=abs) if "furthest from zero" in beat.caption else max(sums)
        if "responds most" in beat.caption:
            assert abs(top) == max(abs(v) for v in sums) and -top not in sums
        assert stated(top, nums[:1])
        where = [j for j, v in enumerate(sums) if v == top]
        if len(where) == 1:
            assert nums[1] == where[0]
        else:
            assert _count(len(where), "position") in beat.caption


def _expected_padding(problem: Problem, h, w, kh, kw):
    """(top, bottom, left, right) as TensorFlow and PyTorch define 'same' and 'full'."""
    spec = problem.padding_spec
    (sh, sw), (dh, dw) = problem.stride, problem.dilation
    if spec == "same":
        sides = []
        for n, k, s, d in ((h, kh, sh, dh), (w, kw, sw, dw)):
            total = max((math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)
            sides += [total // 2, total - total // 2]
        return tuple(sides)
    if spec == "full":
        return (dh * (kh - 1),) * 2 + (dw * (kw - 1),) * 2
    return problem.padding
