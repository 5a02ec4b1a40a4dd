"""A course's timeline: what the command does when, and which task runs when on which worker.

Runs ``explainer course`` in this process (the same code as the command) with timestamps
around each of the command's own stages (reading the manifest, planning the graph, starting
the cluster, running the graph, writing the outputs, stopping the cluster) and Dask's task
stream (each task's compute interval on its worker), then prints:

  stages     the command's stages, in seconds from the start
  tasks      every task: worker, start, end (seconds from the start), stage, lesson
  workers    per worker: busy seconds, idle seconds while the graph ran, first and last task
  paper      the total work, the critical path (the longest chain of tasks, by their measured
             times), and the best the graph allows on W workers: max(work / W, path)

    .venv/bin/python benchmarks/course_timeline.py [COURSE.toml] [--workers N]
                [--cache DIR] [--keep-parts] [--json FILE]

Without a manifest, bench_course.py's course (four convolution lessons at 480p15, voiced).
The part cache is emptied first unless ``--keep-parts``; the sentences are kept.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))


class Recorder:
    def __init__(self) -> None:
        self.origin = time.time()
        self.stages: list[tuple[str, float, float]] = []
        self.stream: list[dict] = []
        self.received: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.graph = None
        self.worker_started: dict[str, float] = {}

    def now(self) -> float:
        return time.time() - self.origin

    @contextlib.contextmanager
    def stage(self, name: str):
        start = self.now()
        try:
            yield
        finally:
            self.stages.append((name, start, self.now()))


def install(rec: Recorder) -> None:
    """Wrap the command's stages (the functions scenes.course calls) with timestamps."""
    import explainer.course.manifest as manifest_mod
    import scenes.course as course

    def timed(module, name):
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            with rec.stage(name):
                return original(*args, **kwargs)

        setattr(module, name, wrapper)

    timed(manifest_mod, "read_manifest")
    original_plan = course.plan_course

    def plan(*args, **kwargs):
        with rec.stage("plan_course"):
            graph, plans = original_plan(*args, **kwargs)
        rec.graph = graph
        return graph, plans

    course.plan_course = plan
    timed(course, "_finish")
    original_client = course.dask_client

    @contextlib.contextmanager
    def client_cm(*args, **kwargs):
        start = rec.now()
        cm = original_client(*args, **kwargs)
        client = cm.__enter__()
        rec.stages.append(("cluster start", start, rec.now()))
        import psutil

        for address, pid in client.run(os.getpid).items():
            rec.worker_started[address] = psutil.Process(pid).create_time() - rec.origin
        try:
            yield client
        finally:
            start = rec.now()
            cm.__exit__(*sys.exc_info())
            rec.stages.append(("cluster stop", start, rec.now()))

    course.dask_client = client_cm
    original_run = course.run_on_dask

    def run(client, graph, on_done=None):
        from distributed import get_task_stream

        def done(node, outcome):
            rec.received[node.key] = rec.now()
            rec.cpu[node.key] = getattr(outcome, "cpu", float("nan"))
            if on_done is not None:
                on_done(node, outcome)

        with rec.stage("run_on_dask"), get_task_stream(client) as ts:
            results = original_run(client, graph, done)
        rec.stream = ts.data
        return results

    course.run_on_dask = run


def report(rec: Recorder, workers: int) -> dict:
    graph = rec.graph
    nodes = graph.nodes if graph is not None else {}
    tasks = []
    for item in rec.stream:
        for ss in item.get("startstops", ()):
            if ss["action"] != "compute":
                continue
            node = nodes.get(item["key"])
            tasks.append(
                {
                    "key": item["key"],
                    "worker": item["worker"],
                    "start": ss["start"] - rec.origin,
                    "stop": ss["stop"] - rec.origin,
                    "stage": node.stage if node else "?",
                    "lesson": node.lesson if node else "?",
                    "weight": node.weight if node else 0.0,
                    "cpu": rec.cpu.get(item["key"], float("nan")),
                }
            )
    tasks.sort(key=lambda t: t["start"])
    print("stages (seconds from the start):")
    for name, start, end in sorted(rec.stages, key=lambda s: s[1]):
        print(f"  {name:<16} {start:7.1f} → {end:7.1f}  ({end - start:6.1f} s)")
    names = {w: f"w{k}" for k, w in enumerate(sorted({t["worker"] for t in tasks}))}
    print("tasks:")
    for t in tasks:
        dur = t["stop"] - t["start"]
        print(
            f"  {names[t['worker']]} {t['start']:7.1f} → {t['stop']:7.1f} ({dur:6.1f} s)"
            f" cpu {t['cpu'] / max(dur, 1e-9):4.2f}×"
            f"  {t['stage']:<8} {t['lesson']:<8} w={t['weight']:<5} {t['key'][:20]}"
        )
    run = next((s for s in rec.stages if s[0] == "run_on_dask"), None)
    print("workers:")
    busy_all = 0.0
    for w, name in names.items():
        mine = [t for t in tasks if t["worker"] == w]
        busy = sum(t["stop"] - t["start"] for t in mine)
        busy_all += busy
        idle = (run[2] - run[1]) - busy if run else float("nan")
        born = rec.worker_started.get(w, float("nan"))
        print(
            f"  {name}: started {born:6.1f}, busy {busy:6.1f} s, idle in the run {idle:6.1f} s, "
            f"first task {mine[0]['start']:6.1f}, last ends {mine[-1]['stop']:6.1f}"
        )
    # The critical path: the longest chain of tasks, each at its measured time.
    seconds = {t["key"]: t["stop"] - t["start"] for t in tasks}
    longest: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for key, node in nodes.items():
        before = [(longest[r], r) for r in node.refs() if r in longest]
        best = max(before, default=(0.0, None))
        longest[key] = best[0] + seconds.get(key, 0.0)
        via[key] = best[1]
    end = max(longest, key=longest.get) if longest else None
    chain = []
    while end is not None:
        chain.append(end)
        end = via[end]
    path = longest[chain[0]] if chain else 0.0
    total = rec.stages and max(s[2] for s in rec.stages)
    cpu = sum(t["cpu"] for t in tasks)
    print("paper:")
    share = cpu / max(busy_all, 1e-9)
    print(f"  tasks' CPU {cpu:.1f} s in {busy_all:.1f} s of task time: {share:.2f} cores a task")
    print(f"  work (sum of task times) {busy_all:7.1f} s over {len(tasks)} tasks")
    print(
        f"  critical path            {path:7.1f} s: "
        + " → ".join(f"{nodes[k].stage}({seconds.get(k, 0):.1f})" for k in reversed(chain))
    )
    if run:
        span = run[2] - run[1]
        print(
            f"  graph ran {span:.1f} s on {workers} worker(s): "
            f"{workers * span - busy_all:.1f} idle worker-seconds, "
            f"bound max(work/W, path) = {max(busy_all / workers, path):.1f} s"
        )
        print(f"  outside the graph: {total - span:.1f} s of {total:.1f} s")
    return {
        "stages": rec.stages,
        "tasks": tasks,
        "workers": {names[w]: rec.worker_started.get(w) for w in names},
        "work": busy_all,
        "path": path,
        "total": total,
    }


def bench_manifest() -> str:
    from bench_course import manifest

    return manifest(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", nargs="?")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", help="EXPLAINER_CACHE_DIR (default: a temporary folder)")
    parser.add_argument("--keep-parts", action="store_true")
    parser.add_argument("--json", help="write the timeline here")
    args = parser.parse_args()
    rec = Recorder()
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(args.cache or Path(tmp) / "cache")
        os.environ["EXPLAINER_CACHE_DIR"] = str(cache)
        if not args.keep_parts:
            shutil.rmtree(cache / "parts", ignore_errors=True)
        path = Path(args.manifest) if args.manifest else Path(tmp) / "bench.toml"
        if not args.manifest:
            path.write_text(bench_manifest(), encoding="utf-8")
        out = Path(tmp) / "out"
        load = os.getloadavg()
        import resource

        def tree_cpu() -> float:
            return sum(
                u.ru_utime + u.ru_stime
                for u in (
                    resource.getrusage(resource.RUSAGE_SELF),
                    resource.getrusage(resource.RUSAGE_CHILDREN),
                )
            )

        cpu0 = tree_cpu()
        with rec.stage("import"):
            from explainer.cli import main as cli

        install(rec)
        with rec.stage("command"):
            code = cli(
                ["course", str(path), "--output-dir", str(out), "--workers", str(args.workers)]
            )
        wall = rec.stages[-1][2] - rec.stages[-1][1]
        cpu = tree_cpu() - cpu0
        print(
            f"command: {wall:.1f} s, CPU {cpu:.1f} s of its processes: {cpu / wall:.2f} cores busy"
        )
        print(f"exit {code}; load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}")
        data = report(rec, args.workers)
        if args.json:
            Path(args.json).write_text(json.dumps(data, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
