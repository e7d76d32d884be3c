"""Linking: events of different sources that describe one incident become one event.

A staged -> staged step run before the checks, so the rest of the build is unchanged: the event
kept (a coded report's before ACLED's before UCDP GED's) stays a definition, every other linked
definition becomes a reference that only adds its claims, and the claims table ends up holding
every source's figure for the incident.

The rule (numbers in rules/links.yaml, scoring in rules/matching.py) is conservative, because two
events for one incident are a smaller error than one event for two:
1. only events of different sources are compared (coded reports, ACLED, UCDP GED), in the same
   country, with days no further apart than their time precisions allow, places no further apart
   than their geo precisions allow, and compatible actors on both sides;
2. a pair is linked when it scores at least the threshold, both events are single-day, and each
   is the other's strictly best match among the other source's events (a tie is left to a coder);
3. linked pairs form groups; a group holding two events of one source, or two events not within
   each other's limits, is not linked at all;
4. raw/links.yaml confirms links the rule missed and splits links it made; an entry that matches
   nothing is an error.
Every pair within the limits, and every pair an override names, is a row of the links table.

When a group's dataset figures (ACLED's, UCDP GED's) name different victim groups they are totals
of one incident, not deaths on different sides: they are pooled as victims Unknown so the event's
groups do not add them up. Next to claims of coded reports about a side, such totals may still
count deaths twice under the methodology's sum over groups; each such event is a warning.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from schemas import vocab
from schemas.frames import is_blank, isin, sorted_category, text
from schemas.fields import pandas_dtypes
from schemas.links import Links

from .problems import WARNING, Problem, problem
from .readers import acled, link_overrides, ucdp
from .readers.actors import resolver
from .rules import matching
from .rules.matching import Actor
from .staged import DEFINITION_FIELDS, Staged

FILE = "links.csv"
DATASETS = {acled.FOLDER: "acled", ucdp.FOLDER: "ucdp"}
ORIGIN_RANK = {"report": 0, "acled": 1, "ucdp": 2}
EPOCH = pd.Timestamp("1970-01-01")


def origin(file: str) -> str:
    """report, acled or ucdp: which source a staged row's file belongs to."""
    head, _, rest = file.partition("/")
    return DATASETS.get(head, "report") if rest else "report"


def origins(staged: Staged) -> set[str]:
    """The sources among the staged event definitions: `origin` of each distinct file (a
    categorical column's distinct values come from its codes, a few files for millions of rows),
    tested as whole columns: a hundred thousand report files, one `origin` call each, took 0.15 s
    of every build."""
    file = staged.events.loc[staged.events["defines"].to_numpy(dtype=bool), "file"]
    if isinstance(file.dtype, pd.CategoricalDtype):  # the categories in use, taken as they are
        codes = file.cat.codes.to_numpy()
        used = np.bincount(codes[codes >= 0], minlength=len(file.cat.categories)) > 0
        files = pd.Series(file.cat.categories[used], dtype="str")
    else:
        files = pd.Series(file.unique(), dtype="str")
    found, imported = set(), np.zeros(len(files), dtype=bool)
    for folder, name in DATASETS.items():  # "folder/" and something after it, as `origin` reads it
        inside = files.str.startswith(folder + "/").to_numpy(dtype=bool)
        if inside.any():
            inside = inside & (files.str.len() > len(folder) + 1).to_numpy(dtype=bool)
            if inside.any():
                found.add(name)
            imported |= inside
    if not imported.all():
        found.add("report")
    return found


@dataclass(frozen=True)
class Event:
    """What the rule compares of one event definition (days since 1970, registered actor names)."""

    key: str
    origin: str
    country: str
    start: int
    end: int
    tp: int
    gp: int
    lat: float
    lon: float
    sides: tuple[tuple[Actor, ...], tuple[Actor, ...]]
    published: int  # earliest publication among the reports behind the event

    @property
    def rank(self) -> tuple[int, str]:
        return ORIGIN_RANK[self.origin], self.key


@dataclass
class Linked:
    staged: Staged
    table: pd.DataFrame
    problems: list[Problem]


def link(staged: Staged, actors: pd.DataFrame, overrides: pd.DataFrame,
         p: matching.Params | None = None) -> Linked:
    """Staged tables with linked events merged, the links table, and what is wrong or doubtful."""
    if len(origins(staged)) < 2 and overrides.empty:  # nothing to compare: the usual case, made free
        return Linked(staged, finish(pd.DataFrame()), [])
    p = p or matching.params()
    resolve = resolver(actors)
    events = event_definitions(staged, actors, resolve)
    cat = catalog(events, p)
    pairs = compare_pairs(cat, candidate_pairs(cat, p), p)
    defined = set(staged.events.loc[staged.events["defines"], "event_key"])
    splits, confirms, problems = _check_overrides(overrides, defined, events)
    if (overrides["action"] == "split").any():  # what the rule alone links, for splits to undo
        problems += _stale_splits(overrides, _groups(pairs, set(), [], events, p.threshold, notes_wanted=False)[0])
    groups, rules, notes = _groups(pairs, splits, confirms, events, p.threshold)
    problems += _contradictions(groups, overrides)
    table = _table(pairs, cat, rules, notes, groups, overrides, p)
    new, more = rewrite(staged, groups, events, resolve)
    return Linked(new, table, problems + more)


# -- the events compared ---------------------------------------------------------------------

def event_definitions(staged: Staged, actors: pd.DataFrame, resolve: dict[str, str]) -> dict[str, Event]:
    """One Event per defined key whose date, place and actor1 are all readable (`resolve`: the
    registry's `resolver`)."""
    inter = dict(zip(actors["name"], actors["inter"]))
    needed = ["date_start", "date_end", "time_precision", "geo_precision", "latitude", "longitude", "country", "actor1"]
    d = staged.events.loc[staged.events["defines"].to_numpy(dtype=bool),
                          ["event_key", "file", "entry", "assoc_actor_1", "actor2", "assoc_actor_2", *needed]]
    d = d.sort_values(["file", "entry"], kind="stable").drop_duplicates("event_key")
    d = d[d[needed].notna().all(axis=1) & (d["event_key"] != "")]
    first = _first_published(staged)
    days = {c: ((d[c] - EPOCH) // pd.Timedelta(days=1)).astype("int64").tolist() for c in ("date_start", "date_end")}
    columns = {c: d[c].tolist() for c in ("event_key", "file", "country", "actor1", "assoc_actor_1", "actor2",
                                          "assoc_actor_2", "time_precision", "geo_precision", "latitude", "longitude")}
    out = {}
    for i, key in enumerate(columns["event_key"]):
        sides = tuple(tuple(Actor(n, int(inter.get(n, 0))) for n in _names((columns[m][i], columns[s][i]), resolve))
                      for m, s in (("actor1", "assoc_actor_1"), ("actor2", "assoc_actor_2")))
        start = days["date_start"][i]
        out[key] = Event(key, origin(columns["file"][i]), columns["country"][i], start, days["date_end"][i],
                         int(columns["time_precision"][i]), int(columns["geo_precision"][i]),
                         float(columns["latitude"][i]), float(columns["longitude"][i]), sides, first.get(key, start))
    return out


def _names(values: tuple, resolve: dict[str, str]) -> list[str]:
    """Registered names of a side: its main actor first, then its associated actors."""
    parts = [x.strip() for v in values if isinstance(v, str) for x in v.split(";") if x.strip()]
    return list(dict.fromkeys(resolve.get(x.lower(), x) for x in parts))


def _first_published(staged: Staged) -> dict[str, int]:
    keyed = pd.concat([staged.events[["event_key", "report_id", "file"]], staged.claims[["event_key", "report_id", "file"]]])
    keyed = keyed.drop_duplicates().merge(staged.reports[["report_id", "file", "published"]], on=["report_id", "file"])
    first = keyed.dropna(subset=["published"]).groupby("event_key")["published"].min()
    return dict(zip(first.index.tolist(), ((first - EPOCH) // pd.Timedelta(days=1)).astype("int64").tolist()))


# -- pairs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Catalog:
    """The compared events as arrays, in the order linking prefers them (the kept event first)."""

    events: list[Event]
    position: dict[str, int]
    start: np.ndarray
    end: np.ndarray
    window: np.ndarray
    radius: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    country: np.ndarray
    published: np.ndarray


def catalog(events: dict[str, Event], p: matching.Params) -> Catalog:
    ordered = sorted(events.values(), key=lambda e: e.rank)
    col = lambda f, dtype=None: np.array([f(e) for e in ordered], dtype=dtype)  # noqa: E731
    return Catalog(
        ordered, {e.key: i for i, e in enumerate(ordered)}, col(lambda e: e.start, np.int64), col(lambda e: e.end, np.int64),
        col(lambda e: matching.window(e.tp, p), np.int64), col(lambda e: matching.radius(e.gp, p), float),
        col(lambda e: e.lat, float), col(lambda e: e.lon, float), col(lambda e: e.country, object),
        col(lambda e: e.published, np.int64))


def candidate_pairs(cat: Catalog, p: matching.Params) -> np.ndarray:
    """Positions (i < j) of events of different sources that could lie within each other's limits.

    Each event claims the (week, 1-degree cell) buckets its own date window and radius reach; two
    events whose windows and disks meet share a bucket, so no pair within the limits is missed
    and the exact comparison runs on few pairs.
    """
    rows = []
    for i, e in enumerate(cat.events):
        w = int(cat.window[i]) + p.date_slack
        dlat = cat.radius[i] / 111.0
        dlon = cat.radius[i] / (111.0 * max(math.cos(math.radians(e.lat)), 0.01))
        for week in range((e.start - w) // 7, (e.end + w) // 7 + 1):
            for la in range(math.floor(e.lat - dlat), math.floor(e.lat + dlat) + 1):
                for lo in range(math.floor(e.lon - dlon), math.floor(e.lon + dlon) + 1):
                    rows.append((e.country, week, la, lo, i, e.origin))
    if not rows:
        return np.empty((0, 2), dtype=np.int64)
    b = pd.DataFrame(rows, columns=["country", "week", "lat", "lon", "i", "origin"])
    on = ["country", "week", "lat", "lon"]
    found = []
    for x, y in itertools.combinations(sorted(ORIGIN_RANK), 2):  # never two events of one source
        m = b[b["origin"] == x].merge(b[b["origin"] == y], on=on)
        found.append(np.column_stack([np.minimum(m["i_x"], m["i_y"]), np.maximum(m["i_x"], m["i_y"])]))
    return np.unique(np.concatenate(found).astype(np.int64), axis=0)


def compare_pairs(cat: Catalog, pairs: np.ndarray, p: matching.Params) -> pd.DataFrame:
    """The pairs within every limit, with their features and score."""
    out = measure(cat, pairs, p)
    return out[out["within"]].reset_index(drop=True)


def measure(cat: Catalog, pairs: np.ndarray, p: matching.Params) -> pd.DataFrame:
    """Features and score of each pair (positions, the kept event first).

    Dates and distances are compared for all pairs at once; actors only where country, day and
    place already fit, since that is the one comparison made name by name.
    """
    a, b = (pairs[:, 0], pairs[:, 1]) if len(pairs) else (np.empty(0, np.int64), np.empty(0, np.int64))
    gap = np.maximum(0, np.maximum(cat.start[a], cat.start[b]) - np.minimum(cat.end[a], cat.end[b]))
    date_limit = cat.window[a] + cat.window[b] + p.date_slack
    distance = matching.distances_km(cat.lat[a], cat.lon[a], cat.lat[b], cat.lon[b])
    place_limit = cat.radius[a] + cat.radius[b]
    near = (cat.country[a] == cat.country[b]) & (gap <= date_limit) & (distance <= place_limit)
    actor = np.zeros(len(a))
    for n in np.flatnonzero(near):
        actor[n] = matching.sides_score(cat.events[a[n]].sides, cat.events[b[n]].sides, p)[0]
    date_score = np.clip(1 - gap / (2 * np.maximum(date_limit, 1)), 0, 1)
    place_score = np.clip(1 - distance / (2 * np.maximum(place_limit, 1e-9)), 0, 1)
    pick = lambda idx, name: np.array([getattr(cat.events[i], name) for i in idx], dtype=object)  # noqa: E731
    return pd.DataFrame({
        "key_a": pick(a, "key"), "key_b": pick(b, "key"), "origin_a": pick(a, "origin"), "origin_b": pick(b, "origin"),
        "score": np.round((date_score + place_score + actor) / 3, 3), "date_score": np.round(date_score, 3),
        "place_score": np.round(place_score, 3), "actor_score": np.round(actor, 3), "date_gap_days": gap,
        "date_limit_days": date_limit, "distance_km": np.round(distance, 1), "distance_limit_km": place_limit,
        "within": near & (actor > 0), "predates": cat.published[b] < cat.start[a],
        "multi_day": (cat.end[a] > cat.start[a]) | (cat.end[b] > cat.start[b]),
    })


def positions(cat: Catalog, keys: list[tuple[str, str]]) -> np.ndarray:
    """Pairs of keys as positions, the kept event first."""
    found = [sorted((cat.position[x], cat.position[y])) for x, y in keys]
    return np.array(found, dtype=np.int64).reshape(-1, 2)


# -- decisions -------------------------------------------------------------------------------

def pair_rules(pairs: pd.DataFrame, splits: set[frozenset[str]], threshold: float) -> pd.Series:
    """The rule's verdict on each pair within the limits (before groups are checked)."""
    rule = pd.Series("below_threshold", index=pairs.index, dtype=object)
    if pairs.empty:
        return rule
    is_split = pd.Series([frozenset(k) in splits for k in zip(pairs["key_a"], pairs["key_b"])], index=pairs.index, dtype=bool)
    rule[pairs["multi_day"]] = "multi_day"
    rule[pairs["predates"]] = "report_before_event"
    eligible = ~pairs["multi_day"] & ~pairs["predates"] & ~is_split & (pairs["score"] >= threshold)
    open_ = pairs[~is_split]
    best = pd.Series(True, index=pairs.index)
    for me, other in (("key_a", "origin_b"), ("key_b", "origin_a")):
        top = open_.groupby([me, other])["score"].transform("max")
        ties = open_.assign(top=top)[open_["score"] == top].groupby([me, other])["score"].transform("size")
        strict = pd.Series(False, index=pairs.index)
        strict[ties.index] = ties == 1
        best &= strict
    rule[eligible & best] = "best_match"
    rule[eligible & ~best] = "ambiguous"
    return rule


def _groups(pairs: pd.DataFrame, splits: set[frozenset[str]], confirms: list[list[str]], events: dict[str, Event],
            threshold: float, notes_wanted: bool = True) -> tuple[dict[str, str], pd.Series, pd.Series]:
    """(key -> kept key of its group, rule per pair, note per pair) after groups are checked."""
    rules = pair_rules(pairs, splits, threshold)
    notes = pd.Series("", index=pairs.index, dtype=object)
    allowed = {frozenset((a, b)) for a, b, pre in zip(pairs["key_a"], pairs["key_b"], pairs["predates"])
               if not pre and frozenset((a, b)) not in splits} if len(pairs) else set()
    edges = [(a, b) for a, b, r in zip(pairs["key_a"], pairs["key_b"], rules) if r == "best_match"] if len(pairs) else []
    for members in _components(edges):
        trouble = _group_trouble(members, allowed, events)
        if trouble:
            inside = pairs["key_a"].isin(members) & pairs["key_b"].isin(members) & (rules == "best_match")
            rules[inside] = "cluster_conflict"
            notes[inside] = trouble
    edges = [(a, b) for a, b, r in zip(pairs["key_a"], pairs["key_b"], rules) if r == "best_match"] if len(pairs) else []
    edges += [(keys[0], k) for keys in confirms for k in keys[1:]]
    kept = {}
    for members in _components(edges):
        head = min(members, key=lambda k: events[k].rank if k in events else (9, k))
        kept.update({m: head for m in members})
    if len(pairs) and notes_wanted:
        _note_rivals(pairs, rules, notes)
    return kept, rules, notes


def _group_trouble(members: list[str], allowed: set[frozenset[str]], events: dict[str, Event]) -> str:
    origins = [events[m].origin for m in members]
    twice = sorted({o for o in origins if origins.count(o) > 1})
    if twice:
        return f"the links would join several {twice[0]} events ({', '.join(sorted(members))})"
    apart = [f"{x} and {y}" for x, y in itertools.combinations(sorted(members), 2) if frozenset((x, y)) not in allowed]
    return f"{apart[0]} are not within each other's limits" if apart else ""


def _note_rivals(pairs: pd.DataFrame, rules: pd.Series, notes: pd.Series, shown: int = 3) -> None:
    """For each ambiguous pair, the other pairs of its events that score as high or higher."""
    by_member: dict[tuple[str, str], list[tuple[float, str, int]]] = {}
    for idx, key_a, key_b, origin_a, origin_b, score in zip(pairs.index, pairs["key_a"], pairs["key_b"],
                                                            pairs["origin_a"], pairs["origin_b"], pairs["score"]):
        by_member.setdefault((key_a, origin_b), []).append((score, f"{key_a}-{key_b}", idx))
        by_member.setdefault((key_b, origin_a), []).append((score, f"{key_a}-{key_b}", idx))
    rows = dict(zip(pairs.index, zip(pairs["key_a"], pairs["key_b"], pairs["origin_a"], pairs["origin_b"], pairs["score"])))
    for idx in pairs.index[(rules == "ambiguous").to_numpy()]:
        key_a, key_b, origin_a, origin_b, own = rows[idx]
        rivals = sorted({(-score, name) for member in ((key_a, origin_b), (key_b, origin_a))
                         for score, name, other in by_member[member] if other != idx and score >= own})
        listed = [f"{name} ({-neg:.3f})" for neg, name in rivals[:shown]]
        more = f" and {len(rivals) - shown} more" if len(rivals) > shown else ""
        notes[idx] = "as good or better: " + "; ".join(listed) + more if listed else ""


def _components(edges: list[tuple[str, str]]) -> list[list[str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for x in parent:
        groups.setdefault(find(x), []).append(x)
    return [sorted(g) for g in groups.values() if len(g) > 1]


# -- overrides -------------------------------------------------------------------------------

def _check_overrides(overrides: pd.DataFrame, defined: set[str], events: dict[str, Event]
                     ) -> tuple[set[frozenset[str]], list[list[str]], list[Problem]]:
    splits, confirms, problems = set(), [], []
    for row in overrides.itertuples(index=False):
        unknown = [k for k in row.keys if k not in defined]
        unusable = [k for k in row.keys if k in defined and k not in events]
        if unknown or unusable:
            what = (f"event key(s) {', '.join(unknown)} that no raw file defines" if unknown else
                    f"event(s) {', '.join(unusable)} whose date, place or actors cannot be read")
            problems.append(problem("override_matches_nothing", f"{row.action} names {what}",
                                    file=link_overrides.FILE, field=f"entry {row.entry} {row.action}"))
            continue
        if row.action == "split":
            splits |= {frozenset(p) for p in itertools.combinations(row.keys, 2)}
        else:
            confirms.append(list(row.keys))
    return splits, confirms, problems


def _stale_splits(overrides: pd.DataFrame, baseline: dict[str, str]) -> list[Problem]:
    """A split must undo something: the rule alone must put two of its events in one group."""
    out = []
    for row in overrides[overrides["action"] == "split"].itertuples(index=False):
        together = any(baseline.get(x) is not None and baseline.get(x) == baseline.get(y)
                       for x, y in itertools.combinations(row.keys, 2))
        if not together:
            out.append(problem("override_matches_nothing",
                               f"split of {', '.join(row.keys)} matches nothing: the rule does not link these events; "
                               "remove the entry", file=link_overrides.FILE, field=f"entry {row.entry} split"))
    return out


def _contradictions(groups: dict[str, str], overrides: pd.DataFrame) -> list[Problem]:
    out = []
    for row in overrides[overrides["action"] == "split"].itertuples(index=False):
        for x, y in itertools.combinations(row.keys, 2):
            if groups.get(x) is not None and groups.get(x) == groups.get(y):
                out.append(problem("override_conflict", f"{x} and {y} are split by this entry but joined by a confirm "
                                   "entry (directly or through a third event)", file=link_overrides.FILE,
                                   field=f"entry {row.entry} split"))
    return out


# -- the links table -------------------------------------------------------------------------

def _table(pairs: pd.DataFrame, cat: Catalog, rules: pd.Series, notes: pd.Series,
           groups: dict[str, str], overrides: pd.DataFrame, p: matching.Params) -> pd.DataFrame:
    t = pairs.assign(rule=rules, note=notes, decision="not_linked")
    named = {}
    for row in overrides.itertuples(index=False):
        for x, y in itertools.combinations(row.keys, 2):
            if x in cat.position and y in cat.position:
                named[frozenset((x, y))] = (row.action, row.reason)
    have = {frozenset((a, b)) for a, b in zip(t["key_a"], t["key_b"])}
    extra = measure(cat, positions(cat, [tuple(k) for k in named if k not in have]), p)
    if len(extra):
        t = pd.concat([t, extra.assign(rule="override", note="", decision="not_linked")], ignore_index=True)
    pair = [frozenset((a, b)) for a, b in zip(t["key_a"], t["key_b"])]
    together = pd.Series([groups.get(a) is not None and groups.get(a) == groups.get(b)
                          for a, b in zip(t["key_a"], t["key_b"])], index=t.index, dtype=bool)
    t["event_key"] = [groups[a] if same else "" for a, same in zip(t["key_a"], together)]
    t.loc[(t["rule"] == "best_match") & together, "decision"] = "linked"
    for i, k in enumerate(pair):
        if k in named:
            action, reason = named[k]
            t.loc[t.index[i], ["decision", "rule", "note"]] = ["confirmed" if action == "confirm" else "split", "override", reason]
    t.loc[t["decision"] == "split", "event_key"] = ""
    t["event_id_cnty"] = ""
    return finish(t)


def finish(t: pd.DataFrame) -> pd.DataFrame:
    """The table with the schema's columns and dtypes, sorted by its pair."""
    dtypes = pandas_dtypes(Links)
    if t.empty:
        return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in dtypes.items()})
    out = t[list(dtypes)].astype(dtypes).sort_values(["key_a", "key_b"], kind="stable")
    return out.reset_index(drop=True)


def with_event_ids(table: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """The published links table: each linked pair names its event's IDs in this release."""
    keys = table["event_key"][table["event_key"] != ""]
    found: dict[str, str] = {}
    if len(keys):  # two narrow columns of the linked rows only: the events table is wide and long
        mask = isin(events["event_key"], keys).to_numpy(dtype=bool)
        linked = events.loc[mask, ["event_key", "event_id_cnty"]]
        found = linked.groupby("event_key", sort=False)["event_id_cnty"].agg(lambda s: "; ".join(dict.fromkeys(s))).to_dict()
    out = table.copy()
    out["event_id_cnty"] = pd.Series([found.get(k, "") for k in out["event_key"].tolist()], index=out.index,
                                     dtype=out["event_id_cnty"].dtype)  # a small table: plain lookups
    return out


def published(table: pd.DataFrame | None, events: pd.DataFrame) -> pd.DataFrame:
    """The links table as a release publishes it (links.csv): every pair, with its event's IDs."""
    return with_event_ids(table if table is not None else finish(pd.DataFrame()), events)


# -- rewriting the staged tables -------------------------------------------------------------

def rewrite(staged: Staged, groups: dict[str, str], events: dict[str, Event],
            resolve: dict[str, str]) -> tuple[Staged, list[Problem]]:
    """Absorbed definitions become references to the kept event; their claims follow, victims
    named as the kept event names its actors."""
    absorbed = {k: head for k, head in groups.items() if k != head}
    if not absorbed:
        return staged, []
    ev = staged.events.copy()
    moved = ev["event_key"].isin(absorbed)
    ev.loc[moved, "defines"] = False
    for col in DEFINITION_FIELDS:
        ev[col] = ev[col].mask(moved)
    ev.loc[moved, "event_key"] = ev.loc[moved, "event_key"].map(absorbed)
    cl = staged.claims.copy()
    victims = cl["victims"].astype(object)
    rows_of = cl.groupby("event_key", sort=False).indices
    for key, head in absorbed.items():
        rows = cl.index[rows_of.get(key, [])]
        names = _victim_names(events[key], events[head])
        victims[rows] = victims[rows].map(lambda v, n=names: _rename(v, n, resolve))
    cl["victims"] = sorted_category(victims)
    cl.loc[cl["event_key"].isin(absorbed), "event_key"] = cl["event_key"].map(absorbed)
    cl, problems = _pool_totals(cl, [events[h] for h in sorted(set(absorbed.values()))], resolve)
    out = Staged(staged.reports, ev, cl, list(staged.problems), staged.actors)
    return out, problems


def _victim_names(member: Event, head: Event) -> dict[str, str]:
    """Each actor of an absorbed event -> the name the kept event uses for that party: the same
    name, else the main actor of the side it pairs with; Unknown where no side is compatible (a
    link a coder confirmed despite the actors), so no death is put on a side by position alone."""
    _, crossed, scores = matching.pairing(member.sides, head.sides)
    names = {a.name for side in head.sides for a in side}
    out = {}
    for k, side in enumerate(member.sides):
        target = head.sides[(1 - k) if crossed else k]
        for actor in side:
            if actor.name in names:
                out[actor.name] = actor.name
            else:
                out[actor.name] = target[0].name if target and scores[k] else vocab.UNKNOWN
    return out


def _rename(victims: str, names: dict[str, str], resolve: dict[str, str]) -> str:
    special = {vocab.CIVILIANS.lower(): vocab.CIVILIANS, vocab.UNKNOWN.lower(): vocab.UNKNOWN}
    out = []
    for v in (x.strip() for x in str(victims).split(";") if x.strip()):
        name = special.get(v.lower()) or resolve.get(v.lower(), v)
        out.append(names.get(name, name))
    return vocab.LIST_SEP.join(dict.fromkeys(out))


def _group(victims: str, head: Event) -> str:
    """Victim group of a claim on the kept event, as rules/claimants.py will assign it."""
    side_b_civilian = bool(head.sides[1]) and head.sides[1][0].inter == vocab.CIVILIAN_INTER
    members = {a.name: "side_a" for a in head.sides[0]}
    for a in head.sides[1]:
        members.setdefault(a.name, "civilians" if side_b_civilian else "side_b")
    found = set()
    for v in (x for x in victims.split(vocab.LIST_SEP) if x):
        found.add({vocab.CIVILIANS: "civilians", vocab.UNKNOWN: "unknown"}.get(v) or members.get(v, "unknown"))
    return found.pop() if len(found) == 1 else "unknown"


def _pool_totals(claims: pd.DataFrame, heads: list[Event], resolve: dict[str, str]) -> tuple[pd.DataFrame, list[Problem]]:
    """Dataset totals of one linked event that name different victim groups are pooled as
    Unknown; totals beside coded claims about other groups are warned about."""
    linked = claims[claims["event_key"].isin([h.key for h in heads])]
    has_toll = (linked["killed_best"].notna() | ~is_blank(linked["killed"])).tolist()
    by_head: dict[str, list[tuple[int, str, str]]] = {}
    for idx, key, file, victims, toll in zip(linked.index, linked["event_key"].tolist(), linked["file"].tolist(),
                                             linked["victims"].tolist(), has_toll):
        if toll:
            by_head.setdefault(key, []).append((idx, file, victims))
    pooled, problems = [], []
    for head in heads:
        rows = by_head.get(head.key, [])
        dataset = [(idx, _group(_rename(v, {}, resolve), head)) for idx, f, v in rows if origin(f) != "report"]
        coded = [(f, _group(_rename(v, {}, resolve), head)) for idx, f, v in rows if origin(f) == "report"]
        groups = {g for _, g in dataset}
        if len(groups) > 1:
            pooled += [idx for idx, _ in dataset]
            groups = {"unknown"}
        sides = {g for _, g in coded} - groups
        if groups and sides:
            problems.append(problem(
                "linked_totals_beside_sides",
                f"event {head.key} links dataset totals (victim group {groups.pop()}) with coded claims about "
                f"{', '.join(sorted(sides))}; the methodology adds victim groups up, so the event's fatalities may "
                "count the same deaths twice: compare its claims, or split the link in raw/links.yaml",
                file=coded[0][0], event_key=head.key, severity=WARNING))
    if pooled:
        victims = text(claims["victims"])
        victims.loc[pooled] = vocab.UNKNOWN
        claims["victims"] = sorted_category(victims)
    return claims, problems


__all__ = ["FILE", "Linked", "link", "origin", "published", "with_event_ids"]
