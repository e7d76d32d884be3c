"""Input that tries to hurt: clean, named errors within seconds; nothing read or written outside."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dataset import export, ids, pipeline, raw_tree
from dataset.problems import BuildFailed
from dataset.readers import files

from .conftest import FIXTURES, MULTI_RAW, ROOT, TODAY, build, copy_raw, write_raw

HOSTILE = FIXTURES / "hostile"
REFUSED = {
    "billion-laughs.yaml": "anchors and aliases",
    "python-tag.yaml": "not plain data",
    "deep-nesting.yaml": "nesting",
    "nul-bytes.yaml": "NUL byte",
    "invalid-utf8.yaml": "not valid UTF-8",
    "escaping-id.yaml": "not a valid identifier",
}


def problems_of(raw: Path) -> list:
    with pytest.raises(BuildFailed) as info:
        pipeline.compile_release(raw, [], today=TODAY)
    return info.value.problems


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_files_are_refused_by_name(name, tmp_path):
    # Refused before expansion: were an alias bomb expanded, this test would exhaust memory, not pass.
    raw = write_raw(tmp_path / "raw", [])
    shutil.copy(HOSTILE / name, raw / "reports" / name)
    problems = problems_of(raw)
    assert any(p.file == f"reports/{name}" and REFUSED[name] in p.message for p in problems), [str(p) for p in problems]
    assert not Path("/tmp/pwned-by-raw-yaml").exists()


def test_hostile_folder_in_a_subprocess_with_bounded_memory(tmp_path):
    raw = write_raw(tmp_path / "raw", [])
    for name in REFUSED:
        shutil.copy(HOSTILE / name, raw / "reports" / name)
    limit = 2 * 1024**3

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "dataset", "build", "--raw", str(raw), "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, preexec_fn=cap)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    for name in REFUSED:
        assert f"reports/{name}" in run.stderr
    assert sorted(p.name for p in out.iterdir()) == [".build.lock", ".cache", "build-report.csv", "build-report.json"]
    assert not any(p.is_dir() and p.name[0].isdigit() for p in out.iterdir())


def test_symlinks_out_of_the_raw_folder_are_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.yaml"
    secret.write_text("id: secret\n")
    raw = copy_raw(MULTI_RAW, tmp_path / "raw")
    os.symlink(secret, raw / "reports" / "link.yaml")
    os.symlink(outside, raw / "reports" / "linked-folder")
    problems = problems_of(raw)
    refused = {p.file for p in problems if p.code == "link_outside_raw"}
    assert refused == {"reports/link.yaml", "reports/linked-folder"}


def test_a_raw_file_is_read_only_if_it_lies_inside_the_raw_folder(tmp_path):
    # The readers' own guard, behind the walk's: a link (to a file, or a folder on the way) that
    # leads out is refused, with the file's name; one that stays inside is read.
    outside, raw = tmp_path / "outside", tmp_path / "raw"
    (raw / "reports").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.yaml").write_bytes(b"secret")
    (raw / "reports" / "own.yaml").write_bytes(b"own")
    os.symlink(outside / "secret.yaml", raw / "reports" / "link.yaml")
    os.symlink(outside, raw / "reports" / "folder")
    os.symlink(raw / "reports" / "own.yaml", raw / "reports" / "inside.yaml")
    os.mkfifo(outside / "pipe")
    os.symlink(outside / "pipe", raw / "reports" / "pipe.yaml")
    for name in ("link.yaml", "folder/secret.yaml", "pipe.yaml"):  # the pipe refused, not waited on
        with pytest.raises(PermissionError, match=f"reports/{name} resolves outside the raw folder"):
            files.read_bytes(raw / "reports" / name, raw)
        with pytest.raises(PermissionError, match="outside the raw folder"):
            files.sha256(raw / "reports" / name, raw)
    assert files.read_bytes(raw / "reports" / "inside.yaml", raw) == b"own"
    assert files.read_bytes(str(raw / "reports" / "own.yaml"), raw, raw_tree.real(raw)) == b"own"
    real_raw = tmp_path / "real-raw"
    raw.rename(real_raw)
    os.symlink(real_raw, raw)  # the raw folder itself may be a link
    assert files.read_bytes(raw / "reports" / "own.yaml", raw) == b"own"
    with pytest.raises(PermissionError):
        files.read_bytes(raw / "reports" / "link.yaml", raw)


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 1024 * 1024, 3 * 1024 * 1024 + 7])
def test_a_raw_file_is_read_whole_whatever_its_size(tmp_path, size):
    # read_bytes reads from the descriptor (its size and a byte more, then on to the end), not
    # through a file object: every byte, for an empty file and for one longer than a read
    raw = tmp_path / "raw"
    (raw / "reports").mkdir(parents=True)
    data = bytes(i % 251 for i in range(size))
    (raw / "reports" / "r.yaml").write_bytes(data)
    assert files.read_bytes(raw / "reports" / "r.yaml", raw) == data
    assert files.read_bytes(str(raw / "reports" / "r.yaml"), raw, raw_tree.real(raw)) == data


def test_a_folder_named_like_a_report_is_not_read_as_one(tmp_path):
    raw = tmp_path / "raw"
    (raw / "reports" / "folder.yaml").mkdir(parents=True)
    with pytest.raises(IsADirectoryError):
        files.read_bytes(raw / "reports" / "folder.yaml", raw)
    with pytest.raises(FileNotFoundError):
        files.read_bytes(raw / "reports" / "missing.yaml", raw)


def test_registry_symlinked_out_of_raw_is_refused(tmp_path):
    raw = copy_raw(MULTI_RAW, tmp_path / "raw")
    elsewhere = tmp_path / "ids.csv"
    elsewhere.write_text("event_id_cnty,event_key,event_date\n")
    os.symlink(elsewhere, raw / "event_ids.csv")
    assert any("outside the raw folder" in p.message for p in problems_of(raw))


@pytest.mark.parametrize("content", [
    b"event_id_cnty,event_key,event_date\nMLI1,a,2024-01-01,extra\n",  # a ragged row
    b"event_id_cnty,event_key,event_date\nMLI1,\xff\xfe,2024-01-01\n",  # not UTF-8
    b"event_id_cnty,event_key\nMLI1,a\n",  # a column missing
    b"",  # empty
    b"event_id_cnty,event_key,event_date,event_key\nMLI1,a,2024-01-01,b\n",  # a column named twice
])
def test_unreadable_committed_registry_is_a_located_problem(tmp_path, content):
    raw = copy_raw(MULTI_RAW, tmp_path / "raw")
    (raw / "event_ids.csv").write_bytes(content)
    found = [p for p in problems_of(raw) if p.file == "event_ids.csv"]
    assert [p.code for p in found] == ["unreadable_file"] and found[0].message


@pytest.mark.parametrize(("content", "field"), [
    (b'event_id_cnty,event_key,event_date\n"MLI1\n",mli-key,2024-01-01\n', "event_id_cnty"),  # a newline kept in quotes
    (b"event_id_cnty,event_key,event_date\nMLIx,mli-key,2024-01-01\n", "event_id_cnty"),
    (b"event_id_cnty,event_key,event_date\nMLI99999999999999999999,mli-key,2024-01-01\n", "event_id_cnty"),
    (b"event_id_cnty,event_key,event_date\nMLI1,mli-key,01/02/2024\n", "event_date"),
])
def test_a_committed_registry_row_that_is_not_an_id_is_a_located_problem(tmp_path, content, field):
    # Such an ID stopped the build with a traceback (pyarrow casting its number): it is the
    # row's problem, found with the rest, and the build fails cleanly.
    raw = copy_raw(MULTI_RAW, tmp_path / "raw")
    (raw / "event_ids.csv").write_bytes(content)
    found = [p for p in problems_of(raw) if p.file == "event_ids.csv"]
    assert [(p.code, p.field, p.event_key, p.message.split(":")[0]) for p in found] == [
        ("bad_value", field, "mli-key", "row 2")]


def test_a_folder_named_like_the_committed_registry_is_a_located_problem(tmp_path):
    # It raised IsADirectoryError out of the build (a traceback) instead of the file's problem
    raw = copy_raw(MULTI_RAW, tmp_path / "raw")
    (raw / "event_ids.csv").unlink(missing_ok=True)
    (raw / "event_ids.csv").mkdir()
    found = [p for p in problems_of(raw) if p.file == "event_ids.csv"]
    assert [(p.code, p.message) for p in found] == [("unreadable_file", "cannot be read: Is a directory")]


def test_committed_registry_with_a_bom_and_quotes_reads_as_written(tmp_path):
    text = '\ufeffevent_id_cnty,event_key,event_date\nMLI7,"key, with comma",2024-01-01\nMLI8,"",2024-01-02\n'
    path = tmp_path / "event_ids.csv"
    path.write_text(text, encoding="utf-8")
    registry = ids.read(path)
    assert registry.to_dict("list") == {"event_id_cnty": ["MLI7", "MLI8"], "event_key": ["key, with comma", ""],
                                        "event_date": ["2024-01-01", "2024-01-02"], "retired": ["", ""]}


def test_too_many_files_are_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(raw_tree, "MAX_FILES", 5)
    raw = write_raw(tmp_path / "raw", [])
    for i in range(8):
        (raw / "reports" / f"{i}.yaml").write_text("not: read\n")
    problems = problems_of(raw)
    assert [p.code for p in problems if p.code == "too_many_files"] == ["too_many_files"]


def test_version_cannot_escape_the_output_folder(tmp_path):
    run = subprocess.run([sys.executable, "-m", "dataset", "build", "--raw", str(MULTI_RAW), "--out", str(tmp_path / "out"),
                          "--version", "../../escaped"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2 and "does not follow the scheme" in run.stderr
    assert not (tmp_path / "escaped").exists()


def test_formula_and_markup_text_is_kept_exact_in_the_release(tmp_path):
    raw = copy_raw(MULTI_RAW, tmp_path / "raw")
    shutil.copy(HOSTILE / "formula-and-markup.yaml", raw / "reports" / "formula-and-markup.yaml")
    rel = build(raw, tmp_path / "out").release
    for fmt in ("parquet", "csv"):
        events = pd.read_parquet(rel / "events.parquet") if fmt == "parquet" else pd.read_csv(rel / "events.csv", keep_default_na=False)
        e = events[events["event_key"] == "hostile-formula-event"].iloc[0]
        assert e["location"] == "@SUM(1+1)" and e["admin2"] == "-2+3"
        assert e["source"] == '=HYPERLINK("http://evil.example","Test Wire")'
        assert e["notes"].startswith("<script>alert('notes')</script>")
    claims = pd.read_parquet(rel / "claims.parquet")
    assert "=1+1" in set(claims["claimant"])
    sheet = export.acled_csv(pd.read_parquet(rel / "events.parquet"), spreadsheet=True).decode("utf-8-sig")
    assert "'@SUM(1+1)" in sheet and "'=HYPERLINK" in sheet and "'-2+3" in sheet
    assert ",@SUM" not in sheet and ',"=HYPERLINK' not in sheet
    plain = export.acled_csv(pd.read_parquet(rel / "events.parquet")).decode("utf-8")
    assert ",@SUM(1+1)," in plain


def test_sheet_with_a_giant_field_or_broken_quoting_is_refused(tmp_path):
    raw = write_raw(tmp_path / "raw", [])
    batch = raw / "sheets" / "b"
    batch.mkdir(parents=True)
    giant = "x" * (100 * 1024 * 1024)  # far larger than the reader's blocks: refused
    (batch / "events.csv").write_text(f'report_id,source,notes\nr1,Wire,"{giant}"\n', encoding="utf-8")
    (batch / "claims.csv").write_text('report_id,key,claimant,victims,killed\nr1,"broken,quote,x,y,1\n', encoding="utf-8")
    problems = problems_of(raw)
    unreadable = {p.file: p.message for p in problems if p.code == "unreadable_file"}
    assert set(unreadable) == {"sheets/b/events.csv", "sheets/b/claims.csv"}
    assert "larger than 16 MB, or a quote is never closed" in unreadable["sheets/b/events.csv"]
