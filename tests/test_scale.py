"""Scale features: coding sheets, the parse cache, parallel parsing, partition-friendly Parquet."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import pyarrow.parquet as pq
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schemas
from dataset import build as build_cmd
from dataset import pipeline, raw_tree
from dataset.problems import BuildFailed
from dataset.readers import files, parse_cache, yaml_reports
from dataset.staged import Staged

from .conftest import FIXTURES, MULTI_RAW, ROOT, TODAY, build, built_or_refused, copy_raw, read_release


def release_bytes(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


# The analysis fixture's claims give explicit numbers ({low, best, high}), stored as Arrow integers.
CACHED_RAWS = [MULTI_RAW, FIXTURES / "raw_analysis"]


@pytest.mark.parametrize("source", CACHED_RAWS, ids=["multi", "explicit-figures"])
def test_cache_changes_no_output_byte(tmp_path, source):
    raw = copy_raw(source, tmp_path / "raw")
    out = tmp_path / "out"
    cold = release_bytes(build(raw, out).release)
    assert any((out / ".cache").iterdir())
    shutil.rmtree(out / "2024.07.0")
    (out / "latest").unlink()
    warm = release_bytes(build(raw, out).release)
    assert warm == cold
    shutil.rmtree(out / ".cache")
    shutil.rmtree(out / "2024.07.0")
    assert release_bytes(build(raw, out).release) == cold


@pytest.mark.parametrize("source", CACHED_RAWS, ids=["multi", "explicit-figures"])
def test_the_cache_gives_back_the_staged_tables_it_was_given_in_one_chunk(tmp_path, source):
    """What Store.save writes, Store.load reads back equal (types, categories, missing values,
    problems), whatever chunks the columns were in: a rebuild joins cached runs of rows, and
    reading back a chunk per run made the load five times as slow."""
    raw = copy_raw(source, tmp_path / "raw")
    staged = yaml_reports.read(raw)
    if source != MULTI_RAW:
        assert staged.claims["killed_best"].notna().any()
    # every text column in many chunks, as parse_cache.combine leaves them after an edit
    pieces = [staged.claims.iloc[i:i + 2] for i in range(0, len(staged.claims), 2)]
    staged = Staged(staged.reports, staged.events, pd.concat(pieces, ignore_index=True), staged.problems)
    files_ = pd.DataFrame({"file": staged.reports["file"].astype("str"), "sha256": "0" * 64, "size": 1, "mtime_ns": 2})
    store = parse_cache.Store(tmp_path / "cache", "yaml_reports", yaml_reports.READER_FILES)
    store.save(staged, files_)
    known = store.load()
    for name in ("reports", "events", "claims"):
        pd.testing.assert_frame_equal(getattr(known.staged, name), getattr(staged, name).reset_index(drop=True))
        arrow = [c for c in getattr(known.staged, name).columns if isinstance(getattr(known.staged, name)[c].dtype, pd.StringDtype)]
        assert all(len(getattr(known.staged, name)[c].array._pa_array.chunks) == 1 for c in arrow)
    assert known.staged.problems == staged.problems
    pd.testing.assert_frame_equal(known.files, files_.astype(parse_cache.FILE_COLUMNS))


def test_a_cache_load_begun_early_is_taken_once_and_outlives_no_build(tmp_path, monkeypatch):
    """parse_cache.loading_soon begins the load; `loaded` takes it once (a second asks afresh);
    a load nobody took is dropped with its block, so a later build reads the cache as it is then."""
    store = yaml_reports.cache_store(tmp_path)
    loads = []
    monkeypatch.setattr(parse_cache.Store, "load", lambda self: loads.append(self.folder) or parse_cache.Known(Staged.empty()))
    with parse_cache.loading_soon([store]):
        assert len(parse_cache.loaded(store).result().staged.reports) == 0
        parse_cache.loaded(store).result()
    assert loads == [store.folder, store.folder]
    with parse_cache.loading_soon([store]):
        pass
    assert len(loads) == 3 and not parse_cache._begun


def test_an_edited_report_is_parsed_again(tmp_path):
    raw = copy_raw(MULTI_RAW, tmp_path / "raw")
    out = tmp_path / "out"
    build(raw, out, "2024.07.0")
    radio = raw / "reports/2024/radio-2024-03-06-djibo.yaml"
    radio.write_text(radio.read_text().replace("killed: about 25", "killed: about 40"))
    claims = read_release(build(raw, out, "2024.07.1").release)["claims"]
    assert "about 40" in set(claims["killed"]) and "about 25" not in set(claims["killed"])
    fresh = read_release(build(raw, tmp_path / "fresh", "2024.07.1").release)["claims"]
    pd.testing.assert_frame_equal(claims, fresh)


def test_cached_rows_of_deleted_reports_are_dropped(tmp_path):
    """Reports deleted since the cache was written leave none of their rows, whether some
    reports remain or none do."""
    raw = copy_raw(MULTI_RAW, tmp_path / "raw")
    reports = sorted((raw / "reports").rglob("*.yaml"))
    pipeline.compile_release(raw, [], today=TODAY, cache=tmp_path / "cache")
    for gone in (reports[:1], reports[1:]):
        for path in gone:
            path.unlink()
        cached = pipeline.compile_release(raw, [], today=TODAY, cache=tmp_path / "cache").tables
        fresh = pipeline.compile_release(raw, [], today=TODAY).tables
        for name, table in cached.published().items():
            pd.testing.assert_frame_equal(table, fresh.published()[name])
    assert len(cached.reports) == 0


def test_cached_problems_are_reported_again(tmp_path):
    raw = copy_raw(MULTI_RAW, tmp_path / "raw")
    bad = raw / "reports/2024/radio-2024-03-06-djibo.yaml"
    bad.write_text(bad.read_text().replace("killed: about 25", "killd: about 25"))
    for _ in range(2):  # the second run takes the file's rows and problems from the cache
        with pytest.raises(BuildFailed) as info:
            pipeline.compile_release(raw, [], today=TODAY, cache=tmp_path / "cache")
        assert [p.field for p in info.value.problems if p.code == "unknown_field"] == ["killd"]


def test_parallel_parsing_gives_the_same_rows(monkeypatch):
    sequential = yaml_reports.read(MULTI_RAW)
    monkeypatch.setattr(yaml_reports, "PARALLEL_FROM", 1)
    monkeypatch.setattr(yaml_reports, "CHUNK", 2)
    parallel = yaml_reports.read(MULTI_RAW)
    for name in ("reports", "events", "claims"):
        pd.testing.assert_frame_equal(getattr(sequential, name), getattr(parallel, name))


# -- coding sheets --------------------------------------------------------------------------

def sheets_from_yaml(raw: Path, target: Path, fmt: str) -> Path:
    """The multi fixture's reports written as one coding-sheet batch (for equivalence tests)."""
    shutil.copy(raw / "actors.yaml", target / "actors.yaml")
    events, claims = [], []
    for path in sorted((raw / "reports").rglob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        meta = {k: doc.get(k, "") for k in ("source", "source_scale", "published", "url", "headline", "language", "text")}
        for e in doc["events"]:
            if len(e) > 2 or "claims" not in e:
                row = {"report_id": doc["id"], **meta, **{k: v for k, v in e.items() if k != "claims"}}
                for k in ("assoc_actor_1", "assoc_actor_2", "tags"):
                    row[k] = "; ".join(row.get(k) or [])
                events.append(row)
            for c in e.get("claims", []):
                claims.append({"report_id": doc["id"], **({} if len(e) > 2 else meta), "key": e["key"],
                               "claimant": c["claimant"], "victims": "; ".join(c["victims"]),
                               "killed": str(c.get("killed") or ""), "wounded": str(c.get("wounded") or ""),
                               "quote": c.get("quote", "")})
    folder = target / "sheets" / "batch-1"
    folder.mkdir(parents=True)
    for name, rows in (("events", events), ("claims", claims)):
        df = pd.DataFrame(rows).astype("str").replace({"None": "", "nan": ""})
        if fmt == "csv":
            df.to_csv(folder / f"{name}.csv", index=False)
        else:
            df.to_parquet(folder / f"{name}.parquet")
    return target


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_sheets_build_the_same_events_as_yaml(tmp_path, fmt):
    raw = tmp_path / "raw"
    raw.mkdir()
    sheets_from_yaml(MULTI_RAW, raw, fmt)
    from_yaml = read_release(build(MULTI_RAW, tmp_path / "a").release)
    from_sheets = read_release(build(raw, tmp_path / "b").release)
    pd.testing.assert_frame_equal(from_yaml["events"], from_sheets["events"])
    pd.testing.assert_frame_equal(from_yaml["claims"], from_sheets["claims"])


def test_a_report_known_only_from_claims_keeps_its_id_stripped_and_counts_them(tmp_path):
    """A report that only adds claims is described by the claims sheet. Its ID, padded with
    blanks there, is the ID its claims point at (the blanks stripped), and it counts those claims."""
    raw = tmp_path / "raw"
    raw.mkdir()
    sheets_from_yaml(MULTI_RAW, raw, "csv")
    sheet = raw / "sheets/batch-1/claims.csv"
    events = pd.read_csv(raw / "sheets/batch-1/events.csv", dtype="str", keep_default_na=False)
    claims = pd.read_csv(sheet, dtype="str", keep_default_na=False)
    only = sorted(set(claims["report_id"]) - set(events["report_id"]))
    assert only, "the multi fixture has a report that only adds claims"
    claims.loc[claims["report_id"] == only[0], "report_id"] = f"  {only[0]} "
    claims.to_csv(sheet, index=False)
    reports = pipeline.compile_release(raw, [], today=TODAY).tables.reports.set_index("report_id")
    assert reports.loc[only[0], ["n_events", "n_claims"]].tolist() == [0, (claims["report_id"].str.strip() == only[0]).sum()]


@pytest.mark.parametrize("blank", [{"events": [1], "claims": [0]}, {"events": "all", "claims": "all"}])
def test_rows_without_a_report_id_describe_no_report_and_count_for_none(tmp_path, blank):
    """A blank report_id is a problem of its row; the other rows still make their reports, and
    the counts of events and claims are those of the rows that name them."""
    from dataset.readers import sheets

    raw = tmp_path / "raw"
    raw.mkdir()
    sheets_from_yaml(MULTI_RAW, raw, "csv")
    batch = raw / "sheets/batch-1"
    frames = {}
    for name in ("events", "claims"):
        df = pd.read_csv(batch / f"{name}.csv", dtype="str", keep_default_na=False)
        df.loc[df.index if blank[name] == "all" else blank[name], "report_id"] = ""
        df.to_csv(batch / f"{name}.csv", index=False)
        frames[name] = df
    staged = sheets.stage_batch(raw, {name: batch / f"{name}.csv" for name in frames})
    named = {name: df.loc[df["report_id"] != "", "report_id"] for name, df in frames.items()}
    reports = staged.reports.set_index("report_id")
    assert set(reports.index) == set(named["events"]) | set(named["claims"])
    assert reports["n_events"].to_dict() == {r: int((named["events"] == r).sum()) for r in reports.index}
    assert reports["n_claims"].to_dict() == {r: int((named["claims"] == r).sum()) for r in reports.index}
    assert any(p.field == "report_id" for p in staged.problems)


@pytest.mark.parametrize("every", [0, 3, 997])
def test_a_sheet_reads_the_same_whether_or_not_its_cells_span_lines(tmp_path, monkeypatch, every):
    """Sheets are first read as if no cell spans lines (twice as fast); cells that do, cut by
    pyarrow's blocks (made small here), make that read fail and the sheet is read again."""
    from dataset.readers import sheets
    import pyarrow.csv as pacsv

    monkeypatch.setattr(sheets, "CSV_BLOCK", 4096)
    rows = [{"report_id": f"r{i}", "notes": f"note {i}, \"quoted\"" + ("\nsecond line" if every and i % every == 0 else ""),
             "n": str(i)} for i in range(5000)]
    path = tmp_path / "events.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    expected = files.text_csv(path, pacsv.ReadOptions(block_size=4096), pacsv.ParseOptions(newlines_in_values=True))
    got = sheets.load_sheet(path, tmp_path)
    assert got["notes"].tolist() == [r["notes"] for r in rows] == expected.column("notes").to_pylist()
    assert got["n"].tolist() == [r["n"] for r in rows]


def test_sheet_problems_name_the_row_and_field(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    sheets_from_yaml(MULTI_RAW, raw, "csv")
    events = raw / "sheets/batch-1/events.csv"
    df = pd.read_csv(events, dtype="str", keep_default_na=False)
    df.loc[2, "latitude"] = "north"
    df.loc[3, "event_type"] = "Battle"
    df = df.rename(columns={"notes": "notez"})
    df.to_csv(events, index=False)
    with pytest.raises(BuildFailed) as info:
        pipeline.compile_release(raw, [], today=TODAY)
    found = {(p.code, p.field): p for p in info.value.problems}
    assert "row 4" in found[("bad_value", "latitude")].message
    assert found[("bad_value", "latitude")].file == "sheets/batch-1/events.csv"
    assert ("unknown_event_type", "event_type") in found
    assert "did you mean 'notes'" in found[("unknown_field", "notez")].message


def test_explicit_numbers_in_a_claims_sheet_are_read_and_checked(tmp_path):
    """killed_low/best/high (and killed_acled) columns: a claim giving all three keeps them, one
    giving some or putting them out of order is a problem of its row; claims leaving them blank
    keep their phrase."""
    from dataset.readers import sheets

    raw = tmp_path / "raw"
    raw.mkdir()
    sheets_from_yaml(MULTI_RAW, raw, "csv")
    batch = raw / "sheets/batch-1"
    claims = pd.read_csv(batch / "claims.csv", dtype="str", keep_default_na=False)
    given = {"killed_low": ["3", "4", "9"], "killed_best": ["5", "", "2"], "killed_high": ["8", "4", "1"],
             "killed_acled": ["4", "", ""]}
    for column, values in given.items():
        claims[column] = values + [""] * (len(claims) - 3)
    claims.to_csv(batch / "claims.csv", index=False)
    staged = sheets.stage_batch(raw, {"events": batch / "events.csv", "claims": batch / "claims.csv"})
    c = staged.claims
    assert str(c["killed_low"].dtype) == "int64[pyarrow]"
    assert c.loc[0, ["killed_low", "killed_best", "killed_high", "killed_acled"]].tolist() == [3, 5, 8, 4]
    assert c.loc[3:, "killed_low"].isna().all() and c["wounded_best"].isna().all()
    found = {(p.message.split(":")[0], p.message.split(": ", 1)[1]) for p in staged.problems}
    assert ("row 3", "give all of killed_low, killed_best, killed_high or none") in found
    assert ("row 4", "range out of order (need low <= best <= high)") in found
    assert len(staged.problems) == 2


def test_sheets_without_explicit_numbers_hold_no_memory_for_them(tmp_path):
    """A batch without columns of explicit numbers gives its claims one shared array of nulls
    for all eight; joined batches (Staged.concat) share one again, for all rows."""
    from dataset.readers import sheets

    raw = tmp_path / "raw"
    raw.mkdir()
    sheets_from_yaml(MULTI_RAW, raw, "csv")
    shutil.copytree(raw / "sheets/batch-1", raw / "sheets/batch-2")
    for name in ("events", "claims"):  # the second batch's reports and keys of their own
        path = raw / "sheets/batch-2" / f"{name}.csv"
        df = pd.read_csv(path, dtype="str", keep_default_na=False)
        df["report_id"] = "b2-" + df["report_id"]
        df["key"] = "b2-" + df["key"]
        df.to_csv(path, index=False)
    staged = sheets.read(raw)
    figures = [f"{k}_{p}" for k in ("killed", "wounded") for p in ("low", "best", "high", "acled")]
    arrays = [staged.claims[f].array._pa_array for f in figures]
    assert len(staged.claims) > 0 and all(a.null_count == len(staged.claims) for a in arrays)
    assert {a.num_chunks for a in arrays} == {1}
    assert len({a.chunk(0).buffers()[1].address for a in arrays}) == 1


# -- readers beyond pandas --------------------------------------------------------------------

def test_release_parquet_reads_with_filters_in_pandas_polars_and_duckdb(multi_release):
    import duckdb
    import polars as pl
    import pyarrow.parquet as pq

    path = multi_release / "events.parquet"
    expected = pd.read_parquet(path)
    expected = expected[(expected["country"] == "Mali") & (expected["year"] == 2024)]
    assert len(expected) == 4

    filtered = pd.read_parquet(path, filters=[("country", "==", "Mali"), ("year", "==", 2024)])
    assert sorted(filtered["event_id_cnty"]) == sorted(expected["event_id_cnty"])

    lazy = pl.scan_parquet(path).filter((pl.col("country") == "Mali") & (pl.col("year") == 2024))
    assert sorted(lazy.collect()["event_id_cnty"].to_list()) == sorted(expected["event_id_cnty"])

    con = duckdb.connect()
    rows = con.execute(f"select event_id_cnty, fatalities_best from read_parquet('{path}') "
                       "where country = 'Mali' and year = 2024 order by event_id_cnty").fetchall()
    assert [r[0] for r in rows] == sorted(expected["event_id_cnty"])
    assert sum(r[1] for r in rows) == expected["fatalities_best"].sum()

    meta = pq.ParquetFile(path).metadata
    stats = meta.row_group(0).column(list(expected.columns).index("country")).statistics
    assert stats is not None and stats.has_min_max  # what lets readers skip row groups


def test_identifiers_are_stored_plainly_and_repeated_values_as_dictionaries(multi_release):
    """Parquet dictionary-encodes the columns whose values repeat; an identifier's dictionary
    would be as long as the column, so identifiers (schemas.identifiers) are stored plainly."""
    for name in ("events", "claims", "reports"):
        meta = pq.ParquetFile(multi_release / f"{name}.parquet").metadata
        columns = [meta.row_group(0).column(i) for i in range(meta.num_columns)]
        dictionary = {c.path_in_schema for c in columns if c.dictionary_page_offset is not None}
        plain = set(schemas.identifiers(name))
        assert plain and not plain & dictionary, name
        assert dictionary == {c.path_in_schema for c in columns} - plain, name
    assert schemas.identifiers("claims") == ["claim_id", "event_id_cnty", "report_id", "event_key"]


def test_events_are_sorted_by_country_then_date(multi_release):
    events = pd.read_parquet(multi_release / "events.parquet")
    key = list(zip(events["country"].cat.codes, events["event_date"]))
    assert key == sorted(key)


# -- the pieces the cached rebuild is made of ------------------------------------------------

@given(st.lists(st.integers(0, 29), max_size=60), st.integers(1, 5))
def test_taking_rows_as_runs_equals_taking_them_one_by_one(rows, most):
    df = pd.DataFrame({"file": pd.Series([f"f{i // 3}" for i in range(30)], dtype="str"),
                       "text": pd.Series([f"row {i}" * (i % 4) for i in range(30)], dtype="str"),
                       "n": pd.array(range(30), dtype="Int64")})
    at = np.array(rows, dtype=np.int64)
    expected = df.iloc[at].reset_index(drop=True)
    got = parse_cache.take_runs(df, at, most=most)
    pd.testing.assert_frame_equal(got, expected)


def test_listing_gives_sorted_relative_paths_and_the_files_behind_them(tmp_path):
    for rel in ("reports/b/2.yaml", "reports/a/10.yaml", "reports/a/9.yaml", "reports/.hidden.yaml", "reports/x.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel, encoding="utf-8")
    paths, rels, problems = files.listing(tmp_path, "reports", (".yaml",))
    assert rels == ["reports/a/10.yaml", "reports/a/9.yaml", "reports/b/2.yaml"]
    assert [Path(p).read_text(encoding="utf-8") for p in paths] == rels
    assert [(p.file, p.code) for p in problems] == [("reports/x.txt", "ignored_file")]
    assert files.find(tmp_path, "reports", (".yaml",))[0] == [Path(p) for p in paths]


def _tree_files(root: Path, rels: list[str]) -> None:
    for rel in rels:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel, encoding="utf-8")


_NAME = st.text(alphabet="ab0-._/", min_size=1, max_size=4).filter(lambda n: not n.startswith(("/", ".")) and "//" not in n
                                                                     and not n.endswith("/") and "/." not in n)


@given(st.lists(st.sampled_from(["reports", "reports-x", "reports.old", "reports0", "report", "sheets", "a"]).flatmap(
    lambda top: _NAME.map(lambda rest: f"{top}/{rest}.yaml" if rest[-1] != "0" else f"{top}/{rest}")), max_size=12))
def test_a_folder_taken_from_the_walk_of_raw_is_the_folder_walked_alone(rels):
    """The build walks raw/ once (raw_tree.walk) and every reader takes its folder from that walk:
    the same files, order and problems as walking the folder itself, for names that sort next to
    the folder's ("reports-x", "reports.old", "reports0"), and the same raw fingerprint."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths_by_rel = {}
        for rel in rels:  # a name cannot be both a file and a folder
            if not any(r == rel or r.startswith(rel + "/") or rel.startswith(r + "/") for r in paths_by_rel):
                paths_by_rel[rel] = rel
        _tree_files(root, list(paths_by_rel))
        tree = raw_tree.walk(root)
        assert tree.complete and tree.rels == sorted(paths_by_rel)
        for folder in ("reports", "reports.old", "report", "sheets", "missing"):
            assert files.listing(root, folder, (".yaml",), tree) == files.listing(root, folder, (".yaml",))
        assert pipeline.fingerprint(root, {}, tree) == pipeline.fingerprint(root, {})


def test_the_walk_of_raw_keeps_the_problems_of_links_for_the_folder_they_are_in(tmp_path):
    raw, outside = tmp_path / "raw", tmp_path / "outside"
    _tree_files(raw, ["reports/a.yaml", "reports/b/c.yaml", "reports/notes.txt", "actors.yaml", "sheets/s/events.csv"])
    _tree_files(outside, ["secret.yaml"])
    (raw / "reports" / "leak.yaml").symlink_to(outside / "secret.yaml")
    (raw / "reports" / "elsewhere").symlink_to(raw / "sheets", target_is_directory=True)
    (raw / "reports" / "again.yaml").symlink_to(raw / "reports" / "a.yaml")
    (raw / "reports" / ".hidden").mkdir()
    (raw / "reports" / ".hidden" / "x.yaml").write_text("x", encoding="utf-8")
    tree = raw_tree.walk(raw)
    paths, rels, problems = files.listing(raw, "reports", (".yaml",), tree)
    assert rels == ["reports/a.yaml", "reports/again.yaml", "reports/b/c.yaml"]
    assert [(p.file, p.code, p.severity) for p in problems] == [
        ("reports/elsewhere", "ignored_file", "warning"), ("reports/leak.yaml", "link_outside_raw", "error"),
        ("reports/notes.txt", "ignored_file", "warning")]
    assert (paths, rels, problems) == files.listing(raw, "reports", (".yaml",))
    assert files.listing(raw, "sheets", (".csv",), tree)[1] == ["sheets/s/events.csv"]


@pytest.mark.parametrize("kind", [raw_tree.Forked, raw_tree.Fresh], ids=["forked", "fresh interpreter"])
def test_the_walk_made_in_a_child_process_is_the_walk_with_each_files_size_and_mtime(tmp_path, kind):
    """`python -m dataset build` walks raw/ in a forked child process while the libraries load,
    a build inside a running process in a fresh interpreter (raw_tree.early): the tree it sends
    back is the walk's own, links' problems included, with each file's size and mtime_ns as
    os.stat gives them (links followed)."""
    raw, outside = tmp_path / "raw", tmp_path / "outside"
    _tree_files(raw, ["reports/a.yaml", "reports/b/c.yaml", "reports/notes.txt", "sheets/s/events.csv"])
    _tree_files(outside, ["secret.yaml"])
    (raw / "reports" / "leak.yaml").symlink_to(outside / "secret.yaml")
    (raw / "reports" / "again.yaml").symlink_to(raw / "reports" / "a.yaml")
    with kind(raw) as early:
        tree = early.result()
    plain = raw_tree.walk(raw)
    assert (tree.root, tree.paths, tree.rels, tree.problems, tree.complete) == (
        plain.root, plain.paths, plain.rels, plain.problems, plain.complete)
    assert [p.code for p in tree.problems] == ["link_outside_raw"]
    assert tree.stats == {p: (os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in plain.paths}
    assert raw_tree.size_and_mtime(tree.paths[0], tree) == tree.stats[tree.paths[0]]
    assert early.result() is tree  # asked again: the same tree, the child long reaped


@pytest.mark.parametrize("kind", [raw_tree.Forked, raw_tree.Fresh], ids=["forked", "fresh interpreter"])
def test_a_walk_that_fails_in_the_child_process_leaves_the_walk_to_the_build(tmp_path, kind):
    not_a_folder = tmp_path / "raw"
    not_a_folder.write_text("a file", encoding="utf-8")
    assert kind(not_a_folder).result() is None
    stopped = kind(tmp_path)  # a build that fails before it needs the walk stops the child
    stopped.close()
    assert stopped.result() is None


def test_a_process_running_the_libraries_walks_in_a_fresh_interpreter_not_a_fork(tmp_path):
    """Once pyarrow is imported (this process runs its threads), the early walk is not forked."""
    assert "pyarrow" in sys.modules
    with raw_tree.early(tmp_path) as early:
        assert isinstance(early, raw_tree.Fresh) and early.result() is not None
    assert raw_tree.early(tmp_path / "missing") is None  # no folder: no child


def test_a_size_or_mtime_missing_from_the_walk_is_stat_ed(tmp_path):
    _tree_files(tmp_path, ["reports/a.yaml"])
    path = str(tmp_path / "reports" / "a.yaml")
    walked = raw_tree.walk(tmp_path, stats=True)
    assert raw_tree.size_and_mtime(path, walked) == raw_tree.size_and_mtime(path) == (6 + len("reports/"), os.stat(path).st_mtime_ns)
    with pytest.raises(FileNotFoundError):
        raw_tree.size_and_mtime(str(tmp_path / "gone.yaml"), walked)


def test_sizes_and_mtimes_are_each_files_from_the_walk_or_stat_ed(tmp_path):
    """The parse cache's look at every file at once: the walk's sizes and mtimes, and a file the
    walk did not stat (added since) stat-ed, in the order asked."""
    _tree_files(tmp_path, ["reports/a.yaml", "reports/b.yaml"])
    walked = raw_tree.walk(tmp_path, stats=True)
    _tree_files(tmp_path, ["reports/c.yaml"])
    paths = [*reversed(walked.paths), str(tmp_path / "reports" / "c.yaml")]
    got = raw_tree.sizes_and_mtimes(paths, walked)
    assert got.dtype == np.int64 and got.tolist() == [list(raw_tree.size_and_mtime(p)) for p in paths]
    assert raw_tree.sizes_and_mtimes([], walked).shape == (0, 2)
    assert raw_tree.sizes_and_mtimes(paths, None).tolist() == got.tolist()
    # the usual case, a run of the walk's own paths: sliced from its arrays
    assert raw_tree.sizes_and_mtimes(walked.paths, walked).tolist() == got[:2][::-1].tolist()
    # a file gone since the walk and since stat-ed by nobody fails as reading it would
    gone = raw_tree.walk(tmp_path, stats=True)
    os.remove(tmp_path / "reports" / "a.yaml")
    fresh = raw_tree.Tree(gone.root, gone.paths, gone.rels, gone.problems, gone.complete, *raw_tree._stats(gone.paths))
    assert fresh.sizes[0] == -1 and gone.paths[0] not in fresh.stats
    with pytest.raises(FileNotFoundError):
        raw_tree.sizes_and_mtimes(fresh.paths, fresh)


@pytest.mark.parametrize("files", [[], ["reports/a.yaml", "reports/b/c d.yaml", "sheets/s/events.csv"]])
def test_the_walk_sent_by_the_child_is_the_walk(tmp_path, files):
    """Tree.encoded / decoded, as the early walk's child sends its tree: the same paths, order,
    problems and stats; a walk without stats stays without."""
    _tree_files(tmp_path, files)
    for stats in (True, False):
        tree = raw_tree.walk(tmp_path, stats=stats)
        back = raw_tree.Tree.decoded(tree.encoded())
        assert (back.root, back.paths, back.rels, back.problems, back.complete) == (
            tree.root, tree.paths, tree.rels, tree.problems, tree.complete)
        assert back.stats == tree.stats and (back.stats is None) == (not stats)


def test_the_package_and_its_command_line_load_no_library_before_a_command_needs_it():
    """`import dataset` and the command line import neither pandas nor pyarrow (the build's early
    walk overlaps their import); `dataset.load` is still the function, also once the submodule of
    the same name is imported, and `csv_options` is found."""
    code = ("import sys, dataset, dataset.cli; light = not {'pandas', 'pyarrow'} & set(sys.modules); "
            "from dataset.load import read; import dataset.load as by_name; "
            "print(light, callable(dataset.load), dataset.load is by_name, dataset.csv_options.__name__)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.stdout.split() == ["True", "True", "True", "csv_options"], run.stderr


def test_collections_pause_for_the_imports_and_come_back_as_they_were():
    import gc

    from dataset.cli import collections_paused

    was = gc.isenabled()
    try:
        gc.enable()
        with collections_paused():
            assert not gc.isenabled()
        assert gc.isenabled()
        gc.disable()  # a caller that had them off keeps them off
        with collections_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        gc.enable()
        with pytest.raises(ImportError):
            with collections_paused():
                import dataset_no_such_module  # noqa: F401 - a failing import leaves them on again
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


def test_the_command_builds_with_its_early_walk_what_the_build_makes_without(tmp_path):
    """The command line's build (walk in a forked child process, parse cache) against the
    in-process build (walk in a fresh interpreter): the same release files, also after an edit
    the cache must notice (same size, new content)."""
    raw = copy_raw(MULTI_RAW, tmp_path / "raw")
    victim = raw / "reports" / "2023" / "wire-2023-11-20-jilib.yaml"

    def both(version: str) -> None:
        run = subprocess.run([sys.executable, "-m", "dataset", "build", "--raw", str(raw), "--out", str(tmp_path / "cmd"),
                              "--version", version], cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        build_cmd.run(raw, tmp_path / "lib", version)
        assert (tmp_path / "cmd" / version / "SHA256SUMS").read_bytes() == (tmp_path / "lib" / version / "SHA256SUMS").read_bytes()

    both("2024.07.0")
    text = victim.read_text(encoding="utf-8")
    edited = text.replace("killed: more than 30", "killed: more than 40", 1)
    assert edited != text
    victim.write_text(edited, encoding="utf-8")
    both("2024.07.1")
    assert (tmp_path / "cmd" / "2024.07.1" / "changes.csv").read_bytes() != b""


def test_a_walk_of_more_files_than_allowed_leaves_each_folder_to_its_own_walk(tmp_path, monkeypatch):
    monkeypatch.setattr(raw_tree, "MAX_FILES", 3)
    _tree_files(tmp_path, ["reports/a.yaml", "reports/b.yaml", "sheets/s/events.csv", "sheets/s/claims.csv"])
    tree = raw_tree.walk(tmp_path)
    assert not tree.complete
    assert files.listing(tmp_path, "reports", (".yaml",), tree)[1] == ["reports/a.yaml", "reports/b.yaml"]
    before = pipeline.fingerprint(tmp_path, {}, tree)
    assert before == pipeline.fingerprint(tmp_path, {})
    (tmp_path / "sheets" / "s" / "claims.csv").write_text("changed", encoding="utf-8")
    assert pipeline.fingerprint(tmp_path, {}, tree) != before  # every file hashed, too many to list or not


def test_joining_staged_parts_consumes_them_and_keeps_their_rows_in_order():
    parts = [yaml_reports.frames_of(yaml_reports.stage_rows(path.read_bytes(), path.name))
             for path in sorted((MULTI_RAW / "reports").rglob("*.yaml"))[:3]]
    expected = pd.concat([p.claims for p in parts], ignore_index=True)
    joined = Staged.concat(parts)
    assert all(p.claims is None for p in parts)
    assert joined.claims["claim"].tolist() == expected["claim"].tolist()
    assert joined.claims["file"].tolist() == expected["file"].tolist()
    chunks = [getattr(joined.claims[c].array, "_pa_array", None) for c in joined.claims.columns]
    assert all(c is None or c.num_chunks <= 1 for c in chunks)


def test_bench_measures_every_stage_with_its_cpu(tmp_path):
    """The benchmark's build measurement on the multi-report raw set: wall time, peak memory and
    the process's CPU (user, system) and page faults for every stage, summed over the stages'
    interleaved parts, within the whole build's. Measured, never asserted against a speed."""
    from dataset import bench

    result = bench.measure_build(MULTI_RAW, tmp_path / "out", "2024.07.0")
    assert set(bench.STAGES) <= set(result["stage_cpu"]) and result["rows"]["events"] > 0
    for stage in bench.STAGES:
        user, system, faults = result["stage_cpu"][stage]
        assert user >= 0 and system >= 0 and faults >= 0
    total = [sum(result["stage_cpu"][s][i] for s in result["stage_cpu"]) for i in range(3)]
    assert all(part <= whole + 1e-6 for part, whole in zip(total, result["cpu"]))
    lines = bench.table(result, None).splitlines()
    assert lines[0].split() == ["stage", "seconds", "peak", "MB", "user", "s", "system", "s", "faults", "k"]
    assert [line.split()[0] for line in lines[1:]] == [*bench.STAGES, "build"]


def test_bench_growth_compares_build_and_floor_of_one_invocation():
    from dataset import bench

    small = (1_000_000, {"seconds": 30.0, "cpu": [28.0, 10.0, 1]}, {"seconds": 5.0})
    large = (3_000_000, {"seconds": 105.0, "cpu": [90.0, 40.0, 1]}, {"seconds": 18.0})
    assert bench.growth(small, large) == ("growth from 1,000,000 events in this invocation: 3.00x the events, "
                                          "build 3.50x, floor 3.60x, build system time 4.00x")


def test_bench_alternates_floor_and_build_and_reports_the_median_runs(tmp_path, monkeypatch):
    """Each round measures the floor, then the build; the report is the median run of each (a
    run that happened, its stages from that run), every round listed, and the peak the highest
    of all builds: one slow or fast sample moves neither the ratio nor hides memory."""
    from dataset import bench

    order, builds, floors = [], iter([20.0, 18.0, 25.0]), iter([4.0, 7.0, 3.5])

    def child(kind, raw, out, version="2024.07.0"):
        order.append(kind)
        if kind == "load":
            return {"read_parquet": 1.0, "dataset_load": 1.1}
        if kind == "floor":
            return {"seconds": next(floors), "peak_mb": 1000.0, "cpu": [1.0, 1.0, 1]}
        seconds = next(builds)
        return {"seconds": seconds, "peak_mb": {20.0: 2100.0, 18.0: 2000.0, 25.0: 2500.0}[seconds],
                "cpu": [seconds, 1.0, 1], "rows": {"events": 5}, "stages": {"parse": seconds / 2},
                "stage_peak_mb": {}, "stage_cpu": {}}

    monkeypatch.setattr(bench, "_child", child)
    monkeypatch.setattr(bench, "_generated", lambda work, folder, n, write, what: tmp_path / "raw")
    text, result, floor = bench.report_size(10, tmp_path, *bench.measure_sizes([10], tmp_path, rounds=3)[10])
    assert order == ["floor", "build"] * 3 + ["load"]
    assert result["seconds"] == 20.0 and floor["seconds"] == 4.0
    lines = text.splitlines()
    assert lines[-1] == "build_s=20.00 floor_s=4.00 ratio=5.00 peak_mb=2500"
    assert "parse         10.00" in text  # the median build's own stages
    assert ("3 rounds, floor then build in each: build 20.00, 18.00, 25.00 s (median 20.00), floor 4.00, 7.00, "
            "3.50 s (median 4.00), ratio by round 5.00, 2.57, 7.14; build peaks 2100, 2000, 2500 MB") in lines
    assert bench.middle([{"seconds": 2.0}, {"seconds": 1.0}]) == {"seconds": 1.0}  # even: the lower middle


def test_bench_measures_the_sizes_in_turn_within_each_round_and_says_how_each_round_grew(tmp_path, monkeypatch):
    """1M floor, 1M build, 3M floor, 3M build, then the next round: the sizes compared meet the
    same machine. The larger size's report gives the growth of the median builds and of each
    round's pair."""
    from dataset import bench

    order = []
    seconds = {("build", 1): iter([10.0, 12.0, 11.0]), ("build", 3): iter([33.0, 36.0, 30.0]),
               ("floor", 1): iter([4.0, 4.0, 4.0]), ("floor", 3): iter([12.0, 12.0, 12.0])}

    def child(kind, raw, out, version="2024.07.0"):
        if kind == "load":
            return {"read_parquet": 1.0, "dataset_load": 1.1}
        size = int(raw.name)
        order.append((kind, size))
        took = next(seconds[(kind, size)])
        return {"seconds": took, "peak_mb": 1000.0 * size, "cpu": [took, 1.0, 1], "rows": {"events": size},
                "stages": {}, "stage_peak_mb": {}, "stage_cpu": {}}

    monkeypatch.setattr(bench, "_child", child)
    monkeypatch.setattr(bench, "_generated", lambda work, folder, n, write, what: tmp_path / str(n))
    runs = bench.measure_sizes([1, 3], tmp_path, rounds=3)
    assert order == [("floor", 1), ("build", 1), ("floor", 3), ("build", 3)] * 3
    small = bench.report_size(1, tmp_path, *runs[1])
    text, result, _ = bench.report_size(3, tmp_path, *runs[3], before=(1, small[1], small[2], runs[1][0]))
    assert result["seconds"] == 33.0
    assert "build 3.00x, floor 3.00x" in text  # the median builds: 33 over 11
    assert "build growth by round: 3.30, 3.00, 2.73 (median 3.00x)" in text.splitlines()


def test_synthetic_notes_and_quotes_are_each_rows_own_and_leave_the_other_columns_as_they_were(monkeypatch):
    """Real notes describe their own event and quotes their own claim: the generator gives each
    its own text of words drawn by Zipf's law (the most frequent word most often), the same for
    the same seed, from a stream that leaves every other column as generator 1 drew it."""
    from dataset import bench

    _, events, claims = bench.synthetic_tables(3000, seed=0)
    assert events["notes"].is_unique and claims["quote"].nunique() > 0.95 * len(claims)
    for texts, (least, below) in ((events["notes"], bench.NOTE_WORDS), (claims["quote"], bench.QUOTE_WORDS)):
        counts = texts.str.split(" ").str.len()
        assert counts.min() >= least and counts.max() < below
    words = events["notes"].str.split(" ").explode().value_counts()
    assert words.index[0] == bench.WORDS[0] and words.iloc[0] > 10 * words.iloc[100]
    _, again, claims_again = bench.synthetic_tables(3000, seed=0)
    pd.testing.assert_frame_equal(events, again)
    pd.testing.assert_frame_equal(claims, claims_again)
    monkeypatch.setattr(bench, "_texts", lambda rng, words, n, length: pd.Series(["x"] * n, dtype="str"))
    _, plain_events, plain_claims = bench.synthetic_tables(3000, seed=0)
    pd.testing.assert_frame_equal(events.drop(columns="notes"), plain_events.drop(columns="notes"))
    pd.testing.assert_frame_equal(claims.drop(columns="quote"), plain_claims.drop(columns="quote"))


def test_synthetic_reports_are_shaped_as_coding_has_them():
    """Generator 3: thousands of outlets; a report tells of one event or of several of one
    country and week; a second outlet adds claims only, under the event's key, with its own report
    columns, published after the event; associated actors are registered, named by a minority of
    events and among the victims of some claims."""
    from dataset import bench

    actors, events, claims = bench.synthetic_tables(20_000, seed=0)
    size = events.groupby("report_id", sort=False).size()
    assert (size == 1).mean() > 0.5 and size.max() > 3
    assert events.groupby("report_id")[["country", "published"]].nunique().max().tolist() == [1, 1]
    assert (events["report_id"] != events["report_id"].shift()).sum() == len(size)  # a report's rows are consecutive
    assert events["source"].nunique() > 1000 and events["source"].value_counts().iloc[0] > 20 * events["source"].value_counts().median()
    second = claims[claims["source"] != ""]
    assert not set(second["report_id"]) & set(events["report_id"])
    assert second.groupby("report_id")["key"].nunique().max() == 1
    assert 0.15 < second["key"].nunique() / len(events) < 0.4
    ends = events.set_index("key").loc[second["key"], ["date", "date_end"]].max(axis=1).to_numpy()
    assert (second["published"].to_numpy() >= ends).all()
    own = events.set_index("key").loc[second["key"], "source"].to_numpy()
    assert (second["source"].to_numpy() != own).all()
    assert (claims.loc[claims["source"] == "", "report_id"].isin(set(events["report_id"]))).all()
    named = set(actors["name"])
    for col in ("assoc_actor_1", "assoc_actor_2"):
        listed = events[col][events[col] != ""]
        assert 0.05 < len(listed) / len(events) < 0.3
        assert set(listed.str.split("; ").explode()) <= named
    assert claims["victims"].str.contains("; ").any()


@pytest.mark.parametrize("kind", ["sheets", "reports"])
def test_synthetic_raw_sets_build_without_a_problem(tmp_path, kind):
    """The bench builds what it generates, every event and claim kept: sheets cut into batches
    never inside a report, and YAML reports, exactly as many as asked, a second outlet's report
    after the report defining its event."""
    from dataset import bench

    raw = tmp_path / "raw"
    if kind == "sheets":
        bench.write_sheets(raw, 3000, batch=700)
        _, events, claims = bench.synthetic_tables(3000)
        batches = [pd.read_csv(p, dtype="str") for p in sorted(raw.glob("sheets/*/events.csv"))]
        assert len(batches) == 5 and sum(len(b) for b in batches) == 3000
        assert not set.intersection(*[set(b["report_id"]) for b in batches[:2]])
    else:
        bench.write_reports(raw, 400)
        assert len(list(raw.glob("reports/*/*.yaml"))) == 400
    outcome = build(raw, tmp_path / "out")
    tables = read_release(outcome.release)
    assert outcome.warnings == []
    if kind == "sheets":
        assert tables["events"]["event_key"].nunique() == 3000 and len(tables["claims"]) >= len(claims)
        assert tables["reports"]["report_id"].nunique() == events["report_id"].nunique() + claims.loc[claims["source"] != "", "report_id"].nunique()
    else:
        assert len(tables["reports"]) == 400 and (tables["events"]["n_sources"] > 1).any()


def test_a_raw_set_another_generator_wrote_is_written_afresh(tmp_path):
    """The bench's scratch raw sets outlive the code: one written by another version of the
    generator (or by none: no stamp) is removed and written again, one of this version kept."""
    from dataset import bench

    writes = []

    def write(raw, n):
        writes.append(n)
        (raw / "sheets").mkdir(parents=True)
        (raw / "sheets" / f"written-{len(writes)}").touch()

    raw = bench._generated(tmp_path, "sheets", 5, write, "events")
    assert bench._generated(tmp_path, "sheets", 5, write, "events") == raw and writes == [5]
    (raw / bench.STAMP).write_text("1", encoding="utf-8")
    bench._generated(tmp_path, "sheets", 5, write, "events")
    assert writes == [5, 5] and sorted(p.name for p in (raw / "sheets").iterdir()) == ["written-2"]
    (raw / bench.STAMP).unlink()
    bench._generated(tmp_path, "sheets", 5, write, "events")
    assert writes == [5, 5, 5] and (raw / bench.STAMP).read_text(encoding="utf-8") == str(bench.GENERATOR)


def test_bench_load_times_both_readers_in_turn_round_by_round(multi_release, monkeypatch):
    """Loading is timed as plain read_parquet and dataset.load in turn, each round reading the
    three tables, the best round of each kept: both meet the machine's same quiet moments."""
    import importlib

    from dataset import bench
    load = importlib.import_module("dataset.load")  # the module; `dataset.load` the attribute is its function
    calls = []
    real_read_parquet, real_load = pd.read_parquet, load.load
    monkeypatch.setattr(pd, "read_parquet", lambda path, *a, **k: calls.append(("pd", Path(path).stem))
                        or real_read_parquet(path, *a, **k))
    monkeypatch.setattr(load, "load", lambda release, t, **k: calls.append(("load", t)) or real_load(release, t, **k))
    times = bench.measure_load(multi_release, rounds=3)
    tables = ["events", "claims", "reports"]
    # dataset.load reads with pd.read_parquet too: each of its rounds is its call, then that read
    assert calls == [*[("pd", t) for t in tables], *[c for t in tables for c in (("load", t), ("pd", t))]] * 3
    assert set(times) == {"read_parquet", "dataset_load"} and all(0 < v < float("inf") for v in times.values())


@pytest.mark.parametrize("side_by_side_bytes", [512 * 1024**2, 0])
def test_sheet_batches_staged_side_by_side_keep_batch_order(tmp_path, monkeypatch, side_by_side_bytes):
    """Small batches are staged two at a time, big ones one at a time; either way the staged
    rows and problems are those of one batch after another, in the order of the batch folders."""
    from dataset import bench
    from dataset.readers import sheets

    monkeypatch.setattr(sheets, "SIDE_BY_SIDE_BYTES", side_by_side_bytes)
    bench.write_sheets(tmp_path, 900, batch=150)
    together = sheets.read(tmp_path)
    one_by_one = Staged.concat([sheets.stage_batch(tmp_path, {s: p for s in sheets.SHEETS
                                                              for p in [batch / f"{s}.csv"] if p.exists()})
                                for batch in sorted((tmp_path / "sheets").iterdir())])
    assert len(list((tmp_path / "sheets").iterdir())) == 6
    for name in ("reports", "events", "claims"):
        pd.testing.assert_frame_equal(getattr(together, name), getattr(one_by_one, name))
    assert together.problems == one_by_one.problems


def test_in_order_gives_results_in_call_order_whichever_thread_ends_first():
    import time

    from dataset import threads

    def after(seconds: float, value: int):
        return lambda: (time.sleep(seconds), value)[1]

    assert threads.in_order([after(0.05, 1), after(0.0, 2), after(0.01, 3)]) == [1, 2, 3]

    def fails(message: str):
        def call():
            raise ValueError(message)
        return call

    with pytest.raises(ValueError, match="first"):
        threads.in_order([after(0.02, 1), fails("first"), fails("second")])
    assert threads.soon(sum, [1, 2, 3]).result() == 6


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_ahead_gives_results_in_order_at_most_depth_calls_ahead(depth):
    """threads.ahead: results in call order, whichever call ends first; while the caller holds
    a result, at most `depth` calls beyond it have begun; a caller failing waits for those."""
    import threading
    import time

    from dataset import threads

    begun, ended, lock = [], [], threading.Lock()

    def call(i: int):
        def run():
            with lock:
                begun.append(i)
            time.sleep(0.02 if i % 2 == 0 else 0.0)  # the odd ones would end first
            with lock:
                ended.append(i)
            return i
        return run

    taken = []
    with threads.ahead([call(i) for i in range(7)], depth=depth) as results:
        for value in results:
            time.sleep(0.03)  # the calls ahead have time to run
            assert max(begun) <= value + depth
            taken.append(value)
    assert taken == list(range(7))

    begun.clear(), ended.clear()
    with pytest.raises(RuntimeError, match="caller failed"):
        with threads.ahead([call(i) for i in range(7)], depth=depth) as results:
            next(results)
            raise RuntimeError("caller failed")
    assert sorted(ended) == sorted(begun) and len(begun) <= 1 + depth


NUMBER_TEXTS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=-1e6, max_value=1e6).map(lambda x: f"{x:.6f}"),
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(["", " 1.5 ", "+7", ".5", "5.", "1e", "1e400", "-0", "0x10", "1,5", "Infinity", "NaN", "١٢"]),
    st.text(max_size=6),
)


@given(st.lists(st.one_of(st.none(), NUMBER_TEXTS), max_size=30))
def test_sheet_numbers_read_as_pandas_reads_them(cells):
    from dataset.readers import columns

    column = pd.Series(cells, dtype="str")
    text = columns.stripped(column.fillna(""))
    expected = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    expected_bad = (text != "") & (expected.isna() | ~np.isfinite(expected.fillna(0)))
    values, bad, _ = columns.number(column)
    pd.testing.assert_series_equal(bad, expected_bad)
    pd.testing.assert_series_equal(values, expected.where(~expected_bad))


@pytest.mark.parametrize("cell", ["1e400", "99999999999999999999", "-inf"])
def test_a_whole_number_cell_too_large_for_the_table_is_a_problem_of_its_row(tmp_path, cell):
    """Found by the sheets' fuzz test below: an infinite or 20-digit whole number read as a
    whole number and crashed the conversion to integers; it is a bad value of its row and field."""
    raw = tmp_path / "raw"
    raw.mkdir()
    sheets_from_yaml(MULTI_RAW, raw, "csv")
    sheet = raw / "sheets/batch-1/events.csv"
    events = pd.read_csv(sheet, dtype="str", keep_default_na=False)
    events.loc[1, "geo_precision"] = cell
    events.to_csv(sheet, index=False)
    with pytest.raises(BuildFailed) as failed:
        pipeline.compile_release(raw, [], today=TODAY)
    bad = [p for p in failed.value.problems if p.code == "bad_value"]
    assert [(p.field, p.event_key) for p in bad] == [("geo_precision", events.loc[1, "key"])]
    assert "row 3" in bad[0].message and "whole number" in bad[0].message


# Cells a coder or a machine might leave in a sheet: blanks, odd numbers and dates, a name
# where a number belongs, a list where one name belongs.
ODD_CELLS = ["", "   ", "0", "-1", "1e400", "99999999999999999999", "nan", "NaN", "2024-13-01", "2024-02-30",
             "Civilians", "Unknown", "dozens", "about 20", "a; b", ";", "yes", "true", "Mali", "MLI", "\t"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["events", "claims"]), st.integers(0, 10**6), st.integers(0, 10**6),
                          st.one_of(st.sampled_from(ODD_CELLS), st.text(max_size=12))), min_size=1, max_size=4))
def test_mutated_sheets_build_or_fail_cleanly(tmp_path_factory, edits):
    """Coding sheets with a few cells changed to odd values either build or fail with problems
    that name their file and say what is wrong: never a crash deep in the build (the YAML
    reports' fuzz test found one: a blank required field)."""
    raw = tmp_path_factory.mktemp("sheet-fuzz")
    sheets_from_yaml(MULTI_RAW, raw, "csv")
    folder = raw / "sheets" / "batch-1"
    tables = {name: pd.read_csv(folder / f"{name}.csv", dtype="str", keep_default_na=False) for name in ("events", "claims")}
    for name, row, column, value in edits:
        df = tables[name]
        df.iloc[row % len(df), column % len(df.columns)] = value
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    result = built_or_refused(raw)
    assert result is None or len(result.tables.events) > 0
