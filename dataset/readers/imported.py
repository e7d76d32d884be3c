"""What every dataset import shares: one record per original event ID, overlaps, staged tables.

An adapter (acled.py, ucdp.py) turns one export file into `records`: one row per original event,
every value converted, each row keeping its file, line and version. This module then

- keeps one record per original ID across overlapping exports of the same dataset: the newer
  version wins (ACLED's `timestamp`, the later UCDP GED release; equal versions: the file later
  by name) and every replaced record that differs is reported, field by field, as a warning;
- turns records into the staged tables every raw input produces: a report per record (the
  dataset's record is the report), an event definition keyed `<dataset>:<original ID>`, and at
  most one claim, the dataset's own figure; plus the actors with the inter codes the file gives.

Rows that cannot be imported are skipped with a warning naming file, row and field: the export
is a third party's file that coders must not edit, so a bad row is reported, never fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from schemas import DATETIME, STR
from schemas.vocab import LIST_SEP

from ..problems import WARNING, Problem, problem
from ..staged import ACTOR_COLUMNS, CLAIM_COLUMNS, EVENT_COLUMNS, REPORT_COLUMNS, Staged, frame, typed
from .. import raw_tree
from . import files

# One row per original event, as an adapter delivers it.
RECORD_COLUMNS: dict[str, object] = {
    "file": STR, "row": "int64", "key": STR, "version": "int64", "version_label": STR,
    "date": DATETIME, "time_precision": "int64", "event_type": STR, "sub_event_type": STR,
    "actor1": STR, "assoc_actor_1": STR, "inter1": "Int64", "actor2": STR, "assoc_actor_2": STR,
    "inter2": "Int64", "inter_basis": STR, "country": STR, "admin1": STR, "admin2": STR, "admin3": STR,
    "location": STR, "latitude": "float64", "longitude": "float64", "geo_precision": "int64",
    "civilian_targeting": "bool", "tags": STR, "notes": STR,
    "source": STR, "source_scale": STR, "published": DATETIME, "headline": STR, "text_sha256": STR,
    "claimant": STR, "victims": STR, "killed": STR, "killed_low": "Int64", "killed_best": "Int64",
    "killed_high": "Int64", "killed_acled": "Int64", "quote": STR,
}
# Fields whose change between two versions of a record is worth a line in the build report.
COMPARED = ["date", "time_precision", "event_type", "sub_event_type", "actor1", "assoc_actor_1", "actor2",
            "assoc_actor_2", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude",
            "geo_precision", "civilian_targeting", "tags", "notes", "source", "source_scale",
            "victims", "killed_low", "killed_best", "killed_high"]
UNKNOWN_VERSION = -1

Records = Callable[[bytes, str], tuple[pd.DataFrame, list[Problem]]]


def empty_records() -> pd.DataFrame:
    return frame([], RECORD_COLUMNS)


def read_folder(raw: Path, folder: str, records: Records, suffixes: tuple[str, ...] = (".csv",),
                tree: raw_tree.Tree | None = None) -> Staged:
    """Every export under raw/<folder>/, overlaps resolved, as staged tables."""
    paths, problems = files.find(raw, folder, suffixes, tree)
    parts, found = [], list(problems)
    for path in paths:
        rel = files.relative(path, raw)
        try:
            data = files.read_bytes(path, raw)
        except (OSError, PermissionError) as err:
            found.append(problem("unreadable_file", str(err), file=rel))
            continue
        frame_, file_problems = records(data, rel)
        parts.append(frame_)
        found += file_problems
    if not parts:  # no export read (most raw folders have none): typing empty frames took 0.03-0.1 s
        return Staged.empty(problems=found)
    return stage(pd.concat([empty_records(), *parts], ignore_index=True).astype(RECORD_COLUMNS), found)


def stage(records: pd.DataFrame, problems: list[Problem]) -> Staged:
    """Staged tables from records (of one file or many): newest record per ID, then tables."""
    kept, overlap = latest(records)
    staged = to_staged(kept)
    staged.problems = problems + overlap
    return staged


# -- overlapping exports ---------------------------------------------------------------------

def latest(records: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """One record per key: the highest version, then the file later by name, then the later row.

    Each replaced record that differs from the kept one is a warning listing what changed;
    identical copies are summed up in one warning per pair of files.
    """
    ordered = records.sort_values(["key", "version", "file", "row"], kind="stable")
    kept = ordered.drop_duplicates("key", keep="last")
    replaced = ordered[ordered["key"].duplicated(keep="last")]
    if replaced.empty:
        return kept.reset_index(drop=True), []
    winner = kept.set_index("key").loc[replaced["key"]]
    winner.index = replaced.index
    changed = pd.Series([[] for _ in range(len(replaced))], index=replaced.index, dtype=object)
    for col in COMPARED:
        a, b = replaced[col], winner[col]
        differs = ~((a == b).fillna(False).astype(bool) | (a.isna() & b.isna()))
        for idx in replaced.index[differs.to_numpy()]:
            changed[idx].append(f"{col} {_show(a[idx])} -> {_show(b[idx])}")
    out: list[Problem] = []
    same = changed.map(len) == 0
    for idx in replaced.index[~same.to_numpy()]:
        old, new = replaced.loc[idx], winner.loc[idx]
        why = ("newer" if new.version > old.version else
               "same version; the file later by name" if new.file != old.file else "same version; the later row")
        out.append(problem(
            "record_replaced",
            f"{old.key} from row {old.row} ({old.version_label}) is replaced by row {new.row} of {new.file} "
            f"({new.version_label}, {why}): " + "; ".join(changed[idx]),
            file=old.file, event_key=old.key, field=f"row {old.row}", severity=WARNING))
    pairs = pd.DataFrame({"old": replaced["file"][same], "new": winner["file"][same]})
    for (old, new), n in pairs.value_counts(sort=False).sort_index().items():
        where = "later rows of the same file" if old == new else new
        out.append(problem("record_duplicate", f"{n} record(s) also appear, unchanged, in {where}: one event each",
                           file=old, severity=WARNING))
    return kept.reset_index(drop=True), out


def _show(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


# -- staged tables ---------------------------------------------------------------------------

def to_staged(records: pd.DataFrame) -> Staged:
    """A report, an event definition and (if it gives a figure) one claim per record."""
    r = records
    has_figure = r["killed_best"].notna()
    reports = pd.DataFrame({
        "file": r["file"], "report_id": r["key"], "source": r["source"], "source_scale": r["source_scale"],
        "published": r["published"], "url": "", "headline": r["headline"], "language": "en",
        "text_sha256": r["text_sha256"], "draft": False, "n_events": 1, "n_claims": has_figure.astype("int64"),
    })
    events = pd.DataFrame({
        "file": r["file"], "report_id": r["key"], "event_key": r["key"], "entry": r["row"], "defines": True,
        "date_start": r["date"], "date_end": r["date"],
        **{c: r[c] for c in EVENT_COLUMNS if c in r.columns and c not in ("file", "report_id")},
    })
    c = r[has_figure]
    claims = pd.DataFrame({
        "file": c["file"], "report_id": c["key"], "event_key": c["key"], "claim": 1, "claimant": c["claimant"],
        "victims": c["victims"], "quote": c["quote"], "killed": c["killed"],
        **{f"killed_{p}": c[f"killed_{p}"] for p in ("low", "best", "high", "acled")},
        "wounded": "", **{f"wounded_{p}": pd.NA for p in ("low", "best", "high", "acled")},
    })
    return Staged(_typed(reports, REPORT_COLUMNS), _typed(events, EVENT_COLUMNS), _typed(claims, CLAIM_COLUMNS),
                  [], observed_actors(records))


def _typed(df: pd.DataFrame, columns: dict[str, object]) -> pd.DataFrame:
    if df.empty:
        return frame([], columns)
    return typed(df, columns).reset_index(drop=True)


def observed_actors(records: pd.DataFrame) -> pd.DataFrame:
    """(file, name, inter, basis, rows): the inter code each record gives each of its actors.

    Associated actors get no code in the exports; they are listed with the code of the actor they
    appear beside (basis "beside"), which the registry uses only for names never coded themselves.
    """
    parts = []
    for actor, assoc, inter in (("actor1", "assoc_actor_1", "inter1"), ("actor2", "assoc_actor_2", "inter2")):
        coded = records[[actor, inter, "inter_basis", "file"]].rename(columns={actor: "name", inter: "inter", "inter_basis": "basis"})
        parts.append(coded)
        beside = records[[assoc, inter, "file"]].rename(columns={assoc: "name", inter: "inter"})
        beside = beside.assign(name=beside["name"].str.split(LIST_SEP)).explode("name").assign(basis="beside")
        parts.append(beside)
    long = pd.concat(parts, ignore_index=True)
    long = long[long["name"].fillna("").astype(str).str.strip().ne("") & long["inter"].notna()]
    if long.empty:
        return frame([], ACTOR_COLUMNS)
    counted = long.groupby(["file", "name", "inter", "basis"], sort=True).size().rename("rows").reset_index()
    return counted[list(ACTOR_COLUMNS)].astype(ACTOR_COLUMNS)


# -- helpers for adapters --------------------------------------------------------------------

class RowIssues:
    """Why rows cannot be imported, collected column by column; one warning per skipped row."""

    def __init__(self, index: pd.Index):
        self.reasons = pd.Series("", index=index, dtype=object)
        self.fields = pd.Series("", index=index, dtype=object)

    def add(self, mask: pd.Series, field: str, reason: pd.Series | str) -> None:
        mask = mask.fillna(False).astype(bool) & (self.reasons == "")
        if not mask.any():
            return
        text = reason if isinstance(reason, str) else reason[mask].astype(str)
        self.reasons[mask] = text
        self.fields[mask] = field

    @property
    def bad(self) -> pd.Series:
        return self.reasons != ""

    def problems(self, rel: str, rows: pd.Series, keys: pd.Series, dataset: str) -> list[Problem]:
        out = []
        for idx in self.reasons.index[self.bad.to_numpy()]:
            key = keys[idx] if isinstance(keys[idx], str) and keys[idx] else ""
            out.append(problem("skipped_row", f"not imported: {self.reasons[idx]}; the {dataset} "
                               "export is kept as downloaded, so this row is left out of the release",
                               file=rel, event_key=key, field=f"row {rows[idx]}: {self.fields[idx]}", severity=WARNING))
        return out


def integers(cells: pd.Series) -> pd.Series:
    """Whole numbers from text ("3", "3.0", " 3 "); anything else is missing (Int64)."""
    number = pd.to_numeric(cells.str.strip().replace("", np.nan), errors="coerce")
    whole = number.notna() & np.isfinite(number) & (number == np.floor(number)) & (number.abs() < 2 ** 53)
    return pd.Series(pd.array(number.where(whole).to_numpy(dtype=object), dtype="Int64"), index=cells.index).where(whole, pd.NA)


def iso_dates(cells: pd.Series) -> pd.Series:
    """Dates written YYYY-MM-DD, optionally followed by a time (`2019-03-23 00:00:00.000`)."""
    head = cells.str.strip().str.extract(r"^(\d{4}-\d{2}-\d{2})(?:[ T][0-9:.]*)?$")[0]
    return pd.to_datetime(head, format="%Y-%m-%d", errors="coerce").astype(DATETIME)


def first_filled(*columns: pd.Series) -> pd.Series:
    """Row-wise the first non-empty text among `columns`."""
    out = columns[0].copy()
    for col in columns[1:]:
        out = out.where(out.str.strip() != "", col)
    return out.str.strip()
