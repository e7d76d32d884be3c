"""Actor names: resolving aliases to registered names, exploding '; '-separated lists, and
coding names as integers to tell whether a claim's victims or claimant are its event's actors.

Column-wise: each distinct name is looked up once, and only the rare rows holding several
names take a slow path, so a million events cost a few thousand dictionary lookups.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from schemas import STR
from schemas.frames import filled, per_distinct, text
from schemas.vocab import LIST_SEP

from .keys import lexorder


def canonical(names: pd.Series, resolve: dict[str, str], default: str | None = None) -> pd.Series:
    """Registered names for a column of single names (each distinct value looked up once).

    Unknown names stay as written, or become `default` when one is given.
    """
    return per_distinct(filled(names), lambda u: resolve.get(u.lower(), u if default is None else default), STR)


def canonical_lists(lists: pd.Series, resolve: dict[str, str], special: dict[str, str] | None = None) -> pd.Series:
    """The same for '; '-separated lists; `special` maps extra lower-cased words (Civilians)."""
    if isinstance(lists.dtype, pd.CategoricalDtype):  # each distinct list once, spread by the codes
        codes, uniques = distinct_codes(lists)
        done = canonical_lists(pd.Series(uniques, dtype=STR), resolve, special)
        return pd.Series(done.array.take(codes), index=lists.index, name=lists.name)
    table = {**resolve, **(special or {})}
    lists = lists.fillna("").astype(STR)
    several = lists.str.contains(";", regex=False)
    out = canonical(lists.where(~several, ""), table)
    if several.any():
        out[several] = [LIST_SEP.join(dict.fromkeys(table.get(n.strip().lower(), n.strip()) for n in v.split(";") if n.strip()))
                        for v in lists[several]]
    return out.where(lists != "", "").astype(STR)


def exploded(lists: pd.Series) -> pd.Series:
    """One row per name of a '; '-separated list column, indexed by the list's row."""
    lists = text(filled(lists))
    several = lists.str.contains(";", regex=False)
    single = lists[~several & (lists != "")]
    if not several.any():
        return single
    many = lists[several].str.split(";").explode().str.strip()
    return pd.concat([single, many[many != ""]]).sort_index(kind="stable").astype(STR)



class Coded(NamedTuple):
    """The names of a column, one entry per (row, name) in the order `exploded` gives them."""

    row: np.ndarray  # the row each entry comes from, ascending
    code: np.ndarray  # the name's code, shared by all the columns coded together
    at: np.ndarray  # the entry's place in `names`
    names: pd.Series  # the names of the column's distinct values, as written


def coded(columns: list[tuple[pd.Series, bool]], resolve: Mapping[str, str] | None = None
          ) -> tuple[list[Coded], dict[str, int]]:
    """Each (column, is a '; '-separated list) as its names (blanks dropped), coded together, and
    the code of each name. With `resolve`, names are coded as `canonical` gives them.

    Each column is coded by pyarrow's hash kernel and only its distinct values are split and
    resolved (thousands, for millions of rows); the rows then take their names by integer
    indexing, and no name is hashed per row.
    """
    distinct = []
    for values, is_list in columns:
        codes, uniques = distinct_codes(values)
        text = pd.Series(uniques, dtype=STR)
        names = exploded(text) if is_list else text[text != ""]
        distinct.append((codes, names, len(uniques)))
    written = [names if resolve is None else canonical(names, resolve) for _, names, _ in distinct]
    name_code, vocabulary = pd.factorize(pd.concat(written, ignore_index=True))
    out, offset = [], 0
    for codes, names, n_distinct in distinct:
        owner = names.index.to_numpy()  # each name's distinct value, ascending
        code = name_code[offset:offset + len(names)].astype(np.int64)
        offset += len(names)
        count = np.bincount(owner, minlength=n_distinct)
        first = np.cumsum(count) - count
        per_row = count[codes]
        if per_row.max(initial=0) <= 1:  # single names (the usual row): no spreading
            row = np.flatnonzero(per_row)
            at = first[codes[row]]
        else:
            row = np.repeat(np.arange(len(codes)), per_row)
            # each entry's place in `names`: its list's first name, plus its place in the list
            at = np.repeat(first[codes] - (np.cumsum(per_row) - per_row), per_row) + np.arange(len(row))
        out.append(Coded(row, code[at], at, names.reset_index(drop=True)))
    return out, {name: i for i, name in enumerate(vocabulary)}


def distinct_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each row's code and the distinct values, missing read as "": a categorical column's own
    codes, anything else coded by pyarrow's hash kernel."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return pd.factorize(values.reset_index(drop=True).fillna("").astype(STR))
    codes, uniques = values.cat.codes.to_numpy().astype(np.intp), pd.Index(values.cat.categories, dtype=STR)
    if (codes < 0).any():  # missing: one more value, ""
        codes[codes < 0] = len(uniques)
        uniques = uniques.append(pd.Index([""], dtype=STR))
    return codes, uniques


class Members:
    """The members of each event (a row of the event definitions), in order, as name codes and groups."""

    def __init__(self, event: np.ndarray, code: np.ndarray, group: np.ndarray, n_events: int):
        order = lexorder((event,))  # by event, each event's members in their order
        self.code, self.group = code[order], group[order]
        self.count = np.bincount(event, minlength=n_events)
        self.first = np.cumsum(self.count) - self.count

    def first_group(self, event: np.ndarray, code: np.ndarray, among: tuple[int, ...] | None = None) -> np.ndarray:
        """The group of the first member of `event` named `code` (-1: none; event or code -1:
        none), counting only members in the groups `among` when given. One pass per member
        position: events have a few members, so a few passes over the rows still looking."""
        out = np.full(len(event), -1, dtype=np.int8)
        looking = np.flatnonzero((event >= 0) & (code >= 0))
        nth = 0
        while len(looking):
            looking = looking[self.count[event[looking]] > nth]
            at = self.first[event[looking]] + nth
            hit = self.code[at] == code[looking]
            if among is not None:
                hit &= np.isin(self.group[at], among)
            out[looking[hit]] = self.group[at[hit]]
            looking = looking[~hit]
            nth += 1
        return out
