"""Figures over time: fatalities with their uncertainty band, event counts by type and sub-type.

Periods are drawn as steps (a month's total holds for the whole month) and every period from
the first to the last is drawn, zero where no event was recorded, so gaps are not bridged by a
line. The band is low..high and the line is best; since low <= best <= high in every period,
the band contains the line everywhere.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from schemas.vocab import EVENT_TYPES, SUB_EVENT_TYPES

from .fatalities import FATALITY_COLUMNS
from .periods import period_range, period_start
from .plot import ACLED, BAND, BEST, EVENT_TYPE_COLOURS, new_figure, say_empty

ALL = "All"
STEP = {"week": pd.DateOffset(days=7), "month": pd.DateOffset(months=1), "year": pd.DateOffset(years=1)}


def filled(table: pd.DataFrame, freq: str, labels: list | None = None) -> pd.DataFrame:
    """Fatality sums per period of `table` over every period in `labels` (zero where none).

    `labels` defaults to every period from the table's first to its last.

    >>> t = pd.DataFrame({"month": ["2024-07", "2024-09"], "events": [1, 2], "fatalities": [1, 2],
    ...                   "fatalities_low": [1, 2], "fatalities_best": [1, 3], "fatalities_high": [2, 9]})
    >>> filled(t, "month")["fatalities_best"].tolist()
    [1, 0, 3]
    """
    labels = period_range(table[freq], freq) if labels is None else labels
    sums = table.groupby(freq, sort=True)[FATALITY_COLUMNS].sum()
    return sums.reindex(pd.Index(labels, name=freq), fill_value=0).astype("int64")


def _edges(labels: list, freq: str) -> pd.DatetimeIndex:
    """Start of every period and the end of the last one (steps need both ends)."""
    starts = period_start(pd.Series(labels), freq)
    return pd.DatetimeIndex([*starts, starts.iloc[-1] + STEP[freq]])


def draw_band(ax: Axes, series: pd.DataFrame, freq: str) -> None:
    """Best as a step line over a low..high band, the ACLED-style count dashed, on one axes.

    >>> t = filled(pd.DataFrame({"month": ["2024-07"], "fatalities": [1], "fatalities_low": [1],
    ...                          "fatalities_best": [2], "fatalities_high": [5]}), "month")
    >>> fig = new_figure(4, 2); ax = fig.subplots(); draw_band(ax, t, "month"); [l.get_label() for l in ax.lines]
    ['best estimate', 'ACLED-style conservative count']
    """
    x = _edges(list(series.index), freq)
    def ends(col: str) -> np.ndarray:
        values = series[col].to_numpy()
        return np.append(values, values[-1])
    ax.fill_between(x, ends("fatalities_low"), ends("fatalities_high"), step="post", color=BAND, alpha=0.7,
                    linewidth=0, label="low to high range")
    ax.plot(x, ends("fatalities_best"), drawstyle="steps-post", color=BEST, linewidth=1.8, label="best estimate")
    ax.plot(x, ends("fatalities"), drawstyle="steps-post", color=ACLED, linewidth=1.2, linestyle="--",
            label="ACLED-style conservative count")
    ax.set_ylim(0, max(float(series["fatalities_high"].max()) * 1.05, 1.0))
    ax.set_ylabel("fatalities")
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)


def fatalities_figure(table: pd.DataFrame, freq: str, by: str | None = "country", panels: int = 6,
                      note: str = "") -> Figure:
    """One panel for all groups, then one per group of `by` with the most best-estimate deaths.

    `table` is `fatalities_over_time(events, freq, [by])` (or without `by`); `note` is printed
    under the panels (e.g. how many events are too coarse for weeks and left out).

    >>> from dataset.analysis.fatalities import fatalities_over_time
    >>> ev = pd.DataFrame({"event_date": pd.to_datetime(["2024-07-01", "2024-09-02"]), "time_precision": 1,
    ...     "country": ["Mali", "Niger"], "fatalities": [1, 2], "fatalities_low": [1, 2],
    ...     "fatalities_best": [3, 4], "fatalities_high": [5, 6]})
    >>> [ax.get_title(loc="left") for ax in fatalities_figure(fatalities_over_time(ev, "month"), "month").axes]
    ['All', 'Niger', 'Mali']
    """
    if table.empty:
        fig = new_figure(9, 3)
        say_empty(fig.subplots(), f"No events whose date is known to the {freq}.")
        fig.suptitle(f"Fatalities per {freq}")
        return fig
    labels = period_range(table[freq], freq)
    groups = []
    if by is not None:
        ranked = table.groupby(by)["fatalities_best"].sum().reset_index().sort_values(
            ["fatalities_best", by], ascending=[False, True], kind="stable")[by].tolist()
        groups = ranked[:panels - 1] if len(ranked) > 1 else ranked
        if len(ranked) > len(groups):
            note = "; ".join(filter(None, [note, f"{len(ranked) - len(groups)} more {by} value(s) are in 'All' only"]))
    names = ([ALL] if len(groups) != 1 else []) + groups
    fig = new_figure(9, 1.0 + 2.1 * len(names))
    axes = np.atleast_1d(fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0])
    for ax, name in zip(axes, names):
        part = table if name == ALL else table[table[by] == name]
        draw_band(ax, filled(part, freq, labels), freq)
        ax.set_title(str(name), loc="left", fontsize=10)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    fig.suptitle(f"Fatalities per {freq}: best estimate (line), low to high range (band), "
                 "ACLED-style conservative count (dashed)", fontsize=11)
    if note:
        axes[-1].set_xlabel(note, fontsize=8, color="#444444")
    return fig


def _period_ticks(ax: Axes, labels: list) -> None:
    """Label at most ~12 periods on a categorical x axis, evenly spaced."""
    step = max(1, int(np.ceil(len(labels) / 12)))
    ticks = list(range(0, len(labels), step))
    ax.set_xticks(ticks, [str(labels[i]) for i in ticks], rotation=45, ha="right", fontsize=8)


def event_counts_figure(counts: pd.DataFrame, freq: str) -> Figure:
    """Stacked bars: event rows per period, one colour per event type (`event_counts(events, freq)`).

    >>> c = pd.DataFrame({"month": ["2024-07", "2024-07"], "event_type": ["Battles", "Protests"], "events": [2, 1]})
    >>> len(event_counts_figure(c, "month").axes[0].patches)
    2
    """
    fig = new_figure(9, 4.5)
    ax = fig.subplots()
    fig.suptitle(f"Events per {freq} by event type", fontsize=11)
    if counts.empty:
        say_empty(ax, f"No events whose date is known to the {freq}.")
        return fig
    labels = period_range(counts[freq], freq)
    wide = counts.pivot_table(index=freq, columns="event_type", values="events", aggfunc="sum", fill_value=0, observed=True)
    wide = wide.reindex(index=labels, columns=[t for t in EVENT_TYPES if t in wide.columns], fill_value=0)
    bottom = np.zeros(len(labels))
    for event_type in wide.columns:
        values = wide[event_type].to_numpy()
        ax.bar(np.arange(len(labels)), values, bottom=bottom, width=0.8, label=event_type,
               color=EVENT_TYPE_COLOURS[event_type])
        bottom += values
    _period_ticks(ax, labels)
    ax.set_ylabel("events (event-day rows)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig


def sub_event_figure(counts: pd.DataFrame, freq: str) -> Figure:
    """Heat map: event rows per sub-event type (rows) and period (columns), counts written in.

    Takes `event_counts(events, freq, ["event_type", "sub_event_type"])`.

    >>> c = pd.DataFrame({"year": [2023, 2024], "event_type": "Battles", "sub_event_type": "Armed clash", "events": [2, 1]})
    >>> sub_event_figure(c, "year").axes[0].images[0].get_array().shape
    (1, 2)
    """
    if counts.empty:
        fig = new_figure(9, 3)
        say_empty(fig.subplots(), f"No events whose date is known to the {freq}.")
        return fig
    labels = period_range(counts[freq], freq)
    wide = counts.pivot_table(index="sub_event_type", columns=freq, values="events", aggfunc="sum", fill_value=0, observed=True)
    rows = [s for s in SUB_EVENT_TYPES if s in wide.index]
    wide = wide.reindex(index=rows, columns=labels, fill_value=0)
    fig = new_figure(9, 1.6 + 0.35 * len(rows))
    ax = fig.subplots()
    image = ax.imshow(wide.to_numpy(), aspect="auto", cmap="Blues", vmin=0, interpolation="nearest")
    if wide.size <= 400:
        top = max(int(wide.to_numpy().max()), 1)
        for (i, j), value in np.ndenumerate(wide.to_numpy()):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=7,
                        color="white" if value > top / 2 else "black")
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    _period_ticks(ax, labels)
    fig.colorbar(image, ax=ax, label="events (event-day rows)", ticks=MaxNLocator(integer=True))
    fig.suptitle(f"Events per {freq} by sub-event type", fontsize=11)
    return fig
