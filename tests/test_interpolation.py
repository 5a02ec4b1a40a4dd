"""A transform's frame interpolated for all its shapes at once gives each shape the very
numbers manim's shape-by-shape interpolation gives."""

from __future__ import annotations

import numpy as np
import pytest

manim = pytest.importorskip("manim")

from scenes import interpolation  # noqa: E402
from scenes.components import label  # noqa: E402

ALPHAS = [0.0, 0.13, 0.5, 0.77, 0.999, 1.0]


def _grid():
    return manim.VGroup(
        *(
            manim.VGroup(
                manim.Square(0.5, fill_opacity=k / 12, color=manim.BLUE).shift(
                    k * 0.3 * manim.RIGHT
                ),
                label(str(k - 6), 0.2),
            )
            for k in range(12)
        )
    )


def _cases():
    """(name, animation made from a fresh copy of its shapes, batched?)"""
    return [
        ("fade in", lambda: manim.FadeIn(_grid(), shift=manim.UP), True),
        ("fade out", lambda: manim.FadeOut(_grid(), scale=0.5), True),
        (
            "animate",
            lambda: _grid().animate.shift(manim.LEFT).set_color(manim.RED).set_stroke(width=7),
            True,
        ),
        ("apply method", lambda: manim.ApplyMethod(_grid().scale, 1.7), True),
        (
            "square to circle",
            lambda: manim.Transform(
                manim.Square(fill_opacity=0.3), manim.Circle(color=manim.RED).set_sheen(0.4)
            ),
            True,
        ),
        ("lagged", lambda: manim.FadeIn(_grid(), lag_ratio=0.2), False),
        ("arc", lambda: manim.Transform(manim.Dot(), manim.Dot(manim.UP), path_arc=1.0), False),
        (
            "gradient",  # colour arrays of other lengths at start and end
            lambda: manim.Transform(
                manim.Square().set_color([manim.RED, manim.BLUE, manim.GREEN]),
                manim.Circle(color=manim.YELLOW),
            ),
            None,
        ),
    ]


def _state(animation) -> list:
    shapes = animation.mobject.family_members_with_points()
    state = []
    for shape in shapes:
        for name in ("points", *interpolation.ARRAYS, *interpolation.NUMBERS):
            value = getattr(shape, name)
            state.append((name, type(value), np.asarray(value).tobytes()))
    return state


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c[0])
def test_frames_are_manims_bit_for_bit(case, monkeypatch):
    interpolation.install()
    manims = interpolation.by_manim["interpolate_mobject"]
    _, make, batched = case
    calls = []
    together = interpolation._interpolate_together

    def counting(*args):
        calls.append(together(*args))
        return calls[-1]

    monkeypatch.setattr(interpolation, "_interpolate_together", counting)
    by_manim, batch = make(), make()
    by_manim, batch = (a.build() if hasattr(a, "build") else a for a in (by_manim, batch))
    by_manim.begin()
    batch.begin()
    for alpha in ALPHAS:
        manims(by_manim, alpha)
        batch.interpolate_mobject(alpha)
        assert _state(batch) == _state(by_manim), alpha
    if batched is True:
        assert calls and all(calls)
    elif batched is False:
        assert not calls


def _twins(make):
    twins = []
    for _ in range(2):
        animation = make()
        animation = animation.build() if hasattr(animation, "build") else animation
        animation.begin()
        twins.append(animation)
    return twins


def test_a_start_replaced_or_moved_between_frames_is_read_again():
    interpolation.install()
    manims = interpolation.by_manim["interpolate_mobject"]
    by_manim, batch = _twins(lambda: manim.FadeIn(_grid(), shift=manim.UP))
    for animation, step in ((by_manim, manims), (batch, type(batch).interpolate_mobject)):
        step(animation, 0.3)
        # A start given new points (a new array) between two frames.
        first = animation.starting_mobject.family_members_with_points()[0]
        first.points = first.points + 0.25
        step(animation, 0.6)
    assert _state(batch) == _state(by_manim)

    # Updaters run on a transform's own copies each frame, and may move them in place.
    def nudge(group, dt):
        for shape in group.family_members_with_points():
            shape.points[:, 0] += dt

    by_manim, batch = _twins(lambda: manim.FadeIn(_grid().add_updater(nudge), shift=manim.UP))
    assert interpolation.families_module.updater_added()
    for animation, step in ((by_manim, manims), (batch, type(batch).interpolate_mobject)):
        for alpha in ALPHAS:
            animation.update_mobjects(0.1)
            step(animation, alpha)
    assert _state(batch) == _state(by_manim)
