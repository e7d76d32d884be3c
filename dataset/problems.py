"""Problems found in raw input: values with their location, collected rather than raised.

Every check appends `Problem`s; the build stops after collecting all of them, prints them and
writes them to a machine-readable report, so a coder fixes everything in one pass.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the raw input, located down to the field."""

    file: str
    report_id: str
    event_key: str
    claim: str  # 1-based position of the claim within its event entry, or ""
    field: str
    code: str
    message: str
    severity: str = ERROR

    def location(self) -> str:
        parts = [self.file or "<raw>"]
        if self.report_id:
            parts.append(f"report {self.report_id}")
        if self.event_key:
            parts.append(f"event {self.event_key}")
        if self.claim:
            parts.append(f"claim {self.claim}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.severity}: {self.location()}: {self.message} [{self.code}]"


COLUMNS = [f.name for f in fields(Problem)]


def problem(code: str, message: str, *, file: str = "", report_id: str = "", event_key: str = "",
            claim: int | str = "", field: str = "", severity: str = ERROR) -> Problem:
    return Problem(file=file, report_id=str(report_id or ""), event_key=str(event_key or ""),
                   claim=str(claim), field=field, code=code, message=message, severity=severity)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == WARNING]


def sort(problems: list[Problem]) -> list[Problem]:
    """Deterministic order: by file, then record, then field; duplicates removed."""
    return sorted(set(problems))


def to_csv(problems: list[Problem]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for p in sort(problems):
        writer.writerow(asdict(p))
    return buf.getvalue()


def to_json(problems: list[Problem]) -> str:
    return json.dumps([asdict(p) for p in sort(problems)], ensure_ascii=False, indent=1) + "\n"


def write_report(problems: list[Problem], path: Path) -> list[Path]:
    """Write `path` (.csv) and its .json twin; returns the files written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = path.with_suffix(".csv"), path.with_suffix(".json")
    csv_path.write_text(to_csv(problems), encoding="utf-8")
    json_path.write_text(to_json(problems), encoding="utf-8")
    return [csv_path, json_path]


def render(problems: list[Problem], limit: int = 200) -> str:
    """Readable listing for the terminal, errors first."""
    ordered = sorted(sort(problems), key=lambda p: p.severity != ERROR)
    lines = [str(p) for p in ordered[:limit]]
    if len(ordered) > limit:
        lines.append(f"... and {len(ordered) - limit} more (see the report file)")
    n_err, n_warn = len(errors(problems)), len(warnings(problems))
    lines.append(f"{n_err} error(s), {n_warn} warning(s)")
    return "\n".join(lines)


class BuildFailed(Exception):
    """Raised at the pipeline's edge, carrying every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(errors(problems))} error(s) in the raw input")
        self.problems = problems


class ReleaseError(Exception):
    """Publishing failed for a reason outside the raw input (existing release, disk, permissions).

    Here, beside BuildFailed, so that the command line catches both without importing the
    release writer (and pandas) before a command needs it."""
