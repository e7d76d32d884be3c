"""The quick YAML reading (safe_yaml._plain) gives what yaml.load gives, or leaves the document to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dataset.readers import safe_yaml

ROOT = Path(__file__).resolve().parent.parent
# Unquoted, PyYAML (YAML 1.1) reads these as booleans, octal and sexagesimal numbers, dates,
# merge keys and so on, where a YAML 1.2 reader would not: the resolving must stay PyYAML's.
TRICKY = ["yes", "No", "on", "OFF", "y", "n", "true", "False", "~", "null", "NULL", "", "010", "0o10", "0x1F",
          "1_000", "0b101", "1:30", "-190:20:30.15", "1.5", ".inf", "-.Inf", ".NaN", "1e3", "1.0e+3", "6.8523015e+5",
          "2024-01-05", "2024-1-5", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10", "<<", "=", "-0",
          "0.", "09", "+12", "-12", "12abc", "Mali", "été", "a: b", "#x", "- x", "!x", "&a", "*a", "'", '"', "[1", "{a"]


def _reference(text: str) -> tuple:
    try:
        return ("data", repr(yaml.load(text, Loader=yaml.CSafeLoader)))  # repr: NaN equals itself, key order counts
    except yaml.YAMLError:
        return ("error",)


def _quick(text: str) -> tuple | None:
    try:
        return ("data", repr(safe_yaml._plain(text)))
    except safe_yaml._NotPlain:
        return None
    except yaml.YAMLError:
        return ("error",)


def _yaml_files() -> list[Path]:
    found = [p for folder in ("raw", "tests") for p in sorted((ROOT / folder).rglob("*.y*ml"))]
    assert len(found) > 20
    return found


def test_every_yaml_file_of_the_project_reads_as_yaml_load_reads_it():
    quick = 0
    for path in _yaml_files():
        try:
            text = safe_yaml.decode(path.read_bytes())
        except safe_yaml.YamlProblem:
            continue
        got = _quick(text)
        if got is not None:
            assert got == _reference(text), path
            quick += got[0] == "data"
    assert quick > 20  # most files take the quick way, or this test proves nothing


def test_the_seed_reports_take_the_quick_way():
    for path in sorted((ROOT / "raw" / "reports").rglob("*.yaml")):
        text = safe_yaml.decode(path.read_bytes())
        assert safe_yaml._plain(text) == yaml.load(text, Loader=yaml.CSafeLoader), path


@pytest.mark.parametrize("text", [
    "a: yes\nb: 010\nc: 1:30\nd: 2024-01-05\ne: 1e3\nf: .nan\ng: ~\nh:\n",
    "a: 1\na: 2\n",  # the later duplicate wins, as in yaml.load
    "base: {x: 1}\nc:\n  <<: {x: 2}\n  z: 1\n",  # a merge key: left to yaml.load
    "a: !!str 12\n", "a: !!python/object:os.system x\n", "a: !!binary aGVsbG8=\n", "a: !!set {x, y}\n",
    "? [1, 2]\n: d\n", "? {a: 1}\n: d\n", "1: a\n2.5: b\ntrue: c\n2024-01-05: d\n",
    "a: 1\n---\nb: 2\n", "", "# only a comment\n", "--- hello\n", "- a\n- [b, {c: d}]\n", "a: =\n",
    "a: [1, 2\n", "a:\n\tb: 1\n", "a: b: c\n", "%YAML 1.1\n---\na: 1\n...\n",
    "a: &x 1\nb: *x\n",
])
def test_known_cases_read_as_yaml_load_reads_them(text):
    got = _quick(text)
    assert got is None or got == _reference(text)


def test_nesting_past_the_limit_is_refused_either_way():
    deep = "[" * (safe_yaml.MAX_DEPTH + 1) + "]" * (safe_yaml.MAX_DEPTH + 1)
    just = "[" * safe_yaml.MAX_DEPTH + "]" * safe_yaml.MAX_DEPTH
    leaf = "[" * safe_yaml.MAX_DEPTH + "1" + "]" * safe_yaml.MAX_DEPTH  # the scalar is one deeper
    with pytest.raises(safe_yaml.YamlProblem, match="nesting is deeper"):
        safe_yaml.loads(deep.encode())
    assert safe_yaml.loads(just.encode()) == yaml.load(just, Loader=yaml.CSafeLoader)
    assert safe_yaml._plain(just) == yaml.load(just, Loader=yaml.CSafeLoader)
    with pytest.raises(safe_yaml.YamlProblem, match="nesting is deeper"):
        safe_yaml.loads(leaf.encode())
    with pytest.raises(safe_yaml._NotPlain):
        safe_yaml._plain(deep)


@pytest.mark.parametrize("text, where", [
    ("date: 2024-02-30\n", "line 1, column 7: '2024-02-30' as a date: day is out of range for month"),
    ("events:\n  - key: a\n    date: 2024-13-01\n", "line 3, column 11: '2024-13-01' as a date: month must be in 1..12"),
])
def test_an_impossible_unquoted_date_is_a_problem_that_says_where(text, where):
    # A scalar of a date's form is made a date by PyYAML's rules; one that is no date raised
    # ValueError out of the reader (a build's traceback) instead of the file's problem.
    with pytest.raises(safe_yaml.YamlProblem) as err:
        safe_yaml.loads(text.encode())
    assert str(err.value) == f"not a valid value: {where}"
    from dataset.readers import yaml_reports
    rows = yaml_reports.stage_rows(text.encode(), "reports/r.yaml")
    assert [(p.code, p.file) for p in rows.problems] == [("unreadable_file", "reports/r.yaml")]
    assert where in rows.problems[0].message


def test_scalars_read_again_are_what_they_were():
    # _scalar keeps what short unquoted scalars made (numbers, booleans, dates): the same values
    text = "a: [1, 2.5, yes, 2024-01-05, ~, 0x1f, Town 12, 1:30]\n"
    first = safe_yaml.loads(text.encode())
    assert safe_yaml.loads(text.encode()) == first == yaml.load(text, Loader=yaml.CSafeLoader)


def _scalar(token: str, style: str) -> str:
    if style == "single":
        return "'" + token.replace("'", "''") + "'"
    if style == "double":
        return json.dumps(token)
    return token


_tokens = st.one_of(st.sampled_from(TRICKY), st.text(st.sampled_from("ab01:-.#'\" e~<=!&*[]{},"), max_size=6))
_scalars = st.tuples(_tokens, st.sampled_from(["plain", "plain", "single", "double"]))
_trees = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(st.tuples(_scalars, inner), max_size=4).map(dict)), max_leaves=12)


def _emit(tree, indent: int, flow: bool) -> str:
    """YAML text for a tree of (token, style) scalars, lists and dicts; not always valid YAML, on purpose."""
    pad = " " * indent
    if isinstance(tree, tuple):
        return _scalar(*tree)
    if flow or not tree:
        if isinstance(tree, list):
            return "[" + ", ".join(_emit(t, 0, True) for t in tree) + "]"
        return "{" + ", ".join(f"{_scalar(*k)}: {_emit(v, 0, True)}" for k, v in tree.items()) + "}"
    lines = []
    for key, value in (tree.items() if isinstance(tree, dict) else ((None, t) for t in tree)):
        head = f"{pad}- " if key is None else f"{pad}{_scalar(*key)}:"
        if isinstance(value, tuple) or not value:
            lines.append(f"{head} {_emit(value, 0, True)}")
        else:
            lines.append(head + "\n" + _emit(value, indent + 2, False))
    return "\n".join(lines)


@settings(max_examples=400, deadline=None)
@given(_trees, st.booleans())
def test_generated_documents_read_as_yaml_load_reads_them(tree, flow):
    text = _emit(tree, 0, flow) + "\n"
    got = _quick(text)
    assert got is None or got == _reference(text), text
