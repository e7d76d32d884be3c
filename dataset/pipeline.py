"""raw/ -> staged -> checked -> tables -> validated: the build without its I/O at the far edge.

Every stage adds its problems to one list; the build stops only after all stages that can run
have run, so a coder sees every error at once. Timings per stage are kept for `make bench`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import schemas

from . import checks, ids, imports, link
from .events import Tables, build, read_figures
from .problems import BuildFailed, Problem, errors, problem
from .readers import READERS
from .readers import actors as actor_registry
from .readers import files, parse_cache
from .staged import Staged


@dataclass
class Stages:
    """Wall time per stage, for the benchmark (never written into a release)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


@dataclass
class Result:
    tables: Tables
    warnings: list[Problem]
    fingerprint: str
    new_ids: int
    links: pd.DataFrame  # the links review table as published (links.csv)


def stage(raw: Path, cache: Path | None = None) -> tuple[Staged, pd.DataFrame, list[Problem]]:
    """Read every kind of raw input into staged tables, plus the actor registry."""
    staged = Staged.concat([read(raw, cache) for read in READERS])
    actors, actor_problems = actor_registry.read(raw)
    return staged, actors, staged.problems + actor_problems


def compile_release(raw: Path, previous: list[pd.DataFrame], today: dt.date | None = None,
                    stages: Stages | None = None, cache: Path | None = None) -> Result:
    """Build the validated tables from `raw`, or raise BuildFailed with every problem found.

    `previous` are ID registries of earlier releases (the committed raw/event_ids.csv wins over them);
    `cache` is a folder for the readers' parse cache (an optimisation only).
    """
    stages = stages or Stages()
    today = today or dt.date.today()
    if not raw.is_dir():
        raise BuildFailed([problem("missing_folder", f"raw folder {raw} does not exist")])
    try:
        return _compile(raw, previous, today, stages, cache)
    finally:
        parse_cache.wait()  # the parse cache is written while the build goes on


def _compile(raw: Path, previous: list[pd.DataFrame], today: dt.date, stages: Stages, cache: Path | None) -> Result:
    with stages.timed("parse"):
        staged, actors, found = stage(raw, cache)
    # Hashing every raw file is mostly waiting on sha256, which releases the GIL: it runs on the
    # second core while the checks and the event step run here.
    hashing = ThreadPoolExecutor(max_workers=1)
    raw_fingerprint = hashing.submit(fingerprint, raw, staged.digests)
    hashing.shutdown(wait=False)
    with stages.timed("link"):  # imported actors join the registry; one incident, one event
        joined = imports.join(raw, staged, actors)
        staged, actors, found = joined.staged, joined.actors, found + joined.problems
    with stages.timed("normalize"):
        found += imports.relax(checks.run(staged, actors, today))
        figures, figure_problems = read_figures(staged)
        found += figure_problems
        try:
            committed = ids.read(raw / ids.FILE, root=raw)
        except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as err:
            committed = ids.empty()
            found.append(problem("unreadable_file", str(err), file=ids.FILE))
    if errors(found):
        raise BuildFailed(found)
    registry = ids.merge(committed, *previous)
    with stages.timed("aggregate"):
        tables = build(staged, actors, registry, figures)  # consumes the figures and staged claims
    links = link.published(joined.links, tables.events)
    del staged, joined, figures  # the staged tables end here: free them before validation
    with stages.timed("validate"):
        found += validation_problems(tables, links)
    if errors(found):
        raise BuildFailed(found)
    new_ids = len(tables.registry) - len(registry)
    return Result(tables, found, raw_fingerprint.result(), new_ids, links)


def validation_problems(tables: Tables, links: pd.DataFrame | None = None) -> list[Problem]:
    """Schema and cross-table failures of the built tables (and the links review table, when
    given), located by event key where possible."""
    frames = tables.published()
    failures = [schemas.validate(name, df) for name, df in frames.items()]
    failures.append(schemas.cross_table_failures(*frames.values()))
    if links is not None:
        frames = {**frames, "links": links}
        failures.append(schemas.validate("links", links))
    out = []
    for f in failures:
        for rec in f.itertuples(index=False):
            df = frames[rec.table]
            key = df["event_key"].iloc[rec.row] if "event_key" in df and 0 <= rec.row < len(df) else ""
            rid = df["report_id"].iloc[rec.row] if rec.table != "events" and "report_id" in df and 0 <= rec.row < len(df) else ""
            out.append(problem(f"schema:{rec.check}", f"{rec.table} table fails {rec.check} ({rec.failure_case})",
                               file=f"<{rec.table}>", report_id=rid, event_key=key, field=rec.column))
    return out


def fingerprint(raw: Path, known: dict[str, str] | None = None) -> str:
    """sha256 over the sorted (path, sha256) of every file under raw/ that a build may read.

    `known` gives digests the readers already computed (path relative to raw/), not hashed again.
    """
    known = known or {}
    digest = hashlib.sha256()
    paths, rels, _ = files.listing(raw, "", ("",))
    for path, rel in zip(paths, rels):
        sha = known.get(rel) or files.sha256(path, raw)
        digest.update(f"{rel}\0{sha}\n".encode())
    return digest.hexdigest()
