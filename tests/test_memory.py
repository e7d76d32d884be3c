"""How a build sets up memory: freed blocks kept in malloc's heap for reuse and numpy's arrays
kept out of transparent huge pages while it runs, and the process's own settings given back after."""

from __future__ import annotations

import contextlib
import ctypes
import re
from pathlib import Path

import numpy as np
import pytest

from dataset import build as build_cmd
from dataset import memory, pipeline

from .conftest import MULTI_RAW, TODAY

THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def advised() -> bool:
    """numpy's current huge-page advice, read without changing it."""
    switch = memory._hugepage_switch()
    before = switch(False)
    switch(before)
    return bool(before)


@pytest.fixture
def advice_on(monkeypatch):
    """numpy advising huge pages (its default on Linux), whatever the test process started with."""
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    switch = memory._hugepage_switch()
    if switch is None:
        pytest.skip("this numpy has no huge-page setting")
    before = switch(True)
    yield
    switch(before)


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def mallinfo() -> MallInfo2:
    """glibc's malloc statistics (mallinfo2, glibc 2.33 and later)."""
    mallinfo2 = memory._libc_function("mallinfo2")
    if mallinfo2 is None:
        pytest.skip("not glibc 2.33 or later")
    mallinfo2.restype = MallInfo2
    return mallinfo2()


def mapped_blocks() -> int:
    """How many blocks glibc's malloc holds in mappings of their own."""
    return mallinfo().hblks


def maps_a_block(nbytes: int = 64 << 20) -> bool:
    """Whether an array of `nbytes` (over glibc's largest mmap threshold) gets a mapping of its own."""
    before = mapped_blocks()
    array = np.ones(nbytes, dtype=np.uint8)
    mapped = mapped_blocks() > before
    del array
    return mapped


@pytest.fixture
def glibc_defaults(monkeypatch):
    for name in memory.MALLOC_ENV + ("GLIBC_TUNABLES",):
        monkeypatch.delenv(name, raising=False)
    if memory._libc_function("mallopt") is None:
        pytest.skip("no mallopt: not glibc")


def test_kept_heap_serves_big_blocks_from_the_heap_and_keeps_them(glibc_defaults):
    assert maps_a_block()
    with memory.kept_heap():
        assert not maps_a_block()
        kept = np.ones(64 << 20, dtype=np.uint8)
        del kept
        assert mallinfo().fordblks >= 64 << 20  # freed into the heap, not trimmed off it
    assert maps_a_block()  # glibc's defaults are back
    with contextlib.suppress(RuntimeError), memory.kept_heap():
        raise RuntimeError("a failed build")
    assert maps_a_block()


def test_the_users_malloc_settings_win(glibc_defaults, monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_MAX_", "65536")
    with memory.kept_heap():
        assert maps_a_block()


def huge_kb(array: np.ndarray) -> int:
    """AnonHugePages of the mapping that holds the middle of `array`'s data, from /proc/self/smaps
    (numpy advises from the first whole 4 KB page on, which splits the mapping there)."""
    address = array.ctypes.data + array.nbytes // 2
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        span = re.match(r"^([0-9a-f]+)-([0-9a-f]+) ", line)
        if span:
            inside = int(span[1], 16) <= address < int(span[2], 16)
        elif inside and line.startswith("AnonHugePages:"):
            return int(line.split()[1])
    raise AssertionError("array's mapping not found")


def test_small_pages_turns_the_advice_off_and_back(advice_on):
    with memory.small_pages():
        assert not advised()
    assert advised()
    with contextlib.suppress(RuntimeError), memory.small_pages():
        raise RuntimeError("a failed build")
    assert advised()


def test_the_users_environment_setting_wins(advice_on, monkeypatch):
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    with memory.small_pages():
        assert advised()


def test_a_build_runs_with_kept_heap_and_small_pages_and_restores_the_settings(advice_on, glibc_defaults, tmp_path):
    seen: list[bool] = []

    class Watching(pipeline.Stages):
        @contextlib.contextmanager
        def timed(self, name):
            seen.append(advised() or maps_a_block())
            with super().timed(name):
                yield

    build_cmd.run(MULTI_RAW, tmp_path / "out", "2024.07.0", today=TODAY, stages=Watching())
    assert seen and not any(seen)
    assert advised() and maps_a_block()


@pytest.mark.skipif(not THP.exists() or "[madvise]" not in THP.read_text(),
                    reason="huge pages are given on numpy's advice only when THP is 'madvise'")
def test_arrays_made_within_are_in_small_pages(advice_on):
    with memory.small_pages():
        inside = np.ones(16 << 20)  # 128 MB, its own mapping
    outside = np.ones(16 << 20)
    assert huge_kb(inside) == 0
    assert huge_kb(outside) > 0  # the test can fail: here the kernel gives huge pages
