"""Tests of dataset.analysis and the `analyze` command: known answers on hand-built frames and on a
release built from tests/fixtures/raw_analysis (its README says what each event is there for)."""

from __future__ import annotations

import doctest
import filecmp
import importlib
import math
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PolyCollection
from PIL import Image

import dataset
from dataset import analysis
from dataset.analysis import plot_claims, plot_map, plot_time, run

from .conftest import FIXTURES, ROOT, build

ANALYSIS_RAW = FIXTURES / "raw_analysis"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MONTHLY_COLUMNS = ["month", "country", "events", "fatalities", "fatalities_low", "fatalities_best", "fatalities_high"]
GAO, KIDAL, TIMBUKTU = "mli-gao-2024-01-31", "mli-kidal-2024-02", "mli-timbuktu-2024-02-26"
DORI, DJIBO, MENAKA, BAMAKO = "bfa-dori-2024-03-02", "bfa-djibo-2024-03-10", "mli-menaka-2024-03-20", "mli-bamako-2024-12-30"


# -- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def analysis_release(tmp_path_factory) -> Path:
    return build(ANALYSIS_RAW, tmp_path_factory.mktemp("analysis-releases")).release


@pytest.fixture(scope="session")
def tables(analysis_release) -> tuple[pd.DataFrame, pd.DataFrame]:
    return dataset.load(analysis_release, "events"), dataset.load(analysis_release, "claims")


@pytest.fixture(scope="session")
def analysis_out(analysis_release, tmp_path_factory) -> Path:
    """The `analyze` command run on the fixture release, as a user runs it."""
    out = tmp_path_factory.mktemp("analysis-out") / "out"
    run_ = subprocess.run([sys.executable, "-m", "dataset", "analyze", "--release", str(analysis_release), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert run_.returncode == 0, run_.stderr
    return out


def events_frame(rows: list[tuple]) -> pd.DataFrame:
    """Hand-built events: (date, time_precision, country, fatalities, low, best, high)."""
    frame = pd.DataFrame(rows, columns=["event_date", "time_precision", "country", "fatalities", "fatalities_low",
                                        "fatalities_best", "fatalities_high"])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    frame["admin1"] = "A"
    frame["event_type"] = "Battles"
    return frame


def csv(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name, keep_default_na=False, na_values={"ratio": [""], "median_ratio": [""]})


def day_ids(events: pd.DataFrame, key: str) -> list[str]:
    return events.loc[events["event_key"] == key, "event_id_cnty"].astype(str).tolist()


# -- periods and fatalities over time: known answers on hand-built frames ----------------------

def test_monthly_table_known_answer():
    ev = events_frame([
        ("2024-07-01", 1, "Mali", 2, 1, 3, 9),
        ("2024-07-31", 3, "Mali", 0, 0, 4, 4),        # month precision: still in July
        ("2024-07-15", 2, "Niger", 5, 5, 5, 6),
        ("2024-08-01", 1, "Mali", 1, 1, 1, 1),
    ])
    expected = pd.DataFrame([
        ("2024-07", "Mali", 2, 2, 1, 7, 13),
        ("2024-07", "Niger", 1, 5, 5, 5, 6),
        ("2024-08", "Mali", 1, 1, 1, 1, 1),
    ], columns=MONTHLY_COLUMNS)
    pd.testing.assert_frame_equal(analysis.fatalities_by_month(ev), expected, check_dtype=False)


def test_week_bucketing_respects_time_precision():
    ev = events_frame([
        ("2024-12-30", 1, "Mali", 1, 1, 1, 1),        # a Monday: ISO week 1 of 2025, month 2024-12
        ("2024-03-02", 2, "Mali", 2, 2, 2, 2),        # week-precision Saturday: week 2024-W09 (26 Feb - 3 Mar)
        ("2024-03-03", 1, "Mali", 4, 4, 4, 4),        # Sunday: same ISO week
        ("2024-02-15", 3, "Mali", 8, 8, 8, 8),        # only the month is known: in no week
    ])
    weekly = analysis.fatalities_over_time(ev, "week")
    assert weekly[["week", "events", "fatalities_best"]].values.tolist() == [["2024-W09", 2, 6], ["2025-W01", 1, 1]]
    monthly = analysis.fatalities_over_time(ev, "month")
    assert monthly[["month", "events", "fatalities_best"]].values.tolist() == [
        ["2024-02", 1, 8], ["2024-03", 2, 6], ["2024-12", 1, 1]]
    yearly = analysis.fatalities_over_time(ev, "year")
    assert yearly[["year", "events", "fatalities_best"]].values.tolist() == [[2024, 4, 15]]
    left_out = analysis.unplaced(ev, "week")
    assert left_out[["events", "fatalities_best"]].values.tolist() == [[1, 8]]
    assert analysis.unplaced(ev, "month")["events"].tolist() == [0]


def test_period_labels_never_guess_a_week():
    ev = events_frame([("2024-07-10", 3, "Mali", 0, 0, 0, 0), ("2024-07-10", 2, "Mali", 0, 0, 0, 0)])
    labels = analysis.period_labels(ev, "week")
    assert labels.isna().tolist() == [True, False]
    assert analysis.event_counts(ev, "week", ["event_type"])["events"].tolist() == [1]
    assert analysis.event_counts(ev, "month", ["event_type"])["events"].tolist() == [2]
    with pytest.raises(ValueError, match="freq"):
        analysis.fatalities_over_time(ev, "day")


event_rows = st.lists(st.tuples(
    st.dates(min_value=pd.Timestamp("2020-01-01").date(), max_value=pd.Timestamp("2026-12-31").date()),
    st.sampled_from([1, 2, 3]), st.sampled_from(["Mali", "Niger"]),
    st.integers(0, 50), st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(event_rows)
def test_tables_add_up_and_keep_low_le_best_le_high(rows):
    ev = events_frame([(str(d), p, c, min(a, lo + a), lo, lo + a, lo + a + b) for d, p, c, lo, a, b in rows])
    for freq in ("week", "month", "year"):
        table = analysis.fatalities_over_time(ev, freq, ["country"])
        left_out = analysis.unplaced(ev, freq)
        for col in ("events", "fatalities", "fatalities_low", "fatalities_best", "fatalities_high"):
            total = len(ev) if col == "events" else ev[col].sum()
            assert table[col].sum() + left_out[col].iloc[0] == total
        assert ((table["fatalities_low"] <= table["fatalities_best"]) & (table["fatalities_best"] <= table["fatalities_high"])).all()
        assert not table.duplicated([freq, "country"]).any()
        assert table[freq].tolist() == sorted(table[freq].tolist())


# -- the fixture release: what the issue will check --------------------------------------------

@pytest.mark.parametrize("which", ["analysis", "seed", "multi"])
def test_monthly_best_is_the_sum_of_event_best_per_month(which, analysis_release, seed_release, multi_release):
    release = {"analysis": analysis_release, "seed": seed_release, "multi": multi_release}[which]
    events = dataset.load(release, "events")
    monthly = analysis.fatalities_by_month(events)
    assert list(monthly.columns) == MONTHLY_COLUMNS
    assert monthly["month"].str.fullmatch(r"\d{4}-\d{2}").all()
    months = events["event_date"].dt.strftime("%Y-%m")
    expected = events.groupby([months, events["country"].astype(str)])["fatalities_best"].sum()
    got = monthly.set_index(["month", "country"])["fatalities_best"]
    assert got.to_dict() == expected.to_dict()
    assert monthly.groupby("month")["fatalities_best"].sum().to_dict() == events.groupby(months)["fatalities_best"].sum().to_dict()


def test_written_monthly_table_matches_the_release(analysis_out, tables):
    events, _ = tables
    monthly = csv(analysis_out, "fatalities_by_month.csv")
    assert list(monthly.columns) == MONTHLY_COLUMNS
    months = events["event_date"].dt.strftime("%Y-%m")
    assert monthly.groupby("month")["fatalities_best"].sum().to_dict() == events.groupby(months)["fatalities_best"].sum().to_dict()
    assert monthly["events"].sum() == len(events)


def test_low_le_best_le_high_in_every_written_row(analysis_out):
    checked = 0
    for path in sorted(analysis_out.glob("*.csv")):
        table = csv(analysis_out, path.name)
        if {"fatalities_low", "fatalities_best", "fatalities_high"} <= set(table.columns) and len(table):
            assert (table["fatalities_low"] <= table["fatalities_best"]).all(), path.name
            assert (table["fatalities_best"] <= table["fatalities_high"]).all(), path.name
            assert (table["fatalities_low"] <= table["fatalities"]).all() and (table["fatalities"] <= table["fatalities_high"]).all()
            checked += 1
    assert checked >= 12


def test_fixture_time_precision_in_weeks_and_months(tables):
    events, _ = tables
    kidal = events[events["event_key"] == KIDAL].iloc[0]
    assert kidal.time_precision == 3
    weekly = analysis.fatalities_over_time(events, "week", ["country"])
    monthly = analysis.fatalities_by_month(events)
    assert weekly["fatalities_best"].sum() == events["fatalities_best"].sum() - kidal.fatalities_best
    assert weekly["events"].sum() == len(events) - 1
    feb = events[events["event_date"].dt.strftime("%Y-%m") == "2024-02"]
    assert monthly.set_index(["month", "country"]).loc[("2024-02", "Mali"), "fatalities_best"] == feb["fatalities_best"].sum()
    dori = events[events["event_key"] == DORI].iloc[0]
    by_week = weekly.set_index(["week", "country"])
    assert by_week.loc[("2024-W09", "Burkina Faso"), "fatalities_best"] == dori.fatalities_best == 12
    assert ("2025-W01", "Mali") in by_week.index and ("2024-12", "Mali") in monthly.set_index(["month", "country"]).index
    coverage = analysis.precision_coverage(events)
    left_out = coverage[(coverage["freq"] == "week") & ~coverage["placed"]]
    assert left_out[["time_precision", "events", "fatalities_best"]].values.tolist() == [[3, 1, 6]]


# -- source disagreement -----------------------------------------------------------------------

def independent_conflicts(claims: pd.DataFrame) -> set[tuple[str, str]]:
    """The definition written out plainly: whole claims (day rows summed), per event key and victim
    group, at least two claims with a death toll whose best readings differ."""
    whole: dict[tuple[str, str, str], int] = {}
    for row in claims.itertuples():
        if pd.isna(row.fatalities_best):
            continue
        key = (row.event_key, str(row.victim_group), row.claim_id.split("@")[0])
        whole[key] = whole.get(key, 0) + int(row.fatalities_best)
    bests: dict[tuple[str, str], set[int]] = {}
    for (event_key, group, _), best in whole.items():
        bests.setdefault((event_key, group), set()).add(best)
    return {key for key, values in bests.items() if len(values) > 1}


def test_disagreement_lists_exactly_the_events_with_conflicting_claims(tables, analysis_out):
    events, claims = tables
    expected = {(GAO, "side_b"), (TIMBUKTU, "side_b"), (DJIBO, "civilians")}
    assert independent_conflicts(claims) == expected
    table = analysis.disagreement(claims, events)
    assert set(zip(table["event_key"], table["victim_group"])) == expected
    expected_rows = {(eid, group) for key, group in expected for eid in day_ids(events, key)}
    assert set(zip(table["event_id_cnty"], table["victim_group"])) == expected_rows
    assert len(table) == len(expected_rows) == 5
    written = csv(analysis_out, "disagreement.csv")
    assert set(zip(written["event_id_cnty"], written["victim_group"])) == expected_rows
    for column in ("event_id_cnty", "victim_group", "lowest_claim", "lowest_claimant", "highest_claim", "highest_claimant"):
        assert column in written.columns


def test_multi_day_claims_are_compared_whole(tables):
    events, claims = tables
    first_day = day_ids(events, TIMBUKTU)[0]
    shares = claims[(claims["event_id_cnty"] == first_day) & (claims["victim_group"] == "side_b")]["fatalities_best"]
    assert shares.tolist() == [1, 1, 1]          # the day shares agree on day 1 ...
    table = analysis.disagreement(claims, events)
    assert first_day in set(table["event_id_cnty"])  # ... but the claims (1, 2, 3) do not
    whole = analysis.whole_claims(claims)
    timbuktu = whole[(whole["event_key"] == TIMBUKTU)].set_index("claimant")
    assert timbuktu.loc["Radio Test", "fatalities_best"] == 3 and timbuktu.loc["FAMa", "fatalities_best"] == 2
    assert timbuktu.loc["Radio Test", "event_ids"] == "; ".join(day_ids(events, TIMBUKTU))
    row = table[table["event_id_cnty"] == first_day].iloc[0]
    assert (row.lowest_claim, row.lowest_claimant, row.lowest_stance) == (1, "JNIM", "own")
    assert (row.highest_claim, row.highest_claimant, row.highest_stance, row.spread) == (3, "Radio Test", "third_party", 2)
    assert row.n_claims == 3 and row.n_days == 3


def test_disagreement_known_answers(tables):
    events, claims = tables
    table = analysis.disagreement(claims, events).set_index("event_key")
    gao = table.loc[GAO]
    assert (gao.n_claims, gao.lowest_claim, gao.highest_claim, gao.spread, gao.ratio) == (3, 3, 20, 17, round(20 / 3, 4))
    assert gao.lowest_claimant == "FAMa; Malian army" and gao.lowest_source == "Radio Test; Test Wire"
    assert (gao.highest_claimant, gao.highest_stance, gao.ranges_overlap) == ("JNIM", "enemy", False)
    djibo = table.loc[DJIBO]
    assert (djibo.n_claims, djibo.lowest_claim, djibo.lowest_claimant, djibo.highest_claim) == (2, 0, "regional governor", 5)
    assert math.isnan(djibo.ratio)
    assert "hospital staff" not in djibo.claims


def test_same_best_with_different_ranges_and_different_groups_do_not_conflict(tables):
    events, claims = tables
    dori = claims[claims["event_key"] == DORI]
    assert dori["fatalities_best"].nunique() == 1 and dori["fatalities_high"].nunique() == 2
    menaka = claims[claims["event_key"] == MENAKA]
    assert menaka["fatalities_best"].nunique() == 2 and menaka["victim_group"].nunique() == 2
    keys = set(analysis.disagreement(claims, events)["event_key"])
    assert not keys & {DORI, MENAKA, KIDAL, BAMAKO}


def test_conflicts_ties_ranges_and_spread_on_a_hand_built_frame():
    whole = pd.DataFrame({
        "claim_key": ["a", "b", "c", "d", "e"], "event_key": ["e1", "e1", "e1", "e2", "e2"],
        "victim_group": ["civilians"] * 5, "claimant": ["X", "Y", "Z", "X", "Y"], "stance": "third_party",
        "source": ["S1", "S2", "S1", "S1", "S1"], "killed": "n",
        "fatalities_low": [8, 10, 12, 5, 5], "fatalities_best": [10, 10, 15, 5, 5], "fatalities_high": [12, 20, 30, 9, 5],
        "fatalities_acled": [8, 10, 12, 5, 5]})
    out = analysis.conflicts(whole)
    assert out["event_key"].tolist() == ["e1"]          # e2: same best (5), different high: no conflict
    row = out.iloc[0]
    assert (row.lowest_claim, row.lowest_claimant, row.lowest_source, row.lowest_claim_id) == (10, "X; Y", "S1; S2", "a; b")
    assert (row.highest_claim, row.highest_claimant, row.spread, row.ratio) == (15, "Z", 5, 1.5)
    assert (row.range_low, row.range_high, row.ranges_overlap) == (8, 30, True)   # 12 is inside every range


def test_whole_claims_refuse_a_multi_day_claim_missing_a_day(tables):
    _, claims = tables
    partial = claims[~claims["claim_id"].str.endswith("@2024-02-28")]
    with pytest.raises(ValueError, match="day rows"):
        analysis.whole_claims(partial)


def test_own_vs_enemy_known_answers(tables, analysis_out):
    events, claims = tables
    pairs = analysis.own_vs_enemy(claims, events)
    got = pairs[["event_key", "victim_group", "side_actor", "own_claim", "enemy_claim", "difference"]].values.tolist()
    assert got == [[GAO, "side_b", "Military Forces of Mali (2021-)", 3, 20, 17],
                   [TIMBUKTU, "side_b", "JNIM: Group for Support of Islam and Muslims", 1, 2, 1]]
    summary = analysis.own_vs_enemy_summary(pairs).set_index("side_actor")
    everyone = summary.loc["(all parties)"]
    assert (everyone.pairs, everyone.enemy_higher, everyone.same, everyone.enemy_lower) == (2, 2, 0, 0)
    assert (everyone.own_total, everyone.enemy_total) == (4, 22)
    assert everyone.median_ratio == pytest.approx((20 / 3 + 2) / 2, abs=1e-4)
    assert csv(analysis_out, "own_vs_enemy_summary.csv")["pairs"].tolist() == [2, 1, 1]


# -- actors ------------------------------------------------------------------------------------

def test_actor_and_dyad_summaries(tables):
    events, _ = tables
    actors = analysis.actor_summary(events).set_index("actor")
    army = actors.loc["Military Forces of Mali (2021-)"]
    army_events = events[(events["actor1"] == army.name) | (events["actor2"] == army.name)]
    assert army.events == len(army_events) == 6
    assert army.fatalities_best == army_events["fatalities_best"].sum()
    assert (army.first_seen, army.last_seen) == (pd.Timestamp("2024-01-31"), pd.Timestamp("2024-03-20"))
    assert actors.loc["Wagner Group", "as_associated"] == 3
    dyads = analysis.dyad_summary(events)
    assert dyads["events"].sum() == len(events)
    pair = dyads[(dyads["actor_a"] == "JNIM: Group for Support of Islam and Muslims")
                 & (dyads["actor_b"] == "Military Forces of Mali (2021-)")].iloc[0]
    assert pair.events == 5   # JNIM as actor1 (Gao, Menaka) and as actor2 (3 days near Timbuktu): one dyad
    mix = analysis.interaction_mix(events)
    assert mix["events"].sum() == len(events) and mix["share_of_events"].sum() == pytest.approx(1, abs=1e-3)


# -- figures and the report --------------------------------------------------------------------

def test_every_figure_is_a_valid_non_empty_png(analysis_out):
    figures = sorted(analysis_out.glob("*.png"))
    assert len(figures) == 12
    for path in figures:
        data = path.read_bytes()
        assert data[:8] == PNG_SIGNATURE, path.name
        with Image.open(path) as image:
            image.verify()
        pixels = mpimg.imread(path)
        assert pixels.shape[0] > 150 and pixels.shape[1] > 300, path.name
        assert np.ptp(pixels[..., :3]) > 0, f"{path.name} is blank"


def test_report_references_every_figure_and_table(analysis_out):
    page = (analysis_out / run.REPORT).read_text(encoding="utf-8")
    images = set(re.findall(r'<img src="([^"]+)"', page))
    links = set(re.findall(r'<a href="([^"#][^"]*)"', page))
    assert images == {p.name for p in analysis_out.glob("*.png")}
    assert {p.name for p in analysis_out.glob("*.csv")} <= links
    assert all((analysis_out / name).exists() for name in images | links)
    assert "fatalities_by_month.csv" in links and "disagreement.csv" in links


def test_report_escapes_text_from_the_release(analysis_out, tables):
    events, _ = tables
    assert '<script>alert("notes")</script>' in events.set_index("event_key").loc[DORI, "notes"]
    page = (analysis_out / run.REPORT).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;notes&quot;)&lt;/script&gt; &amp; more." in page
    assert "<script" not in page.lower()


def band_contains_line(ax) -> int:
    """Checks, at the middle of every step of the best line, that the band spans it; returns the steps checked."""
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    best = next(line for line in ax.lines if line.get_label() == "best estimate")
    assert len(bands) == 1
    vertices = np.concatenate([p.vertices for p in bands[0].get_paths()])
    xy = best.get_xydata()
    for (x0, y), (x1, _) in zip(xy[:-1], xy[1:]):
        mid = (x0 + x1) / 2
        crossings = []
        for (ax_, ay), (bx, by) in zip(vertices[:-1], vertices[1:]):
            if min(ax_, bx) < mid < max(ax_, bx):
                crossings.append(ay + (by - ay) * (mid - ax_) / (bx - ax_))
        assert crossings, "the band does not cover this period"
        assert min(crossings) - 1e-9 <= y <= max(crossings) + 1e-9
    return len(xy) - 1


def test_fatality_band_contains_the_best_line(tables):
    events, _ = tables
    for freq in ("week", "month", "year"):
        fig = plot_time.fatalities_figure(analysis.fatalities_over_time(events, freq, ["country"]), freq)
        steps = sum(band_contains_line(ax) for ax in fig.axes)
        assert steps >= 3


def test_band_check_catches_a_line_outside_the_band():
    series = pd.DataFrame({"fatalities": [1, 1], "fatalities_low": [1, 1], "fatalities_best": [5, 2],
                           "fatalities_high": [3, 3]}, index=pd.Index(["2024-07", "2024-08"], name="month"))
    fig = plot_time.new_figure(4, 2)
    ax = fig.subplots()
    plot_time.draw_band(ax, series, "month")
    with pytest.raises(AssertionError):
        band_contains_line(ax)


def test_figures_show_what_they_say(tables):
    events, claims = tables
    fig = plot_map.event_map(events)
    points = fig.axes[0].collections[0]
    coded = plot_map.map_points(events).sort_values(["fatalities_best", "event_key"], ascending=[False, True])
    assert points.get_offsets().tolist() == coded[["longitude", "latitude"]].values.tolist()
    sizes = points.get_sizes()
    assert len(sizes) == events["event_key"].nunique() == 7 and list(sizes) == sorted(sizes, reverse=True)
    dis = analysis.disagreement(claims, events)
    labels = [t.get_text() for t in plot_claims.disagreement_figure(dis).axes[0].get_yticklabels()]
    assert len(labels) == 3 and any(label.startswith(day_ids(events, TIMBUKTU)[0] + " (+2 days)") for label in labels)
    monthly = plot_time.fatalities_figure(analysis.fatalities_over_time(events, "month", ["country"]), "month")
    assert [ax.get_title(loc="left") for ax in monthly.axes] == ["All", "Mali", "Burkina Faso"]


def test_empty_release_still_gives_every_file(tables, tmp_path):
    events, claims = tables
    outputs = run.analyses(events.iloc[0:0], claims.iloc[0:0], "0000.00.0")
    written = run.write(outputs, tmp_path)
    assert sum(p.suffix == ".png" for p in written) == 12
    for path in written:
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert pd.read_csv(tmp_path / "fatalities_by_month.csv").columns.tolist() == MONTHLY_COLUMNS
    assert len(pd.read_csv(tmp_path / "disagreement.csv")) == 0


def test_two_runs_write_identical_files(tables, tmp_path, analysis_out):
    events, claims = tables
    a = run.write(run.analyses(events, claims, "2024.07.0"), tmp_path / "a")
    b = run.write(run.analyses(events, claims, "2024.07.0"), tmp_path / "b")
    names = [p.name for p in a]
    assert names == [p.name for p in b] == sorted(p.name for p in analysis_out.iterdir())
    for other in (tmp_path / "b", analysis_out):    # same process, and the command in another process
        match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", other, names, shallow=False)
        assert not mismatch and not errors and len(match) == len(names)


# -- command, docs -----------------------------------------------------------------------------

def test_analyze_command_finds_latest_under_releases(analysis_release, tmp_path):
    out = tmp_path / "out"
    ok = subprocess.run([sys.executable, "-m", "dataset", "analyze", "--releases", str(analysis_release.parent),
                         "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert (out / "report.html").exists() and (out / "fatalities_by_month.csv").exists()
    missing = subprocess.run([sys.executable, "-m", "dataset", "analyze", "--release", "1999.01.0", "--releases",
                              str(analysis_release.parent), "--out", str(tmp_path / "x")], cwd=ROOT, capture_output=True, text=True)
    assert missing.returncode == 2 and "no release" in missing.stderr
    assert not (tmp_path / "x").exists()
    before = sorted(p.name for p in analysis_release.iterdir())
    into_release = subprocess.run([sys.executable, "-m", "dataset", "analyze", "--release", str(analysis_release),
                                   "--out", str(analysis_release / "analyses")], cwd=ROOT, capture_output=True, text=True)
    assert into_release.returncode == 2 and "release folder" in into_release.stderr
    assert sorted(p.name for p in analysis_release.iterdir()) == before


def test_docstring_examples_run():
    attempted = 0
    for info in pkgutil.iter_modules(analysis.__path__):
        module = importlib.import_module(f"dataset.analysis.{info.name}")
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, info.name
        attempted += result.attempted
    assert attempted >= 40


def test_every_public_function_has_an_example():
    for info in pkgutil.iter_modules(analysis.__path__):
        module = importlib.import_module(f"dataset.analysis.{info.name}")
        for name, obj in vars(module).items():
            if callable(obj) and not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__ \
                    and not isinstance(obj, type):
                assert obj.__doc__ and ">>>" in obj.__doc__, f"{module.__name__}.{name} has no example"


def test_readme_analysis_example_runs(analysis_release, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Analyses\n", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.setenv("DATASET_RELEASES", str(analysis_release.parent))
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert len(namespace["monthly"]) > 0
    assert (namespace["monthly"]["fatalities_low"] <= namespace["monthly"]["fatalities_best"]).all()
