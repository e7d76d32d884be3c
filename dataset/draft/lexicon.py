"""The drafting rules of lexicon.yaml, compiled once into token tuples for matching."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .text import fold, tokenize

RULES_FILE = Path(__file__).with_name("lexicon.yaml")
Phrase = tuple[str, ...]


def phrase(text: str) -> Phrase:
    return tuple(t.low for t in tokenize(str(text)))


def phrases(items) -> list[Phrase]:
    """Token tuples, longest first so that "shot dead" wins over "dead"."""
    return sorted({phrase(i) for i in items if phrase(i)}, key=lambda p: (-len(p), p))


def match_at(words: list[str], i: int, options: list[Phrase]) -> Phrase | None:
    """The first of `options` that starts at token i."""
    for p in options:
        if tuple(words[i:i + len(p)]) == p:
            return p
    return None


def named_at(words: list[str], i: int, options) -> tuple[Phrase, str] | None:
    """(phrase, name) for the first of the (phrase, name) `options` that starts at token i."""
    for p, name in options:
        if tuple(words[i:i + len(p)]) == p:
            return p, name
    return None


@dataclass(frozen=True)
class Lexicon:
    version: str
    after: dict[str, list[Phrase]]
    before: dict[str, list[Phrase]]
    toll_words: frozenset[str]
    toll_lead: list[Phrase]
    auxiliaries: list[Phrase]
    determiners: frozenset[str]
    not_people_after: frozenset[str]
    not_people_before: list[Phrase]
    verbs: list[Phrase]
    inverted: list[Phrase]
    according: list[Phrase]
    statement: list[Phrase]
    anaphora: list[Phrase]
    relative: frozenset[str]
    titles: frozenset[str]
    nouns: list[tuple[Phrase, str]]
    own_possessives: frozenset[str]
    noun_modifiers: frozenset[str]
    demonyms: dict[str, str]
    country_names: dict[str, str]
    state_prefix: dict[str, str]
    event_types: list[dict]

    def noun_at(self, words: list[str], i: int) -> tuple[Phrase, str] | None:
        return named_at(words, i, self.nouns)


@cache
def load(path: Path = RULES_FILE) -> Lexicon:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    cas, rep, vic = doc["casualty"], doc["reporting"], doc["victim_nouns"]
    nouns = sorted(((phrase(w), cls) for cls, ws in vic.items() for w in ws), key=lambda x: (-len(x[0]), x[0]))
    return Lexicon(
        version=str(doc["version"]),
        after={k: phrases(v.get("after", [])) for k, v in cas.items()},
        before={k: phrases(v.get("before", [])) for k, v in cas.items()},
        toll_words=frozenset(fold(w) for w in doc["toll"]["words"]),
        toll_lead=phrases(doc["toll"]["lead"]),
        auxiliaries=phrases(doc["auxiliaries"]),
        determiners=frozenset(fold(w) for w in doc["determiners"]),
        not_people_after=frozenset(fold(w) for w in doc["not_people_after"]),
        not_people_before=phrases(doc["not_people_before"]),
        verbs=phrases(rep["verbs"]),
        inverted=phrases(rep["inverted"]),
        according=phrases(rep["according"]),
        statement=phrases(rep["statement"]),
        anaphora=phrases(rep["anaphora"]),
        relative=frozenset(fold(w) for w in rep["relative"]),
        titles=frozenset(fold(w) for w in rep["titles"]),
        nouns=nouns,
        own_possessives=frozenset(fold(w) for w in doc["own_possessives"]),
        noun_modifiers=frozenset(fold(w) for w in doc["noun_modifiers"]),
        demonyms={fold(w): country for country, ws in doc["demonyms"].items() for w in ws},
        country_names={fold(k): v for k, v in doc["country_names"].items()},
        state_prefix=doc["state_actor_prefix"],
        event_types=doc["event_types"],
    )
