"""What the drafter knows about a report beyond one sentence: the registered actors it names,
the countries it names, the outlet, and who spoke last. Built once per report, read by the rules.

Only registered names and aliases (raw/actors.yaml) become actors: a draft never invents one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from schemas.vocab import country_names

from .lexicon import Lexicon, Phrase, named_at, phrase
from .text import Sentence

NON_STATE_ARMED = (2,)  # ACLED inter code of rebel groups: "rebels", "jihadists", "terrorists", "assailants"
MILITIAS = (3, 4)  # political and identity militias: "militiamen", "vigilantes", "dozos"
EXTERNAL = 8


@dataclass(frozen=True)
class Registry:
    """Registered actors: inter code by name, and every name and alias as a token phrase."""

    inter: dict[str, int]
    aliases: tuple[tuple[Phrase, str], ...]

    @classmethod
    def from_entries(cls, entries: list[dict]) -> Registry:
        inter, aliases = {}, []
        for e in entries:
            inter[e["name"]] = int(e["inter"])
            names = e.get("aliases") or []
            names = names.split(";") if isinstance(names, str) else names
            for alias in [e["name"], *names]:
                p = phrase(alias.strip())
                if p:
                    aliases.append((p, e["name"]))
        aliases.sort(key=lambda x: (-len(x[0]), x[0]))
        return cls(inter, tuple(aliases))

    def actor_at(self, words: list[str], i: int) -> tuple[int, str] | None:
        """(number of tokens, actor) if a name or alias starts at token i."""
        hit = named_at(words, i, self.aliases)
        return (len(hit[0]), hit[1]) if hit else None


@cache
def _countries() -> dict[Phrase, str]:
    return {phrase(c): c for c in country_names()}


@dataclass
class Context:
    lex: Lexicon
    registry: Registry
    language: str
    outlet: str
    published: dt.date | None = None
    mentioned: list[str] = field(default_factory=list)  # registered actors, in order of mention
    countries: list[str] = field(default_factory=list)  # most often named first
    last_speaker: str | None = None
    persons: dict[str, str] = field(default_factory=dict)  # a person's name -> who they speak for

    def country_at(self, words: list[str], i: int) -> tuple[int, str] | None:
        w = words[i]
        if w in self.lex.demonyms:
            return 1, self.lex.demonyms[w]
        if w in self.lex.country_names:
            return 1, self.lex.country_names[w]
        hit = named_at(words, i, _countries().items())
        return (len(hit[0]), hit[1]) if hit else None

    def state_actor(self, kind: str, country: str | None) -> str | None:
        """The registered state force of a country ("Military Forces of Mali (2021-)")."""
        prefix = self.lex.state_prefix.get(kind)
        if not prefix:
            return None
        if country:
            found = [n for n, i in self.registry.inter.items() if i == 1 and n.startswith(prefix + country + " (")]
            return found[0] if len(found) == 1 else None
        named = [n for n in dict.fromkeys(self.mentioned) if self.registry.inter.get(n) == 1 and n.startswith(prefix)]
        if len(named) == 1:
            return named[0]
        if self.countries:
            return self.state_actor(kind, self.countries[0])
        return None

    def only_mentioned(self, codes: tuple[int, ...]) -> str | None:
        found = [n for n in dict.fromkeys(self.mentioned) if self.registry.inter.get(n) in codes]
        return found[0] if len(found) == 1 else None

    def is_actor(self, name: str | None) -> bool:
        return name in self.registry.inter


def build(lex: Lexicon, registry: Registry, sentences: list[Sentence], language: str, outlet: str,
          published: dt.date | None = None) -> Context:
    ctx = Context(lex, registry, language, outlet, published)
    counts: Counter[str] = Counter()
    for s in sentences:
        words = [t.low for t in s.tokens]
        i = 0
        while i < len(words):
            hit = registry.actor_at(words, i)
            if hit:
                ctx.mentioned.append(hit[1])
                i += hit[0]
                continue
            c = ctx.country_at(words, i)
            if c:
                counts[c[1]] += 1
                i += c[0]
                continue
            i += 1
    ctx.countries = [c for c, _ in counts.most_common()]
    return ctx

