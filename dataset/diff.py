"""What changed between two releases, for users: rows added, deleted and modified, field by field.

`diff` compares tables by primary key and returns one row per change (a modified row gives one
row per changed field, with old and new values); structure changes (columns added or removed)
are listed apart from data changes. A deleted event keeps a row saying so, so whoever cited its
ID can find out what happened to it.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import schemas
from schemas.frames import isin, positions, rows_at, sort_order

from . import release, table_copies
from .load import read, typed

TABLES = tuple(schemas.TABLES)  # the data tables; review tables (links) are not diffed
COLUMNS = ["table", "id", "event_key", "change", "field", "old", "new"]
ADDED, DELETED, MODIFIED = "added", "deleted", "modified"
COLUMN_ADDED, COLUMN_REMOVED = "column added", "column removed"
ORDER = {ADDED: 0, DELETED: 1, MODIFIED: 2, COLUMN_ADDED: 3, COLUMN_REMOVED: 4}
LISTED = 50  # changes listed by name per section of CHANGELOG.md; changes.csv has them all


def read_tables(path: Path) -> dict[str, pd.DataFrame]:
    """The data tables of the release at `path`, as `diff` compares them."""
    return {t: read(path, t) for t in TABLES}


def text(values: pd.Series) -> pd.Series:
    """Values as the text a changelog shows: ISO dates, empty for missing."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "M":
        out = values.dt.strftime("%Y-%m-%d")
    else:
        out = values.astype("object").map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v))
    return out.fillna("").astype("str")


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Where two aligned columns differ (missing equals missing), compared natively, not as text."""
    if isinstance(a.dtype, pd.CategoricalDtype) or isinstance(b.dtype, pd.CategoricalDtype) or a.dtype != b.dtype:
        a, b = a.astype("str"), b.astype("str")
    a_na, b_na = a.isna().to_numpy(), b.isna().to_numpy()
    numpy = isinstance(a.dtype, np.dtype) and a.dtype.kind in "iufbM"
    equal = (a.to_numpy() == b.to_numpy()) if numpy else (a == b).fillna(False).to_numpy(dtype=bool)
    return ~((equal & ~a_na & ~b_na) | (a_na & b_na))


def diff_table(name: str, old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    key = schemas.PRIMARY_KEYS[name][0]
    o, n = old.set_index(key, drop=False), new.set_index(key, drop=False)
    rows = []
    has_key = "event_key" in new.columns

    def keys_of(frame: pd.DataFrame, ids) -> list[str]:
        return frame.loc[ids, "event_key"].astype("str").tolist() if "event_key" in frame.columns else [""] * len(ids)

    shared = [c for c in new.columns if c in old.columns and c != key]
    if o.index.equals(n.index):  # the usual rebuild: the same rows in the same order, nothing to align
        common, oc, nc = n.index, o, n
    else:
        added = n.index.difference(o.index)
        deleted = o.index.difference(n.index)
        rows.append(pd.DataFrame({"id": added, "event_key": keys_of(n, added), "change": ADDED, "field": "", "old": "", "new": ""}))
        rows.append(pd.DataFrame({"id": deleted, "event_key": keys_of(o, deleted), "change": DELETED, "field": "", "old": "", "new": ""}))
        common = n.index.intersection(o.index)
        oc, nc = o.loc[common], n.loc[common]
    for col in shared:
        if oc[col].reset_index(drop=True).equals(nc[col].reset_index(drop=True)):
            continue  # the usual case: a column unchanged for every row (checked in C)
        changed = _differs(oc[col], nc[col])
        if changed.any():
            ids = common[changed]
            # nc's rows are common's: the changed rows' keys by position, not looked up by ID
            # (which hashed every ID of the part for the one row an edit changed)
            keys = nc["event_key"][changed].astype("str").tolist() if has_key else ""
            rows.append(pd.DataFrame({"id": ids, "event_key": keys, "change": MODIFIED,
                                      "field": col, "old": text(oc[col][changed]).to_numpy(),
                                      "new": text(nc[col][changed]).to_numpy()}))
    for col in new.columns.difference(old.columns):
        rows.append(pd.DataFrame({"id": [""], "event_key": [""], "change": [COLUMN_ADDED], "field": [col], "old": [""], "new": [""]}))
    for col in old.columns.difference(new.columns):
        rows.append(pd.DataFrame({"id": [""], "event_key": [""], "change": [COLUMN_REMOVED], "field": [col], "old": [""], "new": [""]}))
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in COLUMNS})
    out = pd.concat(rows, ignore_index=True).assign(table=name)
    return out[COLUMNS]


def diff(old: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every change from `old` to `new`, sorted by table, change, id and field."""
    parts = [diff_table(t, old[t], new[t]) for t in TABLES if t in old and t in new]
    return _sorted(pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS))


def _sorted(changes: pd.DataFrame) -> pd.DataFrame:
    """Changes in the published order: by table, change, id and field."""
    out = changes.astype("str")
    order = out["table"].map({t: i for i, t in enumerate(TABLES)}), out["change"].map(ORDER)
    out = out.assign(_t=order[0], _c=order[1]).sort_values(["_t", "_c", "id", "field"], kind="stable")
    return out.drop(columns=["_t", "_c"]).reset_index(drop=True)


def added(tables: dict[str, pd.DataFrame], orders: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The changes of a first release: every row added (what `diff` gives against empty tables).

    Built column by column (ids sorted by pyarrow's stable sort, the constant columns repeated
    by a take), since a first release of a million events lists millions of rows. `orders` may
    give a table's IDs' schemas.frames.sort_order, when the caller has it: not sorted again.
    """
    parts = []
    for name in TABLES:
        if name not in tables:
            continue
        key = schemas.PRIMARY_KEYS[name][0]
        df = tables[name][[key, "event_key"] if "event_key" in tables[name] else [key]].reset_index(drop=True)
        order = (orders or {}).get(name)
        df = rows_at(df, sort_order(df[key].astype("str")) if order is None else order).reset_index(drop=True)
        blank = _repeated("", len(df))
        parts.append(pd.DataFrame({"table": _repeated(name, len(df)), "id": df[key].astype("str"),
                                   "event_key": df["event_key"].astype("str") if "event_key" in df else blank,
                                   "change": _repeated(ADDED, len(df)), "field": blank, "old": blank, "new": blank}))
    return pd.concat(parts, ignore_index=True).astype("str") if parts else pd.DataFrame(columns=COLUMNS)


class ParquetTable:
    """A table of a published release read as Changes needs it: its ID (and event_key) whole,
    other columns only for the rows asked, a Parquet row group at a time. The previous release
    is then never in memory whole (two gigabytes at a million events)."""

    def __init__(self, path: Path, name: str):
        # The file is opened when first compared (on the comparing thread), not when the build
        # starts: opening the three tables took 0.1 s of the build's main thread before its parse.
        self.name, self.path = name, path / f"{name}.parquet"
        self.held: tuple[int, pa.Table] | None = None  # the last row group read, when a part ended inside it

    @functools.cached_property
    def file(self) -> pq.ParquetFile:
        return pq.ParquetFile(self.path)

    @functools.cached_property
    def empty(self) -> pd.DataFrame:
        """No rows, with the table's columns and dtypes."""
        return typed(self.name, self.file.schema_arrow.empty_table().to_pandas())

    @functools.cached_property
    def starts(self) -> np.ndarray:
        """The first row of each row group, and the number of rows last."""
        sizes = [self.file.metadata.row_group(i).num_rows for i in range(self.file.num_row_groups)]
        return np.cumsum([0, *sizes])

    @functools.cached_property
    def keys(self) -> pd.DataFrame:
        """The ID (and event_key) columns, whole. Read when the first part of the new table is
        compared, after the build's peak (the event step), which they would raise by a few
        hundred megabytes at a million events."""
        return typed(self.name, self.file.read(columns=_key_columns(self.name, self.file.schema_arrow)).to_pandas())

    def slice(self, start: int, n: int) -> pa.Table:
        """Rows start..start+n (within the table), read from the row groups holding them.

        Parts come in order and may be shorter than a row group (pipeline.part_size): the row
        group a slice ends inside is kept for the next, not read and decoded again."""
        first, last = (int(g) for g in np.searchsorted(self.starts, [start, start + n - 1], side="right") - 1)
        if self.held is not None and self.held[0] == first:
            rest = list(range(first + 1, last + 1))
            read = pa.concat_tables([self.held[1], *([self.file.read_row_groups(rest)] if rest else [])])
        else:
            read = self.file.read_row_groups(list(range(first, last + 1)))
        self.held = None
        if start + n < self.starts[last + 1]:
            self.held = (last, read.slice(self.starts[last] - self.starts[first]))
        return read.slice(start - self.starts[first], n)

    def rows(self, at: np.ndarray) -> pd.DataFrame:
        """The rows at positions `at`, in that order, from the row groups holding them only."""
        at = np.asarray(at, dtype=np.int64)
        group = np.searchsorted(self.starts, at, side="right") - 1
        groups = np.unique(group)
        if not len(groups):
            return self.empty
        read = self.file.read_row_groups(groups.tolist())
        sizes = self.starts[groups + 1] - self.starts[groups]
        # each position within the read groups: its offset in its group, plus the rows of the groups before
        local = at - self.starts[group] + (np.cumsum(sizes) - sizes)[np.searchsorted(groups, group)]
        return typed(self.name, read.take(pa.array(local)).to_pandas())


class CopiedTable:
    """A table of a published release as ParquetTable gives it, read from its Arrow copy
    (table_copies): memory-mapped, nothing decoded, the same rows and values."""

    def __init__(self, copy: pa.Table, name: str):
        self.copy, self.name = copy, name

    @functools.cached_property
    def empty(self) -> pd.DataFrame:
        return typed(self.name, self.copy.schema.empty_table().to_pandas())

    @functools.cached_property
    def keys(self) -> pd.DataFrame:
        return typed(self.name, self.copy.select(_key_columns(self.name, self.copy.schema)).to_pandas())

    def slice(self, start: int, n: int) -> pa.Table:
        return self.copy.slice(start, n)

    def rows(self, at: np.ndarray) -> pd.DataFrame:
        return typed(self.name, self.copy.take(pa.array(np.asarray(at, dtype=np.int64))).to_pandas())


def _key_columns(name: str, schema: pa.Schema) -> list[str]:
    """The columns of table `name` that Changes holds whole: its ID, and event_key if it has one."""
    return [c for c in (schemas.PRIMARY_KEYS[name][0], "event_key") if c in schema.names]


def _differing(old: pa.Table, new: pa.Table) -> list[str] | None:
    """The columns in which two tables of the same rows differ (`new` as schemas.frames.to_arrow
    makes it), or None when their columns are not the same. Categories are compared by their
    text (`_same_text`), since a row group read back has a dictionary of its own."""
    if old.column_names != new.column_names:
        return None
    out = []
    for name, a, b in zip(new.column_names, old.columns, new.columns):
        if pa.types.is_dictionary(a.type) and pa.types.is_dictionary(b.type):
            same = _same_text(a, b)
        else:
            same = a.equals(b)
        if not same:
            out.append(name)
    return out


def _same_text(a: pa.ChunkedArray, b: pa.ChunkedArray) -> bool:
    """Whether two dictionary-encoded columns of the same length hold the same text in every row
    (missing where the other is missing). Their dictionaries are unified, a few hundred values,
    and the rows' codes compared: decoding every row's text took ten to forty times as long."""
    common = pa.dictionary(pa.int32(), b.type.value_type)
    a, b = a.cast(common), b.cast(common)  # (a cast may drop empty chunks)
    codes = [c.indices for c in pa.chunked_array([*a.chunks, *b.chunks], type=common).unify_dictionaries().chunks]
    return pa.chunked_array(codes[:a.num_chunks], type=pa.int32()).equals(
        pa.chunked_array(codes[a.num_chunks:], type=pa.int32()))


def previous_tables(path: Path, cache: Path | None = None) -> dict[str, ParquetTable | CopiedTable]:
    """The data tables of the release at `path`, for Changes: each from its Arrow copy where
    `cache` (the output folder's cache) keeps one, else from its Parquet file."""
    copies = {t: table_copies.read(cache, path, t) if cache is not None else None for t in TABLES}
    return {t: ParquetTable(path, t) if copy is None else CopiedTable(copy, t) for t, copy in copies.items()}


class Changes:
    """`diff(old, new)` (or `added(new)` when `old` is None) with the new tables given part by
    part, as a release is written: each part is compared with the old rows of the same IDs;
    `result` takes the new tables' IDs (and event keys), whole, to find the deleted rows.
    `old`: previous_tables."""

    def __init__(self, old: dict[str, ParquetTable | CopiedTable] | None):
        self.old = old
        self.found: list[pd.DataFrame] = []  # changes found in the parts
        self.columns: dict[str, pd.DataFrame] = {}  # per table: an empty frame with its columns
        self.next: dict[str, int] = {}  # per table: the old row expected to come next
        self.realigned: set[str] = set()  # tables with a part whose IDs were not the old rows next in order

    def add(self, name: str, part: pd.DataFrame, rows: pa.Table | None = None) -> None:
        """Compare the next part of table `name` (`rows`: the part as schemas.frames.to_arrow makes
        it, when the caller has it: unchanged parts are then found without a pandas diff)."""
        if name not in TABLES:
            return
        key = schemas.PRIMARY_KEYS[name][0]
        if name not in self.columns:  # built anew: a slice of the part would keep all of the part alive
            self.columns[name] = pd.DataFrame({c: pd.Series([], dtype=part[c].dtype) for c in part.columns})
        if self.old is None or name not in self.old:
            return
        old = self.old[name]
        start = self.next.get(name, 0)
        same = old.keys[key].iloc[start:start + len(part)]
        was = None  # the old rows, when read already
        if len(same) == len(part) and same.reset_index(drop=True).equals(part[key].reset_index(drop=True)):
            at, self.next[name] = np.arange(start, start + len(part)), start + len(part)  # the usual rebuild
            if rows is not None and len(part):  # compared in Arrow first: only the columns that differ go to pandas
                read = old.slice(start, len(part))
                differing = _differing(read, rows)
                if differing == []:
                    return  # the part is unchanged
                if differing is not None:
                    part = part[[c for c in part.columns if c in (key, "event_key") or c in differing]]
                    was = typed(name, read.select(list(part.columns)).to_pandas())
        else:
            self.realigned.add(name)
            at = positions(part[key], old.keys[key])
            at = at[at >= 0]
            self.next[name] = int(at[-1]) + 1 if len(at) else start
        found = diff_table(name, old.rows(at) if was is None else was, part)
        self.found.append(found[~found["change"].isin([COLUMN_ADDED, COLUMN_REMOVED])])  # those: once, at the end

    def result(self, new: dict[str, pd.DataFrame], orders: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
        """All changes; `new` holds each table's ID column (and event_key), whole; `orders`, as
        `added` takes them, per table."""
        new = {name: ids for name, ids in new.items() if name in self.columns}
        if self.old is None:
            return added(new, orders)
        parts = list(self.found)
        for name, ids in new.items():
            if name not in self.old:
                continue
            old, key = self.old[name], schemas.PRIMARY_KEYS[name][0]
            # Rows that are in no part are deleted; none when the parts were the old rows, in order,
            # to the last (the usual rebuild). The columns' changes come from empty frames.
            if name in self.realigned or self.next.get(name, 0) != len(old.keys):
                gone = diff_table(name, old.keys[~isin(old.keys[key], ids[key]).to_numpy(dtype=bool)], ids.iloc[:0])
                parts.append(gone[gone["change"] == DELETED])
            parts.append(diff_table(name, old.empty, self.columns[name]))
        return _sorted(pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS))


def _repeated(value: str, n: int) -> pd.Series:
    return pd.Series(pd.array([value], dtype="str").take(np.zeros(n, dtype=np.intp)))


def write_changes_csv(changes: pd.DataFrame, sink) -> None:
    """changes.csv, written as the release writes its tables."""
    release.write_csv(changes[COLUMNS].astype("str"), sink)


def changes_csv(changes: pd.DataFrame) -> bytes:
    return release.csv_bytes(changes[COLUMNS].astype("str"))


def summary(changes: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Per table: how many rows were added, deleted and modified (structure changes apart)."""
    out = {}
    for table in TABLES:
        t = changes[changes["table"] == table]
        out[table] = {ADDED: int((t["change"] == ADDED).sum()), DELETED: int((t["change"] == DELETED).sum()),
                      MODIFIED: int(t.loc[t["change"] == MODIFIED, "id"].nunique())}
    return out


def changelog_section(changes: pd.DataFrame, old_version: str | None, new_version: str,
                      rows: dict[str, int]) -> str:
    """A CHANGELOG.md section for users: structure changes first, then data changes by table."""
    if old_version is None:
        counts = ", ".join(f"{n} {t}" for t, n in rows.items())
        return f"## {new_version}\n\nFirst release: {counts}.\n"
    lines = [f"## {new_version} (changes since {old_version})", ""]
    structure = changes[changes["change"].isin([COLUMN_ADDED, COLUMN_REMOVED])]
    if len(structure):
        lines += ["### Structure", ""] + [f"- `{r.table}`: {r.change} `{r.field}`" for r in structure.itertuples()] + [""]
    counts = summary(changes)
    lines += ["### Data", ""]
    lines += [f"- {t}: {c[ADDED]} added, {c[DELETED]} deleted, {c[MODIFIED]} modified" for t, c in counts.items()]
    if not len(changes):
        lines += ["", "No changes."]
    for table in ("events", "claims"):
        t = changes[changes["table"] == table]
        for change in (ADDED, DELETED, MODIFIED):
            part = t[t["change"] == change]
            if not len(part):
                continue
            lines += ["", f"#### {table.capitalize()} {change}", ""]
            if change == MODIFIED:
                grouped = part.groupby("id", sort=True)
                for i, (ident, g) in enumerate(grouped):
                    if i == LISTED:
                        lines.append(f"- ... and {grouped.ngroups - LISTED} more (see changes.csv)")
                        break
                    fields = "; ".join(f"`{r.field}` {_short(r.old)} -> {_short(r.new)}" for r in g.itertuples())
                    lines.append(f"- {ident} ({g['event_key'].iloc[0]}): {fields}")
            else:
                for i, r in enumerate(part.itertuples()):
                    if i == LISTED:
                        lines.append(f"- ... and {len(part) - LISTED} more (see changes.csv)")
                        break
                    lines.append(f"- {r.id} ({r.event_key})" + (" - deleted: its ID will not be reused" if change == DELETED and table == "events" else ""))
    return "\n".join(lines) + "\n"


def _short(value: str, limit: int = 80) -> str:
    value = value.replace("\n", " ")
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return f"`{shown}`" if shown else "(empty)"


def changelog(section: str, previous: str | None) -> str:
    """The release's CHANGELOG.md: the new section on top of the previous release's changelog."""
    head = "# Changelog\n\nWhat changed in the data, release by release (newest first). Every change, field by field, is in each release's changes.csv.\n\n"
    older = previous.split("\n", 1)[1].lstrip("\n") if previous and previous.startswith("# Changelog") else ""
    if older.startswith("What changed"):
        older = older.split("\n\n", 1)[1] if "\n\n" in older else ""
    return head + section + ("\n" + older if older else "")
