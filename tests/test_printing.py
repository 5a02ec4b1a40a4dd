"""Printed derivations: every step from products to value, one product sign, LaTeX that
compiles at any width."""

from __future__ import annotations

import shutil

import pytest
from cli_support import assert_compiles

from explainer.cli import main


def test_the_sum_of_products_comes_before_the_division(capsys):
    # Patch (0, 0) of the lecture: only its corner x[0, 0] = -1 disagrees with the filter's
    # +1, so by hand eight products are +1 and one is -1: the sum 7, shown before the 1/9.
    assert main(["derive", "--patch", "0,0"]) == 0
    out = capsys.readouterr().out
    assert "= 1/9 · 7 = 7/9" in out


def test_without_division_the_sum_is_the_value(capsys):
    assert main(["derive", "--image", "square", "--kernel", "sobel-x", "--patch", "1,0"]) == 0
    out = capsys.readouterr().out
    # Rows 1..3, columns 0..2 of the square: only column 2 holds 1s (rows 2, 3): 2·1 + 1·1.
    assert "match" not in out  # an edge detector matches nothing: it responds to change
    assert "          = 3\n" in out and "/" not in out.split("── y[1, 0]")[1].split("Result")[0]


def test_latex_uses_the_same_product_sign(capsys):
    assert main(["derive", "--patch", "1,1", "--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert r"\odot" not in out and r"\times" not in out.split(r"\subsection*")[1]
    assert r"&= \frac{1}{9} \cdot 9 \\" in out


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs TeX Live (the set-up)")
def test_latex_compiles_with_a_result_wider_than_ten_columns(tmp_path, capsys):
    image = tmp_path / "wide.csv"
    image.write_text("\n".join(",".join(str((r * c) % 3 - 1) for c in range(14)) for r in range(4)))
    args = ["derive", "--image", str(image), "--kernel", "sobel-x", "--patch", "0,0"]
    assert main([*args, "--format", "latex", "--output", str(tmp_path / "d.tex")]) == 0
    assert_compiles(tmp_path / "d.tex")


def test_check_says_what_it_checked(capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "every value is proved" not in out
    assert "sympy's derivation, the traced engine and the vectorized engine" in out


@pytest.mark.parametrize(
    ("image", "kernel", "words"),
    [
        # A word each kind licenses; "match" only for a pattern kernel (the X's diagonal).
        ("x", "diagonal", "matches the filter"),
        ("square", "diagonal", "closest"),
        ("square", "sobel-x", "rises"),
        ("square", "laplacian", None),
        ("square", "box-blur", None),
        ("square", "sharpen", None),
    ],
)
def test_derive_closes_with_the_scripts_words_for_every_kernel_kind(capsys, image, kernel, words):
    from explainer.lessons.convolution import build_script
    from explainer.request import problem_from_argument_string

    args = ["--image", image, "--kernel", kernel, "--padding", "same"]
    assert main(["derive", *args]) == 0
    out = capsys.readouterr().out
    closing = out.rstrip().split("\n\n")[-1].splitlines()
    script = build_script(problem_from_argument_string(" ".join(args)))
    # The same sentences, none of the printer's own, in the derivation's ASCII minus sign.
    said = [b.caption.replace("−", "-") for b in script.beats() if b.key.startswith("result.")]
    assert closing == said and said
    assert "−" not in out  # one minus sign in one output
    if words is not None:
        assert words in " ".join(closing)
    if kernel != "diagonal":
        assert "match" not in out


@pytest.mark.parametrize(("flip", "key"), [(False, "notation.flip"), (True, "filter.flip")])
def test_derive_words_the_flip_and_the_formula_from_the_script(capsys, flip, key):
    from explainer.lessons.convolution import build_script
    from explainer.request import problem_from_argument_string

    args = ["--image", "square", "--kernel", "sobel-x", *(["--flip"] if flip else [])]
    for fmt in ("text", "markdown", "latex"):
        assert main(["derive", *args, "--format", fmt]) == 0
        out = capsys.readouterr().out
        script = build_script(problem_from_argument_string(" ".join(args)))
        for wanted in (key, "notation.formula"):
            first_words = " ".join(script.beat(wanted).caption.split()[:4])
            assert first_words in out, (fmt, wanted)
        assert "cross-correlation, what deep-learning" not in out  # the printer's old words
