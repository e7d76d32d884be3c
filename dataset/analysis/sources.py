"""Source disagreement: how far apart the claims about the same deaths are, and who made them.

Definitions (the codebook's fatality methodology names the groups and stances):

- A **claim** is one claim as reported. A multi-day event's claim is published as one row per
  day with its figures divided over the days (`claim_id` ends in `@YYYY-MM-DD`, `n_days` > 1);
  `whole_claims` adds the day rows back up (the division conserves totals exactly), so claims
  are compared as they were made, and rounding of the daily shares (2 over 3 days is 1, 1, 0)
  can neither create nor hide a disagreement.
- Claims **conflict** when, within one coded event and one victim group (side_a, side_b,
  civilians, unknown), at least two claims give a death toll and their best readings differ.
  Claims giving no death toll (wounded only) take no part. Readings with the same best but
  different ranges ("at least 10" and "10") do not conflict; `ranges_overlap` says whether some
  single number lies inside every claim's range (False: the claims contradict each other outright).
- `disagreement` has one row per event row (`event_id_cnty`, one per day) and victim group whose
  claims conflict, carrying the whole claims' figures: every day of a multi-day event is listed.
"""

from __future__ import annotations

import pandas as pd

from schemas.vocab import LIST_SEP, VICTIM_GROUPS

TOLL = ["fatalities_low", "fatalities_best", "fatalities_high", "fatalities_acled"]
KEYS = ["event_key", "victim_group"]
DAY_SUFFIX = r"@\d{4}-\d{2}-\d{2}$"
SIDES = ["side_a", "side_b"]


def joined(frame: pd.DataFrame, keys: list[str], column: str, unique: bool = False) -> pd.Series:
    """The values of `column` joined by '; ' per group of `keys`, in row order (or sorted and
    deduplicated with `unique`). A plain loop: far faster than a Python function per pandas group.

    >>> f = pd.DataFrame({"k": ["a", "a", "b"], "v": ["y", "x", "y"]})
    >>> joined(f, ["k"], "v").to_dict(), joined(f, ["k"], "v", unique=True).to_dict()
    ({'a': 'y; x', 'b': 'y'}, {'a': 'x; y', 'b': 'y'})
    """
    groups: dict[tuple, list[str]] = {}
    for key, value in zip(zip(*(frame[k].tolist() for k in keys)), frame[column].astype("str").tolist()):
        groups.setdefault(key, []).append(value)
    text = [LIST_SEP.join(sorted(set(v)) if unique else v) for v in groups.values()]
    index = pd.MultiIndex.from_tuples(list(groups), names=keys) if len(keys) > 1 else pd.Index(
        [k[0] for k in groups], name=keys[0], dtype="str")
    if not groups and len(keys) > 1:
        index = pd.MultiIndex.from_arrays([pd.Index([], dtype="str")] * len(keys), names=keys)
    return pd.Series(text, index=index, dtype="str", name=column).sort_index()


def whole_claims(claims: pd.DataFrame) -> pd.DataFrame:
    """One row per claim as reported: the day rows of multi-day claims added back together.

    `claim_key` is the claim_id without its `@YYYY-MM-DD` day suffix; `event_ids` lists the
    claim's event rows in date order. Raises ValueError if a multi-day claim lacks some of its
    day rows (a claims table filtered by date): its totals could not be recovered.

    >>> c = pd.DataFrame({"claim_id": ["r#e#1@2024-07-26", "r#e#1@2024-07-27"], "event_id_cnty": ["MLI1", "MLI2"],
    ...     "event_key": "e", "event_date": pd.to_datetime(["2024-07-26", "2024-07-27"]), "report_id": "r",
    ...     "source": "Wire", "claimant": "FAMa", "claimant_actor": "Army", "stance": "enemy", "victims": "Rebels",
    ...     "victim_group": "side_b", "killed": "3", "fatalities_low": [2, 1], "fatalities_best": [2, 1],
    ...     "fatalities_high": [2, 1], "fatalities_acled": [2, 1], "n_days": 2})
    >>> whole_claims(c)[["claim_key", "event_ids", "fatalities_best"]].to_dict("records")
    [{'claim_key': 'r#e#1', 'event_ids': 'MLI1; MLI2', 'fatalities_best': 3}]
    """
    c = claims.sort_values(["claim_id"], kind="stable")
    multi = c["n_days"].astype("int64") > 1
    key = c["claim_id"].astype("str").where(~multi, c["claim_id"].astype("str").str.replace(DAY_SUFFIX, "", regex=True))
    c = c.assign(claim_key=key, stance=c["stance"].astype("str"), victim_group=c["victim_group"].astype("str"))
    c = c.sort_values(["claim_key", "event_date"], kind="stable")
    g = c.groupby("claim_key", sort=True)
    first = g[["event_key", "report_id", "source", "claimant", "claimant_actor", "stance", "victims",
               "victim_group", "killed", "n_days"]].first()
    sums = pd.DataFrame({col: g[col].sum(min_count=1).astype("Int64") for col in TOLL})
    out = first.join(sums)
    out["event_ids"] = joined(c, ["claim_key"], "event_id_cnty")
    rows = g.size()
    incomplete = rows[rows != out["n_days"].astype("int64")]
    if len(incomplete):
        raise ValueError(f"{len(incomplete)} multi-day claim(s) lack some of their day rows, e.g. {incomplete.index[0]!r} "
                         f"has {incomplete.iloc[0]} of {out.loc[incomplete.index[0], 'n_days']}: pass the whole claims table")
    return out.reset_index()


def _extreme(toll: pd.DataFrame, at: pd.Series, prefix: str) -> pd.DataFrame:
    """Who made the claims whose best equals `at` (the group's lowest or highest), ties joined."""
    chosen = toll[toll["fatalities_best"] == at]
    out = pd.DataFrame({"claim": chosen.groupby(KEYS, sort=True)["fatalities_best"].first().astype("int64")})
    for column, source in (("claimant", "claimant"), ("stance", "stance"), ("source", "source"), ("claim_id", "claim_key")):
        out[column] = joined(chosen, KEYS, source, unique=True)
    return out.add_prefix(f"{prefix}_")


def conflicts(whole: pd.DataFrame) -> pd.DataFrame:
    """One row per coded event and victim group whose claims conflict (see the module docstring).

    Takes `whole_claims(...)`. Gives the lowest and highest best reading, who made each (ties
    joined by '; '), the spread (highest - lowest), their ratio (missing when the lowest is 0),
    the widest range any claim allows, whether the claims' ranges overlap, and every claim.

    >>> w = pd.DataFrame({"claim_key": ["r1#e#1", "r1#e#2", "r2#e#1"], "event_key": "e", "victim_group": "side_b",
    ...     "claimant": ["Army", "Rebels", "Wire"], "stance": ["own", "enemy", "third_party"], "source": "Wire",
    ...     "killed": ["two", "dozens", "2"], "fatalities_low": [2, 12, 2], "fatalities_best": [2, 24, 2],
    ...     "fatalities_high": [2, 99, 2], "fatalities_acled": [2, 12, 2]})
    >>> conflicts(w)[["lowest_claim", "lowest_claimant", "highest_claim", "highest_claimant", "spread", "ratio"]].to_dict("records")
    [{'lowest_claim': 2, 'lowest_claimant': 'Army; Wire', 'highest_claim': 24, 'highest_claimant': 'Rebels', 'spread': 22, 'ratio': 12.0}]
    """
    toll = whole[whole["fatalities_best"].notna()].copy()
    for col in TOLL:
        toll[col] = toll[col].astype("int64")
    g = toll.groupby(KEYS, sort=True)["fatalities_best"]
    lowest, highest = g.transform("min"), g.transform("max")
    toll = toll[lowest != highest]
    lowest, highest = lowest[toll.index], highest[toll.index]
    g = toll.groupby(KEYS, sort=True)
    out = pd.DataFrame({"n_claims": g.size().astype("int64")})
    out = out.join(_extreme(toll, lowest, "lowest")).join(_extreme(toll, highest, "highest"))
    out["spread"] = out["highest_claim"] - out["lowest_claim"]
    out["ratio"] = (out["highest_claim"] / out["lowest_claim"].where(out["lowest_claim"] > 0)).round(4)
    out["range_low"] = g["fatalities_low"].min().astype("int64")
    out["range_high"] = g["fatalities_high"].max().astype("int64")
    out["ranges_overlap"] = (g["fatalities_low"].max() <= g["fatalities_high"].min()).astype(bool)
    described = toll.sort_values([*KEYS, "fatalities_best", "claim_key"], kind="stable")
    text = (described["claimant"].astype("str") + " (" + described["source"].astype("str") + "): "
            + described["fatalities_best"].astype("str") + " [" + described["killed"].astype("str") + "]")
    out["claims"] = joined(described.assign(text=text), KEYS, "text")
    order = ["n_claims", "lowest_claim", "lowest_claimant", "lowest_stance", "lowest_source", "highest_claim",
             "highest_claimant", "highest_stance", "highest_source", "spread", "ratio", "range_low", "range_high",
             "ranges_overlap", "claims", "lowest_claim_id", "highest_claim_id"]
    return out[order].reset_index()


def _example() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The claims and events of the examples below: one event in which the army admits two of its
    dead and the rebels claim "dozens" (24, at least 12, at most 99)."""
    claims = pd.DataFrame({"claim_id": ["r#e#1", "r#e#2"], "event_id_cnty": "MLI1", "event_key": "e",
        "event_date": pd.to_datetime("2024-07-27"), "report_id": "r", "source": "AP", "claimant": ["Army", "Rebels"],
        "claimant_actor": ["Army", "Rebels"], "stance": ["own", "enemy"], "victims": "Army", "victim_group": "side_b",
        "killed": ["two", "dozens"], "fatalities_low": [2, 12], "fatalities_best": [2, 24], "fatalities_high": [2, 99],
        "fatalities_acled": [2, 12], "n_days": 1})
    events = pd.DataFrame({"event_id_cnty": ["MLI1"], "event_date": pd.to_datetime(["2024-07-27"]), "country": "Mali",
        "admin1": "Kidal", "event_type": "Battles", "event_key": "e", "n_days": 1, "actor1": "Rebels", "actor2": "Army"})
    return claims, events


DISAGREEMENT_COLUMNS = ["event_id_cnty", "event_date", "country", "admin1", "event_type", "event_key", "n_days",
                        "victim_group"]


def disagreement(claims: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """One row per event row (`event_id_cnty`) and victim group whose claims conflict.

    Each row gives the group's lowest and highest claim (whole claims: multi-day events repeat
    the event's figures on each of their days), who made each, the spread and every claim.
    Sorted by event_date, event_id_cnty and victim group.

    >>> claims, events = _example()
    >>> disagreement(claims, events)[["event_id_cnty", "victim_group", "lowest_claim", "highest_claim", "spread"]].to_dict("records")
    [{'event_id_cnty': 'MLI1', 'victim_group': 'side_b', 'lowest_claim': 2, 'highest_claim': 24, 'spread': 22}]
    """
    return disagreement_whole(whole_claims(claims), events)


def disagreement_whole(whole: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """`disagreement` from claims already added up by `whole_claims`, for callers that need them twice.

    >>> claims, events = _example()
    >>> disagreement_whole(whole_claims(claims), events).equals(disagreement(claims, events))
    True
    """
    found = conflicts(whole)
    rows = events[DISAGREEMENT_COLUMNS[:-1]].copy()
    for col in ("event_id_cnty", "country", "admin1", "event_type", "event_key"):
        rows[col] = rows[col].astype("str")
    out = rows.merge(found, on="event_key", how="inner")
    out["_group"] = out["victim_group"].map({g: i for i, g in enumerate(VICTIM_GROUPS)})
    out = out.sort_values(["event_date", "event_id_cnty", "_group"], kind="stable").drop(columns="_group")
    return out.reset_index(drop=True)


def _lower_median(frame: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """Per group of `keys`, the lower median of `column` (the same rule as the release's best)."""
    ordered = frame.sort_values([*keys, column], kind="stable")
    position = ordered.groupby(keys).cumcount()
    size = ordered.groupby(keys)[column].transform("size")
    return ordered[position == (size - 1) // 2].set_index(keys)[column].astype("int64")


def own_vs_enemy(claims: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Per coded event and side with both kinds of claim: what the side says about its own
    losses versus what its enemy says about them (lower medians of the best readings).

    `difference` is enemy - own, `ratio` enemy / own (missing when own is 0). One row per coded
    event (`event_ids` lists its day rows), since claims are compared whole.

    >>> claims, events = _example()
    >>> own_vs_enemy(claims, events)[["side_actor", "own_claim", "enemy_claim", "difference", "ratio"]].to_dict("records")
    [{'side_actor': 'Army', 'own_claim': 2, 'enemy_claim': 24, 'difference': 22, 'ratio': 12.0}]
    """
    return own_vs_enemy_whole(whole_claims(claims), events)


def own_vs_enemy_whole(whole: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """`own_vs_enemy` from claims already added up by `whole_claims`, for callers that need them twice.

    >>> claims, events = _example()
    >>> own_vs_enemy_whole(whole_claims(claims), events).equals(own_vs_enemy(claims, events))
    True
    """
    toll = whole[whole["fatalities_best"].notna() & whole["victim_group"].isin(SIDES) & whole["stance"].isin(["own", "enemy"])]
    parts = {}
    for stance in ("own", "enemy"):
        part = toll[toll["stance"] == stance].astype({"fatalities_best": "int64"})
        parts[stance] = pd.DataFrame({f"{stance}_claim": _lower_median(part, KEYS, "fatalities_best"),
                                      f"{stance}_claimants": joined(part, KEYS, "claimant", unique=True),
                                      f"{stance}_claims": part.groupby(KEYS).size()})
    pairs = parts["own"].join(parts["enemy"], how="inner").reset_index()
    days = events.assign(event_key=events["event_key"].astype("str")).sort_values(["event_date", "event_id_cnty"], kind="stable")
    info = days.drop_duplicates("event_key")[["event_key", "event_date", "country", "actor1", "actor2"]].astype(
        {"country": "str", "actor1": "str", "actor2": "str"})
    ids = joined(days[days["event_key"].isin(pairs["event_key"])], ["event_key"], "event_id_cnty").rename("event_ids")
    out = pairs.merge(info, on="event_key", how="inner").join(ids, on="event_key")
    out["side_actor"] = out["actor1"].where(out["victim_group"] == "side_a", out["actor2"])
    out["difference"] = (out["enemy_claim"] - out["own_claim"]).astype("int64")
    out["ratio"] = (out["enemy_claim"] / out["own_claim"].where(out["own_claim"] > 0)).round(4)
    columns = ["event_key", "event_ids", "event_date", "country", "victim_group", "side_actor", "own_claim",
               "own_claimants", "own_claims", "enemy_claim", "enemy_claimants", "enemy_claims", "difference", "ratio"]
    return out[columns].sort_values(["event_date", "event_key", "victim_group"], kind="stable").reset_index(drop=True)


ALL_PARTIES = "(all parties)"


def own_vs_enemy_summary(pairs: pd.DataFrame) -> pd.DataFrame:
    """How often enemies claim more (or fewer) of a side's dead than the side admits, overall and per side.

    Takes `own_vs_enemy(...)`. `median_ratio` is over the pairs whose own claim is above 0.

    >>> pairs = pd.DataFrame({"side_actor": ["Army", "Army", "Rebels"], "own_claim": [2, 5, 3], "enemy_claim": [24, 5, 1]})
    >>> own_vs_enemy_summary(pairs)[["side_actor", "pairs", "enemy_higher", "same", "enemy_lower"]].to_dict("records")[0]
    {'side_actor': '(all parties)', 'pairs': 3, 'enemy_higher': 1, 'same': 1, 'enemy_lower': 1}
    """
    def summarise(frame: pd.DataFrame) -> dict:
        ratio = frame["enemy_claim"] / frame["own_claim"].where(frame["own_claim"] > 0)
        return {"pairs": len(frame), "enemy_higher": int((frame["enemy_claim"] > frame["own_claim"]).sum()),
                "same": int((frame["enemy_claim"] == frame["own_claim"]).sum()),
                "enemy_lower": int((frame["enemy_claim"] < frame["own_claim"]).sum()),
                "own_total": int(frame["own_claim"].sum()), "enemy_total": int(frame["enemy_claim"].sum()),
                "median_ratio": round(float(ratio.median()), 4) if ratio.notna().any() else float("nan")}
    rows = [{"side_actor": ALL_PARTIES, **summarise(pairs)}]
    for actor, frame in pairs.groupby(pairs["side_actor"].astype("str"), sort=True):
        rows.append({"side_actor": actor, **summarise(frame)})
    columns = ["side_actor", "pairs", "enemy_higher", "same", "enemy_lower", "own_total", "enemy_total", "median_ratio"]
    return pd.DataFrame(rows, columns=columns)
