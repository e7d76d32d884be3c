"""Checking one raw record against a field spec: required fields, unknown fields, value forms."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..problems import Problem
from .values import Converter

# Makes a Problem located at the record being checked: (field, code, message) -> Problem.
Locate = Callable[[str, str, str], Problem]


@dataclass(frozen=True)
class Spec:
    """Allowed fields of a record kind, how each is converted, and which must be present."""

    kind: str
    fields: dict[str, Converter]
    required: frozenset[str] = frozenset()

    # Worked out once per spec, not per record (a hundred thousand reports convert half a million).
    @functools.cached_property
    def allowed(self) -> frozenset[str]:
        return frozenset(self.fields)

    @functools.cached_property
    def steps(self) -> tuple[tuple[str, Converter, bool], ...]:
        """(field, converter, required) of each field, in order."""
        return tuple((name, fn, name in self.required) for name, fn in self.fields.items())


def check_keys(record: dict, allowed: list[str], locate: Locate) -> list[Problem]:
    """Unknown fields (typos such as `killd`), each with the nearest allowed name."""
    out = []
    for key in record:
        if not isinstance(key, str):
            out.append(locate(str(key), "unknown_field", f"field name {key!r} is not text"))
        elif key not in allowed:
            near = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else f" (allowed: {', '.join(allowed)})"
            out.append(locate(key, "unknown_field", f"unknown field {key!r}{hint}"))
    return out


def convert(record: Any, spec: Spec, locate: Locate, skip: tuple[str, ...] = ()) -> tuple[dict, list[Problem]]:
    """Convert the fields of `record` that `spec` knows; report every problem, not the first.

    Fields in `skip` are left to the caller (nested lists such as `claims`).
    """
    if not isinstance(record, dict):
        return {}, [locate("", "not_a_mapping", f"a {spec.kind} must be a mapping of field: value, got {type(record).__name__}")]
    problems = check_keys(record, list(spec.fields), locate) if not record.keys() <= spec.allowed else []
    out: dict[str, Any] = {}
    get = record.get
    for name, converter, required in spec.steps:
        if name in skip:
            continue
        value = get(name)
        if value is None and required:
            problems.append(locate(name, "missing_field", f"required field {name!r} is missing or empty"))
            continue
        converted, err = converter(value)
        if err:
            problems.append(locate(name, "bad_value", err))
        elif required and isinstance(converted, str) and not converted:  # blank text: no value either
            problems.append(locate(name, "missing_field", f"required field {name!r} is missing or empty"))
        else:
            out[name] = converted
    return out, problems
