"""Figures of who fought: actors and interaction types, with event counts and fatality ranges.

The fatality panel draws each row's best estimate as a dot, its low..high range as a bar
through it and ACLED's conservative count as a cross: totals of the events a row took part in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .plot import ACLED, BAND, BEST, new_figure, say_empty, symlog_axis


def _short(text: str, width: int = 42) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def ranked_figure(table: pd.DataFrame, label: str, title: str, top: int = 15) -> Figure:
    """Two panels for the first `top` rows of `table`: events (bars) and fatalities (best, range, ACLED).

    `table` needs `label`, events, fatalities, fatalities_low, fatalities_best, fatalities_high,
    ranked already (as `actor_summary` and `interaction_mix` are).

    >>> t = pd.DataFrame({"actor": ["A", "B"], "events": [3, 1], "fatalities": [2, 0], "fatalities_low": [2, 0],
    ...                   "fatalities_best": [4, 1], "fatalities_high": [9, 1]})
    >>> [tick.get_text() for tick in ranked_figure(t, "actor", "Actors").axes[0].get_yticklabels()]
    ['A', 'B']
    """
    fig = new_figure(10, 1.4 + 0.32 * max(min(len(table), top), 2))
    if table.empty:
        say_empty(fig.subplots(), "Nothing to show: the release has no events.")
        fig.suptitle(title, fontsize=11)
        return fig
    rows = table.head(top)
    y = np.arange(len(rows))
    left, right = fig.subplots(1, 2, sharey=True, width_ratios=[1, 1.4])
    left.barh(y, rows["events"], color="#8c8c8c")
    left.set_yticks(y, [_short(str(v)) for v in rows[label]], fontsize=8)
    left.invert_yaxis()
    left.set_xlabel("events (event-day rows)")
    best, low, high = (rows[c].to_numpy(dtype=float) for c in ("fatalities_best", "fatalities_low", "fatalities_high"))
    right.hlines(y, low, high, color=BAND, linewidth=6, label="low to high range")
    right.plot(best, y, "o", color=BEST, markersize=5, label="best estimate")
    right.plot(rows["fatalities"].to_numpy(dtype=float), y, "x", color=ACLED, markersize=6,
               label="ACLED-style conservative count")
    symlog_axis(right, "x", max(float(high.max()), 1.0) * 1.3)
    right.set_xlabel("fatalities in these events (symmetric log scale)")
    fig.legend(*right.get_legend_handles_labels(), loc="outside lower right", ncols=3, fontsize=8, frameon=False)
    for ax in (left, right):
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    shown = f" (top {top} of {len(table)})" if len(table) > top else ""
    fig.suptitle(title + shown, fontsize=11)
    return fig


def actors_figure(summary: pd.DataFrame, top: int = 15) -> Figure:
    """The most active actors (`actor_summary(events)`): events and fatality ranges of their events.

    >>> t = pd.DataFrame({"actor": ["A"], "events": [3], "fatalities": [2], "fatalities_low": [2],
    ...                   "fatalities_best": [4], "fatalities_high": [9]})
    >>> actors_figure(t)._suptitle.get_text()
    'Actors by events, with the fatalities of the events they took part in'
    """
    return ranked_figure(summary, "actor", "Actors by events, with the fatalities of the events they took part in", top)


def interaction_figure(mix: pd.DataFrame) -> Figure:
    """The interaction mix (`interaction_mix(events)`): events and fatality ranges per interaction type.

    >>> t = pd.DataFrame({"interaction_label": ["State forces vs Rebel group"], "events": [3], "fatalities": [2],
    ...                   "fatalities_low": [2], "fatalities_best": [4], "fatalities_high": [9]})
    >>> len(interaction_figure(t).axes)
    2
    """
    return ranked_figure(mix, "interaction_label", "Interaction mix: events and fatalities per type of interaction", 20)
