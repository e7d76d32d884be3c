"""pandera schemas of the published tables: the single source of truth for columns and dtypes.

`validate` runs a schema lazily (every failure, not the first) plus the exact-dtype check, and
returns the failures as a table, for a whole table or a part of one; `unique_failures` checks
the unique columns of a table given part by part; `cross_table_failures` checks the rules
between tables.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .claims import Claims
from .events import Events
from .fields import DATETIME, STR, exact_dtype_problems, kind, pandas_dtype, pandas_dtypes
from .frames import all_distinct, positions
from .links import Links
from .reports import Reports

# Bump the minor version when columns are added, the major when any is renamed, removed or retyped.
SCHEMA_VERSION = "1.1.0"

TABLES: dict[str, type[pa.DataFrameModel]] = {"events": Events, "claims": Claims, "reports": Reports}
# Review tables: published beside the data tables (CSV only) for people checking the build's
# decisions; validated, documented and loadable like the data tables, but not data to analyse.
REVIEW_TABLES: dict[str, type[pa.DataFrameModel]] = {"links": Links}
# Primary keys: rows are sorted by them in every release file.
PRIMARY_KEYS = {"events": ["event_id_cnty"], "claims": ["claim_id"], "reports": ["report_id"],
                "links": ["key_a", "key_b"]}
# Columns pointing at a row of another table: {table: {column: (table pointed at, its column)}}.
FOREIGN_KEYS = {"claims": {"event_id_cnty": ("events", "event_id_cnty"), "report_id": ("reports", "report_id")}}


def identifiers(name: str) -> list[str]:
    """The columns of table `name` that name a row (its key, the coder's event_key) or point at
    one (foreign keys): nearly every value distinct, or repeated only a few times."""
    columns = [*PRIMARY_KEYS[name], *FOREIGN_KEYS.get(name, {}), "event_key"]
    return [c for c in dict.fromkeys(columns) if c in model(name).to_schema().columns]


FAILURE_COLUMNS = ["table", "column", "check", "row", "failure_case"]

__all__ = [
    "Claims", "DATETIME", "Events", "FAILURE_COLUMNS", "FOREIGN_KEYS", "Links", "PRIMARY_KEYS", "REVIEW_TABLES", "Reports",
    "SCHEMA_VERSION", "STR", "TABLES", "cross_table_failures", "identifiers", "kind", "model", "pandas_dtype", "pandas_dtypes",
    "unique_failures", "validate",
]


def model(name: str) -> type[pa.DataFrameModel]:
    """The schema of a published table, data (`TABLES`) or review (`REVIEW_TABLES`)."""
    if name in TABLES:
        return TABLES[name]
    if name in REVIEW_TABLES:
        return REVIEW_TABLES[name]
    raise ValueError(f"unknown table {name!r}; a release has {', '.join([*TABLES, *REVIEW_TABLES])}")


def validate(name: str, df: pd.DataFrame, part: bool = False) -> pd.DataFrame:
    """All failures of table `name` against its schema, one row each (empty when valid).

    `part=True` checks a part of the table, rows cut anywhere: every check but uniqueness, which
    only the whole table can show (`unique_failures` on the unique columns of all parts).
    """
    schema = _checking_schema(name, part)
    rows = [
        {"table": name, "column": "", "check": "exact_dtype", "row": -1, "failure_case": msg}
        for msg in exact_dtype_problems(df, model(name))
    ]
    try:
        # inplace: nothing is coerced or added (no dtypes, coerce off, strict), so pandera's copy
        # of the whole frame would only cost time: 0.95 s of 1.67 s for a million events.
        schema.validate(df, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        for rec in fc.itertuples(index=False):
            index = rec.index
            rows.append({
                "table": name,
                "column": "" if pd.isna(rec.column) else str(rec.column),
                "check": str(rec.check),
                "row": -1 if index is None or pd.isna(index) else int(index),
                "failure_case": "" if rec.failure_case is None else str(rec.failure_case),
            })
    return pd.DataFrame(rows, columns=FAILURE_COLUMNS)


def unique_columns(name: str) -> list[str]:
    """The columns of table `name` whose values the schema says are unique."""
    return [c for c, col in model(name).to_schema().columns.items() if col.unique]


@functools.cache
def _checking_schema(name: str, part: bool) -> pa.DataFrameSchema:
    """The schema `validate` runs: the model's, with dtypes checked by `exact_dtype_problems`
    instead of pandera (which accepts any datetime unit, and for each text column that passes
    builds a failure report of no rows: half a second per million-row build), and without
    uniqueness for a part of a table.

    Its checks across columns do not pass a row whose every value is missing (pandera's
    `ignore_na`): no row of a published table is, as some columns are never missing, and finding
    such rows cost each check a pass over the whole table (0.3 s per million events)."""
    schema = model(name).to_schema()
    changes = {c: {"dtype": None} for c in schema.columns}
    if part:
        for c in unique_columns(name):
            changes[c]["unique"] = False
    schema = schema.update_columns(changes)  # a deep copy: its checks are this schema's own
    for check in schema.checks:
        check.ignore_na = False
    return schema


def unique_failures(name: str, df: pd.DataFrame, orders: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Repeated values in the unique columns of table `name` (`df` may hold only those), as
    pandera reports them: one failure per repeated row. `orders` may give a column's
    frames.sort_order, when the caller has it: the column is not sorted again."""
    rows = []
    for col in unique_columns(name):
        if all_distinct(df[col], (orders or {}).get(col)):  # the usual case, in pyarrow
            continue
        repeated = df[col].duplicated(keep=False)
        for idx, value in df.loc[repeated.to_numpy(dtype=bool), col].items():
            rows.append({"table": name, "column": col, "check": "field_uniqueness", "row": int(idx),
                         "failure_case": str(value)})
    return pd.DataFrame(rows, columns=FAILURE_COLUMNS)


def cross_table_failures(events: pd.DataFrame, claims: pd.DataFrame, reports: pd.DataFrame,
                         event_order: np.ndarray | None = None) -> pd.DataFrame:
    """Rules between tables: claims point at an event and a report; no claim exceeds its event's high.

    Reads only event_id_cnty and fatalities_high of events; claim_id, event_id_cnty, report_id
    and fatalities_best/high of claims; report_id of reports. `event_order`, the events' IDs'
    frames.sort_order when the caller has it, tells whether they repeat without a hash of them.
    """
    rows = []

    def add(table: str, column: str, check: str, mask: pd.Series, values: pd.Series) -> None:
        for idx, value in values[mask].items():
            rows.append({"table": table, "column": column, "check": check, "row": int(idx), "failure_case": str(value)})

    # Each claim's row in each table it points at (FOREIGN_KEYS), -1 if none: a failure of
    # claim_points_at_event or claim_points_at_report. A missing ID points at no row: pyarrow's
    # lookup would match it with a row whose ID is missing too.
    tables, pointed = {"events": events, "reports": reports}, {}
    for column, (other, field) in FOREIGN_KEYS["claims"].items():
        ids = claims[column]
        at = np.where(ids.isna().to_numpy(), -1, positions(ids, tables[other][field]))
        add("claims", column, f"claim_points_at_{other.removesuffix('s')}", pd.Series(at < 0, index=claims.index), ids)
        pointed[other] = at
    event = pointed["events"]
    high = events["fatalities_high"].reset_index(drop=True)
    event_high = pd.Series(high.iloc[event].to_numpy() if (event >= 0).all() else  # as reindex: float only if some are missing
                           high.reindex(event).to_numpy(), index=claims.index)
    add("claims", "fatalities_high", "claim_within_event_high",
        (claims["fatalities_high"] > event_high).fillna(False).astype(bool), claims["claim_id"])
    # Events some claim with a toll points at, from the claims' event rows: marked at the first
    # row of each event ID, then read by every row holding that ID (IDs repeat only in a failing build).
    tolled = np.zeros(len(events), dtype=bool)
    tolled[event[(event >= 0) & claims["fatalities_best"].notna().to_numpy()]] = True
    ids = events["event_id_cnty"]
    first = np.arange(len(events)) if all_distinct(ids, event_order) else positions(ids, ids)
    no_toll = pd.Series(~tolled[first], index=events.index)
    add("events", "fatalities_high", "no_claims_means_zero",
        no_toll & (events["fatalities_high"] > 0), events["event_id_cnty"])
    return pd.DataFrame(rows, columns=FAILURE_COLUMNS)
