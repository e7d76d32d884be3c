"""Where a sentence states an amount of something: spans the project's phrase table can read.

The phrase table (dataset/rules/phrases.yaml) is the single authority on what "about 20" or
"une vingtaine" means; this module only finds candidate spans and asks it. Whether the amount
counts people killed or wounded is decided in figures.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from text_to_num import text2num

from ..rules import phrases
from .text import Token, fold

MAX_TOKENS = 7
MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december", "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout",
          "septembre", "octobre", "novembre", "decembre", "jan", "feb", "aug", "sept", "oct", "nov", "dec"}
# Words that read as numbers but are not amounts of people in running text.
NOT_AMOUNTS = {"a", "an", "un", "une", "the", "no", "none", "personne", "aucun", "aucune", "zero"}


@dataclass(frozen=True)
class Quantity:
    start: int  # token indices
    end: int
    text: str  # as written
    low: int
    best: int
    high: int


@cache
def _number_word(word: str) -> bool:
    for lang in ("en", "fr"):
        try:
            text2num(word, lang)
            return True
        except (ValueError, TypeError, OverflowError):
            continue
    return False


@cache
def _ends() -> frozenset[str]:
    """Tokens an amount may end with: digits aside, number words, units, vague and approximate words."""
    t = phrases.table()
    words = set(t.units) | set(t.plural_units)
    words |= {p[-1] for p, _ in t.vague_words} | {p[-1] for p, _ in t.approx}
    return frozenset(fold(w) for w in words - {"of", "de", "d'", "des", "du"})


@cache
def _vocabulary() -> frozenset[str]:
    """Every word the phrase table uses: an amount is made of these, number words and digits."""
    t = phrases.table()
    groups = [t.absent, t.filler, t.range_open, t.range_join, [p for p, _ in t.before], [p for p, _ in t.after],
              [p for p, _ in t.vague_words], [p for p, _ in t.approx]]
    words = {w for g in groups for p in g for w in p} | set(t.units) | set(t.plural_units) | set(t.one)
    return frozenset(fold(w) for w in words - {"the"})


def _in_amount(word: str) -> bool:
    return word in _vocabulary() or _can_end(word)


def _can_end(word: str) -> bool:
    if re.fullmatch(r"\d[\d,.\u202f\u00a0]*", word):
        return True
    return word not in NOT_AMOUNTS and (word in _ends() or _number_word(word))


def find(tokens: tuple[Token, ...], text: str, offset: int, language: str) -> list[Quantity]:
    """Longest readable amounts, left to right, not overlapping."""
    words = [t.low for t in tokens]
    out: list[Quantity] = []
    i = 0
    while i < len(words):
        found = None
        limit = i
        while limit < min(len(words), i + MAX_TOKENS) and _in_amount(words[limit]):
            limit += 1
        for j in range(limit, i, -1):
            if not _can_end(words[j - 1]) or not re.match(r"\w", words[i]) or words[i] in ("the", "le", "la", "les"):
                continue
            written = text[tokens[i].start - offset:tokens[j - 1].end - offset]
            if any(w in ("and", "et") for w in words[i:j]) and not words[i] in ("between", "entre"):
                continue
            try:
                r = phrases.read(_clean(written), language)
            except phrases.PhraseError:
                continue
            found = Quantity(i, j, written, r.low, r.best, r.high)
            break
        if found:
            out.append(found)
            i = found.end
        else:
            i += 1
    return out


def _clean(written: str) -> str:
    return written.replace("’", "'").replace("«", "").replace("»", "").replace('"', "").strip()


def is_date_or_year(words: list[str], q: Quantity) -> bool:
    """'the 2 July attack', 'on 12 September', 'in 2019', 'July 4': dates, not amounts."""
    word = words[q.start]
    if q.end < len(words) and words[q.end] in MONTHS:
        return True
    if q.start > 0 and words[q.start - 1] in MONTHS:
        return True
    return bool(re.fullmatch(r"(19|20)\d\d", word)) and q.end - q.start == 1


def find_at(words: list[str], i: int) -> int | None:
    """End index of a plain number at token i (digits or a number word), for lists of figures."""
    if i < len(words) and (words[i].isdigit() or (words[i] not in NOT_AMOUNTS and _number_word(words[i]))):
        return i + 1
    return None
