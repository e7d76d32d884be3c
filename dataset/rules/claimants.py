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

from schemas.vocab import CIVILIAN_INTER, CIVILIANS, STANCES, UNKNOWN, VICTIM_GROUPS

from schemas.frames import positions

from ..names import exploded

# Credibility tiers used for a group's best estimate (lower is more credible), see aggregate.py.
TIER = {"third_party": 0, "own": 1, "enemy": 2, "party": 2}


GROUP = {g: i for i, g in enumerate(VICTIM_GROUPS)}
STANCE = {st: i for i, st in enumerate(STANCES)}


def classify(defs: pd.DataFrame, claim_def: np.ndarray, victims: pd.Series, claimant: pd.Series
             ) -> tuple[np.ndarray, np.ndarray]:
    """(victim group, stance) of each claim, as codes into VICTIM_GROUPS and STANCES.

    `defs` has one row per event with canonical actor1, actor2, assoc_actor_1, assoc_actor_2 and
    inter2; `claim_def` gives each claim's row in `defs`; victims and claimant are canonical.
    Names are coded as integers once, so membership is an integer lookup, not a string join.
    """
    victims, claimant = victims.reset_index(drop=True), claimant.reset_index(drop=True)
    defs = defs.reset_index(drop=True)
    member_def, member_names, member_group = [], [], []  # every actor of every event, and its group
    for actor_col, assoc_col, group in (("actor1", "assoc_actor_1", "side_a"), ("actor2", "assoc_actor_2", "side_b")):
        actor = defs[actor_col].fillna("").astype("str")
        names = pd.concat([actor[actor != ""], exploded(defs[assoc_col])])
        groups = np.full(len(names), GROUP[group], dtype=np.int8)
        if group == "side_b":
            groups[defs["inter2"].to_numpy()[names.index] == CIVILIAN_INTER] = GROUP["civilians"]
        member_def.append(names.index.to_numpy())
        member_names.append(names)
        member_group.append(groups)
    member_def, member_group = np.concatenate(member_def), np.concatenate(member_group)
    victim = exploded(victims)
    codes, uniques = pd.factorize(pd.concat(member_names + [victim, claimant.astype("str")], ignore_index=True))
    n = max(len(uniques), 1)
    n_members, n_victims = len(member_def), len(victim)
    member_key = pd.Index(member_def.astype(np.int64) * n + codes[:n_members])
    first = ~member_key.duplicated()
    member_key, member_group = member_key[first], member_group[first]

    victim_claim = victim.index.to_numpy()
    at = positions(pd.Series(claim_def[victim_claim].astype(np.int64) * n + codes[n_members:n_members + n_victims]),
                   pd.Series(member_key))
    group = np.where(at >= 0, member_group[np.maximum(at, 0)], GROUP["unknown"]).astype(np.int8)
    group[(victim == CIVILIANS).to_numpy()] = GROUP["civilians"]
    group[(victim == UNKNOWN).to_numpy()] = GROUP["unknown"]
    victim_group = np.full(len(claimant), GROUP["unknown"], dtype=np.int8)
    if len(victim_claim):  # exploded victims come in claim order: each claim's names are one run
        starts = np.flatnonzero(np.r_[True, victim_claim[1:] != victim_claim[:-1]])
        low, high = np.minimum.reduceat(group, starts), np.maximum.reduceat(group, starts)
        single = low == high
        victim_group[victim_claim[starts][single]] = low[single]

    sides = np.isin(member_group, [GROUP["side_a"], GROUP["side_b"]])
    at = positions(pd.Series(claim_def.astype(np.int64) * n + codes[n_members + n_victims:]), pd.Series(member_key[sides]))
    side = np.where(at >= 0, member_group[sides][np.maximum(at, 0)], -1)
    about_side = np.isin(victim_group, [GROUP["side_a"], GROUP["side_b"]])
    party = side >= 0
    stance = np.where(~party, STANCE["third_party"], np.where(~about_side, STANCE["party"],
                      np.where(side == victim_group, STANCE["own"], STANCE["enemy"]))).astype(np.int8)
    return victim_group, stance
