"""Converters for raw field values: each returns (value, None) or (None, what is wrong).

Shared by every reader so a date, a list of actors or a fatality figure means the same thing in
a YAML report and in a coding sheet. They only convert and check form; meaning is judged later.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from schemas.vocab import LIST_SEP

Result = tuple[Any, str | None]
Converter = Callable[[Any], Result]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _describe(value: Any) -> str:
    kind = {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "a mapping"}
    return f"{kind.get(type(value), type(value).__name__)} ({value!r})"


def text(value: Any) -> Result:
    if isinstance(value, str):
        if "\x00" in value:
            return None, "contains a NUL character"
        return value.strip(), None
    return None, f"expected text, got {_describe(value)}; quote it if it is meant as text"


def optional_text(value: Any) -> Result:
    return ("", None) if value is None else text(value)


def date(value: Any) -> Result:
    if isinstance(value, dt.datetime):
        return None, f"expected a date (YYYY-MM-DD), got a date and time ({value.isoformat()})"
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip()), None
        except ValueError as err:
            return None, f"not a valid date: {value!r} ({err})"
    return None, f"expected a date (YYYY-MM-DD), got {_describe(value)}"


INT64 = range(-2**63, 2**63)  # what a table's integer column holds


def integer(value: Any) -> Result:
    if isinstance(value, bool):
        return None, f"expected a whole number, got {_describe(value)}"
    out = None
    if isinstance(value, int):
        out = value
    elif isinstance(value, float) and value.is_integer():
        out = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        out = int(value)
    if out is None:
        return None, f"expected a whole number, got {_describe(value)}"
    if out not in INT64:
        return None, f"whole number out of range: {value!r}"
    return out, None


def number(value: Any) -> Result:
    if isinstance(value, bool):
        return None, f"expected a number, got {_describe(value)}"
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            return None, f"expected a finite number, got {value!r}"
        return float(value), None
    if isinstance(value, str):
        try:
            out = float(value)
        except ValueError:
            return None, f"expected a number, got {_describe(value)}"
        return number(out)
    return None, f"expected a number, got {_describe(value)}"


def boolean(value: Any) -> Result:
    if value is None:
        return False, None
    if isinstance(value, bool):
        return value, None
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", ""):
        return value.strip().lower() in ("true", "yes"), None
    return None, f"expected true or false, got {_describe(value)}"


def text_list(value: Any) -> Result:
    """A list of names, or one '; '-separated string; empty list when absent. Joined with '; '."""
    if value is None:
        return "", None
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, str) and isinstance(value, str):
            out.extend(part.strip() for part in item.split(";"))
            continue
        name, err = text(item)
        if err:
            return None, f"list item {item!r}: {err}"
        if ";" in name:
            return None, f"list item {name!r} contains ';', which separates names in the release"
        out.append(name)
    return LIST_SEP.join(x for x in out if x), None


def non_empty_text_list(value: Any) -> Result:
    out, err = text_list(value)
    if err is None and not out:
        return None, "must name at least one"
    return out, err


FIGURE_KEYS = ("low", "best", "high", "acled", "phrase")


def figure(value: Any) -> Result:
    """A fatality or injury figure: a count, a phrase as written, or {low, best, high[, acled, phrase]}.

    Returns a dict with `phrase` (text, "" for explicit numbers) and explicit parts (or None).
    """
    empty = {"phrase": "", "low": None, "best": None, "high": None, "acled": None}
    if value is None:
        return None, None
    if isinstance(value, bool) or isinstance(value, float):
        return None, f"expected a count, a phrase or {{low, best, high}}, got {_describe(value)}"
    if isinstance(value, int):
        if value < 0:
            return None, f"a count cannot be negative ({value})"
        return {**empty, "phrase": str(value)}, None
    if isinstance(value, str):
        if not value.strip():
            return None, "empty phrase; leave the field out if the report gives no figure"
        phrase, err = text(value)
        return ({**empty, "phrase": phrase}, None) if err is None else (None, err)
    if isinstance(value, dict):
        unknown = sorted(set(map(str, value)) - set(FIGURE_KEYS))
        if unknown:
            return None, f"unknown key(s) {', '.join(unknown)} in a figure mapping (allowed: {', '.join(FIGURE_KEYS)})"
        missing = [k for k in ("low", "best", "high") if k not in value]
        if missing:
            return None, f"a figure mapping needs low, best and high; missing {', '.join(missing)}"
        out = dict(empty)
        for key in ("low", "best", "high", "acled"):
            if key in value:
                n, err = integer(value[key])
                if err or n < 0:
                    return None, f"{key}: {err or f'cannot be negative ({n})'}"
                out[key] = n
        if not out["low"] <= out["best"] <= out["high"]:
            return None, f"range out of order: low {out['low']}, best {out['best']}, high {out['high']} (need low <= best <= high)"
        if out["acled"] is not None and not out["low"] <= out["acled"] <= out["high"]:
            return None, f"acled value {out['acled']} lies outside low {out['low']} .. high {out['high']}"
        if "phrase" in value:
            phrase, err = optional_text(value["phrase"])
            if err:
                return None, f"phrase: {err}"
            out["phrase"] = phrase
        return out, None
    return None, f"expected a count, a phrase or {{low, best, high}}, got {_describe(value)}"


def optional(converter: Converter) -> Converter:
    """`converter`, but an absent value (None) is accepted and stays None."""

    def convert(value: Any) -> Result:
        return (None, None) if value is None else converter(value)

    convert.__name__ = f"optional_{converter.__name__}"
    return convert


IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")


def identifier(value: Any) -> Result:
    """Report ids and event keys: they end up in claim IDs and must never act as paths."""
    out, err = text(value)
    if err:
        return None, err
    if not IDENTIFIER.match(out):
        return None, (f"{out!r} is not a valid identifier: use letters, digits and . _ : - "
                      "(at most 200, starting with a letter or digit)")
    return out, None
