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

from .ids import assign
from .problems import Problem, problem
from .readers.actors import resolver
from .rules import aggregate, claimants, days, phrases
from .staged import Staged

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

    Each distinct (phrase, language) is read once. Explicit {low, best, high} mappings are used
    as given, their ACLED value defaulting to low.
    """
    c = staged.claims
    language = c["report_id"].map(staged.reports.drop_duplicates("report_id").set_index("report_id")["language"]).fillna("en")
    out = pd.DataFrame(index=c.index, columns=FIGURE_COLUMNS)
    explicit = c[f"{kind}_low"].notna()
    phrase = c[kind].fillna("")
    problems: list[Problem] = []
    to_read = ~explicit & (phrase != "")
    table = phrases.table()
    readings: dict[tuple[str, str], phrases.Reading | str] = {}
    for text, lang in set(zip(phrase[to_read], language[to_read])):
        try:
            readings[(text, lang)] = table.read(text, lang)
        except phrases.PhraseError as err:
            readings[(text, lang)] = str(err)
    for idx in c.index[to_read]:
        r = readings[(phrase[idx], language[idx])]
        if isinstance(r, str):
            row = c.loc[idx]
            problems.append(problem("unreadable_phrase", r, file=row.file, report_id=row.report_id,
                                    event_key=row.event_key, claim=row.claim, field=kind))
        else:
            out.loc[idx, FIGURE_COLUMNS] = [r.low, r.best, r.high, r.acled, r.rule, phrase[idx]]
    if explicit.any():
        e = c[explicit]
        acled = e[f"{kind}_acled"].fillna(e[f"{kind}_low"])
        text = e[kind].where(e[kind].fillna("") != "", "{low: " + e[f"{kind}_low"].astype("str") + ", best: "
                             + e[f"{kind}_best"].astype("str") + ", high: " + e[f"{kind}_high"].astype("str") + "}")
        out.loc[explicit, "low"] = e[f"{kind}_low"]
        out.loc[explicit, "best"] = e[f"{kind}_best"]
        out.loc[explicit, "high"] = e[f"{kind}_high"]
        out.loc[explicit, "acled"] = acled
        out.loc[explicit, "rule"] = "explicit"
        out.loc[explicit, "text"] = text
    for col in ("low", "best", "high", "acled"):
        out[col] = pd.array(out[col].to_numpy(dtype=object), dtype="Int64") if len(out) else pd.Series([], dtype="Int64")
    out["rule"] = out["rule"].fillna("").astype("str")
    out["text"] = out["text"].fillna("").astype("str")
    return out, problems


# -- events ----------------------------------------------------------------------------------

def event_definitions(staged: Staged, resolve: dict[str, str], inter: dict[str, int]) -> pd.DataFrame:
    """One row per event key (its first definition), with actor names resolved and codes derived."""
    d = staged.events[staged.events["defines"]].sort_values(["file", "entry"], kind="stable")
    d = d.drop_duplicates("event_key").reset_index(drop=True)
    canon = lambda s: s.fillna("").map(lambda n: _canon_list(n, resolve))  # noqa: E731
    for col in ("actor1", "actor2", "assoc_actor_1", "assoc_actor_2"):
        d[col] = canon(d[col])
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


def _canon_list(names: str, resolve: dict[str, str]) -> str:
    parts = [n for n in names.split(vocab.LIST_SEP) if n]
    return vocab.LIST_SEP.join(resolve.get(n.casefold(), n) for n in parts)


def event_sources(staged: Staged) -> pd.DataFrame:
    """Per event key: outlets in order of first publication, their scales, count and newest date."""
    keyed = pd.concat([staged.events[["event_key", "report_id", "file"]], staged.claims[["event_key", "report_id", "file"]]])
    keyed = keyed.drop_duplicates().merge(staged.reports[["report_id", "file", "source", "source_scale", "published"]],
                                          on=["report_id", "file"])
    keyed = keyed.assign(source=keyed["source"].str.split(vocab.LIST_SEP)).explode("source")  # imports list several
    keyed = keyed.sort_values(["event_key", "published", "source"], kind="stable")
    first = keyed.drop_duplicates(["event_key", "source"])
    g = first.groupby("event_key", sort=True)
    out = pd.DataFrame({
        "source": g["source"].agg(vocab.LIST_SEP.join),
        "source_scale": g["source_scale"].agg(_join_scales),
        "n_sources": g["source"].size().astype("int64"),
    })
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
    c["victims"] = c["victims"].map(lambda v: _canon_victims(v, resolve))
    c["claimant_actor"] = c["claimant"].map(lambda n: resolve.get(n.casefold(), "")).astype("str")
    c["source"] = c["report_id"].map(staged.reports.drop_duplicates("report_id").set_index("report_id")["source"])
    for kind, fig, prefix in (("killed", killed, "fatalities"), ("wounded", wounded, "wounded")):
        c[kind] = fig["text"]
        c[f"{kind}_rule"] = fig["rule"]
        for part in ("low", "best", "high"):
            c[f"{prefix}_{part}"] = fig[part]
    c["fatalities_acled"] = killed["acled"]
    return c


def _canon_victims(victims: str, resolve: dict[str, str]) -> str:
    out = []
    for v in (x for x in victims.split(vocab.LIST_SEP) if x):
        special = {vocab.CIVILIANS.casefold(): vocab.CIVILIANS, vocab.UNKNOWN.casefold(): vocab.UNKNOWN}
        out.append(special.get(v.casefold()) or resolve.get(v.casefold(), v))
    return vocab.LIST_SEP.join(dict.fromkeys(out))


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
    order = {eid: i for i, eid in enumerate(events["event_id_cnty"])}
    claims = claims.iloc[np.lexsort((claims["claim_id"].to_numpy(), claims["event_id_cnty"].map(order).to_numpy()))]
    return Tables(events, claims.reset_index(drop=True), reports, registry)


def _event_table(day_rows: pd.DataFrame, sources: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    e = day_rows.copy()
    e = e.join(sources, on="event_key")
    e["year"] = e["event_date"].dt.year.astype("int64")
    multi = e["n_days"] > 1
    note = [NOTE_MULTI_DAY.format(key=k, start=s.date(), end=(s + pd.Timedelta(days=n - 1)).date(), day=d + 1, n=n)
            for k, s, d, n in zip(e.loc[multi, "event_key"], e.loc[multi, "date_start"], e.loc[multi, "day"], e.loc[multi, "n_days"])]
    e.loc[multi, "notes"] = (e.loc[multi, "notes"] + " " + pd.Series(note, index=e.index[multi], dtype="str")).str.strip()

    wide = {}
    for stat in ("low", "best", "high", "acled"):
        w = groups.pivot_table(index="event_id_cnty", columns="victim_group", values=stat, aggfunc="sum", fill_value=0)
        wide[stat] = w.reindex(columns=vocab.VICTIM_GROUPS, fill_value=0)
    totals = {stat: w.sum(axis=1) for stat, w in wide.items()}
    ids = e["event_id_cnty"]
    pick = lambda s: ids.map(s).fillna(0).astype("int64")  # noqa: E731
    e["fatalities"] = pick(totals["acled"])
    e["fatalities_low"] = pick(totals["low"])
    e["fatalities_best"] = pick(totals["best"])
    e["fatalities_high"] = pick(totals["high"])
    for group, column in zip(vocab.VICTIM_GROUPS, ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")):
        e[column] = pick(wide["best"][group])
    e = _finish(e, "events")
    order = np.lexsort((e["event_id_cnty"].str[3:].astype("int64").to_numpy(), e["event_id_cnty"].str[:3].to_numpy(),
                        e["event_date"].to_numpy(), e["country"].astype("str").to_numpy()))
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
