"""Giving freed memory back to the operating system between the steps of a build.

Both allocators under a build keep what was freed for reuse: pyarrow's pool (mimalloc) and the C
library's malloc (numpy, pandas). After a step that dropped gigabytes (the staged input trimmed,
the claims freed) that memory still counts against the machine, though nothing uses it: at a
million events a third of the resident memory. `give_back` hands it back; the next step
allocates afresh. Where the calls are not available (other C libraries) it does nothing.
`use_returning_pool` picks the Arrow allocator that gives back the most.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

import pyarrow as pa


@functools.cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def give_back() -> None:
    """Return memory both allocators hold but no object uses to the operating system."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def use_returning_pool() -> None:
    """Allocate Arrow memory from jemalloc, which gives freed pages back as `give_back` asks:
    pyarrow's default (mimalloc) keeps more of them, half a gigabyte of peak memory at a
    million events. Arrays made before keep their pool. ARROW_DEFAULT_MEMORY_POOL, when set,
    is the user's choice and wins; without jemalloc (some builds of pyarrow) nothing changes."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL") or "jemalloc" not in pa.supported_memory_backends():
        return
    pa.set_memory_pool(pa.jemalloc_memory_pool())
