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

from schemas import STR
from schemas.vocab import CIVILIAN_INTER, CIVILIANS, STANCES, UNKNOWN, VICTIM_GROUPS

from ..names import exploded

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
               (defs["assoc_actor_2"], True), (victims.reset_index(drop=True), True),
               (claimant.reset_index(drop=True), False)]
    (a1, as1, a2, as2, victim, claimant_), vocabulary = _coded_names(columns)
    # Every member of every event, side_a's before side_b's: a name on both sides is side_a's.
    member_def = np.concatenate([a1[0], as1[0], a2[0], as2[0]])
    member_code = np.concatenate([a1[1], as1[1], a2[1], as2[1]])
    member_group = np.repeat(np.array([GROUP["side_a"], GROUP["side_b"]], dtype=np.int8),
                             [len(a1[0]) + len(as1[0]), len(a2[0]) + len(as2[0])])
    civilian_b = (member_group == GROUP["side_b"]) & (defs["inter2"].to_numpy()[member_def] == CIVILIAN_INTER)
    member_group[civilian_b] = GROUP["civilians"]
    members = _Members(member_def, member_code, member_group, len(defs))

    victim_claim, victim_code = victim
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
    claimant_code[claimant_[0]] = claimant_[1]
    side = members.first_group(claim_def, claimant_code, among=(GROUP["side_a"], GROUP["side_b"]))
    about_side = np.isin(victim_group, [GROUP["side_a"], GROUP["side_b"]])
    party = side >= 0
    stance = np.where(~party, STANCE["third_party"], np.where(~about_side, STANCE["party"],
                      np.where(side == victim_group, STANCE["own"], STANCE["enemy"]))).astype(np.int8)
    return victim_group, stance


def _coded_names(columns: list[tuple[pd.Series, bool]]) -> tuple[list[tuple[np.ndarray, np.ndarray]], dict[str, int]]:
    """For each (column, is a '; '-separated list): its names as (row, code), rows ascending and
    a row's names in their order (what `exploded` gives, blanks dropped), the codes shared by all
    columns; and the code of each name.

    Each column is coded by pyarrow's hash kernel, and only its distinct values are split and
    named; the rows then take their names by integer indexing.
    """
    distinct = []
    for values, is_list in columns:
        codes, uniques = pd.factorize(values.fillna("").astype(STR))
        text = pd.Series(uniques, dtype=STR)
        names = exploded(text) if is_list else text[text != ""]
        distinct.append((codes, names, len(uniques)))
    name_code, vocabulary = pd.factorize(pd.concat([names for _, names, _ in distinct], ignore_index=True))
    out, offset = [], 0
    for codes, names, n_distinct in distinct:
        owner = names.index.to_numpy()  # each name's distinct value, ascending
        code = name_code[offset:offset + len(names)].astype(np.int64)
        offset += len(names)
        count = np.bincount(owner, minlength=n_distinct)
        first = np.cumsum(count) - count
        per_row = count[codes]
        if per_row.max(initial=0) <= 1:  # single names (the usual row): no spreading
            row = np.flatnonzero(per_row)
            out.append((row, code[first[codes[row]]]))
            continue
        row = np.repeat(np.arange(len(codes)), per_row)
        # each name's place in `code`: its list's first name, plus its place in the list
        at = np.repeat(first[codes] - (np.cumsum(per_row) - per_row), per_row) + np.arange(len(row))
        out.append((row, code[at]))
    return out, {name: i for i, name in enumerate(vocabulary)}


class _Members:
    """The members of each event (`defs` row), in order, as name codes and groups."""

    def __init__(self, event: np.ndarray, code: np.ndarray, group: np.ndarray, n_events: int):
        order = np.argsort(event, kind="stable")  # by event, each event's members in their order
        self.code, self.group = code[order], group[order]
        self.count = np.bincount(event, minlength=n_events)
        self.first = np.cumsum(self.count) - self.count

    def first_group(self, event: np.ndarray, code: np.ndarray, among: tuple[int, ...] | None = None) -> np.ndarray:
        """The group of the first member of `event` named `code` (-1: none; event -1: none),
        counting only members in the groups `among` when given. One pass per member position:
        events have a few members, so a few passes over the rows still looking."""
        out = np.full(len(event), -1, dtype=np.int8)
        looking = np.flatnonzero((event >= 0) & (code >= 0))
        nth = 0
        while len(looking):
            looking = looking[self.count[event[looking]] > nth]
            at = self.first[event[looking]] + nth
            hit = self.code[at] == code[looking]
            if among is not None:
                hit &= np.isin(self.group[at], among)
            out[looking[hit]] = self.group[at[hit]]
            looking = looking[~hit]
            nth += 1
        return out
