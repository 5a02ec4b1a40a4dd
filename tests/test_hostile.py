"""Hostile input: files that lie about their size, values at the edge of float64 and int64,
options argparse misreads, and library calls with the wrong kinds of values.

Each test here reproduces one defect found by an outside attack (issue 10). Expected
values come from plain Python integer and Fraction arithmetic written out in the test.
"""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import time
from fractions import Fraction

import numpy as np
import pytest
from cli_support import IS_ROOT, one_line_error, run
from hostile_files import npy_bytes, png_bomb, png_header_only
from PIL import Image

import explainer
from explainer.errors import ExplainerError, InputFileError, ProblemError, TooLargeError
from explainer.files.inputs import load, parse_number, parse_text

# ----- files that are not regular files ---------------------------------------------------


def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "k.csv"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(InputFileError, match=r"named pipe \(FIFO\), not a regular file"):
        load(str(fifo), "kernel")
    assert time.monotonic() - started < 5  # opening it for reading would wait for a writer


@pytest.mark.skipif(not IS_ROOT, reason="mknod needs root")
def test_a_device_with_nothing_in_it_is_still_a_device(tmp_path):
    """st_size is 0 for devices, so a size check alone let them through."""
    null = tmp_path / "k.csv"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    with pytest.raises(InputFileError, match="is a character device, not a regular file"):
        load(str(null), "kernel")


def test_a_unix_socket_is_refused(tmp_path):
    import socket

    path = tmp_path / "s.csv"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(InputFileError, match="is a socket, not a regular file"):
            load(str(path), "image")


def test_a_file_that_grows_while_read_is_cut_at_the_limit(tmp_path, monkeypatch):
    """The limit holds while reading, whatever st_size said before."""
    import explainer.files.inputs as inputs

    path = tmp_path / "k.csv"
    path.write_text("1 2\n3 4\n")
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: b"1 " * (n // 2) if n > 8 else real_read(fd, n))
    monkeypatch.setattr(inputs, "MAX_TEXT_BYTES", 1000)
    with pytest.raises(TooLargeError, match="grew past 1,000 bytes"):
        load(str(path), "kernel")


def test_a_folder_without_search_permission_is_one_line(tmp_path, capsys, monkeypatch):
    """Root ignores permissions: the refusal is made by the system call itself."""
    real_stat = os.stat
    hidden = tmp_path / "locked" / "k.csv"

    def stat_denied(path, *args, **kwargs):
        if str(path) == str(hidden):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat_denied)
    code, _, err = run(capsys, "derive", "--kernel", str(hidden))
    one_line_error(code, err, f"cannot read {hidden}: Permission denied")


# ----- sizes claimed inside files ---------------------------------------------------------


def test_npy_header_with_a_huge_shape_allocates_nothing(tmp_path, monkeypatch):
    path = tmp_path / "huge.npy"
    path.write_bytes(
        npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (90000, 90000), }")
    )

    def no_allocation(*args, **kwargs):
        raise AssertionError("an array was allocated for the claimed shape")

    monkeypatch.setattr(np, "empty", no_allocation)
    monkeypatch.setattr(np, "ndarray", no_allocation)
    with pytest.raises(TooLargeError, match=r"shape \(90000, 90000\), 8,100,000,000 elements"):
        load(str(path), "image")


@pytest.mark.parametrize("fortran", ["False", "True"])
def test_npy_of_no_elements_with_vast_other_sides_is_refused(tmp_path, fortran):
    """Found by the fuzzer: zero elements, but sides numpy cannot even shape."""
    path = tmp_path / "vast.npy"
    shape = "(0, 100000, 2078568, 5546711)"
    header = f"{{'descr': '<f8', 'fortran_order': {fortran}, 'shape': {shape}, }}"
    path.write_bytes(npy_bytes(header))
    with pytest.raises(TooLargeError, match=r"shape \(0, 100000, 2078568, 5546711\)"):
        load(str(path), "image")


def test_npy_whose_data_is_shorter_than_its_header_says(tmp_path):
    path = tmp_path / "short.npy"
    header = "{'descr': '<i8', 'fortran_order': False, 'shape': (3, 3), }"
    path.write_bytes(npy_bytes(header, b"\0" * 16))
    with pytest.raises(InputFileError, match="cut short: its header promises 72 bytes"):
        load(str(path), "image")


@pytest.mark.parametrize("fortran", [False, True])
@pytest.mark.parametrize("dtype", ["<i2", ">i4", "<u8", "<f4", ">f8", "|b1", "|u1"])
def test_npy_written_by_numpy_reads_back_exactly(tmp_path, dtype, fortran):
    values = np.arange(-3, 9).reshape(3, 4).astype(dtype)
    if fortran:
        values = np.asfortranarray(values)
    path = tmp_path / "a.npy"
    np.save(path, values)
    assert np.array_equal(load(str(path), "image"), np.load(path))


def test_a_text_file_named_npy_is_not_called_a_pickle(tmp_path):
    path = tmp_path / "k.npy"
    path.write_text("1 2\n3 4\n")
    with pytest.raises(InputFileError) as err:
        load(str(path), "kernel")
    assert "pickle" not in str(err.value) and "does not start with the .npy signature" in str(
        err.value
    )


def test_a_real_png_decompression_bomb_is_refused_before_decoding(tmp_path, capsys):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bomb(20000, 20000))
    assert path.stat().st_size < 1_000_000  # 400 MB of pixels once inflated
    code, _, err = run(capsys, "derive", "--image", str(path))
    one_line_error(code, err, "is 20,000×20,000 pixels; at most 16,777,216 pixels are read")


def test_pillow_warnings_are_not_shown_as_ours(tmp_path, capsys):
    """10000×10000 is under the bomb *error* of Pillow but over its *warning*."""
    path = tmp_path / "wide.png"
    path.write_bytes(png_header_only(10000, 10000))
    code, _, err = run(capsys, "derive", "--image", str(path))
    one_line_error(code, err, "is 10,000×10,000 pixels")


def test_foreign_warnings_are_hidden_and_ours_shown(capsys, monkeypatch):
    import warnings

    import explainer.cli as cli

    def presets_that_warn(args):
        warnings.warn("overflow encountered in multiply", RuntimeWarning, stacklevel=1)
        warnings.warn("something was assumed", explainer.ExplainerWarning, stacklevel=1)
        return 0

    monkeypatch.setitem(cli.COMMANDS, "presets", presets_that_warn)
    code, _, err = run(capsys, "presets")
    assert code == 0
    assert err == "explainer: warning: something was assumed\n"


def test_a_large_png_is_refused_before_it_is_converted(tmp_path, capsys, monkeypatch):
    import explainer.request as options

    path = tmp_path / "big.png"
    Image.new("L", (200, 200)).save(path)

    def no_problem(*args, **kwargs):
        raise AssertionError("the arrays were converted before the limits were checked")

    monkeypatch.setattr(options, "Problem", no_problem)
    code, _, err = run(capsys, "check", "--image", str(path))
    one_line_error(code, err, "deriving all 39,204 patches with sympy")
    code, _, err = run(capsys, "render", "--image", str(path), "--output-dir", str(tmp_path / "o"))
    one_line_error(code, err, "too large to draw legibly")


def test_png_pixels_are_scaled_exactly(tmp_path):
    path = tmp_path / "g.png"
    Image.fromarray(np.array([[0, 51, 255]], dtype=np.uint8), mode="L").save(path)
    with pytest.warns(explainer.ExplainerWarning):
        arr = load(str(path), "image", (Fraction(0), Fraction(1)))
    assert arr.tolist() == [[0, Fraction(1, 5), 1]]  # 51/255 = 1/5


def test_patch_is_bound_by_the_derivation_limit(tmp_path, capsys):
    big = tmp_path / "k.npy"
    np.save(big, np.ones((400, 400), dtype=np.int8))
    code, _, err = run(
        capsys, "derive", "--image", str(big), "--kernel", str(big), "--patch", "0,0"
    )
    one_line_error(code, err, "deriving 1 patch of a 400×400 kernel with sympy means 160,000")


def test_many_patches_are_counted_together(capsys):
    argv = ["derive", "--image", "x", "--kernel", "diagonal"]
    argv += ["--patch", "1,1"] * 11200  # 11,200 × 9 = 100,800 products
    code, _, err = run(capsys, *argv)
    one_line_error(code, err, "deriving 11,200 patches of a 3×3 kernel")


def test_text_cells_beyond_the_limit_are_refused_early(monkeypatch):
    import explainer.files.inputs as inputs

    monkeypatch.setattr(inputs, "MAX_TEXT_CELLS", 100)
    with pytest.raises(TooLargeError, match="holds more than 100 numbers"):
        parse_text("1\n" * 101, "tall.txt")
    assert parse_text("1\n" * 100, "ok.txt").shape == (100, 1)


def test_whole_numbers_in_text_become_int64():
    arr = parse_text("1 2\n-3 400000000000\n", "k")
    assert arr.dtype == np.int64 and arr.tolist() == [[1, 2], [-3, 400000000000]]
    wide = parse_text(f"1 {2**70}\n", "k")  # beyond int64: stays exact
    assert wide.dtype == object and wide.tolist() == [[1, 2**70]]


# ----- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["\u0663", "\u0661\u0662", "\uff13", "1\u0660", "\u0663/4"])
def test_digits_of_other_scripts_are_not_numbers(cell):
    with pytest.raises(InputFileError, match="is not a number"):
        parse_number(cell)


@pytest.mark.parametrize("cell", ["000", "007", "-05", "01/9", "00.5"])
def test_leading_zeros_are_refused(cell):
    with pytest.raises(InputFileError, match="has a leading zero"):
        parse_number(cell)


@pytest.mark.parametrize(
    "cell,value", [("0", 0), ("-0", 0), ("0.05", Fraction(1, 20)), ("1e05", 10**5), ("10", 10)]
)
def test_zeros_that_are_not_leading(cell, value):
    assert parse_number(cell) == value


def test_thousands_separator_is_not_two_silent_cells():
    with pytest.raises(InputFileError, match="line 1: '000' has a leading zero"):
        parse_text("1,000 2\n", "k.csv")


@pytest.mark.parametrize("cell", ["1e999", "-1e309", "2e308", "1.8e308"])
def test_numbers_beyond_float64_are_refused_at_input(cell):
    with pytest.raises(InputFileError, match="beyond the range of float64"):
        parse_number(cell)


def test_the_largest_float64_is_still_a_number():
    assert parse_number("1.7e308") == 17 * 10**307


def test_png_range_accepts_its_own_default_written_out(capsys):
    code, out, err = run(capsys, "derive", "--patch", "0,0", "--png-range", "-1,1")
    assert code == 0 and err == "" and "y[0, 0]" in out
    code, _, err = run(capsys, "derive", "--patch", "-1,0")  # a negative patch reads too
    one_line_error(code, err, "patch (-1, 0) is outside the 7×7 result")


def test_png_range_beyond_float64(capsys):
    code, _, err = run(capsys, "derive", "--png-range", "0,1e999")
    one_line_error(code, err, "--png-range: '1e999' is beyond the range of float64")


# ----- exactness ----------------------------------------------------------------------------


def test_int64_minimum_does_not_wrap():
    low = -(2**63)
    got = explainer.conv2d(np.array([[low, low]]), np.array([[3, 3]]))
    assert got.tolist() == [[low * 3 + low * 3]]  # -55340232221128654848, beyond int64


@pytest.mark.parametrize("value", [-(2**63), 2**63 - 1])
def test_int64_extremes_in_every_position(value):
    image = np.array([[value, 1, -1], [0, value, 2]], dtype=np.int64)
    kernel = np.array([[2, -3]], dtype=np.int64)
    want = [
        [sum(int(image[r, c + n]) * int(kernel[0, n]) for n in range(2)) for c in range(2)]
        for r in range(2)
    ]
    assert explainer.conv2d(image, kernel).tolist() == want


def test_float_kernel_normalized_by_its_sum_derives_and_checks_alike(tmp_path, capsys):
    kernel = tmp_path / "k.npy"
    np.save(kernel, np.array([[0.1, 0.2]]))
    argv = ["--image", "gradient", "--kernel", str(kernel), "--normalize", "sum"]
    code, out, err = run(capsys, "check", *argv)
    assert code == 0 and "All 30 of 30 patches agree" in out, out
    code, out, _ = run(capsys, "derive", *argv, "--format", "json")
    doc = json.loads(out)
    image = explainer.preset("gradient")
    # Each value by hand: (x·1/10 + x'·2/10) / (3/10), with the decimals as written.
    for patch in doc["patches"]:
        r, c = patch["index"]
        x0, x1 = Fraction(int(image[r, c])), Fraction(int(image[r, c + 1]))
        want = (x0 * Fraction(1, 10) + x1 * Fraction(2, 10)) / Fraction(3, 10)
        assert Fraction(patch["value"]) == want
        assert Fraction(doc["result"][r][c]) == want
    assert doc["problem"]["divisor"] == "3/10"


def test_the_quotient_line_brackets_fractions(tmp_path, capsys):
    kernel = tmp_path / "k.npy"
    np.save(kernel, np.array([[0.1, 0.2]]))
    argv = ["--image", "gradient", "--kernel", str(kernel), "--normalize", "sum", "--patch", "0,1"]
    code, out, _ = run(capsys, "derive", *argv)
    # (1·1/10 + 2·2/10) / (3/10): the sum 1/2, bracketed, then the division by 3/10
    assert code == 0 and "= 10/3 · (1/2) = 5/3" in out


def test_a_kernel_of_decimals_summing_to_zero_is_refused():
    with pytest.raises(ProblemError, match="sum to 0"):
        explainer.Problem([[1.0, 2.0, 3.0]], [[0.1, 0.2, -0.3]], normalize="sum")


def test_a_1x1_kernel_derives_as_one_product(tmp_path, capsys):
    kernel = tmp_path / "k.csv"
    kernel.write_text("2\n")
    argv = ["derive", "--image", "square", "--kernel", str(kernel), "--patch", "2,2"]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    step = out.split("── y[2, 2]")[1].split("Result")[0]
    assert "y[2, 2] = x[2, 2]·w[0, 0]\n" in step and "= 1·2\n" in step and "+" not in step
    code, out, _ = run(capsys, *argv, "--normalize", "area", "--format", "latex")
    # Divided by the area 1, which changes nothing: no "1 ·" in front of the one product.
    assert r"y_{2,2} &= {x}_{2,2} {w}_{0,0} \\" in out


def test_a_1x1_kernel_in_the_video_rows():
    from explainer.outputs import printing
    from explainer.proof import symbolic

    problem = explainer.Problem([[3, 4]], [[5]], normalize="area")
    der = symbolic.derive_pixel(problem, 0, 1)
    scale, rows = printing.latex_rows(der.substituted, 1)
    assert scale is None and rows == [r"4 \cdot 5"]


@pytest.mark.parametrize(
    "image,kernel,needle",
    [
        ([[10**400, 0.5]], [[1]], "value of about 1e+400 at row 0, column 0"),
        ([[10**400, 1]], [[1]], "value of about 1e+400"),
        ([[Fraction(-(10**400), 3), 1]], [[1]], "value of about -3.3e+399"),
        ([[1.7e308, 1.0]], [[2.0]], "could reach about 3.4e+308"),
        ([[10**200]], [[10**200]], "could reach about 1e+400"),
        ([[1.0, 2.0]], [[1.7e308, 1.7e308]], "add up to about 3.4e+308"),
    ],
)
def test_values_overflowing_float64_are_refused_at_input(image, kernel, needle):
    with pytest.raises(ProblemError, match=needle.replace("+", r"\+").replace("(", r"\(")):
        explainer.conv2d(image, kernel)


def test_a_normalized_sum_bounded_before_and_after_the_division():
    image = np.full((3, 3), 1.5e308)
    with pytest.raises(ProblemError, match="could reach about 1.4e\\+309"):
        explainer.conv2d(image, np.ones((3, 3)), normalize="area")  # 9·1.5e308, then /9
    assert explainer.conv2d(image, np.ones((1, 1)), normalize="area")[0, 0] == 1.5e308


@pytest.mark.parametrize(
    "options",
    [
        {"normalize": ["sum"]},
        {"normalize": {"sum": 1}},
        {"normalize": np.array(["sum"])},
        {"padding_mode": np.array(["zeros", "zeros"])},
        {"padding_mode": ["zeros"]},
        {"padding": np.array([1, 1])},
        {"stride": "2"},
        {"flip": "yes"},
    ],
)
def test_library_misuse_raises_our_error(options):
    with pytest.raises(ExplainerError):
        explainer.conv2d([[1, 2], [3, 4]], [[1]], **options)


def test_verify_of_a_float_trace_is_our_error():
    trace = explainer.build_trace(explainer.Problem([[1.5, 2.0]], [[1.0]]))
    with pytest.raises(ExplainerError, match="exact trace"):
        explainer.verify(trace)


# ----- names and options -------------------------------------------------------------------


def test_a_path_component_over_255_bytes(tmp_path, capsys):
    code, _, err = run(capsys, "derive", "--image", str(tmp_path / ("a" * 300)))
    one_line_error(code, err, "File name too long")


def test_option_equals_double_dash(capsys):
    code, _, err = run(capsys, "derive", "--kernel=--")
    one_line_error(code, err, "--kernel needs a value")


def test_an_empty_file_name_is_not_a_folder(capsys):
    code, _, err = run(capsys, "derive", "--image", "")
    one_line_error(code, err, "the image is named by an empty string")


def test_file_names_are_shown_escaped(tmp_path, capsys):
    name = tmp_path / "a\nb\x1b]0;owned\x07\u202e.csv"
    name.write_text("x\n")
    code, _, err = run(capsys, "derive", "--image", str(name))
    one_line_error(code, err, "a\\nb\\x1b]0;owned\\x07\\u202e.csv, line 1: 'x' is not a number")
    assert "\x1b" not in err and "\u202e" not in err


def test_explainer_args_with_an_unbalanced_quote(monkeypatch, capsys):
    from scenes.lecture import problem_from_environment

    monkeypatch.setenv("EXPLAINER_ARGS", "--kernel 'sobel-x")
    with pytest.raises(SystemExit) as exc:
        problem_from_environment()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("explainer: error: EXPLAINER_ARGS: ") and err.count("\n") == 1
    assert "into options: No closing quotation" in err


def test_os_errors_anywhere_are_one_line(capsys, monkeypatch):
    import explainer.cli as cli

    def broken(args):
        raise OSError(errno.EIO, "Input/output error", "/some/where")

    monkeypatch.setitem(cli.COMMANDS, "presets", broken)
    code, _, err = run(capsys, "presets")
    one_line_error(code, err, "Input/output error: /some/where")


def test_npy_in_memory_round_trip_agrees_with_numpy():
    """parse_npy on bytes numpy.save wrote, compared with numpy.load of the same bytes."""
    from explainer.files.inputs import parse_npy

    buffer = io.BytesIO()
    np.save(buffer, np.array([[1.5, -2.0], [0.0, 3.25]], dtype=">f8"))
    data = buffer.getvalue()
    assert np.array_equal(parse_npy(data, "m"), np.load(io.BytesIO(data)))
