"""Work on a second thread, for steps whose time goes to kernels that release the GIL (pyarrow,
numpy, hashlib, file writes): the second core does it while Python goes on. Results come back
in a fixed order, so no output depends on which thread finished first.

The package's calls run on one pool of threads kept for the process (`shared`), which starts a
thread only when none is idle. A thread started for each call cost the build's main thread 0.1-0.13 s
of a one-report rebuild of 100,000 reports (some forty pools): `Thread.start` waits until the
new thread has run, and the new thread waits for the interpreter's lock, which the busy ones
hold. Calls that must not all run at once go through a `Gate`.
"""

from __future__ import annotations

import functools
import itertools
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

_shared: ThreadPoolExecutor | None = None
_shared_lock = threading.Lock()


def shared() -> ThreadPoolExecutor:
    """The process's pool: a call submitted runs at once, on an idle thread or a new one (there
    is no bound on the threads, so a call waiting for another never waits for a thread too)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ThreadPoolExecutor(max_workers=1 << 20, thread_name_prefix="dataset")
        return _shared


def _forget_shared() -> None:
    """In a forked child: the parent's threads are not there, so the pool is not either."""
    global _shared, _shared_lock
    _shared, _shared_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_shared)


class Gate:
    """At most `workers` of the calls submitted through it run at once, on the shared pool, in
    the order they were submitted (as a pool of `workers` threads of its own would run them).
    Leaving the `with` block, also by an exception, waits for every call submitted (`wait`):
    nothing they do outlives the caller. A call whose future is cancelled before it begins is
    skipped. A call's result is held by its future alone."""

    def __init__(self, workers: int):
        self._workers, self._running, self._unfinished = workers, 0, 0
        self._waiting: deque[tuple[Future, Callable[[], Any]]] = deque()
        self._lock = threading.Condition()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            self._waiting.append((future, functools.partial(fn, *args)))
            self._unfinished += 1
            start = self._running < self._workers
            self._running += start
        if start:
            shared().submit(self._run_waiting)
        return future

    def _run_waiting(self) -> None:
        """Run the calls waiting, in order, until none is left (one of the gate's `workers`)."""
        while True:
            with self._lock:
                if not self._waiting:
                    self._running -= 1
                    return
                future, call = self._waiting.popleft()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(call())
                except BaseException as exc:  # the future's result raises it, as an executor's does
                    future.set_exception(exc)
            del future, call  # the caller's future alone keeps the result
            with self._lock:
                self._unfinished -= 1
                self._lock.notify_all()

    def __enter__(self) -> Gate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.wait()

    def wait(self) -> None:
        """Until every call submitted has ended (or been skipped, cancelled)."""
        with self._lock:
            self._lock.wait_for(lambda: self._unfinished == 0)


def soon(fn: Callable[..., T], *args: Any) -> Future[T]:
    """`fn(*args)` on a thread of its own while the caller goes on; the future's result raises
    what `fn` raised."""
    return shared().submit(fn, *args)


@contextmanager
def beside(fn: Callable[..., T], *args: Any) -> Iterator[Future[T]]:
    """`fn(*args)` on a thread of its own while the block runs (`soon`). If the block raises,
    `fn` is waited for before the error goes on: nothing it does outlives the caller's failure."""
    future = soon(fn, *args)
    try:
        yield future
    except BaseException:
        future.exception()
        raise


def in_order(calls: Sequence[Callable[[], T]], workers: int = 2) -> list[T]:
    """The results of `calls`, run on `workers` threads in turn, in the order of `calls`; the
    first exception raised, in that order, is raised here."""
    with Gate(workers) as gate:
        return [future.result() for future in [gate.submit(call) for call in calls]]


@contextmanager
def ahead(calls: Iterable[Callable[[], T]], depth: int = 1, workers: int | None = None) -> Iterator[Iterator[T]]:
    """The results of `calls` in their order, each call made on one of `workers` threads (`depth`
    unless given) up to `depth` calls ahead of the result the caller takes: the next ones are
    made while the caller works on this one, and memory holds at most `depth` results more.
    Leaving the block, also by an exception, waits for the calls begun: nothing they do outlives
    the caller."""
    with Gate(workers or depth) as gate:

        def results() -> Iterator[T]:
            rest = iter(calls)
            pending: deque[Future[T]] = deque(gate.submit(call) for call in itertools.islice(rest, depth))
            while pending:
                following = next(rest, None)
                if following is not None:
                    pending.append(gate.submit(following))
                yield pending.popleft().result()  # no name kept for it: the caller's `del` frees it

        yield results()
