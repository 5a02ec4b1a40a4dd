"""Families listed in one loop are manim's families; updaters still run once added."""

from __future__ import annotations

import random

import pytest

manim = pytest.importorskip("manim")

from scenes import families  # noqa: E402


def _random_graph(rng: random.Random, size: int) -> list:
    """Mobjects whose submobject lists are drawn at random: shared members (reached along
    two paths), repeated members, cycles, and a member that contains itself."""
    nodes = [manim.Mobject() for _ in range(size)]
    for node in nodes:
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            # Mostly later nodes (a tree-like shape), sometimes any node (a cycle).
            low = 0 if rng.random() < 0.15 else nodes.index(node)
            node.submobjects.append(rng.choice(nodes[low:]))
    return nodes


def test_a_family_is_manims_family_on_random_graphs():
    families.install()
    manims = families.by_manim["get_family"]
    rng = random.Random(7)
    shared = cycles = 0
    for _ in range(400):
        nodes = _random_graph(rng, rng.randint(1, 14))
        for node in nodes:
            expected = manims(node)
            assert families.family(node) == expected
            assert node.get_family() == expected
            walked = []
            stack = [node]
            while stack and len(walked) < 200:
                walked.append(stack.pop())
                stack.extend(walked[-1].submobjects)
            shared += len(walked) > len(set(walked)) and len(walked) < 200
            cycles += len(walked) >= 200
    assert shared > 50 and cycles > 50  # both cases were met many times


def test_a_family_keeps_manims_order_in_a_scene_tree():
    families.install()
    grid = manim.VGroup(*(manim.VGroup(manim.Square(), manim.Text("7")) for _ in range(5)))
    expected = families.by_manim["get_family"](grid)
    assert grid.get_family() == expected
    assert len(expected) > 15
    with_points = grid.family_members_with_points()
    assert with_points == [m for m in expected if len(m.points)]


def test_updaters_run_once_one_is_added(monkeypatch):
    families.install()
    monkeypatch.setattr(families, "_updater_added", [False])
    dot = manim.Dot()
    group = manim.VGroup(manim.VGroup(dot))
    calls = []
    # Put on the list behind add_updater's back: update does not look (nothing was added).
    dot.updaters.append(lambda m, dt: calls.append(dt))
    group.update(0.5)
    assert calls == []

    dot.updaters.clear()
    dot.add_updater(lambda m, dt: m.shift(dt * manim.RIGHT))
    group.update(0.5)
    assert dot.get_center()[0] == pytest.approx(0.5)
    dot.suspend_updating()
    group.update(0.5)
    assert dot.get_center()[0] == pytest.approx(0.5)  # suspended, as manim does
