"""A release built part by part: where the parts are cut changes no output byte, and what
only whole tables can show (IDs repeated across parts, rules between tables) is still caught."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv  # noqa: F401  (pa.csv)
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import schemas
from schemas import DATETIME, STR, frames, vocab
from dataset import diff, events, memory, pipeline, release
from dataset.keys import ReportRows
from dataset.problems import BuildFailed
from schemas.frames import filter_rows, take_chunks, to_arrow

from .conftest import FIXTURES, MULTI_RAW, TODAY, build, compile_raw, copy_raw, read_release


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def ids_of(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The key columns the build keeps whole (pipeline.KEPT), as diff.Changes.result takes them."""
    return {name: df[pipeline.KEPT[name]] for name, df in tables.items()}


def slowed(real, finished: list):
    """`real` taking 0.3 s longer, so that it is still running when the step beside it fails;
    what each call returns is added to `finished` once it has."""
    def run(*args, **kwargs):
        time.sleep(0.3)
        done = real(*args, **kwargs)
        finished.append(done)
        return done
    return run


def write_whole(folder: release.Folder, tables: dict[str, pd.DataFrame]) -> None:
    """Each table written at once by the whole-table writers, the reference for TableWriter."""
    for name, df in tables.items():
        folder.write(f"{name}.csv", lambda sink, df=df: release.write_csv(df, sink))
        folder.write(f"{name}.parquet", lambda sink, df=df, name=name: release.write_parquet(df, sink, name))


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    """The published tables of raw_multi, built whole."""
    return pipeline.compile_release(MULTI_RAW, [], today=TODAY).tables.published()


@pytest.fixture(scope="module")
def published(tmp_path_factory, tables) -> Path:
    """`tables` written as a release's files, in Parquet row groups of 5 rows."""
    folder, rows = tmp_path_factory.mktemp("published"), release.ROW_GROUP_ROWS
    release.ROW_GROUP_ROWS = 5
    try:
        write_whole(release.Folder(folder), tables)
    finally:
        release.ROW_GROUP_ROWS = rows
    return folder


def edited_copy(tmp_path: Path) -> Path:
    """raw_multi with a report deleted, a claim edited and a report added (a second version)."""
    raw = copy_raw(MULTI_RAW, tmp_path / "edited")
    (raw / "reports/2023/wire-2023-11-20-jilib.yaml").unlink()
    radio = raw / "reports/2024/radio-2024-03-06-djibo.yaml"
    radio.write_text(radio.read_text().replace("killed: about 25", "killed: about 30"))
    new = {"id": "new-2024-08-10", "source": "Test Wire", "source_scale": "International", "published": "2024-08-10",
           "events": [{"key": "mli-kidal-2024-08-09", "date_start": "2024-08-07", "date_end": "2024-08-09",
                       "time_precision": 1, "event_type": "Battles", "sub_event_type": "Armed clash",
                       "actor1": "CSP-DPA", "actor2": "Military Forces of Mali (2021-)", "country": "Mali",
                       "admin1": "Kidal", "location": "Kidal", "latitude": 18.4411, "longitude": 1.4078,
                       "geo_precision": 1, "notes": "Three days of fighting.",
                       "claims": [{"claimant": "CSP-DPA", "victims": ["Military Forces of Mali (2021-)"], "killed": 5}]}]}
    (raw / "reports/2024/new.yaml").write_text(yaml.safe_dump(new))
    return raw


@pytest.mark.parametrize("rows", [1, 2, 5])
def test_parts_of_any_size_write_the_same_releases(tmp_path, monkeypatch, rows):
    """Two versions (the second diffed against the first) built whole and in parts of `rows` rows."""
    edited = edited_copy(tmp_path)
    whole = [build(MULTI_RAW, tmp_path / "whole", "2024.07.0"), build(edited, tmp_path / "whole", "2024.08.0")]
    monkeypatch.setattr(pipeline, "PART_ROWS", rows)
    parts = [build(MULTI_RAW, tmp_path / "parts", "2024.07.0"), build(edited, tmp_path / "parts", "2024.08.0")]
    for a, b in zip(whole, parts):
        assert tree_bytes(a.release) == tree_bytes(b.release)
        assert a.rows == b.rows
    assert "deleted" in (parts[1].release / "changes.csv").read_text()


def test_collected_tables_are_the_published_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "PART_ROWS", 3)
    result = pipeline.compile_release(MULTI_RAW, [], today=TODAY)
    published = read_release(build(MULTI_RAW, tmp_path / "out").release)
    for name, df in result.tables.published().items():
        pd.testing.assert_frame_equal(df, published[name], check_dtype=False)
        assert len(df) == result.rows[name]


def test_an_event_id_repeated_in_another_part_fails_the_build(tmp_path, monkeypatch):
    """Each part passes its own schema check; only the whole events table shows the repeat."""
    real = events.Assembly.event_rows

    def repeating(self, start, stop):
        rows = real(self, start, stop)
        if start > 0:  # every later part reuses the first row's ID
            rows["event_id_cnty"] = real(self, 0, 1)["event_id_cnty"].iloc[0]
        return rows

    monkeypatch.setattr(pipeline, "PART_ROWS", 4)
    monkeypatch.setattr(events.Assembly, "event_rows", repeating)
    out = tmp_path / "out"
    with pytest.raises(BuildFailed) as failed:
        build(MULTI_RAW, out)
    repeated = [p for p in failed.value.problems if p.code == "schema:field_uniqueness"]
    assert repeated and {p.field for p in repeated} == {"event_id_cnty"}
    assert all(p.event_key for p in repeated)  # located by the kept event keys
    assert not (out / "2024.07.0").exists() and not [p for p in out.iterdir() if p.name.startswith(release.TMP_PREFIX)]


def test_a_claim_exceeding_its_event_high_is_caught_across_parts(tmp_path, monkeypatch):
    """The claims go out before the events: their rule against the events is checked at the end."""
    real = events.Assembly.claim_rows

    def inflated(self, start, stop):
        rows = real(self, start, stop)
        rows["fatalities_high"] = rows["fatalities_high"] + 1000
        return rows

    monkeypatch.setattr(pipeline, "PART_ROWS", 4)
    monkeypatch.setattr(events.Assembly, "claim_rows", inflated)
    with pytest.raises(BuildFailed) as failed:
        build(MULTI_RAW, tmp_path / "out")
    found = [p for p in failed.value.problems if p.code == "schema:claim_within_event_high"]
    assert found and all(p.report_id and p.event_key for p in found)


def test_unique_failures_name_every_repeated_row():
    df = pd.DataFrame({"event_id_cnty": pd.Series(["MLI1", "MLI2", "MLI1", "BFA1"], dtype="str")})
    failures = schemas.unique_failures("events", df)
    assert failures["row"].tolist() == [0, 2] and set(failures["check"]) == {"field_uniqueness"}
    assert schemas.unique_failures("events", df.iloc[[0, 1, 3]].reset_index(drop=True)).empty


@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab#@1", max_size=3)), max_size=12))
def test_all_distinct_is_no_row_duplicated(values):
    """A value repeated sits next to itself in sort order: all_distinct is pandas' duplicated
    finding nothing, two missing values counting as a repeat, with the order given or not; the
    change list's order is the sort's (missing values last)."""
    series = pd.Series(values, dtype="str")
    order = frames.sort_order(series)
    assert sorted(order.tolist()) == list(range(len(values)))
    assert [values[i] for i in order] == sorted(v for v in values if v is not None) + [None] * values.count(None)
    expected = not series.duplicated(keep=False).any()
    assert frames.all_distinct(series) == frames.all_distinct(series, order) == expected
    df = pd.DataFrame({"event_id_cnty": series})
    pd.testing.assert_frame_equal(schemas.unique_failures("events", df, {"event_id_cnty": order}),
                                  schemas.unique_failures("events", df))


def test_filter_rows_is_boolean_selection():
    notes = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([["a", "b"], [None, "d"]]))).astype("str")
    df = pd.DataFrame({"notes": notes, "n": [1, 2, 3, 4]})
    mask = np.array([True, False, True, True])
    pd.testing.assert_frame_equal(filter_rows(df, mask), df[mask])


@given(st.lists(st.lists(st.one_of(st.none(), st.text(max_size=5)), max_size=6), max_size=5),
       st.data())
def test_take_chunks_is_take(chunks, data):
    """Rows taken chunk by chunk are pyarrow's take of the joined column: any chunking, any
    positions (repeated, out of order, none), nulls kept."""
    column = pa.chunked_array([pa.array(c, type=pa.large_string()) for c in chunks], type=pa.large_string())
    n = len(column)
    at = np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=12) if n else st.just([])), dtype=np.int64)
    for rows in (at, np.sort(at)):  # sorted: the rows come in the order of the chunks, joined without a reorder
        for scratch in (None, memory.scratch_pool()):  # the pieces from the build's scratch pool, emptied afterwards
            taken = take_chunks(column, rows, scratch)
            memory.give_back()
            assert isinstance(taken, pa.Array)
            assert taken.equals(column.combine_chunks().take(pa.array(rows, type=pa.int64())))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.text(max_size=4)), min_size=1, max_size=3), max_size=4),
       st.integers(1, 7), st.integers(1, 3))
def test_solid_combines_each_column_but_those_left(chunks, n_columns, workers):
    """Every chunked Arrow column of the frame becomes one chunk with the same values and dtype,
    whatever the number of columns against the threads combining them; a column left stays in
    its chunks; other columns are untouched."""
    column = pa.chunked_array([pa.array(c, type=pa.large_string()) for c in chunks], type=pa.large_string())
    text = {f"t{i}": pd.Series(pd.arrays.ArrowExtensionArray(column)).astype("str") for i in range(n_columns)}
    df = pd.DataFrame({**text, "n": np.arange(len(column))})
    expected = df.copy()
    out = frames.solid(df, leave=("t0",), workers=workers)
    assert out is df
    pd.testing.assert_frame_equal(out, expected)
    for name in text:
        chunked = out[name].array._pa_array
        assert chunked.num_chunks == (column.num_chunks if name == "t0" else min(column.num_chunks, 1))


@given(st.lists(st.one_of(st.none(), st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31))), max_size=30))
def test_day_text_is_each_days_iso_date(days):
    """Each distinct day formatted once and taken back is each row's own YYYY-MM-DD: any dates
    (before 1970 too, with a time of day), repeated or not, missing ones missing."""
    values = np.array([np.datetime64("NaT") if d is None else np.datetime64(d, "us") for d in days], dtype="datetime64[us]")
    expected = [None if d is None else f"{d.year:04d}-{d.month:02d}-{d.day:02d}" for d in days]
    assert frames.day_text(values).to_pylist() == expected


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=4))
def test_table_writer_writes_what_the_whole_table_writes(tmp_path_factory, tables, cuts):
    """Parts cut anywhere give the same CSV and Parquet bytes as the whole table written at once."""
    table = tables["claims"]
    whole = release.Folder(tmp_path_factory.mktemp("whole"))
    write_whole(whole, {"claims": table})
    parts = release.Folder(tmp_path_factory.mktemp("parts"))
    writer = release.TableWriter(parts, "claims")
    bounds = sorted({0, len(table), *[min(c, len(table)) for c in cuts]})
    for a, b in zip(bounds[:-1], bounds[1:]):
        writer.put(table.iloc[a:b].reset_index(drop=True))
    writer.close()
    assert whole.digests == parts.digests


TEXTS = st.one_of(st.none(), st.sampled_from(["", "a", 'say "no"', "x,y", "two\nlines", " pad ", "é"]), st.text(max_size=6))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TEXTS, st.one_of(st.none(), st.integers(-10**12, 10**12)), st.booleans()), max_size=25),
       st.integers(1, 6))
def test_csv_written_a_slice_at_a_time_is_the_whole_table(rows, slice_rows):
    """release.write_csv_table, slices encoded on threads and joined in order, writes pyarrow's
    bytes for the whole table: header once, quoting, blanks and missing values as one write."""
    table = pa.table({"text": pa.array([r[0] for r in rows], pa.large_string()),
                      "number": pa.array([r[1] for r in rows], pa.int64()),
                      "flag": pa.array([r[2] for r in rows], pa.bool_())})
    expected = pa.BufferOutputStream()
    pa.csv.write_csv(table, expected, write_options=release.CSV_OPTIONS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(release, "CSV_SLICE_ROWS", slice_rows)
        written = io.BytesIO()
        release.write_csv_table(table, written)
    assert written.getvalue() == expected.getvalue().to_pybytes()


def test_table_writer_cuts_row_groups_where_the_whole_table_does(tmp_path, monkeypatch, tables):
    monkeypatch.setattr(release, "ROW_GROUP_ROWS", 7)
    table = tables["claims"]
    whole = release.Folder(tmp_path)
    write_whole(whole, {"claims": table})
    (tmp_path / "parts").mkdir()
    parts = release.Folder(tmp_path / "parts")
    writer = release.TableWriter(parts, "claims")
    for a in range(0, len(table), 5):
        writer.put(table.iloc[a:a + 5].reset_index(drop=True))
    writer.close()
    assert whole.digests == parts.digests
    assert pq.ParquetFile(tmp_path / "parts" / "claims.parquet").metadata.num_row_groups == -(-len(table) // 7)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 30), max_size=3), st.sets(st.integers(0, 40), max_size=5),
       st.sets(st.integers(0, 40), max_size=3), st.booleans())
def test_changes_part_by_part_are_diff(tables, published, cuts, dropped, edited, arrow):
    """diff.Changes fed parts cut anywhere gives what diff.diff gives for the whole tables, with or
    without the parts' Arrow rows (with them, unchanged parts and columns are found in Arrow)."""
    old = tables
    new = {name: df.copy() for name, df in old.items()}
    claims = new["claims"].drop(index=[i for i in dropped if i < len(new["claims"])]).reset_index(drop=True)
    claims.loc[claims.index[:1], "quote"] = "a quote changed"
    new["claims"] = claims
    events = new["events"]
    rows = [i for i in edited if i < len(events)]
    events.loc[rows, "fatalities"] += 1  # a number, a category and a text changed on the same rows
    events.loc[rows, "event_type"] = events["event_type"].iloc[::-1].to_numpy()[rows]
    events.loc[rows, "notes"] = "notes changed"
    changes = diff.Changes(diff.previous_tables(published))
    for name, df in new.items():
        bounds = sorted({0, len(df), *[min(c, len(df)) for c in cuts]})
        for a, b in zip(bounds[:-1], bounds[1:]):
            part = df.iloc[a:b].reset_index(drop=True)
            changes.add(name, part, to_arrow(part) if arrow else None)
    pd.testing.assert_frame_equal(changes.result(ids_of(new)), diff.diff(old, new))


@pytest.mark.parametrize("arrow", [False, True])
def test_rows_deleted_after_the_last_part_are_found(tables, published, arrow):
    """Every part the old rows in order, the old table's last rows in none: they are deleted (the
    usual rebuild skips looking for deleted rows only when the parts reached the old table's end)."""
    new = {name: df.iloc[:len(df) - 2].reset_index(drop=True) if name == "claims" else df for name, df in tables.items()}
    changes = diff.Changes(diff.previous_tables(published))
    for name, df in new.items():
        for a in range(0, len(df), 4):
            part = df.iloc[a:a + 4].reset_index(drop=True)
            changes.add(name, part, to_arrow(part) if arrow else None)
    got = changes.result(ids_of(new))
    assert got["change"].tolist() == ["deleted", "deleted"]
    assert set(got["id"]) == set(tables["claims"]["claim_id"].iloc[-2:])
    pd.testing.assert_frame_equal(got, diff.diff(tables, new))


def test_changes_of_a_first_release_are_added(tables):
    changes = diff.Changes(None)
    for name, df in tables.items():
        for a in range(0, len(df), 3):
            changes.add(name, df.iloc[a:a + 3].reset_index(drop=True))
    pd.testing.assert_frame_equal(changes.result(ids_of(tables)), diff.added(tables))


def test_a_failed_part_write_leaves_the_previous_release(tmp_path, monkeypatch):
    out = tmp_path / "out"
    good = build(MULTI_RAW, out, "2024.07.0").release
    before = tree_bytes(good)

    def broken(self, table):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(release.TableWriter, "_csv", broken)
    with pytest.raises(release.ReleaseError, match="No space left"):
        build(MULTI_RAW, out, "2024.08.0")
    assert tree_bytes(good) == before
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith((".", "build-report"))) == ["2024.07.0", "latest"]
    shutil.rmtree(out)


def test_a_failed_write_beside_the_whole_table_checks_waits_for_them(tmp_path, monkeypatch):
    """The registry and the change list are written while the whole-table checks run: a write
    failing there fails the build once the checks are done (none outlives it) and leaves the
    previous release as it was."""
    out = tmp_path / "out"
    good = build(MULTI_RAW, out, "2024.07.0").release
    before = tree_bytes(good)
    finished = []

    def disk_full(changes, sink):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline, "_whole_table_problems", slowed(pipeline._whole_table_problems, finished))
    monkeypatch.setattr(diff, "write_changes_csv", disk_full)
    with pytest.raises(release.ReleaseError, match="No space left"):
        build(MULTI_RAW, out, "2024.08.0")
    assert finished == [[]]
    assert tree_bytes(good) == before
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith((".", "build-report"))) == ["2024.07.0", "latest"]


def test_the_reports_put_beside_the_event_step_end_before_the_build(tmp_path, monkeypatch):
    """The reports table is checked and written on a thread while the event step runs: if the
    event step fails, the build waits for the reports' thread before it fails, and the release
    is not published."""
    finished = []

    def failing(*args, **kwargs):
        raise RuntimeError("event step failed")

    monkeypatch.setattr(pipeline, "_put_reports", slowed(pipeline._put_reports, finished))
    monkeypatch.setattr(pipeline, "assemble", failing)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="event step failed"):
        build(MULTI_RAW, out)
    assert len(finished) == 1
    assert not (out / "2024.07.0").exists() and not [p for p in out.iterdir() if p.name.startswith(release.TMP_PREFIX)]


def test_ids_assigned_beside_the_claims_spread_end_before_the_event_step(monkeypatch):
    """IDs are assigned on a thread while the claims' figures are spread and summed per row: if
    that fails, the event step waits for the IDs' thread before it fails; if assigning fails,
    the event step fails with its error."""
    finished = []

    def failing(*args, **kwargs):
        raise RuntimeError("spreading failed")

    monkeypatch.setattr(events, "assign", slowed(events.assign, finished))
    monkeypatch.setattr(events.aggregate, "by_row", failing)
    with pytest.raises(RuntimeError, match="spreading failed"):
        compile_raw(MULTI_RAW)
    assert len(finished) == 1

    def broken_assign(rows, registry):
        raise ValueError("registry unreadable")

    monkeypatch.undo()
    monkeypatch.setattr(events, "assign", broken_assign)
    with pytest.raises(ValueError, match="registry unreadable"):
        compile_raw(MULTI_RAW)


def test_a_part_that_fails_its_checks_waits_for_the_next_part_being_made(monkeypatch):
    """The next parts are made on threads while the one before is checked: a check failing there
    fails the build once those threads are done (nothing they do outlives the failure)."""
    finished = []
    checked = pipeline._checked

    def failing(name, df, part):
        if name == "claims":
            raise RuntimeError("check failed")
        return checked(name, df, part)

    monkeypatch.setattr(pipeline, "PART_ROWS", 3)
    monkeypatch.setattr(pipeline, "AHEAD_ROWS", 3 * pipeline.MAKERS)  # no more parts ahead than threads
    monkeypatch.setattr(events.Assembly, "claim_rows", slowed(events.Assembly.claim_rows, finished))
    monkeypatch.setattr(pipeline, "_checked", failing)
    with pytest.raises(RuntimeError, match="check failed"):
        compile_raw(MULTI_RAW)
    assert len(finished) == 1 + pipeline.MAKERS  # the part checked, and the next ones, made meanwhile


def test_parts_made_beside_their_checks_are_the_parts_made_in_turn(monkeypatch):
    """Whatever thread makes them, the parts reach the sink whole and in order."""
    sink = pipeline.Collect()
    monkeypatch.setattr(pipeline, "PART_ROWS", 3)
    pipeline.compile_release(MULTI_RAW, [], today=TODAY, sink=sink)
    whole = compile_raw(MULTI_RAW).tables
    for name in ("events", "claims"):
        parts = sink.parts[name]
        assert [len(p) for p in parts[:-1]] == [3] * (len(parts) - 1)
        pd.testing.assert_frame_equal(sink.table(name), getattr(whole, name))


def test_a_failed_build_waits_for_the_raw_fingerprint(monkeypatch):
    """The raw files are hashed on a thread while the build goes on: a build that fails (here:
    broken input) waits for that thread, so nothing it started outlives the failure."""
    finished = []
    monkeypatch.setattr(pipeline, "fingerprint", slowed(pipeline.fingerprint, finished))
    with pytest.raises(BuildFailed):
        compile_raw(FIXTURES / "broken")
    assert len(finished) == 1 and len(finished[0]) == 64

def test_changes_against_a_published_release_read_by_row_group(tables, published):
    """The previous release read a row group at a time gives the changes diff.diff gives."""
    old = diff.previous_tables(published)
    rng = np.random.default_rng(3)
    at = rng.integers(0, len(tables["claims"]), 12)
    assert old["claims"].rows(at).equals(tables["claims"].iloc[at].reset_index(drop=True))
    new = {name: df.copy() for name, df in tables.items()}
    new["events"] = new["events"].drop(index=[0, len(new["events"]) - 1]).reset_index(drop=True)
    new["events"].loc[1, "notes"] = "notes changed"
    new["claims"] = pd.concat([new["claims"].iloc[10:], new["claims"].iloc[:10]], ignore_index=True)  # out of order
    changes = diff.Changes(old)
    for name, df in new.items():
        for a in range(0, len(df), 7):
            changes.add(name, df.iloc[a:a + 7].reset_index(drop=True))
    want = diff.diff(tables, new)
    assert set(want["change"]) == {"deleted", "modified"}
    pd.testing.assert_frame_equal(changes.result(ids_of(new)), want)


ids_ = st.one_of(st.none(), st.sampled_from(["MLI1", "MLI2", "NGA1", "SYR7"]))


@given(st.lists(st.tuples(ids_, st.integers(0, 3)), max_size=8),
       st.lists(st.tuples(ids_, st.one_of(st.none(), st.integers(0, 3))), max_size=10))
def test_no_claims_means_zero_is_the_membership_rule(events, claims):
    """An event with a toll fails when no claim with a best figure points at its ID: the same
    rows as the plain membership rule, with repeated and missing IDs on either side. Claims
    pointing at no event follow the same rule."""
    ev = pd.DataFrame({"event_id_cnty": pd.Series([e[0] for e in events], dtype="str"),
                       "fatalities_high": pd.Series([e[1] for e in events], dtype="int64")})
    cl = pd.DataFrame({"claim_id": pd.Series([f"c{i}" for i in range(len(claims))], dtype="str"),
                       "event_id_cnty": pd.Series([c[0] for c in claims], dtype="str"),
                       "report_id": pd.Series([None if c[1] is None else "rq"[c[1] % 2] for c in claims], dtype="str"),
                       "fatalities_best": pd.Series([c[1] for c in claims], dtype="Int64"),
                       "fatalities_high": pd.Series([c[1] for c in claims], dtype="Int64")})
    reports = pd.DataFrame({"report_id": pd.Series(["r"], dtype="str")})
    failures = schemas.cross_table_failures(ev, cl, reports)
    got = failures.loc[failures["check"] == "no_claims_means_zero", "row"].tolist()
    with_toll = set(cl.loc[cl["fatalities_best"].notna() & cl["event_id_cnty"].notna(), "event_id_cnty"])
    want = [i for i, (eid, high) in enumerate(events) if high > 0 and (eid is None or eid not in with_toll)]
    assert got == want
    # and a claim points at an event only by an ID that is there: a missing ID points at none
    pointing = failures.loc[failures["check"] == "claim_points_at_event", "row"].tolist()
    known = {e[0] for e in events if e[0] is not None}
    assert pointing == [i for i, (eid, _) in enumerate(claims) if eid is None or eid not in known]
    # and at a report the same way (only report "r" is there)
    reporting = failures.loc[failures["check"] == "claim_points_at_report", "row"].tolist()
    assert reporting == [i for i, (_, n) in enumerate(claims) if n is None or n % 2]


def test_emptied_frees_what_a_zero_row_slice_would_keep():
    """The staged claims are emptied once the claims table is written: a zero-row slice would
    keep every buffer alive until the build ends (350 MB at a million events)."""
    start, text = pa.total_allocated_bytes(), 200_000 * len("a quote of some length")
    df = pd.DataFrame({"quote": pd.array(["a quote of some length"] * 200_000, dtype="str"),
                       "claim": np.arange(200_000), "victim_group": pd.Categorical(["civilians"] * 200_000)})
    held = df.iloc[:0]
    emptied = frames.emptied(df)
    assert list(emptied.columns) == list(df.columns) and (emptied.dtypes == df.dtypes).all() and emptied.empty
    del df
    assert pa.total_allocated_bytes() - start >= text  # the slice still holds the text
    del held
    assert pa.total_allocated_bytes() - start < text


def _sources_of_drawn_pairs(data, reports: pd.DataFrame, n_keys: int, most: int):
    """events.event_sources of drawn (event, report) pairs of events and of claims (-1: none):
    the pairs drawn, then its output."""
    pairs = st.lists(st.tuples(st.integers(-1, n_keys - 1), st.integers(-1, len(reports) - 1)), max_size=most)
    ev, cl = data.draw(pairs), data.draw(pairs)
    rows = ReportRows(reports, np.array([r for _, r in cl], dtype=np.int64), np.array([r for _, r in ev], dtype=np.int64))
    return ev, cl, events.event_sources(n_keys, np.array([d for d, _ in ev], dtype=np.int64),
                                        np.array([d for d, _ in cl], dtype=np.int64), rows)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_event_sources_newest_is_the_latest_dated_report(data):
    """Each event's timestamp is the newest publication date among its reports (events' and
    claims'), missing dates skipped; an event without a dated report has none."""
    n_reports, n_keys = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 4))
    published = data.draw(st.lists(st.one_of(st.none(), st.dates(dt.date(1997, 1, 1), dt.date(2030, 12, 31))),
                                   min_size=n_reports, max_size=n_reports))
    reports = pd.DataFrame({"source": pd.Series(data.draw(st.lists(st.sampled_from(["AP", "AFP", "AP; Reuters"]),
                                                                   min_size=n_reports, max_size=n_reports)), dtype=STR),
                            "source_scale": pd.Series(["National"] * n_reports, dtype=STR),
                            "published": pd.Series(pd.to_datetime(published), dtype=DATETIME)})
    ev, cl, out = _sources_of_drawn_pairs(data, reports, n_keys, 10)
    for key in range(n_keys):
        dates = [published[r] for d, r in ev + cl if d == key and r >= 0 and published[r] is not None]
        want = int(pd.Timestamp(max(dates)).timestamp()) if dates else None
        got = out["timestamp"].iloc[key]
        assert (pd.isna(got) and want is None) or got == want, (key, got, want)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_event_sources_lists_each_outlet_once_in_order_of_first_publication(data):
    """Each event's outlets (an imported source's listed outlets each counted once) joined by
    '; ' in order of their first publication (then name), their number, and the scale: one
    outlet's as written (several words put in ACLED's order), several outlets' words each once in
    ACLED's order, words not ACLED's dropped there; an event without a report has none."""
    n_reports, n_keys = data.draw(st.integers(1, 7)), data.draw(st.integers(1, 4))
    sources = data.draw(st.lists(st.sampled_from(["AP", "AFP", "AP; Reuters", "Reuters; BBC"]),
                                 min_size=n_reports, max_size=n_reports))
    scales = data.draw(st.lists(st.sampled_from(["National", "International", "International-National", "Regional",
                                                 "Weird", "National-Weird"]), min_size=n_reports, max_size=n_reports))
    published = data.draw(st.lists(st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2020, 1, 4))),
                                   min_size=n_reports, max_size=n_reports))
    reports = pd.DataFrame({"source": pd.Series(sources, dtype=STR), "source_scale": pd.Series(scales, dtype=STR),
                            "published": pd.Series(pd.to_datetime(published), dtype=DATETIME)})
    ev, cl, out = _sources_of_drawn_pairs(data, reports, n_keys, 12)

    def acled_order(words):
        return "-".join(w for w in vocab.SOURCE_SCALES if w in words)

    for key in range(n_keys):
        seen = list(dict.fromkeys(r for d, r in ev + cl if d == key and r >= 0))
        rows_of_key = [(published[r] is None, published[r] or dt.date.min, outlet, scales[r])
                       for r in seen for outlet in sources[r].split("; ")]
        first = {}
        for row in sorted(rows_of_key, key=lambda t: t[:3]):
            first.setdefault(row[2], row[3])
        got = out.iloc[key]
        assert got["n_sources"] == len(first)
        if not first:
            assert pd.isna(got["source"]) and pd.isna(got["source_scale"])
            continue
        assert got["source"] == "; ".join(first)
        if len(first) == 1:
            (scale,) = first.values()
            want = acled_order(scale.split("-")) if "-" in scale else scale
        else:
            want = acled_order({w for s in first.values() for w in s.split("-")})
        assert got["source_scale"] == want, (key, first, got["source_scale"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(" ab\u00e9", max_size=6)), min_size=1, max_size=30), st.data(),
       st.integers(1, 4), st.integers(1, 7))
def test_notes_taken_in_blocks_are_each_rows_note_with_its_days(notes, data, chunks, block):
    """events._notes, notes in any chunks (joined or not by assemble), rows in any order and
    blocks of any size: each row's note, multi-day rows' with NOTE_MULTI_DAY appended (as
    str.strip() of the two joined by a space), missing notes kept missing on single-day rows."""
    n = len(notes)
    at = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=25)))
    n_days = np.array(data.draw(st.lists(st.sampled_from([1, 1, 2, 3]), min_size=len(at), max_size=len(at))))
    row_day = np.array([data.draw(st.integers(0, d - 1)) for d in n_days])
    start = np.datetime64("2024-03-01") + np.array(data.draw(st.lists(st.integers(0, 60), min_size=len(at), max_size=len(at))))
    row_date = (start + row_day.astype("timedelta64[D]")).astype("datetime64[ns]")
    keys = pd.Series([f"k{i}" for i in range(len(at))], dtype="str")
    bounds = sorted(set([0, n, *data.draw(st.lists(st.integers(0, n), max_size=chunks - 1))]))
    arrow = pa.array(notes, pa.string())
    column = pd.Series(pd.array(pa.chunked_array([arrow.slice(a, b - a) for a, b in zip(bounds, bounds[1:])]), dtype="str"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(events, "ROW_GROUP_ROWS", block)
        got = events._notes(column, at, keys, row_date, row_day, n_days)
    expected = []
    for i, (row, days, day) in enumerate(zip(at, n_days, row_day)):
        note = notes[row]
        if days == 1:
            expected.append(note)
            continue
        first = start[i]
        added = events.NOTE_MULTI_DAY.format(key=keys[i], start=str(first), end=str(first + np.timedelta64(days - 1, "D")),
                                             day=day + 1, n=days)
        expected.append(f"{note or ''} {added}".strip())
    assert [None if pd.isna(g) else g for g in got.tolist()] == expected
