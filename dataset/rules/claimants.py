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

import numpy as np
import pandas as pd

from schemas.vocab import CIVILIAN_INTER, CIVILIANS, UNKNOWN

from ..names import exploded

# Credibility tiers used for a group's best estimate (lower is more credible), see aggregate.py.
TIER = {"third_party": 0, "own": 1, "enemy": 2, "party": 2}


def classify(defs: pd.DataFrame, claim_def: np.ndarray, victims: pd.Series, claimant: pd.Series
             ) -> tuple[pd.Series, pd.Series]:
    """(victim group, stance) of each claim.

    `defs` has one row per event with canonical actor1, actor2, assoc_actor_1, assoc_actor_2 and
    inter2; `claim_def` gives each claim's row in `defs`; victims and claimant are canonical.
    Names are coded as integers once, so membership is an integer lookup, not a string join.
    """
    index = claimant.index
    victims, claimant = victims.reset_index(drop=True), claimant.reset_index(drop=True)
    defs = defs.reset_index(drop=True)
    parts = []  # (event row, name, group) of every actor of every event
    for actor_col, assoc_col, group in (("actor1", "assoc_actor_1", "side_a"), ("actor2", "assoc_actor_2", "side_b")):
        actor = defs[actor_col].fillna("").astype("str")
        names = pd.concat([actor[actor != ""], exploded(defs[assoc_col])])
        groups = np.full(len(names), group, dtype=object)
        if group == "side_b":
            groups[defs["inter2"].to_numpy()[names.index] == CIVILIAN_INTER] = "civilians"
        parts.append((names.index.to_numpy(), names, groups))
    member_def = np.concatenate([p[0] for p in parts])
    member_group = np.concatenate([p[2] for p in parts])
    victim = exploded(victims)
    codes, uniques = pd.factorize(pd.concat([p[1] for p in parts] + [victim, claimant.astype("str")], ignore_index=True))
    n = max(len(uniques), 1)
    n_members, n_victims = len(member_def), len(victim)
    member_key = pd.Index(member_def.astype(np.int64) * n + codes[:n_members])
    first = ~member_key.duplicated()
    member_key, member_group = member_key[first], member_group[first]

    victim_claim = victim.index.to_numpy()
    victim_key = claim_def[victim_claim].astype(np.int64) * n + codes[n_members:n_members + n_victims]
    at = member_key.get_indexer(victim_key)
    group = np.where(at >= 0, member_group[np.maximum(at, 0)], "unknown").astype(object)
    group[(victim == CIVILIANS).to_numpy()] = "civilians"
    group[(victim == UNKNOWN).to_numpy()] = "unknown"
    per_victim = pd.Series(group, index=victim_claim, dtype="str")
    if pd.Index(victim_claim).has_duplicates:
        by_claim = per_victim.groupby(level=0)
        per_victim = by_claim.first().where(by_claim.nunique() == 1, "unknown")
    victim_group = per_victim.reindex(np.arange(len(claimant))).fillna("unknown").to_numpy()

    sides = np.isin(member_group, ["side_a", "side_b"])
    side_index = pd.Index(member_key[sides])
    claimant_key = claim_def.astype(np.int64) * n + codes[n_members + n_victims:]
    at = side_index.get_indexer(claimant_key)
    side = np.where(at >= 0, member_group[sides][np.maximum(at, 0)], "")
    about_side = np.isin(victim_group, ["side_a", "side_b"])
    party = side != ""
    stance = np.where(~party, "third_party", np.where(~about_side, "party", np.where(side == victim_group, "own", "enemy")))
    return pd.Series(victim_group, index=index, dtype="str"), pd.Series(stance, index=index, dtype="str")
