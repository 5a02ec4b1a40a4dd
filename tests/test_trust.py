"""Issue 18 beyond the cache: no exit 70 on input, right blame before the work, every
accepted problem served, the manim entry point's one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_support import one_line_error, run

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
CLI = [sys.executable, "-c", "import sys; from explainer.cli import main; sys.exit(main())"]
RENDER = ["render", "--quality", "low", "--voice", "none", "--section", "title"]


def _long_fractions(path: Path, side: int = 9) -> Path:
    path.write_text(
        "\n".join(" ".join(f"1/{10**60 + side * r + c}" for c in range(side)) for r in range(side))
    )
    return path


def test_exact_values_over_4300_digits_are_printed(tmp_path, capsys):
    kernel = _long_fractions(tmp_path / "k.csv")
    code, out, err = run(capsys, "derive", "--kernel", str(kernel), "--format", "json")
    assert code == 0, err
    assert max(len(word) for word in out.split()) > 4300


def test_a_timed_script_too_large_is_refused(tmp_path, capsys):
    (tmp_path / "v.script.json").write_bytes(b" " * (16 * 1024 * 1024 + 1))
    code, _, err = run(capsys, "script", "--video", str(tmp_path / "v.mp4"))
    one_line_error(code, err, "files over 16,777,216 bytes are not read")


@pytest.mark.parametrize(
    "text",
    [
        '{"sections": [{"beats": [{"key": "a", "caption": "c", "start": 1e999, "end": 1}]}]}',
        '{"sections": [{"beats": [{"key": "a", "caption": "c", "start": "nan", "end": 1}]}]}',
        '{"sections": [{"beats": [{"key": "a", "caption": "c", "start": -5, "end": 1}]}]}',
        '{"sections": 7}',
        "[1, 2]",
        '{"a": ' + "9" * 5000 + "}",
        "\xff\xfe",
    ],
)
def test_a_malformed_timed_script_is_one_line(tmp_path, capsys, text):
    (tmp_path / "v.script.json").write_bytes(text.encode("latin-1"))
    code, _, err = run(capsys, "script", "--video", str(tmp_path / "v.mp4"))
    one_line_error(code, err, "v.script.json")


@pytest.mark.parametrize(
    "argv",
    [
        ["page", "-o=--"],
        ["handout", "-o=--"],
        ["script", "--video=--"],
        ["render", "--output-dir=--"],
        ["derive", "--patch=--"],
    ],
)
def test_an_option_without_its_value_is_one_line(capsys, argv):
    code, _, err = run(capsys, *argv)
    one_line_error(code, err, "needs a value")


def test_a_cache_folder_that_is_a_file_is_blamed_before_rendering(tmp_path, capsys, monkeypatch):
    (tmp_path / "cache").write_text("a file")
    monkeypatch.setenv("EXPLAINER_CACHE_DIR", str(tmp_path / "cache"))
    code, _, err = run(capsys, *RENDER, "--output-dir", str(tmp_path / "out"))
    one_line_error(code, err, "the cache folder")
    assert not (tmp_path / "out").exists()


def test_a_cache_folder_with_a_quote_and_a_newline_works(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EXPLAINER_CACHE_DIR", str(tmp_path / "o'brien\nnew line"))
    code, _, err = run(capsys, *RENDER, "--output-dir", str(tmp_path / "out"))
    assert code == 0, err
    assert list((tmp_path / "out").glob("*.mp4"))


def test_a_full_stdout_is_blamed_before_rendering(tmp_path):
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [*CLI, *RENDER, "--output-dir", str(tmp_path / "out")],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(ENV, EXPLAINER_CACHE_DIR=str(tmp_path / "cache")),
            timeout=120,
        )
    one_line_error(proc.returncode, proc.stderr, "cannot write to standard output")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv", [["--help"], ["derive", "--help"], ["--version"], []])
def test_help_onto_a_full_stdout_is_an_error(argv):
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [*CLI, *argv], stdout=full, stderr=subprocess.PIPE, text=True, env=ENV, timeout=60
        )
    one_line_error(proc.returncode, proc.stderr, "No space left on device")


def test_an_output_folder_that_cannot_be_created_is_refused_before_rendering(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, *RENDER, "--output-dir", str(blocker / "sub" / "out"))
    one_line_error(code, err, "Not a directory")
    assert "Rendering" not in err


def test_handout_cannot_write_over_its_own_source(tmp_path, capsys):
    source = tmp_path / "same.tex"
    source.write_text("my notes")
    code, _, err = run(capsys, "handout", "-o", str(source))
    one_line_error(code, err, "its own LaTeX source")
    assert source.read_text() == "my notes"


def test_the_handout_refuses_what_tex_cannot_set_before_pdflatex(tmp_path, capsys):
    kernel = _long_fractions(tmp_path / "k.csv")
    code, _, err = run(capsys, "handout", "--kernel", str(kernel), "-o", str(tmp_path / "h.pdf"))
    one_line_error(code, err, "TeX cannot set a line")
    assert not list(tmp_path.glob("h.*"))


def test_the_manim_entry_point_refuses_a_bad_voice_in_one_line(capsys):
    from scenes.environment import voice_from_environment

    with pytest.raises(SystemExit) as exit_:
        voice_from_environment("bob")
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("explainer: error: EXPLAINER_VOICE") and err.count("\n") == 1


def test_the_manim_entry_point_applies_the_render_size_limit(capsys, monkeypatch):
    from scenes.environment import problem_from_environment

    monkeypatch.setenv("EXPLAINER_ARGS", "--image gradient --padding 30")
    with pytest.raises(SystemExit) as exit_:
        problem_from_environment()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "too large to draw" in err and err.count("\n") == 1
