"""The generic stage, with the layer lesson: its boards, page, handout and scenes.

Every value a board shows is compared with an independent computation from the stack's raw
arrays: scipy's correlate2d summed over channels, plus the bias, ReLU as a comparison, and
max pooling as a plain loop. Nothing of the engine, the trace or the writer is used for
the expected values.
"""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction

import numpy as np
import pytest
from stage_support import expected_grids, launch_browser, open_page, tables

from explainer.cli import main
from explainer.lessons.layer import build_script
from explainer.lessons.layer.words import default_stack
from explainer.lessons.layer_claims import KernelValues, MapValues
from explainer.lessons.layer_verifier import verify_layer_claims
from explainer.outputs.lesson_handout import lesson_handout_latex, tex_text
from explainer.outputs.lesson_page import lesson_page_data, render_lesson_page

browser = pytest.fixture(scope="module")(launch_browser)


@pytest.fixture(scope="module")
def layer():
    stack = default_stack()
    return stack, build_script(stack), expected_grids(stack)


def test_every_beat_has_a_board_and_every_grid_is_the_independent_computation(layer):
    stack, script, expected = layer
    for beat in script.beats():
        assert beat.board is not None and beat.board.grids, beat.key
        for key in beat.board.grids:
            got = np.array(script.grids[key].values, dtype=object)
            assert got.tolist() == expected[key].tolist(), key
    assert set(script.grids) <= set(expected)


def test_boards_point_at_what_the_sentences_say(layer):
    _, script, expected = layer
    # maps.strongest: the cells holding each map's maximum, found here by argmax.
    board = script.beat("maps.strongest").board
    for o in range(3):
        plane = expected[f"pre1.{o}"]
        where = {tuple(int(v) for v in p) for p in np.argwhere(plane == plane.max())}
        assert set(board.marked(f"pre1.{o}", "focus")) == where
    # bias.element speaks of element (0, 1, 1): its 3×3 window on the input, rows and
    # columns 1..3, and y = 9 + (−1) = 8 (the diagonal filter over the X's diagonal).
    board = script.beat("bias.element").board
    assert set(board.marked("input.0", "window")) == {(r, c) for r in (1, 2, 3) for c in (1, 2, 3)}
    assert board.marked("pre1.0", "result") == ((1, 1),) and expected["pre1.0"][1, 1] == 8
    assert "= 9 + (−1) = 8" in board.formula
    # pooling.rule: the first window of map 0, the 8 it keeps at (1, 1).
    board = script.beat("pooling.rule").board
    assert set(board.marked("act1.0", "window")) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert board.marked("act1.0", "chosen") == ((1, 1),)
    assert expected["pool1.0"][0, 0] == 8
    # pooling.edge: rounding down leaves row 6 and column 6 of the 7×7 map unread.
    board = script.beat("pooling.edge").board
    unread = {(r, c) for r in range(7) for c in range(7) if r == 6 or c == 6}
    assert set(board.marked("act1.0")) == unread
    # channels.partials shows the three partial maps, which add up to y − b.
    board = script.beat("channels.partials").board
    assert board.grids == ("part2.0.0", "part2.0.1", "part2.0.2")
    total = sum(expected[k] for k in board.grids)
    assert (total - 16).tolist() == expected["pre2.0"].tolist()


def test_with_ceil_mode_the_edge_board_marks_the_partial_windows(tmp_path):
    from explainer.cli.parser import build_parser
    from explainer.layer_request import stack_from_args

    args = build_parser().parse_args(["script", "--lesson", "layer", "--ceil-mode"])
    script = build_script(stack_from_args(args))
    board = script.beat("pooling.edge").board
    # 7 cells pooled 2 by 2 with ceil mode: the 4th window of a row or column holds only
    # cell 6, so the partial windows cover exactly row 6 and column 6.
    partial = {(r, c) for r in range(7) for c in range(7) if r == 6 or c == 6}
    assert set(board.marked("act1.0", "window")) == partial
    assert script.grids["pool1.0"].shape == (4, 4)


def test_a_grid_the_boards_show_is_checked_by_the_verifier(layer):
    stack, script, expected = layer
    claims = [c for b in script.beats() for c in b.claims]
    assert any(isinstance(c, KernelValues) for c in claims)
    assert {c.stage for c in claims if isinstance(c, MapValues)} >= {"input", "sum", "pooled"}
    wrong = expected["w1.0.0"].tolist()
    wrong[0][0] = -wrong[0][0]
    report = verify_layer_claims(
        stack,
        [
            KernelValues(1, 0, 0, tuple(map(tuple, wrong))),
            MapValues(1, 0, "sum", tuple(map(tuple, (expected["sum1.0"] + 1).tolist()))),
            MapValues(1, 0, "sum", tuple(map(tuple, expected["sum1.0"].tolist()))),
        ],
    )
    assert [r.holds for r in report.results] == [False, False, True]


def test_cell_details_give_each_channels_partial_sum(layer):
    _, script, expected = layer
    # Element (0, 0, 0) of layer 2: 12 + 2 + 16 = 30, then −16: 14 (the partial maps' cells).
    parts = [int(expected[f"part2.0.{c}"][0, 0]) for c in range(3)]
    assert parts == [12, 2, 16]
    assert script.grids["act2.0"].detail(0, 0) == (
        "ch 0: 12, ch 1: 2, ch 2: 16; sum = 30; + bias (−16) = 14; ReLU → 14"
    )


def test_the_page_data_holds_every_grid_a_board_names_with_exact_values(layer):
    _, script, expected = layer
    data = lesson_page_data(script)
    assert len(data["beats"]) == len(list(script.beats()))
    for beat in data["beats"]:
        for key in beat["grids"]:
            g = data["grids"][key]
            values = [int(c[1].replace("−", "-")) for c in g["cells"]]
            assert values == [int(v) for v in expected[key].flatten()], key
    html = render_lesson_page(script)
    assert "http" not in html.split("<body")[0] and "<script src" not in html


def test_tex_text_maps_every_symbol_the_lessons_write():
    assert tex_text("⌈(7 − 2) / 2⌉ + 1 = 4 – …") == (
        r"$\lceil$(7 $-$ 2) / 2$\rceil$ + 1 = 4 -- \dots{}"
    )
    assert tex_text("☃") == "[U+2603]"  # never raw Unicode for pdflatex


@pytest.mark.parametrize("name", ["layer", "backward", "transposed"])
def test_every_symbol_of_each_lessons_default_script_has_its_tex(name):
    from explainer.backward_request import default_backward, default_transposed
    from explainer.lessons import lesson

    problem = {"layer": default_stack, "backward": default_backward}.get(name, default_transposed)()
    tex = lesson_handout_latex(lesson(name).build_script(problem))
    assert "[U+" not in tex, tex[tex.index("[U+") - 80 : tex.index("[U+") + 20]


def test_the_layer_handout_latex_holds_every_sentence(layer):
    _, script, _ = layer
    tex = lesson_handout_latex(script)
    for beat in script.beats():
        assert tex_text(beat.caption) in tex


def test_cli_page_handout_and_render_options_for_the_layer_lesson(tmp_path, capsys):
    out = tmp_path / "layer.html"
    assert main(["page", "--lesson", "layer", "--pool", "avg", "--ceil-mode", "-o", str(out)]) == 0
    assert "Average pooling" in out.read_text(encoding="utf-8")
    assert (
        main(["handout", "--lesson", "layer", "--patch", "1,1", "-o", str(tmp_path / "h.pdf")]) == 2
    )
    assert not (tmp_path / "h.pdf").exists()
    assert main(["render", "--lesson", "layer", "--list-sections"]) == 0
    assert "pooling" in capsys.readouterr().out


# ----- the handout, compiled ---------------------------------------------------------------


@pytest.mark.tex
@pytest.mark.skipif(
    shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
    reason="pdflatex and pdftotext are installed by scripts/bootstrap.sh",
)
def test_the_layer_handout_compiles_and_holds_the_derivation(tmp_path):
    target = tmp_path / "layer.pdf"
    assert main(["handout", "--lesson", "layer", "-o", str(target)]) == 0
    text = subprocess.run(
        ["pdftotext", "-raw", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout.replace("−", "-")
    assert "One element, derived" in text
    # The first pooled element: max(6, 0, 0, 8) = 8, and element (0, 1, 1)'s nine +1s.
    assert "max(6, 0, 0, 8) = 8" in text
    assert "1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 = 9" in text
    assert "30 parameters to learn" in text
    assert target.with_suffix(".tex").exists()


# ----- the page in a browser ----------------------------------------------------------------


@pytest.mark.browser
def test_the_layer_page_steps_through_every_beat_and_shows_its_grids(browser, tmp_path, layer):
    _, script, expected = layer
    page, asked = open_page(browser, tmp_path, render_lesson_page(script), 1440, 900)
    beats = list(script.beats())
    for k, beat in enumerate(beats):
        assert page.text_content("#caption") == beat.caption
        shown = tables(page)
        assert list(shown) == list(beat.board.grids), beat.key
        for key, table in shown.items():
            assert table["label"] == script.grids[key].label
            values = [[int(t.replace("−", "-")) for t in row] for row in table["rows"]]
            assert values == expected[key].tolist(), (beat.key, key)
        for mark in beat.board.marks:
            for r, c in mark.cells:
                cell = f'table[data-key="{mark.grid}"] td[data-r="{r}"][data-c="{c}"]'
                assert f"m-{mark.kind}" in page.get_attribute(cell, "class")
        if k < len(beats) - 1:
            page.click("#next")
    assert page.is_disabled("#next")
    page.keyboard.press("Home")
    assert page.text_content("#caption") == beats[0].caption
    page.keyboard.press("ArrowRight")
    assert page.text_content("#caption") == beats[1].caption
    assert not asked


@pytest.mark.browser
def test_a_cell_shows_its_value_and_sums_by_hover_and_by_keyboard(browser, tmp_path, layer):
    _, script, _ = layer
    page, _ = open_page(browser, tmp_path, render_lesson_page(script), 1440, 900)
    n = [b.key for b in script.beats()].index("channels.element") + 1
    page.goto(page.url.split("#")[0] + f"#{n}")
    page.reload()
    page.hover('table[data-key="pre2.0"] td[data-r="0"][data-c="0"]')
    assert page.text_content("#detail") == (
        "layer 2 map 0, 2×2 (0, 0) = 14: ch 0: 12, ch 1: 2, ch 2: 16; sum = 30; + bias (−16) = 14"
    )
    page.focus('table[data-key="pre2.0"] td[tabindex="0"]')
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    active = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert active == "layer 2 map 0, 2×2, row 1, column 1: 28"
    assert page.text_content("#detail").startswith("layer 2 map 0, 2×2 (1, 1) = 28")


@pytest.mark.browser
@pytest.mark.parametrize("size", [(390, 844), (1920, 1080)])
def test_the_layer_page_fits_and_axe_finds_nothing(browser, tmp_path, layer, size):
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    _, script, _ = layer
    page, _ = open_page(browser, tmp_path, render_lesson_page(script), *size)
    found = {}
    for key in ("title.question", "bias.element", "relu.zeroes", "pooling.rule"):
        n = [b.key for b in script.beats()].index(key) + 1
        page.goto(page.url.split("#")[0] + f"#{n}")
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0], key
        # Every cell at least 24 px, or its grid scrolls inside its own box.
        small = page.evaluate(
            """() => [...document.querySelectorAll('td')].filter(d => {
                const r = d.getBoundingClientRect();
                return r.width < 24 || r.height < 24;}).length"""
        )
        assert small == 0, key
        violations = axe.Axe().run(page).response["violations"]
        found[key] = [f"{v['id']}: {v['nodes'][0]['target']}" for v in violations]
        if size[0] == 390:
            page.screenshot(path=str(tmp_path / f"{key}.png"), full_page=True)
    assert not any(found.values()), found


# ----- the scenes ---------------------------------------------------------------------------


def _dry_run(stack, sections):
    from manim import tempconfig
    from scene_support import FRAME_HALF_H, FRAME_HALF_W, leaves, texts_on_screen

    from scenes.board import board_scene

    seen: list[list[str]] = []

    class Probe(board_scene("layer", stack, voice_name="none", sections=sections)):
        def wait(self, *args, **kwargs):
            super().wait(*args, **kwargs)
            seen.append(texts_on_screen(self))
            for m in leaves(self.mobjects):  # everything drawn stays inside the frame
                (x0, y0, _), (x1, y1, _) = m.get_corner([-1, -1, 0]), m.get_corner([1, 1, 0])
                assert -FRAME_HALF_W <= x0 and x1 <= FRAME_HALF_W, getattr(m, "text", m)
                assert -FRAME_HALF_H <= y0 and y1 <= FRAME_HALF_H, getattr(m, "text", m)

    settings = {"dry_run": True, "quality": "low_quality", "disable_caching": True,
                "verbosity": "ERROR", "progress_bar": "none"}  # fmt: skip
    with tempconfig(settings):
        scene = Probe(skip_animations=True)
        scene.renderer.update_frame = lambda *args, **kwargs: None
        scene.render()
    return scene, seen


@pytest.mark.video
def test_the_layer_scenes_stage_each_beat_with_its_board(layer):
    stack, script, _ = layer
    scene, seen = _dry_run(stack, ("bias", "channels"))
    keys = [b.key for _, _, b in scene.spoken]
    wanted = [b.key for s in ("bias", "channels") for b in script.section(s).beats]
    assert keys == wanted
    # While each sentence is heard, its grids' labels and its formula are on screen.
    screens = {tuple(sorted(t)) for t in seen}
    for key in ("bias.element", "channels.element"):
        board = script.beat(key).board
        need = {script.grids[g].label.replace(" ", "") for g in board.grids}
        need |= {line.replace(" ", "") for line in board.formula}
        assert any(need <= set(s) for s in screens), key


@pytest.mark.video
def test_a_short_layer_render_at_low_quality(tmp_path):
    pytest.importorskip("av")
    import av

    from scenes.render import render_lecture

    out = render_lecture(
        default_stack(), ("input",), "low", tmp_path, "layer-input", voice="none", workers=1,
        lesson="layer",
    )  # fmt: skip
    with av.open(str(out.video)) as video:
        stream = video.streams.video[0]
        assert (stream.width, stream.height) == (854, 480)
        frames = [f for f in video.decode(video=0)]
    assert len(frames) > 15
    assert "The input is one tensor of shape 1×9×9" in out.captions.read_text(encoding="utf-8")
    assert Fraction(len(frames), 15) >= 2


def test_every_board_is_laid_out_inside_the_frame_without_overlaps(layer):
    pytest.importorskip("manim")
    from scenes.board import layout
    from scenes.stage import BOTTOM, TOP

    _, script, _ = layer
    for beat in script.beats():
        grids = [script.grids[k] for k in beat.board.grids]
        places = layout(grids, TOP - 1.2, BOTTOM)
        boxes = []
        for grid, p in zip(grids, places, strict=True):
            e = 1e-6
            box = (p.bounds[0] - e, p.bounds[1] - e, p.bounds[2] + e, p.bounds[3] + e)
            rows, cols = grid.shape
            # The cells lie inside the box, the box inside the frame and the board's area.
            assert (
                box[0] <= p.center[0] - cols * p.cell / 2
                and p.center[0] + cols * p.cell / 2 <= box[2]
            )
            assert (
                box[1] <= p.center[1] - rows * p.cell / 2
                and p.center[1] + rows * p.cell / 2 <= box[3]
            )
            assert -7.1 <= box[0] and box[2] <= 7.1, (beat.key, grid.key, box)
            assert BOTTOM - e <= box[1] and box[3] <= TOP - 1.2 + 2 * e, (beat.key, grid.key)
            for other in boxes:  # no two grids share any area
                apart = box[2] <= other[0] + 2 * e or other[2] <= box[0] + 2 * e
                apart = apart or box[3] <= other[1] + 2 * e or other[3] <= box[1] + 2 * e
                assert apart, (beat.key, grid.key)
            boxes.append(box)


@pytest.mark.parametrize("name", ["backward", "transposed"])
def test_the_other_lessons_get_the_generic_page_from_their_scripts(name, tmp_path):
    from explainer.cli.parser import build_parser
    from explainer.lessons import lesson

    out = tmp_path / f"{name}.html"
    assert main(["page", "--lesson", name, "-o", str(out)]) == 0
    args = build_parser().parse_args(["script", "--lesson", name])
    from explainer.cli import LESSON_PROBLEMS

    script = lesson(name).build_script(LESSON_PROBLEMS[name](args))
    data = lesson_page_data(script)
    assert [b["caption"] for b in data["beats"]] == [b.caption for b in script.beats()]
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
