"""`explainer course`: a manifest checked before any work, one task graph on Dask, an index.

The video tests share one course run (three small lessons at 480p15, two sections each, two
silent and one voiced, through a two-worker LocalCluster); the others reuse its outputs.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_support import processes_in_group

from explainer.cli import main
from explainer.course import manifest as course_manifest
from explainer.course.manifest import parse_manifest, read_manifest
from explainer.errors import ProblemError
from explainer.lessons import lesson as find_lesson
from explainer.lessons import lesson_names
from explainer.lessons.exercises import exercises
from explainer.lessons.layer.words import default_stack
from scenes.graph import Graph, Node, Ref, dask_client, run_here, run_on_dask
from scenes.tasks import make_document

ROOT = Path(__file__).resolve().parents[1]
EXPLAINER = [sys.executable, "-m", "explainer"]  # this tree's, whichever is installed
# The same, taking Ctrl-C even when started from a shell that ignores it (a background job
# inherits SIGINT ignored, and Python then leaves it so).
INTERRUPTIBLE = [
    sys.executable,
    "-c",
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from explainer.cli import main; sys.exit(main())",
]

SILENT = """
[[lessons]]
id = "x"
lesson = "convolution"
title = "The lecture's X"
sections = ["title", "image"]
outputs = ["video", "page", "derivation"]

[[lessons]]
id = "edges"
lesson = "convolution"
sections = ["title", "image"]
outputs = ["video", "slides"]
[lessons.problem]
image = "square"
kernel = "sobel-x"
padding = "same"
stride = 2
"""
VOICED = """
[[lessons]]
id = "voiced"
lesson = "convolution"
sections = ["title", "image"]
voice = "joe"
outputs = ["video"]
[lessons.problem]
image = "square"
kernel = "box-blur"
"""
HEAD = 'title = "A small course"\nquality = "low"\nvoice = "none"\n'


# ----- the manifest ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('lesson = "convolution"', "lessons[2] 'edges': lesson: unknown lesson 'pooling'"),
        ("stride = 2", "lessons[2] 'edges': problem.stride: --stride '2,x' is not valid"),
        ('kernel = "sobel-x"', "lessons[2] 'edges': problem: 'sobel-z' is neither"),
        ('sections = ["title", "image"]', "lessons[2] 'edges': sections: unknown section 'intro'"),
        ('outputs = ["video", "slides"]', "lessons[2] 'edges': outputs: 'poster' is not one of"),
        ('padding = "same"', "lessons[2] 'edges': problem: unknown option 'paddin'"),
    ],
)
def test_a_bad_entry_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, change, message):
    bad = {
        'lesson = "convolution"': 'lesson = "pooling"',
        "stride = 2": 'stride = "2,x"',
        'kernel = "sobel-x"': 'kernel = "sobel-z"',
        'sections = ["title", "image"]': 'sections = ["intro"]',
        'outputs = ["video", "slides"]': 'outputs = ["poster"]',
        'padding = "same"': 'paddin = "same"',
    }[change]
    # Only the second entry is broken (each replacement hits its first occurrence there).
    first, second = SILENT.split("[[lessons]]")[1:]
    text = HEAD + "[[lessons]]" + first + "[[lessons]]" + second.replace(change, bad, 1)
    manifest = tmp_path / "course.toml"
    manifest.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    (out / "x").mkdir(parents=True)
    (out / "x" / "page.html").write_text("an earlier good page")
    assert main(["course", str(manifest), "--output-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert err.startswith(f"explainer: error: {manifest}: lessons[2] 'edges'")
    assert sorted(p.name for p in out.rglob("*")) == ["page.html", "x"]
    assert (out / "x" / "page.html").read_text() == "an earlier good page"


def test_manifest_fields_and_defaults():
    course = parse_manifest(HEAD + SILENT + VOICED, "c.toml")
    x, edges, voiced = course.lessons
    assert (x.quality, x.voice, x.sections) == ("low", "none", ("title", "image"))
    assert edges.problem.stride == (2, 2) and edges.outputs == ("video", "slides")
    assert voiced.voice == "joe" and voiced.title.startswith("8×8 image")
    with pytest.raises(ProblemError, match=r"lessons\[2\] 'x': id: another lesson"):
        parse_manifest(HEAD + SILENT.replace('id = "edges"', 'id = "x"'), "c.toml")
    with pytest.raises(ProblemError, match=r"c.toml: not valid TOML"):
        parse_manifest("title = ", "c.toml")
    with pytest.raises(ProblemError, match=r"lessons\[1\] 'x': outputs: video: .*too large"):
        parse_manifest(
            HEAD + '[[lessons]]\nid = "x"\nlesson = "convolution"\n'
            '[lessons.problem]\nimage = "x"\npadding = 30\n',
            "c.toml",
        )


# ----- the graph's engines --------------------------------------------------------------------


def _double(x: int) -> int:
    return 2 * x


def _add(a: int, b: int) -> int:
    return a + b


def _fail(x: int) -> int:
    raise ProblemError(f"lesson {x} cannot be made")


def _toy_graph() -> Graph:
    graph = Graph()
    a = graph.add(Node("a", "script", "one", _double, (1,)))
    graph.add(Node("a", "script", "one", _double, (99,)))  # same key: the work is shared
    b = graph.add(Node("b", "script", "two", _fail, (2,)))
    graph.add(Node("c", "part", "one", _add, (a, 10)))
    graph.add(Node("d", "part", "two", _add, (b, Ref("a"))))
    return graph


def _check_toy(results) -> None:
    assert len(results) == 4
    assert results["a"].value == 2 and results["c"].value == 12
    assert "lesson 2 cannot be made" in str(results["b"].error)
    assert results["d"].error is not None  # needs the failed node: fails with it


def test_a_failing_node_fails_only_what_needs_it_here():
    _check_toy(run_here(_toy_graph()))


def test_a_failing_node_fails_only_what_needs_it_on_dask():
    with dask_client(workers=2) as client:
        _check_toy(run_on_dask(client, _toy_graph()))


# ----- a real course ----------------------------------------------------------------------------


def _course(tmp: Path, text: str, name: str, cache: Path) -> tuple[Path, Path, dict]:
    manifest = tmp / f"{name}.toml"
    manifest.write_text(text, encoding="utf-8")
    env = dict(os.environ, EXPLAINER_CACHE_DIR=str(cache))
    return manifest, tmp / name, env


@pytest.fixture(scope="module")
def course_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("course")
    cache = tmp / "cache"
    manifest, out, env = _course(tmp, HEAD + SILENT + VOICED, "small", cache)
    cmd = [*EXPLAINER, "course", str(manifest), "--output-dir", str(out), "--workers", "2"]
    run = {"capture_output": True, "text": True, "env": env, "timeout": 600, "cwd": ROOT}
    first = subprocess.run(cmd, **run)
    second = subprocess.run(cmd, **run)
    return out, cache, first, second


@pytest.mark.video
@pytest.mark.voice
def test_a_course_writes_every_output_and_an_index_that_links_them(course_run):
    out, _, first, _ = course_run
    assert first.returncode == 0, first.stderr
    assert "2 Dask workers (LocalCluster)" in first.stderr
    assert re.search(r"made: +3 scripts verified, \d+ sentences, 6 parts, 3 joins", first.stderr)
    for lesson in ("x", "edges", "voiced"):
        assert (out / lesson / "video.mp4").stat().st_size > 10_000
        assert (out / lesson / "video.srt").read_text(encoding="utf-8").startswith("1\n")
    assert (out / "x" / "derivation.md").read_text(encoding="utf-8").startswith("# Convolution")
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    assert len(links) == 3 * 2 + 2 + 1  # video and captions each, page, derivation, slides
    assert all((out / link).is_file() for link in links)
    assert "http" not in index and "<script" not in index  # offline
    assert "image 9×9 · kernel 3×3 → result 7×7" in index and "(0:" in index
    assert "each pixel says how well" in index  # a sentence of the script
    assert not list(out.rglob(".*")), "temporary files left behind"


@pytest.mark.video
@pytest.mark.voice
def test_a_second_run_renders_nothing(course_run):
    _, _, _, second = course_run
    assert second.returncode == 0, second.stderr
    assert "0 parts to draw" in second.stderr and "one process" in second.stderr
    assert "from the cache:  6 parts, 3 joins, 1 page, 1 slide deck, 1 derivation" in second.stderr


@pytest.mark.video
def test_the_course_video_is_the_render_commands_video(course_run, tmp_path, monkeypatch, capsys):
    """The same lesson rendered by `explainer render` in one process (its own cache): the
    same bytes as the course's, drawn by Dask workers."""
    out, _, first, _ = course_run
    assert first.returncode == 0, first.stderr
    monkeypatch.setenv("EXPLAINER_CACHE_DIR", str(tmp_path / "cache"))
    argv = ["render", "--quality", "low", "--voice", "none", "--output-dir", str(tmp_path)]
    from scenes import render

    monkeypatch.setattr(render.os, "cpu_count", lambda: 1)  # one process: no cluster
    assert main([*argv, "--section", "title", "--section", "image"]) == 0
    video = Path(capsys.readouterr().out.strip())
    assert video.read_bytes() == (out / "x" / "video.mp4").read_bytes()


def test_a_worksheet_with_no_exercise_is_refused_up_front(tmp_path, capsys, monkeypatch):
    """A problem whose script sets no exercise has no worksheet: the entry and the field in
    one line, exit 2, nothing written. Every layer problem now sets one (its parameter
    count, asked in a box, needs no computed cell), so the script here sets none by hand."""
    bare = find_lesson("layer").build_script(default_stack())
    assert exercises(bare)  # what the lesson itself does
    monkeypatch.setattr(course_manifest, "exercises", lambda script: ())
    first = SILENT.split("[[lessons]]")[1]
    second = (
        '\nid = "edges"\nlesson = "layer"\noutputs = ["slides", "worksheet"]\n'
        '[lessons.problem]\nbias = "none"\npool = "none"\nfilters2 = "none"\n'
    )
    manifest = tmp_path / "course.toml"
    manifest.write_text(HEAD + "[[lessons]]" + first + "[[lessons]]" + second, encoding="utf-8")
    assert main(["course", str(manifest), "--output-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "lessons[2] 'edges': outputs: worksheet: this problem marks no computed cell" in err
    assert not (tmp_path / "out").exists()


def test_a_board_lessons_slides_and_worksheet_are_what_the_commands_write(tmp_path, capsys):
    stamps = '[[lessons]]\nid = "t"\nlesson = "transposed"\n'
    course = parse_manifest(
        'title = "C"\noutputs = ["page", "slides", "worksheet"]\n' + stamps, "c"
    )
    (entry,) = course.lessons
    assert entry.outputs == ("page", "slides", "worksheet")
    files = make_document("slides", "transposed", entry.problem, "markdown", None)
    target = tmp_path / "s.html"
    assert main(["page", "--lesson", "transposed", "--slides", "-o", str(target)]) == 0
    assert files == {"slides.html": target.read_bytes()}


@pytest.mark.tex
def test_a_board_lessons_worksheet_in_a_course_is_the_handout_commands(tmp_path):
    layer = '[[lessons]]\nid = "l"\nlesson = "layer"\noutputs = ["worksheet"]\n'
    (entry,) = parse_manifest(HEAD + layer, "c").lessons
    files = make_document("worksheet", "layer", entry.problem, "markdown", None)
    target = tmp_path / "w.pdf"
    assert main(["handout", "--lesson", "layer", "--worksheet", "-o", str(target)]) == 0
    assert set(files) == {"worksheet.pdf", "worksheet.tex"}
    assert files["worksheet.tex"] == target.with_suffix(".tex").read_bytes()
    assert files["worksheet.pdf"].startswith(b"%PDF")


def test_a_lessons_own_options_and_outputs():
    """Each lesson reads its own options (as `--lesson NAME` does); another's is refused
    naming the field; outputs it cannot make are refused, even as the course's defaults."""
    layer = '[[lessons]]\nid = "l"\nlesson = "layer"\noutputs = ["page"]\n[lessons.problem]\n'
    course = parse_manifest(HEAD + layer + 'filters = "diagonal"\npool = "avg"\n', "c.toml")
    (entry,) = course.lessons
    assert entry.options == ("--filters=diagonal", "--pool=avg")
    assert entry.problem.layers[0].weight.shape == (1, 1, 3, 3) and len(entry.problem.layers) == 1
    for field, bad, said in [
        ("pool", '"min"', "problem.pool: argument --pool: invalid choice: 'min'"),
        ("bias", '"1,2"', "problem.bias: --bias needs one number or one per filter"),
        ("kernel", '"sobel-x"', "problem: unknown option 'kernel'; the options are image, filt"),
    ]:
        with pytest.raises(ProblemError, match=re.escape(f"lessons[1] 'l': {said}")):
            parse_manifest(HEAD + layer + f"{field} = {bad}\n", "c.toml")
    stamps = '[[lessons]]\nid = "t"\nlesson = "transposed"\n'
    (entry,) = parse_manifest(HEAD + stamps + 'outputs = ["page"]\n', "c.toml").lessons
    assert entry.problem.stride == (2, 2) and entry.title == ""  # the index: the script's


def test_a_board_lessons_derivation_is_what_derive_prints(capsys):
    stamps = '[[lessons]]\nid = "t"\nlesson = "transposed"\noutputs = ["derivation"]\n'
    (entry,) = parse_manifest(HEAD + stamps, "c.toml").lessons
    files = make_document("derivation", "transposed", entry.problem, "markdown", None)
    assert main(["derive", "--lesson", "transposed", "--format", "markdown"]) == 0
    assert files == {"derivation.md": capsys.readouterr().out.encode("utf-8")}


def test_the_example_course_holds_every_lesson():
    course = read_manifest(ROOT / "examples" / "course.toml")
    assert {entry.lesson for entry in course.lessons} == set(lesson_names())


BOARD_LESSONS = """
[[lessons]]
id = "layer"
lesson = "layer"
sections = ["title"]
outputs = ["video", "page", "slides", "handout", "worksheet"]
[lessons.problem]
filters = "diagonal"

[[lessons]]
id = "stamps"
lesson = "transposed"
sections = ["title"]
outputs = ["video", "page", "handout"]
[lessons.problem]
input = "1,2;3,4"
"""


@pytest.mark.video
@pytest.mark.tex
def test_a_course_of_the_layer_and_transposed_lessons(tmp_path):
    """Lessons staged from their boards: each one's video, page and handout, and an index
    line with its own problem and closing sentence."""
    manifest, out, env = _course(tmp_path, HEAD + BOARD_LESSONS, "boards", tmp_path / "cache")
    cmd = [*EXPLAINER, "course", str(manifest), "--output-dir", str(out), "--workers", "2"]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    made = r"made: +2 scripts verified, 2 parts, 2 joins, 2 pages, 1 slide deck, 2 handouts, 1 wo"
    assert re.search(made, run.stderr), run.stderr
    for lesson in ("layer", "stamps"):
        assert (out / lesson / "video.mp4").stat().st_size > 5_000
        assert (out / lesson / "video.srt").read_text(encoding="utf-8").startswith("1\n")
        assert (out / lesson / "handout.pdf").read_bytes().startswith(b"%PDF")
        assert "\\documentclass" in (out / lesson / "handout.tex").read_text(encoding="utf-8")
    assert "From a filter to a layer" in (out / "layer" / "page.html").read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    assert len(links) == 2 * 4 + 2 and all((out / link).is_file() for link in links)
    assert {"layer/slides.html", "layer/worksheet.pdf"} <= set(links)
    lines = index.split('<section class="lesson"')[1:]
    assert "<h2>From a filter to a layer</h2>" in lines[0]  # its script's title
    assert "layer lesson · 1×9×9 → 1 filter 1×3×3, bias, ReLU → 1×7×7" in lines[0]
    assert "--filters=diagonal" in lines[0]
    assert "transposed lesson · a 2×2 input, a 3×3 kernel, stride 2" in lines[1]
    for line, entry in zip(lines, parse_manifest(HEAD + BOARD_LESSONS, "c").lessons, strict=True):
        closing = find_lesson(entry.lesson).build_script(entry.problem).section("summary").beats[0]
        assert f'<p class="summary">{html.escape(closing.caption)}</p>' in line
    assert not list(out.rglob(".*")), "temporary files left behind"


def _left_in_group(group: int, wait: float = 20.0) -> list[str]:
    """The processes of ``group`` still there after up to ``wait`` seconds: a process whose
    parent ended before it (multiprocessing's resource tracker, under `dask worker`) is
    reaped by init, a moment later."""
    deadline = time.monotonic() + wait
    while (left := processes_in_group(group)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _parts_in(cache: Path) -> list[Path]:
    """Finished parts in a cache (not the joined videos, not work folders)."""
    parts = cache / "parts"
    return [p for p in parts.iterdir() if p.name[0] not in ".j"] if parts.is_dir() else []


def _lesson_files(out: Path, lesson: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / lesson).iterdir())}


def _work_folders(cache: Path) -> set[Path]:
    """Parts being drawn: a folder .<key>.<pid>.* of the worker drawing it."""
    return set((cache / "parts").glob(".*.*.*")) if (cache / "parts").is_dir() else set()


def _kill_a_worker_drawing(
    proc: subprocess.Popen, cache: Path, earlier: set[Path], deadline: float
) -> int | None:
    """Once a worker of ``proc``'s course is well into drawing a part, SIGKILL it; its pid
    (None if the course ended first). Work folders there before ``proc`` started (an
    earlier run's, in ``earlier``) are not its workers'."""
    while proc.poll() is None and time.monotonic() < deadline:
        for folder in _work_folders(cache) - earlier:
            pid = int(folder.name.split(".")[2])
            if pid != proc.pid and (folder / "media").exists():
                time.sleep(1.0)  # well into the part
                os.kill(pid, signal.SIGKILL)
                return pid
        time.sleep(0.1)
    return None


@pytest.mark.video
def test_an_interrupted_course_resumes_through_a_killed_worker_to_the_same_bytes(
    course_run, tmp_path
):
    """Ctrl-C (SIGINT to the command's process group, workers included) once a part is
    done: exit 130 with one line, no file half-written, no process left. The next run draws
    only the parts that were missing, and a worker killed while it draws one is replaced
    (the scheduler's log says so) and its part drawn again elsewhere: the same bytes as
    the course run that was never interrupted.

    One course serves both failures (an interrupt, then a killed worker on resuming) so
    that the two lessons' parts are drawn once more, not twice more."""
    out, _, first, _ = course_run
    assert first.returncode == 0, first.stderr
    cache = tmp_path / "cache"
    manifest, again, env = _course(tmp_path, HEAD + SILENT, "again", cache)
    args = ["course", str(manifest), "--output-dir", str(again), "--workers", "2"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    proc = subprocess.Popen(
        [*INTERRUPTIBLE, *args], env=env, cwd=ROOT, start_new_session=True, **pipes
    )
    deadline = time.monotonic() + 400
    while not _parts_in(cache) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()[1]  # still running, one part done
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C does: to every process of the group
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    said = [line for line in err.splitlines() if not line.startswith(("[", "Course", "Dask:"))]
    assert said == ["explainer: interrupted; nothing was left half-written"], err
    assert processes_in_group(proc.pid) == []
    done = len(_parts_in(cache))
    assert 1 <= done < 4, f"{done} of the 4 parts were done when the course was interrupted"
    for path in again.rglob("*") if again.exists() else ():  # whole files, or none
        assert not path.name.startswith("."), path
        if path.is_file() and path.parent != again:
            assert path.read_bytes() == (out / path.relative_to(again)).read_bytes(), path

    earlier = _work_folders(cache)
    resumed = subprocess.Popen([*EXPLAINER, *args], env=env, cwd=ROOT, **pipes)
    killed = _kill_a_worker_drawing(resumed, cache, earlier, time.monotonic() + 300)
    _, err = resumed.communicate(timeout=600)
    assert killed is not None, "no part was seen being drawn"
    assert resumed.returncode == 0, err
    left = f"{4 - done} part{'s' * (4 - done != 1)}"  # "1 part", "2 parts"
    assert f"({left} to draw)" in err
    assert re.search(rf"made: +.*\b{left}, 2 joins", err), err
    assert re.search(rf"from the cache: +{done} parts?\b", err), err
    # The scheduler's log says so: the killed worker (its nanny starts another) and at least
    # the part it was drawing, run again elsewhere.
    died = re.search(r"\n  1 worker died( and was replaced|.*by the end); (\d+) tasks? w", err)
    assert died is not None and int(died.group(2)) >= 1, err
    for lesson in ("x", "edges"):
        assert _lesson_files(again, lesson) == _lesson_files(out, lesson)
    assert not list(again.rglob(".*")) and not list((cache / "parts").glob(".*"))


@contextlib.contextmanager
def _separate_cluster(tmp: Path, workers: int):
    """A `dask scheduler` and `dask worker` processes, as on other machines: each worker in
    a folder and with a cache of its own (nothing shared with the client but the network),
    with this tree's code (as installed there). Yields the scheduler's address; stops them
    all after and checks that none of their processes is left."""
    env = {k: v for k, v in os.environ.items() if k != "EXPLAINER_CACHE_DIR"}
    env["PYTHONPATH"] = str(ROOT)
    procs: list[tuple[subprocess.Popen, Path]] = []

    def start(folder: Path, *args: str, **extra: str) -> None:
        folder.mkdir()
        log = folder / "dask.log"
        with log.open("w") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "dask", *args],
                cwd=folder,
                env={**env, **extra},
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
                start_new_session=True,
            )
        procs.append((proc, log))

    file = tmp / "scheduler.json"
    try:
        start(tmp / "scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0",
              "--no-dashboard", "--scheduler-file", str(file))  # fmt: skip
        deadline = time.monotonic() + 120
        while not file.exists() and time.monotonic() < deadline:
            assert procs[0][0].poll() is None, procs[0][1].read_text()
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        for k in range(workers):
            folder = tmp / f"machine{k}"
            start(folder, "worker", address, "--nworkers", "1", "--nthreads", "1",
                  "--no-dashboard", "--host", "127.0.0.1", "--death-timeout", "60",
                  "--local-directory", str(folder / "dask"),
                  EXPLAINER_CACHE_DIR=str(folder / "cache"))  # fmt: skip
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=180)
        yield address
    finally:
        for proc, _ in reversed(procs):  # the workers, then the scheduler
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    for proc, log in procs:
        assert proc.returncode == 0, log.read_text()[-2000:]
        assert _left_in_group(proc.pid) == [], log.read_text()[-2000:]


@pytest.mark.video
def test_a_separate_dask_scheduler_and_workers_send_the_outputs_back_as_bytes(course_run, tmp_path):
    """`--scheduler` on a cluster started by hand (`dask scheduler`, two `dask worker`):
    the parts are drawn in the workers' own folders and caches, the outputs come back as
    bytes, and they are the LocalCluster run's bytes."""
    out, _, first, _ = course_run
    assert first.returncode == 0, first.stderr
    x = SILENT.split("[[lessons]]")[1]  # the lecture's X: two sections, a page, a derivation
    cache = tmp_path / "client" / "cache"
    manifest, here, env = _course(tmp_path, HEAD + "[[lessons]]" + x, "remote", cache)
    with _separate_cluster(tmp_path, workers=2) as address:
        cmd = [*EXPLAINER, "course", str(manifest), "--output-dir", str(here)]
        run = subprocess.run(
            [*cmd, "--scheduler", address],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert run.returncode == 0, run.stderr
    assert f"2 Dask workers at {address}" in run.stderr
    assert re.search(r"made: +1 script verified, 2 parts, 1 join, 1 page", run.stderr)
    assert _lesson_files(here, "x") == _lesson_files(out, "x")
    drawn = [part.name for k in range(2) for part in _parts_in(tmp_path / f"machine{k}" / "cache")]
    assert sorted(drawn) == sorted(p.name for p in _parts_in(cache))  # each drawn remotely
    assert len(drawn) == 2
