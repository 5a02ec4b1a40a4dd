"""A lecture rendered in parts: cut where the stage is empty, cached, rendered in parallel.

Sections that continue the previous section's picture (the filter over the image, the
products left by the multiplication, …) stay in one part with it; everywhere else the
stage is empty between sections, so the lecture can be cut there and the parts rendered
apart, by separate processes, and joined without a seam.

Each finished part is kept in the cache folder under a key made of everything that
changes its frames or its sound: the code, the problem, the part's sections and the
script's sentences in them, the quality and the voice. An unchanged re-render joins
cached parts only; a change to one section re-renders only the part that holds it.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from explainer import errors
from explainer.core.problem import Problem
from explainer.errors import ExplainerWarning
from explainer.files.cache import CacheError, finite_seconds, open_entry, publish, read_verified
from explainer.files.safe_io import printable
from explainer.files.safe_json import loads_bounded
from scenes.voice import cache_dir

MAX_CACHE_BYTES = 3 * 1024**3  # beyond this, the least recently used parts are deleted
PART_FILES = ("video.mp4", "part.json")


@dataclass(frozen=True)
class Part:
    """Consecutive sections rendered as one video."""

    index: int
    sections: tuple[str, ...]
    last: bool
    """The lecture's last part ends with a short pause; the others end on an empty stage."""


def split_parts(sections: Sequence[str], continues: Iterable[str]) -> list[Part]:
    """Cut ``sections`` before every section that starts from an empty stage.

    >>> [p.sections for p in split_parts(["title", "image", "filter", "add"], {"filter"})]
    [('title',), ('image', 'filter'), ('add',)]
    """
    keep = set(continues)
    groups: list[list[str]] = []
    for name in sections:
        if groups and name in keep:
            groups[-1].append(name)
        else:
            groups.append([name])
    return [Part(k, tuple(group), last=k == len(groups) - 1) for k, group in enumerate(groups)]


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of every source file that draws or words the lecture, and of manim's version."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for root in (Path(errors.__file__).parent, Path(__file__).parent):  # explainer/, scenes/
        for path in sorted(root.rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    digest.update(version("manim").encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class PartJob:
    """Everything a worker needs to render one part into the cache."""

    problem: Problem
    part: Part
    quality: str
    voice: str
    key: str
    folder: Path
    """Where the finished part lives in the cache."""
    settings: dict = field(default_factory=dict)
    """manim settings (quality, encoder options) for the part's render."""
    lesson: str = "convolution"
    """The lesson drawn: the convolution's own scenes, or the generic board stage."""

    @property
    def cached(self) -> bool:
        """Whether the part is in the cache and passes its check (a damaged part is removed,
        with a warning, to be rendered again)."""
        return open_part(self.folder) is not None


MAX_PART_SECONDS = 3600.0
"""A cached part longer than this is not one the renderer made."""


def check_part(entry) -> None:
    """Refuse a part whose record (part.json) is not what a render writes (ValueError)."""
    record = loads_bounded(read_verified(entry, "part.json"), "part.json", depth=6)
    duration = finite_seconds(record["duration"], MAX_PART_SECONDS)
    for beat in record["beats"]:
        if not isinstance(beat["key"], str) or not isinstance(beat["caption"], str):
            raise ValueError("a beat without its key or caption")
        for value in (beat["start"], beat["end"], *beat["shown"]):
            finite_seconds(value, duration + 1.0)


def open_part(folder: Path):
    """The checked cache entry of a part, or None (see :func:`explainer.files.cache.open_entry`)."""
    return open_entry(folder, PART_FILES, "part", check_part)


def part_key(problem: Problem, part: Part, quality: str, voice: str, script, digest: str) -> str:
    """The cache key of one part (see the module's docstring)."""
    sentences = [
        (beat.key, beat.caption, beat.speech)
        for section in script.sections
        if section.name in part.sections
        for beat in section.beats
    ]
    ident = json.dumps(
        [code_version(), digest, list(part.sections), part.last, quality, voice, sentences],
        ensure_ascii=False,
    )
    return hashlib.sha256(ident.encode()).hexdigest()[:32]


def parts_folder() -> Path:
    return cache_dir() / "parts"


def joined_folder(keys: Sequence[str]) -> Path:
    """Where the video joined from exactly these parts, in this order, is kept."""
    digest = hashlib.sha256("|".join(keys).encode()).hexdigest()[:32]
    return parts_folder() / f"joined-{digest}"


def complete(folder: Path, names: Iterable[str]) -> bool:
    return all((folder / name).exists() for name in names)


@contextlib.contextmanager
def _few_collections():
    """Python's cyclic garbage collector run less often while a part is drawn.

    manim makes and drops many small objects each frame, which reference counting
    frees; at the default threshold (700 allocations) the collector still ran 3,089
    times over three sections of the lecture at 1080p, 2.0 s of CPU; with 50,000 it ran
    8 times, 0.2 s. Cycles are still collected, less often.
    """
    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def render_part(job: PartJob, progress=None) -> Path:
    """Render one part with manim and publish it in the cache; return its folder.

    The render happens in a private temporary folder; the finished files are moved into
    place with one rename, so a part in the cache is always complete.
    """
    from manim import tempconfig

    from scenes import families, interpolation, paths, redraw
    from scenes.board import BoardLecture
    from scenes.encoding import install
    from scenes.lecture import Lecture

    install()  # held frames converted once; a part's sound kept as WAV only
    paths.install()  # an unchanged shape's path built once
    redraw.install()  # a frame restored and handed on only where its shapes move
    families.install()  # families listed in one loop; no updater walk without updaters
    interpolation.install()  # a transform's frame worked out for all its shapes at once
    root = job.folder.parent
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{job.key}.{os.getpid()}.", dir=root))
    media = _media_folder(work)
    try:
        settings = {**job.settings, "media_dir": str(media), "output_file": "part"}
        with tempconfig(settings):
            staged = (Lecture,) if job.lesson == "convolution" else (BoardLecture,)
            scene_cls = type(
                "Lecture",
                staged,
                {
                    "lesson_name": job.lesson,
                    "problem": job.problem,
                    "sections": job.part.sections,
                    "progress": progress,
                    "voice_name": job.voice,
                    "closing": job.part.last,
                },
            )
            scene = scene_cls()
            try:
                with _few_collections():
                    scene.render()
            except BaseException:
                # An interrupt can land between manim's own clean-ups; stop its encoder
                # threads here, or they would keep the process alive after the error.
                with contextlib.suppress(Exception):
                    scene.renderer.file_writer.abort_encode_jobs()
                raise
        videos = [p for p in media.rglob("part.mp4") if "partial" not in str(p)]
        if not videos:
            raise RuntimeError("manim finished without writing a video")
        out = work / "out"
        out.mkdir()
        shutil.move(str(videos[0]), out / "video.mp4")
        sound = videos[0].with_suffix(".wav")
        if sound.exists():
            shutil.move(str(sound), out / "audio.wav")
        (out / "part.json").write_text(_part_record(scene, out / "video.mp4"), encoding="utf-8")

        # One rename; a part another render published first is kept, a damaged one replaced.
        publish(out, job.folder, None, "part", PART_FILES, check_part)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(media, ignore_errors=True)
    return job.folder


def _media_folder(work: Path) -> Path:
    """Where manim draws a part: inside ``work``, unless its path holds a character that
    manim's list of segments (an ffmpeg concat file, one quoted path a line) cannot carry;
    then in a private folder of the system's temporary folder."""
    if not set("'\\\n\r") & set(str(work)):
        return work / "media"
    media = Path(tempfile.mkdtemp(prefix="explainer-part-"))
    if set("'\\\n\r") & set(str(media)):
        shutil.rmtree(media, ignore_errors=True)
        raise CacheError(
            f"cannot render in {printable(str(work))} or {printable(str(media.parent))}: "
            "their paths hold a quote or a line break; set TMPDIR to another folder"
        )
    return media


def _part_record(scene, video: Path) -> str:
    """What the join needs of a part: its exact duration and, for every beat, when its
    sentence is spoken and when its caption is shown (seconds from the part's start)."""
    from scenes.joining import frames_duration

    beats = [
        {
            "key": beat.key,
            "caption": beat.caption,
            "start": start,
            "end": end,
            "shown": [shown_from, shown_to],
        }
        for (start, end, beat), (shown_from, shown_to, _) in zip(
            scene.spoken, scene.caption_log, strict=True
        )
    ]
    return json.dumps({"duration": frames_duration(video), "beats": beats}, ensure_ascii=False)


def worker_init() -> None:
    """In a worker process: die with the parent (a killed render leaves no orphans), and
    leave interrupts to the parent, which stops the workers itself."""
    import logging

    logging.getLogger("av").setLevel(logging.ERROR)  # libav's notes on unused mux options
    warnings.showwarning = _one_line_warning
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A worker's warnings as the command shows them: ours in one line, others not at all."""
    if issubclass(category, ExplainerWarning):
        print(f"explainer: warning: {printable(str(message))}", file=sys.stderr, flush=True)


def remove_abandoned_work(root: Path) -> None:
    """Delete temporary part folders whose rendering process no longer runs."""
    if not root.is_dir():
        return
    for folder in root.glob(".*.*.*"):
        try:
            pid = int(folder.name.split(".")[2])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError, IndexError):
            continue


def prune(root: Path, keep: Iterable[Path], limit: int = MAX_CACHE_BYTES) -> None:
    """Delete the least recently used parts until the cache is under ``limit`` bytes."""
    if not root.is_dir():
        return
    keep_names = {Path(p).name for p in keep}
    entries = []
    total = 0
    for folder in root.iterdir():
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
        entries.append((folder.stat().st_mtime, size, folder))
        total += size
    for _, size, folder in sorted(entries):
        if total <= limit:
            break
        if folder.name in keep_names:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        total -= size


def touch(folder: Path) -> None:
    """Mark a part as just used (the cache forgets the least recently used first)."""
    with contextlib.suppress(OSError):
        os.utime(folder)
