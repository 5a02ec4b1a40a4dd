"""``explainer course COURSE.toml``: every lesson of a course as one graph of tasks on Dask.

For each lesson of the manifest (:mod:`explainer.course.manifest`) the graph holds its proof
(script, claims, sympy), its video (voice per sentence → parts → join, see
:mod:`scenes.videoplan`) and its documents (page, slides, handout, worksheet, derivation),
each keyed by its content, so that shared work is done once and cached work not at all.
The graph runs on a ``LocalCluster`` started for the command (one single-threaded worker
process per CPU) or on an existing cluster (``--scheduler``); results come back as bytes and
are written here, each file complete or absent, then the index page, last.

A lesson that fails is reported with its one line; the others finish. An interrupted
course leaves complete files only, and the next run takes what was done from the cache.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from explainer.course.index import (
    LessonRow,
    death_line,
    index_html,
    plan_line,
    report_lines,
    shapes_of,
)
from explainer.course.manifest import Course, LessonEntry
from explainer.errors import ExplainerError, ProblemError
from explainer.files.cache import cache_root, open_entry, prune, read_verified
from explainer.files.output import write_atomic
from explainer.files.safe_io import printable
from explainer.lessons import DEFAULT_LESSON
from explainer.lessons import lesson as find_lesson
from scenes import parts as partlib
from scenes.graph import (
    Deaths,
    Done,
    Failed,
    Graph,
    Node,
    Ref,
    dashboard,
    dask_client,
    event_mark,
    run_here,
    run_on_dask,
    worker_deaths,
)
from scenes.tasks import document_names, make_document, verify_lesson
from scenes.videoplan import (
    VideoPlan,
    add_video_nodes,
    keep_video,
    lesson_identity,
    plan_video,
    problem_identity,
)

DOCUMENT_WEIGHT = {"handout": 4.0, "worksheet": 4.0, "derivation": 2.0}


@dataclass
class LessonPlan:
    entry: LessonEntry
    script: object
    verified: Ref
    video: VideoPlan | None = None
    documents: dict[str, Ref | object] = field(default_factory=dict)
    """Each document: the node that makes it, or its cache entry."""
    cached_parts: int = 0
    """Parts the cache held when the course was planned."""
    cached_join: bool = False


def documents_folder() -> Path:
    return cache_root() / "documents"


def _identity(entry: LessonEntry) -> object:
    """The entry's problem by value: every value and option (the convolution's as data,
    another lesson's as the digest of its pickled form, as its video's parts are keyed)."""
    if entry.lesson == DEFAULT_LESSON:
        return problem_identity(entry.problem)
    return f"{entry.lesson}:{lesson_identity(entry.problem)}"


def _document_key(kind: str, entry: LessonEntry) -> str:
    ident = json.dumps(
        [
            partlib.code_version(),
            entry.lesson,
            repr(_identity(entry)),
            kind,
            entry.derivation_format if kind == "derivation" else "",
        ]
    )
    return f"{kind}-{hashlib.sha256(ident.encode()).hexdigest()[:32]}"


def plan_course(course: Course) -> tuple[Graph, list[LessonPlan]]:
    """The graph of everything the course needs that the cache does not hold."""
    graph = Graph()
    plans = []
    for k, entry in enumerate(course.lessons, start=1):
        try:
            plans.append(_plan_lesson(graph, entry))
        except ExplainerError as err:
            where = f"{printable(course.source)}: lessons[{k}] {entry.id!r}"
            raise ProblemError(f"{where}: {printable(str(err))}") from None
    return graph, plans


def _plan_lesson(graph: Graph, entry: LessonEntry) -> LessonPlan:
    script = find_lesson(entry.lesson).build_script(entry.problem)
    ident = repr((partlib.code_version(), entry.lesson, _identity(entry)))
    key = "script-" + hashlib.sha256(ident.encode()).hexdigest()[:32]
    verified = graph.add(
        Node(key, "script", entry.id, verify_lesson, (entry.lesson, entry.problem), weight=2.0)
    )
    plan = LessonPlan(entry, script, verified)
    if "video" in entry.outputs:
        plan.video = plan_video(
            entry.problem, entry.sections, entry.quality, entry.voice, lesson_name=entry.lesson
        )
        if plan.video.cached_entry() is None:
            plan.cached_parts = len(plan.video.jobs) - len(plan.video.missing())
            add_video_nodes(graph, plan.video, entry.id, verified)
        else:
            plan.cached_parts, plan.cached_join = len(plan.video.jobs), True
    for kind in entry.outputs:
        if kind == "video":
            continue
        key = _document_key(kind, entry)
        names = document_names(kind, entry.derivation_format)
        cached = open_entry(documents_folder() / key, names, "document")
        if cached is not None:
            plan.documents[kind] = cached
            continue
        args = (kind, entry.lesson, entry.problem, entry.derivation_format, verified)
        weight = DOCUMENT_WEIGHT.get(kind, 1.0)
        plan.documents[kind] = graph.add(Node(key, kind, entry.id, make_document, args, weight))
    return plan


class CourseDisplay:
    """One progress display for the whole course: per lesson its stage and parts done,
    and for the course the tasks done and the time left. Live (rich) on a terminal, one
    plain line per finished task otherwise."""

    def __init__(self, graph: Graph, lessons: list[str], stream=None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.nodes = list(graph.nodes.values())
        self.weight = sum(n.weight for n in self.nodes) or 1.0
        self.done_weight = 0.0
        self.count = 0
        self.started = time.monotonic()
        self.parts = {lesson: [0, 0] for lesson in lessons}
        for node in self.nodes:
            if node.stage == "part":
                self.parts[node.lesson][1] += 1
        self.stage = dict.fromkeys(lessons, "waiting")
        self.rich = None
        if self.stream.isatty() and self.nodes:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.rich = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
            )
            self.course_row = self.rich.add_task("course", total=len(self.nodes))
            tasks = {lesson: sum(n.lesson == lesson for n in self.nodes) for lesson in lessons}
            self.rows = {
                lesson: self.rich.add_task(self._describe(lesson), total=tasks[lesson] or 1)
                for lesson in lessons
            }

    def _describe(self, lesson: str) -> str:
        done, total = self.parts[lesson]
        parts = f" · parts {done}/{total}" if total else ""
        return f"  {lesson:<14} {self.stage[lesson]:<12}{parts}"

    def __enter__(self) -> CourseDisplay:
        if self.rich is not None:
            self.rich.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.rich is not None:
            self.rich.stop()

    def left(self) -> float | None:
        """Seconds left, from the work done so far (weighted by each task's size)."""
        if self.done_weight <= 0:
            return None
        spent = time.monotonic() - self.started
        return spent / self.done_weight * (self.weight - self.done_weight)

    def __call__(self, node: Node, outcome: Done | Failed) -> None:
        self.count += 1
        self.done_weight += node.weight
        if node.stage == "part":
            self.parts[node.lesson][0] += 1
        failed = isinstance(outcome, Failed)
        self.stage[node.lesson] = "failed" if failed else f"{node.stage} done"
        if self.rich is not None:
            self.rich.update(self.course_row, completed=self.count)
            self.rich.update(
                self.rows[node.lesson], advance=1, description=self._describe(node.lesson)
            )
            return
        left = self.left()
        eta = (
            f", about {left:.0f} s left"
            if left is not None and self.count < len(self.nodes)
            else ""
        )
        done, total = self.parts[node.lesson]
        parts = f", parts {done}/{total}" if total else ""
        what = "FAILED" if failed else "done"
        self.stream.write(
            f"[{self.count:>3}/{len(self.nodes)}] {node.stage:<10} {node.lesson:<14} {what}"
            f"{parts} ({time.monotonic() - self.started:.0f} s{eta})\n"
        )
        self.stream.flush()


def error_line(error: BaseException) -> str:
    """What a failed task says, in one line."""
    if isinstance(error, ExplainerError):
        return printable(str(error))
    name = type(error).__name__
    if name == "KilledWorker":
        return "a worker died each time it ran this lesson's task"
    return printable(f"{name}: {error}".splitlines()[0] if str(error) else name)


def run_course(
    course: Course,
    output_dir: Path,
    scheduler: str | None = None,
    workers: int | None = None,
    stream=None,
) -> int:
    """Make every output of the course under ``output_dir``; 0 when every lesson succeeded,
    1 when one or more failed (each said in one line; the others are written)."""
    stream = stream if stream is not None else sys.stderr
    started = time.monotonic()
    graph, plans = plan_course(course)  # a lesson that cannot be planned: nothing written
    ids = [p.entry.id for p in plans]
    heavy = any(n.stage != "script" for n in graph.nodes.values())
    say = _sayer(stream)
    parts = sum(n.stage == "part" for n in graph.nodes.values())
    say(plan_line(course.title, len(plans), len(graph), parts))
    display = CourseDisplay(graph, ids, stream)
    deaths = None
    if scheduler is None and not heavy:
        engine = "one process (nothing to draw or typeset)"
        with display:
            results = run_here(graph, display)
    else:
        with dask_client(scheduler, workers) as client:
            count = len(client.scheduler_info().get("workers", {}))
            engine = f"{count} Dask worker{'s' if count != 1 else ''}"
            engine += f" at {scheduler}" if scheduler else " (LocalCluster)"
            link = dashboard(client)
            say(f"Dask: {engine}" + (f"; dashboard: {link}" if link else ""))
            mark = event_mark(client)
            with display:
                results = run_on_dask(client, graph, display)
            deaths = worker_deaths(client, mark, results)
    out = Path(output_dir)
    return _finish(course, plans, graph, results, out, started, engine, say, deaths)


def _sayer(stream):
    def say(line: str) -> None:
        stream.write(line + "\n")
        stream.flush()

    return say


def _finish(
    course, plans, graph, results, out: Path, started, engine, say, deaths: Deaths | None = None
) -> int:
    from scenes.render import video_duration

    made: dict[str, int] = {}
    cached: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for node in graph.nodes.values():
        outcome = results.get(node.key)
        if isinstance(outcome, Done):
            seconds[node.stage] = seconds.get(node.stage, 0.0) + outcome.seconds
            fresh = getattr(outcome.value, "rendered", True)
            table = made if fresh else cached
            table[node.stage] = table.get(node.stage, 0) + 1
    rows: list[LessonRow] = []
    failures: list[tuple[str, str]] = []
    keep: list[Path] = []
    out.mkdir(parents=True, exist_ok=True)
    for plan in plans:
        entry = plan.entry
        folder = out / entry.id
        title = entry.title or plan.script.labels.get("title") or entry.problem.describe()
        row = LessonRow(entry.id, title, entry.lesson, *_problem_words(entry, plan.script))
        problem = _first_failure(plan, results)
        if problem is not None:
            row.failed = error_line(problem)
            failures.append((entry.id, row.failed))
            rows.append(row)
            continue
        folder.mkdir(exist_ok=True)
        if plan.video is not None:
            cached["part"] = cached.get("part", 0) + plan.cached_parts
            cached["join"] = cached.get("join", 0) + plan.cached_join
            joined = keep_video(plan.video, results)
            keep += [job.folder for job in plan.video.jobs] + [plan.video.joined]
            for name, target in (
                ("captions.srt", "video.srt"),
                ("script.json", "video.script.json"),
                ("video.mp4", "video.mp4"),
            ):
                write_atomic(folder / target, read_verified(joined, name))
            row.duration = video_duration(folder / "video.mp4")
            row.links.append(("video", f"{entry.id}/video.mp4"))
            row.links.append(("captions", f"{entry.id}/video.srt"))
        for kind, source in plan.documents.items():
            names = document_names(kind, entry.derivation_format)
            files = _document_files(kind, entry, source, results, names)
            if not isinstance(source, Ref):
                cached[kind] = cached.get(kind, 0) + 1
            for name in names:
                write_atomic(folder / name, files[name])
            row.links.append((kind, f"{entry.id}/{names[0]}"))
        rows.append(row)
    write_atomic(out / "index.html", index_html(course.title, rows).encode("utf-8"))
    prune(keep=keep)
    wall = time.monotonic() - started
    for line in report_lines(made, cached, seconds, wall, engine, failures):
        say(line)
    if deaths is not None and deaths.died:
        say(death_line(deaths.died, deaths.started, deaths.rerun))
    say(f"index: {out / 'index.html'}")
    return 1 if failures else 0


def _problem_words(entry: LessonEntry, script) -> tuple[str, str, str]:
    """The index line's problem, shapes and summary. The convolution's shapes are its
    image, kernel and result; another lesson's are its script's own words for its problem
    (``1×9×9 → 3 filters 1×3×3, bias, ReLU → 3×7×7 → …``), and its problem is the options
    the manifest gave (or the lesson's own example)."""
    if entry.lesson == DEFAULT_LESSON:
        return entry.problem.describe(), shapes_of(entry.problem), _summary(script)
    given = " ".join(entry.options) or "the lesson's own example"
    shapes = script.labels.get("problem") or entry.problem.describe()
    return given, shapes, _summary(script)


def _summary(script) -> str:
    """One sentence of the script: the first of its closing section."""
    for section in reversed(script.sections):
        if section.beats:
            return section.beats[0].caption
    return ""


def _first_failure(plan: LessonPlan, results) -> BaseException | None:
    refs = [plan.verified.key]
    refs += [r.key for r in plan.documents.values() if isinstance(r, Ref)]
    if plan.video is not None:
        refs.append(f"join-{plan.video.joined_key}")
    for key in refs:
        outcome = results.get(key)
        if isinstance(outcome, Failed):
            return outcome.error
    return None


def _document_files(kind, entry, source, results, names) -> dict[str, bytes]:
    """A document's files: from the task (then kept in the cache) or from the cache."""
    from scenes.videoplan import _publish

    if isinstance(source, Ref):
        files = results[source.key].value
        folder = documents_folder() / source.key
        if open_entry(folder, names, "document") is None:
            _publish(folder, files, "document", names, None)
        return files
    return {name: read_verified(source, name) for name in names}
