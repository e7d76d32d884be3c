"""Fatalities over time with their uncertainty: low / best / high beside ACLED's conservative count.

Each row of a table sums event rows (ACLED's unit: one row per event and day, so a multi-day
event counts once per day and its fatalities are already divided over the days). `fatalities`
is ACLED's conservative figure; `fatalities_low <= fatalities_best <= fatalities_high` holds in
every row because it holds in every event and sums keep it. Rows exist only for the periods and
groups with at least one event: a missing row means no event was recorded (zero).
Rows whose date is too coarse for the period (month-precision events in weekly tables) are left
out of the table and returned by `unplaced`, never guessed into a week (see periods.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from schemas.frames import decoded

from .periods import FREQS, period_labels, placeable

FATALITY_COLUMNS = ["fatalities", "fatalities_low", "fatalities_best", "fatalities_high"]
MEASURES = ["events", *FATALITY_COLUMNS]
# The breakdowns the `analyze` command writes: name -> grouping columns (admin1 is unique only within a country).
BREAKDOWNS: dict[str, list[str]] = {"country": ["country"], "admin1": ["country", "admin1"],
                                    "event_type": ["country", "event_type"]}


def totals(events: pd.DataFrame, by: Sequence[str] = (), sums: Sequence[str] = FATALITY_COLUMNS) -> pd.DataFrame:
    """Event rows and the sums of the `sums` columns per group of `by` (one row when `by` is empty).

    >>> ev = pd.DataFrame({"country": ["Mali", "Mali"], "fatalities": [2, 3], "fatalities_low": [1, 3],
    ...                    "fatalities_best": [2, 4], "fatalities_high": [9, 5]})
    >>> totals(ev, ["country"]).to_dict("records")
    [{'country': 'Mali', 'events': 2, 'fatalities': 5, 'fatalities_low': 4, 'fatalities_best': 6, 'fatalities_high': 14}]
    """
    by, measures = list(by), ["events", *sums]
    frame = events[by + list(sums)].copy()
    for col in by:
        frame[col] = _plain(frame[col])
    for col in sums:
        frame[col] = frame[col].astype("int64")
    frame["events"] = 1
    if not by:
        return pd.DataFrame([frame[measures].sum().astype("int64")], columns=measures)
    out = frame.groupby(by, sort=True, dropna=False)[measures].sum().reset_index()
    return out[by + measures].astype({m: "int64" for m in measures})


def fatalities_over_time(events: pd.DataFrame, freq: str = "month", by: Sequence[str] = ("country",)) -> pd.DataFrame:
    """Events and low / best / high / ACLED fatalities per period of `freq` and group of `by`.

    The first column is named after `freq` (week `2024-W31`, month `2024-07`, year 2024); rows
    are sorted by period, then by group. Rows too coarse for `freq` are left out (see `unplaced`).

    >>> ev = pd.DataFrame({"event_date": pd.to_datetime(["2024-07-01", "2024-07-20", "2024-08-02"]),
    ...     "time_precision": [1, 3, 1], "country": "Mali", "fatalities": [1, 2, 3],
    ...     "fatalities_low": [1, 2, 3], "fatalities_best": [1, 5, 3], "fatalities_high": [4, 9, 3]})
    >>> fatalities_over_time(ev, "month")[["month", "events", "fatalities_best"]].to_dict("records")
    [{'month': '2024-07', 'events': 2, 'fatalities_best': 6}, {'month': '2024-08', 'events': 1, 'fatalities_best': 3}]
    >>> fatalities_over_time(ev, "week")["fatalities_best"].sum()   # the month-precision event has no week
    np.int64(4)
    """
    placed = events[placeable(events, freq)]
    frame = placed.assign(**{freq: period_labels(placed, freq)})
    return totals(frame, [freq, *by])


def fatalities_by_month(events: pd.DataFrame) -> pd.DataFrame:
    """The published monthly table: month (`YYYY-MM`), country, events, fatalities, low, best, high.

    >>> ev = pd.DataFrame({"event_date": pd.to_datetime(["2024-07-31"]), "time_precision": [1],
    ...     "country": ["Mali"], "fatalities": [2], "fatalities_low": [2], "fatalities_best": [3], "fatalities_high": [7]})
    >>> fatalities_by_month(ev).to_dict("records")
    [{'month': '2024-07', 'country': 'Mali', 'events': 1, 'fatalities': 2, 'fatalities_low': 2, 'fatalities_best': 3, 'fatalities_high': 7}]
    """
    return fatalities_over_time(events, "month", ["country"])


def unplaced(events: pd.DataFrame, freq: str, by: Sequence[str] = ()) -> pd.DataFrame:
    """Totals of the rows a `freq` table leaves out because their date is too coarse for it.

    >>> ev = pd.DataFrame({"event_date": pd.to_datetime(["2024-07-20"]), "time_precision": [3], "fatalities": [2],
    ...                    "fatalities_low": [2], "fatalities_best": [5], "fatalities_high": [9]})
    >>> unplaced(ev, "week")[["events", "fatalities_best"]].to_dict("records")
    [{'events': 1, 'fatalities_best': 5}]
    """
    return totals(events[~placeable(events, freq)], by)


def precision_coverage(events: pd.DataFrame) -> pd.DataFrame:
    """Per frequency and time precision: rows and fatalities placed in periods or left out.

    A weekly table plus its `placed == False` rows here add up to every event in the release.

    >>> ev = pd.DataFrame({"event_date": pd.to_datetime(["2024-07-01", "2024-07-20"]), "time_precision": [1, 3],
    ...     "fatalities": [1, 2], "fatalities_low": [1, 2], "fatalities_best": [1, 5], "fatalities_high": [4, 9]})
    >>> precision_coverage(ev).query("freq == 'week'")[["time_precision", "placed", "events"]].to_dict("records")
    [{'time_precision': 1, 'placed': True, 'events': 1}, {'time_precision': 3, 'placed': False, 'events': 1}]
    """
    parts = []
    for freq in FREQS:
        frame = events.assign(freq=freq, placed=placeable(events, freq),
                              time_precision=events["time_precision"].astype("int64"))
        parts.append(totals(frame, ["freq", "time_precision", "placed"]))
    return pd.concat(parts, ignore_index=True)  # in FREQS order, each part sorted by time_precision


def _plain(series: pd.Series) -> pd.Series:
    """Categoricals as their values, so groupings never invent empty categories."""
    return decoded(series) if isinstance(series.dtype, pd.CategoricalDtype) else series


DEADLIEST_COLUMNS = ["event_id_cnty", "event_date", "time_precision", "country", "admin1", "location", "event_type",
                     "actor1", "actor2", *FATALITY_COLUMNS, "n_sources", "notes"]


def deadliest_events(events: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The `n` event rows with the highest best estimate (ties: higher high first, then ID).

    >>> ev = pd.DataFrame({c: ["x", "y"] for c in DEADLIEST_COLUMNS}).assign(event_id_cnty=["MLI1", "MLI2"],
    ...     fatalities_best=[3, 7], fatalities_high=[3, 7])
    >>> deadliest_events(ev, 1)["event_id_cnty"].tolist()
    ['MLI2']
    """
    out = events[DEADLIEST_COLUMNS].copy()
    for col in ("country", "event_type"):
        out[col] = _plain(out[col])
    out = out.sort_values(["fatalities_best", "fatalities_high", "event_id_cnty"], ascending=[False, False, True],
                          kind="stable")
    return out.head(n).reset_index(drop=True)
