"""Arrow copies of the latest release's data tables, kept in the output folder's cache: the next
build compares its tables with the copies instead of decoding the release's Parquet files.

After one edit of 100,000 reports, decoding the previous release's Parquet for the comparison
was 1 s of CPU (the events 0.7 s, the claims 0.3 s) on a build whose two cores are busy while
its tables are written. A copy is an uncompressed Arrow IPC stream, read memory-mapped: no
decoding, the unchanged parts compared in place.

An optimisation only. A copy is used when it was written by the build that published the
release and the release's Parquet file is as it was then (size and modification time, as the
parse cache trusts raw files); otherwise, or when a table was too long to copy (MAX_ROWS), the
Parquet file is read, to the same result. Every failure to write a copy leaves the build as it
was: the copy is dropped.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa

FOLDER = "tables"  # under the output folder's .cache
SOURCES = "sources.json"  # per copied table: the size and mtime_ns of the Parquet file it copies
SUFFIX = ".arrows"  # an Arrow IPC stream (a part's categories may differ from the part's before)
# Longer tables are not copied: the copy costs writing as many bytes as the table holds in
# memory (a gigabyte at a million events), and reading it back pays only when rebuilt often.
MAX_ROWS = 500_000


def folder(cache: Path) -> Path:
    return cache / FOLDER


class Writer:
    """One table's copy, written a part at a time as its Parquet file is. Never raises: a
    failure drops the copy (`broken`)."""

    def __init__(self, path: Path):
        self.path = path
        self.broken = False
        self._file: pa.NativeFile | None = None
        self._stream: pa.ipc.RecordBatchStreamWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self.broken:
            return
        try:
            if self._stream is None:
                self._file = pa.OSFile(str(self.path), "wb")
                self._stream = pa.ipc.new_stream(self._file, table.schema)
            self._stream.write_table(table)
        except (OSError, pa.ArrowException):
            self.drop()

    def close(self) -> None:
        if self.broken or self._stream is None:
            return
        try:
            self._stream.close()
            self._file.close()
        except (OSError, pa.ArrowException):
            self.drop()

    def drop(self) -> None:
        self.broken = True
        for closing in (self._stream, self._file):
            try:
                if closing is not None:
                    closing.close()
            except (OSError, pa.ArrowException):
                pass
        self.path.unlink(missing_ok=True)


class Pending:
    """The copies of one build's tables, written into a hidden folder of the cache and kept, in
    place of every other copy, once the release they copy is published (`keep`)."""

    def __init__(self, cache: Path, version: str):
        self.root = folder(cache)
        self.version = version
        self.path = self.root / f".{version}-{os.getpid()}"
        self.writers: dict[str, Writer] = {}
        try:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path.mkdir(parents=True)
            self.ok = True
        except OSError:
            self.ok = False

    def writer(self, name: str, rows: int) -> Writer | None:
        """A Writer for table `name` of `rows` rows, or None if it is not to be copied."""
        if not self.ok or rows > MAX_ROWS:
            return None
        self.writers[name] = Writer(self.path / f"{name}{SUFFIX}")
        return self.writers[name]

    def keep(self, release: Path) -> None:
        """The release these copies are of is published at `release`: keep them (and only them)."""
        try:
            sources = {}
            for name, writer in self.writers.items():
                if not writer.broken:
                    st = os.stat(release / f"{name}.parquet")
                    sources[name] = {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns}
            (self.path / SOURCES).write_text(json.dumps(sources, sort_keys=True), encoding="utf-8")
            target = self.root / release.name
            shutil.rmtree(target, ignore_errors=True)
            os.rename(self.path, target)
        except OSError:
            self.discard()
            return
        for stale in self.root.iterdir():
            if stale != target:
                shutil.rmtree(stale, ignore_errors=True)

    def discard(self) -> None:
        for writer in self.writers.values():
            writer.drop()
        shutil.rmtree(self.path, ignore_errors=True)


def read(cache: Path, release: Path, name: str) -> pa.Table | None:
    """The copy of table `name` of the release at `release`, memory-mapped, if one is kept and
    the release's Parquet file is as it was when copied; else None."""
    here = folder(cache) / release.name
    try:
        source = json.loads((here / SOURCES).read_text(encoding="utf-8")).get(name)
        if source is None:
            return None
        st = os.stat(release / f"{name}.parquet")
        if (st.st_size, st.st_mtime_ns) != (source["bytes"], source["mtime_ns"]):
            return None
        return pa.ipc.open_stream(pa.memory_map(str(here / f"{name}{SUFFIX}"))).read_all()
    except (OSError, ValueError, KeyError, TypeError, AttributeError, pa.ArrowException):
        return None
