"""Vectorised twins of `values.py` for tabular input (coding sheets, imports): whole columns at once.

Each converter takes a column of text (pandas "str", empty string for a blank cell) and returns
(converted column, mask of bad cells, what is wrong). A million-row sheet is checked without a
Python loop per cell; only bad cells are turned into problems.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from schemas import DATETIME, STR
from schemas.frames import arrow_text
from schemas.vocab import LIST_SEP

Converted = tuple[pd.Series, pd.Series, str]


def _chunks(col: pd.Series) -> list[pa.Array] | None:
    """The Arrow chunks behind a string column (None when it is not Arrow-backed text)."""
    if not isinstance(col.dtype, pd.StringDtype) or col.dtype.storage != "pyarrow":
        return None
    arr = col.array.__arrow_array__()
    return arr.chunks if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) else None


def _edge_bytes(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """First and last byte of each cell, read from the offsets ("!" for an empty cell)."""
    buffers = chunk.buffers()
    kind = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(buffers[1], dtype=kind)[chunk.offset:chunk.offset + len(chunk) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
    start, end = offsets[:-1], offsets[1:]
    filled = end > start
    first, last = np.full(len(chunk), ord("!"), np.uint8), np.full(len(chunk), ord("!"), np.uint8)
    first[filled], last[filled] = data[start[filled]], data[end[filled] - 1]
    return first, last


def stripped(col: pd.Series) -> pd.Series:
    """`col.str.strip()`, returning `col` itself (no copy) when no cell changes.

    Every character `strip` removes is ASCII up to space or non-ASCII, so only cells that begin
    or end with such a byte can change; they are few, and checked by stripping just them.
    Notes are most of a sheet's bytes, and rarely padded.
    """
    chunks = _chunks(col)
    if chunks is None:
        return col.str.strip()
    edges = [_edge_bytes(c) for c in chunks]
    maybe = np.concatenate([(f <= 0x20) | (f >= 0x80) | (g <= 0x20) | (g >= 0x80) for f, g in edges]) if edges else np.zeros(0, bool)
    if not maybe.any():
        return col
    part = col[maybe]
    return col if (part.str.strip() == part).all() else col.str.strip()


def holds_nul(col: pd.Series) -> pd.Series:
    """Which cells contain a NUL character; one pass over the bytes (their minimum) when none do."""
    chunks = _chunks(col)
    if chunks is not None and all(c.buffers()[2] is None or np.frombuffer(c.buffers()[2], np.uint8).min(initial=1) > 0
                                  for c in chunks):
        return pd.Series(False, index=col.index)
    return col.str.contains("\x00", regex=False)


def text(col: pd.Series) -> Converted:
    out = stripped(col.astype(STR).fillna(""))
    return out, holds_nul(out), "contains a NUL character"


def by_distinct(convert: Callable[[pd.Series], Converted]) -> Callable[[pd.Series], Converted]:
    """Run a cell-by-cell converter once per distinct cell, then spread the results by code.

    Dates, precision codes and flags repeat: a million cells hold a few thousand values, and
    parsing is the dear part. Columns of mostly distinct cells are converted directly.
    """
    @functools.wraps(convert)
    def run(col: pd.Series) -> Converted:
        col = col.astype(STR).fillna("")
        codes, uniques = pd.factorize(col)
        if len(uniques) * 2 > len(col):
            return convert(col)
        out, bad, why = convert(pd.Series(uniques, dtype=STR))
        return (pd.Series(out.array.take(codes), index=col.index, name=col.name),
                pd.Series(bad.array.take(codes), index=col.index), why)
    return run


@by_distinct
def date(col: pd.Series) -> Converted:
    s = stripped(col.astype(STR).fillna(""))
    out = pd.to_datetime(s.where(s != ""), format="%Y-%m-%d", errors="coerce").astype(DATETIME)
    return out, (s != "") & out.isna(), "expected a date (YYYY-MM-DD)"


@by_distinct
def integer(col: pd.Series) -> Converted:
    s = stripped(col.astype(STR).fillna(""))
    num = pd.to_numeric(s.where(s != ""), errors="coerce").astype("float64")
    # Finite and within int64 (found by fuzzing: 1e400 and 99999999999999999999 read as whole
    # numbers and crashed the cast)
    whole = num.notna() & (num.abs() < 2.0**63) & (num == np.floor(num.fillna(0)))
    out = num.where(whole).astype("Int64")
    return out, (s != "") & ~whole, "expected a whole number (within +-9.2e18)"


def number(col: pd.Series) -> Converted:
    s = stripped(col.astype(STR).fillna(""))
    blank = s == ""
    num = _parsed_numbers(s, blank)
    bad = ~blank & (num.isna() | ~np.isfinite(num.fillna(0)))
    return num.where(~bad), bad, "expected a number"


def _parsed_numbers(s: pd.Series, blank: pd.Series) -> pd.Series:
    """`pd.to_numeric(s, errors="coerce")` as float64, `blank` cells missing. pyarrow's parser
    reads a column ten times as fast and gives the same doubles for what both read, but it
    refuses a whole column over one bad cell: a column that holds one is read by pandas."""
    try:
        read = pc.cast(pc.if_else(pa.array(blank.to_numpy(dtype=bool)), None, arrow_text(s)), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(s.where(~blank), errors="coerce").astype("float64")
    return pd.Series(read.to_numpy(zero_copy_only=False), index=s.index, dtype="float64")


_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0", ""}


@by_distinct
def boolean(col: pd.Series) -> Converted:
    s = stripped(col.astype(STR).fillna("")).str.lower()
    out = s.isin(list(_TRUE))
    return out.astype("boolean"), ~s.isin(list(_TRUE | _FALSE)), "expected true or false"


def text_list(col: pd.Series) -> Converted:
    """'; '-separated names, normalised ("a;b" -> "a; b"); empty string when none.

    Only the rows that hold a ';' are rewritten (most hold one name or none).
    """
    s = stripped(col.astype(STR).fillna(""))
    several = s.str.contains(";", regex=False)
    if several.any():
        s = s.copy()
        s[several] = [LIST_SEP.join(p.strip() for p in v.split(";") if p.strip()) for v in s[several]]
    return s, holds_nul(s), "contains a NUL character"


IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"


def identifier(col: pd.Series) -> Converted:
    s = stripped(col.astype(STR).fillna(""))
    return s, (s != "") & ~s.str.match(IDENTIFIER), ("is not a valid identifier: use letters, digits and . _ : - "
                                                     "(at most 200, starting with a letter or digit)")


def count(col: pd.Series) -> Converted:
    out, bad, _ = integer(col)
    negative = out.fillna(0) < 0
    return out.where(~negative), bad | negative, "expected a count (a whole number, 0 or more)"


def blank(col: pd.Series) -> pd.Series:
    return stripped(col.astype(STR).fillna("")) == ""
