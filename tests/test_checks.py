"""Cross-record checks (dataset/checks.py) whose shortcuts must answer what the plain rule answers."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dataset.checks import _naming_unknown
from dataset.names import exploded
from schemas import STR
from schemas.frames import isin

KNOWN = ["fama", "jnim", "wagner group", "i̇brahim"]  # lower-cased, as the actor registry's resolver keys them
NAMES = st.sampled_from(["FAMa", "JNIM", "Wagner Group", "İbrahim", "Nobody", "ALA", " jnim ", ""])
LISTS = st.one_of(st.none(), st.lists(NAMES, max_size=3).map(";".join))


@settings(max_examples=200, deadline=None)
@given(st.lists(LISTS, max_size=12), st.booleans())
def test_rows_naming_an_unknown_actor_are_those_of_the_row_by_row_rule(values, categorical):
    """Each distinct list looked at once gives the rows that splitting and lower-casing every
    row gives (missing values, blanks, spaces, names whose lower case differs by library)."""
    column = pd.Series(values, dtype="category" if categorical else STR)
    names = exploded(column)
    want = set(names[~isin(names.str.lower(), KNOWN).to_numpy(dtype=bool)].index)
    got = _naming_unknown(column, KNOWN)
    assert set(column.index[got]) == want
