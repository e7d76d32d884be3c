"""The judgement step: staged tables -> the published events, claims and reports tables.

Pure functions from frames to frames. Here phrases become ranges (rules/phrases), claims get a
victim group and a stance (rules/claimants), multi-day events become one row per day
(rules/days), claims are aggregated per victim group (rules/aggregate), and the ACLED-derived
columns are computed from the vocabularies, never typed by hand.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import schemas
from schemas import vocab
from schemas.frames import (arrow_text, as_category, categorical, day_text, decoded, emptied, factorized, filled,
                            is_blank, per_distinct, positions, rows_at, solid, take_chunks)
from schemas.frames import text as as_text

from . import memory, threads
from .ids import assign
from .keys import Keys, ReportRows, first, lexorder, rows_of
from .problems import Problem, problem
from .release import ROW_GROUP_ROWS
from .names import canonical, canonical_lists
from .readers.actors import resolver
from .rules import aggregate, claimants, days, phrases
from .staged import Staged

# Victim words that are not actors, in their published spelling.
VICTIM_WORDS = {vocab.CIVILIANS.lower(): vocab.CIVILIANS, vocab.UNKNOWN.lower(): vocab.UNKNOWN}
NOTE_MULTI_DAY = ("[Multi-day event {key}: {start} to {end}, day {day} of {n}. Each claim's figures "
                  "were divided evenly over the {n} days, earlier days taking any remainder.]")


@dataclass
class Tables:
    events: pd.DataFrame
    claims: pd.DataFrame
    reports: pd.DataFrame
    registry: pd.DataFrame

    def published(self) -> dict[str, pd.DataFrame]:
        return {"events": self.events, "claims": self.claims, "reports": self.reports}


# -- figures ---------------------------------------------------------------------------------

FIGURE_COLUMNS = ["low", "best", "high", "acled", "rule", "text"]


def read_figures(staged: Staged, rows: ReportRows) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Ranges for "killed" and "wounded" of every staged claim, and unreadable phrases.

    Each distinct (phrase, language) is read once and joined back, so a million claims cost as
    many parser calls as they have distinct phrasings. Explicit {low, best, high} mappings are
    used as given, their ACLED value defaulting to low.
    """
    language = filled(pd.Series(rows.reports["language"].array.take(rows.claim_report, allow_fill=True),
                                index=staged.claims.index), "en")
    figures, problems = {}, []
    for kind in ("killed", "wounded"):
        figures[kind], found = _read_kind(staged.claims, language, kind)
        problems += found
    return figures, problems


def _read_kind(c: pd.DataFrame, language: pd.Series, kind: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Ranges for `kind` of the claims `c`, read in each claim's `language`."""
    explicit = c[f"{kind}_low"].notna()
    phrase = filled(c[kind])  # categorical (staged): coded by its own codes below
    to_read = ~explicit & (phrase != "")
    # (phrase, language) pairs coded as integers: each distinct pair is read once and spread back.
    text_code, texts = factorized(phrase)
    lang_code, langs = factorized(language)
    pair_code, pairs = pd.factorize(text_code.astype(np.int64) * max(len(langs), 1) + lang_code)
    wanted = np.zeros(len(pairs), dtype=bool)
    wanted[pair_code[to_read.to_numpy()]] = True
    table = phrases.table()
    readings, read = np.zeros((len(pairs), 4), dtype=np.int64), np.zeros(len(pairs), dtype=bool)
    rules = np.full(len(pairs), None, dtype=object)
    errors_ = {}
    for i in np.flatnonzero(wanted):
        text, lang = texts[pairs[i] // max(len(langs), 1)], langs[pairs[i] % max(len(langs), 1)]
        try:
            r = table.read(text, lang)
            readings[i], read[i], rules[i] = (r.low, r.best, r.high, r.acled), True, r.rule
        except phrases.PhraseError as err:
            errors_[(text, lang)] = str(err)
    out = pd.DataFrame({col: pd.arrays.IntegerArray(readings[pair_code, j], ~read[pair_code])
                        for j, col in enumerate(("low", "best", "high", "acled"))}, index=c.index)
    # The rule and the text as categories: a few hundred phrasings for millions of claims, so
    # the claims table never holds them as text (claim_table, the build's memory peak).
    rule_code, rule_names = pd.factorize(pd.array(rules, dtype="str").fillna(""))
    out["rule"] = pd.Series(pd.Categorical.from_codes(rule_code[pair_code], categories=pd.Index(rule_names, dtype="str")),
                            index=c.index)
    shown = pd.Index(texts, dtype="str").append(pd.Index([""], dtype="str")).drop_duplicates()  # "" where none is read
    out["text"] = pd.Series(pd.Categorical.from_codes(np.where(to_read.to_numpy(), text_code, shown.get_loc("")),
                                                      categories=shown), index=c.index)
    problems: list[Problem] = []
    if errors_:
        bad = to_read & pd.Series([(t, g) in errors_ for t, g in zip(phrase, language)], index=c.index)
        for idx in c.index[bad.to_numpy()]:
            row = c.loc[idx]
            problems.append(problem("unreadable_phrase", errors_[(phrase[idx], language[idx])], file=row.file,
                                    report_id=row.report_id, event_key=row.event_key, claim=row.claim, field=kind))
    if explicit.any():
        e = c[explicit]
        out.loc[explicit, "low"] = e[f"{kind}_low"]
        out.loc[explicit, "best"] = e[f"{kind}_best"]
        out.loc[explicit, "high"] = e[f"{kind}_high"]
        out.loc[explicit, "acled"] = e[f"{kind}_acled"].fillna(e[f"{kind}_low"])
        out["rule"] = _put(out["rule"], explicit, pd.Series("explicit", index=e.index, dtype="str"))
        out["text"] = _put(out["text"], explicit, as_text(e[kind]).where(~is_blank(e[kind]), "{low: " + e[f"{kind}_low"].astype("str")
                                                                + ", best: " + e[f"{kind}_best"].astype("str") + ", high: "
                                                                + e[f"{kind}_high"].astype("str") + "}").astype("str"))
    for col in ("low", "best", "high", "acled"):
        out[col] = out[col].astype("Int64")
    return out[FIGURE_COLUMNS], problems


def _put(values: pd.Series, where: pd.Series, new: pd.Series) -> pd.Series:
    """The categorical `values` with `new` (text) at the rows `where` holds."""
    added = pd.Index(new.unique(), dtype="str").difference(values.cat.categories)
    values = values.cat.add_categories(added) if len(added) else values.copy()
    values[where.to_numpy(dtype=bool)] = new.to_numpy()
    return values


# -- events ----------------------------------------------------------------------------------
# Events are built by index: `defs` holds one narrow row per event key (its first definition),
# day rows point at a definition, claim rows at a claim and a day row, and every published column
# is taken once from its source in final order. Wide text (notes) is never copied twice.

DEF_COLUMNS = ["event_key", "date_start", "date_end", "event_type", "sub_event_type", "actor1", "actor2",
               "assoc_actor_1", "assoc_actor_2", "country", "civilian_targeting"]
# Published event columns copied from the staged definition as they are.
FROM_STAGED = ["time_precision", "admin1", "admin2", "admin3", "location", "latitude", "longitude",
               "geo_precision", "tags", "notes"]


def event_definitions(staged: Staged, resolve: dict[str, str], inter: dict[str, int], keys: Keys
                      ) -> tuple[pd.DataFrame, np.ndarray]:
    """One narrow row per event key (its first definition by file and entry), codes derived, and
    each key's row among them (indexed by the codes of `keys`; -1 for a key never defined).

    `pos` is the definition's position in staged.events, for taking the wide columns later.
    """
    ev = staged.events
    pos = np.flatnonzero(ev["defines"].to_numpy(dtype=bool))
    file_code = pd.factorize(ev["file"].iloc[pos], sort=True)[0]
    pos = pos[lexorder((ev["entry"].to_numpy()[pos], file_code))]
    pos = pos[first(keys.event_key[pos])]
    def_of_key = rows_of(keys.event_key[pos], keys.n_keys)
    d = ev[DEF_COLUMNS].iloc[pos].reset_index(drop=True)
    d["pos"] = pos
    for col in ("actor1", "actor2"):
        d[col] = canonical(d[col], resolve)
    for col in ("assoc_actor_1", "assoc_actor_2"):
        d[col] = canonical_lists(d[col], resolve)
    d["inter1"] = per_distinct(d["actor1"], inter, "int64")
    d["inter2"] = per_distinct(filled(d["actor2"]), lambda a: inter.get(a, 0), "int64")
    lo = np.where(d["inter2"] > 0, np.minimum(d["inter1"], d["inter2"]), d["inter1"])
    hi = np.where(d["inter2"] > 0, np.maximum(d["inter1"], d["inter2"]), 0)
    d["interaction"] = lo * 10 + hi
    table = list(vocab.countries().values())
    code = positions(d["country"], pd.Series([c.name for c in table]))
    d["country_code"] = code
    d["iso"] = np.array([c.iso for c in table], dtype="int64")[code]
    d["iso3"] = pd.Series(pd.array([c.iso3 for c in table], dtype="str").take(code))
    d["region"] = pd.Series(pd.array([c.region for c in table], dtype="str").take(code))
    d["disorder_type"] = per_distinct(d["sub_event_type"], vocab.SUB_EVENT_TO_DISORDER, "str")
    targeted = d["civilian_targeting"].fillna(False).astype(bool) | (d["event_type"] == vocab.VIOLENCE_AGAINST_CIVILIANS)
    d["civilian_targeting"] = pd.Series(pd.array(["", vocab.CIVILIANS_TARGETED], dtype="str").take(targeted.to_numpy().astype(np.int64)))
    d["n_days"] = ((d["date_end"] - d["date_start"]).dt.days + 1).astype("int64")
    for col in ("actor2", "assoc_actor_1", "assoc_actor_2"):
        d[col] = filled(d[col])
    # Text of a few thousand values held as categories: each part of the events takes their codes
    # and decodes them from the categories (_finish), not from a column of a million rows, one
    # cache miss per row (a third of the time); the claims' classification reads the same codes.
    for col in ("actor1", "actor2", "assoc_actor_1", "assoc_actor_2", "civilian_targeting"):
        d[col] = as_category(d[col])
    # Published categories are coded here, once per event, so taking them per row moves codes only.
    dtypes = schemas.pandas_dtypes(schemas.Events)
    for col in ("disorder_type", "event_type", "sub_event_type", "region", "country"):
        d[col] = categorical(d[col], dtypes[col])
    return d, def_of_key


def event_sources(n_keys: int, event_def: np.ndarray, claim_def: np.ndarray, rows: ReportRows) -> pd.DataFrame:
    """Per event definition (`n_keys` of them), in their order: outlets in order of first
    publication, their scales, count and newest publication date. `event_def` and `claim_def`
    give each staged event's and claim's definition (-1: none).

    Events, reports, outlets and scales come coded as integers, so deduplicating, sorting and
    grouping three million (event, report) pairs run on integers, and each event's outlets are
    joined by pyarrow in one call: a quarter of the events of real coding have several outlets,
    and joining them event by event in Python took 5 s for 200,000 events.
    """
    reports = rows.reports
    event = np.concatenate([event_def, claim_def])
    report = np.concatenate([rows.event_report, rows.claim_report])
    valid = (event >= 0) & (report >= 0)  # dropped before coding pairs: (1, -1) would code as (0, n - 1)
    event, report = event[valid], report[valid]
    keep = ~pd.Series(event * max(len(reports), 1) + report).duplicated().to_numpy()
    event, report = event[keep], report[keep]
    # Each (event, report) pair once per outlet of the report: one, or each outlet an imported
    # record lists in its source.
    source, source_names = factorized(filled(reports["source"]))
    offsets, outlet_of, outlet_names = _outlets(source_names)
    begin, pieces = offsets[source[report]], np.diff(offsets)[source[report]]
    pair = np.repeat(np.arange(len(report)), pieces)
    outlet = outlet_of[begin[pair] + np.arange(len(pair)) - np.repeat(np.cumsum(pieces) - pieces, pieces)]
    event, report = event[pair], report[pair]
    published = reports["published"].to_numpy()[report]
    order = lexorder((outlet, published, event))
    event, outlet, published, report = event[order], outlet[order], published[order], report[order]
    first = ~pd.Series(event * (len(outlet_names) + 1) + outlet).duplicated().to_numpy()  # each outlet's first report
    first_event, first_outlet, first_report = event[first], outlet[first], report[first]
    starts = np.flatnonzero(np.r_[True, first_event[1:] != first_event[:-1]]) if len(first_event) else first_event
    listed = pa.LargeListArray.from_arrays(pa.array(np.r_[starts, len(first_event)], type=pa.int64()),
                                           pa.array(outlet_names, type=pa.large_string()).take(pa.array(first_outlet)))
    scale, scale_names = factorized(reports["source_scale"])
    at = pd.Index(first_event[starts])  # the events with an outlet, in order
    out = pd.DataFrame(index=pd.RangeIndex(n_keys))
    joined = pc.binary_join(listed, pa.scalar(vocab.LIST_SEP, pa.large_string()))
    out["source"] = pd.Series(pd.array(joined, dtype="str"), index=at).reindex(out.index)
    out["source_scale"] = pd.Series(_scales(scale[first_report], scale_names, starts), index=at, dtype="str").reindex(out.index)
    out["n_sources"] = np.bincount(first_event, minlength=n_keys).astype("int64")
    # The newest publication of each event: the rows are sorted by event, then date (missing
    # dates last), so it is the last dated row of each event's run, not a groupby.
    dated = ~np.isnat(published)
    dated_event, published = event[dated], published[dated]
    last = np.flatnonzero(np.r_[dated_event[1:] != dated_event[:-1], True]) if len(dated_event) else dated_event
    newest = np.full(n_keys, np.datetime64("NaT"), dtype=published.dtype)
    newest[dated_event[last]] = published[last]
    out["timestamp"] = (pd.Series(newest) - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    for col in ("source", "source_scale"):  # a few outlets and scales: taken as codes (event_definitions)
        out[col] = as_category(out[col])
    return out


def _outlets(sources: pd.Index) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The outlets of each distinct source (one, or those an imported record lists, joined by
    LIST_SEP): source i's are `codes[offsets[i]:offsets[i + 1]]`, codes of `names` (sorted)."""
    split = [s.split(vocab.LIST_SEP) for s in sources]
    names = sorted({o for outlets in split for o in outlets})
    code = {o: i for i, o in enumerate(names)}
    offsets = np.cumsum([0, *map(len, split)], dtype=np.int64)
    return offsets, np.array([code[o] for outlets in split for o in outlets], dtype=np.int64), names


def _scales(scale: np.ndarray, names: pd.Index, starts: np.ndarray) -> np.ndarray:
    """The source scale of each event, whose outlets' scales are the runs of `scale` (codes of
    `names`, -1 missing) beginning at `starts`: one outlet's scale as written, unless it joins
    words by '-'; those, and several outlets' words, each once in ACLED's order
    (National-International), words not ACLED's dropped."""
    bits = {w: 1 << i for i, w in enumerate(vocab.SOURCE_SCALES)}

    def spelled(mask: int) -> str:
        return "-".join(w for w, bit in bits.items() if mask & bit)

    masks = np.array([sum(bits.get(w, 0) for w in set(s.split("-"))) for s in names] + [0], dtype=np.int64)
    alone = np.array([s if "-" not in s else spelled(m) for s, m in zip(names, masks.tolist())] + [None], dtype=object)
    mask = np.bitwise_or.reduceat(masks[scale], starts) if len(starts) else np.zeros(0, dtype=np.int64)
    several = pd.Series(mask).map({m: spelled(m) for m in np.unique(mask).tolist()}).to_numpy(dtype=object)
    single = np.diff(np.r_[starts, len(scale)]) == 1
    return np.where(single, alone[scale[starts]], several)


# -- claims ----------------------------------------------------------------------------------

CLAIM_FIGURES = {"fatalities_low": ("killed", "low"), "fatalities_best": ("killed", "best"),
                 "fatalities_high": ("killed", "high"), "fatalities_acled": ("killed", "acled"),
                 "wounded_low": ("wounded", "low"), "wounded_best": ("wounded", "best"),
                 "wounded_high": ("wounded", "high")}


def claim_table(staged: Staged, defs: pd.DataFrame, claim_def: np.ndarray, figures: dict[str, pd.DataFrame],
                resolve: dict[str, str], rows: ReportRows) -> pd.DataFrame:
    """One row per staged claim: its definition (`claim_def`), canonical victims, claimant actor,
    group, stance."""
    c = staged.claims
    reports, claim_report = rows.reports, rows.claim_report
    out = pd.DataFrame(index=c.index)
    out["def"] = claim_def
    # Few distinct texts in millions of rows: held as categories, each part takes small codes and
    # decodes them (_finish) instead of taking text from a column of millions of rows; classify
    # reads the same codes. The phrases and rules come as categories from read_figures.
    out["victims"] = as_category(canonical_lists(c["victims"], resolve, special=VICTIM_WORDS))
    out["claimant_actor"] = as_category(canonical(c["claimant"], resolve, default=""))
    outlet, outlets = factorized(reports["source"])
    # The outlet as a category (a few dozen outlets for millions of claims): rows move as codes.
    out["source"] = pd.Categorical.from_codes(outlet[np.maximum(claim_report, 0)], categories=outlets)
    group, stance = claimants.classify(defs, out["def"].to_numpy(), out["victims"], out["claimant_actor"])
    out["victim_group"] = pd.Categorical.from_codes(group, dtype=schemas.pandas_dtypes(schemas.Claims)["victim_group"])
    out["stance"] = pd.Categorical.from_codes(stance, dtype=schemas.pandas_dtypes(schemas.Claims)["stance"])
    for column, (kind, part) in CLAIM_FIGURES.items():
        out[column] = figures[kind][part]
    for kind in ("killed", "wounded"):
        out[kind] = figures[kind]["text"]
        out[f"{kind}_rule"] = figures[kind]["rule"]
    return out


# -- assembly --------------------------------------------------------------------------------

@dataclass
class Assembly:
    """Everything the published rows are taken from, worked out once over all events: codes,
    IDs, per-row totals and the published order of event rows and claim rows.

    The wide rows are then taken a slice of the published order at a time (`claim_rows`,
    `event_rows`), so a release can be validated and written part by part and memory is bounded
    by the staged input and one part, not by the whole output. Any slicing gives the same rows.
    """

    staged: Staged
    defs: pd.DataFrame
    sources: pd.DataFrame
    claims: pd.DataFrame | None  # claim_table, one row per staged claim; freed by drop_claims
    registry: pd.DataFrame
    row_def: np.ndarray  # event rows in build order: definition, day of the event, date, ID
    row_day: np.ndarray
    row_date: np.ndarray
    row_id: pd.Series
    totals: dict[str, np.ndarray]
    event_order: np.ndarray  # build-order event rows in published order
    cr_claim: np.ndarray  # claim rows in build order: staged claim, day, days, event row
    cr_day: np.ndarray
    cr_ndays: np.ndarray
    cr_row: np.ndarray
    split: dict[str, pd.Series] | None  # each claim row's share of the claim's figures
    claim_order: np.ndarray  # build-order claim rows in published order

    @property
    def n_events(self) -> int:
        return len(self.event_order)

    @property
    def n_claims(self) -> int:
        return len(self.claim_order)

    def claim_rows(self, start: int, stop: int) -> pd.DataFrame:
        """Rows start..stop of the published claims table."""
        at = self.claim_order[start:stop]
        return _claims(self.staged, self.claims, self.cr_claim[at], self.cr_day[at], self.cr_ndays[at],
                       self.cr_row[at], self.row_id, self.row_date, {k: v.iloc[at] for k, v in self.split.items()})

    def drop_claims(self) -> None:
        """Free what only the claims table needs (staged claims, readings): before the events."""
        self.claims = self.split = None
        self.staged.claims = emptied(self.staged.claims)
        memory.give_back()

    def event_rows(self, start: int, stop: int) -> pd.DataFrame:
        """Rows start..stop of the published events table."""
        at = self.event_order[start:stop]
        return _events(self.staged, self.defs, self.sources, self.row_def[at], self.row_day[at], self.row_date[at],
                       self.row_id.iloc[at].reset_index(drop=True), {k: v[at] for k, v in self.totals.items()})


def reports_order(reports: pd.DataFrame) -> np.ndarray:
    """The staged reports' rows in order of ID (the published order)."""
    if reports["report_id"].is_monotonic_increasing:  # usually already in order: no copy then
        return np.arange(len(reports))
    return reports["report_id"].argsort(kind="stable").to_numpy()


def reports_table(reports: pd.DataFrame, by_id: np.ndarray) -> pd.DataFrame:
    """The published reports table: the staged `reports` at rows `by_id` (reports_order)."""
    return _finish(rows_at(reports.rename(columns={"file": "raw_path"}), by_id), "reports")


# Notes of up to this many bytes are joined into one chunk by `assemble`: a part's notes are
# then one gather (0.005 s for 28,000 of 100,000 reports' notes, in three chunks 0.01-0.16 s).
# Longer ones stay in chunks: joining them would hold them twice at the event step, the build's
# peak (half a gigabyte more at a million events).
NOTES_JOINED_UP_TO = 128 * 1024**2


def assemble(staged: Staged, actors: pd.DataFrame, registry: pd.DataFrame, figures: dict[str, pd.DataFrame],
             rows: ReportRows, keys: Keys, by_id: np.ndarray) -> Assembly:
    """The narrow, whole-table half of the event step (`figures`: "killed" and "wounded", from
    read_figures; `rows` and `keys` from keys.report_rows and keys.coded; `by_id` from
    reports_order). `figures` is emptied once read; `staged` is kept by the Assembly, its
    reports are freed here and its claims by `drop_claims`. Callers must not use them afterwards.
    """
    resolve = resolver(actors)
    inter = dict(zip(actors["name"], actors["inter"]))
    defs, def_of_key = event_definitions(staged, resolve, inter, keys)
    event_def, claim_def = def_of_key[keys.event_key], def_of_key[keys.claim_key]
    # The staged input is trimmed as the steps below finish with it: a third of it at a million events.
    # Every take from a chunked column joins its chunks first: the columns the event parts take
    # are joined here, once (a no-op when staged.py did), and the notes, the widest, unless they
    # are longer than NOTES_JOINED_UP_TO: _notes then takes them chunk by chunk.
    notes = staged.events["notes"].array.__arrow_array__()
    staged.events = solid(staged.events[FROM_STAGED], leave=("notes",) if notes.nbytes > NOTES_JOINED_UP_TO else ())
    del notes
    n_days = defs["n_days"].to_numpy()
    first_row = np.cumsum(n_days) - n_days
    row_def, row_day = days.spread(n_days)  # one event row per day
    row_date = defs["date_start"].to_numpy()[row_def] + row_day.astype("timedelta64[D]")
    event_rows = pd.DataFrame({"event_key": defs["event_key"].iloc[row_def].reset_index(drop=True),
                               "event_date": pd.Series(row_date).astype("datetime64[us]"),
                               "iso3": defs["iso3"].iloc[row_def].reset_index(drop=True)})

    claims = claim_table(staged, defs, claim_def, figures, resolve, rows)
    figures.clear()
    staged.claims = staged.claims[[*CLAIMS_FROM_STAGED, "claim"]]
    # IDs are assigned on a second thread while the claims' figures are spread over their
    # event's days and summed per row: neither needs the other, both are mostly kernels that
    # release the GIL, and memory is below its peak (claim_table) by then.
    with threads.beside(assign, event_rows, registry) as assigning:
        del event_rows
        reps = n_days[claim_def]
        cr_claim, cr_day = days.spread(reps)  # one claim row per day of its event
        cr_row = first_row[claim_def[cr_claim]] + cr_day
        cr_ndays = reps[cr_claim]
        split = {col: days.shares(claims[col].iloc[cr_claim].reset_index(drop=True), pd.Series(cr_ndays), pd.Series(cr_day))
                 for col in CLAIM_FIGURES}
        claims = claims[CLAIMS_FROM_TABLE]  # the figures are split by day now: their claim columns go
        per_row = aggregate.by_row(cr_row, claims["victim_group"].cat.codes.to_numpy()[cr_claim],
                                   claims["stance"].cat.codes.to_numpy()[cr_claim], split, len(row_def))
        # Claims in published order: by their event's row, then report, claim and day. All but
        # the event's row are known before the IDs: the claim rows are sorted by those here, and
        # by their event's row (a stable sort) once the IDs give the events' order.
        c = staged.claims
        # Each claim's report ranked in the reports' published order (by ID): the rows of the
        # reports rank the claims when every claim has one, without coding the claims' IDs again.
        if len(rows.reports) == len(by_id) and (rows.claim_report >= 0).all():  # rows.reports are the staged reports
            report_code = rows_of(by_id, len(by_id))[rows.claim_report]
        else:
            report_code = pd.factorize(c["report_id"], sort=True)[0]
        c_order = lexorder((cr_day, c["claim"].to_numpy()[cr_claim], report_code[cr_claim]))
        del report_code
        # What claim_table and the spreading freed goes back before waiting on the IDs' thread:
        # malloc keeps freed blocks within a step (memory.kept_heap), and the wait was the 3M
        # peak. What that thread frees is reused by the ordering below, not given back.
        memory.give_back()
    # Each event's outlets are made on a thread of their own from here on, needing none of the
    # steps below: beside the IDs' thread while this one waits for it, then beside the ordering
    # (kernels that release the GIL). Started after the IDs, as it was, this thread only waited.
    with threads.beside(event_sources, len(defs), event_def, claim_def, rows) as outlets:
        ids, registry = assigning.result()
        number = np.asarray(pc.cast(pc.utf8_slice_codeunits(ids.array.__arrow_array__(), 3), pa.int64()))  # MLI12 -> 12
        order = lexorder((number, row_date, defs["country_code"].to_numpy()[row_def]))
        rank = rows_of(order, len(order))  # each event row's place in the published order
        del rows, event_def
        c_order = c_order[lexorder((rank[cr_row[c_order]],))]  # = lexorder((day, claim, report, rank))
        staged.reports = emptied(staged.reports)
    # The claim rows are taken in published order a part at a time (claim_rows), on the thread
    # that makes the parts, not all at once here, where one core would wait (0.3 s at a million).
    return Assembly(staged, defs, outlets.result(), claims, registry, row_def, row_day, row_date, ids,
                    per_row, order, cr_claim, cr_day, cr_ndays, cr_row, split, c_order)


def _events(staged: Staged, defs: pd.DataFrame, sources: pd.DataFrame, row_def: np.ndarray, row_day: np.ndarray,
            row_date: np.ndarray, row_id: pd.Series, totals: dict[str, np.ndarray]) -> pd.DataFrame:
    """The events table in final order, each source's columns taken at once (one check of the
    rows, numbers taken a block at a time) and joined side by side, not set one by one."""
    at = defs["pos"].to_numpy()[row_def]  # each row's definition in staged.events
    date = pd.Series(row_date).astype("datetime64[us]")
    defined = _taken(defs, FROM_DEFINITIONS, row_def)
    notes = _notes(staged.events["notes"], at, defined["event_key"], row_date, row_day, defined["n_days"].to_numpy())
    e = pd.concat([pd.DataFrame({"event_id_cnty": row_id, "event_date": date, "year": date.dt.year.astype("int64")}),
                   defined, _taken(staged.events, [c for c in FROM_STAGED if c != "notes"], at),
                   pd.DataFrame({"notes": notes}), _taken(sources, FROM_SOURCES, row_def), pd.DataFrame(totals)], axis=1)
    return _finish(e, "events")


# Published events columns taken from the event definitions and from the events' outlets.
FROM_DEFINITIONS = ["disorder_type", "event_type", "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2",
                    "assoc_actor_2", "inter2", "interaction", "civilian_targeting", "iso", "region", "country",
                    "event_key", "n_days"]
FROM_SOURCES = ["source", "source_scale", "n_sources", "timestamp"]


def _taken(df: pd.DataFrame, columns: list[str], at: np.ndarray) -> pd.DataFrame:
    """`columns` of `df` at positions `at`, with a fresh index."""
    return df[columns].take(at).reset_index(drop=True)


def _notes(notes: pd.Series, at: np.ndarray, keys: pd.Series, row_date: np.ndarray, row_day: np.ndarray,
           n_days: np.ndarray) -> pd.Series:
    """Each row's notes (`notes` at `at`), multi-day rows with NOTE_MULTI_DAY appended.

    Notes are the widest column (half a gigabyte at a million events), so they are taken block
    by block, one Parquet row group each: pyarrow grows a taken text column by doubling, and one
    take of the whole column briefly holds nearly twice its size. Blocks cut at row-group
    boundaries write the same Parquet bytes as one chunk.

    Notes joined into one chunk (`assemble`, NOTES_JOINED_UP_TO): each block is one gather, and
    its multi-day rows' texts replace theirs. Notes left in chunks: the multi-day texts are one
    chunk more, and take_chunks takes each block's rows chunk by chunk and puts them in order
    (replacing after that would copy each block once more, as many more bytes as it holds).
    """
    source = pa.chunked_array(notes.array.__arrow_array__()).cast(pa.large_string())
    multi = n_days > 1
    appended = None  # the multi-day rows' texts, to replace theirs in the blocks taken
    if multi.any():
        first = row_date[multi] - row_day[multi].astype("timedelta64[D]")
        note = _formatted(NOTE_MULTI_DAY, key=_text(keys[multi].array), start=day_text(first),
                          end=day_text(first + (n_days[multi] - 1).astype("timedelta64[D]")),
                          day=_text(row_day[multi] + 1), n=_text(n_days[multi]))
        own = pc.fill_null(take_chunks(source, at[multi], memory.scratch_pool()), "")
        appended = pc.utf8_trim_whitespace(pc.binary_join_element_wise(own, note, pa.scalar(" ", pa.large_string())))  # as str.strip()
        if source.num_chunks > 1:  # taken with the notes, as one chunk more
            at = at.astype(np.int64)  # a copy: the caller's positions stay as they are
            at[multi] = len(source) + np.arange(int(multi.sum()))
            source, appended = pa.chunked_array([*source.chunks, appended], type=pa.large_string()), None
    before = np.concatenate([[0], np.cumsum(multi)])  # multi-day rows before each row: where its text is in `appended`
    blocks = []
    for begin in range(0, len(at), ROW_GROUP_ROWS):
        end = min(begin + ROW_GROUP_ROWS, len(at))
        if appended is not None and before[end] > before[begin]:  # the gather is a step's intermediate: scratch
            gathered = take_chunks(source, at[begin:end], memory.scratch_pool(), memory.scratch_pool())
            blocks.append(pc.replace_with_mask(gathered, pa.array(multi[begin:end]), appended[before[begin]:before[end]]))
        else:
            blocks.append(take_chunks(source, at[begin:end], memory.scratch_pool()))
    return pd.Series(pd.array(pa.chunked_array(blocks, type=pa.large_string()), dtype="str"))


def _formatted(template: str, **values: pa.Array) -> pa.Array:
    """`template.format(**values)` for every row, joined by pyarrow: one kernel call, not a
    Python call per row (a hundred thousand multi-day rows at a million events)."""
    pieces: list[pa.Array | pa.Scalar] = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if literal:
            pieces.append(pa.scalar(literal, pa.large_string()))
        if name is not None:
            assert not spec and not conversion, "plain {name} fields only"
            pieces.append(values[name])
    return pc.binary_join_element_wise(*pieces, pa.scalar("", pa.large_string()))


def _text(values) -> pa.Array:
    """Text or integers as large_string, as str() writes them."""
    arr = values.__arrow_array__() if hasattr(values, "__arrow_array__") else pa.array(values)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


# Published claims columns copied from the staged claims as they are, and from claim_table.
CLAIMS_FROM_STAGED = ["event_key", "report_id", "claimant", "quote"]
CLAIMS_FROM_TABLE = ["source", "claimant_actor", "stance", "victims", "victim_group", "killed", "killed_rule",
                 "wounded", "wounded_rule"]


def _claims(staged: Staged, claims: pd.DataFrame, src: np.ndarray, day: np.ndarray, ndays: np.ndarray,
            row: np.ndarray, row_id: pd.Series, row_date: np.ndarray, split: dict[str, pd.Series]) -> pd.DataFrame:
    """Claims table rows: staged claim `src`, day `day` of its `ndays`-day event, event row `row`."""
    c = staged.claims
    date = pd.Series(row_date[row]).astype("datetime64[us]")
    taken = _taken(c, CLAIMS_FROM_STAGED, src)
    out = pd.concat([pd.DataFrame({"event_id_cnty": row_id.iloc[row].reset_index(drop=True), "event_date": date}),
                     taken, _taken(claims, CLAIMS_FROM_TABLE, src),
                     pd.DataFrame({col: values.reset_index(drop=True) for col, values in split.items()}),
                     pd.DataFrame({"n_days": ndays})], axis=1)
    out["claim_id"] = _claim_ids(taken["report_id"], taken["event_key"], c["claim"].to_numpy()[src], date, ndays > 1)
    return _finish(out, "claims")


def _claim_ids(report_id: pd.Series, event_key: pd.Series, claim: np.ndarray, day: pd.Series,
               multi: np.ndarray) -> pd.Series:
    """report_id#event_key#claim, and @day for the rows of multi-day events, joined in one pass."""
    text = pa.large_string()
    suffix = pa.array([""], type=text)
    at = np.zeros(len(multi), dtype=np.int64)
    if multi.any():
        suffix = pa.concat_arrays([suffix, pc.binary_join_element_wise(pa.scalar("@", text), day_text(day[multi].to_numpy()),
                                                                       pa.scalar("", text))])
        at[multi] = np.arange(1, multi.sum() + 1)
    parts = [arrow_text(s).cast(text) for s in (report_id, event_key)]
    joined = pc.binary_join_element_wise(parts[0], pa.scalar("#", text), parts[1], pa.scalar("#", text),
                                         pc.cast(pa.array(claim), text), pc.take(suffix, pa.array(at)),
                                         pa.scalar("", text))
    return pd.Series(pd.array(joined, dtype="str"), index=report_id.index)


def _finish(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Exactly the schema's columns, in order, with the published dtypes."""
    dtypes = schemas.pandas_dtypes(schemas.TABLES[table])
    out = df[list(dtypes)]
    for col, dtype in dtypes.items():
        if out[col].dtype == dtype:
            continue
        if isinstance(dtype, pd.CategoricalDtype):
            out[col] = categorical(out[col], dtype)
        elif isinstance(out[col].dtype, pd.CategoricalDtype) and dtype == "str":
            out[col] = decoded(out[col])
        else:
            out[col] = out[col].astype(dtype)
    return out.reset_index(drop=True)
