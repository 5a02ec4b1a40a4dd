"""The board lessons' worksheets (``explainer handout --lesson NAME --worksheet``): questions
worded from verified claims, the boards' result cells left blank, an answer key last.

Every answer expected here is computed from the raw problem by this file (scipy, or plain
loops) or worked by hand in a comment, never read from the boards, exercises or LaTeX
under test.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from fractions import Fraction

import numpy as np
import pytest
from cli_support import one_line_error, run
from scipy.signal import convolve2d, correlate2d
from stage_support import expected_grids

from explainer.backward_request import default_backward, default_transposed
from explainer.errors import ProblemError
from explainer.lessons import lesson
from explainer.lessons.exercises import exercises
from explainer.lessons.layer.words import default_stack
from explainer.lessons.layer_claims import ElementSums
from explainer.outputs.lesson_handout import tex_text
from explainer.outputs.lesson_worksheet import lesson_worksheet_latex

PROBLEMS = {"layer": default_stack, "backward": default_backward, "transposed": default_transposed}


def _script(name: str):
    return lesson(name).build_script(PROBLEMS[name]())


def _backward_expected() -> dict[str, np.ndarray]:
    p = default_backward()
    x, w, t = (np.array(a, dtype=np.int64) for a in (p.image, p.weight, p.target))
    e = correlate2d(x, w, mode="valid") - t
    grad = correlate2d(x, e, mode="valid")
    after = np.array(w, dtype=object) - Fraction(1, 200) * grad.astype(object)
    return {
        "error": e,
        "weight-gradient": grad,
        "filter-after": after,
        "image-gradient": convolve2d(e, w),
    }


def _transposed_expected() -> dict[str, np.ndarray]:
    """Stamps laid by plain loops; the zero-inserted view by its own loops (zeros between
    the input's pixels, a border of k − 1 = 2, the kernel turned by 180°, stride 1)."""
    p = default_transposed()
    x, k = np.array(p.input, dtype=np.int64), np.array(p.kernel, dtype=np.int64)
    out = np.zeros((7, 7), dtype=np.int64)  # (3 − 1)·2 + 3 = 7
    count = np.zeros((7, 7), dtype=np.int64)
    for i in range(3):
        for j in range(3):
            out[2 * i : 2 * i + 3, 2 * j : 2 * j + 3] += x[i, j] * k
            count[2 * i : 2 * i + 3, 2 * j : 2 * j + 3] += 1
    spread = np.zeros((9, 9), dtype=np.int64)
    spread[2:7:2, 2:7:2] = x
    turned = k[::-1, ::-1]
    view = np.zeros((7, 7), dtype=np.int64)
    for r in range(7):
        for q in range(7):
            view[r, q] = sum(
                spread[r + m, q + n] * turned[m, n] for m in range(3) for n in range(3)
            )
    assert (view == out).all()
    return {"output": out, "overlap": count}


def _layer_boxes() -> dict[str, tuple]:
    stack = default_stack()
    x = np.array(stack.layers[0].input.tolist(), dtype=np.int64)
    w1 = np.array(stack.layers[0].weight.tolist(), dtype=np.int64)
    b1 = np.array(stack.layers[0].bias.tolist(), dtype=np.int64)
    maps = correlate2d(x[0], w1[0, 0], mode="valid").shape
    return {"filters.parameters": (w1.size + b1.size,), "maps.size": (len(w1), *maps)}


EXPECTED_BEATS = {
    "layer": [
        "filters.parameters",  # a parameter count
        "maps.size",  # an output shape
        "bias.element",  # an element's sum and bias
        "relu.zeroes",  # ReLU
        "pooling.rule",  # a pooled value
        "pooling.ties",
        "channels.partials",  # a per-channel partial sum
        "channels.element",
    ],
    "backward": ["error.map", "gradient.correlation", "step.rule", "image.sum"],
    "transposed": ["size.formula", "stamps.add", "overlap.checker", "views.zeros"],
}


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_each_lessons_exercises_and_their_answers_are_the_independent_computation(name):
    expected = {
        "layer": expected_grids(default_stack()),
        "backward": _backward_expected(),
        "transposed": _transposed_expected(),
    }[name]
    boxes = {
        "layer": _layer_boxes(),
        "backward": {},
        "transposed": {"size.formula": (7, 7)},  # (3 − 1)·2 − 0 + 1·(3 − 1) + 0 + 1, each way
    }[name]
    script = _script(name)
    found = exercises(script)
    assert [e.beat for e in found] == EXPECTED_BEATS[name]
    assert {e.beat for e in found if e.boxes} == set(boxes)
    for ex in found:
        if ex.boxes:
            assert ex.answers == boxes[ex.beat] and not ex.blanks, ex.beat
            assert len(ex.boxes) == len(ex.answers)
            continue
        got = [expected[g][r, c] for g, r, c in ex.blanks]
        assert list(ex.answers) == got, (name, ex.beat)
        assert ex.grids and all(g in ex.grids for g, _, _ in ex.blanks)


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_each_exercise_is_worded_from_a_claim_its_beat_makes_and_the_verifier_proves(name):
    script = _script(name)
    verify = lesson(name).verify_beats
    for ex in exercises(script):
        assert ex.claim in script.beat(ex.beat).claims, ex.beat
        report = verify(script.problem, [(ex.beat, (ex.claim,))])
        assert report.ok and report.total == 1, (ex.beat, report.summary)


def test_the_answers_worked_by_hand():
    # Layer: 3·1·3·3 = 27 weights + 3 biases = 30; 3 maps of 9 − 3 + 1 = 7; pre1.0 (1, 1) =
    # 9 − 1 = 8; map 2 before ReLU holds 2 at (0, 0) and −6 at (0, 1), so 2 and 0 after it;
    # max(6, 0, 0, 8) = 8; max(0, 2, 0, 2) = 2; pooled map 2 [4, 2, 4; 2, 8, 4; 4, 4, 4]
    # under the all-ones kernel at (1, 1): 8 + 4 + 4 + 4 = 20; 12 + 2 + 16 − 16 = 14.
    assert [e.answers for e in exercises(_script("layer"))] == [
        (30,), (3, 7, 7), (8,), (2, 0), (8,), (2,), (20,), (14,)
    ]  # fmt: skip
    # Backward: e (0, 1) = −1 − (−5) = 4, e (1, 5) = 1 − 5 = −4; w[0, 2] − (1/200)·(−156)
    # = −1 + 39/50 = −11/50.
    found = exercises(_script("backward"))
    assert found[0].answers == (4, -4) and found[2].answers == (Fraction(-11, 50),)
    # Transposed: 7 rows, 7 columns; pixel (0, 0) gets one stamp, (0, 2) two, (2, 2) four;
    # output (2, 4): spread (2, 4) = 2 and (4, 6) = 2 under the turned kernel's corners 1
    # and 1, spread (4, 4) = 1 under −1: 2 + 2 − 1 = 3.
    found = exercises(_script("transposed"))
    assert [e.answers for e in found] == [(7, 7), (0,), (1, 2, 4), (3,)]


def test_questions_are_worded_from_the_claims_and_never_state_the_answer():
    ex = exercises(_script("layer"))[2:]
    assert ex[0].question == (
        "Element (0, 1, 1) of layer 1: multiply the input window by the kernel and add the "
        "products, then add the bias, −1. What is it before ReLU?"
    )
    assert "(Several cells hold the largest value: which one is kept?)" in ex[3].question
    assert ex[5].question.startswith("Element (0, 0, 0) of layer 2: add its 3 channels'")
    step = exercises(_script("backward"))[2].question
    assert "−11/50" not in step and "156" not in step and "learning rate 0.005" in step
    assert exercises(_script("transposed"))[1].question.startswith(
        "Pixel (2, 2): four stamps land on it"
    )
    # A box question gives the numbers the answer is made of, never the answer.
    size = exercises(_script("transposed"))[0].question
    assert "n = 3, k = 3, s = 2, p = 0, d = 1, output_padding = 0" in size and "7" not in size
    params, shape = exercises(_script("layer"))[:2]
    assert "3×1×3×3" in params.question and "30" not in params.question
    assert "7" not in shape.question and "9 cells" in shape.question


def test_average_pooling_sets_its_mean_as_an_exercise():
    from explainer.cli.parser import build_parser
    from explainer.layer_request import stack_from_args

    args = build_parser().parse_args(["script", "--lesson", "layer", "--pool", "avg"])
    found = {e.beat: e for e in exercises(lesson("layer").build_script(stack_from_args(args)))}
    pool = found["pooling.average"]
    # Map 0 after ReLU, rows 0–1, columns 0–1 holds 6, 0, 0, 8 (as in the max case):
    # (6 + 0 + 0 + 8) / 4 = 7/2.
    assert pool.answers == (Fraction(7, 2),) and pool.blanks == (("pool1.0", 0, 0),)
    assert pool.question == (
        "Average pooling, pooled element (0, 0, 0): add the cells of its window and divide by 4."
    )


def test_a_claim_that_disagrees_with_its_board_is_refused():
    script = _script("layer")
    beat = script.beat("bias.element")
    claims = tuple(
        dataclasses.replace(c, pre=c.pre + 1) if isinstance(c, ElementSums) else c
        for c in beat.claims
    )
    wrong = dataclasses.replace(beat, claims=claims)
    sections = tuple(
        dataclasses.replace(s, beats=tuple(wrong if b is beat else b for b in s.beats))
        for s in script.sections
    )
    with pytest.raises(ValueError, match="'bias.element' claims 9 but its board holds 8"):
        exercises(dataclasses.replace(script, sections=sections))


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_the_worksheet_blanks_every_answer_and_keys_it_last(name):
    script = _script(name)
    tex = lesson_worksheet_latex(script)
    sheet, key = tex.split(r"\newpage")
    found = exercises(script)
    letters = "abcdefghijklmnop"[: sum(len(e.blanks) + len(e.boxes) for e in found)]
    for letter in letters:
        assert rf"\slot{{{letter}}}" in sheet and rf"\slot{{{letter}}}" not in key
        assert re.search(rf"Box [^.]*\({letter}\)", sheet) and f"({letter}) $" in key
    for ex in found:  # a box is labelled, framed, and holds nothing but its letter
        for label in ex.boxes:
            assert rf"\text{{{label}}} = \boxed{{\slot{{" in sheet
    # The problem's line names shapes and sizes the boxes ask for: only the key gives it.
    assert tex_text(script.labels["problem"]) not in sheet
    assert tex_text(script.labels["problem"]) in key
    for ex in found:
        assert tex_text(ex.question) in sheet and tex_text(ex.solution) not in sheet
        assert tex_text(ex.solution) in key
    assert "Answer key" in key and "[U+" not in tex


def test_cli_worksheet_refusals_are_one_line_and_write_nothing(capsys, tmp_path):
    target = tmp_path / "w.pdf"
    argv = ["handout", "--lesson", "layer", "--worksheet", "-o", str(target)]
    code, _, err = run(capsys, *argv, "--patch", "1,1")
    one_line_error(code, err, "the layer lesson's handout has no --patch or --all")
    assert not target.exists() and not target.with_suffix(".tex").exists()


def test_a_script_with_no_exercise_is_refused_in_one_line():
    script = _script("transposed")
    bare = dataclasses.replace(script, sections=script.sections[:1])  # the title alone
    with pytest.raises(ProblemError, match="marks no computed cell to set as an exercise"):
        lesson_worksheet_latex(bare)


@pytest.mark.tex
@pytest.mark.skipif(
    shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
    reason="pdflatex and pdftotext are installed by scripts/bootstrap.sh",
)
@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_the_worksheet_compiles_with_the_key_alone_on_its_last_page(tmp_path, capsys, name):
    target = tmp_path / f"{name}.pdf"
    code, _, err = run(capsys, "handout", "--lesson", name, "--worksheet", "-o", str(target))
    assert code == 0, err
    text = subprocess.run(
        ["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
    assert len(pages) >= 2
    assert "Answer key" in pages[-1] and all("Answer key" not in p for p in pages[:-1])
    assert "worksheet" in pages[0] and re.search(r"Box\s+\(a\)", pages[0])
    assert target.with_suffix(".tex").exists()
