"""Odd inputs an outside review found: each says one clear, true line (or is read as meant).

Every case runs the command in-process; a refusal must be exactly one line of ours, exit 2,
and say what is wrong in plain words (a whole number called "not a whole number", "1
numbers", a flag named twice, a negative value taken for an option were all seen).
"""

from __future__ import annotations

import pytest
from cli_support import one_line_error, run


def test_a_row_of_one_number_is_one_number(tmp_path, capsys):
    path = tmp_path / "ragged.csv"
    path.write_text("1 2\n3\n")
    code, _, err = run(capsys, "derive", "--image", str(path), "--kernel", "diagonal")
    one_line_error(code, err, "line 2: has 1 number but the first row has 2")


def test_an_inline_map_names_its_flag_once_and_counts_rows(capsys):
    code, _, err = run(capsys, "script", "--lesson", "transposed", "--input", "1,2;3")
    one_line_error(code, err, "--input, row 2: has 1 number but the first row has 2")
    assert err.count("--input") == 1, err


def test_an_inline_map_of_nothing_names_its_flag_once(capsys):
    code, _, err = run(capsys, "script", "--lesson", "transposed", "--input", ";")
    one_line_error(code, err, "--input holds no numbers")
    assert err.count("--input") == 1, err


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--stride", "10000000000"),
        ("--dilation", "99999999999999999999"),
        ("--padding", "1,1000000000"),
    ],
)
def test_a_whole_number_too_large_is_not_called_malformed(capsys, flag, value):
    code, _, err = run(capsys, "derive", flag, value)
    assert code == 2 and err.count("\n") == 1, err
    assert "with whole numbers" not in err and "too large" in err, err


@pytest.mark.parametrize(
    "value", ["0.5,1.5", "1e2,1", "0.25", "1.5, 2 ;3,4.0"], ids=["decimals", "exp", "one", "mixed"]
)
def test_inline_decimals_are_numbers_not_file_names(capsys, value):
    code, out, err = run(capsys, "script", "--lesson", "transposed", "--input", value)
    assert code == 0, err
    assert "input" in out


@pytest.mark.parametrize(
    "argv",
    [
        ("script", "--lesson", "transposed", "--input", "-1,1"),
        ("script", "--lesson", "layer", "--bias", "-1,2,3"),
        (
            "script",
            "--lesson",
            "backward",
            "--image",
            "-1,2;3,4",
            "--kernel",
            "1",
            "--target",
            "-1,-2;3,4",
        ),
        ("script", "--lesson", "backward", "--kernel", "-1,0,0;0,1,0;0,0,1"),
    ],
    ids=["input", "bias", "image-target", "kernel"],
)
def test_negative_values_are_values_not_options(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 0, err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (("derive", "--lesson", "backward", "--at", "-1,0"), "--at '-1,0'"),
        (("derive", "--lesson", "layer", "--element", "-1,0,0"), "--element '-1,0,0'"),
        (("script", "--lesson", "transposed", "--output-padding", "-1"), "at least 0"),
        (("script", "--lesson", "layer", "--pool-size", "-2"), "at least 1"),
    ],
)
def test_negative_indices_are_refused_by_name(capsys, argv, needle):
    code, _, err = run(capsys, *argv)
    one_line_error(code, err, needle)


# ----- the course ----------------------------------------------------------------------------


def test_a_manifest_nested_past_the_recursion_limit_is_one_line(tmp_path, capsys):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    code, _, err = run(capsys, "course", str(path), "--output-dir", str(tmp_path / "out"))
    one_line_error(code, err, "not valid TOML")
    assert not (tmp_path / "out").exists()


def test_a_folder_given_as_the_manifest_is_called_so(tmp_path, capsys):
    code, _, err = run(capsys, "course", str(tmp_path))
    one_line_error(code, err, "is a folder; give the course manifest")
    assert "numbers" not in err and "preset" not in err


@pytest.mark.parametrize("address", ["nonsense", "tcp://", "tcp://host:port", "a b:1"])
def test_a_malformed_scheduler_address_is_refused_before_any_work(tmp_path, capsys, address):
    path = tmp_path / "c.toml"
    path.write_text('title = "T"\n[[lessons]]\nid = "a"\nlesson = "convolution"\n')
    out = tmp_path / "out"
    code, _, err = run(
        capsys, "course", str(path), "--scheduler", address, "--output-dir", str(out)
    )
    one_line_error(code, err, "--scheduler")
    assert not out.exists()


def test_the_course_report_counts_one_as_one():
    from explainer.course.index import LessonRow, index_html, plan_line, report_lines

    assert plan_line("T", 1, 1, 0) == "Course 'T': 1 lesson, 1 task to run (0 parts to draw)"
    assert plan_line("T", 2, 5, 1) == "Course 'T': 2 lessons, 5 tasks to run (1 part to draw)"
    made = report_lines({"script": 1, "derivation": 1, "voice": 1}, {}, {}, 1.0, "e", [])[1]
    assert made == "  made:            1 script verified, 1 sentence, 1 derivation"
    made = report_lines({"script": 2, "slides": 1, "part": 3}, {}, {}, 1.0, "e", [])[1]
    assert made == "  made:            2 scripts verified, 3 parts, 1 slide deck"
    row = LessonRow("x", "X", "convolution", "p", "s", "Done.")
    assert '<p class="meta">1 lesson</p>' in index_html("T", [row])


def test_a_video_without_its_timings_says_what_is_missing(tmp_path, capsys):
    video = tmp_path / "talk.mp4"
    video.write_bytes(b"")
    code, _, err = run(capsys, "script", "--video", str(video))
    one_line_error(code, err, "talk.script.json")
    assert "render" in err, err


def test_check_of_a_one_pixel_result_says_the_one_patch(tmp_path, capsys):
    image = tmp_path / "i.csv"
    image.write_text("1 2\n3 4\n")
    code, out, err = run(capsys, "check", "--image", str(image), "--kernel", str(image))
    assert code == 0, err
    assert "All 1 of 1 patches" not in out and "The one patch agrees" in out, out


# ----- the layer lesson's second layer --------------------------------------------------------


def test_auto_second_layer_is_left_out_when_the_pooled_maps_are_too_small(capsys):
    # 9×9 X, 3×3 filters: 7×7 maps; 4×4 max pooling, stride 4: ⌊(7 − 4)/4⌋ + 1 = 1, so the
    # pooled maps are 1×1 and the auto second layer's 2×2 filter cannot slide over them.
    code, out, err = run(capsys, "script", "--lesson", "layer", "--pool-size", "4")
    assert code == 0, err
    assert out.splitlines()[0].endswith("→ 3×1×1"), out.splitlines()[0]


def test_an_explicit_second_layer_too_large_is_named_as_the_second_layer(capsys):
    argv = ("script", "--lesson", "layer", "--pool-size", "4", "--filters2", "diagonal")
    code, _, err = run(capsys, *argv)
    one_line_error(code, err, "layer 2")
    assert "3×1×1" in err, err


def test_derive_of_a_one_term_gradient_says_one_term(capsys):
    code, out, err = run(
        capsys, "derive", "--lesson", "transposed", "--input", "5", "--kernel", "1"
    )
    assert code == 0, err
    assert "  1 term:" in out and "1 terms" not in out, out


# ----- sizes refused before the work -----------------------------------------------------------


def test_a_backward_lesson_too_large_is_refused_before_its_target_is_computed(capsys, monkeypatch):
    # The 9×9 X padded by 2000 makes a 4007×4007 map: 144 million products to derive. The
    # target map of a filter preset (a convolution of that size) must not be computed first.
    import explainer.backward_request as backward_request

    def never(*_args, **_kwargs):
        raise AssertionError("the target map was computed before the size was checked")

    monkeypatch.setattr(backward_request, "_correlate", never)
    code, _, err = run(capsys, "script", "--lesson", "backward", "--padding", "2000")
    one_line_error(code, err, "the backward lesson derives every gradient with sympy")


def test_a_pooling_window_larger_than_the_maps_names_the_maps(tmp_path, capsys):
    # a 3×3 image through 3×3 filters: 1×1 maps, which a 2×2 window cannot pool
    image = tmp_path / "i.csv"
    image.write_text("1 2 3\n4 5 6\n7 8 9\n")
    code, _, err = run(capsys, "script", "--lesson", "layer", "--image", str(image))
    one_line_error(code, err, "pooling the 1×1 feature maps: the 2×2 pooling window is larger")
