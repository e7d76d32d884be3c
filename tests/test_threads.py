"""The build's threads (dataset.threads): one shared pool, gates that bound and order calls."""

from __future__ import annotations

import os
import threading
import time

import pytest

from dataset import threads


def test_shared_pool_reuses_idle_threads_and_never_makes_a_call_wait_for_a_thread():
    alive = {t.name for t in threading.enumerate()}
    ran_on = set()
    for _ in range(20):
        ran_on.add(threads.soon(lambda: threading.current_thread().name).result())
        time.sleep(0.005)  # the thread, its call done, waits for the next one: idle
    assert len(ran_on - alive) <= 1  # a thread started only if none was idle, then taken again

    # A call waiting for calls submitted after it: with a bounded pool of any size, enough of
    # them would wait for a thread forever.
    def nested(depth: int) -> int:
        return 0 if depth == 0 else 1 + threads.soon(nested, depth - 1).result()

    assert threads.soon(nested, 40).result(timeout=10) == 40


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_gate_runs_at_most_workers_at_once_in_the_order_submitted(workers):
    lock, running, most, started = threading.Lock(), [0], [0], []

    def call(i: int) -> int:
        with lock:
            started.append(i)
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return i * i

    with threads.Gate(workers) as gate:
        futures = [gate.submit(call, i) for i in range(12)]
    assert all(f.done() for f in futures)  # leaving the block waited for every call
    assert [f.result() for f in futures] == [i * i for i in range(12)]
    assert most[0] == workers
    # Each gate thread takes the next waiting call, so the calls begin in the order submitted
    # (as on a pool of `workers` threads of its own); with one worker, exactly that order.
    if workers == 1:
        assert started == list(range(12))
    assert sorted(started[:workers]) == list(range(workers))


def test_gate_gives_each_calls_exception_to_its_future_and_still_waits_for_the_rest():
    ended = []

    def fails():
        raise ValueError("first")

    def slow():
        time.sleep(0.05)
        ended.append("slow")
        return "slow"

    with pytest.raises(RuntimeError, match="caller"):
        with threads.Gate(2) as gate:
            failing, waiting = gate.submit(fails), gate.submit(slow)
            raise RuntimeError("caller failed")
    assert ended == ["slow"]  # the caller's failure waited for the call under way
    with pytest.raises(ValueError, match="first"):
        failing.result()
    assert waiting.result() == "slow"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")
def test_a_forked_child_gets_a_pool_of_its_own():
    """The parent's pool threads are not in a fork: the child's calls must still run (the YAML
    parse forks its workers from a process whose pool has idle threads)."""
    assert threads.soon(lambda: 1).result() == 1  # the parent's pool exists, with an idle thread
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            future = threads.soon(lambda: 41 + 1)
            status = 0 if future.result(timeout=5) == 42 else 1
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_gate_skips_a_call_cancelled_before_it_began_and_waits_for_the_one_under_way():
    """What a failed build's release sink does with the comparisons it no longer wants."""
    release, ran = threading.Event(), []

    def first():
        release.wait(5)
        ran.append("first")

    gate = threads.Gate(1)
    under_way, waiting = gate.submit(first), gate.submit(ran.append, "second")
    assert waiting.cancel()  # not begun: the one worker is busy with the first
    release.set()
    gate.wait()
    assert ran == ["first"] and under_way.done() and waiting.cancelled()
