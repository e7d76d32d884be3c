"""Keys coded as integers answer exactly what the text lookups and sorts they replace answer,
missing keys included (pandas' duplicated treats them as equal, pyarrow's index_in matches them)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from dataset import ids, keys, names
from dataset.staged import Staged
from schemas import STR
from schemas.frames import (factorized, filled, is_blank, isin, joined_categories, maps_to, per_distinct, positions,
                            positions_of_distinct,
                            sorted_category, text)

texts = st.lists(st.one_of(st.none(), st.sampled_from(["", "a", "b", "ev-1", "ev-2", "É"])), max_size=12)


def column(values: list) -> pd.Series:
    return pd.Series(values, dtype=STR)


def staged_of(report_ids: list, event_keys: list, event_reports: list, claim_keys: list, claim_reports: list) -> Staged:
    n, m = min(len(event_keys), len(event_reports)), min(len(claim_keys), len(claim_reports))
    empty = Staged.empty()
    return Staged(pd.DataFrame({"report_id": column(report_ids)}),
                  pd.DataFrame({"event_key": column(event_keys[:n]), "report_id": column(event_reports[:n])}),
                  pd.DataFrame({"event_key": column(claim_keys[:m]), "report_id": column(claim_reports[:m])}),
                  actors=empty.actors)


@given(texts, texts, texts, texts, texts)
def test_codes_answer_what_the_texts_answer(report_ids, event_keys, event_reports, claim_keys, claim_reports):
    staged = staged_of(report_ids, event_keys, event_reports, claim_keys, claim_reports)
    k = keys.coded(staged)
    ev, cl, rp = staged.events, staged.claims, staged.reports
    assert (keys.first(k.event_key) == ~ev["event_key"].duplicated().to_numpy()).all()
    assert (keys.repeated(k.report_id) == rp["report_id"].duplicated(keep=False).to_numpy()).all()
    # each claim's first event with its key, and each event's first report with its id
    once = keys.first(k.event_key)
    at = keys.rows_of(k.event_key[once], k.n_keys)[k.claim_key]
    assert (at == positions(cl["event_key"], ev["event_key"][once].reset_index(drop=True))).all()
    once = keys.first(k.report_id)
    at = keys.rows_of(k.report_id[once], k.n_reports)[k.event_report]
    assert (at == positions(ev["report_id"], rp["report_id"][once].reset_index(drop=True))).all()
    # equal codes exactly where the texts are equal, across tables
    both = pd.concat([ev["event_key"], cl["event_key"]], ignore_index=True).fillna("\0missing")
    codes = np.concatenate([k.event_key, k.claim_key])
    assert pd.Series(codes).groupby(both.to_numpy()).nunique().le(1).all()
    assert both.groupby(codes).nunique().le(1).all()


@given(st.one_of(st.lists(st.integers(0, 6), max_size=40),
                 st.lists(st.integers(0, 6), max_size=40).map(lambda v: pd.factorize(pd.Series(v))[0].tolist())))
def test_first_rows_of_codes_are_those_duplicated_does_not_mark(values):
    """Codes in the order they first appear (pd.factorize's) or in any order."""
    codes = np.array(values, dtype=np.int64)
    assert keys.first(codes).tolist() == (~pd.Series(codes).duplicated()).tolist()


days = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))


@given(st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(["MLI", "NGA", "BFA"])), st.one_of(st.none(), days),
                          st.one_of(st.none(), st.sampled_from(["a", "b", "ev-10", "ev-9", "É"]))), max_size=30))
def test_new_ids_are_numbered_in_the_order_of_their_texts(rows):
    """Country, day and key sorted as integers give the order their texts give (missing last)."""
    new = pd.DataFrame({"iso3": column([r[0] for r in rows]),
                        "event_date": pd.Series([pd.Timestamp(r[1]) if r[1] else pd.NaT for r in rows],
                                                dtype="datetime64[us]"),
                        "event_key": column([r[2] for r in rows])})
    text = pa.table({"iso3": pa.array([r[0] for r in rows], type=pa.string()),
                     "day": pa.array([r[1].isoformat() if r[1] else None for r in rows], type=pa.string()),
                     "event_key": pa.array([r[2] for r in rows], type=pa.string())})
    want = pc.sort_indices(text, sort_keys=[("iso3", "ascending"), ("day", "ascending"), ("event_key", "ascending")])
    assert ids._numbering_order(new).tolist() == want.to_numpy().tolist()


def test_new_ids_are_country_and_a_whole_number_even_beside_an_event_without_country():
    """A new event without a country gets no ID, and the others still get MLI1, MLI2 (not MLI1.0:
    the numbers once became floats when one was missing); a second assignment keeps them and
    numbers a new event after the highest."""
    days = pd.DataFrame({"event_key": ["a", "b", "c", "d"],
                         "event_date": pd.Series(pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-01", "2024-01-01"]),
                                                 dtype="datetime64[us]"),
                         "iso3": pd.Series(["MLI", "MLI", None, "NGA"], dtype=STR)})
    found, registry = ids.assign(days, ids.empty())
    assert found.tolist()[:2] == ["MLI2", "MLI1"] and pd.isna(found[2]) and found[3] == "NGA1"
    assert found.dtype == STR
    more = pd.concat([days.iloc[[0, 1, 3]], days.iloc[[0]].assign(event_key="e")], ignore_index=True)
    again, _ = ids.assign(more, registry)
    assert again.tolist() == ["MLI2", "MLI1", "NGA1", "MLI3"]


name_lists = st.lists(st.one_of(st.none(), st.lists(st.sampled_from(["Army", " army", "Rebels ", "", "É", "Civilians"]),
                                                    max_size=3).map(";".join)), max_size=8)


@given(name_lists, name_lists, st.booleans(), st.booleans(), st.booleans())
def test_coded_names_are_the_exploded_names(first, second, first_is_list, resolved, categorical):
    """names.coded gives, entry for entry, what exploding each column (or dropping its blanks)
    and resolving the names gives, with one code per resolved name across the columns; a
    categorical column (missing values included) gives what its text gives."""
    resolve = {"army": "Army (Mali)", "rebels": "Rebels"} if resolved else None
    columns = [(column(first), first_is_list), (column(second), True)]
    given_ = [(values.astype("category") if categorical else values, is_list) for values, is_list in columns]
    got, vocabulary = names.coded(given_, resolve)
    for (values, is_list), entries in zip(columns, got):
        text = values.fillna("").astype(STR)
        want = names.exploded(values) if is_list else text[text != ""]
        if resolve:
            want = names.canonical(want, resolve)
        assert entries.row.tolist() == want.index.tolist()
        assert [vocabulary_name for vocabulary_name in (list(vocabulary)[c] for c in entries.code)] == want.tolist()
        assert entries.names.iloc[entries.at].tolist() == (names.exploded(values) if is_list else text[text != ""]).tolist()
    assert sorted(vocabulary.values()) == list(range(len(vocabulary)))


@given(st.data())
def test_lexorder_is_lexsort(data):
    """Packed or not (huge ranges, missing dates, floats), the order is np.lexsort's, ties in row order
    (rows enough for numpy's quicksort to move ties, were they not broken by row)."""
    n = data.draw(st.integers(0, 300))
    kinds = data.draw(st.lists(st.sampled_from(["small", "huge", "bool", "date", "nat", "float"]), min_size=1, max_size=4))
    columns = []
    for kind in kinds:
        if kind == "small":
            columns.append(np.array(data.draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n)), dtype=np.int64))
        elif kind == "huge":
            columns.append(np.array(data.draw(st.lists(st.sampled_from([-2**62, 0, 2**62]), min_size=n, max_size=n)), dtype=np.int64))
        elif kind == "bool":
            columns.append(np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool))
        elif kind in ("date", "nat"):
            days = data.draw(st.lists(st.one_of(st.integers(0, 3), st.none()) if kind == "nat" else st.integers(0, 3),
                                      min_size=n, max_size=n))
            columns.append(np.array([np.datetime64("NaT") if d is None else np.datetime64("2024-01-01") + d for d in days],
                                 dtype="datetime64[D]"))
        else:
            columns.append(np.array(data.draw(st.lists(st.sampled_from([0.5, -1.0, 2.0]), min_size=n, max_size=n))))
    assert keys.lexorder(tuple(columns)).tolist() == np.lexsort(tuple(columns)).tolist()


registry_rows = st.lists(st.tuples(st.sampled_from(["MLI1", "MLI2", "NGA1", "NGA2"]), st.sampled_from(["a", "b", "c"]),
                                   st.sampled_from(["2024-01-01", "2024-01-02"])), max_size=6)


def registry_of(rows) -> pd.DataFrame:
    """A registry from (ID, key, day) rows, none retired, or (ID, key, day, retired) rows."""
    return pd.DataFrame([(*r, "")[:4] for r in rows], columns=list(ids.COLUMNS)).astype(ids.COLUMNS)


def write_registry(path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=ids.REQUIRED if not rows or len(rows[0]) == 3 else list(ids.COLUMNS)).to_csv(path, index=False)


@settings(max_examples=40, deadline=None)
@given(st.lists(registry_rows, max_size=4), registry_rows)
def test_earlier_registries_merge_as_each_one_does(tmp_path_factory, registries, committed_rows):
    """The earlier releases' registries read as one merge with the committed one exactly as
    each read and merged in turn, whatever they hold (an ID under two keys, a key under two
    IDs, a release without a registry); kept in the cache, the same again, without reading a
    registry; a registry changed since is read again."""
    folder = tmp_path_factory.mktemp("releases")
    paths = [folder / f"2024.0{i + 1}.0" / ids.FILE for i in range(len(registries))]
    for path, rows in zip(paths, registries):
        if rows:  # an empty list stands for a release without a registry
            write_registry(path, rows)
    committed = registry_of(committed_rows)
    expected = ids.merge(committed, *[ids.read(p) for p in paths])
    cache = folder / ".cache"
    pd.testing.assert_frame_equal(ids.merge(committed, ids.earlier(paths)), expected)
    pd.testing.assert_frame_equal(ids.merge(committed, ids.earlier(paths, cache)), expected)
    read = ids.read
    try:
        ids.read = None  # a cached union reads no registry
        pd.testing.assert_frame_equal(ids.merge(committed, ids.earlier(paths, cache)), expected)
    finally:
        ids.read = read
    # A release published since: the kept union and its registry only.
    later = folder / "2025.01.0" / ids.FILE
    write_registry(later, [("MLI1", "z", "2024-02-01"), ("MLI9", "a", "2024-01-01")])
    grown = ids.merge(committed, *[ids.read(p) for p in [*paths, later]])
    reads = []
    try:
        ids.read = lambda path, *args: reads.append(path) or read(path, *args)
        pd.testing.assert_frame_equal(ids.merge(committed, ids.earlier([*paths, later], cache)), grown)
    finally:
        ids.read = read
    assert reads == [later]
    if paths:  # a registry changed since it was kept: all are read again
        write_registry(paths[0], [("BFA7", "z", "2023-12-31")])
        changed = ids.merge(committed, *[ids.read(p) for p in [*paths, later]])
        pd.testing.assert_frame_equal(ids.merge(committed, ids.earlier([*paths, later], cache)), changed)


def test_a_damaged_kept_union_is_read_again_from_the_registries(tmp_path):
    """A kept union that is not Parquet, or kept by other code, is ignored: the registries are
    read, the result is what they give, and the union is kept anew."""
    paths = [tmp_path / f"2024.0{i}.0" / ids.FILE for i in (1, 2)]
    write_registry(paths[0], [("MLI1", "a", "2024-01-01")])
    write_registry(paths[1], [("MLI1", "a", "2024-01-01"), ("MLI2", "b", "2024-01-02")])
    expected = ids.earlier(paths)
    cache = tmp_path / ".cache"
    cache.mkdir()
    (cache / ids.UNION_FILE).write_bytes(b"not parquet")
    pd.testing.assert_frame_equal(ids.earlier(paths, cache), expected)
    pd.testing.assert_frame_equal(ids._kept_union(cache / ids.UNION_FILE, "other code", [ids._stamp(p) for p in paths])[0],
                                  ids.empty())
    assert ids._kept_union(cache / ids.UNION_FILE, ids._code(), [ids._stamp(p) for p in paths])[1] == 2


@given(st.lists(st.tuples(st.sampled_from(["MLI", "BFA", "NER", "AFG", "ZWE"]), st.integers(1, 10**7)),
                unique=True, max_size=40))
def test_the_registry_is_sorted_by_country_then_number(pairs):
    """ids.sort: by country code, then by the number as a number (MLI9 before MLI10), whatever
    order the registry was grown in."""
    registry = pd.DataFrame({"event_id_cnty": [f"{c}{n}" for c, n in pairs], "event_key": [f"k{i}" for i in range(len(pairs))],
                             "event_date": "2024-01-01", "retired": ""}).astype(ids.COLUMNS)
    got = ids.sort(registry)
    assert list(got["event_id_cnty"]) == [f"{c}{n}" for c, n in sorted(pairs)]
    assert sorted(zip(got["event_id_cnty"], got["event_key"])) == sorted(zip(registry["event_id_cnty"], registry["event_key"]))
    assert got.dtypes.equals(registry.dtypes)


_CATS = ["Battles", "Riots", "Protests", "Armed clash", "", "É"]
_MAPPING = {"Armed clash": "Battles", "Riots": "Riots", "": "Protests", "É": None}


@given(st.lists(st.one_of(st.none(), st.sampled_from(_CATS)), max_size=15), st.data())
def test_categories_mapped_through_their_codes_answer_what_their_text_answers(keys_, data):
    """maps_to and per_distinct on categorical columns (codes looked up once per category) give
    what the text lookups give: missing keys, keys the mapping lacks, values missing or outside
    the other column's categories, categories unused or in any order."""
    values = data.draw(st.lists(st.one_of(st.none(), st.sampled_from(_CATS)), min_size=len(keys_), max_size=len(keys_)))
    present = [v for v in _CATS if v in values]
    extra = data.draw(st.lists(st.sampled_from(_CATS), max_size=3))  # maybe the mapping's targets, maybe not
    value_categories = data.draw(st.permutations(list(dict.fromkeys(present + extra))))
    as_text = pd.Series(keys_, dtype="str"), pd.Series(values, dtype="str")
    as_categories = (pd.Series(pd.Categorical(keys_, categories=data.draw(st.permutations(_CATS)))),
                     pd.Series(pd.Categorical(values, categories=value_categories)))
    want = (per_distinct(as_text[0], _MAPPING, "str") == as_text[1]).to_numpy(dtype=bool)
    assert maps_to(as_text[0], _MAPPING, as_text[1]).tolist() == want.tolist()
    assert maps_to(as_categories[0], _MAPPING, as_categories[1]).tolist() == want.tolist()
    assert maps_to(as_categories[0], _MAPPING, as_text[1]).tolist() == want.tolist()
    pd.testing.assert_series_equal(per_distinct(as_categories[0], _MAPPING, "str"), per_distinct(as_text[0], _MAPPING, "str"))


_category_values = st.lists(st.one_of(st.none(), st.sampled_from(_CATS + ["b", "a", "Zed", "zed"])), max_size=15)


def _listed(values) -> list:
    return [None if pd.isna(v) else v for v in values]


@given(_category_values, st.data())
def test_categorical_columns_answer_what_their_text_answers(values, data):
    """The helpers that let staged texts be held as categories (sorted_category, filled,
    is_blank, factorized, positions, isin, joined_categories) give what the same text gives,
    whatever the categories' order, unused categories and missing values."""
    plain = pd.Series(values, dtype="str")
    extra = data.draw(st.lists(st.sampled_from(_CATS), max_size=3))
    cats = data.draw(st.permutations(list(dict.fromkeys([v for v in values if v is not None] + extra))))
    coded = pd.Series(pd.Categorical(values, categories=cats))
    for column in (plain, coded):
        got = sorted_category(column)
        assert list(got.cat.categories) == sorted(got.cat.categories), "the categories are sorted"
        assert _listed(got) == values
        pd.testing.assert_series_equal(text(filled(column, "")), plain.fillna(""), check_dtype=False)
        assert is_blank(column).tolist() == [v is None or v == "" for v in values]
        codes, uniques = factorized(column)
        assert [None if c < 0 else uniques[c] for c in codes] == values
        assert _listed(pd.Categorical.from_codes(codes, categories=uniques)) == values
        keys_ = pd.Series(data.draw(st.lists(st.one_of(st.none(), st.sampled_from(_CATS)), max_size=5)), dtype="str")
        assert positions(column, keys_).tolist() == positions(plain, keys_).tolist()
        assert isin(column, keys_.dropna()).tolist() == isin(plain, keys_.dropna()).tolist()
    second = pd.Series(pd.Categorical(data.draw(_category_values)))
    joined = joined_categories([coded, second])
    assert list(joined.categories) == sorted(joined.categories)
    assert _listed(joined) == values + _listed(second)


@given(st.lists(st.text(max_size=5), unique=True, max_size=8))
def test_categories_seen_as_sorted_exactly_when_pandas_sees_them_so(texts_):
    """sorted_category keeps a column whose categories are in order: pyarrow's comparison of the
    texts by bytes answers what pandas' is_monotonic_increasing answers, for any text."""
    from schemas.frames import _ascending

    index = pd.Index(pd.array(texts_, dtype="str"))
    assert _ascending(index) == index.is_monotonic_increasing
    assert _ascending(pd.Index(pd.array(sorted(texts_), dtype="str")))


def test_staged_texts_that_repeat_are_sorted_categories_from_every_reader(tmp_path):
    """Sheets (staged two batches at a time and joined) and YAML reports (parsed, then taken
    from the parse cache) stage the texts that repeat as categories sorted, and the same rows."""
    from dataset.readers import parse_cache, sheets, yaml_reports
    from dataset.staged import CATEGORY, CLAIM_COLUMNS, EVENT_COLUMNS, REPORT_COLUMNS
    from tests.conftest import MULTI_RAW
    fresh = yaml_reports.read(MULTI_RAW, tmp_path / "cache")
    parse_cache.wait()
    cached = yaml_reports.read(MULTI_RAW, tmp_path / "cache")
    for got in (fresh, cached):
        for name, columns in (("reports", REPORT_COLUMNS), ("events", EVENT_COLUMNS), ("claims", CLAIM_COLUMNS)):
            table = getattr(got, name)
            for c, t in columns.items():
                if t == CATEGORY:
                    cats = list(table[c].cat.categories)
                    assert cats == sorted(cats), (name, c)
                else:
                    assert not isinstance(table[c].dtype, pd.CategoricalDtype), (name, c)
    for name in ("reports", "events", "claims"):
        pd.testing.assert_frame_equal(getattr(fresh, name), getattr(cached, name))
    sheet_raw = tmp_path / "raw"
    for batch, rows in (("batch-a", ["Wire", "Radio"]), ("batch-b", ["Journal", "Wire"])):
        folder = sheet_raw / sheets.FOLDER / batch
        folder.mkdir(parents=True)
        events = pd.DataFrame({"report_id": [f"{batch}-{i}" for i in range(2)], "source": rows,
                               "source_scale": "National", "published": "2024-05-01", "key": [f"{batch}-k{i}" for i in range(2)],
                               "date": "2024-04-30", "time_precision": "1", "event_type": "Battles",
                               "sub_event_type": "Armed clash", "actor1": "A", "country": "Mali", "admin1": "Gao",
                               "location": ["Gao", "Ansongo"], "latitude": "16.2", "longitude": "-0.04", "geo_precision": "1"})
        events.to_csv(folder / "events.csv", index=False)
    joined = sheets.read(sheet_raw)
    assert list(joined.reports["source"]) == ["Wire", "Radio", "Journal", "Wire"]
    assert list(joined.reports["source"].cat.categories) == ["Journal", "Radio", "Wire"]
    assert list(joined.events["location"].cat.categories) == ["Ansongo", "Gao"]


@given(st.lists(st.sampled_from(_CATS), unique=True, max_size=8), st.data())
def test_positions_of_distinct_values_are_their_positions(values, data):
    """The shortcut for distinct values that are the keys themselves (a parse cache's files against
    the files found, one category per file) gives what the hash lookup gives, the keys chunked,
    reordered, cut or repeated."""
    column = pd.Series(values, dtype="str")
    chunks = data.draw(st.integers(1, 3))
    cut = sorted(data.draw(st.lists(st.integers(0, len(values)), min_size=chunks - 1, max_size=chunks - 1)))
    pieces = [values[a:b] for a, b in zip([0, *cut], [*cut, len(values)])]
    same = pd.Series(pd.array(pa.chunked_array(pieces, type=pa.large_string()), dtype="str"))
    for keys_ in (same, pd.Series(data.draw(st.permutations(values)), dtype="str"),
                  pd.Series(values[:-1] + values[-1:] * 2, dtype="str"), pd.Series(values, dtype="object")):
        assert positions_of_distinct(column, keys_).tolist() == positions(column, keys_).tolist()
    assert positions_of_distinct(column, same).tolist() == list(range(len(values)))
    coded = pd.Series(pd.Categorical(values, categories=values))
    assert positions(coded, same).tolist() == list(range(len(values)))


def _days(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Event days as assign takes them: (event_key, day, country's ISO code)."""
    return pd.DataFrame({"event_key": pd.Series([r[0] for r in rows], dtype=STR),
                         "event_date": pd.to_datetime([r[1] for r in rows]),
                         "iso3": pd.Series([r[2] for r in rows], dtype=STR)})


def test_an_event_recoded_to_another_country_keeps_its_new_id_and_gets_its_old_one_back(tmp_path):
    """Recoded from Mali to Niger, an event gets a Niger ID and the Mali one stays registered.
    The next build, with nothing changed, gives it the same Niger ID: the registry kept only the
    first ID of each (key, day), so the Niger one was lost and the event numbered afresh after
    the Niger IDs given since (NER2, then NER4). Recoded back, it finds MLI1 again."""
    mali = _days([("k", "2024-01-01", "MLI"), ("k2", "2024-01-02", "NER")])
    niger = _days([("k", "2024-01-01", "NER"), ("k2", "2024-01-02", "NER"), ("k3", "2024-01-03", "NER")])
    first, reg1 = ids.assign(mali, ids.merge(ids.empty()))
    second, reg2 = ids.assign(niger, ids.merge(ids.empty(), reg1))
    assert first.tolist() == ["MLI1", "NER1"] and second.tolist() == ["NER2", "NER1", "NER3"]
    for i, reg in enumerate([reg1, reg2]):
        write_registry(tmp_path / f"2024.0{i + 1}.0" / ids.FILE, reg.values.tolist())
    union = ids.earlier([tmp_path / f"2024.0{i + 1}.0" / ids.FILE for i in range(2)])
    for registry in (ids.merge(ids.empty(), reg1, reg2), ids.merge(ids.empty(), union)):
        third, reg3 = ids.assign(niger, registry)
        assert third.tolist() == ["NER2", "NER1", "NER3"]
        assert set(reg3["event_id_cnty"]) == {"MLI1", "NER1", "NER2", "NER3"}
        back, _ = ids.assign(mali, reg3)
        assert back.tolist() == ["MLI1", "NER1"]
    assert ids.problems(reg3) == []  # committed as raw/event_ids.csv, it is accepted


def test_committed_registry_rows_that_cannot_be_right_are_located_problems():
    """Each bad row is named by its row (the header is row 1), event key and field, all at once;
    a row repeated exactly, and an event day with an ID in each of two countries, pass."""
    rows = [("MLI1", "a", "2024-01-01"),
            ("MLI1\n", "b", "2024-01-02"),         # 3: a trailing newline (Python's `$` lets it through)
            ("mli2", "c", "2024-01-03"),           # 4
            ("MLI3", "", "2024-01-04"),            # 5: no key
            ("MLI4", "d", "2024-1-5"),             # 6: not YYYY-MM-DD
            ("MLI5", "e", "2024-02-30"),           # 7: no such day
            ("MLI1", "f", "2024-01-06"),           # 8: MLI1 is a's
            ("MLI6", "a", "2024-01-01"),           # 9: a on that day is MLI1
            ("MLI1", "a", "2024-01-01"),           # 10: row 2 again: nothing lost
            ("NER1", "a", "2024-01-01"),           # 11: a recoded to Niger: its Niger ID
            ("MLI" + "9" * 19, "g", "2024-01-07")]  # 12: a number no 64-bit integer holds
    registry = registry_of(rows)
    found = ids.problems(registry)
    assert [(p.file, p.message.split(":")[0], p.event_key, p.field, p.code) for p in found] == [
        ("event_ids.csv", "row 3", "b", "event_id_cnty", "bad_value"),
        ("event_ids.csv", "row 4", "c", "event_id_cnty", "bad_value"),
        ("event_ids.csv", "row 5", "", "event_key", "missing_field"),
        ("event_ids.csv", "row 6", "d", "event_date", "bad_value"),
        ("event_ids.csv", "row 7", "e", "event_date", "bad_value"),
        ("event_ids.csv", "row 8", "f", "event_id_cnty", "repeated_id"),
        ("event_ids.csv", "row 9", "a", "event_id_cnty", "repeated_id"),
        ("event_ids.csv", "row 12", "g", "event_id_cnty", "bad_value")]
    assert "given on row 2 to 'a'" in found[5].message and "has ID 'MLI1' on row 2" in found[6].message


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(["k1", "k2", "k3", "k4"]),
                                   st.sampled_from(["2024-01-01", "2024-01-02"]),
                                   st.sampled_from(["MLI", "NER", "BFA"])), max_size=6), min_size=1, max_size=4))
def test_ids_are_stable_and_never_reused_whatever_the_recodings(builds):
    """Builds in turn, each over event days in some countries (a later build may recode, drop or
    add any): an event day in a country it had an ID in keeps that ID; no ID ever names two event
    days; a build with nothing changed gives the same IDs; the registry it publishes passes the
    committed registry's checks."""
    registry, given = ids.empty(), {}
    for days in builds:
        country = {}
        for k, d, c in days:  # one country per event day in a build: the first drawn
            country.setdefault((k, d), c)
        rows = [(k, d, c) for (k, d), c in country.items()]
        table = _days(rows)
        assigned, registry = ids.assign(table, ids.merge(ids.empty(), registry))
        again, _ = ids.assign(table, ids.merge(ids.empty(), registry))
        assert again.tolist() == assigned.tolist()
        for (k, d, c), id_ in zip(rows, assigned):
            assert id_.startswith(c) and given.setdefault((k, d, c), id_) == id_
        assert registry["event_id_cnty"].is_unique
        assert ids.problems(registry) == []


def test_an_id_the_committed_registry_replaces_is_retired_never_given_again(tmp_path):
    """The committed registry gives an event day MLI5 where an earlier release gave it MLI9: the
    event gets MLI5, and MLI9 stays in the registry as retired, so new Mali events are numbered
    after it (MLI9 went to the fourth new event before). The published registry, committed in
    turn, is accepted and gives the same IDs; listing MLI9 active again brings it back."""
    earlier = registry_of([("MLI9", "k", "2024-01-01")])
    committed = registry_of([("MLI5", "k", "2024-01-01")])
    days = _days([("k", "2024-01-01", "MLI")] + [(f"n{i}", "2024-01-02", "MLI") for i in range(5)])
    got, published = ids.assign(days, ids.merge(committed, earlier))
    assert got.tolist() == ["MLI5", "MLI10", "MLI11", "MLI12", "MLI13", "MLI14"]
    published = ids.sort(published)
    assert published.set_index("event_id_cnty").loc[["MLI5", "MLI9"], "retired"].tolist() == ["", ids.RETIRED]
    assert ids.problems(published) == []
    write_registry(tmp_path / "2024.07.0" / ids.FILE, published.values.tolist())
    again, _ = ids.assign(days, ids.merge(ids.read(tmp_path / "2024.07.0" / ids.FILE), ids.earlier([tmp_path / "2024.07.0" / ids.FILE])))
    assert again.tolist() == got.tolist()
    back, grown = ids.assign(days, ids.merge(registry_of([("MLI9", "k", "2024-01-01")]), published))
    assert back.tolist()[0] == "MLI9"
    assert grown.set_index("event_id_cnty").loc[["MLI5", "MLI9"], "retired"].tolist() == [ids.RETIRED, ""]


def test_a_registry_written_before_the_retired_column_reads_as_all_active(tmp_path):
    path = tmp_path / ids.FILE
    path.write_text("event_id_cnty,event_key,event_date\nMLI1,a,2024-01-01\n")
    assert ids.read(path).to_dict("list") == {"event_id_cnty": ["MLI1"], "event_key": ["a"],
                                              "event_date": ["2024-01-01"], "retired": [""]}


def test_retired_rows_in_a_committed_registry():
    """One active and one retired ID for an event day pass; two active ones, or a `retired`
    that is neither empty nor "yes", are the rows' problems."""
    assert ids.problems(registry_of([("MLI5", "k", "2024-01-01", ""), ("MLI9", "k", "2024-01-01", "yes")])) == []
    found = ids.problems(registry_of([("MLI5", "k", "2024-01-01", ""), ("MLI9", "k", "2024-01-01", ""),
                                      ("MLI3", "j", "2024-01-01", "no")]))
    assert [(p.message.split(":")[0], p.field) for p in found] == [("row 3", "event_id_cnty"), ("row 4", "retired")]
