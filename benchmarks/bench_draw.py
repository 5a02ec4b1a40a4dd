"""Where a part's CPU goes: drawing, conversion to YUV, x264, per section of the lecture.

Renders the chosen sections of the voiced lecture (the voice's sentences from the cache)
in this process, part by part as ``explainer render`` cuts them, and reports CPU seconds
(less noisy than wall time on a shared machine):

  draw       the main thread inside manim's ``Camera.capture_mobjects`` (cairo and the
             Python around it), split into the frames drawn and the static pictures
             (what stays still during an animation, drawn once per animation)
  convert    the encoder thread turning RGBA pictures into YUV
  x264+      the rest of the process's CPU outside the main thread: x264's threads and
             the encoder thread's own work (muxing, Python)
  main       the whole main thread: drawing, copying frames, animating, laying out text

and, per section, the frames drawn and the family members and Bézier points redrawn per
frame (what manim counts as moving). Compare two versions in alternating rounds, e.g.
``PYTHONPATH=../main python benchmarks/bench_draw.py`` then this tree's.

    .venv/bin/python benchmarks/bench_draw.py [--quality high] [--sections title,one-dimension]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import resource
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", default="high")
    parser.add_argument("--sections", default="title,one-dimension")
    parser.add_argument("--voice", default="joe")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-draw-"))
    voices = Path(os.environ.get("EXPLAINER_CACHE_DIR", Path.home() / ".cache/explainer"))
    os.environ["EXPLAINER_CACHE_DIR"] = str(scratch / "cache")
    (scratch / "cache").mkdir()
    if (voices / "voice").is_dir():
        (scratch / "cache" / "voice").symlink_to(voices / "voice")
    try:
        run(args.quality, args.sections.split(","), args.voice)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(quality: str, sections: list[str], voice: str) -> None:
    from manim.camera.camera import Camera
    from manim.renderer.cairo_renderer import CairoRenderer
    from manim.utils.family import extract_mobject_family_members

    import scenes.encoding as encoding
    import scenes.parts as partlib
    from explainer import lecture_problem
    from scenes.stage import LectureScene
    from scenes.videoplan import plan_video

    stats: dict = defaultdict(lambda: defaultdict(float))
    state = {"section": "setup", "static": False}

    def wrap(owner, name, around):
        original = getattr(owner, name)

        def wrapped(*args, **kwargs):
            return around(original, *args, **kwargs)

        setattr(owner, name, wrapped)

    def next_section(original, scene, name="unnamed", *args, **kwargs):
        state["section"] = name
        return original(scene, name, *args, **kwargs)

    def capture(original, camera, mobjects, **kwargs):
        mobjects = list(mobjects)
        start = time.thread_time()
        result = original(camera, mobjects, **kwargs)
        row = stats[state["section"]]
        kind = "static" if state["static"] else "frame"
        row[kind] += time.thread_time() - start
        if kind == "frame":
            members = extract_mobject_family_members(mobjects, only_those_with_points=True)
            row["captures"] += 1
            row["members"] += len(members)
            row["points"] += sum(len(m.points) for m in members)
        return result

    def save_static(original, *args, **kwargs):
        state["static"] = True
        try:
            return original(*args, **kwargs)
        finally:
            state["static"] = False

    def render(original, *args, **kwargs):
        stats[state["section"]]["frames"] += 1
        return original(*args, **kwargs)

    def to_yuv(original, *args):
        start = time.thread_time()
        result = original(*args)
        stats[state["section"]]["convert"] += time.thread_time() - start
        return result

    # What a part's render installs (render_part does it again, to no effect), so that
    # the counters below wrap the render's own drawing.
    # (An older tree, given by PYTHONPATH, may lack some of them.)
    for module in ("scenes.encoding", "scenes.paths", "scenes.redraw"):
        with contextlib.suppress(ModuleNotFoundError):
            importlib.import_module(module).install()
    wrap(LectureScene, "next_section", next_section)
    wrap(Camera, "capture_mobjects", capture)
    wrap(CairoRenderer, "save_static_frame_data", save_static)
    wrap(CairoRenderer, "render", render)
    wrap(encoding, "_to_yuv", to_yuv)

    plan = plan_video(lecture_problem(), sections, quality, voice)
    before = resource.getrusage(resource.RUSAGE_SELF)
    main_before, wall_before, load = time.thread_time(), time.perf_counter(), os.getloadavg()[0]
    for job in plan.jobs:
        partlib.render_part(job)
    after = resource.getrusage(resource.RUSAGE_SELF)
    main = time.thread_time() - main_before
    wall = time.perf_counter() - wall_before
    total = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    draw = sum(row["frame"] + row["static"] for row in stats.values())
    convert = sum(row["convert"] for row in stats.values())
    print(f"{quality}, sections {','.join(sections)}; load average {load:.2f} before")
    print(
        f"CPU s: total {total:.1f}  main {main:.1f} (draw {draw:.1f})  convert {convert:.1f}"
        f"  x264+ {total - main - convert:.1f}   wall {wall:.1f} s"
    )
    print(
        f"{'section':14s} {'frames':>6s} {'draw':>6s} {'static':>6s} {'convert':>7s}"
        f" {'members':>7s} {'points':>7s}  (per frame drawn)"
    )
    for name, row in stats.items():
        captures = max(row["captures"], 1)
        print(
            f"{name:14s} {row['frames']:6.0f} {row['frame']:6.2f} {row['static']:6.2f}"
            f" {row['convert']:7.2f} {row['members'] / captures:7.0f}"
            f" {row['points'] / captures:7.0f}"
        )


if __name__ == "__main__":
    main()
