"""A graph of pure, content-keyed tasks, run in this process or on Dask.

A :class:`Node` is one task: a function, its arguments (a :class:`Ref` stands for another
node's result) and a key made of everything that makes its result (a part's key is a hash
of the code, the problem, the sentences, the quality and the voice). Two lessons that
need the same sentence or the same part add the same key, so the work is done once.

The same graph runs on two engines:

- :func:`run_here`, in this process, one node after another (a render with one part to
  draw, or nothing but checks to do);
- :func:`run_on_dask`, on a Dask cluster: a ``LocalCluster`` of single-threaded worker
  processes started and stopped by :func:`dask_client`, or an existing cluster named by
  its scheduler's address. Results come back to this process as values (the bytes of
  videos and documents), never through a shared disk. Nodes are handed to the cluster
  as worker threads free up, the heaviest chain of work first (:func:`ranks`), as a pool
  hands out jobs.

A node that fails fails the nodes that need it, and only them: the other lessons finish.
A worker that dies is replaced by its nanny and its tasks are given to another worker
(Dask's ``allowed-failures``); :func:`worker_deaths` reads in the scheduler's event log how
many workers died while the graph ran and how many of its tasks had to run again.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Ref:
    """The result of the node ``key``, as another node's argument."""

    key: str


@dataclass(frozen=True)
class Node:
    key: str
    """What the result is made of, hashed; also its name on the Dask cluster."""
    stage: str
    """script, voice, part, join, page, slides, handout, worksheet or derivation."""
    lesson: str
    """The lesson entry that first asked for it (for the progress display)."""
    fn: Callable[..., Any]
    args: tuple = ()
    weight: float = 1.0
    """About how long it takes, in units of a short task (for the time left)."""

    def refs(self) -> list[str]:
        return [a.key for a in _walk(self.args) if isinstance(a, Ref)]


@dataclass
class Graph:
    """Nodes by key, in the order they were added (dependencies first)."""

    nodes: dict[str, Node] = field(default_factory=dict)

    def add(self, node: Node) -> Ref:
        """Add ``node`` unless a node of the same key is there already (shared work)."""
        for key in node.refs():
            if key not in self.nodes:
                raise KeyError(f"{node.key} needs {key}, which is not in the graph")
        self.nodes.setdefault(node.key, node)
        return Ref(node.key)

    def __len__(self) -> int:
        return len(self.nodes)


@dataclass(frozen=True)
class Done:
    """A node's result and what it took."""

    value: Any
    seconds: float
    pid: int
    cpu: float = 0.0
    """CPU seconds the worker process spent while the task ran (all its threads: a part's
    encoder threads too): over ``seconds``, the cores the task kept busy."""


@dataclass(frozen=True)
class Failed:
    """A node that raised (or needed one that did)."""

    error: BaseException


def call(fn: Callable[..., Any], *args: Any) -> Done:
    """Run one task: its arguments' :class:`Done` wrappers removed, its time measured."""
    plain = [_unwrap(a) for a in args]
    start, cpu = time.perf_counter(), time.process_time()
    value = fn(*plain)
    return Done(value, time.perf_counter() - start, os.getpid(), time.process_time() - cpu)


def _unwrap(value: Any) -> Any:
    if isinstance(value, Done):
        return value.value
    if isinstance(value, list | tuple):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, list | tuple):
        for v in value:
            yield from _walk(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)


def _substitute(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, Ref):
        return results[value.key]
    if isinstance(value, list | tuple):
        return type(value)(_substitute(v, results) for v in value)
    if isinstance(value, dict):
        return {k: _substitute(v, results) for k, v in value.items()}
    return value


Listener = Callable[[Node, "Done | Failed"], None]


def run_here(graph: Graph, on_done: Listener | None = None) -> dict[str, Done | Failed]:
    """Run every node in this process, in order; a failure skips what needs it."""
    results: dict[str, Done | Failed] = {}
    for node in graph.nodes.values():
        failed = [results[k] for k in node.refs() if isinstance(results[k], Failed)]
        if failed:
            outcome: Done | Failed = failed[0]
        else:
            try:
                outcome = call(node.fn, *_substitute(node.args, results))
            except KeyboardInterrupt:
                raise
            except Exception as err:  # the lesson's failure, reported with its one line
                outcome = Failed(err)
        results[node.key] = outcome
        if on_done is not None:
            on_done(node, outcome)
    return results


def run_on_dask(client, graph: Graph, on_done: Listener | None = None) -> dict[str, Done | Failed]:
    """Run every node on the cluster behind ``client``; results come back as values.

    The nodes are handed to the cluster as it has room for them, as a pool hands out jobs:
    a node once every node it needs is done and a worker thread is free, the node with the
    heaviest chain of work still after it first (:func:`ranks`), to a worker with a free
    thread, named (:func:`_choose_worker`). Handed all at once, a part whose sentences were
    ready went at once to a worker (Dask queues only tasks without inputs) and waited there
    behind another part while the other worker idled: a task that waits on a worker is
    never moved (work stealing is off), and the longest parts started last. Handed one at a
    time but to no worker in particular, a part still went where its inputs were (Dask
    chooses only among the workers holding a task's inputs, however busy): the worker
    that had spoken a lesson's sentences drew its parts one after another while the other
    waited (one worker idle 159 s of 686 in bench_course.py's course). The worker is
    named loosely: if it dies, the task goes to another. Each node runs under its own key,
    the nodes it needs passed as futures, so their results go from worker to worker.
    """
    from distributed import as_completed

    nodes = graph.nodes
    needs = {key: set(node.refs()) for key, node in nodes.items()}
    users: dict[str, list[str]] = {key: [] for key in nodes}
    for key, refs in needs.items():
        for ref in refs:
            users[ref].append(key)
    rank = ranks(graph)
    order = {key: k for k, key in enumerate(nodes)}
    waiting = {key: len(refs) for key, refs in needs.items()}
    unsent = {key: len(users[key]) for key in nodes}  # nodes needing it not yet handed out
    ready = [(-rank[key], order[key], key) for key in nodes if not waiting[key]]
    heapq.heapify(ready)
    futures: dict[str, Any] = {}
    running = as_completed()
    results: dict[str, Done | Failed] = {}
    ran_on: dict[str, str] = {}  # the worker each node was handed to
    busy: dict[str, int] = {}  # nodes handed to each worker and not finished

    def sent(key: str) -> None:
        for ref in needs[key]:
            unsent[ref] -= 1
            if not unsent[ref] and ref in results:
                # Every node that needs it has it now: the cluster keeps the value only
                # while one of them still waits for it (a worker that dies later loses,
                # and costs again, only what is still needed).
                future = futures.pop(ref, None)
                if future is not None:
                    future.release()

    def finish(key: str, outcome: Done | Failed) -> None:
        results[key] = outcome
        if key in ran_on:  # handed to that worker (each node finishes once)
            busy[ran_on[key]] -= 1
        if not unsent[key] and key in futures:
            futures.pop(key).release()
        if on_done is not None:
            on_done(nodes[key], outcome)
        for user in users[key]:
            waiting[user] -= 1
            if not waiting[user]:
                heapq.heappush(ready, (-rank[user], order[user], user))

    try:
        while ready or running.count():
            threads = client.nthreads()
            while ready:
                free = {w: n - busy.get(w, 0) for w, n in threads.items() if n > busy.get(w, 0)}
                if not free and running.count():
                    break
                _, _, key = heapq.heappop(ready)
                failed = [results[k] for k in needs[key] if isinstance(results[k], Failed)]
                if failed:  # it needs a node that failed: it fails with it, unsent
                    sent(key)
                    finish(key, failed[0])
                    continue
                node = nodes[key]
                args = _substitute(node.args, futures)
                where = {}
                if free:  # else no worker at all just now: the first to come takes it
                    worker = _choose_worker(free, [ran_on.get(k) for k in needs[key]])
                    ran_on[key] = worker
                    busy[worker] = busy.get(worker, 0) + 1
                    where = {"workers": [worker], "allow_other_workers": True}
                future = client.submit(
                    call, node.fn, *args, key=key, pure=False, retries=0, **where
                )
                futures[key] = future
                running.add(future)
                sent(key)
            if not running.count():
                continue
            future = next(running)
            if future.status == "finished":
                outcome: Done | Failed = future.result()
            else:
                error = future.exception()
                outcome = Failed(error if error is not None else RuntimeError(future.status))
            finish(future.key, outcome)
    finally:
        for future in futures.values():
            future.release()
    return results


def _choose_worker(free: dict[str, int], inputs_on: list[str | None]) -> str:
    """Of the workers with a free thread, the one that made most of the node's inputs (they
    need not travel), then the one with the most threads free, then by address."""
    return max(free, key=lambda w: (inputs_on.count(w), free[w], w))


def ranks(graph: Graph) -> dict[str, float]:
    """Each node's weight plus the heaviest chain of nodes that need it, one after another:
    how long, at the least, the work still takes once it starts (the order a pool of
    workers best takes the nodes in, the longest first)."""
    rank: dict[str, float] = {}
    users: dict[str, list[str]] = {key: [] for key in graph.nodes}
    for key, node in graph.nodes.items():
        for ref in set(node.refs()):
            users[ref].append(key)
    for key in reversed(graph.nodes):  # dependencies come first: users are ranked before
        rank[key] = graph.nodes[key].weight + max((rank[u] for u in users[key]), default=0.0)
    return rank


@dataclass(frozen=True)
class Deaths:
    """Workers that died while a graph ran, as the scheduler's event log tells it."""

    died: int
    """Workers that left the cluster unexpectedly (killed, crashed, lost)."""
    started: int
    """Workers that joined meanwhile (a nanny restarting a dead worker, or a new one)."""
    rerun: int
    """The graph's tasks that had to run again: being run on a worker that died, or done
    there and still needed (and then finished)."""


def event_mark(client) -> float:
    """The time, on the scheduler's clock, of its latest cluster-wide event."""
    return max((stamp for stamp, _ in client.get_events("all")), default=0.0)


def worker_deaths(client, since: float, results: dict[str, Done | Failed]) -> Deaths:
    """What the scheduler logged after ``since`` (see :func:`event_mark`): each worker it
    removed without being asked to (its ``remove-worker`` event, ``expected`` false, with
    the tasks it was running and the results it held), and each worker added."""
    died = started = 0
    again: set[str] = set()
    for stamp, msg in client.get_events("all"):
        if stamp <= since or not isinstance(msg, dict):
            continue
        if msg.get("action") == "add-worker":
            started += 1
        elif msg.get("action") == "remove-worker" and not msg.get("expected", False):
            died += 1
            again |= set(msg.get("processing-tasks", ())) | set(msg.get("lost-computed-tasks", ()))
    rerun = sum(isinstance(results.get(key), Done) for key in again)
    return Deaths(died, started, rerun)


DRAWING_WORKER = {
    # Dask's nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536, to hand memory back
    # to the system early. Setting it at all turns off glibc's sliding mmap threshold, so
    # every frame-sized buffer manim allocates (1.6 MB at 480p, 8 MB at 1080p, several a
    # frame) became its own mmap, zero-filled page by page, and munmap: a part took 1.35×
    # the CPU at 720p30 (a third of it system time), more at 1080p60. None unsets it; a
    # value of the worker's own environment still wins.
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    # The worker's statistical profiler walks the running task's stack every 10 ms (for
    # the dashboard's profile page): a cost on every frame drawn, for a page not used here.
    "distributed.worker.profile.enabled": False,
}
"""Dask settings for workers that draw parts (a LocalCluster's; see :func:`dask_client`)."""


IGNORE_INTERRUPT = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
"""Run first in each worker process of the LocalCluster (Dask's preload: Python source).
Ctrl-C reaches every process of the terminal's group: the command, which stops its own
workers, must take it; a worker that took it too would die with a traceback of its own."""


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A Dask client: on the cluster at ``scheduler``, or on a LocalCluster of ``workers``
    single-threaded worker processes (default: one per CPU) that lives as long as the block.
    """
    import logging

    import dask
    from distributed import Client, LocalCluster

    # A render's tasks are minutes of drawing: do not move them between workers to balance
    # a queue, and give a killed worker's tasks to another worker up to three times.
    settings = {
        "distributed.scheduler.work-stealing": False,
        "distributed.scheduler.allowed-failures": 3,
        **DRAWING_WORKER,
    }
    # Dask's own notes (a worker restarted, a task given up, a heartbeat lost as the
    # cluster closes on Ctrl-C) stay out of the display, in this process and in the
    # workers: what matters is reported by the command, in its own words.
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    # A worker killed mid-task leaves its semaphores registered, and multiprocessing's
    # resource tracker (which takes this process's warning options) warns of "leaked
    # semaphore objects" under the command's report.
    quiet = "ignore::UserWarning:multiprocessing.resource_tracker"
    if quiet not in sys.warnoptions:
        sys.warnoptions.append(quiet)
    with dask.config.set(settings):
        if scheduler is not None:
            with Client(scheduler, timeout="20s") as client:
                yield client
            return
        count = workers or _cpus()
        with (
            LocalCluster(
                n_workers=count,
                threads_per_worker=1,
                processes=True,
                # The scheduler serves HTTP (its dashboard when bokeh is installed, health
                # pages always): on a free port, not 8787, which another render may hold.
                dashboard_address=":0",
                silence_logs=logging.CRITICAL,
                scheduler_port=0,
                preload=[IGNORE_INTERRUPT],
            ) as cluster,
            Client(cluster) as client,
        ):
            try:
                yield client
            finally:
                client.close()
                cluster.close()
                _stop_resource_tracker()


def _stop_resource_tracker() -> None:
    """Reap multiprocessing's resource tracker (started for the worker processes) now, not
    after the command: under an init that does not reap, it stayed behind as a zombie."""
    from multiprocessing import resource_tracker

    stop = getattr(resource_tracker._resource_tracker, "_stop", None)  # Python ≥ 3.11.7
    if stop is not None:
        with contextlib.suppress(Exception):
            stop()


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _has_dashboard() -> bool:
    """Dask serves its dashboard only with bokeh installed."""
    import importlib.util

    return importlib.util.find_spec("bokeh") is not None


def dashboard(client) -> str | None:
    """The dashboard's address, when the cluster serves one."""
    with contextlib.suppress(Exception):
        link = client.dashboard_link
        if link and _has_dashboard():
            return link
    return None


def worker_pids(client) -> list[int]:
    """The process ids of the cluster's workers (for tests and reports)."""
    return sorted(client.run(os.getpid).values())
