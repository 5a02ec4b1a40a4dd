"""The backward lesson: hand-worked gradients, exact finite differences, the verifier refusing
false claims of every kind, a property search over small problems, and the CLI.

Expected values come from the hand (a 3×3 image and a 2×2 filter worked below), from exact
central differences of a loss computed here with plain loops, never from the lesson's code.
"""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lesson_support import broken, exercises_stand, unlicensed_numbers

from explainer.backward_request import BackwardProblem, default_backward
from explainer.cli import main
from explainer.errors import ExplainerError
from explainer.lessons import ClaimError, lesson
from explainer.lessons.backward import BEAT_KEYS, SECTION_NAMES, build_script
from explainer.lessons.backward.facts import facts_of
from explainer.lessons.backward.writer import script_from_facts
from explainer.lessons.backward_claims import (
    GridValues,
    LossChange,
    Stamp,
    WeightTerms,
    claim_from_json,
)
from explainer.lessons.backward_verifier import verify_backward_claims

HAND = BackwardProblem(
    ((1, 2, 3), (4, 5, 6), (7, 8, 9)), ((1, 0), (0, -1)), ((0, 0), (0, 0)), Fraction(1, 100)
)


def _loss(x, w, t, stride=(1, 1), pad=(0, 0, 0, 0)) -> Fraction:
    """½ Σ (y − t)², y by nested loops (zero padding, no dilation)."""
    total = Fraction(0)
    for i, row in enumerate(t):
        for j, target in enumerate(row):
            y = 0
            for m, wrow in enumerate(w):
                for n, v in enumerate(wrow):
                    r, q = stride[0] * i + m - pad[0], stride[1] * j + n - pad[2]
                    if 0 <= r < len(x) and 0 <= q < len(x[0]):
                        y += x[r][q] * v
            total += Fraction(y - target) ** 2
    return total / 2


def _bumped(grid, a, b, by):
    return [[v + (by if (r, c) == (a, b) else 0) for c, v in enumerate(row)]
            for r, row in enumerate(grid)]  # fmt: skip


def _claim(script, cls, **match):
    for b in script.beats():
        for c in b.claims:
            if isinstance(c, cls) and all(getattr(c, k) == v for k, v in match.items()):
                return c
    raise AssertionError(f"no {cls.__name__} {match}")


def test_the_lesson_is_a_folder_found_by_name():
    assert lesson("backward").LESSON == "backward"


def test_a_hand_worked_step():
    # y = x[i,j] − x[i+1,j+1] = −4 everywhere; e = −4; L = ½·4·16 = 32.
    # ∂L/∂w[m,n] = −4·(sum of the 2×2 block at (m, n)): −4·12, −4·16, −4·24, −4·28.
    s = build_script(HAND)
    assert _claim(s, GridValues, of="error").values == ((-4, -4), (-4, -4))
    assert _claim(s, GridValues, of="weight-gradient").values == ((-48, -64), (-96, -112))
    terms = _claim(s, WeightTerms)
    assert terms.weight == (1, 1) and terms.total == -112
    assert terms.terms == ((0, 0, 1, 1, -4, 5), (0, 1, 1, 2, -4, 6),
                           (1, 0, 2, 1, -4, 8), (1, 1, 2, 2, -4, 9))  # fmt: skip
    # w − (1/100)·g = [[1.48, 0.64], [0.96, 0.12]]
    after = _claim(s, GridValues, of="filter-after").values
    assert after == ((Fraction(37, 25), Fraction(16, 25)), (Fraction(24, 25), Fraction(3, 25)))
    # new y[0,0] = 1.48 + 2·0.64 + 4·0.96 + 5·0.12 = 7.2, and so on: the loss
    assert _claim(s, LossChange).before == 32
    after_loss = _loss(HAND.image, after, HAND.target)
    assert _claim(s, LossChange).after == after_loss
    # ∂L/∂x: each error pixel (−4) stamps −4·w: the corners get −4 and +4, the centre 0.
    assert _claim(s, GridValues, of="image-gradient").values == (
        (-4, -4, 0), (-4, 0, 4), (0, 4, 4))  # fmt: skip
    assert "an error of −4" in s.beat("error.pixel").caption


def test_gradients_are_exact_central_differences():
    p = default_backward()
    s = build_script(p)
    eps = Fraction(1, 3)
    gw = _claim(s, GridValues, of="weight-gradient").values
    for m in range(3):
        for n in range(3):
            up = _loss(p.image, _bumped(p.weight, m, n, eps), p.target)
            down = _loss(p.image, _bumped(p.weight, m, n, -eps), p.target)
            assert (up - down) / (2 * eps) == gw[m][n]
    gx = _claim(s, GridValues, of="image-gradient").values
    for r in (0, 2, 4, 8):
        for q in (0, 3, 4):
            up = _loss(_bumped(p.image, r, q, eps), p.weight, p.target)
            down = _loss(_bumped(p.image, r, q, -eps), p.weight, p.target)
            assert (up - down) / (2 * eps) == gx[r][q]


def test_the_default_script_says_what_was_computed():
    s = build_script(default_backward())
    assert s.section_names == SECTION_NAMES
    assert all(b.key in BEAT_KEYS for b in s.beats())
    change = _claim(s, LossChange)
    assert (change.before, change.after, change.direction) == (312, Fraction(382481, 5000), "falls")
    assert "falls from 312 to 76.4962" in s.beat("step.result").caption
    assert "49 terms" in s.beat("derivative.terms").caption


def test_every_grid_shown_is_covered_by_a_claim():
    for p in (default_backward(), HAND):
        s = build_script(p)
        covered = {}
        for b in s.beats():
            for c in b.claims:
                if isinstance(c, GridValues):
                    covered[c.of] = c.values
                if isinstance(c, Stamp):
                    covered["stamp"] = c.values
            assert b.board is not None, b.key
        for key, grid in s.grids.items():
            assert covered.get(key) == grid.values, key


def test_the_verifier_refuses_a_false_claim_of_every_kind():
    p = default_backward()
    seen = set()
    for b in build_script(p).beats():
        for c in b.claims:
            bad = broken(c)
            if bad is None:
                continue
            seen.add(type(c).__name__)
            report = verify_backward_claims(p, [bad])
            assert not report.ok, f"{bad} passed"
    assert len(seen) >= 11
    with pytest.raises(ClaimError, match="step.result"):
        facts = facts_of(p)
        script_from_facts(dataclasses.replace(facts, closer=facts.closer + 1))


def test_claims_round_trip_through_json():
    for b in build_script(default_backward()).beats():
        for c in b.claims:
            assert claim_from_json(json.loads(json.dumps(c.to_json()))) == c


small = st.integers(-3, 3)


@st.composite
def problems(draw):
    h, w = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    kh, kw = draw(st.integers(1, min(h, 3))), draw(st.integers(1, min(w, 3)))
    s, pad, d = draw(st.integers(1, 2)), draw(st.integers(0, 1)), draw(st.integers(1, 2))
    if d * (kh - 1) + 1 > h + 2 * pad or d * (kw - 1) + 1 > w + 2 * pad:
        d = 1
    x = tuple(tuple(draw(small) for _ in range(w)) for _ in range(h))
    k = tuple(tuple(draw(small) for _ in range(kw)) for _ in range(kh))
    oh = (h + 2 * pad - d * (kh - 1) - 1) // s + 1
    ow = (w + 2 * pad - d * (kw - 1) - 1) // s + 1
    t = tuple(tuple(draw(small) for _ in range(ow)) for _ in range(oh))
    rate = Fraction(1, draw(st.sampled_from([1, 4, 10, 50, 200])))
    return BackwardProblem(x, k, t, rate, (s, s), (pad,) * 4, (d, d))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_claim_of_random_small_problems_verifies(p):
    s = build_script(p)  # verifies every claim; a false one raises ClaimError
    assert unlicensed_numbers(s) == []
    exercises_stand(s)
    change = _claim(s, LossChange)
    if p.dilation == (1, 1):
        assert change.before == _loss(p.image, p.weight, p.target, p.stride, p.padding)


def test_cli_script_check_and_derive(capsys):
    assert main(["script", "--lesson", "backward"]) == 0
    assert "sympy differentiates the loss" in capsys.readouterr().out
    assert main(["check", "--lesson", "backward"]) == 0
    out = capsys.readouterr().out
    assert "91 of 91 gradient elements equal" in out and out.startswith("Checking")
    for fmt in ("text", "markdown", "latex"):
        assert main(["derive", "--lesson", "backward", "--format", fmt]) == 0
        assert "-156" in capsys.readouterr().out
    assert main(["derive", "--lesson", "backward", "--format", "json", "--at", "1,1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["value"] == doc["engine"] == "-108" and len(doc["terms"]) == 49
    # ∂L/∂x[2, 4]: the exact central difference of the loss, worked here
    p, eps = default_backward(), Fraction(1, 2)
    up = _loss(_bumped(p.image, 2, 4, eps), p.weight, p.target)
    down = _loss(_bumped(p.image, 2, 4, -eps), p.weight, p.target)
    assert main(["derive", "--lesson", "backward", "--of", "image", "--at", "2,4", "--format",
                 "json"]) == 0  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert Fraction(doc["value"]) == (up - down) / (2 * eps) and len(doc["terms"]) == 9


def test_cli_other_problems(capsys):
    args = ["--image", "square", "--kernel", "laplacian", "--target", "box-blur"]
    assert main(["script", "--lesson", "backward", *args, "--learning-rate", "0.001"]) == 0
    assert "target" in capsys.readouterr().out
    assert main(["check", "--lesson", "backward", "--stride", "2", "--padding", "1"]) == 0
    assert "OK:" in capsys.readouterr().out
    # the filter already makes its target: every error and gradient is 0 (x ⋆ w = t)
    assert main(["script", "--lesson", "backward", "--target", "diagonal"]) == 0
    out = capsys.readouterr().out
    assert "Here L = ½ · 0 = 0" in out and "Every gradient is 0 here" in out
    assert "the loss stays at 0" in out


@pytest.mark.parametrize(
    "args, line",
    [
        (["--learning-rate", "0"], "--learning-rate must be above 0"),
        (["--learning-rate", "eval(1)"], "--learning-rate"),
        (["--target", "diagonal", "--kernel", "sobel-x", "--padding-mode", "reflect"], "zeros"),
        (["--target", "1,2;3,4"], "the target map must have the output's shape 7×7"),
        (["--flip"], "drop --flip"),
    ],
)
def test_bad_options_are_one_line(capsys, args, line):
    assert main(["script", "--lesson", "backward", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("explainer: error:") and line in err and err.count("\n") == 1


def test_the_verifier_imports_neither_writer_facts_engine_nor_proof():
    import ast
    from pathlib import Path

    import explainer.lessons.backward_verifier as v
    import explainer.lessons.grid_checks as shared
    import explainer.lessons.transposed_verifier as t

    for module in (v, t, shared):
        tree = ast.parse(Path(module.__file__).read_text())
        names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert all(not m.startswith(("explainer.core", "explainer.proof")) for m in names)
        assert all("backward." not in m and "transposed." not in m for m in names)
    assert ExplainerError  # the lesson's errors are the project's


@pytest.mark.tex
@pytest.mark.parametrize("name", ["backward", "transposed"])
def test_derive_latex_compiles(tmp_path, capsys, name):
    import shutil
    import subprocess

    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    assert main(["derive", "--lesson", name, "--format", "latex"]) == 0
    (tmp_path / "d.tex").write_text(capsys.readouterr().out)
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and (tmp_path / "d.pdf").exists()


@pytest.mark.parametrize(
    "p", [default_backward(), HAND], ids=["default", "hand"]
)  # fmt: skip
def test_every_number_in_a_sentence_is_a_claims_value(p):
    assert unlicensed_numbers(build_script(p)) == []
