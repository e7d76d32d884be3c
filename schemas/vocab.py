"""ACLED's controlled vocabularies: the one place every list of allowed values lives.

Spellings follow ACLED's data (acledR `acled_event_categories`, codebook 2023+), see
`../shared/reference/acled-ucdp.md` sections 1.2-1.5. Schemas, raw-input checks, the codebook
and the data package all read these constants; nothing else spells a vocabulary out.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pycountry

VOCAB_DIR = Path(__file__).parent / "vocab"

# An event ID (event_id_cnty): the country's ISO 3166 alpha-3 code and a running number, MLI1.
# Matched against the whole value (str.fullmatch, the schemas' str_fullmatch): no anchors.
EVENT_ID_PATTERN = r"[A-Z]{3}[0-9]+"

# Disorder types (ACLED 2023+), including the dual value used for excessive force.
POLITICAL_VIOLENCE = "Political violence"
DEMONSTRATIONS = "Demonstrations"
STRATEGIC_DEVELOPMENTS = "Strategic developments"
PV_AND_DEMONSTRATIONS = "Political violence; Demonstrations"
DISORDER_TYPES = [POLITICAL_VIOLENCE, DEMONSTRATIONS, STRATEGIC_DEVELOPMENTS, PV_AND_DEMONSTRATIONS]

# event_type -> {sub_event_type: disorder_type}, in ACLED's precedence order.
TAXONOMY: dict[str, dict[str, str]] = {
    "Battles": {
        "Armed clash": POLITICAL_VIOLENCE,
        "Government regains territory": POLITICAL_VIOLENCE,
        "Non-state actor overtakes territory": POLITICAL_VIOLENCE,
    },
    "Protests": {
        "Peaceful protest": DEMONSTRATIONS,
        "Protest with intervention": DEMONSTRATIONS,
        "Excessive force against protesters": PV_AND_DEMONSTRATIONS,
    },
    "Riots": {
        "Violent demonstration": DEMONSTRATIONS,
        "Mob violence": POLITICAL_VIOLENCE,
    },
    "Explosions/Remote violence": {
        "Chemical weapon": POLITICAL_VIOLENCE,
        "Air/drone strike": POLITICAL_VIOLENCE,
        "Suicide bomb": POLITICAL_VIOLENCE,
        "Shelling/artillery/missile attack": POLITICAL_VIOLENCE,
        "Remote explosive/landmine/IED": POLITICAL_VIOLENCE,
        "Grenade": POLITICAL_VIOLENCE,
    },
    "Violence against civilians": {
        "Sexual violence": POLITICAL_VIOLENCE,
        "Attack": POLITICAL_VIOLENCE,
        "Abduction/forced disappearance": POLITICAL_VIOLENCE,
    },
    "Strategic developments": {
        "Agreement": STRATEGIC_DEVELOPMENTS,
        "Arrests": STRATEGIC_DEVELOPMENTS,
        "Change to group/activity": STRATEGIC_DEVELOPMENTS,
        "Disrupted weapons use": STRATEGIC_DEVELOPMENTS,
        "Headquarters or base established": STRATEGIC_DEVELOPMENTS,
        "Looting/property destruction": STRATEGIC_DEVELOPMENTS,
        "Non-violent transfer of territory": STRATEGIC_DEVELOPMENTS,
        "Other": STRATEGIC_DEVELOPMENTS,
    },
}
EVENT_TYPES = list(TAXONOMY)
SUB_EVENT_TYPES = [sub for subs in TAXONOMY.values() for sub in subs]
SUB_EVENT_TO_EVENT = {sub: event for event, subs in TAXONOMY.items() for sub in subs}
SUB_EVENT_TO_DISORDER = {sub: d for subs in TAXONOMY.values() for sub, d in subs.items()}
# Event types that may be coded without a second actor (codebook 1.3).
ONE_SIDED_EVENT_TYPES = ["Explosions/Remote violence", "Riots", "Protests", "Strategic developments"]
VIOLENCE_AGAINST_CIVILIANS = "Violence against civilians"

# ACLED inter codes (1-8); 0 means "no second actor".
INTER_LABELS = {
    1: "State forces",
    2: "Rebel group",
    3: "Political militia",
    4: "Identity militia",
    5: "Rioters",
    6: "Protesters",
    7: "Civilians",
    8: "External/Other forces",
}
CIVILIAN_INTER = 7
# Valid interaction codes: smaller inter code first; a lone actor is code * 10.
INTERACTIONS = sorted({10 * a for a in INTER_LABELS} | {10 * a + b for a in INTER_LABELS for b in INTER_LABELS if a <= b})

TIME_PRECISIONS = [1, 2, 3]
GEO_PRECISIONS = [1, 2, 3]

CIVILIANS_TARGETED = "Civilians targeted"
CIVILIAN_TARGETING_VALUES = [CIVILIANS_TARGETED, ""]

# Source scale atoms in the order they are joined ("National-International").
SOURCE_SCALES = ["Local partner", "Subnational", "National", "Regional", "International", "New media", "Other"]

REGIONS = [
    "Western Africa", "Middle Africa", "Eastern Africa", "Southern Africa", "Northern Africa",
    "South Asia", "Southeast Asia", "East Asia", "Middle East", "Caucasus and Central Asia",
    "Europe", "North America", "Central America", "South America", "Caribbean", "Oceania",
    "Antarctica",
]

# Separator ACLED uses inside assoc_actor_*, source and tags.
LIST_SEP = "; "

# Victim groups of a claim, in the order UCDP GED reports deaths by side.
VICTIM_GROUPS = ["side_a", "side_b", "civilians", "unknown"]
# Who makes a claim relative to its victims (see the codebook's fatality methodology).
STANCES = ["third_party", "own", "enemy", "party"]
CIVILIANS = "Civilians"
UNKNOWN = "Unknown"


@dataclass(frozen=True)
class Country:
    """An ACLED country with the codes derived from it."""

    name: str
    region: str
    iso: int
    iso3: str
    start_year: int


@cache
def countries() -> dict[str, Country]:
    """ACLED's country list (`vocab/countries.csv`) with ISO codes from pycountry.

    ACLED spells some names its own way ("Ivory Coast"); `vocab/country_codes.csv` maps only
    those to ISO alpha-3. Kosovo has no ISO 3166 entry: ACLED uses XKX and numeric 0.
    """
    overrides = _read_csv(VOCAB_DIR / "country_codes.csv")
    alpha3_of = {row["country"]: row["iso3"] for row in overrides}
    out: dict[str, Country] = {}
    for row in _read_csv(VOCAB_DIR / "countries.csv"):
        name = row["country"]
        alpha3 = alpha3_of.get(name)
        record = pycountry.countries.get(alpha_3=alpha3) if alpha3 else _iso_record(name)
        if record is None and alpha3 == "XKX":
            iso, iso3 = 0, "XKX"
        elif record is None:
            raise LookupError(f"schemas/vocab: no ISO 3166 code for ACLED country {name!r}; add it to country_codes.csv")
        else:
            iso, iso3 = int(record.numeric), record.alpha_3
        out[name] = Country(name, row["region"], iso, iso3, int(row["start_year"]))
    return out


def _iso_record(name: str):
    for key in ("name", "common_name", "official_name"):
        record = pycountry.countries.get(**{key: name})
        if record is not None:
            return record
    return None


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def country_names() -> list[str]:
    return list(countries())
