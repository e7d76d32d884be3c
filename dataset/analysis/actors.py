"""Who fought whom: actor and dyad summaries, and the mix of interaction types.

Fatality columns are the totals of the events an actor (or dyad) took part in, not deaths it
caused or suffered: the events table does not say who killed whom. Counts are event rows (one
per event and day). An actor takes part as actor1, actor2 or an associated actor; an event is
counted once per actor even if the actor is named in two roles. First and last seen are the
earliest and latest `event_date`, as precise as the events' `time_precision`.
"""

from __future__ import annotations

import pandas as pd

from schemas.vocab import INTER_LABELS, LIST_SEP

from .fatalities import FATALITY_COLUMNS

ROLES = {"actor1": "actor1", "actor2": "actor2", "assoc_actor_1": "associated", "assoc_actor_2": "associated"}
SUMMARY_COLUMNS = ["events", *FATALITY_COLUMNS, "first_seen", "last_seen"]


def involvement(events: pd.DataFrame) -> pd.DataFrame:
    """Long table: one row per event row, actor and role (actor1, actor2 or associated).

    >>> ev = pd.DataFrame({"event_id_cnty": ["MLI1"], "actor1": ["A"], "assoc_actor_1": ["C; D"],
    ...                    "actor2": [""], "assoc_actor_2": [""]})
    >>> involvement(ev).to_dict("records")
    [{'event_id_cnty': 'MLI1', 'actor': 'A', 'role': 'actor1'}, {'event_id_cnty': 'MLI1', 'actor': 'C', 'role': 'associated'}, {'event_id_cnty': 'MLI1', 'actor': 'D', 'role': 'associated'}]
    """
    parts = []
    for column, role in ROLES.items():
        names = events[column].fillna("").astype("str").str.split(LIST_SEP)
        long = pd.DataFrame({"event_id_cnty": events["event_id_cnty"].astype("str"), "actor": names, "role": role})
        long = long.explode("actor")
        parts.append(long[long["actor"].fillna("") != ""])
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"actor": "str"}).sort_values(["event_id_cnty", "actor"], kind="stable").reset_index(drop=True)


def _summarise(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Events, fatality sums and first / last dates per group of `keys` (frame has one row per event)."""
    g = frame.groupby(keys, sort=True)
    out = g[FATALITY_COLUMNS].sum().astype("int64")
    out.insert(0, "events", g.size().astype("int64"))
    out["first_seen"] = g["event_date"].min()
    out["last_seen"] = g["event_date"].max()
    return out.reset_index()


def actor_summary(events: pd.DataFrame) -> pd.DataFrame:
    """Per actor: event rows by role, fatality totals of those events, first and last seen.

    Sorted by events (most first), then name.

    >>> ev = pd.DataFrame({"event_id_cnty": ["MLI1", "MLI2"], "event_date": pd.to_datetime(["2024-07-01", "2024-08-01"]),
    ...     "actor1": ["A", "B"], "assoc_actor_1": ["", ""], "actor2": ["B", ""], "assoc_actor_2": ["", ""],
    ...     "fatalities": [1, 2], "fatalities_low": [1, 2], "fatalities_best": [3, 4], "fatalities_high": [5, 6]})
    >>> actor_summary(ev)[["actor", "events", "as_actor1", "as_actor2", "fatalities_best", "first_seen"]].to_dict("records")[0]
    {'actor': 'B', 'events': 2, 'as_actor1': 1, 'as_actor2': 1, 'fatalities_best': 7, 'first_seen': Timestamp('2024-07-01 00:00:00')}
    """
    long = involvement(events)
    columns = ["actor", "events", "as_actor1", "as_actor2", "as_associated", *SUMMARY_COLUMNS[1:]]
    if long.empty:
        kinds = {"actor": "str", "first_seen": "datetime64[us]", "last_seen": "datetime64[us]"}
        return pd.DataFrame({c: pd.Series([], dtype=kinds.get(c, "int64")) for c in columns})
    roles = pd.crosstab(long["actor"], long["role"]).reindex(columns=["actor1", "actor2", "associated"], fill_value=0)
    roles = roles.add_prefix("as_").astype("int64")
    per_event = long.drop_duplicates(["event_id_cnty", "actor"])
    facts = events.assign(event_id_cnty=events["event_id_cnty"].astype("str"))[["event_id_cnty", "event_date", *FATALITY_COLUMNS]]
    out = _summarise(per_event.merge(facts, on="event_id_cnty"), ["actor"]).join(roles, on="actor")
    out = out[columns]
    return out.sort_values(["events", "actor"], ascending=[False, True], kind="stable").reset_index(drop=True)


def interaction_label(code: int) -> str:
    """ACLED's words for an interaction code: 12 -> 'State forces vs Rebel group'.

    >>> interaction_label(12), interaction_label(60)
    ('State forces vs Rebel group', 'Protesters only')
    """
    first, second = divmod(int(code), 10)
    if second == 0:
        return f"{INTER_LABELS[first]} only"
    return f"{INTER_LABELS[first]} vs {INTER_LABELS[second]}"


def dyad_summary(events: pd.DataFrame) -> pd.DataFrame:
    """Per dyad (actor1 and actor2, in either order; actor_b empty for one-sided events).

    Sorted by events (most first), then names. Associated actors are not part of the dyad.

    >>> ev = pd.DataFrame({"event_date": pd.to_datetime(["2024-07-01", "2024-08-01"]), "actor1": ["B", "A"],
    ...     "actor2": ["A", "B"], "interaction": [12, 12], "fatalities": [1, 2], "fatalities_low": [1, 2],
    ...     "fatalities_best": [3, 4], "fatalities_high": [5, 6]})
    >>> dyad_summary(ev)[["actor_a", "actor_b", "events", "fatalities_best", "fatalities_high"]].to_dict("records")
    [{'actor_a': 'A', 'actor_b': 'B', 'events': 2, 'fatalities_best': 7, 'fatalities_high': 11}]
    """
    a1, a2 = events["actor1"].astype("str"), events["actor2"].fillna("").astype("str")
    swap = (a2 != "") & (a2 < a1)
    frame = events[["event_date", "interaction", *FATALITY_COLUMNS]].assign(
        actor_a=a1.where(~swap, a2), actor_b=a2.where(~swap, a1), interaction=events["interaction"].astype("int64"))
    out = _summarise(frame, ["actor_a", "actor_b", "interaction"])
    out.insert(3, "interaction_label", out["interaction"].map(interaction_label).astype("str"))
    return out.sort_values(["events", "actor_a", "actor_b"], ascending=[False, True, True], kind="stable").reset_index(drop=True)


def interaction_mix(events: pd.DataFrame) -> pd.DataFrame:
    """Per interaction code: its label, event rows, share of all rows and fatality totals.

    >>> ev = pd.DataFrame({"event_date": pd.to_datetime(["2024-07-01"] * 3), "interaction": [12, 12, 60],
    ...     "fatalities": [1, 2, 0], "fatalities_low": [1, 2, 0], "fatalities_best": [3, 4, 0], "fatalities_high": [5, 6, 0]})
    >>> interaction_mix(ev)[["interaction", "interaction_label", "events", "share_of_events"]].to_dict("records")[0]
    {'interaction': 12, 'interaction_label': 'State forces vs Rebel group', 'events': 2, 'share_of_events': 0.6667}
    """
    frame = events[["event_date", *FATALITY_COLUMNS]].assign(interaction=events["interaction"].astype("int64"))
    out = _summarise(frame, ["interaction"]).drop(columns=["first_seen", "last_seen"])
    out.insert(1, "interaction_label", out["interaction"].map(interaction_label).astype("str"))
    out.insert(3, "share_of_events", (out["events"] / max(len(events), 1)).round(4))
    return out.sort_values(["events", "interaction"], ascending=[False, True], kind="stable").reset_index(drop=True)
