"""Time `explainer course` on 1 and 2 workers, and the 1080p60 lecture against x264's floor.

In one run:

  course     four lessons at 480p15 (the lecture's X, edges, blur, sharpen; voiced, the
             sentences already cached as on any machine after its first course), each time
             with an empty part cache, on a LocalCluster of 1 and of 2 workers: the speed-up
             and the parallel efficiency (speed-up / workers), the whole command timed
  one core   with --one-core, also one worker held to one core (its process and its
             x264 threads): a lone worker keeps more than one core busy (x264's threads
             beside the drawing), so the speed-up by workers is not the speed-up by cores
  lecture    the whole lecture at 1080p60 (empty part cache, two workers) against encoding
             its very frames again with the render's x264 settings (bench_render's floor)

    .venv/bin/python benchmarks/bench_course.py [--rounds N] [--sections a,b] [--one-core]
                                                [--no-high | --no-course] [--cache DIR]

The BLAS numpy uses and OPENBLAS_CORETYPE are printed first, as by the other benchmarks.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

LESSONS = {
    "x": {},
    "edges": {"image": '"square"', "kernel": '"sobel-x"', "padding": '"same"', "stride": "2"},
    "blur": {"image": '"gradient"', "kernel": '"gaussian-blur"', "padding": '"same"'},
    "sharpen": {"image": '"square"', "kernel": '"sharpen"'},
}


def manifest(sections: list[str] | None) -> str:
    lines = ['title = "Benchmark"', 'quality = "low"', 'voice = "joe"', 'outputs = ["video"]']
    for ident, options in LESSONS.items():
        lines += ["[[lessons]]", f'id = "{ident}"', 'lesson = "convolution"']
        if sections:
            lines.append("sections = [" + ", ".join(f'"{s}"' for s in sections) + "]")
        if options:
            lines.append("[lessons.problem]")
            lines += [f"{k} = {v}" for k, v in options.items()]
    return "\n".join(lines) + "\n"


def run_course(path: Path, out: Path, cache: Path, workers: int, one_core: bool = False) -> float:
    shutil.rmtree(cache / "parts", ignore_errors=True)  # draw every part again
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, EXPLAINER_CACHE_DIR=str(cache))
    cmd = [sys.executable, "-m", "explainer", "course", str(path), "--output-dir", str(out)]
    start, cpu = time.perf_counter(), _children_cpu()
    # Held to one core: the command and everything it starts inherit the affinity.
    first = min(os.sched_getaffinity(0))
    subprocess.run(
        [*cmd, "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, {first})) if one_core else None,
    )
    wall = time.perf_counter() - start
    # CPU seconds over wall seconds: how many cores the run got (on a shared machine, fewer
    # than its workers when other work holds them).
    busy = (_children_cpu() - cpu) / wall
    load = os.getloadavg()[0]
    held = " held to one core" if one_core else ""
    print(f"  {workers} worker(s){held}: {wall:.1f} s, {busy:.2f} cores busy, load {load:.2f}")
    return wall


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_course(
    rounds: int, sections: list[str] | None, kept: str | None = None, one_core: bool = False
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        path = tmp_path / "bench.toml"
        path.write_text(manifest(sections), encoding="utf-8")
        cache, out = Path(kept) if kept else tmp_path / "cache", tmp_path / "out"
        if not kept:
            run_course(path, out, cache, 2)  # the sentences into the cache (not timed)
        times: dict[int, list[float]] = {0: [], 1: [], 2: []}  # 0: one worker on one core
        for _ in range(rounds):  # alternating rounds: the machine's load hits both alike
            for workers in (0, 1, 2) if one_core else (1, 2):
                times[workers].append(run_course(path, out, cache, max(workers, 1), workers == 0))
    one, two = (sorted(times[w])[len(times[w]) // 2] for w in (1, 2))
    speedup = one / two
    which = ", ".join(sections) if sections else "all sections"
    print(f"course of {len(LESSONS)} lessons at 480p15 ({which}), medians of {rounds}:")
    print(f"  1 worker   {one:7.1f} s")
    print(f"  2 workers  {two:7.1f} s   speed-up {speedup:.2f}×, efficiency {speedup / 2:.2f}")
    if one_core:
        alone = sorted(times[0])[len(times[0]) // 2]
        by_cores = alone / two
        print(
            f"  1 worker on 1 core {alone:7.1f} s   two workers on two cores: speed-up"
            f" {by_cores:.2f}×, efficiency by cores {by_cores / 2:.2f}"
        )


def bench_lecture() -> None:
    from bench_render import encode_floor

    from explainer import lecture_problem
    from scenes.render import render_lecture, video_duration

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        os.environ["EXPLAINER_CACHE_DIR"] = str(tmp_path / "cache")
        render_lecture(lecture_problem(), ("title",), "low", tmp_path, "warm")  # voice cache
        shutil.rmtree(tmp_path / "cache" / "parts", ignore_errors=True)
        render_lecture(lecture_problem(), None, "low", tmp_path, "voice")  # every sentence
        shutil.rmtree(tmp_path / "cache" / "parts", ignore_errors=True)
        load = os.getloadavg()[0]
        start = time.perf_counter()
        video = render_lecture(lecture_problem(), None, "high", tmp_path, "bench", workers=2).video
        render = time.perf_counter() - start
        floor = encode_floor(video, tmp_path / "floor.mp4")
        duration = video_duration(video)
    print(f"lecture at 1080p60 ({duration:.0f} s of video), two workers:")
    print(f"  render      {render:7.1f} s  ({render / duration:.2f}× its duration)")
    print(f"  x264 floor  {floor:7.1f} s  ({floor / duration:.2f}× its duration)")
    print(f"  render / floor: {render / floor:.2f}×")
    # Other work on the machine slows the render (two processes) more than the floor (one).
    print(f"  load average (1 min) before the render {load:.2f}, after {os.getloadavg()[0]:.2f}")


def main() -> None:
    from bench_layer import blas_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--sections", help="only these sections of each lesson, e.g. title,image")
    parser.add_argument("--one-core", action="store_true", help="also one worker held to one core")
    parser.add_argument("--no-high", action="store_true", help="skip the 1080p60 lecture")
    parser.add_argument("--no-course", action="store_true", help="only the 1080p60 lecture")
    parser.add_argument(
        "--cache", help="a cache folder holding the sentences already (its parts are emptied)"
    )
    args = parser.parse_args()
    sections = args.sections.split(",") if args.sections else None
    print(f"BLAS: {blas_config()}", flush=True)
    if not args.no_course:
        bench_course(args.rounds, sections, args.cache, args.one_core)
    if not args.no_high:
        bench_lecture()


if __name__ == "__main__":
    main()
