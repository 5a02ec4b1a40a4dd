"""explainer.core.blas: BLAS held to one thread while a layer runs, and given back after.

The thread counts are read with threadpoolctl's own threadpool_info, not through the code
under test.
"""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest
from threadpoolctl import threadpool_info

from explainer.core import blas


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_one_thread_inside_and_the_count_given_back_after():
    before = _blas_threads()
    with blas.one_blas_thread() as limited:
        assert limited  # numpy's OpenBLAS is there to hold
        assert _blas_threads() == [1] * len(before)
        with blas.one_blas_thread() as again:  # nested: still one, not given back early
            assert again
        assert _blas_threads() == [1] * len(before)
    assert _blas_threads() == before


class FakeBlas:
    """A BLAS controller as threadpoolctl gives them: a count, and who set it to what."""

    user_api = "blas"

    def __init__(self):
        self.threads, self.stubborn, self.calls = 2, False, []

    def get_num_threads(self):
        return self.threads

    def set_num_threads(self, n):
        self.calls.append((threading.current_thread().name, n))
        if not self.stubborn:
            self.threads = n


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(blas, "_state", blas._State())
    lib = FakeBlas()
    monkeypatch.setattr(blas, "_blas_libraries", lambda: [lib])
    return lib


def test_overlapping_layers_in_two_threads_the_first_in_puts_the_count_back(fake):
    # Thread A enters, B enters, A leaves, B leaves: A, which set one thread, puts the
    # count back as it leaves (from B, OpenBLAS might ignore it: see the module); B, inside
    # a setting it did not make, neither sets nor puts back anything.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with blas.one_blas_thread() as limited:
            seen["A held"] = limited
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b():
        a_in.wait(10)
        with blas.one_blas_thread() as limited:
            seen["B held"], seen["B inside"] = limited, fake.threads
            b_in.set()
            a_out.wait(10)
            seen["after A left"] = fake.threads

    threads = [threading.Thread(target=a, name="A"), threading.Thread(target=b, name="B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"A held": True, "B held": True, "B inside": 1, "after A left": 2}
    assert fake.calls == [("A", 1), ("A", 2)]


def test_nested_in_one_thread_puts_the_count_back_once(fake):
    with blas.one_blas_thread(), blas.one_blas_thread() as inner:
        assert inner and fake.threads == 1
    assert fake.threads == 2 and len(fake.calls) == 2


def test_a_setting_that_does_not_take_is_not_held(fake):
    # As OpenBLAS does with a count set from a thread other than the main one, once the
    # main one has set it: the count read back is not one, so nothing is held.
    fake.stubborn = True
    with blas.one_blas_thread() as limited:
        assert not limited
    assert [n for _, n in fake.calls] == [1, 2]  # tried, then put back as it was
    assert blas._state.owner is None


def test_from_another_thread_held_or_not_the_count_comes_back():
    # With the real OpenBLAS, whichever way it treats a thread that is not the main one.
    before = _blas_threads()
    seen = []

    def layer():
        with blas.one_blas_thread() as limited:
            seen.append((limited, _blas_threads()))

    worker = threading.Thread(target=layer)
    worker.start()
    worker.join(10)
    limited, inside = seen[0]
    assert not limited or inside == [1] * len(before)
    assert _blas_threads() == before


def test_an_error_inside_still_gives_the_count_back():
    before = _blas_threads()
    with pytest.raises(ZeroDivisionError), blas.one_blas_thread():
        1 / 0  # noqa: B018
    assert _blas_threads() == before


def test_without_a_blas_to_hold_it_says_so(monkeypatch):
    monkeypatch.setattr(blas, "_state", blas._State())
    monkeypatch.setattr(blas, "_blas_libraries", lambda: [])
    with blas.one_blas_thread() as limited:
        assert not limited


def _inside_in_child(queue) -> None:
    with blas.one_blas_thread() as limited:
        queue.put((limited, _blas_threads()))
    queue.put(_blas_threads())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork: POSIX only")
def test_a_process_forked_inside_starts_afresh():
    before = _blas_threads()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    with blas.one_blas_thread():  # the child is forked with one thread set and 1 inside
        child = context.Process(target=_inside_in_child, args=(queue,))
        child.start()
        limited, inside = queue.get(timeout=30)
        after = queue.get(timeout=30)
        child.join(30)
    assert limited and inside == [1] * len(before)
    # The child found 1 thread (its parent's setting) and gave that back, not the
    # parent's saved count: it never entered the parent's layer.
    assert after == [1] * len(before)
    assert _blas_threads() == before
