"""Who makes a claim: the speaker a sentence attributes its figures to, mapped to an actor.

Forms (lexicon.yaml `reporting`): "X said ..." (figures after the verb), "..., X said." (figures
before it), "..., said X." and "selon X" / "according to X" (the whole sentence), "X, which
reported ...", pronouns and "the statement" (the previous speaker), "Ramadane claimed" (a person
whose affiliation the report gave: "Ramadane, spokesman for the CSP-DPA"). A sentence without
attribution is the outlet's own statement.
"""

from __future__ import annotations

from dataclasses import dataclass

from .context import Context
from .lexicon import match_at
from .text import Sentence, fold
from .victims import class_actor

CLAUSE_BREAKS = {",", ";", ":", '"', "“", "”", "«", "»", "that", "que", "qu'", "(", ")", "—", "–"}
QUOTE_CLOSE = {'"', "”", "»", ","}
PARTICIPLES = {"stating", "saying", "adding", "claiming", "reporting", "announcing", "affirming", "affirmant",
               "indiquant", "precisant", "ajoutant", "declarant", "assurant", "revendiquant"}
INSTITUTIONAL = {"statement", "communique", "spokesman", "spokesperson", "spokeswoman", "porte-parole", "release"}
PASSIVE = {"were", "was", "been", "being", "is", "are", "ete", "etait", "etaient"}
FINITE = {"has", "have", "had", "is", "was", "were", "are", "will", "would", "did", "does", "a", "ont", "est",
          "sont", "made", "said", "claimed"}
LEADING = {"in", "response", "but", "and", "also", "meanwhile", "however", "et", "mais", "then", "later",
           "separately", "earlier", "de", "des", "from", "aupres"}
DETERMINERS = {"the", "a", "an", "le", "la", "les", "l'", "un", "une", "des", "its", "their", "his", "her",
               "two", "three", "several", "some", "deux", "trois", "plusieurs"}


@dataclass(frozen=True)
class Attribution:
    claimant: str
    speaker: str  # as written
    verb: int  # token index of the reporting verb (or of "according to")
    scope: str  # "after": figures after the verb; "all": the whole sentence


def find(sentence: Sentence, ctx: Context) -> list[Attribution]:
    words = [t.low for t in sentence.tokens]
    out: list[Attribution] = []
    i = 0
    while i < len(words):
        acc = match_at(words, i, ctx.lex.according)
        if acc and (i == 0 or words[i - 1] != "a"):
            j = _span_end(words, i + len(acc))
            out.append(_make(sentence, words, i + len(acc), j, i, "all", ctx))
            i = j
            continue
        verb = match_at(words, i, ctx.lex.verbs)
        if verb:
            end = i + len(verb)
            if i > 0 and words[i - 1] in QUOTE_CLOSE and verb in ctx.lex.inverted and _speaker_follows(words, end):
                j = _span_end(words, end)
                out.append(_make(sentence, words, end, j, i, "all", ctx))
                i = j
                continue
            if i > 0 and words[i - 1] in PASSIVE:  # "no casualties were reported": not a speaker
                i = end
                continue
            if words[i] in PARTICIPLES:
                start, stop = _main_subject(words)
            else:
                start, stop = _clause_start(words, i), i
            if stop > start:
                out.append(_make(sentence, words, start, stop, i, "after", ctx))
            i = end
            continue
        i += 1
    return [a for a in out if a.claimant]


def claimant_for(attributions: list[Attribution], index: int, outlet: str) -> str:
    """The speaker of the figure at token `index`: the nearest "X said" before it, else "according
    to X", else the next "..., X said" after it, else the outlet."""
    before = [a for a in attributions if a.scope == "after" and a.verb < index]
    if before:
        return before[-1].claimant
    whole = [a for a in attributions if a.scope == "all"]
    if whole:
        return whole[0].claimant
    after = [a for a in attributions if a.verb > index]
    return after[0].claimant if after else outlet


def _speaker_follows(words: list[str], i: int) -> bool:
    return i < len(words) and words[i] not in ("that", "que", "on", "in", "it", "he", "she", "they", "to", ".")


def _span_end(words: list[str], i: int) -> int:
    j = i
    while j < len(words) and words[j] not in (",", ".", ";", ":", "that", "que", "on", "in") :
        j += 1
    return j


def _clause_start(words: list[str], i: int) -> int:
    j = i
    while j > 0 and words[j - 1] not in CLAUSE_BREAKS:
        j -= 1
    return j


def _main_subject(words: list[str]) -> tuple[int, int]:
    """The sentence's subject, after a dateline ("BAMAKO, Mali (AP) — A coalition ... has")."""
    start = next((j + 1 for j, w in enumerate(words[:15]) if w in ("—", "–")), 0)
    for j in range(start + 1, len(words)):  # from the second word: "A coalition" is no French "a"
        if words[j] in FINITE or words[j] == ",":
            return start, j
    return start, start


def _make(sentence: Sentence, words: list[str], start: int, stop: int, verb: int, scope: str, ctx: Context) -> Attribution:
    while start < stop and words[start] in LEADING:
        start += 1
    raw = [t.text for t in sentence.tokens]
    speaker = _written(sentence, start, stop)
    claimant = resolve(words[start:stop], raw[start:stop], words[:start], ctx, written=speaker)
    if claimant:
        ctx.last_speaker = claimant
    return Attribution(claimant or "", speaker, verb, scope)


def _written(sentence: Sentence, start: int, stop: int) -> str:
    """The words start..stop exactly as the sentence has them."""
    if stop <= start:
        return ""
    t = sentence.tokens
    return sentence.text[t[start].start - sentence.start:t[stop - 1].end - sentence.start].strip(" ,.")


def resolve(words: list[str], raw: list[str], before: list[str], ctx: Context, depth: int = 0,
            written: str | None = None) -> str | None:
    """A speaker's words to a claimant: a registered actor where the report leaves no doubt."""
    if not words:
        return None
    if words[0] in ctx.lex.relative and before:
        return _antecedent(before, ctx)
    if match_at(words, 0, ctx.lex.anaphora) and len(words) <= 4 and ctx.last_speaker:
        return ctx.last_speaker
    for k in range(len(words)):
        hit = ctx.registry.actor_at(words, k)
        if hit:
            return hit[1]
    for k, w in enumerate(raw):
        if w[:1].isupper() and ctx.persons.get(words[k]):
            return ctx.persons[words[k]]
    cls = _class_only(words, ctx)
    if cls:
        actor = _class_actor(cls, words, ctx)
        if actor:
            return actor
    if depth == 0:
        for k in range(len(words)):
            if match_at(words, k, ctx.lex.statement):
                # "police spokesman", "an army statement" speak for the institution ("a military
                # commander" or "a military source" does not)
                head = _class_only(words[:k], ctx) if k and words[k] in INSTITUTIONAL else None
                if head:
                    actor = _class_actor(head, words[:k], ctx)
                    if actor:
                        return actor
                for m in range(k + 1, len(words)):
                    if words[m] in ("of", "for", "from", "de", "du", "des", "d'"):
                        inner = resolve(words[m + 1:], raw[m + 1:], [], ctx, depth + 1)
                        if inner and inner in ctx.registry.inter:
                            return inner
                        break
    return written if written is not None else " ".join(raw).strip(" ,.")


def _class_actor(cls: str, words: list[str], ctx: Context) -> str | None:
    country = next((c[1] for k in range(len(words)) if (c := ctx.country_at(words, k))), None)
    return class_actor(cls, country, ctx)


def _class_only(words: list[str], ctx: Context) -> str | None:
    """'the army', "Niger's army", 'les militaires': only determiners, country words and a class noun."""
    k, cls = 0, None
    while k < len(words):
        noun = ctx.lex.noun_at(words, k)
        if noun and cls in (None, noun[1]) and noun[1] in ("military", "police", "armed_group"):
            cls, k = noun[1], k + len(noun[0])
            continue
        if cls and words[k] in ("in", "of", "from", "en", "au", "du"):  # "Rebel Coalition in Mali"
            return cls
        c = ctx.country_at(words, k)
        if c:
            k += c[0]
            continue
        if words[k] in DETERMINERS or words[k] in ctx.lex.noun_modifiers:
            k += 1
            continue
        return None
    return cls


def _antecedent(before: list[str], ctx: Context) -> str | None:
    for k in range(len(before) - 1, -1, -1):
        hit = ctx.registry.actor_at(before, k)
        if hit:
            return hit[1]
    return None


def persons(sentences: list[Sentence], ctx: Context) -> dict[str, str]:
    """People whose affiliation the report states: 'Ramadane, spokesman for the CSP-DPA' and
    'RSF spokesman Al-Fateh Qurashi' map every part of the name to the actor (or the full name)."""
    out: dict[str, str] = {}
    for s in sentences:
        words = [t.low for t in s.tokens]
        raw = [t.text for t in s.tokens]
        for i, w in enumerate(words):
            if w != "," or i == 0 or not raw[i - 1][:1].isupper():
                continue
            start = i
            while start > 0 and raw[start - 1][:1].isupper() and words[start - 1] not in ctx.lex.titles:
                start -= 1
            name = raw[start:i]
            j = i + 1
            while j < len(words) and words[j] in DETERMINERS | ctx.lex.noun_modifiers | {"senior", "former"}:
                j += 1
            if j < len(words) and words[j] in ctx.lex.titles:
                k = j + 1
                while k < len(words) and words[k] not in (",", "."):
                    k += 1
                who = resolve(words[j + 1:k], raw[j + 1:k], [], ctx, 1)
                actor = who if who in ctx.registry.inter else None
                _remember(out, name, actor or " ".join(name))
            elif len(name) >= 2:
                _remember(out, name, " ".join(name))
        for i, w in enumerate(words):  # "RSF spokesman Al-Fateh Qurashi"
            if w in ctx.lex.titles and i + 1 < len(raw) and raw[i + 1][:1].isupper():
                k = i + 1
                while k < len(raw) and raw[k][:1].isupper():
                    k += 1
                who = resolve(words[max(0, i - 3):i], raw[max(0, i - 3):i], [], ctx, 1)
                if who in ctx.registry.inter:
                    _remember(out, raw[i + 1:k], who)
    return out


def _remember(out: dict[str, str], name: list[str], who: str) -> None:
    for part in name:
        key = fold(part)
        if len(key) > 2 and key not in out:
            out[key] = who
