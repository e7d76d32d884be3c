"""The mapping tables of the dataset importers (readers/mappings/), loaded once and checked.

The tables are data so a reviewer can read and change what an import means without reading the
adapters: ACLED's old event types and inter labels (acled.yaml), UCDP GED's layouts and codes
(ucdp.yaml), country spellings (country_names.csv) and Gleditsch-Ward codes (gw_countries.csv).
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from schemas import STR, vocab
from schemas.frames import per_distinct

DIR = Path(__file__).with_name("mappings")


@cache
def acled() -> dict[str, Any]:
    return _yaml("acled.yaml")


@cache
def ucdp() -> dict[str, Any]:
    return _yaml("ucdp.yaml")


def _yaml(name: str) -> dict[str, Any]:
    with (DIR / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _csv(name: str) -> list[dict[str, str]]:
    with (DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def country_lookup() -> dict[str, str]:
    """Folded spelling -> ACLED country name: ACLED's own names, then the known other spellings."""
    out = {fold(name): name for name in vocab.country_names()}
    for row in _csv("country_names.csv"):
        if row["country"] not in out.values():
            raise LookupError(f"mappings/country_names.csv: {row['country']!r} is not an ACLED country")
        out.setdefault(fold(row["name"]), row["country"])
    return out


@cache
def gw_countries() -> dict[int, str]:
    """Gleditsch-Ward country code (UCDP GED's country_id) -> ACLED country name."""
    names = set(vocab.country_names())
    out = {}
    for row in _csv("gw_countries.csv"):
        if row["country"] not in names:
            raise LookupError(f"mappings/gw_countries.csv: {row['country']!r} is not an ACLED country")
        out[int(row["gwno"])] = row["country"]
    return out


def fold(name: str) -> str:
    """A name as the lookups compare it: curly apostrophe straightened, spaces collapsed, no case."""
    return re.sub(r"\s+", " ", name.replace("\u2019", "'")).strip().casefold()


def countries(names: pd.Series) -> pd.Series:
    """ACLED country names for names as exports write them ("DR Congo (Zaire)"); "" if unknown.

    Tried in order: the name itself, without a parenthesised former name, the name in brackets.
    """
    lookup = country_lookup()

    def one(name: str) -> str:
        bare = re.sub(r"\s*\(([^)]*)\)\s*$", "", name)
        inner = re.search(r"\(([^)]*)\)\s*$", name)
        for candidate in (name, bare, inner.group(1) if inner else ""):
            hit = lookup.get(fold(candidate))
            if hit:
                return hit
        return ""

    return per_distinct(names, one, STR)


def inter_codes(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """ACLED inter codes from numbers or text labels: (codes as Int64, True where unreadable).

    Empty and 0 mean "no actor" and give a missing code without complaint.
    """
    labels = {fold(label): code for code, names in acled()["inter_labels"].items() for label in names}
    text = cells.str.strip()
    number = pd.to_numeric(text.where(text.str.fullmatch(r"\d+(\.0+)?")), errors="coerce")
    from_label = text.map(lambda s: labels.get(fold(s))).astype("float64")
    code = number.where(number.notna(), from_label)
    bad = (text != "") & ~code.isin([0, *vocab.INTER_LABELS])
    code = code.where(code.isin(list(vocab.INTER_LABELS)))
    return pd.Series(pd.array(code.to_numpy(dtype=object), dtype="Int64"), index=cells.index), bad
