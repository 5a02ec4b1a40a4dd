"""Labels laid out by OutlineText have manim's own glyph points, bit for bit."""

from __future__ import annotations

import random

import pytest

manim = pytest.importorskip("manim")

from scenes import glyphs  # noqa: E402
from scenes.components import FONT  # noqa: E402

ALPHABET = "abcxyzXKW0123456789 −-+×÷·=()[],./½⅓·→ñé\n"


def _outlines(mobject) -> list[bytes]:
    return [m.points.tobytes() for m in mobject.family_members_with_points()]


def _cases(rng: random.Random) -> list[tuple[str, float, str, dict]]:
    fixed = [
        ("Each output pixel is the sum of nine products, divided by 9.", 30.0, "NORMAL", {}),
        ("Four pixels are exactly 1:\nwhere the X is", 30.0, "NORMAL", {"line_spacing": 0.8}),
        ("−1/9", 14.0, "BOLD", {}),
        ("1", 40.0, "NORMAL", {}),
    ]
    drawn = []
    for _ in range(12):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 30))).strip() or "x"
        extra = {"line_spacing": 0.8} if "\n" in text else {}
        size, weight = rng.choice([14.0, 22.5, 30.0, 48.0]), rng.choice(["NORMAL", "BOLD"])
        drawn.append((text, size, weight, extra))
    return fixed + drawn


def test_outline_text_has_manims_points_bit_for_bit(tmp_path):
    rng = random.Random(3)
    glyphs._read.clear()
    with manim.tempconfig({"media_dir": str(tmp_path), "verbosity": "ERROR"}):
        for text, size, weight, extra in _cases(rng):
            options = {"font": FONT, "font_size": size, "weight": weight, **extra}
            expected = _outlines(manim.Text(text, **options))
            assert _outlines(glyphs.OutlineText(text, **options)) == expected, text
            # Again, every glyph's path data now read before: the same points.
            assert _outlines(glyphs.OutlineText(text, **options)) == expected, text
    assert len(glyphs._read) > 40  # path data was kept, and read back


def test_path_data_kept_is_bounded(monkeypatch, tmp_path):
    monkeypatch.setattr(glyphs, "KEPT_PATHS", 5)
    glyphs._read.clear()
    with manim.tempconfig({"media_dir": str(tmp_path), "verbosity": "ERROR"}):
        text = "abcdefghij"
        expected = _outlines(manim.Text(text, font=FONT))
        assert _outlines(glyphs.OutlineText(text, font=FONT)) == expected
    assert len(glyphs._read) == 5
