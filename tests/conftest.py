"""Shared test helpers: write raw folders from dicts, build them, read releases back."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dataset import build as build_cmd
from dataset import pipeline
from dataset.problems import ERROR, BuildFailed

ROOT = Path(__file__).resolve().parents[1]
SEED_RAW = ROOT / "raw"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MULTI_RAW = FIXTURES / "raw_multi"
TODAY = dt.date(2026, 1, 1)

ACTORS = [
    {"name": "CSP-DPA", "inter": 2, "aliases": ["Strategic Framework for the Defense of the People of Azawad"]},
    {"name": "Military Forces of Mali (2021-)", "inter": 1, "aliases": ["Malian army", "FAMa"]},
    {"name": "Wagner Group", "inter": 8, "aliases": ["Wagner"]},
    {"name": "Civilians (Mali)", "inter": 7},
    {"name": "JNIM: Group for Support of Islam and Muslims", "inter": 2, "aliases": ["JNIM"]},
]


def event(**overrides) -> dict:
    base = {
        "key": "test-event-1", "date": dt.date(2024, 7, 26), "time_precision": 1,
        "event_type": "Battles", "sub_event_type": "Armed clash",
        "actor1": "CSP-DPA", "assoc_actor_1": [], "actor2": "Military Forces of Mali (2021-)",
        "assoc_actor_2": ["Wagner Group"], "country": "Mali", "admin1": "Kidal", "admin2": "Abeibara",
        "admin3": None, "location": "Tinzaouaten", "latitude": 19.9561, "longitude": 2.9692,
        "geo_precision": 1, "civilian_targeting": False, "tags": [], "notes": "Test event.",
        "claims": [claim()],
    }
    base.update(overrides)
    return base


def claim(**overrides) -> dict:
    base = {"claimant": "CSP-DPA", "victims": ["Military Forces of Mali (2021-)"], "killed": "dozens",
            "quote": "dozens killed"}
    base.update(overrides)
    return base


def report(**overrides) -> dict:
    base = {
        "id": "test-report-1", "source": "Test Wire", "source_scale": "International",
        "published": dt.date(2024, 7, 28), "url": "https://example.org/1", "headline": "Test",
        "language": "en", "text": "Text of a report made up for a test.", "events": [event()],
    }
    base.update(overrides)
    return base


def write_raw(root: Path, reports: list[dict], actors: list[dict] | None = None) -> Path:
    """A raw folder with one YAML file per report (named by its id, or by position)."""
    (root / "reports").mkdir(parents=True, exist_ok=True)
    (root / "actors.yaml").write_text(yaml.safe_dump(ACTORS if actors is None else actors, sort_keys=False), encoding="utf-8")
    for i, rep in enumerate(reports):
        name = rep.get("id") if isinstance(rep, dict) and isinstance(rep.get("id"), str) else f"report-{i}"
        (root / "reports" / f"{i:03d}-{name}.yaml").write_text(yaml.safe_dump(rep, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return root


def build(raw: Path, out: Path, version: str = "2024.07.0") -> build_cmd.Outcome:
    return build_cmd.run(raw, out, version, today=TODAY)


def compile_raw(raw: Path) -> pipeline.Result:
    return pipeline.compile_release(raw, [], today=TODAY)


def built_or_refused(raw: Path) -> pipeline.Result | None:
    """compile_release of `raw`: its result, or None when the build failed as it should, with
    at least one error and every problem naming its file and saying what is wrong. Anything
    else it raises (a crash) fails the fuzz tests that call it."""
    try:
        return pipeline.compile_release(raw, [], today=TODAY)
    except BuildFailed as failed:
        assert any(p.severity == ERROR for p in failed.problems)
        assert all(p.file and p.message for p in failed.problems)
        return None


def read_release(path: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(path / f"{name}.parquet") for name in ("events", "claims", "reports")}


def copy_raw(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@pytest.fixture(scope="session")
def seed_release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("seed-releases")
    return build(SEED_RAW, out).release


@pytest.fixture(scope="session")
def multi_release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("multi-releases")
    return build(MULTI_RAW, out).release


@pytest.fixture
def deep() -> callable:
    return copy.deepcopy


# `HYPOTHESIS_PROFILE=thorough make test` runs every property with many more examples.
import os as _os  # noqa: E402

from hypothesis import settings as _settings  # noqa: E402

_settings.register_profile("default", max_examples=100, deadline=None)
_settings.register_profile("thorough", max_examples=2000, deadline=None)
_settings.load_profile(_os.environ.get("HYPOTHESIS_PROFILE", "default"))
