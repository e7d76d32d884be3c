"""Day splitting and claim aggregation: exact known answers and invariants (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dataset.rules import aggregate, claimants, days, phrases
from dataset.rules.claimants import TIER
from schemas.vocab import CIVILIAN_INTER, STANCES, VICTIM_GROUPS

from .conftest import read_release

# -- day splitting ------------------------------------------------------------------------


def test_split_known_answers():
    assert days.split(12, 3) == [4, 4, 4]
    assert days.split(13, 3) == [5, 4, 4]
    assert days.split(14, 3) == [5, 5, 4]
    assert days.split(2, 3) == [1, 1, 0]
    assert days.split(0, 2) == [0, 0]


@given(st.integers(0, 10**6), st.integers(1, 60))
def test_split_conserves_totals_and_is_even(total, n):
    parts = days.split(total, n)
    assert sum(parts) == total and len(parts) == n
    assert max(parts) - min(parts) <= 1
    assert parts == sorted(parts, reverse=True)  # earlier days take the remainder


@given(st.integers(0, 10**5), st.integers(0, 10**5), st.integers(1, 30), st.integers(0, 29))
def test_split_keeps_order_day_by_day(a, b, n, day):
    lo, hi = min(a, b), max(a, b)
    day = day % n
    assert days.share(lo, n, day) <= days.share(hi, n, day)


@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 20)), min_size=1, max_size=30))
def test_vectorised_shares_match_share(rows):
    totals = [t for t, _ in rows]
    n_days = [n for _, n in rows]
    day = [n - 1 for n in n_days]
    got = days.shares(pd.Series(totals), pd.Series(n_days), pd.Series(day)).tolist()
    assert got == [days.share(t, n, d) for t, n, d in zip(totals, n_days, day)]


# -- aggregation --------------------------------------------------------------------------

def reference(claims: list[dict]) -> dict:
    """The documented group rule, written plainly (the oracle for the vectorised version)."""
    tier = min(TIER[c["stance"]] for c in claims)
    bests = sorted(c["best"] for c in claims if TIER[c["stance"]] == tier)
    return {"low": min(c["low"] for c in claims), "best": bests[(len(bests) - 1) // 2],
            "high": max(c["high"] for c in claims), "acled": min(c["acled"] for c in claims)}


@st.composite
def a_claim(draw):
    phrase = draw(st.sampled_from(["2", "about 20", "dozens", "at least 10", "between 5 and 40", "several",
                                   "no one", "hundreds", "more than 3", "up to 15", "7"]))
    r = phrases.read(phrase)
    return {"low": r.low, "best": r.best, "high": r.high, "acled": r.acled,
            "stance": draw(st.sampled_from(list(TIER))), "group": draw(st.sampled_from(["side_a", "side_b", "civilians"]))}


def frame(claims: list[dict]) -> pd.DataFrame:
    return pd.DataFrame({
        "event_id_cnty": "MLI1", "victim_group": [c["group"] for c in claims], "stance": [c["stance"] for c in claims],
        "fatalities_low": pd.array([c["low"] for c in claims], dtype="Int64"),
        "fatalities_best": pd.array([c["best"] for c in claims], dtype="Int64"),
        "fatalities_high": pd.array([c["high"] for c in claims], dtype="Int64"),
        "fatalities_acled": pd.array([c["acled"] for c in claims], dtype="Int64"),
    })


@settings(deadline=None)
@given(st.lists(a_claim(), min_size=1, max_size=12))
def test_vectorised_groups_follow_the_documented_rule(claims):
    got = aggregate.groups(frame(claims)).set_index("victim_group")
    for group in {c["group"] for c in claims}:
        expected = reference([c for c in claims if c["group"] == group])
        assert got.loc[group, ["low", "best", "high", "acled"]].tolist() == list(expected.values())
        row = got.loc[group]
        assert row.low <= row.best <= row.high and row.low <= row.acled <= row.high


@settings(deadline=None)
@given(st.lists(a_claim(), min_size=1, max_size=10), a_claim())
def test_adding_a_claim_never_narrows_the_range(claims, extra):
    extra = {**extra, "group": claims[0]["group"]}
    same = [c for c in claims if c["group"] == extra["group"]]
    before, after = reference(same), reference([*same, extra])
    assert after["low"] <= before["low"] and after["high"] >= before["high"]
    assert after["acled"] <= before["acled"]


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), a_claim()), min_size=1, max_size=30))
def test_event_rows_sum_each_groups_rule(rows):
    """by_row over claims of several event rows, in any order: each row's totals are the sums
    over its victim groups of the documented rule, and deaths by side are the groups' bests."""
    n_rows = 5
    row = np.array([r for r, _ in rows])
    claims = [c for _, c in rows]
    figures = {f"fatalities_{p}": pd.Series([c[p] for c in claims], dtype="Int64") for p in ("low", "best", "high", "acled")}
    got = aggregate.by_row(row, np.array([VICTIM_GROUPS.index(c["group"]) for c in claims]),
                           np.array([STANCES.index(c["stance"]) for c in claims]), figures, n_rows)
    for r in range(n_rows):
        per_group = {g: reference([c for rr, c in rows if rr == r and c["group"] == g])
                     for g in {c["group"] for rr, c in rows if rr == r}}
        assert got["fatalities"][r] == sum(v["acled"] for v in per_group.values())
        for p in ("low", "best", "high"):
            assert got[f"fatalities_{p}"][r] == sum(v[p] for v in per_group.values())
        for g, name in zip(VICTIM_GROUPS, aggregate.DEATHS):
            assert got[name][r] == per_group.get(g, {"best": 0})["best"]
        assert got["fatalities_low"][r] <= got["fatalities_best"][r] <= got["fatalities_high"][r]


def test_known_answer_own_admission_outranks_enemy_claim():
    claims = [{"low": 12, "best": 24, "high": 99, "acled": 12, "stance": "enemy", "group": "side_b"},
              {"low": 2, "best": 2, "high": 2, "acled": 2, "stance": "own", "group": "side_b"}]
    got = aggregate.groups(frame(claims)).iloc[0]
    assert (got.low, got.best, got.high, got.acled) == (2, 2, 99, 2)


def test_known_answer_third_party_median_wins():
    claims = [{"low": 15, "best": 15, "high": 30, "acled": 15, "stance": "third_party", "group": "civilians"},
              {"low": 20, "best": 25, "high": 30, "acled": 20, "stance": "third_party", "group": "civilians"},
              {"low": 20, "best": 25, "high": 30, "acled": 25, "stance": "third_party", "group": "civilians"},
              {"low": 50, "best": 60, "high": 70, "acled": 50, "stance": "party", "group": "civilians"}]
    got = aggregate.groups(frame(claims)).iloc[0]
    assert (got.low, got.best, got.high, got.acled) == (15, 25, 70, 15)


def test_claims_without_a_toll_take_no_part():
    df = frame([{"low": 3, "best": 5, "high": 9, "acled": 3, "stance": "own", "group": "side_a"}])
    df.loc[0, ["fatalities_low", "fatalities_best", "fatalities_high", "fatalities_acled"]] = pd.NA
    assert aggregate.groups(df).empty


# -- end to end on the multi-day fixture ----------------------------------------------------

def test_multi_day_totals_are_conserved(multi_release):
    t = read_release(multi_release)
    claims = t["claims"][t["claims"]["n_days"] > 1].copy()
    claims["base"] = claims["claim_id"].str.split("@").str[0]
    summed = claims.groupby("base")[["fatalities_low", "fatalities_best", "fatalities_high", "fatalities_acled"]].sum()
    for base, row in summed.iterrows():
        phrase = claims.loc[claims["base"] == base, "killed"].iloc[0]
        r = phrases.read(phrase)
        assert row.tolist() == [r.low, r.best, r.high, r.acled], base
    events = t["events"][t["events"]["n_days"] > 1]
    assert events["fatalities_best"].sum() == 8 * 3 + 2  # side_a: dozens best 24; side_b: own admission 2
    assert events["notes"].tolist() == [
        "Three days of fighting near Anefis. [Multi-day event mli-anefis-2024-07-26: 2024-07-26 to 2024-07-28, "
        f"day {day} of 3. Each claim's figures were divided evenly over the 3 days, earlier days taking any remainder.]"
        for day in (1, 2, 3)]


def test_deaths_by_side_add_up_to_best(multi_release):
    e = read_release(multi_release)["events"]
    assert (e[["deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown"]].sum(axis=1) == e["fatalities_best"]).all()


# -- victim group and stance ----------------------------------------------------------------

NAMES = ["Army", "Rebels", "Wagner", "Civilians", "Unknown", "Milice É"]
name_lists = st.lists(st.sampled_from(NAMES), max_size=3).map("; ".join)


def _reference(event: dict | None, victims: str, claimant: str) -> tuple[str, str]:
    """The victim group and stance of one claim about `event` (None: no event), by the rule as
    claimants.py states it."""
    members = []
    if event is not None:
        b = "civilians" if event["inter2"] == CIVILIAN_INTER else "side_b"
        members = ([(n, "side_a") for n in [event["actor1"], *event["assoc_actor_1"].split("; ")] if n]
                   + [(n, b) for n in [event["actor2"], *event["assoc_actor_2"].split("; ")] if n])

    def group(name: str) -> str:
        if name in ("Civilians", "Unknown"):
            return name.lower()
        return next((g for n, g in members if n == name), "unknown")

    groups = {group(n) for n in victims.split("; ") if n}
    victim_group = groups.pop() if len(groups) == 1 else "unknown"
    side = next((g for n, g in members if n == claimant and g in ("side_a", "side_b")), None)
    if side is None:
        return victim_group, "third_party"
    if victim_group not in ("side_a", "side_b"):
        return victim_group, "party"
    return victim_group, "own" if side == victim_group else "enemy"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({"actor1": st.sampled_from(NAMES[:3] + NAMES[5:]),
                                       "actor2": st.sampled_from(["", *NAMES]), "assoc_actor_1": name_lists,
                                       "assoc_actor_2": name_lists, "inter2": st.sampled_from([0, 1, 2, CIVILIAN_INTER])}),
                min_size=1, max_size=4),
       st.lists(st.tuples(st.integers(-1, 3), name_lists, st.sampled_from(["", "Outlet", *NAMES])), max_size=10))
def test_victim_group_and_stance_follow_the_rule(events, claims):
    """classify, which codes names and compares integers, answers what the rule says claim by claim."""
    defs = pd.DataFrame(events).astype({c: "str" for c in ("actor1", "actor2", "assoc_actor_1", "assoc_actor_2")})
    claim_def = np.array([min(d, len(events) - 1) for d, _, _ in claims], dtype=np.int64)
    victims = pd.Series([v for _, v, _ in claims], dtype="str")
    claimant = pd.Series([c for _, _, c in claims], dtype="str")
    group, stance = claimants.classify(defs, claim_def, victims, claimant)
    got = [(VICTIM_GROUPS[g], STANCES[s]) for g, s in zip(group, stance)]
    want = [_reference(events[d] if d >= 0 else None, v, c) for d, v, c in zip(claim_def, victims, claimant)]
    assert got == want
