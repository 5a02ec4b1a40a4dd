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
from conftest import LECTURE_RESULT as LECTURE
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
    assert page.is_hidden("#more") and page.is_hidden("#top .tools")
    assert page.locator("#top").bounding_box()["height"] <= 1  # for screen readers only
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


# ----- a phone, a laptop, a projector: sizes a learner can read and tap ------------------------

SIZES = """() => {
  const visible = (node) => {
    const b = node.getBoundingClientRect();
    return b.width > 0 && b.height > 0;
  };
  const grids = {};
  for (const id of ['image-grid', 'kernel-grid', 'result-grid']) {
    const cells = [...document.querySelectorAll(`#${id} .cell rect.fill`)].filter(visible);
    if (!cells.length) continue;
    const digits = [...document.querySelectorAll(`#${id} .cell text`)].filter(visible);
    grids[id] = {
      cell: Math.min(...cells.map(r => r.getBoundingClientRect().width)),
      digit: digits.length ? Math.min(...digits.map(t => t.getBoundingClientRect().height)) : null,
    };
  }
  const der = document.getElementById('derivation');
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    grids,
    derivation: visible(der) ? parseFloat(getComputedStyle(der).fontSize) : null,
    next: document.getElementById('next').getBoundingClientRect().right,
  };
}"""


def _to_beat(page, key: str) -> None:
    page.keyboard.press("Home")
    while page.evaluate("document.body.dataset.key") != key:
        page.keyboard.press("ArrowRight")


@pytest.mark.parametrize(
    ("width", "height", "present", "least_cell", "least_digit"),
    [(390, 844, False, 24, 12), (1280, 800, True, 36, 16), (1920, 1080, True, 48, 22)],
)
def test_grids_fill_a_phone_and_a_projector(
    open_page, tmp_path, width, height, present, least_cell, least_digit
):
    page = open_page(render_page(lecture_problem(), present=present))
    page.set_viewport_size({"width": width, "height": height})
    shots = {"multiply.take": "image", "add.derivation": "image", "result.best": "result"}
    for key, tab in shots.items():
        _to_beat(page, key)
        page.wait_for_timeout(50)
        s = page.evaluate(SIZES)
        assert s["overflow"] <= 0, f"{key}: the page scrolls sideways by {s['overflow']} px"
        assert s["next"] <= width
        if width < 640:  # one grid at a time on a phone, the one the section is about
            assert list(s["grids"]) == [f"{tab}-grid"], (key, s["grids"])
        for name, g in s["grids"].items():
            assert g["cell"] >= least_cell, (key, name, g)
            if g["digit"] is not None:
                assert g["digit"] >= least_digit, (key, name, g)
        if present and key == "add.derivation":
            assert s["derivation"] >= 24
        mode = "present" if present else "explore"
        screenshot(page, f"page-{width}x{height}-{mode}-{key}.png", tmp_path)


def test_a_phone_tabs_between_grids_and_opens_a_tapped_cell_beside_it(open_page, tmp_path):
    problem = Problem(
        np.add.outer(np.arange(9), np.arange(9)) % 5 - 2,
        preset("sobel-x"),
        padding=2,
        padding_mode="reflect",
        dilation=2,
        flip=True,
    )
    page = open_page(render_page(problem))
    page.set_viewport_size({"width": 390, "height": 844})
    _to_beat(page, "operation.lay")
    for tab in ("kernel", "result", "image"):
        page.click(f"#tab-{tab}")
        s = page.evaluate(SIZES)
        assert list(s["grids"]) == [f"{tab}-grid"] and s["overflow"] <= 0 and s["next"] <= 390
        assert s["grids"][f"{tab}-grid"]["cell"] >= 24
    page.click("#tab-result")
    page.click('#result-grid .cell[data-r="0"][data-c="0"]')
    assert page.evaluate("document.body.classList.contains('sheet')")
    sheet = page.locator("#detail").bounding_box()
    cell = page.locator('#result-grid .cell[data-r="0"][data-c="0"]').bounding_box()
    assert 0 <= sheet["y"] and sheet["y"] + sheet["height"] <= 844 and sheet["x"] >= 0
    assert sheet["x"] + sheet["width"] <= 390
    overlap = min(sheet["y"] + sheet["height"], cell["y"] + cell["height"]) - max(
        sheet["y"], cell["y"]
    )
    assert overlap <= 0, "the sheet covers the cell that was tapped"
    screenshot(page, "page-390x844-reflect-tapped.png", tmp_path)
    page.click("#detail-close")
    assert not page.evaluate("document.body.classList.contains('sheet')")


# ----- accessible: keyboard, names, motion, and axe-core's whole rule set --------------------


def test_result_cells_by_keyboard_with_names_that_read_value_and_position(open_page):
    page = open_page(render_page(lecture_problem()))
    _to_beat(page, "result.best")
    page.focus('#result-grid .cell[tabindex="0"]')
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == (
        "result row 0, column 0: 7/9"
    )
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    assert (
        page.evaluate("document.activeElement.dataset.r + ',' + document.activeElement.dataset.c")
        == "1,1"
    )
    assert page.evaluate("document.body.dataset.key") == "result.best"  # arrows stay in the grid
    assert page.text_content("#detail-value") == "1"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # focus leaves; the pinned cell stays
    assert page.evaluate("document.getElementById('detail').dataset.focus") == "1,1"
    label = page.get_attribute('#image-grid .cell[data-r="1"][data-c="1"]', "aria-label")
    assert label == "image row 1, column 1: 1"
    _to_beat(page, "operation.lay")
    assert page.get_attribute('#result-grid .cell[data-r="3"][data-c="3"]', "aria-label") == (
        "result row 3, column 3: not computed yet"
    )


def test_the_moving_window_pauses_and_stays_still_for_reduced_motion(open_page):
    page = open_page(render_page(lecture_problem()))
    _to_beat(page, "sweep.fill")
    window = """() => {
      const w = document.querySelector('#image-grid .window');
      return w.getAttribute('x') + ',' + w.getAttribute('y');
    }"""
    page.click("#pause")
    assert page.text_content("#pause") == "Play"
    before = page.evaluate(window)
    page.wait_for_timeout(400)
    assert page.evaluate(window) == before
    page.click("#pause")
    page.wait_for_timeout(400)
    assert page.evaluate(window) != before
    page.emulate_media(reduced_motion="reduce")
    page.wait_for_timeout(50)
    assert page.text_content("#pause") == "Play"
    before = page.evaluate(window)
    page.wait_for_timeout(400)
    assert page.evaluate(window) == before
    page.emulate_media(reduced_motion="no-preference")


def _axe(page) -> list[str]:
    """axe-core's violations on the page as it is now (axe is injected here, in the test only)."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    results = axe.Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]


def test_axe_finds_nothing_on_the_page_in_any_of_its_states(open_page):
    page = open_page(render_page(lecture_problem()))
    found = {}
    for key in ("title.question", "one-dimension.slide", "multiply.take", "notation.formula"):
        _to_beat(page, key)
        found[key] = _axe(page)
    _to_beat(page, "result.best")
    page.click('#result-grid .cell[data-r="1"][data-c="1"]')
    found["pinned"] = _axe(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("#tab-result")
    found["phone"] = _axe(page)
    page.keyboard.press("p")
    page.set_viewport_size({"width": 1280, "height": 800})
    found["present"] = _axe(page)
    bad = {k: v for k, v in found.items() if v}
    assert not bad, "\n".join(f"{k}: {x}" for k, v in bad.items() for x in v)
    assert "axe" not in page.content().split("<body")[0]  # injected for the test, not shipped


def test_no_repeated_value_and_no_division_by_one_in_the_derivations():
    lecture = page_data(build_script(lecture_problem()))
    for step, value in zip(lecture["steps"], [v for row in LECTURE for v in row], strict=True):
        math = "".join(rhs for _, rhs in step["math"])
        # "= 5/9 = 5/9" said the same value twice; "= 3/9 = 1/3" and "= 9/9 = 1" keep both.
        assert len(step["math"]) == (7 if Fraction(value).denominator == 9 else 8), value
        assert math.count("<mfrac>") >= 1
    gaussian = Problem(preset("square"), preset("gaussian-blur"), normalize="sum")
    data = page_data(build_script(gaussian))
    assert not data["divides"]  # its weights already sum to 1: no "÷ 1", no "2/1"
    assert all(len(s["math"]) == 7 for s in data["steps"])


def test_the_legend_swatch_for_zero_is_the_colour_of_zero():
    legend = page_data(build_script(lecture_problem()), derive=False)["legend"]
    assert legend["swatches"] == {"positive": "#e08214", "zero": "#f7f7f7", "negative": "#2166ac"}


def test_slides_have_a_file_of_their_own(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["page"]) == 0
    assert main(["page", "--slides"]) == 0
    page = (tmp_path / "output" / "lesson.html").read_text(encoding="utf-8")
    slides = (tmp_path / "output" / "slides.html").read_text(encoding="utf-8")
    assert 'data-start="explore"' in page and 'data-start="present"' in slides
