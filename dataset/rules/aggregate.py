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

import numpy as np
import pandas as pd

from schemas.vocab import STANCES, VICTIM_GROUPS

from .claimants import TIER

KEYS = ["event_id_cnty", "victim_group"]
GROUPS = np.array(VICTIM_GROUPS, dtype=object)
TIER_OF = np.array([TIER[s] for s in STANCES])


def groups(claims: pd.DataFrame) -> pd.DataFrame:
    """One row per (event_id_cnty, victim_group) with low, best, high, acled.

    `claims` needs event_id_cnty, victim_group, stance and fatalities_low/best/high/acled.
    Vectorised: claims are sorted once by (group, tier, best); minima, maxima and the lower
    median of the most credible tier are then read off each group's run of rows.
    """
    has = claims[claims["fatalities_best"].notna()]
    if has.empty:
        return pd.DataFrame({"event_id_cnty": pd.Series([], dtype="str"), "victim_group": pd.Series([], dtype="str"),
                             **{c: pd.Series([], dtype="int64") for c in ("low", "best", "high", "acled")}})
    events, event_ids = pd.factorize(has["event_id_cnty"])
    group = pd.Categorical(has["victim_group"].astype("str"), categories=VICTIM_GROUPS).codes.astype(np.int64)
    tier = TIER_OF[pd.Categorical(has["stance"].astype("str"), categories=STANCES).codes]
    key = events.astype(np.int64) * len(VICTIM_GROUPS) + group
    low, best, high, acled = (has[c].to_numpy(dtype=np.int64) for c in
                              ("fatalities_low", "fatalities_best", "fatalities_high", "fatalities_acled"))
    order = np.lexsort((best, tier, key))
    key, tier, low, best, high, acled = key[order], tier[order], low[order], best[order], high[order], acled[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sizes = np.diff(np.r_[starts, len(key)])
    in_top_tier = tier == np.repeat(tier[starts], sizes)
    n_top = np.add.reduceat(in_top_tier.astype(np.int64), starts)
    first = key[starts]
    return pd.DataFrame({
        "event_id_cnty": pd.Series(np.asarray(event_ids)[first // len(VICTIM_GROUPS)], dtype="str"),
        "victim_group": pd.Series(GROUPS[first % len(VICTIM_GROUPS)], dtype="str"),
        "low": np.minimum.reduceat(low, starts), "best": best[starts + (n_top - 1) // 2],
        "high": np.maximum.reduceat(high, starts), "acled": np.minimum.reduceat(acled, starts),
    })
