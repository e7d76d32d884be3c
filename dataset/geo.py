"""Is a point inside the named country? Natural Earth bounding boxes, via country_bounding_boxes.

A bounding box is deliberately generous: it catches swapped latitude/longitude, wrong signs and
wrong countries without rejecting border towns (Tinzaouaten lies on the Mali-Algeria border).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from schemas.frames import per_distinct

MARGIN_DEGREES = 0.1
# Natural Earth codes that differ from the ISO alpha-3 codes used here.
NATURAL_EARTH_CODE = {"XKX": "KOS"}


@cache
def bounding_boxes() -> pd.DataFrame:
    """(min_lon, min_lat, max_lon, max_lat) per ISO alpha-3 code: the union of its subunits."""
    import country_bounding_boxes as cbb

    rows = []
    for iso3, subunits in cbb.all_country_subunits_grouped_by_iso_3_code():
        boxes = [s.bbox for s in subunits]
        rows.append((iso3, min(b[0] for b in boxes), min(b[1] for b in boxes),
                     max(b[2] for b in boxes), max(b[3] for b in boxes)))
    for s in cbb.all_country_subunits():
        if s.adm0_a3 in NATURAL_EARTH_CODE.values():
            rows.append((s.adm0_a3, *s.bbox))
    df = pd.DataFrame(rows, columns=["iso3", "min_lon", "min_lat", "max_lon", "max_lat"])
    return df.groupby("iso3").agg(min_lon=("min_lon", "min"), min_lat=("min_lat", "min"),
                                  max_lon=("max_lon", "max"), max_lat=("max_lat", "max"))


def outside(iso3: pd.Series, latitude: pd.Series, longitude: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(outside, unknown): points outside their country's box, and countries with no box.

    Each distinct country's box is looked up once (`per_distinct`; a categorical `iso3` is coded
    already): looking up millions of rows' text took seconds.
    """
    boxes = bounding_boxes()
    edge = {name: per_distinct(iso3, lambda c, b=boxes[name]: b.get(NATURAL_EARTH_CODE.get(c, c)), "float64").to_numpy()
            for name in ("min_lat", "max_lat", "min_lon", "max_lon")}
    lat, lon = latitude.to_numpy(dtype="float64", na_value=np.nan), longitude.to_numpy(dtype="float64", na_value=np.nan)
    unknown = np.isnan(edge["min_lon"])
    m = MARGIN_DEGREES
    inside = ((lat >= edge["min_lat"] - m) & (lat <= edge["max_lat"] + m)
              & (lon >= edge["min_lon"] - m) & (lon <= edge["max_lon"] + m))
    found = ~inside & ~unknown & ~np.isnan(lat) & ~np.isnan(lon)
    return pd.Series(found, index=iso3.index), pd.Series(unknown, index=iso3.index)
