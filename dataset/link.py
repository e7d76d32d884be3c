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

import pandas as pd

from schemas import vocab
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
    p = p or matching.params()
    resolve = resolver(actors)
    events = event_definitions(staged, actors)
    pairs = compare_pairs(events, candidate_pairs(list(events.values()), p), p)
    defined = set(staged.events.loc[staged.events["defines"], "event_key"])
    splits, confirms, problems = _check_overrides(overrides, defined, events)
    baseline = _groups(pairs, set(), [], events)[0]
    problems += _stale_splits(overrides, baseline)
    groups, rules, notes = _groups(pairs, splits, confirms, events)
    problems += _contradictions(groups, overrides)
    table = _table(pairs, events, rules, notes, groups, overrides, p)
    new, more = rewrite(staged, groups, events, resolve)
    return Linked(new, table, problems + more)


# -- the events compared ---------------------------------------------------------------------

def event_definitions(staged: Staged, actors: pd.DataFrame) -> dict[str, Event]:
    """One Event per defined key whose date, place and actor1 are all readable."""
    resolve = resolver(actors)
    inter = dict(zip(actors["name"], actors["inter"]))
    d = staged.events[staged.events["defines"]].sort_values(["file", "entry"], kind="stable").drop_duplicates("event_key")
    needed = ["date_start", "date_end", "time_precision", "geo_precision", "latitude", "longitude", "country", "actor1"]
    d = d[d[needed].notna().all(axis=1) & (d["event_key"] != "")]
    first = _first_published(staged)
    out = {}
    for row in d.itertuples(index=False):
        sides = tuple(tuple(Actor(n, int(inter.get(n, 0))) for n in _names((main, assoc), resolve))
                      for main, assoc in ((row.actor1, row.assoc_actor_1), (row.actor2, row.assoc_actor_2)))
        out[row.event_key] = Event(
            row.event_key, origin(row.file), row.country, _day(row.date_start), _day(row.date_end),
            int(row.time_precision), int(row.geo_precision), float(row.latitude), float(row.longitude),
            sides, first.get(row.event_key, _day(row.date_start)))
    return out


def _names(values: tuple, resolve: dict[str, str]) -> list[str]:
    """Registered names of a side: its main actor first, then its associated actors."""
    parts = [x.strip() for v in values if isinstance(v, str) for x in v.split(";") if x.strip()]
    return list(dict.fromkeys(resolve.get(x.casefold(), x) for x in parts))


def _day(ts: pd.Timestamp) -> int:
    return int((ts - EPOCH) // pd.Timedelta(days=1))


def _first_published(staged: Staged) -> dict[str, int]:
    keyed = pd.concat([staged.events[["event_key", "report_id", "file"]], staged.claims[["event_key", "report_id", "file"]]])
    keyed = keyed.drop_duplicates().merge(staged.reports[["report_id", "file", "published"]], on=["report_id", "file"])
    first = keyed.dropna(subset=["published"]).groupby("event_key")["published"].min()
    return {k: _day(v) for k, v in first.items()}


# -- pairs -----------------------------------------------------------------------------------

def candidate_pairs(events: list[Event], p: matching.Params) -> list[tuple[str, str]]:
    """Pairs of events of different sources that could lie within each other's limits.

    Each event claims the (week, 1-degree cell) buckets its own date window and radius reach; two
    events whose windows and disks meet share a bucket, so no pair within the limits is missed
    and the exact comparison runs on few pairs.
    """
    rows = []
    max_window, max_radius = max(p.date_window.values()), max(p.radius.values())
    for e in events:
        w = p.date_window.get(e.tp, max_window) + p.date_slack
        r = p.radius.get(e.gp, max_radius)
        dlat = r / 111.0
        dlon = r / (111.0 * max(math.cos(math.radians(e.lat)), 0.01))
        for week in range((e.start - w) // 7, (e.end + w) // 7 + 1):
            for la in range(math.floor(e.lat - dlat), math.floor(e.lat + dlat) + 1):
                for lo in range(math.floor(e.lon - dlon), math.floor(e.lon + dlon) + 1):
                    rows.append((e.country, week, la, lo, e.key, e.origin))
    if not rows:
        return []
    b = pd.DataFrame(rows, columns=["country", "week", "lat", "lon", "key", "origin"])
    m = b.merge(b, on=["country", "week", "lat", "lon"])
    m = m[(m["origin_x"] != m["origin_y"]) & (m["key_x"] < m["key_y"])]
    return sorted(set(zip(m["key_x"], m["key_y"])))


def compare_pairs(events: dict[str, Event], keys: list[tuple[str, str]], p: matching.Params) -> pd.DataFrame:
    """Features and score of each pair, ordered so key_a is the event kept when linked."""
    rows = [compare(events[x], events[y], p) for x, y in keys]
    columns = ["key_a", "key_b", "origin_a", "origin_b", "score", "date_score", "place_score", "actor_score",
               "date_gap_days", "date_limit_days", "distance_km", "distance_limit_km", "within", "predates", "multi_day"]
    out = pd.DataFrame(rows, columns=columns)
    return out[out["within"]].reset_index(drop=True) if len(out) else out


def compare(x: Event, y: Event, p: matching.Params) -> dict:
    a, b = sorted((x, y), key=lambda e: e.rank)
    gap = max(0, max(a.start, b.start) - min(a.end, b.end))
    date_limit = matching.date_limit(a.tp, b.tp, p)
    distance = matching.distance_km(a.lat, a.lon, b.lat, b.lon)
    place_limit = matching.place_limit(a.gp, b.gp, p)
    actor, _ = matching.sides_score(a.sides, b.sides, p)
    date_score, place_score = matching.closeness(gap, date_limit), matching.closeness(distance, place_limit)
    return {
        "key_a": a.key, "key_b": b.key, "origin_a": a.origin, "origin_b": b.origin,
        "score": round((date_score + place_score + actor) / 3, 3), "date_score": round(date_score, 3),
        "place_score": round(place_score, 3), "actor_score": round(actor, 3), "date_gap_days": gap,
        "date_limit_days": date_limit, "distance_km": round(distance, 1), "distance_limit_km": place_limit,
        "within": bool(a.country == b.country and gap <= date_limit and distance <= place_limit and actor > 0),
        "predates": bool(b.published < a.start),
        "multi_day": bool(a.end > a.start or b.end > b.start),
    }


# -- decisions -------------------------------------------------------------------------------

def pair_rules(pairs: pd.DataFrame, splits: set[frozenset[str]], threshold: float) -> pd.Series:
    """The rule's verdict on each pair within the limits (before groups are checked)."""
    rule = pd.Series("below_threshold", index=pairs.index, dtype=object)
    if pairs.empty:
        return rule
    is_split = pairs.apply(lambda r: frozenset((r.key_a, r.key_b)) in splits, axis=1).astype(bool)
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


def _groups(pairs: pd.DataFrame, splits: set[frozenset[str]], confirms: list[list[str]],
            events: dict[str, Event]) -> tuple[dict[str, str], pd.Series, pd.Series]:
    """(key -> kept key of its group, rule per pair, note per pair) after groups are checked."""
    rules = pair_rules(pairs, splits, matching.params().threshold)
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
    if len(pairs):
        ambiguous = rules == "ambiguous"
        for idx in pairs.index[ambiguous.to_numpy()]:
            notes[idx] = _rivals(pairs, idx)
    return kept, rules, notes


def _group_trouble(members: list[str], allowed: set[frozenset[str]], events: dict[str, Event]) -> str:
    origins = [events[m].origin for m in members]
    twice = sorted({o for o in origins if origins.count(o) > 1})
    if twice:
        return f"the links would join several {twice[0]} events ({', '.join(sorted(members))})"
    apart = [f"{x} and {y}" for x, y in itertools.combinations(sorted(members), 2) if frozenset((x, y)) not in allowed]
    return f"{apart[0]} are not within each other's limits" if apart else ""


def _rivals(pairs: pd.DataFrame, idx) -> str:
    row = pairs.loc[idx]
    rivals = pairs[(((pairs["key_a"] == row.key_a) & (pairs["origin_b"] == row.origin_b))
                    | ((pairs["key_b"] == row.key_b) & (pairs["origin_a"] == row.origin_a)))
                   & (pairs.index != idx) & (pairs["score"] >= row.score)]
    listed = [f"{r.key_a}-{r.key_b} ({r.score:.3f})" for r in rivals.itertuples()]
    return "as good or better: " + "; ".join(listed) if listed else ""


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

def _table(pairs: pd.DataFrame, events: dict[str, Event], rules: pd.Series, notes: pd.Series,
           groups: dict[str, str], overrides: pd.DataFrame, p: matching.Params) -> pd.DataFrame:
    t = pairs.assign(rule=rules, note=notes, decision="not_linked")
    named = {}
    for row in overrides.itertuples(index=False):
        for x, y in itertools.combinations(row.keys, 2):
            if x in events and y in events:
                named[frozenset((x, y))] = (row.action, row.reason)
    have = {frozenset((a, b)) for a, b in zip(t["key_a"], t["key_b"])}
    extra = [compare(events[x], events[y], p) for x, y in (sorted(k) for k in named if k not in have)]
    if extra:
        t = pd.concat([t, pd.DataFrame(extra).assign(rule="override", note="", decision="not_linked")], ignore_index=True)
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
    dtypes = _dtypes()
    if t.empty:
        return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in dtypes.items()})
    out = t[list(dtypes)].astype(dtypes).sort_values(["key_a", "key_b"], kind="stable")
    return out.reset_index(drop=True)


def _dtypes() -> dict:
    from schemas.fields import pandas_dtypes

    return pandas_dtypes(Links)


def with_event_ids(table: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """The published links table: each linked pair names its event's IDs in this release."""
    ids = events.groupby("event_key", sort=False)["event_id_cnty"].agg(lambda s: "; ".join(dict.fromkeys(s)))
    out = table.copy()
    out["event_id_cnty"] = out["event_key"].map(ids).fillna("").astype(out["event_id_cnty"].dtype)
    return out


def csv_bytes(table: pd.DataFrame | None, events: pd.DataFrame) -> bytes:
    from .release import csv_bytes as write

    return write(with_event_ids(table if table is not None else finish(pd.DataFrame()), events))


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
    for key, head in absorbed.items():
        rows = cl["event_key"] == key
        names = _victim_names(events[key], events[head])
        victims[rows] = victims[rows].map(lambda v, n=names: _rename(v, n, resolve))
    cl["victims"] = victims.astype(cl["victims"].dtype)
    cl.loc[cl["event_key"].isin(absorbed), "event_key"] = cl["event_key"].map(absorbed)
    problems = []
    for head in sorted(set(absorbed.values())):
        cl, found = _pool_totals(cl, events[head], resolve)
        problems += found
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
    special = {vocab.CIVILIANS.casefold(): vocab.CIVILIANS, vocab.UNKNOWN.casefold(): vocab.UNKNOWN}
    out = []
    for v in (x.strip() for x in str(victims).split(";") if x.strip()):
        name = special.get(v.casefold()) or resolve.get(v.casefold(), v)
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


def _pool_totals(claims: pd.DataFrame, head: Event, resolve: dict[str, str]) -> tuple[pd.DataFrame, list[Problem]]:
    rows = claims[claims["event_key"] == head.key]
    has_toll = rows["killed_best"].notna() | (rows["killed"].fillna("") != "")
    dataset = rows[has_toll & rows["file"].map(origin).ne("report")]
    coded = rows[has_toll & rows["file"].map(origin).eq("report")]
    resolved = lambda v: _rename(v, {}, resolve)  # noqa: E731
    groups = {_group(resolved(v), head) for v in dataset["victims"]}
    if len(groups) > 1:
        claims.loc[dataset.index, "victims"] = vocab.UNKNOWN
        groups = {"unknown"}
    sides = {_group(resolved(v), head) for v in coded["victims"]} - groups
    if groups and sides:
        return claims, [problem(
            "linked_totals_beside_sides",
            f"event {head.key} links dataset totals (victim group {groups.pop()}) with coded claims about "
            f"{', '.join(sorted(sides))}; the methodology adds victim groups up, so the event's fatalities may count "
            "the same deaths twice: compare its claims, or split the link in raw/links.yaml",
            file=coded["file"].iloc[0],
            event_key=head.key, severity=WARNING)]
    return claims, []


__all__ = ["FILE", "Linked", "csv_bytes", "link", "origin", "with_event_ids"]
