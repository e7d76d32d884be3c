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

from ..names import Members, coded

# Credibility tiers used for a group's best estimate (lower is more credible), see aggregate.py.
TIER = {"third_party": 0, "own": 1, "enemy": 2, "party": 2}


GROUP = {g: i for i, g in enumerate(VICTIM_GROUPS)}
STANCE = {st: i for i, st in enumerate(STANCES)}


def classify(defs: pd.DataFrame, claim_def: np.ndarray, victims: pd.Series, claimant: pd.Series
             ) -> tuple[np.ndarray, np.ndarray]:
    """(victim group, stance) of each claim, as codes into VICTIM_GROUPS and STANCES.

    `defs` has one row per event with canonical actor1, actor2, assoc_actor_1, assoc_actor_2 and
    inter2; `claim_def` gives each claim's row in `defs` (-1: none); victims and claimant are
    canonical. Lists are split and names coded once per distinct value (thousands, for
    millions of rows), and each claim's names are looked up among its own event's few members
    by integer comparisons: no text is hashed per row.
    """
    defs = defs.reset_index(drop=True)
    columns = [(defs["actor1"], False), (defs["assoc_actor_1"], True), (defs["actor2"], False),
               (defs["assoc_actor_2"], True), (victims, True), (claimant, False)]
    (a1, as1, a2, as2, victim, claimant_), vocabulary = coded(columns)
    # Every member of every event, side_a's before side_b's: a name on both sides is side_a's.
    member_def = np.concatenate([a1.row, as1.row, a2.row, as2.row])
    member_code = np.concatenate([a1.code, as1.code, a2.code, as2.code])
    member_group = np.repeat(np.array([GROUP["side_a"], GROUP["side_b"]], dtype=np.int8),
                             [len(a1.row) + len(as1.row), len(a2.row) + len(as2.row)])
    civilian_b = (member_group == GROUP["side_b"]) & (defs["inter2"].to_numpy()[member_def] == CIVILIAN_INTER)
    member_group[civilian_b] = GROUP["civilians"]
    members = Members(member_def, member_code, member_group, len(defs))

    victim_claim, victim_code = victim.row, victim.code
    group = members.first_group(claim_def[victim_claim], victim_code)
    group[group < 0] = GROUP["unknown"]
    for word, word_group in ((CIVILIANS, "civilians"), (UNKNOWN, "unknown")):
        group[victim_code == vocabulary.get(word, -1)] = GROUP[word_group]
    victim_group = np.full(len(claimant), GROUP["unknown"], dtype=np.int8)
    if len(victim_claim):  # a claim's names are one run, claims in order
        starts = np.flatnonzero(np.r_[True, victim_claim[1:] != victim_claim[:-1]])
        low, high = np.minimum.reduceat(group, starts), np.maximum.reduceat(group, starts)
        single = low == high
        victim_group[victim_claim[starts][single]] = low[single]

    claimant_code = np.full(len(claimant), -1, dtype=np.int64)
    claimant_code[claimant_.row] = claimant_.code
    side = members.first_group(claim_def, claimant_code, among=(GROUP["side_a"], GROUP["side_b"]))
    about_side = np.isin(victim_group, [GROUP["side_a"], GROUP["side_b"]])
    party = side >= 0
    stance = np.where(~party, STANCE["third_party"], np.where(~about_side, STANCE["party"],
                      np.where(side == victim_group, STANCE["own"], STANCE["enemy"]))).astype(np.int8)
    return victim_group, stance
