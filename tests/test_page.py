"""The lesson page in a real browser (Debian's chromium, driven by playwright), offline.

Every request other than the page itself is refused and recorded, and each test fails if
any was attempted: the page must carry everything it needs. The values the page shows are
compared with the textbook loop (tests/reference.py), not with the code under test.
Screenshots of the first beat, a hovered cell and the result are written to
$EXPLAINER_SCREENSHOTS when it is set (to look at them), else to the test's folder.
"""

from __future__ import annotations

import os
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from reference import plain_loop

from explainer import Problem, lecture_problem, preset
from explainer.cli import main
from explainer.lessons.convolution import build_script
from explainer.outputs.page import page_data, render_page

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="chromium is installed by scripts/bootstrap.sh"
)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def shown(v: Fraction) -> str:
    """How a learner writes an exact value, with the minus sign the page uses."""
    text = str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    return text.replace("-", "−")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 1440, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture
def open_page(browser, tmp_path):
    """Open an HTML string as a file in the browser, with every other request refused."""
    attempted: list[str] = []
    pages = []
    allowed: set[str] = {"about:blank"}

    def record(request) -> None:
        if request.url not in allowed:
            attempted.append(request.url)

    browser.on("request", record)

    def opener(html: str):
        path = tmp_path / "lesson.html"
        path.write_text(html, encoding="utf-8")
        url = path.as_uri()
        allowed.add(url)

        def guard(route):
            if route.request.url == url:
                route.continue_()
            else:
                attempted.append(route.request.url)
                route.abort()

        browser.route("**/*", guard)
        page = browser.new_page()
        page.set_default_timeout(5000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector("body[data-ready='true']")
        page.errors = errors  # type: ignore[attr-defined]
        pages.append(page)
        return page

    yield opener
    for page in pages:
        assert not page.errors, page.errors
        page.close()
    browser.unroute("**/*")
    browser.remove_listener("request", record)
    assert attempted == [], f"the page tried to reach the network: {attempted}"


def screenshot(page, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("EXPLAINER_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000  # a real picture, not a blank
    return path


STATE = """() => ({
  beat: Number(document.body.dataset.beat),
  key: document.body.dataset.key,
  view: document.body.dataset.view,
  caption: document.getElementById('caption').textContent,
  counter: document.getElementById('counter').textContent,
  pointed: [...document.querySelectorAll('#result-grid .cell.pointed')]
    .map(g => [Number(g.dataset.r), Number(g.dataset.c)]),
  windows: document.querySelectorAll('#image-grid .window:not(.tap)').length,
  sums: [...document.querySelectorAll('#sums-grid .cell.pointed')]
    .map(g => [Number(g.dataset.r), Number(g.dataset.c)]),
})"""

DETAIL = """() => {
  const focus = document.getElementById('detail').dataset.focus;
  const [r, c] = focus.split(',');
  return {
    focus,
    value: document.getElementById('detail-value').textContent,
    products: [...document.querySelectorAll('#products-grid .cell title')].map(t => t.textContent),
    patch: [...document.querySelectorAll('#patch-grid .cell title')].map(t => t.textContent),
    lastLine: [...document.querySelectorAll('#derivation .rhs')].pop().textContent,
    window: document.querySelectorAll('#image-grid .window.focus').length,
    hidden: document.querySelector(`#result-grid .cell[data-r="${r}"][data-c="${c}"]`)
      .classList.contains('hidden'),
  };
}"""


def test_a_lecture_page_is_one_small_file_with_nothing_outside():
    html = render_page(lecture_problem())
    assert len(html.encode("utf-8")) < 1_000_000
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)
    assert "@import" not in html and "url(" not in html
    assert html.count("\\u003cmath") > 49 * 6  # every pixel's derivation, as MathML (escaped)


def test_every_beat_in_the_browser_and_every_pixel_on_hover(open_page, lecture_arrays, tmp_path):
    image, kernel = lecture_arrays
    expected = plain_loop(image, kernel, divisor=9)
    script = build_script(lecture_problem())
    beats = list(script.beats())
    page = open_page(render_page(lecture_problem()))
    screenshot(page, "page-first-beat.png", tmp_path)

    # Next / Previous, the slider and the keys all step through the beats.
    assert page.get_attribute("#slider", "max") == str(len(beats) - 1)
    page.click("#next")
    assert page.evaluate(STATE)["beat"] == 1
    page.click("#prev")
    assert page.evaluate(STATE)["beat"] == 0
    for k, beat in enumerate(beats):
        state = page.evaluate(STATE)
        assert state["beat"] == k and state["key"] == beat.key
        assert state["caption"] == beat.caption
        assert state["counter"] == f"{k + 1} / {len(beats)}"
        steps = sorted(list(s) for s in beat.steps)
        if state["view"] == "grids":
            assert sorted(state["pointed"]) == steps
            if 0 < len(steps) <= 6:
                assert state["windows"] == len(steps)
        elif state["view"] == "prelude":
            assert sorted(state["sums"]) == steps
        if beat.key == "result.best":
            screenshot(page, "page-result.png", tmp_path)
        page.keyboard.press("ArrowRight")
    page.fill("#slider", "0")
    assert page.evaluate(STATE)["beat"] == 0
    page.keyboard.press("End")
    assert page.evaluate(STATE)["beat"] == len(beats) - 1

    # Before the result is computed its values are hidden; hovering shows one pixel's work.
    page.keyboard.press("Home")
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    for i in range(7):
        for j in range(7):
            page.hover(f'#result-grid .cell[data-r="{i}"][data-c="{j}"]')
            d = page.evaluate(DETAIL)
            assert d["focus"] == f"{i},{j}"
            assert d["value"] == shown(expected[i][j])
            # MathML's text has no slash: 7/9 is an <mfrac> of 7 and 9.
            assert d["lastLine"].replace(" ", "") == shown(expected[i][j]).replace("/", "")
            patch = [row[j : j + 3] for row in image[i : i + 3]]
            assert d["patch"] == [shown(Fraction(v)) for row in patch for v in row]
            products = [
                p * w
                for prow, wrow in zip(patch, kernel, strict=True)
                for p, w in zip(prow, wrow, strict=True)
            ]
            assert d["products"] == [shown(Fraction(v)) for v in products]
            assert d["window"] == 1 and not d["hidden"]
            if (i, j) == (1, 2):
                screenshot(page, "page-hovered-cell.png", tmp_path)
    page.mouse.move(2, 2)
    assert page.evaluate("document.getElementById('detail').dataset.focus") == "1,1"


def test_presentation_mode_is_one_slide_per_beat_with_the_sentence_as_notes(open_page):
    script = build_script(lecture_problem())
    captions = [b.caption for b in script.beats()]
    page = open_page(render_page(lecture_problem(), present=True))
    assert "present" in page.evaluate("document.body.className")
    assert page.is_hidden("#more") and page.is_hidden("#top")
    with page.expect_popup() as popup:
        page.keyboard.press("s")
    notes = popup.value
    slides = 0
    for k, caption in enumerate(captions):
        assert notes.text_content("#now") == caption
        assert notes.text_content("#count") == f"{k + 1} / {len(captions)}"
        assert notes.text_content("#next") == (captions[k + 1] if k + 1 < len(captions) else "")
        slides += 1
        page.keyboard.press("PageDown")  # what a presentation clicker sends
    assert slides == len(captions) == int(page.get_attribute("#slider", "max")) + 1
    notes.keyboard.press("Home")  # the notes window drives the slides too
    assert page.evaluate("document.body.dataset.beat") == "0"
    notes.close()
    page.keyboard.press("p")
    assert "present" not in page.evaluate("document.body.className")


def test_padded_strided_page_shows_the_textbook_values(open_page):
    problem = Problem(preset("square"), preset("sobel-x"), padding="same", stride=2)
    image = np.asarray(preset("square")).tolist()
    kernel = np.asarray(preset("sobel-x")).tolist()
    expected = plain_loop(image, kernel, stride=(2, 2), padding=(0, 1, 0, 1))
    page = open_page(render_page(problem))
    assert page.locator("#image-grid .padmark").count() == 9 + 8  # one row, one column
    while page.evaluate("document.body.dataset.view") != "grids":
        page.keyboard.press("ArrowRight")
    for i in range(4):
        for j in range(4):
            page.hover(f'#result-grid .cell[data-r="{i}"][data-c="{j}"]')
            assert page.text_content("#detail-value") == shown(expected[i][j])
    code = page.text_content("#equivalents")
    assert 'padding="SAME"' in code and "strides=2" in code
    assert "F.pad(x_t, (0, 1, 0, 1)" in code and 'padding="same"' not in code
    assert 'correlate2d(xp, w, mode="valid")[::2, ::2]' in code


def test_page_command_writes_the_page_and_refuses_what_it_cannot_show(tmp_path, capsys):
    out = tmp_path / "lesson.html"
    assert main(["page", "--output", str(out), "--kernel", "sobel-x", "--padding", "same"]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert capsys.readouterr().err.strip() == f"wrote {out}"
    big = tmp_path / "big.npy"
    np.save(big, np.ones((40, 40), dtype=np.int64))
    refused = tmp_path / "refused.html"
    assert main(["page", "--image", str(big), "--output", str(refused)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "too large for the page" in err
    assert not refused.exists()


def test_beats_keep_their_sections_when_a_large_result_is_summed_up_in_the_sweep():
    image = np.add.outer(np.arange(20), np.arange(20)) % 3 - 1
    script = build_script(Problem(image, preset("sobel-x")))
    assert not script.pixelwise
    data = page_data(script, derive=False)
    heard = [(k, b.key) for k, sec in enumerate(script.sections) for b in sec.beats]
    assert [(b["section"], b["key"]) for b in data["beats"]] == heard
    keys = [b["key"] for b in data["beats"]]
    first_all = min(k for k, b in enumerate(data["beats"]) if b["revealed"] == "all")
    assert keys[first_all] == "sweep.summary"  # "doing this for every patch gives" the result
