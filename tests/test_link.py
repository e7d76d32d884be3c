"""Linking events of coded reports, ACLED and UCDP GED that describe one incident: the known
incident, the rule's limits and its conservatism, overrides, and the published links table."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import yaml

import dataset
from dataset import link as linking
from dataset.problems import BuildFailed, WARNING
from dataset.readers import link_overrides, mapping
from dataset.rules import matching
from dataset.rules.matching import Actor
from schemas.links import Links

from .conftest import FIXTURES, build, compile_raw, event, read_release, report, write_raw

RAW = FIXTURES / "raw_imports"
ACLED_HEADER = ("event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
                "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,"
                "admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,"
                "tags,timestamp").split(",")
JNIM = "JNIM: Group for Support of Islam and Muslims"
FAMA = "Military Forces of Mali (2021-)"


@pytest.fixture(scope="module")
def fixture_release(tmp_path_factory) -> tuple[Path, dict[str, pd.DataFrame], object]:
    out = tmp_path_factory.mktemp("imports-release")
    outcome = build(RAW, out)
    tables = read_release(outcome.release)
    tables["links"] = pd.read_csv(outcome.release / "links.csv", dtype=str, keep_default_na=False)
    return outcome.release, tables, outcome


# -- the known incident ----------------------------------------------------------------------

def test_known_incident_is_one_event_with_three_claims(fixture_release):
    _, tables, _ = fixture_release
    events, claims = tables["events"], tables["claims"]
    menaka = events[events["event_key"] == "mali-menaka-2024-05-14"]
    assert len(menaka) == 1
    assert not events["event_key"].isin(["acled:MLI90010", "ucdp:990010"]).any()
    e = menaka.iloc[0]
    assert (e.actor1, e.actor2, e.event_date, e.location) == (JNIM, FAMA, pd.Timestamp("2024-05-14"), "Menaka")
    c = claims[claims["event_id_cnty"] == e.event_id_cnty].set_index("claimant")
    assert sorted(c.index) == ["ACLED", "UCDP GED", "local sources"]
    assert sorted(c["report_id"]) == ["acled:MLI90010", "ucdp:990010", "wire-2024-05-15-menaka"]
    assert (c.loc["ACLED", "fatalities_low"], c.loc["ACLED", "fatalities_best"], c.loc["ACLED", "fatalities_high"]) == (11, 11, 11)
    ucdp = c.loc["UCDP GED"]
    assert (ucdp.fatalities_low, ucdp.fatalities_best, ucdp.fatalities_high) == (11, 12, 15)
    # UCDP's sides named as the coded event names them: Government of Mali -> the Malian army
    assert ucdp.victims == f"{FAMA}; {JNIM}" and ucdp.victim_group == "unknown"
    assert (c.loc["local sources", "fatalities_low"], c.loc["local sources", "victim_group"]) == (8, "side_b")
    assert e.n_sources == 2 and set(e.source.split("; ")) == {"Test Wire", "Test Radio"}


def test_doubtful_sums_of_linked_totals_are_warned_about(fixture_release):
    _, _, outcome = fixture_release
    found = [w for w in outcome.warnings if w.code == "linked_totals_beside_sides"]
    assert [w.event_key for w in found] == ["mali-menaka-2024-05-14"]


def test_every_original_id_leads_to_a_published_event(fixture_release):
    _, tables, _ = fixture_release
    ids = set()
    for path in sorted((RAW / "acled").rglob("*.csv")):
        ids |= {f"acled:{r['event_id_cnty']}" for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
                if not r["event_id_cnty"].startswith("#")}
    layouts = mapping.ucdp()["layouts"]
    for path in sorted((RAW / "ucdp").rglob("*.csv")):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        ids |= {f"ucdp:{r[0]}" for r in rows if r[0] != "id" and len(r) in layouts}
    assert len(ids) == 29
    reports, claims, events = tables["reports"], tables["claims"], tables["events"]
    assert ids <= set(reports["report_id"])
    claimed = claims[claims["report_id"].isin(ids)]
    assert set(claimed["report_id"]) == ids  # every record gave its figure ...
    assert claimed["event_id_cnty"].isin(events["event_id_cnty"]).all()  # ... to a published event
    assert len(events) == 29 + 2 - 4  # 4 definitions were absorbed by links


def test_links_table_is_published_and_follows_its_schema(fixture_release):
    release, tables, _ = fixture_release
    links = pd.read_csv(release / "links.csv", **csv_options())
    assert Links.validate(links) is not None
    assert "links.csv" in (release / "manifest.json").read_text()
    linked = links[links["decision"] == "linked"]
    pairs = set(zip(linked["key_a"], linked["key_b"]))
    assert pairs == {("mali-menaka-2024-05-14", "acled:MLI90010"), ("mali-menaka-2024-05-14", "ucdp:990010"),
                     ("acled:MLI90010", "ucdp:990010"), ("bfa-djibo-2024-03-03", "acled:BFA90001"),
                     ("acled:MLI90011", "ucdp:990011")}
    menaka = links[links["key_b"] == "acled:MLI90010"].iloc[0]
    event_id = tables["events"].set_index("event_key").loc["mali-menaka-2024-05-14", "event_id_cnty"]
    assert (menaka.event_key, menaka.event_id_cnty, menaka.score, menaka.rule) == (
        "mali-menaka-2024-05-14", event_id, 1.0, "best_match")
    unidentified = links[links["key_a"] == "acled:MLI90011"].iloc[0]
    assert unidentified.actor_score == 0.5  # unidentified gunmen beside JNIM: linked only on a near-exact place and day


def test_two_builds_with_imports_are_byte_identical(tmp_path):
    a, b = build(RAW, tmp_path / "a").release, build(RAW, tmp_path / "b").release
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir()) and "links.csv" in names
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)


def csv_options() -> dict:
    return dataset.csv_options("links")


def test_links_is_a_documented_validated_loadable_review_table(fixture_release):
    release, _, _ = fixture_release
    loaded = dataset.load(release, table="links", validate="schema")
    assert loaded.equals(pd.read_csv(release / "links.csv", **csv_options()))
    assert len(loaded) and loaded["key_a"].dtype == "str" and loaded["score"].dtype == "float64"
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    resource = {r["name"]: r for r in package["resources"]}["links"]
    assert resource["path"] == "links.csv" and "x-parquet" not in resource
    assert [f["name"] for f in resource["schema"]["fields"]] == list(Links.to_schema().columns)
    assert resource["schema"]["primaryKey"] == ["key_a", "key_b"]
    assert "## Table `links`" in (release / "CODEBOOK.md").read_text(encoding="utf-8")


def test_a_links_table_off_its_schema_stops_the_build(fixture_release, monkeypatch, tmp_path):
    _, tables, _ = fixture_release
    published = linking.published

    def off_schema(table, events):
        links = published(table, events)
        links.loc[0, "score"] = 1.5
        links.loc[1, "decision"] = "maybe"
        return links

    monkeypatch.setattr(linking, "published", off_schema)
    with pytest.raises(BuildFailed) as failed:
        build(RAW, tmp_path / "out")
    found = {(p.field, p.event_key) for p in failed.value.problems if p.file == "<links>"}
    assert found == {("score", tables["links"].loc[0, "event_key"]), ("decision", tables["links"].loc[1, "event_key"])}
    assert not (tmp_path / "out" / "2024.07.0").exists()


# -- overrides -------------------------------------------------------------------------------

def with_overrides(tmp_path: Path, entries: list[dict]) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    (raw / "links.yaml").write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
    return raw


def test_confirm_links_what_the_rule_left_apart(tmp_path):
    # ACLED's and UCDP's names of Boko Haram share no word: the rule cannot tell they are one group
    raw = with_overrides(tmp_path, [{"confirm": ["acled:NGA90003", "ucdp:880001"],
                                     "reason": "Same attack on the Gwoza base; UCDP names Boko Haram JAS."}])
    result = compile_raw(raw)
    events, claims = result.tables.events, result.tables.claims
    assert "ucdp:880001" not in set(events["event_key"])
    gwoza = claims[claims["event_key"] == "acled:NGA90003"].set_index("claimant")
    assert sorted(gwoza.index) == ["ACLED", "UCDP GED"]
    # UCDP's "Government of Nigeria" is the Nigerian military of ACLED's event; its unattributed deaths stay Unknown
    assert gwoza.loc["UCDP GED", "victims"] == "Military Forces of Nigeria (2015-2023); Unknown"
    row = result.links[(result.links["key_a"] == "acled:NGA90003")].iloc[0]
    assert (row.decision, row.rule, row.note, row.event_key) == (
        "confirmed", "override", "Same attack on the Gwoza base; UCDP names Boko Haram JAS.", "acled:NGA90003")
    assert row.actor_score == 0  # the table still shows what the rule saw


def test_split_keeps_linked_events_apart(tmp_path):
    raw = with_overrides(tmp_path, [{"split": ["acled:MLI90011", "ucdp:990011"],
                                     "reason": "UCDP's attack was on another village of the commune."}])
    result = compile_raw(raw)
    assert {"acled:MLI90011", "ucdp:990011"} <= set(result.tables.events["event_key"])
    row = result.links[result.links["key_a"] == "acled:MLI90011"].iloc[0]
    assert (row.decision, row.rule, row.event_key) == ("split", "override", "")


@pytest.mark.parametrize("entry, words", [
    ({"confirm": ["acled:NGA90003", "acled:XYZ1"], "reason": "typo"}, "no raw file defines"),
    ({"split": ["acled:NGA90003", "ucdp:880001"], "reason": "never linked"}, "matches nothing"),
])
def test_an_override_that_matches_nothing_stops_the_build(tmp_path, entry, words):
    raw = with_overrides(tmp_path, [entry])
    with pytest.raises(BuildFailed) as failed:
        compile_raw(raw)
    found = [p for p in failed.value.problems if p.code == "override_matches_nothing"]
    assert len(found) == 1 and words in found[0].message and found[0].file == "links.yaml"


def test_confirm_and_split_of_the_same_events_contradict(tmp_path):
    raw = with_overrides(tmp_path, [
        {"split": ["acled:MLI90011", "ucdp:990011"], "reason": "apart"},
        {"confirm": ["acled:MLI90011", "ucdp:990011"], "reason": "together"}])
    with pytest.raises(BuildFailed) as failed:
        compile_raw(raw)
    assert "override_conflict" in {p.code for p in failed.value.problems}


@pytest.mark.parametrize("doc, code", [
    ([{"confirm": ["a", "b"]}], "missing_field"),
    ([{"confirm": ["a"], "reason": "x"}], "bad_override"),
    ([{"confirm": ["a", "b"], "split": ["a", "b"], "reason": "x"}], "bad_override"),
    ([{"confirm": ["a", "a"], "reason": "x"}], "bad_override"),
    ([{"link": ["a", "b"], "reason": "x"}], "unknown_field"),
    ({"confirm": ["a", "b"]}, "not_a_list"),
])
def test_override_entries_are_checked(doc, code):
    entries, problems = link_overrides.stage(doc)
    assert entries.empty and code in {p.code for p in problems}


def test_committed_overrides_file_is_valid_and_empty():
    raw = Path(__file__).resolve().parents[1] / "raw"
    assert (raw / link_overrides.FILE).is_file()
    entries, problems = link_overrides.read(raw)
    assert problems == [] and entries.empty


# -- the rule's limits and conservatism ------------------------------------------------------

def acled_csv(*rows: dict) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=ACLED_HEADER, lineterminator="\n")
    writer.writeheader()
    for values in rows:
        base = {"event_id_cnty": "MLI1", "event_date": "2024-05-14", "year": "2024", "time_precision": "1",
                "event_type": "Battles", "sub_event_type": "Armed clash", "actor1": JNIM, "inter1": "2",
                "actor2": FAMA, "inter2": "1", "country": "Mali", "admin1": "Menaka", "location": "Menaka",
                "latitude": "15.9182", "longitude": "2.4022", "geo_precision": "1", "source": "Test Radio",
                "source_scale": "National", "notes": "Made up.", "fatalities": "3", "timestamp": "1717200000"}
        base.update(values)
        writer.writerow(base)
    return buf.getvalue()


def menaka_report(**overrides) -> dict:
    e = event(key="menaka", date=dt.date(2024, 5, 14), time_precision=1, actor1="JNIM", actor2=FAMA,
              assoc_actor_2=[], country="Mali", admin1="Menaka", admin2="Menaka", location="Menaka",
              latitude=15.9182, longitude=2.4022, geo_precision=1,
              claims=[{"claimant": "local sources", "victims": [FAMA], "killed": "5", "quote": "5 killed"}])
    e.update(overrides)
    return report(id="menaka-report", published=dt.date(2024, 5, 20), events=[e])


def small_raw(tmp_path: Path, acled_rows: list[dict], **report_overrides) -> Path:
    raw = write_raw(tmp_path / "raw", [menaka_report(**report_overrides)])
    (raw / "acled").mkdir()
    (raw / "acled" / "export.csv").write_text(acled_csv(*acled_rows), encoding="utf-8")
    return raw


def keys(result) -> set[str]:
    return set(result.tables.events["event_key"])


def test_same_day_same_place_same_actors_is_linked(tmp_path):
    result = compile_raw(small_raw(tmp_path, [{}]))
    assert keys(result) == {"menaka"}
    assert result.links.iloc[0].decision == "linked"


@pytest.mark.parametrize("acled_date, report_precision, linked", [
    ("2024-05-15", 1, True),    # one day apart: the slack for an overnight attack
    ("2024-05-16", 1, False),   # two days apart, both exact: two events
    ("2024-05-16", 2, True),    # the report knows only the week: within its window
])
def test_dates_must_lie_within_both_precisions(tmp_path, acled_date, report_precision, linked):
    result = compile_raw(small_raw(tmp_path, [{"event_date": acled_date}], time_precision=report_precision))
    assert (keys(result) == {"menaka"}) is linked


@pytest.mark.parametrize("latitude, geo_precision, linked", [
    ("16.0800", "1", True),     # 18 km north, both precise: limit 20 km
    ("16.1000", "1", False),    # 20.2 km: two events
    ("16.1000", "2", True),     # ACLED coded it near the town: limit 35 km
])
def test_places_must_lie_within_both_precisions(tmp_path, latitude, geo_precision, linked):
    result = compile_raw(small_raw(tmp_path, [{"latitude": latitude, "geo_precision": geo_precision}]))
    assert (keys(result) == {"menaka"}) is linked


def test_incompatible_actors_are_never_linked(tmp_path):
    result = compile_raw(small_raw(tmp_path, [{"actor1": "Protesters (Mali)", "inter1": "6", "actor2": "", "inter2": "0",
                                                "event_type": "Protests", "sub_event_type": "Peaceful protest"}]))
    assert keys(result) == {"menaka", "acled:MLI1"} and result.links.empty


def test_a_tie_is_left_to_a_coder(tmp_path):
    result = compile_raw(small_raw(tmp_path, [{"event_id_cnty": "MLI1"}, {"event_id_cnty": "MLI2"}]))
    assert keys(result) == {"menaka", "acled:MLI1", "acled:MLI2"}
    assert set(result.links["rule"]) == {"ambiguous"} and set(result.links["decision"]) == {"not_linked"}
    assert "acled:MLI2" in result.links.set_index("key_b").loc["acled:MLI1", "note"]


def test_the_better_of_two_matches_is_linked(tmp_path):
    result = compile_raw(small_raw(tmp_path, [{"event_id_cnty": "MLI1"}, {"event_id_cnty": "MLI2", "event_date": "2024-05-15"}]))
    assert keys(result) == {"menaka", "acled:MLI2"}
    rules = result.links.set_index("key_b")["rule"].to_dict()
    assert rules == {"acled:MLI1": "best_match", "acled:MLI2": "ambiguous"}


def test_multi_day_events_are_linked_only_by_override(tmp_path):
    result = compile_raw(small_raw(tmp_path, [{}], date=None, date_start=dt.date(2024, 5, 14), date_end=dt.date(2024, 5, 15)))
    assert keys(result) == {"menaka", "acled:MLI1"}
    assert result.links.iloc[0].rule == "multi_day"


def test_a_link_never_dates_a_record_before_its_event(tmp_path):
    # ACLED dated it the 13th and uploaded it that day; the report dates it the 14th
    result = compile_raw(small_raw(tmp_path, [{"event_date": "2024-05-13", "timestamp": "1715558400"}]))
    assert keys(result) == {"menaka", "acled:MLI1"}
    assert result.links.iloc[0].rule == "report_before_event"


def test_a_group_not_all_within_each_others_limits_is_not_linked(tmp_path):
    layouts = mapping.ucdp()["layouts"]
    values = {c: "" for c in layouts[49]}
    values.update(id="77", type_of_violence="1", side_a="Government of Mali", side_b="JNIM", where_prec="1",
                  where_coordinates="Menaka", adm_1="Menaka region", latitude="15.9182", longitude="2.4022",
                  country="Mali", country_id="432", date_prec="1", date_start="2024-05-16", date_end="2024-05-16",
                  deaths_a="1", deaths_b="0", deaths_civilians="0", deaths_unknown="0", best="1", low="1", high="1",
                  source_date="2024-05-17")
    raw = small_raw(tmp_path, [{"event_date": "2024-05-15"}])
    (raw / "ucdp").mkdir()
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([layouts[49], [values[c] for c in layouts[49]]])
    (raw / "ucdp" / "ged241.csv").write_text(buf.getvalue(), encoding="utf-8")
    result = compile_raw(raw)
    # report 14th ~ ACLED 15th ~ UCDP 16th, but the report and UCDP lie two exact days apart
    assert keys(result) == {"menaka", "acled:MLI1", "ucdp:77"}
    assert set(result.links["rule"]) == {"cluster_conflict"}
    assert "menaka and ucdp:77 are not within" in result.links.iloc[0].note


def test_checks_for_coders_stay_errors_for_coded_reports(tmp_path):
    raw = write_raw(tmp_path / "raw", [menaka_report(latitude=40.0)])
    with pytest.raises(BuildFailed) as failed:
        compile_raw(raw)
    assert [p.severity for p in failed.value.problems if p.code == "outside_country"] == ["error"]


def test_imported_records_outside_their_country_are_warnings(fixture_release):
    _, _, outcome = fixture_release
    found = {w.code: w for w in outcome.warnings if w.code in ("outside_country", "same_actor_twice")}
    assert found["outside_country"].event_key == "acled:NGA90002" and found["outside_country"].severity == WARNING
    assert found["same_actor_twice"].event_key == "acled:MLI90012"


# -- scoring ---------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, score", [
    (Actor(FAMA, 1), Actor(FAMA, 1), 1.0),
    (Actor("Government of Mali", 1), Actor(FAMA, 1), 0.75),
    (Actor("Government of Niger", 1), Actor(FAMA, 1), 0.0),
    (Actor("JNIM", 2), Actor(JNIM, 2), 0.75),
    (Actor("Islamic State (Sahel)", 2), Actor(JNIM, 2), 0.0),
    (Actor("Al Shabaab", 2), Actor("Al-Shabaab", 3), 0.75),
    (Actor("Unidentified Armed Group (Mali)", 3), Actor("JNIM", 2), 0.5),
    (Actor("Unidentified Armed Group (Mali)", 3), Actor(FAMA, 1), 0.0),
    (Actor("Civilians (Mali)", 7), Actor("Civilians (Mali)", 7), 1.0),
    (Actor("Civilians (Mali)", 7), Actor("Civilians (Niger)", 7), 0.0),
    (Actor("Communal Militia (Mali)", 4), Actor("Dozo Militia (Mali)", 4), 0.0),
])
def test_actor_scores(a, b, score):
    assert matching.actor_score(a, b) == score == matching.actor_score(b, a)


def test_sides_are_paired_either_way():
    coded = ((Actor(JNIM, 2),), (Actor(FAMA, 1), Actor("Wagner Group", 8)))
    ucdp = ((Actor("Government of Mali", 1),), (Actor("JNIM", 2),))
    assert matching.sides_score(ucdp, coded) == (0.75, True)
    assert matching.sides_score(coded, ((Actor("Protesters (Mali)", 6),), ())) == (0.0, False)


def test_limits_and_closeness():
    p = matching.params()
    assert matching.date_limit(1, 1, p) == 1 and matching.date_limit(2, 3, p) == 19
    assert matching.place_limit(1, 3, p) == 110
    assert matching.closeness(0, 4) == 1 and matching.closeness(4, 4) == 0.5
    assert matching.distance_km(0, 0, 0, 1) == pytest.approx(111.2, abs=0.1)


def test_origin_of_a_raw_file():
    assert [linking.origin(f) for f in ("acled/x.csv", "ucdp/a/b.csv", "reports/2024/x.yaml", "acled")] == [
        "acled", "ucdp", "report", "report"]


def test_readme_overrides_example_is_a_valid_overrides_file():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Importing ACLED and UCDP GED exports", 1)[1]
    block = section.split("correct the rule in `raw/links.yaml`:", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    entries, problems = link_overrides.stage(yaml.safe_load(block))
    assert problems == [] and entries["action"].tolist() == ["confirm", "split"]


def test_a_coded_report_can_add_claims_to_an_imported_event(tmp_path):
    raw = small_raw(tmp_path, [{"event_id_cnty": "MLI7", "location": "Inekar", "latitude": "15.95", "longitude": "3.15",
                                 "actor1": "Islamic State (Sahel)", "inter1": "2"}])
    (raw / "reports" / "extra.yaml").write_text(yaml.safe_dump(report(
        id="radio-extra", published=dt.date(2024, 6, 2),
        events=[{"key": "acled:MLI7", "claims": [{"claimant": "Malian army", "victims": [FAMA], "killed": "two"}]}])),
        encoding="utf-8")
    result = compile_raw(raw)
    claims = result.tables.claims[result.tables.claims["event_key"] == "acled:MLI7"]
    assert sorted(claims["claimant"]) == ["ACLED", "Malian army"]
    assert claims.set_index("claimant").loc["Malian army", "stance"] == "own"


_PATHS = ["acled", "acled/", "acled/x.csv", "acled/2024/x.csv", "ucdp/y.csv", "ucdp", "acledx/y.csv", "reports/a.yaml",
          "sheets/b/events.csv", "x.yaml", "ACLED/x.csv", "reports/acled/x.yaml"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PATHS), st.booleans()), max_size=8), st.sampled_from(["category", "str"]))
def test_the_origins_of_the_staged_events_are_each_defining_files_origin(rows, dtype):
    # origins tests whole columns; origin reads one path: the same sources for any files
    from dataset.staged import Staged

    events = pd.DataFrame({"file": pd.Series([f for f, _ in rows], dtype=dtype),
                           "defines": pd.Series([d for _, d in rows], dtype=bool)})
    staged = Staged(pd.DataFrame(), events, pd.DataFrame())
    assert linking.origins(staged) == {linking.origin(f) for f, d in rows if d}
