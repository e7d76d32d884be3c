"""The dtype convention shared by every published table, and the base model that enforces it.

pandera checks dtypes leniently (an `object` column passes as a string column, any datetime unit
passes), but the release promises exact dtypes to pandas users. So each pandera column maps to
one exact pandas dtype here, and `exact_dtype_problems` compares a frame against it. The CSV
loader, the codebook and the data package read the same mapping.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
import pandera.extensions as extensions
import pandera.pandas as pa

# pandas 3's default string dtype ("str"): Arrow-backed, missing values are NaN.
STR = pd.StringDtype("pyarrow", na_value=np.nan)
# Dates are midnight timestamps in microseconds: what both pd.read_parquet and
# pd.read_csv(parse_dates=...) give, so the two loaders agree.
DATETIME = np.dtype("datetime64[us]")


@extensions.register_check_method(statistics=["pattern"], supported_types=pd.Series)
def str_fullmatch(series: pd.Series, *, pattern: str) -> pd.Series:
    """Each value matches `pattern` as a whole, as a data package's `pattern` constraint means it.

    pandera's `str_matches` anchors only the start, and a pattern ending in `$` also passes a value
    with a trailing newline (Python's `re`, to which pandas falls back for such values): "MLI1\\n"
    passed `^[A-Z]{3}[0-9]+$`. Written without anchors, a pattern is the descriptor's as it is."""
    return series.str.fullmatch(pattern)


class Table(pa.DataFrameModel):
    """Base for published tables: exact columns, ACLED-style order, no coercion."""

    class Config:
        strict = True
        ordered = True
        coerce = False


def pandas_dtype(column: pa.Column) -> Any:
    """The exact pandas dtype a published column has."""
    declared = column.dtype.type
    if isinstance(declared, pd.CategoricalDtype):
        return pd.CategoricalDtype(pd.Index(list(declared.categories), dtype=STR), ordered=declared.ordered)
    if isinstance(declared, pd.StringDtype) or declared == np.dtype(object) or declared is str:
        return STR
    if isinstance(declared, np.dtype) and declared.kind == "M":
        return DATETIME
    return declared


def pandas_dtypes(model: type[pa.DataFrameModel]) -> dict[str, Any]:
    """Each column's `pandas_dtype`, in the table's order (a copy the caller may change)."""
    return dict(_pandas_dtypes(model))


@functools.cache
def _pandas_dtypes(model: type[pa.DataFrameModel]) -> dict[str, Any]:
    # Made once per table: a build asks two dozen times, 2.5 ms each for the events' categories.
    return {name: pandas_dtype(col) for name, col in model.to_schema().columns.items()}


def kind(dtype: Any) -> str:
    """A short, tool-neutral name for a dtype: string, integer, number, date, category."""
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if isinstance(dtype, pd.StringDtype):
        return "string"
    if dtype == DATETIME:
        return "date"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    raise TypeError(f"no kind for dtype {dtype!r}")


def exact_dtype_problems(df: pd.DataFrame, model: type[pa.DataFrameModel]) -> list[str]:
    """Columns whose dtype differs from the published one (missing columns are pandera's job)."""
    out = []
    for name, expected in pandas_dtypes(model).items():
        if name in df.columns and df[name].dtype != expected:
            out.append(f"column {name!r} has dtype {df[name].dtype} but the schema publishes {expected}")
    return out
