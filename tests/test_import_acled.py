"""The ACLED adapter: every layout, both date styles, monadic rows, overlaps, bad rows, and the
release built from the exports (row counts, fatality totals, original IDs)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dataset.problems import ERROR, WARNING
from dataset.readers import acled

from .conftest import FIXTURES, build, read_release

RAW = FIXTURES / "raw_imports"
ACLED = RAW / "acled"
BAD = FIXTURES / "imports_bad" / "acled-bad-rows.csv"


def stage(path: Path, rel: str | None = None):
    return acled.stage_file(path.read_bytes(), rel or f"acled/{path.name}")


def by_key(staged) -> pd.DataFrame:
    return staged.events.set_index("event_key")


def codes(problems, severity: str | None = None) -> list[str]:
    return sorted(p.code for p in problems if severity is None or p.severity == severity)


# -- layouts ---------------------------------------------------------------------------------

def test_current_layout_with_byte_order_mark():
    data = (ACLED / "2024-08-01-export.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    staged = acled.stage_file(data, "acled/2024-08-01-export.csv")
    assert sorted(staged.events["event_key"]) == ["acled:BFA90001", "acled:MLI90010", "acled:MLI90011",
                                                   "acled:MLI90012", "acled:NGA90001", "acled:NGA90002"]
    e = by_key(staged).loc["acled:MLI90010"]
    assert e.date_start == pd.Timestamp("2024-05-14") == e.date_end
    assert (e.event_type, e.sub_event_type, e.actor1, e.actor2, e.assoc_actor_2) == (
        "Battles", "Armed clash", "JNIM: Group for Support of Islam and Muslims", "Military Forces of Mali (2021-)",
        "Wagner Group")
    assert (e.country, e.admin1, e.location, e.latitude, e.longitude, e.geo_precision) == (
        "Mali", "Menaka", "Menaka", 15.9182, 2.4022, 1)
    claim = staged.claims.set_index("event_key").loc["acled:MLI90010"]
    assert (claim.claimant, claim.victims, claim.killed) == ("ACLED", "Unknown", "9")
    assert (claim.killed_low, claim.killed_best, claim.killed_high, claim.killed_acled) == (9, 9, 9, 9)
    report = staged.reports.set_index("report_id").loc["acled:MLI90010"]
    assert report.source == "Test Radio; Test Wire" and report.source_scale == "National-International"
    assert report.published == pd.Timestamp("2024-05-21")  # timestamp 1716249600
    assert "1716249600" in report.headline
    assert by_key(staged).loc["acled:NGA90001", "tags"] == "crowd size=no report"
    assert by_key(staged).loc["acled:NGA90001", "actor2"] == ""
    assert codes(staged.problems) == []


def test_export_tool_dates_are_read_as_dates():
    staged = stage(ACLED / "export-tool-2021.csv")
    dates = by_key(staged)["date_start"]
    assert dates["acled:NGA90003"] == pd.Timestamp("2019-02-22")
    assert dates["acled:BFA90002"] == pd.Timestamp("2021-03-03")
    assert codes(staged.problems) == []


@pytest.mark.parametrize("text, expected", [
    ("2023-01-31", "2023-01-31"), ("22 February 2019", "2019-02-22"), ("3 March 2021", "2021-03-03"),
    ("22-February-2019", "2019-02-22"), ("22-Feb-2019", "2019-02-22"), ("1 Sept 2020", "2020-09-01"),
    ("22/02/2019", "2019-02-22"), ("2019-03-23 00:00:00", "2019-03-23"), (" 7 june 2022 ", "2022-06-07"),
])
def test_both_acled_date_styles(text, expected):
    assert acled.dates(pd.Series([text], dtype=str))[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("text", ["2019-02-30", "31 Febtober 2019", "02/22/2019", "2019", "", "22 February 19"])
def test_unreadable_dates_are_missing_not_guessed(text):
    assert pd.isna(acled.dates(pd.Series([text], dtype=str))[0])


def test_old_layout_maps_pre_2019_event_types():
    staged = stage(ACLED / "export-tool-2019-old-taxonomy.csv")
    e = by_key(staged)
    expected = {
        "acled:MLI80001": ("Battles", "Armed clash"),
        "acled:MLI80002": ("Explosions/Remote violence", "Remote explosive/landmine/IED"),   # "an IED exploded"
        "acled:MLI80003": ("Explosions/Remote violence", "Shelling/artillery/missile attack"),  # "mortar rounds"
        "acled:NGA80001": ("Protests", "Peaceful protest"),          # protesters alone
        "acled:NGA80002": ("Riots", "Violent demonstration"),        # rioters against police
        "acled:BFA80001": ("Violence against civilians", "Abduction/forced disappearance"),
        "acled:MLI80004": ("Strategic developments", "Arrests"),
        "acled:MLI80005": ("Strategic developments", "Headquarters or base established"),
    }
    assert {k: (r.event_type, r.sub_event_type) for k, r in e.iterrows()} == expected
    assert "pre-2019 event type 'Remote violence'" in e.loc["acled:MLI80003", "notes"]
    assert "rule 6" in e.loc["acled:MLI80003", "notes"]
    assert e.loc["acled:BFA80001", "civilian_targeting"]  # no such column before 2023: set for every VAC event
    assert not e.loc["acled:MLI80001", "civilian_targeting"]
    assert e.loc["acled:MLI80001", "date_start"] == pd.Timestamp("2018-01-12")
    assert codes(staged.problems) == []


def test_monadic_rows_collapse_to_one_event_counting_fatalities_once():
    path = ACLED / "monadic-2022.csv"
    staged = stage(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 5 and sum(int(r["fatalities"]) for r in rows) == 24  # repeated per actor
    assert len(staged.events) == 3
    assert staged.claims["killed_best"].sum() == 7 + 5 + 0
    e = by_key(staged)
    assert (e.loc["acled:MLI70001", "actor1"], e.loc["acled:MLI70001", "assoc_actor_1"], e.loc["acled:MLI70001", "actor2"]) == (
        "Military Forces of Mali (2021-)", "Wagner Group", "JNIM: Group for Support of Islam and Muslims")
    # the civilians' row comes first in the file; ACLED codes the civilian side as actor2
    assert (e.loc["acled:BFA70001", "actor1"], e.loc["acled:BFA70001", "actor2"]) == (
        "Unidentified Armed Group (Burkina Faso)", "Civilians (Burkina Faso)")
    assert e.loc["acled:NGA70001", "actor2"] == ""
    assert "monadic rows" in staged.reports.set_index("report_id").loc["acled:MLI70001", "headline"]
    assert codes(staged.problems) == []


def test_monadic_rows_that_disagree_are_reported():
    path = ACLED / "monadic-2022.csv"
    text = path.read_text(encoding="utf-8-sig").splitlines()
    text[2] = text[2].replace('"7","1647907200"', '"9","1647907200"')  # the second row of MLI70001
    staged = acled.stage_file(("\n".join(text) + "\n").encode(), "acled/monadic.csv")
    claim = staged.claims.set_index("event_key").loc["acled:MLI70001"]
    assert claim.killed_best == 9
    conflict = [p for p in staged.problems if p.code == "monadic_conflict"]
    assert len(conflict) == 1 and conflict[0].severity == WARNING and "7 and 9" in conflict[0].message


def test_hdx_tag_row_and_text_inter_labels():
    staged = stage(ACLED / "hdx" / "mali-2024-hdx.csv", "acled/hdx/mali-2024-hdx.csv")
    assert sorted(staged.events["event_key"]) == ["acled:MLI90020", "acled:MLI90021"]
    assert staged.events["entry"].tolist() == [3, 4]  # header row 1, tag row 2
    inter = dict(zip(staged.actors["name"], staged.actors["inter"]))
    assert inter["JNIM: Group for Support of Islam and Muslims"] == 2
    assert inter["Military Forces of Mali (2021-)"] == 1
    assert inter["Unidentified Armed Group (Mali)"] == 3 and inter["Civilians (Mali)"] == 7


# -- overlaps and problems -------------------------------------------------------------------

def test_overlapping_exports_keep_the_newer_record_and_say_what_changed(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(ACLED, raw / "acled", ignore=shutil.ignore_patterns("hdx", "monadic*", "export-tool*"))
    staged = acled.read(raw)
    assert len(staged.events) == 7 and staged.events["event_key"].is_unique
    claim = staged.claims.set_index("event_key").loc["acled:MLI90010"]
    assert claim.killed_best == 11
    assert staged.events.set_index("event_key").loc["acled:MLI90010", "file"] == "acled/2024-09-01-export.csv"
    replaced = [p for p in staged.problems if p.code == "record_replaced"]
    assert len(replaced) == 1 and replaced[0].event_key == "acled:MLI90010"
    assert "killed_best '9' -> '11'" in replaced[0].message and "newer" in replaced[0].message
    duplicate = [p for p in staged.problems if p.code == "record_duplicate"]
    assert len(duplicate) == 1 and duplicate[0].message.startswith("1 record(s)")


def test_equal_timestamps_let_the_file_later_by_name_win(tmp_path):
    raw = tmp_path / "raw"
    (raw / "acled").mkdir(parents=True)
    text = (ACLED / "2024-08-01-export.csv").read_text(encoding="utf-8-sig")
    (raw / "acled" / "a.csv").write_text(text, encoding="utf-8")
    (raw / "acled" / "b.csv").write_text(text.replace("near Bandiagara.,4,", "near Bandiagara.,5,"),
                                         encoding="utf-8")
    staged = acled.read(raw)
    assert staged.claims.set_index("event_key").loc["acled:MLI90011", "killed_best"] == 5
    replaced = [p for p in staged.problems if p.code == "record_replaced"]
    assert len(replaced) == 1 and "the file later by name" in replaced[0].message


def test_bad_rows_are_skipped_each_with_its_file_and_row():
    staged = stage(BAD, "acled/bad.csv")
    rows = list(csv.DictReader(io.StringIO(BAD.read_text(encoding="utf-8"))))
    skipped = [p for p in staged.problems if p.code == "skipped_row"]
    assert len(staged.events) + len(skipped) == len(rows) == 9  # nothing disappears without an entry
    assert {p.severity for p in skipped} == {WARNING}
    by_row = {p.field.split(":")[0]: p for p in skipped}
    assert set(by_row) == {"row 3", "row 4", "row 5", "row 6", "row 7", "row 9", "row 10"}
    assert "lies before 1900" in by_row["row 4"].message                  # the 0024 year
    assert "Atlantis" in by_row["row 5"].message
    assert "needs a second actor" in by_row["row 7"].message
    assert all(p.file == "acled/bad.csv" for p in skipped)
    assert by_key(staged).loc["acled:MLI91001", "date_start"] == pd.Timestamp("2024-05-14")  # 14/05/2024
    assert "acled:MLI91007" in set(staged.events["event_key"]) and "acled:MLI91007" not in set(staged.claims["event_key"])
    assert [p.event_key for p in staged.problems if p.code == "no_figure"] == ["acled:MLI91007"]


@pytest.mark.parametrize("data, code", [
    (b"\xff\xfeevent_id_cnty\n", "unreadable_file"),
    ("event_id,date\n1,2020-01-01\n".encode(), "unknown_layout"),
    ("event_id_cnty,event_date\nMLI1,2020-01-01\n".encode(), "missing_columns"),
    (b"", "unreadable_file"),
])
def test_unreadable_files_are_errors(data, code):
    staged = acled.stage_file(data, "acled/x.csv")
    assert codes(staged.problems, ERROR) == [code] and staged.events.empty


# -- the release -----------------------------------------------------------------------------

def expected_from_files(folder: Path) -> dict[str, int]:
    """An independent reading of the exports: event ID -> fatalities of its newest record,
    counted once per event however many monadic rows repeat it."""
    newest: dict[str, tuple[int, str, int]] = {}
    for path in sorted(folder.rglob("*.csv")):
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        for row in rows:
            if row["event_id_cnty"].startswith("#"):
                continue  # HDX tag row
            version = (int(row["timestamp"]), path.relative_to(folder).as_posix())
            if row["event_id_cnty"] not in newest or version >= newest[row["event_id_cnty"]][:2]:
                newest[row["event_id_cnty"]] = (*version, int(row["fatalities"]))
    return {k: v[2] for k, v in newest.items()}


def test_release_has_one_event_per_acled_id_and_the_same_fatalities(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(ACLED, raw / "acled")
    (raw / "actors.yaml").write_text("[]\n", encoding="utf-8")
    release = build(raw, tmp_path / "out").release
    tables = read_release(release)
    expected = expected_from_files(ACLED)
    events = tables["events"]
    assert len(events) == len(expected) == 22
    assert sorted(events["event_key"]) == sorted(f"acled:{k}" for k in expected)
    assert events["fatalities"].sum() == sum(expected.values())
    assert events.set_index("event_key")["fatalities"].to_dict() == {f"acled:{k}": v for k, v in expected.items()}
    assert (events["fatalities_low"] == events["fatalities"]).all() and (events["fatalities_high"] == events["fatalities"]).all()
    assert sorted(tables["reports"]["report_id"]) == sorted(f"acled:{k}" for k in expected)
    assert set(tables["claims"]["claimant"]) == {"ACLED"} and len(tables["claims"]) == len(expected)
    e = events.set_index("event_key")
    # derived columns come from the vocabularies, as for coded events
    assert (e.loc["acled:MLI90010", "iso"], e.loc["acled:MLI90010", "interaction"]) == (466, 12)
    assert e.loc["acled:MLI90010", "source"] == "Test Radio; Test Wire"
    assert e.loc["acled:MLI90010", "timestamp"] == 1717200000  # the newer record's day (UTC midnight)
    assert e.loc["acled:NGA90002", "civilian_targeting"] == "Civilians targeted"


def test_imported_actors_join_the_registry_with_acleds_codes(tmp_path):
    from dataset.imports import extend_registry
    from dataset.readers import actors as registry

    staged = acled.read(RAW)
    base, _ = registry.read(RAW)
    extended, problems = extend_registry(base, staged.actors)
    inter = dict(zip(extended["name"], extended["inter"]))
    assert inter["Protesters (Nigeria)"] == 6 and inter["Rioters (Nigeria)"] == 5
    assert inter["Wagner Group"] == 8  # raw/actors.yaml wins over the code of the actor it appears beside
    assert len(extended) == len(set(n.casefold() for n in extended["name"]))
    assert problems == []
    conflicting = staged.actors.assign(inter=staged.actors["inter"].where(staged.actors["name"] != "Rioters (Nigeria)", 4))
    conflicting = pd.concat([conflicting, staged.actors[staged.actors["name"] == "Rioters (Nigeria)"]])
    _, problems = extend_registry(base, conflicting)
    assert [p.code for p in problems] == ["imported_actor_inter"]


def test_a_raw_folder_without_exports_stages_what_no_records_stage(tmp_path):
    """No acled/ folder, an empty one, or one with only a stray file: the same empty tables (typed as
    a stage of no records types them), and the stray file's warning."""
    from dataset.readers import imported

    none = imported.stage(imported.empty_records(), [])
    (tmp_path / "empty").mkdir()
    (tmp_path / "stray" / acled.FOLDER).mkdir(parents=True)
    (tmp_path / "stray" / acled.FOLDER / "notes.txt").write_text("not an export\n")
    for raw, codes in ((tmp_path / "empty", []), (tmp_path / "stray", ["ignored_file"])):
        staged = acled.read(raw)
        for name in ("reports", "events", "claims", "actors"):
            pd.testing.assert_frame_equal(getattr(staged, name), getattr(none, name))
        assert [p.code for p in staged.problems] == codes
