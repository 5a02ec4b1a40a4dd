"""The lecture's scenes: numbers come from the trace, layout stays inside the frame."""

from __future__ import annotations

import numpy as np
from reference import plain_loop
from scene_support import (
    inside_frame_and_clear_of_captions,
    run_lecture,
    screen_number,
    texts_on_screen,
)

from explainer import Problem

OTHER_IMAGE = [[3, 0, -2, 1, 4], [1, 5, 0, -1, 2], [0, 2, 2, 3, -3], [4, -1, 1, 0, 1]]
OTHER_KERNEL = [[2, -1], [0, 1]]


def test_numbers_on_screen_follow_a_different_problem(manim_media):
    """Render for another image and kernel: every value, product and sum shown must be
    the one a plain loop gives for that problem (nothing is baked into the scenes)."""
    problem = Problem(OTHER_IMAGE, OTHER_KERNEL)
    seen: set[str] = set()
    scene = run_lecture(
        problem,
        ["multiply", "add", "sweep"],
        manim_media,
        on_beat=lambda s: seen.update(texts_on_screen(s)),
    )
    expected = plain_loop(OTHER_IMAGE, OTHER_KERNEL)
    cells = scene.stage["result_cells"]
    shown = [c.text for c in cells]
    assert shown == [screen_number(v) for row in expected for v in row]

    # The patch multiplied out is the best match, found here independently.
    flat = [(v, i, j) for i, row in enumerate(expected) for j, v in enumerate(row)]
    best_value = max(v for v, _, _ in flat)
    i, j = next((i, j) for v, i, j in flat if v == best_value)
    products = [OTHER_IMAGE[i + m][j + n] * OTHER_KERNEL[m][n] for m in range(2) for n in range(2)]
    assert f"({i},{j})" in " ".join(seen)  # manim's Text.text drops spaces
    for k, p in enumerate(products):
        x, w = OTHER_IMAGE[i + k // 2][j + k % 2], OTHER_KERNEL[k // 2][k % 2]
        fx = f"({screen_number(x)})" if x < 0 else screen_number(x)
        fw = f"({screen_number(w)})" if w < 0 else screen_number(w)
        assert {fx, "·", fw, "=", screen_number(p)} <= seen
    total = sum(products)
    terms = [
        screen_number(p) if k == 0 or p >= 0 else f"({screen_number(p)})"
        for k, p in enumerate(products)
    ]
    # The sum is written one kernel row per line, as on a board.
    assert "+".join(terms[:2]) in seen
    assert "+" + "+".join(terms[2:]) + f"={screen_number(total)}" in seen


def test_lecture_shows_the_exact_values_and_four_matches(manim_media):
    captions: list[str] = []
    seen: set[str] = set()
    kept: dict[str, list[str]] = {}

    def beat(s):
        captions.append(s._caption.text if s._caption else "")
        seen.update(texts_on_screen(s))
        for key in ("result_cells", "filled"):
            if key in s.stage:
                kept[key] = [c.text for c in s.stage[key]]

    run_lecture(None, ["multiply", "add", "sweep", "result"], manim_media, on_beat=beat)
    shown = kept["result_cells"]
    assert shown.count("1") == 4 and shown[0] == "7/9" and shown.count("−1/9") == 16
    assert any("fourpixelsequalto1" in c.replace("\n", "") for c in captions)
    assert kept["filled"] == ["1"] * 9
    assert {"1+1+1", "+1+1+1", "+1+1+1=9", "9÷9=1"} <= seen


# Every section inside the frame and clear of the captions, for the lecture's problem and
# eight others (a padded strided Sobel, a 20×20 ring, Fractions with dilation, flip and
# area normalization, ...): checked in test_layout's dry runs, with its legibility checks.


def test_sections_rendered_alone_start_from_a_clean_stage(manim_media):
    failures: list[str] = []
    problem = Problem(np.ones((20, 20), dtype=int), [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    run_lecture(
        problem,
        ("multiply", "sweep", "notation"),
        manim_media,
        on_beat=lambda s: inside_frame_and_clear_of_captions(s, failures),
    )
    assert not failures, "\n".join(dict.fromkeys(failures))
