"""How a build takes memory from the operating system, and gives it back between its steps.

Memory a process takes afresh costs the kernel a page fault and a zeroed page each time; on
the benchmark machine that is a quarter to a third of a build's CPU. So within a step freed
memory is kept for reuse, and between steps it is given back:

- `kept_heap`: the C library's malloc (numpy, pandas) serves every block from its heap and keeps
  what is freed there. By default glibc maps each block over 32 MB afresh and unmaps it when
  freed, which at 3M events is most columns.
- `small_pages`: numpy's arrays in ordinary pages, not transparent huge pages, which cost this
  machine four times as much to fill.
- `use_returning_pool`: the Arrow allocator that gives back the most.
- `scratch_pool`: an Arrow allocator that keeps what is freed, for intermediates remade each step.
- `give_back`: after a step that dropped gigabytes (the staged input trimmed, the claims freed),
  what the allocators keep is handed back, else it would still count against the machine:
  at a million events a third of the resident memory. The next step allocates afresh.

Where the calls are not available (other C libraries, other numpy) these do nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import os
from collections.abc import Iterator

import pyarrow as pa


# glibc's mallopt parameters (malloc.h) and their defaults.
M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
DEFAULT_TRIM_THRESHOLD, DEFAULT_MMAP_MAX = 128 * 1024, 65536
# Freed memory at the top of the heap is kept up to this much within a step (give_back returns
# it between steps): more than any one step frees and takes again at 3M events.
KEPT_TOP = 1024**3
# The user's own malloc settings, which `kept_heap` leaves alone.
MALLOC_ENV = ("MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")


@functools.cache
def _libc_function(name: str):
    """A function of the C library, or None where it is not there (not glibc, or no libc)."""
    library = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(library), name, None) if library else None
    except OSError:
        return None


def give_back() -> None:
    """Return memory the allocators hold but no object uses to the operating system."""
    pa.default_memory_pool().release_unused()
    scratch_pool().release_unused()
    _trim_heap()


@functools.cache
def scratch_pool() -> pa.MemoryPool:
    """The Arrow pool for intermediates made and freed again in a loop of same-sized steps
    (the pieces of the notes taken for each block of event rows, `schemas.frames.take_chunks`).

    jemalloc hands freed pages back, so the next step faults them in afresh; mimalloc keeps them
    for it. The notes of a million events taken a block at a time, the pieces from mimalloc:
    0.83-0.86 s against 1.37-1.44 s, page faults 145k against 390k, the same peak. What
    outlives a step comes from the default pool; `give_back` empties this one too. Without
    mimalloc (some builds of pyarrow), the default pool."""
    try:
        return pa.mimalloc_memory_pool()
    except NotImplementedError:
        return pa.default_memory_pool()


def _trim_heap() -> None:
    """Return the free pages of malloc's heap, wherever they lie in it (glibc's malloc_trim)."""
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)


@contextlib.contextmanager
def kept_heap() -> Iterator[None]:
    """Within the block, glibc's malloc serves every block from its heap and keeps freed memory.

    glibc maps a block over its mmap threshold (at most 32 MB) on its own and unmaps it when it
    is freed, so the next such block is faulted in afresh; at 3M events most columns are over
    it. With no mapped blocks and a high trim threshold, freed blocks are reused within a step
    and returned only by `give_back` (malloc_trim returns free pages anywhere in the heap).
    Measured at 3M events: page faults 11.5M -> 8.3-8.7M, system time 31-41 -> 26 s. Afterwards
    glibc's static defaults are set back (its dynamic threshold stays off, as after any
    mallopt) and what the heap kept is returned. MALLOC_* or GLIBC_TUNABLES malloc settings in
    the environment win."""
    mallopt = _libc_function("mallopt")
    chosen = any(name in os.environ for name in MALLOC_ENV) or "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", "")
    if mallopt is None or chosen or not mallopt(M_MMAP_MAX, 0):
        yield
        return
    mallopt(M_TRIM_THRESHOLD, KEPT_TOP)
    try:
        yield
    finally:
        mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX)
        mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
        _trim_heap()


def use_returning_pool() -> None:
    """Allocate Arrow memory from jemalloc, which gives freed pages back as `give_back` asks:
    pyarrow's default (mimalloc) keeps more of them, half a gigabyte of peak memory at a
    million events. Arrays made before keep their pool. ARROW_DEFAULT_MEMORY_POOL, when set,
    is the user's choice and wins; without jemalloc (some builds of pyarrow) nothing changes."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL") or "jemalloc" not in pa.supported_memory_backends():
        return
    pa.set_memory_pool(pa.jemalloc_memory_pool())


def _hugepage_switch():
    """numpy's setter for its huge-page advice (numpy 2: numpy._core; numpy 1: numpy.core), or None."""
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            return getattr(__import__(module, fromlist=["_"]), "_set_madvise_hugepage", None)
        except ImportError:
            continue
    return None


@contextlib.contextmanager
def small_pages() -> Iterator[None]:
    """Within the block, numpy allocates arrays in ordinary pages, not transparent huge pages.

    numpy advises Linux to back every array of 4 MB and more with 2 MB pages. A build writes most
    of its columns once, so it gains little from them and pays for each on first use: on the
    benchmark machine (THP "madvise"), touching 1 GB of new huge pages costs 2-2.3 s of system
    time against 0.45 s in 4 KB pages, and at a million events this was 1.5 s of the build's
    9.5 s of system time. NUMPY_MADVISE_HUGEPAGE, when set, is the user's choice and wins;
    numpy's own setting is restored after the block."""
    switch = None if "NUMPY_MADVISE_HUGEPAGE" in os.environ else _hugepage_switch()
    before = switch(False) if switch is not None else None
    try:
        yield
    finally:
        if switch is not None:
            switch(before)


# Container objects allocated (less those freed) between two collections of the youngest
# generation: Python's default, 700, made a build of 100,000 reports collect 526 times.
COLLECT_EVERY = 50_000


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Within the block, the garbage collector's youngest generation is collected every
    COLLECT_EVERY allocations instead of every 700.

    A build allocates millions of short-lived objects (parsed values, problems, rows) that
    reference counting frees; each collection scans what is young all the same. The command
    rebuilding one edit of 100,000 reports spent 0.21-0.27 s in 526 collections, 0.11 s in 250
    this way (most of those now during its imports, before the build).
    The thresholds are restored after the block."""
    before = gc.get_threshold()
    gc.set_threshold(COLLECT_EVERY, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
