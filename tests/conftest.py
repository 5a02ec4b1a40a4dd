"""Shared fixtures: independent references the code under test never touches."""

from __future__ import annotations

import os
from fractions import Fraction

import pytest
from hypothesis import settings

# The suite is a gate: the same generated examples on every run, so that it passes or
# fails on the code, not on luck. EXPLAINER_HYPOTHESIS=random explores new examples (a
# failure found that way becomes a test of its own, as in test_hostile.py).
settings.register_profile("suite", derandomize=True)
settings.register_profile("random", derandomize=False)
settings.load_profile("random" if os.environ.get("EXPLAINER_HYPOTHESIS") == "random" else "suite")


@pytest.fixture(autouse=True, scope="session")
def _voice_cache(tmp_path_factory):
    """Synthesized speech goes to a cache of the test session's own, not the user's."""
    folder = tmp_path_factory.mktemp("voice-cache")
    old = os.environ.get("EXPLAINER_CACHE_DIR")
    os.environ["EXPLAINER_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("EXPLAINER_CACHE_DIR", None)
    else:
        os.environ["EXPLAINER_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def manim_media(tmp_path_factory):
    """manim's media folder for this worker's dry runs of the lecture. manim names each
    LaTeX and text file it makes by a hash of its content and reuses one already there, so
    a formula compiled for one test is not compiled again for the next, as it would be in
    each test's own empty tmp_path."""
    return tmp_path_factory.mktemp("manim-media")


# The lecture's result, derived by hand: each entry is (9 − 2·mismatches)/9 where a
# mismatch is a patch pixel whose sign differs from the filter pixel over it.
LECTURE_RESULT = [
    ["7/9", "-1/9", "1/9", "1/3", "5/9", "-1/9", "1/3"],
    ["-1/9", "1", "-1/9", "1/3", "-1/9", "1/9", "-1/9"],
    ["1/9", "-1/9", "1", "-1/3", "1/9", "-1/9", "5/9"],
    ["1/3", "1/3", "-1/3", "5/9", "-1/3", "1/3", "1/3"],
    ["5/9", "-1/9", "1/9", "-1/3", "1", "-1/9", "1/9"],
    ["-1/9", "1/9", "-1/9", "1/3", "-1/9", "1", "-1/9"],
    ["1/3", "-1/9", "5/9", "1/3", "1/9", "-1/9", "7/9"],
]


@pytest.fixture
def lecture_result() -> list[list[Fraction]]:
    return [[Fraction(v) for v in row] for row in LECTURE_RESULT]


@pytest.fixture
def lecture_arrays() -> tuple[list[list[int]], list[list[int]]]:
    """The lecture's image and filter, typed out by hand from the lecture's description."""
    image = [
        [-1, -1, -1, -1, -1, -1, -1, -1, -1],
        [-1, 1, -1, -1, -1, -1, -1, 1, -1],
        [-1, -1, 1, -1, -1, -1, 1, -1, -1],
        [-1, -1, -1, 1, -1, 1, -1, -1, -1],
        [-1, -1, -1, -1, 1, -1, -1, -1, -1],
        [-1, -1, -1, 1, -1, 1, -1, -1, -1],
        [-1, -1, 1, -1, -1, -1, 1, -1, -1],
        [-1, 1, -1, -1, -1, -1, -1, 1, -1],
        [-1, -1, -1, -1, -1, -1, -1, -1, -1],
    ]
    kernel = [[1, -1, -1], [-1, 1, -1], [-1, -1, 1]]
    return image, kernel


# ----- markers: what a test needs, so a contributor can run the fast part alone --------------
# `./run test -m "not video and not browser and not tex and not voice"` skips them;
# `./run test` (and CI) runs everything.
_MARKED_FILES = {
    "test_frames.py": ("video",),
    "test_layout.py": ("video",),
    "test_scenes.py": ("video",),
    "test_render.py": ("video", "voice"),
    "test_voice.py": ("video", "voice"),
    "test_page.py": ("browser",),
    "test_notebook.py": ("browser",),
    "test_handout.py": ("tex",),
}
_MARKED_TESTS = {
    "test_video_frames_are_identical_across_renders": ("video",),
    "test_script_with_the_timings_of_a_render": ("video",),
}


# Files of long tests besides the marked ones: a course runs a Dask cluster, slides a browser.
_LONG_FILES = {"test_course.py", "test_lesson_slides.py", "test_graph.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        names = _MARKED_FILES.get(item.path.name, ()) + _MARKED_TESTS.get(
            getattr(item, "originalname", item.name), ()
        )
        for name in names:
            item.add_marker(getattr(pytest.mark, name))
    # The long tests first, so that the workers end on short ones together rather than one
    # of them finishing a render alone (the same order in every worker, as xdist needs).
    items.sort(key=lambda item: 0 if _is_long(item) else 1)


def _is_long(item) -> bool:
    marked = any(item.get_closest_marker(name) for name in ("video", "voice", "browser", "tex"))
    return marked or item.path.name in _LONG_FILES
