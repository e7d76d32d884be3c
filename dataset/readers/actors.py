"""The actor registry, raw/actors.yaml: each actor's name, ACLED inter code and aliases."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from schemas import STR
from schemas.vocab import CIVILIANS, INTER_LABELS, LIST_SEP, UNKNOWN

from ..problems import Problem, problem
from . import files, safe_yaml
from .records import Spec, convert
from .values import integer, optional_text, text, text_list

FILE = "actors.yaml"
ACTOR = Spec("actor", {"name": text, "inter": integer, "aliases": text_list, "country": optional_text,
                       "notes": optional_text}, required=frozenset({"name", "inter"}))
COLUMNS = {"name": STR, "inter": "int64", "aliases": STR}
# Words that claims use for victims and that no actor may take as a name.
RESERVED = {CIVILIANS.lower(), UNKNOWN.lower()}


def read(raw: Path) -> tuple[pd.DataFrame, list[Problem]]:
    path = raw / FILE
    if not path.exists():
        return _frame([]), [problem("missing_file", f"the actor registry {FILE} is missing", file=FILE)]
    try:
        doc = safe_yaml.loads(files.read_bytes(path, raw))
    except (safe_yaml.YamlProblem, OSError) as err:  # OSError: unreadable, a folder, gone since
        return _frame([]), [problem("unreadable_file", str(err), file=FILE)]
    return stage(doc)


def stage(doc) -> tuple[pd.DataFrame, list[Problem]]:
    """Check the registry: names and aliases unique (case-insensitive), inter codes 1-8."""
    if not isinstance(doc, list):
        return _frame([]), [problem("not_a_list", "the actor registry must be a list of actors", file=FILE)]
    rows, problems = [], []
    owner: dict[str, str] = {}
    for index, entry in enumerate(doc):
        label = entry.get("name") if isinstance(entry, dict) and isinstance(entry.get("name"), str) else f"actors[{index}]"

        def at(field: str, code: str, message: str, label=label) -> Problem:
            return problem(code, message, file=FILE, field=f"actor {label!r}" + (f" {field}" if field else ""))

        fields, found = convert(entry, ACTOR, at)
        problems += found
        if found:
            continue
        if fields["inter"] not in INTER_LABELS:
            problems.append(at("inter", "inter_out_of_range", f"inter code {fields['inter']} is out of range (ACLED uses 1-8)"))
            continue
        aliases = [a for a in fields["aliases"].split(LIST_SEP) if a]
        for name in [fields["name"], *aliases]:
            folded = name.lower()
            if folded in RESERVED:
                problems.append(at("name", "reserved_name", f"{name!r} is reserved for claims' victims"))
            elif folded in owner and owner[folded] != fields["name"]:
                problems.append(at("aliases", "duplicate_actor_name", f"{name!r} already names actor {owner[folded]!r}"))
            elif folded in owner:
                problems.append(at("name", "duplicate_actor", f"actor {name!r} is registered twice"))
            owner[folded] = fields["name"]
        rows.append({"name": fields["name"], "inter": fields["inter"], "aliases": fields["aliases"]})
    return _frame(rows), problems


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(COLUMNS)) if rows else pd.DataFrame(columns=list(COLUMNS))
    return df.astype(COLUMNS)


def resolver(actors: pd.DataFrame) -> dict[str, str]:
    """Case-insensitive map from every name and alias (lower-cased) to the registered name."""
    out = {}
    for name, aliases in zip(actors["name"], actors["aliases"]):
        for alias in [name, *[a for a in aliases.split(LIST_SEP) if a]]:
            out[alias.lower()] = name
    return out
