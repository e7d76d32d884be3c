"""Conflict event dataset builder: raw reports -> a versioned, ACLED-compatible release.

For pandas users: `dataset.load(version="latest", table="events")`.
"""

from .load import csv_options, load

__all__ = ["csv_options", "load"]
