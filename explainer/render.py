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
from dataclasses import dataclass
from pathlib import Path

from .errors import ProblemError
from .notes import render_notes
from .problem import Problem
from .voice import DEFAULT_VOICE

QUALITIES = {
    "low": ("low_quality", "480p15"),
    "medium": ("medium_quality", "720p30"),
    "high": ("high_quality", "1080p60"),
    "4k": ("fourk_quality", "2160p60"),
}


def video_name(args: argparse.Namespace, problem: Problem) -> str:
    """lecture.mp4 for the lecture; otherwise a readable name and a short hash of everything
    that changes the video, so that different problems never overwrite each other.

    The readable part names the inputs (without their folders) and the options set; the
    hash covers the inputs' values and every option, so two files called x.csv in different
    folders, or two padding modes, get different names.
    """
    from explainer import lecture_problem

    parts: list[str] = []
    default = _same_problem(problem, lecture_problem())
    if not default:
        parts += [Path(args.image).stem, Path(args.kernel).stem]
        for flag, value in _options_set(args):
            parts.append(f"{flag}-{value}")
        parts.append(problem_digest(problem))
    if args.section:
        parts.extend(args.section)
    if args.voice == "none":
        parts.append("silent")
    if args.quality != "high":
        parts.append(QUALITIES[args.quality][1])
    name = "-".join(["lecture", *parts])
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:180]


def _options_set(args: argparse.Namespace) -> list[tuple[str, str]]:
    defaults = {
        "stride": "1",
        "padding": "valid",
        "padding_mode": "zeros",
        "dilation": "1",
        "normalize": None,
    }
    out = []
    for flag, default in defaults.items():
        value = getattr(args, flag, default)
        if value is not None and value != default:
            out.append((flag.replace("_", "-"), str(value).replace(",", "x")))
    if args.flip:
        out.append(("flip", "on"))
    return out


def _same_problem(a: Problem, b: Problem) -> bool:
    return problem_digest(a) == problem_digest(b)


def problem_digest(problem: Problem) -> str:
    """Eight hex digits that change with any value or option of the problem."""
    import hashlib

    ident = repr(
        (
            problem.image.tolist(),
            problem.kernel.tolist(),
            problem.stride,
            problem.padding,
            problem.padding_mode,
            problem.dilation,
            problem.flip,
            problem.normalize,
        )
    )
    return hashlib.sha256(ident.encode()).hexdigest()[:8]


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


# x264 splits each frame into one slice per encoder thread, and by default starts one
# thread per CPU the process may use: the same lecture rendered with fewer CPUs available
# (a busy machine's cgroup, taskset, a container) gave other bytes and other pixels. A
# fixed count makes the video depend on its input only.
ENCODER_THREADS = "2"


@dataclass(frozen=True)
class Rendered:
    video: Path
    captions: Path
    notes: Path
    """The timed script (``.script.json``) beside the video."""


def render_lecture(
    problem: Problem,
    sections: Sequence[str] | None,
    quality: str,
    output_dir: Path,
    name: str,
    progress: Progress | None = None,
    extra_config: dict | None = None,
    voice: str = DEFAULT_VOICE,
) -> Rendered:
    """Render the lecture; return the final paths of the video, captions and timed script."""
    from manim import config, tempconfig

    from scenes.lecture import Lecture

    from .limits import check_renderable
    from .output import check_target

    check_renderable(problem)
    manim_quality = QUALITIES[quality][0]
    output_dir = Path(output_dir)
    for suffix in (".mp4", ".srt", ".script.json"):
        check_target(output_dir / f"{name}{suffix}")  # never a device, FIFO or folder
    with private_media_dir(output_dir) as media:
        settings = {
            "quality": manim_quality,
            "media_dir": str(media),
            "disable_caching": True,
            "progress_bar": "none",
            "verbosity": "ERROR",  # manim's warnings go to stdout, where the path goes
            "output_file": name,
            "background_color": "#1d2330",
            "video_encoder_options": {**config.video_encoder_options, "threads": ENCODER_THREADS},
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
                    "voice_name": voice,
                },
            )
            scene = scene_cls()
            try:
                scene.render()
            except BaseException:
                # An interrupt can land between manim's own clean-ups; stop its encoder
                # threads here, or they would keep the process alive after the error.
                with contextlib.suppress(Exception):
                    scene.renderer.file_writer.abort_encode_jobs()
                raise
        videos = [p for p in media.rglob(f"{name}.mp4") if "partial" not in p.parts[-2]]
        if not videos:
            raise RuntimeError("manim finished without writing a video")
        video = videos[0]
        captions = video.with_suffix(".srt")
        notes = video.with_suffix(".script.json")
        notes.write_text(timed_script(scene), encoding="utf-8")
        final = Rendered(
            output_dir / f"{name}.mp4",
            output_dir / f"{name}.srt",
            output_dir / f"{name}.script.json",
        )
        # Concurrent renders replace their three files one render at a time, so a video
        # never sits beside another render's captions.
        with _folder_lock(output_dir):
            if captions.exists():
                os.replace(captions, final.captions)
            os.replace(notes, final.notes)
            os.replace(video, final.video)
    return final


def timed_script(scene) -> str:
    """The script as JSON with, for each beat rendered, when its sentence is spoken
    (start, end) and when the scene showed its caption (the scene's own record)."""
    import json

    timings = {beat.key: (start, end) for start, end, beat in scene.spoken}
    doc = json.loads(render_notes(scene.lesson.script, "json", timings))
    shown = {}
    for (_, _, beat), (shown_from, shown_to, text) in zip(
        scene.spoken, scene.caption_log, strict=True
    ):
        assert text == beat.caption
        shown[beat.key] = [round(shown_from, 3), round(shown_to, 3)]
    for section in doc["sections"]:
        for beat in section["beats"]:
            if beat["key"] in shown:
                beat["caption_shown"] = shown[beat["key"]]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@contextlib.contextmanager
def _folder_lock(output_dir: Path) -> Iterator[None]:
    """An exclusive lock on the output folder itself (no lock file is left behind)."""
    import fcntl

    fd = os.open(output_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def video_duration(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return float(stream.duration * stream.time_base)


def render_command(args: argparse.Namespace, problem: Problem) -> int:
    """``explainer render`` for the problem its options describe (limits already checked)."""
    from .script import build_script
    from .voice import load_voice

    board = list(build_script(problem).section_names)
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
    narrator = load_voice(args.voice)
    if narrator is not None:
        narrator.check()  # a missing or broken voice fails here, before any drawing
    chosen = [n for n in board if not args.section or n in args.section]
    name = video_name(args, problem)
    spoken = "silent, captioned" if args.voice == "none" else f"voice {args.voice}"
    print(
        f"Rendering {len(chosen)} section{'s' if len(chosen) > 1 else ''} at "
        f"{QUALITIES[args.quality][1]} ({spoken}): {problem.describe()}",
        file=sys.stderr,
    )
    progress = Progress(chosen)
    started = time.monotonic()
    out = render_lecture(
        problem,
        args.section,
        args.quality,
        Path(args.output_dir),
        name,
        progress,
        voice=args.voice,
    )
    progress.done()
    took = time.monotonic() - started
    print(f"Rendered {video_duration(out.video):.1f} s of video in {took:.0f} s.", file=sys.stderr)
    print(f"captions: {out.captions}", file=sys.stderr)
    print(f"script with timings: {out.notes}", file=sys.stderr)
    print(out.video)
    return 0
