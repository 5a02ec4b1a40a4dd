"""A legibility budget for every frame of nine problems a teacher might render.

Each problem is run through every section without writing a video (manim's dry run), and
after every animation the stage is checked: everything inside the frame, every number
tall enough to read at 480p, no two texts and no two grids on top of each other, nothing
left over from the previous section, and never a stage with nothing but a caption. The
same dry runs check test_scenes' rule too: everything inside the frame and clear of the
captions (scene_support.inside_frame_and_clear_of_captions), one run for both.
"""

from __future__ import annotations

import numpy as np
import pytest
from manim import MathTex
from PIL import Image
from scene_support import (
    FRAME_HALF_H,
    FRAME_HALF_W,
    inside_frame_and_clear_of_captions,
    run_lecture,
)

from explainer import Problem, lecture_problem, preset
from explainer.files.inputs import read_png
from scenes.components import Label, ValueGrid

PIXELS_PER_UNIT_480P = 480 / 8.0
MIN_NUMBER_PX = 8.0  # digits shorter than this cannot be read on a 480p frame


def legibility_problems(folder) -> dict[str, Problem]:
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:20, 0:20]
    ring = ((np.hypot(yy - 9.5, xx - 9.5) > 4) & (np.hypot(yy - 9.5, xx - 9.5) < 7)).astype(int)
    ramp = (np.add.outer(np.arange(12), np.arange(12)) * 11 % 256).astype(np.uint8)
    Image.fromarray(ramp, mode="L").save(folder / "ramp.png")
    from fractions import Fraction

    png = read_png(folder / "ramp.png", (Fraction(-1), Fraction(1)))
    P = preset
    return {
        "lecture": lecture_problem(),
        "sobel-same-stride2": Problem(P("square"), P("sobel-x"), padding="same", stride=2),
        "asymmetric-dilated-flip": Problem(P("x"), P("asymmetric"), dilation=2, flip=True),
        "ring20-gaussian-sum": Problem(ring, P("gaussian-blur"), normalize="sum"),
        "one-tap": Problem(P("x"), [[2]]),
        "5x5-on-7x7": Problem(rng.integers(-2, 3, (7, 7)), rng.integers(-1, 2, (5, 5))),
        "reflect": Problem(P("gradient"), P("sharpen"), padding=1, padding_mode="reflect"),
        "png12": Problem(png, P("gaussian-blur")),
        "fractions-dilated-flip-area": Problem(
            [[Fraction(v, 4) for v in range(7)] for _ in range(7)],
            [[1, -1], [-1, 1]],
            dilation=2,
            flip=True,
            normalize="area",
        ),
    }


NAMES = [
    "lecture",
    "sobel-same-stride2",
    "asymmetric-dilated-flip",
    "ring20-gaussian-sum",
    "one-tap",
    "5x5-on-7x7",
    "reflect",
    "png12",
    "fractions-dilated-flip-area",
]


def _visible(m) -> bool:
    return bool(len(m.points)) and (
        m.get_fill_opacity() > 0.05 or (m.get_stroke_opacity() > 0.05 and m.stroke_width > 0)
    )


# Boxes measured during one beat (the checks ask for the same mobjects' boxes again and
# again: a tenth of a dry run's time); emptied at every beat, when things may have moved.
_BOXES: dict[int, tuple[object, np.ndarray | None]] = {}


def _box(m) -> np.ndarray | None:
    known = _BOXES.get(id(m))
    if known is not None and known[0] is m:
        return known[1]
    pts = [f.points for f in m.get_family() if _visible(f)]
    box = None
    if pts:
        allp = np.concatenate(pts)
        box = np.array([*allp.min(axis=0)[:2], *allp.max(axis=0)[:2]])
    _BOXES[id(m)] = (m, box)
    return box


def _texts(scene, overlays: bool = False) -> list:
    """Every visible text on stage: labels and formulas (not the parts of a formula).
    Texts laid over cells on purpose (badges, weights) count only with ``overlays``:
    they must be readable, but they may cover a cell's number."""
    found = []
    for top in scene.mobjects:
        for m in top.get_family():
            if isinstance(m, (Label, MathTex)) and _box(m) is not None:
                if overlays or not getattr(m, "overlay", False):
                    found.append(m)
    return found


def _among(m, objects: list) -> bool:
    return any(m is o for o in objects)


def _overlapping_pairs(boxes: np.ndarray, margin: float) -> list[tuple[int, int]]:
    """Pairs of boxes (x0, y0, x1, y1) that overlap by more than ``margin`` on both axes."""
    if len(boxes) < 2:
        return []
    x0, y0, x1, y1 = (boxes[:, k] for k in range(4))
    w = np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :])
    h = np.minimum(y1[:, None], y1[None, :]) - np.maximum(y0[:, None], y0[None, :])
    hit = (w > margin) & (h > margin)
    np.fill_diagonal(hit, False)
    i, j = np.nonzero(np.triu(hit))
    return list(zip(i.tolist(), j.tolist(), strict=True))


class Inspector:
    """Checks the stage after every animation; collects what it finds."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.seen: set[str] = set()
        self.section_start: dict[str, list] = {}
        self.current: str | None = None
        self.first_beat_checked = True

    def fail(self, scene, what: str) -> None:
        """Record a finding once, at the first time it is seen."""
        key = f"[{self.current}] {what}"
        if key not in self.seen:
            self.seen.add(key)
            self.failures.append(f"t={scene.time:.1f} {key}")

    def __call__(self, scene) -> None:
        _BOXES.clear()
        self._frame(scene)
        self._numbers(scene)
        self._text_overlaps(scene)
        self._grid_overlaps(scene)
        self._leftovers(scene)
        self._not_empty(scene)

    def _frame(self, scene) -> None:
        for m in scene.mobjects:
            box = _box(m)
            if box is None:
                continue
            if (
                box[0] < -FRAME_HALF_W
                or box[2] > FRAME_HALF_W
                or box[1] < -FRAME_HALF_H
                or (box[3] > FRAME_HALF_H)
            ):
                self.fail(scene, f"{type(m).__name__} {getattr(m, 'text', '')!r} leaves the frame")

    def _numbers(self, scene) -> None:
        for m in _texts(scene, overlays=True):
            if isinstance(m, Label):
                if m.carries_number and m.height * PIXELS_PER_UNIT_480P < MIN_NUMBER_PX:
                    px = m.height * PIXELS_PER_UNIT_480P
                    self.fail(scene, f"number {m.text!r} only {px:.1f} px tall at 480p")
            elif any(ch.isdigit() for ch in m.tex_string):
                heights = [g.height for g in m.family_members_with_points()]
                px = float(np.median(heights)) * PIXELS_PER_UNIT_480P
                if px < MIN_NUMBER_PX:
                    self.fail(scene, f"formula {m.tex_string[:30]!r} glyphs {px:.1f} px at 480p")

    def _text_overlaps(self, scene) -> None:
        texts = _texts(scene)
        boxes = np.array([_box(m) for m in texts])
        for i, j in _overlapping_pairs(boxes, margin=0.02):
            a, b = texts[i], texts[j]
            if a in b.get_family() or b in a.get_family():
                continue
            name = lambda m: getattr(m, "text", None) or m.tex_string[:20]  # noqa: E731
            self.fail(scene, f"texts overlap: {name(a)!r} and {name(b)!r}")

    def _grid_overlaps(self, scene) -> None:
        grids = [m for m in scene.mobjects if isinstance(m, ValueGrid) and _box(m) is not None]
        boxes = np.array([_box(g) for g in grids]) if grids else np.zeros((0, 4))
        for _ in _overlapping_pairs(boxes, margin=0.02):
            self.fail(scene, "two grids overlap")

    def _leftovers(self, scene) -> None:
        """At a section's first caption, only the pieces it inherits on purpose remain."""
        section = scene.renderer.file_writer.sections[-1].name
        if section != self.current:
            self.current = section
            self.first_beat_checked = False
        if self.first_beat_checked or scene._caption is None:
            return
        self.first_beat_checked = True
        kept = {id(f) for v in scene.stage.values() for f in getattr(v, "get_family", list)()}
        allowed = kept | {id(scene._caption), id(scene._heading)}
        for m in scene.mobjects:
            if id(m) not in allowed and _box(m) is not None and _among(m, self._previous):
                self.fail(scene, f"{type(m).__name__} {getattr(m, 'text', '')!r} left over")

    @property
    def _previous(self) -> list:
        return self.section_start.get(self.current, [])

    def _not_empty(self, scene) -> None:
        others = [
            m
            for m in scene.mobjects
            if m is not scene._caption and m is not scene._heading and _box(m) is not None
        ]
        if scene._caption is not None and not others:
            self.fail(scene, f"only a caption on stage: {scene._caption.text[:40]!r}")


@pytest.fixture(scope="module")
def problems(tmp_path_factory):
    return legibility_problems(tmp_path_factory.mktemp("inputs"))


@pytest.mark.parametrize("name", NAMES)
def test_every_frame_is_legible(problems, name, manim_media):
    inspector = Inspector()

    def snapshot(scene, section):
        # The objects themselves, not their ids: an id can be reused once an object is gone.
        inspector.section_start[section] = list(scene.mobjects)

    framed: list[str] = []  # and test_scenes' checks, in the same run

    def on_beat(scene):
        inspector(scene)
        inside_frame_and_clear_of_captions(scene, framed)

    run_lecture(problems[name], (), manim_media, on_beat=on_beat, on_section=snapshot)
    _BOXES.clear()
    assert not inspector.failures, "\n".join(inspector.failures[:25])
    assert not framed, "\n".join(list(dict.fromkeys(framed))[:25])
