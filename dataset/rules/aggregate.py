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

from ..keys import lexorder
from .claimants import TIER

GROUPS = np.array(VICTIM_GROUPS, dtype=object)
TIER_OF = np.array([TIER[s] for s in STANCES])


FIGURES = ("fatalities_low", "fatalities_best", "fatalities_high", "fatalities_acled")


def _reduce(key: np.ndarray, tier: np.ndarray, low, best, high, acled) -> tuple[np.ndarray, ...]:
    """The rule over runs of equal `key`: (keys, low, best, high, acled), keys ascending.

    Claims are sorted once by (key, tier, best); minima and maxima are read off each run, and
    best is the lower median of the run's leading (most credible) tier.
    """
    if len(key) == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, empty, empty, empty
    order = lexorder((best, tier, key))
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sizes = np.diff(np.r_[starts, len(key)])
    tier = tier[order]
    n_top = np.add.reduceat((tier == np.repeat(tier[starts], sizes)).astype(np.int64), starts)
    del tier
    # Each figure is put in order only for its own reduction: one sorted copy at a time, not
    # six (a third of a gigabyte at three million events).
    return (key[starts], np.minimum.reduceat(low[order], starts), best[order[starts + (n_top - 1) // 2]],
            np.maximum.reduceat(high[order], starts), np.minimum.reduceat(acled[order], starts))


def _codes(victim_group, stance) -> tuple[np.ndarray, np.ndarray]:
    group = pd.Categorical(np.asarray(victim_group, dtype=object), categories=VICTIM_GROUPS).codes.astype(np.int64)
    tier = TIER_OF[pd.Categorical(np.asarray(stance, dtype=object), categories=STANCES).codes]
    return group, tier


def groups(claims: pd.DataFrame) -> pd.DataFrame:
    """One row per (event_id_cnty, victim_group) with low, best, high, acled.

    `claims` needs event_id_cnty, victim_group, stance and fatalities_low/best/high/acled.
    """
    has = claims[claims["fatalities_best"].notna()]
    if has.empty:
        return pd.DataFrame({"event_id_cnty": pd.Series([], dtype="str"), "victim_group": pd.Series([], dtype="str"),
                             **{c: pd.Series([], dtype="int64") for c in ("low", "best", "high", "acled")}})
    events, event_ids = pd.factorize(has["event_id_cnty"])
    group, tier = _codes(has["victim_group"].astype("str"), has["stance"].astype("str"))
    key, low, best, high, acled = _reduce(events.astype(np.int64) * len(VICTIM_GROUPS) + group, tier,
                                          *(has[c].to_numpy(dtype=np.int64) for c in FIGURES))
    return pd.DataFrame({
        "event_id_cnty": pd.Series(np.asarray(event_ids)[key // len(VICTIM_GROUPS)], dtype="str"),
        "victim_group": pd.Series(GROUPS[key % len(VICTIM_GROUPS)], dtype="str"),
        "low": low, "best": best, "high": high, "acled": acled,
    })


DEATHS = ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")


def by_row(row: np.ndarray, group: np.ndarray, stance: np.ndarray, figures: dict[str, pd.Series],
           n_rows: int) -> dict[str, np.ndarray]:
    """The event columns for `n_rows` event rows from claim rows pointing at them (`row`).

    `group` and `stance` are codes into VICTIM_GROUPS and STANCES. Returns fatalities,
    fatalities_low / best / high (sums over groups) and deaths by side.
    """
    has = figures["fatalities_best"].notna().to_numpy()
    group, tier = group.astype(np.int64), TIER_OF[stance]
    values = [figures[c].to_numpy(dtype=np.float64, na_value=0)[has].astype(np.int64) for c in FIGURES]
    key, low, best, high, acled = _reduce(row[has].astype(np.int64) * len(VICTIM_GROUPS) + group[has], tier[has], *values)
    rows, groups_ = key // len(VICTIM_GROUPS), key % len(VICTIM_GROUPS)
    out = {}
    for name, v in (("fatalities", acled), ("fatalities_low", low), ("fatalities_best", best), ("fatalities_high", high)):
        out[name] = np.bincount(rows, weights=v, minlength=n_rows).astype(np.int64)
    for g, name in enumerate(DEATHS):
        sel = groups_ == g
        out[name] = np.bincount(rows[sel], weights=best[sel], minlength=n_rows).astype(np.int64)
    return out
