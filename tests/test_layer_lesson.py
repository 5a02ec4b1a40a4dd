"""The layer lesson: its problem from options, its script's claims, check and derive.

Every number is checked against computations written here: per-channel sums by plain
loops, scipy.signal.correlate2d summed over channels, pooling windows worked by hand.
"""

from __future__ import annotations

import io
import json
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from explainer.cli import main
from explainer.core.pooling import Pool
from explainer.core.stack import LayerStack
from explainer.lessons import ClaimError, lesson, lesson_names
from explainer.lessons.layer import BEAT_KEYS, SECTION_NAMES, build_script
from explainer.lessons.layer.facts import facts_of
from explainer.lessons.layer.words import default_stack
from explainer.lessons.layer.writer import script_from_facts
from explainer.lessons.layer_claims import (
    ElementSums,
    PoolPick,
    PoolSize,
    ReluZeroes,
    TensorShape,
    layer_claim_from_json,
)
from explainer.lessons.layer_verifier import verify_layer_claims

ROOT = Path(__file__).resolve().parents[1]

X = -np.ones((9, 9), dtype=np.int64)
for _k in range(1, 8):
    X[_k, _k] = X[_k, 8 - _k] = 1
DIAG = np.where(np.eye(3, dtype=bool), 1, -1)


def _plain_layer(x, w, b):
    """y[o,i,j] = b[o] + Σ_c Σ_m Σ_n x[c,i+m,j+n]·w[o,c,m,n], with nested loops."""
    c_in, h, wd = len(x), len(x[0]), len(x[0][0])
    co, kh, kw = len(w), len(w[0][0]), len(w[0][0][0])
    out = []
    for o in range(co):
        plane = []
        for i in range(h - kh + 1):
            row = []
            for j in range(wd - kw + 1):
                s = b[o]
                for c in range(c_in):
                    for m in range(kh):
                        for n in range(kw):
                            s += x[c][i + m][j + n] * w[o][c][m][n]
                row.append(s)
            plane.append(row)
        out.append(plane)
    return out


@pytest.fixture(scope="module")
def stack():
    return default_stack()


@pytest.fixture(scope="module")
def script(stack):
    return build_script(stack)


def test_the_layer_lesson_is_a_folder_found_by_name():
    assert "layer" in lesson_names()
    assert lesson("layer").LESSON == "layer"


def test_the_default_stack_is_the_issues_lesson(stack):
    first, second = stack.layers
    assert [f[0].tolist() for f in first.weight] == [
        DIAG.tolist(),
        DIAG[:, ::-1].tolist(),
        np.maximum(DIAG, DIAG[:, ::-1]).tolist(),
    ]
    assert stack.shapes == ((1, 9, 9), (3, 7, 7), (3, 3, 3), (1, 2, 2))
    assert second.weight.shape == (1, 3, 2, 2)
    # 27 + 3 and 12 + 1 parameters; 3·7·7·9 + 1·2·2·12 multiply-adds
    assert stack.parameter_count == 43 and stack.multiply_adds == 1323 + 48


def test_first_layer_against_plain_loops_and_scipy(stack):
    from scipy.signal import correlate2d

    first = stack.layers[0]
    pre = first.compute().pre_activation
    w = first.weight.tolist()
    assert pre.tolist() == _plain_layer([X.tolist()], w, [-1, -1, -1])
    for o in range(3):
        ref = sum(correlate2d(X, first.weight[o, c], mode="valid") for c in range(1)) - 1
        assert np.array_equal(pre[o], ref)


def test_second_layer_sums_channels_like_scipy(stack):
    from scipy.signal import correlate2d

    second = stack.layers[1]
    x = np.array(second.input.tolist(), dtype=np.int64)
    w = second.weight
    partials = [correlate2d(x[c], w[0, c], mode="valid") for c in range(3)]
    pre = second.compute().pre_activation
    assert np.array_equal(pre[0], sum(partials) - 16)
    assert pre.tolist() == _plain_layer(x.tolist(), w.tolist(), [-16])


def test_pooling_by_hand(stack):
    # Map 0 of the first layer after ReLU, rows 0–1, columns 0–1: 6, 0 / 0, 8 → 8 at (1, 1);
    # torch keeps the first largest in row-major order, and floor drops row and column 6.
    act = stack.layers[0].compute().activation
    assert act[0, :2, :2].tolist() == [[6, 0], [0, 8]]
    pooled = stack.layers[0].compute().output
    assert pooled.shape == (3, 3, 3) and pooled[0, 0, 0] == 8
    assert Pool(2, ceil_mode=True).output_shape((7, 7)) == (4, 4)  # ⌈5/2⌉ + 1
    hand = LayerStack(
        np.array([[[1, 3, 3], [3, 0, 2], [5, 1, 1]]]),
        [dict(weight=np.ones((1, 1, 1, 1), int), pool=Pool(2, ceil_mode=True))],
    )
    assert hand.layers[0].compute().output.tolist() == [[[3, 3], [5, 1]]]
    picks = [
        PoolPick(1, (0, 0, 0), (0, 0, 1, 1), 3, (0, 1), 2),  # 1 3 / 3 0: two 3s, first kept
        PoolPick(1, (0, 1, 1), (2, 2, 2, 2), 1, (2, 2), 1),  # the corner window: one cell
        PoolSize(1, 0, 3, 2, 2, 0, True, 2, 0),
        PoolSize(1, 0, 3, 2, 2, 0, False, 1, 1),
    ]
    assert verify_layer_claims(hand, picks).ok


def test_the_script_is_verified_and_registered(script):
    assert script.section_names == SECTION_NAMES
    for b in script.beats():
        assert b.key in BEAT_KEYS
        assert b.claims or b.key == "title.question", b.key
    sums = script.beat("channels.element").claims[0]
    assert sums == ElementSums(2, (0, 0, 0), (12, 2, 16), -16, 14, 14)
    relu = script.beat("relu.zeroes").claims[0]
    assert relu == ReluZeroes(1, 64, 88, 147)
    assert "12 + 2 + 16 = 30" in script.beat("channels.element").caption
    assert "two cells hold 2, and the one kept is at (0, 3)" in script.beat("pooling.ties").caption


def test_a_false_fact_is_refused_by_the_verifier(stack):
    import dataclasses

    facts = facts_of(stack)
    first = dataclasses.replace(facts.layers[0], negatives=63)
    bad = dataclasses.replace(facts, layers=(first, *facts.layers[1:]))
    with pytest.raises(ClaimError, match="relu.zeroes"):
        script_from_facts(bad)
    wrong = [TensorShape((3, 6, 6), "maps", 1), ElementSums(1, (0, 1, 1), (9,), -1, 9, 9)]
    report = verify_layer_claims(stack, wrong)
    assert report.held == 0


def test_claims_round_trip_through_json(script):
    for b in script.beats():
        for c in b.claims:
            assert layer_claim_from_json(json.loads(json.dumps(c.to_json()))) == c


def test_check_proves_every_element_and_claim(capsys):
    assert main(["check", "--lesson", "layer"]) == 0
    out = capsys.readouterr().out
    assert "147 of 147 elements equal" in out and "27 of 27 pooled" in out
    assert out.rstrip().endswith("claims hold") and "OK: 178 of 178 values" in out


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "latex"])
def test_derive_prints_one_element_in_every_format(capsys, fmt):
    assert main(["derive", "--lesson", "layer", "--layer", "2", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        doc = json.loads(out)
        e = doc["elements"][0]
        assert [c["partial_sum"] for c in e["channels"]] == ["12", "2", "16"]
        assert e["bias"] == "-16" and e["activation"] == "14"
    else:
        assert "14" in out and "-16" in out


def test_derive_pooled_element_shows_window_and_choice(capsys):
    assert main(["derive", "--lesson", "layer", "--element", "0,0,0"]) == 0
    out = capsys.readouterr().out
    assert "max(6, 0, 0, 8) = 8, kept from (1, 1)" in out


def test_options_make_other_layers(capsys):
    args = ["--filters", "sobel-x,laplacian", "--bias", "0,1", "--pool", "avg", "--ceil-mode"]
    assert main(["check", "--lesson", "layer", *args]) == 0
    assert "OK:" in capsys.readouterr().out
    assert main(["script", "--lesson", "layer", "--activation", "none", "--pool", "none"]) == 0
    out = capsys.readouterr().out
    assert "ReLU keeps" not in out and "Max pooling" not in out


def test_bad_layer_options_are_one_line(capsys):
    assert main(["script", "--lesson", "layer", "--bias", "1,2"]) == 2
    assert "--bias needs one number or one per filter (3)" in capsys.readouterr().err
    assert main(["derive", "--lesson", "layer", "--element", "9,0,0"]) == 2
    capsys.readouterr()


def test_a_colour_png_is_three_channels_for_the_layer_lesson_only(tmp_path, capsys):
    from PIL import Image

    rgb = np.zeros((5, 5, 3), dtype=np.uint8)
    rgb[..., 0] = 255
    rgb[2, 2] = (0, 255, 0)
    path = tmp_path / "colour.png"
    Image.fromarray(rgb, "RGB").save(path)
    code = main(["script", "--lesson", "layer", "--image", str(path), "--pool-size", "1"])
    assert code == 0
    assert "shape 3×5×5: three channels" in capsys.readouterr().out
    assert main(["derive", "--image", str(path)]) == 2
    assert "only grayscale PNGs are read" in capsys.readouterr().err


def test_the_layer_lesson_edits_no_file_of_the_convolution_lesson():
    changed = subprocess.run(
        ["git", "diff", "--name-only", "main", "--", "explainer/lessons/convolution"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if changed.returncode != 0:
        pytest.skip("no git history with a main branch here")
    assert changed.stdout.strip() == ""
    text = io.StringIO()
    for path in (ROOT / "explainer/lessons/layer").glob("*.py"):
        text.write(path.read_text())
    assert "lessons.convolution" not in text.getvalue()
    assert Fraction(1) == 1  # exact numbers throughout
