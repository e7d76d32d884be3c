"""Adapters from each kind of raw input to the staged tables, registered in one place.

Every adapter has the same signature,
`read(raw: Path, cache: Path | None = None, tree: raw_tree.Tree | None = None) -> Staged`, and never
raises for bad content: what is wrong comes back as problems in the result. `cache` is a folder
an adapter may use to skip work it did before (only the YAML reader does); `tree` is the build's
one walk of raw/ (`raw_tree.walk`), which an adapter lists its folder from instead of walking it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .. import raw_tree
from ..staged import Staged
from . import acled, parse_cache, sheets, ucdp, yaml_reports

READERS: list[Callable[[Path, Path | None, raw_tree.Tree | None], Staged]] = [yaml_reports.read, sheets.read,
                                                                             acled.read, ucdp.read]


def caches(cache: Path | None) -> list[parse_cache.Store]:
    """The parse caches the readers keep under the folder `cache` (only the YAML reader keeps one),
    for the build to begin loading before it has the walk of raw/ (parse_cache.loading_soon)."""
    return [yaml_reports.cache_store(cache)] if cache is not None else []
