"""The page's playground ("Try your own") in a real browser, offline.

The playground recomputes a problem the learner changes with the page's own exact engine
(templates/exact.js: BigInt fractions). Its numbers are checked here against the Python
engine's exact path (``explainer.conv2d`` on Fractions) on hundreds of seeded random problems,
exactly, as reduced fraction strings; a problem Python refuses the page refuses in the same words.
The user interface is checked with values worked by hand. Screenshots of the playground at a
phone's, a laptop's and a projector's size are written to $EXPLAINER_SCREENSHOTS when it is
set, else to the test's folder.
"""

from __future__ import annotations

import os
import random
from fractions import Fraction
from pathlib import Path

import pytest

from explainer import Problem, build_trace, conv2d, lecture_problem, preset
from explainer.errors import ProblemError
from explainer.lessons.convolution import build_script
from explainer.outputs.page import PLAYGROUND, page_data, render_page
from explainer.present.numbers import display

CHROMIUM = "/usr/bin/chromium"


def in_browser(test):
    """Marked browser (a contributor can skip it) and skipped where chromium is missing."""
    skip = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium: scripts/bootstrap.sh")
    return skip(pytest.mark.browser(test))


ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MODES = ("zeros", "reflect", "replicate", "circular")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 1280, "height": 800},
        )
        yield context
        context.close()


@pytest.fixture
def open_page(browser, tmp_path):
    """Open a page with every other request refused; collect uncaught errors and console
    errors or warnings, and fail the test if there were any."""
    pages, attempted = [], []

    def opener(html: str):
        path = tmp_path / f"page{len(pages)}.html"
        path.write_text(html, encoding="utf-8")
        url = path.as_uri()

        def guard(route):
            if route.request.url == url:
                route.continue_()
            else:
                attempted.append(route.request.url)
                route.abort()

        browser.route("**/*", guard)
        page = browser.new_page()
        page.set_default_timeout(5000)
        page.problems = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.problems.append(f"pageerror: {e}"))
        page.on(
            "console",
            lambda m: (
                page.problems.append(f"{m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        page.goto(url)
        page.wait_for_selector("body[data-ready='true']")
        pages.append(page)
        return page

    yield opener
    for page in pages:
        assert not page.problems, page.problems
        page.close()
    browser.unroute("**/*")
    assert attempted == [], f"the page tried to reach the network: {attempted}"


def shown(v) -> str:
    """An exact value as the page writes it, with its minus sign."""
    return str(Fraction(v)).replace("-", "\u2212")


def screenshot(page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("EXPLAINER_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


# ----- the page's engine against Python's, exactly ----------------------------------------


def _value(rng: random.Random) -> tuple[str, Fraction]:
    """A cell as a learner might type it, and its exact value (read independently)."""
    kind = rng.random()
    if kind < 0.03:  # past int64: Python's object path, the page's BigInts
        v = rng.choice([-1, 1]) * rng.randint(10**20, 10**30)
        return str(v), Fraction(v)
    if kind < 0.45:
        v = rng.randint(-20, 20)
        return str(v), Fraction(v)
    if kind < 0.8:
        p, q = rng.randint(-30, 30), rng.randint(1, 15)
        return f"{p}/{q}", Fraction(p, q)
    whole, digits = rng.randint(0, 9), rng.randint(1, 3)
    frac = "".join(rng.choice("0123456789") for _ in range(digits))
    sign = rng.choice(["", "-", "\u2212"])
    return f"{sign}{whole}.{frac}", (-1 if sign else 1) * Fraction(f"{whole}.{frac}")


def _problem(rng: random.Random) -> tuple[dict, dict]:
    """A random problem for the page (strings) and for Python (Fractions)."""
    big = rng.random() < 0.1
    h, w = rng.randint(1, 16 if big else 7), rng.randint(1, 16 if big else 7)
    kh, kw = rng.randint(1, 7 if big else 4), rng.randint(1, 7 if big else 4)
    image = [[_value(rng) for _ in range(w)] for _ in range(h)]
    kernel = [[_value(rng) for _ in range(kw)] for _ in range(kh)]
    if rng.random() < 0.1:  # a kernel summing to zero, for normalize "sum"
        kernel[-1][-1] = ("0", Fraction(0))
        total = sum(v for row in kernel for _, v in row)
        kernel[-1][-1] = (str(-total), -total)

    def side() -> int:
        return rng.randint(0, 3)

    padding = rng.choice(
        ["valid", "same", "full", side(), [side(), side()], [side() for _ in range(4)]]
    )
    options = {
        "stride": rng.choice([1, 1, 2, 3, [rng.randint(1, 4), rng.randint(1, 4)]]),
        "dilation": rng.choice([1, 1, 2, [rng.randint(1, 3), rng.randint(1, 3)]]),
        "padding": padding,
        "padding_mode": rng.choice(MODES),
        "flip": rng.random() < 0.5,
        "normalize": rng.choice([None, "area", "sum"]),
    }
    js = {
        "image": [[t for t, _ in row] for row in image],
        "kernel": [[t for t, _ in row] for row in kernel],
        **options,
    }
    py = {
        "image": [[v for _, v in row] for row in image],
        "kernel": [[v for _, v in row] for row in kernel],
        **{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()},
    }
    return js, py


def _python(py: dict) -> dict:
    """Python's exact result as reduced fraction strings, or the sentence that refuses it."""
    try:
        out = conv2d(
            py["image"],
            py["kernel"],
            **{k: v for k, v in py.items() if k not in ("image", "kernel")},
        )
    except ProblemError as e:
        return {"error": str(e)}
    return {"output": [[str(Fraction(v)) for v in row] for row in out.tolist()]}


@in_browser
@pytest.mark.parametrize("seed", [2026])
def test_the_page_engine_agrees_with_python_exactly(open_page, seed):
    rng = random.Random(seed)
    problems = [_problem(rng) for _ in range(600)]
    page = open_page(render_page(lecture_problem()))
    answers = page.evaluate("(ps) => window.explainerExact.solve(ps)", [js for js, _ in problems])
    computed = refused = 0
    seen = {"modes": set(), "flip": set(), "normalize": set(), "fractions": False}
    for (js, py), answer in zip(problems, answers, strict=True):
        assert "crash" not in answer, answer["crash"]
        expected = _python(py)
        assert answer == expected, js  # the same numbers, or refused in the same words
        if "error" in expected:
            refused += 1
            continue
        expected = expected["output"]
        computed += 1
        seen["modes"].add(py["padding_mode"])
        seen["flip"].add(py["flip"])
        seen["normalize"].add(py["normalize"])
        seen["fractions"] |= any("/" in v for row in expected for v in row)
    print(f"\npage engine vs Python: {computed} computed equal, {refused} refused alike")
    assert computed >= 350 and computed + refused == len(problems)
    assert seen["modes"] == set(MODES) and seen["flip"] == {True, False}
    assert seen["normalize"] == {None, "area", "sum"} and seen["fractions"]


@in_browser
def test_the_page_engine_reads_numbers_exactly_and_refuses_what_is_not_one(open_page):
    page = open_page(render_page(lecture_problem()))
    read = page.evaluate(
        """(xs) => { const E = window.explainerExact;
          return xs.map(x => { try { return E.str(E.parse(x)); }
                               catch (e) { return 'refused: ' + e.message; } }); }""",
        [
            "3",
            "\u22123",
            "+4",
            "1/3",
            "-2/6",
            "0.25",
            ".5",
            "-1.5/3",
            " 7 ",
            "",
            "abc",
            "1/0",
            "1e3",
        ],
    )
    assert read[:9] == ["3", "-3", "4", "1/3", "-1/3", "1/4", "1/2", "-1/2", "7"]
    assert read[9] == "refused: is empty"
    assert read[10] == 'refused: holds "abc", which is not a number'
    assert read[11] == 'refused: holds "1/0", which divides by zero'
    assert read[12].startswith("refused")
    # A cell shows a value as the lesson does: exact while readable, else two digits.
    rng = random.Random(7)
    values = [Fraction(rng.randint(-(10**6), 10**6), rng.randint(1, 10**5)) for _ in range(300)]
    shown = page.evaluate(
        "(xs) => xs.map(x => window.explainerExact.display(window.explainerExact.parse(x)))",
        [str(v) for v in values],
    )
    assert shown == [display(v) for v in values]


# ----- the playground as a learner uses it -------------------------------------------------


def _open_playground(page) -> None:
    page.click("#play-button")
    page.wait_for_selector("#playground #pg-result .cell")


def _cell(page, grid: str, r: int, c: int):
    return page.locator(f'#pg-{grid} input[data-r="{r}"][data-c="{c}"]')


def _result_label(page, r: int, c: int) -> str:
    return page.get_attribute(f'#pg-result .cell[data-r="{r}"][data-c="{c}"]', "aria-label")


@in_browser
def test_editing_a_kernel_cell_recomputes_the_value_worked_by_hand(open_page, tmp_path):
    page = open_page(render_page(lecture_problem()))
    _open_playground(page)
    assert page.is_hidden("#lesson") and page.is_visible("#pg-note")
    note = page.text_content("#pg-note")
    assert "narrated lesson" in note and lecture_problem().describe() in note
    # The lecture's pixel (0, 0): patch [[−1,−1,−1],[−1,1,−1],[−1,−1,1]] on the diagonal
    # filter: products −1, 1, 1, 1, 1, 1, 1, 1, 1, sum 7, divided by the area 9.
    assert _result_label(page, 0, 0) == "result row 0, column 0: 7/9"
    # w[0][0] = 0: the first product is 0, the sum 8, the value 8/9.
    _cell(page, "kernel", 0, 0).fill("0")
    assert _result_label(page, 0, 0) == "result row 0, column 0: 8/9"
    assert page.text_content("#pg-sum").endswith("8 ÷ 9 = 8/9, the value at (0, 0).")
    # w[0][0] = 1/3: −1/3 + 8 = 23/3, over 9: 23/27. As 0.5: −1/2 + 8 = 15/2, over 9: 5/6.
    _cell(page, "kernel", 0, 0).fill("1/3")
    assert _result_label(page, 0, 0) == "result row 0, column 0: 23/27"
    _cell(page, "kernel", 0, 0).fill("0.5")
    assert _result_label(page, 0, 0) == "result row 0, column 0: 5/6"
    # No normalization: the sum itself, 15/2.
    page.select_option("#pg-normalize", "none")
    assert _result_label(page, 0, 0) == "result row 0, column 0: 15/2"
    # Stride 2 on the 9×9 image: ⌊(9 − 3)/2⌋ + 1 = 4 rows and columns.
    page.fill("#pg-stride-rows", "2")
    page.fill("#pg-stride-cols", "2")
    facts = page.locator("#pg-facts li").all_text_contents()
    assert facts[0].startswith("Result 4×4: 16 values")
    rows = page.text_content('#pg-size [data-axis="rows"]')
    assert rows.replace(" ", "").endswith("=4")
    assert page.locator("#pg-result .cell").count() == 16
    # A pixel chosen by keyboard: its patch and sum follow it.
    page.focus('#pg-result .cell[tabindex="0"]')
    page.keyboard.press("ArrowRight")
    assert page.text_content("#pg-patch-title") == "Output pixel (0, 1)"
    assert page.evaluate("document.activeElement.dataset.c") == "1"
    screenshot(page, "playground-edited.png", tmp_path)
    # A link with #try opens the playground at once.
    page.goto(page.url.split("#")[0] + "#try")
    page.reload()
    page.wait_for_selector("#pg-result .cell")
    assert page.is_visible("#playground") and page.is_hidden("#lesson")
    # Back to the lesson, and its keys work again.
    page.click("#pg-back")
    assert page.is_visible("#lesson") and page.is_hidden("#playground")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.body.dataset.beat") == "1"


@in_browser
@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([("cell", "kernel", 1, 1, "")], "Kernel row 1, column 1 is empty; write an integer"),
        (
            [("cell", "image", 2, 3, "abc")],
            'Image row 2, column 3 holds "abc", which is not a number; write an integer',
        ),
        (
            [
                ("size", "#pg-image-rows", "3"),
                ("size", "#pg-image-cols", "3"),
                ("size", "#pg-kernel-rows", "5"),
                ("size", "#pg-kernel-cols", "5"),
            ],
            "The kernel (5×5) is taller than the image (3×3); use a smaller kernel",
        ),
        (
            [
                ("size", "#pg-image-rows", "2"),
                ("size", "#pg-image-cols", "2"),
                ("size", "#pg-kernel-rows", "1"),
                ("size", "#pg-kernel-cols", "1"),
                ("select", "#pg-padding", "sides"),
                ("size", "#pg-pad-top", "2"),
                ("select", "#pg-mode", "reflect"),
            ],
            "Reflect padding must be smaller than the image (2×2); got (2, 0, 0, 0).",
        ),
        (
            [("size", "#pg-image-rows", "17")],
            "The image's rows must be a whole number from 1 to 16.",
        ),
    ],
)
def test_bad_input_gives_one_message_and_no_error(open_page, steps, message):
    page = open_page(render_page(lecture_problem()))
    _open_playground(page)
    for step in steps:
        if step[0] == "cell":
            _cell(page, step[1], step[2], step[3]).fill(step[4])
        elif step[0] == "size":
            page.fill(step[1], step[2])
        else:
            page.select_option(step[1], step[2])
    shown = page.text_content("#pg-message")
    assert shown.startswith(message), shown
    assert page.is_visible("#pg-message") and page.is_hidden("#pg-output")
    assert page.locator("#playground [aria-invalid='true']").count() <= 1
    # Put right, the numbers come back and the message goes.
    page.click("#pg-reset")
    assert page.is_hidden("#pg-message") and page.is_visible("#pg-output")
    assert _result_label(page, 0, 0) == "result row 0, column 0: 7/9"


SIZES = """() => {
  const cells = [...document.querySelectorAll('#playground svg .cell rect.fill')]
    .map(r => r.getBoundingClientRect()).filter(b => b.width > 0);
  const inputs = [...document.querySelectorAll(
      '#playground input, #playground select, #playground button')]
    .map(n => n.getBoundingClientRect()).filter(b => b.width > 0);
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    cell: Math.min(...cells.map(b => b.width)),
    target: Math.min(...inputs.map(b => Math.min(b.width, b.height))),
  };
}"""


CONTRAST = """(root) => {
  const rgb = (hex) => [1, 3, 5].map(k => parseInt(hex.slice(k, k + 2), 16) / 255)
    .map(x => x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4);
  const lum = (hex) => { const [r, g, b] = rgb(hex); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let least = 21;
  const cells = document.querySelectorAll(`${root} .cell`);
  if (!cells.length) return 0;
  for (const cell of cells) {
    const fill = cell.querySelector('rect.fill'), text = cell.querySelector('text');
    if (!text || getComputedStyle(fill).fillOpacity !== '1') return 0;
    const [a, b] = [lum(fill.getAttribute('fill')), lum(text.getAttribute('fill'))]
      .sort((x, y) => y - x);
    least = Math.min(least, (a + 0.05) / (b + 0.05));
  }
  return least;
}"""


@in_browser
def test_numbers_on_border_cells_keep_their_contrast_in_the_lesson_too(open_page):
    problem = Problem(preset("square"), preset("sobel-x"), padding=2, padding_mode="replicate")
    page = open_page(render_page(problem))
    assert page.locator("#image-grid .cell.pad").count() > 0
    assert page.evaluate(CONTRAST, "#image-grid") >= 4.5


@in_browser
@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800), (1920, 1080)])
def test_the_playground_fits_a_phone_and_a_projector(open_page, tmp_path, width, height):
    problem = Problem(
        [[(r * 7 + c * 3) % 5 - 2 for c in range(16)] for r in range(16)],
        [[Fraction(1, 3), -1, 0], [2, Fraction(-5, 7), 1], [0, 1, -1]],
        padding="same",
        padding_mode="reflect",
    )
    page = open_page(render_page(problem))
    page.set_viewport_size({"width": width, "height": height})
    _open_playground(page)
    page.wait_for_timeout(100)
    s = page.evaluate(SIZES)
    assert s["overflow"] <= 0, f"the page scrolls sideways by {s['overflow']} px"
    assert s["cell"] >= 24 and s["target"] >= 24, s
    # Every number on its cell at 4.5:1 at least, the dimmed border cells' too (WCAG).
    assert page.evaluate(CONTRAST, "#playground") >= 4.5
    # The reflected border and one pixel's products, as Python's trace has them.
    trace = build_trace(problem)
    titles = "(id) => [...document.querySelectorAll(`#${id} .cell title`)].map(t => t.textContent)"
    padded = [shown(v) for row in trace.padded_image for v in row]
    assert page.evaluate(titles, "pg-padded") == padded
    page.click('#pg-result .cell[data-r="15"][data-c="0"]')
    assert page.evaluate(titles, "pg-products-grid") == [
        shown(v) for v in trace.step(15, 0).products
    ]
    screenshot(page, f"playground-{width}x{height}.png", tmp_path)


@in_browser
def test_axe_finds_nothing_in_the_playground(open_page):
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    page = open_page(render_page(Problem(preset("square"), preset("sobel-x"), flip=True)))
    _open_playground(page)
    found = {"open": axe.run(page).response["violations"]}
    _cell(page, "kernel", 0, 0).fill("x")
    found["refused"] = axe.run(page).response["violations"]
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("#pg-reset")
    found["phone"] = axe.run(page).response["violations"]
    bad = {
        k: [f"{v['id']}: {v['help']} {v['nodes'][0]['target']}" for v in vs]
        for k, vs in found.items()
        if vs
    }
    assert not bad, bad


# ----- what the page gives the playground to start from (no browser) -----------------------


def test_the_playground_starts_from_the_page_problem_cut_to_its_limits():
    flipped = Problem(preset("square"), preset("sobel-x"), padding="same", stride=2, flip=True)
    start = page_data(build_script(flipped), derive=False)["playground"]
    assert start["kernel"] == [["-1", "0", "1"], ["-2", "0", "2"], ["-1", "0", "1"]]  # as given
    assert start["padding"] == "same" and start["stride"] == [2, 2] and start["flip"]
    assert start["cut"] == [] and start["limits"]["image"] == PLAYGROUND["image"]
    big = Problem([[Fraction(k % 5, 3) for k in range(20)] for _ in range(18)], [[1]])
    start = page_data(build_script(big), derive=False)["playground"]
    assert len(start["image"]) == 16 and len(start["image"][0]) == 16
    assert start["image"][0][:3] == ["0", "1/3", "2/3"] and start["cut"] == ["image 18×20 → 16×16"]
    assert start["padding"] == [0, 0, 0, 0] and start["normalize"] == "none"
