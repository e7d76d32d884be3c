"""The UCDP GED adapter: the 49- and 42-column layouts with and without header, versions from
file names, deaths by side, precision codes, and the release built from GED files."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dataset.problems import ERROR, WARNING
from dataset.readers import mapping, ucdp

from .conftest import FIXTURES, build, read_release

RAW = FIXTURES / "raw_imports"
UCDP = RAW / "ucdp"
LAYOUTS = mapping.ucdp()["layouts"]


def stage(path: Path):
    return ucdp.stage_file(path.read_bytes(), path.relative_to(RAW).as_posix())


def claim_of(staged, key: str) -> pd.Series:
    return staged.claims.set_index("event_key").loc[key]


def row_49(**values) -> str:
    """One made-up GED row in the 49-column layout."""
    base = {c: "" for c in LAYOUTS[49]}
    base.update(id="1", type_of_violence="1", side_a="Government of Mali", side_b="JNIM", where_prec="1",
                where_coordinates="Menaka town", adm_1="Menaka region", latitude="15.9", longitude="2.4",
                country="Mali", country_id="432", date_prec="1", date_start="2024-05-14", date_end="2024-05-14",
                deaths_a="0", deaths_b="0", deaths_civilians="0", deaths_unknown="0", best="0", low="0", high="0")
    base.update(values)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([base[c] for c in LAYOUTS[49]])
    return buf.getvalue()


def with_header(*rows: str) -> bytes:
    return (",".join(LAYOUTS[49]) + "\n" + "".join(rows)).encode()


# -- layouts ---------------------------------------------------------------------------------

def test_49_columns_with_header():
    staged = stage(UCDP / "GEDEvent_v24_0_6.csv")
    assert sorted(staged.events["event_key"]) == ["ucdp:990010", "ucdp:990011", "ucdp:990012", "ucdp:990013"]
    e = staged.events.set_index("event_key")
    menaka = e.loc["ucdp:990010"]
    assert (menaka.actor1, menaka.actor2, menaka.event_type, menaka.sub_event_type) == (
        "Government of Mali", "JNIM", "Battles", "Armed clash")
    assert (menaka.country, menaka.admin1, menaka.admin2, menaka.location) == (
        "Mali", "Menaka region", "Menaka cercle", "Menaka town")
    assert menaka.date_start == pd.Timestamp("2024-05-14") and (menaka.time_precision, menaka.geo_precision) == (1, 1)
    assert "dyad Government of Mali - JNIM" in menaka.notes and "source_original: army statement" in menaka.notes
    c = claim_of(staged, "ucdp:990010")
    assert (c.claimant, c.killed_low, c.killed_best, c.killed_high, c.killed_acled) == ("UCDP GED", 10, 10, 14, 10)
    assert c.killed == "best 10, low 10, high 14 (deaths_a 6, deaths_b 4, deaths_civilians 0, deaths_unknown 0)"
    assert c.victims == "Government of Mali; JNIM"
    assert c.quote == '"Test Wire,2024-05-15,Made-up headline about an attack in Menaka"'
    report = staged.reports.set_index("report_id").loc["ucdp:990010"]
    assert (report.source, report.source_scale, report.published) == ("Test Wire", "Other", pd.Timestamp("2024-05-15"))
    assert report.headline == "UCDP GED 24.0.6 event 990010: Made-up headline about an attack in Menaka"


def test_one_sided_violence_names_civilians_as_ucdp_does():
    staged = stage(UCDP / "GEDEvent_v24_0_6.csv")
    e = staged.events.set_index("event_key").loc["ucdp:990011"]
    assert (e.event_type, e.actor1, e.actor2, e.civilian_targeting) == (
        "Violence against civilians", "JNIM", "Civilians (Mali)", True)
    assert claim_of(staged, "ucdp:990011").victims == "Civilians"
    inter = dict(zip(staged.actors["name"], staged.actors["inter"]))
    assert inter["Civilians (Mali)"] == 7 and inter["Government of Mali"] == 1 and inter["JNIM"] == 2


def test_imprecise_dates_and_places_keep_ucdps_codes_in_notes():
    staged = stage(UCDP / "GEDEvent_v24_0_6.csv")
    month = staged.events.set_index("event_key").loc["ucdp:990012"]
    assert month.date_start == month.date_end == pd.Timestamp("2024-04-15")  # middle of April, ACLED's way
    assert (month.time_precision, month.geo_precision) == (3, 3)             # date_prec 4, where_prec 4
    assert "dates 2024-04-01 to 2024-04-30 (date_prec 4)" in month.notes and "where_prec 4" in month.notes
    assert month.admin2 == "" and month.location == "Mopti region"
    span = staged.events.set_index("event_key").loc["ucdp:990013"]
    assert span.date_start == pd.Timestamp("2024-06-08") and span.time_precision == 2  # 7-9 June, date_prec 2


def test_low_above_best_is_widened_and_reported():
    staged = stage(UCDP / "GEDEvent_v24_0_6.csv")
    c = claim_of(staged, "ucdp:990013")
    assert (c.killed_low, c.killed_best, c.killed_high) == (2, 2, 3)
    assert c.killed.startswith("best 2, low 3, high 3")
    found = [p for p in staged.problems if p.code == "range_out_of_order"]
    assert len(found) == 1 and found[0].severity == WARNING and found[0].event_key == "ucdp:990013"


def test_49_columns_without_header_are_read_by_position():
    staged = stage(UCDP / "candidate" / "GEDEvent_v24_0_7.csv")
    assert sorted(staged.events["event_key"]) == ["ucdp:990010", "ucdp:990015"]
    assert [p.code for p in staged.problems] == ["no_header"]
    assert claim_of(staged, "ucdp:990010").killed_best == 12
    assert staged.events["entry"].tolist() == [1, 2]
    e = staged.events.set_index("event_key").loc["ucdp:990015"]
    assert (e.actor1, e.actor2) == ("IS", "JNIM")
    inter = staged.actors.set_index("name")["inter"]
    assert inter["IS"] == 3  # a side of non-state conflict


@pytest.mark.parametrize("name", ["ged191.csv", "ged191-extra-noheader.csv"])
def test_42_column_layout_reads_low_best_high_in_its_order(name):
    staged = stage(UCDP / name)
    assert len(staged.events) == 1
    c = staged.claims.iloc[0]
    if name == "ged191.csv":
        assert (c.event_key, c.killed_low, c.killed_best, c.killed_high) == ("ucdp:880001", 7, 7, 9)
        assert c.victims == "Government of Nigeria; Unknown"  # deaths_a 4, deaths_unknown 3
    else:
        assert (c.event_key, c.killed_low, c.killed_best, c.killed_high) == ("ucdp:880002", 6, 6, 8)
        assert [p.code for p in staged.problems] == ["no_header"]
    assert staged.events.iloc[0].country == "Nigeria"


@pytest.mark.parametrize("name, number, label", [
    ("ged241.csv", 24_001_000, "GED 24.1"), ("ged191-csv.csv", 19_001_000, "GED 19.1"),
    ("GEDEvent_v24_0_3.csv", 24_000_003, "GED 24.0.3"), ("GEDEvent_v25_01.csv", 25_001_000, "GED 25.1"),
    ("ged_23_1.csv", 23_001_000, "GED 23.1"), ("my-download.csv", -1, "GED version unknown"),
])
def test_version_comes_from_the_file_name(name, number, label):
    assert ucdp.version(f"ucdp/{name}") == (number, label)
    assert ucdp.version("ucdp/ged241.csv")[0] > ucdp.version("ucdp/GEDEvent_v24_0_9.csv")[0]


@pytest.mark.parametrize("deaths, victims", [
    ((0, 0, 5, 0), "Civilians"),                     # all deaths in one group: that group
    ((3, 0, 0, 0), "Government of Mali"),
    ((0, 0, 0, 4), "Unknown"),
    ((2, 3, 1, 0), "Government of Mali; JNIM; Civilians"),  # several groups: all named (methodology: unknown)
    ((0, 0, 0, 0), "Unknown"),                       # no deaths
])
def test_deaths_by_side_decide_the_claims_victims(deaths, victims):
    a, b, c, u = deaths
    best = sum(deaths)
    staged = ucdp.stage_file(with_header(row_49(deaths_a=str(a), deaths_b=str(b), deaths_civilians=str(c),
                                                deaths_unknown=str(u), best=str(best), low=str(best), high=str(best))),
                             "ucdp/ged241.csv")
    assert staged.claims.iloc[0].victims == victims


def test_a_split_that_does_not_add_up_names_no_side():
    staged = ucdp.stage_file(with_header(row_49(deaths_a="3", best="5", low="5", high="5")), "ucdp/ged241.csv")
    assert staged.claims.iloc[0].victims == "Unknown"


def test_country_by_gleditsch_ward_code_or_by_name():
    rows = row_49(id="1", country="DR Congo (Zaire)", country_id="", latitude="-1.6", longitude="29.2") + \
        row_49(id="2", country="Somewhere", country_id="432") + \
        row_49(id="3", country="Atlantis", country_id="")
    staged = ucdp.stage_file(with_header(rows), "ucdp/ged241.csv")
    countries = staged.events.set_index("event_key")["country"].to_dict()
    assert countries == {"ucdp:1": "Democratic Republic of Congo", "ucdp:2": "Mali"}
    skipped = [p for p in staged.problems if p.code == "skipped_row"]
    assert len(skipped) == 1 and "Atlantis" in skipped[0].message and skipped[0].field.startswith("row 4")


def test_unknown_width_without_header_is_an_error():
    staged = ucdp.stage_file(b"1,2,3\n", "ucdp/ged.csv")
    assert [(p.code, p.severity) for p in staged.problems] == [("unknown_layout", ERROR)]


# -- overlaps and the release ----------------------------------------------------------------

def test_the_later_release_wins_and_the_change_is_recorded():
    staged = ucdp.read(RAW)
    assert staged.events["event_key"].is_unique and len(staged.events) == 7
    c = claim_of(staged, "ucdp:990010")
    assert (c.killed_low, c.killed_best, c.killed_high) == (11, 12, 15)
    replaced = [p for p in staged.problems if p.code == "record_replaced"]
    assert len(replaced) == 1
    assert "GED 24.0.6" in replaced[0].message and "GED 24.0.7, newer" in replaced[0].message
    assert "killed_best '10' -> '12'" in replaced[0].message


def expected_from_files() -> dict[str, tuple[int, int, int]]:
    """An independent reading: GED id -> (low, best, high) of the latest version's record."""
    names = {"ged191.csv": LAYOUTS[42], "ged191-extra-noheader.csv": LAYOUTS[42],
             "GEDEvent_v24_0_6.csv": LAYOUTS[49], "GEDEvent_v24_0_7.csv": LAYOUTS[49]}
    order = ["ged191.csv", "ged191-extra-noheader.csv", "GEDEvent_v24_0_6.csv", "GEDEvent_v24_0_7.csv"]
    out = {}
    for name in order:
        path = next(UCDP.rglob(name))
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        if rows[0][0] == "id":
            rows = rows[1:]
        for row in rows:
            r = dict(zip(names[name], row))
            out[r["id"]] = (int(r["low"]), int(r["best"]), int(r["high"]))
    return out


def test_release_has_one_event_per_ged_id_and_the_same_best_total(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(UCDP, raw / "ucdp")
    (raw / "actors.yaml").write_text("[]\n", encoding="utf-8")
    tables = read_release(build(raw, tmp_path / "out").release)
    expected = expected_from_files()
    events = tables["events"]
    assert len(events) == len(expected) == 7
    assert sorted(events["event_key"]) == sorted(f"ucdp:{k}" for k in expected)
    assert events["fatalities_best"].sum() == sum(b for _, b, _ in expected.values())
    # ranges as published, except the one out of order (990013: low 3 > best 2 -> low 2)
    assert events["fatalities_low"].sum() == sum(lo for lo, _, _ in expected.values()) - 1
    assert events["fatalities_high"].sum() == sum(hi for _, _, hi in expected.values())
    assert sorted(tables["reports"]["report_id"]) == sorted(f"ucdp:{k}" for k in expected)
    e = events.set_index("event_key")
    assert (e.loc["ucdp:990011", "deaths_civilians"], e.loc["ucdp:990011", "fatalities_best"]) == (5, 5)
    assert e.loc["ucdp:990010", "deaths_unknown"] == 12  # deaths on both sides: not attributed to one
    assert (e.loc["ucdp:990010", "inter1"], e.loc["ucdp:990010", "inter2"], e.loc["ucdp:990010", "interaction"]) == (1, 2, 12)
    # IS and JNIM fight governments or civilians in other GED events (inferred 2), which outranks the
    # militia code (3) a non-state conflict alone would give: the registry takes the lower code
    assert (e.loc["ucdp:990015", "inter1"], e.loc["ucdp:990015", "interaction"]) == (2, 22)
