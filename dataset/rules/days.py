"""Dividing a multi-day event's figures over its days, ACLED's way.

ACLED codes one event per day; a toll reported for several days is divided evenly, the earliest
day taking the remainder. Here the remainder is handed out one by one from the first day
(14 over 3 days: 5, 5, 4), which for a remainder of one is exactly ACLED's rule and in general
keeps every day's share a non-decreasing function of the total. That is what keeps
low <= best <= high (and the ACLED value inside them) on every single day, and makes the
per-day group aggregates add back up to the event's totals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def share(total: int, n_days: int, day: int) -> int:
    """The part of `total` that falls on `day` (0-based) of `n_days`."""
    if n_days < 1 or not 0 <= day < n_days:
        raise ValueError(f"day {day} is not within {n_days} day(s)")
    return total // n_days + (1 if day < total % n_days else 0)


def split(total: int, n_days: int) -> list[int]:
    """All days' shares; they add up to `total` exactly."""
    return [share(total, n_days, d) for d in range(n_days)]


def shares(totals: pd.Series, n_days: pd.Series, day: pd.Series) -> pd.Series:
    """Vectorised `share` over aligned Series; missing totals stay missing."""
    t = totals.astype("Int64")
    n = n_days.astype("int64").to_numpy()
    d = day.astype("int64").to_numpy()
    values = t.fillna(0).astype("int64").to_numpy()
    out = values // n + (d < values % n).astype("int64")
    return pd.Series(pd.array(out, dtype="Int64"), index=totals.index).mask(t.isna())


def spread(n_days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One entry per day of things lasting `n_days`: (which thing, day 0-based), things in order.

    [1, 3, 1] gives things [0, 1, 1, 1, 2] and days [0, 0, 1, 2, 0]. Used to expand events into
    day rows and claims into claim-day rows without copying the rows themselves.
    """
    n_days = np.asarray(n_days, dtype=np.int64)
    which = np.repeat(np.arange(len(n_days)), n_days)
    return which, np.arange(len(which)) - (np.cumsum(n_days) - n_days)[which]
