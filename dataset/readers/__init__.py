"""Adapters from each kind of raw input to the staged tables, registered in one place.

Every adapter has the same signature, `read(raw: Path) -> Staged`, and never raises for bad
content: what is wrong comes back as problems in the result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..staged import Staged
from . import acled, sheets, ucdp, yaml_reports

READERS: list[Callable[[Path], Staged]] = [yaml_reports.read, sheets.read, acled.read, ucdp.read]
