"""How alike two event definitions are: date gap, distance and actors, each against a limit
that respects the events' own precision. The rule's numbers live in `links.yaml`.

Pure functions over plain values; dataset/link.py decides which pairs to compare and what to do
with the scores. Every part of a pair's score lies in [0.5, 1] while the pair is within its
limits, so the score says how close to exact a match is, never whether it passes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from ..readers.mapping import country_lookup, fold

RULES_FILE = Path(__file__).with_name("links.yaml")
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, eq=False)  # hashed by identity, so comparisons can be cached per rule set
class Params:
    version: int
    date_window: dict[int, int]
    date_slack: int
    radius: dict[int, float]
    actor_scores: dict[str, float]
    state_inter: frozenset[int]
    civilian_inter: frozenset[int]
    armed_inter: frozenset[int]
    unidentified_prefix: str
    min_word_length: int
    common_words: frozenset[str]
    threshold: float


@cache
def params() -> Params:
    doc = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return Params(
        version=int(doc["version"]), date_window={int(k): int(v) for k, v in doc["date_window_days"].items()},
        date_slack=int(doc["date_slack_days"]), radius={int(k): float(v) for k, v in doc["place_radius_km"].items()},
        actor_scores={k: float(v) for k, v in doc["actor_scores"].items()},
        state_inter=frozenset(doc["state_inter"]), civilian_inter=frozenset(doc["civilian_inter"]),
        armed_inter=frozenset(doc["armed_inter"]), unidentified_prefix=doc["unidentified_prefix"].casefold(),
        min_word_length=int(doc["min_word_length"]), common_words=frozenset(w.casefold() for w in doc["common_words"]),
        threshold=float(doc["threshold"]))


# -- dates and places ------------------------------------------------------------------------

def window(tp: int, p: Params) -> int:
    """Days one dating of an incident may be off, by time precision (the widest if unknown)."""
    return p.date_window.get(tp, max(p.date_window.values()))


def radius(gp: int, p: Params) -> float:
    """Kilometres one placing of an incident may be off, by geo precision (the widest if unknown)."""
    return p.radius.get(gp, max(p.radius.values()))


def date_limit(tp_a: int, tp_b: int, p: Params) -> int:
    """Most days two datings of one incident may lie apart."""
    return window(tp_a, p) + window(tp_b, p) + p.date_slack


def place_limit(gp_a: int, gp_b: int, p: Params) -> float:
    """Most kilometres two placings of one incident may lie apart."""
    return radius(gp_a, p) + radius(gp_b, p)


def distance_km(lat_a: float, lon_a: float, lat_b: float, lon_b: float) -> float:
    """Great-circle distance (haversine)."""
    pa, pb = math.radians(lat_a), math.radians(lat_b)
    dp, dl = pb - pa, math.radians(lon_b - lon_a)
    h = math.sin(dp / 2) ** 2 + math.cos(pa) * math.cos(pb) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distances_km(lat_a, lon_a, lat_b, lon_b):
    """`distance_km` over numpy arrays."""
    pa, pb = np.radians(lat_a), np.radians(lat_b)
    dp, dl = pb - pa, np.radians(lon_b - lon_a)
    h = np.sin(dp / 2) ** 2 + np.cos(pa) * np.cos(pb) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def closeness(gap: float, limit: float) -> float:
    """1 when exact, 0.5 at the limit, lower beyond it (never below 0)."""
    return max(0.0, 1.0 - gap / (2 * limit)) if limit > 0 else (1.0 if gap == 0 else 0.0)


# -- actors ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Actor:
    name: str     # registered name (aliases resolved)
    inter: int    # ACLED inter code from the registry, 0 if unknown


@cache
def _country_names() -> tuple[re.Pattern, dict[str, str]]:
    """A pattern finding country names (ACLED's and other spellings) in an actor's name."""
    lookup = country_lookup()
    names = sorted(lookup, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)"), lookup


def _words(name: str) -> list[str]:
    return [w.casefold() for w in re.findall(r"[^\W_]+", name)]


@cache
def name_parts(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """(countries named, distinctive words) of an actor's name: "Military Forces of Mali (2021-)"
    names Mali; "JNIM: Group for Support of Islam and Muslims" has the distinctive word jnim."""
    p = params()
    pattern, lookup = _country_names()
    found = pattern.findall(fold(name))
    in_countries = {w for phrase in found for w in _words(phrase)}
    acronyms = {w.casefold() for w in re.findall(r"\b[A-Z][A-Z0-9]{1,9}\b", name)}
    distinct = {w for w in _words(name) if (len(w) >= p.min_word_length or w in acronyms)
                and w not in p.common_words and w not in in_countries}
    return frozenset(lookup[f] for f in found), frozenset(distinct)


def actor_score(a: Actor, b: Actor, p: Params | None = None) -> float:
    """How surely two actors are the same party: see `actor_scores` in links.yaml."""
    p = p or params()
    if a.name == b.name:
        return p.actor_scores["same"]
    country_a, words_a = name_parts(a.name)
    country_b, words_b = name_parts(b.name)
    if a.inter in p.state_inter and b.inter in p.state_inter and country_a & country_b:
        return p.actor_scores["similar"]
    if a.inter in p.civilian_inter and b.inter in p.civilian_inter and (country_a & country_b or not (country_a and country_b)):
        return p.actor_scores["similar"]
    if a.inter in p.armed_inter and b.inter in p.armed_inter:
        if words_a & words_b:
            return p.actor_scores["similar"]
        unidentified = [x.name.casefold().startswith(p.unidentified_prefix) for x in (a, b)]
        if any(unidentified):
            return p.actor_scores["unidentified"]
    return 0.0


def side_score(side_a: tuple[Actor, ...], side_b: tuple[Actor, ...], p: Params | None = None) -> float:
    """Best match between any actor of one side (main or associated) and any of the other."""
    return max((actor_score(x, y, p) for x in side_a for y in side_b), default=0.0)


@cache
def pairing(a: tuple[tuple[Actor, ...], tuple[Actor, ...]], b: tuple[tuple[Actor, ...], tuple[Actor, ...]],
            p: Params | None = None) -> tuple[float, bool, tuple[float | None, float | None]]:
    """The better pairing of two events' sides: actor1's side with the other's actor1 side
    (crossed False) or with its actor2 side (crossed True).

    Returns (score, crossed, per-side scores of `a`'s two sides). Sides missing on either event
    (a one-sided event) are left out; the score is the weakest paired side, 0 if none pairs.
    Between pairings with the same weakest side, the one with more agreement overall wins.
    """
    best: tuple[tuple[float, float], bool, tuple[float | None, float | None]] | None = None
    for crossed in (False, True):
        partners = (b[1], b[0]) if crossed else (b[0], b[1])
        scores = tuple(side_score(x, y, p) if x and y else None for x, y in zip(a, partners))
        present = [s for s in scores if s is not None]
        key = (min(present) if present else 0.0, sum(present))
        if best is None or key > best[0]:
            best = (key, crossed, scores)
    return best[0][0], best[1], best[2]


def sides_score(a: tuple[tuple[Actor, ...], tuple[Actor, ...]], b: tuple[tuple[Actor, ...], tuple[Actor, ...]],
                p: Params | None = None) -> tuple[float, bool]:
    """(score, crossed) of the better pairing of two events' sides (see `pairing`)."""
    score, crossed, _ = pairing(a, b, p)
    return score, crossed
