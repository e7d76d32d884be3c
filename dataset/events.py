"""The judgement step: staged tables -> the published events, claims and reports tables.

Pure functions from frames to frames. Here phrases become ranges (rules/phrases), claims get a
victim group and a stance (rules/claimants), multi-day events become one row per day
(rules/days), claims are aggregated per victim group (rules/aggregate), and the ACLED-derived
columns are computed from the vocabularies, never typed by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import schemas
from schemas import vocab
from schemas.frames import lookup

from .ids import assign
from .problems import Problem, problem
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


def read_figures(staged: Staged, kind: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Ranges for `kind` ("killed" or "wounded") of every staged claim, and unreadable phrases.

    Each distinct (phrase, language) is read once and joined back, so a million claims cost as
    many parser calls as they have distinct phrasings. Explicit {low, best, high} mappings are
    used as given, their ACLED value defaulting to low.
    """
    c = staged.claims
    reports = staged.reports.drop_duplicates("report_id").set_index("report_id")["language"]
    language = pd.Series(reports.reindex(c["report_id"]).to_numpy(), index=c.index, dtype="str").fillna("en")
    explicit = c[f"{kind}_low"].notna()
    phrase = c[kind].fillna("").astype("str")
    to_read = ~explicit & (phrase != "")
    pairs = pd.DataFrame({"text": phrase[to_read], "lang": language[to_read]}).drop_duplicates()
    table = phrases.table()
    rows, errors_ = [], {}
    for text, lang in zip(pairs["text"], pairs["lang"]):
        try:
            r = table.read(text, lang)
            rows.append((text, lang, r.low, r.best, r.high, r.acled, r.rule))
        except phrases.PhraseError as err:
            errors_[(text, lang)] = str(err)
    readings = pd.DataFrame(rows, columns=["text", "lang", "low", "best", "high", "acled", "rule"])
    keyed = pd.DataFrame({"text": phrase, "lang": language})
    out = keyed.merge(readings, on=["text", "lang"], how="left")
    out.index = c.index
    out["text"] = phrase.where(to_read, "")
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
        out.loc[explicit, "rule"] = "explicit"
        out.loc[explicit, "text"] = e[kind].where(e[kind].fillna("") != "", "{low: " + e[f"{kind}_low"].astype("str")
                                                  + ", best: " + e[f"{kind}_best"].astype("str") + ", high: "
                                                  + e[f"{kind}_high"].astype("str") + "}")
    for col in ("low", "best", "high", "acled"):
        out[col] = out[col].astype("Int64")
    out["rule"] = out["rule"].fillna("").astype("str")
    out["text"] = out["text"].fillna("").astype("str")
    return out[FIGURE_COLUMNS], problems


# -- events ----------------------------------------------------------------------------------

def event_definitions(staged: Staged, resolve: dict[str, str], inter: dict[str, int]) -> pd.DataFrame:
    """One row per event key (its first definition), with actor names resolved and codes derived."""
    d = staged.events[staged.events["defines"]].sort_values(["file", "entry"], kind="stable")
    d = d.drop_duplicates("event_key").reset_index(drop=True)
    for col in ("actor1", "actor2"):
        d[col] = canonical(d[col], resolve)
    for col in ("assoc_actor_1", "assoc_actor_2"):
        d[col] = canonical_lists(d[col], resolve)
    d["inter1"] = d["actor1"].map(inter).astype("int64")
    d["inter2"] = d["actor2"].map(inter).fillna(0).astype("int64")
    lo = np.where(d["inter2"] > 0, np.minimum(d["inter1"], d["inter2"]), d["inter1"])
    hi = np.where(d["inter2"] > 0, np.maximum(d["inter1"], d["inter2"]), 0)
    d["interaction"] = lo * 10 + hi
    country = vocab.countries()
    d["iso"] = d["country"].map({k: c.iso for k, c in country.items()}).astype("int64")
    d["iso3"] = d["country"].map({k: c.iso3 for k, c in country.items()})
    d["region"] = d["country"].map({k: c.region for k, c in country.items()})
    d["disorder_type"] = d["sub_event_type"].map(vocab.SUB_EVENT_TO_DISORDER)
    targeted = d["civilian_targeting"].fillna(False).astype(bool) | (d["event_type"] == vocab.VIOLENCE_AGAINST_CIVILIANS)
    d["civilian_targeting"] = np.where(targeted, vocab.CIVILIANS_TARGETED, "")
    d["n_days"] = ((d["date_end"] - d["date_start"]).dt.days + 1).astype("int64")
    for col in ("admin2", "admin3", "tags", "notes", "assoc_actor_1", "assoc_actor_2", "actor2"):
        d[col] = d[col].fillna("")
    return d


def event_sources(staged: Staged) -> pd.DataFrame:
    """Per event key: outlets in order of first publication, their scales, count and newest date."""
    keyed = pd.concat([staged.events[["event_key", "report_id"]], staged.claims[["event_key", "report_id"]]])
    reports = staged.reports.drop_duplicates("report_id")[["report_id", "source", "source_scale", "published"]]
    keyed = keyed.drop_duplicates().merge(reports, on="report_id")
    keyed = keyed.sort_values(["event_key", "published", "source"], kind="stable")
    first = keyed.drop_duplicates(["event_key", "source"])
    n = first.groupby("event_key", sort=True).size()
    out = first.drop_duplicates("event_key").set_index("event_key")[["source", "source_scale"]]
    out = out.reindex(n.index)
    out["n_sources"] = n.astype("int64")
    several = first[first["event_key"].isin(n.index[n > 1])]
    if len(several):  # the few events with several outlets: join their names and scales
        g = several.groupby("event_key", sort=True)
        out.loc[g.size().index, "source"] = g["source"].agg(vocab.LIST_SEP.join)
        out.loc[g.size().index, "source_scale"] = g["source_scale"].agg(_join_scales)
    single_scale = ~out["source_scale"].str.contains("-", regex=False)
    out.loc[~single_scale, "source_scale"] = out.loc[~single_scale, "source_scale"].map(lambda s: _join_scales(pd.Series([s])))
    newest = keyed.groupby("event_key")["published"].max()
    out["timestamp"] = (newest - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    return out


def _join_scales(scales: pd.Series) -> str:
    atoms = {a for s in scales for a in s.split("-")}
    return "-".join(a for a in vocab.SOURCE_SCALES if a in atoms)


# -- claims ----------------------------------------------------------------------------------

def claim_rows(staged: Staged, killed: pd.DataFrame, wounded: pd.DataFrame, resolve: dict[str, str]) -> pd.DataFrame:
    """Staged claims with their readings, canonical victims and claimant actor (one row per claim)."""
    c = staged.claims.copy()
    c["victims"] = canonical_lists(c["victims"], resolve, special=VICTIM_WORDS)
    c["claimant_actor"] = canonical(c["claimant"], resolve, default="")
    sources = staged.reports.drop_duplicates("report_id").set_index("report_id")["source"]
    c["source"] = pd.Series(sources.reindex(c["report_id"]).to_numpy(), index=c.index, dtype="str")
    for kind, fig, prefix in (("killed", killed, "fatalities"), ("wounded", wounded, "wounded")):
        c[kind] = fig["text"]
        c[f"{kind}_rule"] = fig["rule"]
        for part in ("low", "best", "high"):
            c[f"{prefix}_{part}"] = fig[part]
    c["fatalities_acled"] = killed["acled"]
    return c


def split_claims(claims: pd.DataFrame, day_rows: pd.DataFrame) -> pd.DataFrame:
    """One row per claim and day, figures divided over the event's days (totals conserved)."""
    per_day = claims.merge(day_rows[["event_key", "event_id_cnty", "event_date", "day", "n_days"]], on="event_key")
    for col in ("fatalities_low", "fatalities_best", "fatalities_high", "fatalities_acled",
                "wounded_low", "wounded_best", "wounded_high"):
        per_day[col] = days.shares(per_day[col], per_day["n_days"], per_day["day"])
    base = per_day["report_id"] + "#" + per_day["event_key"] + "#" + per_day["claim"].astype("str")
    dated = base + "@" + per_day["event_date"].dt.strftime("%Y-%m-%d")
    per_day["claim_id"] = base.where(per_day["n_days"] == 1, dated)
    return per_day


# -- assembly --------------------------------------------------------------------------------

def build(staged: Staged, actors: pd.DataFrame, registry: pd.DataFrame,
          killed: pd.DataFrame, wounded: pd.DataFrame) -> Tables:
    """The published tables from checked staged tables and readings of their figures."""
    resolve = resolver(actors)
    inter = dict(zip(actors["name"], actors["inter"]))
    defs = event_definitions(staged, resolve, inter)
    day_rows = days.expand(defs, "date_start", "n_days")
    ids, registry = assign(day_rows[["event_key", "event_date", "iso3"]], registry)
    day_rows["event_id_cnty"] = ids

    claims = split_claims(claim_rows(staged, killed, wounded, resolve), day_rows)
    members = claimants.side_members(defs)
    claims["victim_group"] = claimants.victim_groups(claims, members)
    claims["stance"] = claimants.stances(claims, members)

    events = _event_table(day_rows, event_sources(staged), aggregate.groups(claims))
    claims = _finish(claims, "claims")
    reports = _finish(staged.reports.rename(columns={"file": "raw_path"}), "reports")
    rank = pd.Series(np.arange(len(events)), index=events["event_id_cnty"])
    claims = claims.assign(_rank=lookup(claims["event_id_cnty"], rank).to_numpy())
    claims = claims.sort_values(["_rank", "claim_id"], kind="stable").drop(columns="_rank")
    return Tables(events, claims.reset_index(drop=True), reports, registry)


DEATHS = dict(zip(vocab.VICTIM_GROUPS, ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")))
TOTALS = {"low": "fatalities_low", "best": "fatalities_best", "high": "fatalities_high", "acled": "fatalities"}


def event_totals(groups: pd.DataFrame) -> pd.DataFrame:
    """Per event: the sums over victim groups, and each group's best as deaths by side."""
    totals = groups.groupby("event_id_cnty", sort=False)[list(TOTALS)].sum().rename(columns=TOTALS)
    by_side = groups.pivot(index="event_id_cnty", columns="victim_group", values="best")
    by_side = by_side.reindex(index=totals.index, columns=vocab.VICTIM_GROUPS).fillna(0).rename(columns=DEATHS)
    return totals.join(by_side)


def _event_table(day_rows: pd.DataFrame, sources: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    e = day_rows.join(sources, on="event_key")
    e["year"] = e["event_date"].dt.year.astype("int64")
    multi = e["n_days"] > 1
    note = [NOTE_MULTI_DAY.format(key=k, start=s.date(), end=(s + pd.Timedelta(days=n - 1)).date(), day=d + 1, n=n)
            for k, s, d, n in zip(e.loc[multi, "event_key"], e.loc[multi, "date_start"], e.loc[multi, "day"], e.loc[multi, "n_days"])]
    e.loc[multi, "notes"] = (e.loc[multi, "notes"] + " " + pd.Series(note, index=e.index[multi], dtype="str")).str.strip()
    totals = event_totals(groups)
    e = e.join(totals, on="event_id_cnty")
    e[list(totals.columns)] = e[list(totals.columns)].fillna(0).astype("int64")
    e = _finish(e, "events")
    number = e["event_id_cnty"].str.slice(3).astype("int64").to_numpy()
    order = np.lexsort((number, e["event_date"].to_numpy(), e["country"].cat.codes.to_numpy()))
    return e.iloc[order].reset_index(drop=True)


def _finish(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Exactly the schema's columns, in order, with the published dtypes."""
    dtypes = schemas.pandas_dtypes(schemas.TABLES[table])
    out = df[list(dtypes)].copy()
    for col, dtype in dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):
            out[col] = pd.Categorical(out[col].astype("str"), dtype=dtype)
        else:
            out[col] = out[col].astype(dtype)
    return out.reset_index(drop=True)
