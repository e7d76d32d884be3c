"""Checks on the staged tables that need more than one record: vocabularies, the actor
registry, places, dates, and consistency between reports. Each check is a named function from
the staged tables to problems; `run` applies them all so every problem is listed in one pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import pycountry

from schemas import vocab
from schemas.frames import filled, filter_rows, is_blank, isin, maps_to, per_distinct, text

from . import geo, threads
from .keys import Keys, ReportRows, first, repeated, rows_of
from .problems import WARNING, Problem, problem
from .names import Members, canonical, coded, distinct_codes, exploded
from .readers.actors import resolver
from .staged import DEFINITION_FIELDS, Staged


@dataclass(frozen=True)
class Context:
    actors: dict[str, str]  # lower-cased name or alias -> registered name
    today: dt.date
    keys: Keys  # the staged rows' keys as integers
    rows: ReportRows  # each staged event's and claim's report
    # Made once for every check (run): where reports only add claims to events defined
    # elsewhere, each is a copy of the staged events' rows, once made by each check (8 copies).
    defined: pd.DataFrame  # definitions(staged)
    first: pd.DataFrame  # the first entry defining each key (first_definitions)
    claim_first: np.ndarray  # each staged claim's row in `first` (-1 where none)


Check = Callable[[Staged, Context], list[Problem]]


def located(df: pd.DataFrame, mask: pd.Series, code: str, field: str,
            message: Callable[[pd.Series], str], severity: str = "error") -> list[Problem]:
    """A problem for each row of `df` where `mask` holds, located by the row's own keys."""
    mask = pd.Series(mask, index=df.index) if not isinstance(mask, pd.Series) else mask
    mask = mask.fillna(False).astype(bool)
    if not mask.any():  # the usual case: selecting no rows of a million-row frame still costs
        return []
    out = []
    for _, row in df[mask].iterrows():
        out.append(problem(code, message(row), file=row.get("file", ""), report_id=row.get("report_id", ""),
                           event_key=row.get("event_key", ""), claim=row.get("claim", ""), field=field,
                           severity=severity))
    return out


def _flags(values: pd.Series, predicate: Callable) -> pd.Series:
    """A boolean Series from a per-value predicate, evaluated once per distinct value."""
    return per_distinct(values, lambda v: bool(predicate(v)), "bool")


def definitions(staged: Staged) -> pd.DataFrame:
    """The entries that define events (all of them, without a copy, when none only refers).

    Without the notes: they are the widest column and left in chunks (staged.py), which every
    row selection of the whole frame would first join into a transient copy.
    """
    events = staged.events.drop(columns="notes")
    defines = events["defines"].to_numpy(dtype=bool)
    return events if defines.all() else filter_rows(events, defines)


def first_definitions(staged: Staged, keys: Keys, defined: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The first entry defining each key (as `defined.drop_duplicates("event_key")`, index kept;
    `defined` = definitions(staged)), and each staged claim's row among them (-1 where none)."""
    defines = staged.events["defines"].to_numpy(dtype=bool)
    codes = keys.event_key[defines]
    keep = first(codes)
    return (defined if keep.all() else filter_rows(defined, keep)), rows_of(codes[keep], keys.n_keys)[keys.claim_key]


# -- reports ---------------------------------------------------------------------------------

def duplicate_report_ids(staged: Staged, ctx: Context) -> list[Problem]:
    kept = (staged.reports["report_id"] != "").to_numpy(dtype=bool)
    r = staged.reports[kept]
    dup = pd.Series(repeated(ctx.keys.report_id[kept]), index=r.index)
    files = r[dup].groupby("report_id")["file"].agg(list)
    return located(r, dup, "duplicate_report_id", "id",
                   lambda row: f"report id {row.report_id!r} is used by several files: {', '.join(files[row.report_id])}")


def report_vocabularies(staged: Staged, ctx: Context) -> list[Problem]:
    r = staged.reports
    bad_scale = ~_flags(r["source_scale"], lambda s: bool(s) and all(a in vocab.SOURCE_SCALES for a in s.split("-")))
    out = located(r, bad_scale & (r["source_scale"] != ""), "unknown_source_scale", "source_scale",
                  lambda row: f"unknown source scale {row.source_scale!r} (ACLED's words: {', '.join(vocab.SOURCE_SCALES)}; join several with '-')")
    bad_lang = ~_flags(r["language"], _is_language)
    out += located(r, bad_lang, "unknown_language", "language",
                   lambda row: f"unknown language code {row.language!r} (use ISO 639, e.g. en, fr, ar)")
    future = r["published"] > pd.Timestamp(ctx.today)
    out += located(r, future, "future_date", "published",
                   lambda row: f"published {row.published.date()} lies in the future")
    return out


def load_references() -> None:
    """Load what the checks look codes and places up in (ISO 639's languages, the countries'
    bounding boxes), ahead of them: the build does it while it waits for the walk of raw/,
    where the first check to need them paid 0.07 s."""
    pycountry.languages.get(alpha_2="en")
    geo.bounding_boxes()


def _is_language(code: str) -> bool:
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code) is not None
    return len(code) == 3 and pycountry.languages.get(alpha_3=code) is not None


# -- event definitions -----------------------------------------------------------------------

def event_vocabularies(staged: Staged, ctx: Context) -> list[Problem]:
    d = ctx.defined
    out = []
    for column, allowed in (("event_type", vocab.EVENT_TYPES), ("sub_event_type", vocab.SUB_EVENT_TYPES),
                            ("country", vocab.country_names())):
        bad = d[column].notna() & ~d[column].isin(allowed)
        out += located(d, bad, f"unknown_{column}", column,
                       lambda row, c=column, a=allowed: f"unknown {c.replace('_', ' ')} {row[c]!r}" + _nearest(row[c], a))
    pair = d["event_type"].isin(vocab.EVENT_TYPES) & d["sub_event_type"].isin(vocab.SUB_EVENT_TYPES)
    mismatch = pair & ~maps_to(d["sub_event_type"], vocab.SUB_EVENT_TO_EVENT, d["event_type"])
    out += located(d, mismatch, "sub_event_mismatch", "sub_event_type",
                   lambda row: f"sub-event type {row.sub_event_type!r} belongs to {vocab.SUB_EVENT_TO_EVENT[row.sub_event_type]!r}, not {row.event_type!r}")
    for column, allowed in (("time_precision", vocab.TIME_PRECISIONS), ("geo_precision", vocab.GEO_PRECISIONS)):
        bad = d[column].notna() & ~d[column].isin(allowed)
        out += located(d, bad, "precision_out_of_range", column,
                       lambda row, c=column: f"{c} {row[c]} is out of range (ACLED codes 1, 2, 3)")
    vac = (d["event_type"] == vocab.VIOLENCE_AGAINST_CIVILIANS) & (d["civilian_targeting"] == False)  # noqa: E712
    out += located(d, vac, "civilian_targeting_implied", "civilian_targeting",
                   lambda row: "Violence against civilians always targets civilians: published as 'Civilians targeted'",
                   severity=WARNING)
    return out


def _nearest(value, allowed: list[str]) -> str:
    import difflib

    near = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.6)
    return f" (did you mean {near[0]!r}?)" if near else ""


def event_actors(staged: Staged, ctx: Context) -> list[Problem]:
    d = ctx.defined
    out = []
    known = list(ctx.actors)
    for column in ("actor1", "actor2", "assoc_actor_1", "assoc_actor_2"):
        suspect = _naming_unknown(d[column], known)
        if not suspect.any():
            continue
        names = exploded(d[column][suspect])
        unknown = names[~isin(names.str.lower(), known)]
        if len(unknown):
            listed = unknown.groupby(level=0).agg(lambda g: ", ".join(map(repr, g)))
            out += located(d, d.index.isin(listed.index), "unknown_actor", column,
                           lambda row, u=listed: f"actor(s) not in the actor registry (raw/actors.yaml): {u[row.name]}")
    no_actor2 = is_blank(d["actor2"]) & d["event_type"].notna() & ~d["event_type"].isin(vocab.ONE_SIDED_EVENT_TYPES)
    out += located(d, no_actor2 & d["event_type"].isin(vocab.EVENT_TYPES), "missing_actor2", "actor2",
                   lambda row: f"{row.event_type} needs a second actor")
    assoc2_alone = is_blank(d["actor2"]) & ~is_blank(d["assoc_actor_2"])
    out += located(d, assoc2_alone, "assoc_without_actor", "assoc_actor_2", lambda row: "associated actors of actor2 but no actor2")
    same = (canonical(d["actor1"], ctx.actors) == canonical(d["actor2"], ctx.actors)) & ~is_blank(d["actor2"])
    out += located(d, same, "same_actor_twice", "actor2", lambda row: f"actor1 and actor2 are the same actor ({row.actor2!r})")
    return out


def _naming_unknown(lists: pd.Series, known: list[str]) -> np.ndarray:
    """The rows of a '; '-separated list column that name someone not in `known` (lower-cased
    names), each distinct list looked at once: a few thousand for 100,000 events, whose rows were
    split and lower-cased one by one (0.1 s of the checks)."""
    codes, uniques = distinct_codes(lists)
    names = exploded(pd.Series(uniques))
    unknown = np.zeros(len(uniques), dtype=bool)
    unknown[names.index[~isin(names.str.lower(), known).to_numpy(dtype=bool)]] = True
    return unknown[codes]


def event_places(staged: Staged, ctx: Context) -> list[Problem]:
    d = ctx.defined
    known = d["country"].isin(vocab.country_names())
    iso3 = per_distinct(d["country"], {n: c.iso3 for n, c in vocab.countries().items()}, "category")
    lat_bad = d["latitude"].notna() & ~d["latitude"].between(-90, 90)
    lon_bad = d["longitude"].notna() & ~d["longitude"].between(-180, 180)
    out = located(d, lat_bad, "coordinate_out_of_range", "latitude", lambda row: f"latitude {row.latitude} is not within -90..90")
    out += located(d, lon_bad, "coordinate_out_of_range", "longitude", lambda row: f"longitude {row.longitude} is not within -180..180")
    ok = known & ~lat_bad & ~lon_bad
    outside, unknown = geo.outside(iso3[ok], d.loc[ok, "latitude"], d.loc[ok, "longitude"])
    out += located(d[ok], outside, "outside_country", "latitude",
                   lambda row: f"({row.latitude}, {row.longitude}) lies outside {row.country} (Natural Earth bounding box; latitude and longitude swapped?)")
    out += located(d[ok], unknown, "country_not_checked", "latitude",
                   lambda row: f"no boundary data for {row.country}: coordinates not checked", severity=WARNING)
    return out


def event_dates(staged: Staged, ctx: Context) -> list[Problem]:
    """Events happen before they are reported, and never after today."""
    at = ctx.rows.event_report
    dates = ctx.rows.reports["published"].to_numpy(dtype="datetime64[us]")
    nat = np.datetime64("NaT", "us")
    published = np.where(at >= 0, dates[np.maximum(at, 0)] if len(dates) else nat, nat)
    e = staged.events[["file", "report_id", "event_key", "defines", "date_end"]].assign(published=published)
    defs = e["defines"]
    out = located(e, defs & (e["date_end"] > pd.Timestamp(ctx.today)), "future_date", "date_end",
                  lambda row: f"event date {row.date_end.date()} lies in the future")
    out += located(e, defs & (e["date_end"] > e["published"]), "event_after_report", "date",
                   lambda row: f"event ends {row.date_end.date()}, after its report was published ({row.published.date()})")
    if defs.all():
        return out
    first_def = ctx.defined.groupby("event_key")["date_start"].min()
    # reindex, not map: pandas cannot map through an empty datetime Series
    starts = pd.Series(first_def.reindex(e["event_key"]).to_numpy(), index=e.index, dtype="datetime64[us]")
    out += located(e, ~defs & (starts > e["published"]), "event_after_report", "key",
                   lambda row: f"report published {row.published.date()} makes claims about an event that starts later ({starts[row.name].date()})")
    return out


def conflicting_definitions(staged: Staged, ctx: Context) -> list[Problem]:
    """The same key defined twice must be defined the same way."""
    d = ctx.defined
    twice = repeated(ctx.keys.event_key[staged.events["defines"].to_numpy(dtype=bool)])
    if not twice.any():
        return []
    ev = staged.events  # with the notes, for the few entries of keys defined twice
    d = filter_rows(ev, ev["defines"].to_numpy(dtype=bool) & isin(ev["event_key"], d.loc[twice, "event_key"]).to_numpy(dtype=bool))
    d = d.sort_values(["file", "entry"])
    out = []
    for key, group in d.groupby("event_key", sort=True):
        first = group.iloc[0]
        for _, other in group.iloc[1:].iterrows():
            diff = [f for f in DEFINITION_FIELDS if not _same(first[f], other[f])]
            if diff:
                out.append(problem("conflicting_definition",
                                   f"event {key!r} is also defined in {first.file} (report {first.report_id}) with different "
                                   + ", ".join(f"{f} ({_show(first[f])} there, {_show(other[f])} here)" for f in diff)
                                   + "; define it once and give only key and claims elsewhere",
                                   file=other.file, report_id=other.report_id, event_key=key, field=diff[0]))
    return out


def _same(a, b) -> bool:
    if pd.isna(a) or pd.isna(b):
        return bool(pd.isna(a) and pd.isna(b))
    return bool(a == b)


def _show(value) -> str:
    if pd.isna(value):
        return "nothing"
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    if isinstance(value, float):
        return f"{value:g}"
    return repr(str(value)) if isinstance(value, str) else str(value)


def undefined_events(staged: Staged, ctx: Context) -> list[Problem]:
    defined = ctx.defined["event_key"]
    refs = filter_rows(staged.events[["file", "report_id", "event_key"]], ~staged.events["defines"].to_numpy(dtype=bool))
    return located(refs, ~isin(refs["event_key"], defined), "undefined_event", "key",
                   lambda row: f"claims about event {row.event_key!r}, which no report defines")


def claim_victims(staged: Staged, ctx: Context) -> list[Problem]:
    """Victims are Civilians, Unknown, or actors of the event the claim is about.

    Names are coded once per distinct list (names.coded) and each claim's victims compared as
    integers with its own event's few actors (names.Members): no name is hashed per row.
    """
    d, claim_def = ctx.first, ctx.claim_first
    c = staged.claims[["file", "report_id", "event_key", "claim", "victims"]]
    columns = [(d[col], True) for col in ("actor1", "actor2", "assoc_actor_1", "assoc_actor_2")] + [(c["victims"], True)]
    (*actors, victims), _ = coded(columns, resolve=ctx.actors)
    members = Members(np.concatenate([a.row for a in actors]), np.concatenate([a.code for a in actors]),
                      np.zeros(sum(len(a.row) for a in actors), dtype=np.int8), len(d))
    event = claim_def[victims.row]  # claims about undefined events (-1) are another check's problem
    special = isin(victims.names.str.lower(), [vocab.CIVILIANS.lower(), vocab.UNKNOWN.lower()]).to_numpy()[victims.at]
    stranger = (event >= 0) & ~special & (members.first_group(event, victims.code) < 0)
    if not stranger.any():
        return []
    written = pd.Series(victims.names.to_numpy()[victims.at[stranger]], index=c.index[victims.row[stranger]])
    listed = written.groupby(level=0).agg(lambda g: ", ".join(map(repr, g)))
    return located(c, c.index.isin(listed.index), "victim_not_in_event", "victims",
                   lambda row: f"victim(s) {listed[row.name]} are not actors of event {row.event_key!r}: "
                   f"name actor1, actor2 or an associated actor, or use {vocab.CIVILIANS} or {vocab.UNKNOWN}")


def duplicate_events(staged: Staged, ctx: Context) -> list[Problem]:
    """Same actors, place and day under two keys: probably one event coded twice (a warning).

    The actor pair (in either order), country, location (any case) and day are compared as codes.
    """
    d = ctx.first
    actors = pd.factorize(pd.concat([canonical(d["actor1"], ctx.actors), canonical(d["actor2"], ctx.actors)],
                                    ignore_index=True))[0].reshape(2, -1)
    key = pd.DataFrame({"one": actors.min(axis=0), "other": actors.max(axis=0),
                        "country": pd.factorize(filled(d["country"]))[0],
                        "location": pd.factorize(text(filled(d["location"])).str.lower())[0],
                        "day": d["date_start"].to_numpy().astype("datetime64[D]").view("int64")}, index=d.index)
    dup = key.duplicated(keep=False)
    if not dup.any():
        return []
    group = key[dup].groupby(list(key.columns)).ngroup()
    keys = d.loc[dup, "event_key"].groupby(group).agg(sorted)
    return located(d, dup, "duplicate_event", "key",
                   lambda row: f"events {', '.join(keys[group[row.name]])} have the same actors, place and day: "
                   "one event coded twice?", severity=WARNING)


CHECKS: list[Check] = [
    duplicate_report_ids, report_vocabularies, event_vocabularies, event_actors, event_places,
    event_dates, conflicting_definitions, undefined_events, claim_victims, duplicate_events,
]


def run(staged: Staged, actors: pd.DataFrame, today: dt.date, keys: Keys, rows: ReportRows) -> list[Problem]:
    """Every check's problems, in the order of CHECKS (`keys` and `rows`: keys.coded and
    keys.report_rows of `staged`).

    The checks only read `staged` and the context, and spend much of their time in pyarrow,
    numpy and pandas kernels that release the GIL: two threads take them in turn (2.4 -> 1.5 s
    at a million events). Their problems are joined in the order of CHECKS, as if run one
    after another.
    """
    defined = definitions(staged)
    ctx = Context(resolver(actors), today, keys, rows, defined, *first_definitions(staged, keys, defined))
    found = threads.in_order([partial(check, staged, ctx) for check in CHECKS])
    return [p for each in found for p in each]
