"""Sentences an outside review read as a learner and found false, ungrammatical or misleading.

Each expected fact is worked out here by hand for a small problem (the values in the
comments), never taken from the facts or the writer under test. A sentence must say what its
claim says: a count of 1 is singular, a count of 0 is none, a window that fits once is not
"apart" from anything, and a row the stride skips is named for what it is.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from explainer import Problem
from explainer.core.stack import LayerStack
from explainer.lessons.convolution import build_script

K2 = [[1, 2], [3, 4]]  # asymmetric: its 180° rotation is [[4, 3], [2, 1]]
I3 = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]


def captions(problem: Problem) -> dict[str, str]:
    return {beat.key: beat.caption for beat in build_script(problem).beats()}


def all_captions(problem: Problem) -> list[str]:
    return [beat.caption for beat in build_script(problem).beats()]


@pytest.mark.parametrize(
    ("image", "same"),
    [
        ([[0, 0], [0, 0]], True),  # 0 either way
        ([[1, 1], [1, 1]], True),  # 1+2+3+4 = 10 either way
        ([[1, 0], [0, 0]], False),  # 1 against 4
    ],
)
def test_the_flip_of_a_single_pixel_says_whether_it_changes(image, same):
    said = captions(Problem(image, K2))["notation.flip-effect"]
    if same:
        assert "would be the same" in said and "different" not in said, said
    else:
        assert "would be different" in said, said
    assert "of the result" not in said or "its one value of" not in said, said


def test_a_flip_that_changes_nothing_of_many_says_so():
    said = captions(Problem(np.zeros((3, 3), int), K2))["notation.flip-effect"]
    assert said == "With the flip, none of the four values of the result would be different."


def test_a_one_pixel_result_is_one_row_and_one_column():
    # 3×3 image, 2×2 kernel, stride 2: ⌊(3 − 2)/2⌋ + 1 = 1 position per axis.
    said = captions(Problem(I3, K2, stride=2))
    assert "1 rows" not in said["output-size.numbers"]
    assert "1 row and 1 column" in said["output-size.numbers"], said["output-size.numbers"]
    # one position is not "two pixels apart" from anything
    assert "apart" not in said["output-size.count"], said["output-size.count"]


def test_two_positions_are_still_apart():
    # 5×5 image, 1×1 kernel, stride 3: positions 0 and 3 per axis.
    said = captions(Problem(np.arange(25).reshape(5, 5), [[2]], stride=3))["output-size.count"]
    assert "two positions, three pixels apart" in said, said


def test_rows_the_stride_skips_in_the_padding_are_named_as_padding():
    # 3×3 image padded by 1 → 5×5; a 2×2 window with stride 2 starts at 0 and 2 and
    # reaches padded row 3 at most: padded row 4 (the border of zeros) is never read,
    # while the image's own last row (padded row 3) is.
    said = captions(Problem(I3, K2, stride=2, padding=1))["output-size.unused"]
    assert "padded image" in said or "padding" in said, said


def test_rows_the_stride_skips_without_padding_are_the_image_rows():
    said = captions(Problem(I3, K2, stride=2))["output-size.unused"]
    assert said == "The stride skips past the last row and the last column: no window reaches them."


@pytest.mark.parametrize(
    ("image", "word"),
    [
        (I3, "positive"),  # 37 … 77 with K2
        ([[-v for v in row] for row in I3], "negative"),  # −77 … −37
    ],
)
def test_a_range_that_excludes_zero_does_not_mention_zero(image, word):
    said = captions(Problem(image, K2))["sweep.fill"]
    assert "zero or" not in said and word in said, said


def test_a_range_that_reaches_zero_says_zero_or_above():
    image = [[0, 0, 0], [0, 0, 1], [0, 0, 0]]  # with K2: 0, 2 / 0, 4 ... min 0
    said = captions(Problem(image, K2))["sweep.fill"]
    assert "zero or above" in said, said


def test_no_sentence_counts_one_as_many():
    for problem in (
        Problem(I3, K2, stride=2),
        Problem([[0, 0], [0, 0]], K2),
        Problem(I3, [[1]], stride=3),
        Problem([[5]], [[2]]),
    ):
        for text in all_captions(problem):
            assert not re.search(r"\b(1|one) [a-z]+s\b(?<!\bthis)", text) or re.search(
                r"\b(1|one) (pixel|value) is\b", text
            ), text


# ----- the layer lesson --------------------------------------------------------------------


def layer_captions(x, weight, bias) -> dict[str, str]:
    from explainer.lessons.layer import build_script as build_layer_script

    layer = dict(weight=np.asarray(weight), bias=bias, activation="relu")
    stack = LayerStack(np.asarray(x), [layer])
    return {beat.key: beat.caption for beat in build_layer_script(stack).beats()}


def test_a_map_that_is_the_same_everywhere_does_not_respond_most_somewhere():
    # A zero 1×4×4 input through two 3×3 filters with bias −1: every value of both 2×2 maps
    # is 0 − 1 = −1; the strongest response is everywhere, which is no response at all.
    weight = np.stack([np.eye(3, dtype=int)[None], np.ones((1, 3, 3), int)])
    said = layer_captions(np.zeros((1, 4, 4), int), weight, [-1, -1])["maps.strongest"]
    assert "responds most" not in said, said
    assert "everywhere" in said and "−1" in said, said


def test_a_map_with_one_strongest_place_still_responds_most_there():
    x = np.zeros((1, 4, 4), int)
    x[0, 1, 1] = 1  # the identity 3×3 filter: 1 at (0, 0) and (1, 1), 0 elsewhere (no bias)
    said = layer_captions(x, np.eye(3, dtype=int)[None, None], None)["maps.strongest"]
    assert said == "Filter 0 responds most, 1, at (0, 0) and (1, 1).", said


def test_relu_counts_every_value_as_all():
    # bias −1 on a zero input: all 8 values (two 2×2 maps) are −1.
    weight = np.stack([np.eye(3, dtype=int)[None], np.ones((1, 3, 3), int)])
    said = layer_captions(np.zeros((1, 4, 4), int), weight, [-1, -1])["relu.zeroes"]
    assert "8 of the 8" not in said and "all 8 values are negative" in said, said


# ----- the backward lesson -----------------------------------------------------------------


def test_a_loss_that_does_not_change_stayed_at_its_value():
    # The target is the map the starting filter makes itself (the diagonal on the X): every
    # error is 0, so is every gradient, and one step leaves the loss at 0.
    code_said = backward_captions(["--target", "diagonal"])
    summary = code_said["summary.learned"]
    assert "stayed from" not in summary and "the loss stayed at 0" in summary, summary
    zeros = code_said["derivative.zeros"]
    assert "49 of the 49" not in zeros and "all 49 terms are 0" in zeros, zeros


def backward_captions(argv: list[str]) -> dict[str, str]:
    from explainer.layer_request import lesson_problem_from_options
    from explainer.lessons.backward.writer import build_script as build_backward_script

    problem = lesson_problem_from_options("backward", argv)
    return {b.key: b.caption for b in build_backward_script(problem).beats()}


# ----- the transposed lesson ---------------------------------------------------------------


def transposed_captions(argv: list[str]) -> dict[str, str]:
    from explainer.layer_request import lesson_problem_from_options
    from explainer.lessons.transposed.writer import build_script as build_transposed_script

    problem = lesson_problem_from_options("transposed", argv)
    return {b.key: b.caption for b in build_transposed_script(problem).beats()}


def test_one_input_pixel_is_one_stamp_with_nothing_between():
    # A 1×1 input [5] and the 2×2 kernel [1, 2; 3, 4], stride 2: one stamp, [5, 10; 15, 20].
    said = transposed_captions(["--input=5", "--kernel=1,2;3,4"])
    assert said["stamps.output"] == "The one stamp makes the larger output, 2×2: [5, 10; 15, 20]."
    assert "between the input's pixels" not in said["views.zeros"], said


def test_a_kernel_of_one_tap_is_one_tap():
    # A 1×1 kernel, stride 3: 1 is not a multiple of 3; a pixel gets 0 or 1 stamp each way.
    said = transposed_captions(["--input=1,2;3,4", "--kernel=1", "--stride=3"])
    text = said["overlap.checker"]
    assert "1 taps" not in text and "the kernel's one tap is not a multiple" in text, text
    assert "pad by nothing" not in said["views.zeros"], said["views.zeros"]


# ----- where a window lies (page and handout) -------------------------------------------------


@pytest.mark.parametrize(
    ("image", "kernel", "padding", "index", "words"),
    [
        ([[5]], [[1]], 1, (0, 0), "its one tap in the padding"),  # 1×1 kernel on the border
        ([[5]], [[1, 1], [1, 1]], 2, (0, 0), "all 4 taps in the padding"),  # rows −2..−1
        ([[5]], [[1, 1], [1, 1]], 1, (0, 0), "3 of 4 taps in the padding"),  # rows −1..0
    ],
)
def test_taps_in_the_padding_are_counted_in_words(image, kernel, padding, index, words):
    from explainer import build_trace
    from explainer.outputs.handout_tex import window_words
    from explainer.outputs.page import _window_words

    trace = build_trace(Problem(image, kernel, padding=padding))
    step = next(s for s in trace.steps if s.index == index)
    assert _window_words(step).endswith("; " + words), _window_words(step)
    assert words.replace(" in the padding", "") in window_words(step, {"padding": "padding"})


def layer_script_captions(argv: list[str]) -> dict[str, str]:
    from explainer.layer_request import lesson_problem_from_options
    from explainer.lessons.layer import build_script as build_layer_script

    stack = lesson_problem_from_options("layer", argv)
    return {b.key: b.caption for b in build_layer_script(stack).beats()}


def test_a_pooling_stride_of_two_axes_is_said_for_both():
    # The X's 7×7 maps, a 2×3 window with stride (1, 2): ⌊(7 − 2)/1⌋ + 1 = 6 down,
    # ⌊(7 − 3)/2⌋ + 1 = 3 across: pooled 3×6×3.
    said = layer_script_captions(["--pool-size=2,3", "--pool-stride=1,2", "--filters2=none"])
    assert "stride 1×2" in said["pooling.rule"], said["pooling.rule"]
    size = said["pooling.size"]
    assert "⌊(7 − 2) / 1⌋ + 1 = 6" in size and "⌊(7 − 3) / 2⌋ + 1 = 3" in size, size
    assert "3×6×3" in size, size


def test_rounding_that_differs_on_one_axis_names_that_axis():
    # A 2×3 window, stride 2: down ⌊5/2⌋ + 1 = 3 (ceil 4), across ⌊4/2⌋ + 1 = 3 (ceil 3):
    # only the rows drop an edge.
    said = layer_script_captions(["--pool-size=2,3", "--pool-stride=2", "--filters2=none"])
    edge = said["pooling.edge"]
    assert "the last row of each map is never read" in edge, edge
    assert "⌈(7 − 2) / 2⌉ + 1 = 4 down" in edge, edge
    size = said["pooling.size"]  # the same count, 3, by two formulas: both said
    assert "⌊(7 − 2) / 2⌋ + 1 = 3 down and ⌊(7 − 3) / 2⌋ + 1 = 3 across" in size, size


def test_two_of_two_are_both():
    # A 4×1 ramp [1, 2, 3, 4], the filter [1; −1] with dilation 2: 1 − 3 = 2 − 4 = −2; the
    # flipped filter [−1; 1] gives +2 twice: both values change.
    said = captions(Problem([[1], [2], [3], [4]], [[1], [-1]], dilation=(2, 1)))
    assert (
        said["notation.flip-effect"]
        == "With the flip, both values of the result would be different."
    )


def test_a_transposed_size_of_one_row_is_one_row():
    # input 1×2, kernel 1×1, stride (1, 3): rows (1 − 1)·1 + 0 + 1 = 1, columns (2 − 1)·3 + 1 = 4
    said = transposed_captions(["--input=2,0", "--kernel=2", "--stride=1,3"])["size.formula"]
    assert "= 1 rows" not in said and "= 1 row and" in said, said


def test_a_matrix_with_every_entry_non_zero_is_not_only_some():
    # input [2], kernel [−1], stride 3: the 1×1 matrix M = [−1], its one entry not 0.
    said = transposed_captions(["--input=2", "--kernel=-1", "--stride=3"])["views.matrix"]
    assert "only 1 entries" not in said and "1×1 matrix M whose one entry is not 0." in said, said


def test_zero_insertion_with_strides_one_and_two_names_no_zeros():
    # input 1×2, kernel 3×1, stride (1, 2): no zeros between rows, one between columns.
    said = transposed_captions(["--input=3,-2", "--kernel=1;1;2", "--stride=1,2"])["views.zeros"]
    assert "insert 0 and 1 zeros" not in said and "by nothing" not in said, said
    assert "no zeros between the input's rows and 1 zero between its columns" in said, said


# ----- the worksheets' questions -----------------------------------------------------------


def test_exercises_of_one_row_and_one_stamp_read_as_one():
    from explainer.layer_request import lesson_problem_from_options
    from explainer.lessons.exercises import exercises
    from explainer.lessons.layer import build_script as build_layer_script
    from explainer.lessons.transposed.writer import build_script as build_transposed_script

    # a 1×3 pooling window over the X's 7×7 maps: one row per window
    stack = lesson_problem_from_options("layer", ["--pool-size=1,3", "--pool-stride=1"])
    asked = [e.question for e in exercises(build_layer_script(stack))]
    pick = next(q for q in asked if q.startswith("Max pooling"))
    assert "rows 0–0" not in pick and "row 0, columns 0–2" in pick, pick
    # a 1×1 input stamps once on each output pixel: nothing to add up
    problem = lesson_problem_from_options("transposed", ["--input=5", "--kernel=1,2;3,4"])
    asked = [e.question for e in exercises(build_transposed_script(problem))]
    stamp = next(q for q in asked if q.startswith("Pixel"))
    assert (
        stamp
        == "Pixel (0, 0): one stamp lands on it, a source value times a kernel weight. What is it?"
    )


def test_a_one_pixel_image_is_a_single_pixel():
    said = captions(Problem([[5]], [[2]], padding=1))["image.show"]
    assert said == "A 1×1 image: a single pixel, 5.", said
