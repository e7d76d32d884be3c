"""Exports of a release for tools that expect another format.

`acled_csv` writes the ACLED export tool's flavour (the 31 ACLED columns, dates like
`27 July 2024`) for scripts that hard-code `%d %B %Y`. With `spreadsheet=True` the file is meant
for Excel or LibreOffice: a UTF-8 byte-order mark, and text that starts with =, +, -, @ (or a
tab or carriage return) prefixed with an apostrophe so it is never run as a formula. The release's
own CSV and Parquet files keep such text exact: they are for data tools, not spreadsheets.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

import schemas

ACLED_COLUMNS = list(schemas.pandas_dtypes(schemas.Events))[:31]
ACLED_DATE_FORMAT = "%d %B %Y"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Text a spreadsheet would run as a formula, made inert (OWASP CSV injection advice)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, (pd.StringDtype, pd.CategoricalDtype)):
            out[col] = out[col].astype("str").map(neutralise)
    return out


def acled_csv(events: pd.DataFrame, spreadsheet: bool = False) -> bytes:
    """The events as an ACLED-export-tool CSV (31 columns, `27 July 2024` dates)."""
    df = events[ACLED_COLUMNS].copy()
    df["event_date"] = df["event_date"].dt.strftime(ACLED_DATE_FORMAT)
    if spreadsheet:
        df = spreadsheet_safe(df)
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    data = buf.getvalue().encode("utf-8")
    return b"\xef\xbb\xbf" + data if spreadsheet else data
