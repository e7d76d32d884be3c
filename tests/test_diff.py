"""The changelog machinery on small frames: data changes field by field, structure apart."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from dataset import diff


def events(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).astype({"event_id_cnty": "str", "event_key": "str"})


def test_added_deleted_and_modified_rows_field_by_field():
    old = {"events": events([{"event_id_cnty": "MLI1", "event_key": "a", "fatalities": 2, "notes": "x"},
                             {"event_id_cnty": "MLI2", "event_key": "b", "fatalities": 5, "notes": "y"}])}
    new = {"events": events([{"event_id_cnty": "MLI1", "event_key": "a", "fatalities": 3, "notes": "x"},
                             {"event_id_cnty": "MLI3", "event_key": "c", "fatalities": 1, "notes": "z"}])}
    changes = diff.diff(old, new)
    assert changes[["id", "change", "field", "old", "new"]].values.tolist() == [
        ["MLI3", "added", "", "", ""], ["MLI2", "deleted", "", "", ""], ["MLI1", "modified", "fatalities", "2", "3"]]
    assert diff.summary(changes)["events"] == {"added": 1, "deleted": 1, "modified": 1}


def test_same_rows_in_the_same_order_give_only_the_modified_fields():
    rows = [{"event_id_cnty": "MLI1", "event_key": "a", "fatalities": 2}, {"event_id_cnty": "MLI2", "event_key": "b", "fatalities": 5}]
    old = {"events": events(rows)}
    assert diff.diff(old, {"events": events(rows)}).empty
    new = {"events": events([rows[0], {**rows[1], "fatalities": 6}])}
    changes = diff.diff(old, new)
    assert changes[["id", "event_key", "change", "field", "old", "new"]].values.tolist() == [
        ["MLI2", "b", "modified", "fatalities", "5", "6"]]


def test_missing_equals_missing_and_structure_changes_are_listed_apart():
    old = {"events": events([{"event_id_cnty": "MLI1", "event_key": "a", "n": None, "gone": 1}]).astype({"n": "Int64"})}
    new = {"events": events([{"event_id_cnty": "MLI1", "event_key": "a", "n": None, "fresh": 1}]).astype({"n": "Int64"})}
    changes = diff.diff(old, new)
    assert changes[["change", "field"]].values.tolist() == [["column added", "fresh"], ["column removed", "gone"]]
    section = diff.changelog_section(changes, "2024.07.0", "2024.08.0", {"events": 1})
    assert "### Structure" in section and "column added `fresh`" in section


def test_changelog_keeps_older_sections_newest_first():
    first = diff.changelog(diff.changelog_section(pd.DataFrame(columns=diff.COLUMNS), None, "2024.07.0", {"events": 1}), None)
    second = diff.changelog("## 2024.08.0 (changes since 2024.07.0)\n\nNo changes.\n", first)
    assert second.index("## 2024.08.0") < second.index("## 2024.07.0")
    assert second.count("# Changelog") == 1


_TEXTS = st.lists(st.one_of(st.none(), st.sampled_from(["Mali", "Niger", "Chad", ""])), min_size=0, max_size=12)


@given(_TEXTS, st.data())
def test_categories_compared_by_their_codes_are_compared_by_their_text(old, data):
    """diff._same_text (dictionaries unified, codes compared) says what decoding every row says,
    whatever each side's dictionary, index type, chunking and missing values."""
    new = data.draw(st.one_of(st.just(list(old)), st.lists(st.sampled_from([None, "Mali", "Niger", "Chad", ""]),
                                                              min_size=len(old), max_size=len(old))))
    cut = data.draw(st.integers(0, len(old)))

    def encoded(values, index, value, chunked):
        arr = pa.array(values, pa.string()).dictionary_encode().cast(pa.dictionary(index, value))
        return pa.chunked_array([arr[:cut], arr[cut:]] if chunked else [arr], type=arr.type)

    a = encoded(old, pa.int32(), pa.string(), True)  # as a release's row groups are read back
    b = encoded(new[::-1], pa.int8(), pa.large_string(), False)  # another dictionary order
    b = pa.chunked_array([b.combine_chunks().take(pa.array(range(len(new) - 1, -1, -1), pa.int64()))]) if len(new) else b
    assert diff._same_text(a, b) == (old == new)
