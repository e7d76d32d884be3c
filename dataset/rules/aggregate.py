"""From the claims about one victim group to the group's low / best / high and ACLED value.

The rule, per victim group:

- **low** = the lowest low of any claim: the range starts at the smallest figure anyone gives;
- **high** = the highest high of any claim: the range reaches the largest figure anyone gives,
  so the group's range covers every claim about it;
- **best** = the lower median of the bests of the most credible claims present, in this order:
  third parties (neither side), then a side about its own losses (parties rarely overstate
  their own dead), then a side about its enemy's losses or about civilians (the claims most
  exposed to propaganda);
- **acled** = the lowest ACLED value of any claim (ACLED records the lowest reported figure).

Adding a claim can only lower low or raise high; best moves within the range. Claims that give
no death toll (wounded only) take no part. A claim about part of a side (the army alone, when
the side is the army and Wagner) counts as a claim about the side.
"""

from __future__ import annotations

import pandas as pd

from .claimants import TIER

KEYS = ["event_id_cnty", "victim_group"]


def groups(claims: pd.DataFrame) -> pd.DataFrame:
    """One row per (event_id_cnty, victim_group) with low, best, high, acled.

    `claims` needs event_id_cnty, victim_group, stance and fatalities_low/best/high/acled.
    """
    has_toll = claims[claims["fatalities_best"].notna()].copy()
    if has_toll.empty:
        return pd.DataFrame(columns=[*KEYS, "low", "best", "high", "acled"]).astype(
            {"event_id_cnty": "str", "victim_group": "str", "low": "int64", "best": "int64", "high": "int64", "acled": "int64"})
    has_toll["victim_group"] = has_toll["victim_group"].astype("str")
    for col in ("fatalities_low", "fatalities_best", "fatalities_high", "fatalities_acled"):
        has_toll[col] = has_toll[col].astype("int64")
    has_toll["tier"] = has_toll["stance"].astype("str").map(TIER)
    bounds = has_toll.groupby(KEYS, sort=True).agg(
        low=("fatalities_low", "min"), high=("fatalities_high", "max"), acled=("fatalities_acled", "min"))
    best = _best(has_toll)
    out = bounds.join(best).reset_index()
    return out[[*KEYS, "low", "best", "high", "acled"]]


def _best(claims: pd.DataFrame) -> pd.Series:
    """Lower median of the bests within the most credible tier present in each group."""
    top = claims.groupby(KEYS)["tier"].transform("min")
    pool = claims[claims["tier"] == top].sort_values([*KEYS, "fatalities_best"], kind="stable")
    position = pool.groupby(KEYS).cumcount()
    size = pool.groupby(KEYS)["fatalities_best"].transform("size")
    chosen = pool[position == (size - 1) // 2]
    return chosen.set_index(KEYS)["fatalities_best"].rename("best")

