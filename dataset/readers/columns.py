"""Vectorised twins of `values.py` for tabular input (coding sheets, imports): whole columns at once.

Each converter takes a column of text (pandas "str", empty string for a blank cell) and returns
(converted column, mask of bad cells, what is wrong). A million-row sheet is checked without a
Python loop per cell; only bad cells are turned into problems.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from schemas import DATETIME, STR
from schemas.vocab import LIST_SEP

Converted = tuple[pd.Series, pd.Series, str]


def text(col: pd.Series) -> Converted:
    out = col.astype(STR).fillna("").str.strip()
    return out, out.str.contains("\x00", regex=False), "contains a NUL character"


def date(col: pd.Series) -> Converted:
    s = col.astype(STR).fillna("").str.strip()
    out = pd.to_datetime(s.where(s != ""), format="%Y-%m-%d", errors="coerce").astype(DATETIME)
    return out, (s != "") & out.isna(), "expected a date (YYYY-MM-DD)"


def integer(col: pd.Series) -> Converted:
    s = col.astype(STR).fillna("").str.strip()
    num = pd.to_numeric(s.where(s != ""), errors="coerce")
    whole = num.notna() & (num == np.floor(num.fillna(0)))
    out = num.where(whole).astype("Int64")
    return out, (s != "") & ~whole, "expected a whole number"


def number(col: pd.Series) -> Converted:
    s = col.astype(STR).fillna("").str.strip()
    num = pd.to_numeric(s.where(s != ""), errors="coerce").astype("float64")
    bad = (s != "") & (num.isna() | ~np.isfinite(num.fillna(0)))
    return num.where(~bad), bad, "expected a number"


_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0", ""}


def boolean(col: pd.Series) -> Converted:
    s = col.astype(STR).fillna("").str.strip().str.lower()
    out = s.isin(list(_TRUE))
    return out.astype("boolean"), ~s.isin(list(_TRUE | _FALSE)), "expected true or false"


def text_list(col: pd.Series) -> Converted:
    """'; '-separated names, normalised ("a;b" -> "a; b"); empty string when none.

    Only the rows that hold a ';' are rewritten (most hold one name or none).
    """
    s = col.astype(STR).fillna("").str.strip()
    several = s.str.contains(";", regex=False)
    if several.any():
        s = s.copy()
        s[several] = [LIST_SEP.join(p.strip() for p in v.split(";") if p.strip()) for v in s[several]]
    return s, s.str.contains("\x00", regex=False), "contains a NUL character"


IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"


def identifier(col: pd.Series) -> Converted:
    s = col.astype(STR).fillna("").str.strip()
    return s, (s != "") & ~s.str.match(IDENTIFIER), ("is not a valid identifier: use letters, digits and . _ : - "
                                                     "(at most 200, starting with a letter or digit)")


def count(col: pd.Series) -> Converted:
    out, bad, _ = integer(col)
    negative = out.fillna(0) < 0
    return out.where(~negative), bad | negative, "expected a count (a whole number, 0 or more)"


def blank(col: pd.Series) -> pd.Series:
    return col.astype(STR).fillna("").str.strip() == ""


def safe_name(name: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9_]+", name))
