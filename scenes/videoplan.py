"""One lecture video as nodes of the task graph: voice per sentence → parts → join.

:func:`plan_video` cuts the lecture into parts and names everything by content (the parts'
keys, the joined video's key); :func:`add_video_nodes` adds to a :class:`~scenes.graph.Graph`
only what the cache does not hold; :func:`keep_video` puts what the tasks returned (as
bytes) into this machine's verified cache and returns the joined video's entry. ``explainer
render`` and ``explainer course`` both use them, so a video is the same bytes either way.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from explainer.core.limits import check_renderable
from explainer.core.problem import Problem
from explainer.errors import ProblemError
from explainer.files.cache import new_work_folder, open_entry, publish, read_verified
from explainer.lessons import DEFAULT_LESSON
from explainer.lessons import lesson as find_lesson
from explainer.request import QUALITIES
from scenes import parts as partlib
from scenes.encoding import ENCODER_OPTIONS
from scenes.graph import Done, Failed, Graph, Node, Ref
from scenes.tasks import JOINED_FILES, PartFiles, join_part_files, render_part_files, speak

STAGED_LESSONS = ("convolution", "layer", "backward", "transposed")
"""Lessons whose sections the scenes can draw: the convolution's own scenes, and every
lesson whose beats carry boards through the generic stage (:mod:`scenes.board`)."""

SPOKEN_CHARACTERS_PER_SECOND = 17.0
"""How fast the voice reads (Joe: 16.4–18 characters a second over bench_course.py's
sentences): a sentence's length in seconds, foreseen from its text."""
DRAWING_CPU = {"low": 0.55, "medium": 0.9, "high": 1.4, "4k": 4.0}
"""CPU seconds a part takes per second of the video it draws, by quality. At 480p15,
0.55 on average over the 34 parts of bench_course.py's four lessons (0.35–0.85); at
1080p60 about 1.4 (the lecture renders in 0.65–0.78× its duration on two cores); the
others between and beyond."""
SOUND_CPU = 0.055
"""CPU seconds the join takes per second of sound it encodes (AAC, one thread): 9–11 s
for each of bench_course.py's lessons, as much as one of their longest parts."""


@dataclass(frozen=True)
class VideoPlan:
    script: object
    """The lesson's script (its sentences are the parts' keys and the timed script's)."""
    jobs: tuple[partlib.PartJob, ...]
    joined: Path
    """The joined video's entry in this machine's cache."""
    voice: str

    @property
    def joined_key(self) -> str:
        return self.joined.name

    def cached_entry(self):
        """The joined video's checked cache entry, or None."""
        return open_entry(self.joined, JOINED_FILES, "joined video")

    def missing(self) -> list[partlib.PartJob]:
        return [job for job in self.jobs if not job.cached]


def check_stageable(lesson_name: str) -> None:
    if lesson_name not in STAGED_LESSONS:
        raise ProblemError(
            f"the {lesson_name} lesson has no video yet; the lessons with one are "
            + ", ".join(STAGED_LESSONS)
        )


def plan_video(
    problem: Problem,
    sections: Sequence[str] | None,
    quality: str,
    voice: str,
    extra_config: dict | None = None,
    lesson_name: str = DEFAULT_LESSON,
) -> VideoPlan:
    """The parts of the lecture's chosen sections, each with its cache key."""
    from manim import config

    from scenes.lecture import CONTINUES

    check_stageable(lesson_name)
    convolution = lesson_name == DEFAULT_LESSON
    if convolution:
        check_renderable(problem.geometry)
    script = find_lesson(lesson_name).build_script(problem)
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
    digest = (
        repr(problem_identity(problem))
        if convolution
        else f"{lesson_name}:{lesson_identity(problem)}"
    )
    continues = CONTINUES if convolution else frozenset()  # board sections start empty
    root = partlib.parts_folder()
    partlib.remove_abandoned_work(root)
    jobs = tuple(
        partlib.PartJob(problem, part, quality, voice, key, root / key, dict(settings), lesson_name)
        for part in contiguous_parts(board, script.section_names, continues)
        for key in [partlib.part_key(problem, part, quality, voice, script, digest)]
    )
    joined = partlib.joined_folder([job.key for job in jobs])
    return VideoPlan(script, jobs, joined, voice)


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


def lesson_identity(problem) -> str:
    """Another lesson's problem, by value: the digest of its pickled form (its arrays and
    options), for the parts' keys and the video's name."""
    import hashlib
    import pickle

    return hashlib.sha256(pickle.dumps(problem, protocol=4)).hexdigest()


def problem_digest(problem: Problem) -> str:
    """Eight hex digits that change with any value or option of the problem."""
    import hashlib

    return hashlib.sha256(repr(problem_identity(problem)).encode()).hexdigest()[:8]


def contiguous_parts(board: list[str], every: Sequence[str], continues) -> list[partlib.Part]:
    """Parts of the chosen sections; a section whose predecessor was left out starts a
    part of its own (its picture cannot continue one that was never drawn)."""
    runs: list[list[str]] = []
    for name in board:
        position = every.index(name)
        if runs and every.index(runs[-1][-1]) == position - 1:
            runs[-1].append(name)
        else:
            runs.append([name])
    pieces = [p.sections for run in runs for p in partlib.split_parts(run, continues)]
    return [partlib.Part(k, s, last=k == len(pieces) - 1) for k, s in enumerate(pieces)]


def add_video_nodes(
    graph: Graph, plan: VideoPlan, lesson_id: str, verified: Ref | None = None, progress=None
) -> Ref:
    """Add the nodes that make the video; return the join's reference.

    A cached part goes in as its files (a remote worker has no access to this cache);
    a missing one as a render that waits for its sentences and for ``verified``.
    """
    parts: list[Ref | PartFiles] = []
    for job in plan.jobs:
        entry = partlib.open_part(job.folder)
        if entry is not None:
            files = {name: read_verified(entry, name) for name in entry.files}
            parts.append(PartFiles(job.key, files, False))
            continue
        sentences = []
        if plan.voice != "none":
            from scenes.tasks import _voice

            voice = _voice(plan.voice)
            for beat in _beats_of(plan.script, job.part.sections):
                node = Node(
                    f"voice-{voice.key(beat.speech)}",
                    "voice",
                    lesson_id,
                    speak,
                    (plan.voice, beat.speech),
                    weight=0.5,
                )
                sentences.append(graph.add(node))
        node = Node(
            f"part-{job.key}",
            "part",
            lesson_id,
            render_part_files,
            (job, sentences, verified, progress),
            weight=part_weight(plan, job),
        )
        parts.append(graph.add(node))
    join = Node(
        f"join-{plan.joined_key}",
        "join",
        lesson_id,
        join_part_files,
        (plan.script, parts),
        weight=join_weight(plan),
    )
    return graph.add(join)


def video_seconds(plan: VideoPlan, job: partlib.PartJob) -> float:
    """About how long the part's video lasts: each beat's sentence as the voice will say it
    (or its caption's reading time, silent) and the pause after it."""
    from scenes.stage import PAUSE, reading_time

    def said(beat) -> float:
        if plan.voice == "none":
            return reading_time(beat.caption)
        return len(beat.speech) / SPOKEN_CHARACTERS_PER_SECOND

    return sum(said(beat) + PAUSE for beat in _beats_of(plan.script, job.part.sections))


def part_weight(plan: VideoPlan, job: partlib.PartJob) -> float:
    """About how many CPU seconds the part takes to draw (the graph's order and time left:
    the longest first). Its number of beats said little: at 480p15 a part of eight beats
    took 27 s, one of three 11 s, one of five 9 s."""
    return 1.0 + DRAWING_CPU.get(job.quality, 1.0) * video_seconds(plan, job)


def join_weight(plan: VideoPlan) -> float:
    """About how many CPU seconds the join takes: a copy of the parts' video streams and,
    voiced, one encode of the whole sound track."""
    if plan.voice == "none":
        return 0.5
    return 0.5 + SOUND_CPU * sum(video_seconds(plan, job) for job in plan.jobs)


def _beats_of(script, sections: Sequence[str]) -> list:
    return [
        beat for section in script.sections if section.name in sections for beat in section.beats
    ]


def keep_video(plan: VideoPlan, results: dict[str, Done | Failed]):
    """Put the parts and the joined video the tasks returned into this machine's cache;
    return the joined video's entry (raising the first failure, if any)."""
    for job in plan.jobs:
        outcome = results.get(f"part-{job.key}")
        if isinstance(outcome, Done) and partlib.open_part(job.folder) is None:
            _publish(
                job.folder, outcome.value.files, "part", partlib.PART_FILES, partlib.check_part
            )
        partlib.touch(job.folder)
    entry = plan.cached_entry()
    if entry is not None:
        return entry
    outcome = results[f"join-{plan.joined_key}"]
    if isinstance(outcome, Failed):
        raise outcome.error
    return _publish(plan.joined, outcome.value, "joined video", JOINED_FILES, None)


def _publish(folder: Path, files: dict[str, bytes], what: str, required, check):
    """A cache entry made of the bytes a task returned, published by one rename."""
    work = new_work_folder(folder.parent, folder.name)
    try:
        for name, data in files.items():
            (work / name).write_bytes(data)
        return publish(work, folder, None, what, required, check)
    finally:
        shutil.rmtree(work, ignore_errors=True)
