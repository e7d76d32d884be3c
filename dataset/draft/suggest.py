"""Suggestions for the event fields: type, sub-type, sides, place and date. Every one is a guess
that the draft marks as such; the coder confirms or replaces it.

Event type: the first rule of lexicon.yaml `event_types` whose cue words occur. Sides: the
claims' claimants and victims (a party claiming another's losses is its adversary); actor1 is
the non-state side when a state force is on the other (news reports of Sahel clashes usually
name the attacker so), inter-8 forces (foreign mercenaries) become associated actors.
Date: the earliest candidate date within a month before publication. Place: a place already
coded, else the first gazetteer place that is not the dateline.
"""

from __future__ import annotations

import re

from schemas.vocab import CIVILIANS, UNKNOWN

from .context import EXTERNAL, Context
from .text import fold

RECENT_DAYS = 31


def event_type(body: str, ctx: Context) -> tuple[str, str, list[str]] | None:
    low = fold(body)
    for rule in ctx.lex.event_types:
        cues = [c for c in rule["cues"] if re.search(rf"(?<!\w){re.escape(fold(c))}(?!\w)", low)]
        if cues:
            return rule["event_type"], rule["sub_event_type"], cues
    return None


def sides(d, ctx: Context) -> tuple[list[str], list[str]]:
    """(side 1, side 2) of registered actors, from who claims whose losses."""
    side: dict[str, int] = {}
    for c in d.claims:
        victims = [v for v in c.victims if v in ctx.registry.inter]
        if not ctx.is_actor(c.claimant) or not victims:
            continue
        own = c.claimant in victims
        if c.claimant not in side:
            known = next((side[v] for v in victims if v in side), None)
            side[c.claimant] = 0 if known is None else (known if own else 1 - known)
        for v in victims:
            side.setdefault(v, side[c.claimant] if own else 1 - side[c.claimant])
    if not side:
        named = [a for a in d.actors if ctx.registry.inter.get(a) != 7]
        side = {a: i for i, a in enumerate(named[:2])}
    first = [a for a in d.actors if side.get(a) == 0] + [a for a, s in side.items() if s == 0 and a not in d.actors]
    second = [a for a in d.actors if side.get(a) == 1] + [a for a, s in side.items() if s == 1 and a not in d.actors]
    if _is_state(first, ctx) and not _is_state(second, ctx) and second:
        first, second = second, first
    return first, second


def _is_state(side: list[str], ctx: Context) -> bool:
    return any(ctx.registry.inter.get(a) == 1 for a in side)


def main_and_associates(side: list[str], ctx: Context) -> tuple[str | None, list[str]]:
    if not side:
        return None, []
    ranked = sorted(side, key=lambda a: (ctx.registry.inter.get(a) == EXTERNAL, side.index(a)))
    return ranked[0], [a for a in ranked[1:] if a not in (CIVILIANS, UNKNOWN)]


def date(d) -> object | None:
    recent = [c for c in d.dates if (d.published - c.end).days <= RECENT_DAYS]
    return min(recent, key=lambda c: (c.start, c.precision)) if recent else None


def place(d):
    coded = [m for m in d.places if m.place.origin.startswith("raw/")]
    if coded:
        return coded[0]
    others = [m for m in d.places if not m.dateline]
    return others[0] if others else None
