"""Typed loading of a release for pandas users: the schema's dtypes from Parquet or CSV alike.

    >>> import dataset
    >>> events = dataset.load("latest", "events")                 # doctest: +SKIP
    >>> claims = dataset.load("2024.07.0", "claims", format="csv")  # doctest: +SKIP

Without this package, the CSV reads the same way with plain pandas and `csv_options(table)`,
whose values the codebook prints (dtype, parse_dates, keep_default_na, na_values).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

import schemas

from .release import MANIFEST, file_digest, read_manifest

FORMATS = ("parquet", "csv")


def csv_options(table: str) -> dict[str, Any]:
    """Keyword arguments for `pd.read_csv` that give exactly the Parquet frame.

    Text columns never hold missing values (empty string means "none", as in ACLED), so only
    nullable number columns read an empty field as missing.
    """
    model = schemas.model(table)
    dtypes = schemas.pandas_dtypes(model)
    columns = model.to_schema().columns
    dates = [c for c, t in dtypes.items() if schemas.kind(t) == "date"]
    return {
        "dtype": {c: t for c, t in dtypes.items() if c not in dates},
        "parse_dates": dates,
        "keep_default_na": False,
        "na_values": {c: [""] for c, col in columns.items() if col.nullable},
        "encoding": "utf-8",
    }


def release_path(version: str | os.PathLike = "latest", releases: str | os.PathLike | None = None) -> Path:
    """The folder of a release: a path to one, or a version (or "latest") under `releases`."""
    candidate = Path(version)
    if candidate.is_dir() and (candidate / "manifest.json").exists():
        return candidate
    root = Path(releases) if releases is not None else Path(os.environ.get("DATASET_RELEASES", "releases"))
    path = root / str(version)
    if not (path / "manifest.json").exists():
        raise FileNotFoundError(f"no release {str(version)!r} under {root.resolve()} (build one with `make build`)")
    return path


def file_name(table: str, format: str = "parquet") -> str:
    """The release file holding `table` in `format`; review tables (links) exist as CSV only."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    return f"{table}.csv" if format == "csv" or table in schemas.REVIEW_TABLES else f"{table}.parquet"


def read(path: Path, table: str, format: str = "parquet") -> pd.DataFrame:
    """Read one table file with the published dtypes (no validation). Review tables (links) are
    published as CSV only, so they are read from CSV whatever `format` says."""
    model = schemas.model(table)
    name = file_name(table, format)
    df = pd.read_parquet(path / name) if name.endswith(".parquet") else pd.read_csv(path / name, **csv_options(table))
    return typed(table, df, model)


def typed(table: str, df: pd.DataFrame, model=None) -> pd.DataFrame:
    """`df` (rows of `table` as read from a release file) with the published dtypes."""
    dtypes = schemas.pandas_dtypes(model or schemas.model(table))
    return df.astype({c: t for c, t in dtypes.items() if c in df and df[c].dtype != t})


def load(version: str | os.PathLike = "latest", table: str = "events", *, releases: str | os.PathLike | None = None,
         format: str = "parquet", validate: bool | str = True) -> pd.DataFrame:
    """Load `table` of a release with the schema's dtypes, validated.

    `version` is "latest", a version such as "2024.07.0", or the path of a release folder;
    `table` is events, claims, reports, or the review table links (CSV only).
    Every table was validated against its schema when the release was built; `validate=True`
    (the default) proves the file is that validated file (its sha256 and size match the
    manifest) and that the frame has the schema's columns and exact dtypes, at a small fraction
    of the cost of reading. `validate="schema"` also runs the full schema checks again;
    `validate=False` skips both.
    """
    path = release_path(version, releases)
    if validate:
        _check_file(path, file_name(table, format))
    df = read(path, table, format)
    if validate:
        failures = schemas.validate(table, df) if validate == "schema" else _structure(table, df)
        if len(failures):
            first = failures.iloc[0]
            raise ValueError(f"{table} fails its schema in {len(failures)} place(s), e.g. {first.check} on "
                             f"{first.column or 'the table'}: {first.failure_case}")
    return df


def _check_file(path: Path, name: str) -> None:
    listed = read_manifest(path)["files"].get(name)
    actual = file_digest(path / name)
    if listed is None or (actual.sha256, actual.bytes) != (listed["sha256"], listed["bytes"]):
        raise ValueError(f"{path / name} is not the file the release published (sha256 or size differs from "
                         f"{MANIFEST}); run `python -m dataset verify {path}`")


def _structure(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Columns in order and exact dtypes (the cheap part of the schema)."""
    expected = list(schemas.pandas_dtypes(schemas.model(table)))
    rows = [{"table": table, "column": "", "check": "columns", "row": -1,
             "failure_case": f"columns {list(df.columns)} differ from {expected}"}] if list(df.columns) != expected else []
    rows += [{"table": table, "column": "", "check": "exact_dtype", "row": -1, "failure_case": msg}
             for msg in schemas.fields.exact_dtype_problems(df, schemas.model(table))]
    return pd.DataFrame(rows, columns=schemas.FAILURE_COLUMNS)
