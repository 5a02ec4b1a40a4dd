"""The board lessons' slides (``explainer page --lesson NAME --slides``): one slide per beat,
its sentence and its board, in large type, stepped by the keys a presenter's clicker sends.

The slides stage the script: every caption is the beat's, every grid the board's, and the
layer lesson's values are the independent computation of tests/stage_support.py (scipy on
the raw arrays), never read back from the page's own data.
"""

from __future__ import annotations

import pytest
from cli_support import run
from stage_support import expected_grids, launch_browser, open_page, tables

from explainer.backward_request import default_backward, default_transposed
from explainer.lessons import lesson
from explainer.lessons.layer.words import default_stack
from explainer.outputs.lesson_page import render_lesson_page

browser = pytest.fixture(scope="module")(launch_browser)

PROBLEMS = {"layer": default_stack, "backward": default_backward, "transposed": default_transposed}


@pytest.fixture(scope="module", params=sorted(PROBLEMS))
def lesson_script(request):
    return lesson(request.param).build_script(PROBLEMS[request.param]())


def _int(text: str) -> int:
    return int(text.replace("−", "-"))


def test_the_slides_are_the_page_with_a_slide_stylesheet_and_nothing_fetched(lesson_script):
    page, slides = render_lesson_page(lesson_script), render_lesson_page(lesson_script, True)
    assert '<body class="slides">' in slides and '<body class="page">' in page
    head = slides.split("<body")[0]
    assert "http" not in head and "<link" not in head and "@import" not in head
    assert "body.slides" in slides and "body.slides" not in page
    # The same data: the slides word nothing of their own.
    data = lambda html: html.split('<script id="data" type="application/json">')[1]  # noqa: E731
    assert data(page).split("</script>")[0] == data(slides).split("</script>")[0]


@pytest.mark.browser
def test_every_slide_is_a_beat_with_its_board_stepped_by_the_keys(browser, tmp_path, lesson_script):
    script = lesson_script
    beats = list(script.beats())
    expected = expected_grids(script.problem) if script.lesson == "layer" else None
    page, asked = open_page(browser, tmp_path, render_lesson_page(script, True), 1920, 1080)
    keys = ["Space", "ArrowRight", "PageDown"]
    for k, beat in enumerate(beats):
        assert page.text_content("#caption") == beat.caption
        assert page.text_content("#counter") == f"{k + 1} of {len(beats)}"
        shown = tables(page)
        assert list(shown) == list(beat.board.grids), beat.key
        for key, table in shown.items():
            assert table["label"] == script.grids[key].label
            if expected is not None:
                values = [[_int(t) for t in row] for row in table["rows"]]
                assert values == expected[key].tolist(), (beat.key, key)
        for mark in beat.board.marks:
            for r, c in mark.cells:
                cell = f'table[data-key="{mark.grid}"] td[data-r="{r}"][data-c="{c}"]'
                assert f"m-{mark.kind}" in page.get_attribute(cell, "class")
        formula = page.eval_on_selector_all("#formula div", "ds => ds.map(d => d.textContent)")
        assert formula == list(beat.board.formula)
        page.keyboard.press(keys[k % 3])
    assert page.text_content("#caption") == beats[-1].caption  # the last slide stays
    for key, at in [("Home", 0), ("End", -1), ("PageUp", -2), ("Shift+Space", -3),
                    ("ArrowLeft", -4), ("End", -1), ("Home", 0)]:  # fmt: skip
        page.keyboard.press(key)
        assert page.text_content("#caption") == beats[at].caption, key
    page.focus("#next")  # Space presses a focused button once, not twice
    page.keyboard.press("Space")
    assert page.text_content("#caption") == beats[1].caption
    assert not asked


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1920, 1080), (390, 844), (844, 390)])
def test_slides_are_large_on_a_projector_usable_on_a_phone_and_axe_finds_nothing(
    browser, tmp_path, lesson_script, size
):
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    script = lesson_script
    html = render_lesson_page(script, slides=True)
    page, _ = open_page(browser, tmp_path, html, *size)
    found, beats = {}, list(script.beats())
    for n in range(1, len(beats) + 1, 3):
        page.goto(page.url.split("#")[0] + f"#{n}")
        page.reload()
        key = beats[n - 1].key
        m = page.evaluate(
            """() => {
            const px = (id) => parseFloat(getComputedStyle(document.getElementById(id)).fontSize);
            const b = document.getElementById('board'), nav = document.getElementById('steps');
            const cells = [...document.querySelectorAll('td')].map(d => d.getBoundingClientRect());
            return {caption: px('caption'), width: document.documentElement.scrollWidth,
                    height: document.documentElement.scrollHeight,
                    fits: b.scrollHeight <= b.clientHeight + 1,
                    navBottom: nav.getBoundingClientRect().bottom,
                    cell: Math.min(...cells.map(r => Math.min(r.width, r.height)))};}"""
        )
        assert m["width"] <= size[0], (key, m)  # never sideways
        assert m["navBottom"] <= size[1], (key, m)  # the buttons are always on screen
        if size[0] == 1920:  # a projector: one screen, the sentence big, every board whole
            assert m["height"] <= size[1] and m["fits"], (key, m)
            assert m["caption"] >= 40 and m["cell"] >= 40, (key, m)
        else:  # a phone, either way up: readable type, cells a finger finds; it scrolls down
            assert m["caption"] >= 18 and m["cell"] >= 24, (key, m)
        violations = axe.Axe().run(page).response["violations"]
        found[key] = [f"{v['id']}: {v['nodes'][0]['target']}" for v in violations]
    assert not any(found.values()), found


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_cli_writes_each_board_lessons_slides(capsys, tmp_path, name):
    target = tmp_path / f"{name}.html"
    code, _, err = run(capsys, "page", "--lesson", name, "--slides", "-o", str(target))
    assert code == 0, err
    html = target.read_text(encoding="utf-8")
    script = lesson(name).build_script(PROBLEMS[name]())
    assert '<body class="slides">' in html
    assert all(b.caption.split(":")[0].replace('"', "\\u0022") in html for b in script.beats())


@pytest.mark.browser
def test_speaker_notes_are_the_scripts_sentences_and_their_window_drives_the_slides(
    browser, tmp_path, lesson_script
):
    """As the convolution slides' notes: S opens a second window with the section, the
    count, a clock, the sentence on the slide and the next one (the script's, not the
    page's words); a clicker's keys in that window step the slides."""
    script = lesson_script
    beats = [(sec.title or script.labels["title"], b.caption) for sec in script.sections
             for b in sec.beats]  # fmt: skip
    page, asked = open_page(browser, tmp_path, render_lesson_page(script, True), 1280, 720)
    assert page.is_visible("#notes-button") and page.is_hidden("#notes-inline")
    with page.expect_popup() as popup:
        page.keyboard.press("s")
    notes = popup.value
    for k, (title, caption) in enumerate(beats):
        assert notes.text_content("#now") == caption
        assert notes.text_content("#next") == (beats[k + 1][1] if k + 1 < len(beats) else "")
        assert notes.text_content("#count") == f"{k + 1} / {len(beats)}"
        assert notes.text_content("#section") == title
        page.keyboard.press("PageDown")
    assert notes.text_content("#clock") and notes.text_content("#next") == ""
    notes.keyboard.press("Home")  # the notes window drives the slides
    assert page.text_content("#caption") == beats[0][1]
    notes.keyboard.press("PageDown")
    notes.keyboard.press("Space")
    assert page.text_content("#caption") == beats[2][1]
    assert notes.text_content("#now") == beats[2][1]
    notes.close()
    with page.expect_popup() as popup:  # the button opens them too
        page.click("#notes-button")
    assert popup.value.text_content("#now") == beats[2][1]
    popup.value.close()
    assert not asked


@pytest.mark.browser
def test_blocked_notes_go_under_the_slide_and_the_page_has_none(browser, tmp_path, lesson_script):
    script = lesson_script
    captions = [b.caption for b in script.beats()]
    page, _ = open_page(browser, tmp_path, render_lesson_page(script, True), 1280, 720)
    page.evaluate("window.open = () => null")  # a browser that blocks the second window
    page.keyboard.press("ArrowRight")
    page.keyboard.press("s")
    assert page.is_visible("#notes-inline")
    assert page.text_content("#inline-now") == captions[1]
    assert page.text_content("#inline-next") == captions[2]
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    assert axe.Axe().run(page).response["violations"] == []
    page.keyboard.press("s")  # and S again puts them away
    assert page.is_hidden("#notes-inline")
    plain, _ = open_page(browser, tmp_path, render_lesson_page(script), 1280, 720)
    plain.keyboard.press("s")
    assert plain.is_hidden("#notes-button") and plain.is_hidden("#notes-inline")
