"""The transposed lesson: stamps worked by hand, the output-size formula, the overlap and the
checkerboard, the verifier refusing false claims, a property search, and the CLI."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lesson_support import broken, exercises_stand, unlicensed_numbers

from explainer.backward_request import TransposedProblem, default_transposed
from explainer.cli import main
from explainer.errors import ProblemError
from explainer.lessons import lesson
from explainer.lessons.backward_claims import (
    Checkerboard,
    GridValues,
    OutputSize,
    Stamp,
    StampSum,
    ViewEqual,
)
from explainer.lessons.transposed import BEAT_KEYS, SECTION_NAMES, build_script
from explainer.lessons.transposed_verifier import verify_transposed_claims


def _claims(script, cls):
    return [c for b in script.beats() for c in b.claims if isinstance(c, cls)]


def test_the_lesson_is_a_folder_found_by_name():
    assert lesson("transposed").LESSON == "transposed"


def test_stamps_by_hand():
    # A 1×2 input [1, 2], kernel [1, 1, 1], stride 2: stamps [1 1 1 . .] and [. . 2 2 2],
    # the middle pixel gets both: [1, 1, 3, 2, 2]; (1 − 1)·2 + 2 + 1 = 3 rows... one row.
    p = TransposedProblem(((1, 2),), ((1, 1, 1),), 2)
    s = build_script(p)
    assert _claims(s, ViewEqual)[0].values == ((1, 1, 3, 2, 2),)
    assert [c.values for c in _claims(s, Stamp)] == [((1, 1, 1, 0, 0),), ((0, 0, 2, 2, 2),)]
    total = _claims(s, StampSum)[0]
    assert total.at == (0, 2) and total.total == 3 and len(total.parts) == 2
    sizes = {c.axis: c.n_out for c in _claims(s, OutputSize)}
    assert sizes == {0: 1, 1: 5}  # rows: (1 − 1)·2 + 0 + 1; columns: (2 − 1)·2 + 2 + 1
    checker = [c for c in _claims(s, Checkerboard) if c.axis == 1][0]
    assert checker.counts == (2,) and not checker.multiple  # inside: only the middle pixel


def test_the_default_lesson():
    s = build_script(default_transposed())
    assert s.section_names == SECTION_NAMES
    assert all(b.key in BEAT_KEYS for b in s.beats())
    assert s.beat("setup.grids").caption.startswith("The small input is 3×3")
    assert "The larger output will be 7×7" in s.beat("setup.grids").caption
    # 3 rows of stride 2 and a 3-tap kernel: (3 − 1)·2 − 0 + 1·(3 − 1) + 0 + 1 = 7
    assert "(3 − 1)·2 − 0 + 1·(3 − 1) + 0 + 1 = 7" in s.beat("size.formula").caption
    checker = _claims(s, Checkerboard)[0]
    assert checker.counts == (1, 2) and checker.uneven and not checker.multiple
    assert "checkerboard" in s.beat("overlap.checker").caption
    overlap = [c for c in _claims(s, GridValues) if c.of == "overlap"][0].values
    rows = (1, 1, 2, 1, 2, 1, 1)  # the docstring's example, by hand
    assert overlap == tuple(tuple(a * b for b in rows) for a in rows)


def test_even_overlap_when_the_kernel_is_a_multiple_of_the_stride():
    p = TransposedProblem(((1, 2), (3, 4)), ((1, 1), (1, 1)), 2)
    s = build_script(p)
    assert all(not c.uneven and c.multiple for c in _claims(s, Checkerboard))
    assert "no checkerboard" in s.beat("overlap.checker").caption
    # no overlap at all: each stamp alone, the output is the input blown up 2×
    assert _claims(s, ViewEqual)[0].values == (
        (1, 1, 2, 2),
        (1, 1, 2, 2),
        (3, 3, 4, 4),
        (3, 3, 4, 4),
    )


def test_padding_and_output_padding():
    p = TransposedProblem(((1, 2), (3, 4)), ((1, 2, 1),) * 3, 2, 1, 1)
    s = build_script(p)  # verified
    sizes = {c.axis: c.n_out for c in _claims(s, OutputSize)}
    assert sizes == {0: 4, 1: 4}  # (2 − 1)·2 − 2 + 2 + 1 + 1
    with pytest.raises(ProblemError, match="output_padding must be smaller"):
        TransposedProblem(((1,),), ((1, 1),), 1, 0, 1)


def test_the_verifier_refuses_false_claims():

    p = default_transposed()
    kinds = set()
    for b in build_script(p).beats():
        for c in b.claims:
            bad = broken(c)
            if bad is not None:
                kinds.add(type(c).__name__)
                assert not verify_transposed_claims(p, [bad]).ok, bad
    assert len(kinds) >= 8


small = st.integers(-3, 3)


@st.composite
def problems(draw):
    h, w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    pad = draw(st.integers(0, 1))
    extra = draw(st.integers(0, max(s, d) - 1))
    x = tuple(tuple(draw(small) for _ in range(w)) for _ in range(h))
    k = tuple(tuple(draw(small) for _ in range(kw)) for _ in range(kh))
    try:
        return TransposedProblem(x, k, s, pad, extra, d)
    except ProblemError:
        return TransposedProblem(x, k, s, 0, 0, d)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_claim_of_random_small_problems_verifies(p):

    s = build_script(p)  # verifies every claim
    assert unlicensed_numbers(s) == []
    exercises_stand(s)
    views = {c.view: c.values for c in _claims(s, ViewEqual)}
    assert views["scatter"] == views["zero-insertion"] == views["matrix"]


def test_cli(capsys):
    assert main(["script", "--lesson", "transposed"]) == 0
    assert "The small input is 3×3" in capsys.readouterr().out
    assert main(["check", "--lesson", "transposed"]) == 0
    out = capsys.readouterr().out
    assert "196 of 196 output pixels equal" in out and "holds" in out and "OK:" in out
    for fmt in ("text", "markdown", "json", "latex"):
        assert main(["derive", "--lesson", "transposed", "--format", fmt, "--at", "2,2"]) == 0
        assert "w[2, 2]" in capsys.readouterr().out.replace("{w}_{2,2}", "w[2, 2]")
    assert main(["script", "--lesson", "transposed", "--stride", "1", "--input", "1,2;3,4"]) == 0
    assert "The larger output will be 4×4" in capsys.readouterr().out


def test_bad_output_padding_is_one_line(capsys):
    assert main(["script", "--lesson", "transposed", "--output-padding", "2"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("explainer: error: output_padding must be smaller") and err.count("\n") == 1
    )
    assert main(["derive", "--lesson", "transposed", "--at", "9,9"]) == 2
    assert "the output is 7×7" in capsys.readouterr().err
    assert dataclasses  # claims are dataclasses


@pytest.mark.parametrize(
    "p",
    [
        default_transposed(),
        TransposedProblem(((1, -1), (2, 0)), ((1, 2, 1),) * 3, 3),
        TransposedProblem(((1, 2, 3),), ((1, 1), (1, -1)), 2, 0, 1, 2),
    ],
)
def test_every_number_in_a_sentence_is_a_claims_value(p):

    assert unlicensed_numbers(build_script(p)) == []


@pytest.mark.parametrize(
    "lesson_name, flag, value",
    [
        ("transposed", "--image", "x"),
        ("transposed", "--target", "diagonal"),
        ("transposed", "--learning-rate", "1/10"),
        ("backward", "--input", "1,2"),
        ("backward", "--output-padding", "0"),
    ],
)
def test_an_option_of_the_other_lesson_is_refused(capsys, lesson_name, flag, value):
    assert main(["script", "--lesson", lesson_name, flag, value]) == 2
    err = capsys.readouterr().err
    assert f"{flag} belongs to the" in err and err.count("\n") == 1
