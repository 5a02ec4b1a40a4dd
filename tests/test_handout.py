"""`explainer handout`: a PDF by pdflatex, read back by pdftotext and pdfinfo, against values
worked by hand; its grids' structure read from the LaTeX source."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import LECTURE_RESULT
from PIL import Image
from reference import plain_loop

from explainer import preset
from explainer.cli import main

pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("pdflatex", "pdftotext", "pdfinfo")),
    reason="TeX Live and poppler-utils are installed by scripts/bootstrap.sh",
)
NUMBER = re.compile(r"[−-]?\d+(?:/\d+)?")


def pdf_text(path: Path, first: int | None = None, last: int | None = None) -> str:
    """The PDF's text in the order it was typeset (a matrix row by row), minus as '-'."""
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    run = subprocess.run(
        ["pdftotext", "-raw", *pages, str(path), "-"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.replace("−", "-")


def page_count(path: Path) -> int:
    run = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", run.stdout, re.M).group(1))


def contains_in_order(tokens: list[str], wanted: list[str]) -> bool:
    """Whether ``wanted`` appears as one contiguous run of ``tokens``."""
    n = len(wanted)
    return any(tokens[k : k + n] == wanted for k in range(len(tokens) - n + 1))


def grid_arrays(tex: str) -> list[list[list[str]]]:
    """Every numbered grid of the source (an ``array`` whose first row holds the column
    numbers), as rows of cells; fails if a grid holds another array (its numbers would then
    be set apart from its values)."""
    grids = []
    for start in (m.start() for m in re.finditer(r"\\begin\{array\}\{r\|", tex)):
        end = tex.index(r"\end{array}", start)
        body = tex[tex.index("}", tex.index("{r|", start)) + 1 : end]
        assert r"\begin{array}" not in body
        rows = [r.replace(r"\hline", "") for r in body.split(r"\\")]
        rows = [re.sub(r"\\cline\{[\d-]+\}", "", r).strip() for r in rows]
        grids.append([[c.strip() for c in r.split("&")] for r in rows if r])
    return grids


def index_of(cell: str) -> str:
    """The number inside a header or row-label cell (``\\gridindex{3}``)."""
    return re.search(r"\\gridindex\{(-?\d+)\}", cell).group(1)


@dataclass(frozen=True)
class Made:
    status: int
    pdf: Path
    tex: Path
    err: str


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    """`explainer handout ARGS`, run once for each distinct ARGS in this module: several
    tests read the same handout (the lecture's, its worksheet, the padded strided square's,
    the normalized Gaussian's), and each is up to ten pdflatex runs while it is fitted to
    its pages. Nothing here changes a handout once made."""
    made: dict[tuple[str, ...], Made] = {}

    def make(*args: str) -> Made:
        if args not in made:
            pdf = tmp_path_factory.mktemp("handout") / "handout.pdf"
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                status = main(["handout", *args, "--output", str(pdf)])
            made[args] = Made(status, pdf, pdf.with_suffix(".tex"), err.getvalue())
        return made[args]

    return make


def test_the_lecture_handout_is_two_pages_with_every_value_of_the_result(handout):
    made = handout()
    pdf = made.pdf
    assert made.status == 0
    assert made.err.strip() == f"wrote {pdf} and {pdf.with_suffix('.tex')}"
    assert pdf.read_bytes().startswith(b"%PDF") and page_count(pdf) == 2
    tex = made.tex.read_text(encoding="utf-8")
    assert "pmatrix" not in tex
    text = pdf_text(pdf)
    result = text[text.rindex("The 7×7 result y:") :]
    # Each row after its number, as numbered in the grid.
    for r, row in enumerate(LECTURE_RESULT):
        assert f"\n{r} {' '.join(row)}\n" in result
    for heading in ("The problem", "Notation", "The size of the result", "Exercises", "Key"):
        assert heading in text
    # One patch in full: the one the lesson multiplies out, (1, 1), 9 products over 9 = 1.
    assert text.count("in full") == 1 and "Output pixel (1, 1) in full" in text
    assert "Take the patch of output pixel (1, 1)" in text  # the script's own sentence
    # Two exercises, and their key: (1, 2) (the lesson's contrast) and (2, 3), worked by
    # hand from the X and the diagonal filter: sums -1 and -3 over 9.
    assert "1. Output pixel (1, 2), window on image rows 1..3, columns 2..4." in text
    assert "2. Output pixel (2, 3), window on image rows 2..4, columns 3..5." in text
    key = text[text.rindex("Key") :]
    assert "sum = -1" in key and "sum = -3" in key
    # The general formula's limits as a textbook writes them, and its symbols named.
    assert r"\sum_{m=0}^{k - 1} \sum_{n=0}^{l - 1}" in tex and "-1 + k" not in tex
    assert "stride" in text and "dilation" in text and "rows:" in text


def test_the_image_and_result_grids_hold_their_numbers_in_the_same_array(tmp_path):
    pdf = tmp_path / "h.pdf"
    assert main(["handout", "--padding", "1", "--output", str(pdf)]) == 0
    tex = (tmp_path / "h.tex").read_text(encoding="utf-8")
    image, kernel, result = grid_arrays(tex)[:3]
    x = np.asarray(preset("x")).tolist()
    # 11×11 padded image: a header row of 11 column numbers, -1..9, over 11 value columns.
    header, *rows = image
    assert header[0] == "" and [index_of(c) for c in header[1:]] == [str(c) for c in range(-1, 10)]
    assert len(rows) == 11 and all(len(r) == 12 for r in rows)
    assert [index_of(r[0]) for r in rows] == [str(r) for r in range(-1, 10)]
    assert rows[1][2:11] == [str(v) for v in x[0]]  # image row 0, inside its border
    assert all(r"\pad{" in c for c in rows[0][1:])  # the top border, shaded
    assert [len(r) for r in kernel] == [4] * 4 and [len(r) for r in result] == [10] * 10


@pytest.mark.parametrize(
    "name, args",
    [
        ("lecture", []),
        (
            "sobel-same-stride2",
            ["--image", "square", "--kernel", "sobel-x", "--padding", "same", "--stride", "2"],
        ),
        (
            "normalized-gaussian",
            ["--image", "square", "--kernel", "gaussian-blur", "--normalize", "sum"],
        ),
        (
            "reflect-dilated-flipped",
            [
                "--image",
                "gradient",
                "--kernel",
                "asymmetric",
                "--padding",
                "2",
                "--padding-mode",
                "reflect",
                "--dilation",
                "2",
                "--flip",
            ],
        ),
        ("png-10x12", ["--image", "{png}", "--kernel", "sobel-y"]),
        ("image-20x20", ["--image", "{csv}", "--kernel", "sharpen"]),
    ],
)
@pytest.mark.parametrize("worksheet", [False, True])
def test_a_handout_is_two_pages_and_a_worksheet_adds_its_key_on_a_third(
    tmp_path, handout, name, args, worksheet
):
    png, csv = tmp_path / "in.png", tmp_path / "in.csv"
    pixels = np.random.default_rng(3).integers(0, 256, (10, 12), dtype=np.uint8)
    Image.fromarray(pixels, mode="L").save(png)
    csv.write_text(
        "\n".join(",".join(str((7 * r + 3 * c) % 10) for c in range(20)) for r in range(20))
    )
    args = [a.format(png=png, csv=csv) for a in args]
    made = handout(*args, *(["--worksheet"] if worksheet else []))
    assert made.status == 0, made.err
    pdf = made.pdf
    assert "outlined" not in pdf_text(pdf)  # paper outlines no window: not said
    if not worksheet:
        assert page_count(pdf) == 2
        return
    # The learner's two pages give nothing away; the key is a page of its own, the third,
    # so that a teacher prints pages 1-2 for the class.
    assert page_count(pdf) == 3
    assert "Answer key" not in pdf_text(pdf, 1, 2) and "Exercises" in pdf_text(pdf, 2, 2)
    assert pdf_text(pdf, 3, 3).lstrip().startswith("Answer key")


def test_a_worksheet_leaves_room_and_blanks_only_the_exercises(handout):
    made = handout("--worksheet")
    assert made.status == 0, made.err
    pdf = made.pdf
    tex = made.tex.read_text(encoding="utf-8")
    sheet, key = tex.split("Answer key")
    result = grid_arrays(sheet)[-1][1:]  # the 7×7 result, under its header
    blanks = {
        (i, j) for i, row in enumerate(result) for j, c in enumerate(row[1:]) if c == r"\blank"
    }
    assert blanks == {(1, 2), (2, 3)}
    # Room to write: ruled boxes for each exercise's patch and products, a box per number;
    # a numerator box stands above the fraction bar, not on it.
    assert sheet.count(r"\begin{array}{|c|c|c|}") == 4
    assert sheet.count(r"\dfrac{\answer}{9}") == 2
    assert r"\newcommand{\answer}{\fbox{\makebox[3.2em]{\rule" in tex
    text = pdf_text(pdf, 3, 3)
    assert "Output pixel (1, 2)" in text and "Output pixel (2, 3)" in text


def test_all_adds_every_patch_as_an_appendix(tmp_path):
    pdf = tmp_path / "all.pdf"
    assert main(["handout", "--all", "-o", str(pdf)]) == 0
    tex = (tmp_path / "all.tex").read_text(encoding="utf-8")
    main_part, appendix = tex.split("Appendix: every patch in full")
    heads = re.findall(r"\\subsubsection\*\{Output pixel \$\((\d+), (\d+)\)\$ in full\}", appendix)
    assert sorted((int(i), int(j)) for i, j in heads) == [
        (i, j) for i in range(7) for j in range(7)
    ]
    assert page_count(pdf) > 2 and main_part.count("in full}") == 1
    text = pdf_text(pdf, 3)
    assert text.count("Output pixel (") == 49


def test_the_flipped_filter_is_printed_as_given_and_rotated_and_derived_by_its_name(tmp_path):
    """Image 1 0 2 / 0 1 0 / 3 0 1 and filter w = 1 2 / 3 4, flipped: laid on the image as
    4 3 / 2 1. By hand: y(0,0) = 1·4 + 0·3 + 0·2 + 1·1 = 5, y(0,1) = 0·4 + 2·3 + 1·2 + 0·1 = 8,
    y(1,0) = 0·4 + 1·3 + 3·2 + 0·1 = 9, y(1,1) = 1·4 + 0·3 + 0·2 + 1·1 = 5. The lesson works
    the largest, (1, 0): x[1,0] meets w[1,1] = 4, x[1,1] meets w[1,0] = 3, x[2,0] meets
    w[0,1] = 2 and x[2,1] meets w[0,0] = 1 (w named as given)."""
    image, kernel = tmp_path / "x.csv", tmp_path / "w.csv"
    image.write_text("1,0,2\n0,1,0\n3,0,1\n")
    kernel.write_text("1,2\n3,4\n")
    pdf = tmp_path / "flip.pdf"
    assert (
        main(["handout", "--image", str(image), "--kernel", str(kernel), "--flip", "-o", str(pdf)])
        == 0
    )
    tex = (tmp_path / "flip.tex").read_text(encoding="utf-8")
    grids = grid_arrays(tex)
    values = [[[c for c in row[1:]] for row in g[1:]] for g in grids]
    assert values[1] == [["1", "2"], ["3", "4"]]  # w as given
    assert values[2] == [["4", "3"], ["2", "1"]]  # rotated, as laid on the image
    text = pdf_text(pdf)
    assert "w: filter as given" in text and "w rotated 180" in text
    assert "Output pixel (1, 0) in full" in text
    assert r"{x}_{1,0} {w}_{1,1} + {x}_{1,1} {w}_{1,0}" in tex
    assert r"{x}_{2,0} {w}_{0,1} + {x}_{2,1} {w}_{0,0}" in tex
    assert r"0 \cdot 4 + 1 \cdot 3" in tex and r"3 \cdot 2 + 0 \cdot 1" in tex
    assert "= 9" in text
    assert "5 8" in text and "9 5" in text  # the result, row by row


def test_a_worked_patch_chosen_on_a_padded_strided_problem(handout):
    args = ["--image", "square", "--kernel", "sobel-x", "--padding", "same", "--stride", "2"]
    made = handout(*args, "--patch", "1,2")
    assert made.status == 0, made.err
    text = pdf_text(made.pdf)
    assert "Output pixel (1, 2) in full" in text and text.count("in full") == 1
    square = np.asarray(preset("square")).tolist()
    sobel = np.asarray(preset("sobel-x")).tolist()
    value = plain_loop(square, sobel, stride=(2, 2), padding=(0, 1, 0, 1))[1][2]
    assert f"= {value}" in text
    # By default the lesson's own patch, (1, 0), the largest (4); its exercises are the
    # contrasting (1, 1) and, of another character, the corner window (3, 3), which reaches
    # into the padding: rows 6..8 and columns 6..8, of which row 8 and column 8 are border,
    # 5 of its 9 taps, shaded.
    made = handout(*args)
    assert made.status == 0, made.err
    text = pdf_text(made.pdf)
    assert "Output pixel (1, 0) in full" in text
    assert "1. Output pixel (1, 1), window on image rows 2..4, columns 2..4." in text
    assert (
        "2. Output pixel (3, 3), window on image rows 6..8, columns 6..8; 5 of 9 taps in the "
        "padding, shaded." in " ".join(text.split())
    )


def test_a_wide_kernel_is_set_line_by_line(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("1,2,3,4,5,6,7,8,9,10,11,12\n")
    image = tmp_path / "image.csv"
    image.write_text("\n".join(",".join(str(r * 20 + c) for c in range(20)) for r in range(3)))
    out = tmp_path / "wide.pdf"
    args = ["handout", "--image", str(image), "--kernel", str(wide), "--output", str(out)]
    assert main(args) == 0
    assert out.exists() and "pmatrix" not in (tmp_path / "wide.tex").read_text()


def test_a_handout_too_large_is_refused_in_one_line(tmp_path, capsys):
    big = tmp_path / "big.npy"
    np.save(big, np.ones((40, 40), dtype=np.int64))
    out = tmp_path / "big.pdf"
    assert main(["handout", "--image", str(big), "--output", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "too large for the handout" in err
    assert not out.exists() and not (tmp_path / "big.tex").exists()


def test_dividing_by_a_sum_of_one_is_not_written_out(handout):
    """The Gaussian preset's weights (1 2 1 / 2 4 2 / 1 2 1, over 16) add up to 1: divided by
    their sum the values are unchanged, so no "/1" is written. By hand, patch (2, 1) of the
    square (columns 1..3 of rows 2..4: 0 1 1 in each row) sums 2/16 + 1/16 + 4/16 + 2/16 +
    2/16 + 1/16 = 12/16 = 3/4."""
    args = ["--image", "square", "--kernel", "gaussian-blur", "--normalize", "sum"]
    made = handout(*args)
    assert made.status == 0, made.err
    tex = made.tex.read_text(encoding="utf-8")
    assert r"\frac{1}{1}" not in tex and "}{1}}" not in tex and r"{\frac{3}{4}}" not in tex
    assert r"\text{sum} = \frac{3}{4}" in tex and r"y_{2,1} = \frac{3}{4}" in tex


@pytest.mark.parametrize("worksheet", [False, True])
def test_a_result_of_one_or_two_pixels_sets_as_many_exercises_as_there_are(tmp_path, worksheet):
    """A 3×3 image under a 3×3 filter has one output pixel: worked in full, no exercise; a
    3×4 image has two: one worked, one exercise."""
    flag = ["--worksheet"] if worksheet else []
    for cols, exercises in ((3, 0), (4, 1)):
        image = tmp_path / f"i{cols}.csv"
        image.write_text(
            "\n".join(",".join(str(r * cols + c) for c in range(cols)) for r in range(3))
        )
        pdf = tmp_path / f"r{cols}.pdf"
        assert (
            main(["handout", "--image", str(image), "--kernel", "sobel-x", *flag, "-o", str(pdf)])
            == 0
        )
        text = pdf_text(pdf)
        assert text.count("in full") == 1 and ("Exercises" in text) == bool(exercises)
        assert page_count(pdf) == 2 + (worksheet and exercises > 0)
        if exercises:
            assert "1. Output pixel (0, 1)" in text and "2. Output pixel" not in text
