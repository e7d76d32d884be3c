"""Coders' decisions on links, raw/links.yaml: confirm a link the rule missed, split one it made.

    - confirm: [mali-tinzawaten-2024-07-26, "acled:MLI1234", "ucdp:987654"]
      reason: Same battle; UCDP dates it to the span 25-27 July.
    - split: ["acled:MLI1235", "ucdp:987655"]
      reason: Two attacks on the same day; ACLED's in the town, UCDP's at the army base.

Each entry names two or more event keys (a coded report's key, `acled:<event_id_cnty>`,
`ucdp:<id>`) and says why. This module only reads and checks the form; dataset/link.py applies
the entries and reports any that match nothing (a key no raw file defines, a split of events the
rule does not link), so a stale decision cannot linger unnoticed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from schemas import STR

from ..problems import Problem, problem
from ..staged import frame
from . import files, safe_yaml
from .records import check_keys
from .values import identifier, text

FILE = "links.yaml"
ACTIONS = ("confirm", "split")
COLUMNS = {"entry": "int64", "action": STR, "keys": object, "reason": STR}


def read(raw: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """The override entries of raw/links.yaml (none if the file is absent)."""
    path = raw / FILE
    if not path.exists():
        return empty(), []
    try:
        doc = safe_yaml.loads(files.read_bytes(path, raw))
    except (safe_yaml.YamlProblem, OSError) as err:  # OSError: unreadable, a folder, gone since
        return empty(), [problem("unreadable_file", str(err), file=FILE)]
    return stage(doc)


def empty() -> pd.DataFrame:
    return frame([], COLUMNS)


def stage(doc) -> tuple[pd.DataFrame, list[Problem]]:
    """Check each entry's form: one action with two or more distinct keys, and a reason."""
    if doc is None:
        return empty(), []
    if not isinstance(doc, list):
        return empty(), [problem("not_a_list", "the link overrides must be a list of confirm/split entries", file=FILE)]
    rows, problems = [], []
    for index, entry in enumerate(doc, start=1):
        def at(field: str, code: str, message: str, index=index) -> Problem:
            return problem(code, message, file=FILE, field=f"entry {index}" + (f" {field}" if field else ""))

        if not isinstance(entry, dict):
            problems.append(at("", "not_a_mapping", "an override must be a mapping with confirm or split, and reason"))
            continue
        found = check_keys(entry, [*ACTIONS, "reason"], at)
        actions = [a for a in ACTIONS if a in entry]
        if len(actions) != 1:
            found.append(at("", "bad_override", "give exactly one of confirm or split"))
        reason, err = text(entry.get("reason")) if entry.get("reason") is not None else (None, "missing")
        if err or not reason:
            found.append(at("reason", "missing_field", "every override needs a reason a reviewer can check"))
        keys = entry.get(actions[0]) if len(actions) == 1 else None
        names: list[str] = []
        if len(actions) == 1:
            if not isinstance(keys, list) or len(keys) < 2:
                found.append(at(actions[0], "bad_override", f"{actions[0]} needs a list of two or more event keys"))
            else:
                for key in keys:
                    name, key_err = identifier(key)
                    if key_err:
                        found.append(at(actions[0], "bad_override", f"event key {key!r}: {key_err}"))
                    else:
                        names.append(name)
                if len(set(names)) != len(names):
                    found.append(at(actions[0], "bad_override", "the same event key is named twice"))
        problems += found
        if not found:
            rows.append({"entry": index, "action": actions[0], "keys": names, "reason": reason})
    return frame(rows, COLUMNS), problems
