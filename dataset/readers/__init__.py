"""Adapters from each kind of raw input to the staged tables, registered in one place.

Every adapter has the same signature, `read(raw: Path, cache: Path | None = None) -> Staged`,
and never raises for bad content: what is wrong comes back as problems in the result. `cache` is
a folder an adapter may use to skip work it did before (only the YAML reader does).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..staged import Staged
from . import acled, sheets, ucdp, yaml_reports

READERS: list[Callable[[Path, Path | None], Staged]] = [yaml_reports.read, sheets.read, acled.read, ucdp.read]
