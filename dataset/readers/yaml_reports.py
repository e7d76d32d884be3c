"""Adapter for raw input format v1: one YAML file per report under raw/reports/.

`stage_file` is a pure function from a file's bytes to staged tables (so it can run in parallel
and be cached by content hash); `read` finds the files and concatenates the results.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..problems import Problem, problem
from ..staged import CLAIM_COLUMNS, EVENT_COLUMNS, FIGURE_PARTS, REPORT_COLUMNS, Staged, frame
from .. import raw_tree
from . import files, parse_cache, safe_yaml
from .records import Spec, check_keys, convert
from .values import (boolean, date, figure, identifier, integer, non_empty_text_list, number, optional,
                     optional_text, text, text_list)

FOLDER = "reports"
SUFFIXES = (".yaml", ".yml")


def _passthrough(value: Any) -> tuple[Any, None]:
    return value, None


REPORT = Spec("report", {
    "id": identifier, "source": text, "source_scale": text, "published": date,
    "url": optional_text, "headline": optional_text, "language": optional(text), "text": optional_text,
    "draft": boolean, "events": _passthrough,
}, required=frozenset({"id", "source", "source_scale", "published", "events"}))

EVENT = Spec("event", {
    "key": identifier, "date": optional(date), "date_start": optional(date), "date_end": optional(date),
    "time_precision": integer, "event_type": text, "sub_event_type": text,
    "actor1": text, "assoc_actor_1": text_list, "actor2": optional_text, "assoc_actor_2": text_list,
    "country": text, "admin1": text, "admin2": optional_text, "admin3": optional_text, "location": text,
    "latitude": number, "longitude": number, "geo_precision": integer,
    "civilian_targeting": boolean, "tags": text_list, "notes": optional_text, "claims": _passthrough,
}, required=frozenset({"key", "time_precision", "event_type", "sub_event_type", "actor1", "country",
                       "admin1", "location", "latitude", "longitude", "geo_precision"}))
# An entry with only these fields refers to an event defined elsewhere, to add claims to it.
REFERENCE_FIELDS = ["key", "claims"]
REFERENCE = Spec("event reference", {"key": identifier, "claims": _passthrough}, frozenset({"key"}))

CLAIM = Spec("claim", {
    "claimant": text, "victims": non_empty_text_list, "killed": figure, "wounded": figure,
    "quote": optional_text,
}, required=frozenset({"claimant", "victims"}))


def read(raw: Path, cache: Path | None = None, tree: raw_tree.Tree | None = None) -> Staged:
    """Stage every report file under raw/reports/.

    Files are parsed in parallel when there are many. With `cache` (a folder), a file whose
    (path, content hash) was parsed before is taken from the cache; a file whose size and
    modification time are those recorded with its hash is not even read again (as git does).
    The cache never changes the result.
    """
    if cache is None:
        paths, rels, problems = files.listing(raw, FOLDER, SUFFIXES, tree)
        staged = _parse_all([(p, r) for p, r in zip(paths, rels)], raw, {})
    else:
        store = cache_store(cache)
        loading = parse_cache.loaded(store)  # decoded while the files are listed and stat-ed
        paths, rels, problems = files.listing(raw, FOLDER, SUFFIXES, tree)
        stats = raw_tree.sizes_and_mtimes(paths, tree)
        known = loading.result()
        now = pd.DataFrame({"file": pd.Series(rels, dtype="str"), "size": stats[:, 0], "mtime_ns": stats[:, 1]})
        entries = known.entries(now["file"])
        trusted = ((entries["size"] == now["size"]) & (entries["mtime_ns"] == now["mtime_ns"])).fillna(False).to_numpy(dtype=bool)
        stale = np.flatnonzero(~trusted)
        # files whose stat changed but whose content the cache may still hold: parsed only if the hash differs
        cached = {rels[i]: sha for i, sha in zip(stale, entries["sha256"].iloc[stale]) if isinstance(sha, str)}
        fresh = _parse_all([(paths[i], rels[i]) for i in stale], raw, cached)
        now["sha256"] = entries["sha256"].where(trusted)
        now.loc[stale, "sha256"] = [fresh.digests[rels[i]] for i in stale]
        staged = parse_cache.combine(known, fresh, now["file"], now["sha256"], entries)
        parse_cache.save_soon(store, staged, now)
        staged.digests = dict(zip(rels, now["sha256"].tolist()))  # tolist: iterating Arrow text one by one is slow
    staged.problems = problems + staged.problems
    return staged


def cache_store(cache: Path) -> parse_cache.Store:
    """This reader's parse cache under the folder `cache` (parse_cache.loading_soon may begin loading it)."""
    return parse_cache.Store(cache, "yaml_reports", READER_FILES)


# Source files whose code decides the staged rows: a change to any of them invalidates the cache.
READER_FILES = [Path(__file__), *(Path(__file__).with_name(n) for n in ("values.py", "records.py", "safe_yaml.py")),
                Path(__file__).parent.parent / "staged.py", Path(__file__).parent.parent / "problems.py"]
PARALLEL_FROM = 400  # files; fewer are parsed in this process
CHUNK = 1000


def _parse_all(todo: list[tuple[str, str]], raw: Path, cached: dict[str, str]) -> Staged:
    """Staged rows of the files in `todo` whose content is not `cached` (path -> sha256), with every digest.

    With many files, chunks are parsed in worker processes, each returning ready frames.
    """
    if len(todo) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return Staged.concat([_parse_chunk(todo, raw, cached)])
    chunks = [todo[i:i + CHUNK] for i in range(0, len(todo), CHUNK)]
    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=ctx) as pool:
        parts = list(pool.map(_parse_chunk, chunks, [raw] * len(chunks), [cached] * len(chunks)))
    return Staged.concat(parts)


def _parse_chunk(todo: list[tuple[str, str]], raw: Path, cached: dict[str, str]) -> Staged:
    rows, digests, real_root = Rows(), {}, raw_tree.real(raw)
    for path, rel in todo:
        data = files.read_bytes(path, raw, real_root)
        digests[rel] = parse_cache.digest(data)
        if cached.get(rel) != digests[rel]:
            rows.extend(stage_rows(data, rel))
    staged = frames_of(rows, coded=False)  # coded once the chunks are joined (_parse_all)
    staged.digests = digests
    return staged


@dataclass
class Rows:
    """Staged rows of one or more files, as plain dicts (cheap to build, pickle and join)."""

    reports: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def extend(self, other: Rows) -> None:
        self.reports += other.reports
        self.events += other.events
        self.claims += other.claims
        self.problems += other.problems

    @classmethod
    def join(cls, parts: list[Rows]) -> Rows:
        out = cls()
        for p in parts:
            out.extend(p)
        return out


def frames_of(rows: Rows, coded: bool = True) -> Staged:
    return Staged(frame(rows.reports, REPORT_COLUMNS, coded), frame(rows.events, EVENT_COLUMNS, coded),
                  frame(rows.claims, CLAIM_COLUMNS, coded), rows.problems)


def stage_file(data: bytes, rel: str) -> Staged:
    """Stage one report file. Never raises for bad content: problems come back in the result."""
    return frames_of(stage_rows(data, rel))


def stage_rows(data: bytes, rel: str) -> Rows:
    try:
        doc = safe_yaml.loads(data)
    except safe_yaml.YamlProblem as err:
        return Rows(problems=[problem("unreadable_file", str(err), file=rel)])
    return stage_report(doc, rel)


def stage_report(doc: Any, rel: str) -> Rows:
    """Stage one parsed report document."""
    report_id = doc.get("id") if isinstance(doc, dict) and isinstance(doc.get("id"), str) else ""

    def at_report(field: str, code: str, message: str) -> Problem:
        return problem(code, message, file=rel, report_id=report_id, field=field)

    if not isinstance(doc, dict):
        return Rows(problems=[at_report("", "not_a_mapping", f"a report file must be a mapping of field: value, got {type(doc).__name__}")])
    fields, problems = convert(doc, REPORT, at_report)
    if fields.get("draft"):
        problems.append(at_report("draft", "draft_report", "report is marked as a draft: review the coding, then remove `draft: true`"))
    entries = doc.get("events")
    if entries is not None and not isinstance(entries, list):
        problems.append(at_report("events", "bad_value", "events must be a list of event entries"))
        entries = []
    event_rows: list[dict] = []
    claim_rows: list[dict] = []
    for index, entry in enumerate(entries or []):
        rows, claims, entry_problems = _stage_entry(entry, index, rel, report_id)
        event_rows.extend(rows)
        claim_rows.extend(claims)
        problems.extend(entry_problems)
    text_value = fields.get("text", "")
    report_row = {
        "file": rel, "report_id": report_id, "source": fields.get("source", ""),
        "source_scale": fields.get("source_scale", ""), "published": _timestamp(fields.get("published")),
        "url": fields.get("url", ""), "headline": fields.get("headline", ""),
        "language": fields.get("language") or "en",
        "text_sha256": hashlib.sha256((text_value or "").encode("utf-8")).hexdigest(),
        "draft": bool(fields.get("draft", False)), "n_events": len(event_rows), "n_claims": len(claim_rows),
    }
    return Rows([report_row], event_rows, claim_rows, problems)


def _stage_entry(entry: Any, index: int, rel: str, report_id: str) -> tuple[list[dict], list[dict], list[Problem]]:
    key = entry.get("key") if isinstance(entry, dict) and isinstance(entry.get("key"), str) else ""
    label = key or f"events[{index}]"

    def at_event(field: str, code: str, message: str) -> Problem:
        return problem(code, message, file=rel, report_id=report_id, event_key=label, field=field)

    if not isinstance(entry, dict):
        return [], [], [at_event("", "not_a_mapping", f"an event entry must be a mapping, got {type(entry).__name__}")]
    defines = any(k not in REFERENCE_FIELDS for k in entry)
    if defines:
        fields, problems = convert(entry, EVENT, at_event, skip=("claims",))
        problems += _check_dates(entry, fields, at_event)
    else:
        fields, problems = convert(entry, REFERENCE, at_event, skip=("claims",))
    row = {"file": rel, "report_id": report_id, "event_key": key, "entry": index, "defines": defines}
    if defines:
        row.update({k: v for k, v in fields.items() if k in EVENT_COLUMNS})
        row["date_start"], row["date_end"] = _timestamp(fields.get("date_start")), _timestamp(fields.get("date_end"))
    claims_value = entry.get("claims")
    if claims_value is not None and not isinstance(claims_value, list):
        problems.append(at_event("claims", "bad_value", "claims must be a list"))
        claims_value = []
    claim_rows = []
    for number_, claim in enumerate(claims_value or [], start=1):
        out, claim_problems = _stage_claim(claim, number_, rel, report_id, label)
        problems += claim_problems
        if out is not None:
            claim_rows.append(out)
    if not defines and not claim_rows and not problems:
        problems.append(at_event("claims", "empty_entry", "entry only names a key: define the event or add claims"))
    return ([row] if key else []), (claim_rows if key else []), problems


def _check_dates(entry: dict, fields: dict, at_event) -> list[Problem]:
    """`date`, or `date_start` and `date_end`; fills both ends into `fields`."""
    has = {k for k in ("date", "date_start", "date_end") if entry.get(k) is not None}
    if "date" in has and has & {"date_start", "date_end"}:
        return [at_event("date", "ambiguous_date", "give either date or date_start and date_end, not both")]
    if "date" in has:
        if fields.get("date") is not None:
            fields["date_start"] = fields["date_end"] = fields["date"]
        return []
    if has == {"date_start", "date_end"}:
        start, end = fields.get("date_start"), fields.get("date_end")
        if start is not None and end is not None and end < start:
            return [at_event("date_end", "date_order", f"event ends ({end}) before it starts ({start})")]
        return []
    if not has:
        return [at_event("date", "missing_field", "required field 'date' (or date_start and date_end) is missing")]
    missing = ({"date_start", "date_end"} - has).pop()
    return [at_event(missing, "missing_field", f"{missing} is missing: a multi-day event needs date_start and date_end")]


def _stage_claim(claim: Any, number_: int, rel: str, report_id: str, key: str) -> tuple[dict | None, list[Problem]]:
    def at_claim(field: str, code: str, message: str) -> Problem:
        return problem(code, message, file=rel, report_id=report_id, event_key=key, claim=number_, field=field)

    fields, problems = convert(claim, CLAIM, at_claim)
    if isinstance(claim, dict) and claim.get("killed") is None and claim.get("wounded") is None:
        problems.append(at_claim("killed", "missing_field", "a claim needs killed or wounded (or both)"))
    if problems:
        return None, problems
    row = {"file": rel, "report_id": report_id, "event_key": key, "claim": number_,
           "claimant": fields["claimant"], "victims": fields["victims"], "quote": fields.get("quote", "")}
    for kind in ("killed", "wounded"):
        value = fields.get(kind)
        row[kind] = value["phrase"] if value else ""
        for part in FIGURE_PARTS:
            row[f"{kind}_{part}"] = value[part] if value else None
    return row, []


def _timestamp(value: dt.date | None):
    return None if value is None else dt.datetime(value.year, value.month, value.day)
