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

from schemas.frames import lookup
from schemas.vocab import CIVILIAN_INTER, CIVILIANS, LIST_SEP, UNKNOWN

from ..names import exploded, member_keys

# Credibility tiers used for a group's best estimate (lower is more credible), see aggregate.py.
TIER = {"third_party": 0, "own": 1, "enemy": 2, "party": 2}


def side_members(events: pd.DataFrame) -> pd.Series:
    """The group of every actor of every event, indexed by `member_keys(event_key, actor)`."""
    parts = []
    for actor_col, assoc_col, inter_col, group in (("actor1", "assoc_actor_1", "inter1", "side_a"),
                                                   ("actor2", "assoc_actor_2", "inter2", "side_b")):
        actor = events[actor_col].fillna("").astype("str")
        names = pd.concat([actor[actor != ""], exploded(events[assoc_col])])
        rows = names.index
        groups = pd.Series(group, index=rows, dtype="object")
        if group == "side_b":
            groups[events.loc[rows, inter_col].to_numpy() == CIVILIAN_INTER] = "civilians"
        parts.append(pd.Series(groups.to_numpy(), index=member_keys(events.loc[rows, "event_key"], names).to_numpy()))
    out = pd.concat(parts)
    return out[~out.index.duplicated(keep="first")].astype("str")


def victim_groups(claims: pd.DataFrame, members: pd.Series) -> pd.Series:
    """Victim group of each claim (claims need `event_key` and resolved `victims`, '; '-joined)."""
    victims = exploded(claims["victims"])
    group = lookup(member_keys(claims.loc[victims.index, "event_key"], victims), members).astype("object")
    group[(victims == CIVILIANS).to_numpy()] = "civilians"
    group[(victims == UNKNOWN).to_numpy()] = "unknown"
    group = group.fillna("unknown").astype("str")
    if not victims.index.duplicated().any():
        return group.reindex(claims.index).fillna("unknown").astype("str")
    by_claim = group.groupby(level=0)
    per_claim = by_claim.first().where(by_claim.nunique() == 1, "unknown")
    return per_claim.reindex(claims.index).fillna("unknown").astype("str")


def stances(claims: pd.DataFrame, members: pd.Series) -> pd.Series:
    """Stance of each claim (claims need `event_key`, `claimant_actor` and `victim_group`)."""
    sides = members[members.isin(["side_a", "side_b"])]
    side = lookup(member_keys(claims["event_key"], claims["claimant_actor"]), sides)
    group = claims["victim_group"]
    out = pd.Series("third_party", index=claims.index, dtype="object")
    is_party = side.notna()
    about_side = group.isin(["side_a", "side_b"])
    out[is_party & about_side & (side == group)] = "own"
    out[is_party & about_side & (side != group)] = "enemy"
    out[is_party & ~about_side] = "party"
    return out.astype("str")
