"""Lessons are units: found by folder, looked up by registered beat keys, added without edits."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

import explainer.lessons as lessons
from explainer.core.presets import lecture_problem
from explainer.errors import ProblemError
from explainer.lessons.script import UnknownBeat
from explainer.outputs.notes import render_notes

DUMMY = '''
"""A lesson of two sections, one beat each: the smallest lesson there is."""

from explainer.core.trace import build_trace
from explainer.lessons.board import Board, Grid, Mark
from explainer.lessons.script import Beat, Script, Section

LESSON = "dummy"
SECTION_NAMES = ("hello", "bye")
BEAT_KEYS = frozenset({"hello.say", "bye.say"})


def build_script(problem):
    trace = build_trace(problem, exact=True)
    shape = "×".join(map(str, trace.output_shape))
    grids = {
        "image": Grid.of("image", "the image", trace.padded_image),
        "result": Grid.of(
            "result",
            f"the result, {shape}",
            trace.output,
            [[f"step {i},{j}" for j in range(len(row))] for i, row in enumerate(trace.output)],
        ),
    }
    first = trace.output[0][0]
    focus = (Mark("result", ((0, 0),), "focus"),)
    hello = Board(("image", "result"), focus, (f"y[0,0] = {first}",))
    return Script(
        problem=problem,
        lesson=LESSON,
        sections=(
            Section(
                "hello",
                "Hello",
                (Beat("hello.say", f"A {shape} result.", "Hello.", board=hello),),
            ),
            Section("bye", "Bye", (Beat("bye.say", "That is all.", "That is all."),)),
        ),
        keys=BEAT_KEYS,
        labels={},
        trace=trace,
        grids=grids,
    )
'''


@pytest.fixture
def dummy_lesson(tmp_path, monkeypatch):
    """A lesson folder outside the package, found through the lessons' search path."""
    folder = tmp_path / "dummy"
    folder.mkdir()
    (folder / "__init__.py").write_text(textwrap.dedent(DUMMY))
    monkeypatch.setattr(lessons, "__path__", [*lessons.__path__, str(tmp_path)])
    yield "dummy"
    for name in [m for m in sys.modules if m.startswith("explainer.lessons.dummy")]:
        del sys.modules[name]


def test_the_convolution_lesson_is_found_by_its_folder():
    assert "convolution" in lessons.lesson_names()
    assert lessons.lesson("convolution").LESSON == "convolution"


def test_an_unknown_lesson_is_one_clear_error():
    with pytest.raises(ProblemError, match="unknown lesson 'layers'; the lessons are"):
        lessons.lesson("layers")


def test_a_new_lesson_is_a_folder_and_its_script_renders(dummy_lesson):
    module = lessons.lesson(dummy_lesson)
    script = module.build_script(lecture_problem())
    assert script.section_names == ("hello", "bye")
    assert script.beat("hello.say").caption == "A 7×7 result."  # 9 − 3 + 1, by hand
    text = render_notes(script, "text")
    assert "A 7×7 result." in text and "That is all." in text
    doc = json.loads(render_notes(script, "json"))
    assert [s["name"] for s in doc["sections"]] == ["hello", "bye"]


def test_an_unregistered_beat_key_is_an_error_not_a_fallback(dummy_lesson):
    script = lessons.lesson(dummy_lesson).build_script(lecture_problem())
    with pytest.raises(UnknownBeat, match="'hello.wave'"):
        script.beat("hello.wave")
    with pytest.raises(UnknownBeat):
        script.has("result.best")  # the convolution lesson's key, not this one's


def test_a_script_refuses_two_beats_with_one_key(dummy_lesson):
    import dataclasses

    script = lessons.lesson(dummy_lesson).build_script(lecture_problem())
    hello = script.section("hello")
    twice = dataclasses.replace(hello, beats=hello.beats + hello.beats)
    with pytest.raises(ValueError, match="the dummy lesson says beat 'hello.say' twice"):
        dataclasses.replace(script, sections=(twice,) + script.sections[1:])
    moved = dataclasses.replace(script.section("bye"), beats=hello.beats)
    with pytest.raises(ValueError, match="'hello.say' twice"):  # across sections too
        dataclasses.replace(script, sections=(hello, moved))


def test_every_beat_the_convolution_lesson_writes_is_registered():
    from explainer.lessons.convolution import BEAT_KEYS, SECTION_NAMES, build_script
    from explainer.request import problem_from_argument_string as problem

    for options in (
        "",
        "--image square --kernel sobel-x --padding same --stride 2",
        "--image gradient --kernel laplacian --flip",
        "--image x --kernel diagonal --padding 2 --padding-mode reflect --dilation 2",
        "--image square --kernel box-blur --normalize sum --padding 1,2",
    ):
        script = build_script(problem(options) if options else lecture_problem())
        for beat in script.beats():
            assert beat.key in BEAT_KEYS, beat.key
        assert set(script.section_names) <= set(SECTION_NAMES)
        order = [SECTION_NAMES.index(n) for n in script.section_names]
        assert order == sorted(order)


def test_the_scenes_stage_exactly_the_lessons_sections():
    pytest.importorskip("manim")
    from explainer.lessons.convolution import SECTION_NAMES
    from scenes.lecture import STAGING

    assert set(STAGING) == set(SECTION_NAMES)


def test_a_new_lesson_folder_renders_its_page_with_no_edit_elsewhere(dummy_lesson):
    """Issue 16: a lesson added as a folder gets a page (the generic one, from its boards)."""
    from fractions import Fraction

    from explainer.outputs.lesson_page import lesson_page_data, render_lesson_page

    script = lessons.lesson(dummy_lesson).build_script(lecture_problem())
    html = render_lesson_page(script)
    assert html.startswith("<!DOCTYPE html>") and "A 7×7 result." in html
    data = lesson_page_data(script)
    assert [b["grids"] for b in data["beats"]] == [["image", "result"], []]
    assert data["beats"][0]["marks"] == {"result": [[0, 0, "focus"]]}
    result = data["grids"]["result"]
    assert (result["rows"], result["cols"]) == (7, 7)
    # The lecture's result at (0, 0) is 7/9 (conftest's hand-checked LECTURE_RESULT).
    assert result["cells"][0][1] == "7/9" and result["cells"][0][4] == "step 0,0"
    assert data["beats"][0]["formula"] == [f"y[0,0] = {Fraction(7, 9)}"]


@pytest.mark.video
def test_a_new_lesson_folder_stages_its_scenes_with_no_edit_elsewhere(dummy_lesson):
    """Issue 16: … and its scenes, through the generic board stage (a dry run)."""
    pytest.importorskip("manim")
    from manim import tempconfig
    from scene_support import texts_on_screen

    from scenes.board import board_scene

    seen = []

    class Probe(board_scene(dummy_lesson, lecture_problem(), voice_name="none")):
        def wait(self, *args, **kwargs):
            super().wait(*args, **kwargs)
            seen.append(texts_on_screen(self))

    settings = {"dry_run": True, "quality": "low_quality", "disable_caching": True,
                "verbosity": "ERROR", "progress_bar": "none"}  # fmt: skip
    with tempconfig(settings):
        scene = Probe(skip_animations=True)
        scene.renderer.update_frame = lambda *args, **kwargs: None
        scene.render()
    assert [b.key for _, _, b in scene.spoken] == ["hello.say", "bye.say"]
    shown = {t for texts in seen for t in texts}
    # Its labels, its caption and its formula (the result's 7/9 by hand, conftest's).
    assert {"theimage", "theresult,7×7", "A7×7result.", "y[0,0]=7/9", "Thatisall."} <= shown
