"""Adapter for coding sheets: raw/sheets/<batch>/events.(csv|parquet) and claims.(csv|parquet).

For large or machine-produced batches. One events sheet and one claims sheet per batch folder;
the columns are those of the YAML format (report fields repeated on each event row), checked
column by column without a Python loop per cell. Problems name the sheet, its row, the report,
the event key, the claim and the field.
"""

from __future__ import annotations

import difflib
import hashlib
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from schemas import STR
from schemas.frames import factorized, per_distinct

from .. import keys, raw_tree, threads
from ..problems import Problem, problem
from ..staged import CATEGORY, CLAIM_COLUMNS, EVENT_COLUMNS, REPORT_COLUMNS, Staged, constant, frame, nulls, typed
from . import columns as col
from . import files

FOLDER = "sheets"
SHEETS = ("events", "claims")
FORMATS = (".csv", ".parquet")
MAX_BYTES = 4 * 1024**3
CSV_BLOCK = 16 * 1024 * 1024  # a cell larger than this is refused, not read into memory whole
SIDE_BY_SIDE_BYTES = 512 * 1024**2  # batches up to this size (both sheets) are staged two at a time

REPORT_FIELDS = {"report_id": col.identifier, "source": col.text, "source_scale": col.text, "published": col.date,
                 "url": col.text, "headline": col.text, "language": col.text, "text": col.text}
EVENT_SHEET = {
    **REPORT_FIELDS, "key": col.identifier, "date": col.date, "date_start": col.date, "date_end": col.date,
    "time_precision": col.integer, "event_type": col.text, "sub_event_type": col.text, "actor1": col.text,
    "assoc_actor_1": col.text_list, "actor2": col.text, "assoc_actor_2": col.text_list, "country": col.text,
    "admin1": col.text, "admin2": col.text, "admin3": col.text, "location": col.text, "latitude": col.number,
    "longitude": col.number, "geo_precision": col.integer, "civilian_targeting": col.boolean,
    "tags": col.text_list, "notes": col.text,
}
EVENT_REQUIRED = ["report_id", "source", "source_scale", "published", "key", "time_precision", "event_type",
                  "sub_event_type", "actor1", "country", "admin1", "location", "latitude", "longitude", "geo_precision"]
FIGURES = [f"{k}_{p}" for k in ("killed", "wounded") for p in ("low", "best", "high", "acled") if (k, p) != ("wounded", "acled")]
CLAIM_SHEET = {**REPORT_FIELDS, "key": col.identifier, "claimant": col.text, "victims": col.text_list,
               "killed": col.text, "wounded": col.text, "quote": col.text, **{f: col.count for f in FIGURES}}
CLAIM_REQUIRED = ["report_id", "key", "claimant", "victims"]
REPORT_META = ["source", "source_scale", "published", "url", "headline", "language", "text"]


def read(raw: Path, cache: Path | None = None, tree: raw_tree.Tree | None = None) -> Staged:
    base = raw / FOLDER
    if not base.is_dir():
        return Staged.empty()
    paths, problems = files.find(raw, FOLDER, FORMATS, tree)
    batches: dict[Path, dict[str, Path]] = {}
    for path in paths:
        sheet = path.name.rsplit(".", 1)[0].lower()
        rel = files.relative(path, raw)
        if sheet not in SHEETS or path.parent.parent != base:
            problems.append(problem("unknown_sheet", f"not a coding sheet: use {FOLDER}/<batch>/events.csv and "
                                    f"{FOLDER}/<batch>/claims.csv (or .parquet)", file=rel))
            continue
        if sheet in batches.setdefault(path.parent, {}):
            problems.append(problem("duplicate_sheet", f"batch has two {sheet} sheets", file=rel))
            continue
        batches[path.parent][sheet] = path
    # Two batches are staged at a time: reading a sheet is pyarrow's, converting its columns is
    # mostly kernels that release the GIL, so a second thread keeps the second core busy. Parts
    # are kept in batch order, so the staged rows are the same as one batch after another. A
    # batch in memory is a few times its sheets' size: big batches are staged one at a time.
    # A batch's raw sheets are freed once it is staged, and the next batch, about the same size,
    # reuses that memory: it is not given back between batches (the build gives it back after
    # the parse). Given back, each batch took its memory afresh from the system: at 3M events
    # the parse took 17.4-18.2 s against 15.5-17.3 s, for the same peak.
    ordered = [s for _, s in sorted(batches.items())]
    largest = max((sum(_size(p) for p in s.values()) for s in ordered), default=0)
    parts = threads.in_order([partial(stage_batch, raw, sheets) for sheets in ordered],
                             workers=2 if largest <= SIDE_BY_SIDE_BYTES else 1)
    staged = Staged.concat(parts)
    staged.problems = problems + staged.problems
    return staged


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # reported when the sheet is read
        return 0


def load_sheet(path: Path, root: Path) -> pd.DataFrame:
    """A sheet as all-text columns (blank cells are ""), from CSV or Parquet. Raises ValueError."""
    real = path.resolve()
    if root.resolve() not in real.parents:
        raise ValueError("resolves outside the raw folder; refused")
    if real.stat().st_size > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES:,} bytes; split the batch")
    try:
        if path.suffix.lower() == ".parquet":
            table = pq.read_table(real)
        else:
            table = _read_csv(real)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeDecodeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        if "straddling" in first:  # pyarrow's words for a row that does not fit in one read block
            first = (f"a row or cell is larger than {CSV_BLOCK // (1024 * 1024)} MB, or a quote is never closed "
                     f"(pyarrow: {first})")
        raise ValueError(f"cannot read the sheet: {first}") from None
    return pd.DataFrame({name: _as_text(table.column(name)) for name in table.column_names})


def _read_csv(path: Path) -> pa.Table:
    """A CSV sheet read by pyarrow, cells spanning lines allowed.

    Most sheets have none, and pyarrow reads those twice as fast when told so: it then cuts its
    blocks at any line break (0.33 s of CPU against 0.66 s for a 250,000-event sheet). Its
    parser reads quotes either way, so a cut inside a quoted cell leaves that block unfinished
    and the read fails ("out of sync with chunker") rather than reading rows wrongly. A sheet the
    quick read refuses for any reason is read again allowing them: its rows, or its error, are
    what they always were, at the cost of the refused read.
    """
    options = pacsv.ReadOptions(block_size=CSV_BLOCK)
    try:
        return files.text_csv(path, options, pacsv.ParseOptions(newlines_in_values=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return files.text_csv(path, options, pacsv.ParseOptions(newlines_in_values=True))


def _as_text(column: pa.ChunkedArray) -> pd.Series:
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.date32())
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    column = pc.fill_null(column, "")
    return pd.Series(column.to_pandas(types_mapper=pd.ArrowDtype), dtype=STR)


def _check_columns(df: pd.DataFrame, spec: dict, required: list[str], rel: str) -> list[Problem]:
    out = []
    for name in df.columns:
        if name not in spec:
            near = difflib.get_close_matches(str(name), list(spec), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            out.append(problem("unknown_field", f"unknown column {name!r}{hint}", file=rel, field=str(name)))
    for name in required:
        if name not in df.columns:
            out.append(problem("missing_field", f"required column {name!r} is missing", file=rel, field=name))
    return out


def _convert(df: pd.DataFrame, spec: dict, required: list[str], rel: str, first_row: int,
             claim: pd.Series | None = None) -> tuple[dict[str, pd.Series], list[Problem]]:
    """Convert every known column; problems for bad and missing cells, located by row."""
    values: dict[str, pd.Series] = {}
    found: list[Problem] = []
    rid = df["report_id"].astype(STR) if "report_id" in df else pd.Series("", index=df.index, dtype=STR)
    key = df["key"].astype(STR) if "key" in df else pd.Series("", index=df.index, dtype=STR)

    def located(mask: pd.Series, field: str, message: str) -> None:
        for i in df.index[mask.fillna(False).to_numpy(dtype=bool)]:
            found.append(problem("bad_value" if "missing" not in message else "missing_field",
                                 f"row {i + first_row}: {message}", file=rel, report_id=rid[i], event_key=key[i],
                                 claim="" if claim is None else int(claim[i]), field=field))

    for name, convert in spec.items():
        if name not in df.columns:
            continue
        converted, bad, why = convert(df[name])
        located(bad, name, f"{why}, got {df[name][bad].iloc[0]!r}" if bad.any() else why)
        if name in required:
            located(col.blank(df[name]), name, f"required field {name!r} is empty")
        values[name] = converted
    return values, found


def stage_batch(raw: Path, sheets: dict[str, Path]) -> Staged:
    problems: list[Problem] = []
    if "events" not in sheets and "claims" not in sheets:
        return Staged.empty()
    frames = {}
    for name in SHEETS:
        path = sheets.get(name)
        if path is None:
            continue
        rel = files.relative(path, raw)
        try:
            frames[name] = (load_sheet(path, raw), rel, 2 if path.suffix.lower() == ".csv" else 1)
        except ValueError as err:
            problems.append(problem("unreadable_file", str(err), file=rel))
    events, reports_from_events = _stage_events(frames.get("events"), problems)
    claims, reports_from_claims = _stage_claims(frames.get("claims"), problems)
    reports = _reports(reports_from_events, reports_from_claims, problems)
    return Staged(reports, events, claims, problems)


def _stage_events(sheet, problems: list[Problem]) -> tuple[pd.DataFrame, pd.DataFrame]:
    if sheet is None:
        return frame([], EVENT_COLUMNS), pd.DataFrame()
    df, rel, first = sheet
    problems += _check_columns(df, EVENT_SHEET, EVENT_REQUIRED, rel)
    v, found = _convert(df, EVENT_SHEET, EVENT_REQUIRED, rel, first)
    problems += found
    n = len(df)
    empty_date = pd.Series(pd.NaT, index=df.index, dtype="datetime64[us]")
    date, start, end = (v.get(k, empty_date) for k in ("date", "date_start", "date_end"))
    has_date, has_start, has_end = date.notna(), start.notna(), end.notna()
    start = start.where(~has_date, date)
    end = end.where(~has_date, date)
    rid, key = v.get("report_id", pd.Series("", index=df.index)), v.get("key", pd.Series("", index=df.index))

    def flag(mask: pd.Series, field: str, code: str, message: str) -> None:
        for i in df.index[mask.to_numpy(dtype=bool)]:
            problems.append(problem(code, f"row {i + first}: {message}", file=rel, report_id=rid[i], event_key=key[i], field=field))

    flag(has_date & (has_start | has_end), "date", "ambiguous_date", "give either date or date_start and date_end, not both")
    raw_blank = {k: col.blank(df[k]) if k in df else pd.Series(True, index=df.index) for k in ("date", "date_start", "date_end")}
    flag(raw_blank["date"] & raw_blank["date_start"] & raw_blank["date_end"], "date", "missing_field",
         "required field 'date' (or date_start and date_end) is empty")
    flag(~has_date & (has_start ^ has_end) & raw_blank["date"], "date_start", "missing_field",
         "a multi-day event needs date_start and date_end")
    flag(start.notna() & end.notna() & (end < start), "date_end", "date_order", "event ends before it starts")
    events = pd.DataFrame({
        "file": constant(rel, df.index), "report_id": rid, "event_key": key, "entry": pd.RangeIndex(n) + first, "defines": True,
        "date_start": start, "date_end": end,
        **{c: v[c] for c in EVENT_COLUMNS if c in v and c not in ("date_start", "date_end")},
    }, index=df.index)
    events = events.reindex(columns=list(EVENT_COLUMNS))
    for c in ("assoc_actor_1", "assoc_actor_2", "actor2", "admin2", "admin3", "tags", "notes"):
        events[c] = events[c].astype(STR).fillna("")  # a column the sheet lacks comes as float NaN
    events = typed(events, EVENT_COLUMNS)
    events["civilian_targeting"] = events["civilian_targeting"].fillna(False)
    meta = pd.DataFrame({"file": constant(rel, df.index), "row": pd.RangeIndex(n) + first, "report_id": rid,
                         **{c: v[c] for c in REPORT_META if c in v}}, index=df.index)
    return events.reset_index(drop=True), meta


def _stage_claims(sheet, problems: list[Problem]) -> tuple[pd.DataFrame, pd.DataFrame]:
    if sheet is None:
        return frame([], CLAIM_COLUMNS), pd.DataFrame()
    df, rel, first = sheet
    problems += _check_columns(df, CLAIM_SHEET, CLAIM_REQUIRED, rel)
    rid = df["report_id"].astype(STR) if "report_id" in df else pd.Series("", index=df.index, dtype=STR)
    key = df["key"].astype(STR) if "key" in df else pd.Series("", index=df.index, dtype=STR)
    number = pd.Series(df.groupby([rid, key], sort=False).cumcount() + 1, index=df.index)
    v, found = _convert(df, CLAIM_SHEET, CLAIM_REQUIRED, rel, first, claim=number)
    problems += found
    killed = v.get("killed", pd.Series("", index=df.index, dtype=STR))
    wounded = v.get("wounded", pd.Series("", index=df.index, dtype=STR))
    absent = nulls(df.index)  # a sheet's missing columns of numbers all share it
    explicit = {f: v.get(f, absent) for f in FIGURES}
    no_killed = (killed == "") & explicit["killed_best"].isna()
    no_wounded = (wounded == "") & explicit["wounded_best"].isna()
    for i in df.index[(no_killed & no_wounded).to_numpy(dtype=bool)]:
        problems.append(problem("missing_field", f"row {i + first}: a claim needs killed or wounded (or both)",
                                file=rel, report_id=rid[i], event_key=key[i], claim=int(number[i]), field="killed"))
    for kind in ("killed", "wounded"):
        if not any(f"{kind}_{p}" in v for p in ("low", "best", "high")):
            continue  # no column of numbers: nothing given, nothing partial or out of order
        parts = [explicit[f"{kind}_{p}"].astype("Int64") for p in ("low", "best", "high")]
        given = pd.concat([p.notna() for p in parts], axis=1)
        partial = given.any(axis=1) & ~given.all(axis=1)
        disorder = given.all(axis=1) & ~((parts[0] <= parts[1]) & (parts[1] <= parts[2])).fillna(False)
        for mask, message in ((partial, f"give all of {kind}_low, {kind}_best, {kind}_high or none"),
                              (disorder, "range out of order (need low <= best <= high)")):
            for i in df.index[mask.to_numpy(dtype=bool)]:
                problems.append(problem("bad_value", f"row {i + first}: {message}", file=rel, report_id=rid[i],
                                        event_key=key[i], claim=int(number[i]), field=f"{kind}_low"))
    claims = pd.DataFrame({
        "file": constant(rel, df.index), "report_id": v.get("report_id", rid), "event_key": v.get("key", key), "claim": number,
        "claimant": v.get("claimant", ""), "victims": v.get("victims", ""), "quote": v.get("quote", ""),
        "killed": killed, "wounded": wounded,
        **{f: explicit[f] for f in FIGURES}, "wounded_acled": absent,
    }, index=df.index)
    meta = pd.DataFrame({"file": constant(rel, df.index), "row": pd.RangeIndex(len(df)) + first, "report_id": claims["report_id"],
                         **{c: v[c] for c in REPORT_META if c in v}}, index=df.index)
    return typed(claims.reindex(columns=list(CLAIM_COLUMNS)), CLAIM_COLUMNS).reset_index(drop=True), meta


def _sha256(texts: pd.Series) -> pd.Series:
    """sha256 of each text, computed once per distinct text (sheets rarely carry text), as the
    staged category it is (not spelled out per row to be coded again)."""
    return per_distinct(texts, lambda t: hashlib.sha256(t.encode("utf-8")).hexdigest(), CATEGORY)


def _reports(from_events: pd.DataFrame, from_claims: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """One report per report_id: from the events sheet, else from the claims sheet's report columns.

    `from_events` and `from_claims` hold a row per row of their sheet, with the report_id of that
    row's event or claim. The IDs of both are hashed once: which rows describe a report, its
    first row, the rows that repeat it and its numbers of events and claims all come from those
    codes. They were hashed five times before: 0.29-0.33 s of CPU per 250,000-event batch, now
    0.13-0.15 s.
    """
    sheets = [m for m in (from_events, from_claims) if len(m)]
    if not sheets:
        return frame([], REPORT_COLUMNS)
    in_events = len(from_events)
    codes, ids = factorized(pd.concat([m["report_id"] for m in sheets], ignore_index=True))
    named = np.append(np.asarray(ids != ""), False)[codes]  # a missing ID's code, -1, reads the last
    first_row = np.flatnonzero(keys.first(codes) & (codes >= 0))  # each code's first row, in order of code
    # A report's rows in the events sheet describe it; a report only claims point at, its rows
    # in the claims sheet. Rows without an ID describe none.
    describes = named.copy()
    describes[in_events:] &= first_row[codes[in_events:]] >= in_events
    if not describes.any():
        return frame([], REPORT_COLUMNS)
    meta = pd.concat([m for m in (from_events[describes[:in_events]], from_claims[describes[in_events:]]) if len(m)],
                     ignore_index=True)
    for c in REPORT_META:
        if c not in meta:
            meta[c] = pd.Series(pd.NaT, index=meta.index) if c == "published" else ""
    meta_codes = codes[describes]
    reported = named[first_row]  # the codes of IDs, not of ""
    at_meta = np.cumsum(describes) - 1  # a row's place in meta, where it describes its report
    first = meta.iloc[at_meta[first_row[reported]]]
    for c in ("source", "source_scale", "published"):
        empty = first[c].isna() if c == "published" else first[c].isna() | (first[c].astype(STR) == "")  # a date is never ""
        for r in first[empty].itertuples():
            problems.append(problem("missing_field", f"row {r.row}: report {r.report_id!r} has no {c} (give the report's "
                                    "columns on its first row)", file=r.file, report_id=r.report_id, field=c))
    spread = meta[keys.repeated(meta_codes)].groupby("report_id")[REPORT_META].nunique(dropna=False)
    for report_id, row in spread[(spread > 1).any(axis=1)].iterrows():
        fields = [c for c in REPORT_META if row[c] > 1]
        f = meta[meta["report_id"] == report_id].iloc[0]
        problems.append(problem("conflicting_report", f"report {report_id!r} has different {', '.join(fields)} on different rows",
                                file=f.file, report_id=report_id, field=fields[0]))
    n_events = np.bincount(codes[:in_events][named[:in_events]], minlength=len(ids))[reported]
    n_claims = np.bincount(codes[in_events:][named[in_events:]], minlength=len(ids))[reported]
    out = pd.DataFrame({
        "file": first["file"], "report_id": first["report_id"], "source": first["source"].fillna(""),
        "source_scale": first["source_scale"].fillna(""), "published": first["published"],
        "url": first["url"].fillna(""), "headline": first["headline"].fillna(""),
        "language": first["language"].fillna("").replace("", "en"),
        "text_sha256": _sha256(first["text"].fillna("")),
        "draft": False,
        "n_events": pd.Series(n_events, index=first.index, dtype="int64"),
        "n_claims": pd.Series(n_claims, index=first.index, dtype="int64"),
    })
    return typed(out.reset_index(drop=True), REPORT_COLUMNS)
