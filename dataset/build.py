"""The `build` command's edge: lock the output folder, compile, write the release, report.

Only this module (and release.py below it) touches the output folder. Two builds at once are
kept apart by a lock file; a build that finds its version already published rebuilds in memory
and compares: identical -> nothing to do; different -> refuse (releases are never overwritten).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import filelock
import pandas as pd

from . import ids, link, pipeline, release
from .problems import BuildFailed, Problem, write_report
from .rules import phrases

LOCK = ".build.lock"
REPORT = "build-report.csv"


@dataclass
class Outcome:
    release: Path
    published: bool  # False when an identical release already existed
    rows: dict[str, int]
    warnings: list[Problem]
    new_ids: int
    stages: dict[str, float] = field(default_factory=dict)


def release_files(result: pipeline.Result, version: str) -> dict[str, bytes]:
    """Every file of the release, manifest and checksums included (pure: no I/O)."""
    tables = result.tables.published()
    files = release.table_files(tables)
    files[ids.FILE] = _registry_csv(result.tables.registry)
    files[link.FILE] = link.csv_bytes(result.links, result.tables.events)
    rows = {name: len(df) for name, df in tables.items()}
    files[release.MANIFEST] = release.manifest(
        version, files, rows, result.fingerprint, result.warnings,
        extra={"phrase_rules_version": phrases.table().version, "new_event_ids": result.new_ids})
    files[release.SUMS] = release.sums(files)
    return files


def _registry_csv(registry: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    ids.sort(registry).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def run(raw: Path, out: Path, version: str, today: dt.date | None = None,
        stages: pipeline.Stages | None = None) -> Outcome:
    """Build release `version` from `raw` into `out`. Raises BuildFailed or release.ReleaseError."""
    release.check_version(version)
    stages = stages or pipeline.Stages()
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
        previous = [ids.read(r / ids.FILE) for r in release.releases(out)]
        result = pipeline.compile_release(raw, previous, today=today, stages=stages)
        with stages.timed("write"):
            files = release_files(result, version)
            rows = {name: len(df) for name, df in result.tables.published().items()}
            target = out / version
            if target.exists():
                return _compare_existing(target, files, rows, result, stages)
            path = release.publish(out, version, files)
        return Outcome(path, True, rows, result.warnings, result.new_ids, stages.seconds)
    finally:
        lock.release()


def _compare_existing(target: Path, files: dict[str, bytes], rows, result, stages) -> Outcome:
    differs = [name for name, data in sorted(files.items())
               if not (target / name).is_file() or (target / name).read_bytes() != data]
    damaged = release.verify(target)
    if differs or damaged:
        detail = "; ".join(damaged) if damaged else f"differing files: {', '.join(differs)}"
        raise release.ReleaseError(
            f"release {target} already exists and differs from this build ({detail}). Releases are never "
            f"overwritten: build a new version with --version, or remove {target} explicitly to rebuild it")
    return Outcome(target, False, rows, result.warnings, result.new_ids, stages.seconds)


def report(problems: list[Problem], out: Path) -> list[Path]:
    """Write the machine-readable problem report; never fails the build over it."""
    try:
        return write_report(problems, out / REPORT)
    except OSError:
        return []


__all__ = ["BuildFailed", "Outcome", "release_files", "report", "run"]
