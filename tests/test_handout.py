"""`explainer handout`: a PDF by pdflatex, read back by pdftotext, against values worked by hand."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import LECTURE_RESULT
from reference import plain_loop

from explainer import preset
from explainer.cli import main

pytestmark = pytest.mark.skipif(
    shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
    reason="TeX Live and poppler-utils are installed by scripts/bootstrap.sh",
)
NUMBER = re.compile(r"[−-]?\d+(?:/\d+)?")


def pdf_text(path: Path) -> str:
    """The PDF's text in the order it was typeset (a matrix row by row), minus as '-'."""
    run = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout.replace("−", "-")


def lecture_values() -> list[str]:
    return [v for row in LECTURE_RESULT for v in row]


def contains_in_order(tokens: list[str], wanted: list[str]) -> bool:
    """Whether ``wanted`` appears as one contiguous run of ``tokens``."""
    n = len(wanted)
    return any(tokens[k : k + n] == wanted for k in range(len(tokens) - n + 1))


def test_the_lecture_handout_holds_every_value_of_the_result(tmp_path, capsys):
    pdf = tmp_path / "handout.pdf"
    assert main(["handout", "--output", str(pdf)]) == 0
    assert capsys.readouterr().err.strip() == f"wrote {pdf} and {tmp_path / 'handout.tex'}"
    assert pdf.read_bytes().startswith(b"%PDF")
    tex = (tmp_path / "handout.tex").read_text(encoding="utf-8")
    assert r"\begin{array}" in tex and "pmatrix" not in tex
    text = pdf_text(pdf)
    result = text[text.rindex("The 7×7 result y:") :]
    assert contains_in_order(NUMBER.findall(result), lecture_values())
    for heading in ("The problem", "The formula", "The size of the result", "Every patch"):
        assert heading in text
    assert text.count("Output pixel (") == 49
    assert "rows:" in text and "columns:" in text  # the output size, worked out per axis
    assert "stride" in text and "dilation" in text  # every symbol is named


def test_a_worksheet_leaves_blanks_and_its_answer_key_matches(tmp_path):
    pdf = tmp_path / "worksheet.pdf"
    assert main(["handout", "--worksheet", "--output", str(pdf)]) == 0
    text = pdf_text(pdf)
    sheet, key = text.split("Answer key", 1)
    sheet_result = sheet[sheet.rindex("The 7×7 result y:") :]
    # Only row and column numbers (and the page number) remain: no value is given away.
    assert not [t for t in NUMBER.findall(sheet_result) if "/" in t or t.startswith("-")]
    assert "7/9" not in sheet and "5/9" not in sheet
    assert key.count("Output pixel (") == 49
    key_result = key[key.rindex("The result") :]
    assert contains_in_order(NUMBER.findall(key_result), lecture_values())


def test_chosen_patches_of_a_padded_strided_problem_and_a_wide_kernel(tmp_path):
    pdf = tmp_path / "square.pdf"
    args = ["--image", "square", "--kernel", "sobel-x", "--padding", "same", "--stride", "2"]
    assert main(["handout", *args, "--patch", "1,2", "--output", str(pdf)]) == 0
    text = pdf_text(pdf)
    assert text.count("Output pixel (") == 1 and "Output pixel (1, 2)" in text
    square = np.asarray(preset("square")).tolist()
    sobel = np.asarray(preset("sobel-x")).tolist()
    value = plain_loop(square, sobel, stride=(2, 2), padding=(0, 1, 0, 1))[1][2]
    assert f"= {value}" in text
    wide = tmp_path / "wide.csv"
    wide.write_text("1,2,3,4,5,6,7,8,9,10,11,12\n")
    image = tmp_path / "image.csv"
    image.write_text("\n".join(",".join(str(r * 20 + c) for c in range(20)) for r in range(3)))
    out = tmp_path / "wide.pdf"
    assert (
        main(
            [
                "handout",
                "--image",
                str(image),
                "--kernel",
                str(wide),
                "--patch",
                "0,0",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    assert out.exists() and "pmatrix" not in (tmp_path / "wide.tex").read_text()


def test_a_handout_too_large_is_refused_in_one_line(tmp_path, capsys):
    big = tmp_path / "big.npy"
    np.save(big, np.ones((40, 40), dtype=np.int64))
    out = tmp_path / "big.pdf"
    assert main(["handout", "--image", str(big), "--output", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "too large for the handout" in err
    assert not out.exists() and not (tmp_path / "big.tex").exists()
