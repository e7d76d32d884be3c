"""A map of events from the release's own coordinates, with no basemap and nothing downloaded.

Context comes from the country bounding boxes bundled with `country_bounding_boxes` (Natural
Earth), drawn as dashed rectangles: boxes, not borders. One point per coded event (a multi-day
event's days share one place, so their best estimates are summed), its area proportional to
the best estimate (with a small floor so events without deaths still show), its colour the
event type. Longitude is stretched by 1/cos(latitude) so shapes are not squashed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from schemas.vocab import EVENT_TYPES

from ..geo import NATURAL_EARTH_CODE, bounding_boxes
from .plot import EVENT_TYPE_COLOURS, new_figure, say_empty

MIN_AREA, MAX_AREA = 12.0, 900.0


def map_points(events: pd.DataFrame) -> pd.DataFrame:
    """One row per coded event: place, event type, iso3 and best fatalities summed over its days.

    >>> ev = pd.DataFrame({"event_key": ["e", "e"], "event_id_cnty": ["MLI1", "MLI2"], "latitude": 17.9,
    ...     "longitude": 0.5, "event_type": "Battles", "fatalities_best": [5, 4]})
    >>> map_points(ev)[["event_key", "iso3", "fatalities_best"]].to_dict("records")
    [{'event_key': 'e', 'iso3': 'MLI', 'fatalities_best': 9}]
    """
    frame = events.assign(event_key=events["event_key"].astype("str"), event_type=events["event_type"].astype("str"),
                          iso3=events["event_id_cnty"].astype("str").str[:3],
                          fatalities_best=events["fatalities_best"].astype("int64"))
    g = frame.groupby("event_key", sort=True)
    out = g[["latitude", "longitude", "event_type", "iso3"]].first()
    out["fatalities_best"] = g["fatalities_best"].sum()
    return out.reset_index()


def _area(best: pd.Series | np.ndarray, top: float) -> np.ndarray:
    return MIN_AREA + (MAX_AREA - MIN_AREA) * np.asarray(best, dtype=float) / max(top, 1.0)


def _extent(points: pd.DataFrame, boxes: pd.DataFrame) -> tuple[float, float, float, float]:
    """(west, east, south, north): the points and their countries' boxes, one degree of margin."""
    xs, ys = list(points["longitude"]), list(points["latitude"])
    for _, b in boxes.iterrows():
        xs += [b.min_lon, b.max_lon]
        ys += [b.min_lat, b.max_lat]
    return min(xs) - 1, max(xs) + 1, max(min(ys) - 1, -90), min(max(ys) + 1, 90)


def event_map(events: pd.DataFrame) -> Figure:
    """Scatter of events on longitude / latitude axes over their countries' bounding boxes.

    >>> ev = pd.DataFrame({"event_key": ["e"], "event_id_cnty": ["MLI1"], "latitude": [17.9], "longitude": [0.5],
    ...     "event_type": ["Battles"], "fatalities_best": [9]})
    >>> event_map(ev).axes[0].collections[0].get_offsets().tolist()
    [[0.5, 17.9]]
    """
    title = ("Events by location: area by best fatalities estimate, colour by event type\n"
             "(no basemap; dashed rectangles are country bounding boxes, not borders)")
    points = map_points(events)
    if points.empty:
        fig = new_figure(9, 4)
        say_empty(fig.subplots(), "No events to map.")
        fig.suptitle(title, fontsize=10)
        return fig
    all_boxes = bounding_boxes()
    codes = {code: NATURAL_EARTH_CODE.get(code, code) for code in sorted(set(points["iso3"]))}
    boxes = all_boxes.loc[[key for key in codes.values() if key in all_boxes.index]]
    west, east, south, north = _extent(points, boxes)
    stretch = 1 / max(np.cos(np.radians((south + north) / 2)), 0.2)
    height = float(np.clip(7.5 * (north - south) * stretch / max(east - west, 1e-9), 3.0, 9.0))
    fig = new_figure(10, height + 1.2)
    ax = fig.subplots()
    fig.suptitle(title, fontsize=10)
    for code, key in codes.items():
        if key not in boxes.index:
            continue
        b = boxes.loc[key]
        ax.add_patch(Rectangle((b.min_lon, b.min_lat), b.max_lon - b.min_lon, b.max_lat - b.min_lat, fill=False,
                               linestyle="--", linewidth=0.8, edgecolor="#888888"))
        ax.text(b.min_lon, b.max_lat, f" {code}", fontsize=8, color="#666666", va="top")
    top = float(points["fatalities_best"].max())
    ordered = points.sort_values(["fatalities_best", "event_key"], ascending=[False, True], kind="stable")
    colours = ordered["event_type"].map(EVENT_TYPE_COLOURS).fillna("#000000")
    ax.scatter(ordered["longitude"], ordered["latitude"], s=_area(ordered["fatalities_best"], top), c=colours.tolist(),
               alpha=0.65, edgecolors="white", linewidths=0.5, zorder=3)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(stretch)
    ax.set_xlabel("longitude (degrees)")
    ax.set_ylabel("latitude (degrees)")
    ax.grid(color="#eeeeee", linewidth=0.6)
    types = [t for t in EVENT_TYPES if t in set(points["event_type"])]
    fig.legend([Line2D([], [], marker="o", linestyle="", color=EVENT_TYPE_COLOURS[t]) for t in types], types,
               title="event type", fontsize=8, title_fontsize=8, loc="outside right upper")
    references = sorted({int(v) for v in (top, round(top / 4), round(top / 16)) if v > 0}, reverse=True) or [0]
    sizes = [Line2D([], [], marker="o", linestyle="", color="#999999", markersize=np.sqrt(_area(v, top)))
             for v in references]
    fig.legend(sizes, [str(v) for v in references], title="best fatalities", fontsize=8, title_fontsize=8,
               loc="outside right lower", labelspacing=2.0, borderpad=1.2, handletextpad=1.5)
    return fig
