"""Actor names: resolving aliases to registered names, and exploding '; '-separated lists.

Column-wise: each distinct name is looked up once, and only the rare rows holding several
names take a slow path, so a million events cost a few thousand dictionary lookups.
"""

from __future__ import annotations

import pandas as pd

from schemas import STR
from schemas.frames import per_distinct
from schemas.vocab import LIST_SEP


def canonical(names: pd.Series, resolve: dict[str, str], default: str | None = None) -> pd.Series:
    """Registered names for a column of single names (each distinct value looked up once).

    Unknown names stay as written, or become `default` when one is given.
    """
    return per_distinct(names.fillna(""), lambda u: resolve.get(u.lower(), u if default is None else default), STR)


def canonical_lists(lists: pd.Series, resolve: dict[str, str], special: dict[str, str] | None = None) -> pd.Series:
    """The same for '; '-separated lists; `special` maps extra lower-cased words (Civilians)."""
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
    lists = lists.fillna("").astype(STR)
    several = lists.str.contains(";", regex=False)
    single = lists[~several & (lists != "")]
    if not several.any():
        return single
    many = lists[several].str.split(";").explode().str.strip()
    return pd.concat([single, many[many != ""]]).sort_index(kind="stable").astype(STR)

