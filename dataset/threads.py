"""Work on a second thread, for steps whose time goes to kernels that release the GIL (pyarrow,
numpy, hashlib, file writes): the second core does it while Python goes on. Results come back
in a fixed order, so no output depends on which thread finished first."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


def soon(fn: Callable[..., T], *args: Any) -> Future[T]:
    """`fn(*args)` on a thread of its own while the caller goes on; the future's result raises
    what `fn` raised."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(fn, *args)
    pool.shutdown(wait=False)
    return future


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
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


@contextmanager
def ahead(calls: Iterable[Callable[[], T]], depth: int = 1, workers: int | None = None) -> Iterator[Iterator[T]]:
    """The results of `calls` in their order, each call made on one of `workers` threads (`depth`
    unless given) up to `depth` calls ahead of the result the caller takes: the next ones are
    made while the caller works on this one, and memory holds at most `depth` results more.
    Leaving the block, also by an exception, waits for the calls begun: nothing they do outlives
    the caller."""
    with ThreadPoolExecutor(max_workers=workers or depth) as pool:

        def results() -> Iterator[T]:
            rest = iter(calls)
            pending: deque[Future[T]] = deque(pool.submit(call) for call in itertools.islice(rest, depth))
            while pending:
                following = next(rest, None)
                if following is not None:
                    pending.append(pool.submit(following))
                yield pending.popleft().result()  # no name kept for it: the caller's `del` frees it

        yield results()
