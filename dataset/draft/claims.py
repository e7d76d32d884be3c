"""From a report's sentences to drafted claims: figures, their claimant and their victims.

Relative victims are settled here, where the claimant is known: "its soldiers" are the
claimant's own, "the enemy" the registered actors the report names other than the claimant,
"others" the victims of the figure before, "lost five men" whoever lost them.
The same claim stated twice (the lead and the body of a wire story) is drafted once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from schemas.vocab import UNKNOWN

from ..rules import phrases
from . import attribution, dates, figures
from .context import Context
from .figures import Figure
from .text import Sentence
from .victims import class_actor


@dataclass(frozen=True)
class Claim:
    kind: str
    phrase: str
    victims: tuple[str, ...]
    claimant: str
    quote: str
    sentence: int
    victims_written: str = ""
    speaker: str = ""
    also: tuple[str, ...] = field(default=())
    background: bool = False  # about an earlier event ("In 2019, a raid killed 53"): review, not a claim


def extract(sentences: list[Sentence], ctx: Context) -> list[Claim]:
    ctx.persons = attribution.persons(sentences, ctx)
    out: list[Claim] = []
    previous: tuple[str, ...] = ()
    for s in sentences:
        atts = attribution.find(s, ctx)
        past = _background(s, ctx)
        for f in figures.find(s, ctx):
            claimant = attribution.claimant_for(atts, f.start, ctx.outlet)
            names = _settle(f, claimant, previous, s, ctx)
            previous = names
            out.append(Claim(f.kind, f.phrase, names, claimant, s.text, s.index, f.victims.written,
                             next((a.speaker for a in atts if a.claimant == claimant), ""), background=past))
    return _dedupe(out)


def _background(s: Sentence, ctx: Context) -> bool:
    """A sentence naming another year, or a date over a month before publication, is background."""
    if ctx.published is None:
        return False
    for t in s.tokens:
        if re.fullmatch(r"(19|20)\d\d", t.text) and int(t.text) != ctx.published.year:
            return True
    return any((ctx.published - c.end).days > 31 for c in dates.find(s.text, ctx.published) if c.precision == 1)


def _settle(f: Figure, claimant: str, previous: tuple[str, ...], s: Sentence, ctx: Context) -> tuple[str, ...]:
    v = f.victims
    rel = v.relative
    if v.guessed and f.shape == "before" and len(v.names) == 1 and _named_before(v.names[0], f, s, ctx):
        return (UNKNOWN,)  # "Les VDP ont ... abattu une dizaine d'assaillants": not the VDP
    if v.names and rel not in ("others",):
        return v.names
    if rel == "others":
        return previous or (UNKNOWN,)
    if rel in ("own", "loser", "men"):
        if rel in ("loser", "men"):
            subject = _subject_before(f, s, ctx)
            if subject:
                return (subject,)
        return (claimant,) if ctx.is_actor(claimant) else (UNKNOWN,)
    if rel == "enemy":
        others = tuple(n for n in dict.fromkeys(ctx.mentioned) if n != claimant)
        return others if ctx.is_actor(claimant) and others else (UNKNOWN,)
    return v.names or (UNKNOWN,)


def _named_before(actor: str, f: Figure, s: Sentence, ctx: Context) -> bool:
    words = [t.low for t in s.tokens]
    return any((hit := ctx.registry.actor_at(words, j)) and hit[1] == actor for j in range(f.start))


def _subject_before(f: Figure, s: Sentence, ctx: Context) -> str | None:
    """The actor named (or the class noun) just before the figure's verb: 'the militants lost'."""
    words = [t.low for t in s.tokens]
    for j in range(f.start - 1, max(-1, f.start - 12), -1):
        hit = ctx.registry.actor_at(words, j)
        if hit:
            return hit[1]
        noun = ctx.lex.noun_at(words, j)
        if noun and noun[1] in ("military", "police", "armed_group", "militia", "external"):
            return class_actor(noun[1], None, ctx)
        if words[j] in ("it", "they", "il", "ils", "elle"):
            return None
    return None


def _dedupe(claims: list[Claim]) -> list[Claim]:
    out: list[Claim] = []
    for c in claims:
        same = next((o for o in out if (o.kind, o.claimant, set(o.victims)) == (c.kind, c.claimant, set(c.victims))
                     and _same_amount(o.phrase, c.phrase)), None)
        if same and same.sentence != c.sentence:
            i = out.index(same)
            out[i] = Claim(same.kind, same.phrase, same.victims, same.claimant, same.quote, same.sentence,
                           same.victims_written, same.speaker, same.also + (c.quote,))
            continue
        out.append(c)
    return out


def _same_amount(a: str, b: str) -> bool:
    same = same_reading(a, b)
    return a.casefold() == b.casefold() if same is None else same


def same_reading(a: str, b: str) -> bool | None:
    """Whether two amounts read as the same range in the phrase table; None if either is unreadable."""
    try:
        ra, rb = phrases.read(a), phrases.read(b)
    except phrases.PhraseError:
        return None
    return (ra.low, ra.best, ra.high) == (rb.low, rb.best, rb.high)
