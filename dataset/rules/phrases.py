"""Reading a figure as written ("about 20", "dozens", "between 10 and 15") into a range.

The rules live in `phrases.yaml` (versioned data, printed in the codebook); this module only
knows the grammar: [filler] (absent | range | [modifier] base [modifier]) [trailing words], where
base is a number (digits or words, read by text2num), a number times a unit ("two dozen"), an
approximate number ("une vingtaine"), or a vague quantity, optionally times a unit ("several
hundred"). Trailing words ("of its soldiers") may not hold another figure.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

import yaml
from text_to_num import text2num

RULES_FILE = Path(__file__).with_name("phrases.yaml")
RULES_NOTE = """\
    Readings of a number N are written k*N + c: low is rounded down, best to the nearest whole
    number (halves up), high up, the ACLED value down. Words after the figure ("of its soldiers",
    "morts") are allowed; a second figure in the same phrase ("2 killed and 5 missing") is an
    error, as is a number above 10,000,000. The phrase is read in the report's language, then
    English, then French.
"""
MAX_VALUE = 10_000_000  # no conflict event has more deaths; larger numbers are typos
MAX_WORDS = 40


class PhraseError(ValueError):
    """The phrase cannot be read; the message says why."""


@dataclass(frozen=True)
class Reading:
    """A figure's range and its ACLED value. Always 0 <= low <= best <= high, low <= acled <= high."""

    low: int
    best: int
    high: int
    acled: int
    rule: str


@dataclass(frozen=True)
class Expr:
    """k*N + c, read from the rule table."""

    k: Fraction
    c: Fraction

    @classmethod
    def parse(cls, text: str | int) -> Expr:
        s = str(text).replace(" ", "")
        if re.fullmatch(r"\d+", s):
            return cls(Fraction(0), Fraction(int(s)))
        m = re.fullmatch(r"(\d+(?:\.\d+)?)?\*?N(?:([+-])(\d+))?", s)
        if not m:
            raise ValueError(f"phrases.yaml: cannot read expression {text!r} (use forms like N, 0.8N, N+1, 2N, 3)")
        k = Fraction(m.group(1)) if m.group(1) else Fraction(1)
        c = Fraction(int(m.group(3))) * (-1 if m.group(2) == "-" else 1) if m.group(3) else Fraction(0)
        return cls(k, c)

    def __call__(self, n: Fraction) -> Fraction:
        return self.k * n + self.c


@dataclass(frozen=True)
class Rule:
    name: str
    low: Expr
    best: Expr
    high: Expr
    acled: Expr

    @classmethod
    def from_doc(cls, name: str, doc: dict) -> Rule:
        return cls(name, *(Expr.parse(doc[k]) for k in ("low", "best", "high", "acled")))

    def apply(self, n: Fraction, rule_name: str | None = None) -> Reading:
        return ordered(math.floor(self.low(n)), _round_half_up(self.best(n)), math.ceil(self.high(n)),
                       math.floor(self.acled(n)), rule_name or self.name)


def _scaled(reading: Reading, unit: Fraction) -> Reading:
    """A vague quantity times its unit: "several hundred" is several (3 / 5 / 9) times 100."""
    if unit == 1:
        return reading
    u = int(unit)
    return Reading(reading.low * u, reading.best * u, reading.high * u, reading.acled * u, f"{reading.rule}*{u}")


def _round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def ordered(low: int, best: int, high: int, acled: int, rule: str) -> Reading:
    """Put a reading in order without ever widening a point: clamp into [low, high]."""
    low = max(0, low)
    high = max(low, high)
    return Reading(low, min(max(best, low), high), high, min(max(acled, low), high), rule)


def normalize(text: str) -> list[str]:
    """Lower-case tokens; dashes unified, digit groups joined, elisions split ("d'une" -> "d'", "une")."""
    s = unicodedata.normalize("NFKC", text).lower()
    s = s.replace("\u2019", "'").replace("\u2018", "'")
    s = re.sub(r"[\u2010-\u2015\u2212]", "-", s)
    s = re.sub(r"(?<=\d)[,\u202f\u00a0 ](?=\d{3}\b)", "", s)  # 1,200 / 1 200 -> 1200
    s = re.sub(r"(?<=\d)\s*-\s*(?=\d)", " - ", s)  # 10-15 -> 10 - 15
    s = re.sub(r"(?<=\d)\+", " +", s)  # 20+ -> 20 +
    s = re.sub(r"\b([dljnqs]|qu|jusqu)'", r"\1' ", s)  # French elision
    s = re.sub(r"[\"“”«»()\[\],;:!?]", " ", s)
    s = re.sub(r"(?<!\d)\.(?!\d)", " ", s).replace("approx ", "approx ")
    return s.split()


def _tokens(phrases: list[str]) -> list[tuple[str, ...]]:
    """Phrases as token tuples, longest first (so "no fewer than" wins over "no")."""
    return sorted({tuple(normalize(p)) for p in phrases if normalize(p)}, key=lambda t: (-len(t), t))


class PhraseTable:
    """The rules of phrases.yaml, compiled for matching."""

    def __init__(self, doc: dict):
        self.version = str(doc["version"])
        self.exact = Rule.from_doc("exact", doc["exact"])
        self.units = {normalize(k)[0]: int(v) for k, v in doc["units"].items()}
        self.one = set(doc["one"])
        self.absent = _tokens(doc["absent"])
        self.filler = _tokens(doc["filler"])
        self.modifiers = {name: Rule.from_doc(name, m) for name, m in doc["modifiers"].items()}
        self.before = [(t, name) for name, m in doc["modifiers"].items() for t in _tokens(m.get("before", []))]
        self.before.sort(key=lambda x: -len(x[0]))
        self.after = [(t, name) for name, m in doc["modifiers"].items() for t in _tokens(m.get("after", []))]
        self.after.sort(key=lambda x: -len(x[0]))
        approx = doc["approximate_numbers"]
        self.approx_rule = approx["rule"]
        self.approx = sorted(((tuple(normalize(k)), int(v)) for k, v in approx["words"].items()), key=lambda x: -len(x[0]))
        self.range_open = _tokens(doc["ranges"]["open"])
        self.range_join = _tokens(doc["ranges"]["join"])
        self.vague = {name: Rule.from_doc(f"vague:{name}", v) for name, v in doc["vague"].items()}
        self.vague_words = sorted(((t, name) for name, v in doc["vague"].items() for t in _tokens(v["words"])),
                                  key=lambda x: -len(x[0]))
        self.plural_units = {u + "s": n for u, n in self.units.items() if not u.endswith("s")}
        self.quantity_words = ({w for t, _ in self.vague_words for w in t if w not in ("of", "de", "a", "an")}
                               | set(self.units) | {"dozen", "dozens", "score", "scores"})
        self.doc = doc

    # -- public -----------------------------------------------------------------------------
    def read(self, phrase: str, language: str = "en") -> Reading:
        """Read a phrase, or raise PhraseError saying why it cannot be read."""
        if not isinstance(phrase, str):
            raise PhraseError(f"expected text, got {type(phrase).__name__}")
        tokens = normalize(phrase)
        if not tokens:
            raise PhraseError("empty phrase")
        if len(tokens) > MAX_WORDS:
            raise PhraseError(f"phrase has {len(tokens)} words; give the figure only (at most {MAX_WORDS})")
        langs = tuple(dict.fromkeys([language if language in ("en", "fr") else "en", "en", "fr"]))
        i = self._skip(tokens, 0, self.filler)
        for attempt in (self._absent, self._range, self._modified, self._plain):
            found = attempt(tokens, i, langs)
            if found is None:
                continue
            reading, j = found
            self._check_trailing(tokens, j, langs, phrase)
            return reading
        raise PhraseError(f"cannot read {phrase!r}: no number, range or known quantity word "
                          "(give a number, a phrase from the phrase table, or {low, best, high})")

    # -- grammar ------------------------------------------------------------------------------
    def _absent(self, tokens, i, langs):
        m = _match(tokens, i, self.absent)
        if m is None:
            return None
        # "no fewer than 10" is a bound, not "no": let longer modifier phrases win.
        mod = _match_named(tokens, i, self.before)
        if mod is not None and mod[0] > m:
            return None
        return Reading(0, 0, 0, 0, "absent"), m

    def _range(self, tokens, i, langs):
        j = _match(tokens, i, self.range_open)
        start = j if j is not None else i
        a = self._number(tokens, start, langs)
        if a is None:
            return None
        a_val, k = a
        k2 = _match(tokens, k, self.range_join)
        if k2 is None:
            return None
        b = self._number(tokens, k2, langs)
        if b is None:
            return None
        b_val, end = b
        if j is None and tokens[k] in ("and", "et"):
            return None  # "10 and 15" without "between" is two figures, not a range
        if a_val > b_val:
            raise PhraseError(f"range out of order: {a_val} is more than {b_val}")
        low, high = int(a_val), math.ceil(b_val)
        return ordered(low, (low + high) // 2, high, low, "range"), end

    def _modified(self, tokens, i, langs):
        found = _match_named(tokens, i, self.before)
        if found is None:
            return None
        j, name = found
        j = self._skip(tokens, j, self.filler)
        base = self._base(tokens, j, langs)
        if base is None:
            return None
        (kind, value, rule), k = base
        if kind == "vague":
            reading = _scaled(rule.apply(Fraction(1)), value)
            return Reading(reading.low, reading.best, reading.high, reading.acled, f"{name}+{reading.rule}"), k
        # "plus d'une centaine": the modifier applies to the approximate number itself.
        return self.modifiers[name].apply(value), k

    def _plain(self, tokens, i, langs):
        base = self._base(tokens, i, langs)
        if base is None:
            return None
        (kind, value, rule), j = base
        if kind == "vague":
            return _scaled(rule.apply(Fraction(1)), value), j
        if kind == "approx":
            return rule.apply(value), j
        after = _match_named(tokens, j, self.after)
        if after is not None:
            k, name = after
            return self.modifiers[name].apply(value), k
        return self.exact.apply(value), j

    def _base(self, tokens, i, langs):
        """((kind, N, rule), next index) or None; kind is number, approx or vague (N = its unit)."""
        for phrase, n in self.approx:
            if tuple(tokens[i:i + len(phrase)]) == phrase:
                return ("approx", Fraction(n), self.modifiers[self.approx_rule]), i + len(phrase)
        vague = _match_named(tokens, i, self.vague_words)
        if vague is not None:
            j, name = vague
            unit, k = self._unit(tokens, j)
            return ("vague", Fraction(unit), self.vague[name]), k
        number = self._number(tokens, i, langs)
        if number is not None:
            value, j = number
            return ("number", value, self.exact), j
        return None

    def _unit(self, tokens, i) -> tuple[int, int]:
        """An optional multiplying unit at i ("hundred", "thousands"): (factor, next index)."""
        if i < len(tokens):
            word = tokens[i]
            factor = self.units.get(word) or self.plural_units.get(word)
            if factor:
                j = i + 1
                if j < len(tokens) and tokens[j] in ("of", "de", "d'"):
                    j += 1
                return factor, j
        return 1, i

    def _number(self, tokens, i, langs):
        """A number at i: digits or words, times an optional unit. (Fraction, next index) or None."""
        if i >= len(tokens):
            return None
        word = tokens[i]
        if re.fullmatch(r"\d+(\.\d+)?", word):
            value, j = Fraction(word), i + 1
        elif word in self.one and i + 1 < len(tokens) and (tokens[i + 1] in self.units or self._is_noun(tokens[i + 1], langs)):
            value, j = Fraction(1), i + 1
        else:
            found = self._number_words(tokens, i, langs)
            if found is None:
                return None
            value, j = found
        unit, k = self._unit(tokens, j)
        value *= unit
        if value.denominator != 1:
            raise PhraseError(f"{float(value):g} is not a whole number of people")
        if value > MAX_VALUE:
            raise PhraseError(f"{int(value):,} is more than the {MAX_VALUE:,} the builder accepts (typo?)")
        return value, k

    def _number_words(self, tokens, i, langs):
        """Longest run of tokens from i that text2num reads as one number."""
        for end in range(min(len(tokens), i + 16), i, -1):
            run = tokens[i:end]
            if run[-1] in ("and", "et") or run[0] in ("and", "et"):
                continue
            text = " ".join(run)
            for lang in langs:
                try:
                    value = text2num(text, lang)
                except (ValueError, TypeError, OverflowError):
                    continue
                if value >= 0:
                    return Fraction(value), end
        return None

    def _is_noun(self, word: str, langs) -> bool:
        return word.isalpha() and word not in self.quantity_words and self._number_words([word], 0, langs) is None

    def _skip(self, tokens, i, phrases) -> int:
        while True:
            j = _match(tokens, i, phrases)
            if j is None or j == i:
                return i
            i = j

    def _check_trailing(self, tokens, j, langs, phrase) -> None:
        for k in range(j, len(tokens)):
            word = tokens[k]
            if re.search(r"\d", word) or word in self.quantity_words or (
                    word not in self.one and self._number_words([word], 0, langs) is not None):
                raise PhraseError(f"cannot read {phrase!r}: a second figure ({word!r}) follows the first; "
                                  "code one figure per claim, or {low, best, high}")


def _match(tokens, i, phrases) -> int | None:
    for phrase in phrases:
        if tuple(tokens[i:i + len(phrase)]) == phrase:
            return i + len(phrase)
    return None


def _match_named(tokens, i, named) -> tuple[int, str] | None:
    for phrase, name in named:
        if tuple(tokens[i:i + len(phrase)]) == phrase:
            return i + len(phrase), name
    return None


@cache
def table(path: Path = RULES_FILE) -> PhraseTable:
    """The phrase table the build uses (parsed once per process)."""
    return PhraseTable(yaml.safe_load(path.read_text(encoding="utf-8")))


def read(phrase: str, language: str = "en") -> Reading:
    return table().read(phrase, language)
