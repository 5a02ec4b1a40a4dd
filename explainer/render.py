"""``explainer render``: the lecture as an MP4 with .srt captions, written atomically.

manim renders into a private temporary folder inside the output folder; only when the
video and its captions are complete are they moved (renamed) onto their final names. An
interrupted render leaves the previous good video in place, and two renders of the same
video never write into each other's files.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from .errors import ProblemError, TooLargeError
from .problem import Problem

QUALITIES = {
    "low": ("low_quality", "480p15"),
    "medium": ("medium_quality", "720p30"),
    "high": ("high_quality", "1080p60"),
    "4k": ("fourk_quality", "2160p60"),
}
# Beyond this the grids would hold thousands of cells: unreadable and slow to draw.
MAX_RENDER_SIDE = 48


def video_name(args: argparse.Namespace, problem: Problem) -> str:
    """lecture.mp4 for the lecture; otherwise the problem's names and options."""
    parts = (
        []
        if (args.image, args.kernel) == ("x", "diagonal")
        else [Path(args.image).stem, Path(args.kernel).stem]
    )
    for flag, default in (("stride", "1"), ("padding", "valid"), ("dilation", "1")):
        value = getattr(args, flag)
        if value != default:
            parts.append(f"{flag}-{value.replace(',', 'x')}")
    if args.flip:
        parts.append("flip")
    if args.section:
        parts.extend(args.section)
    if args.quality != "high":
        parts.append(QUALITIES[args.quality][1])
    name = "-".join(["lecture", *parts])
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def check_renderable(problem: Problem) -> None:
    rows, cols = problem.padded_shape
    oh, ow = problem.output_shape
    side = max(rows, cols, oh, ow)
    if side > MAX_RENDER_SIDE:
        raise TooLargeError(
            f"a {rows}×{cols} (padded) image is too large to draw legibly; the video shows "
            f"at most {MAX_RENDER_SIDE}×{MAX_RENDER_SIDE} (up to 16×16 pixel by pixel, larger "
            "as a heatmap); use 'explainer derive' or 'check' for this one"
        )


class Progress:
    """One line per section, and on a terminal a live count of animations and video time."""

    def __init__(self, sections: Sequence[str], stream=None) -> None:
        self.sections = list(sections)
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty()
        self.started = time.monotonic()
        self.current = 0
        self.animations = 0

    def section(self, name: str) -> None:
        self.current = self.sections.index(name) + 1 if name in self.sections else 0
        self._end_live()
        self.stream.write(
            f"[{self.current:>2}/{len(self.sections)}] {name:<13} "
            f"(elapsed {time.monotonic() - self.started:5.0f} s)\n"
        )
        self.stream.flush()

    def animation(self, video_seconds: float) -> None:
        self.animations += 1
        if self.live:
            self.stream.write(
                f"\r        animation {self.animations:4d} · {video_seconds:6.1f} s of video"
            )
            self.stream.flush()

    def _end_live(self) -> None:
        if self.live and self.animations:
            self.stream.write("\r" + " " * 50 + "\r")

    def done(self) -> None:
        self._end_live()


@contextlib.contextmanager
def private_media_dir(output_dir: Path) -> Iterator[Path]:
    """A temporary folder inside ``output_dir`` (same file system: renames are atomic).

    It records its owner's process id, so that the folder of a render that was killed
    (and could not clean up) is removed by the next render into the same place.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    remove_abandoned(output_dir)
    tmp = Path(tempfile.mkdtemp(prefix=".render-", dir=output_dir))
    (tmp / "owner.pid").write_text(str(os.getpid()))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def remove_abandoned(output_dir: Path) -> None:
    """Delete temporary render folders whose process no longer runs."""
    for folder in output_dir.glob(".render-*"):
        try:
            pid = int((folder / "owner.pid").read_text())
            os.kill(pid, 0)  # raises if no such process
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError):
            continue  # not ours to judge (no pid yet, or another user's process)


def render_lecture(
    problem: Problem,
    sections: Sequence[str] | None,
    quality: str,
    output_dir: Path,
    name: str,
    progress: Progress | None = None,
    extra_config: dict | None = None,
) -> tuple[Path, Path]:
    """Render the lecture; return the final (video, captions) paths."""
    from manim import tempconfig

    from scenes.lecture import Lecture

    manim_quality = QUALITIES[quality][0]
    output_dir = Path(output_dir)
    with private_media_dir(output_dir) as media:
        settings = {
            "quality": manim_quality,
            "media_dir": str(media),
            "disable_caching": True,
            "progress_bar": "none",
            "verbosity": "WARNING",
            "output_file": name,
            "background_color": "#1d2330",
        }
        settings.update(extra_config or {})
        with tempconfig(settings):
            scene_cls = type(
                "Lecture",
                (Lecture,),
                {
                    "problem": problem,
                    "sections": tuple(sections or ()),
                    "progress": progress,
                },
            )
            scene_cls().render()
        videos = [p for p in media.rglob(f"{name}.mp4") if "partial" not in p.parts[-2]]
        if not videos:
            raise RuntimeError("manim finished without writing a video")
        video = videos[0]
        captions = video.with_suffix(".srt")
        final_video = output_dir / f"{name}.mp4"
        final_captions = output_dir / f"{name}.srt"
        if captions.exists():
            os.replace(captions, final_captions)
        os.replace(video, final_video)
    return final_video, final_captions


def video_duration(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return float(stream.duration * stream.time_base)


def render_command(args: argparse.Namespace) -> int:
    from .cli import problem_from_args

    problem = problem_from_args(args)
    check_renderable(problem)
    from scenes.lecture import Lesson, storyboard

    board = [name for name, _ in storyboard(Lesson(problem))]
    if args.list_sections:
        print("Sections of this lecture, in order:")
        for k, name in enumerate(board, start=1):
            print(f"  {k:>2}. {name}")
        return 0
    for name in args.section or ():
        if name not in board:
            raise ProblemError(
                f"unknown section {name!r}; this lecture's sections are: " + ", ".join(board)
            )
    chosen = [n for n in board if not args.section or n in args.section]
    name = video_name(args, problem)
    print(
        f"Rendering {len(chosen)} section{'s' if len(chosen) > 1 else ''} at "
        f"{QUALITIES[args.quality][1]}: {problem.describe()}",
        file=sys.stderr,
    )
    progress = Progress(chosen)
    started = time.monotonic()
    video, captions = render_lecture(
        problem, args.section, args.quality, Path(args.output_dir), name, progress
    )
    progress.done()
    took = time.monotonic() - started
    print(f"Rendered {video_duration(video):.1f} s of video in {took:.0f} s.", file=sys.stderr)
    print(f"captions: {captions}", file=sys.stderr)
    print(video)
    return 0
