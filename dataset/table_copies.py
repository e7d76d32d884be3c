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
# Two sets of copies, written in turn: a build reads the copies of the release before it from
# one and overwrites the other's files in place. Writing into pages the files already have in
# memory took 0.03 s for the 190 MB of 100,000 reports' tables; into new files, 0.06-0.6 s
# (this machine's host backs each fresh page of memory anew).
SLOTS = ("a", "b")
SOURCES = "sources.json"  # the release copied, and the size and mtime_ns of each Parquet file copied
SUFFIX = ".arrows"  # an Arrow IPC stream (a part's categories may differ from the part's before)
# Longer tables are not copied: the copy costs writing as many bytes as the table holds in
# memory (a gigabyte at a million events), and reading it back pays only when rebuilt often.
MAX_ROWS = 500_000
BUFFER = 4 * 1024**2  # bytes handed to the file at a time (each a Python call)


def folder(cache: Path) -> Path:
    return cache / FOLDER


def _sources(slot: Path) -> dict:
    """What a set of copies holds: {"release": name, "tables": {table: {bytes, mtime_ns}}}, or {}."""
    try:
        found = json.loads((slot / SOURCES).read_text(encoding="utf-8"))
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


def kept(cache: Path) -> dict[str, Path]:
    """The releases whose copies are kept under `cache`, and the folder holding each."""
    out = {}
    for slot in SLOTS:
        release = _sources(folder(cache) / slot).get("release")
        if isinstance(release, str):
            out[release] = folder(cache) / slot
    return out


class Writer:
    """One table's copy, written a part at a time as its Parquet file is, over the file's old
    bytes (cut to length when closed). Never raises: a failure drops the copy (`broken`)."""

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
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)  # not truncated
                self._file = pa.BufferedOutputStream(pa.PythonFile(open(fd, "wb"), mode="w"), buffer_size=BUFFER)
                self._stream = pa.ipc.new_stream(self._file, table.schema)
            self._stream.write_table(table)
        except (OSError, pa.ArrowException):
            self.drop()

    def close(self) -> None:
        if self.broken or self._stream is None:
            return
        try:
            self._stream.close()
            size = self._file.tell()
            self._file.close()
            os.truncate(self.path, size)  # the old copy's bytes past the new end
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


class NoCopy:
    """A table that is not copied (too long, a rebuild compared and discarded, a build without
    copies): what a Writer does, nothing done."""

    broken = True

    def write(self, table: pa.Table) -> None:
        pass

    def close(self) -> None:
        pass

    def drop(self) -> None:
        pass


NO_COPY = NoCopy()


class Pending:
    """The copies of one build's tables, written over the set of copies that does not hold those
    of `keep` (the release the build compares with), and marked as the copies of its release once
    that is published (`keep`). Until then, and if the build fails, that set holds none."""

    def __init__(self, cache: Path, version: str, keep: str | None = None):
        root = folder(cache)
        self.path = next((root / s for s in SLOTS if _sources(root / s).get("release") != keep), root / SLOTS[0])
        self.writers: dict[str, Writer] = {}
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            (self.path / SOURCES).unlink(missing_ok=True)  # what it held is being overwritten
            self.ok = True
        except OSError:
            self.ok = False
        for stale in root.iterdir() if self.ok else ():  # anything but the two sets
            if stale.name not in SLOTS:
                shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)

    def writer(self, name: str, rows: int) -> Writer | None:
        """A Writer for table `name` of `rows` rows, or None if it is not to be copied."""
        if not self.ok or rows > MAX_ROWS:
            return None
        self.writers[name] = Writer(self.path / f"{name}{SUFFIX}")
        return self.writers[name]

    def keep(self, release: Path) -> None:
        """The release these copies are of is published at `release`: they are its copies."""
        try:
            tables = {}
            for name, writer in self.writers.items():
                if not writer.broken:
                    st = os.stat(release / f"{name}.parquet")
                    tables[name] = {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns}
            text = json.dumps({"release": release.name, "tables": tables}, sort_keys=True)
            tmp = self.path / f".{SOURCES}.{os.getpid()}"
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path / SOURCES)
        except OSError:
            self.discard()

    def discard(self) -> None:
        """The build failed: its copies are not kept (their files are, to be written over)."""
        for writer in self.writers.values():
            writer.broken = True
        (self.path / SOURCES).unlink(missing_ok=True)


def read(cache: Path, release: Path, name: str) -> pa.Table | None:
    """The copy of table `name` of the release at `release`, memory-mapped, if one is kept and
    the release's Parquet file is as it was when copied; else None."""
    try:
        for here in (folder(cache) / slot for slot in SLOTS):
            sources = _sources(here)
            if sources.get("release") != release.name:
                continue
            source = sources["tables"].get(name)
            if source is None:
                return None
            st = os.stat(release / f"{name}.parquet")
            if (st.st_size, st.st_mtime_ns) != (source["bytes"], source["mtime_ns"]):
                return None
            return pa.ipc.open_stream(pa.memory_map(str(here / f"{name}{SUFFIX}"))).read_all()
    except (OSError, ValueError, KeyError, TypeError, AttributeError, pa.ArrowException):
        return None
    return None
