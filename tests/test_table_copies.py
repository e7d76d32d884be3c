"""The Arrow copies of the latest release's tables (dataset.table_copies): the next build compares
with them instead of the Parquet files, and that changes no output byte."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dataset import diff, pipeline, table_copies
from dataset.build import CACHE
from dataset.problems import BuildFailed

from .conftest import FIXTURES, MULTI_RAW, build
from .test_parts import edited_copy, tree_bytes


def copies_of(out: Path) -> list[str]:
    """The releases whose copies are kept (the latest's, and the one's before, being overwritten next)."""
    return sorted(table_copies.kept(out / CACHE))


def used(monkeypatch) -> list[str]:
    """The tables a build compared with a copy, as it reads them."""
    found: list[str] = []
    real = table_copies.read

    def reading(cache, release, name):
        copy = real(cache, release, name)
        if copy is not None:
            found.append(name)
        return copy

    monkeypatch.setattr(table_copies, "read", reading)
    return found


@pytest.mark.parametrize("rows", [2, 1000])
def test_a_build_compared_with_the_copies_writes_the_same_release(tmp_path, monkeypatch, rows):
    """A second version (a report deleted, one edited, one added) built after the first, once
    with the first's copies and once without: the same bytes, the changes found either way."""
    monkeypatch.setattr(pipeline, "PART_ROWS", rows)
    edited = edited_copy(tmp_path)
    for out in (tmp_path / "with", tmp_path / "without"):
        build(MULTI_RAW, out, "2024.07.0")
        assert copies_of(out) == ["2024.07.0"]
    shutil.rmtree(table_copies.folder(tmp_path / "without" / CACHE))
    without = build(edited, tmp_path / "without", "2024.08.0")
    compared = used(monkeypatch)
    with_ = build(edited, tmp_path / "with", "2024.08.0")
    assert sorted(compared) == ["claims", "events", "reports"]
    assert tree_bytes(with_.release) == tree_bytes(without.release)
    changes = (with_.release / "changes.csv").read_text()
    assert all(kind in changes for kind in ("added", "deleted", "modified"))
    assert copies_of(tmp_path / "with") == ["2024.07.0", "2024.08.0"]
    build(MULTI_RAW, tmp_path / "with", "2024.09.0")  # written over the copies of the release before the last
    assert copies_of(tmp_path / "with") == ["2024.08.0", "2024.09.0"]


def test_a_copy_reads_as_its_parquet_file(tmp_path):
    """Keys, rows taken anywhere, slices and the empty frame: the same from the copy as from Parquet."""
    out = tmp_path / "out"
    path = build(MULTI_RAW, out).release
    rng = np.random.default_rng(7)
    for name in diff.TABLES:
        copy, parquet = diff.previous_tables(path, out / CACHE)[name], diff.ParquetTable(path, name)
        assert isinstance(copy, diff.CopiedTable)
        pd.testing.assert_frame_equal(copy.keys, parquet.keys)
        pd.testing.assert_frame_equal(copy.empty, parquet.empty)
        at = rng.integers(0, len(parquet.keys), 9)
        pd.testing.assert_frame_equal(copy.rows(at), parquet.rows(at))
        n = len(parquet.keys)
        for start, length in ((0, n), (1, max(n - 2, 0)), (n // 2, 1)):
            got, want = copy.slice(start, length), parquet.slice(start, length)
            pd.testing.assert_frame_equal(diff.typed(name, got.to_pandas()), diff.typed(name, want.to_pandas()))
            assert diff._differing(want, got) == []


def test_a_copy_of_a_parquet_file_changed_since_is_not_used(tmp_path, monkeypatch):
    out = tmp_path / "out"
    first = build(MULTI_RAW, out, "2024.07.0").release
    st = os.stat(first / "events.parquet")
    os.utime(first / "events.parquet", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert table_copies.read(out / CACHE, first, "events") is None
    assert table_copies.read(out / CACHE, first, "claims") is not None
    compared = used(monkeypatch)
    build(edited_copy(tmp_path), out, "2024.08.0")
    assert sorted(compared) == ["claims", "reports"]


def test_tables_longer_than_the_limit_are_not_copied(tmp_path, monkeypatch):
    monkeypatch.setattr(table_copies, "MAX_ROWS", 3)  # raw_multi has tables of more rows than that
    out = tmp_path / "out"
    release = build(MULTI_RAW, out).release
    kept = table_copies.kept(out / CACHE)[release.name]
    rows = {name: len(diff.ParquetTable(release, name).keys) for name in diff.TABLES}
    assert sorted(p.stem for p in kept.glob(f"*{table_copies.SUFFIX}")) == sorted(n for n, r in rows.items() if r <= 3)
    assert any(r > 3 for r in rows.values())
    for name, n in rows.items():
        assert (table_copies.read(out / CACHE, release, name) is not None) == (n <= 3)


def test_a_failed_build_leaves_the_copies_it_found(tmp_path):
    """A build that fails writes no copy and keeps the latest release's."""
    out = tmp_path / "out"
    build(MULTI_RAW, out, "2024.07.0")
    before = {p.name: p.read_bytes() for p in table_copies.kept(out / CACHE)["2024.07.0"].iterdir()}
    broken = shutil.copytree(FIXTURES / "broken", tmp_path / "broken")
    with pytest.raises(BuildFailed):
        build(broken, out, "2024.08.0")
    assert copies_of(out) == ["2024.07.0"]  # none of the failed build's
    assert {p.name: p.read_bytes() for p in table_copies.kept(out / CACHE)["2024.07.0"].iterdir()} == before


def test_a_copy_written_over_a_longer_one_reads_as_written(tmp_path):
    """Copies are written over the old files in place: what is left of a longer old copy is cut."""
    import pyarrow as pa

    path = tmp_path / f"events{table_copies.SUFFIX}"
    path.write_bytes(b"x" * 1_000_000)
    table = pa.table({"id": pa.array(["a", "b", "c"]), "n": pa.array([1, 2, 3])})
    writer = table_copies.Writer(path)
    writer.write(table.slice(0, 2))
    writer.write(table.slice(2))
    writer.close()
    assert not writer.broken and path.stat().st_size < 1_000_000
    assert pa.ipc.open_stream(pa.memory_map(str(path))).read_all().equals(table)
