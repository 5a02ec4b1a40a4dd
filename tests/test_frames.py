"""Graphical tests in the manner of manim's own: key frames against stored control frames.

Control frames live in tests/control_data/*.npz. After an intended change of the look,
regenerate them with ``EXPLAINER_SET_FRAMES=1 ./run test tests/test_frames.py``, look at
the PNGs it writes next to them, and commit both.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scene_support import frame_difference, run_lecture

CONTROL = Path(__file__).parent / "control_data"
SETTING = os.environ.get("EXPLAINER_SET_FRAMES") == "1"

# (checkpoint, sections to run to reach it)
KEY_FRAMES = [
    ("image-and-filter", ["filter"]),
    ("products", ["multiply"]),
    ("result-map", ["sweep", "result"]),
]


@pytest.mark.parametrize("checkpoint,sections", KEY_FRAMES, ids=[k for k, _ in KEY_FRAMES])
def test_key_frame_matches_control(checkpoint, sections, tmp_path, manim_media):
    scene = run_lecture(None, sections, manim_media, frames=True)
    frame = scene.frames[checkpoint][..., :3]
    assert frame.shape == (480, 854, 3)
    path = CONTROL / f"{checkpoint}.npz"
    if SETTING:
        CONTROL.mkdir(exist_ok=True)
        np.savez_compressed(path, frame=frame)
        Image.fromarray(frame).save(path.with_suffix(".png"))
        pytest.skip(f"control frame written: {path}")
    assert path.exists(), f"no control frame {path}; set EXPLAINER_SET_FRAMES=1 to write it"
    control = np.load(path)["frame"]
    mean, share = frame_difference(frame, control)
    if mean > 1.5 or share > 0.005:
        Image.fromarray(frame).save(tmp_path / f"{checkpoint}-actual.png")
    assert mean <= 1.5 and share <= 0.005, (
        f"{checkpoint}: mean difference {mean:.2f}, {share:.2%} of pixels differ; "
        f"actual frame in {tmp_path}"
    )


def test_frame_comparison_notices_a_change(tmp_path):
    """The tolerance is not so loose that a wrong number would pass."""
    control = np.load(CONTROL / "products.npz")["frame"]
    changed = control.copy()
    changed[120:150, 600:640] = 255 - changed[120:150, 600:640]  # one product cell altered
    mean, share = frame_difference(changed, control)
    assert share > 0.001 or mean > 1.5


# ----- every value a sentence names is written on screen while it is said --------------------

SPOKEN_PROBLEMS = {
    # A PNG's values are decimals (0.098, −0.57): the widest numbers a cell must hold.
    "png": ("--image {png}", ["one-dimension", "multiply", "add", "contrast", "sweep"]),
    "sobel-same-stride": (
        "--image square --kernel sobel-x --padding same --stride 2",
        ["one-dimension", "multiply", "add", "contrast", "result"],
    ),
    "reflect-dilated-flipped": (
        "--image x --kernel diagonal --padding 2 --padding-mode reflect --dilation 2 --flip",
        ["one-dimension", "multiply", "add"],
    ),
}
MIN_DIGIT_PIXELS = 8


def _stroke_png(path: Path) -> Path:
    """A 10×12 grey PNG with a bright diagonal stroke and a few dark pixels."""
    pixels = np.full((10, 12), 140, dtype=np.uint8)
    for k in range(10):
        pixels[k, k], pixels[k, min(11, k + 1)] = 255, 200
    pixels[2, 8], pixels[7, 2], pixels[5, 10] = 0, 30, 90
    Image.fromarray(pixels, "L").save(path)
    return path


@pytest.mark.parametrize("name", list(SPOKEN_PROBLEMS))
def test_values_a_sentence_names_are_written_while_it_is_said(name, tmp_path, manim_media):
    """Each number in a beat's ``values`` is drawn as text (a label or TeX, not the
    caption) at least 8 px tall at 480p at some moment while its sentence is said, written
    as the caption writes it (rounded decimals to the caption's precision)."""
    import warnings

    from scene_support import numbers_drawn

    from explainer.present import numbers
    from explainer.request import problem_from_argument_string

    args, sections = SPOKEN_PROBLEMS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the PNG's scaling is announced
        problem = problem_from_argument_string(args.format(png=_stroke_png(tmp_path / "s.png")))
    seen: dict[str, dict[str, float]] = {}

    def collect(scene) -> None:
        beat = scene.current_beat
        if beat is not None:
            drawn = seen.setdefault(beat.key, {})
            for text, pixels in numbers_drawn(scene).items():
                drawn[text] = max(drawn.get(text, 0.0), pixels)

    scene = run_lecture(problem, sections, manim_media, on_beat=collect)
    style = scene.lesson.style
    missing = []
    checked = 0
    for beat in scene.lesson.script.beats():
        if beat.section not in sections:
            continue
        drawn = seen.get(beat.key, {})
        for value in beat.values:
            written = {numbers.display(value, style), numbers.display(value, style.exact())}
            tallest = max(drawn.get(w, 0.0) for w in written)
            checked += 1
            if tallest < MIN_DIGIT_PIXELS:
                missing.append(f"{beat.key}: {'/'.join(sorted(written))} ({tallest:.1f} px)")
    assert checked >= 10
    assert not missing, missing
