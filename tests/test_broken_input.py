"""Bad input never gets in and never loses anything: one broken file per rule, all at once."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataset import pipeline
from dataset.problems import ERROR, WARNING, BuildFailed
from dataset.readers import yaml_reports

from .conftest import ACTORS, FIXTURES, MULTI_RAW, ROOT, TODAY, build, built_or_refused, event, report, write_raw

BROKEN = FIXTURES / "broken"
SETS = FIXTURES / "broken_sets"
EXPECTED = yaml.safe_load((BROKEN / "expected.yaml").read_text())


def raw_with(tmp_path: Path, *files: Path) -> Path:
    raw = write_raw(tmp_path / "raw", [])
    for f in files:
        shutil.copy(f, raw / "reports" / f.name)
    return raw


def failure(raw: Path):
    with pytest.raises(BuildFailed) as info:
        pipeline.compile_release(raw, [], today=TODAY)
    return info.value.problems


def assert_found(problems, file: str, code: str, field: str, words: str, severity: str = ERROR) -> None:
    hits = [p for p in problems if p.code == code and p.severity == severity]
    assert hits, f"no {code} among {[str(p) for p in problems]}"
    located = [p for p in hits if p.file.endswith(file) and (not field or p.field == field)]
    assert located, f"{code} not located at {file} / {field}: {[str(p) for p in hits]}"
    assert any(words in p.message for p in located), f"{words!r} not in {[p.message for p in located]}"


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_broken_report_is_refused_with_its_location(case, tmp_path):
    name = f"{case}.yaml"
    problems = failure(raw_with(tmp_path, BROKEN / name))
    for code, field, words in EXPECTED[case]:
        assert_found(problems, f"reports/{name}", code, field, words)
    for p in problems:
        assert p.file, f"problem without a file: {p}"


def test_all_problems_are_listed_in_one_run(tmp_path):
    problems = failure(raw_with(tmp_path, *sorted(BROKEN.glob("*.yaml"))))
    for case, expectations in EXPECTED.items():
        for code, field, words in expectations:
            assert_found(problems, f"reports/{case}.yaml", code, field, words)


@pytest.mark.parametrize("case", ["duplicate-report-id", "conflicting-definition", "inter-out-of-range",
                                  "malformed-id-registry"])
def test_broken_sets_are_refused(case):
    raw = SETS / case
    problems = failure(raw)
    code, field, *words = yaml.safe_load((raw / "expected.yaml").read_text())[0]
    hits = [p for p in problems if p.code == code and (not field or p.field == field)]
    assert hits, [str(p) for p in problems]
    assert all(any(w in str(p) for p in hits) for w in words), [str(p) for p in hits]


def test_duplicate_events_are_a_warning_naming_both_keys(tmp_path):
    outcome = build(SETS / "duplicate-event", tmp_path)
    assert outcome.published
    warnings = [w for w in outcome.warnings if w.code == "duplicate_event"]
    assert warnings and all("same-event-again, set-event" in w.message for w in warnings)
    manifest = json.loads((outcome.release / "manifest.json").read_text())
    assert {w["code"] for w in manifest["warnings"]} == {"duplicate_event"}


def test_cli_refuses_and_keeps_the_previous_release(tmp_path):
    out = tmp_path / "out"
    good = build(MULTI_RAW, out).release
    before = {p.name: p.read_bytes() for p in good.iterdir()}
    raw = raw_with(tmp_path, BROKEN / "unknown-field.yaml", BROKEN / "unreadable-phrase.yaml")
    run = subprocess.run([sys.executable, "-m", "dataset", "build", "--raw", str(raw), "--out", str(out),
                          "--version", "2024.08.0"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1
    assert "reports/unknown-field.yaml, report bad-report, event bad-event, claim 1, field killd" in run.stderr
    assert "reports/unreadable-phrase.yaml" in run.stderr and "no release written" in run.stderr
    assert not (out / "2024.08.0").exists()
    assert {p.name: p.read_bytes() for p in good.iterdir()} == before
    rows = (out / "build-report.csv").read_text().splitlines()
    assert rows[0] == "file,report_id,event_key,claim,field,code,message,severity"
    assert any("killd" in r for r in rows) and any("unreadable_phrase" in r for r in rows)
    assert json.loads((out / "build-report.json").read_text())


def test_every_raw_record_is_in_the_release_or_in_the_report(tmp_path):
    """Three reports, one broken claim: the build fails naming it; fixed, every claim is published."""
    good = report(id="r1")
    bad = report(id="r2", events=[{"key": "test-event-1", "claims": [{"claimant": "x", "victims": ["Unknown"], "killed": "lots and lots"}]}])
    raw = write_raw(tmp_path / "raw", [good, bad])
    problems = failure(raw)
    assert [(p.report_id, p.claim, p.field) for p in problems if p.severity == ERROR] == [("r2", "1", "killed")]
    bad["events"][0]["claims"][0]["killed"] = "many"
    raw = write_raw(tmp_path / "raw2", [good, bad])
    result = pipeline.compile_release(raw, [], today=TODAY)
    assert len(result.tables.claims) == 2 and len(result.tables.reports) == 2


# -- fuzzing ------------------------------------------------------------------------------

VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                   st.text(max_size=20), st.dates(), st.lists(st.text(max_size=8), max_size=3),
                   st.dictionaries(st.text(max_size=6), st.integers(-5, 50), max_size=3))
FIELDS = ["id", "source", "source_scale", "published", "url", "language", "text", "events", "key", "date",
          "date_start", "date_end", "time_precision", "event_type", "sub_event_type", "actor1", "actor2",
          "assoc_actor_2", "country", "admin1", "location", "latitude", "longitude", "geo_precision",
          "civilian_targeting", "tags", "claims", "claimant", "victims", "killed", "wounded", "killd"]


@st.composite
def mutated_report(draw):
    doc = report(id="fuzz")
    targets = [doc, doc["events"][0], doc["events"][0]["claims"][0]]
    for _ in range(draw(st.integers(1, 4))):
        target = draw(st.sampled_from(targets))
        field = draw(st.sampled_from(FIELDS))
        if draw(st.booleans()):
            target.pop(field, None)
        else:
            target[field] = draw(VALUES)
    return doc


def test_a_whole_number_too_large_for_the_table_is_an_error_not_a_crash(tmp_path):
    """Found by the fuzz test below: 1.8e19 reads as a whole number but fits no int64 column."""
    doc = report(events=[event(geo_precision=1.8446744073709552e+19, time_precision=10**30)])
    with pytest.raises(BuildFailed) as failed:
        pipeline.compile_release(write_raw(tmp_path, [doc]), [], today=TODAY)
    found = {p.field: p.message for p in failed.value.problems if p.severity == ERROR}
    assert "out of range" in found["geo_precision"] and "out of range" in found["time_precision"]


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_required_field_left_blank_is_missing_not_a_crash(tmp_path, blank):
    """Found by the fuzz test below: `actor1: ''` passed the reader (only an absent or null
    field was missing) and the event step, looking up the inter code of no actor, crashed.
    Blank text in any required field is a missing field, named with its report and event."""
    doc = report(source=blank, events=[event(actor1=blank, location=blank, claims=[
        {"claimant": blank, "victims": ["Civilians"], "killed": "3"}])])
    with pytest.raises(BuildFailed) as failed:
        pipeline.compile_release(write_raw(tmp_path, [doc]), [], today=TODAY)
    missing = {(p.field, p.event_key) for p in failed.value.problems if p.code == "missing_field"}
    assert {("source", ""), ("actor1", "test-event-1"), ("location", "test-event-1"),
            ("claimant", "test-event-1")} <= missing


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutated_report())
def test_mutated_reports_build_or_fail_cleanly(tmp_path_factory, doc):
    result = built_or_refused(write_raw(tmp_path_factory.mktemp("fuzz"), [doc]))
    assert result is None or len(result.tables.reports) == 1


@settings(deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_reader(data):
    staged = yaml_reports.stage_file(data, "reports/fuzz.yaml")
    assert all(p.file == "reports/fuzz.yaml" for p in staged.problems)


@settings(deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_crashes_the_reader(text):
    staged = yaml_reports.stage_file(text.encode("utf-8", "ignore"), "reports/fuzz.yaml")
    assert len(staged.reports) <= 1 and all(p.file == "reports/fuzz.yaml" for p in staged.problems)


def _value_paths(node, at=()):
    """Every place in a parsed report (mapping keys, list positions), depth first."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield at + (key,)
        yield from _value_paths(value, at + (key,))


SEED_REPORT = ROOT / "raw" / "reports" / "2024" / "ap-2024-07-27-mali-tinzawaten.yaml"
_SEED_DOC = yaml.safe_load(SEED_REPORT.read_text(encoding="utf-8"))
# Plain scalars that PyYAML's rules make into something odd: impossible dates and times (its
# constructors raise ValueError), sexagesimal and hexadecimal numbers, infinities, nulls,
# booleans, flow collections, tags, an unhashable key
ODD_SCALARS = ["2024-02-30", "2024-01-05 25:00:00", "2024-13-01", "10:30", "0x1F", "1e400", ".nan", "-.inf", "~",
               "yes", "[]", "{}", "[1, {a: b}]", "''", "!!binary aGVsbG8=", "{[1]: 2}", "-1", "99999999999999999999999"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(_value_paths(_SEED_DOC))), st.sampled_from(ODD_SCALARS))
def test_any_field_of_a_report_holding_an_odd_value_is_a_problem_never_a_crash(where, odd):
    # The seed report with one value (or one whole section) replaced, as a coder might type it:
    # the reader gives rows or problems naming the file, never an exception (an impossible
    # unquoted date once raised ValueError out of the reader and failed the build with a traceback)
    doc = yaml.safe_load(SEED_REPORT.read_text(encoding="utf-8"))
    node = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = "__ODD__"
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).replace("__ODD__", odd)
    rows = yaml_reports.stage_rows(text.encode("utf-8"), "reports/odd.yaml")
    assert all(p.file == "reports/odd.yaml" for p in rows.problems)
    assert rows.problems or rows.reports


@pytest.mark.parametrize("name", ["actors.yaml", "links.yaml"])
def test_a_folder_where_a_registry_file_belongs_is_a_problem_never_a_crash(tmp_path, name):
    from dataset.readers import actors, link_overrides

    (tmp_path / name).mkdir()
    read = actors.read if name == "actors.yaml" else link_overrides.read
    _, problems = read(tmp_path)
    assert [(p.code, p.file) for p in problems] == [("unreadable_file", name)]
