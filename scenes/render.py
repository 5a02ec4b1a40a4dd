"""``explainer render``: the lecture as an MP4 with .srt captions, written atomically.

manim renders into a private temporary folder inside the output folder; only when the
video and its captions are complete are they moved (renamed) onto their final names. An
interrupted render leaves the previous good video in place, and two renders of the same
video never write into each other's files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from explainer.core.limits import check_renderable
from explainer.core.presets import lecture_problem
from explainer.core.problem import Problem
from explainer.errors import ProblemError
from explainer.files.cache import CacheError, Damaged, copy_verified, prune, remove
from explainer.files.output import check_target
from explainer.lessons import DEFAULT_LESSON
from explainer.lessons import lesson as find_lesson
from explainer.request import DEFAULT_VOICE, QUALITIES, RenderRequest
from scenes.graph import Failed, Graph, dask_client, run_here, run_on_dask
from scenes.tasks import JOINED_FILES
from scenes.videoplan import (  # noqa: F401 (problem_identity: part of this module's face)
    add_video_nodes,
    check_stageable,
    keep_video,
    lesson_identity,
    plan_video,
    problem_digest,
    problem_identity,
)


def video_name(request: RenderRequest, problem: Problem, lesson: str = DEFAULT_LESSON) -> str:
    """lecture.mp4 for the lecture; otherwise a readable name and a short hash of everything
    that changes the video, so that different problems never overwrite each other.

    The readable part names the inputs (without their folders) and the options set; the
    hash covers the inputs' values and every option, so two files called x.csv in different
    folders, or two padding modes, get different names.
    """
    parts: list[str] = []
    if lesson != DEFAULT_LESSON:  # another lesson's problem is named by its lesson and value
        parts += [lesson, lesson_identity(problem)[:8]]
    elif not _same_problem(problem, lecture_problem()):
        parts += [Path(request.image).stem, Path(request.kernel).stem]
        for flag, value in request.options_set:
            parts.append(f"{flag}-{value}")
        parts.append(problem_digest(problem))
    if request.sections:
        parts.extend(request.sections)
    if request.voice == "none":
        parts.append("silent")
    if request.quality != "high":
        parts.append(QUALITIES[request.quality][1])
    name = "-".join(["lecture", *parts])
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:180]


def _same_problem(a: Problem, b: Problem) -> bool:
    return problem_digest(a) == problem_digest(b)


class Progress:
    """One line per section, and on a terminal a live count of animations and video time."""

    def __init__(self, sections: Sequence[str], stream=None) -> None:
        self.sections = list(sections)
        self._stream = stream
        self.live = self.stream.isatty()
        self.started = time.time()  # wall clock: parts rendered in other processes share it
        self.current = 0
        self.animations = 0

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stderr

    def for_worker(self) -> Progress:
        """A copy for a worker process: section lines only (several workers share the
        terminal, so no live line), timed from the same start."""
        copy = Progress.__new__(Progress)
        copy.__dict__.update(self.__dict__, _stream=None, live=False, animations=0)
        return copy

    def section(self, name: str) -> None:
        self.current = self.sections.index(name) + 1 if name in self.sections else 0
        self._end_live()
        self.stream.write(
            f"[{self.current:>2}/{len(self.sections)}] {name:<13} "
            f"(elapsed {time.time() - self.started:5.0f} s)\n"
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

    def plan(self, parts: int, missing: int) -> None:
        """Say how much of the lecture is already rendered (in the cache)."""
        if missing < parts:
            cached = parts - missing
            self.stream.write(
                f"{cached} of {parts} part{'s' if parts != 1 else ''} unchanged, "
                f"taken from the cache; rendering {missing}\n"
            )
            self.stream.flush()

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
    workers: int | None = None,
    lesson: str = DEFAULT_LESSON,
) -> Rendered:
    """Render the lecture; return the final paths of the video, captions and timed script.

    The lecture is cut into parts (see :mod:`scenes.parts`); parts found in the cache are
    reused, the others rendered through the task graph (:mod:`scenes.videoplan`): in this
    process when one part is missing or ``workers`` is 1, else on a Dask ``LocalCluster``
    of ``workers`` single-threaded processes (default: up to the CPUs, at most two).
    """
    import logging

    logging.getLogger("av").setLevel(logging.ERROR)  # libav's notes on unused mux options
    if lesson == DEFAULT_LESSON:
        check_renderable(problem.geometry)
    output_dir = Path(output_dir)
    for suffix in (".mp4", ".srt", ".script.json"):
        check_target(output_dir / f"{name}{suffix}")  # never a device, FIFO or folder
    plan = plan_video(problem, sections, quality, voice, extra_config, lesson)
    entry = plan.cached_entry()
    if entry is None:
        missing = plan.missing()
        if progress is not None:
            progress.plan(len(plan.jobs), len(missing))
        count = workers if workers is not None else min(2, os.cpu_count() or 1)
        count = max(1, min(count, len(missing)))
        shared = progress.for_worker() if progress is not None and count > 1 else progress
        graph = Graph()
        add_video_nodes(graph, plan, name, None, shared)
        if count == 1:
            results = run_here(graph)
        else:
            with dask_client(workers=count) as client:
                results = run_on_dask(client, graph)
        for outcome in results.values():
            if isinstance(outcome, Failed):
                raise outcome.error  # a worker's error is this render's error
        entry = keep_video(plan, results)
    elif progress is not None:
        progress.plan(len(plan.jobs), 0)
    joined = plan.joined
    with private_media_dir(output_dir) as media:
        video, captions = media / f"{name}.mp4", media / f"{name}.srt"
        notes = media / f"{name}.script.json"
        for copy, original in zip((video, captions, notes), JOINED_FILES, strict=True):
            try:  # bounded by the recorded size, checked against the digest on the way
                copy_verified(entry, original, copy)
            except Damaged as why:
                remove(joined)
                raise CacheError(
                    f"the cached joined video {joined.name} changed while it was copied "
                    f"({why}); it was removed: run the command again"
                ) from None
        final = Rendered(
            output_dir / f"{name}.mp4",
            output_dir / f"{name}.srt",
            output_dir / f"{name}.script.json",
        )
        # Concurrent renders replace their three files one render at a time, so a video
        # never sits beside another render's captions.
        with _folder_lock(output_dir):
            os.replace(captions, final.captions)
            os.replace(notes, final.notes)
            os.replace(video, final.video)
    prune(keep=[job.folder for job in plan.jobs] + [joined])
    return final


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


def render_command(request: RenderRequest, problem: Problem, lesson: str = DEFAULT_LESSON) -> int:
    """``explainer render`` for the problem its options describe (limits already checked),
    in the lesson ``lesson`` (another than the convolution is staged by :mod:`scenes.board`)."""
    from scenes.voice import load_voice

    check_stageable(lesson)
    board = list(find_lesson(lesson).build_script(problem).section_names)
    if request.list_sections:
        print("Sections of this lecture, in order:")
        for k, name in enumerate(board, start=1):
            print(f"  {k:>2}. {name}")
        return 0
    for name in request.sections or ():
        if name not in board:
            raise ProblemError(
                f"unknown section {name!r}; this lecture's sections are: " + ", ".join(board)
            )
    narrator = load_voice(request.voice)
    if narrator is not None:
        narrator.check()  # a missing or broken voice fails here, before any drawing
    chosen = [n for n in board if not request.sections or n in request.sections]
    name = video_name(request, problem, lesson)
    spoken = "silent, captioned" if request.voice == "none" else f"voice {request.voice}"
    print(
        f"Rendering {len(chosen)} section{'s' if len(chosen) > 1 else ''} at "
        f"{QUALITIES[request.quality][1]} ({spoken}): {problem.describe()}",
        file=sys.stderr,
    )
    progress = Progress(chosen)
    started = time.monotonic()
    out = render_lecture(
        problem,
        request.sections,
        request.quality,
        Path(request.output_dir),
        name,
        progress,
        voice=request.voice,
        lesson=lesson,
    )
    progress.done()
    took = time.monotonic() - started
    print(f"Rendered {video_duration(out.video):.1f} s of video in {took:.0f} s.", file=sys.stderr)
    print(f"captions: {out.captions}", file=sys.stderr)
    print(f"script with timings: {out.notes}", file=sys.stderr)
    print(out.video)
    return 0
