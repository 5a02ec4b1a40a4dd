"""The `explainer` command as a learner uses it: derive, check, presets, errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from cli_support import assert_compiles, run

from explainer.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_derive_default_prints_formula_all_patches_and_result(capsys, lecture_result):
    code, out, err = run(capsys, "derive")
    assert code == 0 and err == ""
    assert "╲" in out and "x[i + m, j + n]·w[m, n]" in out
    assert len(re.findall(r"^── y\[\d, \d\]", out, flags=re.M)) == 49
    assert "y[1, 1] = 1/9 · ( x[1, 1]·w[0, 0]" in out
    assert "= 1/9 · ( 1·1 + (-1)·(-1) + (-1)·(-1)" in out
    # The sum of products (9, then 7) is shown before the division.
    assert "= 1/9 · 9 = 1" in out and "= 1/9 · 7 = 7/9" in out
    steps = out.split("── y[0, 0]")[1].split("Result y")[0]
    assert "⋅" not in steps and "×" not in steps  # one product sign: ·
    result = out.split("Result y (7×7):")[1].strip().splitlines()[:7]
    assert [[Fraction(v) for v in line.split()] for line in result] == lecture_result
    # The closing words are the script's: the four 1s where the X matches the filter.
    assert "The four pixels equal to 1 are exactly where the image matches the filter." in out


def test_derive_json_has_exact_strings(capsys, lecture_result):
    code, out, _ = run(capsys, "derive", "--format", "json")
    doc = json.loads(out)
    assert [[Fraction(v) for v in row] for row in doc["result"]] == lecture_result
    first = doc["patches"][0]
    assert first["index"] == [0, 0] and first["value"] == "7/9"
    assert first["products"] == ["-1", "1", "1", "1", "1", "1", "1", "1", "1"]
    assert len(doc["patches"]) == 49


def test_derive_markdown(capsys):
    code, out, _ = run(capsys, "derive", "--format", "markdown", "--patch", "2,2")
    assert code == 0
    assert out.startswith("# Convolution") and "## Output pixel (2, 2)" in out
    assert r"= \frac{1}{9}" in out and "| 7/9 | -1/9 |" in out


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="set-up installs LaTeX")
@pytest.mark.parametrize(
    "argv",
    [
        ["--patch", "1,1"],
        ["--kernel", "box-blur", "--padding", "1", "--patch", "0,0", "--patch", "4,4"],
    ],
)
def test_derive_latex_compiles(capsys, tmp_path, argv):
    code, out, _ = run(capsys, "derive", "--format", "latex", *argv)
    assert code == 0
    tex = tmp_path / "d.tex"
    tex.write_text(out)
    assert_compiles(tex)


def test_check_reports_49_of_49(capsys):
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert "49 of 49 equal" in out and "All 49 of 49 patches agree" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--kernel", "sobel-x", "--image", "square", "--padding", "same", "--stride", "2"],
        [
            "--kernel",
            "asymmetric",
            "--image",
            "gradient",
            "--flip",
            "--dilation",
            "2",
            "--padding",
            "full",
        ],
        [
            "--kernel",
            "gaussian-blur",
            "--image",
            "checkerboard",
            "--padding",
            "2",
            "--padding-mode",
            "reflect",
            "--normalize",
            "sum",
        ],
    ],
)
def test_check_general_problems(capsys, argv):
    code, out, _ = run(capsys, "check", *argv)
    assert code == 0, out
    assert "patches agree" in out


def test_presets_lists_every_name(capsys):
    from explainer.core.presets import PRESETS

    code, out, _ = run(capsys, "presets")
    assert code == 0
    for name in PRESETS:
        assert re.search(rf"^  {re.escape(name)}\s", out, flags=re.M)


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["derive", "--patch", "7,0"], "outside the 7×7 result"),
        (["derive", "--stride", "0"], "stride must be at least 1"),
        (["derive", "--dilation", "-2"], "dilation must be at least 1"),
        (["derive", "--padding", "-1"], "padding cannot be negative"),
        (["derive", "--padding", "1,2,3"], "--padding '1,2,3' is not valid"),
        (["derive", "--kernel", "nope"], "neither a file nor a preset"),
        (["derive", "--format", "xml"], "invalid choice: 'xml'"),
        (["derive", "--image", "box-blur", "--kernel", "x"], "taller than the image"),
        (["check", "--kernel", "laplacian", "--normalize", "sum"], "sum to 0"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("explainer: error: ")
    assert needle in err


def test_help_of_every_command(capsys):
    for argv in (
        ["--help"],
        ["derive", "--help"],
        ["check", "--help"],
        ["render", "--help"],
        ["presets", "--help"],
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("usage: explainer")


def test_console_script_runs_out_of_process():
    exe = Path(sys.executable).parent / "explainer"
    proc = subprocess.run([str(exe), "check"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "49 of 49" in proc.stdout
    proc = subprocess.run(
        [str(exe), "derive", "--image", "missing.csv"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "explainer: error: no such file: missing.csv"


def test_lossy_floats_warn_once_and_still_check(tmp_path, capsys):
    import numpy as np

    path = tmp_path / "f.npy"
    np.save(path, np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]))
    code, out, err = run(capsys, "check", "--image", str(path), "--kernel", "box-blur")
    assert code == 0 and "The one patch agrees" in out and "Checking 1 patch:" in out
    assert err.count("explainer: warning:") == 1 and "not exactly the decimal" in err


@pytest.mark.parametrize(
    "argv,needle",
    [
        (
            ["script", "--filters", "diagonal"],
            "--filters belongs to the layer lesson; add --lesson layer",
        ),
        (["script", "--ceil-mode"], "--ceil-mode belongs to the layer lesson; add --lesson layer"),
        (["derive", "--bias", "none"], "--bias belongs to the layer lesson; add --lesson layer"),
        (["check", "--pool", "avg"], "--pool belongs to the layer lesson; add --lesson layer"),
        (["page", "--pool-size", "3"], "--pool-size belongs to the layer lesson"),
        (["handout", "--pool-stride", "1"], "--pool-stride belongs to the layer lesson"),
        (["render", "--activation", "none"], "--activation belongs to the layer lesson"),
        (["script", "--filters2", "none"], "--filters2 belongs to the layer lesson"),
        (["script", "--bias2", "0"], "--bias2 belongs to the layer lesson"),
        (["derive", "--element", "0,0,0"], "--element belongs to the layer lesson"),
        (["derive", "--layer", "2"], "--layer belongs to the layer lesson"),
        (["script", "--lesson", "convolution", "--filters", "diagonal"], "add --lesson layer"),
        (
            ["script", "--lesson", "backward", "--filters", "diagonal"],
            "--filters belongs to the layer lesson; the backward lesson does not read it",
        ),
        (
            ["derive", "--lesson", "transposed", "--pool", "max"],
            "--pool belongs to the layer lesson; the transposed lesson does not read it",
        ),
    ],
)
def test_a_layer_option_given_to_another_lesson_is_refused(capsys, argv, needle):
    """Another lesson would ignore it silently: one line says whose it is (even when the
    value given is the layer lesson's default, as --pool max is)."""
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("explainer: error: ")
    assert needle in err


def test_the_layer_options_still_reach_the_layer_lesson(capsys):
    argv = ["script", "--lesson", "layer", "--filters", "diagonal", "--bias", "0"]
    code, out, err = run(capsys, *argv, "--pool", "avg", "--ceil-mode", "--filters2", "none")
    assert code == 0, err
    # 7×7 maps averaged 2 by 2, ceil mode: ⌈(7 − 2) / 2⌉ + 1 = 4
    assert "1×9×9 → 1×7×7 → 1×4×4" in out and "Average pooling" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["script", "--learning-rate", "0.1"], "--learning-rate belongs to the backward lesson"),
        (["script", "--target", "x"], "--target belongs to the backward lesson"),
        (["script", "--output-padding", "1"], "--output-padding belongs to the transposed lesson"),
        (["derive", "--of", "image"], "--of belongs to the backward lesson"),
        (["script", "--lesson", "layer", "--input", "1,2"], "--input belongs to the transposed"),
    ],
)
def test_a_gradient_lesson_option_given_to_another_lesson_is_refused(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
