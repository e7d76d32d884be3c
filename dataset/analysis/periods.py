"""Which calendar period an event row falls in, respecting how precisely its date is known.

ACLED's `time_precision` says what the date means: 1 the day is known, 2 only the week (or a
span of days) is, 3 only the month. A row is placed in a period only when its date is at least
as precise as the period: weeks take precision 1 and 2, months and years take every row. A
month-precision row gets no week (a missing label), never a guessed one; `placeable` tells
which rows a frequency can place, so tables can account for the rest instead of hiding them.
Week-precision rows are placed in the week and month of their coded `event_date`, as ACLED
codes them (a span of days is coded on one date).

Weeks are ISO weeks (Monday to Sunday, labelled `2024-W31`, the ISO year: 30 December 2024 is
in `2025-W01`); months are `YYYY-MM`; years are integers.
"""

from __future__ import annotations

import pandas as pd

from schemas.frames import per_distinct

FREQS = ("week", "month", "year")
# The coarsest time_precision (1 day, 2 week, 3 month) that a period of each length can hold.
COARSEST_PRECISION = {"week": 2, "month": 3, "year": 3}


def _check(freq: str) -> None:
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {', '.join(FREQS)}, not {freq!r}")


def placeable(events: pd.DataFrame, freq: str) -> pd.Series:
    """True for the rows whose date is precise enough to put them in one period of `freq`.

    >>> ev = pd.DataFrame({"event_date": pd.to_datetime(["2024-07-03", "2024-07-15"]), "time_precision": [1, 3]})
    >>> placeable(ev, "week").tolist(), placeable(ev, "month").tolist()
    ([True, False], [True, True])
    """
    _check(freq)
    return (events["time_precision"].astype("int64") <= COARSEST_PRECISION[freq]).astype(bool)


def period_labels(events: pd.DataFrame, freq: str) -> pd.Series:
    """The period of each row (`2024-W31`, `2024-07` or 2024); missing where the date is too coarse.

    >>> ev = pd.DataFrame({"event_date": pd.to_datetime(["2024-12-30", "2024-07-15"]), "time_precision": [1, 3]})
    >>> period_labels(ev, "week").tolist()
    ['2025-W01', nan]
    >>> period_labels(ev, "month").tolist()
    ['2024-12', '2024-07']
    """
    _check(freq)
    date = pd.to_datetime(events["event_date"])
    if freq == "year":
        return date.dt.year.astype("int64").rename("year")
    fmt = "%Y-%m" if freq == "month" else "%G-W%V"
    # Formatted once per distinct date: pandas' strftime runs per row and "%G-W%V" takes it off its fast path.
    labels = per_distinct(date, lambda day: day.strftime(fmt), "str")
    return labels.where(placeable(events, freq)).rename(freq)


def period_start(labels: pd.Series, freq: str) -> pd.Series:
    """The first day of each period label (for plotting periods on a time axis).

    >>> period_start(pd.Series(["2025-W01", "2024-07"]).iloc[:1], "week").dt.strftime("%Y-%m-%d").tolist()
    ['2024-12-30']
    """
    _check(freq)
    if freq == "year":
        return pd.to_datetime(labels.astype("int64").astype("str") + "-01-01", format="%Y-%m-%d")
    if freq == "month":
        return pd.to_datetime(labels.astype("str") + "-01", format="%Y-%m-%d")
    return pd.to_datetime(labels.astype("str") + "-1", format="%G-W%V-%u")


def period_range(labels: pd.Series, freq: str) -> list:
    """Every period from the first to the last of `labels`, gaps included (for zero-filled series).

    >>> period_range(pd.Series(["2024-11", "2024-09"]), "month")
    ['2024-09', '2024-10', '2024-11']
    """
    _check(freq)
    labels = labels.dropna()
    if labels.empty:
        return []
    if freq == "year":
        return list(range(int(labels.min()), int(labels.max()) + 1))
    starts = period_start(labels, freq)
    step = "MS" if freq == "month" else "W-MON"
    days = pd.date_range(starts.min(), starts.max(), freq=step)
    return period_labels(pd.DataFrame({"event_date": days, "time_precision": 1}), freq).tolist()
