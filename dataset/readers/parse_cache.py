"""A cache of staged rows, keyed by each raw file's path and content hash: an optimisation only.

A raw file whose (path, sha256) was parsed by the same reader code before is taken from the
cache instead of being parsed again. The cache lives under the output folder (`.cache/`), is
versioned by the reader's own source code, and deleting it changes no output byte: rows come
back in file order whichever way they were obtained.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from schemas.frames import isin, positions

from ..problems import COLUMNS as PROBLEM_COLUMNS
from ..problems import Problem
from ..staged import CLAIM_COLUMNS, EVENT_COLUMNS, REPORT_COLUMNS, Staged

TABLES = {"reports": REPORT_COLUMNS, "events": EVENT_COLUMNS, "claims": CLAIM_COLUMNS}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Known:
    staged: Staged
    keys: set[tuple[str, str]] = field(default_factory=set)  # (path, sha256) of cached files
    index: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # path -> (sha256, size, mtime_ns)


class Store:
    """One reader's cache folder: Parquet files of its staged rows and the files they came from."""

    def __init__(self, root: Path, name: str, sources: list[Path]):
        code = hashlib.sha256()
        for path in sources:
            code.update(path.read_bytes())
        code.update(f"{pd.__version__} {pa.__version__}".encode())
        self.root, self.name = root, name
        self.folder = root / f"{name}-{code.hexdigest()[:16]}"

    def load(self) -> Known:
        try:
            index = pd.read_parquet(self.folder / "files.parquet")
            tables = {t: pd.read_parquet(self.folder / f"{t}.parquet").astype(cols) for t, cols in TABLES.items()}
            problems = pd.read_parquet(self.folder / "problems.parquet")
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
            return Known(Staged.empty())
        found = [Problem(**{c: str(v) for c, v in row.items()}) for row in problems.to_dict("records")]
        return Known(Staged(tables["reports"], tables["events"], tables["claims"], found),
                     set(zip(index["file"], index["sha256"])),
                     {f: (h, int(n), int(m)) for f, h, n, m in zip(index["file"], index["sha256"], index["size"],
                                                                    index["mtime_ns"])})

    def save(self, staged: Staged, entries: dict[str, tuple[str, int, int]]) -> None:
        """Replace the cache with `staged`, the rows of exactly the files in `entries`
        (path -> (sha256, size, mtime_ns)). Best effort: a cache that cannot be written is skipped."""
        tmp = self.root / f".{self.folder.name}.tmp-{os.getpid()}"
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            pd.DataFrame({"file": list(entries), "sha256": [e[0] for e in entries.values()],
                          "size": [e[1] for e in entries.values()],
                          "mtime_ns": [e[2] for e in entries.values()]}).to_parquet(tmp / "files.parquet")
            for name in TABLES:
                getattr(staged, name).to_parquet(tmp / f"{name}.parquet")
            pd.DataFrame([vars(p) for p in staged.problems], columns=PROBLEM_COLUMNS).astype("str").to_parquet(
                tmp / "problems.parquet")
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


def combine(known: Known, fresh: Staged, wanted: list[tuple[str, str]]) -> Staged:
    """Cached rows of the wanted (path, sha256) pairs plus freshly parsed ones, in file order."""
    hits = [rel for rel, sha in wanted if (rel, sha) in known.keys]
    order = pd.Series([rel for rel, _ in wanted], dtype="str")

    def merged(name: str) -> pd.DataFrame:
        old = getattr(known.staged, name)
        parts = [old[isin(old["file"], hits)], getattr(fresh, name)]
        df = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else parts[1]
        rank = positions(df["file"], order)
        return df.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True).astype(TABLES[name])

    hit = set(hits)
    problems = [p for p in known.staged.problems if p.file in hit] + fresh.problems
    staged = Staged(merged("reports"), merged("events"), merged("claims"), problems)
    return Staged.concat([staged])
