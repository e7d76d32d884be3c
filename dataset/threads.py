"""Work on a second thread, for steps whose time goes to kernels that release the GIL (pyarrow,
numpy, hashlib, file writes): the second core does it while Python goes on. Results come back
in a fixed order, so no output depends on which thread finished first."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
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
