"""Staged tables: raw input reshaped into typed rows, with no judgement applied yet.

Every kind of raw input (YAML reports, coding sheets, imports) is read into these three tables,
so the checks and the event step see one shape. Each row keeps its `file` and record keys so a
problem found later can still name where it came from.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from schemas import DATETIME, STR
from schemas.frames import joined_categories, solid, sorted_category

# Texts that repeat (a sheet's path on each of its rows, outlets, event types, actors, places,
# figures as phrased, the hash of a report's text, nearly always that of "" in a sheet) are held
# as categories from staging on, their categories sorted: at a million events they were 0.6 GB
# of the staged tables' 1.5 GB as text, and memory touched first costs this machine's kernel more
# the more a build holds (bench/RESULTS.md). Identifiers and free text (headline, notes, quotes)
# stay text. Sorted categories order, group and factorize as the texts do.
CATEGORY = "category"

from .problems import Problem

REPORT_COLUMNS = {
    "file": CATEGORY, "report_id": STR, "source": CATEGORY, "source_scale": CATEGORY, "published": DATETIME,
    "url": STR, "headline": STR, "language": CATEGORY, "text_sha256": CATEGORY, "draft": "bool",
    "n_events": "int64", "n_claims": "int64",
}
# An event entry either defines the event (defines=True, all fields) or only refers to it by key
# to add claims (defines=False, fields empty).
EVENT_COLUMNS = {
    "file": CATEGORY, "report_id": STR, "event_key": STR, "entry": "int64", "defines": "bool",
    "date_start": DATETIME, "date_end": DATETIME, "time_precision": "Int64",
    "event_type": CATEGORY, "sub_event_type": CATEGORY, "actor1": CATEGORY, "assoc_actor_1": CATEGORY,
    "actor2": CATEGORY, "assoc_actor_2": CATEGORY, "country": CATEGORY, "admin1": CATEGORY, "admin2": CATEGORY,
    "admin3": CATEGORY, "location": CATEGORY, "latitude": "float64", "longitude": "float64",
    "geo_precision": "Int64", "civilian_targeting": "boolean", "tags": CATEGORY, "notes": STR,
}
# Figures come either as a phrase (`killed`) or as explicit numbers (`killed_low` ...).
FIGURE_PARTS = ["low", "best", "high", "acled"]
# Explicit numbers are Arrow integers. Most claims give a phrase, and most coding sheets have no
# column of explicit numbers at all: their rows then share one array of nulls (`nulls`), and
# joining batches keeps each batch's as a chunk. As masked Int64 columns (numbers and a mask)
# the eight of them were 0.5 GB at 3M events, written as NA row by row and copied again when
# the batches were joined: fresh memory, at the parse's peak, for nothing.
COUNT = "int64[pyarrow]"
CLAIM_COLUMNS = {
    "file": CATEGORY, "report_id": STR, "event_key": STR, "claim": "int64", "claimant": CATEGORY,
    "victims": CATEGORY, "quote": STR,
    **{c: t for kind in ("killed", "wounded") for c, t in
       [(kind, CATEGORY), *[(f"{kind}_{p}", COUNT) for p in FIGURE_PARTS]]},
}
# What imported datasets say about their actors, so the registry can take in names that
# raw/actors.yaml does not list: ACLED's own inter codes (basis "acled"), codes inferred for UCDP
# GED's sides by its mapping table ("ucdp"), or, for an associated actor, the code of the actor it
# appears beside ("beside"). `rows` counts the records. Coded reports add nothing here.
ACTOR_COLUMNS = {"file": STR, "name": STR, "inter": "int64", "basis": STR, "rows": "int64"}
# The fields of an event definition that must agree wherever the same key is defined twice.
DEFINITION_FIELDS = [c for c in EVENT_COLUMNS if c not in ("file", "report_id", "event_key", "entry", "defines")]


def frame(rows: list[dict], columns: dict[str, object], coded: bool = True) -> pd.DataFrame:
    """A frame with exactly `columns`, in order and typed, from dict rows (missing keys are NA).

    Not `coded`, the categorical columns are left as text, for a frame that is only a piece of
    one to be joined by `concat`, which codes them once: coding each of a hundred pieces of a
    parse and then joining their categories made a 100,000-report build 29.8 s against 27.6 s
    (one pair of builds, by hand)."""
    if not coded:
        columns = {c: STR if t == CATEGORY else t for c, t in columns.items()}
    if not rows:  # a build makes dozens of empty frames: typing one costs 5 ms, copying a typed one 0.2 ms
        return _empty(tuple(columns.items())).copy()
    return typed(pd.DataFrame.from_records(rows, columns=list(columns)), columns)


def typed(df: pd.DataFrame, columns: dict[str, object]) -> pd.DataFrame:
    """`df[columns]` cast to the types of `columns`, the categories sorted (frames.sorted_category)."""
    out = df[list(columns)].astype({c: t for c, t in columns.items() if t != CATEGORY})
    for c, t in columns.items():
        if t == CATEGORY:
            out[c] = sorted_category(out[c])
    return out


def concat(frames: list[pd.DataFrame], columns: dict[str, object]) -> pd.DataFrame:
    """Typed frames (`typed`) one after another, with a fresh index: each categorical column's
    categories are the union of the frames' (`pd.concat` gives text where they differ)."""
    if len(frames) == 1:
        return typed(frames[0], columns).reset_index(drop=True)
    cats = [c for c, t in columns.items() if t == CATEGORY]
    # Text only (the pieces of a parse, `frame(..., coded=False)`): joined with the rest, coded once.
    coded = {c: joined_categories([f[c] for f in frames]) for c in cats
             if any(isinstance(f[c].dtype, pd.CategoricalDtype) for f in frames)}
    out = pd.concat([f.drop(columns=list(coded)) for f in frames] if coded else frames, ignore_index=True)
    for c in cats:
        out[c] = coded.pop(c) if c in coded else sorted_category(out[c])
    return typed(out, columns)


def constant(text: str, index: pd.Index) -> pd.Series:
    """`text` on every row of `index`, as the one-category column a staged category is (a
    sheet's path on each of its rows): spelled out and then coded, 25 ms a 575,000-row sheet."""
    codes = np.zeros(len(index), dtype=np.int8)
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index([text], dtype=STR)), index=index)


def nulls(index: pd.Index) -> pd.Series:
    """A COUNT column of nulls on `index`: one shared buffer, however many columns use it."""
    return pd.Series(pa.nulls(len(index), pd.api.types.pandas_dtype(COUNT).pyarrow_dtype), index=index, dtype=COUNT)


@functools.cache
def _empty(columns: tuple[tuple[str, object], ...]) -> pd.DataFrame:
    return typed(pd.DataFrame(columns=[c for c, _ in columns]), dict(columns))


@dataclass
class Staged:
    """The three staged tables of one or more raw inputs, plus what was wrong with them."""

    reports: pd.DataFrame
    events: pd.DataFrame
    claims: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    actors: pd.DataFrame = field(default_factory=lambda: frame([], ACTOR_COLUMNS))
    # sha256 of raw files a reader already hashed (path relative to raw/), reused by the fingerprint
    digests: dict[str, str] = field(default_factory=dict)

    @classmethod
    def empty(cls, problems: list[Problem] | None = None) -> Staged:
        """No rows (what reading no file gives), with `problems`."""
        return cls(frame([], REPORT_COLUMNS), frame([], EVENT_COLUMNS), frame([], CLAIM_COLUMNS), list(problems or []))

    @classmethod
    def concat(cls, parts: list[Staged]) -> Staged:
        """The parts joined, in order. The parts are consumed (their tables are dropped), so that
        each column's pieces are freed as soon as the joined column is made: at a million
        events, joining would otherwise hold every table twice."""
        if not parts:
            return cls.empty()

        def joined(name: str, columns: dict[str, object]) -> pd.DataFrame:
            frames = [getattr(p, name) for p in parts]
            for p in parts:
                setattr(p, name, None)
            return _concat(frames, columns)

        return cls(
            reports=joined("reports", REPORT_COLUMNS),
            events=joined("events", EVENT_COLUMNS),
            claims=joined("claims", CLAIM_COLUMNS),
            problems=[x for p in parts for x in p.problems],
            actors=joined("actors", ACTOR_COLUMNS),
            digests=_merged([p.digests for p in parts]),
        )


def _merged(dicts: list[dict[str, str]]) -> dict[str, str]:
    """The dicts as one, later keys winning; the one that is not empty as it is (the YAML
    reader's digests of a hundred thousand reports: copying them took 0.04 s of every build)."""
    full = [d for d in dicts if d]
    if len(full) == 1:
        return full[0]
    return {k: v for d in full for k, v in d.items()}


def _concat(frames: list[pd.DataFrame], columns: dict[str, object]) -> pd.DataFrame:
    """`frames` joined (the list is emptied), each Arrow column one chunk (schemas.frames.solid)
    but the notes, the widest: combining them would briefly hold them twice, the peak of a
    million-event parse. The checks select their rows with filter_rows; the event step takes
    them chunk by chunk (schemas.frames.take_chunks)."""
    kept = [f for f in frames if len(f)]
    frames.clear()
    if not kept:
        return frame([], columns)
    out = concat(kept, columns)  # Arrow columns: the parts' chunks, not copies
    kept.clear()
    return solid(out, leave=("notes",))
