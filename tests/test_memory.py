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


def maps_a_block() -> bool:
    """Whether a big array gets a mapping of its own: over glibc's largest mmap threshold (32 MB)
    and bigger than all the heap's free space, which malloc would otherwise serve it from."""
    before = mallinfo()
    array = np.empty(before.fordblks + (64 << 20), dtype=np.uint8)  # not written: no memory used
    mapped = mapped_blocks() > before.hblks
    del array
    return mapped


@pytest.fixture
def glibc_defaults(monkeypatch):
    for name in memory.MALLOC_ENV + ("GLIBC_TUNABLES",):
        monkeypatch.delenv(name, raising=False)
    if memory._libc_function("mallopt") is None:
        pytest.skip("no mallopt: not glibc")


def test_kept_heap_keeps_freed_blocks_in_the_heap(glibc_defaults):
    with memory.kept_heap():
        kept = np.ones(64 << 20, dtype=np.uint8)
        del kept
        assert mallinfo().fordblks >= 64 << 20  # freed into the heap, not trimmed off it


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


# Each setting: its block, whether it is in effect, and the environment variable that overrides it.
SETTINGS = {"kept_heap": (memory.kept_heap, lambda: not maps_a_block(), "MALLOC_MMAP_MAX_", "65536"),
            "small_pages": (memory.small_pages, lambda: not advised(), "NUMPY_MADVISE_HUGEPAGE", "1")}


@pytest.mark.parametrize("name", SETTINGS)
def test_a_setting_holds_within_its_block_and_is_restored_after(name, advice_on, glibc_defaults):
    block, in_effect, _, _ = SETTINGS[name]
    assert not in_effect()
    with block():
        assert in_effect()
    assert not in_effect()
    with contextlib.suppress(RuntimeError), block():
        raise RuntimeError("a failed build")
    assert not in_effect()


@pytest.mark.parametrize("name", SETTINGS)
def test_the_users_environment_setting_wins(name, advice_on, glibc_defaults, monkeypatch):
    block, in_effect, variable, value = SETTINGS[name]
    monkeypatch.setenv(variable, value)
    with block():
        assert not in_effect()


def test_a_build_runs_with_kept_heap_and_small_pages_and_restores_the_settings(advice_on, glibc_defaults, tmp_path):
    seen: list[bool] = []

    class Watching(pipeline.Stages):
        @contextlib.contextmanager
        def timed(self, name):
            seen.append([in_effect() for _, in_effect, _, _ in SETTINGS.values()])
            with super().timed(name):
                yield

    build_cmd.run(MULTI_RAW, tmp_path / "out", "2024.07.0", today=TODAY, stages=Watching())
    assert seen and all(all(stage) for stage in seen)
    assert not any(in_effect() for _, in_effect, _, _ in SETTINGS.values())


@pytest.mark.skipif(not THP.exists() or "[madvise]" not in THP.read_text(),
                    reason="huge pages are given on numpy's advice only when THP is 'madvise'")
def test_arrays_made_within_are_in_small_pages(advice_on):
    with memory.small_pages():
        inside = np.ones(16 << 20)  # 128 MB, its own mapping
    outside = np.ones(16 << 20)
    if huge_kb(outside) == 0:  # the kernel had no huge page to give (memory too fragmented)
        pytest.skip("no huge pages given even on numpy's advice: nothing to tell apart")
    assert huge_kb(inside) == 0
