"""Adapter for ACLED exports dropped in raw/acled/ (any sub-folders, `.csv`).

Layouts read (column names without case, in any order): the current 31 columns with ISO dates;
export-tool files with dates like `22 February 2019`; older files with `data_id`, `iso3` and the
pre-2019 event types (no `sub_event_type`; mapped by mappings/acled.yaml, the rule used written
into `notes`); monadic files with one row per actor and no actor2 columns; inter codes as numbers
or as text labels; a UTF-8 byte-order mark; an HDX tag row under the header.

Each event ID becomes one event keyed `acled:<event_id_cnty>` with one point claim by "ACLED",
its `fatalities`. Monadic rows of one event (same ID and timestamp) are collapsed back into one
event: the first row's actor is actor1 and the second's actor2 (the civilian side is put second,
as ACLED does), and `fatalities`, which every row repeats, is counted once.
Columns the release derives (year, iso, region, disorder_type, interaction) are not copied: they
are derived again from the vocabularies, and `year` is used to catch mistyped dates.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from schemas import vocab

from ..problems import WARNING, Problem, problem
from ..staged import Staged
from .. import raw_tree
from . import imported, mapping, tabular
from .columns import number, text_list
from .imported import RECORD_COLUMNS, RowIssues, first_filled, integers

FOLDER = "acled"
DATASET = "ACLED"
REQUIRED = ["event_id_cnty", "event_date", "event_type", "actor1", "country", "latitude", "longitude", "fatalities"]
MONTHS = {m.casefold(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"], start=1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
EVENT_ID = re.compile(r"^[A-Za-z]{2,4}[0-9]+$")


def read(raw: Path, cache: Path | None = None, tree: raw_tree.Tree | None = None) -> Staged:
    """Stage every ACLED export under raw/acled/, one event per event ID (the newest record)."""
    return imported.read_folder(raw, FOLDER, records, tree=tree)


def stage_file(data: bytes, rel: str) -> Staged:
    """Stage one export file (pure: bytes in, staged tables out; never raises for bad content)."""
    found, problems = records(data, rel)
    return imported.stage(found, problems)


def records(data: bytes, rel: str) -> tuple[pd.DataFrame, list[Problem]]:
    """One record per event of one export file, and what could not be read."""
    cells, err = tabular.read_cells(data)
    if err:
        return imported.empty_records(), [problem("unreadable_file", err, file=rel)]
    header = [tabular.normalise(c) for c in cells.records[0]]
    if "event_id_cnty" not in header:
        return imported.empty_records(), [problem(
            "unknown_layout", "no header row naming event_id_cnty: not an ACLED export (ACLED files always start with "
            "their column names)", file=rel)]
    renames = mapping.acled()["column_names"]
    columns = [renames.get(c, c) for c in header]
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    missing = [c for c in REQUIRED if c not in columns]
    if duplicated or missing:
        what = (f"column(s) {', '.join(missing)} missing" if missing else "") + \
               ("; " if missing and duplicated else "") + (f"column(s) {', '.join(duplicated)} twice" if duplicated else "")
        return imported.empty_records(), [problem("missing_columns", f"{what}: not a layout the ACLED adapter reads", file=rel)]
    g = tabular.grid(cells, None)
    g.rows.columns = columns
    out, problems = _convert(g, rel)
    for name in ("time_precision", "geo_precision", "timestamp"):
        if name not in columns:
            effect = ("overlapping records are ordered by file name" if name == "timestamp"
                      else "every event is read with the most precise code, 1")
            problems.append(problem("missing_column", f"no {name} column: {effect}", file=rel, field=name,
                                    severity=WARNING))
    if "actor2" not in columns:
        out, more = _collapse_monadic(out, rel)
        problems += more
    out, more = _check_events(out, rel)
    return out, problems + more


# -- one row at a time, column by column -----------------------------------------------------

def _convert(g: tabular.Grid, rel: str) -> tuple[pd.DataFrame, list[Problem]]:
    c = g.rows
    col = g.text
    issues = RowIssues(c.index)
    ids = col("event_id_cnty")
    keys = ("acled:" + ids).where(ids != "", "")
    issues.add(g.width_problem != "", "", g.width_problem)
    issues.add(~ids.str.fullmatch(EVENT_ID.pattern), "event_id_cnty",
               "event_id_cnty " + ids.map(repr) + " is not an ACLED event ID (country letters and a number)")

    date = dates(col("event_date"))
    issues.add(date.isna(), "event_date", "event_date " + col("event_date").map(repr) + " is not a date "
               "(YYYY-MM-DD, '22 February 2019', '22-February-2019' or 22/02/2019)")
    issues.add(date.dt.year < 1900, "event_date", "event_date " + col("event_date").map(repr) + " lies before 1900")
    if "year" in c.columns:
        year = integers(col("year"))
        issues.add(year.notna() & date.notna() & (year != date.dt.year), "event_date",
                   "event_date " + col("event_date").map(repr) + " disagrees with year " + col("year"))

    precision = {}
    for name in ("time_precision", "geo_precision"):
        value = integers(col(name)) if name in c.columns else pd.Series(1, index=c.index, dtype="Int64")
        issues.add(~value.isin([1, 2, 3]), name, f"{name} " + col(name).map(repr) + " is not 1, 2 or 3")
        precision[name] = value

    inter = {}
    for n in ("1", "2"):
        code, bad = mapping.inter_codes(col(f"inter{n}"))
        issues.add(bad, f"inter{n}", f"inter{n} " + col(f"inter{n}").map(repr) + " is not an ACLED inter code or label")
        inter[n] = code

    actors = {name: col(name) for name in ("actor1", "actor2")}
    assoc = {name: text_list(col(name))[0] for name in ("assoc_actor_1", "assoc_actor_2")}
    issues.add(actors["actor1"] == "", "actor1", "actor1 is empty")
    for name, value in actors.items():
        reserved = value.str.casefold().isin([vocab.CIVILIANS.casefold(), vocab.UNKNOWN.casefold()])
        issues.add(reserved, name, f"{name} is the bare word " + value.map(repr) + ", which claims reserve for victims")

    fatalities = integers(col("fatalities"))
    types = event_types(col("event_type"), col("sub_event_type"), col("notes"), inter["1"], inter["2"], fatalities)
    issues.add(types["problem"] != "", "event_type", types["problem"])

    country = mapping.countries(col("country"))
    issues.add(country == "", "country", "country " + col("country").map(repr) + " is not an ACLED country")
    latitude, longitude = number(col("latitude"))[0], number(col("longitude"))[0]
    issues.add(~latitude.between(-90, 90), "latitude", "latitude " + col("latitude").map(repr) + " is not a number within -90..90")
    issues.add(~longitude.between(-180, 180), "longitude", "longitude " + col("longitude").map(repr) + " is not a number within -180..180")

    timestamp = integers(col("timestamp")) if "timestamp" in c.columns else pd.Series(pd.NA, index=c.index, dtype="Int64")
    issues.add((col("timestamp") != "") & ~timestamp.between(0, 4_102_444_800), "timestamp",
               "timestamp " + col("timestamp").map(repr) + " is not a Unix time in seconds")

    bad = issues.bad
    problems = issues.problems(rel, g.row_number, keys, DATASET)
    keep = ~bad
    if "civilian_targeting" in c.columns:
        targeted = col("civilian_targeting") != ""
    else:  # absent before 2023; ACLED sets it on every Violence against civilians event
        targeted = types["event_type"] == vocab.VIOLENCE_AGAINST_CIVILIANS
    published = pd.to_datetime(timestamp.astype("float64"), unit="s").dt.normalize()
    published = published.where(timestamp.notna(), date).astype(imported.DATETIME)
    late = published < date
    admin1, location, place_note = _place(col("admin1"), col("admin2"), col("admin3"), col("location"), country)
    notes = _append(col("notes"), types["note"])
    notes = _append(notes, place_note)
    notes = _append(notes, pd.Series(np.where(late, "[ACLED's timestamp lies before the event date; the event date "
                                              "stands in as the record's publication date.]", ""), index=c.index))
    published = published.where(~late, date)
    claimant = mapping.acled()["claimant"]
    civilian_types = mapping.acled()["civilian_victim_event_types"]
    scale, scale_problems = source_scales(col("source_scale"), rel)
    version_label = ("timestamp " + timestamp.astype(str)).where(timestamp.notna(), "no timestamp")
    out = pd.DataFrame({
        "file": rel, "row": g.row_number, "key": keys,
        "version": timestamp.fillna(imported.UNKNOWN_VERSION).astype("int64"), "version_label": version_label,
        "date": date, "time_precision": precision["time_precision"], "event_type": types["event_type"],
        "sub_event_type": types["sub_event_type"], "actor1": actors["actor1"], "assoc_actor_1": assoc["assoc_actor_1"],
        "inter1": inter["1"], "actor2": actors["actor2"], "assoc_actor_2": assoc["assoc_actor_2"], "inter2": inter["2"],
        "inter_basis": "acled", "country": country, "admin1": admin1, "admin2": col("admin2"), "admin3": col("admin3"),
        "location": location, "latitude": latitude, "longitude": longitude,
        "geo_precision": precision["geo_precision"], "civilian_targeting": targeted.astype(bool),
        "tags": text_list(col("tags"))[0], "notes": notes,
        "source": text_list(col("source"))[0].where(col("source") != "", claimant),
        "source_scale": scale, "published": published,
        "headline": f"{DATASET} event " + ids + " (" + version_label + ")", "text_sha256": g.row_sha256,
        "claimant": claimant,
        "victims": np.where(types["event_type"].isin(civilian_types), vocab.CIVILIANS, vocab.UNKNOWN),
        "killed": fatalities.astype(str).where(fatalities.notna(), ""),
        "killed_low": fatalities, "killed_best": fatalities, "killed_high": fatalities, "killed_acled": fatalities,
        "quote": col("notes"),
    }, index=c.index)
    no_figure = keep & fatalities.isna()
    problems += [problem("no_figure", f"row {g.row_number[i]}: fatalities {col('fatalities')[i]!r} is not a count; "
                         "the event is imported without ACLED's claim", file=rel, event_key=keys[i],
                         field=f"row {g.row_number[i]}: fatalities", severity=WARNING)
                 for i in c.index[no_figure.to_numpy()]]
    return out[keep].astype(RECORD_COLUMNS).reset_index(drop=True), problems + scale_problems


def dates(cells: pd.Series) -> pd.Series:
    """ACLED's date styles: ISO (API, HDX, newest exports), `22 February 2019` (export tool),
    `22-February-2019` / `22-Feb-2019` and day-first `22/02/2019` (older files). Month names are
    read in English whatever the machine's locale."""
    out = imported.iso_dates(cells)
    named = cells.str.strip().str.extract(r"^(\d{1,2})[ -]([A-Za-z]+)\.?,?[ -](\d{4})$")
    month = named[1].str.casefold().map(MONTHS)
    out = out.where(out.notna(), _from_parts(named[2], month, named[0]))
    slashed = cells.str.strip().str.extract(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
    return out.where(out.notna(), _from_parts(slashed[2], slashed[1], slashed[0]))


def _from_parts(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    parts = pd.DataFrame({"year": pd.to_numeric(year, errors="coerce"), "month": pd.to_numeric(month, errors="coerce"),
                          "day": pd.to_numeric(day, errors="coerce")})
    ok = parts.notna().all(axis=1)
    out = pd.Series(pd.NaT, index=year.index, dtype=imported.DATETIME)
    if ok.any():
        out[ok] = pd.to_datetime(parts[ok].astype("int64"), errors="coerce").astype(imported.DATETIME)
    return out


def event_types(event_type: pd.Series, sub_event_type: pd.Series, notes: pd.Series, inter1: pd.Series,
                inter2: pd.Series, fatalities: pd.Series) -> pd.DataFrame:
    """Today's event type and sub-event type of each row, a note when an old type was mapped,
    and a problem text where they cannot be read."""
    table = mapping.acled()
    fold = lambda s: s.str.strip().str.casefold().str.replace(r"\s*-\s*", "-", regex=True).str.replace(r"\s+", " ", regex=True)  # noqa: E731
    types = {t.casefold(): t for t in vocab.EVENT_TYPES} | table["event_type_spellings"]
    subs = {t.casefold(): t for t in vocab.SUB_EVENT_TYPES} | table["sub_event_type_spellings"]
    old = {re.sub(r"\s*-\s*", "-", k).casefold(): k for k in table["old_event_types"]}
    folded = fold(event_type)
    etype, sub = folded.map(types), fold(sub_event_type).map(subs)
    is_old, no_type, no_sub = folded.isin(old), folded == "", fold(sub_event_type) == ""
    from_sub = sub.map(vocab.SUB_EVENT_TO_EVENT)
    out = pd.DataFrame({"event_type": etype.fillna(""), "sub_event_type": sub.fillna(""), "note": "", "problem": ""},
                       index=event_type.index, dtype=object)

    def flag(mask: pd.Series, text: pd.Series) -> None:
        mask = mask.fillna(False).astype(bool) & (out["problem"] == "")
        out.loc[mask, "problem"] = text[mask]

    flag(sub.notna() & etype.notna() & (from_sub != etype),
         "sub_event_type " + sub_event_type.map(repr) + " belongs to " + from_sub.fillna("").map(repr)
         + ", not " + event_type.map(repr))
    adopt = sub.notna() & etype.isna() & (is_old | no_type)  # an old or missing type beside a new sub-type
    out.loc[adopt, "event_type"] = from_sub[adopt]
    flag(~no_sub & sub.isna(), "sub_event_type " + sub_event_type.map(repr) + " is not one of ACLED's sub-event types")
    flag(etype.isna() & ~is_old & ~adopt,
         "event_type " + event_type.map(repr) + " is neither one of ACLED's event types nor a pre-2019 type "
         "in dataset/readers/mappings/acled.yaml")
    flag(no_sub & etype.notna() & ~is_old, "event_type " + event_type.map(repr) + " comes without a sub_event_type")
    mapped = no_sub & is_old
    for key, name in old.items():
        todo = mapped & (folded == key)
        for number_, rule in enumerate(table["old_event_types"][name], start=1):
            hit = todo & _holds(rule.get("when", {}), notes, inter1, inter2, fatalities)
            out.loc[hit, "event_type"] = rule["event_type"]
            out.loc[hit, "sub_event_type"] = rule["sub_event_type"]
            out.loc[hit, "note"] = (f"[ACLED's pre-2019 event type {name!r} read as {rule['event_type']} / "
                                    f"{rule['sub_event_type']} by rule {number_} of dataset/readers/mappings/acled.yaml.]")
            todo &= ~hit
    return out.astype(str)


def _holds(when: dict, notes: pd.Series, inter1: pd.Series, inter2: pd.Series, fatalities: pd.Series) -> pd.Series:
    ok = pd.Series(True, index=notes.index)
    if "notes" in when:
        pattern = re.compile(when["notes"], re.IGNORECASE)
        ok &= notes.map(lambda text: bool(pattern.search(text))).astype(bool)
    if "any_inter" in when:
        ok &= (inter1.isin(when["any_inter"]) | inter2.isin(when["any_inter"])).fillna(False).astype(bool)
    if "inter_pair" in when:
        a, b = when["inter_pair"]
        ok &= (((inter1 == a) & (inter2 == b)) | ((inter1 == b) & (inter2 == a))).fillna(False).astype(bool)
    if "fatalities_above" in when:
        ok &= (fatalities > when["fatalities_above"]).fillna(False).astype(bool)
    return ok


def source_scales(cells: pd.Series, rel: str) -> tuple[pd.Series, list[Problem]]:
    """ACLED's scale words in their canonical spelling; a value with other words becomes "Other"
    (one warning per distinct value), an empty one too (ACLED gave none)."""
    atoms = {a.casefold(): a for a in vocab.SOURCE_SCALES}

    def one(value: str) -> str:
        parts = [atoms.get(p.strip().casefold()) for p in value.split("-")] if value.strip() else [None]
        return "-".join(parts) if all(parts) else ""

    distinct = {v: one(v) for v in pd.unique(cells)}
    out = cells.map(distinct).astype(str)
    problems = [problem("unknown_source_scale", f"source_scale {v!r} ({int((cells == v).sum())} row(s)) is not made "
                        f"of ACLED's scale words; published as Other", file=rel, field="source_scale", severity=WARNING)
                for v, mapped in sorted(distinct.items()) if not mapped and v.strip()]
    return out.where(out != "", "Other"), problems


def _place(admin1: pd.Series, admin2: pd.Series, admin3: pd.Series, location: pd.Series,
           country: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """admin1 and location must be named in the release; where the export leaves them empty the
    next larger known name stands in, and the notes say so."""
    new_location = first_filled(location, admin3, admin2, admin1, country)
    new_admin1 = first_filled(admin1, country)
    note = pd.Series("", index=admin1.index, dtype=object)
    note[location == ""] = "[The export names no location; the smallest named area stands in.]"
    note[admin1 == ""] = note[admin1 == ""] + " [The export names no admin1; the country stands in.]"
    return new_admin1, new_location, note.str.strip().astype(str)


def _append(notes: pd.Series, extra: pd.Series) -> pd.Series:
    return (notes + " " + extra).str.strip().where(extra != "", notes)


# -- monadic files ---------------------------------------------------------------------------

def _collapse_monadic(rows: pd.DataFrame, rel: str) -> tuple[pd.DataFrame, list[Problem]]:
    """One event per (event ID, timestamp) from monadic rows, each of which names one actor.

    The first row's actor is actor1, the second's actor2, unless only the first is civilian
    (inter 7): ACLED always codes the civilian side as actor2. `fatalities` is repeated on every
    row and is taken once; rows that disagree on it or on any other field are reported, and the
    larger figure is kept. A third row's actor joins actor2's associated actors (reported too).
    """
    if rows.empty:
        return rows, []
    rows = rows.sort_values(["key", "version", "row"], kind="stable").reset_index(drop=True)
    position = rows.groupby(["key", "version"], sort=False).cumcount()
    first = rows[position == 0].set_index(["key", "version"])
    second = rows[position == 1].set_index(["key", "version"]).reindex(first.index)
    swap = (first["inter1"] == vocab.CIVILIAN_INTER).fillna(False) & second["actor1"].notna() \
        & (second["inter1"] != vocab.CIVILIAN_INTER).fillna(True)
    out = first.copy()
    for col in ("actor1", "assoc_actor_1", "inter1"):
        out[col] = first[col].where(~swap, second[col])
    out["actor2"] = second["actor1"].where(~swap, first["actor1"]).fillna("")
    out["assoc_actor_2"] = second["assoc_actor_1"].where(~swap, first["assoc_actor_1"]).fillna("")
    out["inter2"] = second["inter1"].where(~swap, first["inter1"])
    problems: list[Problem] = []
    both = second["actor1"].notna()
    figures = rows.groupby(["key", "version"], sort=False)["killed_best"].agg(["min", "max"]).reindex(first.index)
    differ = both & (figures["min"] != figures["max"]).fillna(False)
    for col in ("killed", "killed_low", "killed_best", "killed_high", "killed_acled"):
        out.loc[differ, col] = figures.loc[differ, "max"].astype(str) if col == "killed" else figures.loc[differ, "max"]
    for key, version in first.index[differ.to_numpy()]:
        problems.append(problem("monadic_conflict", f"the monadic rows of {key} give fatalities {figures.loc[(key, version), 'min']} "
                                f"and {figures.loc[(key, version), 'max']}; the larger is kept", file=rel, event_key=key,
                                field=f"row {first.loc[(key, version), 'row']}: fatalities", severity=WARNING))
    shared = [c for c in imported.COMPARED if c not in ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2",
                                                        "killed_low", "killed_best", "killed_high", "victims")]
    for col in shared:
        x, y = first[col][both], second[col][both]
        unequal = ~((x == y).fillna(False).astype(bool) | (x.isna() & y.isna()))
        for key, version in x.index[unequal.to_numpy()]:
            problems.append(problem("monadic_conflict", f"the monadic rows of {key} differ in {col} "
                                    f"({x[(key, version)]!r} and {y[(key, version)]!r}); the first row's is kept",
                                    file=rel, event_key=key, field=f"row {first.loc[(key, version), 'row']}: {col}",
                                    severity=WARNING))
    extra = rows[position >= 2]
    for _, row in extra.iterrows():
        idx = (row.key, row.version)
        out.loc[idx, "assoc_actor_2"] = "; ".join(x for x in (out.loc[idx, "assoc_actor_2"], row.actor1) if x)
        problems.append(problem("monadic_conflict", f"{row.key} has more than two monadic rows; the actor of row {row.row} "
                                f"({row.actor1!r}) is added to actor2's associated actors", file=rel, event_key=row.key,
                                field=f"row {row.row}: actor1", severity=WARNING))
    rows_of = rows.groupby(["key", "version"], sort=False)["row"].agg(lambda r: ", ".join(map(str, r))).reindex(first.index)
    out["headline"] = out["headline"] + " [monadic rows " + rows_of + "]"
    shas = rows.groupby(["key", "version"], sort=False)["text_sha256"].agg("".join).reindex(first.index)
    out["text_sha256"] = shas.map(lambda s: hashlib.sha256(s.encode("utf-8")).hexdigest())
    return out.reset_index().astype(RECORD_COLUMNS)[list(RECORD_COLUMNS)], problems


# -- after collapsing ------------------------------------------------------------------------

def _check_events(rows: pd.DataFrame, rel: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Rules that hold for whole events: two-sided event types need actor2, and associated
    actors of actor2 need an actor2."""
    issues = RowIssues(rows.index)
    no_actor2 = rows["actor2"] == ""
    issues.add(no_actor2 & ~rows["event_type"].isin(vocab.ONE_SIDED_EVENT_TYPES), "actor2",
               rows["event_type"] + " needs a second actor, and the record names none")
    issues.add(no_actor2 & (rows["assoc_actor_2"] != ""), "assoc_actor_2", "associated actors of actor2 but no actor2")
    problems = issues.problems(rel, rows["row"], rows["key"], DATASET)
    return rows[~issues.bad].reset_index(drop=True), problems
