"""Adapter for UCDP GED event files dropped in raw/ucdp/ (any sub-folders, `.csv`).

Layouts read: the 49-column layout (GED 20.1 onwards) and the 42-column one (GED 19.1), by
column name when the file has a header row and by position when it has none (told apart by the
number of columns, mappings/ucdp.yaml). The release version comes from the file name
(`ged241.csv` is 24.1, `GEDEvent_v24_0_3.csv` is 24.0.3) and decides between overlapping files.

Each GED event becomes one event keyed `ucdp:<id>` with one claim by "UCDP GED": low / best /
high as published. Deaths by side: the claim's victims are the groups UCDP counts deaths in
(side_a, side_b, "Civilians", "Unknown"); when all deaths fall in one group the event's deaths
by side reproduce UCDP's, and when they fall in several the claim names them all and the
methodology counts it among deaths of unknown side. The split itself is kept verbatim in the
claim's `killed` text ("best 7, low 5, high 9 (deaths_a 2, deaths_b 5, ...)"), because UCDP gives
its low and high only for the total and dividing them over sides would invent figures.
A span of dates (date_prec 2-5) is published on its middle day with ACLED's time precision, as
ACLED codes events known only to a week or month; UCDP's own dates and codes stay in `notes`.
"""

from __future__ import annotations

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

FOLDER = "ucdp"
DATASET = "UCDP GED"
REQUIRED = ["id", "type_of_violence", "side_a", "side_b", "latitude", "longitude", "date_start", "date_end",
            "date_prec", "where_prec", "best", "low", "high"]


def read(raw: Path, cache: Path | None = None, tree: raw_tree.Tree | None = None) -> Staged:
    """Stage every GED file under raw/ucdp/, one event per GED id (the latest release's record)."""
    return imported.read_folder(raw, FOLDER, records, tree=tree)


def stage_file(data: bytes, rel: str) -> Staged:
    """Stage one GED file (pure: bytes in, staged tables out; never raises for bad content)."""
    found, problems = records(data, rel)
    return imported.stage(found, problems)


def version(rel: str) -> tuple[int, str]:
    """(sortable version, label) of a GED file from its name; (-1, "version unknown") if none."""
    name = Path(rel).name.lower()
    for pattern in mapping.ucdp()["version_patterns"]:
        m = re.search(pattern, name)
        if m:
            parts = [int(p) for p in m.groups() if p is not None] + [0, 0]
            major, minor, patch = parts[:3]
            label = f"GED {major}.{minor}" + (f".{patch}" if len([p for p in m.groups() if p is not None]) > 2 else "")
            return major * 1_000_000 + minor * 1_000 + patch, label
    return imported.UNKNOWN_VERSION, "GED version unknown"


def records(data: bytes, rel: str) -> tuple[pd.DataFrame, list[Problem]]:
    """One record per GED event of one file, and what could not be read."""
    cells, err = tabular.read_cells(data)
    if err:
        return imported.empty_records(), [problem("unreadable_file", err, file=rel)]
    first = [tabular.normalise(c) for c in cells.records[0]]
    layouts = mapping.ucdp()["layouts"]
    problems: list[Problem] = []
    if "id" in first and "best" in first:
        columns = None
    elif len(first) in layouts:
        columns = layouts[len(first)]
        problems.append(problem("no_header", f"no header row: read as the {len(first)}-column GED layout by position",
                                file=rel, severity=WARNING))
    else:
        return imported.empty_records(), [problem(
            "unknown_layout", f"neither a header row naming id and best nor the {' or '.join(map(str, layouts))} columns "
            f"of a GED file without header (the first row has {len(first)})", file=rel)]
    g = tabular.grid(cells, columns)
    missing = [c for c in REQUIRED if c not in g.columns]
    if "country" not in g.columns and "country_id" not in g.columns:
        missing.append("country or country_id")
    if missing:
        return imported.empty_records(), [problem("missing_columns", f"column(s) {', '.join(missing)} missing: not a "
                                                  "GED layout the UCDP adapter reads", file=rel)]
    out, more = _convert(g, rel)
    return out, problems + more


def _convert(g: tabular.Grid, rel: str) -> tuple[pd.DataFrame, list[Problem]]:
    c = g.rows
    col = g.text
    table = mapping.ucdp()
    issues = RowIssues(c.index)
    issues.add(g.width_problem != "", "", g.width_problem)
    ident = integers(col("id"))
    keys = ("ucdp:" + ident.astype(str)).where(ident.notna(), "")
    issues.add(ident.isna() | (ident < 0), "id", "id " + col("id").map(repr) + " is not a GED event id")

    violence = integers(col("type_of_violence"))
    kinds = table["type_of_violence"]
    issues.add(~violence.isin(list(kinds)), "type_of_violence",
               "type_of_violence " + col("type_of_violence").map(repr) + " is not 1, 2 or 3")
    start, end = imported.iso_dates(col("date_start")), imported.iso_dates(col("date_end"))
    issues.add(start.isna(), "date_start", "date_start " + col("date_start").map(repr) + " is not a date")
    issues.add(end.isna(), "date_end", "date_end " + col("date_end").map(repr) + " is not a date")
    issues.add(end < start, "date_end", "date_end lies before date_start")
    issues.add(start.dt.year < 1900, "date_start", "date_start lies before 1900")
    span = (end - start).dt.days
    day = start + pd.to_timedelta((span // 2).fillna(0), unit="D")
    date_prec, where_prec = integers(col("date_prec")), integers(col("where_prec"))
    issues.add(~date_prec.isin(list(table["date_prec"])), "date_prec", "date_prec " + col("date_prec").map(repr) + " is not 1-5")
    issues.add(~where_prec.isin(list(table["where_prec"])), "where_prec", "where_prec " + col("where_prec").map(repr) + " is not 1-7")
    time_precision = date_prec.map(table["date_prec"]).astype("Int64")
    time_precision = time_precision.where(~(span > 0), np.maximum(time_precision.fillna(1), 2)).astype("Int64")

    country = _countries(col("country_id"), col("country"))
    issues.add(country == "", "country", "country " + col("country").map(repr) + " (country_id "
               + col("country_id").map(repr) + ") has no ACLED country in dataset/readers/mappings")
    latitude, longitude = number(col("latitude"))[0], number(col("longitude"))[0]
    issues.add(~latitude.between(-90, 90), "latitude", "latitude " + col("latitude").map(repr) + " is not a number within -90..90")
    issues.add(~longitude.between(-180, 180), "longitude", "longitude " + col("longitude").map(repr) + " is not a number within -180..180")

    sides = {}
    for name in ("side_a", "side_b"):
        value = col(name)
        issues.add(value == "", name, f"{name} is empty")
        issues.add(value.str.casefold() == vocab.UNKNOWN.casefold(), name, f"{name} is the bare word Unknown")
        civilians = value.str.casefold() == vocab.CIVILIANS.casefold()
        sides[name] = value.where(~civilians, "Civilians (" + country + ")")
    inter = {name: _inter(sides[name], col(name), violence) for name in sides}

    best, low, high = (integers(col(name)) for name in ("best", "low", "high"))
    issues.add((best < 0) | (low < 0) | (high < 0), "best", "a negative death count")
    bad = issues.bad
    problems = issues.problems(rel, g.row_number, keys, DATASET)
    keep = ~bad

    low_given, high_given = low.where(low.notna(), best), high.where(high.notna(), best)
    lo, hi = np.minimum(low_given, best), np.maximum(high_given, best)
    reordered = keep & best.notna() & ((lo != low_given) | (hi != high_given)).fillna(False)
    for i in c.index[reordered.to_numpy()]:
        problems.append(problem("range_out_of_order", f"low {low[i]}, best {best[i]}, high {high[i]} are out of order; "
                                f"the claim's range is set to low {lo[i]}, high {hi[i]} so that it holds best (UCDP's figures stay in "
                                "the claim's text)",
                                file=rel, event_key=keys[i], field=f"row {g.row_number[i]}: low", severity=WARNING))
    no_figure = keep & best.isna()
    for i in c.index[no_figure.to_numpy()]:
        problems.append(problem("no_figure", f"best {col('best')[i]!r} is not a count; the event is imported without "
                                "UCDP's claim", file=rel, event_key=keys[i], field=f"row {g.row_number[i]}: best",
                                severity=WARNING))
    deaths = {name: integers(col(name)) for name in ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")}
    victims = _victims(deaths, best, sides, col("side_b"))
    killed = ("best " + best.astype(str) + ", low " + col("low") + ", high " + col("high") + " (deaths_a " + col("deaths_a")
              + ", deaths_b " + col("deaths_b") + ", deaths_civilians " + col("deaths_civilians")
              + ", deaths_unknown " + col("deaths_unknown") + ")")
    version_number, label = version(rel)
    published = _newest(col("source_date"), day)
    claimant = table["claimant"]
    out = pd.DataFrame({
        "file": rel, "row": g.row_number, "key": keys, "version": version_number, "version_label": label,
        "date": day, "time_precision": time_precision,
        "event_type": violence.map({k: v["event_type"] for k, v in kinds.items()}).astype(str),
        "sub_event_type": violence.map({k: v["sub_event_type"] for k, v in kinds.items()}).astype(str),
        "actor1": sides["side_a"], "assoc_actor_1": "", "inter1": inter["side_a"],
        "actor2": sides["side_b"], "assoc_actor_2": "", "inter2": inter["side_b"], "inter_basis": "ucdp",
        "country": country, "admin1": first_filled(col("adm_1"), country), "admin2": col("adm_2"), "admin3": "",
        "location": first_filled(col("where_coordinates"), col("adm_2"), col("adm_1"), country),
        "latitude": latitude, "longitude": longitude,
        "geo_precision": where_prec.map(table["where_prec"]).astype("Int64"),
        "civilian_targeting": (violence == 3).fillna(False).astype(bool), "tags": "",
        "notes": _notes(col, label, start, end, day, kinds, violence),
        "source": text_list(col("source_office"))[0].where(col("source_office") != "", claimant),
        "source_scale": table["source_scale"], "published": published,
        "headline": (f"{DATASET} {label.removeprefix('GED ')} event " + ident.astype(str)
                     + (": " + col("source_headline")).where(col("source_headline") != "", "")),
        "text_sha256": g.row_sha256, "claimant": claimant, "victims": victims,
        "killed": killed.where(best.notna(), ""), "killed_low": lo.where(best.notna()), "killed_best": best,
        "killed_high": hi.where(best.notna()), "killed_acled": lo.where(best.notna()),
        "quote": first_filled(col("source_article"), col("source_headline")),
    }, index=c.index)
    return out[keep].astype(RECORD_COLUMNS).reset_index(drop=True), problems


def _countries(country_id: pd.Series, name: pd.Series) -> pd.Series:
    """ACLED country by Gleditsch-Ward code (country_id), else by UCDP's country name."""
    gw = integers(country_id).map(mapping.gw_countries()).fillna("").astype(str)
    return gw.where(gw != "", mapping.countries(name))


def _inter(side: pd.Series, original: pd.Series, violence: pd.Series) -> pd.Series:
    rules = mapping.ucdp()["inter"]
    code = violence.map(rules["other_by_type_of_violence"]).astype("float64")
    code = code.where(~original.str.startswith(rules["government_prefix"]), rules["government"])
    code = code.where(original.str.casefold() != vocab.CIVILIANS.casefold(), rules["civilians"])
    return pd.Series(pd.array(code.to_numpy(dtype=object), dtype="Int64"), index=side.index)


def _victims(deaths: dict[str, pd.Series], best: pd.Series, sides: dict[str, pd.Series], side_b: pd.Series) -> pd.Series:
    """Victims of the claim: the groups UCDP counts deaths in, or Unknown when its split is
    missing or does not add up to best."""
    b_is_civilians = side_b.str.casefold() == vocab.CIVILIANS.casefold()
    names = {"deaths_a": sides["side_a"], "deaths_b": sides["side_b"].where(~b_is_civilians, vocab.CIVILIANS),
             "deaths_civilians": pd.Series(vocab.CIVILIANS, index=best.index),
             "deaths_unknown": pd.Series(vocab.UNKNOWN, index=best.index)}
    total = sum(d.fillna(0) for d in deaths.values())
    usable = (total == best).fillna(False) & pd.concat(list(deaths.values()), axis=1).notna().all(axis=1) & (best > 0).fillna(False)
    lists = pd.Series([[] for _ in range(len(best))], index=best.index, dtype=object)
    for column, name in names.items():
        positive = usable & (deaths[column] > 0).fillna(False)
        for i in best.index[positive.to_numpy()]:
            if name[i] not in lists[i]:
                lists[i].append(name[i])
    joined = lists.map(lambda v: vocab.LIST_SEP.join(v))
    return joined.where(joined != "", vocab.UNKNOWN).astype(str)


def _newest(source_dates: pd.Series, day: pd.Series) -> pd.Series:
    """The newest source date of each event, never before the event's published day: UCDP
    records no date of its own for an event, and a record cannot predate what it reports."""
    parts = source_dates.str.split(";").explode()
    parsed = imported.iso_dates(parts.fillna("").astype(str))
    newest = parsed.groupby(level=0).max().reindex(day.index)
    return newest.where(newest > day, day).astype(imported.DATETIME)


def _notes(col, label: str, start: pd.Series, end: pd.Series, day: pd.Series, kinds: dict,
           violence: pd.Series) -> pd.Series:
    """UCDP's description of the place, then what its codes said, in brackets as the release's
    other notes do."""
    kind = violence.map({k: v["name"] for k, v in kinds.items()}).fillna("")
    fmt = lambda s: s.dt.strftime("%Y-%m-%d").fillna("")  # noqa: E731
    spans = (" dates " + fmt(start) + " to " + fmt(end) + " (date_prec " + col("date_prec") + "), published on "
             + fmt(day)).where(start != end, " date " + fmt(start) + " (date_prec " + col("date_prec") + ")")
    bracket = ("[" + label + " event " + col("id") + (" (" + col("relid") + ")").where(col("relid") != "", "") + ": "
               + kind + (" in " + col("conflict_name")).where(col("conflict_name") != "", "")
               + ("; dyad " + col("dyad_name")).where(col("dyad_name") != "", "") + ";" + spans
               + "; where_prec " + col("where_prec")
               + (" (" + col("where_coordinates") + ")").where(col("where_coordinates") != "", "")
               + ("; event_clarity " + col("event_clarity")).where(col("event_clarity") != "", "")
               + ("; code_status " + col("code_status")).where(col("code_status") != "", "")
               + ("; source_original: " + col("source_original")).where(col("source_original") != "", "") + ".]")
    return (col("where_description") + " " + bracket).str.strip()
