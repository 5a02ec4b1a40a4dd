"""The layer lesson's sentences for one of everything (issue 19): one filter, one channel,
one output position, one weight. Every count agrees with its noun, in the caption and in
the speech, and the speech says every symbol in words. The expected sentences are worked
by hand from the small stacks below.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from cli_support import one_line_error, run

from explainer.core.pooling import Pool
from explainer.core.presets import diagonal_filter
from explainer.core.stack import LayerStack
from explainer.lessons.layer import build_script
from explainer.lessons.layer_claims import FilterPattern
from explainer.lessons.layer_verifier import verify_layer_beats


def _captions(stack: LayerStack) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for beat in build_script(stack).beats():  # every claim verified first
        out.setdefault(beat.key, []).append(beat.caption)
        assert not re.search(r"[0-9−×⊗≈°=÷/+⌊⌋⌈⌉]", beat.speech), (beat.key, beat.speech)
    return out


def test_one_filter_one_channel_one_position():
    # x = [[1, −2], [0, 4]] through [[1, −1], [−1, 1]]: 1 + 2 + 0 + 4 = 7, bias 2: 9, one
    # position (2 − 2 + 1 = 1 each way); ReLU keeps it, a 1×1 average keeps it (9 / 1);
    # then a 1×1 filter of 1, no bias: 9 again, 1 weight, 1 multiply-add.
    stack = LayerStack(
        np.array([[[1, -2], [0, 4]]]),
        [
            dict(
                weight=np.array([[[[1, -1], [-1, 1]]]]),
                bias=[2],
                activation="relu",
                pool=Pool(1, mode="avg"),
            ),
            dict(weight=np.ones((1, 1, 1, 1), int)),
        ],
    )
    said = _captions(stack)
    assert said["input.shape"] == [
        "The input is one tensor of shape 1×2×2: one channel of 2 rows and 2 columns."
    ]
    assert said["filters.bank"] == [
        "The first layer holds one filter of shape 1×2×2: its weights are one tensor of "
        "shape 1×1×2×2."
    ]
    assert said["filters.parameters"] == ["That is 4 weights and one bias: 5 parameters to learn."]
    assert said["maps.size"] == [
        "The filter slides over the input as in the convolution lesson: 2 − 2 + 1 = 1 "
        "position each way. So the one feature map is a tensor of shape 1×1×1."
    ]
    assert said["maps.cost"] == [
        "Each value takes 4 products, so the layer computes 1 × 4 = 4 multiply-adds."
    ]
    assert said["bias.element"] == [
        "The filter then adds its bias, 2: at element (0, 0, 0), the products add up to 7; "
        "plus the bias 2, that is 9."
    ]
    assert said["relu.zeroes"] == [
        "ReLU keeps every value above 0 and sets the negative ones to 0: the one value is "
        "not negative."
    ]
    assert said["pooling.average"] == [
        "Average pooling with a 1×1 window and stride 1 keeps the mean of each window: in "
        "map 0, row 0, column 0 adds up to 9, divided by 1: 9."
    ]
    assert said["channels.parameters"] == ["That is 1 weight and no bias: 1 parameter to learn."]
    assert said["channels.element"] == [
        "With one channel, the partial map is the map: at element (0, 0, 0), the products "
        "add up to 9."
    ]
    assert said["channels.result"] == [
        "The second layer's output has shape 1×1×1; its first map holds [9], for 1 more "
        "multiply-add."
    ]
    assert said["summary.shapes"][0].startswith(
        "In short: 1×2×2 → 1×1×1 → 1×1×1 → 1×1×1, with 6 parameters and 5 multiply-adds."
    )


def test_one_of_everything_spoken():
    # 1×1×3 through a 1×1 filter of 1, stride 2: ⌊(3 − 1) / 2⌋ + 1 = 2 columns, 1 row.
    stack = LayerStack(np.array([[[1, 2, 3]]]), [dict(weight=np.ones((1, 1, 1, 1), int), stride=2)])
    script = build_script(stack)
    assert script.beat("input.shape").speech == (
        "The input is one tensor of shape one by one by three: one channel of one row and "
        "three columns."
    )
    assert script.beat("filters.parameters").speech == (
        "That is one weight and no bias: one parameter to learn."
    )
    assert script.beat("maps.cost").speech == (
        "Each value takes one product, so the layer computes two times one equals two "
        "multiply-adds."
    )
    assert script.beat("summary.shapes").caption.startswith(
        "In short: 1×1×3 → 1×1×2, with 1 parameter and 2 multiply-adds."
    )


def test_relu_counts_agree_with_their_verbs():
    # x = [[−1, 2], [0, 3]] through two 1×1 filters of 1, biases 0 and 1: the maps are
    # [[−1, 2], [0, 3]] and [[0, 3], [1, 4]]: 1 of the 8 values is negative, 2 are 0 already,
    # 3 are 0 after ReLU. Then 2×2 max pooling: map 0's window holds 0, 2, 0, 3.
    stack = LayerStack(
        np.array([[[-1, 2], [0, 3]]]),
        [
            dict(weight=np.ones((2, 1, 1, 1), int), bias=[0, 1], activation="relu", pool=Pool(2)),
            dict(weight=np.ones((1, 2, 1, 1), int), activation="relu"),
        ],
    )
    said = _captions(stack)
    assert said["relu.zeroes"] == [
        "ReLU keeps every value above 0 and sets the negative ones to 0: 1 of the 8 values "
        "is negative. Another 2 were 0 already, so 3 values are 0 after it."
    ]
    assert said["pooling.rule"] == [
        "Max pooling with a 2×2 window and stride 2 keeps the largest value of each window: "
        "in map 0, rows 0–1, columns 0–1 holds 0, 2, 0 and 3; it keeps 3, from (1, 1)."
    ]
    # no bias on the second layer: the partial maps 3 and 4 are added, and that is all
    assert said["channels.element"] == [
        "The partial maps are added: at element (0, 0, 0), channel by channel the partial "
        "sums are 3 + 4 = 7. ReLU keeps it."
    ]


def test_a_window_past_the_map_names_only_the_maps_cells():
    # 1 row of 3 through a 1×1 filter of 1, then 1×3 max pooling, stride 2, padding (0, 1):
    # ⌊(3 + 2 − 3) / 2⌋ + 1 = 2 windows, columns −1..1 and 1..3. The map's columns are 0–2:
    # the second window reads columns 1–2 only, [4, 4], a tie (the first, [1, 4], is not).
    pool = Pool((1, 3), stride=(1, 2), padding=(0, 1))
    stack = LayerStack(
        np.array([[[1, 4, 4]]]), [dict(weight=np.ones((1, 1, 1, 1), int), pool=pool)]
    )
    said = _captions(stack)
    assert said["pooling.ties"] == [
        "When values tie, pooling keeps the first in row-major order: in map 0, row 0, "
        "columns 1–2, two cells hold 4, and the one kept is at (0, 1)."
    ]


def test_an_eight_wide_window_takes_an():
    stack = LayerStack(
        np.zeros((1, 8, 8), int), [dict(weight=np.ones((1, 1, 1, 1), int), pool=Pool(8))]
    )
    assert "Max pooling with an 8×8 window" in build_script(stack).beat("pooling.rule").caption


def test_a_one_by_one_kernel_is_named_no_diagonal():
    # [[1]] is +1 on its one cell, the cell (0, 0) that m = n and m + n = k − 1 both
    # pick: every pattern's rule holds, and none of them is a diagonal one would draw.
    stack = LayerStack(np.array([[[1, -2], [0, 4]]]), [dict(weight=np.ones((1, 1, 1, 1), int))])
    bank = build_script(stack).beat("filters.bank")
    assert bank.caption == (
        "The first layer holds one filter of shape 1×1×1: its weights are one tensor of "
        "shape 1×1×1×1."
    )
    assert not any(isinstance(c, FilterPattern) for c in bank.claims)
    claims = [FilterPattern(1, 0, p) for p in ("diagonal", "anti-diagonal", "x-centre")]
    report = verify_layer_beats(stack, [("filters.bank", claims)])
    assert report.total == 3 and not any(r.holds for r in report.results)


def test_three_by_three_diagonal_is_still_named():
    stack = LayerStack(np.zeros((1, 3, 3), int), [dict(weight=np.array([[diagonal_filter()]]))])
    assert build_script(stack).beat("filters.bank").caption.endswith("It is the diagonal.")


def test_two_beats_never_share_a_key():
    stack = LayerStack(
        np.array([[[1, -2], [0, 4]]]),
        [dict(weight=np.ones((1, 1, 1, 1), int)), dict(weight=np.ones((1, 1, 1, 1), int))],
    )
    keys = [b.key for b in build_script(stack).beats()]
    assert len(keys) == len(set(keys)) and "channels.parameters" in keys


# ----- from the command line ------------------------------------------------------------


def test_a_pool_that_rounding_down_empties_is_explained(capsys):
    # The lecture's X (9×9) through 3×3 filters: 7×7 maps; an 8×8 window in ceil mode
    # gives ⌈(7 − 8) / 8⌉ + 1 = 1 window, rounding down ⌊(7 − 8) / 8⌋ + 1 = 0.
    argv = ["script", "--lesson", "layer", "--pool-size", "8", "--ceil-mode", "--filters2", "none"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "⌈(7 − 8) / 8⌉ + 1 = 1" in out
    assert "⌊(7 − 8) / 8⌋ + 1 = 0 windows down: no window at all" in out


def test_without_ceil_mode_that_pool_is_refused_in_one_line(capsys):
    code, _, err = run(
        capsys, "script", "--lesson", "layer", "--pool-size", "8", "--filters2", "none"
    )
    one_line_error(code, err, "the 8×8 pooling window is larger than the input")


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_the_empty_floor_case_in_other_formats(capsys, fmt):
    argv = ["script", "--lesson", "layer", "--pool-size", "8", "--ceil-mode", "--filters2", "none"]
    code, out, err = run(capsys, *argv, "--format", fmt)
    assert code == 0 and "no window at all" in out, err


@pytest.mark.parametrize(
    "given, said",
    [
        (["--ceil-mode"], "--ceil-mode rounds the pooling windows, and --pool none has no"),
        (["--pool-size", "3"], "--pool-size sizes the pooling windows, and --pool none has"),
        (["--pool-stride", "1"], "--pool-stride spaces the pooling windows, and --pool none"),
    ],
)
def test_a_pooling_option_without_pooling_is_refused_in_one_line(capsys, tmp_path, given, said):
    target = tmp_path / "page.html"
    argv = ["page", "--lesson", "layer", "--pool", "none", *given, "-o", str(target)]
    code, _, err = run(capsys, *argv)
    one_line_error(code, err, said)
    assert not target.exists()
    code, _, err = run(capsys, "script", "--lesson", "layer", "--pool", "none")
    assert code == 0, err  # without --ceil-mode, no pooling is fine
