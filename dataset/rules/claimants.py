"""Who a claim is about (its victim group) and who makes it relative to them (its stance).

Victim groups follow UCDP GED's deaths by side: side_a is actor1 with its associated actors,
side_b is actor2 with its associated actors (civilian actors, inter code 7, count as civilians),
then civilians and unknown. A claim naming victims in several groups goes to unknown: it cannot be
attributed to one side.

Stance: `own` when the claimant is on the side whose losses it reports, `enemy` when it is on the
opposing side, `party` when a side speaks of civilian or unattributed deaths, `third_party` for
everyone else (the outlet, local sources, officials of neither side, hospitals, the UN).
"""

from __future__ import annotations

import pandas as pd

from schemas.vocab import CIVILIAN_INTER, CIVILIANS, LIST_SEP, UNKNOWN

# Credibility tiers used for a group's best estimate (lower is more credible), see aggregate.py.
TIER = {"third_party": 0, "own": 1, "enemy": 2, "party": 2}


def side_members(events: pd.DataFrame) -> pd.DataFrame:
    """Long table (event_key, actor, group): every actor of every event and the group it is in."""
    parts = []
    for actor_col, assoc_col, inter_col, group in (("actor1", "assoc_actor_1", "inter1", "side_a"),
                                                   ("actor2", "assoc_actor_2", "inter2", "side_b")):
        names = (events[actor_col] + LIST_SEP + events[assoc_col]).str.split(LIST_SEP)
        long = pd.DataFrame({"event_key": events["event_key"], "actor": names, "inter": events[inter_col]})
        long = long.explode("actor")
        long = long[long["actor"].fillna("") != ""]
        long["group"] = group
        if group == "side_b":
            long.loc[long["inter"] == CIVILIAN_INTER, "group"] = "civilians"
        parts.append(long[["event_key", "actor", "group"]])
    out = pd.concat(parts, ignore_index=True).drop_duplicates(["event_key", "actor"], keep="first")
    return out.astype({"event_key": "str", "actor": "str", "group": "str"})


def victim_groups(claims: pd.DataFrame, members: pd.DataFrame) -> pd.Series:
    """Victim group of each claim (claims need `event_key` and resolved `victims`, '; '-joined)."""
    long = claims[["event_key", "victims"]].assign(victim=claims["victims"].str.split(LIST_SEP)).explode("victim")
    long["row"] = long.index
    merged = long.merge(members, how="left", left_on=["event_key", "victim"], right_on=["event_key", "actor"])
    merged.index = long.index
    group = merged["group"].astype("object")
    group = group.where(merged["victim"] != CIVILIANS, "civilians").where(merged["victim"] != UNKNOWN, "unknown")
    group = group.fillna("unknown").astype("str")
    by_claim = group.groupby(level=0)
    per_claim = by_claim.first().where(by_claim.nunique() == 1, "unknown")
    return per_claim.reindex(claims.index).astype("str")


def stances(claims: pd.DataFrame, members: pd.DataFrame) -> pd.Series:
    """Stance of each claim (claims need `event_key`, `claimant_actor` and `victim_group`)."""
    sides = members[members["group"].isin(["side_a", "side_b"])]
    side = claims[["event_key", "claimant_actor"]].merge(
        sides, how="left", left_on=["event_key", "claimant_actor"], right_on=["event_key", "actor"])["group"]
    side.index = claims.index
    group = claims["victim_group"]
    out = pd.Series("third_party", index=claims.index, dtype="object")
    is_party = side.notna()
    about_side = group.isin(["side_a", "side_b"])
    out[is_party & about_side & (side == group)] = "own"
    out[is_party & about_side & (side != group)] = "enemy"
    out[is_party & ~about_side] = "party"
    return out.astype("str")
