"""Reading images and kernels: a strict parser of numbers, never code."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from explainer import ExplainerWarning
from explainer.cli import main
from explainer.errors import InputFileError
from explainer.files.inputs import load, parse_number, parse_text


@pytest.mark.parametrize(
    "cell,value",
    [
        ("3", 3),
        ("-7", -7),
        ("+2", 2),
        ("1/9", Fraction(1, 9)),
        ("-2/4", Fraction(-1, 2)),
        ("0.25", Fraction(1, 4)),
        ("-.5", Fraction(-1, 2)),
        ("1e-2", Fraction(1, 100)),
        ("4/2", 2),
        ("\u22121", -1),
    ],
)
def test_numbers(cell, value):
    assert parse_number(cell) == value


@pytest.mark.parametrize(
    "cell",
    [
        "__import__('os').system('touch /tmp/pwned')",
        "eval('1')",
        "1+1",
        "x",
        "nan",
        "inf",
        "1/0",
        "0x10",
        "1_000",
        "Rational(1,2)",
        "1e99999",
        "",
        "1/2/3",
        "--1",
        "9" * 100,
    ],
)
def test_injection_and_junk_are_refused(cell):
    with pytest.raises(InputFileError):
        parse_number(cell)


def test_text_file_with_commas_spaces_comments(tmp_path):
    f = tmp_path / "k.csv"
    f.write_text("# a blur\n1/9, 1/9, 1/9\n1/9 1/9 1/9\n1/9;1/9;1/9\n\n")
    arr = load(str(f), "kernel")
    assert arr.shape == (3, 3) and set(arr.ravel()) == {Fraction(1, 9)}


def test_ragged_rows_name_the_line(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_text("1 2 3\n4 5\n")
    with pytest.raises(InputFileError, match=r"line 2: has 2 numbers but the first row has 3"):
        load(str(f), "image")


def test_binary_file_is_refused(tmp_path):
    f = tmp_path / "blob.dat"
    f.write_bytes(b"\x00\x01\x02abc")
    with pytest.raises(InputFileError, match="binary"):
        load(str(f), "image")


def test_npy_numeric_loads_and_pickles_are_refused(tmp_path):
    good = tmp_path / "a.npy"
    np.save(good, np.arange(6).reshape(2, 3))
    assert load(str(good), "image").tolist() == [[0, 1, 2], [3, 4, 5]]
    evil = tmp_path / "evil.npy"
    np.save(evil, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputFileError, match="pickles"):
        load(str(evil), "image")


def test_png_grayscale_is_scaled_and_colour_refused(tmp_path):
    gray = tmp_path / "g.png"
    Image.fromarray(np.array([[0, 255], [255, 0]], dtype=np.uint8), mode="L").save(gray)
    with pytest.warns(ExplainerWarning, match="scaled"):
        arr = load(str(gray), "image")
    assert arr.tolist() == [[-1, 1], [1, -1]]
    rgb = tmp_path / "c.png"
    Image.new("RGB", (2, 2)).save(rgb)
    with pytest.raises(InputFileError, match="mode RGB"):
        load(str(rgb), "image")


def test_cli_reads_files_end_to_end(tmp_path, capsys):
    img = tmp_path / "img.csv"
    img.write_text("1,2,3\n4,5,6\n7,8,9\n")
    ker = tmp_path / "k.txt"
    ker.write_text("1/2 0\n0 -1/2\n")
    assert main(["derive", "--image", str(img), "--kernel", str(ker), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"result": [\n    [\n      "-2",' in out


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_parser_never_crashes_or_runs_code(text):
    try:
        arr = parse_text(text, "fuzz")
    except InputFileError:
        return
    # Exact numbers only: int64 when every cell is a whole number that fits, else objects.
    assert arr.ndim == 2
    assert arr.dtype == np.int64 or all(isinstance(v, (int, Fraction)) for v in arr.ravel())


def test_a_folder_named_like_a_preset_does_not_hide_the_preset(tmp_path, monkeypatch, capsys):
    """Running in a folder that holds a folder called x must not break the lecture."""
    from explainer.cli import main

    (tmp_path / "x").mkdir()
    (tmp_path / "diagonal").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["derive", "--patch", "1,1"]) == 0
    assert "= 1" in capsys.readouterr().out
