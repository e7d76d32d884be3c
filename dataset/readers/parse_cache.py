"""A cache of staged rows, keyed by each raw file's path and content hash: an optimisation only.

A raw file whose (path, sha256) was parsed by the same reader code before is taken from the
cache instead of being parsed again. The cache lives under the output folder (`.cache/`), is
versioned by the reader's own source code, and deleting it changes no output byte: rows come
back in file order whichever way they were obtained.

Its tables are Arrow IPC (Feather) files: written and read back three to five times as fast as
Parquet, which a release needs and a cache does not. They are not compressed, and are read
memory-mapped: the columns are the file's pages, which the page cache holds already after the
build before. Decompressing lz4 into new memory cost the load 0.15 s of the staged events of
100,000 reports (this VM's host backs each fresh page anew), and the build waited for it; the
files take four times the disk (116 MB against 27 MB at 100,000 reports).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from schemas.frames import emptied, positions, positions_of_distinct, to_arrow, to_frame

from .. import threads
from ..problems import COLUMNS as PROBLEM_COLUMNS
from ..problems import Problem
from ..staged import CLAIM_COLUMNS, EVENT_COLUMNS, REPORT_COLUMNS, Staged, concat, typed

TABLES = {"reports": REPORT_COLUMNS, "events": EVENT_COLUMNS, "claims": CLAIM_COLUMNS}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


FILE_COLUMNS = {"file": "str", "sha256": "str", "size": "int64", "mtime_ns": "int64"}


def _no_files() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in FILE_COLUMNS.items()})


@dataclass
class Known:
    staged: Staged
    # one row per cached file: path, sha256, and the size and mtime_ns it had when hashed
    files: pd.DataFrame = field(default_factory=_no_files)

    def entries(self, rels: pd.Series) -> pd.DataFrame:
        """The cache's row for each path in `rels` (aligned with it; sha256 missing where none)."""
        at = positions_of_distinct(rels, self.files["file"])  # paths found once each
        out = self.files.reset_index(drop=True).reindex(at).reset_index(drop=True)
        out.index = rels.index
        return out


def code_version(sources: list[Path]) -> str:
    """What cached rows were made by: the code of `sources` and the pandas and pyarrow that wrote
    them. A cache kept under another code version is not read."""
    code = hashlib.sha256()
    for path in sources:
        code.update(path.read_bytes())
    code.update(f"{pd.__version__} {pa.__version__}".encode())
    return code.hexdigest()


SUFFIX = ".arrow"  # Arrow IPC files (Feather v2)


def _write(df: pd.DataFrame, path: Path) -> None:
    """`df` as one record batch: the staged columns come in a chunk per run of cached rows
    (take_runs), and reading back a hundred chunks per column made pandas' conversion 50x slower."""
    table = to_arrow(df).combine_chunks()
    feather.write_feather(table, path, compression="uncompressed", chunksize=max(table.num_rows, 1))


def _read(path: Path) -> pd.DataFrame:
    """The file's table, its columns backed by the mapped file (which `save` replaces, never
    changes: a mapped file removed stays readable until its last column is freed)."""
    return to_frame(feather.read_table(path, memory_map=True))


class Store:
    """One reader's cache folder: Arrow files of its staged rows and the files they came from."""

    def __init__(self, root: Path, name: str, sources: list[Path]):
        self.root, self.name = root, name
        self.folder = root / f"{name}-{code_version(sources)[:16]}"

    def load(self) -> Known:
        try:
            index = _read(self.folder / f"files{SUFFIX}")[list(FILE_COLUMNS)].astype(FILE_COLUMNS)
            tables = {t: typed(_read(self.folder / f"{t}{SUFFIX}"), cols) for t, cols in TABLES.items()}
            problems = _read(self.folder / f"problems{SUFFIX}")
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
            return Known(Staged.empty())
        found = [Problem(**{c: str(v) for c, v in row.items()}) for row in problems.to_dict("records")]
        return Known(Staged(tables["reports"], tables["events"], tables["claims"], found), index)

    def save(self, staged: Staged, files: pd.DataFrame) -> None:
        """Replace the cache with `staged`, the rows of exactly the files in `files` (columns
        file, sha256, size, mtime_ns). Best effort: a cache that cannot be written is skipped."""
        tmp = self.root / f".{self.folder.name}.tmp-{os.getpid()}"
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            _write(files[list(FILE_COLUMNS)].astype(FILE_COLUMNS), tmp / f"files{SUFFIX}")
            for name in TABLES:
                _write(getattr(staged, name), tmp / f"{name}{SUFFIX}")
            _write(pd.DataFrame([vars(p) for p in staged.problems], columns=PROBLEM_COLUMNS).astype("str"),
                   tmp / f"problems{SUFFIX}")
            old = self.root / f".{self.folder.name}.old-{os.getpid()}"
            if self.folder.exists():
                os.rename(self.folder, old)
            os.rename(tmp, self.folder)
            shutil.rmtree(old, ignore_errors=True)
            for stale in self.root.glob(f"{self.name}-*"):
                if stale != self.folder:
                    shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)


_begun: dict[Path, Future[Known]] = {}  # loads begun by `loading_soon`, by cache folder


@contextmanager
def loading_soon(stores: list[Store]) -> Iterator[None]:
    """Within the block, each of `stores` is being loaded on a thread of its own, and `loaded`
    takes the result: a build decodes its parse cache while it still waits for the walk of raw/
    (raw_tree.early). Loads not taken are waited for and dropped when the block ends, so none
    outlives the build that began it (the next build in the process loads afresh)."""
    began = [store.folder for store in stores if store.folder not in _begun]
    for store in stores:
        _begun.setdefault(store.folder, threads.soon(store.load))
    try:
        yield
    finally:
        for folder in began:
            left = _begun.pop(folder, None)
            if left is not None:
                left.exception()


def loaded(store: Store) -> Future[Known]:
    """`store.load()`: the load begun by `loading_soon` if there is one (taken), else begun now."""
    begun = _begun.pop(store.folder, None)
    return begun if begun is not None else threads.soon(store.load)


_saving: list[threading.Thread] = []


def save_soon(store: Store, staged: Staged, files: pd.DataFrame) -> None:
    """Store.save on a thread of its own: writing the cache is mostly Arrow's encoding, which
    releases the GIL, so it overlaps the build's next steps. `wait` joins it."""
    # Shallow copies: with copy-on-write, a later in-place change to the build's frames copies
    # their data first, so the thread always writes what was parsed.
    snapshot = Staged(staged.reports.copy(deep=False), staged.events.copy(deep=False),
                      staged.claims.copy(deep=False), list(staged.problems))
    thread = threading.Thread(target=store.save, args=(snapshot, files), name=f"save {store.name} cache")
    thread.start()
    _saving.append(thread)


def wait() -> None:
    """Finish every cache write begun by `save_soon` (the caller's build is not done until then)."""
    while _saving:
        _saving.pop().join()


def combine(known: Known, fresh: Staged, rels: pd.Series, digests: pd.Series,
            entries: pd.DataFrame | None = None) -> Staged:
    """Cached rows of the files `rels` whose content (`digests`, aligned) the cache holds, plus
    freshly parsed ones, in file order. `entries`: known.entries(rels), when the caller has it."""
    entries = known.entries(rels) if entries is None else entries
    is_hit = (entries["sha256"] == digests).fillna(False).to_numpy(dtype=bool)  # per file of `rels`
    hits = rels[is_hit]
    hit_at = np.append(is_hit, False)  # indexed by a row's rank in file order: -1 (no longer there) reads False
    order = rels.reset_index(drop=True)

    def merged(name: str) -> pd.DataFrame:
        old, new = getattr(known.staged, name), getattr(fresh, name)
        parts = [p for p in (old, new) if len(p)]
        if not parts:
            return typed(new, TABLES[name])
        df = concat(parts, TABLES[name])
        # Each row's file ranked in file order (-1: no longer there), one hash lookup that also
        # tells which cached rows to keep: those of a file whose content the cache holds.
        rank = positions(df["file"], order)
        keep = np.ones(len(df), dtype=bool)
        keep[:len(old)] = hit_at[rank[:len(old)]]
        rows = np.flatnonzero(keep)
        return typed(take_runs(df, rows[np.argsort(rank[rows], kind="stable")]), TABLES[name])

    hit = set(hits.tolist()) if known.staged.problems else set()
    problems = [p for p in known.staged.problems if p.file in hit] + fresh.problems
    return Staged(merged("reports"), merged("events"), merged("claims"), problems)


def take_runs(df: pd.DataFrame, rows: np.ndarray, most: int = 256) -> pd.DataFrame:
    """df.iloc[rows] with a fresh index, taken as slices when `rows` is a few runs of consecutive
    rows: a rebuild after one edit keeps almost every cached row in order, and slicing Arrow
    columns costs nothing where a take copies every text column."""
    if len(rows) == 0:
        return emptied(df)  # a zero-row slice would keep the whole cached table alive
    cuts = np.flatnonzero(np.diff(rows) != 1) + 1
    if len(cuts) >= most:
        return df.iloc[rows].reset_index(drop=True)
    starts, ends = np.r_[0, cuts], np.r_[cuts, len(rows)]
    # Text columns as slices; the rest (categories' codes, numbers) taken: joining slices of a
    # categorical column compares its categories (every file's path) once per slice.
    text = [c for c in df.columns if isinstance(df[c].dtype, pd.StringDtype)]
    sliced = pd.concat([df[text].iloc[rows[a]:rows[b - 1] + 1] for a, b in zip(starts, ends)], ignore_index=True)
    taken = df.drop(columns=text).take(rows).reset_index(drop=True)
    return pd.concat([sliced, taken], axis=1)[list(df.columns)]
