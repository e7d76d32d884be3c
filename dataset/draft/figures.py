"""Casualty figures in a sentence: an amount, what happened to them, and who they are.

Three shapes cover news language (lexicon.yaml lists the words):
  after   "two of its soldiers had been killed", "12 morts", "dozens injured"
  before  "killing 12 soldiers", "claimed to have killed approximately 20 rebels", "ont tué trois civils"
  toll    "the death toll rose to 56"
An amount that is followed by a noun that is not people ("dozens of vehicles", "two birds"), by a
month ("the 2 July attack") or a unit ("35-year-old", "20 km") is never a casualty figure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from schemas.vocab import UNKNOWN

from . import quantities, victims
from .context import Context
from .lexicon import match_at
from .quantities import Quantity
from .text import Sentence
from .victims import Victims

LOSS_VERBS = {"lost", "losing", "perdu", "perte"}
SUFFERED = {"suffered", "sustained", "subi", "lost", "perdu", "enregistre"}
SCOPE_WORDS = [("dans", "les", "rangs"), ("in", "the", "ranks"), ("among",), ("parmi",), ("cote",), ("on", "the"), ("in", "its", "ranks"), ("dans", "ses", "rangs"),
               ("in", "their", "ranks"), ("dans", "leurs", "rangs")]
INCLUDING = {"including", "dont", "among", "notamment", "mostly", "mainly", "majoritairement", "surtout",
             "most", "among them", "parmi"}
ZERO_NOUNS = {"casualties", "deaths", "fatalities", "victims", "victime", "victimes", "perte", "pertes"}
QUOTES = {'"', "“", "”", "«", "»"}
TARGET_WORDS = {"on", "at", "against", "sur", "contre"}


@dataclass(frozen=True)
class Figure:
    kind: str  # killed, wounded, captured, surrendered
    phrase: str  # the amount as written
    victims: Victims
    sentence: int
    start: int  # token index of the amount
    trigger: str  # the casualty word
    shape: str  # after, before, toll


def find(sentence: Sentence, ctx: Context) -> list[Figure]:
    words = [t.low for t in sentence.tokens]
    raw = [t.text for t in sentence.tokens]
    qs = quantities.find(sentence.tokens, sentence.text, sentence.start, ctx.language)
    qs += _absences(words, sentence, qs)
    qs.sort(key=lambda q: q.start)
    out: list[Figure] = []
    for q in qs:
        if _not_people(words, q, ctx):
            continue
        fig = _before(words, raw, q, sentence, ctx) or _after(words, raw, q, qs, sentence, ctx) or _toll(words, raw, q, sentence, ctx)
        if fig:
            out.append(fig)
    return _fill_victims(words, raw, out, ctx)


def _absences(words: list[str], sentence: Sentence, qs: list[Quantity]) -> list[Quantity]:
    """'no one was hurt', 'no casualties were reported', 'aucune perte': amounts of zero."""
    taken = {i for q in qs for i in range(q.start, q.end)}
    out = []
    for i, w in enumerate(words):
        if i in taken:
            continue
        n = 0
        if w in ("no", "aucune", "aucun", "nobody") and i + 1 < len(words):
            nxt = words[i + 1]
            if w == "nobody":
                n = 1
            elif nxt in ("one", "casualties", "deaths", "fatalities", "victims", "victime", "perte", "pertes"):
                n = 2
        if n:
            t = sentence.tokens
            out.append(Quantity(i, i + n, sentence.text[t[i].start - sentence.start:t[i + n - 1].end - sentence.start], 0, 0, 0))
    return out


def _not_people(words: list[str], q: Quantity, ctx: Context) -> bool:
    if quantities.is_date_or_year(words, q):
        return True
    nxt = words[q.end] if q.end < len(words) else ""
    return nxt in ctx.lex.not_people_after


def _before(words: list[str], raw: list[str], q: Quantity, sentence: Sentence, ctx: Context) -> Figure | None:
    k = q.start
    while k > 0 and words[k - 1] in QUOTES:
        k -= 1
    if k > 0 and words[k - 1] in ctx.lex.determiners:
        k -= 1
    for kind, options in ctx.lex.before.items():
        for p in options:
            if k >= len(p) and tuple(words[k - len(p):k]) == p:
                v = victims.parse(words, raw, q.end, ctx)
                if v is None:
                    return None
                # "lost five men", "ont perdu 7 hommes": the victims are whoever lost them
                if p[-1] in LOSS_VERBS and (v.relative in ("men", "own") or not v.names):
                    v = replace(v, relative="loser")
                return Figure(kind, q.text, v, sentence.index, q.start, " ".join(p), "before")
    return None


def _after(words: list[str], raw: list[str], q: Quantity, qs: list[Quantity], sentence: Sentence, ctx: Context, depth: int = 0) -> Figure | None:
    if q.high == 0 and any(w in ZERO_NOUNS for w in words[q.start:q.end]):
        return Figure("killed", q.text, victims.NONE_FOUND, sentence.index, q.start, words[q.end - 1], "after")
    v = victims.parse(words, raw, q.end, ctx)
    if v is None:
        return None
    k = v.end if v.found else q.end
    k = _skip(words, _skip_aside(words, k), ctx)
    for kind, options in ctx.lex.after.items():
        p = match_at(words, k, options)
        if p:
            if not v.found and k == q.end:  # "6 wounded Malian soldiers"
                later = victims.parse(words, raw, k + len(p), ctx)
                if later is not None and later.found:
                    v = later
            return Figure(kind, q.text, v, sentence.index, q.start, " ".join(p), "after")
    # "Five soldiers and one civilian died": the later figure's word counts for both.
    if depth < 3 and k < len(words) and words[k] in ("and", "et"):
        nxt = next((r for r in qs if r.start == k + 1), None)
        if nxt:
            later = _after(words, raw, nxt, qs, sentence, ctx, depth + 1)
            if later:
                return Figure(later.kind, q.text, v, sentence.index, q.start, later.trigger, "after")
    return None


def _skip_aside(words: list[str], k: int) -> int:
    """Skip ", dont trois enfants," / ", mostly civilians digging trenches," between noun and verb."""
    if k + 1 < len(words) and words[k] == "," and words[k + 1] in INCLUDING:
        for j in range(k + 2, min(len(words), k + 12)):
            if words[j] == ",":
                return j + 1
    return k


def _skip(words: list[str], k: int, ctx: Context) -> int:
    while k < len(words):
        p = match_at(words, k, ctx.lex.auxiliaries)
        if p:
            k += len(p)
        elif words[k] in ("of", "de", "d'"):
            k += 1
        else:
            return k
    return k


def _toll(words: list[str], raw: list[str], q: Quantity, sentence: Sentence, ctx: Context) -> Figure | None:
    if not any(w in ctx.lex.toll_words for w in words[:q.start]):
        return None
    for p in ctx.lex.toll_lead:
        if q.start >= len(p) and tuple(words[q.start - len(p):q.start]) == p:
            v = victims.parse(words, raw, q.end, ctx)
            if v is None:
                return None
            return Figure("killed", q.text, v, sentence.index, q.start, "toll", "toll")
    return None


def _fill_victims(words: list[str], raw: list[str], figs: list[Figure], ctx: Context) -> list[Figure]:
    """Figures without a noun take victims from the sentence: "12 morts ... parmi les militaires",
    "31 morts, dont 19 soldats et 12 VDP", "X and wounding five" (the figure before), "the enemy
    suffered ... dozens of dead", "opened fire on demonstrators, killing three"."""
    out: list[Figure] = []
    scope = _scope_victims(words, raw, ctx)
    for f in figs:
        v = f.victims
        if not v.found:
            found = (_including(words, raw, f, ctx) or scope or _coordinated(words, f, out)
                     or _suffered(words, raw, f, ctx) or (_target(words, raw, f, ctx) if f.shape == "before" else None))
            if found is not None:
                v = replace(found, end=v.end) if isinstance(found, Victims) else v
        out.append(replace(f, victims=v))
    return out


def _scope_victims(words: list[str], raw: list[str], ctx: Context) -> Victims | None:
    for i in range(len(words)):
        p = match_at(words, i, SCOPE_WORDS)
        if not p:
            continue
        j = i + len(p)
        if p in (("in", "its", "ranks"), ("dans", "ses", "rangs"), ("in", "their", "ranks"), ("dans", "leurs", "rangs")):
            return Victims((), " ".join(raw[i:j]), j, "loser", True)
        while j < len(words) and words[j] in ("the", "les", "le", "la", "l'", "des"):
            j += 1
        v = victims.parse(words, raw, j, ctx)
        if v is not None and v.found and (v.names or v.relative):
            return v
    return None


def _including(words: list[str], raw: list[str], f: Figure, ctx: Context) -> Victims | None:
    """'31 morts, dont 19 soldats et 12 VDP': the victims are those listed."""
    i = f.start
    while i < len(words) and words[i] not in INCLUDING:
        if words[i] in (".", ";"):
            return None
        i += 1
    if i >= len(words) or i - f.start > 6:
        return None
    names: list[str] = []
    j = i + 1
    while j < len(words):
        qs = quantities.find_at(words, j)
        if qs is None:
            break
        v = victims.parse(words, raw, qs, ctx)
        if v is None or not v.found:
            break
        names += [n for n in v.names if n not in names]
        j = v.end
        if j < len(words) and words[j] in ("and", "et", ","):
            j += 1
            continue
        break
    return Victims(tuple(names), " ".join(raw[i + 1:j]), j, None, True) if names else None


def _coordinated(words: list[str], f: Figure, done: list[Figure]) -> Victims | None:
    """'killing eight gendarmes and wounding five': the figure joined by and/et to the one before."""
    if not done:
        return None
    prev = done[-1]
    between = words[prev.victims.end if prev.victims.found else prev.start + 1:f.start]
    if any(w in ("and", "et") for w in between) and len(between) <= 6 and "." not in between:
        if prev.victims.found:
            return prev.victims
    return None


def _suffered(words: list[str], raw: list[str], f: Figure, ctx: Context) -> Victims | None:
    """'the enemy suffered huge losses ... including dozens of dead': victims are the sufferers."""
    for i in range(f.start - 1, -1, -1):
        if words[i] in SUFFERED:
            for j in range(max(0, i - 4), i):
                v = victims.parse(words, raw, j, ctx)
                if v is not None and v.found and v.end <= i and (v.names or v.relative):
                    return v
            return None
    return None


def _target(words: list[str], raw: list[str], f: Figure, ctx: Context) -> Victims | None:
    """'opened fire on demonstrators, killing three': the target of the attack."""
    for i in range(f.start - 1, -1, -1):
        if words[i] in TARGET_WORDS:
            v = victims.parse(words, raw, i + 1, ctx)
            if v is not None and v.found and v.names and v.names != (UNKNOWN,):
                return v
    return None
