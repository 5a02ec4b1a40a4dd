"""The task graph's Dask engine: nodes handed out as a pool hands out jobs, the heaviest
chain of work first, and workers that draw without Dask's memory-trimming setting."""

from __future__ import annotations

import os
import time

from scenes.graph import Graph, Node, dask_client, ranks, run_on_dask


def _value(x):
    return x


def _plus(a, b):
    return a + b


def _pid_after(seconds, _input):
    time.sleep(seconds)
    return os.getpid()


def _worker_settings():
    import dask

    return (
        os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        dask.config.get("distributed.worker.profile.enabled"),
    )


def test_ranks_are_each_nodes_weight_plus_the_heaviest_chain_after_it():
    graph = Graph()
    a = graph.add(Node("a", "voice", "x", _value, (1,), weight=1.0))
    b = graph.add(Node("b", "voice", "x", _value, (2,), weight=4.0))
    c = graph.add(Node("c", "part", "x", _plus, (a, 10), weight=2.0))
    graph.add(Node("d", "part", "x", _value, (3,), weight=3.0))
    graph.add(Node("e", "join", "x", _plus, (c, b), weight=1.0))
    # Worked by hand: e = 1; c = 2 + e = 3; a = 1 + c = 4; b = 4 + e = 5; d = 3 (alone).
    assert ranks(graph) == {"a": 4.0, "b": 5.0, "c": 3.0, "d": 3.0, "e": 1.0}


def test_one_worker_takes_the_heaviest_work_first_not_the_first_added():
    graph = Graph()
    for key, weight in (("light", 1.0), ("heavy", 5.0), ("middle", 3.0), ("small", 2.0)):
        graph.add(Node(key, "part", "x", _value, (key,), weight=weight))
    order: list[str] = []
    with dask_client(workers=1) as client:
        results = run_on_dask(client, graph, lambda node, _: order.append(node.key))
    assert order == ["heavy", "middle", "small", "light"]
    assert {k: r.value for k, r in results.items()} == {k: k for k in order}


def test_a_chain_whose_inputs_are_done_before_their_users_are_handed_out():
    graph = Graph()
    ref = graph.add(Node("n0", "part", "x", _value, (0,)))
    for k in range(1, 6):  # each node needed by the next one only
        ref = graph.add(Node(f"n{k}", "part", "x", _plus, (ref, k)))
    with dask_client(workers=2) as client:
        results = run_on_dask(client, graph)
    assert [results[f"n{k}"].value for k in range(6)] == [0, 1, 3, 6, 10, 15]


def test_a_node_goes_to_a_free_worker_not_behind_its_inputs_on_a_busy_one():
    # "a" is done on one worker; then "long" and "short" both need it. Dask alone puts a
    # task where its inputs are, however busy: "short" would wait there behind "long"
    # while the other worker idled.
    graph = Graph()
    a = graph.add(Node("a", "voice", "x", _value, (1,)))
    graph.add(Node("long", "part", "x", _pid_after, (3.0, a), weight=5.0))
    graph.add(Node("short", "part", "x", _pid_after, (0.1, a), weight=1.0))
    order: list[str] = []
    with dask_client(workers=2) as client:
        results = run_on_dask(client, graph, lambda node, _: order.append(node.key))
    assert results["short"].value != results["long"].value  # two processes
    assert order == ["a", "short", "long"]


def test_a_local_clusters_workers_keep_glibcs_own_memory_settings():
    with dask_client(workers=2) as client:
        settings = set(client.run(_worker_settings).values())
    assert settings == {(None, False)}
