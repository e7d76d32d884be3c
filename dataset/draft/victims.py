"""Who a figure is about: parse the noun phrase after a figure and map it to registered actors.

The mapping is deliberately conservative: a named actor wins; a class noun ("soldiers", "rebels")
becomes an actor only when the report leaves no doubt which one (see lexicon.yaml); otherwise the
victims are Unknown and the draft says what was written, so the coder decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.vocab import CIVILIANS, UNKNOWN

from .context import EXTERNAL, MILITIAS, NON_STATE_ARMED, Context
from .lexicon import match_at

MAX_GAP = 4  # modifiers allowed between a figure and its noun ("12 Malian army soldiers")
# Non-state class nouns and the inter codes of the actors they may stand for.
GROUP_CODES = {"armed_group": NON_STATE_ARMED, "militia": MILITIAS, "external": (EXTERNAL,)}


@dataclass(frozen=True)
class Victims:
    """Parsed victims: actor names (or Civilians/Unknown), what was written, where the phrase ends.

    `relative` is set when the noun points elsewhere: "others" (the previous figure's victims),
    "own" (the speaker's side), "enemy" (the speaker's adversaries), "men" (whoever lost them).
    """

    names: tuple[str, ...]
    written: str
    end: int
    relative: str | None = None
    found: bool = True
    guessed: bool = False  # the actor comes from a class noun, not from a name


NONE_FOUND = Victims((), "", 0, None, False)


def parse(words: list[str], raw: list[str], i: int, ctx: Context) -> Victims | None:
    """Victims starting at token i. NONE_FOUND (with end=i) when no noun follows; None when a
    noun follows that is not people ("dozens of vehicles"): then the figure is not a casualty."""
    parts: list[Victims] = []
    j = i
    while True:
        part = _segment(words, j, ctx)
        if part is None:
            return None if not parts else _join(parts, raw, i)
        if not part.found:
            break
        parts.append(part)
        j = part.end
        if j < len(words) and words[j] in ("and", "et", "or", "ou") and j + 1 < len(words):
            nxt = _segment(words, j + 1, ctx)
            if nxt is not None and nxt.found and not _starts_with_number(words, j + 1):
                parts.append(nxt)
                j = nxt.end
                continue
        break
    if not parts:
        return Victims((), "", i, None, False)
    return _join(parts, raw, i)


def _starts_with_number(words: list[str], i: int) -> bool:
    return i < len(words) and words[i].isdigit()


def _join(parts: list[Victims], raw: list[str], i: int) -> Victims:
    names = tuple(dict.fromkeys(n for p in parts for n in p.names))
    relative = next((p.relative for p in parts if p.relative), None)
    if names and relative == "others":  # "rebelles du M23 et en ...": the named victims stand
        relative = None
    end = parts[-1].end
    return Victims(names, " ".join(raw[i:end]), end, relative, True, any(p.guessed for p in parts))


def _segment(words: list[str], i: int, ctx: Context) -> Victims | None:
    """One noun phrase: [of] [the/its] [modifiers] noun [of/from/de <actor>]."""
    lex = ctx.lex
    j, country, actor, own = i, None, None, False
    for _ in range(MAX_GAP + 2):
        if j >= len(words):
            break
        hit = ctx.registry.actor_at(words, j)
        noun = lex.noun_at(words, j)
        if noun and noun[1] == "others" and j + len(noun[0]) < len(words) and lex.noun_at(words, j + len(noun[0])):
            j += len(noun[0])  # "neuf autres militaires": the noun after "autres" says who
            continue
        if noun:
            j += len(noun[0])
            return _qualify(words, j, noun[1], actor, country, own, ctx)
        if hit:
            actor, j = hit[1], j + hit[0]
            continue
        c = ctx.country_at(words, j)
        if c:
            country, j = c[1], j + c[0]
            continue
        w = words[j]
        if w in lex.own_possessives:
            own = True
            j += 1
            continue
        if w in lex.noun_modifiers:
            j += 1
            continue
        break
    if actor:  # "hundreds of VDP", "45 rebelles du M23" handled above; a bare actor name
        return Victims((actor,), "", j, None, True)
    if j < len(words) and (words[j].isalpha() and words[j] not in _FUNCTION_WORDS and len(words[j]) > 2
                           and not match_at(words, j, lex.auxiliaries) and not _is_casualty(words, j, ctx)):
        return None  # a noun that is not people: "two birds", "dozens of vehicles"
    return Victims((), "", i, None, False)


def _is_casualty(words: list[str], j: int, ctx: Context) -> bool:
    return any(match_at(words, j, ps) for ps in ctx.lex.after.values())


def _qualify(words: list[str], j: int, cls: str, actor: str | None, country: str | None, own: bool,
             ctx: Context) -> Victims:
    """Resolve a class noun, looking for "of the CSP-DPA" / "de Boko Haram" right after it."""
    c = ctx.country_at(words, j) if j < len(words) else None
    if c:  # French adjectives follow the noun: "soldats nigériens"
        country, j = c[1], j + c[0]
    if j < len(words) and words[j] in ("of", "from", "de", "du", "des", "d'"):
        k = j + 1
        while k < len(words) and words[k] in ("the", "la", "le", "l'", "les"):
            k += 1
        hit = ctx.registry.actor_at(words, k)
        if hit:
            actor, j = hit[1], k + hit[0]
            if j < len(words) and words[j] in ("group", "groupe", "coalition", "movement"):
                j += 1
    if actor:
        return Victims((actor,), "", j, None, True)
    return Victims(resolve_class(cls, country, own, ctx), "", j, _relative(cls, own), True, cls in ("armed_group", "militia"))


def _relative(cls: str, own: bool) -> str | None:
    if cls in ("others", "enemy", "men"):
        return cls
    if own and cls in ("military", "police", "armed_group", "militia", "external", "people"):
        return "own"
    return None


def resolve_class(cls: str, country: str | None, own: bool, ctx: Context) -> tuple[str, ...]:
    """A class noun to actor names; () when it depends on the speaker or the previous figure."""
    if cls in ("others", "enemy", "men") or (own and cls != "civilians"):
        return ()
    if cls == "civilians":
        return (CIVILIANS,)
    name = class_actor(cls, country, ctx)
    return (name,) if name else (UNKNOWN,)


def class_actor(cls: str, country: str | None, ctx: Context) -> str | None:
    """The one registered actor a class noun stands for ("the army" of the country, "the rebels"
    when the report names one rebel group), or None when the report leaves doubt."""
    if cls in ("military", "police"):
        return ctx.state_actor(cls, country)
    codes = GROUP_CODES.get(cls)
    return ctx.only_mentioned(codes) if codes else None


_FUNCTION_WORDS = {"and", "in", "on", "at", "during", "near", "when", "after", "before", "while", "as",
                   "et", "dans", "lors", "près", "à", "au", "aux", "en", "pendant", "avec", "with", "by",
                   "from", "to", "for", "of", "de", "du", "des", "d'", "par", "pour", "sur", "the", "a",
                   "an", "le", "la", "les", "l'", "un", "une", "who", "which", "that", "qui", "que",
                   "including", "dont", "among", "parmi", "but", "mais", "or", "ou", "since", "depuis",
                   "according", "selon", "last", "this", "over", "around", "about", "between", "entre",
                   "yesterday", "hier", "today", "overnight", "early", "late", "later", "earlier",
                   "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                   "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "so", "far",
                   "there", "here", "soon", "just", "then", "also", "only", "ont", "sont", "a", "has",
                   "have", "had", "were", "was", "are", "is", "will", "would", "could", "may", "might"}
