"""Fast frame operations on Arrow-backed columns, shared by the schemas and the builder.

pandas 3's `Series.isin` against a large set of strings takes seconds per million rows;
pyarrow's `is_in` takes a tenth of that. Use these wherever the value set can be large.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _arrow(values) -> pa.Array:
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("str")
    arr = pa.array(values) if not isinstance(values, (pa.Array, pa.ChunkedArray)) else values
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    return arr


def isin(values: pd.Series, allowed: Iterable | pd.Series) -> pd.Series:
    """Boolean Series: is each value in `allowed`? Missing values are not."""
    if not isinstance(allowed, (pd.Series, pd.Index, np.ndarray, list)):
        allowed = list(allowed)
    value_set = _arrow(pd.Series(allowed).drop_duplicates()) if len(allowed) else pa.array([], type=pa.string())
    arr = _arrow(values)
    if len(value_set) == 0 or len(arr) == 0:
        return pd.Series(False, index=values.index)
    if arr.type != value_set.type:
        value_set = value_set.cast(arr.type)
    mask = pc.is_in(arr, value_set=value_set, skip_nulls=True)
    return pd.Series(np.asarray(pc.fill_null(mask, False)), index=values.index)


def lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """`keys.map(table)` for a Series `table` with unique index, by position (no hashing of values)."""
    return pd.Series(table.reindex(keys.to_numpy()).to_numpy(), index=keys.index, dtype=table.dtype)


def positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Position of each value in `keys` (first match), -1 where absent: pyarrow's hash index."""
    if len(values) == 0:
        return np.array([], dtype=np.int64)
    if len(keys) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    arr, value_set = _arrow(values), _arrow(keys)
    if arr.type != value_set.type:
        value_set = value_set.cast(arr.type)
    found = pc.index_in(arr, value_set=value_set)
    return np.asarray(pc.fill_null(found, -1)).astype(np.int64)


def solid(df: pd.DataFrame) -> pd.DataFrame:
    """Arrow-backed columns as one contiguous chunk each.

    A column concatenated from many frames is many chunks, and taking rows from a chunked
    column copies all its chunks first, every time: ten times slower on long text.
    """
    out = df.copy(deep=False)
    for col in out.columns:
        values = out[col].array
        chunked = getattr(values, "_pa_array", None)
        if isinstance(chunked, pa.ChunkedArray) and chunked.num_chunks > 1:
            out[col] = pd.Series(chunked.combine_chunks(), index=out.index, dtype=out[col].dtype)
    return out
