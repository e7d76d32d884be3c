"""How many events of each type and sub-type happened per period.

Counts are event rows (ACLED's unit: one per event and day). Periods respect time precision as
in periods.py: month-precision rows are not counted in any week (see `fatalities.unplaced`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .fatalities import totals
from .periods import period_labels, placeable

# The breakdowns the `analyze` command writes (a sub-event type belongs to one event type).
BREAKDOWNS: dict[str, list[str]] = {"event_type": ["event_type"], "sub_event_type": ["event_type", "sub_event_type"]}


def event_counts(events: pd.DataFrame, freq: str = "month", by: Sequence[str] = ("event_type",)) -> pd.DataFrame:
    """Number of event rows per period of `freq` and group of `by`, sorted by period then group.

    >>> ev = pd.DataFrame({"event_date": pd.to_datetime(["2024-07-01", "2024-07-02", "2024-07-09"]),
    ...     "time_precision": 1, "event_type": ["Battles", "Protests", "Battles"]})
    >>> event_counts(ev, "week").to_dict("records")
    [{'week': '2024-W27', 'event_type': 'Battles', 'events': 1}, {'week': '2024-W27', 'event_type': 'Protests', 'events': 1}, {'week': '2024-W28', 'event_type': 'Battles', 'events': 1}]
    """
    placed = events[placeable(events, freq)]
    frame = placed[list(by)].assign(**{freq: period_labels(placed, freq)})
    return totals(frame, [freq, *by], sums=[])
