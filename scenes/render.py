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
from explainer.files.cache import (
    CacheError,
    Damaged,
    copy_verified,
    new_work_folder,
    open_entry,
    prune,
    publish,
    remove,
)
from explainer.files.output import check_target
from explainer.lessons.convolution import build_script
from explainer.outputs.notes import render_notes
from explainer.request import DEFAULT_VOICE, QUALITIES, RenderRequest
from scenes.encoding import ENCODER_OPTIONS


def video_name(request: RenderRequest, problem: Problem) -> str:
    """lecture.mp4 for the lecture; otherwise a readable name and a short hash of everything
    that changes the video, so that different problems never overwrite each other.

    The readable part names the inputs (without their folders) and the options set; the
    hash covers the inputs' values and every option, so two files called x.csv in different
    folders, or two padding modes, get different names.
    """
    parts: list[str] = []
    default = _same_problem(problem, lecture_problem())
    if not default:
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


def problem_identity(problem: Problem) -> tuple:
    """Every value and option of the problem, as plain Python data."""
    return (
        problem.image.tolist(),
        problem.kernel.tolist(),
        str(problem.image.dtype),
        problem.stride,
        problem.padding,
        problem.padding_mode,
        problem.dilation,
        problem.flip,
        problem.normalize,
    )


def problem_digest(problem: Problem) -> str:
    """Eight hex digits that change with any value or option of the problem."""
    import hashlib

    return hashlib.sha256(repr(problem_identity(problem)).encode()).hexdigest()[:8]


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
) -> Rendered:
    """Render the lecture; return the final paths of the video, captions and timed script.

    The lecture is cut into parts (see :mod:`scenes.parts`); parts found in the cache
    are reused, the others rendered, several at once in separate processes when there are
    ``workers`` (default: up to the CPUs, at most two) and more than one part to render.
    """
    import logging

    from manim import config

    from scenes import parts as partlib
    from scenes.lecture import CONTINUES

    logging.getLogger("av").setLevel(logging.ERROR)  # libav's notes on unused mux options
    check_renderable(problem.geometry)
    output_dir = Path(output_dir)
    for suffix in (".mp4", ".srt", ".script.json"):
        check_target(output_dir / f"{name}{suffix}")  # never a device, FIFO or folder
    script = build_script(problem)
    board = [n for n in script.section_names if not sections or n in sections]
    settings = {
        "quality": QUALITIES[quality][0],
        "disable_caching": True,
        "progress_bar": "none",
        "verbosity": "ERROR",  # manim's warnings go to stdout, where the path goes
        "background_color": "#1d2330",
        "video_encoder_options": {**config.video_encoder_options, **ENCODER_OPTIONS},
        **(extra_config or {}),
    }
    digest = repr(problem_identity(problem))
    root = partlib.parts_folder()
    partlib.remove_abandoned_work(root)
    jobs = [
        partlib.PartJob(problem, part, quality, voice, key, root / key, dict(settings))
        for part in _contiguous_parts(board, script.section_names, CONTINUES)
        for key in [partlib.part_key(problem, part, quality, voice, script, digest)]
    ]
    joined = partlib.joined_folder([job.key for job in jobs])
    entry = open_entry(joined, JOINED_FILES, "joined video")
    if entry is None:
        missing = [job for job in jobs if not job.cached]
        if progress is not None:
            progress.plan(len(jobs), len(missing))
        _render_parts(missing, progress, workers)
        for job in jobs:
            partlib.touch(job.folder)
        entry = _join(script, [job.folder for job in jobs], joined)
    elif progress is not None:
        progress.plan(len(jobs), 0)
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
    prune(keep=[job.folder for job in jobs] + [joined])
    return final


JOINED_FILES = ("video.mp4", "captions.srt", "script.json")


def _join(script, folders: list[Path], joined: Path):
    """Join the parts into the cache's entry for this exact list of parts (published by
    one rename, like a part), so that an unchanged re-render only copies it out."""
    from scenes.joining import join_videos, timeline, write_captions

    work = new_work_folder(joined.parent, joined.name)
    try:
        video, captions, notes = (work / name for name in JOINED_FILES)
        join_videos(folders, video)
        beats, _ = timeline(folders)
        write_captions(beats, captions)
        notes.write_text(timed_script(script, beats), encoding="utf-8")
        return publish(work, joined, None, "joined video", JOINED_FILES)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _contiguous_parts(board: list[str], every: Sequence[str], continues) -> list:
    """Parts of the chosen sections; a section whose predecessor was left out starts a
    part of its own (its picture cannot continue one that was never drawn)."""
    from scenes.parts import Part, split_parts

    runs: list[list[str]] = []
    for name in board:
        position = every.index(name)
        if runs and every.index(runs[-1][-1]) == position - 1:
            runs[-1].append(name)
        else:
            runs.append([name])
    pieces = [p.sections for run in runs for p in split_parts(run, continues)]
    return [Part(k, sections, last=k == len(pieces) - 1) for k, sections in enumerate(pieces)]


def _render_parts(jobs: list, progress: Progress | None, workers: int | None) -> None:
    """Render the missing parts: in this process when there is one, else in a pool."""
    from scenes import parts as partlib

    if not jobs:
        return
    count = workers if workers is not None else min(2, os.cpu_count() or 1)
    count = max(1, min(count, len(jobs)))
    if count == 1:
        for job in jobs:
            partlib.render_part(job, progress)
        return
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    # An interrupted render leaves the pool's semaphores registered, and the tracker
    # then warns of "leaked semaphore objects" under our one-line message; it takes the
    # parent's warning options when it starts.
    quiet = "ignore::UserWarning:multiprocessing.resource_tracker"
    if quiet not in sys.warnoptions:
        sys.warnoptions.append(quiet)
    pool = ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=partlib.worker_init,
    )
    try:
        pending = {}
        # The longest parts first, so that the last one to finish is a short one.
        shared = progress.for_worker() if progress is not None else None
        for job in sorted(jobs, key=lambda j: -len(j.part.sections)):
            pending[pool.submit(partlib.render_part, job, shared)] = job
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                pending.pop(future)
                future.result()  # a worker's error is this render's error
    except BaseException:
        # Interrupted or failed: stop the other workers now rather than after their parts.
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _stop_resource_tracker()


def _stop_resource_tracker() -> None:
    """Reap multiprocessing's resource tracker now rather than leave it to end after us:
    nothing of a render should outlive the command (under a container's init that does
    not reap, it stayed as a zombie)."""
    from multiprocessing import resource_tracker

    stop = getattr(resource_tracker._resource_tracker, "_stop", None)  # Python ≥ 3.11.7
    if stop is not None:
        with contextlib.suppress(Exception):
            stop()


def timed_script(script, beats) -> str:
    """The script as JSON with, for each beat rendered, when its sentence is spoken
    (start, end) and when the scene showed its caption (the scene's own record)."""
    import json

    timings = {b.key: (b.start, b.end) for b in beats}
    doc = json.loads(render_notes(script, "json", timings))
    shown = {b.key: [round(b.shown[0], 3), round(b.shown[1], 3)] for b in beats}
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


def render_command(request: RenderRequest, problem: Problem) -> int:
    """``explainer render`` for the problem its options describe (limits already checked)."""
    from scenes.voice import load_voice

    board = list(build_script(problem).section_names)
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
    name = video_name(request, problem)
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
    )
    progress.done()
    took = time.monotonic() - started
    print(f"Rendered {video_duration(out.video):.1f} s of video in {took:.0f} s.", file=sys.stderr)
    print(f"captions: {out.captions}", file=sys.stderr)
    print(f"script with timings: {out.notes}", file=sys.stderr)
    print(out.video)
    return 0
