"""Tests over the release built from raw/ (the seed): what the spine issue promises."""

from __future__ import annotations

import filecmp
import subprocess
import sys

import pandas as pd

import dataset
import schemas
from dataset import codebook

from .conftest import MULTI_RAW, ROOT, build, read_release


def test_seed_event_is_the_tinzaouaten_battle(seed_release):
    events = read_release(seed_release)["events"]
    assert len(events) == 1
    e = events.iloc[0]
    assert (e.country, e.admin1, e.event_type, e.sub_event_type) == ("Mali", "Kidal", "Battles", "Armed clash")
    assert (e.actor1, e.actor2, e.assoc_actor_2) == ("CSP-DPA", "Military Forces of Mali (2021-)", "Wagner Group")
    assert (e.inter1, e.inter2, e.interaction) == (2, 1, 12)
    assert (e.iso, e.region, e.disorder_type) == (466, "Western Africa", "Political violence")
    assert e.event_id_cnty.startswith("MLI")
    assert e.source == "Associated Press" and e.source_scale == "International"
    assert e.timestamp == int(pd.Timestamp("2024-07-27", tz="UTC").timestamp())


def test_seed_claims_have_the_reported_ranges(seed_release):
    claims = read_release(seed_release)["claims"].set_index("killed")
    dozens = claims.loc["dozens"]
    assert (dozens.claimant, dozens.victim_group, dozens.stance) == ("CSP-DPA", "side_b", "enemy")
    assert (dozens.fatalities_low, dozens.fatalities_best, dozens.fatalities_high, dozens.fatalities_acled) == (12, 24, 99, 12)
    two = claims.loc["two"]
    assert (two.claimant_actor, two.stance) == ("Military Forces of Mali (2021-)", "own")
    assert (two.fatalities_low, two.fatalities_best, two.fatalities_high, two.fatalities_acled) == (2, 2, 2, 2)
    assert (two.wounded_low, two.wounded_best, two.wounded_high) == (10, 10, 10)
    twenty = claims.loc["approximately 20"]
    assert (twenty.victims, twenty.victim_group, twenty.stance) == ("CSP-DPA", "side_a", "enemy")
    assert (twenty.fatalities_low, twenty.fatalities_best, twenty.fatalities_high, twenty.fatalities_acled) == (16, 20, 24, 20)


def test_seed_event_matches_the_codebooks_worked_example(seed_release):
    e = read_release(seed_release)["events"].iloc[0]
    # side_b: army admits 2 (own, the most credible claim present), CSP-DPA claims dozens (12..99)
    # side_a: army claims about 20 rebels (16..24)
    assert (e.deaths_a, e.deaths_b, e.deaths_civilians, e.deaths_unknown) == (20, 2, 0, 0)
    assert (e.fatalities_low, e.fatalities_best, e.fatalities_high) == (2 + 16, 2 + 20, 99 + 24)
    assert e.fatalities == 2 + 20


def test_every_table_validates_against_the_schemas(seed_release, multi_release):
    for release in (seed_release, multi_release):
        tables = read_release(release)
        for name, df in tables.items():
            assert schemas.validate(name, df).empty, name
        assert schemas.cross_table_failures(tables["events"], tables["claims"], tables["reports"]).empty


def test_first_31_event_columns_are_acleds():
    acled = ("event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
             "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,"
             "admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,"
             "tags,timestamp").split(",")
    assert list(schemas.pandas_dtypes(schemas.Events))[:31] == acled


def test_two_builds_are_byte_identical(tmp_path):
    a, b = build(MULTI_RAW, tmp_path / "a").release, build(MULTI_RAW, tmp_path / "b").release
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not mismatch and not errors


def test_cli_builds_another_raw_folder(tmp_path):
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "dataset", "build", "--raw", str(MULTI_RAW), "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    events = dataset.load("latest", "events", releases=out)
    assert set(events["country"].astype(str)) == {"Burkina Faso", "Mali", "Nigeria", "Somalia"}
    assert (out / "latest" / "manifest.json").exists()


def test_parquet_and_csv_give_the_same_frames(multi_release):
    for table in schemas.TABLES:
        parquet = pd.read_parquet(multi_release / f"{table}.parquet")
        csv = pd.read_csv(multi_release / f"{table}.csv", **dataset.csv_options(table))
        pd.testing.assert_frame_equal(parquet, csv)
        pd.testing.assert_frame_equal(parquet, dataset.load(multi_release, table, format="csv"))



def test_validate_reports_a_wrong_dtype_and_still_runs_the_value_checks(multi_release):
    """Dtypes are checked exactly (schemas.fields), not by pandera: a date in nanoseconds, text
    as Python objects and a category given as plain text each fail, and the value checks of the
    other columns still run on the same frame."""
    events = read_release(multi_release)["events"]
    bad = events.assign(event_date=events["event_date"].astype("datetime64[ns]"),
                        notes=events["notes"].astype(object), region=events["region"].astype("str"),
                        fatalities_best=-1)
    failures = schemas.validate("events", bad, part=True)
    dtype_messages = " ".join(failures.loc[failures["check"] == "exact_dtype", "failure_case"])
    for col in ("event_date", "notes", "region"):
        assert f"column {col!r}" in dtype_messages
    assert (failures["column"] == "fatalities_best").any()
    assert schemas.validate("events", events, part=True).empty


def test_a_patterned_column_takes_only_a_whole_match(multi_release):
    """Event IDs, source scales, languages and text hashes match their pattern as a whole value,
    as the data package's pattern constraint says: a trailing newline, a character after the
    match or a space before it fails that row. pandera's str_matches, with `^...$`, let "MLI1\\n"
    through (Python's `$` matches before a final newline)."""
    tables = read_release(multi_release)
    patterned = {name: [c["name"] for c in codebook.columns(name) if "pattern" in c["constraints"]]
                 for name in tables}
    assert patterned == {"events": ["event_id_cnty"], "claims": ["event_id_cnty"],
                         "reports": ["source_scale", "language", "text_sha256"]}
    for name, columns in patterned.items():
        df = tables[name]
        assert schemas.validate(name, df, part=True).empty
        for col in columns:
            good = str(df[col].iloc[1])
            for bad in (good + "\n", good + "-", " " + good):
                values = df[col].astype(str).where(df.index != 1, bad)
                failures = schemas.validate(name, df.assign(**{col: values.astype(df[col].dtype)}), part=True)
                pattern = (failures["column"] == col) & failures["check"].str.startswith("str_fullmatch")
                assert failures.loc[pattern, "row"].tolist() == [1], (name, col, bad)


def test_validate_names_the_rows_a_cross_column_check_fails_and_leaves_the_frame_as_it_was(multi_release):
    """Checks across columns fail exactly the rows that break them, missing values or not, and
    validating changes nothing in the frame (pandera runs on it in place, without a copy)."""
    tables = read_release(multi_release)
    events = tables["events"].assign(year=tables["events"]["year"].where(tables["events"].index != 1, 1900))
    claims = tables["claims"]
    given = claims["wounded_best"].notna()
    claims = claims.assign(wounded_low=claims["wounded_best"] + 1)  # over best where there is a best
    for name, frame, check, rows in (("events", events, "year_matches_date", [1]),
                                     ("claims", claims, "low_le_best_le_high", list(claims.index[given]))):
        before = frame.copy(deep=True)
        failures = schemas.validate(name, frame, part=True)
        assert sorted(set(failures.loc[failures["check"] == check, "row"])) == rows
        pd.testing.assert_frame_equal(frame, before)
    assert given.any() and (~given).any()  # rows with a missing best, and rows with one
