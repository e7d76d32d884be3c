"""The `build` command's edge: lock the output folder, compile, write the release, report.

Only this module (and release.py below it) touches the output folder. Two builds at once are
kept apart by a lock file; a build that finds its version already published rebuilds in memory
and compares: identical -> nothing to do; different -> refuse (releases are never overwritten).
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import filelock
import pandas as pd

from schemas.frames import to_arrow

from . import codebook, diff, ids, link, memory, pipeline, raw_tree, release, table_copies, threads
from .problems import BuildFailed, Problem, write_report
from .rules import phrases

LOCK = ".build.lock"
REPORT = "build-report.csv"
CHANGELOG = "CHANGELOG.md"
CACHE = ".cache"  # parse cache and earlier registries under the output folder: deleting it changes no output byte


@dataclass
class Previous:
    """The release a new one is compared with: its version, tables and changelog."""

    version: str
    tables: dict[str, diff.ParquetTable | diff.CopiedTable]  # read a part at a time as the new tables are compared
    changelog: str | None


def previous_release(out: Path, version: str) -> Previous | None:
    """The highest published version below `version` under `out`, if any."""
    older = [r for r in release.releases(out) if release.version_key(r.name) < release.version_key(version)]
    if not older:
        return None
    path = older[-1]
    tables = diff.previous_tables(path, out / CACHE)  # read from their Arrow copies where kept
    log = path / CHANGELOG
    return Previous(path.name, tables, log.read_text(encoding="utf-8") if log.exists() else None)


@dataclass
class Outcome:
    release: Path
    published: bool  # False when an identical release already existed
    rows: dict[str, int]
    warnings: list[Problem]
    new_ids: int
    stages: dict[str, float] = field(default_factory=dict)


class ReleaseSink:
    """Where a build's tables go (a pipeline.Sink): each written into the release folder as its
    parts come, and compared with the previous release on the way."""

    COMPARING = 2  # parts at most waiting to be compared (memory holds them until then)

    def __init__(self, folder: release.Folder, previous: Previous | None,
                 copies: table_copies.Pending | None = None):
        self.folder = folder
        self.copies = copies  # where the data tables' Arrow copies go, for the next build to compare with
        self.writers: dict[str, release.TableWriter] = {}
        self.closing: list[Future] = []  # tables whose last part is still being encoded
        self.changes = diff.Changes(previous.tables if previous else None)
        self.change_list: pd.DataFrame | None = None  # what `described` found changed
        # Each part is compared with the previous release on a thread of its own, in the order the
        # parts come, while this one goes on to the next: reading the old rows back and comparing
        # them is pyarrow's work (the GIL released), 0.4-0.8 s of this thread after one edit of
        # 100,000 reports.
        self.comparing = threads.Gate(1)
        self.compared: deque[Future] = deque()

    def begin(self, table: str, rows: int) -> None:
        copy = self.copies.writer(table, rows) if self.copies is not None and table in diff.TABLES else None
        self.writers[table] = release.TableWriter(self.folder, table, copy)

    def put(self, table: str, part: pd.DataFrame) -> None:
        rows = to_arrow(part)  # once, for the files and the comparison
        self.writers[table].put_table(rows)
        while len(self.compared) >= self.COMPARING:
            self.compared.popleft().result()
        self.compared.append(self.comparing.submit(self.changes.add, table, part, rows))

    def close(self, table: str) -> None:
        self.closing.append(self.writers.pop(table).close_soon())

    def described(self, draft: pipeline.Result) -> None:
        """The files that follow from the tables' keys: the ID registry, the links review table
        and the change list (kept for the changelog). Written while the whole-table checks run;
        a build that then fails discards them with the rest of its folder."""
        self.folder.write_bytes(ids.FILE, release.csv_bytes(ids.sort(draft.registry)))
        self.folder.write_bytes(link.FILE, release.csv_bytes(draft.links))
        while self.compared:
            self.compared.popleft().result()
        self.change_list = self.changes.result(draft.keys, draft.orders)
        self.folder.write("changes.csv", lambda out: diff.write_changes_csv(self.change_list, out))

    def finish(self) -> None:
        """Wait until every table is written (its digest known); raises what writing raised."""
        for closed in self.closing:
            closed.result()

    def abort(self) -> None:
        for waiting in self.compared:
            waiting.cancel()  # the comparisons not begun are skipped; the one under way is waited for
        self.comparing.wait()
        for writer in self.writers.values():
            writer.abort()
        for closed in self.closing:
            closed.exception()


def write_release(folder: release.Folder, compile: Callable[[pipeline.Sink], pipeline.Result], version: str,
                  previous: Previous | None = None, copies: table_copies.Pending | None = None) -> pipeline.Result:
    """Write every file of the release into `folder`, manifest and checksums last.

    `compile` builds the tables into the sink it is given (pipeline.compile_release): the data
    tables are written while they are made, the files that describe them once they are all known.
    """
    sink = ReleaseSink(folder, previous, copies)
    try:
        result = compile(sink)
    except BaseException:
        sink.abort()
        raise
    try:
        section = diff.changelog_section(sink.change_list, previous.version if previous else None, version, result.rows)
        folder.write_bytes(CHANGELOG, diff.changelog(section, previous.changelog if previous else None).encode("utf-8"))
        folder.write_bytes("CODEBOOK.md", codebook.markdown(version).encode("utf-8"))
    finally:
        sink.finish()  # the tables' last parts were encoded meanwhile: every digest is known now
    folder.write_bytes(release.DATAPACKAGE, codebook.datapackage_bytes(version, folder.digests))
    folder.write_bytes(release.MANIFEST, release.manifest(
        version, folder.digests, result.rows, result.fingerprint, result.warnings,
        extra={"phrase_rules_version": phrases.table().version,
               "previous_version": previous.version if previous else None}))
    folder.write_bytes(release.SUMS, release.sums(folder.digests))
    return result


def run(raw: Path, out: Path, version: str, today: dt.date | None = None,
        stages: pipeline.Stages | None = None, early: raw_tree.Early | None = None) -> Outcome:
    """Build release `version` from `raw` into `out`. Raises BuildFailed or release.ReleaseError.
    `early`: the walk of raw/ started when the command did (raw_tree.early); else it is started
    here, in a fresh interpreter, and its stats of a hundred thousand files leave this process's
    threads to the parse cache's load (0.6-0.8 s of them on the main thread otherwise)."""
    release.check_version(version)
    stages = stages or pipeline.Stages()
    own = raw_tree.early(raw) if early is None else None
    try:
        memory.use_returning_pool()
        with memory.small_pages(), memory.kept_heap(), memory.fewer_collections():
            return _run(raw, out, version, today, stages, early or own)
    finally:
        if own is not None:
            own.close()


def _run(raw: Path, out: Path, version: str, today: dt.date | None, stages: pipeline.Stages,
         early: raw_tree.Early | None) -> Outcome:
    """`run` once the allocators are set up."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(out / LOCK, timeout=0)
        lock.acquire()
    except filelock.Timeout:
        raise release.ReleaseError(f"another build is running on {out} (lock {out / LOCK} is held); "
                                   "wait for it to finish") from None
    except OSError as err:
        raise release.ReleaseError(f"cannot use output folder {out}: {err.strerror or err}") from None
    try:
        release.sweep(out)
        # The earlier releases' ID registries are read on a second thread while raw/ is parsed:
        # only the ID step, after the checks, needs them (0.1-0.2 s at 100,000 reports).
        with threads.beside(ids.earlier, [r / ids.FILE for r in release.releases(out)], out / CACHE) as earlier:
            with stages.timed("write"):
                prev = previous_release(out, version)
            target = out / version
            built: list[pipeline.Result] = []
            # The tables' Arrow copies, for the next build to compare with; none for a rebuild of
            # a published version, which is compared and discarded.
            copies = None if target.exists() else table_copies.Pending(out / CACHE, version, prev and prev.version)

            def write(folder: release.Folder) -> None:
                built.append(write_release(folder, lambda sink: pipeline.compile_release(
                    raw, lambda: [earlier.result()], today=today, stages=stages, cache=out / CACHE, sink=sink,
                    early=early),
                    version, prev, copies))

            if copies is None:
                folder = release.prepare(out, version, write)
                return _compare_existing(target, folder, built[0], stages)
            try:
                path = release.publish(out, version, write)
            except BaseException:
                copies.discard()
                raise
            copies.keep(path)
            return Outcome(path, True, built[0].rows, built[0].warnings, built[0].new_ids, stages.seconds)
    finally:
        lock.release()


def _compare_existing(target: Path, folder: release.Folder, result: pipeline.Result, stages) -> Outcome:
    """An identical release is up to date; a different one is refused. The rebuild is discarded."""
    try:
        existing = release.hash_files(target, folder.digests)  # each file hashed once, for both checks
        differs = [name for name, d in sorted(folder.digests.items()) if existing.get(name) != d]
        damaged = release.verify(target, known=existing)
    finally:
        release.discard(folder)
    if differs or damaged:
        detail = "; ".join(damaged) if damaged else f"differing files: {', '.join(differs)}"
        raise release.ReleaseError(
            f"release {target} already exists and differs from this build ({detail}). Releases are never "
            f"overwritten: build a new version with --version, or remove {target} explicitly to rebuild it")
    return Outcome(target, False, result.rows, result.warnings, result.new_ids, stages.seconds)


def report(problems: list[Problem], out: Path) -> list[Path]:
    """Write the machine-readable problem report; never fails the build over it."""
    try:
        return write_report(problems, out / REPORT)
    except OSError:
        return []


__all__ = ["BuildFailed", "Outcome", "report", "run", "write_release"]
