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
    return {"weight-gradient": grad, "filter-after": after, "image-gradient": convolve2d(e, w)}


def _transposed_expected() -> dict[str, np.ndarray]:
    p = default_transposed()
    x, k = np.array(p.input, dtype=np.int64), np.array(p.kernel, dtype=np.int64)
    out = np.zeros((7, 7), dtype=np.int64)  # (3 − 1)·2 + 3 = 7
    for i in range(3):
        for j in range(3):
            out[2 * i : 2 * i + 3, 2 * j : 2 * j + 3] += x[i, j] * k
    return {"output": out}


def test_each_lessons_exercises_and_their_answers_are_the_independent_computation():
    layer = expected_grids(default_stack())
    cases = {
        "layer": (layer, ["bias.element", "pooling.rule", "pooling.ties", "channels.element"]),
        "backward": (_backward_expected(), ["gradient.correlation", "step.rule", "image.sum"]),
        "transposed": (_transposed_expected(), ["stamps.add"]),
    }
    for name, (expected, beats) in cases.items():
        found = exercises(_script(name))
        assert [e.beat for e in found] == beats, name
        for ex in found:
            got = [expected[g][r, c] for g, r, c in ex.blanks]
            assert list(ex.answers) == got, (name, ex.beat)
    # By hand: pre1.0 (1, 1) = 9 − 1 = 8; max(6, 0, 0, 8) = 8; max(0, 2, 0, 2) = 2;
    # 12 + 2 + 16 − 16 = 14; w[0, 2] − (1/200)·(−156) = −1 + 39/50 = −11/50.
    assert [e.answers[0] for e in exercises(_script("layer"))] == [8, 8, 2, 14]
    assert exercises(_script("backward"))[1].answers == (Fraction(-11, 50),)


def test_questions_are_worded_from_the_claims_and_never_state_the_answer():
    ex = exercises(_script("layer"))
    assert ex[0].question == (
        "Element (0, 1, 1) of layer 1: multiply the input window by the kernel and add the "
        "products, then add the bias, −1. What is it before ReLU?"
    )
    assert "(Several cells hold the largest value: which one is kept?)" in ex[2].question
    assert ex[3].question.startswith("Element (0, 0, 0) of layer 2: add its 3 channels'")
    step = exercises(_script("backward"))[1].question
    assert "−11/50" not in step and "156" not in step and "learning rate 0.005" in step
    assert exercises(_script("transposed"))[0].question.startswith(
        "Pixel (2, 2): four stamps land on it"
    )


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
    letters = "abcdefghij"[: sum(len(e.blanks) for e in found)]
    for letter in letters:
        assert rf"\slot{{{letter}}}" in sheet and rf"\slot{{{letter}}}" not in key
        assert f"Box ({letter})" in sheet and f"({letter}) $" in key
    for ex in found:
        assert tex_text(ex.question) in sheet and tex_text(ex.solution) not in sheet
        assert tex_text(ex.solution) in key
    assert "Answer key" in key and "[U+" not in tex


def test_cli_worksheet_refusals_are_one_line_and_write_nothing(capsys, tmp_path):
    target = tmp_path / "w.pdf"
    argv = ["handout", "--lesson", "layer", "--worksheet", "-o", str(target)]
    code, _, err = run(capsys, *argv, "--patch", "1,1")
    one_line_error(code, err, "the layer lesson's handout has no --patch or --all")
    code, _, err = run(capsys, *argv, "--bias", "none", "--pool", "none", "--filters2", "none")
    one_line_error(code, err, "marks no computed cell to set as an exercise")
    assert not target.exists() and not target.with_suffix(".tex").exists()


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
