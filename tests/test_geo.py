"""geo.outside: points against their country's Natural Earth box, row by row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataset import geo
from schemas import STR


@pytest.mark.parametrize("as_category", [False, True])
def test_points_are_judged_against_their_own_countrys_box(as_category):
    rows = [  # iso3, latitude, longitude, outside, unknown
        ("MLI", 12.64, -8.0, False, False),  # Bamako
        ("NGA", 12.64, -8.0, True, False),  # Bamako coded as Nigeria
        ("MLI", -8.0, 12.64, True, False),  # latitude and longitude swapped
        ("MLI", 20.20, 1.01, False, False),  # Tessalit, in the far north
        ("XKX", 42.66, 21.17, False, False),  # Pristina: Kosovo is KOS in Natural Earth
        ("ZZZ", 0.0, 0.0, False, True),  # no box for the country: not checked
        ("MLI", np.nan, -8.0, False, False),  # a missing coordinate is not outside
        (None, 12.64, -8.0, False, True),
    ]
    iso3 = pd.Series([r[0] for r in rows], dtype=STR, index=np.arange(len(rows)) * 3)
    if as_category:
        iso3 = iso3.astype("category")
    latitude = pd.Series([r[1] for r in rows], index=iso3.index)
    longitude = pd.Series([r[2] for r in rows], index=iso3.index)
    outside, unknown = geo.outside(iso3, latitude, longitude)
    assert outside.tolist() == [r[3] for r in rows] and unknown.tolist() == [r[4] for r in rows]
    assert outside.index.equals(iso3.index) and outside.dtype == bool and unknown.dtype == bool
