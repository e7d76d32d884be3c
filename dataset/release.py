"""Writing a release: serialise the tables, describe them, publish the folder atomically, verify.

A release folder is written once, into a temporary folder beside its final place, verified
against its own manifest, then renamed into place in one step: readers see all of it or none of
it. An existing release is never overwritten. Same tables and version -> byte-identical files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

import schemas
from schemas.frames import to_arrow

from . import table_copies, threads
from .direct import DirectFile
from .problems import Problem, ReleaseError

MANIFEST = "manifest.json"
DATAPACKAGE = "datapackage.json"
SUMS = "SHA256SUMS"
LATEST = "latest"
TMP_PREFIX = ".tmp-"
VERSION_PATTERN = re.compile(r"^[0-9]{4}\.[0-9]{2}\.[0-9]+([.-][0-9A-Za-z]+)*$")
# Rows per Parquet row group. A table's last row group is encoded when its last part has come,
# while the build waits: 65,536 rows halve that wait against 131,072 (the events of 100,000
# reports: 0.54 s, the whole table held in one group), for files 0.3-0.7% larger, and readers
# filtering by country or year skip in finer steps.
ROW_GROUP_ROWS = 65_536
THREADS = 2  # the reference machine's cores; pyarrow and hashlib release the GIL


def check_version(version: str) -> str:
    if not VERSION_PATTERN.match(version or ""):
        raise ReleaseError(f"version {version!r} does not follow the scheme YYYY.MM.N (e.g. 2024.07.0)")
    return version


# -- serialisation ---------------------------------------------------------------------------

def csv_table(df: pd.DataFrame) -> pa.Table:
    """The table as the CSV shows it: ISO dates (YYYY-MM-DD), categories as their text."""
    return csv_table_of(to_arrow(df))


def csv_table_of(table: pa.Table) -> pa.Table:
    columns = []
    for field, column in zip(table.schema, table.columns):
        if pa.types.is_timestamp(field.type):
            column = column.cast(pa.date32())
        elif pa.types.is_dictionary(field.type):
            column = column.cast(field.type.value_type)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


PARQUET_OPTIONS = dict(compression="zstd", write_statistics=True)
# Rows encoded at a time: the same bytes for any batch size; pyarrow's default, 1,024 rows, spent
# a tenth more time on the batches themselves (the claims of a million events, a part at a time:
# 1.19-1.26 s against 1.02-1.09 s).
CSV_BATCH_ROWS = 16_384
CSV_WRITE = dict(quoting_style="needed", batch_size=CSV_BATCH_ROWS)
CSV_OPTIONS = pacsv.WriteOptions(include_header=True, **CSV_WRITE)
CSV_REST = pacsv.WriteOptions(include_header=False, **CSV_WRITE)  # rows that follow others (write_csv_table)


def parquet_options(name: str, columns: list[str]) -> dict:
    """How table `name` is written to Parquet. Columns whose values repeat (names, categories,
    figures, dates) are dictionary-encoded; the table's identifiers (schemas.identifiers) are stored
    plainly, since their dictionary would be about as long as the column: at a million events
    the files are 13% smaller and a tenth faster to write."""
    plain = set(schemas.identifiers(name))
    return {**PARQUET_OPTIONS, "use_dictionary": [c for c in columns if c not in plain]}


def write_parquet(df: pd.DataFrame, sink, name: str) -> None:
    """Table `name` as Parquet with the pandas dtypes recorded (categoricals, nullable integers, dates)."""
    table = to_arrow(df)
    pq.write_table(table, sink, row_group_size=ROW_GROUP_ROWS, **parquet_options(name, table.column_names))


# A table written whole is encoded this many rows at a time, slices on THREADS threads: pyarrow's
# CSV writer uses one core, and a first release's change list (4.4 million rows, 246 MB, at a
# million events) was the build's last 0.6 s, on one core; sliced, 0.5 s (its hashing and
# writing stay on one thread). Each row's text depends on that row alone, so the slices joined
# are the bytes of the whole (tests/test_parts.py).
CSV_SLICE_ROWS = 262_144


def write_csv(df: pd.DataFrame, sink) -> None:
    """UTF-8 CSV, empty field for a missing number, "" for empty text."""
    write_csv_table(csv_table(df), sink)


def write_csv_table(table: pa.Table, sink) -> None:
    """`table` (as `csv_table` makes it) as CSV into `sink`, a file or anything with `write`:
    a slice of CSV_SLICE_ROWS at a time, encoded on THREADS threads and written in order, at
    most THREADS slices ahead of the writing."""
    if table.num_rows <= CSV_SLICE_ROWS:
        pacsv.write_csv(table, sink, write_options=CSV_OPTIONS)
        return

    def encoded(start: int) -> pa.Buffer:
        out = pa.BufferOutputStream()
        pacsv.write_csv(table.slice(start, CSV_SLICE_ROWS), out, write_options=CSV_OPTIONS if start == 0 else CSV_REST)
        return out.getvalue()

    starts = range(0, table.num_rows, CSV_SLICE_ROWS)
    with threads.ahead([partial(encoded, start) for start in starts], depth=THREADS) as slices:
        for data in slices:
            sink.write(data)


def csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    write_csv(df, buf)
    return buf.getvalue()


@dataclass(frozen=True)
class Digest:
    sha256: str
    bytes: int


class _Hashing(io.RawIOBase):
    """A write-only file that hashes and counts what passes through it."""

    def __init__(self, fh):
        self.fh, self.hash, self.size = fh, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data)
        self.fh.write(view)
        self.hash.update(view)
        self.size += view.nbytes
        return view.nbytes


class Folder:
    """A release folder being written: every file is hashed as it is written and fsynced,
    streamed to disk without holding whole files in memory (tables: TableWriter), around the
    page cache where the system allows (`direct`)."""

    def __init__(self, path: Path):
        self.path = path
        self.digests: dict[str, Digest] = {}

    def write_bytes(self, name: str, data: bytes) -> Digest:
        return self.write(name, lambda sink: sink.write(data))

    def write(self, name: str, fill: Callable) -> Digest:
        """Write file `name` by calling `fill(sink)`, streaming: the file is never whole in memory."""
        with self.opened(name) as sink:
            fill(sink)
        return self.digests[name]

    @contextmanager
    def opened(self, name: str) -> Iterator[_Hashing]:
        """File `name` open for writing; hashed, fsynced and its digest kept when the block ends.
        Failing to write it (disk full, permissions) raises ReleaseError."""
        try:
            with DirectFile(self.path / name) as fh:  # closing it fsyncs
                sink = _Hashing(fh)
                yield sink
        except OSError as err:
            raise _write_error(self.path / name, err) from None
        self.digests[name] = Digest(sink.hash.hexdigest(), sink.size)


def _write_error(path: Path, err: OSError) -> ReleaseError:
    return ReleaseError(f"cannot write {path}: {err.strerror or err}")


# What a pyarrow writer buffers before handing bytes to the hashing file: Python code, which
# needs the GIL. Unbuffered, the writers called it per CSV batch or Parquet page (about 900
# times per part), each call waiting for the thread that makes the tables to let go of the GIL.
STREAM_BUFFER = 4 * 1024**2


@dataclass
class _OpenFile:
    """A file of a Folder being written by a pyarrow writer through a native buffer (`stream`)."""

    opened: ExitStack  # holds the Folder.opened context: closing it hashes, fsyncs and records the file
    stream: pa.NativeFile
    writer: object
    wrote: bool = False  # a row group written yet (Parquet)

    def close(self) -> None:
        with self.opened:
            self.writer.close()
            self.stream.close()  # the buffer's last bytes into the file


class TableWriter:
    """One table written part by part as `name.csv` and `name.parquet`, byte for byte what
    `write_csv` and `write_parquet` write for the whole table.

    Each file is encoded on a thread of its own while the caller makes the next part (pyarrow
    and hashlib release the GIL); at most one part per file waits, so memory holds two parts.
    Parquet rows are regrouped into row groups of ROW_GROUP_ROWS, wherever the parts were cut.
    With `copy`, each part is also written to the table's Arrow copy (table_copies), after its
    Parquet rows, on the same thread.
    """

    def __init__(self, folder: Folder, name: str, copy: table_copies.Writer | None = None):
        self.folder, self.name = folder, name
        self.copy = copy if copy is not None else table_copies.NO_COPY
        self.pending: dict[str, Future] = {}  # per file ("csv", "parquet"): the part being encoded
        self.csv: _OpenFile | None = None  # opened with the first part
        self.parquet: _OpenFile | None = None
        self.held: pa.Table | None = None  # Parquet rows not yet a whole row group

    def put(self, df: pd.DataFrame) -> None:
        """Hand on the next rows; raises ReleaseError if writing an earlier part failed."""
        self.put_table(to_arrow(df))

    def put_table(self, table: pa.Table) -> None:
        """`put` for rows already converted by `to_arrow`."""
        self._wait()
        pool = threads.shared()  # the two files' encoding of the part before has ended (_wait)
        self.pending = {"csv": pool.submit(self._writing, self._csv, table),
                        "parquet": pool.submit(self._writing, self._parquet, table)}

    def close(self) -> None:
        """Write the last rows and close both files; on failure the files are closed anyway.

        Each file is closed as soon as its own last part is written: the Parquet file's last row
        group (often the whole of a small table, held until now) is encoded while the CSV's last
        part still is, not after it (after one edit of 100,000 reports, the build's last 0.3 s)."""
        try:
            parquet = threads.soon(self._after, "parquet", self._finish_parquet)
            try:
                self._after("csv", partial(self._close_file, "csv"))
            finally:
                parquet.exception()  # both finished before either's failure goes on
            parquet.result()
        except BaseException:
            self._close_files(quietly=True)
            self.copy.drop()
            raise
        finally:
            self.pending = {}

    def close_soon(self) -> Future:
        """`close` on a thread of its own, so the last part is encoded while the caller goes on;
        the future's result raises what closing raised."""
        return threads.soon(self.close)

    def abort(self) -> None:
        """Stop after a failed build: wait for the threads, close the files (then discarded)."""
        for future in self.pending.values():
            future.exception()
        self.pending = {}
        self._close_files(quietly=True)
        self.copy.drop()

    def _after(self, file: str, step: Callable[[], None]) -> None:
        """`step` once the part being encoded into `file` is (raising what encoding it raised)."""
        pending = self.pending.get(file)
        if pending is not None:
            pending.result()
        self._writing(step)

    def _finish_parquet(self) -> None:
        if self.parquet is not None and (self.held.num_rows or not self.parquet.wrote):
            self.parquet.writer.write_table(self.held.combine_chunks(), row_group_size=ROW_GROUP_ROWS)
        self._close_file("parquet")
        self.copy.close()

    def _close_files(self, quietly: bool = False) -> None:
        """Close the open files, each once (`_close_file`)."""
        for attr in ("csv", "parquet"):
            self._close_file(attr, quietly)

    def _close_file(self, attr: str, quietly: bool = False) -> None:
        """Close file `attr` ("csv" or "parquet") if open, once. `quietly` (a failed build): errors
        are dropped, and a Parquet writer that failed to close is marked closed, else it retries
        when collected."""
        opened = getattr(self, attr)
        setattr(self, attr, None)
        if opened is None:
            return
        try:
            opened.close()
        except Exception:
            if not quietly:
                raise
            if isinstance(opened.writer, pq.ParquetWriter):
                opened.writer.is_open = False

    def _writing(self, step: Callable, *args) -> None:
        """`step(*args)`, a failure to write told as Folder.opened tells it."""
        try:
            step(*args)
        except OSError as err:
            raise _write_error(self.folder.path / self.name, err) from None

    def _wait(self) -> None:
        done, self.pending = self.pending, {}
        for future in done.values():
            future.result()

    def _open(self, ext: str, make: Callable) -> _OpenFile:
        opened = ExitStack()
        sink = opened.enter_context(self.folder.opened(f"{self.name}.{ext}"))
        stream = pa.BufferedOutputStream(pa.PythonFile(sink, mode="w"), buffer_size=STREAM_BUFFER)
        return _OpenFile(opened, stream, make(stream))

    def _csv(self, table: pa.Table) -> None:
        part = csv_table_of(table)
        if self.csv is None:
            self.csv = self._open("csv", lambda sink: pacsv.CSVWriter(sink, part.schema, write_options=CSV_OPTIONS))
        self.csv.writer.write_table(part)

    def _parquet(self, table: pa.Table) -> None:
        if self.parquet is None:
            self.parquet = self._open("parquet", lambda sink: pq.ParquetWriter(
                sink, table.schema, **parquet_options(self.name, table.column_names)))
        held = table if self.held is None else pa.concat_tables([self.held, table])
        whole = held.num_rows // ROW_GROUP_ROWS * ROW_GROUP_ROWS
        for begin in range(0, whole, ROW_GROUP_ROWS):
            self.parquet.writer.write_table(held.slice(begin, ROW_GROUP_ROWS).combine_chunks(), row_group_size=ROW_GROUP_ROWS)
            self.parquet.wrote = True
        self.held = held.slice(whole)
        self.copy.write(table)


def manifest(version: str, digests: dict[str, Digest], rows: dict[str, int], fingerprint: str,
             warnings: list[Problem], extra: dict | None = None) -> bytes:
    """The release's own description: no clock, no machine paths, so it is reproducible too."""
    body = {
        "version": version,
        "schema_version": schemas.SCHEMA_VERSION,
        "raw_fingerprint": fingerprint,
        "rows": rows,
        "files": {name: {"sha256": d.sha256, "bytes": d.bytes} for name, d in sorted(digests.items())},
        "warnings": [{"file": w.file, "report_id": w.report_id, "event_key": w.event_key, "claim": w.claim,
                      "field": w.field, "code": w.code, "message": w.message} for w in sorted(set(warnings))],
        **(extra or {}),
    }
    return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def sums(digests: dict[str, Digest]) -> bytes:
    """SHA256SUMS in the format `sha256sum -c` reads."""
    return "".join(f"{d.sha256}  {name}\n" for name, d in sorted(digests.items())).encode("utf-8")


# -- publishing ------------------------------------------------------------------------------

def read_manifest(release: Path) -> dict:
    return json.loads((release / MANIFEST).read_text(encoding="utf-8"))


def prepare(out: Path, version: str, write: Callable[[Folder], None]) -> Folder:
    """Write a release into a fresh hidden temporary folder under `out`; verify it there.

    A failed or killed write leaves only the hidden folder, which the next build sweeps.
    """
    check_version(version)
    tmp = out / f"{TMP_PREFIX}{version}-{os.getpid()}"
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
    except OSError as err:
        raise ReleaseError(f"cannot write release {version} under {out}: {err.strerror or err}") from None
    folder = Folder(tmp)
    try:
        write(folder)  # the folder's own write failures are ReleaseErrors; the rest is `write`'s own
        try:
            _fsync_dir(tmp)
        except OSError as err:
            raise _write_error(tmp, err) from None
        problems = verify(tmp, known=folder.digests)  # hashed as written: not read back again
        if problems:
            raise ReleaseError("the written release does not match its manifest: " + "; ".join(problems))
        return folder
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _refuse_existing(target: Path) -> None:
    if target.exists() or target.is_symlink():
        raise ReleaseError(f"release {target} already exists; releases are never overwritten "
                           f"(remove it explicitly to rebuild it, or build a new --version)")


def commit(folder: Folder, out: Path, version: str) -> Path:
    """Rename a prepared folder into place (one atomic step) and point `latest` at it."""
    target = out / version
    try:
        _refuse_existing(target)  # again: another process may have published it meanwhile
    except ReleaseError:
        discard(folder)
        raise
    try:
        os.rename(folder.path, target)
        _fsync_dir(out)
    except OSError as err:
        discard(folder)
        raise ReleaseError(f"cannot publish release {version} under {out}: {err.strerror or err}") from None
    point_latest(out, version)
    return target


def discard(folder: Folder) -> None:
    shutil.rmtree(folder.path, ignore_errors=True)


def publish(out: Path, version: str, write: Callable[[Folder], None]) -> Path:
    """Write release `version` under `out` atomically; point `latest` at it."""
    _refuse_existing(out / version)  # before writing anything
    return commit(prepare(out, version, write), out, version)


def point_latest(out: Path, version: str) -> None:
    """Atomically repoint out/latest (a relative symlink) at `version`."""
    link = out / LATEST
    tmp = out / f"{TMP_PREFIX}{LATEST}-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(version, tmp)
    os.replace(tmp, link)
    _fsync_dir(out)


def sweep(out: Path) -> list[str]:
    """Remove temporary folders left by killed builds (call under the build lock)."""
    removed = []
    if out.is_dir():
        for child in sorted(out.iterdir()):
            if child.name.startswith(TMP_PREFIX):
                if child.is_symlink() or child.is_file():
                    child.unlink()
                else:
                    shutil.rmtree(child, ignore_errors=True)
                removed.append(child.name)
    return removed


def releases(out: Path) -> list[Path]:
    """Published release folders under `out`, oldest version first."""
    if not out.is_dir():
        return []
    found = [p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and VERSION_PATTERN.match(p.name)
             and (p / MANIFEST).exists()]
    return sorted(found, key=lambda p: version_key(p.name))


def version_key(version: str) -> tuple:
    return tuple(int(x) if x.isdigit() else x for x in re.split(r"[.-]", version))


def hash_files(folder: Path, names) -> dict[str, Digest]:
    """Digest of each of `names` that is a file in `folder` (missing ones left out), two threads."""
    present = sorted(n for n in names if (folder / n).is_file())
    return dict(zip(present, threads.in_order([partial(file_digest, folder / n) for n in present], THREADS)))


def verify(release: Path, known: dict[str, Digest] | None = None) -> list[str]:
    """Differences between a release folder and its manifest (sha256 and size), one per file.

    `known`: digests the caller has just taken of files of this very folder (not hashed again).
    """
    try:
        body = read_manifest(release)
    except (OSError, json.JSONDecodeError) as err:
        return [f"{MANIFEST}: unreadable ({err})"]
    out = []
    listed = body.get("files", {})
    known = known or {}
    digests = {**hash_files(release, [n for n in listed if n not in known]),
               **{n: d for n, d in known.items() if n in listed}}
    for name, meta in sorted(listed.items()):
        if name not in digests:
            out.append(f"{name}: missing")
            continue
        d = digests[name]
        if d.bytes != meta.get("bytes"):
            out.append(f"{name}: size {d.bytes} differs from the manifest's {meta.get('bytes')}")
        if d.sha256 != meta.get("sha256"):
            out.append(f"{name}: sha256 differs from the manifest")
    out += _verify_sums(release, {**known, **digests})
    out += _verify_datapackage(release, listed)
    allowed = set(listed) | {MANIFEST, SUMS}
    for path in sorted(release.iterdir()):
        if path.name not in allowed:
            out.append(f"{path.name}: not listed in the manifest")
    return out


def file_digest(path: Path, chunk: int = 4 * 1024 * 1024) -> Digest:
    """sha256 and size of a file, read in chunks (bounded memory)."""
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
            size += len(block)
    return Digest(h.hexdigest(), size)


def _verify_datapackage(release: Path, listed: dict) -> list[str]:
    """Every resource of datapackage.json must agree with the manifest (hash and size)."""
    path = release / DATAPACKAGE
    if not path.is_file():
        return [f"{DATAPACKAGE}: missing"]
    try:
        package = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        return [f"{DATAPACKAGE}: unreadable ({err})"]
    out = []
    described = [r for res in package.get("resources", []) for r in (res, res.get("x-parquet")) if r]
    for resource in described:
        name = resource.get("path")
        meta = listed.get(name)
        if meta is None:
            out.append(f"{DATAPACKAGE}: resource {name!r} is not in the manifest")
        elif resource.get("hash") != f"sha256:{meta.get('sha256')}" or resource.get("bytes") != meta.get("bytes"):
            out.append(f"{name}: {DATAPACKAGE} and the manifest disagree on its hash or size")
    return out


def _verify_sums(release: Path, known: dict[str, Digest] | None = None) -> list[str]:
    """SHA256SUMS must list the manifest and every file with its true hash (`known`: hashed already)."""
    known = known or {}
    path = release / SUMS
    if not path.is_file():
        return [f"{SUMS}: missing"]
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        target = release / name
        if not name or "/" in name or not target.is_file():
            out.append(f"{SUMS}: lists {name!r}, which is not a file of the release")
        elif (known[name] if name in known else file_digest(target)).sha256 != digest:
            out.append(f"{name}: sha256 differs from {SUMS}")
    return out


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
