"""Releases people can trust: versions, stable IDs, changelog, self-description, atomic publishing."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import filelock
import pandas as pd
import pytest
import yaml
from frictionless import validate as frictionless_validate

import dataset
from dataset import build as build_cmd
from dataset import codebook, release

from .conftest import MULTI_RAW, ROOT, build, copy_raw, read_release


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def two_versions(tmp_path):
    """Release A from the multi fixture; B adds a report, edits a claim, deletes an event."""
    a = copy_raw(MULTI_RAW, tmp_path / "A")
    b = copy_raw(MULTI_RAW, tmp_path / "B")
    (b / "reports/2023/wire-2023-11-20-jilib.yaml").unlink()
    radio = b / "reports/2024/radio-2024-03-06-djibo.yaml"
    radio.write_text(radio.read_text().replace("killed: about 25", "killed: about 30"))
    new = {"id": "new-2024-08-10", "source": "Test Wire", "source_scale": "International", "published": "2024-08-10",
           "events": [{"key": "mli-kidal-2024-08-09", "date": "2024-08-09", "time_precision": 1,
                       "event_type": "Battles", "sub_event_type": "Armed clash", "actor1": "CSP-DPA",
                       "actor2": "Military Forces of Mali (2021-)", "country": "Mali", "admin1": "Kidal",
                       "location": "Kidal", "latitude": 18.4411, "longitude": 1.4078, "geo_precision": 1,
                       "claims": [{"claimant": "CSP-DPA", "victims": ["Military Forces of Mali (2021-)"], "killed": 5}]}]}
    (b / "reports/2024/new.yaml").write_text(yaml.safe_dump(new))
    out = tmp_path / "out"
    ra = build(a, out, "2024.07.0").release
    rb = build(b, out, "2024.08.0").release
    return ra, rb, out


def test_changelog_names_exactly_the_three_changes(two_versions):
    ra, rb, _ = two_versions
    changes = pd.read_csv(rb / "changes.csv", dtype="str", keep_default_na=False)
    events = changes[changes["table"] == "events"]
    assert set(events.loc[events["change"] == "added", "event_key"]) == {"mli-kidal-2024-08-09"}
    assert set(events.loc[events["change"] == "deleted", "id"]) == {"SOM1"}
    claims = changes[changes["table"] == "claims"]
    modified = claims[claims["change"] == "modified"]
    assert set(modified["id"]) == {"radio-2024-03-06-djibo#bfa-djibo-2024-03-03#1"}
    assert modified.set_index("field").loc["killed", ["old", "new"]].tolist() == ["about 25", "about 30"]
    assert set(claims.loc[claims["change"] == "added", "event_key"]) == {"mli-kidal-2024-08-09"}
    assert set(claims.loc[claims["change"] == "deleted", "event_key"]) == {"som-jilib-2023-11-19"}
    log = (rb / "CHANGELOG.md").read_text()
    assert "## 2024.08.0 (changes since 2024.07.0)" in log and "## 2024.07.0" in log
    assert "SOM1 (som-jilib-2023-11-19) - deleted" in log


def test_untouched_events_keep_their_ids_and_deleted_ids_are_not_reused(two_versions):
    ra, rb, _ = two_versions
    old = read_release(ra)["events"].set_index(["event_key", "event_date"])["event_id_cnty"]
    new = read_release(rb)["events"].set_index(["event_key", "event_date"])["event_id_cnty"]
    common = old.index.intersection(new.index)
    assert (old[common] == new[common]).all() and len(common) == len(new) - 1 == len(old) - 1
    assert new.xs("mli-kidal-2024-08-09").tolist() == ["MLI5"]  # after MLI1-4; SOM1 stays retired
    registry = pd.read_csv(rb / "event_ids.csv")
    assert "SOM1" in set(registry["event_id_cnty"])


def test_diff_command_matches_the_published_changes(two_versions):
    ra, rb, out = two_versions
    run = subprocess.run([sys.executable, "-m", "dataset", "diff", str(ra), str(rb), "--csv", str(out / "d.csv")],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (out / "d.csv").read_bytes() == (rb / "changes.csv").read_bytes()
    assert "events: 1 added, 1 deleted, 1 modified" in run.stdout


def test_checksums_manifest_and_data_package_agree(two_versions):
    _, rb, _ = two_versions
    assert release.verify(rb) == []
    manifest = json.loads((rb / "manifest.json").read_text())
    assert manifest["version"] == "2024.08.0" and manifest["previous_version"] == "2024.07.0"
    assert manifest["rows"] == {"events": 7, "claims": 16, "reports": 6}
    assert len(manifest["raw_fingerprint"]) == 64
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=rb, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_data_package_is_valid_frictionless(two_versions):
    _, rb, _ = two_versions
    report = frictionless_validate(str(rb / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


def test_frictionless_catches_a_value_outside_the_schema(tmp_path, multi_release):
    bad = shutil.copytree(multi_release, tmp_path / "bad")
    events = bad / "events.csv"
    events.write_text(events.read_text().replace('"Battles"', '"Battle"', 1))
    package = json.loads((bad / "datapackage.json").read_text())
    for r in package["resources"]:
        r.pop("hash"), r.pop("bytes")
    (bad / "datapackage.json").write_text(json.dumps(package))
    assert not frictionless_validate(str(bad / "datapackage.json")).valid


def test_codebook_and_data_package_come_from_the_schemas(multi_release):
    package = json.loads((multi_release / "datapackage.json").read_text())
    for resource in package["resources"]:
        fields = [f["name"] for f in resource["schema"]["fields"]]
        assert fields == [c["name"] for c in codebook.columns(resource["name"])]
    text = (multi_release / "CODEBOOK.md").read_text()
    for c in codebook.columns("events") + codebook.columns("claims"):
        assert f"`{c['name']}`" in text and c["description"][:40] in text


def test_committed_codebook_is_current():
    assert (ROOT / "CODEBOOK.md").read_text(encoding="utf-8") == codebook.markdown(), \
        "regenerate it: python -m dataset codebook --out CODEBOOK.md"


def test_codebook_worked_example_is_what_the_seed_release_says(seed_release):
    _, _, totals = codebook.worked_example()
    event = read_release(seed_release)["events"].iloc[0]
    assert {k: int(event[k]) for k in totals} == totals


def test_loader_gives_schema_dtypes_from_parquet_and_csv(multi_release):
    for table in ("events", "claims", "reports"):
        p = dataset.load(multi_release, table)
        c = dataset.load(multi_release, table, format="csv")
        pd.testing.assert_frame_equal(p, c)
    events = dataset.load(multi_release, "events")
    assert isinstance(events["event_type"].dtype, pd.CategoricalDtype)
    assert str(events["event_date"].dtype) == "datetime64[us]"
    assert events["admin3"].eq("").all() and events["admin3"].notna().all()  # empty string, not missing
    assert (events["tags"] == "").sum() == len(events) - 1
    claims = dataset.load(multi_release, "claims")
    assert str(claims["wounded_best"].dtype) == "Int64" and claims["wounded_best"].isna().sum() == len(claims) - 1


def test_loader_resolves_versions_and_latest(multi_release):
    releases = multi_release.parent
    a = dataset.load("latest", "reports", releases=releases)
    b = dataset.load(multi_release.name, "reports", releases=releases)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(FileNotFoundError):
        dataset.load("1999.01.0", releases=releases)


def test_acled_style_scripts_run_on_the_csv(multi_release):
    # Typical public analysis code written against ACLED exports, run unchanged on events.csv.
    df = pd.read_csv(multi_release / "events.csv")
    df["event_date"] = pd.to_datetime(df["event_date"])
    monthly = df.groupby([df["event_date"].dt.to_period("M"), "country"])["fatalities"].sum()
    assert monthly.sum() == df["fatalities"].sum()
    battles = df[df["event_type"] == "Battles"]
    assert len(battles) == 4 and battles["sub_event_type"].eq("Armed clash").all()
    vac = df[df["civilian_targeting"] == "Civilians targeted"]
    assert list(vac["event_id_cnty"]) == ["BFA1"]
    assert df["fatalities"].dtype == "int64" and df["inter1"].dtype == "int64" and df["iso"].dtype == "int64"
    by_dyad = df.groupby(["actor1", "actor2"], dropna=False).size()
    assert by_dyad.sum() == len(df)
    assert list(df.columns[:5]) == ["event_id_cnty", "event_date", "year", "time_precision", "disorder_type"]


def test_acled_export_tool_flavour(multi_release, tmp_path):
    out = tmp_path / "acled.csv"
    run = subprocess.run([sys.executable, "-m", "dataset", "export", "--release", str(multi_release), "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    df = pd.read_csv(out)
    assert list(df.columns) == list(pd.read_csv(multi_release / "events.csv").columns[:31])
    dates = pd.to_datetime(df["event_date"], format="%d %B %Y")  # what export-tool scripts hard-code
    assert dates.min() == pd.Timestamp("2023-10-13") and "03 March 2024" in set(df["event_date"])


def test_same_version_same_input_is_up_to_date(tmp_path):
    first = build(MULTI_RAW, tmp_path)
    before = tree_bytes(first.release)
    again = build(MULTI_RAW, tmp_path)
    assert first.published and not again.published
    assert tree_bytes(again.release) == before


def test_existing_release_is_never_overwritten(tmp_path):
    raw = copy_raw(MULTI_RAW, tmp_path / "raw")
    out = tmp_path / "out"
    first = build(raw, out)
    before = tree_bytes(first.release)
    note = raw / "reports/2024/radio-2024-03-06-djibo.yaml"
    note.write_text(note.read_text().replace("about 25", "about 26"))
    with pytest.raises(release.ReleaseError, match="never overwritten"):
        build(raw, out)
    assert tree_bytes(first.release) == before


def test_a_second_build_waits_its_turn(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with filelock.FileLock(out / build_cmd.LOCK):
        with pytest.raises(release.ReleaseError, match="another build is running"):
            build(MULTI_RAW, out)
    assert not any(p.name[0].isdigit() for p in out.iterdir())


def test_full_disk_gives_an_error_and_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "out"
    good = build(MULTI_RAW, out, "2024.07.0").release
    before = tree_bytes(good)

    real_write = release._Hashing.write

    def full(self, data):  # the disk fills after 1000 bytes of any file
        if self.size + memoryview(data).nbytes > 1000:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(release._Hashing, "write", full)
    with pytest.raises(release.ReleaseError, match="No space left"):
        build(MULTI_RAW, out, "2024.08.0")
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith((".", "build-report"))) == ["2024.07.0", "latest"]
    assert tree_bytes(good) == before and os.readlink(out / "latest") == "2024.07.0"


def test_unwritable_output_folder_gives_an_error_not_a_traceback(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the releases folder should be")
    run = subprocess.run([sys.executable, "-m", "dataset", "build", "--raw", str(MULTI_RAW), "--out", str(blocker)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "cannot use output folder" in run.stderr


def test_verify_names_a_changed_file(tmp_path, multi_release):
    copy = shutil.copytree(multi_release, tmp_path / "copy")
    target = copy / "claims.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    run = subprocess.run([sys.executable, "-m", "dataset", "verify", str(copy)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1
    assert "claims.parquet: sha256 differs from the manifest" in run.stdout
    assert "events.parquet" not in run.stdout


def test_killed_build_leaves_the_previous_release_intact(tmp_path):
    """SIGKILL a real build the moment its temporary release folder appears (mid-write)."""
    raw = copy_raw(MULTI_RAW, tmp_path / "raw")
    out = tmp_path / "out"
    good = build(raw, out, "2024.07.0").release
    before = tree_bytes(good)
    killed_mid_write = 0
    for attempt in range(3):
        stale = {p.name for p in out.iterdir()}
        proc = subprocess.Popen([sys.executable, "-m", "dataset", "build", "--raw", str(raw), "--out", str(out),
                                 "--version", f"2024.08.{attempt}"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if any(p.name.startswith(release.TMP_PREFIX) and p.name not in stale for p in out.iterdir()):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.0005)
        proc.wait()
        killed = proc.returncode == -signal.SIGKILL
        visible = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
        if killed:
            killed_mid_write += 1
            assert f"2024.08.{attempt}" not in visible
            assert os.readlink(out / "latest") == "2024.07.0"
        else:  # the build won the race and finished: then it must be complete and verified
            assert release.verify(out / f"2024.08.{attempt}") == []
        assert tree_bytes(good) == before
    assert killed_mid_write >= 1, "the build always finished before it could be killed mid-write"
    # the next build sweeps what the killed ones left behind and publishes normally
    final = build(raw, out, "2024.09.0")
    assert final.published and not any(p.name.startswith(release.TMP_PREFIX) for p in out.iterdir())


def test_loader_refuses_a_changed_file_and_can_rerun_the_schema(tmp_path, multi_release):
    copy = shutil.copytree(multi_release, tmp_path / "copy")
    assert len(dataset.load(copy, "events", validate="schema")) == 7
    data = bytearray((copy / "events.csv").read_bytes())
    data[-3] ^= 0x01
    (copy / "events.csv").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="not the file the release published"):
        dataset.load(copy, "events", format="csv")
    assert len(dataset.load(copy, "events")) == 7  # the Parquet file is intact


def test_loader_says_a_file_is_not_the_published_one_before_it_fails_to_read_it(tmp_path, multi_release):
    """A damaged Parquet file is refused as not the published file, not with pyarrow's error."""
    copy = shutil.copytree(multi_release, tmp_path / "copy")
    data = bytearray((copy / "events.parquet").read_bytes())
    data[len(data) // 2:] = b"\0" * (len(data) - len(data) // 2)
    (copy / "events.parquet").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="not the file the release published"):
        dataset.load(copy, "events")
