"""Is a point inside the named country? Natural Earth bounding boxes, via country_bounding_boxes.

A bounding box is deliberately generous: it catches swapped latitude/longitude, wrong signs and
wrong countries without rejecting border towns (Tinzaouaten lies on the Mali-Algeria border).
"""

from __future__ import annotations

from functools import cache

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
    """(outside, unknown): points outside their country's box, and countries with no box."""
    boxes = bounding_boxes()
    code = per_distinct(iso3, lambda c: NATURAL_EARTH_CODE.get(c, c), "str")
    b = boxes.reindex(code.to_numpy())
    b.index = iso3.index
    unknown = b["min_lon"].isna()
    m = MARGIN_DEGREES
    inside = ((latitude >= b["min_lat"] - m) & (latitude <= b["max_lat"] + m)
              & (longitude >= b["min_lon"] - m) & (longitude <= b["max_lon"] + m))
    return (~inside & ~unknown & latitude.notna() & longitude.notna()), unknown
