"""Sentences and tokens with character offsets: the only place that knows how text is cut.

Offsets are kept so that every drafted claim can quote its sentence exactly as published.
French elisions ("l'armée", "d'une") are split so that "armée" matches the lexicon.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

TOKEN = re.compile(
    r"(?i:jusqu|qu|[dljnmtsc])['’](?=[^\W\d_])"          # elided article or pronoun
    r"|\d+(?:[.,\u202f\u00a0]\d{3})+(?![\d])"            # 1,200 / 3.000
    r"|\d+(?:\.\d+)?"                                     # 12 / 1.5
    r"|[^\W\d_][^\W_]*(?:[-'’][^\W_]+)*"                  # words, twenty-three, a-t-il, Al-Shabaab, M23
    r"|[^\w\s]")                                          # punctuation
# Abbreviations after which a full stop does not end a sentence.
ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "gen", "col", "lt", "capt", "sgt", "st", "no", "vs", "approx",
                 "c", "cf", "m", "mme", "p", "a.m", "p.m", "jan", "feb", "aug", "sept", "oct", "nov", "dec"}


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return fold(self.text)


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str
    tokens: tuple[Token, ...]


def fold(text: str) -> str:
    """Lower case, typographic apostrophes unified, accents dropped: reports spell "armée" and
    "armee", "Forces Armées" and "Forces Armees" alike, and so must the matching."""
    s = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'").lower())
    return "".join(c for c in s if not unicodedata.combining(c))


def tokenize(text: str, offset: int = 0) -> tuple[Token, ...]:
    return tuple(Token(m.group(), m.start() + offset, m.end() + offset) for m in TOKEN.finditer(text))


def sentences(text: str) -> list[Sentence]:
    """Split at . ! ? (and line breaks), not after abbreviations or inside numbers."""
    out: list[Sentence] = []
    start = 0
    for m in re.finditer(r"[.!?]+[\"”»’']?(?=\s+[\"“«(]?[A-ZÀ-Ý\d])|\n\s*\n|\n(?=[A-ZÀ-Ý])", text):
        before = re.search(r"([\w.]+)[.!?]*[\"”»’']?$", text[start:m.end()])
        if before and m.group().startswith(".") and before.group(1).lower().rstrip(".") in ABBREVIATIONS:
            continue
        _add(out, text, start, m.end())
        start = m.end()
    _add(out, text, start, len(text))
    return out


def _add(out: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    body = chunk.strip()
    if body:
        s = start + lead
        out.append(Sentence(len(out), s, s + len(body), body, tokenize(body, s)))


def split_headline(text: str) -> tuple[str, str]:
    """(headline, body): a short first line without a closing full stop is a headline."""
    first, _, rest = text.strip().partition("\n")
    if rest.strip() and len(first) <= 200 and not first.rstrip().endswith((".", "!", "?", ":")):
        return first.strip(), rest.strip()
    return "", text.strip()
