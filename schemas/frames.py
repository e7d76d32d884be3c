"""Fast frame operations on Arrow-backed columns, shared by the schemas and the builder.

pandas 3's `Series.isin` against a large set of strings takes seconds per million rows;
pyarrow's `is_in` takes a tenth of that. Use these wherever the value set can be large.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def as_arrow(values) -> pa.Array:
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
    if isinstance(values.dtype, pd.CategoricalDtype):  # a lookup per category, spread by the codes
        inside = isin(pd.Series(values.cat.categories, dtype="str"), allowed).to_numpy()
        return pd.Series(np.append(inside, False)[values.cat.codes.to_numpy()], index=values.index)
    # pyarrow's hash set takes repeated values as they are: no need to drop duplicates first
    value_set = as_arrow(allowed if isinstance(allowed, pd.Series) else pd.Series(allowed)) if len(allowed) else pa.array([], type=pa.string())
    arr = as_arrow(values)
    if len(value_set) == 0 or len(arr) == 0:
        return pd.Series(False, index=values.index)
    if arr.type != value_set.type:
        value_set = value_set.cast(arr.type)
    mask = pc.is_in(arr, value_set=value_set, skip_nulls=True)
    return pd.Series(np.asarray(pc.fill_null(mask, False)), index=values.index)


def per_distinct(values: pd.Series, fn: Callable | Mapping, dtype) -> pd.Series:
    """`values.map(fn).astype(dtype)`, with `fn` called (or the mapping read) once per distinct value.

    pandas maps an Arrow-backed string column through Python objects row by row (a quarter of a
    second per million rows); coding the column first (pyarrow's hash kernel) leaves only as many
    lookups as there are distinct values. Missing values stay missing and never reach `fn`; values
    a mapping lacks become missing, as with `Series.map`.
    """
    if isinstance(values.dtype, pd.CategoricalDtype) and len(values.cat.categories) <= len(values):
        # coded already: a lookup per category, no hash of the rows (unless most categories are unused)
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values)
    get = fn.get if isinstance(fn, Mapping) else fn
    mapped = pd.array([get(u) for u in uniques], dtype=dtype)
    return pd.Series(mapped.take(codes, allow_fill=True), index=values.index, name=values.name)


def maps_to(keys: pd.Series, mapping: Mapping, values: pd.Series) -> pd.Series:
    """Whether `mapping[key] == value`, row by row (False where either is missing or the key is
    not in `mapping`): `per_distinct(text(keys), mapping, "str") == text(values)`. Two categorical
    columns are compared through their codes, a lookup per category: decoding and hashing every
    row's text took most of a part's schema checks."""
    if isinstance(keys.dtype, pd.CategoricalDtype) and isinstance(values.dtype, pd.CategoricalDtype):
        where = {v: i for i, v in enumerate(values.cat.categories)}
        # each key category's value as a code of `values` (-1: none); a missing key (code -1) reads the last
        target = np.array([where.get(mapping.get(k), -1) for k in keys.cat.categories] + [-1], dtype=np.int64)
        expected = target[keys.cat.codes.to_numpy()]
        same = (expected == values.cat.codes.to_numpy()) & (expected >= 0)
        return pd.Series(same, index=keys.index)
    same = per_distinct(keys, mapping, "str") == text(values)  # categorical keys: a lookup per category
    return pd.Series(np.asarray(same.fillna(False), dtype=bool), index=keys.index)


def categorical(values: pd.Series, dtype: pd.CategoricalDtype) -> pd.Series:
    """`values` as the categorical `dtype`, coded by pyarrow's hash index (values outside it are missing).

    `pd.Categorical(strings, dtype=...)` goes through Python objects; this stays in Arrow.
    """
    codes = positions(values, pd.Series(dtype.categories))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=values.index, name=values.name)


def as_category(values: pd.Series) -> pd.Series:
    """Text as a category of its own distinct values, coded by pyarrow's hash kernel (missing
    stays missing); `astype("category")` goes through Python objects."""
    codes, uniques = factorized(values)
    return pd.Series(pd.Categorical.from_codes(codes, categories=uniques), index=values.index, name=values.name)


def factorized(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """`pd.factorize(values)` with the distinct values as a text Index, categorical or not (a
    categorical's uniques come as a CategoricalIndex, which `Categorical.from_codes` would read
    as its whole categories, not as the values found)."""
    codes, uniques = pd.factorize(values)
    return codes, pd.Index(np.asarray(uniques, dtype=object), dtype="str") if isinstance(uniques, pd.CategoricalIndex) \
        else pd.Index(uniques, dtype="str")


_NO_CATEGORIES = pd.CategoricalDtype(pd.Index([], dtype="str"))


def sorted_category(values: pd.Series) -> pd.Series:
    """`values` as text categories sorted, as `astype("category")` gives them, coded by pyarrow's
    hash kernel (`astype` sorts through Python objects: 83 ms a million rows against 20).
    Missing stays missing. A categorical column whose categories are sorted text is returned
    as it is; its unused categories are kept."""
    if len(values) == 0:  # a build types dozens of empty frames
        return values.astype(_NO_CATEGORIES)
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        if cats.dtype == "str" and _ascending(cats):
            return values
        codes, uniques = values.cat.codes.to_numpy(), cats
    else:
        codes, uniques = pd.factorize(values if values.dtype == "str" else values.astype("str"))
    order, cats = _sorted(pa.array(pd.array(uniques, dtype="str")))
    rank = np.empty(len(order) + 1, dtype=np.int64)
    rank[order], rank[-1] = np.arange(len(order)), -1  # a missing value's code, -1, reads the last
    return pd.Series(_coded(rank[codes], cats), index=values.index, name=values.name)


def _ascending(texts: pd.Index) -> bool:
    """Whether the texts are in ascending order: compared by pyarrow, by bytes, the texts' order
    (`is_monotonic_increasing` goes through Python objects: 10 ms for a hundred thousand paths,
    three times in every load of the parse cache, against 1 ms)."""
    if len(texts) < 2:
        return True
    arr = arrow_text(texts)
    return bool(pc.all(pc.less_equal(arr[:-1], arr[1:])).as_py())


def _sorted(distinct: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pd.Index]:
    """The order that sorts `distinct` (texts, none repeated) and the sorted texts as an Index:
    pyarrow's sort, by bytes, which is the texts' order (pandas' argsort: 5x slower)."""
    order = np.asarray(pc.sort_indices(distinct))
    return order, pd.Index(pd.array(distinct.take(pa.array(order)), dtype="str"))


def _coded(codes: np.ndarray, categories: pd.Index) -> pd.Categorical:
    """`pd.Categorical.from_codes(codes, categories=categories)` for categories known distinct
    and codes known in range: pandas checks both, hashing every category (25 ms for 200,000
    paths, more than coding them). Without pandas' fast path, the checked call."""
    fastpath = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    if fastpath is None:
        return pd.Categorical.from_codes(codes, categories=categories)
    return pd.Categorical.from_codes(codes, dtype=fastpath(categories, False), validate=False)


def filled(values: pd.Series, blank: str = "") -> pd.Series:
    """`values.fillna(blank)`, for categorical columns too: `blank` joins their categories where
    it is missing from them, which stay sorted."""
    if isinstance(values.dtype, pd.CategoricalDtype) and values.isna().any() and blank not in values.cat.categories:
        cats = values.cat.categories
        values = values.cat.set_categories(cats.append(pd.Index([blank], dtype="str")).sort_values())
    return values.fillna(blank)


def is_blank(values: pd.Series) -> pd.Series:
    """Row by row, whether the text is missing or empty (any text column, categorical or not)."""
    return pd.Series(values.isna().to_numpy(dtype=bool) | (values == "").fillna(False).to_numpy(dtype=bool),
                     index=values.index)


def joined_categories(parts: list[pd.Series]) -> pd.Categorical:
    """Columns of text one after another as a categorical, its categories the union of the
    parts' sorted (`pd.concat` of categoricals whose categories differ gives text). A part whose
    categories are the union already keeps its codes: a rebuild after one edit joins the cached
    rows (every file's path among their categories) and one file's fresh rows. Categories are
    looked up by pyarrow's hash kernels, the few looked up in the many where they are few."""
    if not parts:
        return pd.Categorical([], categories=pd.Index([], dtype="str"))
    parts = [sorted_category(p) for p in parts]
    cats = [p.cat.categories for p in parts]
    union = max(cats, key=len)
    others = [c for c in cats if c is not union and not c.equals(union)]
    if others:
        rest = pc.unique(pa.chunked_array([_arrow(c) for c in others], type=pa.large_string()))
        if pc.sum(pc.is_in(_arrow(union), value_set=rest)).as_py() != len(rest):  # some are new
            union = _sorted(pc.unique(pa.chunked_array([_arrow(union), rest])))[1]
    codes = [p.cat.codes.to_numpy() if c is union or c.equals(union) else _recoded(p, c, union)
             for p, c in zip(parts, cats)]
    return _coded(np.concatenate(codes), union)


def _arrow(index: pd.Index) -> pa.Array:
    return pa.array(index.array).cast(pa.large_string())


def _recoded(part: pd.Series, cats: pd.Index, union: pd.Index) -> np.ndarray:
    """The codes of `part` (categories `cats`) as codes of `union`, which holds every one of them."""
    at = pc.index_in(_arrow(union), value_set=_arrow(cats))  # each union category's place in cats
    hit = np.flatnonzero(np.asarray(pc.is_valid(at)))
    code = np.full(len(cats) + 1, -1, dtype=np.int64)  # a missing value's code, -1, reads the last
    code[np.asarray(at.filter(pc.is_valid(at)))] = hit
    return code[part.cat.codes.to_numpy()]


def to_arrow(df: pd.DataFrame) -> pa.Table:
    """The frame as Arrow, its columns converted on this thread: pyarrow's threads for it are a
    pool made afresh each call, and starting them cost more than the conversion (a 56,000-row
    part of events: 6 ms on one thread, 10 ms on two; a million rows, the same either way)."""
    return pa.Table.from_pandas(df, preserve_index=False, nthreads=1)


def to_frame(table: pa.Table) -> pd.DataFrame:
    """`table.to_pandas()`, its dictionary columns made categorical from pyarrow's dictionary
    and indices (pandas builds their categories through Python objects: three times the read)."""
    coded = [n for n, t in zip(table.column_names, table.schema.types) if pa.types.is_dictionary(t)]
    df = table.drop_columns(coded).to_pandas()
    for name in coded:
        col = table.column(name)
        col = col.unify_dictionaries().combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        codes = pc.fill_null(col.indices, -1).to_numpy(zero_copy_only=False)
        df[name] = _coded(codes, pd.Index(pd.array(col.dictionary, dtype="str")))  # a unified dictionary: distinct
    return df[table.column_names]


def decoded(values: pd.Series) -> pd.Series:
    """A categorical column of text as a plain "str" column (`astype("str")` goes through Python objects)."""
    cats = values.cat.categories
    text = pd.array(cats, dtype="str") if len(cats) else pd.array([], dtype="str")
    return pd.Series(text.take(values.cat.codes.to_numpy(), allow_fill=True), index=values.index, name=values.name)


def text(values: pd.Series) -> pd.Series:
    """A column as "str" text: categories decoded by their codes, anything else cast."""
    return decoded(values) if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("str")


def arrow_text(values: pd.Series | pd.Index) -> pa.ChunkedArray:
    """A column (or index) as Arrow text (`text`), for pyarrow's kernels: its own chunks, not a
    copy, when it is "str" already."""
    return pa.chunked_array(text(values).array.__arrow_array__())


def positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Position of each value in `keys` (first match), -1 where absent: pyarrow's hash index.

    A missing value matches the first missing key, as pyarrow's index_in does (keys.py relies on
    it); a caller for whom a missing value must point nowhere masks it (cross_table_failures).
    """
    if len(values) == 0:
        return np.array([], dtype=np.int64)
    if len(keys) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    if isinstance(values.dtype, pd.CategoricalDtype):  # a lookup per category, spread by the codes
        cats = pd.Series(values.cat.categories, dtype="str")
        missing = positions(pd.Series([None], dtype="str"), keys) if values.hasnans else np.array([-1])
        return np.append(positions_of_distinct(cats, keys), missing)[values.cat.codes.to_numpy()]  # code -1 reads the last
    arr, value_set = as_arrow(values), as_arrow(keys)
    if arr.type != value_set.type:
        value_set = value_set.cast(arr.type)
    found = pc.index_in(arr, value_set=value_set)
    return np.asarray(pc.fill_null(found, -1)).astype(np.int64)


def positions_of_distinct(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """`positions` of values that are all distinct: when they are `keys` themselves, in order (a
    parse cache's files against the files found, a category per file against them), each is at
    its own place, known without hashing either (0.04 s per hundred thousand paths)."""
    if len(values) == len(keys) and _same_values(as_arrow(values), as_arrow(keys)):
        return np.arange(len(values), dtype=np.int64)
    return positions(values, keys)


def _same_values(a: pa.Array | pa.ChunkedArray, b: pa.Array | pa.ChunkedArray) -> bool:
    """Whether two Arrow columns hold the same values in the same order, however chunked."""
    a, b = (x if isinstance(x, pa.ChunkedArray) else pa.chunked_array([x]) for x in (a, b))
    if a.type != b.type:
        try:
            b = b.cast(a.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return False
    return a.equals(b)


def rows_at(df: pd.DataFrame, order: np.ndarray) -> pd.DataFrame:
    """`df.iloc[order]`, or `df` itself, uncopied, when `order` is its rows in their own order."""
    return df if np.array_equal(order, np.arange(len(df))) else df.iloc[order]


def sort_order(values) -> np.ndarray:
    """Positions of `values` in ascending order, ties in their order, missing values last
    (pyarrow's stable sort): one sort that tells both whether a column repeats a value
    (`all_distinct`) and the order in which a change list names its rows (diff.added)."""
    return np.asarray(pc.sort_indices(as_arrow(values)), dtype=np.int64)


def all_distinct(values, order: np.ndarray | None = None) -> bool:
    """No value of `values` occurs twice; two missing values count as a repeat, as with
    `duplicated`. From `order` (sort_order of `values`, computed when not given): a repeated
    value sits next to itself in sorted order. Sorting costs about what a hash of the values
    does (pyarrow's unique), and a caller that needs the order anyway pays it once."""
    arr = as_arrow(values)
    if pa.types.is_floating(arr.type):  # NaN never equals itself: hashed instead
        return len(pc.unique(arr)) == len(arr)
    if arr.null_count > 1:
        return False
    if len(arr) < 2:
        return True
    ordered = arr.take(pa.array(sort_order(arr) if order is None else order))
    return not pc.any(pc.equal(ordered[:-1], ordered[1:])).as_py()


def take_chunks(column: pa.ChunkedArray, at: np.ndarray, scratch: pa.MemoryPool | None = None,
                into: pa.MemoryPool | None = None) -> pa.Array:
    """`column` at positions `at`, as one array, taken chunk by chunk.

    pyarrow's take on a chunked column first joins all its chunks: for the notes, a copy of
    the whole column on every call. Here each chunk gives the rows that fall in it, and one
    more take of just the rows taken puts them back in the order of `at`, unless they already
    are (raw rows in published order). The pieces and their join, freed before this returns,
    come from `scratch` (a pool that keeps what is freed for the next call) when given; the
    result comes from `into`, or the default pool.
    """
    at = np.asarray(at, dtype=np.int64)
    if column.num_chunks == 1:
        return pc.take(column.chunk(0), pa.array(at), memory_pool=into)
    if column.num_chunks == 0 or len(at) == 0:
        return pa.array([], type=column.type)
    bounds = np.cumsum([0] + [len(c) for c in column.chunks])
    chunk = np.searchsorted(bounds, at, side="right") - 1
    in_order = bool((chunk[1:] >= chunk[:-1]).all())  # rows in the order of the chunks (sources sorted as published)
    order = np.arange(len(at)) if in_order else np.argsort(chunk, kind="stable")
    cuts = np.searchsorted(chunk[order], np.arange(column.num_chunks + 1))
    used = [c for c in range(column.num_chunks) if cuts[c] < cuts[c + 1]]
    if len(used) == 1:  # one chunk holds them all: one take, from the default pool
        c = used[0]
        return pc.take(column.chunk(c), pa.array(at - bounds[c]), memory_pool=into)
    pieces = [pc.take(column.chunk(c), pa.array(at[order[cuts[c]:cuts[c + 1]]] - bounds[c]), memory_pool=scratch)
              for c in used]
    if in_order:  # joined as they are
        return pa.concat_arrays(pieces, memory_pool=into)
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return pc.take(pa.concat_arrays(pieces, memory_pool=scratch), pa.array(back), memory_pool=into)


def filter_rows(df: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The rows of `df` where `mask` holds, selected column by column.

    A Series selects Arrow rows with pyarrow's filter, chunk by chunk; a DataFrame selects them
    with take, which first joins each chunked column into one transient copy (see `solid`).
    """
    return pd.DataFrame({c: df[c][mask] for c in df.columns})


def day_text(days: np.ndarray) -> pa.Array:
    """Dates as YYYY-MM-DD text (large_string), as the registry, the claim IDs and the notes of
    multi-day events write them: not a Python call per row. Each distinct day is formatted
    once (strftime costs 0.7 s for a million rows; a few thousand days, then a take, 0.1 s)."""
    distinct, at = np.unique(np.asarray(days).astype("datetime64[s]"), return_inverse=True)
    text = pc.strftime(pa.array(distinct), format="%Y-%m-%d").cast(pa.large_string())
    return text.take(pa.array(at.reshape(-1)))


def emptied(df: pd.DataFrame) -> pd.DataFrame:
    """`df`'s columns and dtypes without rows, holding none of its memory: a zero-row slice
    (`df.iloc[:0]`) is a view that keeps every buffer of `df` alive."""
    return pd.DataFrame({col: pd.Series([], dtype=df[col].dtype) for col in df.columns})


def solid(df: pd.DataFrame, leave: tuple[str, ...] = (), workers: int = 2) -> pd.DataFrame:
    """Arrow-backed columns of `df` as one contiguous chunk each, combined in place.

    pyarrow takes rows from a chunked column by first concatenating all its chunks: a transient
    copy of the whole column on every take, which for a column of long text (notes) at a million
    rows is half a gigabyte allocated and thrown away each time. Combining once, when the parts
    are joined, pays that copy once, while memory is still low. In place and column by column,
    so a column's pieces are freed as soon as it is combined when `df` is their only holder.
    Columns in `leave` stay in chunks (combining one briefly holds it twice): select their rows
    with `filter_rows` and take them with `take_chunks`.

    The copying is mostly the kernel's, filling fresh pages, and pyarrow releases the GIL: columns
    are combined on `workers` threads, at most `workers` ahead of the one being put back, so
    memory holds a few columns twice, not the frame (1.5-2 s on one core at a million events).
    A column of nulls only is not copied: such columns of one type share one array of nulls.
    """
    def chunks(col: str) -> pa.ChunkedArray | None:
        """The column's Arrow chunks, when there are several to combine."""
        arr = getattr(df[col].array, "_pa_array", None)
        return arr if isinstance(arr, pa.ChunkedArray) and arr.num_chunks > 1 else None

    empty: dict[pa.DataType, pa.Array] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[tuple[str, Future]] = deque()
        for col in [c for c in df.columns if c not in leave and chunks(c) is not None]:
            arr = chunks(col)
            if arr.null_count == len(arr):
                if arr.type not in empty:  # made once: setdefault would make one per column
                    empty[arr.type] = pa.nulls(len(arr), arr.type)
                df[col] = pd.Series(empty[arr.type], index=df.index, dtype=df[col].dtype)
                continue
            pending.append((col, pool.submit(pa.ChunkedArray.combine_chunks, arr)))
            while len(pending) > workers:
                _put_back(df, *pending.popleft())
        while pending:
            _put_back(df, *pending.popleft())
    return df


def _put_back(df: pd.DataFrame, col: str, combined: Future) -> None:
    df[col] = pd.Series(combined.result(), index=df.index, dtype=df[col].dtype)
