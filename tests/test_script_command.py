"""`explainer script`: the lecture's sentences as notes, with timings once rendered."""

from __future__ import annotations

import json

from explainer.cli import main


def test_script_prints_every_section_and_sentence(capsys):
    args = ["script", "--image", "square", "--kernel", "sobel-x", "--padding", "same"]
    assert main([*args, "--stride", "2"]) == 0
    out = capsys.readouterr().out
    assert "[--section output-size]" in out
    assert "one row at the bottom and one column at the right" in out
    assert "The most negative value, −4, at (1, 2), is just as strong" in out


def test_script_as_json_has_speech_and_values(capsys):
    assert main(["script", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    beats = {b["key"]: b for s in doc["sections"] for b in s["beats"]}
    assert beats["add.sum"]["values"] == ["9", "9", "1"]
    assert beats["result.best"]["speech"].startswith("The four pixels equal to one")


def test_script_markdown(capsys):
    assert main(["script", "--format", "markdown", "--kernel", "gaussian-blur"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Lecture notes:") and "## The filter" in out
    assert "blur" in out and "pattern" not in out


def test_script_with_the_timings_of_a_render(tmp_path, capsys):
    args = ["--quality", "low", "--voice", "none", "--section", "title", "--section", "image"]
    assert main(["render", *args, "--output-dir", str(tmp_path)]) == 0
    video = capsys.readouterr().out.strip()
    assert main(["script", "--video", video]) == 0
    out = capsys.readouterr().out
    assert "0:00.0–0:" in out  # the title's sentence starts the video
    assert main(["script", "--kernel", "sobel-x", "--video", video]) == 2
    assert "another problem" in capsys.readouterr().err
