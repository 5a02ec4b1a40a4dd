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
def test_key_frame_matches_control(checkpoint, sections, tmp_path):
    scene = run_lecture(None, sections, tmp_path, frames=True)
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
