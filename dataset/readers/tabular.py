"""Third-party CSV exports as a grid of text cells: byte-order marks, tag rows, missing headers.

Shared by the ACLED and UCDP GED adapters. Every cell stays text ("" when empty), so nothing is
guessed before a layout says what a column means; numbers and dates are converted later, column
by column, where a failure can be located at its row. A row is numbered by the line of the file
it starts on (the header is row 1), which is what an editor or spreadsheet shows.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field

import pandas as pd

from .columns import stripped

MAX_BYTES = 4 * 1024 ** 3
csv.field_size_limit(64 * 1024 * 1024)  # UCDP's source_article cells can be long


@dataclass(frozen=True)
class Cells:
    """The non-blank records of a CSV file, as read."""

    records: list[list[str]]
    lines: list[int]  # line of the file each record starts on


@dataclass(frozen=True)
class Grid:
    """The data rows of a file under its column names."""

    columns: list[str]
    rows: pd.DataFrame        # one text column per name in `columns`, index 0..n-1
    row_number: pd.Series     # line each row starts on
    width_problem: pd.Series  # "" or why the row's field count differs from the header's
    row_sha256: pd.Series     # sha256 of the row's cells: identifies the exact version read
    _text: dict[str, pd.Series] = field(default_factory=dict, repr=False, compare=False)

    def text(self, name: str) -> pd.Series:
        """A column's cells without surrounding space ("" in every row if the file has no such
        column), stripped once however often an adapter asks. Read-only: callers derive new columns."""
        if name not in self._text:
            self._text[name] = (stripped(self.rows[name]) if name in self.rows.columns
                                else pd.Series("", index=self.rows.index, dtype=str))
        return self._text[name]


def read_cells(data: bytes) -> tuple[Cells | None, str | None]:
    """Every non-blank record of a CSV file as text cells; or (None, why it cannot be read)."""
    if len(data) > MAX_BYTES:
        return None, f"file is {len(data):,} bytes; the limit is {MAX_BYTES:,}"
    nul = data.find(b"\x00")
    if nul >= 0:
        return None, f"contains a NUL byte at offset {nul} (binary, zipped or UTF-16 file?)"
    try:
        text = data.decode("utf-8-sig")  # exports from the ACLED API and HDX may start with a BOM
    except UnicodeDecodeError as err:
        return None, f"not valid UTF-8 at byte {err.start}; save the export as UTF-8"
    records, lines = [], []
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append(record)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as err:
        return None, f"not a readable CSV file (line {reader.line_num}: {err})"
    if not records:
        return None, "the file holds no records"
    return Cells(records, lines), None


def normalise(name: str) -> str:
    """Column names compared without case or surrounding space (old exports are UPPERCASE)."""
    return name.strip().lstrip("\ufeff").lower()


def is_tag_row(record: list[str]) -> bool:
    """An HDX hashtag row (`#date`, `#adm1+name`, ...) right under the header."""
    filled = [c.strip() for c in record if c.strip()]
    return bool(filled) and all(c.startswith("#") for c in filled)


def grid(cells: Cells, columns: list[str] | None) -> Grid:
    """The data rows under `columns`; when `columns` is None the first record is the header.

    An HDX tag row under the header is dropped. A row with more or fewer fields than the header
    is kept with a `width_problem` (a comma in an unquoted field shifts every value after it),
    so the adapter can refuse it by name rather than read shifted values.
    """
    first = 0
    if columns is None:
        columns = [normalise(c) for c in cells.records[0]]
        first = 1
        if len(cells.records) > 1 and is_tag_row(cells.records[1]):
            first = 2
    width = len(columns)
    body = cells.records[first:]
    padded = [(r + [""] * width)[:width] for r in body]
    rows = pd.DataFrame(padded, columns=columns, dtype=object).astype(str) if body else \
        pd.DataFrame({c: pd.Series([], dtype=str) for c in columns})
    problems = [f"has {len(r)} fields where the header has {width}" if len(r) != width
                and any(c.strip() for c in r[width:]) or len(r) < width else "" for r in body]
    sha = [hashlib.sha256("\x1f".join(r).encode("utf-8")).hexdigest() for r in body]
    return Grid(columns, rows, pd.Series(cells.lines[first:], dtype="int64"),
                pd.Series(problems, dtype=str), pd.Series(sha, dtype=str))
